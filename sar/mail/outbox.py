"""The outbox: every letter sent at most once.

A message moves sending → sent | failed | unknown.

- A batch first connects (and logs in), so a wrong password changes nothing.
- Letters go in chunks of k (`send.batch`, default 8; 1 when paced by --rate or
  copied to a Sent folder). A chunk is composed, dated that moment, while the chunk
  before it is handed over (sar.mail.ahead: a second thread that touches no database);
  its raw bytes go to the evidence store with one fsync for the chunk; its
  `sending` rows are committed in one transaction, before any of them is handed
  over; then each is handed to the transport. `sent` (with the server's reply) and
  the request's `sent` event are committed for the whole chunk in the transaction
  that commits the next chunk's `sending` rows, so the disk is waited on once per k
  letters; before a pause (a rate limit, a copy to the Sent folder, the end) they
  are committed straight away, so an accepted letter is never left unrecorded while
  nothing happens. A crash therefore leaves at most k letters to settle. The
  `sending` rows of letters that Ctrl-C or a lost server stopped before they were
  handed over are taken back: they never went, so they must not become unknown.
- Only one sar sends from a home at a time (a lock file), so a `sending` row found
  at the start of a batch was left by a process that died: the transport is asked
  whether the message got through; if it cannot say, the message is `unknown`, shown
  to the user, and never sent again unless they say so (`--retry-unknown`). An
  unknown message stays unknown until a retry has actually gone.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from sar.core import followups
from sar.core.lifecycle import Event
from sar.errors import InvalidEventError, SarError
from sar.mail import ahead, guards
from sar.mail.transports import DeliveryFailed, DeliveryUnknown, SetupError
from sar.store import db as store
from sar.store.db import now


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
    again: bool = False                  # a reminder though one went in the last week
    offered: str | None = None           # id-reply: what the user offers (--details)
    dry_run: bool = False
    rate: float | None = None            # messages per second, at most
    attachments: list[Path] = field(default_factory=list)
    progress: object = None              # callable(done, total, ref) or None


@dataclass
class _Queued:
    ref: str
    request_id: int
    message_pk: int
    message_id: str
    sender: str
    recipients: list[str]
    raw: bytes
    sent: object  # the request's 'sent' event, prepared (Workspace.prepare_event)
    fields: dict  # the rest of the messages row


class Batch(list):
    """The results of one send, in order, and whether Ctrl-C stopped it early."""

    def __init__(self, results: list, interrupted: bool = False):
        super().__init__(results)
        self.interrupted = interrupted


class Outbox:
    """Sends requests' letters through one transport for one Workspace."""

    def __init__(self, ws, transport, sent_copy=None, purpose: str = "letter"):
        self.ws = ws
        self.db = ws.db
        self.transport = transport
        self.sent_copy = sent_copy  # sar.mail.imap.SentCopy, or None
        self.purpose = purpose      # letter (the request) | reminder | another follow-up
        self.flag = {"stop": False, "interrupted": False}
        self.copy_failed: str | None = None  # once a Sent-folder copy failed, say so
        # The directory records' and profile's snapshots taken in this run, by slug
        # (None: the profile): Drafting.refresh_snapshots takes each once.
        self._snapshots: dict = {}

    @property
    def interrupted(self) -> bool:
        """Ctrl-C stopped the last batch after the letter it was handing over."""
        return self.flag["interrupted"]

    def send(self, rows: list[dict], options: SendOptions | None = None) -> list[SendResult]:
        options = options or SendOptions()
        self._snapshots = {}  # each run takes the records as they are now
        refs = list(dict.fromkeys(row["ref"] for row in rows))  # the same letter once
        if options.dry_run:
            # Reads only, so it needs no lock: it works while a paced batch runs.
            return [self._dry_run(ref, options) for ref in refs]
        self.batch_size(options)  # a bad send.batch: refused before anything happens
        with guards.send_lock(self.ws.home.root):
            self.recover()
            results: dict[str, SendResult] = {}
            pending = [ref for ref in refs if self._why_not(ref, options, results) is None]
            if pending:
                self.transport.open()  # a wrong password or host stops here, nothing changed
                try:
                    self._deliver_all(pending, options, results)
                finally:
                    self.ws.evidence.settle()  # the batch's evidence files, one sync
                    self.transport.close()
                    if self.sent_copy is not None:
                        self.sent_copy.close()
            return Batch([results[ref] for ref in refs], self.interrupted)

    # -- recovery ----------------------------------------------------------------------

    def recover(self) -> None:
        """Settle what a process that died mid-batch left behind."""
        self.ws.evidence.settle(after_crash=True)
        for m in list(self.db.query("SELECT * FROM messages WHERE state = 'sending'")):
            found = self._find(m)
            if found is None:
                self._set(m["id"], "unknown", "interrupted while being handed over: it may "
                          "or may not have gone")
                continue
            row = next(self.db.query("SELECT * FROM requests WHERE id = ?", [m["request_id"]]))
            event = self._handed_over(m, row, "system", recovered=True)
            with self.ws.transaction():
                self._set(m["id"], "sent", found)
                try:
                    self.ws.log.append(row, event)
                except InvalidEventError:
                    # The request moved on meanwhile (withdrawn, posted): keep the
                    # fact that a copy went, without pretending it fits the story.
                    self.ws.log.append(row, Event("note", self.ws.today, "system", {
                        "note": f"an interrupted send reached the outbox ({m['message_id']})"}))

    def confirm_sent(self, rows: list[dict]) -> list[SendResult]:
        """The user found a letter of unknown fate in their Sent folder: record it as
        sent, on the day it was handed over, without sending anything."""
        with guards.send_lock(self.ws.home.root):
            self.recover()
            results = []
            for row in rows:
                m = next(self.db.query(
                    "SELECT * FROM messages WHERE request_id = ? AND state IN ('unknown', "
                    "'handed-out') ORDER BY id DESC LIMIT 1", [row["id"]]), None)
                if m is None:
                    raise InvalidEventError(f"{row['ref']} has no letter of unknown fate to "
                                            "confirm")
                if m["state"] == "handed-out":
                    # A campaign participant sent it themselves: today, as they tell us.
                    event = Event(followups.event_kind(m["purpose"]), self.ws.today, "user", {
                        **followups.event_details(m["purpose"], row["regime"], self.ws.today),
                        "message_id": m["message_id"], "transport": m["transport"],
                        "sha256": m["sha256"], "confirmed": "by the participant"})
                else:
                    event = self._handed_over(m, row, "user", confirmed="by the user")
                with self.ws.transaction():
                    self.ws.log.append(row, event)
                    self._set(m["id"], "sent", "confirmed by the user")
                    self._supersede(row["id"], f"{m['message_id']} was confirmed sent",
                                    m["purpose"])
                results.append(SendResult(row["ref"], "sent", "confirmed by you: recorded, "
                                          "not sent again", m["message_id"]))
            return results

    def _find(self, message: dict) -> str | None:
        if message["transport"] != self.transport.name:
            return None  # the transport it went to is not the one configured now
        return self.transport.find(message["message_id"])

    # -- one batch ---------------------------------------------------------------------

    def _why_not(self, ref: str, options: SendOptions, results: dict) -> str | None:
        row = self.ws.queries.find(ref)
        why = None
        if row.get("campaign_id"):
            from sar.campaign.hooks import why_not_send

            # Consent, a confirmed address and a signed mandate, checked before each
            # letter (campaigns.md §4): no request goes out for anyone without them.
            why = why_not_send(self.ws, row)
        if why:
            pass
        elif self.purpose != "letter":
            why = self.why_no_reminder(row, options)
        elif row["status"] not in ("draft", "bounced"):
            why = f"already {row['status']}"
        elif row["channel"] != "email":
            why = (f"a postal request: print it with `sar letter {ref} -o {ref}.docx`, "
                   f"then `sar post {ref}`")
        elif not options.retry_unknown and self.ws.queries.send_unknown(row["id"]):
            why = ("an earlier attempt may or may not have gone: check your Sent folder or "
                   f"the outbox, then `sar send {ref} --retry-unknown`")
        if why:
            results[ref] = SendResult(ref, "skipped", why)
        return why

    def why_no_reminder(self, row: dict, options: SendOptions) -> str | None:
        """Why the follow-up of this outbox's purpose (the reminder, or another) cannot
        go to this request now, or None."""
        ref, kind = row["ref"], self.purpose
        name = followups.NAMES[kind]
        again = (f"sar remind {ref}" if kind == "reminder"
                 else f"sar send {ref} --follow-up {kind}")
        if row["channel"] != "email":
            return (f"a postal request: print the {name} (`sar letter {ref} --follow-up "
                    f"{kind} -o {ref}-{kind}.docx`), post it, then `{again} --posted DATE`")
        try:
            # The refusal rules (sar.core.followups): overdue, open, clock running ...
            self.ws.letters.follow_up(row, kind, options.offered)
        except SarError as e:
            return str(e)
        if not options.retry_unknown and self.db.execute(
                "SELECT 1 FROM messages WHERE request_id = ? AND purpose = ? AND "
                "state IN ('sending', 'unknown')", [row["id"], kind]).fetchone():
            return (f"an earlier {name} may or may not have gone: check your Sent "
                    f"folder, then `{again} --retry-unknown`")
        events = self.ws.log.of(row["id"])
        if kind == "reminder":
            recent = followups.recent_reminder(events, self.ws.today)
            if recent and not options.again:
                return (f"reminded on {recent}: give them until the final date (or "
                        f"`{again} --again`)")
        elif not options.again:
            sent = followups.earlier_follow_up(kind, events)
            if sent:
                return f"the {name} went on {sent}: it goes once (or `{again} --again`)"
        return None

    def _dry_run(self, ref: str, options: SendOptions) -> SendResult:
        results: dict[str, SendResult] = {}
        if self._why_not(ref, options, results):
            return results[ref]
        ws = self.ws
        row = ws.queries.find(ref)
        letter, thread = ws.letters.outgoing(row, self.purpose, options.offered)
        msg, raw = ws.letters.compose(row, letter, _noon(ws.today), extra=options.attachments,
                               current=self.purpose != "letter", in_reply_to=thread)
        # What would really be used: the directory record as it is now.
        to = ws.queries.current_email(row) or msg.recipients[0]
        return SendResult(ref, "would-send", f"to {to}, {len(raw):,} bytes", msg["Message-ID"])

    def _ahead(self, chunk: list[str], options: SendOptions, results: dict,
               composer) -> Future:
        """Read what a chunk's letters need from the home (taking the current directory
        record and profile for a letter), then give the composer their rendering,
        composing and evidence: the chunk's messages, dated now, when it is done."""
        ws = self.ws
        at = ws.sending.send_time()
        items = []
        try:
            for ref in chunk:
                try:
                    row = ws.queries.find(ref)
                    if self.purpose == "letter":
                        row = ws.drafting.refresh_snapshots(row, self._snapshots)
                    items.append((ref, row, ws.letters.ahead(
                        row, self.purpose, at or _noon(ws.today), options.offered,
                        options.attachments)))
                except SarError as e:  # this letter cannot be composed: the rest can
                    results[ref] = SendResult(ref, "failed", str(e))
        except Exception as e:
            # Anything else (a locked database, a missing file) is raised where the
            # chunk is taken, before its rows are written: the chunk already committed
            # as `sending` still goes first, so nothing is left in doubt that never went.
            failed: Future = Future()
            failed.set_exception(e)
            return failed
        return composer.submit(self._compose, items, at)

    def _discard(self, coming: Future) -> None:
        """A composed chunk that will not go (the batch stopped or broke first): its
        letters' evidence files, which nothing names and no other message can share
        (each carries its own Message-ID), are removed rather than left holding
        personal data."""
        try:
            composed, _ = coming.result()
        except Exception:
            return  # it never got as far as the evidence store
        for _, _, msg, _, digest in composed:
            if msg is not None:
                self._forget(digest)

    def _forget(self, digest: str) -> None:
        """Remove the evidence of a letter that never went, unless a row names it."""
        if not self.db.execute("SELECT 1 FROM messages WHERE sha256 = ?",
                               [digest]).fetchone():
            self.ws.evidence.discard(digest)

    def _compose(self, items: list, at: dt.datetime | None) -> tuple[list, dt.datetime | None]:
        """On the composer's thread, touching no database: each letter rendered and
        composed (or why it could not be), and the chunk's raw messages made durable in
        the evidence store with one fsync (sar.store.evidence), before the rows that
        will point at them are written."""
        import hashlib

        done = []
        for ref, row, make in items:
            try:
                msg, raw = make()
            except SarError as e:
                done.append((ref, row, None, str(e), ""))
                continue
            done.append((ref, row, msg, raw, hashlib.sha256(raw).hexdigest()))
        self.ws.evidence.put_many([d[3] for d in done if d[2] is not None])
        return done, at

    def _queued(self, ref: str, row: dict, msg, raw: bytes, digest: str,
                at: dt.datetime | None) -> _Queued:
        """A composed letter with its `sent` event worked out before it goes."""
        ws = self.ws
        sent = ws.log.prepare(row, Event(
            followups.event_kind(self.purpose), ws.today, "system",
            {**followups.event_details(self.purpose, row["regime"], ws.today),
             "message_id": msg["Message-ID"],
             "transport": self.transport.name,
             "sha256": digest}, at=at))
        return _Queued(ref, row["id"], 0, msg["Message-ID"], msg.sender, msg.recipients, raw,
                       sent, {"subject": msg["Subject"], "from_addr": msg["From"],
                              "to_addrs": json.dumps([msg["To"]], ensure_ascii=False),
                              "date": msg["Date"], "sha256": digest, "size": len(raw)})

    def batch_size(self, options: SendOptions) -> int:
        """k, the letters handed over per durable write (send.batch): a crash leaves at
        most k to settle. One at a time when paced or copied to a Sent folder, so each
        letter is dated and recorded the moment it goes."""
        from sar import config as cfg

        k = cfg.get(self.ws.config, "send.batch")
        if not 1 <= k <= MAX_BATCH:
            raise SarError(f"send.batch must be between 1 and {MAX_BATCH} (it is {k})")
        return 1 if options.rate or self.sent_copy is not None else k

    def _deliver_all(self, refs: list[str], options: SendOptions, results: dict) -> None:
        """The pipeline: while a chunk of k letters is handed over one by one, the next
        chunk is composed and its evidence written (sar.mail.ahead); then its `sending`
        rows are committed in one transaction (with the `sent` records of the chunk
        before), and it is handed over in turn."""
        k = self.batch_size(options)
        chunks = [refs[start:start + k] for start in range(0, len(refs), k)]
        unrecorded: list[tuple[_Queued, str]] = []  # accepted, 'sent' not yet committed
        last = 0.0
        done = 0
        # One at a time (paced, or copied to a Sent folder): composed as it goes.
        with guards.stop_on_interrupt() as flag, ahead.composing(inline=k == 1) as composer:
            self.flag = flag
            try:
                coming = None  # the next chunk, composed, not yet handed over
                for index, chunk in enumerate(chunks):
                    if options.rate and index:
                        self._record_all(unrecorded)  # never leave an accepted letter waiting
                        guards.sleep_until(last + 1.0 / options.rate, flag)
                    if flag["stop"]:
                        break
                    current, coming = coming or self._ahead(chunk, options, results,
                                                            composer), None
                    try:
                        queued = self._hand_over(current, options, results, unrecorded)
                    except BaseException:
                        self._discard(current)  # its rows rolled back: nothing names them
                        raise
                    if k > 1 and index + 1 < len(chunks) and not flag["stop"]:
                        coming = self._ahead(chunks[index + 1], options, results, composer)
                    for i, q in enumerate(queued):
                        if flag["stop"]:
                            self._not_sent(queued[i:], results)
                            break
                        last = time.monotonic()
                        accepted = self._deliver(q, results, flag)
                        if accepted:
                            unrecorded.append((q, accepted))
                            if self.sent_copy is not None:
                                self._record_all(unrecorded)
                                self._copy(q, results)
                    for ref in chunk if options.progress else ():
                        done += 1
                        options.progress(done, len(refs), ref)
            finally:
                self._record_all(unrecorded)
                if coming is not None:
                    self._discard(coming)
        for ref in refs:
            if ref not in results:
                results[ref] = SendResult(ref, "skipped", STOPPED)

    def _hand_over(self, coming: Future, options: SendOptions, results: dict,
                   unrecorded: list) -> list[_Queued]:
        """Take a composed chunk (its evidence already durable) and commit its
        `sending` rows together with the `sent` records still waiting."""
        composed, at = coming.result()
        moment = self.ws.sending.send_time()
        if at is not None and moment is not None and (moment - at).total_seconds() > MAX_AHEAD:
            # Composed too long before it could go (a slow server): read and dated again.
            self._discard(coming)
            composed, at = self._ahead([c[0] for c in composed], options, results,
                                       ahead.Composer(inline=True)).result()
        queued = []
        for ref, row, msg, raw, digest in composed:
            if msg is None:
                results[ref] = SendResult(ref, "failed", raw)
                continue
            try:
                queued.append(self._queued(ref, row, msg, raw, digest, at))
            except SarError as e:
                results[ref] = SendResult(ref, "failed", str(e))
        going = []
        with self.ws.transaction():
            self._record_all(unrecorded)
            for q in queued:
                if self._why_not(q.ref, options, results) is not None:  # moved on meanwhile
                    continue
                q.message_pk = store.insert(self.db, "messages", {
                    "request_id": q.request_id, "direction": "out", "state": "sending",
                    "transport": self.transport.name, "purpose": self.purpose,
                    "message_id": q.message_id, **q.fields,
                    "created_at": now(), "updated_at": now()})
                going.append(q)
        return going

    def _deliver(self, q: _Queued, results: dict, flag: dict) -> str | None:
        """Hand one letter over; the server's receipt if it took it."""
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
            results[q.ref] = SendResult(q.ref, "sent", receipt, q.message_id)
            return receipt
        return None

    def _not_sent(self, queued: list[_Queued], results: dict) -> None:
        """Letters of a chunk that Ctrl-C or a lost server stopped before they went:
        never handed over, so their `sending` rows are taken back (as if the batch
        had stopped before them), not left to become unknown."""
        with self.ws.transaction():
            for q in queued:
                self.db.execute("DELETE FROM messages WHERE id = ? AND state = 'sending'",
                                [q.message_pk])
                results[q.ref] = SendResult(q.ref, "skipped", STOPPED)
        for q in queued:  # and their letters' files, which nothing names now
            self._forget(q.fields["sha256"])

    def _copy(self, q: _Queued, results: dict) -> None:
        if self.copy_failed:
            results[q.ref].detail += f" ({self.copy_failed})"
            return
        problem = self.sent_copy.save(q.raw)
        if problem:
            results[q.ref].detail += f" ({problem})"
            self.copy_failed = "no copy in the Sent folder"

    def _record_all(self, unrecorded: list) -> None:
        """Commit the `sent` records waiting, in one transaction, and forget them."""
        if not unrecorded:
            return
        with self.ws.transaction():
            for q, receipt in unrecorded:
                self._record_sent(q, receipt)
        unrecorded.clear()

    def _record_sent(self, q: _Queued, receipt: str) -> None:
        with self.ws.transaction():
            self._set(q.message_pk, "sent", receipt)
            self._supersede(q.request_id, f"sent again as {q.message_id}", self.purpose)
            try:
                self.ws.log.write(q.sent)
            except InvalidEventError:
                # The request moved on while the letter was going (withdrawn, posted):
                # the copy that went is a fact; record it without bending the story.
                self.ws.log.append(q.sent.row, Event("note", self.ws.today, "system", {
                    "note": f"a letter sent during the change reached the server "
                            f"({q.message_id})"}))

    def _handed_over(self, m: dict, row: dict, source: str, **extra) -> Event:
        """The `sent` event for a message found to have gone after the fact: dated when
        it was handed over (its Date header), not when that was found out."""
        at = _header_time(m["date"])
        purpose = m.get("purpose") or "letter"
        on = at.date() if at else self.ws.today
        return Event(followups.event_kind(purpose), on, source,
                     {**followups.event_details(purpose, row["regime"], on),
                      "message_id": m["message_id"],
                      "transport": m["transport"],
                      "sha256": m["sha256"], **extra}, at=at)

    def _supersede(self, request_id: int, why: str, purpose: str = "letter") -> None:
        """Earlier attempts of unknown fate are settled once one has gone."""
        for (pk,) in self.db.execute("SELECT id FROM messages WHERE request_id = ? AND "
                                     "state = 'unknown' AND purpose = ?",
                                     [request_id, purpose]).fetchall():
            self._set(pk, "superseded", why)

    def _set(self, message_pk: int, state: str, detail: str) -> None:
        store.update(self.db, "messages", message_pk, {"state": state, "detail": detail,
                                                "updated_at": now()})


# Why a letter of an interrupted batch was not tried (Batch.interrupted).
STOPPED = "stopped before it was sent"
# The largest send.batch: the crash window stays small.
MAX_BATCH = 64
# A chunk composed ahead that waited longer than this (seconds) for a slow server is
# composed again when its turn comes, so its Date header says when it went.
MAX_AHEAD = 30


def _noon(day: dt.date) -> dt.datetime:
    """A stand-in send time for a what-if date (SAR_TODAY): noon UTC that day."""
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)


def _header_time(value: str | None) -> dt.datetime | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
