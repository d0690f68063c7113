"""The evidence store: raw bytes kept forever under their SHA-256.

Letters sent and replies received are evidence for a complaint, so they are
stored byte for byte, named by their hash (evidence/ab/cdef...), written to a
temporary file and renamed into place so a crash never leaves half a file.
Storing the same bytes twice is one file.

A batch of letters (`put_many`) waits for the disk once: its files are written
together into one journal in `.pending/`, fsynced, and then into place without a
wait each. `settle` makes those files durable with one sync for the whole run and
deletes the journals; after a crash it first puts back, from its journal, any file
a power cut left missing or short. Each process settles its own journals (named by
its pid); recovery after a crash takes those of processes no longer running too, so
a watcher and a sender at once never settle each other's batch halfway.

Ingest uses the same journal: inside `deferred()`, `put` holds the bytes, and
leaving it writes them as one batch, before the transaction that names them
commits (sar.inbox.Inbox.batch). It settles once a run (or once `unsettled` bytes
of journal pile up), not once a chunk: the journal is durable already, and each
sync(2) of the file system also waits for everyone else's writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from sar.files import sync_files, write_new, write_private


class EvidenceStore:
    """With `key` (an encrypted home), files are sealed with AES-256-GCM and still
    named by the SHA-256 of their plain bytes."""

    def __init__(self, root: Path, key: bytes | None = None):
        self.root = root
        self.key = key
        self._held: dict[str, bytes] | None = None  # inside deferred(): digest -> bytes
        self._folders: set[Path] = set()  # evidence/ab/ folders known to exist
        self.unsettled = 0  # bytes of this process's journals written since it last settled

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if self._held is not None:
            self._held.setdefault(digest, data)
            return digest
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.key is not None:
            from sar.crypto import encrypt

            data = encrypt(self.key, data)
        write_private(target, data)
        return digest

    @contextlib.contextmanager
    def deferred(self):
        """`put` inside holds the bytes; leaving without an error writes them all as
        one `put_many` batch (one fsync). An error drops them: nothing names them."""
        if self._held is not None:  # already deferred: the outer batch writes them
            yield
            return
        self._held = {}
        try:
            yield
            held = self._held
        finally:
            self._held = None
        self._write(held)

    def put_many(self, items: list[bytes]) -> list[str]:
        """`put` for a batch of letters, durable with one fsync (a journal of them)."""
        digests = [hashlib.sha256(data).hexdigest() for data in items]
        self._write(dict(zip(digests, items, strict=True)))
        return digests

    def _write(self, items: dict[str, bytes]) -> None:
        """Those of `items` (digest -> bytes) not stored yet: one alone with its own
        sync, several through a journal synced once."""
        import time

        files = {}
        for digest, data in items.items():
            target = self.path(digest)
            if not target.exists():
                if self.key is not None:
                    from sar.crypto import encrypt

                    data = encrypt(self.key, data)
                files[target] = (digest, data)
        if len(files) < 2:
            for target, (_, data) in files.items():
                self._folder(target)
                write_private(target, data)
            return
        pending = self.root / ".pending"
        pending.mkdir(mode=0o700, parents=True, exist_ok=True)
        journal = b"".join(f"{digest} {len(data)}\n".encode() + data
                           for digest, data in files.values())
        write_private(pending / f"{time.time_ns()}-{os.getpid()}.batch", journal)
        self.unsettled += len(journal)
        for target, (_, data) in files.items():
            self._folder(target)
            # The journal holds it: created in place, no temporary file and rename.
            write_new(target, data)

    def _folder(self, target: Path) -> None:
        """The folder of `target`, made if need be (asked of the disk once a run)."""
        if target.parent not in self._folders:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._folders.add(target.parent)

    def settle(self, after_crash: bool = False) -> None:
        """Make the files of every journal durable (one sync) and delete the journals.
        `after_crash`: first rewrite any file that is missing or differs."""
        pending = self.root / ".pending"
        journals = sorted(pending.glob("*.batch")) if pending.is_dir() else []
        journals = [j for j in journals if _settles(j, after_crash)]
        self.unsettled = 0
        if not journals:
            return
        written = []
        for journal in journals:
            blob, at = journal.read_bytes(), 0
            while at < len(blob):
                end = blob.index(b"\n", at)
                digest, size = blob[at:end].decode().split()
                data = blob[end + 1:end + 1 + int(size)]
                at = end + 1 + int(size)
                target = self.path(digest)
                if after_crash and (not target.exists() or target.read_bytes() != data):
                    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    write_private(target, data, sync=False)
                written.append(target)
        sync_files(written)
        for journal in journals:
            journal.unlink()

    def discard(self, digest: str) -> None:
        """Remove a file put for a message that never went (sar.mail.outbox): the
        caller has made sure nothing names it."""
        self.path(digest).unlink(missing_ok=True)

    def get(self, digest: str) -> bytes:
        data = self.path(digest).read_bytes()
        if self.key is not None:
            from sar.crypto import decrypt

            data = decrypt(self.key, data, f"evidence {digest[:16]}…")
        return data

    def verify(self, digest: str) -> bool:
        """True when the stored bytes still hash to their name."""
        from sar.errors import StoreError

        try:
            return hashlib.sha256(self.get(digest)).hexdigest() == digest
        except (FileNotFoundError, StoreError):
            return False


def _settles(journal: Path, after_crash: bool) -> bool:
    """Whether this process settles `journal`: its own, or (after a crash) one whose
    process is no longer running."""
    pid = journal.stem.rpartition("-")[2]
    if not pid.isdigit() or int(pid) == os.getpid():
        return True
    if not after_crash:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # running, as another user
    return False


# An attachment larger than this is kept only inside its raw message (sar.inbox).
MAX_ATTACHMENT_FILE = 25 * 2**20


def owners(db, *, except_messages: list[int] = (), except_participants: list[int] = (),
           except_requests: list[int] = ()) -> dict[str, str]:
    """Every evidence file a row names, with a few words on the first row naming it:
    messages (the raw mail), attachments, letters of authority, and events (a posted
    letter's or a complaint bundle's digest). Rows in the `except_` lists are left
    out, so a purge can ask what everything else still needs. `sar doctor` checks
    these files exist; `sar campaign purge` deletes only files no one else names."""
    import json

    no_m, no_p, no_r = (json.dumps(list(ids)) for ids in
                        (except_messages, except_participants, except_requests))
    named: dict[str, str] = {}
    for digest, what in db.execute(
            "SELECT m.sha256, COALESCE(r.ref || ', ', '') || m.direction || ' message #' || "
            "m.id FROM messages m LEFT JOIN requests r ON r.id = m.request_id WHERE "
            "m.sha256 IS NOT NULL AND m.id NOT IN (SELECT value FROM json_each(?)) UNION ALL "
            "SELECT sha256, 'attachment ' || id FROM attachments WHERE size <= ? AND "
            "message_id NOT IN (SELECT value FROM json_each(?)) UNION ALL "
            "SELECT mandate_sha256, 'letter of authority of ' || pseudonym FROM participants "
            "WHERE mandate_sha256 IS NOT NULL AND id NOT IN (SELECT value FROM json_each(?))",
            [no_m, MAX_ATTACHMENT_FILE, no_m, no_p]).fetchall():
        named.setdefault(digest, what)
    for (details,) in db.execute(
            "SELECT details FROM events WHERE details LIKE '%sha256%' AND request_id NOT IN "
            "(SELECT value FROM json_each(?))", [no_r]):
        d = json.loads(details)
        for key in ("sha256", "bundle_sha256"):
            if d.get(key):
                named.setdefault(d[key], "an event")
    return named
