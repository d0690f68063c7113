"""Discovery: who holds my data, found in my own mailbox."""

from pathlib import Path
from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app, workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command(rich_help_panel="Directory")
def discover(
    maildir: Annotated[Path | None, typer.Option(metavar="DIR", help="Scan a local Maildir.")] = None,
    imap: Annotated[bool, typer.Option("--imap", help="Scan the IMAP account set with `sar config`.")] = False,
    folder: Annotated[list[str] | None, typer.Option(metavar="NAME", help="IMAP folder (repeatable; default imap.folder).")] = None,
    since: Annotated[str | None, typer.Option(metavar="DATE", help="Only mail from this day on.")] = None,
    propose: Annotated[str | None, typer.Option(metavar="KIND", help="Draft access or erasure requests to what was found.")] = None,
    pick: Annotated[list[str] | None, typer.Option(metavar="SLUG", help="With --propose: this organisation (repeatable).")] = None,
    all_matched: Annotated[bool, typer.Option("--all-matched", help="With --propose: every organisation found.")] = False,
    save: Annotated[bool, typer.Option("--save", help="Keep the result (who wrote, never what) in your sar home.")] = False,
    saved: Annotated[bool, typer.Option("--saved", help="Show the result kept by --save; scan nothing.")] = False,
    forget: Annotated[bool, typer.Option("--forget", help="Delete the kept result; scan nothing.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Who writes to you? Find the organisations that hold your data in your mailbox.

    Reads headers only, never bodies, and nothing leaves your machine. Senders are
    grouped by domain and matched to the directory, ranked by how much and how
    recently they wrote; unknown frequent senders are listed so you can add them.
    """
    from sar.cli.requests_cmd import parse_day
    from sar.errors import UsageError

    ws = workspace()
    if forget or saved:
        if forget and saved:
            raise UsageError("--saved or --forget, not both")
        if maildir is not None or imap or propose or save or since or pick or folder \
                or all_matched:
            raise UsageError(f"--{'forget' if forget else 'saved'} scans nothing: give it "
                             "alone")
        if forget:
            n = ws.forget_discovery()
            typer.echo("Forgotten." if n else "Nothing was kept.")
            return
        result = ws.saved_discovery()
        if result is None:
            raise UsageError("no scan is kept: `sar discover ... --save` keeps one")
    else:
        def note(text):
            typer.echo(f"sar discover: {text}", err=True)

        with output.shown_progress("reading headers", off=json_) as progress:
            result = ws.discover(maildir=maildir, imap=imap, folders=folder or [],
                                 since=parse_day(since, "--since"), save=save,
                                 propose=propose, picks=pick or [],
                                 all_matched=all_matched, note=note, progress=progress)
    if json_:
        output.emit_json(result)
        return
    _print(result)


def _print(result: dict) -> None:
    share = f"{result['share_recognised']:.0%}" if result["senders"] else "-"
    typer.echo(f"{result['messages']:,} messages from {result['senders']:,} sending domains; "
               f"{result['senders_recognised']:,} recognised ({share}).")
    rows = [{"slug": e["slug"], "name": output.clean(e["name"])[:40],
             "messages": f"{e['messages']:,}", "first": e["first"] or "", "last": e["last"] or "",
             "matched": ", ".join(e["matched"][:2])} for e in result["organisations"]]
    if rows:
        typer.echo("")
        output.table(rows, [("slug", "slug"), ("name", "organisation"),
                            ("messages", "messages"), ("first", "first"), ("last", "last"),
                            ("matched", "matched by")],
                     title="Organisations in the directory that wrote to you")
    unknown = [{"domain": u["domain"], "messages": f"{u['messages']:,}", "last": u["last"] or "",
                "name": output.clean(u["name"])[:40]} for u in result["unmatched"][:30]]
    if unknown:
        typer.echo("")
        output.table(unknown, [("domain", "domain"), ("messages", "messages"),
                               ("last", "last"), ("name", "name")],
                     title="Frequent senders not in the directory (add them: sar orgs add)")
    for d in result.get("drafted", []):
        typer.echo(f"{d['ref']}  drafted: {d['kind']} request to {d['org']}")
    if result["organisations"] and not result.get("drafted"):
        typer.echo("\nDraft requests: sar discover ... --propose access --pick SLUG "
                   "(or --all-matched)")
