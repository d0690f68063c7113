"""`sar deadline`: the deadline calculator, useful on its own."""

from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app


@app.command(rich_help_panel="Tracking")
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
    """Work out a statutory deadline.

    Shows the reasoning step by step: receipt, period, pauses, extension, roll.
    """
    from sar.calculator import calculate

    data = calculate(received=received, regime=regime, calendar=calendar, via=via,
                     delivered=delivered, id_requested=id_requested, id_received=id_received,
                     fee_requested=fee_requested, fee_paid=fee_paid,
                     clarifications=clarification or [], extended=extended,
                     extended_on=extended_on, email_rule=email_rule, post_rule=post_rule,
                     pause_rule=pause_rule, strict=strict)
    if json_:
        output.emit_json(data)
        return
    waiting = f"not running: waiting for the {data['waiting_for']} asked {data['paused_since']}"
    typer.echo(f"Due: {data['due'] or waiting}")
    for line in data["explanation"]:
        typer.echo(f"  {line}")
    for w in data["warnings"]:
        typer.echo(f"  ! {w}")
    if data["ack_due"]:
        typer.echo(f"Acknowledgement due: {data['ack_due']}")
    if data["due"] and not data["extended"] and data["extended_due"]:
        typer.echo(f"With a valid extension (notified by {data['ext_notice_due']}): "
                   f"{data['extended_due']}")
