"""`sar init`, `sar config` and `sar demo`."""

from typing import Annotated

import typer

from sar.cli import output
from sar.cli.helptext import PanelGroup
from sar.cli.root import app, workspace
from sar.errors import SarError, UsageError

config_app = typer.Typer(cls=PanelGroup, help="Read and change settings: mail, letters, deadline rules.",
                         no_args_is_help=True)
app.add_typer(config_app, name="config", rich_help_panel="Care")


@app.command(rich_help_panel="Care")
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
    encrypt: Annotated[bool, typer.Option("--encrypt", help="Encrypt this new home at rest: the key in your OS keyring, or a passphrase from SAR_PASSPHRASE.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
) -> None:
    """Set up your profile.

    Who you are, where you live, and where replies should go.
    """
    from sar import profile as profile_mod
    from sar import validate
    from sar.core import calendars
    from sar.errors import ProfileMissingError, UsageError

    ws = workspace()
    if encrypt and (ws.home.db_path.exists() or ws.home.config_path.exists()
                    or ws.home.encrypted):
        raise UsageError(f"{ws.home.root} is already in use: encryption is chosen when a "
                         "home is made (back it up, then start a new home with --encrypt)")
    try:
        current = ws.profile() if not encrypt else None
    except ProfileMissingError:
        current = None

    def ask(value, label, default, check, required=True):
        return _ask(value, label, default, check, required, no_input)

    def dob_check(value):
        if value.strip():
            profile_mod.make("x", "x@example.org", "x", date_of_birth=value, today=ws.today)

    name = ask(name, "name", current.name if current else None,
               lambda v: validate.text(v, "name", max_len=200))
    email = ask(email, "email", current.email if current else None, validate.email)
    address = ask(address, "address", ", ".join(current.address) if current else None,
                  validate.address_lines)
    previous = previous_address if previous_address is not None else (
        current.previous_addresses if current else [])
    dob = ask(dob, "date-of-birth", current.date_of_birth if current else None, dob_check,
              required=False)
    calendar = ask(calendar, "calendar", current.calendar if current else "GB-ENG",
                   calendars.get)
    profile = profile_mod.make(name, email, address, previous, dob, calendar, today=ws.today)
    path = ws.init(profile, encrypt=encrypt)
    if json_:
        output.emit_json({"home": str(ws.home.root), "profile": profile.as_dict()})
    else:
        typer.echo(f"Profile saved in {path}" + (" (encrypted)" if ws.home.encrypted else ""))
        if encrypt:
            typer.echo("Note: letters put in the Maildir outbox are not encrypted (mail "
                       "programs read them); send by SMTP, or delete them once sent.",
                       err=True)
        typer.echo("Next: `sar orgs list` to find an organisation, then "
                   "`sar new access --to SLUG`.")


def _checked(check):
    """A prompt's value_proc: re-ask on a bad answer instead of failing after the last
    question."""
    def proc(value: str) -> str:
        try:
            check(value)
        except SarError as e:
            raise typer.BadParameter(str(e)) from None
        return value.strip()
    return proc


def _ask(value, label, default, check, required, no_input):
    """A flag's value, else its default under --no-input, else the answer to a prompt."""
    if value is not None:
        return value
    if no_input:
        if default is not None or not required:
            return default
        raise UsageError(f"--{label} is required with --no-input")
    prompt = label.replace("-", " ").capitalize() + ("" if required else " (optional)")
    answer = typer.prompt(prompt, default=default if default is not None else
                          (None if required else ""), value_proc=_checked(check),
                          show_default=default is not None)
    return answer or None


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

    typer.echo(cfg.shown(cfg.get(workspace().config, key)))


@config_app.command("unset")
def config_unset(key: Annotated[str, typer.Argument(metavar="KEY", help="A setting, e.g. smtp.port.")]) -> None:
    """Put a setting back to its default."""
    from sar import config as cfg

    ws = workspace()
    ws.set_config(key, None)
    default = cfg.shown(cfg.get(ws.config, key))
    typer.echo(f"{key}: back to the default" + (f" ({default})" if default else ""))


@config_app.command("list")
def config_list(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every setting, its value and what it does."""
    from sar import config as cfg

    conf = workspace().config
    rows = [{"key": k, "value": cfg.get(conf, k), "help": s.help}
            for k, s in cfg.SETTINGS.items()]
    if json_:
        output.emit_json(rows)
    else:
        for r in rows:
            r["value"] = cfg.shown(r["value"])
        output.table(rows, [("key", "setting"), ("value", "value"), ("help", "meaning")])


@config_app.command("test-mail")
def config_test_mail(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Connect and log in with your mail settings; send nothing.

    Reports what the server offers (TLS, size limit, extensions).
    """
    report = workspace().test_mail()
    if json_:
        output.emit_json(report)
        return
    for key, value in report.items():
        if isinstance(value, list):
            value = " ".join(value)
        typer.echo(f"{key}: {value}")
    typer.echo("OK: nothing was sent.")


@config_app.command("password")
def config_password(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="smtp or imap.")],
) -> None:
    """Store a mail password in the OS keyring (never in a file).

    For scripts and CI, set SAR_SMTP_PASSWORD or SAR_IMAP_PASSWORD instead.
    """
    from sar import config as cfg
    from sar.mail import secrets

    if kind not in ("smtp", "imap"):
        raise UsageError("KIND must be smtp or imap")
    conf = workspace().config
    host, user = cfg.get(conf, f"{kind}.host"), cfg.get(conf, f"{kind}.username")
    if not host or not user:
        raise UsageError(f"set {kind}.host and {kind}.username first")
    secrets.check_keyring(kind)  # before the password is typed, not after
    secret = typer.prompt(f"{kind} password for {user} at {host}", hide_input=True)
    secrets.store_password(kind, user, host, secret)
    typer.echo(f"Stored in the OS keyring as sar / {secrets.keyring_name(kind, user, host)}.")
