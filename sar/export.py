"""`sar export` and `sar show --markdown`: the log in forms other programs read.

CSV cells that a spreadsheet would run as a formula (=, +, -, @, a tab or a line
end first) are prefixed with an apostrophe (OWASP's advice on CSV injection): a
reply's subject or an organisation's name is text, never a command.
"""

from __future__ import annotations

import csv
import io
import json
import re

REQUEST_FIELDS = ("ref", "org", "kind", "regime", "channel", "status", "due", "days_left",
                  "created_on")
EVENT_FIELDS = ("ref", "seq", "on", "event", "source", "details", "hash")


def safe_cell(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number is a number: -15 days stays -15
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return "'" + text
    return text


def requests(ws) -> list[dict]:
    return [{k: r[k] for k in REQUEST_FIELDS} for r in ws.list()]


def events(ws) -> list[dict]:
    if not ws.home.db_path.exists():
        return []
    return [{"ref": r[0], "seq": r[1], "on": r[2], "event": r[3], "source": r[4],
             "details": json.loads(r[5]), "hash": r[6]}
            for r in ws.db.execute("SELECT ref, seq, day, event, source, details, hash FROM "
                                   "timeline ORDER BY ref, seq")]


def as_csv(rows: list[dict], fields) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for r in rows:
        writer.writerow([safe_cell(json.dumps(r[f], ensure_ascii=False, sort_keys=True)
                                   if isinstance(r[f], dict) else r[f]) for f in fields])
    return out.getvalue()


def markdown_cell(text) -> str:
    """Text for a Markdown table cell or line: no pipes, no line breaks, no HTML."""
    return (str(text or "").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
            .replace(">", "&gt;"))


# The case file's words for who recorded an event, for an event's kind where the
# hyphenated name reads badly, and for the direction of a message.
_SOURCE = {"system": "sar", "user": "you", "inbox": "sar, from a reply"}
_KIND = {"id-requested": "ID requested", "id-provided": "ID provided",
         "partially-fulfilled": "partially fulfilled", "no-data-held": "no data held"}
_DIRECTION = {"out": "sent", "in": "received"}
TRANSPORT_WORDS = {"maildir": "into the Maildir outbox", "smtp": "by SMTP"}
# Event details that are bookkeeping (in --json): the message's own row says the rest.
INTERNAL_DETAILS = {"sha256", "message_id", "matched_by", "rule", "trust", "message", "label",
             "org", "channel", "transport", "evidence", "not_applied", "follow_up", "s164a"}
SHORT_HASH = 12   # hex digits of a SHA-256 shown in the case file; --json has them whole


def markdown_text(text) -> str:
    """Text for the case file, escaped for Markdown with backslashes (CommonMark §2.4),
    so a subject's `<b>` or `*urgent*` reads as written when rendered. markdown_cell's
    HTML entities are for the reports, whose Markdown also becomes HTML; in a case file
    read as text they showed as `&lt;`."""
    out = re.sub(r"([\\`*_{}\[\]<>|~&!#])", r"\\\1", str(text or ""))
    out = re.sub(r"\s*[\r\n]+\s*", " ", out)
    out = re.sub(r"^(\d+)([.)])", r"\1\\\2", out)  # no list marker at the start
    return re.sub(r"^([+-])", r"\\\1", out)


def when(value: str | None, day: str | None = None) -> str:
    """A stored date as YYYY-MM-DD, with HH:MM UTC where it has a time: ISO dates and
    times (events, replies) or RFC 5322 (letters sent). With `day` (the event's day in
    the log), the time is shown only when it falls on that day in UTC."""
    import datetime as dt
    from email.utils import parsedate_to_datetime

    if not value:
        return day or ""
    try:
        moment = (dt.datetime.fromisoformat(value) if value[:4].isdigit()
                  else parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return day or ""
    if len(value) == 10:
        return value
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    moment = moment.astimezone(dt.UTC)
    if day and moment.date().isoformat() != day:
        return day
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _short(sha256: str | None) -> str:
    return f"`{sha256[:SHORT_HASH]}`" if sha256 else ""


def follow_up_words(d: dict) -> list[str]:
    """What a `followed-up` event's details say, in words: which letter, how it went,
    and whether it was also the complaint to the organisation (DPA 2018 s.164A)."""
    from sar.core.followups import NAMES

    words = [f"the {NAMES.get(d.get('follow_up'), d.get('follow_up') or 'follow-up')}"]
    if d.get("channel") == "post":
        words.append("posted")
    elif d.get("transport"):
        words.append(TRANSPORT_WORDS.get(d["transport"], f"by {d['transport']}"))
    if d.get("s164a"):
        words.append("also a complaint to them under DPA 2018 s.164A")
    return words


def _event_details(e: dict) -> str:
    """What an event adds to its kind, in words."""
    d = e["details"]
    bits = []
    if "label" in d and "message" in d:
        bits.append("a reply" + (f", read as {d['label']}" if d["label"] != e["kind"] else ""))
        if d.get("not_applied"):
            bits.append(f"not applied: {d['not_applied']}")
        if d.get("trust") in ("fail", "unaligned"):
            bits.append("WARNING: the sender failed DKIM/DMARC or signed for another domain")
    elif e["kind"] == "sent" and d.get("transport"):
        bits.append(TRANSPORT_WORDS.get(d["transport"], f"by {d['transport']}"))
    elif e["kind"] == "drafted" and d.get("channel"):
        bits.append(f"to go by {d['channel']}")
    elif e["kind"] == "followed-up":
        bits += follow_up_words(d)
    bits += [f"\u201c{v}\u201d" if k == "note" else f"{k.replace('_', ' ')}: {v}"
             for k, v in d.items() if k not in INTERNAL_DETAILS]
    if e.get("at") and when(e["at"], e["on"]) == e["on"]:
        bits.append(f"arrived {when(e['at'])}")
    return "; ".join(bits)


def _message_rows(messages: list[dict]) -> list[str]:
    lines = ["## Letters and replies", "",
             f"| Direction | Date | Subject | Read as | SHA-256 (first {SHORT_HASH}) |",
             "| --- | --- | --- | --- | --- |"]
    for m in messages:
        read = (f"{m.get('label')} (rule {m.get('rule')})" if m.get("rule")
                else m.get("label") or "") if m["direction"] == "in" else ""
        lines.append(f"| {_DIRECTION.get(m['direction'], m['direction'])} | {when(m['date'])} "
                     f"| {markdown_text(m['subject'])} | {markdown_text(read)} "
                     f"| {_short(m['sha256'])} |")
    return lines + [""]


def markdown(shown: dict, requester: str | None = None) -> str:
    """A request's case file: who asked whom for what, the deadline and why, every event
    and message (with the start of its evidence hash), and what to do next. Dates are
    YYYY-MM-DD, with HH:MM UTC where a time is known."""
    from sar.core.deadlines import REGIMES

    org = shown["organisation"]
    regime = REGIMES[shown["regime"]].title if shown["regime"] in REGIMES else shown["regime"]
    lines = [f"# {shown['ref']}: {shown['kind']} request to {markdown_text(org['name'])}", ""]
    if requester:
        lines.append(f"- Requester: {markdown_text(requester)}")
    lines += [f"- Organisation: {markdown_text(org['name'])}",
              f"- Law: {regime}; sent by {shown['channel']}; holiday calendar "
              f"{shown['calendar']}",
              f"- Status: **{shown['status']}**" + (f", due {shown['due']}" if shown["due"]
                                                   else ""), ""]
    if shown["explanation"]:
        lines += ["## Deadline", ""] + [f"- {markdown_text(x)}" for x in shown["explanation"]]
        lines += [f"- Warning: {markdown_text(w)}" for w in shown["warnings"]] + [""]
    lines += ["## Timeline", "", "| Date | Event | Recorded by | Details |",
              "| --- | --- | --- | --- |"]
    for e in shown["events"]:
        lines.append(f"| {when(e.get('at'), e['on'])} "
                     f"| {_KIND.get(e['kind'], e['kind'].replace('-', ' '))} "
                     f"| {_SOURCE.get(e['source'], e['source'])} "
                     f"| {markdown_text(_event_details(e))} |")
    lines.append("")
    if shown["messages"]:
        lines += _message_rows(shown["messages"])
    # Our own words, whose `sar ...` commands are meant as code spans.
    lines += ["## Next", "", re.sub(r"\s*\n\s*", " ", shown["next"] or ""), ""]
    return "\n".join(lines)
