"""Transports carry a composed message away: a Maildir outbox (the default) or SMTP.

Every transport has the same small interface:

    open()                         connect and authenticate; SetupError if it cannot
    deliver(raw, sender, rcpts)    -> a receipt (file name or the server's reply)
    find(message_id)               -> a receipt if the message is known to have arrived,
                                      None if the transport cannot tell
    close()

`deliver` raises DeliveryFailed when the message certainly did not go (the request
stays a draft, with the reason) and DeliveryUnknown when it may or may not have gone
(the outbox marks it unknown and never sends it again on its own).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sar.errors import SarError


class TransportError(SarError):
    """A message that could not be handed over."""


class SetupError(TransportError):
    """The transport could not connect or log in; nothing was sent."""


class DeliveryFailed(TransportError):
    """The message certainly did not go."""


class DeliveryUnknown(TransportError):
    """The connection broke after the message may have been accepted."""


class MaildirTransport:
    """Writes each message into a Maildir folder ($SAR_HOME/outbox by default).

    Maildir delivery writes to tmp/ and renames into new/, so a message is either
    wholly there or not at all, and `find` can always tell.
    """

    name = "maildir"

    def __init__(self, path: Path):
        self.path = path

    def open(self) -> None:
        import mailbox

        try:
            mailbox.Maildir(self.path, create=True)
        except OSError as e:
            raise SetupError(f"cannot use the outbox {self.path}: {e.strerror}") from None

    def close(self) -> None:
        pass

    def deliver(self, raw: bytes, sender: str = "", recipients: list[str] = ()) -> str:
        import mailbox

        try:
            box = mailbox.Maildir(self.path, create=True)
            key = box.add(raw)
        except OSError as e:
            raise DeliveryFailed(f"cannot write to the outbox {self.path}: {e.strerror}") from None
        # From here the message is in the outbox: nothing below may call it failed.
        path = self.path / "new" / key
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)  # mailbox creates files 0666 & ~umask
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)  # on disk before 'sent' is recorded
            finally:
                os.close(fd)
        return f"maildir:{key}"

    def find(self, message_id: str) -> str | None:
        """The outbox file holding `message_id`, if the message got there."""
        if not message_id or not (self.path / "new").is_dir():
            return None
        needle = f"Message-ID: {message_id}".encode().lower()
        for sub in ("new", "cur"):
            for path in (self.path / sub).iterdir():
                with path.open("rb") as f:
                    head = f.read(8192).lower()
                if needle in head:
                    return f"maildir:{path.name}"
        return None

    def describe(self) -> dict:
        self.open()
        return {"transport": "maildir", "outbox": str(self.path), "writable": True}
