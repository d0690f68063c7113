"""Where replies are read from: a local Maildir, or an IMAP folder.

Both feed sar.inbox.Inbox.ingest a chunk of messages at a time inside
`Inbox.batch()` (one transaction, one evidence sync), and record how far they have
read in that transaction, so a run stopped at any point goes on from the chunk it
was in; what each message became is reported once its chunk has committed.

- Maildir (what mbsync, offlineimap and getmail write; the demo and tests): every
  file in new/ and cur/ not seen before, by its unique name. The user's files are
  only read: not moved, not flagged.
- IMAP: incremental by UID, with UIDVALIDITY kept per folder (RFC 3501 §2.3.1.1):
  a changed UIDVALIDITY means the folder is read again from the start, and
  de-duplication by Message-ID keeps that from ingesting anything twice. Messages
  are fetched with BODY.PEEK[] in a read-only SELECT, so the user's unread flags
  stay as they were. imapclient 4.x cannot FETCH a range string ("1:*"), so UIDs
  are searched first and fetched as lists in chunks (../shared/reference/mail.md).
  While one chunk is taken in, a thread reads the next, so the server and sar
  work at once; only the UID of a chunk taken in is ever saved.
- `watch` stays connected: IDLE where the server has it (renewed well before RFC
  2177's 29 minutes), polling where it has not; after a dropped connection it
  reconnects with exponential backoff and jitter and catches up by UID before it
  idles again, so nothing that arrived during the outage is missed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sar.errors import UsageError
from sar.store import reading

CHUNK = 200
READ_AHEAD = 64 * 2**20   # bytes of a chunk beside which the next one is read ahead



def _head(raw: bytes) -> bytes:
    """The header of a message too large to keep whole."""
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    return raw[:end if end >= 0 else 64 * 1024] + b"\r\n\r\n"


# -- Maildir ----------------------------------------------------------------------

def maildir_files(folder: Path) -> list[str]:
    """The message files of a Maildir (new/ and cur/), in name order, as paths: regular
    files only, never through a link — a FIFO or a device would hang the reader, and
    a link could point anywhere. Only the paths are kept (a folder of 200,000 messages
    is some 24 MiB of them, against 56 as directory entries). UsageError if `folder`
    is not a Maildir."""
    folder = Path(folder)
    if not (folder / "cur").is_dir() and not (folder / "new").is_dir():
        raise UsageError(f"{folder} is not a Maildir (it has no cur/ or new/ folder)")
    files: list[str] = []
    for sub in ("new", "cur"):
        try:
            with os.scandir(folder / sub) as entries:
                names = [e.name for e in entries
                         if e.is_file(follow_symlinks=False) and not e.name.startswith(".")]
        except (FileNotFoundError, NotADirectoryError):
            continue
        names.sort()
        base = os.path.join(folder, sub, "")
        for i, name in enumerate(names):  # in place: each name freed as its path comes
            names[i] = base + name
        files += names
    return files


def read_file(path: str, limit: int) -> bytes | None:
    """Up to `limit` bytes of a Maildir file, or None if it went away meanwhile."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            return f.read(limit)
    except OSError:
        return None  # moved by the user's mail program meanwhile, or unreadable


def _unique(path: str) -> str:
    """The unique part of a Maildir name; the flags after ':' change when it is read.
    A name that is not UTF-8 (a mail program's bug, or a copy from another system)
    is still a message: it is kept as its bytes in hex behind 'x:', which no unique
    part can start with (the unique part ends at the first ':')."""
    unique = os.path.basename(path).split(":", 1)[0].split("!", 1)[0]
    try:
        unique.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept by Python as surrogates
        return "x:" + os.fsencode(unique).hex()
    return unique


def _unseen(db, source: str, paths: list[str]) -> list[tuple[str, str]]:
    """(unique name, path) of the files in `paths` not taken in before: the table is
    asked a chunk at a time, so a large folder's names are never all held twice."""
    names = [_unique(p) for p in paths]
    seen = reading.maildir_seen(db, source, names)
    todo = []
    for name, path in zip(names, paths, strict=True):
        if name not in seen:
            seen.add(name)  # the same message in new/ and cur/ (moved while listed)
            todo.append((name, path))
    return todo


def maildir(inbox, folder: Path, max_bytes: int) -> Iterator:
    """Ingest each message in a Maildir not seen before; yield what became of it."""
    folder = Path(folder).expanduser()
    files = maildir_files(folder)
    # A folder whose path is not UTF-8 is named with its odd bytes escaped (\\xff).
    source = "maildir:" + os.fsencode(folder.resolve()).decode("utf-8", "backslashreplace")
    db = inbox.db
    inbox.ws.evidence.settle(after_crash=True)
    for i in range(0, len(files), CHUNK):
        # Earlier chunks are committed: a message met in one of them is in the table.
        todo = _unseen(db, source, files[i:i + CHUNK])
        if not todo:
            continue  # a folder read before costs a query per chunk, no transaction
        results = []
        with inbox.batch():
            for name, path in todo:
                raw = read_file(path, max_bytes + 1)
                if raw is None:
                    continue  # found next time, if it is still there
                if len(raw) > max_bytes:
                    raw = _head(raw)
                results.append(inbox.ingest(raw, source=source))
                reading.mark_maildir_seen(db, source, name)
        yield from results
    inbox.ws.evidence.settle()  # the run's journals: one sync for them all


# -- IMAP -------------------------------------------------------------------------

class ImapSource:
    def __init__(self, inbox, settings, folders: list[str], max_bytes: int):
        self.inbox = inbox
        self.settings = settings
        self.folders = folders
        self.max_bytes = max_bytes
        self.source = f"imap://{settings.username or ''}@{settings.host}:{settings.port}"
        self.client = None
        self.notes: list[str] = []   # what the user should know (a rescan, a skipped size)

    def connect(self):
        from sar.mail.imap import connect

        self.client = connect(self.settings)
        # INTERNALDATE with its zone, as the server gave it.
        self.client.normalise_times = False
        return self.client

    def close(self):
        if self.client is not None:
            # A dead connection cannot log out politely.
            with contextlib.suppress(Exception):
                self.client.logout()
            self.client = None

    def _state(self, folder: str):
        return reading.imap_position(self.inbox.db, self.source, folder)

    def _save(self, folder: str, uidvalidity: int, uid: int) -> None:
        reading.save_imap_position(self.inbox.db, self.source, folder, uidvalidity, uid)

    def sync(self, folder: str) -> Iterator:
        """Ingest what arrived in `folder` since the last UID read."""
        from sar.mail.imap import ImapError

        c = self.client
        try:
            info = c.select_folder(folder, readonly=True)
        except Exception as e:  # noqa: BLE001 - imapclient raises its own or imaplib's
            if not c.folder_exists(folder):
                raise ImapError(f"there is no folder {folder!r} on {self.settings.host}") \
                    from None
            raise e
        uidvalidity = int(info[b"UIDVALIDITY"])
        state = self._state(folder)
        last = 0
        if state is not None:
            if state[0] == uidvalidity:
                last = state[1]
            else:
                self.notes.append(f"{folder}: UIDVALIDITY changed ({state[0]} -> "
                                  f"{uidvalidity}); reading it again, without duplicates")
                with self.inbox.ws.transaction():
                    self._save(folder, uidvalidity, 0)
        # "N:*" always includes the highest UID, even below N: filter.
        uids = sorted(u for u in c.search(["UID", f"{last + 1}:*"]) if u > last)
        self.inbox.ws.evidence.settle(after_crash=True)
        fetched = self._fetched(c, [uids[i:i + CHUNK] for i in range(0, len(uids), CHUNK)])
        try:
            for chunk, meta, bodies, heads in fetched:
                yield from self._take(folder, uidvalidity, chunk, meta, bodies, heads)
        finally:
            fetched.close()  # waits for a chunk being read ahead: the connection is ours again
        self.inbox.ws.evidence.settle()  # the run's journals: one sync for them all

    def _fetch(self, c, chunk: list[int]) -> tuple:
        meta = c.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE"])
        small = [u for u in chunk if meta.get(u, {}).get(b"RFC822.SIZE", 0) <= self.max_bytes]
        large = [u for u in chunk if u not in set(small)]
        bodies = c.fetch(small, ["BODY.PEEK[]"]) if small else {}
        heads = c.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}
        return chunk, meta, bodies, heads

    def _fetched(self, c, chunks: list[list[int]]) -> Iterator[tuple]:
        """Each chunk fetched, the next one read ahead (by one thread, which has the
        connection to itself until it is done) while this one is taken in, so the
        server works while we do. After a chunk of more than READ_AHEAD bytes the
        next is read only once it is taken in. The second thread is the send path's
        (sar.mail.ahead): while it runs, a thread waiting for the interpreter lock
        gets it within a fraction of a millisecond, not 5 ms."""
        if len(chunks) < 2:
            yield from (self._fetch(c, chunk) for chunk in chunks)
            return
        from sar.mail import ahead

        with ahead.composing() as reader:
            pending = reader.submit(self._fetch, c, chunks[0])
            for after in [*chunks[1:], None]:
                got, pending = pending.result(), None
                size = sum(got[1].get(u, {}).get(b"RFC822.SIZE", 0) for u in got[2])
                if after is not None and size <= READ_AHEAD:
                    pending = reader.submit(self._fetch, c, after)
                yield got
                if after is not None and pending is None:
                    pending = reader.submit(self._fetch, c, after)

    def _take(self, folder, uidvalidity, chunk, meta, bodies, heads) -> list:
        """Ingest a fetched chunk in one batch, its last UID saved with it."""
        results = []
        with self.inbox.batch():
            for uid in chunk:
                if uid in bodies:
                    raw = bodies[uid].get(b"BODY[]") or b""
                elif uid in heads:
                    raw = heads[uid].get(b"BODY[HEADER]") or b""
                    self.notes.append(f"{folder}: message {uid} is larger than "
                                      f"{self.max_bytes // 2**20} MB: kept as headers only")
                else:
                    continue  # expunged meanwhile
                received = meta.get(uid, {}).get(b"INTERNALDATE")
                if isinstance(received, dt.datetime) and received.tzinfo is None:
                    received = received.astimezone()
                results.append(self.inbox.ingest(raw, source=self.source, received=received))
            self._save(folder, uidvalidity, chunk[-1])
        return results

    def sync_all(self) -> Iterator:
        for folder in self.folders:
            yield from self.sync(folder)


def watch(source: ImapSource, *, once: bool, report: Callable, stop=None,
          idle_renew: float = 540.0, poll: float = 60.0, backoff_cap: float = 300.0,
          idle_check: float = 30.0, use_idle: bool = True,
          between_rounds: Callable[[], None] = lambda: None) -> None:
    """Read what is new, then (unless `once`) stay connected and read each new
    message as it arrives, until `stop` is set. `report(kind, value)` is told of
    each ingested message ("message"), and of each drop and reconnect ("note");
    `between_rounds()` is called before each round after the first."""
    from imapclient.exceptions import IMAPClientError

    from sar.mail.imap import ImapError

    attempt = 0

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    def wait(seconds: float) -> None:
        if stop is not None:
            stop.wait(seconds)
        else:
            time.sleep(seconds)

    while not stopped():
        try:
            source.connect()
            if attempt:
                report("note", "reconnected; catching up")
            _read_all(source, report)
            attempt = 0  # only a connection that worked resets the backoff
            if once:
                return
            # IDLE watches one folder; with several, each is looked at in turn.
            can_idle = (use_idle and len(source.folders) == 1
                        and b"IDLE" in source.client.capabilities())
            # Say that it is waiting, so a quiet terminal is not taken for a hang.
            how = "IDLE" if can_idle else f"polling every {poll:.0f} s"
            report("note", f"watching {', '.join(source.folders)} at "
                           f"{source.settings.host} ({how}); Ctrl-C stops")
            while not stopped():
                if can_idle:
                    _idle(source, idle_renew, idle_check, stopped)
                else:
                    wait(poll)
                if stopped():
                    break
                between_rounds()
                _read_all(source, report)
        except ImapError as e:
            if e.fatal or once:
                raise
            attempt += 1
            delay = _backoff(attempt, backoff_cap)
            report("note", f"{e}; trying again in {delay:.0f} s")
            wait(delay)
        except (IMAPClientError, EOFError, OSError) as e:
            if isinstance(e, OSError) and not _network_error(e):
                raise  # a full disk or a broken home is not cured by reconnecting
            if once:
                raise ImapError(f"the connection to {source.settings.host} failed: "
                                f"{e or type(e).__name__}", fatal=True) from None
            attempt += 1
            delay = _backoff(attempt, backoff_cap)
            report("note", f"connection lost ({type(e).__name__}); reconnecting in "
                           f"{delay:.0f} s")
            wait(delay)
        finally:
            source.close()


def _network_error(e: OSError) -> bool:
    import errno
    import socket
    import ssl

    return isinstance(e, (ConnectionError, TimeoutError, socket.gaierror, ssl.SSLError)) or \
        e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNRESET, errno.EPIPE,
                    errno.ETIMEDOUT, errno.ECONNREFUSED, errno.ECONNABORTED, None)


def _read_all(source: ImapSource, report) -> None:
    """Everything new in the folders, each message reported; closed whatever happens,
    so no chunk is still being read ahead when the connection is closed."""
    with contextlib.closing(source.sync_all()) as results:
        for result in results:
            report("message", result)
    _notes(source, report)


def _notes(source: ImapSource, report) -> None:
    for note in source.notes:
        report("note", note)
    source.notes.clear()


def _backoff(attempt: int, cap: float) -> float:
    """1 s doubling to `cap`, with jitter so many clients do not return at once."""
    base = min(cap, 2.0 ** (attempt - 1))
    return base * (0.5 + random.random() / 2)


def _idle(source: ImapSource, renew: float, check: float, stopped) -> None:
    """IDLE until something arrives, `renew` seconds pass, or we are stopped."""
    c = source.client
    c.idle()
    started = time.monotonic()
    try:
        while not stopped() and time.monotonic() - started < renew:
            asked = time.monotonic()
            responses = c.idle_check(timeout=check)
            if any(r[1] in (b"EXISTS", b"RECENT") for r in responses
                   if isinstance(r, tuple) and len(r) > 1):
                break
            if any(r[0] == b"BYE" for r in responses if isinstance(r, tuple) and r):
                raise EOFError("the server said BYE")
            if not responses and time.monotonic() - asked < min(1.0, check / 2):
                # An empty answer at once is a dead socket (a killed server).
                raise EOFError("the connection is dead")
    finally:
        if source.client is c:
            c.idle_done()
    c.noop()
