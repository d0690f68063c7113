"""What the organisation sent: the files attached to a request's replies, listed and
written back out (`sar attachments REF [--save DIR]`).

Each attachment is evidence, kept under its SHA-256 (one over the size limit only
inside its raw message, from which it is read again). A name comes from the
sender, so it is made safe: never a path, never a hidden or reserved name, never
over a file that is there already, never inside the sar home.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sar.errors import UsageError

_UNSAFE = re.compile(r"[^\w.\- ()+,@]+", re.UNICODE)


def listed(ws, row: dict) -> list[dict]:
    """The attachments of a request's incoming messages, oldest first."""
    return [{"message": r[0], "name": r[1] or f"attachment-{r[2]}", "content_type": r[3],
             "size": r[4], "sha256": r[5], "date": r[6], "from": r[7]}
            for r in ws.db.execute(
                "SELECT a.message_id, a.filename, a.id, a.content_type, a.size, a.sha256, "
                "m.date, m.from_addr FROM attachments a JOIN messages m ON m.id = a.message_id "
                "WHERE m.request_id = ? AND m.direction = 'in' ORDER BY a.id", [row["id"]])]


def safe_name(name: str, fallback: str) -> str:
    """A file name that is only a name: no folders, no leading dots, no control
    characters, not empty, not too long (255 bytes)."""
    name = name.replace("\\", "/").rpartition("/")[2]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name or set(name) <= {"_", "."}:
        name = fallback
    stem, dot, ext = name.rpartition(".")
    if len(name.encode()) > 255:
        ext = ext[:16] if dot else ""
        name = stem.encode()[:200].decode("utf-8", "ignore") + (f".{ext}" if ext else "")
    return name


def _free(folder: Path, name: str) -> Path:
    """`name` in `folder`, or `name (2)`, `name (3)`, ... when that is taken."""
    target = folder / name
    stem, suffix = target.stem, target.suffix
    n = 2
    while target.exists():
        target = folder / f"{stem} ({n}){suffix}"
        n += 1
    return target


def data_of(ws, attachment: dict) -> bytes:
    """An attachment's bytes: from the evidence store, or from its raw message when it
    was too large to keep apart."""
    try:
        data = ws.evidence.get(attachment["sha256"])
        if hashlib.sha256(data).hexdigest() == attachment["sha256"]:
            return data
    except OSError:
        pass
    from sar.mail import inbound

    digest = ws.db.execute("SELECT sha256 FROM messages WHERE id = ?",
                           [attachment["message"]]).fetchone()
    if digest and digest[0]:
        for a in inbound.parse(ws.evidence.get(digest[0])).attachments:
            if hashlib.sha256(a.data).hexdigest() == attachment["sha256"]:
                return a.data
    raise UsageError(f"attachment {attachment['name']!r} of message {attachment['message']} "
                     "is no longer in the evidence store (purged?)")


def save(ws, row: dict, folder: Path) -> list[dict]:
    """Write every attachment of the request into `folder` (made if missing, its
    parent must exist). Returns what was written, each with its path."""
    folder = Path(folder).expanduser()
    home = ws.home.root.resolve()
    where = folder.resolve()
    if where == home or home in where.parents:
        raise UsageError(f"--save {folder}: that is inside the sar home; choose a folder "
                         "of your own")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--save {folder}: not a folder")
    if not folder.parent.is_dir():
        raise UsageError(f"--save {folder}: the folder {folder.parent} does not exist")
    items = listed(ws, row)
    datas = [data_of(ws, a) for a in items]  # all readable, or nothing is written
    from sar.files import write_private

    folder.mkdir(mode=0o700, exist_ok=True)
    out = []
    for i, (a, data) in enumerate(zip(items, datas, strict=True), 1):
        target = _free(folder, safe_name(a["name"], f"attachment-{i}"))
        write_private(target, data)
        out.append({**a, "path": str(target)})
    return out
