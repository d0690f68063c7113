"""Transports carry a composed message away. The Maildir outbox is the default.

A transport has one method, deliver(raw) -> a short receipt (the file name, or
the server's reply), and raises TransportError when the message did not go.
"""

from __future__ import annotations

import os
from pathlib import Path

from sar.errors import SarError


class TransportError(SarError):
    """A message that could not be handed over."""


class MaildirTransport:
    """Writes each message into a Maildir folder ($SAR_HOME/outbox by default).

    Maildir delivery writes to tmp/ and renames into new/, so a message is either
    wholly there or not at all.
    """

    name = "maildir"

    def __init__(self, path: Path):
        self.path = path

    def deliver(self, raw: bytes) -> str:
        import mailbox

        try:
            box = mailbox.Maildir(self.path, create=True)
            key = box.add(raw)
            os.chmod(self.path / "new" / key, 0o600)  # mailbox creates files 0666 & ~umask
        except OSError as e:
            raise TransportError(f"cannot write to the outbox {self.path}: {e.strerror}") from None
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
