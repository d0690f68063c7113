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
    return store.one(db, "SELECT * FROM requests WHERE ref = ?", [ref])


def by_id(db, request_id: int) -> dict:
    found = store.one(db, "SELECT * FROM requests WHERE id = ?", [request_id])
    if found is None:
        raise KeyError(f"no request #{request_id}")  # a caller's bug: ids come from rows
    return found


def cache_basis(db) -> str | None:
    """The deadline settings (as JSON) every row's cache was last worked out under."""
    found = db.execute("SELECT deadlines FROM cache_basis WHERE id = 1").fetchone()
    return found[0] if found else None


def set_cache_basis(db, deadlines: str) -> None:
    db.execute("INSERT INTO cache_basis (id, deadlines) VALUES (1, ?) "
               "ON CONFLICT (id) DO UPDATE SET deadlines = excluded.deadlines", [deadlines])


def all_refs(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT ref FROM requests")]


def ref_taken(db, ref: str) -> bool:
    return db.execute("SELECT 1 FROM requests WHERE ref = ?", [ref]).fetchone() is not None


def rows(db) -> list[dict]:
    return list(db.query("SELECT * FROM requests"))


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


_UNSENT = ", ".join(f"'{s}'" for s in lifecycle.UNSENT)
_IN_DOUBT_IDS = f"SELECT request_id FROM messages WHERE {IN_DOUBT}"
# The status the board shows, worked out by SQLite from the cached columns (as
# sar.core.lifecycle.status_on and Queries.summary do for one row): overdue is a
# running status past its due date (:today), a draft or bounce whose letter may
# have gone is send-unknown.
SHOWN = (f"CASE WHEN status IN ({_UNSENT}) AND id IN ({_IN_DOUBT_IDS}) THEN "
         f"'{lifecycle.SEND_UNKNOWN}' WHEN status IN ({_RUNNING}) AND due IS NOT NULL AND "
         f"due < :today THEN 'overdue' ELSE status END")
# A fulfilled request whose review found gaps (m013's cache): answered-incomplete.
GAPS = "(status = 'fulfilled' AND answer_gaps IS NOT NULL AND answer_gaps != '[]')"
# Still the organisation's to answer or the user's to move (Queries.urgent).
STILL_OPEN = f"status NOT IN ({_CLOSED}) OR {GAPS}"
# A running request due by :last (Queries.due). The unary + keeps SQLite from
# answering it on the status index, which would sort every such row again for each
# page: the rows due by then are the start of the due-date index, walked in order.
DUE_BY = f"+status IN ({_RUNNING}) AND due IS NOT NULL AND due <= :last"
BOARD_COLUMNS = ("id, ref, org_slug, kind, regime, channel, due, created_on, answer_gaps, "
                 f"{SHOWN} AS shown")


def shown_condition(status: str) -> str:
    """SQL for "the board shows this status" (no what-if re-derivation: see
    `current`). `answered-incomplete` is the fulfilled with gaps."""
    if status == lifecycle.SEND_UNKNOWN:
        return f"status IN ({_UNSENT}) AND id IN ({_IN_DOUBT_IDS})"
    if status in lifecycle.UNSENT:
        return f"status = '{status}' AND id NOT IN ({_IN_DOUBT_IDS})"
    if status == "overdue":
        return f"+status IN ({_RUNNING}) AND due IS NOT NULL AND due < :today"  # as DUE_BY
    if status in lifecycle.RUNNING:
        return f"status = '{status}' AND (due IS NULL OR due >= :today)"
    if status == "answered-incomplete":
        return GAPS
    return f"status = '{status}'"


def current(org: str | None = None, kind: str | None = None,
            campaign_id: int | None = None) -> tuple[str, dict]:
    """The WHERE clause (and its parameters) of the requests that existed on :today
    and whose cache is not newer than it, so their cached columns are the truth as of
    then. The others (`later`) are re-derived in Python: a what-if day only."""
    # (coalesce, not OR: an OR would have SQLite leave the covering index for two.)
    where = ["created_on <= :today", "coalesce(last_event_on, '') <= :today"]
    params: dict = {}
    for column, value in (("org_slug", org), ("kind", kind), ("campaign_id", campaign_id)):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    return " AND ".join(where), params


def later(db, today: dt.date, org: str | None = None, kind: str | None = None,
          campaign_id: int | None = None) -> list[dict]:
    """Rows drafted by `today` whose cache holds events after it (a what-if day in
    the past): the caller re-derives them. None when today is today."""
    where, params = current(org, kind, campaign_id)
    where = where.replace("coalesce(last_event_on, '') <= :today", "last_event_on > :today")
    # No ORDER BY: it would have SQLite walk the whole table by id instead of the
    # few rows the last_event_on index names (the caller sorts them); INDEXED BY, or a
    # campaign's or an organisation's index would be walked instead, row by row.
    return list(db.query("SELECT * FROM requests INDEXED BY requests_last_event_on "
                         f"WHERE {where}", {**params, "today": today.isoformat()}))


def board_pages(db, today: dt.date, condition: str = "1", params: dict | None = None,
                page: int = 500):
    """Rows (BOARD_COLUMNS) of `current` requests meeting `condition`, due soonest
    first then those with no due date, each by id: pages of `page` read with a keyset
    on (due, id), so no more than a page is ever in memory and a LIMIT stops early.
    The order is walked on the requests_board_due index (m017)."""
    params = {**(params or {}), "today": today.isoformat(), "page": page}
    base = f"SELECT {BOARD_COLUMNS} FROM requests WHERE ({condition})"
    after: tuple = ("", 0)
    while True:  # those with a due date, soonest first
        rows = db.execute(base + " AND due IS NOT NULL AND (due, id) > (:d, :i) "
                          "ORDER BY due, id LIMIT :page",
                          {**params, "d": after[0], "i": after[1]}).fetchall()
        if rows:
            yield rows
            after = (rows[-1][6], rows[-1][0])
        if len(rows) < page:
            break
    last = 0
    while True:  # then those without one (drafts, mostly), oldest first
        rows = db.execute(base + " AND due IS NULL AND id > :i ORDER BY id LIMIT :page",
                          {**params, "i": last}).fetchall()
        if rows:
            yield rows
            last = rows[-1][0]
        if len(rows) < page:
            return


def shown_counts(db, today: dt.date, condition: str = "1",
                 params: dict | None = None) -> list[tuple[str, bool, int]]:
    """(shown status, answered incomplete?, how many) over `current` requests, counted
    by SQLite in one pass over a covering index (m017), in its status order: each
    status counted with the few conditions that change what it shows (SHOWN, GAPS),
    so no sort of every row by its shown status."""
    rows = db.execute(
        f"SELECT status, COUNT(*), TOTAL(due IS NOT NULL AND due < :today), TOTAL({GAPS}), "
        f"TOTAL(id IN ({_IN_DOUBT_IDS})) FROM requests WHERE ({condition}) GROUP BY status",
        {**(params or {}), "today": today.isoformat()}).fetchall()
    out: dict[tuple[str, bool], int] = {}
    for status, n, late, gaps, doubt in rows:
        if status in lifecycle.UNSENT:
            parts = [(lifecycle.SEND_UNKNOWN, False, int(doubt)), (status, False, n - int(doubt))]
        elif status in lifecycle.RUNNING:
            parts = [("overdue", False, int(late)), (status, False, n - int(late))]
        else:  # GAPS holds for a fulfilled one only
            parts = [(status, True, int(gaps)), (status, False, n - int(gaps))]
        for shown, incomplete, count in parts:
            if count:
                out[shown, incomplete] = out.get((shown, incomplete), 0) + count
    return [(shown, incomplete, n) for (shown, incomplete), n in out.items()]


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


# What the calendar writes of a request bar its reference (running_cached's columns).
RUNNING_CACHED = ("regime", "calendar", "status", "organisation_id", "org_slug", "kind",
                  "channel", "due", "deadline_cache")


def running_cached(db, today: dt.date) -> list[tuple]:
    """The requests whose cached status says their statutory clock runs, whose cache
    is as of `today` (no what-if) and holds their deadline (m019), grouped by
    everything the calendar writes of them bar the reference (RUNNING_CACHED), each
    group with its refs joined by U+001F: a campaign's letters sent to one
    organisation on one day share one set of dates. Found by the status index."""
    columns = ", ".join(RUNNING_CACHED)
    return db.execute(
        f"SELECT {columns}, group_concat(ref, char(31)) FROM requests WHERE "
        f"status IN ({_RUNNING}) AND created_on <= :today AND "
        "coalesce(last_event_on, '') <= :today AND deadline_cache IS NOT NULL "
        f"GROUP BY {columns}", {"today": today.isoformat()}).fetchall()


def running_uncached(db, today: dt.date) -> list[dict]:
    """The requests the calendar works out from their events: drafted by `today` with
    a cache newer than it (a what-if day in the past, when their clock may have been
    running), or running with no deadline cached (a home from before m019)."""
    return list(db.query(
        "SELECT * FROM requests INDEXED BY requests_last_event_on WHERE created_on <= "
        ":today AND last_event_on > :today UNION ALL SELECT * FROM requests WHERE "
        f"status IN ({_RUNNING}) AND deadline_cache IS NULL AND created_on <= :today AND "
        "coalesce(last_event_on, '') <= :today", {"today": today.isoformat()}))
