"""The outbox: every letter sent at most once.

A message moves sending → sent | failed | unknown. The `sending` row is committed,
with the raw bytes already in the evidence store, before the transport is called;
`sent` and the request's `sent` event are committed together after it. Only one
sar sends from a home at a time (a lock file), so a `sending` row found at the start
of a batch was left by a process that died: the transport is asked whether the
message got through, and if it cannot say, the message is `unknown` and shown to the
user. It is never sent again unless they say so (`sar send REF --retry-unknown`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sar.core.lifecycle import Event
from sar.errors import InvalidEventError, SarError


@dataclass
class SendResult:
    ref: str
    status: str            # sent | failed | skipped
    detail: str = ""
    message_id: str | None = None

    def as_dict(self) -> dict:
        return {"ref": self.ref, "status": self.status, "detail": self.detail,
                "message_id": self.message_id}


class SendLockedError(SarError):
    """Another sar is sending from this home."""


@contextmanager
def send_lock(home: Path):
    """Hold $SAR_HOME/.send.lock for a whole batch; refuse rather than wait."""
    path = home / ".send.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks here
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SendLockedError("another `sar send` is running from this home; "
                                      "try again when it has finished") from None
        yield
    finally:
        os.close(fd)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Outbox:
    """Sends requests' letters through one transport for one Workspace."""

    def __init__(self, ws, transport):
        self.ws = ws
        self.db = ws.db
        self.transport = transport

    def send(self, rows: list[dict], *, retry_unknown: bool = False) -> list[SendResult]:
        with send_lock(self.ws.home.root):
            self.recover()
            return [self._send_one(row["ref"], retry_unknown) for row in rows]

    def recover(self) -> None:
        """Settle messages left 'sending' by a process that died mid-send."""
        for m in list(self.db.query("SELECT * FROM messages WHERE state = 'sending'")):
            found = self.transport.find(m["message_id"])
            if found is None:
                self._set(m["id"], "unknown", "interrupted; the outbox does not show it: "
                          "it may or may not have gone")
                continue
            row = next(self.db.query("SELECT * FROM requests WHERE id = ?", [m["request_id"]]))
            at = _header_time(m["date"])
            event = Event("sent", at.date() if at else self.ws.today, "system",
                          {"message_id": m["message_id"], "transport": self.transport.name,
                           "sha256": m["sha256"], "recovered": True}, at=at)
            with self.ws.transaction():
                self._set(m["id"], "sent", found)
                try:
                    self.ws._append(row, event)
                except InvalidEventError:
                    # The request moved on meanwhile (withdrawn, posted): keep the
                    # fact that a copy went, without pretending it fits the story.
                    self.ws._append(row, Event("note", self.ws.today, "system", {
                        "note": f"an interrupted send reached the outbox ({m['message_id']})"}))

    def _send_one(self, ref: str, retry_unknown: bool) -> SendResult:
        ws = self.ws
        row = ws.find(ref)  # fresh: an earlier step may have changed it
        if row["status"] not in ("draft", "bounced"):
            return SendResult(ref, "skipped", f"already {row['status']}")
        if row["channel"] != "email":
            return SendResult(ref, "skipped", "a postal request: print it with "
                              f"`sar letter {ref} --format docx`, then `sar post`")
        pending = [m["id"] for m in self.db.query(
            "SELECT id FROM messages WHERE request_id = ? AND state IN ('sending', 'unknown')",
            [row["id"]])]
        if pending and not retry_unknown:
            return SendResult(ref, "skipped", "an earlier attempt may or may not have gone: "
                              f"check the outbox, then `sar send {ref} --retry-unknown`")
        row = ws.refresh_snapshots(row)
        at = ws.send_time()
        letter = ws._letter(row, ws.today)
        msg, raw = ws._compose(row, letter, at or _noon(ws.today))
        sent = Event("sent", ws.today, "system", {"message_id": msg["Message-ID"],
                                                  "transport": self.transport.name}, at=at)
        ws.check_event(row, sent)  # refuse before anything leaves
        digest = ws.evidence.put(raw)
        with ws.transaction():
            for message_pk in pending:
                self._set(message_pk, "failed", "fate unknown; sent again at the user's request")
            message_pk = self.db["messages"].insert({
                "request_id": row["id"], "direction": "out", "state": "sending",
                "transport": self.transport.name, "message_id": msg["Message-ID"],
                "subject": str(msg["Subject"]), "from_addr": str(msg["From"]),
                "to_addrs": json.dumps([str(msg["To"])], ensure_ascii=False),
                "date": str(msg["Date"]), "sha256": digest, "size": len(raw),
                "created_at": _now(), "updated_at": _now()}).last_pk
        from sar.mail.transports import TransportError

        try:
            receipt = self.transport.deliver(raw)
        except TransportError as e:
            self._set(message_pk, "failed", str(e))
            return SendResult(ref, "failed", str(e))
        with ws.transaction():
            self._set(message_pk, "sent", receipt)
            ws._append(row, Event(sent.kind, sent.on, sent.source,
                                  {**sent.details, "sha256": digest}, at=at))
        return SendResult(ref, "sent", receipt, msg["Message-ID"])

    def _set(self, message_pk: int, state: str, detail: str) -> None:
        self.db["messages"].update(message_pk, {"state": state, "detail": detail,
                                                "updated_at": _now()})


def _noon(day: dt.date) -> dt.datetime:
    """A stand-in send time for a what-if date (SAR_TODAY): noon UTC that day."""
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)


def _header_time(value: str | None) -> dt.datetime | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
