"""The user's IMAP account: connecting safely, and a copy of each letter in Sent.

Connections verify certificates (imap.ca_file for a private CA) and log in with a
password from SAR_IMAP_PASSWORD or the OS keyring, or with XOAUTH2 from a token
command, like SMTP. imapclient is imported here, only when IMAP is used.
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass

from sar.errors import SarError


class ImapError(SarError):
    """The IMAP server could not be reached, or refused us. `fatal`: trying again
    will not help (a refused login, an untrusted certificate, missing settings)."""

    def __init__(self, message: str, fatal: bool = True):
        super().__init__(message)
        self.fatal = fatal


@dataclass
class ImapSettings:
    host: str
    port: int
    security: str = "tls"          # tls | starttls | none
    username: str | None = None
    auth: str = "password"         # password | xoauth2
    token_command: str | None = None
    ca_file: str | None = None
    timeout: float = 30.0


def connect(s: ImapSettings):
    """A logged-in IMAPClient, or ImapError with one clear reason."""
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError, LoginError

    from sar.mail import secrets

    where = f"{s.host}:{s.port}"
    try:
        context = ssl.create_default_context(cafile=s.ca_file)
    except (OSError, ssl.SSLError) as e:
        raise ImapError(f"cannot read imap.ca_file {s.ca_file}: {e}") from None
    try:
        client = IMAPClient(s.host, port=s.port, ssl=s.security == "tls", ssl_context=context,
                            timeout=s.timeout)
        if s.security == "starttls":
            client.starttls(context)
        if not s.username:
            raise ImapError("imap.username is not set")
        if s.auth == "xoauth2":
            if not s.token_command:
                raise ImapError("imap.auth is xoauth2 but imap.token_command is not set")
            client.oauth2_login(s.username, secrets.oauth_token(s.token_command))
        else:
            client.login(s.username, secrets.password("imap", s.username, s.host))
    except ImapError:
        raise
    except SarError as e:  # no password, or the token command failed
        raise ImapError(str(e)) from None
    except ssl.SSLCertVerificationError as e:
        raise ImapError(f"the certificate of {where} cannot be trusted: {e.verify_message} "
                        "(for a private certificate authority: `sar config set imap.ca_file "
                        "FILE.pem`)") from None
    except LoginError:
        raise ImapError(f"{where} refused the login for {s.username}") from None
    except (IMAPClientError, ssl.SSLError) as e:
        raise ImapError(f"{where}: {e}", fatal=False) from None
    except OSError as e:
        raise ImapError(f"cannot connect to {where}: {e.strerror or e}", fatal=False) from None
    return client


class SentCopy:
    """Puts a copy of each sent letter in the user's Sent folder (IMAP APPEND), so
    their own mail client shows it. A failure here never changes what was sent."""

    def __init__(self, settings: ImapSettings, folder: str):
        self.settings = settings
        self.folder = folder
        self.client = None

    def save(self, raw: bytes) -> str | None:
        """None when saved, else why not (for the user to see). Never raises: the
        letter has gone whatever happens here."""
        try:
            if self.client is None:
                self.client = connect(self.settings)
                if not self.client.folder_exists(self.folder):
                    self.client.create_folder(self.folder)
            self.client.append(self.folder, raw, flags=(rb"\Seen",))
        except Exception as e:  # noqa: BLE001 - any failure is reported, none is fatal
            self.close()
            return f"no copy in {self.folder}: {e}"
        return None

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # closing politely is best effort
                self.client.logout()
            self.client = None
