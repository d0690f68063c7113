"""`sar remind`: the reminder letter, threaded on the original, sent at most once."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.policy import default

import pytest

from tests.smtp_server import SmtpServer


@pytest.fixture
def overdue(me):
    """An access request to acme sent on 2 March 2026 (Maildir), due 2 April."""
    return me.send_new()


LATE = "2026-04-07"


def outbox_messages(home):
    return [message_from_bytes(p.read_bytes(), policy=default)
            for p in sorted((home / "outbox" / "new").iterdir())]


def test_a_reminder_goes_as_a_reply_to_the_original_and_is_recorded(me, overdue, home):
    ref, original = overdue
    out = me("remind", ref, "--json", today=LATE).json()
    assert [(r["ref"], r["status"]) for r in out] == [(ref, "sent")]
    reminder = [m for m in outbox_messages(home) if m["Message-ID"] == out[0]["message_id"]][0]
    assert reminder["In-Reply-To"] == original and reminder["References"] == original
    assert "Reminder" in reminder["Subject"] and ref in reminder["Subject"]
    body = reminder.get_body(("plain",)).get_content()
    assert "2 April 2026" in body        # the deadline it missed
    shown = me("show", ref, "--json", today=LATE).json()
    reminded = [e for e in shown["events"] if e["kind"] == "reminded"]
    assert len(reminded) == 1 and reminded[0]["details"]["message_id"] == reminder["Message-ID"]
    assert "reminder has gone" in shown["next"]
    # Not twice in a week unless asked.
    before = me.state()
    assert "reminded on 2026-04-07" in me.fails("remind", ref, today=LATE)
    assert me.state() == before
    assert me("remind", ref, "--again", "--json", today=LATE).json()[0]["status"] == "sent"


@pytest.mark.parametrize("when, words", [
    ("2026-03-20", "is not overdue"),
])
def test_a_request_that_is_not_overdue_is_not_reminded(me, overdue, when, words):
    before = me.state()
    assert words in me.fails("remind", overdue[0], today=when)
    assert me.state() == before


def test_a_closed_request_is_not_reminded(me, overdue):
    ref, _ = overdue
    me("mark", ref, "fulfilled", "--on", "2026-03-20", today="2026-03-20")
    before = me.state()
    assert "nothing to chase" in me.fails("remind", ref, today=LATE)
    assert me.state() == before
    assert me("remind", "--overdue", "--json", today=LATE).json() == []


def test_remind_overdue_takes_every_overdue_email_request(me, overdue):
    ref, _ = overdue
    posted = me("new", "erasure", "--to", "acme", "--via", "post", "--details",
                "I object to direct marketing.", "--json").json()[0]["ref"]
    me("post", posted, "--posted", "2026-03-02", "--method", "first-class")
    out = me("remind", "--overdue", "--json", today=LATE).json()
    assert [r["ref"] for r in out] == [ref]
    # The postal one is printed and posted, then recorded.
    # (Deemed received two working days after posting: due 7 April, overdue the 8th.)
    line = me.fails("remind", posted, today="2026-04-10")
    assert "--posted DATE" in line
    me("remind", posted, "--posted", "2026-04-10", today="2026-04-10")
    events = me("show", posted, "--json", today="2026-04-10").json()["events"]
    assert [e["source"] for e in events if e["kind"] == "reminded"] == ["user"]


def test_remind_bad_input_is_one_line(me, overdue):
    ref, _ = overdue
    assert "name the requests" in me.fails("remind", today=LATE)
    assert "name the requests" in me.fails("remind", ref, "--overdue", today=LATE)
    assert "no request" in me.fails("remind", "SAR-ZZZZZ", today=LATE)
    assert "--posted goes with named" in me.fails("remind", "--overdue", "--posted",
                                                  "2026-04-07", today=LATE)


def test_a_reminder_left_in_flight_by_a_crash_is_recorded_not_resent(me, overdue, home):
    """A process killed after the hand-over left the reminder 'sending': the next run
    finds it in the outbox and records `reminded` (not `sent`), and sends no copy."""
    import sqlite3

    ref, original = overdue
    me("remind", ref, today=LATE)
    conn = sqlite3.connect(home / "sar.db")
    # Undo the record of the hand-over, as a kill just before it would have left it.
    pk, mid = conn.execute("SELECT id, message_id FROM messages WHERE purpose = 'reminder'"
                           ).fetchone()
    conn.execute("UPDATE messages SET state = 'sending' WHERE id = ?", [pk])
    conn.commit()
    conn.close()
    # The events log cannot be rolled back (append-only), so use a second request
    # whose reminder is then sent: recovery runs first and finds the first one.
    other = me("new", "access", "--to", "fictional-party", "--json").json()[0]["ref"]
    me("send", other, today="2026-03-02")
    files = len(outbox_messages(home))
    out = me("remind", other, "--json", today=LATE).json()
    assert out[0]["status"] == "sent"
    assert len(outbox_messages(home)) == files + 1   # only the new one
    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("SELECT state FROM messages WHERE id = ?", [pk]).fetchone()[0] == "sent"
    conn.close()


def test_reminders_over_smtp_on_loopback(me, monkeypatch):
    """Sent by SMTP (the real date: SMTP refuses a what-if date): the server receives
    one reminder, threaded on the original."""
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    long_ago = (dt.date.today() - dt.timedelta(days=60)).isoformat()
    me("send", ref, today=long_ago)                       # the Maildir outbox, back then
    original = [m for m in me("show", ref, "--json").json()["messages"]
                if m["direction"] == "out"][0]["message_id"]
    server = SmtpServer().start()
    try:
        for key, value in [("mail.transport", "smtp"), ("smtp.host", "127.0.0.1"),
                           ("smtp.port", str(server.port)), ("smtp.security", "none")]:
            me("config", "set", key, value)
        me.today = None
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        assert "SAR_TODAY" in me.fails("remind", ref, today=yesterday)
        out = me("remind", ref, "--json").json()
        assert out[0]["status"] == "sent"
        received = server.handler.received
        assert len(received) == 1
        got = message_from_bytes(received[0].content, policy=default)
        assert got["In-Reply-To"] == original
        assert received[0].rcpt_tos == ["privacy@acme.example"]
    finally:
        server.stop()


def test_the_final_date_is_configurable(me, overdue, home):
    ref, _ = overdue
    me("config", "set", "letters.reminder_days", "7")
    out = me("remind", ref, "--json", today=LATE).json()
    reminder = [m for m in outbox_messages(home) if m["Message-ID"] == out[0]["message_id"]][0]
    assert "14 April 2026" in reminder.get_body(("plain",)).get_content()  # 7 Apr + 7 days
    me("config", "set", "letters.reminder_days", "61")
    assert "between 1 and 60" in me.fails("letter", ref, "--follow-up", "reminder", today=LATE)
