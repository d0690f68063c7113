"""The database, its migrations, the hash-chained event log and the evidence store."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
import sqlite_utils

from sar.errors import StoreError
from sar.store.db import connect
from sar.store.evidence import EvidenceStore
from sar.store.migrations import KNOWN, migrations


def test_a_blank_database_migrates_to_the_current_schema(tmp_path):
    db = connect(tmp_path / "sar.db")
    tables = set(db.table_names())
    assert {"requesters", "organisations", "requests", "events", "messages",
            "attachments"} <= tables
    applied = [r["name"] for r in db.query("SELECT name FROM _sqlite_migrations")]
    assert applied == KNOWN
    db.conn.close()
    # Opening again applies nothing twice.
    again = connect(tmp_path / "sar.db")
    assert [r["name"] for r in again.query("SELECT name FROM _sqlite_migrations")] == KNOWN


def test_known_is_every_registered_migration_in_order():
    # KNOWN is our own list (sqlite-utils has no public one): it must be exactly what
    # sqlite-utils would apply to an empty database, or a newer-sar check goes wrong.
    pending = [m.name for m in migrations.pending(sqlite_utils.Database(memory=True))]
    assert pending == KNOWN
    assert len(set(KNOWN)) == len(KNOWN) and sorted(KNOWN) == KNOWN


def test_a_database_from_a_newer_sar_is_refused(tmp_path, sar):
    db = connect(tmp_path / "sar.db")
    db["_sqlite_migrations"].insert({"migration_set": "sar", "name": "m999_from_the_future",
                                     "applied_at": "2030-01-01"})
    db.conn.close()
    with pytest.raises(StoreError, match="newer sar"):
        connect(tmp_path / "sar.db")
    line = sar.fails("--home", str(tmp_path), "list")
    assert "newer sar" in line


def test_the_event_log_is_hash_chained(me, home):
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    me("mark", ref, "acknowledged")
    conn = sqlite3.connect(home / "sar.db")
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    prev = "0" * 64
    for r in rows:
        assert r["prev_hash"] == prev
        body = {k: r[k] for k in ("seq", "kind", "occurred_on", "occurred_at", "source",
                                  "details")}
        assert r["hash"] == hashlib.sha256((prev + json.dumps(body, sort_keys=True))
                                           .encode()).hexdigest()
        prev = r["hash"]
    assert [r["kind"] for r in rows] == ["drafted", "sent", "acknowledged"]


def test_cached_status_and_due_match_the_events(me, home):
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    me("mark", ref, "extended", today="2026-03-20")
    conn = sqlite3.connect(home / "sar.db")
    status, due = conn.execute("SELECT status, due FROM requests WHERE ref = ?", [ref]).fetchone()
    assert (status, due) == ("extended", "2026-06-02")


def test_snapshots_keep_the_address_a_letter_went_to(me, home):
    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-02")
    me("orgs", "add", "--slug", "acme", "--email", "new-dpo@acme.example",
       "--address", "2 New Street, Exampleton, EX9 9BB")
    text = me("letter", ref).stdout  # rendered again, from the snapshot it went with
    assert "1 Acme Way" in text and "2 New Street" not in text
    second = me("new", "erasure", "--to", "acme", "--json").json()[0]["ref"]
    assert "new-dpo@acme.example" in me("letter", second, "--format", "eml").stdout


def test_evidence_is_content_addressed_private_and_idempotent(tmp_path):
    store = EvidenceStore(tmp_path / "evidence")
    digest = store.put(b"raw bytes of a letter")
    assert digest == hashlib.sha256(b"raw bytes of a letter").hexdigest()
    path = store.path(digest)
    assert path.read_bytes() == b"raw bytes of a letter"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert store.put(b"raw bytes of a letter") == digest
    assert len(list((tmp_path / "evidence").rglob("*"))) == 2  # one folder, one file
    assert store.verify(digest)
    path.write_bytes(b"tampered")
    assert not store.verify(digest)


def test_a_batch_of_evidence_survives_a_lost_file_through_its_journal(tmp_path):
    """put_many waits for the disk once, on its journal; a file a power cut lost or cut
    short is put back from the journal when the next batch starts (settle)."""
    from sar.store.evidence import EvidenceStore

    store = EvidenceStore(tmp_path / "evidence")
    items = [f"letter {i}\r\n".encode() * 50 for i in range(5)]
    digests = store.put_many(items)
    assert [store.get(d) for d in digests] == items
    [journal] = list((tmp_path / "evidence" / ".pending").iterdir())
    store.path(digests[1]).unlink()
    store.path(digests[3]).write_bytes(b"")
    store.settle(after_crash=True)
    assert [store.get(d) for d in digests] == items
    assert not journal.exists()
    assert store.put_many(items) == digests  # the same bytes again: the same files
    store.settle()
    assert not list((tmp_path / "evidence" / ".pending").iterdir())


def test_a_journal_is_settled_by_its_own_process_or_after_its_process_died(tmp_path):
    """A watcher and a sender share the evidence store: neither settles the other's
    batch while it runs; a dead process's journal is put back by whoever recovers."""
    import os
    import subprocess
    import sys

    from sar.store.evidence import EvidenceStore

    store = EvidenceStore(tmp_path / "evidence")
    items = [f"reply {i}\r\n".encode() * 40 for i in range(3)]
    digests = store.put_many(items)
    [mine] = list((tmp_path / "evidence" / ".pending").iterdir())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    alive = str(os.getppid())
    blob = mine.read_bytes()
    theirs = mine.with_name(f"1-{alive}.batch")
    gone = mine.with_name(f"2-{dead}.batch")
    theirs.write_bytes(blob)
    gone.write_bytes(blob)
    mine.unlink()
    store.path(digests[0]).unlink()  # lost by a power cut
    store.settle()
    assert theirs.exists() and gone.exists()  # not ours: left alone
    store.settle(after_crash=True)
    assert theirs.exists()  # its process still runs and will settle it
    assert not gone.exists()
    assert [store.get(d) for d in digests] == items


def test_deferred_evidence_is_written_as_one_journal_and_not_at_all_on_error(tmp_path):
    from sar.store.evidence import EvidenceStore

    store = EvidenceStore(tmp_path / "evidence")
    with pytest.raises(RuntimeError), store.deferred():
        lost = store.put(b"a reply that never committed")
        raise RuntimeError
    assert not store.path(lost).exists()
    with store.deferred():
        digests = [store.put(f"reply {i}".encode()) for i in range(3)]
        assert not any(store.path(d).exists() for d in digests)  # held until the end
    assert [store.get(d) for d in digests] == [f"reply {i}".encode() for i in range(3)]
    assert len(list((tmp_path / "evidence" / ".pending").iterdir())) == 1
    store.settle()
    assert not list((tmp_path / "evidence" / ".pending").iterdir())
