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
