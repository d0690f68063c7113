"""`sar campaign`: many participants, many organisations (sar.campaign)."""

from pathlib import Path
from typing import Annotated

import typer

from sar.cli import output
from sar.cli.helptext import PanelGroup
from sar.cli.root import app, workspace
from sar.errors import UsageError

campaign_app = typer.Typer(cls=PanelGroup,
    help="Campaigns: many participants, many organisations.\n\nTheir consent and "
         "mandates, bulk follow-up, an honest report, and purge.",
    no_args_is_help=True, rich_markup_mode=None)
app.add_typer(campaign_app, name="campaign", rich_help_panel="Campaigns")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The campaign.")]


def _campaigns():
    from sar.campaign import Campaigns

    return Campaigns(workspace())


def _say(data: dict, json_: bool, line: str) -> None:
    if json_:
        output.emit_json(data)
    else:
        typer.echo(line)


@campaign_app.command("new")
def new(
    name: NameArg,
    to: Annotated[list[str], typer.Option("--to", metavar="SLUG|@GROUP", help="An organisation or @group (repeatable).")],
    kind: Annotated[list[str], typer.Option("--kind", metavar="KIND", help="A request kind: access, erasure, ... (repeatable).")],
    mode: Annotated[str, typer.Option(metavar="MODE", help="self: participants send their own letters; agent: the campaign sends for them.")] = "self",
    sender: Annotated[str | None, typer.Option("--from", metavar="EMAIL", help="The campaign's own mailbox (needed for agent mode and invitations).")] = None,
    display: Annotated[str | None, typer.Option("--name", metavar="TEXT", help="The campaign's name as letters show it (default: NAME).")] = None,
    replies: Annotated[str, typer.Option(metavar="WHO", help="Agent mode: where organisations answer, participant (default) or campaign.")] = "participant",
    retain_until: Annotated[str | None, typer.Option(metavar="DATE", help="Delete participants' data from this day (default: a year from today).")] = None,
    consent: Annotated[Path | None, typer.Option(metavar="FILE", help="The consent text participants agree to (default: sar's own).")] = None,
    consent_version: Annotated[str, typer.Option(metavar="V", help="Its version, recorded with each consent.")] = "1",
    templates: Annotated[Path | None, typer.Option(metavar="DIR", help="The campaign's own letter templates (letters/LANG/gdpr/KIND.j2), checked now.")] = None,
    lang: Annotated[str | None, typer.Option(metavar="LANG", help="Letter language (default: each organisation's own, else English).")] = None,
    regime: Annotated[str | None, typer.Option(metavar="REGIME", help="The law (default: each organisation's).")] = None,
    repeat_days: Annotated[int, typer.Option(metavar="N", help="Never send the same person the same kind of request to the same organisation twice within N days.")] = 30,
    json_: JsonOpt = False,
) -> None:
    """Create a campaign: its organisations, request kinds, sending mode and retention."""
    from sar.cli.requests_cmd import parse_day

    c = _campaigns().new(name, to, kind, mode=mode, replies=replies, sender=sender,
                         sender_name=display, retain_until=parse_day(retain_until,
                                                                     "--retain-until"),
                         consent=consent, consent_version=consent_version,
                         templates=templates, lang=lang, regime=regime,
                         repeat_days=repeat_days)
    skipped = f"; skipped (no email known): {', '.join(c['skipped'])}" if c["skipped"] else ""
    _say(c, json_, f"Campaign {c['name']}: {len(c['orgs'])} organisations × "
                   f"{', '.join(c['kinds'])}, {c['mode']} mode, kept until "
                   f"{c['retain_until']}{skipped}.\n"
                   f"Next: sar campaign import {c['name']} participants.csv")


@campaign_app.command("import")
def import_(
    name: NameArg,
    csv_file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="Columns name, email, address; optional date_of_birth, previous_addresses, consented_at, consent_version.")],
    skip_existing: Annotated[bool, typer.Option("--skip-existing", help="Leave out people already in the campaign (a growing sign-up export read again).")] = False,
    json_: JsonOpt = False,
) -> None:
    """Add participants from a CSV file: checked whole, all of them or none."""
    r = _campaigns().import_csv(name, csv_file, skip_existing=skip_existing)
    ignored = (f" Ignored columns (not stored): {', '.join(r['ignored_columns'])}."
               if r["ignored_columns"] else "")
    already = f" {r['already']} already in it were left out." if r["already"] else ""
    _say(r, json_, f"{r['imported']} participants imported into {r['campaign']}, "
                   f"{r['with_consent']} with consent recorded.{already}{ignored}")


@campaign_app.command()
def invite(
    name: NameArg,
    again: Annotated[bool, typer.Option("--again", help="Invite again those invited before (a new code each).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, send nothing.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Mail each participant a code to confirm their address and consent.

    For an agent campaign the code also signs their letter of authority.
    """
    progress = None if json_ or dry_run else output.progress_bar("inviting")
    try:
        r = _campaigns().invite(name, again=again, dry_run=dry_run, progress=progress)
    finally:
        if progress:
            progress.close()
    line = (f"{r['would_invite']} participants would be invited." if dry_run else
            f"{r['invited']} participants of {r['campaign']} invited.")
    if r.get("failed"):
        line += (f" Not delivered, to try again later: {len(r['failed'])} "
                 f"({', '.join(r['failed'][:10])}{' …' if len(r['failed']) > 10 else ''}).")
    _say(r, json_, line)
    if r.get("failed"):
        raise typer.Exit(1)


@campaign_app.command()
def confirm(
    name: NameArg,
    codes: Annotated[list[str] | None, typer.Argument(metavar="CODE", help="Codes participants returned.")] = None,
    codes_file: Annotated[Path | None, typer.Option("--codes", metavar="FILE", help="A file with one code per line.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Record the codes participants sent back."""
    all_codes = list(codes or [])
    if codes_file is not None:
        try:
            all_codes += [c for c in codes_file.read_text("utf-8").split() if c.strip()]
        except UnicodeDecodeError:
            raise UsageError(f"{codes_file} is not UTF-8 text") from None
    r = _campaigns().confirm(name, all_codes)
    _say(r, json_, f"{r['confirmed']} participants confirmed"
                   + (f" ({r['already']} already were)" if r["already"] else "") + ".")
    if r["unknown"] and not json_:
        shown = ", ".join(repr(c) for c in r["unknown"][:10])
        typer.echo(f"Warning: {len(r['unknown'])} codes match no invited participant and "
                   f"were not recorded: {shown}{' …' if len(r['unknown']) > 10 else ''}",
                   err=True)


@campaign_app.command()
def send(
    name: NameArg,
    ready_only: Annotated[bool, typer.Option("--ready-only", help="Send for those ready, though others are not yet.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, send nothing.")] = False,
    rate: Annotated[str | None, typer.Option(metavar="N/UNIT", help="At most this many messages, e.g. 30/min (as for `sar send`).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Draft and send every request the campaign owes.

    In agent mode sar sends them; in self mode it writes each participant's letters
    for them to send.
    """
    per_second = output.parse_rate(rate)
    progress = None if json_ else output.progress_bar()
    try:
        r = _campaigns().send(name, ready_only=ready_only, dry_run=dry_run, rate=per_second,
                              progress=progress)
    finally:
        if progress:
            progress.close()
    if json_:
        output.emit_json(r)
    elif dry_run:
        typer.echo(f"{r['ready']} of {r['participants']} participants ready; "
                   f"{r['drafts']} drafts waiting.")
    else:
        parts = [f"{r['drafted']} requests drafted"]
        if r.get("rate_limited"):
            parts.append(f"{r['rate_limited']} not drafted (the same request to the same "
                         "organisation lately)")
        if r["mode"] == "self":
            parts.append(f"{r['handed_out']} letters written for participants to send "
                         f"(in campaigns/{r['campaign']}/letters/)")
        else:
            parts += [f"{n} {status}" for status, n in sorted(r.items())
                      if status in ("sent", "failed", "unknown", "skipped")]
        typer.echo("; ".join(parts) + ".")
    if r.get("interrupted"):
        output.interrupted(r.get("sent", 0))
    if r.get("failed") or r.get("unknown"):
        raise typer.Exit(1)


@campaign_app.command()
def remind(name: NameArg, json_: JsonOpt = False) -> None:
    """A reminder for every overdue request of the campaign, each on its own thread."""
    with output.shown_progress("reminding", off=json_) as progress:
        r = _campaigns().remind(name, progress=progress)
    if "handed_out" in r:
        line = f"{r['handed_out']} reminders written for participants to send."
    else:
        line = "; ".join(f"{n} {s}" for s, n in sorted(r.items()) if s != "campaign") \
            or "Nothing is overdue."
    _say(r, json_, line)
    if r.get("failed") or r.get("unknown"):
        raise typer.Exit(1)


@campaign_app.command()
def complain(
    name: NameArg,
    out: Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="Write one REF.zip bundle per request here.")],
    to: Annotated[str | None, typer.Option("--to", metavar="SLUG", help="The supervisory authority (default: the obvious one).")] = None,
    json_: JsonOpt = False,
) -> None:
    """A complaint bundle for every request still unanswered after its reminder."""
    r = _campaigns().complain(name, out, to=to)
    lines = [f"{len(r['bundles'])} complaint bundles written to {r['folder']}."]
    lines += [f"  {n} not yet: {why}" for why, n in r["not_yet"].items()]
    _say(r, json_, "\n".join(lines))


@campaign_app.command()
def report(
    name: NameArg,
    format_: Annotated[str, typer.Option("--format", metavar="FORMAT", help="md, csv, html or json.")] = "md",
    out: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (default: stdout).")] = None,
    suppress_below: Annotated[int, typer.Option(metavar="N", help="Blank groups of fewer than N requests (default 5).")] = 5,
) -> None:
    """How the organisations answered, from pseudonymous rows only; small cells blank."""
    from sar.campaign.reporting import campaign_report, render

    if format_ not in ("md", "csv", "html", "json"):
        raise UsageError("--format must be md, csv, html or json")
    if not 0 <= suppress_below <= 1000:
        raise UsageError("--suppress-below must be between 0 and 1000")
    if out is not None:
        output.check_output_path(out)  # before the work
    data = campaign_report(_campaigns(), name, suppress_below)
    total = data["by_organisation"][-1]["requests"]
    output.deliver(render(data, format_), out,
                   f"{total} requests" if total is not None else "written (all blanked)",
                   terminal_safe=format_ == "md")


@campaign_app.command()
def review(
    name: NameArg,
    again: Annotated[bool, typer.Option("--again", help="Review answers already reviewed, too (your overrulings stay).")] = False,
    json_: JsonOpt = False,
) -> None:
    """Read every answer of the campaign against Art. 15 (`sar review`), for the report."""
    from sar.campaign.answers import review_all

    with output.shown_progress("reviewing", off=json_) as progress:
        r = review_all(_campaigns(), name, again=again, progress=progress)
    _say(r, json_, f"{r['reviewed']} answers reviewed, {r['already']} already were, "
                   f"{r['nothing_to_read']} with nothing to read.")


@campaign_app.command()
def purge(
    name: NameArg,
    force: Annotated[bool, typer.Option("--force", help="Purge before the retention date.")] = False,
    participant: Annotated[str | None, typer.Option(metavar="EMAIL|PSEUDONYM", help="Purge one participant only (their erasure request).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Delete participants' personal data; keep the figures; print a receipt.

    Identities, mandates, letters and replies go; the pseudonymous figures stay.
    """
    from sar.campaign.purge import purge as run

    r = run(_campaigns(), name, force=force, participant=participant)
    if json_:
        output.emit_json(r)
        return
    typer.echo(f"Purged {r['campaign']} ({r['scope']}) at {r['purged_at']}:")
    for key in ("identities_deleted", "messages_emptied", "evidence_files_deleted",
                "outbox_files_deleted", "handed_out_files_deleted"):
        typer.echo(f"  {key.replace('_', ' ')}: {r[key]}")
    kept = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in r["kept"].items())
    typer.echo(f"  kept (pseudonymous): {kept}")


@campaign_app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """Every campaign in this home."""
    rows = _campaigns().list()
    if json_:
        output.emit_json(rows)
        return
    if not rows:
        typer.echo("No campaigns (`sar campaign new`).")
        return
    output.table(rows, [("name", "name"), ("mode", "mode"), ("orgs", "orgs"),
                        ("kinds", "kinds"), ("participants", "participants"),
                        ("ready", "ready"), ("requests", "requests"),
                        ("retain_until", "kept until"), ("purged", "purged")])


@campaign_app.command()
def status(name: NameArg, json_: JsonOpt = False) -> None:
    """Participants (consent, confirmation, mandates) and requests by status."""
    r = _campaigns().status(name)
    if json_:
        output.emit_json(r)
        return
    p = r["participants"]
    typer.echo(f"{r['campaign']}: {r['mode']} mode, {len(r['organisations'])} organisations, "
               f"{', '.join(r['kinds'])}; kept until {r['retain_until']}"
               + (f"; purged {r['purged_at']}" if r["purged_at"] else ""))
    typer.echo(f"Participants: {p['total']} ({p['consented']} consented, {p['invited']} "
               f"invited, {p['confirmed']} confirmed, {p['mandates']} mandates, "
               f"{p['purged']} purged)")
    typer.echo("Requests: " + (", ".join(f"{n} {s}" for s, n in r["requests"].items())
                               or "none yet"))
