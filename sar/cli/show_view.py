"""`sar show REF` on the terminal: one request as a person reads it.

Status and deadline first, then why the deadline is what it is, the timeline in
words, the letters and replies, the attachments and the next step. Internal fields
(message IDs, hashes, matching methods, rule names) stay in `--json`; a sender
whose authentication failed is still said, since that changes what a reply is worth.
"""

import typer

from sar.cli import output
from sar.export import INTERNAL_DETAILS, TRANSPORT_WORDS, follow_up_words

REGIMES = {"uk-gdpr": "UK GDPR", "eu-gdpr": "EU GDPR", "ccpa": "CCPA"}

# What a person should know about who sent a reply; "unverified" is the common
# case (most providers sign nothing we can check) and says nothing useful.
TRUST = {"pass": "sender verified (DKIM/DMARC)",
         "fail": "WARNING: the sender failed DKIM/DMARC; this may not be the organisation",
         "unaligned": "WARNING: signed for another domain, not the organisation's"}



def render(s: dict) -> None:
    """Print the request `s` (Queries.show) for a person."""
    _header(s)
    if s["explanation"]:
        _section("Deadline, and why")
        for line in s["explanation"]:
            output.say(line, indent="  ", hang="    ")
        for w in s["warnings"]:
            output.say(f"! {w}", indent="  ", hang="    ")
    _timeline(s)
    _messages(s)
    _attachments(s)
    if s.get("review"):
        _section("The answer")
        output.say(f"{s['review']['text'].replace('_', ' ').capitalize()} "
                   f"(`sar review {s['ref']}`)", indent="  ", hang="    ")
    if s.get("s164a"):
        # DPA 2018 s.164A: the complaint to the organisation, and its 30-day window.
        _section("Complaint to the organisation")
        output.say(s["s164a"]["text"][0].upper() + s["s164a"]["text"][1:], indent="  ",
                   hang="    ")
    if s["next"]:
        _section("Next step")
        output.say(output.clean(s["next"]), indent="  ", hang="    ")


def _section(title: str) -> None:
    typer.echo("\n" + output.heading(title))


def _header(s: dict) -> None:
    org = s["organisation"]
    kind = s["kind"].capitalize()
    typer.echo(output.heading(f"{s['ref']}  {kind} request to {output.clean(org['name'])}"))
    how = f"{REGIMES.get(s['regime'], s['regime'])}, by {s['channel']}"
    if s["channel"] == "email" and org.get("email"):
        how += f" to {org['email']}"
    output.say(how, indent="  ", hang="    ")
    typer.echo("")
    when = output.days_text(s["days_left"], s["status"]) if s["due"] else ""
    typer.echo(f"  Status  {output.styled_status(s['status'])}")
    if s["due"]:
        import datetime as dt

        day = dt.date.fromisoformat(s["due"]).strftime("%a %-d %b %Y")
        typer.echo(f"  Due     {day}" + (f" ({when})" if when else ""))


def _timeline(s: dict) -> None:
    _section("Timeline")
    replies = {m["id"]: m for m in s["messages"] if m["direction"] == "in"}
    for e in s["events"]:
        output.say(f"{e['on']}  {e['kind']}" + _event_text(e, replies),
                   indent="  ", hang=" " * 14)
    if s["later_events"]:
        n = s["later_events"]
        output.say(f"({n} later event{'s' if n > 1 else ''} not shown: today is set to an "
                   "earlier date)", indent="  ", hang="   ")


def _event_text(e: dict, replies: dict) -> str:
    """What an event adds to its kind, in words ("" when nothing)."""
    d = e["details"]
    if "label" in d and "message" in d:
        m = replies.get(d["message"], {})
        text = f": a reply from {output.clean(m.get('from')) or 'an unknown sender'}"
        if e["kind"] != d["label"]:
            text += f", read as {d['label']}"
        if d.get("not_applied"):
            text += f" (not applied: {d['not_applied']})"
        if TRUST.get(d.get("trust")) and d.get("trust") != "pass":
            text += f"; {TRUST[d['trust']]}"
        return text
    if e["kind"] == "sent" and d.get("transport"):
        return f" {TRANSPORT_WORDS.get(d['transport'], 'by ' + d['transport'])}"
    if e["kind"] == "drafted" and d.get("channel"):
        return f" (to go by {d['channel']})"
    if e["kind"] == "followed-up":
        return ": " + ", ".join(output.clean(w) for w in follow_up_words(d))
    bits = [f"\u201c{output.clean(v)}\u201d" if k == "note" else f"{k.replace('_', ' ')} "
            f"{output.clean(v)}" for k, v in d.items() if k not in INTERNAL_DETAILS]
    return f": {'; '.join(bits)}" if bits else ""


def _messages(s: dict) -> None:
    if not s["messages"]:
        return
    _section("Letters and messages")
    for m in s["messages"]:
        on = _day(m.get("date"))
        subject = f"\u201c{output.clean(m['subject'])}\u201d"
        if m["direction"] == "out":
            output.say(f"{on + '  ' if on else ''}{m['state']}: {subject}",
                       indent="  ", hang="    ")
            continue
        sender = output.clean(m["from"]) or "(no sender)"
        output.say(f"{on + '  ' if on else ''}from {sender}: {subject}", indent="  ",
                   hang="    ")
        rule = f" (rule {m['rule']})" if m.get("rule") else ""
        output.say(f"read as {m['label']}: {output.clean(m['reason'])}{rule}", indent="    ",
                   hang="      ")
        if m["because"]:
            output.say(f"because: \u201c{output.clean(m['because'])}\u201d", indent="    ",
                       hang="      ")
        if m.get("match"):
            # How it was tied to the request, in words; the Message-ID it names is
            # in --json.
            import re

            how = re.sub(r"\s*<[^<>]*>", "", output.clean(m["match"]))
            output.say(f"matched: {how}", indent="    ", hang="      ")
        if TRUST.get(m["trust"]):
            output.say(TRUST[m["trust"]], indent="    ", hang="      ")
        if m["needs"]:
            output.say(f"waits in `sar inbox` ({m['needs']})", indent="    ", hang="      ")


def _day(value: str | None) -> str:
    """YYYY-MM-DD from a stored date: ISO for replies, RFC 5322 for sent mail."""
    if not value:
        return ""
    if value[:4].isdigit():
        return value[:10]
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError):
        return ""


def _attachments(s: dict) -> None:
    if not s.get("attachments"):
        return
    _section("Attachments")
    for a in s["attachments"]:
        kind = output.clean(a["content_type"] or "")
        output.say(f"{output.clean(a['name'])}  {kind + ', ' if kind else ''}"
                   f"{a['size']:,} bytes, from {output.clean(a['from'] or 'the reply')} "
                   f"on {_day(a.get('date'))}", indent="  ", hang="    ")
    output.say(f"`sar attachments {s['ref']} --save DIR` writes them out", indent="  ",
               hang="    ")
