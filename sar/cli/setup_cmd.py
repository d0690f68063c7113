"""`sar init`, `sar config` and `sar demo`."""

from __future__ import annotations

from typing import Annotated

import typer

from sar.cli import app, output, workspace
from sar.errors import UsageError

config_app = typer.Typer(help="Read and change settings (mail accounts, deadline rules).",
                         no_args_is_help=True)
app.add_typer(config_app, name="config")


@app.command()
def init(
    name: Annotated[str | None, typer.Option(metavar="NAME", help="Your full name, as organisations know it.")] = None,
    email: Annotated[str | None, typer.Option(metavar="EMAIL", help="Your email address; replies come here.")] = None,
    address: Annotated[str | None, typer.Option(
        metavar="ADDRESS", help='Your postal address on one line: "1 High Street, London, N1 1AA".')] = None,
    previous_address: Annotated[list[str] | None, typer.Option(
        "--previous-address", metavar="ADDRESS", help="An earlier address organisations may know (repeatable).")] = None,
    dob: Annotated[str | None, typer.Option(
        "--dob", metavar="DATE", help="Date of birth, YYYY-MM-DD (optional; helps some organisations find you).")] = None,
    calendar: Annotated[str | None, typer.Option(
        metavar="CAL", help="Your home holiday calendar: GB-ENG, GB-WLS, GB-SCT, GB-NIR, IE, FR, ...")] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt; take everything from flags.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
) -> None:
    """Set up your profile: who you are, where you live, where replies should go."""
    from sar import profile as profile_mod

    ws = workspace()
    try:
        current = ws.profile()
    except UsageError:
        current = None
    except Exception:  # noqa: BLE001 - a missing or broken profile just means no defaults
        current = None

    def ask(value, label, default):
        if value is not None:
            return value
        if no_input:
            if default is not None:
                return default
            raise UsageError(f"--{label} is required with --no-input")
        return typer.prompt(label.replace("-", " ").capitalize(), default=default)

    name = ask(name, "name", current.name if current else None)
    email = ask(email, "email", current.email if current else None)
    address = ask(address, "address", ", ".join(current.address) if current else None)
    previous = previous_address if previous_address is not None else (
        current.previous_addresses if current else [])
    if dob is None and current and current.date_of_birth:
        dob = current.date_of_birth
    if calendar is None:
        calendar = current.calendar if current else "GB-ENG"
        if not no_input and current is None:
            calendar = typer.prompt("Home calendar", default=calendar)
    profile = profile_mod.make(name, email, address, previous, dob, calendar, today=ws.today)
    path = ws.init(profile)
    if json_:
        output.emit_json({"home": str(ws.home.root), "profile": profile.as_dict()})
    else:
        typer.echo(f"Profile saved in {path}")
        typer.echo("Next: `sar orgs list` to find an organisation, then "
                   "`sar new access --to SLUG`.")


@config_app.command("set")
def config_set(key: Annotated[str, typer.Argument(metavar="KEY", help="A setting, e.g. mail.transport.")],
               value: Annotated[str, typer.Argument(metavar="VALUE", help="Its new value.")]) -> None:
    """Change a setting."""
    workspace().set_config(key, value)
    typer.echo(f"{key} = {value}")


@config_app.command("get")
def config_get(key: Annotated[str, typer.Argument(metavar="KEY", help="A setting, e.g. mail.transport.")]) -> None:
    """Print a setting's value."""
    from sar import config as cfg

    value = cfg.get(workspace().config, key)
    typer.echo("" if value is None else str(value).lower() if isinstance(value, bool) else value)


@config_app.command("list")
def config_list(json_: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every setting, its value and what it does."""
    from sar import config as cfg

    conf = workspace().config
    rows = [{"key": k, "value": cfg.get(conf, k), "help": s.help}
            for k, s in cfg.SETTINGS.items()]
    if json_:
        output.emit_json(rows)
    else:
        output.table(rows, [("key", "setting"), ("value", "value"), ("help", "meaning")])
