"""Replies: watch, inbox, link."""

from pathlib import Path
from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app, workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _line(r) -> str:
    if r.status == "participant-sent":
        return f"{r.ref:<10} {r.event:<24} by the participant: their copy arrived"
    if r.status != "new":
        return ""
    where = r.ref or f"#{r.pk} unmatched"
    how = f" ({r.matched_by})" if r.matched_by else ""
    needs = f"  -> waits in `sar inbox`: {r.needs}" if r.needs else ""
    return f"{where:<10} {r.label:<24} from {output.clean(r.sender) or '?'}{how}{needs}"


@app.command(rich_help_panel="Mail")
def watch(
    maildir: Annotated[Path | None, typer.Option(metavar="DIR", help="Read a local Maildir (mbsync, offlineimap, getmail).")] = None,
    imap: Annotated[bool, typer.Option("--imap", help="Read the IMAP account set with `sar config`.")] = False,
    once: Annotated[bool, typer.Option("--once", help="Read what is new and stop (for cron); a Maildir is always read once.")] = False,
    folder: Annotated[list[str] | None, typer.Option(metavar="NAME", help="IMAP folder to read (repeatable; default imap.folder).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Read replies, match each to its request and record what it says.

    Bounces, automatic replies, acknowledgements, ID requests, extensions and
    answers are recognised by explainable rules; `sar show REF` says which rule
    decided, `sar mark` overrules it, and anything unsure waits in `sar inbox`.
    With --imap and without --once it stays connected (IDLE) until Ctrl-C.
    """
    results = []

    def report(kind, value):
        if kind == "note":
            typer.echo(f"sar watch: {value}", err=True)
            return
        if value.status not in ("new", "participant-sent"):
            return
        results.append(value)
        if not json_:
            typer.echo(_line(value))

    workspace().watch(maildir=maildir, imap=imap, once=once, folders=folder or [],
                      report=report)
    if json_:
        output.emit_json([r.as_dict() for r in results])
        return
    waiting = sum(1 for r in results if r.needs)
    if not results:
        typer.echo("No new messages.")
    else:
        n = len(results)
        typer.echo(f"{n} new message{'s' if n != 1 else ''}" +
                   (f"; {waiting} waiting in `sar inbox`" if waiting else ""))


@app.command(rich_help_panel="Mail")
def inbox(
    all_: Annotated[bool, typer.Option("--all", help="Every message received, not only those waiting.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Replies that wait for you (--all: every reply kept).

    Unmatched, not understood, held as unverified, or not fitting the request's
    history — each with the reason and the command that settles it.
    """
    rows = workspace().inbox(everything=all_)
    if json_:
        output.emit_json(rows)
        return
    if not rows:
        typer.echo("Nothing waits for you." if not all_ else "No messages received.")
        return
    for i, m in enumerate(rows):
        if i:
            typer.echo("")
        on = f"{m['received_on'] or m['date'] or '':.10}"
        typer.echo(output.heading(f"#{m['id']}  {on}  {m['ref'] or '(unmatched)'}  {m['label']}"))
        output.say(f"from {output.clean(m['from']) or '(no sender)'}", indent="  ", hang="    ")
        output.say(f"\u201c{output.clean(m['subject'])}\u201d", indent="  ", hang="   ")
        output.say(output.clean(m["reason"]) + (f" (rule {m['rule']})" if m["rule"] else ""),
                   indent="  ", hang="    ")
        if m["next"]:
            output.say(f"next: {m['next']}", indent="  ", hang="    ")


@app.command(rich_help_panel="Mail")
def link(
    message: Annotated[str, typer.Argument(metavar="MESSAGE", help="The message's number in `sar inbox`.")],
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request it belongs to.")],
    as_: Annotated[str | None, typer.Option("--as", metavar="LABEL", help="What it says, if not what sar reads: acknowledged, id-requested, extended, fulfilled, ...")] = None,
    json_: JsonOpt = False,
) -> None:
    """Attach a waiting reply to its request by hand, and record what it says."""
    result = workspace().link(message, ref, as_)
    if json_:
        output.emit_json(result)
        return
    typer.echo(f"#{result['id']} -> {result['ref']}: {result['label']} "
               f"(recorded {result['event']})")
