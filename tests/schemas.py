"""Frozen schemas: one SQL dump per schema a released sar could have left behind.

The dumps in tests/data/schemas/ were made once, from migrations.py as it stood in
each commit below (git history), so the tests compare today's migrations with what
old versions really wrote, not with today's idea of them. m009 shipped three times
(it was edited after release): v9a, v9b and v9c.

Regenerate (only to add a new released schema, never to "fix" an old one):

    PYTHONPATH=. python -m tests.schemas
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import types
from pathlib import Path

DIR = Path(__file__).parent / "data" / "schemas"

# version: (the commit whose migrations.py made it, its last migration)
VERSIONS = {
    "v1": ("cc27fd9", "m001_initial"),
    "v2": ("fed6418", "m002_requests_last_event_on"),
    "v3": ("ac9eaca", "m003_one_letter_in_flight"),
    "v4": ("567d2c2", "m004_inbox"),
    "v5": ("a112969", "m005_readable_views"),
    "v6": ("fc8a953", "m006_message_purpose"),
    "v7": ("f65be08", "m007_notify_state"),
    "v8": ("fba3796", "m008_discovery"),
    "v9a": ("2944996", "m009_campaigns"),   # as first shipped
    "v9b": ("44ca503", "m009_campaigns"),   # + participants.email_hash, participant_salt
    "v9c": ("81ed68d", "m009_campaigns"),   # + requests_campaign changed, requests_participant
    "v13": ("6ee10e7", "m013_requests_answer_gaps"),  # m011's CHECKs, reviews; before m015
}


def path(version: str) -> Path:
    return DIR / f"{version}.sql"


def load(conn: sqlite3.Connection, version: str) -> None:
    """Make the (empty) database behind `conn` what `version` left: its schema and the
    migrations it recorded."""
    conn.executescript(path(version).read_text())


def create(db_path: Path, version: str) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        load(conn, version)
    finally:
        conn.close()


def dump(conn: sqlite3.Connection, header: str) -> str:
    """The schema (in creation order, as SQLite stores it) and the migration records."""
    lines = [f"-- {line}".rstrip() for line in header.splitlines()]
    lines += ["BEGIN;"]
    for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                               "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"):
        lines.append(sql + ";")
    for set_, name in conn.execute("SELECT migration_set, name FROM _sqlite_migrations "
                                   "ORDER BY id"):
        lines.append("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     f"VALUES ('{set_}', '{name}', '2026-11-29 00:00:00.000000+00:00');")
    lines += ["COMMIT;", ""]
    return "\n".join(lines)


def _migrations_at(commit: str):
    source = subprocess.run(["git", "show", f"{commit}:sar/store/migrations.py"],
                            capture_output=True, text=True, check=True,
                            cwd=Path(__file__).parents[1]).stdout
    module = types.ModuleType(f"sar_migrations_{commit}")
    exec(compile(source, f"{commit}:sar/store/migrations.py", "exec"), module.__dict__)
    return module.migrations


def regenerate() -> None:
    import sqlite_utils

    DIR.mkdir(parents=True, exist_ok=True)
    for version, (commit, last) in VERSIONS.items():
        conn = sqlite3.connect(":memory:", isolation_level=None)
        migrations = _migrations_at(commit)
        migrations.apply(sqlite_utils.Database(conn))
        applied = [m.name for m in migrations.applied(sqlite_utils.Database(conn))]
        assert applied[-1] == last, (version, applied)
        header = (f"sar schema {version}: {', '.join(applied)}\n"
                  f"as migrations.py at {commit} made it (tests/schemas.py; do not edit)")
        path(version).write_text(dump(conn, header))
        conn.close()


# -- comparing schemas --------------------------------------------------------------

def _normal_sql(sql: str) -> str:
    sql = re.sub(r"--[^\n]*", "", sql)                   # comments are not schema
    sql = re.sub(r"\s+", " ", sql).strip()
    return re.sub(r"\s*([(),])\s*", r"\1", sql)


def schema(conn: sqlite3.Connection) -> dict:
    """Everything that makes a schema, normalised for comparison: each table, index,
    view and trigger by name with its SQL, and each table's columns (name, type,
    not null, default, pk, in order), foreign keys and indexes as SQLite reports them."""
    out = {}
    for type_, name, table, sql in conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"):
        entry = {"table": table, "sql": _normal_sql(sql) if sql else None}
        if type_ == "table":
            entry["columns"] = [tuple(r[1:]) for r in conn.execute(
                f"PRAGMA table_xinfo([{name}])")]
            entry["foreign_keys"] = sorted(tuple(r[2:]) for r in conn.execute(
                f"PRAGMA foreign_key_list([{name}])"))
            entry["indexes"] = sorted(
                (r[1], r[2], r[3], r[4], tuple(c[2] for c in conn.execute(
                    f"PRAGMA index_info([{r[1]}])")))
                for r in conn.execute(f"PRAGMA index_list([{name}])"))
        out[f"{type_} {name}"] = entry
    return out


if __name__ == "__main__":
    regenerate()
    sys.exit(0)
