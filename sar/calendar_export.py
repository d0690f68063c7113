"""`sar calendar`: every open deadline as an iCalendar file (RFC 5545).

One all-day event per date that matters — the statutory deadline, the last day to
announce an extension while one may still come, the CCPA acknowledgement — with an
alarm a few days before. Each event's UID is derived from the request and what the
date is, so re-importing a regenerated file (from cron) updates the events instead
of adding copies, and a deadline that moves moves in the calendar.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from operator import itemgetter
from typing import NamedTuple

from sar.core import lifecycle

PRODID = "-//sar//data-protection deadlines//EN"


def events(ws) -> list[dict]:
    """What goes in the calendar: open requests' dates, soonest first (then by UID),
    each {uid, day, summary, description}."""
    out = [e for refs, row, a, org_name in _groups(ws) for ref in refs
           for e in events_of(row, a, org_name, ws.today, ref)]
    out.sort(key=lambda e: (e["day"], e["uid"]))
    return out


# Stand-ins for a reference while a group's events are written once: one byte each,
# not escaped (RFC 5545 TEXT) nor folded differently from a reference's own letters
# and digits, so the folded text of the group is every request's with its
# reference put in place, letter for letter. _LOWER stands for it in lower case.
_UPPER, _LOWER = "\x01", "\x02"
_PLAIN_REF = re.compile(r"[A-Za-z0-9-]+")


class Dates(NamedTuple):
    """What the calendar writes of a request whose clock runs: its status as of today
    and as cached, and its deadline's dates with the steps that gave them."""

    status: str
    base_status: str
    due: dt.date | None
    ext_notice_due: dt.date | None
    extended: bool
    ack_due: dt.date | None
    explanation: tuple[str, ...]

    @classmethod
    def of(cls, a) -> Dates:
        """From an assessment (lifecycle.assess) whose deadline is known."""
        dl = a.deadline
        return cls(a.status, a.base_status, dl.due, dl.ext_notice_due, dl.extended,
                   dl.ack_due, tuple(dl.explanation))

    @classmethod
    def cached(cls, status: str, due: str | None, cache: str, today: dt.date) -> Dates | None:
        """From a row's cached status, due date and deadline (m019, as
        lifecycle.Assessment.dates wrote it): overdue as lifecycle.assess says, once
        the due date has passed. None when it holds no running clock's dates."""
        kept = json.loads(cache)
        if "explanation" not in kept:
            return None
        day = dt.date.fromisoformat(due) if due else None
        return cls("overdue" if day and today > day else status, status, day,
                   _day(kept["ext_notice_due"]), kept["extended"], _day(kept["ack_due"]),
                   tuple(kept["explanation"]))


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _groups(ws):
    """(refs, a row for all of them, their Dates, the organisation's name) for every
    request whose clock runs on today, grouped: requests whose rows cache the same
    deadline (store.requests.running_cached) share one set of dates; a request whose
    row holds none (a home from before m019) or is newer than a what-if today is
    worked out from its events by today, on its own."""
    from sar.store import requests as request_table

    orgs: dict = {}
    rows = [(dict(zip(request_table.RUNNING_CACHED, g[:-1], strict=True)), g[-1].split("\x1f"))
            for g in request_table.running_cached(ws.db, ws.today)]
    for row, refs in rows:
        dates = Dates.cached(row["status"], row["due"], row["deadline_cache"], ws.today)
        if dates is not None:
            yield refs, row, dates, _org_name(ws, row, orgs)
    for row in request_table.running_uncached(ws.db, ws.today):
        a = ws.assess(row)
        if a.deadline is None or a.base_status not in lifecycle.RUNNING:
            continue
        yield [row["ref"]], row, Dates.of(a), _org_name(ws, row, orgs)


def _org_name(ws, row: dict, orgs: dict) -> str:
    key = (row["organisation_id"], row["org_slug"], row["status"] in lifecycle.UNSENT)
    if key not in orgs:
        orgs[key] = ws.queries.org_record(row)["name"]
    return orgs[key]


def _dates(row: dict, a: Dates, org_name: str, today: dt.date, ref: str) -> list[dict]:
    """The request's dates as events, with stand-ins for `ref` (as long as it). The summary leads
    with the organisation's name so that a month view, which shows a dozen characters,
    says who; the reference comes last. A date already past on the day the file is
    written starts OVERDUE."""
    dl, kind = a, row["kind"]
    ref, low = _UPPER * len(ref), _LOWER * len(ref)
    out = []
    if dl.due:
        late = "OVERDUE: " if a.status == "overdue" else ""
        out.append({"uid": f"{low}-due", "day": dl.due,
                    "summary": f"{late}{org_name} — {kind} request due ({ref})",
                    "description": "\n".join([
                        f"Due: {org_name}'s answer to your {kind} request, "
                        f"by {dl.due:%Y-%m-%d}.",
                        "Rule: " + "; ".join(dl.explanation),
                        "Next: " + lifecycle.next_step(a.status, row["channel"], ref)])})
    if dl.ext_notice_due and not dl.extended and a.base_status in ("sent", "acknowledged") \
            and dl.ext_notice_due != dl.due:
        out.append({"uid": f"{low}-extension-notice", "day": dl.ext_notice_due,
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
        out.append({"uid": f"{low}-acknowledgement", "day": dl.ack_due,
                    "summary": f"{late}{org_name} — acknowledgement due ({ref})",
                    "description": "\n".join([
                        f"Due: {org_name}'s acknowledgement of your request, "
                        f"by {dl.ack_due:%Y-%m-%d}.",
                        "Rule: CCPA: the request must be acknowledged within 10 business "
                        "days (Cal. Code Regs. tit. 11 § 7021).",
                        "Next: " + lifecycle.next_step(a.status, row["channel"], ref)])})
    return out


# The calendar's head, as icalendar writes it (tests/test_scale_reads.py compares).
HEAD = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + PRODID + "\r\nCALSCALE:GREGORIAN\r\n"
        "X-WR-CALNAME:Data-protection deadlines (sar)\r\n").encode()


def build(ws, alarm_days: int = 3) -> bytes:
    """The .ics file, its events (tens of thousands for a campaign) written here as
    RFC 5545 text, the same bytes icalendar would write, at a fraction of its cost:
    each group of alike requests' events is written and folded once, with stand-ins
    for the reference, and each request's copy is that text with its reference put
    in (_Filled)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    dated = []  # (its day and UID, which sort the file, its text, the reference)
    for refs, row, a, org_name in _groups(ws):
        filled: dict[int, list] = {}  # reference length -> the group's events, filled
        plain = _UPPER not in org_name and _LOWER not in org_name  # (names are checked)
        for ref in refs:
            if not (plain and _PLAIN_REF.fullmatch(ref)):  # not sar's own: in full
                dated += [(f"{e['day']:%Y-%m-%d}{e['uid']}",
                           _Filled(_vevent(e, stamp, alarm_days), len(ref)), ref)
                          for e in events_of(row, a, org_name, ws.today, ref)]
                continue
            n = len(ref)
            if n not in filled:
                filled[n] = [(f"{e['day']:%Y-%m-%d}", e["uid"][n:],
                              _Filled(_vevent(e, stamp, alarm_days), n))
                             for e in _dates(row, a, org_name, ws.today, ref)]
            low = ref.lower()
            dated += [(day + low + suffix, text, ref) for day, suffix, text in filled[n]]
    # By day, then UID (each unique): the ISO day and the UID, joined, sort alike.
    dated.sort(key=itemgetter(0))
    # Encoded group by group and joined once: no second copy of the whole text.
    return b"".join([HEAD, *(text.fill(ref) for _, text, ref in dated),
                     b"END:VCALENDAR\r\n"])


def events_of(row: dict, a: Dates, org_name: str, today: dt.date, ref: str) -> list[dict]:
    """One request's events, its reference written in (`Dates.of(assessment)` for
    one worked out from its events)."""
    return [{**e, "uid": e["uid"].replace(_LOWER * len(ref), ref.lower()),
             "summary": e["summary"].replace(_UPPER * len(ref), ref),
             "description": e["description"].replace(_UPPER * len(ref), ref)}
            for e in _dates(row, a, org_name, today, ref)]


class _Filled:
    """A VEVENT's text with stand-ins for a reference of `n` characters (_UPPER, and
    _LOWER for its lower case), as bytes: `fill(ref)` puts the reference's letters in
    place, where a fold split one across two lines too."""

    def __init__(self, text: str, n: int):
        self.n = n
        self.template = text.encode("utf-8")
        self.splits = []  # (the split stand-ins with their fold, lower case?, at)
        for m in re.finditer(f"([{_UPPER}{_LOWER}]+)\r\n ([{_UPPER}{_LOWER}]+)", text):
            first, second = m.groups()
            if len(first) + len(second) != n or len(set(first + second)) != 1:
                raise ValueError("a reference split other than by one fold")  # never
            self.splits.append((m.group().encode(), first[0] == _LOWER, len(first)))

    def fill(self, ref: str) -> bytes:
        upper, lower = ref.encode(), ref.lower().encode()
        out = self.template
        for split, is_lower, at in self.splits:
            whole = lower if is_lower else upper
            out = out.replace(split, whole[:at] + b"\r\n " + whole[at:])
        n = self.n
        return out.replace(_UPPER.encode() * n, upper).replace(_LOWER.encode() * n, lower)


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
