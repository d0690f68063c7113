"""Every schema a released sar could have left migrates to exactly today's schema,
keeping its rows. The old schemas come from frozen dumps (tests/schemas.py), not
from today's migrations, which is how the edit of m009 after release went unseen."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlite_utils

import sar
from sar.core import lifecycle
from sar.errors import StoreError
from sar.store.db import connect
from sar.store.migrations import (
    EMAIL_HASH_UNKNOWN,
    KNOWN,
    M011_ALLOWED,
    M015_PURPOSES,
    migrations,
)
from tests import schemas

try:  # where the campaign split on main (35bba47) put them
    from sar.campaign.hooks import email_hash
    from sar.campaign.setup import MODES, REPLIES
except ImportError:
    from sar.campaign import MODES, REPLIES, email_hash

NOW = "2026-03-02T12:00:00+00:00"

# A few rows of each kind, as old versions wrote them. Tables and columns a version
# did not have are left out when it is loaded (see _insert).
ROWS = [
    ("requesters", {"id": 1, "fingerprint": "fp-robin", "name": "Robin Testperson",
                    "email": "robin@example.org", "address": '["12 Sample Lane"]',
                    "calendar": "GB-ENG", "created_at": NOW}),
    ("requesters", {"id": 2, "fingerprint": "fp-p7q2", "name": "P-7Q2X", "created_at": NOW}),
    ("organisations", {"id": 1, "fingerprint": "fp-acme", "slug": "acme", "name": "Acme Ltd",
                       "email": "privacy@acme.example", "record": "{}", "created_at": NOW}),
    ("campaigns", {"id": 1, "name": "spring", "orgs": '["acme"]', "kinds": '["access"]',
                   "mode": "agent", "replies": "campaign", "sender_name": "Sample Campaign",
                   "sender_email": "campaign@example.org", "consent_version": "1",
                   "consent_text": "I agree.", "consent_sha256": "c0", "retain_until":
                   "2027-03-02", "settings": "{}", "created_at": NOW}),
    ("participants", {"id": 1, "campaign_id": 1, "pseudonym": "P-7Q2X", "consent_version": "1",
                      "consented_at": NOW, "consent_source": "csv", "email_hash": "e1",
                      "imported_at": NOW}),
    ("participants", {"id": 2, "campaign_id": 1, "pseudonym": "P-9K4M",
                      "consent_source": "confirmation", "email_hash": "e2",
                      "imported_at": NOW, "purged_at": NOW}),   # purged: no identity left
    ("identities", {"participant_id": 1, "campaign_id": 1, "name": "Sam Example",
                    "email": "Sam@example.org", "email_key": "sam@example.org",
                    "address": '["1 Test Road"]'}),
    ("participant_salt", {"id": 1, "salt": "5a17" * 8}),
    ("purged_evidence", {"sha256": "ab" * 32, "purged_at": NOW}),
    ("requests", {"id": 1, "ref": "SAR-000001", "requester_id": 1, "organisation_id": 1,
                  "org_slug": "acme", "kind": "access", "regime": "uk-gdpr", "channel": "email",
                  "lang": "en", "calendar": "GB-ENG", "details": "{}", "created_on": "2026-03-02",
                  "status": "acknowledged", "due": "2026-04-02", "updated_at": NOW,
                  "last_event_on": "2026-03-05"}),
    ("requests", {"id": 2, "ref": "SAR-000002", "requester_id": 1, "organisation_id": 1,
                  "org_slug": "acme", "kind": "erasure", "regime": "uk-gdpr", "channel": "post",
                  "lang": "en", "calendar": "GB-ENG", "created_on": "2026-03-02",
                  "status": "draft", "updated_at": NOW, "last_event_on": "2026-03-02"}),
    ("requests", {"id": 3, "ref": "SAR-000003", "requester_id": 2, "organisation_id": 1,
                  "org_slug": "acme", "kind": "access", "regime": "uk-gdpr", "channel": "email",
                  "lang": "en", "calendar": "GB-ENG", "created_on": "2026-03-02",
                  "status": "sent", "due": "2026-04-02", "updated_at": NOW,
                  "last_event_on": "2026-03-02", "campaign_id": 1, "participant_id": 1}),
    ("events", {"request_id": 1, "seq": 1, "kind": "drafted", "occurred_on": "2026-03-02",
                "recorded_at": NOW, "source": "system", "details": "{}", "prev_hash": "0" * 64,
                "hash": "h1"}),
    ("events", {"request_id": 1, "seq": 2, "kind": "sent", "occurred_on": "2026-03-02",
                "occurred_at": NOW, "recorded_at": NOW, "source": "system", "details": "{}",
                "prev_hash": "h1", "hash": "h2"}),
    ("events", {"request_id": 2, "seq": 1, "kind": "drafted", "occurred_on": "2026-03-02",
                "recorded_at": NOW, "source": "system", "details": "{}", "prev_hash": "0" * 64,
                "hash": "h3"}),
    ("messages", {"id": 1, "request_id": 1, "direction": "out", "state": "sent",
                  "transport": "smtp", "message_id": "<SAR-000001@example.org>",
                  "subject": "Subject access request", "from_addr": "robin@example.org",
                  "to_addrs": '["privacy@acme.example"]', "sha256": "cd" * 32, "size": 900,
                  "detail": "250 OK", "created_at": NOW, "updated_at": NOW,
                  "purpose": "letter"}),
    ("messages", {"id": 2, "request_id": 1, "direction": "in", "state": "received",
                  "transport": "imap", "message_id": "<ack-1@acme.example>",
                  "in_reply_to": "<SAR-000001@example.org>", "sha256": "ef" * 32, "size": 400,
                  "created_at": NOW, "updated_at": NOW, "label": "acknowledged",
                  "rule": "ack-phrase", "trust": "pass", "received_on": "2026-03-05",
                  "source": "imap://robin@imap.example.org:993", "dedupe": "<ack-1@acme.example>"}),
    # 'queued': the outbox of 907e8ac wrote it; a crash left such rows behind.
    ("messages", {"id": 3, "request_id": 2, "direction": "out", "state": "queued",
                  "transport": "maildir", "created_at": NOW, "updated_at": NOW}),
    ("messages", {"id": 4, "request_id": 1, "direction": "out", "state": "unknown",
                  "transport": "smtp", "created_at": NOW, "updated_at": NOW,
                  "purpose": "reminder"}),
    ("messages", {"id": 5, "request_id": 3, "direction": "out", "state": "handed-out",
                  "transport": "hand-out", "created_at": NOW, "updated_at": NOW}),
    ("attachments", {"id": 1, "message_id": 2, "filename": "reply.pdf",
                     "content_type": "application/pdf", "sha256": "12" * 32, "size": 2048}),
    ("sync_state", {"source": "imap://robin@imap.example.org:993", "folder": "INBOX",
                    "uidvalidity": 7, "last_uid": 42, "updated_at": NOW}),
    ("maildir_seen", {"source": "maildir:/home/robin/Mail", "name": "1700000000.M1.host"}),
    ("notify_state", {"id": 1, "last_on": "2026-03-01", "last_message": 2}),
    ("discovery", {"id": 1, "made_at": NOW, "source": "maildir:/home/robin/Mail",
                   "result": "{}"}),
]


def _like(table: str, **changes) -> tuple[str, dict]:
    """Another row of `table`, like its first in ROWS but for `changes`."""
    first = next(row for name, row in ROWS if name == table)
    return table, {**first, **changes}


def _insert(conn, table: str, row: dict) -> None:
    columns = {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}
    if not columns:
        return
    row = {k: v for k, v in row.items() if k in columns}
    conn.execute(f"INSERT INTO [{table}] ({', '.join(row)}) VALUES "
                 f"({', '.join('?' for _ in row)})", list(row.values()))


def _old_home(tmp_path: Path, version: str, rows=ROWS) -> Path:
    path = tmp_path / f"{version}.db"
    schemas.create(path, version)
    conn = sqlite3.connect(path, isolation_level=None)
    for table, row in rows:
        _insert(conn, table, row)
    conn.close()
    return path


def _rows(conn) -> dict:
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                 "name != '_sqlite_migrations'"):
        cursor = conn.execute(f"SELECT rowid AS _rowid, * FROM [{table}] ORDER BY rowid")
        names = [d[0] for d in cursor.description]
        out[table] = [dict(zip(names, r, strict=True)) for r in cursor]
    return out


def _today(tmp_path: Path) -> dict:
    db = connect(tmp_path / "fresh.db")
    try:
        return schemas.schema(db.conn)
    finally:
        db.conn.close()


def _applied(conn) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = 'sar' ORDER BY id")]


@pytest.mark.parametrize("version", list(schemas.VERSIONS))
def test_every_released_schema_migrates_to_todays_schema_and_keeps_its_rows(tmp_path,
                                                                          version):
    path = _old_home(tmp_path, version)
    conn = sqlite3.connect(path)
    before = _rows(conn)
    conn.close()
    assert sum(len(r) for r in before.values()) >= 12  # the rows went in

    db = connect(path)  # as sar opens it: foreign keys on, pending migrations applied
    conn = db.conn
    assert schemas.schema(conn) == _today(tmp_path)
    assert _applied(conn) == KNOWN
    after = _rows(conn)
    for table, rows in before.items():
        assert len(after[table]) == len(rows), table
        for old, new in zip(rows, after[table], strict=True):
            assert {k: new[k] for k in old} == old, table
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert not [n for (n,) in conn.execute("SELECT name FROM sqlite_master "
                                           "WHERE name LIKE '%rebuilding%'")]
    # The views still read the rebuilt tables.
    assert conn.execute("SELECT COUNT(*) FROM request_board").fetchone()[0] == \
        len(before["requests"])
    assert conn.execute("SELECT COUNT(*) FROM timeline").fetchone()[0] == len(before["events"])
    conn.close()


@pytest.mark.parametrize("version", list(schemas.VERSIONS))
def test_each_frozen_schema_is_what_its_migrations_still_make(version):
    # A shipped migration must never change: today's m001..mNNN must still make the
    # frozen schema, except m009, which changed twice after shipping (hence m010).
    frozen = sqlite3.connect(":memory:")
    schemas.load(frozen, version)
    applied = _applied(frozen)
    today = sqlite3.connect(":memory:", isolation_level=None)
    migrations.apply(sqlite_utils.Database(today), stop_before=KNOWN[len(applied):])
    assert _applied(today) == applied
    if version in ("v9a", "v9b"):
        assert schemas.schema(frozen) != schemas.schema(today)
    else:
        assert schemas.schema(frozen) == schemas.schema(today)


@pytest.mark.parametrize("version", ["v9a", "v9b", "v9c"])
def test_m010_brings_every_shipped_m009_to_the_last(tmp_path, version):
    path = _old_home(tmp_path, version)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    migrations.apply(sqlite_utils.Database(conn), stop_before="m011_checks_and_indexes")
    last = sqlite3.connect(":memory:")
    schemas.load(last, "v9c")
    assert schemas.schema(conn) == schemas.schema(last)
    hashes = dict(conn.execute("SELECT id, email_hash FROM participants"))
    if version == "v9a":
        # Hashed as sar hashes an address today, so the rate limit and a purge by
        # address find the participant; the purged one has no address left.
        assert hashes[1] == email_hash(SimpleNamespace(db=conn), "sam@example.org")
        assert hashes[2] == EMAIL_HASH_UNKNOWN
    else:
        assert hashes == {1: "e1", 2: "e2"}  # already there: left alone
    conn.close()


def test_a_check_refuses_what_sar_never_writes_and_takes_what_it_does(tmp_path):
    db = connect(tmp_path / "sar.db")
    conn = db.conn
    for table, row in ROWS:
        _insert(conn, table, row)
    bad = [("UPDATE requests SET status = 'bogus' WHERE id = 1", "status"),
           ("UPDATE requests SET status = 'overdue' WHERE id = 1", "status"),
           ("UPDATE messages SET state = 'lost' WHERE id = 1", "state"),
           ("UPDATE messages SET direction = 'sideways' WHERE id = 1", "direction"),
           ("UPDATE messages SET purpose = 'spam' WHERE id = 1", "purpose"),
           ("UPDATE campaigns SET mode = 'robot' WHERE id = 1", "mode"),
           ("UPDATE campaigns SET replies = 'nobody' WHERE id = 1", "replies"),
           ("UPDATE participants SET consent_source = 'guess' WHERE id = 1", "consent_source")]
    for sql, column in bad:
        with pytest.raises(sqlite3.IntegrityError, match=f"CHECK constraint failed: {column}"):
            conn.execute(sql)
    assert conn.execute("SELECT status FROM requests WHERE id = 1").fetchone()[0] == \
        "acknowledged"
    for (table, column), allowed in M011_ALLOWED.items():
        for value in allowed:
            conn.execute(f"UPDATE [{table}] SET [{column}] = ? WHERE id = 1", [value])
    for value in M015_PURPOSES:  # m015: the follow-ups the outbox sends
        conn.execute("UPDATE messages SET purpose = ? WHERE id = 1", [value])
    conn.close()


def test_m015_lets_the_outbox_keep_follow_ups_apart_and_keeps_every_message(tmp_path):
    path = _old_home(tmp_path, "v13")
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed: purpose"):
        conn.execute("UPDATE messages SET purpose = 'id-reply' WHERE id = 1")
    before = _rows(conn)["messages"]
    conn.close()
    db = connect(path)
    assert "m015_follow_up_purposes" in _applied(db.conn)
    assert _rows(db.conn)["messages"] == before
    for value in ("id-reply", "extension-challenge", "incomplete"):
        db.conn.execute("UPDATE messages SET purpose = ? WHERE id = 1", [value])
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed: purpose"):
        db.conn.execute("UPDATE messages SET purpose = 'spam' WHERE id = 1")
    db.conn.close()


def test_m018_caches_each_logs_facts_as_the_event_log_writes_them(tmp_path):
    """The report's facts of each log, worked out by the migration in SQL, are what
    store.events.log_facts gives for the same events (what each new event writes)."""
    from sar.store.events import EventLog, log_facts

    more = [_like("events", request_id=1, seq=3, kind="acknowledged",
                  occurred_on="2026-03-05", hash="h4", prev_hash="h2"),
            _like("events", request_id=1, seq=4, kind="refused", occurred_on="2026-03-20",
                  hash="h5", prev_hash="h4"),
            _like("events", request_id=1, seq=5, kind="fulfilled", occurred_on="2026-03-09",
                  hash="h6", prev_hash="h5"),  # recorded later, dated earlier
            _like("events", request_id=3, seq=1, kind="drafted", hash="h7"),
            _like("events", request_id=3, seq=2, kind="posted", occurred_on="2026-03-04",
                  details='{"method": "first-class"}', hash="h8", prev_hash="h7"),
            _like("events", request_id=3, seq=3, kind="bounced", occurred_on="2026-03-06",
                  hash="h9", prev_hash="h8")]
    db = connect(_old_home(tmp_path, "v13", ROWS + more))
    log = EventLog(SimpleNamespace(db=db))
    cached = {r["id"]: r for r in db.query("SELECT * FROM requests")}
    assert {i: {k: cached[i][k] for k in ("first_sent_on", "first_answer_on", "kinds_seen")}
            for i in cached} == {i: log_facts(log.of(i)) for i in cached}
    assert (cached[1]["first_answer_on"], cached[1]["kinds_seen"]) == ("2026-03-20", 2 | 16)
    assert (cached[3]["first_sent_on"], cached[3]["kinds_seen"]) == ("2026-03-04", 1)
    assert cached[2]["first_sent_on"] is None and cached[2]["kinds_seen"] == 0
    db.conn.close()


def test_the_checks_allow_every_value_the_code_writes():
    allowed = {column: set(values) for (_, column), values in M011_ALLOWED.items()}
    # Every status derive() can leave in the cache; 'overdue' is never cached.
    assert set(lifecycle.STATUSES) - {"overdue"} == allowed["status"]
    assert set(MODES) == allowed["mode"] and set(REPLIES) == allowed["replies"]
    # Message states, as the code writes them: "state": "x", _set(pk, "x", ...) and
    # the purge's CASE ... THEN 'x'.
    sources = "\n".join(p.read_text() for p in Path(sar.__file__).parent.rglob("*.py"))
    written = set(re.findall(r'"state": "([a-z-]+)"', sources))
    written |= set(re.findall(r'\b_set\([^,()]+(?:\[[^]]*\])?, "([a-z-]+)"', sources))
    written |= set(re.findall(r"THEN '([a-z-]+)' ELSE state", sources))
    assert {"sending", "sent", "unknown", "failed", "superseded", "received",
            "handed-out", "purged"} <= written  # the search still finds them
    assert written <= allowed["state"]


def test_a_value_outside_the_checks_stops_the_migration_and_changes_nothing(tmp_path):
    rows = [*ROWS, _like("requests", id=9, ref="SAR-000009", status="overdue"),
            _like("messages", id=9, state="lost")]
    path = _old_home(tmp_path, "v8", rows)
    with pytest.raises(StoreError) as refused:
        connect(path)
    message = str(refused.value)
    assert "requests.status 'overdue' in 1 row(s), the first id 9" in message
    assert "messages.state 'lost' in 1 row(s), the first id 9" in message
    conn = sqlite3.connect(path)
    assert "m011_checks_and_indexes" not in _applied(conn)
    assert conn.execute("SELECT status FROM requests WHERE id = 9").fetchone()[0] == "overdue"
    assert "CHECK" not in conn.execute("SELECT sql FROM sqlite_master "
                                       "WHERE name = 'requests'").fetchone()[0]
    # Corrected by hand, it migrates.
    conn.execute("UPDATE requests SET status = 'sent' WHERE id = 9")
    conn.execute("UPDATE messages SET state = 'failed' WHERE id = 9")
    conn.commit()
    conn.close()
    db = connect(path)
    assert _applied(db.conn) == KNOWN
    assert db.conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 4
    db.conn.close()


def test_a_rebuild_that_fails_half_way_leaves_the_database_as_it_was(tmp_path):
    path = _old_home(tmp_path, "v9c")
    conn = sqlite3.connect(path, isolation_level=None)
    # A column this sar does not know (added by hand): messages, rebuilt after
    # requests, cannot be rebuilt without losing it.
    conn.execute("ALTER TABLE messages ADD COLUMN my_note TEXT")
    conn.execute("UPDATE messages SET my_note = 'keep me'")
    before, shape = _rows(conn), schemas.schema(conn)
    conn.close()
    with pytest.raises(StoreError, match=r"table messages has columns .*\(my_note\)"):
        connect(path)
    conn = sqlite3.connect(path)
    # m010 went in (its own transaction, changing nothing here); m011 left no trace,
    # though it had rebuilt three tables and dropped messages when it failed.
    assert _rows(conn) == before
    assert schemas.schema(conn) == shape
    assert _applied(conn) == KNOWN[:KNOWN.index("m011_checks_and_indexes")]
    conn.close()


def test_rows_that_point_nowhere_survive_or_stop_the_migration(tmp_path):
    # Written with foreign keys off (the sqlite3 shell's default). An event of a
    # request that is gone: events is not rebuilt, so it stays as it was.
    path = _old_home(tmp_path, "v1", [*ROWS, _like("events", request_id=98)])
    db = connect(path)
    assert _applied(db.conn) == KNOWN
    assert db.conn.execute("PRAGMA foreign_key_check").fetchall() == [("events", 4, "requests", 0)]
    db.conn.close()
    # A request whose requester is gone cannot go into the rebuilt requests while
    # foreign keys are on: refused, with the row named, and nothing changed.
    (tmp_path / "b").mkdir()
    path = _old_home(tmp_path / "b", "v9c", [
        *ROWS, _like("requests", id=7, ref="SAR-000007", requester_id=99)])
    conn = sqlite3.connect(path)
    before, shape = _rows(conn), schemas.schema(conn)
    conn.close()
    with pytest.raises(StoreError, match=r"1 row\(s\) of the database's table requests point "
                                         r"at rows that do not exist \(the first: id 7"):
        connect(path)
    conn = sqlite3.connect(path)
    assert (_rows(conn), schemas.schema(conn)) == (before, shape)
    assert "m011_checks_and_indexes" not in _applied(conn)
    conn.close()


def test_a_what_if_list_and_an_attachment_lookup_use_an_index(tmp_path):
    db = connect(tmp_path / "sar.db")

    def plan(sql, params):
        return " | ".join(r[3] for r in db.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))

    # The query Workspace.list() makes for `sar list --status X` on a what-if day.
    listing = plan("SELECT * FROM requests WHERE ((status = ?) OR last_event_on > ?) "
                   "AND created_on <= ? ORDER BY due IS NULL, due, id",
                   ["fulfilled", "2026-03-02", "2026-03-02"])
    assert "USING INDEX requests_last_event_on" in listing and "SCAN requests" not in listing
    lookup = plan("SELECT * FROM attachments WHERE message_id = ?", [1])
    assert "USING INDEX attachments_message" in lookup
    db.conn.close()
