"""Opening the database: pragmas, migrations, and a refusal of newer schemas."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from pathlib import Path

from sar.errors import StoreError


def now() -> str:
    """When a row is written: UTC, to the second (every recorded_at, created_at and
    updated_at)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# sqlite-utils imports numpy and pandas when they are installed, only to map their
# types when a row holding them is inserted; sar never inserts them, and numpy
# alone costs every command that opens the database about 0.1-0.2 s of start-up.
_NOT_NEEDED = ("numpy", "pandas")


def _sqlite_utils():
    """sqlite_utils, imported (the first time) with numpy and pandas out of sight. They
    stay importable for anything else: only sqlite-utils' own optional look is
    answered "not installed"."""
    import sys

    if "sqlite_utils" in sys.modules:
        return sys.modules["sqlite_utils"]
    hidden = [name for name in _NOT_NEEDED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # an import of it raises ImportError
    try:
        import sqlite_utils
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return sqlite_utils


def connect(path: Path, key: bytes | None = None, read_only: bool = False):
    """Open (creating if need be) and migrate the database at `path`; with `key`,
    through SQLCipher (an encrypted home, sar.crypto). `read_only`: a home this user
    may not write to, opened to be read and never changed (nor migrated)."""
    sqlite_utils = _sqlite_utils()

    from sar.store.migrations import KNOWN, migrations

    if read_only:
        return _read_only(path, key, KNOWN, migrations)
    if not path.exists():
        # Private from the first byte; SQLite gives its -wal and -shm files the
        # database file's permissions.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    try:
        # Wait for another sar's write to finish rather than fail at once.
        timeout = float(os.environ.get("SAR_TEST_BUSY_TIMEOUT", "10"))
        # isolation_level=None: no implicit transactions. A write outside an explicit
        # transaction commits at once; everything that must be atomic says so.
        if key is not None:
            conn = _cipher_connect(path, key, timeout)
        else:
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
    except StoreError:
        raise
    except Exception as e:  # sqlite3 or sqlcipher3 errors
        raise StoreError(f"cannot open the database {path}: {e}") from None
    # FULL: a state committed before a message leaves must survive a power cut,
    # or at-most-once sending is a promise we cannot keep.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    db = sqlite_utils.Database(conn, execute_plugins=False)
    applied = [m.name for m in migrations.applied(db)]
    unknown = [name for name in applied if name not in KNOWN]
    if unknown:
        conn.close()
        raise StoreError(
            f"the database {path} was written by a newer sar (schema {unknown[-1]}); "
            "upgrade sar to use it"
        )
    if len(applied) < len(KNOWN):
        try:
            migrations.apply(db)
        except Exception as e:
            if type(e).__module__ not in ("sqlite3", "sqlcipher3.dbapi2"):
                raise
            raise StoreError(f"cannot migrate the database {path}: {e}") from None
    return db


def _read_only(path: Path, key: bytes | None, known: list[str], migrations):
    sqlite_utils = _sqlite_utils()

    if not path.exists():
        raise StoreError(f"the sar home {path.parent} is read-only and has no database yet")
    wal = path.with_name(path.name + "-wal")
    # SQLite reads a WAL database read-only only if it can find or make the -shm
    # file; with no -wal left (every write checkpointed), nothing is pending, so the
    # file can be read as it is (immutable: no locks, no -shm).
    pending = wal.exists() and wal.stat().st_size > 0
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if pending else "&immutable=1")
    try:
        if key is not None:
            import sqlcipher3

            conn = sqlcipher3.connect(uri, uri=True, isolation_level=None)
            conn.execute(f"PRAGMA key = \"x'{_subkey(key)}'\"")
        else:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        conn.execute("PRAGMA query_only=ON")
        db = sqlite_utils.Database(conn, execute_plugins=False)
        applied = [m.name for m in migrations.applied(db)]
    except Exception as e:  # sqlite3 or sqlcipher3 errors
        raise StoreError(f"cannot read the database {path} (the home is read-only): "
                         f"{e}") from None
    if applied != known[:len(applied)] or len(applied) < len(known):
        conn.close()
        raise StoreError(f"the database {path} needs "
                         f"{'a newer sar' if len(applied) > len(known) else 'an upgrade'}"
                         ", and the home is read-only: make it writable, then run sar again")
    return db


def _subkey(key: bytes) -> str:
    from sar.crypto import subkey

    return subkey(key, "database").hex()


def _cipher_connect(path: Path, key: bytes, timeout: float):
    try:
        import sqlcipher3
    except ImportError:
        raise StoreError("this sar home is encrypted: install SQLCipher support with "
                         "pip install 'sar[encrypt]'") from None
    from sar.crypto import subkey

    conn = sqlcipher3.connect(str(path), timeout=timeout, isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{subkey(key, 'database').hex()}'\"")
    return conn


def cipher_target(path: Path, key: bytes):
    """A connection for a copy of an encrypted database (sar backup)."""
    return _cipher_connect(path, key, 10.0)


@contextlib.contextmanager
def no_waiting(db):
    """Statements inside fail at once on a lock another connection holds, rather than
    wait out the busy timeout (for work that can as well be done next time)."""
    conn = getattr(db, "conn", db)
    (before,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(before)}")


def busy(error: Exception) -> bool:
    """Whether `error` is SQLite's "database is locked" (sqlite3 or sqlcipher3)."""
    return type(error).__name__ == "OperationalError" and (
        "locked" in str(error) or "busy" in str(error))


# Plain-SQL writes for the hot paths: sqlite-utils' Table.insert and .update inspect
# the schema on every call, which costs more than the write itself when a batch
# records thousands of events. Table and column names here are always our own.

def insert(db, table: str, row: dict) -> int:
    columns = ", ".join(f"[{c}]" for c in row)
    marks = ", ".join("?" for _ in row)
    cursor = db.conn.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})",
                             list(row.values()))
    return cursor.lastrowid


def update(db, table: str, pk: int, values: dict) -> None:
    sets = ", ".join(f"[{c}] = ?" for c in values)
    db.conn.execute(f"UPDATE [{table}] SET {sets} WHERE id = ?", [*values.values(), pk])


def rows(db, sql: str, params=()) -> list[dict]:
    """A read's rows as dicts, without the savepoint sqlite-utils' `query` puts around
    every statement (two more statements per read, on the hot paths)."""
    cursor = db.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def one(db, sql: str, params=()) -> dict | None:
    """The first row of a query as a dict, or None: Database.query without its
    savepoint and generator, for a look-up made once a message."""
    cursor = db.conn.execute(sql, params)
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))
