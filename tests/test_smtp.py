"""Sending through real SMTP servers on loopback (aiosmtpd): security, login, refusals.

Each test configures sar as a user would (`sar config set ...`) and runs `sar send`.
"""

from __future__ import annotations

import sys

import pytest
import trustme

from tests.smtp_server import SmtpServer, free_port

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = trustme.CA()
    cert = authority.issue_cert("localhost", "127.0.0.1")
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return authority, cert, ca_file


def server_context(cert):
    import ssl

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return ctx


@pytest.fixture
def smtp():
    servers = []

    def start(**kwargs):
        server = SmtpServer(**kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def me(me):
    """Real email is sent only on the real date: no what-if SAR_TODAY here."""
    me.today = None
    return me


def use(me, server, security="none", user=None, ca_file=None, host="127.0.0.1"):
    me("config", "set", "mail.transport", "smtp")
    me("config", "set", "smtp.host", host)
    me("config", "set", "smtp.port", str(server.port if server else free_port()))
    me("config", "set", "smtp.security", security)
    me("config", "set", "smtp.retry_wait", "0.01")
    if user:
        me("config", "set", "smtp.username", user)
    if ca_file:
        me("config", "set", "smtp.ca_file", str(ca_file))


def drafts(me, *orgs):
    return [me("new", "access", "--to", o, "--json").json()[0]["ref"] for o in orgs]


def statuses(me):
    return {r["ref"]: r["status"] for r in me("list", "--json").json()}


def test_plain_smtp_sends_a_batch_over_one_connection(me, smtp):
    server = smtp()
    use(me, server)
    refs = drafts(me, "acme", "fictional-party")
    results = me("send", "--all", "--json").json()
    assert [r["status"] for r in results] == ["sent", "sent"]
    assert all(r["detail"].startswith("250") for r in results)
    assert server.handler.ehlos == 1  # one connection for the batch
    got = {m.message_id: m for m in server.handler.received}
    shown = [me("show", ref, "--json").json() for ref in refs]
    for s in shown:
        message = s["messages"][0]
        assert message["state"] == "sent" and message["message_id"] in got
        assert s["status"] == "sent"
    assert got[shown[0]["messages"][0]["message_id"]].rcpt_tos == ["privacy@acme.example"]
    assert got[shown[0]["messages"][0]["message_id"]].mail_from == "robin@example.org"


def test_starttls_with_login(me, smtp, ca, monkeypatch):
    _, cert, ca_file = ca
    server = smtp(tls_context=server_context(cert), users={"robin": PASSWORD})
    use(me, server, "starttls", "robin", ca_file)
    monkeypatch.setenv("SAR_SMTP_PASSWORD", PASSWORD)
    [ref] = drafts(me, "acme")
    assert me("send", ref, "--json").json()[0]["status"] == "sent"
    assert len(server.handler.received) == 1
    report = me("config", "test-mail", "--json").json()
    assert report["tls"] is True and report["logged_in_as"] == "robin"
    assert "AUTH" in report["extensions"] and report["max_size"] == 33554432
    assert len(server.handler.received) == 1  # test-mail sent nothing


def test_implicit_tls(me, smtp, ca, monkeypatch):
    _, cert, ca_file = ca
    server = smtp(tls_context=server_context(cert), implicit_tls=True, users={"robin": PASSWORD})
    use(me, server, "tls", "robin", ca_file)
    monkeypatch.setenv("SAR_SMTP_PASSWORD", PASSWORD)
    [ref] = drafts(me, "acme")
    assert me("send", ref, "--json").json()[0]["status"] == "sent"
    assert len(server.handler.received) == 1


def test_a_refused_login_changes_nothing_and_leaks_nothing(me, smtp, ca, monkeypatch, home):
    _, cert, ca_file = ca
    server = smtp(tls_context=server_context(cert), users={"robin": PASSWORD})
    use(me, server, "starttls", "robin", ca_file)
    monkeypatch.setenv("SAR_SMTP_PASSWORD", "wrong-password-123")
    [ref] = drafts(me, "acme")
    before = me.state()
    line = me.fails("send", ref)
    assert "refused the login for robin" in line and "wrong-password-123" not in line
    assert me.state() == before
    assert server.handler.received == []
    for path in home.rglob("*"):
        if path.is_file():
            assert b"wrong-password-123" not in path.read_bytes()


def test_an_untrusted_certificate_is_refused(me, smtp, ca):
    _, cert, _ = ca
    server = smtp(tls_context=server_context(cert))
    use(me, server, "starttls")  # no smtp.ca_file: the test CA is not trusted
    [ref] = drafts(me, "acme")
    before = me.state()
    line = me.fails("send", ref)
    assert "cannot be trusted" in line and "smtp.ca_file" in line
    assert me.state() == before and server.handler.received == []


def test_an_unreachable_server_is_one_line(me):
    use(me, None)
    [ref] = drafts(me, "acme")
    before = me.state()
    assert "cannot connect to 127.0.0.1" in me.fails("send", ref)
    assert me.state() == before


def test_missing_password_says_where_to_put_it(me, smtp, ca, monkeypatch):
    _, cert, ca_file = ca
    server = smtp(tls_context=server_context(cert), users={"robin": PASSWORD})
    use(me, server, "starttls", "robin", ca_file)
    monkeypatch.delenv("SAR_SMTP_PASSWORD", raising=False)
    [ref] = drafts(me, "acme")
    line = me.fails("send", ref)
    assert "SAR_SMTP_PASSWORD" in line and "sar config password smtp" in line


def test_a_temporary_refusal_is_retried(me, smtp):
    server = smtp()
    server.handler.data_replies = ["451 4.3.0 Try again later", "250 2.0.0 OK"]
    use(me, server)
    [ref] = drafts(me, "acme")
    [result] = me("send", ref, "--json").json()
    assert result["status"] == "sent" and result["detail"].startswith("250")
    assert len(server.handler.received) == 1


def test_a_permanent_refusal_fails_with_the_servers_words(me, smtp):
    server = smtp()
    server.handler.data_replies = ["550 5.7.1 Message rejected as spam"]
    use(me, server)
    [ref] = drafts(me, "acme")
    run = me("send", ref, "--json", ok=False)
    assert run.exit_code == 1
    [result] = run.json()
    assert result["status"] == "failed" and "550 5.7.1 Message rejected as spam" in result["detail"]
    shown = me("show", ref, "--json").json()
    assert shown["status"] == "draft"
    assert shown["messages"][0]["state"] == "failed"
    # It can be sent again once the problem is fixed.
    assert me("send", ref, "--json").json()[0]["status"] == "sent"


def test_a_refused_recipient(me, smtp):
    server = smtp()
    server.handler.refuse_rcpt = {"privacy@acme.example": "550 5.1.1 No such user"}
    use(me, server)
    refs = drafts(me, "acme", "fictional-party")
    results = {r["ref"]: r for r in me("send", "--all", "--json", ok=False).json()}
    assert results[refs[0]]["status"] == "failed" and "No such user" in results[refs[0]]["detail"]
    assert results[refs[1]]["status"] == "sent"  # the batch goes on


def test_a_connection_dropped_during_data_is_unknown_and_never_resent_by_itself(me, smtp):
    server = smtp()
    server.handler.drop_during_data = True
    use(me, server)
    [ref] = drafts(me, "acme")
    [result] = me("send", ref, "--json", ok=False).json()
    assert result["status"] == "unknown"
    assert me("show", ref, "--json").json()["messages"][0]["state"] == "unknown"
    server.handler.drop_during_data = False
    [again] = me("send", "--all", "--json").json()
    assert again["status"] == "skipped" and "--retry-unknown" in again["detail"]
    assert len(server.handler.received) == 1  # only the dropped copy
    [retried] = me("send", ref, "--retry-unknown", "--json").json()
    assert retried["status"] == "sent" and len(server.handler.received) == 2


def test_xoauth2_with_a_token_command(me, smtp, ca, tmp_path):
    _, cert, ca_file = ca
    server = smtp(tls_context=server_context(cert), users={})
    server.handler.tokens = {"ya29.test-token"}
    server.handler.oauth_user = "robin@example.org"  # the server checks who, too
    use(me, server, "starttls", "robin@example.org", ca_file)
    script = tmp_path / "token.py"
    script.write_text('print("ya29.test-token")\n')
    me("config", "set", "smtp.auth", "xoauth2")
    me("config", "set", "smtp.token_command", f"{sys.executable} {script}")
    [ref] = drafts(me, "acme")
    assert me("send", ref, "--json").json()[0]["status"] == "sent"
    script.write_text('print("ya29.expired")\n')
    [other] = drafts(me, "fictional-party")
    assert "refused the login" in me.fails("send", other)


def test_attachments_and_plus_address(me, smtp, tmp_path):
    from email import message_from_bytes, policy

    server = smtp()
    use(me, server)
    me("config", "set", "mail.plus_address", "true")
    proof = tmp_path / "proof-of-address.pdf"
    proof.write_bytes(b"%PDF-1.4 invented test document")
    [ref] = drafts(me, "acme")
    me("send", ref, "--attach", str(proof))
    msg = message_from_bytes(server.handler.received[0].content, policy=policy.default)
    assert msg["Reply-To"].addresses[0].addr_spec == f"robin+{ref.lower()}@example.org"
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "proof-of-address.pdf"
    assert part.get_content() == b"%PDF-1.4 invented test document"


def test_bad_attachments_are_refused_before_anything(me, smtp, tmp_path):
    server = smtp()
    use(me, server)
    [ref] = drafts(me, "acme")
    before = me.state()
    assert "cannot attach" in me.fails("send", ref, "--attach", str(tmp_path / "missing.pdf"))
    assert "not a regular file" in me.fails("send", ref, "--attach", "/dev/zero")
    odd = tmp_path / "proof\nBcc: x@example.org.pdf"
    odd.write_bytes(b"x")
    assert "control character" in me.fails("send", ref, "--attach", str(odd))
    big = tmp_path / "big.bin"
    big.write_bytes(b"0" * (16 * 1024 * 1024))
    assert "larger than" in me.fails("send", ref, "--attach", str(big))
    assert "named requests" in me.fails("send", "--all", "--attach", str(big))
    assert me.state() == before and server.handler.received == []


def test_dry_run_sends_nothing_and_shows_the_current_address(me, smtp):
    server = smtp()
    use(me, server)
    drafts(me, "acme", "fictional-party")
    me("orgs", "add", "--slug", "acme", "--email", "new-dpo@acme.example")
    before = me.state()
    planned = me("send", "--all", "--dry-run", "--json").json()
    assert [p["status"] for p in planned] == ["would-send", "would-send"]
    assert "to new-dpo@acme.example" in planned[0]["detail"]
    assert server.handler.received == [] and me.state() == before


def test_rate_spaces_the_letters(me, smtp):
    server = smtp()
    use(me, server)
    refs = drafts(me, "acme", "fictional-party", "labour")
    assert "expected a number" in me.fails("send", "--all", "--rate", "fast")
    me("send", "--all", "--rate", "120/min")  # one every half second
    assert {statuses(me)[r] for r in refs} == {"sent"}
    times = [m.at for m in server.handler.received]
    assert all(b - a >= 0.45 for a, b in zip(times, times[1:], strict=False))


def test_the_same_reference_twice_is_one_letter(me, smtp):
    server = smtp()
    use(me, server)
    [ref] = drafts(me, "acme")
    results = me("send", ref, ref.lower(), "--json").json()
    assert [r["status"] for r in results] == ["sent"]
    assert len(server.handler.received) == 1


def test_a_failed_retry_keeps_the_letter_unknown(me, smtp):
    server = smtp()
    server.handler.drop_during_data = True  # the server keeps this copy
    use(me, server)
    [ref] = drafts(me, "acme")
    me("send", ref, ok=False)
    server.handler.drop_during_data = False
    server.handler.data_replies = ["550 5.7.1 rejected"]
    [retry] = me("send", ref, "--retry-unknown", "--json", ok=False).json()
    assert retry["status"] == "failed"
    [later] = me("send", "--all", "--json").json()  # no duplicate without asking again
    assert later["status"] == "skipped" and len(server.handler.received) == 1
    states = sorted(m["state"] for m in me("show", ref, "--json").json()["messages"])
    assert states == ["failed", "unknown"]


def test_a_drop_at_the_data_command_is_retried_not_unknown(me):
    from tests.smtp_server import ScriptedSmtp

    server = ScriptedSmtp({0: "drop-at-data"}).start()
    try:
        use(me, server)
        [ref] = drafts(me, "acme")
        [result] = me("send", ref, "--json").json()
        assert result["status"] == "sent" and server.connections == 2
        assert len(server.received) == 1
    finally:
        server.stop()


def test_an_unreadable_final_reply_is_unknown(me):
    from tests.smtp_server import ScriptedSmtp

    server = ScriptedSmtp({0: "garbage-after-dot"}).start()
    try:
        use(me, server)
        [ref] = drafts(me, "acme")
        [result] = me("send", ref, "--json", ok=False).json()
        assert result["status"] == "unknown" and len(server.received) == 1
    finally:
        server.stop()


def test_a_message_over_the_servers_size_limit_is_not_attempted(me, smtp, tmp_path):
    server = smtp(size_limit=20_000)
    use(me, server)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF " + b"x" * 50_000)
    [ref] = drafts(me, "acme")
    [result] = me("send", ref, "--attach", str(scan), "--json", ok=False).json()
    assert result["status"] == "failed" and "takes at most 20,000" in result["detail"]
    assert server.handler.received == []


def test_a_password_is_never_sent_in_clear_to_another_host(me):
    me("config", "set", "mail.transport", "smtp")
    me("config", "set", "smtp.host", "mail.example.org")
    me("config", "set", "smtp.security", "none")
    me("config", "set", "smtp.username", "robin")
    [ref] = drafts(me, "acme")
    assert "in clear" in me.fails("send", ref)


def test_a_certificate_for_another_name_is_refused(me, smtp, ca):
    authority, _, ca_file = ca
    wrong = authority.issue_cert("mail.example.org")
    server = smtp(tls_context=server_context(wrong))
    use(me, server, "starttls", ca_file=ca_file)
    [ref] = drafts(me, "acme")
    assert "cannot be trusted" in me.fails("send", ref)
    assert server.handler.received == []


def test_xoauth2_needs_a_server_that_offers_it(me):
    from tests.smtp_server import ScriptedSmtp

    server = ScriptedSmtp({}).start()  # advertises no AUTH at all
    try:
        use(me, server, "none", "robin@example.org")
        me("config", "set", "smtp.auth", "xoauth2")
        me("config", "set", "smtp.token_command", "echo token")
        [ref] = drafts(me, "acme")
        assert "does not offer XOAUTH2" in me.fails("send", ref)
        assert server.received == []
    finally:
        server.stop()


def test_a_copy_goes_to_the_sent_folder_over_imap(me, smtp, monkeypatch):
    from tests.imap_server import PASSWORD as IMAP_PASSWORD
    from tests.imap_server import USER as IMAP_USER
    from tests.imap_server import ImapServer

    imap = ImapServer().start()
    try:
        server = smtp()
        use(me, server)
        for key, value in [("imap.host", "127.0.0.1"), ("imap.port", str(imap.port)),
                           ("imap.security", "none"), ("imap.username", IMAP_USER),
                           ("mail.sent_folder", "Sent")]:
            me("config", "set", key, value)
        monkeypatch.setenv("SAR_IMAP_PASSWORD", IMAP_PASSWORD)
        [ref] = drafts(me, "acme")
        [result] = me("send", ref, "--json").json()
        assert result["status"] == "sent" and "no copy" not in result["detail"]
        client = imap.client()
        client.select_folder("Sent")
        [uid] = client.search(["SUBJECT", ref])
        stored = client.fetch([uid], ["BODY.PEEK[]", "FLAGS"])[uid]
        digest = me("show", ref, "--json").json()["messages"][0]["sha256"]
        evidence = (me.home / "evidence" / digest[:2] / digest[2:]).read_bytes()
        assert stored[b"BODY[]"] == evidence  # the very bytes that were sent
        assert rb"\Seen" in stored[b"FLAGS"]
        client.logout()
        # A refused login leaves the letter sent, with a word about the copy.
        monkeypatch.setenv("SAR_IMAP_PASSWORD", "wrong")
        [other] = drafts(me, "fictional-party")
        [result] = me("send", other, "--json").json()
        assert result["status"] == "sent" and "no copy in Sent" in result["detail"]
        # A what-if letter (to the local outbox) is kept out of the real Sent folder.
        import datetime as dt

        monkeypatch.setenv("SAR_IMAP_PASSWORD", IMAP_PASSWORD)
        me("config", "set", "mail.transport", "maildir")
        [what_if] = drafts(me, "labour")
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        assert me("send", what_if, "--json", today=tomorrow).json()[0]["status"] == "sent"
        client = imap.client()
        client.select_folder("Sent")
        assert client.search(["SUBJECT", what_if]) == []
        client.logout()
    finally:
        imap.stop()


def test_an_unreachable_imap_server_leaves_every_letter_sent_and_is_tried_once(me, smtp, monkeypatch):
    server = smtp()
    use(me, server)
    for key, value in [("imap.host", "127.0.0.1"), ("imap.port", str(free_port())),
                       ("imap.security", "none"), ("imap.username", "robin"),
                       ("mail.sent_folder", "Sent")]:
        me("config", "set", key, value)
    monkeypatch.delenv("SAR_IMAP_PASSWORD", raising=False)
    refs = drafts(me, "acme", "fictional-party", "labour")
    results = me("send", "--all", "--json").json()
    assert [r["status"] for r in results] == ["sent", "sent", "sent"]
    assert "(no copy in Sent: cannot connect" in results[0]["detail"]
    assert all("(no copy in the Sent folder)" in r["detail"] for r in results[1:])
    assert {statuses(me)[r] for r in refs} == {"sent"}
    assert len(server.handler.received) == 3


def test_a_login_that_fails_on_reconnect_fails_the_letter_not_unknown(me, smtp, ca, tmp_path):
    _, cert, ca_file = ca
    server = smtp(tls_context=server_context(cert), users={})
    server.handler.tokens = {"ya29.once"}
    server.handler.oauth_user = "robin@example.org"
    server.handler.close_after_first = True
    use(me, server, "starttls", "robin@example.org", ca_file)
    counter = tmp_path / "calls"
    script = tmp_path / "token.py"
    script.write_text(  # a token the first time; the provider is down after that
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) if p.exists() else 0\n"
        "p.write_text(str(n + 1))\n"
        "print('ya29.once') if n == 0 else sys.exit(1)\n")
    me("config", "set", "smtp.auth", "xoauth2")
    me("config", "set", "smtp.token_command", f"{sys.executable} {script}")
    refs = drafts(me, "acme", "fictional-party", "labour")
    results = {r["ref"]: r for r in me("send", "--all", "--json", ok=False).json()}
    assert results[refs[0]]["status"] == "sent"
    assert results[refs[1]]["status"] == "failed" and "token command" in results[refs[1]]["detail"]
    assert results[refs[2]]["status"] == "skipped"  # the batch stopped
    states = {ref: [m["state"] for m in me("show", ref, "--json").json()["messages"]]
              for ref in refs}
    assert states == {refs[0]: ["sent"], refs[1]: ["failed"], refs[2]: []}


def test_imap_copy_over_starttls(me, smtp, ca, tmp_path, monkeypatch):
    from tests.imap_server import PASSWORD as IMAP_PASSWORD
    from tests.imap_server import USER as IMAP_USER
    from tests.imap_server import ImapServer

    _, cert, ca_file = ca
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    imap = ImapServer(tls=(cert_file, key_file)).start()
    try:
        use(me, smtp())
        for key, value in [("imap.host", "127.0.0.1"), ("imap.port", str(imap.port)),
                           ("imap.security", "starttls"), ("imap.username", IMAP_USER),
                           ("imap.ca_file", str(ca_file)), ("mail.sent_folder", "Sent")]:
            me("config", "set", key, value)
        monkeypatch.setenv("SAR_IMAP_PASSWORD", IMAP_PASSWORD)
        [ref] = drafts(me, "acme")
        [result] = me("send", ref, "--json").json()
        assert result["status"] == "sent" and "no copy" not in result["detail"]
        me("config", "set", "imap.ca_file", str(tmp_path / "cert.pem"))  # not the CA
        [other] = drafts(me, "fictional-party")
        [result] = me("send", other, "--json").json()
        assert "cannot be trusted" in result["detail"]
    finally:
        imap.stop()


def test_real_email_is_not_sent_on_a_what_if_date(me, smtp):
    server = smtp()
    use(me, server)
    [ref] = drafts(me, "acme")
    before = me.state()
    # A what-if day after the draft was made (before it, the request did not exist yet).
    assert "SAR_TODAY" in me.fails("send", ref, today="2027-01-05")
    assert me.state() == before and server.handler.received == []
    assert me("send", ref, "--dry-run", "--json", today="2027-01-05").json()[0][
        "status"] == "would-send"


def test_a_chunk_composed_ahead_that_never_goes_leaves_no_evidence(me, home):
    """The next chunk is composed (and its evidence written) while one goes: when the
    server vanishes, the chunks that never went leave no file holding the letters,
    and nothing is left `sending` or in doubt that was never handed over."""
    import sqlite3

    from sar.workspace import Workspace

    server = SmtpServer().start()  # stopped by the test itself
    use(me, server)
    me("config", "set", "send.batch", "4")
    for _ in range(12):
        me("new", "access", "--to", "acme", "--again")
    ws = Workspace(home)

    def stop_after_first_chunk(done, total, ref):
        if done == 4:
            server.stop()

    results = ws.send(all_drafts=True, progress=stop_after_first_chunk)
    states = [r.status for r in results]
    assert states[:4] == ["sent"] * 4 and "sent" not in states[4:]
    conn = sqlite3.connect(home / "sar.db")
    named = {d for (d,) in conn.execute("SELECT sha256 FROM messages")}
    rows = conn.execute("SELECT state, count(*) FROM messages GROUP BY state").fetchall()
    conn.close()
    stored = {p.parent.name + p.name for p in (home / "evidence").glob("??/*")}
    assert stored == named  # no letter's file outlives the batch unnamed
    assert dict(rows).get("sending", 0) == 0
    assert len(server.handler.received) == 4


def test_a_chunk_composed_too_long_before_it_can_go_is_composed_again(me, home, monkeypatch):
    """A letter composed ahead carries the time it was dated; one that waited longer
    than MAX_AHEAD (a slow server) is read and composed again before it goes: every
    letter goes once, its evidence is what the server got, and the copies composed
    earlier leave no file behind."""
    import email
    import hashlib
    import sqlite3

    from sar.mail import outbox
    from sar.workspace import Workspace

    server = SmtpServer().start()
    try:
        use(me, server)
        me("config", "set", "send.batch", "3")
        for _ in range(9):
            me("new", "access", "--to", "acme", "--again")
        monkeypatch.setattr(outbox, "MAX_AHEAD", -1)  # every chunk is stale by hand-over
        results = Workspace(home).send(all_drafts=True)
    finally:
        server.stop()
    assert [r.status for r in results] == ["sent"] * 9
    got = {m.message_id: m for m in server.handler.received}
    conn = sqlite3.connect(home / "sar.db")
    rows = conn.execute("SELECT message_id, sha256 FROM messages WHERE direction = 'out'"
                        ).fetchall()
    conn.close()
    assert len(got) == len(rows) == 9 and {m for m, _ in rows} == set(got)
    stored = {p.parent.name + p.name for p in (home / "evidence").glob("??/*")}
    assert stored == {d for _, d in rows}  # the earlier compositions left nothing
    for message_id, digest in rows:
        kept = (home / "evidence" / digest[:2] / digest[2:]).read_bytes()
        assert hashlib.sha256(kept).hexdigest() == digest
        sent = email.message_from_bytes(got[message_id].content)
        assert sent["Date"] == email.message_from_bytes(kept)["Date"]
