"""`sar discover` over a generated mailbox: a Maildir, and real IMAP servers."""

from __future__ import annotations

import pytest

from tests import dovecot_server
from tests.imap_server import PASSWORD, USER, ImapServer
from tests.mailbox_gen import ORGS, expected, messages, write_maildir


@pytest.fixture
def known(me):
    for slug, name, domain in ORGS:
        me("orgs", "add", "--slug", slug, "--name", name, "--email", f"dpo@{domain}",
           "--domain", domain)
    return me


@pytest.fixture(scope="module")
def mail():
    return messages()


def by_slug(result):
    return {e["slug"]: e for e in result["organisations"]}


def check(result, mail):
    want = expected(mail)
    got = by_slug(result)
    assert {s: e["messages"] for s, e in got.items() if s in want["orgs"]} == want["orgs"]
    assert {u["domain"]: u["messages"] for u in result["unmatched"]} == want["unknown"]
    assert result["without_sender"] == want["without_sender"]
    assert result["messages"] == len(mail)
    assert result["messages_recognised"] == sum(want["orgs"].values())
    # How each was recognised: the subdomains fold into one, the platform's mail is
    # told apart by List-Id and Reply-To, the bulk service by its DKIM signer.
    assert got["redrose"]["matched"] == ["from: redrose.example"]
    assert got["blueparty"]["matched"] == ["list-id: blueparty.example"]
    assert got["greens"]["matched"] == ["reply-to: greens.example"]
    assert got["broker"]["matched"] == ["dkim: broker.example"]
    assert got["verlag"]["matched"] == ["from: münchen-verlag.example"]


def test_a_maildir_is_aggregated_and_matched(known, mail, tmp_path):
    write_maildir(tmp_path / "Mail", mail)
    result = known("discover", "--maildir", tmp_path / "Mail", "--json").json()
    check(result, mail)
    # Ranked by how much and how recently: the party's 60 newsletters come first.
    assert result["organisations"][0]["slug"] == "redrose"
    cafe = [u for u in result["unmatched"] if u["domain"] == "cafe.example"][0]
    assert cafe["name"] == "Café Example"
    assert "sar orgs add --slug cafe" in cafe["suggest"]
    text = known("discover", "--maildir", tmp_path / "Mail").stdout
    assert "Organisations in the directory that wrote to you" in text
    assert "Frequent senders not in the directory" in text


def test_since_limits_the_scan(known, mail, tmp_path):
    write_maildir(tmp_path / "Mail", mail)
    result = known("discover", "--maildir", tmp_path / "Mail", "--since", "2025-07-01",
                   "--json").json()
    assert result["messages"] < len(mail)
    assert all((e["first"] or "9") >= "2025-07-01" for e in result["organisations"])


def test_propose_drafts_requests_to_what_was_found(known, mail, tmp_path):
    write_maildir(tmp_path / "Mail", mail)
    out = known("discover", "--maildir", tmp_path / "Mail", "--propose", "access", "--pick",
                "broker", "--pick", "redrose", "--json").json()
    assert sorted(d["org"] for d in out["drafted"]) == ["broker", "redrose"]
    listed = known("list", "--json").json()
    assert sorted(r["org"] for r in listed) == ["broker", "redrose"]
    every = known("discover", "--maildir", tmp_path / "Mail", "--propose", "erasure",
                  "--all-matched", "--json").json()
    assert len(every["drafted"]) == len(ORGS)


def test_nothing_is_kept_unless_asked_and_forget_deletes_it(known, mail, tmp_path, home):
    import sqlite3

    write_maildir(tmp_path / "Mail", mail)
    known("discover", "--maildir", tmp_path / "Mail")
    assert "no scan is kept" in known.fails("discover", "--saved")
    known("discover", "--maildir", tmp_path / "Mail", "--save")
    assert known("discover", "--saved", "--json").json()["messages"] == len(mail)
    assert known("discover", "--forget").stdout.strip() == "Forgotten."
    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("SELECT COUNT(*) FROM discovery").fetchone()[0] == 0
    conn.close()
    # No body was read, so none can be kept anywhere: the evidence store is empty.
    assert not any((home / "evidence").rglob("*")) if (home / "evidence").exists() else True


@pytest.mark.parametrize("args, words", [
    ((), "--maildir DIR or --imap"),
    (("--maildir", "/nonexistent/mail"), "is not a folder"),
    (("--maildir", "{tmp}"), "is not a Maildir"),
    (("--maildir", "{tmp}", "--pick", "x"), "--pick and --all-matched go with --propose"),
    (("--maildir", "{tmp}", "--propose", "access"), "--pick SLUG"),
    (("--maildir", "{tmp}", "--propose", "objection", "--all-matched"), "access or erasure"),
    (("--imap",), "imap.host is not set"),
    (("--saved", "--forget"), "not both"),
])
def test_bad_input_is_one_line_and_changes_nothing(known, tmp_path, args, words):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    before = known.state()
    assert words in known.fails("discover", *args)
    assert known.state() == before


def test_picking_what_was_not_found_is_one_line(known, mail, tmp_path):
    write_maildir(tmp_path / "Mail", mail[:5])
    line = known.fails("discover", "--maildir", tmp_path / "Mail", "--propose", "access",
                       "--pick", "acme")
    assert "acme was not found in this mailbox" in line


# -- IMAP ---------------------------------------------------------------------------

def imap_account(me, server, monkeypatch):
    me("config", "set", "imap.host", "127.0.0.1")
    me("config", "set", "imap.port", str(server.port))
    me("config", "set", "imap.security", "none")
    me("config", "set", "imap.username", USER)
    monkeypatch.setenv("SAR_IMAP_PASSWORD", PASSWORD)


def fill(server, mail, folder="INBOX"):
    c = server.client()
    if not c.folder_exists(folder):
        c.create_folder(folder)
    raws = [raw for raw, _ in mail]
    for i in range(0, len(raws), 100):
        c.multiappend(folder, raws[i:i + 100])
    c.logout()


def test_an_imap_folder_gives_the_same_answer_and_stays_unread(known, mail, monkeypatch):
    server = ImapServer().start()
    try:
        imap_account(known, server, monkeypatch)
        fill(server, mail)
        result = known("discover", "--imap", "--json").json()
        check(result, mail)
        c = server.client()
        c.select_folder("INBOX", readonly=True)
        assert all(b"\\Seen" not in f for f in c.get_flags(c.search(["ALL"])).values())
        c.logout()
        assert "no folder 'Nope'" in known.fails("discover", "--imap", "--folder", "Nope")
    finally:
        server.stop()


@pytest.mark.skipif(not dovecot_server.available(), reason="Dovecot is not installed")
def test_a_connection_dropped_mid_scan_is_resumed_not_restarted(known, mail, tmp_path,
                                                               monkeypatch):
    """Dovecot keeps its mail across a kill: the scan reconnects and goes on after
    the last message it read, so every message is counted exactly once."""
    from sar import discover as d
    from sar.mail import settings as mail_settings
    from sar.mail.imap import connect
    from sar.workspace import Workspace

    server = dovecot_server.DovecotServer(tmp_path / "dovecot").start()
    try:
        imap_account(known, server, monkeypatch)
        fill(server, mail)
        ws = Workspace(known.home)
        settings = mail_settings.imap(ws.config)
        killed, notes = [], []

        def after_chunk():
            if not killed:
                killed.append(True)
                server.kill()       # the connection dies between two chunks
                server.start()

        scan = d.Scan()
        for raw in d.imap_headers(lambda: connect(settings), ["INBOX"], None, chunk=50,
                                  note=notes.append, after_chunk=after_chunk):
            scan.add(raw)
        assert killed and any("reconnecting" in n for n in notes)
        assert scan.messages == len(mail)
        check(d.results(scan, ws.directory, ws.today), mail)
    finally:
        server.stop()


# -- found in review ----------------------------------------------------------------

def _mail(frm, n, extra=()):
    from email.message import EmailMessage

    out = []
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = frm
        msg["To"] = "robin@example.org"
        msg["Subject"] = f"x{i}"
        msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0000"
        msg["Message-ID"] = f"<{abs(hash((frm, i, extra)))}-{i}@example.org>"
        for k, v in extra:
            msg[k] = v
        msg.set_content("x")
        out.append((bytes(msg), None))
    return out


def test_attribution_is_careful(known, tmp_path):
    known("orgs", "add", "--slug", "platform", "--name", "Send Platform", "--email",
          "dpo@sendplatform.example", "--domain", "sendplatform.example", "--kind", "platform")
    known("orgs", "add", "--slug", "regulator", "--name", "Example Regulator", "--email",
          "info@dpa.gov.example", "--domain", "dpa.gov.example", "--kind",
          "supervisory-authority")
    mail = (
        # A platform in the directory does not take mail it sends for a party.
        _mail("Blue <blue@mail.sendplatform.example>", 4,
              (("List-Id", "<members.blueparty.example>"),))
        # A regulator's record claims neither its government's other offices...
        + _mail("Tax office <tax@revenue.gov.example>", 4)
        # ...nor is a regulator ever proposed as a data holder.
        + _mail("DPA <news@dpa.gov.example>", 4)
        # One message signed by the broker does not make a bulk service's mail its own.
        + _mail("Bulk <x@bulkmail.example>", 1, (("DKIM-Signature", "v=1; d=broker.example"),))
        + _mail("Bulk <x@bulkmail.example>", 6)
        # Unknown clients of a platform are listed by whom the mail is for.
        + _mail("Cafe <c@mail.sendplatform.example>", 4, (("Reply-To", "c@cafe2.example"),))
        # An IP address is not a sender.
        + _mail("Odd <a@192.168.0.1>", 4) + _mail("Odd <a@[10.0.0.1]>", 4)
    )
    write_maildir(tmp_path / "Mail", mail)
    result = known("discover", "--maildir", tmp_path / "Mail", "--json").json()
    got = {e["slug"]: e["messages"] for e in result["organisations"]}
    assert got == {"blueparty": 4}
    unmatched = {u["domain"]: u["messages"] for u in result["unmatched"]}
    assert unmatched == {"gov.example": 8, "bulkmail.example": 7, "cafe2.example": 4}
    assert not any(d[0].isdigit() for d in unmatched)


def test_a_fifo_in_the_maildir_does_not_hang_the_scan(known, mail, tmp_path):
    import os

    write_maildir(tmp_path / "Mail", mail[:10])
    os.mkfifo(tmp_path / "Mail" / "cur" / "a-fifo")
    (tmp_path / "Mail" / "cur" / "a-link").symlink_to("/etc/hostname")
    result = known("discover", "--maildir", tmp_path / "Mail", "--json").json()
    assert result["messages"] == 10


def test_the_same_message_in_two_folders_counts_once(known, mail, monkeypatch):
    server = ImapServer().start()
    try:
        imap_account(known, server, monkeypatch)
        fill(server, mail[:40])
        fill(server, mail[:40], folder="Archive")
        result = known("discover", "--imap", "--folder", "INBOX", "--folder", "Archive",
                       "--json").json()
        assert result["messages"] == 40
    finally:
        server.stop()


def test_the_users_own_domain_is_not_a_sender_and_an_unknown_pick_says_how_to_add(
        known, mail, tmp_path):
    from email.message import EmailMessage
    from email.utils import format_datetime

    extra = []
    for i in range(4):  # the user's own mail, as a Sent folder or a copy brings it
        m = EmailMessage()
        m["From"] = "Robin Testperson <robin@example.org>"
        m["To"] = "someone@elsewhere.example"
        m["Subject"] = f"note {i}"
        m["Date"] = format_datetime(__import__("datetime").datetime(2025, 6, 1 + i))
        m["Message-ID"] = f"<own-{i}@example.org>"
        m.set_content("hello")
        extra.append((bytes(m), None))
    write_maildir(tmp_path / "Mail", [*mail, *extra])
    result = known("discover", "--maildir", tmp_path / "Mail", "--json").json()
    assert "example.org" not in {u["domain"] for u in result["unmatched"]}
    line = known.fails("discover", "--maildir", tmp_path / "Mail", "--propose", "access",
                       "--pick", "cafe.example")
    assert "not in the directory" in line and "sar orgs add" in line
