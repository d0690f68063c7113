"""The complaint to the controller itself (DPA 2018 s.164A), before the ICO's.

Pure: a request's events, its regime and a day in; the s.164A complaint made, the
last day of its acknowledgement window, and whether the ICO complaint may go yet.

DPA 2018 s.164A (inserted by the Data (Use and Access) Act 2025 s.103, in force
from 19 June 2026): a controller must facilitate complaints, acknowledge one
"within the period of 30 days beginning when the complaint is received", and then
respond "without undue delay" (legal.md §1.3, [S30]). The ICO may decline a
complaint not first made to the controller (legal.md §4.4, [S31]).

Where the complaint comes from (what sar records):
- a reminder sent or posted on or after 19 June 2026 under UK GDPR: its letter says
  it is also a s.164A complaint (templates/letters/*/gdpr/reminder.j2), so the
  `reminded` event is the complaint, dated as the reminder;
- a letter on an incomplete answer or challenging an extension, sent or posted on or
  after 19 June 2026 under UK GDPR: its letter says the same, and its `followed-up`
  event carries `"s164a": true` (such a letter sent before this wording existed
  carries nothing, and is not counted);
- `sar mark REF complained --on DATE` for one made another way (the organisation's
  complaint form, a letter of your own);
- `sar mark REF complaint-acknowledged` when they acknowledge it.
The first complaint counts: a later reminder does not restart the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sar.core import calendars

S164A_IN_FORCE = dt.date(2026, 6, 19)
# Art. 12A UK GDPR (DUAA, in force 5 February 2026, SI 2026/82): the time limits for
# answering a request, moved there from Art. 12(3) (legal.md §1.1).
ART_12A_IN_FORCE = dt.date(2026, 2, 5)
# "within the period of 30 days beginning when the complaint is received": the day
# of receipt is day 1, so the last day is receipt + 29 (legal.md §1.3). Calendar
# days, not rolled: the section gives no rule for weekends.
ACK_PERIOD_DAYS = 30
# Events that record the complaint and its acknowledgement (sar mark).
COMPLAINED = "complained"
# The follow-ups (besides the reminder) whose letter also says it is a s.164A
# complaint: each challenges how the organisation handled the request (an answer
# that leaves part of Art. 15 out; an extension), which is what the section is for.
FOLLOW_UPS = ("incomplete", "extension-challenge")
ACKNOWLEDGED = "complaint-acknowledged"
# An answer to the request itself, after the complaint, answers the complaint too.
_ANSWERS = ("fulfilled", "partially-fulfilled", "no-data-held", "refused")


@dataclass(frozen=True)
class ControllerComplaint:
    made: dt.date            # the day it was sent, posted or made
    received: dt.date        # the day the controller received it
    via: str                 # "reminder", "complained", or a follow-up of FOLLOW_UPS
    ack_due: dt.date         # the last day of the 30-day acknowledgement window
    acknowledged: dt.date | None = None
    answered: dt.date | None = None

    def passed(self, today: dt.date) -> bool:
        return today > self.ack_due


def applies(regime: str, on: dt.date) -> bool:
    """Whether a complaint made on `on` is a s.164A complaint."""
    return regime == "uk-gdpr" and on >= S164A_IN_FORCE


def ack_due(received: dt.date) -> dt.date:
    """The last day of "the period of 30 days beginning when the complaint is received"."""
    return received + dt.timedelta(days=ACK_PERIOD_DAYS - 1)


def _received(e, calendar: str) -> dt.date:
    if e.details.get("channel") == "post":
        # Posted: deemed received on the 2nd working day after posting (Practice
        # Direction [1985] 1 All ER 889; legal.md §1.4), so the window never ends early.
        return calendars.get(calendar).add_working_days(e.on, 2)
    return e.on


def is_complaint(e) -> bool:
    """Whether the event records a complaint to the organisation (of any date: see
    `applies` for whether it was one under s.164A)."""
    return e.kind in (COMPLAINED, "reminded") or (
        e.kind == "followed-up" and bool(e.details.get("s164a")))


def letter_says_so(purpose: str, regime: str, on: dt.date) -> bool:
    """Whether a follow-up letter of `purpose` written on `on` says it is also a
    s.164A complaint (its template words it so whenever this holds)."""
    return purpose in ("reminder", *FOLLOW_UPS) and applies(regime, on)


def complaint(events, regime: str, calendar: str) -> ControllerComplaint | None:
    """The s.164A complaint the events (in date order) record, the first one, or None."""
    events = list(events)
    at = next((i for i, e in enumerate(events)
               if applies(regime, e.on) and is_complaint(e)), None)
    if at is None:
        return None
    made, later = events[at], events[at + 1:]
    received = _received(made, calendar)
    ack = next((e.on for e in later if e.kind == ACKNOWLEDGED), None)
    answer = next((e.on for e in later if e.kind in _ANSWERS), None)
    via = {"reminded": "reminder", COMPLAINED: COMPLAINED}.get(
        made.kind) or made.details.get("follow_up", COMPLAINED)
    return ControllerComplaint(made=made.on, received=received, via=via,
                               ack_due=ack_due(received), acknowledged=ack, answered=answer)


def ico_refusal(ref: str, regime: str, events, calendar: str, today: dt.date,
                early: str | None) -> str | None:
    """Why the complaint to the ICO must wait for the s.164A step, or None.

    The reading that protects the requester: the ICO may decline a complaint the
    controller has not had its 30 days to acknowledge, so sar waits for the window
    (or the acknowledgement, or an answer) unless the user says why not (`early`)."""
    if early or not applies(regime, today):
        return None
    c = complaint(events, regime, calendar)
    if c is None:
        return (f"{ref}: complain to the organisation first (DPA 2018 s.164A: the ICO may "
                f"decline a complaint not first made to them): a reminder is one "
                f"(`sar remind {ref}`), or record one made another way with "
                f"`sar mark {ref} complained --on DATE`; or --early REASON")
    if c.passed(today) or c.acknowledged or c.answered:
        return None
    return (f"{ref}: your s.164A complaint of {c.made} has until {c.ack_due} to be "
            f"acknowledged (30 days from receipt, DPA 2018 s.164A); complain to the ICO "
            f"from {c.ack_due + dt.timedelta(days=1)}, or --early REASON")


def as_context(c: ControllerComplaint | None, today: dt.date, early: str | None) -> dict:
    """What the complaint to the ICO says of the s.164A step."""
    if c is None:
        return {"made": None, "early": early or ""}
    if c.passed(today) or c.acknowledged or c.answered:
        early = None  # nothing to explain: the window is over
    return {"made": c.made, "received": c.received, "via": c.via, "ack_due": c.ack_due,
            "acknowledged": c.acknowledged, "answered": c.answered,
            "passed": c.passed(today), "early": early or ""}


# What `sar show` calls the letter that made the complaint: before and after its date.
_VIA_WORDS = {"reminder": ("your reminder", ""), COMPLAINED: ("a complaint", ""),
              "incomplete": ("your letter", " on their incomplete answer"),
              "extension-challenge": ("your letter", " challenging their extension")}


def status_words(c: ControllerComplaint, today: dt.date) -> str:
    """One line for `sar show`, under its "Complaint to the organisation" heading:
    where the s.164A complaint stands."""
    what, about = _VIA_WORDS.get(c.via, _VIA_WORDS[COMPLAINED])
    head = f"{what} of {c.made}{about} (DPA 2018 s.164A), received {c.received}; "
    if c.answered:
        return head + f"answered {c.answered}"
    if c.acknowledged:
        return head + (f"acknowledged {c.acknowledged}; they must now respond without "
                       "undue delay")
    if c.passed(today):
        return head + (f"not acknowledged by {c.ack_due}: the ICO complaint may go "
                       "(`sar complain`)")
    return head + f"they must acknowledge it by {c.ack_due}; the ICO complaint waits until then"
