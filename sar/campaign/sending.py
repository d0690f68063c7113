"""Sending a campaign's letters and reminders: through the outbox for an agent
campaign, handed out as .eml files for a self-send one; and its complaints."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sar.campaign.drafting import CHUNK, draft, readiness
from sar.campaign.hooks import campaign_dir, pseudonym_of
from sar.campaign.setup import opened
from sar.errors import SarError, UsageError
from sar.store import db as store
from sar.store.db import now


def rows(ws, c: dict, sql: str, params: dict | None = None):
    """Campaign requests in chunks, so 200,000 of them never sit in memory. `sql`
    may name :today (the workspace's) and its own `params` by name."""
    last = 0
    while True:
        chunk = list(ws.db.query(
            f"SELECT * FROM requests WHERE campaign_id = :campaign AND id > :last AND "
            f"({sql}) ORDER BY id LIMIT {CHUNK}",
            {**(params or {}), "campaign": c["id"], "last": last,
             "today": ws.today.isoformat()}))
        if not chunk:
            return
        last = chunk[-1]["id"]
        yield chunk


def overdue_chunks(ws, c: dict):
    """The campaign's overdue requests, chosen by SQLite from the cached columns; a
    request whose cache is newer than a what-if today is re-derived."""
    from sar.store import requests as request_table

    overdue = request_table.shown_condition("overdue")
    unknown = None
    for chunk in rows(ws, c, f"({overdue}) OR last_event_on > :today"):
        if any(r["last_event_on"] and r["last_event_on"] > ws.today.isoformat()
               for r in chunk):
            unknown = ws.queries.send_unknown() if unknown is None else unknown
            chunk = [r for r in chunk if ws.queries.summary(r, unknown)["status"] == "overdue"]
        yield chunk


def _drafts(ws, c: dict) -> int:
    return ws.db.execute("SELECT COUNT(*) FROM requests WHERE campaign_id = ? AND "
                         "status = 'draft'", [c["id"]]).fetchone()[0]


def send(ws, name: str, *, ready_only: bool = False, dry_run: bool = False,
         rate: float | None = None, progress=None) -> dict:
    """Draft what is owed, then send (agent) or hand out (self) every draft."""
    c = opened(ws, name)
    if dry_run:
        return {"campaign": c["name"], "mode": c["mode"], "dry_run": True,
                **readiness(ws, c), "drafts": _drafts(ws, c)}
    drafted = draft(ws, name, ready_only=ready_only)
    if c["mode"] == "self":
        counts = hand_out(ws, c, "letter", progress)
    else:
        counts = through_outbox(ws, c, "letter", rate, progress)
    return {"campaign": c["name"], "mode": c["mode"], **drafted, **counts}


def through_outbox(ws, c: dict, purpose: str, rate, progress) -> dict:
    from sar.mail.outbox import STOPPED, SendOptions

    outbox = ws.sending.ready(ws.sending.outbox(purpose))
    counts: dict[str, int] = {}
    done = 0
    if purpose == "letter":
        chunks, total = rows(ws, c, "status = 'draft'"), _drafts(ws, c)
    else:
        chunks, total = overdue_chunks(ws, c), None
    for chunk in chunks:
        # The bar moves as each letter is handed over, not when a chunk ends.
        each = None if progress is None else (
            lambda i, _n, ref, before=done: progress(before + i, total, ref))
        batch = outbox.send(chunk, SendOptions(rate=rate, progress=each))
        for result in batch:
            if batch.interrupted and result.detail == STOPPED:
                continue  # not sent, not refused: left for the next run
            counts[result.status] = counts.get(result.status, 0) + 1
            done += 1
        if batch.interrupted:
            # Ctrl-C: stop after the letter being handed over, say so (exit 130).
            counts["interrupted"] = 1
            break
    return counts


def hand_out(ws, c: dict, purpose: str, progress) -> dict:
    """Self-send: write each letter as an .eml for its participant to send from their
    own address. Writing a file twice is harmless, so this needs no outbox; the
    request stays a draft until the participant's copy comes back (or `sar send REF
    --confirm-sent`)."""
    written = skipped = done = 0
    if purpose == "letter":
        chunks, total = rows(ws, c, "status = 'draft'"), _drafts(ws, c)
    else:
        chunks, total = overdue_chunks(ws, c), None
    for chunk in chunks:
        # The files of a chunk are written one by one and recorded in one transaction
        # (also when a letter fails half-way): a crash before it leaves files that the
        # next run writes again, which is harmless.
        pending: list[dict] = []
        try:
            for row in chunk:
                done += 1
                if ws.db.execute("SELECT 1 FROM messages WHERE request_id = ? AND purpose "
                                 "= ? AND state = 'handed-out'",
                                 [row["id"], purpose]).fetchone():
                    skipped += 1
                    continue
                if purpose == "letter":
                    row = ws.drafting.refresh_snapshots(row)
                try:
                    letter, thread = ws.letters.outgoing(row, purpose)
                except SarError:
                    if purpose == "letter":
                        raise
                    skipped += 1  # a reminder not due: answered meanwhile, clock stopped
                    continue
                pending.append(_write_hand_out(ws, c, row, purpose, letter, thread))
                written += 1
                if progress:
                    progress(done, total, row["ref"])
        finally:
            if pending:
                with ws.transaction():
                    for message in pending:
                        store.insert(ws.db, "messages", message)
    return {"handed_out": written, "already_handed_out": skipped}


def _write_hand_out(ws, c: dict, row: dict, purpose: str, letter, thread) -> dict:
    """Write the letter's file (and its evidence); the messages row to record."""
    from sar.files import write_private

    when = ws.sending.send_time() or dt.datetime.combine(ws.today, dt.time(12),
                                                         tzinfo=dt.UTC)
    msg, raw = ws.letters.compose(row, letter, when, current=purpose != "letter",
                                  in_reply_to=thread)
    root = campaign_dir(ws, c["name"]) / "letters"
    folder = ws.home.subdir(root / pseudonym_of(ws, row["participant_id"]))
    suffix = "" if purpose == "letter" else f"-{purpose}"
    target = folder / f"{row['ref']}{suffix}.eml"
    digest = ws.evidence.put(raw)
    write_private(target, raw)
    return {"request_id": row["id"], "direction": "out", "state": "handed-out",
            "transport": "hand-out", "purpose": purpose,
            "message_id": msg["Message-ID"], "subject": str(msg["Subject"]),
            "from_addr": str(msg["From"]),
            "to_addrs": json.dumps([str(msg["To"])], ensure_ascii=False),
            "date": str(msg["Date"]), "sha256": digest, "size": len(raw),
            "detail": f"handed out: {target.relative_to(ws.home.root)}",
            "created_at": now(), "updated_at": now()}


def remind(ws, name: str, *, progress=None) -> dict:
    """A reminder for every overdue request of the campaign, each on its own thread
    and recorded on its own request."""
    c = opened(ws, name)
    if c["mode"] == "self":
        return {"campaign": c["name"], **hand_out(ws, c, "reminder", progress)}
    return {"campaign": c["name"], **through_outbox(ws, c, "reminder", None, progress)}


def complain(ws, name: str, out_dir: Path, *, to: str | None = None) -> dict:
    """A complaint bundle (`sar complain`) for every overdue request that was reminded
    and still not answered, one ZIP each in `out_dir`; each records `escalated` on its
    own request."""
    from sar import complaint

    c = opened(ws, name)
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"-o {out_dir}: not a folder")
    if not out_dir.parent.is_dir():
        raise UsageError(f"-o {out_dir}: the folder {out_dir.parent} does not exist")
    made, not_yet = [], {}
    for chunk in overdue_chunks(ws, c):
        for row in chunk:
            out_dir.mkdir(mode=0o700, exist_ok=True)  # made once there is something to file
            try:
                complaint.complain(ws, row["ref"], out=out_dir / f"{row['ref']}.zip",
                                   authority=to)
            except UsageError as e:
                # Not reminded yet, or inside a reminder's final date: per request.
                why = str(e).removeprefix(f"{row['ref']}: ")
                not_yet[why] = not_yet.get(why, 0) + 1
                continue
            made.append(row["ref"])
    return {"campaign": c["name"], "bundles": made, "not_yet": not_yet,
            "folder": str(out_dir)}
