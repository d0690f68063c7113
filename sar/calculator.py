"""`sar deadline`: the deadline engine fed from what a user types.

Parses dates and option words, naming the flag when one is wrong, and returns
the engine's answer as plain data for the CLI to print.
"""

from __future__ import annotations

from sar.core import deadlines
from sar.core.dates import parse_date, parse_date_or_datetime
from sar.errors import UsageError, unknown

# flag -> (Options field, allowed values)
RULE_FLAGS = {
    "--email-rule": "email_receipt",
    "--post-rule": "post_presumption",
    "--pause-rule": "pause_counting",
}


def _day(value: str | None, flag: str):
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError as e:
        raise UsageError(f"{flag}: {e}") from None


def calculate(*, received: str, regime: str = "uk-gdpr", calendar: str | None = None,
              via: str = "email", delivered: str | None = None,
              id_requested: str | None = None, id_received: str | None = None,
              fee_requested: str | None = None, fee_paid: str | None = None,
              clarifications: list[str] = (), extended: bool = False,
              extended_on: str | None = None, email_rule: str = "same-day",
              post_rule: str = "pd-1985", pause_rule: str = "inclusive",
              strict: bool = False) -> dict:
    if regime not in deadlines.REGIMES:
        raise UsageError(unknown("regime", regime, deadlines.REGIMES))
    if via not in deadlines.CHANNELS:
        raise UsageError(f"--via must be one of {', '.join(deadlines.CHANNELS)}")
    if delivered and via not in deadlines.POSTAL:
        raise UsageError("--delivered is the tracked delivery of a posted letter: "
                         "add --via first-class, second-class or signed-for")
    rules = {"--email-rule": email_rule, "--post-rule": post_rule, "--pause-rule": pause_rule}
    for flag, value in rules.items():
        allowed = deadlines.OPTION_CHOICES[RULE_FLAGS[flag]]
        if value not in allowed:
            raise UsageError(f"{flag} must be one of {', '.join(allowed)}")
    try:
        when = parse_date_or_datetime(received)
    except ValueError as e:
        raise UsageError(f"--received: {e}") from None
    pauses = []
    for pair in clarifications:
        asked, sep, answered = pair.partition(":")
        if not sep:
            raise UsageError(f"--clarification {pair!r}: expected ASKED:ANSWERED "
                             "(ASKED: alone for a question not yet answered)")
        pauses.append(deadlines.Pause(_day(asked, "--clarification"),
                                      _day(answered, "--clarification")))
        if pauses[-1].asked is None:
            raise UsageError(f"--clarification {pair!r}: the date it was asked is missing")
    facts = deadlines.Facts(
        received=when, via=via, delivered=_day(delivered, "--delivered"),
        id_requested=_day(id_requested, "--id-requested"),
        id_received=_day(id_received, "--id-received"),
        fee_requested=_day(fee_requested, "--fee-requested"),
        fee_paid=_day(fee_paid, "--fee-paid"), clarifications=tuple(pauses),
        extended=extended, extension_notified=_day(extended_on, "--extended-on"),
    )
    options = deadlines.Options(email_receipt=email_rule, post_presumption=post_rule,
                                pause_counting=pause_rule,
                                uk_counting="strict" if strict else "ico")
    result = deadlines.due_date(facts, regime, calendar, options)
    return {"received": received, "via": via, **result.as_dict()}
