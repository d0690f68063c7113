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
    typer.echo(f"sar demo, in a throwaway home: {demo.home}")
    for line in demo.story:
        typer.echo(line)
    typer.echo(f"\nThe board on day {RUN_DAYS} ({demo.today.isoformat()}):")
    for r in demo.board:
        r["when"] = output.days_text(r["days_left"], r["status"])
    output.table(demo.board, [("ref", "ref"), ("org", "organisation"), ("kind", "kind"),
                              ("status", "status"), ("due", "due"), ("when", "")])
    typer.echo(f"\nWhy {demo.refs['labour']} (Labour) is overdue:")
    for line in demo.why_overdue:
        typer.echo(f"  {line}")
    look = f"SAR_TODAY={demo.today.isoformat()} sar --home {demo.home}"
    typer.echo("\nLook around (the demo's clock is six weeks ahead of yours):")
    typer.echo(f"  {look} show {demo.refs['conservatives']}   # the ID restart, explained")
    typer.echo(f"  {look} show {demo.refs['experian']}   # replies read, and the rule that read each")
    typer.echo(f"  {look} inbox --all")
    typer.echo(f"  {look} status   # the board")
    typer.echo(f"  {look} overdue")
    typer.echo(f"  {look} remind --overdue --dry-run   # the reminders that would go")
    typer.echo(f"  {look} report   # how each organisation answered")
    typer.echo(f"  {look} letter {demo.refs['labour']}   # the letter Labour ignored")
    typer.echo(f"Files: letters in {demo.home / 'letters'}, sent mail in "
               f"{demo.home / 'outbox' / 'new'}, replies in {demo.home / 'inbox'}, evidence in {demo.home / 'evidence'}, "
               f"the log in {demo.home / 'sar.db'}")
    if home is None and state.home is None:
        # A temporary folder of invented data: kept so you can look, and yours to remove.
        typer.echo(f"The demo's folder stays until you remove it: rm -r {demo.home}")
