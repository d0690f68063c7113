"""`sar send REF --follow-up KIND`: the follow-ups other than the reminder go through
the outbox like a reminder: on the request's thread, at most once, recorded
(issue 21 item 14, issue 18's incomplete-answer letter)."""

from __future__ import annotations

import sqlite3
from email import message_from_bytes
from email.policy import default

import pytest

from sar.core import followups
from sar.core.lifecycle import Event


def outbox(home):
    return {m["Message-ID"]: m for m in (
        message_from_bytes(p.read_bytes(), policy=default)
        for p in sorted((home / "outbox" / "new").iterdir()))}


def followed_up(me, ref, today):
    return [e for e in me("show", ref, "--json", today=today).json()["events"]
            if e["kind"] == "followed-up"]


@pytest.fixture
def asked_for_id(me):
    """An access request to acme sent on 2 March 2026, and an ID request on the 5th."""
    ref, original = me.send_new()
    me("mark", ref, "id-requested", "--on", "2026-03-05", today="2026-03-05")
    return ref, original


def test_an_id_reply_goes_on_the_thread_once_and_is_recorded(me, asked_for_id, home):
    ref, original = asked_for_id
    out = me("send", ref, "--follow-up", "id-reply", "--details", "a recent utility bill",
             "--json", today="2026-03-06").json()
    assert [(r["ref"], r["status"]) for r in out] == [(ref, "sent")]
    msg = outbox(home)[out[0]["message_id"]]
    assert msg["In-Reply-To"] == original and msg["References"] == original
    assert "identification" in msg["Subject"] and ref in msg["Subject"]
    assert "a recent utility bill" in msg.get_body(("plain",)).get_content()
    events = followed_up(me, ref, "2026-03-06")
    assert len(events) == 1
    assert events[0]["details"]["follow_up"] == "id-reply"
    assert events[0]["details"]["message_id"] == msg["Message-ID"]
    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("SELECT purpose, state FROM messages WHERE message_id = ?",
                        [msg["Message-ID"]]).fetchone() == ("id-reply", "sent")
    conn.close()
    # At most once: a second is refused and changes nothing, unless --again.
    before = me.state()
    line = me.fails("send", ref, "--follow-up", "id-reply", today="2026-03-09")
    assert "went on 2026-03-06" in line and "--again" in line
    assert me.state() == before
    me("send", ref, "--follow-up", "id-reply", "--again", today="2026-03-09")
    assert len(followed_up(me, ref, "2026-03-09")) == 2
    # The reply does not count as the request's own letter: a reminder still threads
    # on the original.
    assert me("show", ref, "--json", today="2026-03-09").json()["status"] == "awaiting-id"


def test_a_second_id_request_may_be_answered_again(me, asked_for_id):
    ref, _ = asked_for_id
    me("send", ref, "--follow-up", "id-reply", today="2026-03-06")
    me("mark", ref, "id-provided", "--on", "2026-03-07", today="2026-03-07")
    me("mark", ref, "id-requested", "--on", "2026-03-10", today="2026-03-10")
    me("send", ref, "--follow-up", "id-reply", today="2026-03-11")
    assert len(followed_up(me, ref, "2026-03-11")) == 2


def test_an_extension_challenge_is_sent_and_refused_without_an_extension(me, home):
    ref, original = me.send_new()
    before = me.state()
    line = me.fails("send", ref, "--follow-up", "extension-challenge", today="2026-03-20")
    assert "no extended recorded" in line
    assert me.state() == before
    me("mark", ref, "extended", "--on", "2026-03-20", today="2026-03-20")
    out = me("send", ref, "--follow-up", "extension-challenge", "--json",
             today="2026-03-21").json()
    msg = outbox(home)[out[0]["message_id"]]
    assert msg["In-Reply-To"] == original
    assert followed_up(me, ref, "2026-03-21")[0]["details"]["follow_up"] == \
        "extension-challenge"


def test_the_incomplete_answer_letter_goes_through_the_outbox(sar, tmp_path):
    home = tmp_path / "demo"
    sar("demo", "--home", home)
    conn = sqlite3.connect(home / "sar.db")
    day = conn.execute("SELECT MAX(occurred_on) FROM events").fetchone()[0]
    ref = conn.execute("SELECT ref FROM requests WHERE org_slug = 'experian' AND "
                       "kind = 'access'").fetchone()[0]
    conn.close()
    dry = sar("--home", home, "send", ref, "--follow-up", "incomplete", "--dry-run", "--json",
              today=day).json()
    assert dry[0]["status"] == "would-send"
    out = sar("--home", home, "send", ref, "--follow-up", "incomplete", "--json",
              today=day).json()
    assert out[0]["status"] == "sent"
    msg = outbox(home)[out[0]["message_id"]]
    assert "Article 15(2)" in msg.get_body(("plain",)).get_content()  # transfers: missing
    assert msg["In-Reply-To"]
    shown = sar("--home", home, "show", ref, "--json", today=day).json()
    assert [e["details"]["follow_up"] for e in shown["events"]
            if e["kind"] == "followed-up"] == ["incomplete"]
    line = sar("--home", home, "send", ref, "--follow-up", "incomplete", ok=False, today=day)
    assert line.exit_code == 1 and "it goes once" in line.stderr


def test_a_posted_follow_up_is_recorded_once(me):
    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-02", "--method", "first-class")
    me("mark", ref, "id-requested", "--on", "2026-03-06", today="2026-03-06")
    line = me.fails("send", ref, "--follow-up", "id-reply", today="2026-03-09")
    assert "postal request" in line and "--posted DATE" in line
    me("send", ref, "--follow-up", "id-reply", "--posted", "2026-03-09", today="2026-03-09")
    events = followed_up(me, ref, "2026-03-09")
    assert [(e["source"], e["details"]["channel"], e["details"]["follow_up"])
            for e in events] == [("user", "post", "id-reply")]
    assert "it goes once" in me.fails("send", ref, "--follow-up", "id-reply", "--posted",
                                      "2026-03-10", today="2026-03-10")


def test_follow_up_bad_input_is_one_line_and_changes_nothing(me, asked_for_id):
    ref, _ = asked_for_id
    before = me.state()
    assert "unknown follow-up" in me.fails("send", ref, "--follow-up", "thanks")
    assert "goes with named requests" in me.fails("send", "--all", "--follow-up", "id-reply")
    assert "--details goes with --follow-up id-reply" in me.fails(
        "send", ref, "--follow-up", "extension-challenge", "--details", "x")
    assert "go with --follow-up" in me.fails("send", ref, "--again")
    assert "no request" in me.fails("send", "SAR-ZZZZZ", "--follow-up", "id-reply")
    assert me.state() == before


def test_send_follow_up_reminder_is_sar_remind(me):
    ref, original = me.send_new()
    out = me("send", ref, "--follow-up", "reminder", "--json", today="2026-04-07").json()
    assert out[0]["status"] == "sent"
    events = me("show", ref, "--json", today="2026-04-07").json()["events"]
    assert [e["kind"] for e in events].count("reminded") == 1


def test_a_follow_up_left_in_flight_is_recorded_as_followed_up(me, asked_for_id, home):
    """A kill after the hand-over: the next batch finds it in the outbox and records
    `followed-up` with its kind, not `sent`."""
    ref, _ = asked_for_id
    me("send", ref, "--follow-up", "id-reply", today="2026-03-06")
    conn = sqlite3.connect(home / "sar.db")
    conn.execute("UPDATE messages SET state = 'sending' WHERE purpose = 'id-reply'")
    # The events log is append-only: as if the kill came before the event was written,
    # the found copy is recorded again, on a second request.
    conn.commit()
    conn.close()
    other = me("new", "access", "--to", "fictional-party", "--json").json()[0]["ref"]
    me("send", other, today="2026-03-06")
    events = followed_up(me, ref, "2026-03-06")
    assert [e["details"]["follow_up"] for e in events] == ["id-reply", "id-reply"]
    assert events[1]["source"] == "system" and events[1]["details"]["recovered"]


def test_the_once_rule_counts_from_the_event_answered():
    d = __import__("datetime").date
    events = [Event("sent", d(2026, 3, 2), "system"),
              Event("id-requested", d(2026, 3, 5)),
              Event("followed-up", d(2026, 3, 6), "system", {"follow_up": "id-reply"}),
              Event("followed-up", d(2026, 3, 7), "system",
                    {"follow_up": "extension-challenge"})]
    assert followups.earlier_follow_up("id-reply", events) == d(2026, 3, 6)
    later = [*events, Event("id-requested", d(2026, 3, 9))]
    assert followups.earlier_follow_up("id-reply", later) is None
    assert followups.earlier_follow_up("incomplete", events) is None
    assert followups.event_kind("letter") == "sent"
    assert followups.event_kind("reminder") == "reminded"
    assert followups.event_kind("incomplete") == "followed-up"


def test_the_next_step_moves_on_once_the_follow_up_went(me, asked_for_id):
    ref, _ = asked_for_id
    assert "--follow-up id-reply" in me("show", ref, "--json", today="2026-03-06").json()["next"]
    me("send", ref, "--follow-up", "id-reply", today="2026-03-06")
    step = me("show", ref, "--json", today="2026-03-06").json()["next"]
    assert "reply to the ID request went" in step and f"sar mark {ref} id-provided" in step
    me("mark", ref, "id-provided", "--on", "2026-03-07", today="2026-03-07")
    me("mark", ref, "extended", "--on", "2026-03-20", today="2026-03-20")
    assert "--follow-up extension-challenge" in me("show", ref, "--json",
                                                   today="2026-03-20").json()["next"]
    me("send", ref, "--follow-up", "extension-challenge", today="2026-03-20")
    assert "challenge to the extension went" in me("show", ref, "--json",
                                                   today="2026-03-20").json()["next"]


def test_an_id_reply_carries_the_document_chosen_and_an_unknown_fate_waits(me, asked_for_id,
                                                                          home, tmp_path):
    ref, _ = asked_for_id
    bill = tmp_path / "bill.pdf"
    bill.write_bytes(b"%PDF-1.4 invented council tax bill")
    out = me("send", ref, "--follow-up", "id-reply", "--details", "the bill attached",
             "--attach", bill, "--json", today="2026-03-06").json()
    msg = outbox(home)[out[0]["message_id"]]
    assert [p.get_filename() for p in msg.iter_attachments()] == ["bill.pdf"]
    # Its fate made unknown (as a crash with no copy found leaves it): refused until
    # checked, named in `sar doctor`, and sent with --retry-unknown.
    conn = sqlite3.connect(home / "sar.db")
    conn.execute("UPDATE messages SET state = 'unknown' WHERE purpose = 'id-reply'")
    conn.commit()
    conn.close()
    line = me.fails("send", ref, "--follow-up", "id-reply", "--again", today="2026-03-07")
    assert "may or may not have gone" in line and "--retry-unknown" in line
    problems = me("doctor", "--json", ok=False, today="2026-03-07").json()["problems"]
    assert any(f"sar send {ref} --follow-up id-reply --retry-unknown" in p for p in problems)
    again = me("send", ref, "--follow-up", "id-reply", "--again", "--retry-unknown", "--json",
               today="2026-03-07").json()
    assert again[0]["status"] == "sent"
    conn = sqlite3.connect(home / "sar.db")
    assert sorted(r[0] for r in conn.execute(
        "SELECT state FROM messages WHERE purpose = 'id-reply'")) == ["sent", "superseded"]
    conn.close()


def test_followed_up_cannot_be_marked_by_hand(me, asked_for_id):
    ref, _ = asked_for_id
    line = me.fails("mark", ref, "followed-up")
    assert "sar send REF --follow-up KIND" in line
