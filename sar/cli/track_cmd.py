"""Tracking: status, due, and `overdue --check` for cron."""

import re
from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app, workspace
from sar.errors import UsageError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

_COLUMNS = [("ref", "ref"), ("org", "organisation"), ("kind", "kind"), ("status", "status"),
            ("due", "due"), ("when", "")]


def _workspace(as_of: str | None):
    if as_of is None:
        return workspace()
    from sar.cli.requests_cmd import parse_day

    return workspace(today=parse_day(as_of, "--as-of"))


def _days(value: str) -> int:
    """'14d', '2w', '14' -> days."""
    m = re.fullmatch(r"\s*(\d{1,4})\s*([dw]?)\s*", value.lower())
    if not m:
        raise UsageError(f"--within must be a number of days or weeks, such as 14d or 2w, "
                         f"not {value!r}")
    return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


def _rows(rows: list[dict], names: dict[str, str] | None = None) -> list[dict]:
    names = names or {}
    return [{**output.board_row(r), "org": names.get(r["org"], r["org"])} for r in rows]


LimitOpt = Annotated[int | None, typer.Option(
    "--limit", metavar="N", min=0, help="List at most N requests, the most urgent first.")]
AllOpt = Annotated[bool, typer.Option("--all", help="List every request.")]


@app.command(rich_help_panel="Tracking")
def status(
    status_: Annotated[str | None, typer.Option("--status", metavar="STATUS", help="Only requests with this status.")] = None,
    org: Annotated[str | None, typer.Option(metavar="SLUG", help="Only requests to this organisation.")] = None,
    kind: Annotated[str | None, typer.Option(metavar="KIND", help="Only requests of this kind.")] = None,
    as_of: Annotated[str | None, typer.Option(metavar="DATE", help="The board as it stood (or will stand) on this day.")] = None,
    limit: LimitOpt = None,
    all_: AllOpt = False,
    json_: JsonOpt = False,
) -> None:
    """The board: requests grouped by whose move it is, the most urgent first.

    Every group is counted, by status; the most urgent requests are listed (overdue
    first, then due soonest), 20 unless --limit N or --all says otherwise. --json
    gives every request.
    """
    from sar.core.board import SHOWN

    if all_ and limit is not None:
        raise UsageError("--all or --limit, not both")
    ws = _workspace(as_of)
    if json_:
        groups = ws.board(status=status_, org=org, kind=kind)
        output.emit_json({"as_of": ws.today.isoformat(), "groups": groups})
        return
    # Counted by SQLite; only the rows listed are read (every one with --all).
    board = ws.board_summary(status_, org, kind, None if all_ else SHOWN if limit is None
                             else limit)
    if not board["groups"]:
        typer.echo("No requests." if not (status_ or org or kind) else "No matching requests.")
        return
    listed = [r for g in board["groups"] for r in g["requests"]]
    names = output.org_names(ws, listed)
    every = _rows(listed, names)  # so that the groups' columns line up
    for i, g in enumerate(board["groups"]):
        if i:
            typer.echo("")
        _group(g, names, every)
    left = board["total"] - board["shown"]
    if left:
        typer.echo("")
        output.say(f"{left:,} of {board['total']:,} requests not listed; "
                   "`sar status --all` lists every one, `--limit N` the N most urgent.")


def _group(g: dict, names: dict[str, str], every: list[dict]) -> None:
    """One group of the board: its title and count, its count per status when it
    holds more than one, its listed rows and how many it leaves out."""
    typer.echo(output.heading(f"{g['title']} ({g['total']:,})"))
    if len(g["counts"]) > 1:
        output.say(" · ".join(f"{status} {n:,}" for status, n in g["counts"].items()),
                   indent="  ")
    output.table(_rows(g["requests"], names), _COLUMNS, align=every)
    hidden = g["total"] - len(g["requests"])
    if hidden:
        typer.echo(f"  … and {hidden:,} more")


@app.command(rich_help_panel="Tracking")
def due(
    within: Annotated[str, typer.Option(metavar="DAYS", help="How far ahead: 14d, 2w or 14.")] = "14d",
    as_of: Annotated[str | None, typer.Option(metavar="DATE", help="Count from this day instead of today.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Requests due within the next days (and those already overdue)."""
    days = _days(within)
    ws = _workspace(as_of)
    rows = ws.due(days)
    if json_:
        output.emit_json(rows)
    elif not rows:
        typer.echo(f"Nothing is due within {days} days.")
    else:
        output.table(_rows(rows, output.org_names(ws, rows)), _COLUMNS)


@app.command(rich_help_panel="Tracking")
def calendar(
    out: Annotated[str, typer.Option("--output", "-o", metavar="FILE", help="Where to write the .ics file (- for stdout).")],
    alarm: Annotated[int, typer.Option(metavar="DAYS", help="An alarm at 09:00 local time this many days before each date (0: none).")] = 3,
) -> None:
    """Every open deadline as an .ics calendar file.

    Stable event IDs: regenerate it from cron and re-import (or subscribe to it),
    and the events update instead of doubling.
    """
    from pathlib import Path

    if not 0 <= alarm <= 60:
        raise UsageError("--alarm must be between 0 and 60 days")
    ws = _workspace(None)
    from sar.calendar_export import build

    data = build(ws, alarm) if ws.home.db_path.exists() else _empty()
    if out == "-":
        typer.echo(data.decode(), nl=False)
        return
    path = Path(out).expanduser()
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder; name a file, e.g. "
                         f"{path / 'deadlines.ics'}")
    path = output.check_output_path(out)  # never one of the home's own files
    from sar.files import write_private

    write_private(path, data)
    n = data.count(b"BEGIN:VEVENT")
    typer.echo(f"{path}: {n} date{'' if n == 1 else 's'}")


def _empty() -> bytes:
    from icalendar import Calendar

    from sar.calendar_export import PRODID

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    return cal.to_ical()


@app.command(rich_help_panel="Tracking")
def export(
    format_: Annotated[str, typer.Option("--format", metavar="FORMAT", help="csv or json.")] = "json",
    what: Annotated[str, typer.Option(metavar="WHAT", help="requests (the board) or events (the whole log).")] = "requests",
    out: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (default: stdout).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="The same as --format json (the default).")] = False,
) -> None:
    """The requests, or every event of every request, as CSV or JSON."""

    from sar import export as ex

    format_ = "json" if json_ else format_
    if format_ not in ("csv", "json"):
        raise UsageError("--format must be csv or json")
    if what not in ("requests", "events"):
        raise UsageError("--what must be requests or events")
    if out is not None:
        output.check_output_path(out)  # before the work
    ws = _workspace(None)
    rows = ex.requests(ws) if what == "requests" else ex.events(ws)
    if format_ == "json":
        import json

        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    else:
        text = ex.as_csv(rows, ex.REQUEST_FIELDS if what == "requests" else ex.EVENT_FIELDS)
    output.deliver(text, out, f"{len(rows)} {what}")


@app.command(rich_help_panel="Tracking")
def remind(
    refs: Annotated[list[str] | None, typer.Argument(metavar="REF", help="Overdue requests to remind.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Every overdue request sent by email.")] = False,
    posted: Annotated[str | None, typer.Option(metavar="DATE", help="You printed and posted the reminder on DATE: record it; send nothing.")] = None,
    again: Annotated[bool, typer.Option("--again", help="Remind though a reminder went in the last week.")] = False,
    retry_unknown: Annotated[bool, typer.Option("--retry-unknown", help="Send again a reminder whose earlier attempt was interrupted.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send nothing.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Send the reminder letter for overdue requests.

    It gives the date and channel of the request, the deadline and the rule, whether
    a valid extension came, and a final date 14 days out, and warns that a
    complaint to the regulator follows. It goes as a reply to the original letter
    (so ticket systems file it on the same case), at most once, and records
    `reminded`. The other follow-ups go the same way: `sar send REF --follow-up
    id-reply|extension-challenge|incomplete`.
    """
    from sar.cli.requests_cmd import parse_day

    day = parse_day(posted, "--posted")
    ws = _workspace(None)
    output.run_batch(lambda progress: ws.remind(
        refs or [], overdue=overdue, dry_run=dry_run, retry_unknown=retry_unknown, again=again,
        posted=day, progress=progress),
        json_, "Nothing is overdue." if overdue else "Nothing to remind.",
        output.sent_line(ws, "reminder sent for"))


@app.command(rich_help_panel="Tracking")
def complain(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request to complain about.")],
    out: Annotated[str, typer.Option("--output", "-o", metavar="BUNDLE.zip", help="Where to write the evidence bundle.")],
    to: Annotated[str | None, typer.Option("--to", metavar="AUTHORITY", help="The supervisory authority's slug (default: ico for UK GDPR).")] = None,
    harm: Annotated[str | None, typer.Option(metavar="TEXT", help="How this affects you, in your words (goes in the letter).")] = None,
    without_reminder: Annotated[bool, typer.Option("--without-reminder", help="Complain about an overdue request that you have not reminded.")] = False,
    early: Annotated[str | None, typer.Option(metavar="REASON", help="UK: complain before the organisation's 30 days to acknowledge your s.164A complaint are over (or without one), and say why; the letter gives the reason.")] = None,
    any_authority: Annotated[bool, typer.Option("--any-authority", help="EU: complain to the authority named with --to though it is not of your country or the organisation's (Art. 77(1) GDPR), e.g. where you work.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Complain to the regulator, with an evidence bundle.

    Checks the prerequisites (overdue, refused or answered in part; reminded
    first; in the UK from 19 June 2026, a complaint to the organisation under DPA
    2018 s.164A whose 30 days to acknowledge it are over), drafts the complaint with a dated timeline and the specific failures,
    and writes a ZIP: the complaint, every letter and reply as the original bytes,
    the timeline, and SHA-256 hashes of every file. An EU complaint goes to the
    authority of your country (your Land's in Germany) or the organisation's, in
    its language (German, French; else English). Records `escalated`. sar sends
    nothing: the ICO wants complaints through its web form, with the ZIP attached.
    """
    from sar.complaint import complain as make

    result = make(_workspace(None), ref, out=out, authority=to, harm=harm,
                  without_reminder=without_reminder, early=early,
                  any_authority=any_authority)
    if json_:
        output.emit_json(result)
        return
    typer.echo(f"{result['ref']}  escalated: complaint to {result['authority_name']}")
    typer.echo(f"Bundle: {result['bundle']} ({len(result['files'])} files, "
               f"sha256 {result['sha256'][:16]}…)")
    for failure in result["failures"]:
        typer.echo(f"  - {failure}")
    for note in result["notes"]:
        typer.echo(f"Note: {note}", err=True)
    if result["send_to"]:
        typer.echo(f"Send it: {result['send_to']} (attach the ZIP; sar sends nothing)")


@app.command(rich_help_panel="Tracking")
def notify(
    email: Annotated[bool, typer.Option("--email", help="Also send the digest to your own address (through the configured transport).")] = False,
    json_: JsonOpt = False,
) -> None:
    """What became due or overdue, and which replies came, since the last run.

    One line each, nothing when there is no news: made for cron.
    """
    from sar import notify as n

    ws = _workspace(None)
    lines = [] if not ws.home.db_path.exists() else n.digest(ws)
    if json_:
        output.emit_json(lines)
    else:
        for line in lines:
            typer.echo(output.clean(line))
    if email and lines:
        n.email(ws, lines)


@app.command(rich_help_panel="Tracking")
def report(
    format_: Annotated[str | None, typer.Option("--format", metavar="FORMAT", help="table (on screen), md (with -o), csv or json.")] = None,
    out: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (default: stdout).")] = None,
    suppress_below: Annotated[int, typer.Option(metavar="N", help="Blank the rows counting fewer than N requests (for figures you publish).")] = 0,
    json_: Annotated[bool, typer.Option("--json", help="The same as --format json (every listing takes --json).")] = False,
) -> None:
    """How organisations answered your requests, in numbers.

    Per organisation and per kind of organisation: sent, bounced, acknowledged, ID
    demanded, extended, answered, on time, refused, overdue now, and the median and
    90th-percentile days to the first answer. On screen, tables that fit the terminal;
    --format md gives Markdown with the definitions.
    """

    from sar import report as rep

    format_ = "json" if json_ else format_ or ("md" if out is not None else "table")
    if format_ not in ("table", "md", "csv", "json"):
        raise UsageError("--format must be table, md, csv or json")
    if not 0 <= suppress_below <= 1000:
        raise UsageError("--suppress-below must be between 0 and 1000")
    if out is not None:
        output.check_output_path(out)  # before the work
    data = rep.build(_workspace(None), suppress_below)
    if format_ == "table" and out is None:
        from sar.cli.report_view import show

        show(data, output.is_terminal())
        return
    if format_ == "json":
        import json

        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif format_ == "csv":
        text = rep.as_csv(data)
    elif format_ == "md":
        text = rep.as_markdown(data)
    else:  # a table into a file: plain text, 80 columns
        from sar.cli.report_view import text_lines

        text = "\n".join(text_lines(data, 80)) + "\n"
    output.deliver(text, out, f"{data['by_organisation'][-1]['requests'] or 0} requests",
                   terminal_safe=format_ in ("md", "table"))
