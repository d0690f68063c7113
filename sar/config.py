"""Settings a user may change with `sar config set KEY VALUE`.

Passwords are never among them: they come from the OS keyring or the
environment (SAR_SMTP_PASSWORD, SAR_IMAP_PASSWORD) and are never written by sar.
"""

from __future__ import annotations

from dataclasses import dataclass

from sar.core.deadlines import OPTION_CHOICES
from sar.errors import UsageError, unknown


@dataclass(frozen=True)
class Setting:
    key: str
    help: str
    default: object = None
    choices: tuple[str, ...] = ()
    kind: type = str


SETTINGS = {s.key: s for s in [
    Setting("mail.transport", "how letters are sent", "maildir", ("maildir", "smtp")),
    Setting("mail.from", "the From address, if not the profile's email"),
    Setting("mail.plus_address", "reply to you+sar-REF@... so replies name their request",
            False, ("true", "false"), bool),
    Setting("smtp.host", "SMTP server name"),
    Setting("smtp.port", "SMTP port", None, kind=int),
    Setting("smtp.security", "SMTP transport security", "starttls", ("none", "starttls", "tls")),
    Setting("smtp.username", "SMTP login name"),
    Setting("smtp.auth", "password, or xoauth2 for Gmail / Microsoft 365", "password",
            ("password", "xoauth2")),
    Setting("smtp.token_command", "a command that prints an OAuth2 access token (xoauth2)"),
    Setting("smtp.ca_file", "a CA certificate file, for a server with a private CA"),
    Setting("smtp.retry_wait", "seconds before retrying a 4xx reply; then 5x, 25x", 2.0,
            kind=float),
    Setting("send.batch", "letters handed over per durable write (1-64): a crash leaves at "
            "most this many of unknown fate", 8, kind=int),
    Setting("imap.host", "IMAP server name"),
    Setting("imap.port", "IMAP port", None, kind=int),
    Setting("imap.security", "IMAP transport security", "tls", ("none", "starttls", "tls")),
    Setting("imap.username", "IMAP login name"),
    Setting("imap.folder", "the folder replies arrive in", "INBOX"),
    Setting("imap.auth", "password, or xoauth2 for Gmail / Microsoft 365", "password",
            ("password", "xoauth2")),
    Setting("imap.token_command", "a command that prints an OAuth2 access token (xoauth2)"),
    Setting("imap.ca_file", "a CA certificate file, for a server with a private CA"),
    Setting("mail.sent_folder", "keep a copy of each letter sent in this IMAP folder "
            "(e.g. Sent; not for Gmail, which keeps its own)"),
    Setting("mail.authserv_id", "your provider's name in Authentication-Results (e.g. "
            "mx.google.com): only its DKIM/DMARC verdicts are trusted"),
    Setting("watch.poll_seconds", "how often `sar watch` looks where the server has no IDLE",
            60.0, kind=float),
    Setting("watch.use_idle", "use IMAP IDLE where the server offers it (false: poll)", True,
            ("true", "false"), bool),
    Setting("watch.idle_renew_seconds", "how often `sar watch` renews IDLE (under 29 min; "
            "home routers drop idle connections sooner)", 540.0, kind=float),
    Setting("watch.max_message_mb", "larger messages are kept as headers only", 50.0,
            kind=float),
    Setting("letters.lang", "letter language when the organisation's is not available",
            "en", ("en", "de", "fr")),
    Setting("letters.reminder_days", "the final date a reminder sets, in days (7-14 is the "
            "practice)", 14, kind=int),
    Setting("letters.date_of_birth", "give your date of birth: by-kind (to credit reference "
            "agencies and platforms, not parties or brokers), always, never", "by-kind",
            ("by-kind", "always", "never")),
    Setting("letters.ccpa_residence", "a CCPA letter from an address outside California: "
            "refuse (unless --california-resident) or warn", "refuse", ("refuse", "warn")),
    Setting("letters.attach_docx", "attach the DOCX letter to emails", False, ("true", "false"), bool),
    Setting("deadlines.email_receipt", "when an email counts as received",
            "same-day", OPTION_CHOICES["email_receipt"]),
    Setting("deadlines.post_presumption", "when a posted letter is deemed received",
            "pd-1985", OPTION_CHOICES["post_presumption"]),
    Setting("deadlines.pause_counting", "how a clarification pause is counted",
            "inclusive", OPTION_CHOICES["pause_counting"]),
    Setting("deadlines.uk_counting", "also show the strict 'beginning with' reading",
            "ico", OPTION_CHOICES["uk_counting"]),
]}


def setting(key: str) -> Setting:
    if "password" in key or "secret" in key or key.endswith("token"):
        raise UsageError(
            f"{key} cannot be stored: passwords live in the OS keyring or the environment "
            "(SAR_SMTP_PASSWORD, SAR_IMAP_PASSWORD), never in config.toml")
    if key not in SETTINGS:
        raise UsageError(unknown("setting", key, SETTINGS))
    return SETTINGS[key]


def parse(key: str, value: str):
    s = setting(key)
    value = value.strip()
    if s.choices:
        if value.lower() not in s.choices:
            raise UsageError(f"{key} must be one of {', '.join(s.choices)}")
        value = value.lower()
    if s.kind is bool:
        return value == "true"
    if s.kind is float:
        try:
            number = float(value)
        except ValueError:
            raise UsageError(f"{key} must be a number of seconds") from None
        if not 0 <= number <= 600:
            raise UsageError(f"{key} must be between 0 and 600 seconds")
        return number
    if s.kind is int:
        try:
            number = int(value)
        except ValueError:
            raise UsageError(f"{key} must be a whole number") from None
        if key == "send.batch" and not 0 < number <= 64:  # the crash window stays small
            raise UsageError(f"{key} must be between 1 and 64")
        if not 0 < number < 65536:
            raise UsageError(f"{key} must be between 1 and 65535")
        return number
    if key.endswith(".ca_file"):
        from pathlib import Path

        path = Path(value).expanduser()
        if not path.is_file():
            raise UsageError(f"{key}: {value} is not a file")
        return str(path.resolve())
    if key == "mail.from":
        from sar import validate

        return validate.email(value, key)
    from sar import validate

    return validate.text(value, key, max_len=255)


def get(config: dict, key: str):
    s = setting(key)
    section, _, name = key.partition(".")
    return config.get(section, {}).get(name, s.default)


def checked(config: dict, key: str):
    """`get`, for a value sar is about to act on: one that config.toml was edited to
    and the setting does not allow is refused, naming the setting and the file
    (`sar config list` and `get` still show it as it is, to be put right)."""
    value = get(config, key)
    s = SETTINGS[key]
    if s.choices and s.kind is str and value not in s.choices:
        raise UsageError(f"{key} in config.toml must be one of {', '.join(s.choices)} "
                         f"(it is {str(value)!r})")
    return value


def shown(value) -> str:
    """A value as a user types it: true, not True; nothing for unset."""
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def unset(config: dict, key: str) -> dict:
    """Back to the default."""
    setting(key)
    section, _, name = key.partition(".")
    config.get(section, {}).pop(name, None)
    if section in config and not config[section]:
        del config[section]
    return config


def put(config: dict, key: str, value: str) -> dict:
    section, _, name = key.partition(".")
    config.setdefault(section, {})[name] = parse(key, value)
    return config
