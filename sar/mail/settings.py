"""From config.toml to the mail a home sends and reads: the transport (the Maildir
outbox or SMTP), the IMAP account, and the folder that keeps a copy of each letter."""

from __future__ import annotations

from pathlib import Path

from sar import config as cfg
from sar.errors import UsageError


def transport(config: dict, outbox: Path):
    """The configured transport: the Maildir outbox, or SMTP (mail.transport)."""
    from sar.mail.transports import MaildirTransport

    if cfg.get(config, "mail.transport") == "maildir":
        return MaildirTransport(outbox)
    from sar.mail.smtp import SmtpSettings, SmtpTransport

    host = cfg.get(config, "smtp.host")
    if not host:
        raise UsageError("mail.transport is smtp but smtp.host is not set: "
                         "`sar config set smtp.host mail.example.org`")
    security = cfg.get(config, "smtp.security")
    # RFC 8314: implicit TLS on 465; submission with STARTTLS on 587.
    port = cfg.get(config, "smtp.port") or {"tls": 465, "starttls": 587}.get(security, 25)
    wait = cfg.get(config, "smtp.retry_wait")
    return SmtpTransport(SmtpSettings(
        host=host, port=port, security=security,
        username=cfg.get(config, "smtp.username"),
        auth=cfg.get(config, "smtp.auth"),
        token_command=cfg.get(config, "smtp.token_command"),
        ca_file=cfg.get(config, "smtp.ca_file")), backoff=(wait, wait * 5, wait * 25))


def imap(config: dict):
    """The IMAP account (sar.mail.imap.ImapSettings), or one clear line if unset."""
    from sar.mail.imap import ImapSettings

    host = cfg.get(config, "imap.host")
    if not host:
        raise UsageError("imap.host is not set: `sar config set imap.host imap.example.org`")
    security = cfg.get(config, "imap.security")
    port = cfg.get(config, "imap.port") or {"tls": 993}.get(security, 143)
    return ImapSettings(host=host, port=port, security=security,
                        username=cfg.get(config, "imap.username"),
                        auth=cfg.get(config, "imap.auth"),
                        token_command=cfg.get(config, "imap.token_command"),
                        ca_file=cfg.get(config, "imap.ca_file"))


def sent_copy(config: dict):
    """Where to keep a copy of each letter sent (mail.sent_folder), or None."""
    folder = cfg.get(config, "mail.sent_folder")
    if not folder:
        return None
    from sar.mail.imap import SentCopy

    return SentCopy(imap(config), folder)
