"""The `requests` table: one row per letter thread, with its status and due date
cached from the event log (sar.store.events writes the cache; nothing else does).

Every statement on the table that more than one room needs lives here.
"""

from __future__ import annotations

import datetime as dt
import json

from sar.core import lifecycle
from sar.store import db as store
from sar.store.db import now

_CLOSED = ", ".join(f"'{s}'" for s in lifecycle.CLOSED)
_RUNNING = ", ".join(f"'{s}'" for s in lifecycle.RUNNING)
# Messages whose fate nobody knows: 'unknown', or 'sending' left by a process that
# died (until the next send settles it). See sar.mail.outbox.
IN_DOUBT = "state IN ('sending', 'unknown')"



def new_row(*, ref: str, requester_id: int, organisation_id: int, org_slug: str, kind: str,
            plan: dict, details: dict, today: dt.date, campaign_id: int | None = None,
            participant_id: int | None = None) -> dict:
    """A draft's row, before its `drafted` event: the one shape for one person's
    `sar new` and for a campaign's bulk drafting. `plan` is sar.drafting's plan."""
    row = {"ref": ref, "requester_id": requester_id, "organisation_id": organisation_id,
           "org_slug": org_slug, "kind": kind, "regime": plan["regime"],
           "channel": plan["channel"], "lang": plan["lang"], "calendar": plan["calendar"],
           "details": json.dumps(details), "created_on": today.isoformat(),
           "status": "draft", "due": None, "updated_at": now()}
    if campaign_id is not None:
        row |= {"last_event_on": today.isoformat(), "campaign_id": campaign_id,
                "participant_id": participant_id}
    return row


def insert(db, row: dict) -> int:
    return store.insert(db, "requests", row)


def update(db, request_id: int, values: dict) -> None:
    store.update(db, "requests", request_id, {**values, "updated_at": now()})


def by_ref(db, ref: str) -> dict | None:
    return next(db.query("SELECT * FROM requests WHERE ref = ?", [ref]), None)


def by_id(db, request_id: int) -> dict:
    return next(db.query("SELECT * FROM requests WHERE id = ?", [request_id]))


def all_refs(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT ref FROM requests")]


def ref_taken(db, ref: str) -> bool:
    return db.execute("SELECT 1 FROM requests WHERE ref = ?", [ref]).fetchone() is not None


def rows(db, *, open_only: bool = False) -> list[dict]:
    sql = "SELECT * FROM requests" + (f" WHERE status NOT IN ({_CLOSED})" if open_only else "")
    return list(db.query(sql))


def open_to(db, org_slug: str, kind: str) -> tuple[str, str] | None:
    """One person's open request of `kind` to an organisation: (ref, status)."""
    found = db.execute(
        f"SELECT ref, status FROM requests WHERE org_slug = ? AND kind = ? "
        f"AND status NOT IN ({_CLOSED}) AND campaign_id IS NULL ORDER BY id LIMIT 1",
        [org_slug, kind]).fetchone()
    return tuple(found) if found else None


def drafts_to_send(db) -> list[dict]:
    """One person's email drafts (a campaign's go with `sar campaign send`, which
    checks consent)."""
    return list(db.query("SELECT * FROM requests WHERE status = 'draft' AND channel = "
                         "'email' AND campaign_id IS NULL ORDER BY id"))


def send_unknown(db, request_id: int | None = None) -> set[int]:
    """Requests with a letter that may or may not have gone (see sar.mail.outbox)."""
    sql = f"SELECT DISTINCT request_id FROM messages WHERE {IN_DOUBT}"
    if request_id is None:
        return {r[0] for r in db.execute(sql)}
    return {r[0] for r in db.execute(sql + " AND request_id = ?", [request_id])}


def listing(db, today: dt.date, status: str | None = None, org: str | None = None,
            kind: str | None = None):
    """Rows for the board as of `today`, due soonest first. The status filter runs on
    the cached columns (fast for any number of requests); rows whose cache holds
    events after a what-if today come too, for the caller to re-derive."""
    where, params = [], []
    if org:
        where.append("org_slug = ?")
        params.append(org)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    day = today.isoformat()
    if status == lifecycle.SEND_UNKNOWN:
        condition, extra = ("status IN ('draft', 'bounced') AND id IN (SELECT request_id "
                            f"FROM messages WHERE {IN_DOUBT})"), []
    elif status == "overdue":
        condition, extra = f"status IN ({_RUNNING}) AND due IS NOT NULL AND due < ?", [day]
    elif status in lifecycle.RUNNING:
        condition, extra = "status = ? AND (due IS NULL OR due >= ?)", [status, day]
    elif status:
        condition, extra = "status = ?", [status]
    if status:
        where.append(f"(({condition}) OR last_event_on > ?)")
        params += [*extra, day]
    # A what-if day in the past shows the board as it stood: requests drafted later
    # did not exist yet.
    where.append("created_on <= ?")
    params.append(day)
    sql = "SELECT * FROM requests WHERE " + " AND ".join(where)
    return db.query(sql + " ORDER BY due IS NULL, due, id", params)


def snapshot(db, table: str, data: dict) -> int:
    """The id of a `requesters` or `organisations` snapshot with exactly this content,
    stored once (by its fingerprint) however many requests name it."""
    fingerprint = fingerprint_of(data)
    row = db.execute(f"SELECT id FROM {table} WHERE fingerprint = ?", [fingerprint]).fetchone()
    if row:
        return row[0]
    stored = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
              for k, v in data.items()}
    return store.insert(db, table, {**stored, "fingerprint": fingerprint,
                                    "created_at": now()})


def fingerprint_of(data: dict) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def organisation(db, organisation_id: int) -> dict:
    return next(db.query("SELECT * FROM organisations WHERE id = ?", [organisation_id]))


def requester(db, requester_id: int) -> dict:
    return next(db.query("SELECT * FROM requesters WHERE id = ?", [requester_id]))
