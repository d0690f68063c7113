"""Kill sar while it migrates a large database from an old schema, again and again,
then let it finish: every migration applied exactly once, no row lost, and the
database passes integrity_check. (Each migration runs in one transaction with the
record of it having run.)"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from sar.store.migrations import KNOWN
from tests import schemas

ROWS = 150_000
pytestmark = pytest.mark.slow


def test_sigkill_during_migrations_loses_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    conn = sqlite3.connect(home / "sar.db", isolation_level=None)
    schemas.load(conn, "v1")  # the first release's schema, as it made it (frozen)
    now = "2026-03-02T12:00:00+00:00"
    conn.execute("BEGIN")
    conn.execute("INSERT INTO requesters (id, fingerprint, name, created_at) VALUES "
                 "(1, 'f', 'Robin Testperson', ?)", [now])
    conn.execute("INSERT INTO organisations (id, fingerprint, slug, name, record, created_at) "
                 "VALUES (1, 'o', 'acme', 'Acme', '{}', ?)", [now])
    conn.executemany(
        "INSERT INTO requests (id, ref, requester_id, organisation_id, org_slug, kind, regime, "
        "channel, lang, calendar, created_on, status, updated_at) VALUES "
        "(?, ?, 1, 1, 'acme', 'access', 'uk-gdpr', 'email', 'en', 'GB-ENG', '2026-03-02', "
        "'draft', ?)", [(i, f"SAR-{i:06d}", now) for i in range(1, ROWS + 1)])
    conn.executemany(
        "INSERT INTO events (request_id, seq, kind, occurred_on, recorded_at, source, details, "
        "prev_hash, hash) VALUES (?, 1, 'drafted', '2026-03-02', ?, 'system', '{}', '0', 'h')",
        [(i, now) for i in range(1, ROWS + 1)])
    conn.execute("COMMIT")
    conn.close()

    env = {**os.environ, "SAR_HOME": str(home)}
    env.pop("SAR_TODAY", None)
    cmd = [sys.executable, "-m", "sar", "list", "--status", "fulfilled", "--json"]
    rng = random.Random(20261129)
    kills = 0
    started = time.monotonic()
    probe = subprocess.run([sys.executable, "-c", "import sar.cli, sqlite_utils"], env=env)
    startup = time.monotonic() - started   # before this, a kill lands before any SQL
    assert probe.returncode == 0
    for _ in range(6):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(startup + rng.uniform(0.0, 0.15))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert kills >= 3

    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    applied = [r[0] for r in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = 'sar' ORDER BY name")]
    assert applied == sorted(KNOWN)
    assert conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == ROWS
    assert conn.execute("SELECT COUNT(*) FROM requests WHERE last_event_on IS NULL"
                        ).fetchone()[0] == 0
    columns = {r[1] for r in conn.execute("PRAGMA table_info(messages)")}
    assert {"dedupe", "label", "purpose"} <= columns
    conn.close()


def test_sigkill_while_m011_rebuilds_its_tables_leaves_the_old_schema_whole(tmp_path):
    # m011 drops and rebuilds requests and messages in one transaction: a kill at any
    # point must leave the last release's tables, all rows in them, and no half-table.
    rows = 50_000
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    path = home / "sar.db"
    conn = sqlite3.connect(path, isolation_level=None)
    schemas.load(conn, "v9c")  # the last release: m010 (nothing to do) and m011 to go
    now = "2026-03-02T12:00:00+00:00"
    conn.execute("BEGIN")
    conn.execute("INSERT INTO requesters (id, fingerprint, name, created_at) VALUES "
                 "(1, 'f', 'Robin Testperson', ?)", [now])
    conn.execute("INSERT INTO organisations (id, fingerprint, slug, name, record, created_at) "
                 "VALUES (1, 'o', 'acme', 'Acme', '{}', ?)", [now])
    conn.executemany(
        "INSERT INTO requests (id, ref, requester_id, organisation_id, org_slug, kind, regime, "
        "channel, lang, calendar, created_on, status, updated_at, last_event_on) VALUES "
        "(?, ?, 1, 1, 'acme', 'access', 'uk-gdpr', 'email', 'en', 'GB-ENG', '2026-03-02', "
        "'sent', ?, '2026-03-02')", [(i, f"SAR-{i:06d}", now) for i in range(1, rows + 1)])
    conn.executemany(
        "INSERT INTO events (request_id, seq, kind, occurred_on, recorded_at, source, details, "
        "prev_hash, hash) VALUES (?, 1, 'drafted', '2026-03-02', ?, 'system', '{}', '0', 'h')",
        [(i, now) for i in range(1, rows + 1)])
    conn.executemany(
        "INSERT INTO messages (request_id, direction, state, transport, created_at, updated_at) "
        "VALUES (?, 'out', 'sent', 'smtp', ?, ?)", [(i, now, now) for i in range(1, rows + 1)])
    conn.execute("COMMIT")
    conn.close()

    def applied():
        conn = sqlite3.connect(path)
        try:
            return [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
        finally:
            conn.close()

    def look():
        conn = sqlite3.connect(path)
        try:
            return {
                "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
                "applied": [r[0] for r in conn.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = 'sar'")],
                "counts": [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                           for t in ("requests", "events", "messages")],
                "checked": "CHECK" in conn.execute(
                    "SELECT sql FROM sqlite_master WHERE name = 'requests'").fetchone()[0],
                "leftovers": conn.execute("SELECT COUNT(*) FROM sqlite_master "
                                          "WHERE name LIKE '%rebuilding%'").fetchone()[0],
                "views": conn.execute("SELECT COUNT(*) FROM sqlite_master "
                                      "WHERE type = 'view'").fetchone()[0],
            }
        finally:
            conn.close()

    env = {**os.environ, "SAR_HOME": str(home)}
    env.pop("SAR_TODAY", None)
    cmd = [sys.executable, "-m", "sar", "list", "--status", "fulfilled", "--json"]
    reach = None  # how long sar takes to commit m010, after which m011 runs
    in_m011 = 0
    # How long m011 takes depends on the machine and its load: small delays first, and
    # more tries until three kills have landed inside it (each one checked either way).
    for delay in (0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.9, 1.2, 0.05, 0.15, 0.25):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        started = time.monotonic()
        if reach is None:
            while proc.poll() is None and "m010_fix_campaigns_as_first_shipped" not in \
                    applied():
                time.sleep(0.01)
            reach = time.monotonic() - started
        time.sleep(max(0.0, reach + delay - (time.monotonic() - started)))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen = look()
        assert seen["integrity"] == "ok"
        assert seen["counts"] == [rows] * 3
        assert seen["leftovers"] == 0 and seen["views"] == 2
        if "m011_checks_and_indexes" not in seen["applied"]:
            assert not seen["checked"]  # the old requests, whole
            in_m011 += "m010_fix_campaigns_as_first_shipped" in seen["applied"]
    assert in_m011 >= 3  # the kills landed while m011 ran
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    seen = look()
    assert sorted(seen["applied"]) == sorted(KNOWN) and seen["checked"]
    assert seen["counts"] == [rows] * 3 and seen["integrity"] == "ok"
