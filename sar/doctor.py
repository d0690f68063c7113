"""`sar doctor` and `sar backup`: is the home sound, and a copy of it that is.

The doctor checks what sar's promises rest on: files only the user can read; a
database that passes SQLite's integrity check; an event log whose hash chain is
unbroken (an edit made behind sar's back shows); evidence that is there and still
hashes to its name; cached statuses that agree with the log; no letter of unknown
fate forgotten; mailboxes still being read. Each problem is one line with what to
do; the exit status is 1 when there is any. Orphaned evidence (bytes no row names,
left by a crash between the two writes) and old sync state are notes, not problems.

`sar backup` takes an online copy: SQLite's backup API gives a consistent snapshot
of the database while other sar commands run, and the evidence files it names were
all written before their rows (sar.store.evidence), so copying them after the
snapshot is enough.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

STALE_DAYS = 30


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"ok": not self.problems, "problems": self.problems, "notes": self.notes,
                "fixed": self.fixed, "checked": self.checked}


def _permissions(root: Path, report: Report, fix: bool) -> None:
    """Folders 0700 and files 0600: nobody but the user reads a request log."""
    count = 0
    for path in [root, *root.rglob("*")]:
        try:
            st = path.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode):
            continue
        count += 1
        loose = st.st_mode & 0o077
        if not loose:
            continue
        want = 0o700 if stat.S_ISDIR(st.st_mode) else 0o600
        what = "folder" if stat.S_ISDIR(st.st_mode) else "file"
        rel = path.relative_to(root) if path != root else Path(".")
        if fix:
            try:
                os.chmod(path, (st.st_mode & ~0o777) | want)
                report.fixed.append(f"{rel}: {oct(st.st_mode & 0o777)} -> {oct(want)}")
                continue
            except OSError as e:
                report.problems.append(f"{rel}: cannot make it private ({e.strerror})")
                continue
        report.problems.append(f"the {what} {rel} can be read by others "
                               f"({oct(st.st_mode & 0o777)}): `sar doctor --fix` makes it "
                               f"{oct(want)}")
    report.checked["paths"] = count


def _integrity(db, report: Report) -> None:
    result = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        report.problems.append("the database fails SQLite's integrity check: "
                               + "; ".join(result[:3]) + " (restore from `sar backup`)")
    broken = db.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        report.problems.append(f"{len(broken)} rows point at rows that do not exist")


def _chain(ws, report: Report) -> None:
    """Recompute every request's hash chain (sar.store.events writes it)."""
    from sar.store.events import broken_chains

    n, broken = broken_chains(ws.db)
    refs = dict(ws.db.execute("SELECT id, ref FROM requests").fetchall())
    for request_id, seq, kind in broken:
        report.problems.append(
            f"the event log of {refs.get(request_id, request_id)} was changed outside sar "
            f"at event {seq} ({kind}): it no longer matches its hash chain")
    report.checked["events"] = n


def _evidence(ws, report: Report) -> None:
    from sar.store.evidence import owners

    named = owners(ws.db)
    purged = {d for d, in ws.db.execute("SELECT sha256 FROM purged_evidence")}
    for digest in purged & set(named):
        del named[digest]  # deleted by `sar campaign purge`, as its receipt says
    missing = bad = 0
    for digest, what in named.items():
        path = ws.evidence.path(digest)
        if not path.exists():
            missing += 1
            if missing <= 5:
                report.problems.append(f"evidence {digest[:16]}… ({what}) is missing")
        elif not ws.evidence.verify(digest):  # decrypts, in an encrypted home
            bad += 1
            if bad <= 5:
                report.problems.append(f"evidence {digest[:16]}… ({what}) was changed: it no "
                                       "longer hashes to its name")
    for n, words in ((missing, "missing"), (bad, "changed")):
        if n > 5:
            report.problems.append(f"… and {n - 5} more evidence files {words}")
    orphans = _stored_evidence(ws.evidence.root) - set(named)
    if orphans:
        report.notes.append(f"{len(orphans)} evidence files are named by no record: left by an "
                            "interrupted write or a complaint bundle (harmless) — or, if part "
                            "of the database was lost, replies that `sar watch` reads again")
    report.checked["evidence"] = len(named)


def _cache(ws, report: Report) -> None:
    stale, uncached = [], 0
    for row in ws.db.query("SELECT * FROM requests"):
        cache = ws.log.cache_of(row)
        wrong = [k for k in cache if cache[k] != row[k]]
        if wrong == ["deadline_cache"] and row["deadline_cache"] is None:
            uncached += 1  # a row from before m019: read from its events meanwhile
        elif wrong:
            stale.append(row["ref"])
    if uncached:
        report.notes.append(f"{uncached} request{'s have' if uncached > 1 else ' has'} no "
                            "deadline cached yet (written before this version of sar; the "
                            "calendar and the report work it out from the events): "
                            "`sar doctor --fix` caches it")
    if stale:
        many = len(stale) > 1
        report.problems.append(f"{len(stale)} request{'s' if many else ''}' cached status, "
                               f"due date or log facts disagree{'' if many else 's'} with "
                               f"{'their' if many else 'its'} events "
                               f"({', '.join(stale[:3])}{'…' if len(stale) > 3 else ''}): "
                               "`sar doctor --fix` recomputes them")
    report.checked["requests"] = ws.db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]


def _sends(ws, report: Report) -> None:
    for ref, purpose in ws.db.execute(
            "SELECT r.ref, m.purpose FROM messages m JOIN requests r ON "
            "r.id = m.request_id WHERE m.state IN ('sending', 'unknown')"):
        if purpose == "reminder":
            report.problems.append(f"{ref}: a reminder may or may not have gone: look in your "
                                   f"Sent folder; to send it again, `sar remind {ref} "
                                   "--retry-unknown`")
        elif purpose != "letter":
            report.problems.append(f"{ref}: a {purpose} follow-up may or may not have gone: "
                                   "look in your Sent folder; to send it again, `sar send "
                                   f"{ref} --follow-up {purpose} --retry-unknown`")
        else:
            report.problems.append(f"{ref}: a letter may or may not have gone (interrupted "
                                   "while being sent): look in your Sent folder, then "
                                   f"`sar send {ref} --confirm-sent`")


def _sync(ws, report: Report, today: dt.date) -> None:
    from sar.store import reading

    for source, folder, updated in reading.imap_positions(ws.db):
        when = dt.date.fromisoformat(updated[:10])
        if (today - when).days > STALE_DAYS:
            report.notes.append(f"{source} {folder} was last read on {when}: is `sar watch` "
                                "still running?")


def _outbox_leftovers(ws, report: Report, fix: bool) -> None:
    """A letter the Maildir outbox was writing when sar was killed stays in tmp/, in
    plain text (Maildir delivers by writing to tmp/, then renaming into new/). The
    evidence store has its copy; with --fix the leftover is deleted."""
    tmp = ws.home.outbox / "tmp"
    left = [p for p in tmp.iterdir() if p.is_file()] if tmp.is_dir() else []
    if not left:
        return
    if fix:
        for path in left:
            path.unlink(missing_ok=True)
        report.fixed.append(f"deleted {len(left)} unfinished letters from the outbox's tmp/")
    else:
        report.notes.append(f"{len(left)} unfinished letters, in plain text, were left in "
                            f"{tmp} by an interrupted send: `sar doctor --fix` deletes them "
                            "(the evidence store keeps what was sent)")


def _stored_evidence(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    return {p.parent.name + p.name for p in root.rglob("*")
            if p.is_file() and len(p.parent.name) == 2}


def check(ws, fix: bool = False) -> Report:
    report = Report()
    root = ws.home.root
    if not root.exists():
        report.notes.append(f"{root} does not exist yet: nothing to check")
        return report
    _permissions(root, report, fix)
    stored = _stored_evidence(ws.home.evidence)
    if not ws.home.db_path.exists() or ws.home.db_path.stat().st_size == 0:
        if stored:
            report.problems.append(
                f"the database {ws.home.db_path.name} is missing or empty, but {len(stored)} "
                "evidence files remain: the log is lost — restore it from `sar backup` "
                "(do not run other commands first: they would start a new, empty log)")
        return report
    db = ws.db
    if stored and not db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]:
        report.problems.append(f"the database holds no requests, but {len(stored)} evidence "
                               "files remain: restore it from `sar backup`")
    try:
        ws.profile()
    except Exception:  # noqa: BLE001 - ProfileMissingError or an unreadable config
        # A campaign's letters name its participants, not the operator.
        if db.execute("SELECT COUNT(*) FROM requests WHERE campaign_id IS NULL").fetchone()[0]:
            report.problems.append("there is no profile (config.toml): letters cannot be "
                                   "written; restore it from `sar backup`, or `sar init`")
    if ws.home.encrypted and ws.home.outbox.is_dir():
        clear = sum(1 for p in ws.home.outbox.rglob("*") if p.is_file())
        if clear:
            report.notes.append(f"{clear} letters in the Maildir outbox are not encrypted (mail "
                                "programs read them): delete them once sent, or send by SMTP")
    _outbox_leftovers(ws, report, fix)
    handed = ws.home.root / "campaigns"
    if ws.home.encrypted and handed.is_dir():
        clear = sum(1 for p in handed.glob("*/letters/*/*.eml"))
        if clear:
            report.notes.append(f"{clear} self-send letters under campaigns/ are not encrypted "
                                "(participants' mail programs open them): hand them over, "
                                "then delete them")
    _integrity(db, report)
    _chain(ws, report)
    _evidence(ws, report)
    if fix:
        changed = ws.log.reassess()
        if changed:
            report.fixed.append(f"recomputed {changed} requests' cached status")
    _cache(ws, report)
    _sends(ws, report)
    _sync(ws, report, ws.today)
    return report


def backup(ws, out: Path) -> dict:
    """A consistent copy of the home as a .tar.gz: the database snapshot, config,
    the user's records and templates, and every evidence file."""
    import io
    import sqlite3
    import tarfile
    import tempfile

    from sar.errors import UsageError
    from sar.files import write_private

    out = Path(out).expanduser()
    if out.is_dir():
        raise UsageError(f"cannot write {out}: it is a folder; name a file, e.g. "
                         f"{out / 'sar-backup.tar.gz'}")
    if not out.name.lower().endswith((".tar.gz", ".tgz")):
        raise UsageError("the backup is a .tar.gz file: give -o FILE.tar.gz")
    if not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: the folder {out.parent} does not exist")
    if out.exists():
        raise UsageError(f"{out} exists: it may be an earlier backup; choose another name")
    root = ws.home.root
    if not ws.home.db_path.exists():
        raise UsageError(f"nothing to back up in {root} yet")
    if out.resolve().is_relative_to(root.resolve()):
        raise UsageError("put the backup outside the sar home it copies")
    buffer = io.BytesIO()
    files = 0
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / "sar.db"
        if ws.home.key is not None:
            from sar.store.db import cipher_target

            target = cipher_target(snapshot, ws.home.key)   # the copy stays encrypted
        else:
            target = sqlite3.connect(snapshot)
        with target:
            ws.db.conn.backup(target)   # online and consistent, while others write
        target.close()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            def add(path: Path, name: str):
                nonlocal files
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o700 if info.isdir() else 0o600
                with open(path, "rb") if info.isfile() else _null() as f:
                    tar.addfile(info, f if info.isfile() else None)
                files += info.isfile()

            add(snapshot, "sar-home/sar.db")
            for name in ("config.toml", "config.toml.enc", "crypto.json", "groups.toml"):
                if (root / name).is_file():
                    add(root / name, f"sar-home/{name}")
            for sub in ("orgs", "templates", "evidence"):
                base = root / sub
                if not base.is_dir():
                    continue
                for path in sorted(base.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        add(path, f"sar-home/{path.relative_to(root)}")
    data = buffer.getvalue()
    write_private(out, data)
    missing = [d for d, in ws.db.execute("SELECT sha256 FROM messages WHERE sha256 IS NOT "
                                         "NULL") if not ws.evidence.path(d).exists()]
    return {"backup": str(out), "files": files, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "missing_evidence": len(missing)}


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
