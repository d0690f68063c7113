"""Statutory deadlines: when an answer is due, and why.

Pure: no clock, no I/O. `due_date()` takes the facts of a request (when it was
received and how, ID or fee asked for and provided, clarification pauses, an
extension notice) and a regime, and returns the date with its reasoning step by
step, so `sar show` can print it and a person can check it.

Each regime is a small set of parameters over one calculation (legal.md §0.7):
the period, how an extension is counted, whether the date rolls past weekends and
holidays, and how ID, fees and clarification move the clock. Where the law leaves
a choice open, `Options` holds the alternative readings; the defaults protect the
requester without ever calling an answer late before the regulator would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sar.core import calendars
from sar.core.dates import add_months, short
from sar.errors import UsageError

# Channels by which a request reaches the controller.
ELECTRONIC = ("email", "web-form", "hand")
POSTAL = ("first-class", "second-class", "signed-for")
CHANNELS = ELECTRONIC + POSTAL


class DeadlineInputError(UsageError):
    """Facts that cannot be true together (an answer before its question)."""


@dataclass(frozen=True)
class Period:
    """A length of time: whole months, or calendar days."""

    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        if self.months:
            return "one month" if self.months == 1 else f"{_words(self.months)} months"
        return f"{self.days} days"

    def after(self, start: dt.date) -> tuple[dt.date, str, bool]:
        """The end of the period begun on `start` (day 0), the working shown, and
        whether the date was clamped to a month's last day."""
        if self.months:
            end, clamped = add_months(start, self.months)
            if clamped:
                return end, (f"no {start.day} {end.strftime('%b %Y')}, so the last day of "
                             f"that month, {short(end)}"), True
            return end, f"the same day-number {self} later, {short(end)}", False
        end = start + dt.timedelta(days=self.days)
        return end, f"{self.days} calendar days later, {short(end)}", False


def _words(n: int) -> str:
    return {2: "two", 3: "three", 4: "four"}.get(n, str(n))


@dataclass(frozen=True)
class Regime:
    """The parameters of one law's deadline rules."""

    name: str
    title: str
    rule: str                 # which version of the counting produced a date
    period: Period
    extended: Period          # counted from the start, never chained onto `period`
    period_cite: str
    extension_cite: str
    roll: bool                # move a due date off weekends and holidays
    roll_cite: str
    default_calendar: str
    id_rule: str              # "restart": a fresh period; "pause": stopped while waiting; "none"
    id_cite: str
    clarification_rule: str   # "pause" or "none"
    clarification_cite: str
    fee_cite: str = ""        # the source for how a fee counts, where it differs from ID's
    fee_rule: str = ""        # as id_rule; empty: the same as ID
    ack_business_days: int = 0
    ack_cite: str = ""

    def rule_for(self, what: str) -> str:
        """How a wait for `what` (ID, fee, clarification) counts: restart, pause, none."""
        if what == "clarification":
            return self.clarification_rule
        return (self.fee_rule or self.id_rule) if what == "fee" else self.id_rule

    def cite(self, what: str) -> str:
        """The source for how a wait for `what` (ID, fee, clarification) counts."""
        if what == "clarification":
            return self.clarification_cite
        return (self.fee_cite or self.id_cite) if what == "fee" else self.id_cite


REGIMES: dict[str, Regime] = {
    "uk-gdpr": Regime(
        name="uk-gdpr",
        title="UK GDPR",
        rule="uk-gdpr/ico-2019",
        period=Period(months=1),
        extended=Period(months=3),
        period_cite="UK GDPR Art. 12(3); ICO: receipt day is day 0, corresponding date next month",
        extension_cite="Art. 12(3); ICO: three months from the original start, not chained",
        roll=True,
        roll_cite="ICO: a deadline on a weekend or bank holiday moves to the next working day",
        default_calendar="GB-ENG",
        id_rule="restart",
        id_cite="Art. 12(6) and the 'relevant time' in Art. 12A UK GDPR; ICO: a fresh month",
        clarification_rule="pause",
        clarification_cite="Art. 12A UK GDPR (worded as DPA 2018 s.54(3C))",
        fee_cite="Art. 12(5) and 15(3) (a fee only for a manifestly unfounded or excessive "
                 "request, or further copies) and the 'relevant time' in Art. 12A UK GDPR",
    ),
    "eu-gdpr": Regime(
        name="eu-gdpr",
        title="GDPR",
        rule="eu-gdpr/reg-1182-71",
        period=Period(months=1),
        extended=Period(months=3),
        period_cite="GDPR Art. 12(3); Reg. 1182/71 Art. 3(1), 3(2)(c)",
        extension_cite="GDPR Art. 12(3), counted as three months from the start",
        roll=True,
        roll_cite="Reg. 1182/71 Art. 3(4): a period ending on a Saturday, Sunday or public "
                  "holiday ends on the next working day",
        default_calendar="IE",
        id_rule="pause",
        id_cite="EDPB Guidelines 01/2022: the period may be suspended while ID asked for is awaited",
        # Only ID suspends the EU period (EDPB 01/2022); nothing says a fee does, so the
        # reading that protects the requester: asking for a fee stops nothing.
        fee_rule="none",
        fee_cite="GDPR Art. 12(5) allows a fee only for a manifestly unfounded or excessive "
                 "request and sets no pause for it; only a wait for ID suspends the period",
        clarification_rule="none",
        clarification_cite="GDPR has no clarification pause",
    ),
    "ccpa": Regime(
        name="ccpa",
        title="CCPA/CPRA",
        rule="ccpa/11-ccr-7021",
        period=Period(days=45),
        extended=Period(days=90),
        period_cite="11 CCR §7021(b): 45 calendar days from receipt",
        extension_cite="11 CCR §7021(b): once, up to 90 days in total, with notice",
        # Cal. Civ. Code §§10-11 (a last day on a holiday moves to the next business
        # day) is unsettled for §7021; rolling is the reading that never calls a reply
        # late before the regulator could (docs/deadlines.md); `roll` option overrides.
        roll=True,
        roll_cite="Cal. Civ. Code §§10-11, applied so that no reply is called late early",
        default_calendar="US-CA",
        id_rule="none",
        id_cite="11 CCR §7021(b): the period runs 'regardless of time required to verify'",
        clarification_rule="none",
        clarification_cite="the CCPA regulations have no clarification pause",
        fee_cite="the CCPA has no fee that stops the clock",
        ack_business_days=10,
        ack_cite="11 CCR §7021(a): confirm receipt within 10 business days",
    ),
    "pipeda": Regime(
        name="pipeda",
        title="PIPEDA",
        rule="pipeda/s8",
        period=Period(days=30),
        extended=Period(days=60),
        period_cite="PIPEDA s.8(3): 30 days after receipt",
        extension_cite="PIPEDA s.8(4): up to a further 30 days, with notice within the first 30",
        roll=False,
        roll_cite="not moved off weekends by default",
        default_calendar="CA",
        id_rule="none",
        id_cite="PIPEDA has no ID restart",
        clarification_rule="none",
        clarification_cite="PIPEDA has no clarification pause",
        fee_cite="PIPEDA has no fee restart",
    ),
}

REGIME_NAMES = tuple(REGIMES)


@dataclass(frozen=True)
class Pause:
    """A time the clock stood still: a question asked and, perhaps, answered."""

    asked: dt.date
    answered: dt.date | None = None


# ICO right of access guidance: ask for ID "as soon as possible"; a question later
# than this in the month is flagged as possibly unreasonable (never ignored: the
# reading that protects the requester is to warn, and let the user argue it).
LATE_ID_REQUEST_DAYS = 14


@dataclass(frozen=True)
class Facts:
    """What happened to a request, as far as its deadline cares."""

    received: dt.date | dt.datetime    # arrival (electronic) or posting date (post)
    via: str = "email"
    delivered: dt.date | None = None   # tracked delivery date, rebutting any presumption
    id_requested: dt.date | None = None
    id_received: dt.date | None = None
    fee_requested: dt.date | None = None
    fee_paid: dt.date | None = None
    clarifications: tuple[Pause, ...] = ()
    extended: bool = False
    extension_notified: dt.date | None = None  # when the controller announced it, if known
    id_rounds: tuple[Pause, ...] = ()   # every ID request and answer, when there were several
    fee_rounds: tuple[Pause, ...] = ()

    def rounds(self, what: str) -> tuple[Pause, ...]:
        """Every (asked, answered) pair for 'ID' or 'fee'; asked is None if unknown."""
        many, asked, got = ((self.id_rounds, self.id_requested, self.id_received) if what == "ID"
                            else (self.fee_rounds, self.fee_requested, self.fee_paid))
        if asked is None and got is None:
            return many
        return (*many, Pause(asked, got))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Options:
    """Readings the law leaves open; defaults first (docs/deadlines.md)."""

    # "same-day": the controller-local date of arrival (ICO). "cpr-6.26": after
    # 16:30 or on a non-business day it counts from the next business day.
    email_receipt: str = "same-day"
    # "pd-1985": 2nd working day (first class) / 4th (second class) after posting,
    # Practice Direction [1985] 1 All ER 889. "cpr-6.26": first class on the second
    # day after posting if a business day, else the next business day.
    post_presumption: str = "pd-1985"
    # "inclusive": the days from question to answer, both counted (s.54(3C)
    # wording). "resume": the clock restarts the day after the answer, one day less.
    pause_counting: str = "inclusive"
    # "ico": the corresponding date next month. "strict": 'one month beginning
    # with' read under English rules, ending the day before. Informational only:
    # nothing is called overdue before the ICO date has passed.
    uk_counting: str = "ico"
    # None: the regime's own rule. True/False force it.
    roll: bool | None = None


OPTION_CHOICES = {
    "email_receipt": ("same-day", "cpr-6.26"),
    "post_presumption": ("pd-1985", "cpr-6.26"),
    "pause_counting": ("inclusive", "resume"),
    "uk_counting": ("ico", "strict"),
}


@dataclass
class Deadline:
    """A due date and everything that went into it."""

    regime: str
    rule: str
    calendar: str
    receipt: dt.date
    start: dt.date | None
    due: dt.date | None                 # None while the clock is stopped
    ext_notice_due: dt.date | None      # an extension must be announced by then
    extended_due: dt.date | None        # the date if a valid extension is (or were) taken
    extended: bool = False
    ack_due: dt.date | None = None
    paused_days: int = 0                # days that did not count (clarification, ID waits)
    paused_since: dt.date | None = None
    waiting_for: str | None = None
    explanation: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {
            "regime": self.regime,
            "rule": self.rule,
            "calendar": self.calendar,
            "receipt": iso(self.receipt),
            "start": iso(self.start),
            "due": iso(self.due),
            "extended": self.extended,
            "ext_notice_due": iso(self.ext_notice_due),
            "extended_due": iso(self.extended_due),
            "ack_due": iso(self.ack_due),
            "paused_days": self.paused_days,
            "paused_since": iso(self.paused_since),
            "waiting_for": self.waiting_for,
            "explanation": list(self.explanation),
            "warnings": list(self.warnings),
        }


def deemed_receipt(facts: Facts, cal: calendars.Calendar, options: Options) -> tuple[dt.date, list[str]]:
    """The date the controller is taken to have received the request, with why."""
    if facts.via not in CHANNELS:
        raise DeadlineInputError(f"unknown channel {facts.via!r} (one of {', '.join(CHANNELS)})")
    steps: list[str] = []
    when = facts.received
    if facts.via in POSTAL:
        posted = when.date() if isinstance(when, dt.datetime) else when
        if facts.delivered is not None:
            if facts.delivered < posted:
                raise DeadlineInputError("the delivery date is before the posting date")
            steps.append(f"posted {short(posted)} by {facts.via} post; tracked delivery on "
                         f"{short(facts.delivered)} proves the date of receipt (Interpretation "
                         "Act 1978 s.7: presumed 'unless the contrary is proved')")
            return facts.delivered, steps
        if facts.via == "second-class":
            # CPR 6.26 covers only next-day services, so second class always
            # follows the Practice Direction.
            day = cal.add_working_days(posted, 4)
            steps.append(f"posted {short(posted)} by second-class post → deemed received on "
                         f"the 4th working day after, {short(day)} (Practice Direction [1985]; "
                         f"{cal.name})")
            return day, steps
        if options.post_presumption == "cpr-6.26":
            second = posted + dt.timedelta(days=2)
            day, _ = cal.roll_forward(second)
            steps.append(f"posted {short(posted)} by {facts.via} post → deemed received on the "
                         f"second day after, if a business day, else the next: {short(day)} "
                         f"(CPR 6.26; {cal.name})")
            return day, steps
        day = cal.add_working_days(posted, 2)
        steps.append(f"posted {short(posted)} by {facts.via} post → deemed received on the 2nd "
                     f"working day after, {short(day)} (Practice Direction [1985]; {cal.name})")
        return day, steps

    if isinstance(when, dt.datetime):
        local = _to_zone(when, cal.zone)
        day = local.date()
        if when.tzinfo is not None and day != when.date():
            steps.append(f"arrived {when.isoformat()} = {local.strftime('%H:%M')} on "
                         f"{short(day)} in {cal.zone} (the controller's local date)")
        if options.email_receipt == "cpr-6.26" and (
            local.time() >= dt.time(16, 30) or not cal.is_working_day(day)
        ):
            nxt = cal.add_working_days(day, 1)
            steps.append(f"arrived after 16:30 or on a non-business day → counted from "
                         f"{short(nxt)} (CPR 6.26 option)")
            return nxt, steps
    else:
        day = when
        if options.email_receipt == "cpr-6.26" and not cal.is_working_day(day):
            nxt = cal.add_working_days(day, 1)
            steps.append(f"arrived on a non-business day → counted from {short(nxt)} "
                         f"(CPR 6.26 option)")
            return nxt, steps
    steps.append(f"received {short(day)} by {facts.via}" +
                 ("" if cal.is_working_day(day) else
                  " (a non-working day still counts as the day of receipt)"))
    return day, steps


def _to_zone(when: dt.datetime, zone: str) -> dt.datetime:
    if when.tzinfo is None:
        return when  # a naive time is already the controller's local time
    from zoneinfo import ZoneInfo

    return when.astimezone(ZoneInfo(zone))


def _paused(pause: Pause, start: dt.date, options: Options) -> set[dt.date]:
    """The days a pause takes out of the period: from the question (or the start,
    if later) to the answer, both included (s.54(3C)); with "resume" counting, the
    answer day itself runs again."""
    assert pause.answered is not None
    first = max(pause.asked, start)
    last = pause.answered if options.pause_counting == "inclusive" else \
        pause.answered - dt.timedelta(days=1)
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


def due_date(
    facts: Facts,
    regime: str | Regime = "uk-gdpr",
    calendar: str | None = None,
    options: Options | None = None,
) -> Deadline:
    """The statutory due date for `facts` under `regime`, with its reasoning."""
    reg = regime if isinstance(regime, Regime) else REGIMES[regime]
    options = options or Options()
    for name, allowed in OPTION_CHOICES.items():
        if getattr(options, name) not in allowed:
            raise DeadlineInputError(f"option {name} must be one of {', '.join(allowed)}")
    cal = calendars.get(calendar or reg.default_calendar)
    _check_order(facts)

    receipt, steps = deemed_receipt(facts, cal, options)
    result = Deadline(regime=reg.name, rule=reg.rule, calendar=cal.code, receipt=receipt,
                      start=receipt, due=None, ext_notice_due=None, extended_due=None,
                      explanation=steps, warnings=[])
    if reg.ack_business_days:
        result.ack_due = cal.add_working_days(receipt, reg.ack_business_days)
        steps.append(f"acknowledgement due {short(result.ack_due)}: {reg.ack_business_days} "
                     f"business days after receipt ({reg.ack_cite}; {cal.name})")
    clock = _Clock(reg, cal, options, receipt,
                   extended=facts.extended and facts.extension_notified is None)
    if not clock.walk(_questions(facts, receipt), result):
        return result  # stopped: waiting for an answer
    result.start = clock.start
    _finish(clock, facts, result)
    return result


def _questions(facts: Facts, receipt: dt.date) -> list[tuple[dt.date, int, str, Pause | None]]:
    """Questions (ID, fee, clarification) and an extension notice, in date order (an
    extension after a question of the same day)."""
    items: list[tuple[dt.date, int, str, Pause | None]] = []
    for what in ("ID", "fee"):
        for p in facts.rounds(what):
            # Art. 12(6) (and 12(5) for a fee): only what the controller asked for moves
            # the clock; an answer with no recorded question is noted, not counted.
            if p.asked is None:
                items.append((p.answered or receipt, 2, what, p))
            else:
                items.append((p.asked, 0, what, p))
    for p in facts.clarifications:
        items.append((p.asked, 0, "clarification", p))
    if facts.extension_notified is not None:
        items.append((facts.extension_notified, 1, "extension", None))
    items.sort(key=lambda item: (item[0], item[1]))
    return items


class _Clock:
    """The period as it runs: its start (moved by a restart), the pauses so far, and
    whether it is extended (`extended` starts as the calculator's "assume valid")."""

    def __init__(self, reg: Regime, cal, options: Options, receipt: dt.date, extended: bool):
        self.reg, self.cal, self.options = reg, cal, options
        self.roll = reg.roll if options.roll is None else options.roll
        self.start = receipt
        self.receipt = receipt
        self.pauses: list[tuple[Pause, str]] = []
        self.extended = extended

    def paused_days(self) -> int:
        # A day two overlapping pauses both cover is one day, not two.
        return len(set().union(*(_paused(p, self.start, self.options) for p, _ in self.pauses)))

    def running(self, with_extension: bool) -> dt.date:
        period = self.reg.extended if with_extension else self.reg.period
        return _rolled(period.after(self.start)[0] + dt.timedelta(days=self.paused_days()),
                       self.cal, self.roll)

    def walk(self, items, result: Deadline) -> bool:
        """Judge each item against the deadline as it stood on that day, so a question
        asked after the deadline has passed cannot stop a clock that has run out, and an
        extension counts only if announced within the first period. False when the
        clock is stopped, waiting for an answer."""
        reg, steps, warnings = self.reg, result.explanation, result.warnings
        for when, order, what, p in items:
            if order == 2:
                warnings.append(f"{what} received {short(when)}, but no request for it is "
                                "recorded: only what the controller asked for moves the "
                                f"clock (Art. 12(6)); give the date it was asked for "
                                f"(--{what.lower()}-requested) if it was")
                continue
            if what == "extension":
                limit = self.running(False)
                if when <= limit:
                    self.extended = True
                else:
                    warnings.append(f"extension notified {short(when)}, after {short(limit)}: "
                                    f"too late to be valid, so the deadline does not move "
                                    f"({reg.extension_cite})")
                continue
            rule, cite = reg.rule_for(what), reg.cite(what)
            if rule == "none":
                steps.append(f"{what} asked {short(when)}: does not move the deadline ({cite})")
                continue
            deadline_then = self.running(self.extended)
            if what == "ID" and when <= deadline_then \
                    and (when - self.receipt).days > LATE_ID_REQUEST_DAYS:
                warnings.append(f"ID asked {short(when)}, {(when - self.receipt).days} days "
                                "after receipt: the ICO expects identity to be checked "
                                "promptly, so a late request may not have been reasonable "
                                "(Art. 12(6); ICO right of access guidance)")
            if when > deadline_then:
                warnings.append(f"{what} asked {short(when)}, after the deadline of "
                                f"{short(deadline_then)} had passed: it does not stop the clock")
                continue
            if p.answered is None:
                result.start = self.start
                result.paused_since = when
                result.waiting_for = what
                steps.append(f"{what} asked {short(when)}: the clock is stopped until "
                             f"{'the answer' if what == 'clarification' else 'it arrives'} "
                             f"({cite})")
                return False
            self._answered(what, p, rule, cite, steps)
        return True

    def _answered(self, what: str, p: Pause, rule: str, cite: str, steps: list[str]) -> None:
        if rule == "restart":
            if p.answered > self.start:
                self.start = p.answered
                steps.append(f"{what} received {short(p.answered)} → a fresh "
                             f"{self.reg.period} runs from that day ({cite})")
            return
        if p.asked is None:
            p = Pause(self.receipt, p.answered)
            steps.append(f"{what} provided {short(p.answered)}; no request date known, so "
                         "the suspension is counted from receipt")
        self.pauses.append((p, what))


def _finish(clock: _Clock, facts: Facts, result: Deadline) -> None:
    """The period from its start, the paused days added, the extension if any, each
    rolled to a working day where the regime says so."""
    reg, cal, options, start = clock.reg, clock.cal, clock.options, clock.start
    steps, warnings = result.explanation, result.warnings
    end, working, clamped = reg.period.after(start)
    steps.append(f"{reg.period} from {short(start)} (day 0): {working} ({reg.period_cite})")
    if reg.name == "uk-gdpr" and options.uk_counting == "strict" and not clamped:
        warnings.append(f"read strictly ('one month beginning with'), the period ends "
                        f"{short(end - dt.timedelta(days=1))}; the ICO date {short(end)} is "
                        "used, so nothing is called late before the regulator would")
    counting = ("question to answer, both days included" if options.pause_counting == "inclusive"
                else "question to the day before the answer (resume counting)")
    for p, what in clock.pauses:
        days = len(_paused(p, start, options))
        steps.append(f"{what} asked {short(p.asked)}, answered {short(p.answered)}: {days} "
                     f"day{'s do' if days != 1 else ' does'} not count, {counting} "
                     f"({reg.cite(what)})")
    extra = result.paused_days = clock.paused_days()
    if extra:
        end += dt.timedelta(days=extra)
        steps.append(f"{short(end)} once the "
                     + ("paused day is added" if extra == 1 else f"{extra} paused days are added"))
    # The days paused count against the extension-notice deadline too (s.54(3C)(ii)).
    one_period_due = _roll_step(end, cal, clock.roll, reg, steps)
    result.ext_notice_due = one_period_due
    ext_end, ext_working, _ = reg.extended.after(start)
    ext_end += dt.timedelta(days=extra)
    result.extended_due = _rolled(ext_end, cal, clock.roll)
    if clock.extended:
        result.extended = True
        when = (f" notified {short(facts.extension_notified)}, in time"
                if facts.extension_notified else "")
        steps.append(f"extension{when}: {reg.extended} from {short(start)}: {ext_working}"
                     + (f" + {extra} paused days = {short(ext_end)}" if extra else "")
                     + f" ({reg.extension_cite})")
        result.due = _roll_step(ext_end, cal, clock.roll, reg, steps)
    else:
        result.due = one_period_due
    steps.append(f"due {short(result.due)}")


def _rolled(day: dt.date, cal: calendars.Calendar, roll: bool) -> dt.date:
    return cal.roll_forward(day)[0] if roll else day


def _roll_step(day: dt.date, cal: calendars.Calendar, roll: bool, reg: Regime,
               steps: list[str]) -> dt.date:
    if not roll:
        if not cal.is_working_day(day):
            steps.append(f"{short(day)} is not a working day but is not moved ({reg.roll_cite})")
        return day
    rolled, sentence = cal.describe_roll(day)
    if sentence:
        steps.append(f"{sentence} ({reg.roll_cite})")
    return rolled


def _check_order(facts: Facts) -> None:
    received = facts.received.date() if isinstance(facts.received, dt.datetime) else facts.received
    for what in ("ID", "fee"):
        for p in facts.rounds(what):
            if p.asked and p.asked < received:
                raise DeadlineInputError(f"{what} requested before the request was received")
            if p.asked and p.answered and p.answered < p.asked:
                raise DeadlineInputError(f"{what} provided before it was requested")
            if p.answered and p.answered < received and facts.via in ELECTRONIC:
                raise DeadlineInputError(f"{what} provided before the request was received")
    for p in facts.clarifications:
        if p.asked < received:
            raise DeadlineInputError("clarification asked before the request was received")
        if p.answered and p.answered < p.asked:
            raise DeadlineInputError("clarification answered before it was asked")
    if facts.extension_notified and facts.extension_notified < received:
        raise DeadlineInputError("extension notified before the request was received")
