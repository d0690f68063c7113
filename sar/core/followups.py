"""When a follow-up letter may be written, and the final date a reminder sets.

Pure: the request's events, its assessment and today's date in, a refusal or a date
out. Reminders, replies to ID requests, challenges to an extension and complaints to
the regulator all ask here first.
"""

from __future__ import annotations

import datetime as dt

from sar.core import calendars, s164a
from sar.core.lifecycle import CLOSED, Assessment, Event

FOLLOW_UPS = ("reminder", "id-reply", "extension-challenge", "incomplete")
# An answer that left out part of Art. 15: it follows an answer, never silence.
ANSWERED = ("fulfilled", "partially-fulfilled")
# A follow-up that answers something the organisation did: it must have been recorded.
NEEDS = {"id-reply": "id-requested", "extension-challenge": "extended"}
# DPA 2018 s.164A (in force from 19 June 2026): a complaint to the controller itself,
# which it must acknowledge within 30 days, comes before the regulator's (s164a).
S164A_IN_FORCE = s164a.S164A_IN_FORCE
# Seven to fourteen days is the practice for a last chance (legal.md §4.3).
REMINDER_DAYS = (1, 60)
# A second reminder within a week is refused unless the user insists (--again).
REMIND_AGAIN_DAYS = 7


def refusal(kind: str, ref: str, events: list[Event], a: Assessment,
            today: dt.date) -> str | None:
    """Why a follow-up of `kind` cannot be written today, or None when it can.
    `events` are those as of today."""
    if not any(e.kind in ("sent", "posted") for e in events):
        return f"{ref} has not been sent yet: there is nothing to follow up"
    if kind in NEEDS and not any(e.kind == NEEDS[kind] for e in events):
        return (f"{ref} has no {NEEDS[kind]} recorded: record it first with "
                f"`sar mark {ref} {NEEDS[kind]}`")
    dl = a.deadline
    if kind == "incomplete":
        # Art. 15(1)-(3): every item is owed; an answer that leaves some out may be
        # challenged at once, whatever the deadline.
        if not any(e.kind in ANSWERED for e in events):
            return (f"{ref} has no answer recorded: an incomplete-answer letter follows an "
                    f"answer (`sar mark {ref} fulfilled` or `partially-fulfilled`)")
        return None
    if a.base_status in CLOSED and kind != "complaint":
        return f"{ref} is {a.base_status}: there is nothing to chase"
    # A refusal or a partial answer may be challenged at once (Art. 12(4), 15(3));
    # silence only once the deadline has passed.
    if kind in ("reminder", "complaint") and dl and dl.due and today <= dl.due \
            and a.base_status not in ("refused", "partially-fulfilled"):
        return (f"{ref} is not overdue: the deadline is {dl.due}; a reminder can go from "
                "the day after")
    # Art. 12(6) / ICO guidance: the clock stops while the organisation waits for ID
    # or a clarification it may reasonably ask for.
    if kind in ("reminder", "extension-challenge", "complaint") and dl and dl.due is None:
        return (f"{ref}: the clock is stopped while the organisation waits for your "
                f"{dl.waiting_for}; answer it first"
                + (" (`--follow-up id-reply`)" if dl.waiting_for == "ID" else ""))
    return None


def recent_reminder(events: list[Event], on: dt.date) -> dt.date | None:
    """The day of a reminder within a week of `on` (before or after it): a second one
    so soon is refused unless the user insists (--again)."""
    days = [e.on for e in events if e.kind == "reminded"
            and abs((on - e.on).days) < REMIND_AGAIN_DAYS]
    return days[-1] if days else None


# What the user calls each follow-up's letter.
NAMES = {"reminder": "reminder", "id-reply": "reply to the ID request",
         "extension-challenge": "extension challenge",
         "incomplete": "incomplete-answer letter"}
# The event a follow-up other than the reminder records when it has gone (its kind in
# the details, "follow_up"); a reminder records `reminded`.
FOLLOWED_UP = "followed-up"
# What each follow-up answers: one letter per such event. A second ID request, a new
# extension notice or another answer may be followed up again; the same one is not
# followed up twice unless the user insists (--again).
ANSWERS_TO = {"id-reply": ("id-requested",), "extension-challenge": ("extended",),
              "incomplete": ANSWERED}


def event_kind(purpose: str) -> str:
    """The event an outgoing message of `purpose` (letter, or a follow-up's kind)
    records once it has gone."""
    return {"letter": "sent", "reminder": "reminded"}.get(purpose, FOLLOWED_UP)


def event_details(purpose: str, regime: str, on: dt.date) -> dict:
    """The details that say which follow-up a `followed-up` event is ("follow_up")
    and, where its letter said it is also a complaint to the organisation under DPA
    2018 s.164A, "s164a" (sar.core.s164a counts it from these alone)."""
    if event_kind(purpose) != FOLLOWED_UP:
        return {}
    about: dict = {"follow_up": purpose}
    if s164a.letter_says_so(purpose, regime, on):
        about["s164a"] = True
    return about


def earlier_follow_up(kind: str, events: list[Event]) -> dt.date | None:
    """The day a follow-up of `kind` (not the reminder: see recent_reminder) went since
    the latest event it answers, or None: at most once each."""
    since = max((e.on for e in events if e.kind in ANSWERS_TO[kind]), default=None)
    days = [e.on for e in events if e.kind == FOLLOWED_UP
            and e.details.get("follow_up") == kind and (since is None or e.on >= since)]
    return days[-1] if days else None


def final_date(today: dt.date, days: int, calendar: str) -> dt.date:
    """The last day a reminder gives: `days` on, rolled to a working day of the
    organisation's calendar so it never ends on a weekend or bank holiday."""
    return calendars.get(calendar).roll_forward(today + dt.timedelta(days=days))[0]


def s164a_applies(regime: str, today: dt.date) -> bool:
    return s164a.applies(regime, today)


# Statuses a complaint to the regulator can be about (legal.md §4.4).
COMPLAINABLE = ("overdue", "refused", "partially-fulfilled")


def complaint_refusal(ref: str, a: Assessment, events: list[Event], today: dt.date,
                      reminder_days: int, calendar: str,
                      without_reminder: bool = False, gaps: bool = False) -> str | None:
    """Why a complaint to the regulator cannot be made today, or None. The regulator
    expects the request to be overdue, refused or answered in part, and the
    organisation to have been reminded (ICO, "Data protection complaints - what to
    expect"); a reminder's final date is kept (legal.md §4.3). `gaps`: the answer's
    review found part of Art. 15 missing, so a `fulfilled` answer is one in part."""
    from sar.core.lifecycle import RUNNING

    dl = a.deadline
    if a.status == "escalated":
        when = [e.on for e in events if e.kind == "escalated"][-1]
        return f"{ref} was already escalated on {when}"
    # Art. 15(1)-(3): every item is owed; an answer that leaves some out is answered
    # only in part, whatever it was recorded as.
    if a.status not in COMPLAINABLE and not (gaps and a.status == "fulfilled"):
        if a.status == "extended" and dl and dl.due:
            why = f"it is still inside the extension (due {dl.due})"
        elif dl and dl.due and a.status in RUNNING:
            why = f"it is not overdue (due {dl.due})"
        else:
            why = f"it is {a.status}"
        return (f"{ref}: no complaint yet: {why}; a complaint is for a request that is "
                "overdue, refused or answered only in part")
    reminded = [e for e in events if e.kind == "reminded"]
    if a.status == "overdue" and not reminded and not without_reminder:
        return (f"{ref}: remind the organisation first (`sar remind {ref}`): the regulator "
                "expects you to have raised it with them (or --without-reminder; you may "
                "say why in --harm)")
    if reminded and a.status == "overdue":
        final = final_date(reminded[-1].on, reminder_days, calendar)
        if today <= final:
            return (f"{ref}: your reminder of {reminded[-1].on} gave them until {final}; "
                    "complain from the day after")
    return None
