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


@app.command()
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
    json_: JsonOpt = False,
) -> None:
    """Draft a request to one or more organisations."""
    created = workspace().new(kind, to, regime=regime, via=via, lang=lang, details=details,
                              again=again, scope=scope, ground=ground)
    for note in created.notes:
        typer.echo(f"Note: {note}", err=True)
    from sar.drafting import skip_lines

    for line in skip_lines(created.skipped):
        typer.echo(f"Skipped {line}", err=True)
    if json_:
        output.emit_json(list(created))
        return
    for c in created:
        typer.echo(f"{c['ref']}  {c['kind']} request to {c['org']} ({c['regime']}, by {c['channel']})")
    typer.echo(f"Next: read it with `sar letter {created[0]['ref']}`.")
    emails = " ".join(c["ref"] for c in created if c["channel"] == "email")
    if emails:
        typer.echo(f"  send the emails: `sar send {emails}`")
    for c in created:
        if c["channel"] == "post":
            typer.echo(f"  print and post {c['ref']}: `sar letter {c['ref']} -o "
                       f"{c['ref']}.docx`, then `sar post {c['ref']} --posted DATE`")


@app.command()
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


@app.command()
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
    json_: JsonOpt = False,
) -> None:
    """Send email drafts, at most once each.

    By default messages go into the Maildir outbox in your sar home; with
    mail.transport smtp, through your own mail account. Ctrl-C stops after the
    current message.
    """
    rate_ = output.parse_rate(rate)
    output.run_batch(lambda progress: workspace().send(
        refs or [], all_drafts=all_, retry_unknown=retry_unknown, dry_run=dry_run, rate=rate_,
        attachments=attach or [], progress=progress, confirm_sent=confirm_sent),
        json_, "Nothing to send.")


@app.command()
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


@app.command()
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


_TRUST = {"pass": "sender verified as the organisation (DKIM/DMARC)",
          "fail": "sender FAILED DKIM/DMARC",
          "unaligned": "sender passed DKIM/DMARC for another domain, not the organisation's",
          "unverified": "sender unverified"}

_COLUMNS = [("ref", "ref"), ("org", "organisation"), ("kind", "kind"), ("status", "status"),
            ("due", "due"), ("when", "")]


def _board(rows: list[dict], empty: str) -> None:
    if not rows:
        typer.echo(empty)
        return
    output.table([output.board_row(r) for r in rows], _COLUMNS)


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="Only requests with this status.")] = None,
    org: Annotated[str | None, typer.Option(metavar="SLUG", help="Only requests to this organisation.")] = None,
    kind: Annotated[str | None, typer.Option(metavar="KIND", help="Only requests of this kind.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List requests, due soonest first."""
    rows = workspace().list(status=status, org=org, kind=kind)
    if json_:
        output.emit_json(rows)
    else:
        _board(rows, "No requests." if not (status or org or kind) else "No matching requests.")


@app.command()
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


@app.command()
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
    s = workspace().show(ref)
    if json_:
        output.emit_json(s)
        return
    if markdown:
        from sar.export import markdown as as_markdown

        typer.echo(as_markdown(s), nl=False)
        return
    org = s["organisation"]
    typer.echo(f"{s['ref']}  {s['kind']} request to {org['name']} ({s['org']}) — "
               f"{s['regime']}, by {s['channel']}")
    due = f", due {s['due']}" if s["due"] else ""
    when = output.days_text(s["days_left"], s["status"]) if s["due"] else ""
    typer.echo(f"Status: {s['status']}{due}" + (f" ({when})" if when else ""))
    if s["explanation"]:
        typer.echo("\nDeadline")
        for line in s["explanation"]:
            typer.echo(f"  {line}")
        for w in s["warnings"]:
            typer.echo(f"  ! {w}")
    typer.echo("\nTimeline")
    for e in s["events"]:
        d = e["details"]
        if "label" in d and "message" in d:  # a reply: which message, how matched, which rule
            bits = [f"message #{d['message']}", f"matched by {d.get('matched_by')}",
                    f"rule {d.get('rule')}", _TRUST.get(d.get("trust"), ""),
                    *([f"not applied: {d['not_applied']}"] if d.get("not_applied") else [])]
            if e["kind"] != d["label"]:
                bits.insert(0, f"reads as {d['label']}")
        else:
            bits = [f"{k} {v}" for k, v in d.items() if k not in ("sha256",)]
        typer.echo(f"  {e['on']}  {e['kind']:<24} {e['source']:<7} {'; '.join(bits)}".rstrip())
    if s["later_events"]:
        n = s["later_events"]
        typer.echo(f"  ({n} later event{'s' if n > 1 else ''} not shown: today is "
                   "set to an earlier date)")
    if s["messages"]:
        typer.echo("\nLetters and messages")
        for m in s["messages"]:
            typer.echo(f"  {m['direction']:<3} {m['transport']:<8} {m['state']:<8} "
                       f"sha256:{(m['sha256'] or '')[:16]}  {output.clean(m['subject'])}")
            if m["direction"] == "in":
                typer.echo(f"      #{m['id']} from {output.clean(m['from']) or '(no sender)'}: "
                           f"{m['label']} — "
                           f"{m['reason']} [{m['rule']}]")
                if m["because"]:
                    typer.echo(f"      because: \u201c{output.clean(m['because'])}\u201d")
                typer.echo(f"      matched: {output.clean(m['match'])}; "
                           f"{_TRUST.get(m['trust'], '')}"
                           + (f"; waits in `sar inbox` ({m['needs']})" if m["needs"] else ""))
    if s.get("attachments"):
        typer.echo(f"\nAttachments (`sar attachments {s['ref']} --save DIR` writes them out)")
        for a in s["attachments"]:
            typer.echo(f"  #{a['message']}  {output.clean(a['name'])}  "
                       f"{output.clean(a['content_type'] or '')}  {a['size']:,} bytes  "
                       f"sha256:{a['sha256'][:16]}")
    if s.get("review"):
        typer.echo(f"\n{s['review']['text'].capitalize()} (`sar review {s['ref']}`)")
    if s.get("s164a"):
        typer.echo(f"\n{s['s164a']['text'][0].upper()}{s['s164a']['text'][1:]}")
    if s["next"]:
        typer.echo(f"\nNext: {s['next']}")
