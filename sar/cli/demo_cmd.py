"""`sar demo`: the whole job in a throwaway home."""

from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app, state


@app.command(rich_help_panel="Care")
def demo(
    home: Annotated[str | None, typer.Option(
        "--home", metavar="DIR", help="Keep the demo's files here (default: a new temporary folder).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the final board as JSON.")] = False,
) -> None:
    """Run the whole job in a throwaway home.

    Letters to four UK parties and Experian are written, sent into a local outbox,
    answered (or not), and the board is shown six weeks on.
    """
    from sar.demo import RUN_DAYS, run_demo

    demo = run_demo(home or state.home)
    if json_:
        output.emit_json(demo.as_dict())
        return
    output.say(f"sar demo, in a throwaway home: {demo.home}")
    for line in demo.story:
        indent = line[:len(line) - len(line.lstrip())]
        output.say(line.lstrip(), indent=indent, hang=indent + "  ")
    typer.echo("\n" + output.heading(f"The board on day {RUN_DAYS} ({demo.today.isoformat()}):"))
    from sar.workspace import Workspace

    names = output.org_names(Workspace(demo.home), demo.board)
    rows = [{**r, "org": names.get(r["org"], r["org"]),
             "when": output.days_text(r["days_left"], r["status"])} for r in demo.board]
    output.table(rows, [("ref", "ref"), ("org", "organisation"), ("kind", "kind"),
                        ("status", "status"), ("due", "due"), ("when", "")])
    typer.echo("\n" + output.heading(f"Why {demo.refs['labour']} (Labour) is overdue:"))
    for line in demo.why_overdue:
        output.say(line, indent="  ", hang="    ")
    typer.echo("\n" + output.heading("Look around (the demo's clock is six weeks ahead of yours):"))
    output.say(f"export SAR_HOME={demo.home} SAR_TODAY={demo.today.isoformat()}", indent="  ")
    for command, why in (
            (f"show {demo.refs['conservatives']}", "the ID restart, explained"),
            (f"show {demo.refs['experian']}", "replies read, and the rule that read each"),
            ("inbox --all", "every reply kept"),
            ("status", "the board"),
            ("overdue", "what is late"),
            ("remind --overdue --dry-run", "the reminders that would go"),
            ("report", "how each organisation answered"),
            (f"letter {demo.refs['labour']}", "the letter Labour ignored")):
        output.say(f"sar {command}   # {why}", indent="  ", hang="      ")
    typer.echo("\n" + output.heading("Files:"))
    for what, where in (("letters", demo.home / "letters"),
                        ("sent mail", demo.home / "outbox" / "new"),
                        ("replies", demo.home / "inbox"),
                        ("evidence", demo.home / "evidence"),
                        ("the log", demo.home / "sar.db")):
        output.say(f"{what}: {where}", indent="  ", hang="    ")
    if home is None and state.home is None:
        # A temporary folder of invented data: kept so you can look, and yours to remove.
        # The command on a line of its own, never wrapped, so it can be copied whole.
        output.say("The demo's folder stays until you remove it:")
        typer.echo(f"  rm -r {demo.home}")
