"""How far sar has read the user's mail: the `sync_state` table (an IMAP folder's
UIDVALIDITY and the last UID taken in) and `maildir_seen` (the unique names of the
Maildir files taken in). Written in the same transaction as the messages they
cover (sar.mail.sources), so a run stopped at any point goes on from there."""

from __future__ import annotations

from sar.store.db import now


def imap_position(db, source: str, folder: str) -> tuple[int, int] | None:
    """(uidvalidity, last UID taken in) of an IMAP folder, or None if never read."""
    return db.execute(
        "SELECT uidvalidity, last_uid FROM sync_state WHERE source = ? AND folder = ?",
        [source, folder]).fetchone()


def save_imap_position(db, source: str, folder: str, uidvalidity: int, uid: int) -> None:
    """Record a folder read up to `uid`: never backwards within one UIDVALIDITY (two
    runs at once), from `uid` afresh when the UIDVALIDITY changed (RFC 3501 §2.3.1.1)."""
    db.execute(
        "INSERT INTO sync_state (source, folder, uidvalidity, last_uid, updated_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, folder) DO UPDATE SET "
        "uidvalidity = excluded.uidvalidity, last_uid = MAX(CASE WHEN "
        "sync_state.uidvalidity = excluded.uidvalidity THEN sync_state.last_uid ELSE 0 "
        "END, excluded.last_uid), updated_at = excluded.updated_at",
        [source, folder, uidvalidity, uid, now()])


def imap_positions(db) -> list[tuple[str, str, str]]:
    """(source, folder, when last read) of every folder sar reads."""
    return db.execute("SELECT source, folder, updated_at FROM sync_state").fetchall()


def maildir_seen(db, source: str, names: list[str]) -> set[str]:
    """Which of `names` (unique parts of Maildir file names; a chunk, not a whole
    folder) were taken in from `source` before."""
    marks = ", ".join("?" * len(names))
    return {r[0] for r in db.execute(
        f"SELECT name FROM maildir_seen WHERE source = ? AND name IN ({marks})",
        [source, *names])}


def mark_maildir_seen(db, source: str, name: str) -> None:
    db.execute("INSERT OR IGNORE INTO maildir_seen (source, name) VALUES (?, ?)",
               [source, name])
