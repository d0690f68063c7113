"""One sar home, opened: its database, profile, directory and evidence, and the rooms
that work on them.

A command parses its arguments, calls one method here (or on one of the rooms it
hands out) and formats the result. The rooms:

- `log` (sar.store.events): the event log; every change to a request is an event
  written with the cached status and due date it implies.
- `drafting` (sar.drafting): planning and drafting requests.
- `queries` (sar.queries): one request, the board, what is due.
- `letters` (sar.letters.context): letters, follow-ups and the emails that carry them.
- `sending` (sar.sending): the outbox, reminders, the transport.
- `tracking` (sar.tracking): what the user records by hand (mark, post).

The methods below that only pass a call on are the library's public interface, kept
short so that a caller need not know which room does the work.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from sar import home as home_mod
from sar.core import deadlines
from sar.errors import InvalidEventError, StoreError, UsageError


class Workspace:
    """All of sar's state under one home directory, as of one day (`today`)."""

    def __init__(self, root: Path | str | None = None, today: dt.date | None = None):
        self.home = home_mod.Home(home_mod.resolve(root))
        if self.home.root.exists() and not self.home.root.is_dir():
            # Even to look: "no requests" would hide a mistyped SAR_HOME.
            raise StoreError(f"cannot use {self.home.root} as the sar home: "
                             "it is not a directory")
        self.today = today or home_mod.today()
        # What a room reads once per workspace and keeps (a campaign's row, say).
        self.memo: dict = {}
        # Told, as one line of text, of something about the home the user should know:
        # `notice` of work about to take a while, `warn` of a setting that is not
        # valid. The CLI writes both to stderr (a warning after the command's output);
        # a library caller may set them.
        self.notice = self.warn = lambda text: None

    # -- what the rooms share ---------------------------------------------------------

    @cached_property
    def db(self):
        from sar.store.db import connect

        if self.home.read_only():
            # A home that may be looked at, not changed: opened read-only, so status,
            # list, show, report and export work; a command that writes is refused.
            return connect(self.home.db_path, self.home.key, read_only=True)
        self.home.ensure()
        conn = self.__dict__["db"] = connect(self.home.db_path, self.home.key)
        # Deadline settings edited by hand since the caches were kept: recompute them
        # before anything reads or appends (the log works on this connection).
        try:
            self.log.follow_settings()
        except BaseException:
            del self.__dict__["db"]  # opened again, and followed, next time
            conn.conn.close()
            raise
        return conn

    @cached_property
    def config(self) -> dict:
        self._config_stamp = self.home.config_stamp()
        return self.home.load_config()

    def follow_config(self) -> None:
        """For a command that runs for days (`sar watch`), between rounds: the
        configuration read again if its file changed meanwhile. When the deadline
        settings changed, every request's cache is recomputed (another sar's `config
        set` did so, but this one may have recorded events under the old settings
        since)."""
        if "config" not in self.__dict__ or self.home.config_stamp() == self._config_stamp:
            return
        before = self.__dict__.pop("config").get("deadlines")
        if self.config.get("deadlines") != before and "db" in self.__dict__ \
                and not self.home.read_only():
            self.log.follow_settings(always=True)

    @cached_property
    def directory(self):
        from sar.directory import Directory

        return Directory(self.home.orgs, user_groups=self.home.root / "groups.toml")

    def reload_directory(self) -> None:
        """After the user's records changed: read the directory again when next used."""
        self.__dict__.pop("directory", None)

    @cached_property
    def evidence(self):
        from sar.store.evidence import EvidenceStore

        return EvidenceStore(self.home.subdir(self.home.evidence), self.home.key)

    @contextmanager
    def transaction(self):
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so two
        sar processes queue (busy timeout) instead of failing halfway; nested calls
        become savepoints (one name for all: SQLite takes the innermost, and the
        statement is prepared once, not once a message in a batch)."""
        conn = self.db.conn
        if conn.in_transaction:
            conn.execute("SAVEPOINT sar_nested")
            try:
                yield
            except BaseException:
                # A RAISE(ROLLBACK) trigger may have ended the transaction already.
                if conn.in_transaction:
                    conn.execute("ROLLBACK TO SAVEPOINT sar_nested")
                    conn.execute("RELEASE SAVEPOINT sar_nested")
                raise
            conn.execute("RELEASE SAVEPOINT sar_nested")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def options(self) -> deadlines.Options:
        from sar import config as cfg

        return deadlines.Options(**{
            name: cfg.checked(self.config, f"deadlines.{name}")  # edited by hand: refused
            for name in ("email_receipt", "post_presumption", "pause_counting", "uk_counting")
        })

    def profile(self):
        """The user's profile (sar.profile.Profile), or one clear line if there is none."""
        from sar import profile as profile_mod

        return profile_mod.from_config(self.config)

    def check_date(self, on: dt.date, what: str) -> None:
        """A date the user gives for something that happened cannot be after today."""
        if on > self.today:
            raise UsageError(f"{what} {on.isoformat()} is after today ({self.today.isoformat()})")

    # -- the rooms ----------------------------------------------------------------------

    @cached_property
    def log(self):
        from sar.store.events import EventLog

        return EventLog(self)

    @cached_property
    def drafting(self):
        from sar.drafting import Drafting

        return Drafting(self)

    @cached_property
    def queries(self):
        from sar.queries import Queries

        return Queries(self)

    @cached_property
    def letters(self):
        from sar.letters.context import Letters

        return Letters(self)

    @cached_property
    def sending(self):
        from sar.sending import Sending

        return Sending(self)

    @cached_property
    def reviews(self):
        from sar.review import Reviews

        return Reviews(self)

    @cached_property
    def tracking(self):
        from sar.tracking import Tracking

        return Tracking(self)

    # -- set-up ---------------------------------------------------------------------------

    def init(self, profile, encrypt: bool = False) -> Path:
        if encrypt:
            from sar import crypto

            if self.home.db_path.exists() or self.home.config_path.exists():
                raise UsageError(f"{self.home.root} is already in use: encryption is chosen "
                                 "when a home is made (back it up, then start a new home "
                                 "with --encrypt)")
            crypto.setup(self.home.root)
        self.home.ensure()
        config = self.home.load_config()
        config["profile"] = profile.as_dict()
        config.setdefault("mail", {}).setdefault("transport", "maildir")
        self.home.save_config(config)
        self.__dict__.pop("config", None)
        self.db  # noqa: B018 - create and migrate the database now, not on first use
        return (self.home.sealed_config_path if self.home.encrypted
                else self.home.config_path)

    def set_config(self, key: str, value: str | None) -> None:
        """Change a setting; None puts it back to its default."""
        from sar import config as cfg

        recount = key.startswith("deadlines.") and self.home.db_path.exists()
        if recount and "db" not in self.__dict__:
            # Opened under the old settings, with no warning about them (this may be
            # the fix of a bad one): recounted once, below.
            warn, self.warn = self.warn, lambda text: None
            try:
                self.db  # noqa: B018
            finally:
                self.warn = warn
        config = self.home.load_config()
        if value is None:
            cfg.unset(config, key)
        else:
            cfg.put(config, key, value)
        self.home.save_config(config)
        self.__dict__.pop("config", None)
        if recount:
            self.log.reassess()

    def add_org(self, **fields) -> dict:
        from sar.directory.editing import add_org

        return add_org(self, **fields)

    def edit_org(self, slug: str, **fields) -> dict:
        from sar.directory.editing import edit_org

        return edit_org(self, slug, **fields)

    def import_orgs(self, folder: Path, progress=None):
        from sar.directory.editing import import_orgs

        return import_orgs(self, folder, progress)

    # -- the public interface, room by room ----------------------------------------------

    def new(self, kind: str, slugs: list[str], **options):
        return self.drafting.new(kind, slugs, **options)

    def refresh_snapshots(self, row: dict) -> dict:
        return self.drafting.refresh_snapshots(row)

    def find(self, ref: str) -> dict:
        return self.queries.find(ref)

    def events(self, request_id: int):
        return self.log.of(request_id)

    def assess(self, row: dict, events=None, *, as_of_today: bool = True):
        return self.log.assess(row, events, as_of_today=as_of_today)

    def prepare_event(self, row: dict, event):
        return self.log.prepare(row, event)

    def write_event(self, prepared) -> None:
        self.log.write(prepared)

    def summary(self, row: dict, send_unknown: set[int] | None = None) -> dict:
        return self.queries.summary(row, send_unknown)

    def list(self, status: str | None = None, org: str | None = None,
             kind: str | None = None, limit: int | None = None) -> list[dict]:
        return self.queries.list(status=status, org=org, kind=kind, limit=limit)

    def counts(self, org: str | None = None, kind: str | None = None) -> dict:
        return self.queries.counts(org, kind)

    def urgent(self, limit: int = 20, org: str | None = None,
               kind: str | None = None) -> list[dict]:
        return self.queries.urgent(limit, org, kind)

    def overdue(self) -> list[dict]:
        return self.queries.overdue()

    def board(self, status: str | None = None, org: str | None = None,
              kind: str | None = None) -> list[dict]:
        return self.queries.board(status=status, org=org, kind=kind)

    def board_summary(self, status: str | None = None, org: str | None = None,
                      kind: str | None = None, limit: int | None = 20) -> dict:
        return self.queries.board_summary(status, org, kind, limit)

    def due(self, within_days: int) -> list[dict]:
        return self.queries.due(within_days)

    def show(self, ref: str) -> dict:
        return self.queries.show(ref)

    def mark(self, ref: str, event: str, on: dt.date | None = None,
             note: str | None = None, source: str = "user") -> dict:
        return self.tracking.mark(ref, event, on, note, source)

    def post(self, ref: str, **options) -> dict:
        return self.tracking.post(ref, **options)

    def letter(self, ref: str, fmt: str, follow_up: str | None = None,
               offered: str | None = None) -> bytes:
        return self.letters.render(ref, fmt, follow_up, offered)

    def preview(self, ref: str, follow_up: str | None = None, offered: str | None = None) -> str:
        return self.letters.preview(ref, follow_up, offered)

    def letter_context(self, row: dict, letter_date: dt.date, via: str | None = None) -> dict:
        return self.letters.context(row, letter_date, via)

    def outgoing_letter(self, row: dict, purpose: str):
        return self.letters.outgoing(row, purpose)

    def reminder_days(self) -> int:
        return self.letters.reminder_days()

    def transport(self):
        return self.sending.transport()

    def send_time(self) -> dt.datetime | None:
        return self.sending.send_time()

    def send(self, refs: list[str] | None = None, **options):
        return self.sending.send(refs, **options)

    def remind(self, refs: list[str] | None = None, **options):
        return self.sending.remind(refs, **options)

    def test_mail(self) -> dict:
        return self.sending.test_mail()

    def watch(self, **options) -> None:
        from sar.watch import watch

        watch(self, **options)

    def inbox(self, everything: bool = False) -> list[dict]:
        if not self.home.db_path.exists():
            return []
        from sar.inbox import Inbox

        return Inbox(self).pending(everything)

    def link(self, message: str, ref: str, label: str | None = None) -> dict:
        from sar.inbox import Inbox

        return Inbox(self).link(message, ref, label)

    def discover(self, **options) -> dict:
        from sar import discover

        return discover.discover(self, **options)

    def saved_discovery(self) -> dict | None:
        from sar import discover

        return discover.saved(self)

    def forget_discovery(self) -> int:
        from sar import discover

        return discover.forget(self)


__all__ = ["Workspace", "InvalidEventError"]
