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
    """What goes in the calendar: open requests' dates, soonest first."""
    out = []
    for row in ws.db.query("SELECT * FROM requests ORDER BY id"):
        a = ws.assess(row)
        dl = a.deadline
        if dl is None or a.base_status not in lifecycle.RUNNING:
            continue
        org = ws.queries.org_record(row)
        what = f"{row['kind']} request to {org['name']}"
        why = "; ".join(dl.explanation)
        if dl.due:
            out.append({"uid": f"{row['ref'].lower()}-due", "day": dl.due,
                        "summary": f"{row['ref']}: {what} due",
                        "description": f"The statutory deadline. {why}\n\nNext: "
                                       + lifecycle.next_step(a.status, row["channel"],
                                                             row["ref"])})
        if dl.ext_notice_due and not dl.extended and a.base_status in ("sent", "acknowledged") \
                and dl.ext_notice_due != dl.due:
            out.append({"uid": f"{row['ref'].lower()}-extension-notice",
                        "day": dl.ext_notice_due,
                        "summary": f"{row['ref']}: last day for {org['name']} to extend",
                        "description": "An extension announced after this day is not valid "
                                       "(UK GDPR / GDPR Art. 12(3))."})
        if dl.ack_due and a.base_status == "sent":
            out.append({"uid": f"{row['ref'].lower()}-acknowledgement", "day": dl.ack_due,
                        "summary": f"{row['ref']}: {org['name']} must acknowledge",
                        "description": "CCPA: the request must be acknowledged within 10 "
                                       "business days (Cal. Code Regs. tit. 11 § 7021)."})
    out.sort(key=lambda e: (e["day"], e["uid"]))
    return out


def build(ws, alarm_days: int = 3) -> bytes:
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Data-protection deadlines (sar)")
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for e in events(ws):
        ev = Event()
        ev.add("uid", f"{e['uid']}@sar.invalid")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e["day"])
        ev.add("dtend", e["day"] + dt.timedelta(days=1))
        ev.add("summary", e["summary"])
        ev.add("description", e["description"])
        ev.add("transp", "TRANSPARENT")
        if alarm_days:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", e["summary"])
            alarm.add("trigger", dt.timedelta(days=-alarm_days))
            ev.add_component(alarm)
        cal.add_component(ev)
    return cal.to_ical()
