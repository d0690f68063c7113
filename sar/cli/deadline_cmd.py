"""`sar deadline`: the deadline calculator, useful on its own."""

from __future__ import annotations

from typing import Annotated

import typer

from sar.cli import app, output
from sar.errors import UsageError


@app.command()
def deadline(
    received: Annotated[str, typer.Option(
        metavar="DATE", help="When the request arrived (YYYY-MM-DD, or a datetime with a zone); for post, "
             "the posting date.")],
    regime: Annotated[str, typer.Option(metavar="REGIME", help="uk-gdpr, eu-gdpr, ccpa or pipeda.")] = "uk-gdpr",
    calendar: Annotated[str | None, typer.Option(
        metavar="CAL", help="Holiday calendar (default: the regime's: GB-ENG, IE, US-CA, CA).")] = None,
    via: Annotated[str, typer.Option(
        metavar="CHANNEL", help="email, web-form, hand, first-class, second-class or signed-for.")] = "email",
    delivered: Annotated[str | None, typer.Option(metavar="DATE", help="Tracked delivery date (post).")] = None,
    id_requested: Annotated[str | None, typer.Option(metavar="DATE", help="When ID was asked for.")] = None,
    id_received: Annotated[str | None, typer.Option(metavar="DATE", help="When the ID arrived.")] = None,
    fee_requested: Annotated[str | None, typer.Option(metavar="DATE", help="When a fee was asked for.")] = None,
    fee_paid: Annotated[str | None, typer.Option(metavar="DATE", help="When the fee was paid.")] = None,
    clarification: Annotated[list[str] | None, typer.Option(
        metavar="ASKED:ANSWERED", help="ASKED:ANSWERED dates of a clarification (repeatable; UK pauses the clock).")] = None,
    extended: Annotated[bool, typer.Option("--extended", help="The controller extended the deadline.")] = False,
    extended_on: Annotated[str | None, typer.Option(
        metavar="DATE", help="When the extension was notified (checks it came in time).")] = None,
    post_rule: Annotated[str, typer.Option(metavar="RULE", help="pd-1985 or cpr-6.26 (post presumption).")] = "pd-1985",
    email_rule: Annotated[str, typer.Option(metavar="RULE", help="same-day or cpr-6.26 (email receipt).")] = "same-day",
    pause_rule: Annotated[str, typer.Option(metavar="RULE", help="inclusive or resume (clarification days).")] = "inclusive",
    strict: Annotated[bool, typer.Option("--strict",
        help="Also show the strict 'one month beginning with' reading.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Work out a statutory deadline and show the reasoning, step by step."""
    from sar.core import deadlines
    from sar.core.dates import parse_date, parse_date_or_datetime

    if regime not in deadlines.REGIMES:
        from sar.errors import did_you_mean

        raise UsageError(f"unknown regime {regime!r}{did_you_mean(regime, deadlines.REGIMES)}")

    def day(value, flag):
        if value is None:
            return None
        try:
            return parse_date(value)
        except ValueError as e:
            raise UsageError(f"{flag}: {e}") from None

    try:
        when = parse_date_or_datetime(received)
    except ValueError as e:
        raise UsageError(f"--received: {e}") from None
    pauses = []
    for pair in clarification or []:
        asked, sep, answered = pair.partition(":")
        if not sep:
            raise UsageError(f"--clarification {pair!r}: expected ASKED:ANSWERED")
        pauses.append(deadlines.Pause(day(asked, "--clarification"),
                                      day(answered, "--clarification")))
    id_received_day = day(id_received, "--id-received")
    fee_paid_day = day(fee_paid, "--fee-paid")
    facts = deadlines.Facts(
        received=when, via=via, delivered=day(delivered, "--delivered"),
        id_requested=day(id_requested, "--id-requested") or (
            id_received_day and _received_day(when)),
        id_received=id_received_day,
        fee_requested=day(fee_requested, "--fee-requested") or (
            fee_paid_day and _received_day(when)),
        fee_paid=fee_paid_day, clarifications=tuple(pauses), extended=extended,
        extension_notified=day(extended_on, "--extended-on"),
    )
    options = deadlines.Options(email_receipt=email_rule, post_presumption=post_rule,
                                pause_counting=pause_rule,
                                uk_counting="strict" if strict else "ico")
    result = deadlines.due_date(facts, regime, calendar, options)
    data = {"received": received, "via": via, **result.as_dict()}
    if json_:
        output.emit_json(data)
        return
    typer.echo(f"Due: {data['due'] or 'not running (waiting for ' + str(result.waiting_for) + ')'}")
    for line in result.explanation:
        typer.echo(f"  {line}")
    for w in result.warnings:
        typer.echo(f"  ! {w}")
    if result.ack_due:
        typer.echo(f"Acknowledgement due: {result.ack_due.isoformat()}")
    if not result.extended and result.extended_due:
        typer.echo(f"With a valid extension (notified by {result.ext_notice_due}): "
                   f"{result.extended_due.isoformat()}")


def _received_day(when):
    import datetime as dt

    return when.date() if isinstance(when, dt.datetime) else when
