"""`sar calendar`: every open deadline as an iCalendar file (RFC 5545).

One all-day event per date that matters — the statutory deadline, the last day to
announce an extension while one may still come, the CCPA acknowledgement — with an
alarm a few days before. Each event's UID is derived from the request and what the
date is, so re-importing a regenerated file (from cron) updates the events instead
of adding copies, and a deadline that moves moves in the calendar.
"""

from __future__ import annotations

import datetime as dt

from sar.core import lifecycle

PRODID = "-//sar//data-protection deadlines//EN"


def events(ws) -> list[dict]:
    """What goes in the calendar: open requests' dates, soonest first. The requests
    are read a page at a time with their events; requests whose histories are alike
    (a campaign's are) share one deadline worked out once."""
    from sar.store import events as event_table
    from sar.store import requests as request_table

    out: list[dict] = []
    assessed: dict = {}
    orgs: dict = {}
    for page in request_table.running_pages(ws.db, ws.today):
        # Every event by today: "before" a sequence number no request reaches.
        day = ws.today.isoformat()
        histories = event_table.histories_before(ws.db, ws.today,
                                                 [(r["id"], 2**62, day) for r in page])
        for row in page:
            a = _assessed(ws, row, histories.get(row["id"]), assessed)
            dl = a.deadline
            if dl is None or a.base_status not in lifecycle.RUNNING:
                continue
            key = (row["organisation_id"], row["org_slug"], row["status"] in lifecycle.UNSENT)
            if key not in orgs:
                orgs[key] = ws.queries.org_record(row)["name"]
            out += _dates(row, a, orgs[key], ws.today)
    out.sort(key=lambda e: (e["day"], e["uid"]))
    return out


def _assessed(ws, row: dict, history: str | None, assessed: dict):
    """ws.assess(row) from its events by today (store.events.histories_before), once
    per distinct history."""
    from sar.store.events import parse_history

    key = (row["regime"], row["calendar"], history)
    if key not in assessed:
        assessed[key] = lifecycle.assess(parse_history(history), row["regime"],
                                         row["calendar"], ws.today, ws.options())
    return assessed[key]


def _dates(row: dict, a, org_name: str, today: dt.date) -> list[dict]:
    """The request's dates as events. The summary leads with the organisation's name
    so that a month view, which shows a dozen characters, says who; the reference
    comes last. A date already past on the day the file is written starts OVERDUE."""
    dl, ref = a.deadline, row["ref"]
    out = []
    if dl.due:
        late = "OVERDUE: " if a.status == "overdue" else ""
        out.append({"uid": f"{ref.lower()}-due", "day": dl.due,
                    "summary": f"{late}{org_name} — {row['kind']} request due ({ref})",
                    "description": "\n".join([
                        f"Due: {org_name}'s answer to your {row['kind']} request, "
                        f"by {dl.due:%Y-%m-%d}.",
                        "Rule: " + "; ".join(dl.explanation),
                        "Next: " + lifecycle.next_step(a.status, row["channel"], ref)])})
    if dl.ext_notice_due and not dl.extended and a.base_status in ("sent", "acknowledged") \
            and dl.ext_notice_due != dl.due:
        out.append({"uid": f"{ref.lower()}-extension-notice", "day": dl.ext_notice_due,
                    "summary": f"{org_name} — last day to extend ({ref})",
                    "description": "\n".join([
                        f"Due: the last day for {org_name} to tell you it is extending "
                        f"the deadline, {dl.ext_notice_due:%Y-%m-%d}.",
                        "Rule: an extension announced after this day is not valid "
                        "(UK GDPR / GDPR Art. 12(3)).",
                        "Next: nothing, unless they write; then `sar mark " + ref
                        + " extended`."])})
    if dl.ack_due and a.base_status == "sent":
        late = "OVERDUE: " if today > dl.ack_due else ""
        out.append({"uid": f"{ref.lower()}-acknowledgement", "day": dl.ack_due,
                    "summary": f"{late}{org_name} — acknowledgement due ({ref})",
                    "description": "\n".join([
                        f"Due: {org_name}'s acknowledgement of your request, "
                        f"by {dl.ack_due:%Y-%m-%d}.",
                        "Rule: CCPA: the request must be acknowledged within 10 business "
                        "days (Cal. Code Regs. tit. 11 § 7021).",
                        "Next: " + lifecycle.next_step(a.status, row["channel"], ref)])})
    return out


def build(ws, alarm_days: int = 3) -> bytes:
    """The .ics file. The calendar's head comes from icalendar; its events (tens of
    thousands for a campaign) are written here as RFC 5545 text, the same bytes
    icalendar would write, at a fraction of its cost per event."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Data-protection deadlines (sar)")
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    # Encoded event by event and joined once: no second copy of the whole text.
    return b"".join([head[:-len(end)], *(_vevent(e, stamp, alarm_days).encode("utf-8")
                                         for e in events(ws)), end])


def _vevent(e: dict, stamp: str, alarm_days: int) -> str:
    summary = _fold("SUMMARY:" + _text(e["summary"]))
    # The fixed lines are short ASCII: only the text ones can need folding.
    alarm = (f"BEGIN:VALARM\r\nACTION:DISPLAY\r\n{_fold('DESCRIPTION:' + _text(e['summary']))}"
             f"\r\nTRIGGER:{trigger(alarm_days)}\r\nEND:VALARM\r\n") if alarm_days else ""
    return (f"BEGIN:VEVENT\r\n{summary}\r\n"
            f"DTSTART;VALUE=DATE:{e['day']:%Y%m%d}\r\n"
            f"DTEND;VALUE=DATE:{e['day'] + dt.timedelta(days=1):%Y%m%d}\r\n"
            f"DTSTAMP:{stamp}\r\n{_fold('UID:' + _text(e['uid'] + '@sar.invalid'))}\r\n"
            f"{_fold('DESCRIPTION:' + _text(e['description']))}\r\n"
            f"TRANSP:TRANSPARENT\r\n{alarm}END:VEVENT\r\n")


def trigger(alarm_days: int) -> str:
    """The alarm's TRIGGER: 09:00 `alarm_days` before the day. The events are all-day
    dates with no time zone, which a calendar places at the user's own local midnight;
    a trigger relative to that start (RFC 5545 §3.8.6.3) is therefore in local time too,
    so -P2DT15H (two days and fifteen hours before midnight) rings at 09:00 three days
    before wherever the requester is. -P3D would ring at midnight; an absolute
    DATE-TIME trigger must be in UTC and would ring at 09:00 in one zone only."""
    days = alarm_days - 1
    return f"-P{days}DT15H" if days else "-PT15H"


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 §3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str, limit: int = 75) -> str:
    """A content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8
    character nor, as icalendar does for old clients, just after a backslash."""
    data = line.encode("utf-8")
    if len(data) < limit:
        return line
    parts, start = [], 0
    while len(data) - start >= limit:
        end = start + limit - 1
        while data[end] & 0xC0 == 0x80:  # inside a character: fold before it
            end -= 1
        if data[end - 1] in b"\\^":
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8")
