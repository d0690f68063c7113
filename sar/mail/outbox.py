"""The outbox: every letter sent at most once.

A message moves queued → sending → sent | failed | unknown.

- A batch first connects (and logs in), so a wrong password changes nothing.
- Each letter is composed, its raw bytes put in the evidence store, and its row
  committed as `queued`; then, one at a time, `sending` is committed before the
  transport is called and `sent` (with the server's reply and the request's `sent`
  event) after. The `sent` of one message and the `sending` of the next share a
  transaction, which halves the waits for the disk without widening the window.
- Only one sar sends from a home at a time (a lock file), so a `sending` row found
  at the start of a batch was left by a process that died: the transport is asked
  whether the message got through; if it cannot say, the message is `unknown`, shown
  to the user, and never sent again unless they say so (`--retry-unknown`). A
  `queued` row left behind was never handed over, so it is simply dropped and the
  request is sent afresh.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sar.core.lifecycle import Event
from sar.errors import InvalidEventError, SarError
from sar.mail.transports import DeliveryFailed, DeliveryUnknown, SetupError
from sar.store import db as store


@dataclass
class SendResult:
    ref: str
    status: str            # sent | failed | unknown | skipped | would-send
    detail: str = ""
    message_id: str | None = None

    def as_dict(self) -> dict:
        return {"ref": self.ref, "status": self.status, "detail": self.detail,
                "message_id": self.message_id}


@dataclass
class SendOptions:
    retry_unknown: bool = False
    dry_run: bool = False
    rate: float | None = None            # messages per second, at most
    attachments: list[Path] = field(default_factory=list)
    progress: object = None              # callable(done, total, ref) or None


class SendLockedError(SarError):
    """Another sar is sending from this home."""


@contextmanager
def send_lock(home: Path):
    """Hold $SAR_HOME/.send.lock for a whole batch; refuse rather than wait."""
    fd = os.open(home / ".send.lock", os.O_RDWR | os.O_CREAT, 0o600)
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


@contextmanager
def stop_on_interrupt():
    """Ctrl-C during a batch stops it after the current message, cleanly."""
    flag = {"stop": False}

    def handler(signum, frame):
        flag["stop"] = True

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (a library caller): no handler
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class _Queued:
    ref: str
    message_pk: int
    message_id: str
    sender: str
    recipients: list[str]
    raw: bytes
    sent: object  # the request's 'sent' event, prepared (Workspace.prepare_event)


class Outbox:
    """Sends requests' letters through one transport for one Workspace."""

    def __init__(self, ws, transport, sent_copy=None):
        self.ws = ws
        self.db = ws.db
        self.transport = transport
        self.sent_copy = sent_copy  # sar.mail.imap.SentCopy, or None

    def send(self, rows: list[dict], options: SendOptions | None = None) -> list[SendResult]:
        options = options or SendOptions()
        with send_lock(self.ws.home.root):
            if options.dry_run:
                return [self._dry_run(row["ref"], options) for row in rows]
            self.recover()
            results: dict[str, SendResult] = {}
            pending = [row for row in rows if self._why_not(row["ref"], options, results) is None]
            if not pending:
                return [results[row["ref"]] for row in rows]
            self.transport.open()  # a wrong password or host stops here, nothing changed
            try:
                queued = self._queue(pending, options)
                self._deliver_all(queued, options, results)
            finally:
                self.transport.close()
                if self.sent_copy is not None:
                    self.sent_copy.close()
            return [results[row["ref"]] for row in rows if row["ref"] in results]

    # -- recovery ----------------------------------------------------------------------

    def recover(self) -> None:
        """Settle what a process that died mid-batch left behind."""
        for m in list(self.db.query("SELECT * FROM messages WHERE state = 'queued'")):
            self._set(m["id"], "failed", "queued but never handed over (interrupted)")
        for m in list(self.db.query("SELECT * FROM messages WHERE state = 'sending'")):
            found = self._find(m)
            if found is None:
                self._set(m["id"], "unknown", "interrupted while being handed over: it may "
                          "or may not have gone")
                continue
            row = next(self.db.query("SELECT * FROM requests WHERE id = ?", [m["request_id"]]))
            at = _header_time(m["date"])
            event = Event("sent", at.date() if at else self.ws.today, "system",
                          {"message_id": m["message_id"], "transport": m["transport"],
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

    def _find(self, message: dict) -> str | None:
        if message["transport"] != self.transport.name:
            return None  # the transport it went to is not the one configured now
        return self.transport.find(message["message_id"])

    # -- one batch ---------------------------------------------------------------------

    def _why_not(self, ref: str, options: SendOptions, results: dict) -> str | None:
        row = self.ws.find(ref)
        why = None
        if row["status"] not in ("draft", "bounced"):
            why = f"already {row['status']}"
        elif row["channel"] != "email":
            why = (f"a postal request: print it with `sar letter {ref} -o {ref}.docx`, "
                   f"then `sar post {ref}`")
        elif not options.retry_unknown and self.db.execute(
                "SELECT 1 FROM messages WHERE request_id = ? AND state IN ('sending', 'unknown')",
                [row["id"]]).fetchone():
            why = ("an earlier attempt may or may not have gone: check your Sent folder or "
                   f"the outbox, then `sar send {ref} --retry-unknown`")
        if why:
            results[ref] = SendResult(ref, "skipped", why)
        return why

    def _compose(self, ref: str, options: SendOptions):
        ws = self.ws
        row = ws.refresh_snapshots(ws.find(ref))
        at = ws.send_time()
        letter = ws._letter(row, ws.today)
        msg, raw = ws._compose(row, letter, at or _noon(ws.today), extra=options.attachments)
        ws.check_event(row, Event("sent", ws.today, "system", {}, at=at))
        return row, msg, raw, at

    def _dry_run(self, ref: str, options: SendOptions) -> SendResult:
        results: dict[str, SendResult] = {}
        if self._why_not(ref, options, results):
            return results[ref]
        row = self.ws.find(ref)
        letter = self.ws._letter(row, self.ws.today)
        msg, raw = self.ws._compose(row, letter, _noon(self.ws.today), extra=options.attachments)
        return SendResult(ref, "would-send", f"to {msg['To']}, {len(raw):,} bytes",
                          msg["Message-ID"])

    def _queue(self, rows: list[dict], options: SendOptions) -> list[_Queued]:
        composed = [(r["ref"], *self._compose(r["ref"], options)) for r in rows]
        queued = []
        with self.ws.transaction():
            for ref, row, msg, raw, at in composed:
                stale = [m["id"] for m in self.db.query(
                    "SELECT id FROM messages WHERE request_id = ? AND state IN "
                    "('sending', 'unknown')", [row["id"]])]
                for pk in stale:  # only reached with --retry-unknown
                    self._set(pk, "failed", "fate unknown; sent again at the user's request")
                digest = self.ws.evidence.put(raw)
                pk = store.insert(self.db, "messages", {
                    "request_id": row["id"], "direction": "out", "state": "queued",
                    "transport": self.transport.name, "message_id": msg["Message-ID"],
                    "subject": str(msg["Subject"]), "from_addr": str(msg["From"]),
                    "to_addrs": json.dumps([str(msg["To"])], ensure_ascii=False),
                    "date": str(msg["Date"]), "sha256": digest, "size": len(raw),
                    "created_at": _now(), "updated_at": _now()})
                sent = self.ws.prepare_event(row, Event(
                    "sent", self.ws.today, "system",
                    {"message_id": msg["Message-ID"], "transport": self.transport.name,
                     "sha256": digest}, at=at))
                queued.append(_Queued(ref, pk, msg["Message-ID"],
                                      msg["From"].addresses[0].addr_spec,
                                      [a.addr_spec for a in msg["To"].addresses], raw, sent))
        return queued

    def _deliver_all(self, queued: list[_Queued], options: SendOptions, results: dict) -> None:
        finished: _Queued | None = None  # delivered, its 'sent' not yet committed
        receipt = ""
        last = 0.0
        with stop_on_interrupt() as flag:
            for i, q in enumerate(queued):
                if flag["stop"]:
                    break
                if options.rate:
                    wait = last + 1.0 / options.rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                with self.ws.transaction():
                    if finished is not None:
                        self._record_sent(finished, receipt)
                        finished = None
                    self._set(q.message_pk, "sending", "")
                last = time.monotonic()
                try:
                    receipt = self.transport.deliver(q.raw, q.sender, q.recipients)
                except DeliveryUnknown as e:
                    self._set(q.message_pk, "unknown", str(e))
                    results[q.ref] = SendResult(q.ref, "unknown", str(e), q.message_id)
                except (DeliveryFailed, SetupError) as e:
                    self._set(q.message_pk, "failed", str(e))
                    results[q.ref] = SendResult(q.ref, "failed", str(e), q.message_id)
                    if isinstance(e, SetupError):
                        flag["stop"] = True  # the server went away: stop the batch
                else:
                    finished = q
                    results[q.ref] = SendResult(q.ref, "sent", receipt, q.message_id)
                    if self.sent_copy is not None:
                        problem = self.sent_copy.save(q.raw)
                        if problem:
                            results[q.ref].detail += f" ({problem})"
                if options.progress:
                    options.progress(i + 1, len(queued), q.ref)
            if finished is not None:
                with self.ws.transaction():
                    self._record_sent(finished, receipt)
        for q in queued:
            if q.ref not in results:
                self._set(q.message_pk, "failed", "not sent: the batch was stopped first")
                results[q.ref] = SendResult(q.ref, "skipped", "stopped before it was sent",
                                            q.message_id)

    def _record_sent(self, q: _Queued, receipt: str) -> None:
        self._set(q.message_pk, "sent", receipt)
        self.ws.write_event(q.sent)

    def _set(self, message_pk: int, state: str, detail: str) -> None:
        store.update(self.db, "messages", message_pk, {"state": state, "detail": detail,
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
