"""Requests: new, letter, send, post, mark, list, show, overdue."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app, workspace
from sar.errors import UsageError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def parse_day(value: str | None, what: str):
    if value is None:
        return None
    from sar.core.dates import parse_date

    try:
        return parse_date(value)
    except ValueError as e:
        raise UsageError(f"{what}: {e}") from None


@app.command(rich_help_panel="Requests")
def new(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="access, erasure, objection, rectification, "
                                             "restriction or portability.")],
    to: Annotated[list[str], typer.Option(
        "--to", metavar="SLUG", help="An organisation's slug, or @GROUP such as @uk-parties "
                                     "(repeatable).")],
    regime: Annotated[str | None, typer.Option(metavar="REGIME", help="uk-gdpr, eu-gdpr or ccpa (default: the "
                                                    "organisation's, else your home's).")] = None,
    via: Annotated[str | None, typer.Option(metavar="CHANNEL", help="email or post (default: email when known).")] = None,
    lang: Annotated[str | None, typer.Option(metavar="LANG", help="Letter language (default en).")] = None,
    details: Annotated[str | None, typer.Option(
        metavar="TEXT", help="What the letter needs beyond your profile: for rectification, what is wrong; "
             "for objection or restriction, your reasons.")] = None,
    again: Annotated[bool, typer.Option("--again", help="Draft even if an open request of this kind exists.")] = False,
    scope: Annotated[str | None, typer.Option(
        metavar="SCOPE", help="Erasure: marketing (default for credit reference "
                              "agencies and brokers) or all.")] = None,
    ground: Annotated[str | None, typer.Option(
        metavar="GROUND", help="Restriction: accuracy, unlawful, legal-claims or objection "
                               "(Article 18(1)(a)-(d)).")] = None,
    california_resident: Annotated[bool, typer.Option(
        "--california-resident", help="CCPA: you are a California resident although your "
                                      "address is elsewhere (drafting is refused otherwise).")] = False,
    json_: JsonOpt = False,
) -> None:
    """Draft a request to one or more organisations."""
    created = workspace().new(kind, to, regime=regime, via=via, lang=lang, details=details,
                              again=again, scope=scope, ground=ground,
                              california_resident=california_resident)
    for note in created.notes:
        typer.echo(f"Note: {note}", err=True)
    from sar.drafting import skip_lines

    for line in skip_lines(created.skipped):
        typer.echo(f"Skipped {line}", err=True)
    if json_:
        output.emit_json(list(created))
        return
    from sar.cli.show_view import REGIMES

    names = output.org_names(workspace(), list(created))
    for c in created:
        output.say(f"{c['ref']}  {c['kind']} request to {names.get(c['org'], c['org'])} "
                   f"({REGIMES.get(c['regime'], c['regime'])}, by {c['channel']})", hang=" " * 11)
    output.say(f"Next: read it with `sar letter {created[0]['ref']}`.")
    emails = [c["ref"] for c in created if c["channel"] == "email"]
    if emails:
        output.say(f"send {'it' if len(emails) == 1 else 'them'} by email: "
                   f"`sar send {' '.join(emails)}`", indent="  ", hang="    ")
    for c in created:
        if c["channel"] == "post":
            output.say(f"print and post {c['ref']}: `sar letter {c['ref']} -o "
                       f"{c['ref']}.docx`, then `sar post {c['ref']} --posted DATE`",
                       indent="  ", hang="    ")


@app.command(rich_help_panel="Requests")
def letter(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request's reference, e.g. SAR-7K2QX.")],
    format_: Annotated[str | None, typer.Option(
        "--format", "-f", metavar="FORMAT",
        help="text, eml or docx (default: from the -o file's extension, else text).")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--output", metavar="PATH", help="Write to this file.")] = None,
    follow_up: Annotated[str | None, typer.Option(
        "--follow-up", metavar="KIND",
        help="A follow-up letter instead, dated today: reminder, id-reply, "
             "extension-challenge or incomplete (asks for what `sar review` found missing).")] = None,
    details: Annotated[str | None, typer.Option(
        metavar="TEXT", help="For --follow-up id-reply: what you offer to prove who you are.")] = None,
    preview: Annotated[bool, typer.Option(
        "--preview", help="Show what the organisation will read (for an email: its To, "
                          "Subject and body), paged in a terminal.")] = False,
) -> None:
    """Print or save a request's letter.

    A sent email comes back exactly as it was sent.
    """
    if preview:
        if format_ or out:
            raise UsageError("--preview shows the letter; it takes no --format or -o")
        text = workspace().preview(ref, follow_up=follow_up, offered=details)
        if sys.stdout.isatty():
            typer.echo_via_pager(text)
        else:
            typer.echo(text, nl=False)
        return
    if format_ is None:
        suffix = out.suffix.lower() if out else ""
        formats = {"": "text", ".txt": "text", ".text": "text", ".docx": "docx", ".eml": "eml"}
        if suffix not in formats:
            raise UsageError(f"cannot tell a format from {out.name}: name it .txt, .docx or "
                             ".eml, or give --format")
        format_ = formats[suffix]
    if format_ == "docx" and out is None and sys.stdout.isatty():
        raise UsageError("a DOCX file is binary: save it with -o FILE.docx")
    if out is not None:
        out = output.check_output_path(str(out))  # before the work; never the home's files
    data = workspace().letter(ref, format_, follow_up=follow_up, offered=details)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from sar.files import write_private

    write_private(out, data)
    typer.echo(f"Wrote {out}", err=True)


@app.command(rich_help_panel="Mail")
def send(
    refs: Annotated[list[str] | None, typer.Argument(metavar="REF", help="References to send.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Send every email draft.")] = False,
    retry_unknown: Annotated[bool, typer.Option(
        "--retry-unknown", help="Send again a letter whose earlier attempt was interrupted "
                                "and may or may not have gone.")] = False,
    rate: Annotated[str | None, typer.Option(
        metavar="N/UNIT", help="At most this many messages, e.g. 30/min (your provider's "
                               "limit).")] = None,
    attach: Annotated[list[Path] | None, typer.Option(
        "--attach", metavar="FILE", help="Attach this file, e.g. a proof of identity you "
                                         "chose to send (repeatable; named requests only).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send "
                                                            "nothing.")] = False,
    confirm_sent: Annotated[bool, typer.Option(
        "--confirm-sent", help="A letter whose sending was interrupted did go (you found it "
                               "in your Sent folder): record it as sent; send nothing.")] = False,
    follow_up: Annotated[str | None, typer.Option(
        "--follow-up", metavar="KIND",
        help="Send a follow-up letter instead, on the request's thread: id-reply, "
             "extension-challenge or incomplete (reminder: as `sar remind`).")] = None,
    details: Annotated[str | None, typer.Option(
        metavar="TEXT", help="For --follow-up id-reply: what you offer to prove who you are.")] = None,
    again: Annotated[bool, typer.Option(
        "--again", help="With --follow-up: send it though the same one went already.")] = False,
    posted: Annotated[str | None, typer.Option(
        metavar="DATE", help="With --follow-up: you printed and posted it on DATE: record it; "
                             "send nothing.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Send email drafts, at most once each.

    By default messages go into the Maildir outbox in your sar home; with
    mail.transport smtp, through your own mail account. Ctrl-C stops after the
    current message.

    With --follow-up KIND, the follow-up letter `sar letter REF --follow-up KIND`
    shows goes instead, as a reply to the original letter, once (recorded as
    `followed-up`).
    """
    rate_ = output.parse_rate(rate)
    ws = workspace()
    if follow_up is None:
        if details or again or posted:
            raise UsageError("--details, --again and --posted go with --follow-up KIND")
        output.run_batch(lambda progress: ws.send(
            refs or [], all_drafts=all_, retry_unknown=retry_unknown, dry_run=dry_run,
            rate=rate_, attachments=attach or [], progress=progress,
            confirm_sent=confirm_sent), json_, "Nothing to send.", output.sent_line(ws))
        return
    if all_ or rate_ or confirm_sent:
        raise UsageError("--follow-up goes with named requests, without --all, --rate or "
                         "--confirm-sent")
    day = parse_day(posted, "--posted")
    output.run_batch(lambda progress: ws.sending.follow_up(
        refs or [], follow_up, offered=details, dry_run=dry_run, retry_unknown=retry_unknown,
        again=again, posted=day, attachments=attach or [], progress=progress),
        json_, "Nothing to send.", output.sent_line(ws))


@app.command(rich_help_panel="Requests")
def post(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request's reference.")],
    posted: Annotated[str | None, typer.Option(metavar="DATE", help="The date you posted it, YYYY-MM-DD.")] = None,
    method: Annotated[str | None, typer.Option(
        metavar="METHOD", help="first-class, second-class or signed-for (default first-class).")] = None,
    delivered: Annotated[str | None, typer.Option(metavar="DATE", help="The tracked delivery date, if known.")] = None,
    tracking: Annotated[str | None, typer.Option(metavar="NUMBER", help="The tracking number, if any.")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", metavar="PATH", help="The file you printed, kept as the evidence of what "
                                       "was posted (default: the letter as sar renders it).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Record a letter you posted.

    Print it first with `sar letter REF -o letter.docx`.
    """
    shown = workspace().post(ref, posted=parse_day(posted, "--posted"), method=method,
                             delivered=parse_day(delivered, "--delivered"), tracking=tracking,
                             printed=file)
    if json_:
        output.emit_json(shown)
    else:
        typer.echo(f"{shown['ref']}  {shown['status']}, due {shown['due']}")


@app.command(rich_help_panel="Requests")
def mark(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request's reference.")],
    event: Annotated[str, typer.Argument(metavar="EVENT", help="acknowledged, id-requested, id-provided, "
                                              "clarification-requested, clarification-provided, "
                                              "fee-requested, fee-paid, extended, fulfilled, "
                                              "partially-fulfilled, no-data-held, refused, "
                                              "bounced, withdrawn or note.")],
    on: Annotated[str | None, typer.Option(metavar="DATE", help="When it happened, YYYY-MM-DD (default today).")] = None,
    note: Annotated[str | None, typer.Option(metavar="TEXT", help="A note to keep with the event.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Record what happened to a request.

    A reply, an ID request, an extension, an answer.
    """
    result = workspace().mark(ref, event, parse_day(on, "--on"), note)
    if json_:
        output.emit_json(result)
        return
    typer.echo(f"{result['ref']}  {result['status']}" +
               (f", due {result['due']}" if result["due"] else ""))
    for w in result["warnings"]:
        typer.echo(f"Warning: {w}", err=True)


_COLUMNS = [("ref", "ref"), ("org", "organisation"), ("kind", "kind"), ("status", "status"),
            ("due", "due"), ("when", "")]


def _board(rows: list[dict], empty: str, total: int | None = None) -> None:
    """Rows as a table with organisations' names; `total` the count before --limit."""
    if not rows:
        typer.echo(empty if not total else f"{total:,} requests; none listed (--limit 0)")
        return
    names = output.org_names(workspace(), rows)
    output.table([{**output.board_row(r), "org": names.get(r["org"], r["org"])}
                  for r in rows], _COLUMNS)
    if total is not None and total > len(rows):
        typer.echo(f"{total - len(rows):,} of {total:,} requests not listed (--limit {len(rows)})")


@app.command("list", rich_help_panel="Requests")
def list_(
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="Only requests with this status.")] = None,
    org: Annotated[str | None, typer.Option(metavar="SLUG", help="Only requests to this organisation.")] = None,
    kind: Annotated[str | None, typer.Option(metavar="KIND", help="Only requests of this kind.")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", metavar="N", min=0, help="Only the first N (with --json too).")] = None,
    json_: JsonOpt = False,
) -> None:
    """List requests, due soonest first."""
    ws = workspace()
    if json_:  # only the rows asked for are read
        output.emit_json(ws.list(status=status, org=org, kind=kind, limit=limit))
        return
    rows = ws.list(status=status, org=org, kind=kind, limit=limit)
    # With --limit, how many there are is counted by SQLite, not read.
    total = len(rows) if limit is None else ws.queries.counts(org, kind, status=status)["total"]
    _board(rows, "No requests." if not (status or org or kind) else "No matching requests.",
           total)


@app.command(rich_help_panel="Tracking")
def overdue(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when anything is overdue (for cron and systemd timers).")] = False,
    json_: JsonOpt = False,
) -> None:
    """Requests past their deadline.

    Those whose statutory deadline has passed without an answer. With --check the
    exit status says whether there are any: 0 none, 1 some.
    """
    rows = workspace().overdue()
    if json_:
        output.emit_json(rows)
    else:
        _board(rows, "Nothing is overdue.")
    if check and rows:
        raise typer.Exit(1)


@app.command(rich_help_panel="Requests")
def show(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request's reference.")],
    markdown: Annotated[bool, typer.Option("--markdown", help="A case file in Markdown.")] = False,
    json_: JsonOpt = False,
) -> None:
    """The whole story of one request.

    The deadline and why, the timeline, the letters and the next step.
    """
    if json_ and markdown:
        raise UsageError("--json or --markdown, not both")
    ws = workspace()
    s = ws.show(ref)
    if json_:
        output.emit_json(s)
        return
    if markdown:
        from sar.export import markdown as as_markdown

        name = (ws.config.get("profile") or {}).get("name")  # the case file names who asked
        typer.echo(as_markdown(s, name), nl=False)
        return
    from sar.cli import show_view

    show_view.render(s)
