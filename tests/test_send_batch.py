"""Letters go in chunks of send.batch: every letter once, every chunk's evidence on
disk, nothing left `sending`; a send.batch out of range is refused, nothing sent."""

from __future__ import annotations

import mailbox
import sqlite3
from email import message_from_bytes


def new_drafts(me, n: int) -> list[str]:
    return [me("new", "access", "--to", "acme", "--again", "--json").json()[0]["ref"]
            for _ in range(n)]


def test_a_batch_in_chunks_sends_each_letter_once(me, home):
    refs = new_drafts(me, 11)
    me("config", "set", "send.batch", "4")
    me("send", "--all")
    box = mailbox.Maildir(home / "outbox", create=False)
    subjects = [message_from_bytes(box.get_bytes(k))["Subject"] for k in box.iterkeys()]
    assert sorted(ref for s in subjects for ref in refs if ref in s) == sorted(refs)
    conn = sqlite3.connect(home / "sar.db")
    states = conn.execute("SELECT state, count(*) FROM messages GROUP BY state").fetchall()
    sent_events = conn.execute("SELECT count(*) FROM events WHERE kind = 'sent'").fetchone()[0]
    digests = [d for (d,) in conn.execute("SELECT sha256 FROM messages")]
    conn.close()
    assert states == [("sent", 11)]
    assert sent_events == 11
    for d in digests:  # the evidence each row names is there, byte for byte
        assert (home / "evidence" / d[:2] / d[2:]).read_bytes() in [
            box.get_bytes(k) for k in box.iterkeys()]


def test_a_send_batch_out_of_range_is_refused(me, home):
    [ref] = new_drafts(me, 1)
    assert "send.batch must be between 1 and 64" in me.fails("config", "set", "send.batch", "0")
    assert "send.batch must be between 1 and 64" in me.fails("config", "set", "send.batch", "65")
    # A config.toml edited by hand is refused when sending, before anything happens.
    config = home / "config.toml"
    config.write_text(config.read_text() + "\n[send]\nbatch = 100\n")
    assert "send.batch must be between 1 and 64" in me.fails("send", ref)
    assert me("show", ref, "--json").json()["messages"] == []


def test_a_letter_that_cannot_be_rendered_fails_alone_and_the_batch_goes_on(me, home):
    """Letters are rendered on the composer's thread (sar.mail.ahead): a template that
    breaks there fails its own letter, with the template's line, and the rest go."""
    refs = new_drafts(me, 5)
    broken = me("new", "erasure", "--to", "acme", "--json").json()[0]["ref"]
    folder = home / "templates" / "letters" / "en" / "gdpr"
    folder.mkdir(parents=True)
    folder.joinpath("erasure.j2").write_text(
        '{% extends "letters/en/_base.j2" %}\n{% block body %}{{ request.no_such_field }}'
        "{% endblock %}\n")
    me("config", "set", "send.batch", "4")
    results = {r["ref"]: r for r in me("send", "--all", "--json", ok=False).json()}
    assert results[broken]["status"] == "failed"
    assert "request.no_such_field" in results[broken]["detail"]
    assert all(results[ref]["status"] == "sent" for ref in refs)
    conn = sqlite3.connect(home / "sar.db")
    names = conn.execute("SELECT count(*) FROM messages WHERE request_id = "
                         "(SELECT id FROM requests WHERE ref = ?)", [broken]).fetchone()[0]
    conn.close()
    assert names == 0  # nothing recorded as going for the letter that never existed
    assert len(mailbox.Maildir(home / "outbox", create=False)) == 5


def test_a_batch_leaves_the_interpreter_as_it_found_it(home, tmp_path):
    """The switch interval is shortened only while the composer runs."""
    import datetime as dt
    import sys

    from sar import profile
    from sar.workspace import Workspace

    ws = Workspace(home, today=dt.date(2026, 3, 2))
    ws.init(profile.make("Robin Testperson", "robin@example.org",
                         "12 Sample Lane, Exampleton, EX1 2MP", today=ws.today))
    ws.add_org(slug="acme2", name="Acme Two Ltd", email="privacy@acme2.example",
               kind="data-broker", address="1 Acme Way, Exampleton, EX9 9AA")
    for _ in range(20):
        ws.new("access", ["acme2"], again=True)
    before = sys.getswitchinterval()
    results = ws.send(all_drafts=True)
    assert [r.status for r in results] == ["sent"] * 20
    assert sys.getswitchinterval() == before
