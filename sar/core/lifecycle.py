"""The life of a request, derived from its events.

Pure: `derive()` reads a request's events in date order and returns its status and
the facts its deadline depends on. The same function decides whether a new event
makes sense (`fulfilled` on a letter never sent does not), so the rules that
validate and the rules that derive can never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sar.core import deadlines, s164a
from sar.errors import InvalidEventError

KINDS = ("access", "erasure", "objection", "rectification", "restriction", "portability")

ANSWERS = ("fulfilled", "partially-fulfilled", "no-data-held", "refused")
# Events a user may record with `sar mark`.
MARKABLE = (
    "acknowledged", "id-requested", "id-provided", "clarification-requested",
    "clarification-provided", "fee-requested", "fee-paid", "extended", *ANSWERS,
    "bounced", "withdrawn", "note",
    # DPA 2018 s.164A: a complaint to the organisation itself, and its acknowledgement
    # (sar.core.s164a). Neither changes the request's status.
    "complained", "complaint-acknowledged",
)
# Events only the system records (by `new`, `send`, `post`, `watch`, `remind`, `complain`;
# `followed-up`: a follow-up letter other than the reminder, `sar send REF --follow-up`).
SYSTEM = ("drafted", "redrafted", "sent", "posted", "delivered", "reply-received", "reminded",
          "followed-up", "escalated")
EVENT_KINDS = MARKABLE + SYSTEM

STATUSES = (
    "draft", "sent", "acknowledged", "awaiting-id", "awaiting-clarification", "awaiting-fee",
    "extended", "overdue", *ANSWERS, "bounced", "withdrawn", "escalated",
)
# Statuses in which the statutory clock is running and can run out. A partial
# answer leaves the rest owed; a question asked too late stops nothing, so a
# request awaiting an answer can be overdue too when the engine gives a due date.
RUNNING = ("sent", "acknowledged", "extended", "partially-fulfilled",
           "awaiting-id", "awaiting-clarification", "awaiting-fee")
# Answers that may come more than once: data often arrives in several batches.
REPEATABLE = ("partially-fulfilled",)
# Statuses whose next letter is still to go: a draft, or one that bounced.
UNSENT = ("draft", "bounced")
# Statuses in which nothing more is owed by the organisation.
CLOSED = ("fulfilled", "no-data-held", "refused", "withdrawn")

_WAITING = {"id-requested": ("awaiting-id", "id-provided"),
            "clarification-requested": ("awaiting-clarification", "clarification-provided"),
            "fee-requested": ("awaiting-fee", "fee-paid")}
_ANSWER_TO = {answer: status for status, answer in _WAITING.values()}

# What may follow each status. Everything may take a note or a reply.
_REPLIES = ("acknowledged", "id-requested", "clarification-requested", "fee-requested",
            "extended", *ANSWERS)
_ANY = ("note", "reply-received")
_ALLOWED: dict[str, tuple[str, ...]] = {
    "draft": ("sent", "posted", "redrafted", "withdrawn"),
    "bounced": ("sent", "posted", "redrafted", "withdrawn"),
    "sent": (*_REPLIES, "bounced", "delivered", "reminded", "followed-up", "escalated",
             "withdrawn"),
    "acknowledged": (*_REPLIES, "delivered", "reminded", "followed-up", "escalated",
                     "withdrawn"),
    "extended": (*_REPLIES, "delivered", "reminded", "followed-up", "escalated",
                 "withdrawn"),
    "awaiting-id": ("id-provided", "acknowledged", *ANSWERS, "delivered", "reminded",
                    "followed-up", "escalated", "withdrawn"),
    "awaiting-clarification": ("clarification-provided", "acknowledged", *ANSWERS,
                               "delivered", "reminded", "followed-up", "escalated", "withdrawn"),
    "awaiting-fee": ("fee-paid", "acknowledged", *ANSWERS, "delivered", "reminded",
                     "followed-up", "escalated", "withdrawn"),
    "fulfilled": (*ANSWERS, "reminded", "followed-up", "escalated"),
    "partially-fulfilled": (*ANSWERS, "reminded", "followed-up", "escalated", "withdrawn"),
    "no-data-held": (*ANSWERS, "reminded", "followed-up", "escalated"),
    "refused": (*ANSWERS, "reminded", "followed-up", "escalated", "withdrawn"),
    "escalated": (*_REPLIES, "reminded", "followed-up", "escalated", "withdrawn"),
    "withdrawn": (),
}

# A complaint to the organisation (s.164A) may be made wherever a reminder may go.
_COMPLAINT = ("complained", "complaint-acknowledged")
_ALLOWED = {k: (*v, *_COMPLAINT) if "reminded" in v else v for k, v in _ALLOWED.items()}

_WHY_NOT = {
    "draft": "it is a draft: it has not been sent or posted yet",
    "bounced": "its letter bounced: send or post it again first",
    "withdrawn": "it was withdrawn",
}


@dataclass(frozen=True)
class Event:
    """One fact about a request. `on` is the date it happened."""

    kind: str
    on: dt.date
    source: str = "user"
    details: dict = field(default_factory=dict, hash=False, compare=False)
    seq: int = 0
    at: dt.datetime | None = None  # the exact time, when known (sending)


@dataclass
class State:
    """What the events say about a request."""

    status: str                      # without 'overdue', which depends on today
    facts: deadlines.Facts | None    # None until the request has reached the organisation
    extension_notified: dt.date | None = None
    before_extension: str = "sent"   # the status to show if an extension proves invalid
    events: list[Event] = field(default_factory=list)
    # An answer is still owed: sent, and neither answered in full, refused, answered
    # "no data held" nor withdrawn. A complaint to the regulator changes nothing here:
    # escalating a late request does not make it any less late.
    owed: bool = False


def ordered(events) -> list[Event]:
    return sorted(events, key=lambda e: (e.on, e.seq))


def derive(events, *, check: bool = True) -> State:
    """Fold events (in date order, then recording order) into a State.

    With `check`, an event that does not fit raises InvalidEventError naming it.
    """
    fold = _Fold(ordered(events))
    for e in fold.evs:
        if e.kind not in EVENT_KINDS:
            _refuse(e, f"unknown event {e.kind!r}")
        if e.kind == "drafted":
            continue
        if check:  # a stored history was checked when recorded
            fold.check(e)
        fold.apply(e, check)
    return fold.state()


def _refuse(e: Event, message: str):
    error = InvalidEventError(message)
    error.event = e
    raise error


class _Fold:
    """A request's history read so far (derive)."""

    def __init__(self, evs: list[Event]):
        self.evs = evs
        self.status = "draft"
        self.resume = "sent"       # the status to return to when a wait ends
        self.before_extension = "sent"
        self.receipt: dict | None = None
        self.delivered: dt.date | None = None
        # Each question asked and its answer, [asked, answered]; there may be several.
        self.waits: dict[str, list[list]] = {"id-requested": [], "fee-requested": [],
                                             "clarification-requested": []}
        self.extension_notified = None
        self.owed = False
        self.drafted_on = min((e.on for e in evs if e.kind == "drafted"), default=None)

    def check(self, e: Event) -> None:
        """Refuse an event that does not fit what came before it."""
        status, receipt = self.status, self.receipt
        if e.kind not in _ANY and e.kind not in _ALLOWED[status]:
            later = [x for x in self.evs if x.kind in ("sent", "posted") and x.on > e.on]
            if status == "draft" and later:
                _refuse(e, f"{e.kind} on {e.on} is before the request was sent ({later[0].on})")
            if e.kind in _ANSWER_TO:
                asked = {v[1]: k for k, v in _WAITING.items()}[e.kind]
                question = [x for x in self.evs if x.kind == asked and x.on > e.on]
                if question:
                    _refuse(e, f"{e.kind} on {e.on} is before the {asked} it answers "
                               f"({question[0].on})")
            _refuse(e, _refusal(e, status))
        elif receipt and e.kind in (*_REPLIES, "delivered", "bounced") and e.on < receipt["on"]:
            _refuse(e, f"{e.kind} on {e.on} is before the request was sent ({receipt['on']})")
        elif e.kind in ("sent", "posted") and self.drafted_on and e.on < self.drafted_on:
            _refuse(e, f"{e.kind} on {e.on} is before the request was drafted "
                       f"({self.drafted_on})")
        elif (e.kind == status and e.kind not in REPEATABLE) or (
                e.kind == "acknowledged" and self.resume == "acknowledged"):
            _refuse(e, f"{e.kind} is already recorded")
        elif e.kind == "extended" and self.extension_notified:
            _refuse(e, f"an extension is already recorded (notified {self.extension_notified})")
        elif e.kind == "delivered" and self.delivered:
            _refuse(e, f"the delivery is already recorded ({self.delivered})")
        elif e.kind == "complaint-acknowledged" and not any(
                s164a.is_complaint(x) and x.on <= e.on for x in self.evs):
            _refuse(e, "complaint-acknowledged: no complaint to them is recorded before "
                       f"{e.on} (`sar mark REF complained` or `sar remind REF`)")

    def apply(self, e: Event, check: bool) -> None:
        if e.kind in ("sent", "posted"):
            channel = "email" if e.kind == "sent" else e.details.get("method", "first-class")
            self.receipt = {"on": e.on, "at": e.at, "via": channel}
            self.delivered = None
            self.status = self.resume = self.before_extension = "sent"
            self.owed = True
        elif e.kind == "delivered":
            if check and (self.receipt is None or self.receipt["via"] == "email"):
                _refuse(e, "delivered applies only to a posted letter")
            self.delivered = e.on
        elif e.kind == "bounced":
            self.status, self.receipt = "bounced", None
            self.owed = False
            self.waits = {k: [] for k in self.waits}
            self.extension_notified = None
        elif e.kind == "acknowledged":
            if self.status == "sent":
                self.status = self.resume = self.before_extension = "acknowledged"
            elif self.status.startswith("awaiting-") and self.resume == "sent":
                self.resume = self.before_extension = "acknowledged"
        elif e.kind in _WAITING:
            if self.status in ("sent", "acknowledged", "extended"):
                self.resume = self.status
            self.status = _WAITING[e.kind][0]
            self.waits[e.kind].append([e.on, None])
        elif e.kind in _ANSWER_TO:
            asked = {answer: question for question, (_, answer) in _WAITING.items()}[e.kind]
            self.waits[asked][-1][1] = e.on
            self.status = self.resume
        elif e.kind == "extended":
            # The first notice is the one that counts; a later one (a reminder, a
            # restatement) must not make a valid extension look late.
            self.extension_notified = self.extension_notified or e.on
            if self.status in ("sent", "acknowledged"):
                self.before_extension = self.status
            self.status = self.resume = "extended"
        elif e.kind in ANSWERS or e.kind in ("withdrawn", "escalated"):
            self.status = e.kind
            if e.kind in CLOSED:
                self.owed = False

    def state(self) -> State:
        facts = None
        receipt = self.receipt
        if receipt is not None:
            received = (receipt["at"] if receipt["via"] == "email" and receipt["at"]
                        else receipt["on"])

            def pauses(kind):
                return tuple(deadlines.Pause(a, b) for a, b in self.waits[kind])

            facts = deadlines.Facts(
                received=received, via=receipt["via"], delivered=self.delivered,
                id_rounds=pauses("id-requested"), fee_rounds=pauses("fee-requested"),
                clarifications=pauses("clarification-requested"),
                extension_notified=self.extension_notified,
            )
        return State(status=self.status, facts=facts,
                     extension_notified=self.extension_notified,
                     before_extension=self.before_extension, events=self.evs,
                     owed=self.owed)


def _refusal(e: Event, status: str) -> str:
    why = _WHY_NOT.get(status)
    if e.kind in _ANSWER_TO and status != _ANSWER_TO[e.kind]:
        asked = {v[1]: k for k, v in _WAITING.items()}[e.kind]
        return f"cannot record {e.kind}: no open {asked} (the request is {status})"
    if e.kind in ("sent", "posted") and status not in UNSENT:
        return f"cannot record {e.kind}: the request was already sent (status {status})"
    if why:
        return f"cannot record {e.kind}: {why}"
    return f"cannot record {e.kind} on a request that is {status}"


@dataclass
class Assessment:
    """A request's status and deadline as of one day."""

    status: str
    base_status: str
    deadline: deadlines.Deadline | None
    overdue_days: int = 0
    owed: bool = False   # an answer is still owed (State.owed)

    @property
    def due(self) -> dt.date | None:
        return self.deadline.due if self.deadline else None

    def cached(self) -> dict:
        """The request row's cached `status` and `due` (DESIGN.md: derived from the
        events, stored in the same transaction so listing stays fast). An escalated
        request keeps its due date only while an answer is still owed, so the board
        tells a late one from one refused in time without reading its events."""
        due = self.due if self.owed or self.base_status != "escalated" else None
        return {"status": self.base_status, "due": due.isoformat() if due else None}

    def dates(self) -> dict:
        """What the calendar writes of a request whose clock runs, beside its due date:
        the last day to announce an extension (Art. 12(3)), the CCPA acknowledgement
        date, whether an extension counts, and the steps that gave the date. Cached on
        the request's row (m019); empty when no clock runs."""
        dl = self.deadline
        if dl is None or self.base_status not in RUNNING:
            return {}
        return {"ext_notice_due": dl.ext_notice_due and dl.ext_notice_due.isoformat(),
                "ack_due": dl.ack_due and dl.ack_due.isoformat(), "extended": dl.extended,
                "explanation": list(dl.explanation)}


def answer_due(events, regime: str, calendar: str, today: dt.date,
               options: deadlines.Options | None = None) -> dt.date | None:
    """The due date as it stood just before the first answer (in recording order),
    from the events before it: what an answer is measured against, so that a late
    extension recorded afterwards cannot make a late answer look on time. None when
    there is no answer, or no clock was running when it came."""
    answers = [e for e in events if e.kind in ANSWERS]
    if not answers:
        return None
    first = min(answers, key=lambda e: e.seq)
    before = [e for e in events if (e.on, e.seq) < (first.on, first.seq)]
    a = assess(before, regime, calendar, today, options)
    return a.deadline.due if a.deadline else None


def assess(events, regime: str, calendar: str, today: dt.date,
           options: deadlines.Options | None = None) -> Assessment:
    """Status (with 'overdue' when the clock has run out by `today`) and deadline."""
    state = derive(events, check=False)
    deadline = None
    status = state.status
    if state.facts is not None:
        deadline = deadlines.due_date(state.facts, regime, calendar, options)
        if status == "extended" and not deadline.extended:
            status = state.before_extension
    base = status
    overdue_days = 0
    if deadline and deadline.due and today > deadline.due and (
            status in RUNNING or (status == "escalated" and state.owed)):
        # Escalated, still unanswered: shown as escalated, counted as late.
        overdue_days = (today - deadline.due).days
        if status in RUNNING:
            status = "overdue"
    return Assessment(status=status, base_status=base, deadline=deadline,
                      overdue_days=overdue_days, owed=state.owed)


def status_on(base_status: str, due: dt.date | None, today: dt.date) -> str:
    """The status shown on `today` from the cached base status and due date.

    Overdue only from the day after the due date: never earlier than a regulator
    would say (legal.md §1.1).
    """
    if base_status in RUNNING and due is not None and today > due:
        return "overdue"
    return base_status


# Not a status of the request's own (its events say draft): a letter whose sending
# was interrupted, so nobody knows whether it went. Shown so it is not forgotten.
SEND_UNKNOWN = "send-unknown"
SHOWN_STATUSES = (*STATUSES, SEND_UNKNOWN)

NEXT_STEP = {
    SEND_UNKNOWN: "sending was interrupted and may or may not have gone: look in your "
                  "Sent folder; if it is there, `sar send {ref} --confirm-sent`, if not, "
                  "`sar send {ref} --retry-unknown`",
    "draft": "send it: `sar send {ref}`",
    "sent": "wait for a reply; record it with `sar mark {ref} EVENT`",
    "acknowledged": "wait for the answer; the deadline still runs",
    "extended": "wait for the answer by the extended date; if no reasons were given, "
                "ask for them: `sar send {ref} --follow-up extension-challenge` (read it "
                "first with `sar letter {ref} --follow-up extension-challenge`)",
    "awaiting-id": "send only what is reasonable (`sar send {ref} --follow-up id-reply "
                   "--details WHAT`; read it first with `sar letter`), then "
                   "`sar mark {ref} id-provided`",
    "awaiting-clarification": "answer the question, then "
                              "`sar mark {ref} clarification-provided`",
    "awaiting-fee": "pay the fee if it is justified, then `sar mark {ref} fee-paid`",
    "overdue": "the deadline has passed: send a reminder (`sar remind {ref}`), then "
               "complain to the regulator",
    "partially-fulfilled": "check what is missing and ask for it",
    "fulfilled": "nothing: the request is answered",
    # A fulfilled answer whose review found gaps: Art. 15(1)-(3) are all owed.
    "answered-incomplete": "the answer leaves out part of Article 15 (`sar review {ref}`): "
                           "ask for the rest with `sar send {ref} --follow-up incomplete` "
                           "(read it first with `sar letter {ref} --follow-up incomplete`)",
    "no-data-held": "nothing, unless you have reason to doubt the answer",
    "refused": "check the reasons given; you may complain to the regulator",
    "bounced": "find a working address (`sar orgs edit`), then `sar send {ref}` again",
    "withdrawn": "nothing: the request was withdrawn",
    "escalated": "wait for the regulator",
}
# A letter that goes by post is printed, posted, and then recorded.
NEXT_STEP_BY_POST = {
    "draft": "print it (`sar letter {ref} -o {ref}.docx`), post it, then "
             "`sar post {ref} --posted DATE`",
    "bounced": "find a working address (`sar orgs edit`), print the letter again "
               "(`sar letter {ref} -o {ref}.docx`), post it, then `sar post {ref} --posted DATE`",
    # A posted request is reminded by post: `sar remind REF` alone would refuse it.
    "overdue": "the deadline has passed: print a reminder (`sar letter {ref} --follow-up "
               "reminder -o {ref}-reminder.docx`), post it, record it with `sar remind "
               "{ref} --posted DATE`, then complain to the regulator",
}


AFTER_REMINDER = ("a reminder has gone: if the final date it set passes without an answer, "
                  "complain to the regulator (the ICO: within three months of your last "
                  "contact with the organisation)")


# Once the follow-up a status suggests has gone (`followed-up`), what is left to do.
AFTER_FOLLOW_UP = {
    ("extended", "extension-challenge"):
        "your challenge to the extension went: wait for the answer by the extended date",
    ("answered-incomplete", "incomplete"):
        "your letter asking for the missing items went: wait for the rest of the answer",
    ("awaiting-id", "id-reply"):
        "your reply to the ID request went: once they have what they asked for, "
        "`sar mark {ref} id-provided` (the month runs again from then)",
}


def next_step(status: str, channel: str, ref: str, reminded: bool = False,
              followed_up: tuple[str, ...] = ()) -> str:
    """What the requester should do next, in words, with the command to do it.
    `followed_up`: the follow-ups already sent that still stand (sar.core.followups)."""
    if status == "overdue" and reminded:
        return AFTER_REMINDER
    for kind in followed_up:
        if (status, kind) in AFTER_FOLLOW_UP:
            return AFTER_FOLLOW_UP[status, kind].format(ref=ref)
    steps = NEXT_STEP_BY_POST if channel == "post" and status in NEXT_STEP_BY_POST else NEXT_STEP
    return steps.get(status, "").format(ref=ref)
