"""`sar complain`: a complaint to the regulator, with an evidence bundle.

The prerequisites are the regulator's (legal.md §4.4; ICO, "Data protection
complaints - what to expect"): the request went unanswered past its deadline (or
was refused, or answered only in part), and the organisation was reminded first.
The ICO also expects a complaint within three months of the last meaningful contact
with the organisation; later complaints are not refused by sar — the requester may
have good reasons — but the letter and the output say so.

The bundle is a ZIP: the complaint (text and DOCX), every letter sent and every
reply received as the original bytes from the evidence store, the timeline (Markdown
and CSV), and a manifest of SHA-256 hashes (manifest.json, and SHA256SUMS for
`sha256sum -c`), so nothing in it can be altered unnoticed. Every name inside it is
made by sar, never taken from a message, so no entry can escape the folder it is
unpacked in.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from sar.core import authorities, followups, lifecycle, s164a
from sar.core.dates import add_months
from sar.core.lifecycle import Event
from sar.errors import ProfileMissingError, UsageError

# The complaint's addressee line, in the language it is written in.
ADDRESSEE = {"en": "Complaints", "de": "Beschwerdestelle", "fr": "Service des plaintes"}
ICO_WINDOW_MONTHS = 3   # ICO: complain within three months of the last contact [S29]
# The regulator of a law with one: UK GDPR, the ICO (DPA 2018 s.165); CCPA, the
# California Privacy Protection Agency (Cal. Civ. Code 1798.199.45), with the Attorney
# General (1798.199.90, `--to ca-attorney-general`) as the other route. EU GDPR has
# one per Member State (Art. 77), found from the requester's calendar.
REGULATOR = {"uk-gdpr": "ico", "ccpa": "cppa"}

_WORDS = {
    "sent": "I sent my request by email",
    "posted": "I posted my request",
    "delivered": "my letter was delivered",
    "acknowledged": "they acknowledged the request",
    "id-requested": "they asked me to prove my identity",
    "id-provided": "I provided proof of identity",
    "clarification-requested": "they asked me to clarify my request",
    "clarification-provided": "I clarified my request",
    "fee-requested": "they asked for a fee",
    "fee-paid": "I paid the fee",
    "extended": "they said they were extending the time to respond",
    "fulfilled": "they said they had answered in full",
    "partially-fulfilled": "they answered in part",
    "no-data-held": "they said they held no data about me",
    "refused": "they refused the request",
    "bounced": "my request bounced",
    "reply-received": "a reply came",
    "reminded": "I sent a reminder",
    "escalated": "I complained to the regulator",
    "complained": "I complained to them (section 164A of the Data Protection Act 2018)",
    "complaint-acknowledged": "they acknowledged my complaint",
    "withdrawn": "I withdrew the request",
}
# A `followed-up` event, by the follow-up it was.
_FOLLOW_UP_WORDS = {"id-reply": "I answered their request for proof of identity",
                    "extension-challenge": "I challenged their extension",
                    "incomplete": "I wrote that their answer was incomplete"}


def authority_for(ws, row: dict, slug: str | None, any_authority: bool = False):
    """The supervisory authority: named, or the one for the requester's country (the
    organisation's when that gives none); an EU one is checked against Art. 77(1)."""
    from sar.errors import NotFoundError

    residence, land = _residence(ws) if row["regime"] == "eu-gdpr" else (None, None)
    where = (ws.queries.org_record(row).get("country") or "").upper() or None
    if slug is None:
        slug = REGULATOR.get(row["regime"]) or _chosen(ws, residence, land, where)
    try:
        org = ws.directory.get(slug)
    except NotFoundError as e:
        raise UsageError(str(e)) from None
    if org.kind != "supervisory-authority":
        raise UsageError(f"{org.slug} is not a supervisory authority (it is "
                         f"{org.kind or 'an organisation'}): see `sar orgs list --kind "
                         "supervisory-authority`")
    if org.regime and org.regime != row["regime"]:
        # UK GDPR complaints go to the ICO; EU GDPR ones to an EU authority (Art. 77).
        raise UsageError(f"{org.slug} oversees {org.regime}, and {row['ref']} was made under "
                         f"{row['regime']}: name an authority for that law")
    if row["regime"] == "eu-gdpr" and not any_authority and not authorities.is_competent(
            org.country, residence, where):
        # Art. 77(1) GDPR: residence, place of work or place of the infringement.
        raise UsageError(
            f"{org.slug} ({org.country}) is not competent under Art. 77(1) GDPR: you live "
            f"in {residence or '?'} and {row['org_slug']} is in {where or '?'}; name an "
            "authority of one of those countries with --to, or --any-authority (e.g. "
            "where you work)")
    return org


def _residence(ws) -> tuple[str | None, str | None]:
    """The requester's country and region, from the profile's calendar (DE-BY)."""
    try:
        calendar = ws.profile().calendar or ""
    except ProfileMissingError:  # a campaign's participants: no profile, so no country known
        return None, None
    country, _, region = calendar.upper().partition("-")
    return country or None, region or None


def _chosen(ws, residence, land, where) -> str:
    """The authority of the requester's country (their Land's, in Germany), else the
    organisation's (Art. 77(1); Art. 56 lead authority)."""
    if residence == "DE" and land in authorities.GERMAN_LAND:
        return authorities.GERMAN_LAND[land]
    every = [o for o in ws.directory.all() if o.kind == "supervisory-authority"]
    for country in (residence, where):
        found = [o for o in every if country and o.country == country]
        if len(found) == 1:
            return found[0].slug
    raise UsageError("name the supervisory authority with --to SLUG (`sar orgs list --kind "
                     "supervisory-authority`): for this request it is not obvious which one")


def complaint_lang(org, regime: str) -> str:
    """The authority's own language where sar has a complaint in it (de, fr), else
    English (the ICO, and every authority without a template)."""
    return org.lang if regime == "eu-gdpr" and org.lang in ("de", "fr") else "en"


def _failures(ws, row, events, assessment) -> list[str]:
    dl = assessment.deadline
    out = []
    answers = [e for e in events if e.kind in lifecycle.ANSWERS]
    replies = [e for e in events if e.kind in (*lifecycle.ANSWERS, "acknowledged",
                                               "id-requested", "clarification-requested",
                                               "extended", "reply-received")]
    if assessment.status == "overdue":
        out.append(f"They did not answer by the deadline of {dl.due:%-d %B %Y}: "
                   f"{assessment.overdue_days} days have passed since.")
    if not replies:
        out.append("They have not replied at all: not even to acknowledge the request.")
    for w in (dl.warnings if dl else []):
        if "extension" in w:
            out.append(f"Their extension was not valid: {w}")
    for e in answers:
        if e.kind == "refused":
            out.append(f"They refused the request on {e.on:%-d %B %Y}.")
        elif e.kind == "partially-fulfilled":
            out.append(f"On {e.on:%-d %B %Y} they answered only in part; the rest is "
                       "still owed.")
    for e in events:
        if e.kind == "id-requested":
            out.append(f"On {e.on:%-d %B %Y} they asked me to prove my identity. My request "
                       "already gave what they needed to find my data; I ask you to judge "
                       "whether this demand was proportionate (Article 12(6)).")
    for i, e in enumerate(events):
        if e.kind == "followed-up" and e.details.get("follow_up") == "incomplete" and not any(
                x.kind in lifecycle.ANSWERS for x in events[i + 1:]):
            out.append(f"On {e.on:%-d %B %Y} I wrote that their answer was incomplete and "
                       "asked for the rest; they have not sent it.")
    reminders = [e for e in events if e.kind == "reminded"]
    if reminders:
        out.append(f"I reminded them on {reminders[-1].on:%-d %B %Y}; they have not put "
                   "it right.")
    return out


def _timeline(events) -> list[dict]:
    out = []
    for e in events:
        if e.kind in ("drafted", "redrafted", "note"):
            continue
        what = _WORDS.get(e.kind, e.kind)
        label = e.details.get("label")
        if e.kind == "reply-received" and label:
            what = f"a reply came ({label})"
        if e.kind == "followed-up":
            what = _FOLLOW_UP_WORDS.get(e.details.get("follow_up"), "I wrote to them again")
            if e.details.get("s164a"):
                what += " (also a complaint to them under section 164A of the Data " \
                        "Protection Act 2018)"
        out.append({"on": e.on, "what": what, "event": e.kind, "source": e.source})
    return out


def _check_ready(ws, row, events, a, without_reminder: bool, early: str | None,
                 review: dict | None):
    """Refuse a complaint that cannot go yet; the --early reason, checked."""
    from sar import validate

    gaps = bool(review and not review["summary"]["complete"])
    why = followups.complaint_refusal(row["ref"], a, events, ws.today,
                                      ws.letters.reminder_days(), row["calendar"],
                                      without_reminder, gaps)
    if early is not None:
        early = validate.text(early, "--early", max_len=2000)  # refuses an empty one
    # DPA 2018 s.164A: the organisation's own complaint step comes first.
    why = why or s164a.ico_refusal(row["ref"], row["regime"], events, row["calendar"],
                                   ws.today, early)
    if why:
        raise UsageError(why)
    return early


def complain(ws, ref: str, *, out, authority: str | None = None, harm: str | None = None,
             without_reminder: bool = False, early: str | None = None,
             any_authority: bool = False) -> dict:
    from pathlib import Path

    from sar import validate
    from sar.files import write_private

    out = Path(out).expanduser()
    if out.suffix.lower() != ".zip":
        raise UsageError("the bundle is a ZIP file: give -o FILE.zip")
    if not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: the folder {out.parent} does not exist")
    row = ws.queries.find(ref)
    events = [e for e in ws.log.of(row["id"]) if e.on <= ws.today]
    a = ws.log.assess(row, events, as_of_today=False)
    review = ws.reviews.get(row["ref"])
    early = _check_ready(ws, row, events, a, without_reminder, early, review)
    org = authority_for(ws, row, authority, any_authority)
    if harm:
        harm = validate.text(harm, "--harm", max_len=4000)

    notes = []
    contacts = [e.on for e in events if e.kind not in ("drafted", "redrafted", "note")]
    last = max(contacts)
    window_end, _ = add_months(last, ICO_WINDOW_MONTHS)
    if org.slug == "ico" and ws.today > window_end:
        notes.append(f"the ICO expects a complaint within three months of your last contact "
                     f"with the organisation ({last}); say in --harm why it comes later")

    timeline = _timeline(events)
    lang = complaint_lang(org, row["regime"])
    respondent = ws.queries.org_record(row)
    authority_record = org.as_dict()
    extra = {
        "respondent": {**respondent, "address": respondent.get("address_lines") or []},
        "org": {**authority_record, "address": authority_record.get("address_lines") or [],
                "attention": "Complaints", "addressee": ADDRESSEE[lang],
                # Art. 77: a letter to the authority, addressed in full (EU).
                "full_address": lang != "en" and bool(authority_record.get("address_lines"))},
        "failures": _failures(ws, row, events, a) + _review_failures(review),
        "timeline": timeline,
        "harm": harm or "",
        "s164a": s164a.as_context(s164a.complaint(events, row["regime"], row["calendar"]),
                                  ws.today, early)
        if s164a.applies(row["regime"], ws.today) else {"made": None, "early": ""},
        "art12a": row["regime"] == "uk-gdpr" and a.deadline is not None
        and a.deadline.receipt >= s164a.ART_12A_IN_FORCE,
    }
    letter = ws.letters.follow_up(row, "complaint", None, extra,
                                  lang=lang)

    files = _bundle_files(ws, row, org, letter, timeline, review)
    buffer = io.BytesIO()
    stamp = (ws.today.year, ws.today.month, ws.today.day, 12, 0, 0)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(f"{row['ref']}/{name}", date_time=stamp)
            info.external_attr = 0o600 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    bundle = buffer.getvalue()
    digest = hashlib.sha256(bundle).hexdigest()

    ws.evidence.put(bundle)  # the complaint as sent is evidence too
    with ws.transaction():
        # Checked before anything is written: if the log will not take it, no file.
        prepared = ws.log.prepare(row, Event("escalated", ws.today, "user", {
            "authority": org.slug, "bundle_sha256": digest, "files": len(files),
            **({"early": early} if early else {})}))
        write_private(out, bundle)
        ws.log.write(prepared)
    return {"ref": row["ref"], "authority": org.slug, "authority_name": org.name,
            "bundle": str(out), "sha256": digest, "files": [n for n, _ in files],
            "failures": extra["failures"], "notes": notes,
            "send_to": org.webform or org.email,
            "status": "escalated"}



def _review_failures(review: dict | None) -> list[str]:
    """What `sar review` found the answer lacks, for the complaint's list."""
    if not review or review["summary"]["complete"]:
        return []
    from sar.core.review import ARTICLE

    def named(items):
        return ", ".join(f"{i.replace('_', ' ')} (Article {ARTICLE[i]})" for i in items)

    s = review["summary"]
    parts = ([f"it leaves out {named(s['missing'])}"] if s["missing"] else []) + (
        [f"it gives only in part {named(s['partial'])}"] if s["partial"] else [])
    return [f"Read against Article 15, their answer is incomplete: {'; '.join(parts)} "
            "(review.md and review.json in this bundle)."]


def _review_files(review: dict) -> list[tuple[str, bytes]]:
    """The review as stored (with any item the user overruled), and readable."""
    from sar.core.review import ARTICLE

    lines = [f"# Review of the answer to {review['ref']}", "", review["summary"]["text"], "",
             "| item | article | status | evidence |", "| --- | --- | --- | --- |"]
    for k, v in review["items"].items():
        ev = "; ".join(f"{e.get('file', '')} {e.get('where', '')}: {e.get('text', '')}".strip()
                       for e in v["evidence"][:2])
        status = v["status"] + (" (set by me)" if v.get("overruled") else "")
        lines.append(f"| {k} | {ARTICLE[k]} | {status} | {ev.replace('|', '/')} |")
    for key in ("sources", "recipients", "special_category"):
        if review.get(key):
            lines += ["", f"{key.replace('_', ' ').capitalize()} named: "
                      + ", ".join(review[key])]
    return [("review.md", ("\n".join(lines) + "\n").encode("utf-8")),
            ("review.json", json.dumps(review, indent=2, ensure_ascii=False).encode("utf-8"))]


def _bundle_files(ws, row: dict, org, letter, timeline: list[dict],
                  review: dict | None = None) -> list[tuple[str, bytes]]:
    """The complaint, every message as stored, the timeline, the review of the answer
    when there is one, and the manifests."""
    from sar import export
    from sar.letters.docx import as_docx
    from sar.letters.text import as_text

    files: list[tuple[str, bytes]] = [("complaint.txt", as_text(letter).encode("utf-8")),
                                      ("complaint.docx", as_docx(letter))]
    messages = list(ws.db.query("SELECT * FROM messages WHERE request_id = ? AND sha256 IS "
                                "NOT NULL ORDER BY id", [row["id"]]))
    for i, m in enumerate(messages, 1):
        day = (m["received_on"] or m["date"] or "")[:10] if m["direction"] == "in" else \
            _day(m["date"])
        kind = "reply" if m["direction"] == "in" else (
            "reminder" if m.get("purpose") == "reminder" else "letter")
        suffix = "txt" if m["transport"] == "post" else "eml"
        files.append((f"messages/{i:02d}-{kind}-{day or 'undated'}.{suffix}",
                      ws.evidence.get(m["sha256"])))
    rows = [{"on": t["on"].isoformat(), "event": t["event"], "what": t["what"],
             "source": t["source"]} for t in timeline]
    files.append(("timeline.csv", export.as_csv(rows, ("on", "event", "what", "source"))
                  .encode("utf-8")))
    files.append(("timeline.md", ("# Timeline of " + row["ref"] + "\n\n"
                                  + "\n".join(f"- {r['on']}: {r['what']}" for r in rows)
                                  + "\n").encode("utf-8")))
    if review:
        files += _review_files(review)
    listed = [{"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
              for name, data in files]
    manifest = json.dumps({"request": row["ref"], "organisation": row["org_slug"],
                           "authority": org.slug, "made_on": ws.today.isoformat(),
                           "files": listed}, indent=2).encode("utf-8")
    files.append(("manifest.json", manifest))
    sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files)
    files.append(("SHA256SUMS", sums.encode("ascii")))
    return files

def _day(date_header: str | None) -> str:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(date_header).date().isoformat() if date_header else ""
    except (TypeError, ValueError):
        return (date_header or "")[:10]


def verify(path) -> list[str]:
    """The files in a bundle whose bytes no longer match its SHA256SUMS: [] when all do."""
    bad = []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        root = names[0].split("/", 1)[0]
        sums = z.read(f"{root}/SHA256SUMS").decode("ascii").splitlines()
        for line in sums:
            digest, name = line.split("  ", 1)
            if hashlib.sha256(z.read(f"{root}/{name}")).hexdigest() != digest:
                bad.append(name)
    return bad
