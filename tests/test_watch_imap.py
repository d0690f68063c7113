"""`sar watch --imap` against real IMAP servers on loopback.

pymap (in-memory, a new UIDVALIDITY on every start) always; Dovecot (Maildir on
disk, UIDVALIDITY kept across restarts) where it is installed — CI installs it.
"""

from __future__ import annotations

import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest

from sar.workspace import Workspace
from tests import dovecot_server
from tests.imap_server import PASSWORD, USER, ImapServer


@pytest.fixture(params=["pymap", "dovecot"])
def server(request, tmp_path_factory):
    if request.param == "dovecot":
        if not dovecot_server.available():
            pytest.skip("Dovecot is not installed (CI installs it: .ci/run)")
        s = dovecot_server.DovecotServer(tmp_path_factory.mktemp("dovecot"))
    else:
        s = ImapServer()
    s.kind = request.param
    s.start()
    yield s
    s.stop()


@pytest.fixture
def account(me, server, monkeypatch):
    """A home with one request sent, reading replies from `server`."""
    me("config", "set", "imap.host", "127.0.0.1")
    me("config", "set", "imap.port", str(server.port))
    me("config", "set", "imap.security", "none")
    me("config", "set", "imap.username", USER)
    me("config", "set", "watch.idle_renew_seconds", "1")
    monkeypatch.setenv("SAR_IMAP_PASSWORD", PASSWORD)
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    sent = [m for m in me("show", ref, "--json").json()["messages"]
            if m["direction"] == "out"][0]
    me.ref, me.sent_id = ref, sent["message_id"]
    return me


def reply(account, text: str, *, thread: bool = True, subject: str = "Re: your request",
          sender: str = "privacy@acme.example") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Acme Privacy <{sender}>"
    msg["To"] = "robin@example.org"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(__import__("datetime").datetime(
        2026, 3, 2, 15, 0, tzinfo=__import__("datetime").UTC))
    msg["Message-ID"] = make_msgid(domain="acme.example")
    if thread:
        msg["In-Reply-To"] = account.sent_id
    msg.set_content(text)
    return bytes(msg)


ACK = "Thank you. We have received your request and will respond within one month."


def append(server, *raws: bytes, folder: str = "INBOX") -> None:
    c = server.client()
    try:
        for raw in raws:
            c.append(folder, raw)
    finally:
        c.logout()


def test_once_reads_new_replies_records_them_and_leaves_them_unread(account, server):
    append(server, reply(account, ACK))
    out = account("watch", "--imap", "--once", "--json").json()
    assert [(r["ref"], r["label"], r["matched_by"]) for r in out] == \
        [(account.ref, "acknowledged", "thread-headers")]
    shown = account("show", account.ref, "--json").json()
    assert shown["status"] == "acknowledged"
    assert [e["source"] for e in shown["events"] if e["kind"] == "acknowledged"] == ["inbox"]
    # BODY.PEEK in a read-only folder: the user's unread mail is still unread.
    c = server.client()
    c.select_folder("INBOX", readonly=True)
    flags = c.get_flags(c.search(["ALL"]))
    c.logout()
    assert all(b"\\Seen" not in f for f in flags.values())
    # Incremental: the next run reads only what is new.
    assert account("watch", "--imap", "--once", "--json").json() == []
    append(server, reply(account, "We need to verify your identity: please send a copy "
                                  "of your passport."))
    out = account("watch", "--imap", "--once", "--json").json()
    assert [r["label"] for r in out] == ["id-requested"]


def test_a_changed_uidvalidity_rescans_without_ingesting_anything_twice(account, server):
    def make_folder():
        c = server.client()
        if not c.folder_exists("Replies"):
            c.create_folder("Replies")
        c.logout()

    make_folder()
    first = reply(account, ACK)
    append(server, first, folder="Replies")
    watch = ("watch", "--imap", "--once", "--folder", "Replies", "--json")
    assert len(account(*watch).json()) == 1
    if server.kind == "pymap":
        server.stop()
        server.start()      # pymap forgets everything and picks a new UIDVALIDITY
        make_folder()
    else:
        server.recreate_folder("Replies")   # Dovecot: DELETE + CREATE, a new UIDVALIDITY
    append(server, first, folder="Replies")
    second = reply(account, "We are extending the time for our response by a further two "
                            "months under Article 12(3).")
    append(server, second, folder="Replies")
    run = account(*watch)
    assert [r["label"] for r in run.json()] == ["extended"]
    assert "UIDVALIDITY changed" in run.stderr
    received = [m for m in account("show", account.ref, "--json").json()["messages"]
                if m["direction"] == "in"]
    assert len(received) == 2


def test_a_folder_with_5000_messages_is_read_in_chunks_completely(account, server):
    c = server.client()
    noise = []
    for i in range(5000):
        msg = EmailMessage()
        msg["From"] = f"news{i % 7}@shop{i % 13}.example"
        msg["To"] = "robin@example.org"
        msg["Subject"] = f"Offer {i}"
        msg["Message-ID"] = f"<noise-{i}@shop.example>"
        msg.set_content(f"Offer number {i}.")
        noise.append(bytes(msg))
    for i in range(0, len(noise), 500):
        c.multiappend("INBOX", noise[i:i + 500])
    c.logout()
    append(server, reply(account, ACK))
    out = account("watch", "--imap", "--once", "--json").json()
    # The reply is found among them; the shop mail is neither kept nor shown.
    assert [(r["ref"], r["label"]) for r in out] == [(account.ref, "acknowledged")]
    assert account("inbox", "--all", "--json").json()[0]["ref"] == account.ref
    assert len(account("inbox", "--all", "--json").json()) == 1
    # Every one of the 5,001 was read: the next run starts after the last.
    append(server, reply(account, "We are extending the time for our response by a "
                                  "further two months."))
    assert [r["label"] for r in account("watch", "--imap", "--once", "--json").json()] == \
        ["extended"]


class Watcher:
    """`sar watch --imap` staying connected, in a thread, as the library runs it."""

    def __init__(self, account):
        self.stop = threading.Event()
        self.results, self.notes = [], []
        self.account = account
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error = None

    def _run(self):
        try:
            ws = Workspace(self.account.home, today=None)
            ws.watch(imap=True, stop=self.stop, report=self._report)
        except Exception as e:  # noqa: BLE001 - the test reads it
            self.error = e

    def _report(self, kind, value):
        (self.notes if kind == "note" else self.results).append(value)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()

    def wait_for(self, n: int, seconds: float = 20) -> list:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(new(self.results)) < n:
            assert self.error is None, self.error
            time.sleep(0.05)
        return new(self.results)


def new(results):
    return [r for r in results if r.status == "new"]


def test_watch_idles_and_records_a_reply_as_it_arrives(account, server):
    account.today = None  # the watcher records with the real date
    with Watcher(account) as w:
        time.sleep(0.5)
        append(server, reply(account, ACK))
        got = w.wait_for(1)
        assert [(r.ref, r.label) for r in got] == [(account.ref, "acknowledged")]
        # It renews IDLE (every second here) and keeps going.
        time.sleep(2.5)
        append(server, reply(account, "Please find attached a copy of your personal data.",
                             subject="Your data"))
        got = w.wait_for(2)
        assert len(got) == 2
    assert w.error is None


def test_without_idle_it_polls(account, server):
    account("config", "set", "watch.use_idle", "false")
    account("config", "set", "watch.poll_seconds", "0.3")
    account.today = None
    with Watcher(account) as w:
        time.sleep(0.5)
        append(server, reply(account, ACK))
        got = w.wait_for(1)
        assert [r.label for r in got] == ["acknowledged"]
    assert w.error is None


def test_watch_survives_a_dropped_connection_and_catches_up(account, server):
    account.today = None
    with Watcher(account) as w:
        time.sleep(0.5)
        append(server, reply(account, ACK))
        assert len(w.wait_for(1)) == 1
        server.kill()                   # no goodbye: a dead socket
        time.sleep(0.3)
        server.start()                  # same port
        # Arrives while the watcher is still backing off: found by the UID catch-up.
        append(server, reply(account, "We are extending the time for our response by a "
                                      "further two months."))
        got = w.wait_for(2, seconds=30)
        assert [r.label for r in got] == ["acknowledged", "extended"]
        assert any("reconnect" in n for n in w.notes)
        # It says when it starts waiting, so a quiet terminal is not taken for a hang.
        assert any(n.startswith("watching INBOX at 127.0.0.1") for n in w.notes), w.notes
    assert w.error is None


def test_a_wrong_password_is_one_line_and_changes_nothing(account, monkeypatch):
    monkeypatch.setenv("SAR_IMAP_PASSWORD", "not-the-password-42")
    before = account.state()
    line = account.fails("watch", "--imap", "--once")
    assert "refused the login" in line and "not-the-password-42" not in line
    assert account.state() == before


def test_a_missing_folder_is_one_line(account):
    line = account.fails("watch", "--imap", "--once", "--folder", "NoSuchFolder")
    assert "no folder 'NoSuchFolder'" in line


def test_an_unreachable_server_is_one_line(account, server):
    server.stop()
    line = account.fails("watch", "--imap", "--once")
    assert "cannot connect" in line or "connection" in line


def test_chunks_commit_with_their_uid_and_a_replay_records_nothing_twice(account, server):
    """Each chunk of 200 commits its rows, its evidence and the folder's last UID
    together; replaying from behind the mark (what a crash mid-chunk leaves) finds
    every message recorded already."""
    import sqlite3

    kept = []
    for i in range(450):
        msg = EmailMessage()
        msg["From"] = "Acme News <news@acme.example>"  # the organisation's: each kept
        msg["To"] = "robin@example.org"
        msg["Subject"] = f"Our news, number {i}"
        msg["Message-ID"] = f"<kept-{i}@acme.example>"
        msg.set_content(f"News number {i}.")
        kept.append(bytes(msg))
    c = server.client()
    c.multiappend("INBOX", kept)
    c.select_folder("INBOX", readonly=True)
    top = max(c.search(["ALL"]))
    c.logout()
    out = account("watch", "--imap", "--once", "--json").json()
    assert len(out) == 450 and all(r["status"] == "new" for r in out)
    db = sqlite3.connect(account.home / "sar.db")
    assert db.execute("SELECT last_uid FROM sync_state").fetchone()[0] == top
    assert not list((account.home / "evidence" / ".pending").glob("*.batch"))
    digests = [r[0] for r in db.execute("SELECT sha256 FROM messages WHERE direction = 'in'")]
    assert len(digests) == 450
    for d in digests:
        assert (account.home / "evidence" / d[:2] / d[2:]).is_file()
    db.execute("UPDATE sync_state SET last_uid = 0")
    db.commit()
    again = account("watch", "--imap", "--once", "--json").json()
    assert again == []  # reported only what is new: nothing
    assert db.execute("SELECT count(*) FROM messages WHERE direction = 'in'").fetchone()[0] \
        == 450
    assert db.execute("SELECT last_uid FROM sync_state").fetchone()[0] == top


def test_a_server_killed_while_the_next_chunk_is_read_ahead_loses_nothing_taken_in(
        account, server):
    """While a chunk is taken in, a thread reads the next. The server dies after the
    first chunk is reported: whatever was taken in is committed with its UID, nothing
    else is, the failure is one clear error, and no reading thread outlives it."""
    import sqlite3

    from sar.mail.imap import ImapError

    kept = []
    for i in range(650):
        msg = EmailMessage()
        msg["From"] = "Acme News <news@acme.example>"
        msg["To"] = "robin@example.org"
        msg["Subject"] = f"Our news, number {i}"
        msg["Message-ID"] = f"<ahead-{i}@acme.example>"
        msg.set_content(f"News number {i}.")
        kept.append(bytes(msg))
    c = server.client()
    c.multiappend("INBOX", kept)
    c.select_folder("INBOX", readonly=True)
    uids = sorted(c.search(["ALL"]))
    c.logout()
    got = []

    def report(kind, value):
        if kind == "message":
            got.append(value)
            if len(got) == 200:
                server.kill()  # the first chunk is in; the next is being read

    ws = Workspace(account.home, today=None)
    before = set(threading.enumerate())
    with pytest.raises(ImapError):
        ws.watch(imap=True, once=True, report=report)
    assert set(threading.enumerate()) <= before  # the reading thread is done
    db = sqlite3.connect(account.home / "sar.db")
    taken = db.execute("SELECT count(*) FROM messages WHERE direction = 'in'").fetchone()[0]
    assert taken == len(got) and 200 <= taken < 650 and taken % 200 == 0
    # The mark is the last UID taken in: the next run goes on from there.
    assert db.execute("SELECT last_uid FROM sync_state").fetchone()[0] == uids[taken - 1]
    for (d,) in db.execute("SELECT sha256 FROM messages WHERE direction = 'in'"):
        assert (account.home / "evidence" / d[:2] / d[2:]).is_file()
