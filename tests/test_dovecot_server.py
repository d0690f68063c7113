"""Smoke tests for tests/dovecot_server.py: a real Dovecot that other tests can rely on."""

from __future__ import annotations

import socket
import time

import pytest

from tests.dovecot_server import DovecotServer, available

pytestmark = pytest.mark.skipif(
    not available(),
    reason="Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does this)")


def message(subject: str) -> bytes:
    return (f"From: Robin Testperson <robin@example.org>\r\n"
            f"To: Data Protection <privacy@example.org>\r\n"
            f"Subject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@example.org>\r\n"
            f"\r\n"
            f"A test message.\r\n").encode()


def subjects(client, folder: str) -> tuple[int, list[bytes]]:
    """The folder's UIDVALIDITY and the subjects of its messages, by UID."""
    info = client.select_folder(folder, readonly=True)
    uids = client.search()
    fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    return info[b"UIDVALIDITY"], [
        fetched[uid][b"BODY[HEADER.FIELDS (SUBJECT)]"].strip() for uid in sorted(fetched)]


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return False
    except OSError:
        return True


def test_login_append_search_and_a_quiet_log(tmp_path):
    server = DovecotServer(tmp_path)
    began = time.monotonic()
    server.start()
    try:
        assert time.monotonic() - began < 5  # typically ~0.03 s
        c = server.client()
        c.append("INBOX", message("First request"))
        c.append("INBOX", message("Second request"))
        c.select_folder("INBOX")
        assert len(c.search(["SUBJECT", "Second"])) == 1
        assert subjects(c, "INBOX")[1] == [b"Subject: First request",
                                           b"Subject: Second request"]
        c.logout()
    finally:
        server.stop()
    assert refuses(server.port)
    log = server.log_path.read_text()
    assert "Error" not in log and "Fatal" not in log, log


def test_restart_keeps_mail_and_uidvalidity_and_recreate_changes_it(tmp_path):
    server = DovecotServer(tmp_path).start()
    try:
        c = server.client()
        c.create_folder("Sent")
        c.append("Sent", message("Kept across restarts"))
        before = subjects(c, "Sent")

        port = server.port
        server.restart()
        assert server.port == port
        with pytest.raises(Exception):  # noqa: B017 - told BYE, then disconnected
            c.noop()
        c = server.client()
        assert subjects(c, "Sent") == before
        c.logout()

        new_uidvalidity = server.recreate_folder("Sent")
        assert new_uidvalidity != before[0]
        c = server.client()
        assert subjects(c, "Sent") == (new_uidvalidity, [])
        c.logout()
        with pytest.raises(ValueError):
            server.recreate_folder("INBOX")
    finally:
        server.stop()


def test_kill_drops_clients_refuses_connections_and_start_recovers(tmp_path):
    server = DovecotServer(tmp_path).start()
    try:
        c = server.client()
        c.append("INBOX", message("Before the crash"))
        before = subjects(c, "INBOX")

        server.kill()
        assert refuses(server.port)
        with pytest.raises(Exception):  # noqa: B017 - reset, EOF or abort: any will do
            c.noop()

        server.start()
        c = server.client()
        assert subjects(c, "INBOX") == before
        c.logout()
    finally:
        server.stop()
