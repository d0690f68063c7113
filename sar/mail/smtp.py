"""Sending through the user's own mail account over SMTP.

One connection is reused for a whole batch. Certificates are always verified
(a private CA can be named with smtp.ca_file). A reply in the 4xx range is retried
with backoff; a 5xx fails the message with the server's own words. If the
connection breaks during DATA the message may already have been accepted
(RFC 5321 §4.1.1.4 gives the client no way to know), so it is reported as unknown
rather than sent again.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from dataclasses import dataclass

from sar.errors import SarError
from sar.mail.transports import DeliveryFailed, DeliveryUnknown, SetupError

SECURITY = ("none", "starttls", "tls")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
# RFC 5321 §4.5.3.2.6: wait up to ten minutes for the reply to the final dot, while
# the server scans the message; giving up sooner turns a delivered letter unknown.
FINAL_REPLY_TIMEOUT = 600.0


@dataclass
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    auth: str = "password"            # password | xoauth2
    token_command: str | None = None  # for xoauth2
    ca_file: str | None = None
    timeout: float = 30.0


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"


class SmtpTransport:
    name = "smtp"

    def __init__(self, settings: SmtpSettings, *, retries: int = 3,
                 backoff: tuple[float, ...] = (2.0, 10.0, 30.0), sleep=time.sleep):
        if settings.security not in SECURITY:
            raise SetupError(f"smtp.security must be one of {', '.join(SECURITY)}")
        self.settings = settings
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.conn: smtplib.SMTP | None = None
        self.features: dict = {}

    # -- connection ----------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.settings.ca_file)
        except (OSError, ssl.SSLError) as e:
            raise SetupError(f"cannot read smtp.ca_file {self.settings.ca_file}: {e}") from None

    def open(self) -> None:
        if self.conn is not None:
            return
        s = self.settings
        where = f"{s.host}:{s.port}"
        if s.security == "none" and s.username and s.host not in LOOPBACK:
            raise SetupError(f"refusing to send the password for {s.username} in clear to "
                             f"{where}: set smtp.security to starttls or tls")
        try:
            # A neutral EHLO name: the machine's own name would otherwise travel in
            # the Received header of every letter.
            if s.security == "tls":
                conn = smtplib.SMTP_SSL(s.host, s.port, local_hostname="localhost",
                                        timeout=s.timeout, context=self._context())
            else:
                conn = smtplib.SMTP(s.host, s.port, local_hostname="localhost",
                                    timeout=s.timeout)
            conn.ehlo()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    conn.close()
                    raise SetupError(f"{where} does not offer STARTTLS; refusing to send "
                                     "in clear (set smtp.security to tls or none)")
                conn.starttls(context=self._context())
                conn.ehlo()
            if s.username:
                self._login(conn)
        except SetupError:
            raise
        except SarError as e:  # no password, or the token command failed
            raise SetupError(str(e)) from None
        except UnicodeError:
            raise SetupError(f"{where}: the password or user name is not ASCII, which SMTP "
                             "login cannot carry") from None
        except ssl.SSLCertVerificationError as e:
            # A private CA (a company mail server, a test server) is trusted by naming it.
            raise SetupError(f"the certificate of {where} cannot be trusted: "
                             f"{e.verify_message} (for a private certificate authority: "
                             "`sar config set smtp.ca_file FILE.pem`)") from None
        except smtplib.SMTPAuthenticationError as e:
            raise SetupError(f"{where} refused the login for {s.username}: "
                             f"{_reply(e.smtp_code, e.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError:
            raise SetupError(f"{where} offers no login here (does it need STARTTLS?)") from None
        except (smtplib.SMTPException, ssl.SSLError) as e:
            raise SetupError(f"{where}: {e}") from None
        except (TimeoutError, OSError) as e:
            raise SetupError(f"cannot connect to {where}: {e.strerror or e}") from None
        self.conn = conn
        self.features = dict(conn.esmtp_features)

    def _login(self, conn: smtplib.SMTP) -> None:
        from sar.mail import secrets

        s = self.settings
        if s.auth == "xoauth2":
            if not s.token_command:
                raise SetupError("smtp.auth is xoauth2 but smtp.token_command is not set")
            if "xoauth2" not in conn.esmtp_features.get("auth", "").lower().split():
                raise SetupError(f"{s.host} does not offer XOAUTH2 login")
            token = secrets.oauth_token(s.token_command)
            blob = f"user={s.username}\x01auth=Bearer {token}\x01\x01"
            # On failure the server sends a 334 with its reasons; the client answers
            # with an empty line (Google's XOAUTH2 protocol), then gets the 535.
            code, text = conn.auth("XOAUTH2", lambda c=None: blob if c is None else "",
                                   initial_response_ok=True)
            if code != 235:  # smtplib takes 503 for success
                raise smtplib.SMTPAuthenticationError(code, text)
        else:
            conn.login(s.username, secrets.password("smtp", s.username, s.host))

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.conn.quit()
            self._drop()

    # -- sending -------------------------------------------------------------------

    def deliver(self, raw: bytes, sender: str, recipients: list[str]) -> str:
        attempt = 0
        while True:
            try:
                return self._once(raw, sender, recipients)
            except _Temporary as e:
                if attempt >= self.retries:
                    raise DeliveryFailed(f"still refused after {attempt + 1} tries: {e}") from None
                self.sleep(self.backoff[min(attempt, len(self.backoff) - 1)])
                attempt += 1

    def _once(self, raw: bytes, sender: str, recipients: list[str]) -> str:
        try:
            self.open()
            conn = self.conn
            limit = self.features.get("size", "")
            if limit.isdigit() and int(limit) and len(raw) > int(limit):
                raise DeliveryFailed(f"the message is {len(raw):,} bytes and the server "
                                     f"takes at most {int(limit):,}")
            # Bare addresses (addr-spec, from the composed message's headers) in angle
            # brackets, as smtplib's quoteaddr would make them, without parsing them again.
            code, text = conn.docmd("mail", f"FROM:{_path(sender)}")
            self._check(code, text, "the sender")
            for rcpt in recipients:
                code, text = conn.docmd("rcpt", f"TO:{_path(rcpt)}")
                self._check(code, text, f"the recipient {rcpt}")
            conn.putcmd("data")
            code, text = conn.getreply()
            self._check(code, text, "the message", expect=354)
        except (smtplib.SMTPServerDisconnected, OSError) as e:
            # Nothing can have been accepted before the 354: safe to try again.
            self._drop()
            raise _Temporary(f"connection lost before the message was sent ({e})") from None
        try:
            conn.sock.settimeout(FINAL_REPLY_TIMEOUT)
            conn.send(_dot_stuffed(raw))
            code, text = conn.getreply()
            conn.sock.settimeout(self.settings.timeout)
        except (smtplib.SMTPServerDisconnected, OSError) as e:
            self._drop()
            raise DeliveryUnknown(f"the connection broke while the message was being sent "
                                  f"({e}); it may or may not have been accepted") from None
        if not 200 <= code < 600:  # no reply we can read: the server may have it
            self._drop()
            raise DeliveryUnknown(f"the server's answer could not be read ({code}); the "
                                  "message may or may not have been accepted")
        self._check(code, text, "the message")
        return _reply(code, text)

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
        self.conn = None

    def _check(self, code: int, text, what: str, expect: int | None = None) -> None:
        if code == expect or (expect is None and 200 <= code < 300):
            return
        try:
            self.conn.rset()
        except (smtplib.SMTPException, OSError, AttributeError):
            self._drop()
        if 400 <= code < 500:
            raise _Temporary(f"{what}: {_reply(code, text)}")
        raise DeliveryFailed(f"the server refused {what}: {_reply(code, text)}")

    def find(self, message_id: str) -> str | None:
        return None  # SMTP cannot say whether an interrupted message arrived

    def describe(self) -> dict:
        """Connect and log in, report what the server offers; send nothing."""
        self.open()
        try:
            return {"transport": "smtp", "server": f"{self.settings.host}:{self.settings.port}",
                    "security": self.settings.security,
                    "tls": self.settings.security != "none",
                    "logged_in_as": self.settings.username,
                    "max_size": int(self.features["size"]) if self.features.get("size",
                                                                               "").isdigit() else None,
                    "extensions": sorted(k.upper() for k in self.features)}
        finally:
            self.close()


def _path(address: str) -> str:
    """An address as MAIL FROM and RCPT TO carry it (RFC 5321 §4.1.2)."""
    import smtplib

    plain = address.strip()
    if plain and not any(c in plain for c in '<>"() \t,;') and plain.isprintable():
        return f"<{plain}>"
    return smtplib.quoteaddr(address)  # anything unusual, as smtplib would send it


def _dot_stuffed(raw: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, a leading dot doubled, and the
    terminating dot line (RFC 5321 §4.5.2)."""
    import re

    data = raw
    # sar composes CRLF lines already (counted, not searched, in the common case).
    if data.count(b"\n") != data.count(b"\r\n") or data.count(b"\r") != data.count(b"\r\n"):
        data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    if data.startswith(b".") or b"\n." in data:
        data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class _Temporary(Exception):
    """A 4xx reply or a connection lost before DATA: worth another try."""
