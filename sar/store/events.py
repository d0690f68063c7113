"""The event log: every fact about a request, append-only, each row's hash chained
on the one before (DESIGN.md: the log is the truth).

`EventLog` owns the `events` table. Appending an event checks it against the
request's history (sar.core.lifecycle), and writes it together with the request's
cached status, due date and latest event day, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass

from sar.core import lifecycle
from sar.core.lifecycle import Event
from sar.errors import InvalidEventError
from sar.store import db as store
from sar.store import requests as request_table
from sar.store.db import now

GENESIS = "0" * 64  # the "previous hash" of a request's first event



def event_record(request_id: int, event: Event, prev_hash: str) -> dict:
    """An events row, its hash chained on the one before (`sar doctor` checks it)."""
    record = {"request_id": request_id, "seq": event.seq, "kind": event.kind,
              "occurred_on": event.on.isoformat(),
              "occurred_at": event.at.isoformat() if event.at else None,
              "source": event.source,
              "details": json.dumps(event.details, sort_keys=True, ensure_ascii=False)}
    return {**record, "prev_hash": prev_hash, "hash": chain_hash(prev_hash, record)}


def chain_hash(prev_hash: str, record: dict) -> str:
    """An event's hash: SHA-256 over the one before and its own stored fields."""
    return hashlib.sha256((prev_hash + json.dumps(
        {k: record[k] for k in ("seq", "kind", "occurred_on", "occurred_at", "source",
                                "details")}, sort_keys=True)).encode()).hexdigest()


# The events `sar report` counts: bit i of a request's cached `kinds_seen` (m018)
# says whether REPORT_FLAGS[i] has happened.
REPORT_FLAGS = ("bounced", "acknowledged", "id-requested", "extended", "refused")
LOG_FACTS = ("first_sent_on", "first_answer_on", "kinds_seen")


def log_facts(events) -> dict:
    """What the report counts of a request's log, cached on its row (m018): the day
    of the first letter sent or posted and of the first answer, in recording order,
    and which of REPORT_FLAGS have happened (bits)."""
    by_seq = sorted(events, key=lambda e: e.seq)
    sent = next((e.on for e in by_seq if e.kind in ("sent", "posted")), None)
    answer = next((e.on for e in by_seq if e.kind in lifecycle.ANSWERS), None)
    kinds = {e.kind for e in events}
    return {"first_sent_on": sent and sent.isoformat(),
            "first_answer_on": answer and answer.isoformat(),
            "kinds_seen": sum(1 << i for i, k in enumerate(REPORT_FLAGS) if k in kinds)}


def row_cache(events, assessment: lifecycle.Assessment, regime: str, calendar: str,
              today: dt.date, options=None) -> dict:
    """Everything a request's row caches of its log (DESIGN.md: derived from the
    events, written in the same transaction as each): status and due date
    (Assessment.cached), the report's facts (log_facts), and the deadline as the
    calendar and the report read it (m019): the running clock's dates
    (Assessment.dates) and, once answered, the due date before the first answer
    (lifecycle.answer_due), as compact JSON; NULL when there is neither."""
    kept = assessment.dates()
    if any(e.kind in lifecycle.ANSWERS for e in events):
        due = lifecycle.answer_due(events, regime, calendar, today, options)
        kept["answer_due"] = due and due.isoformat()
    return {**assessment.cached(), **log_facts(events),
            "deadline_cache": json.dumps(kept, ensure_ascii=False, sort_keys=True,
                                         separators=(",", ":")) if kept else None}


def settings_key(options) -> str:
    """Deadline settings (sar.core.deadlines.Options) as the JSON cache_basis keeps."""
    return json.dumps(asdict(options), sort_keys=True, separators=(",", ":"))


def first_event_record(request_id: int, event: Event) -> dict:
    """The first event of a new request (bulk drafting), ready to insert."""
    event = Event(event.kind, event.on, event.source, event.details, 1, event.at)
    return {**event_record(request_id, event, GENESIS), "recorded_at": now()}


def broken_chains(db) -> tuple[int, list[tuple[int, int, str]]]:
    """Every event checked against its chain: how many, and (request id, seq, kind)
    of the first event of each request whose log was changed outside sar."""
    n, broken = 0, []
    current, prev, bad = None, GENESIS, False
    for r in db.query("SELECT * FROM events ORDER BY request_id, seq"):
        n += 1
        if r["request_id"] != current:
            current, prev, bad = r["request_id"], GENESIS, False
        elif bad:
            continue
        if r["prev_hash"] != prev or r["hash"] != chain_hash(prev, r):
            broken.append((r["request_id"], r["seq"], r["kind"]))
            bad = True
        prev = r["hash"]
    return n, broken


@dataclass
class PreparedEvent:
    """An event checked and worked out, ready to be written (EventLog.write)."""

    row: dict
    event: Event
    record: dict       # the events row, hash included
    cache: dict        # the request's new status, due and last_event_on
    assessment: lifecycle.Assessment


class EventLog:
    """The events of one home's requests. `ws` gives the database, today's date and
    the deadline options (sar.workspace.Workspace)."""

    def __init__(self, ws):
        self.ws = ws

    def of(self, request_id: int) -> list[Event]:
        out = []
        for r in store.rows(self.ws.db, "SELECT * FROM events WHERE request_id = ? ORDER BY "
                            "seq", [request_id]):
            at = dt.datetime.fromisoformat(r["occurred_at"]) if r["occurred_at"] else None
            out.append(Event(r["kind"], dt.date.fromisoformat(r["occurred_on"]), r["source"],
                             json.loads(r["details"]), r["seq"], at))
        return out

    def assess(self, row: dict, events: list[Event] | None = None, *,
               as_of_today: bool = True) -> lifecycle.Assessment:
        """Status and deadline. As of today, events dated later are not seen yet, so
        SAR_TODAY in the past shows the board as it stood then."""
        ws = self.ws
        events = self.of(row["id"]) if events is None else events
        if as_of_today:
            events = [e for e in events if e.on <= ws.today]
        return lifecycle.assess(events, row["regime"], row["calendar"], ws.today,
                                ws.options())

    def check(self, row: dict, event: Event) -> None:
        """Raise InvalidEventError if `event` does not fit the request's history."""
        events = self.of(row["id"])
        seq = max((e.seq for e in events), default=0) + 1
        lifecycle.derive([*events, Event(event.kind, event.on, event.source, event.details,
                                         seq, event.at)])

    def prepare(self, row: dict, event: Event) -> PreparedEvent:
        """Check an event against the history and work out everything it writes: the
        log row with its chained hash, and the request's new cached status and due
        date. Writing it later (`write`) is then two statements, which keeps the work
        between a message's hand-over and its record short."""
        events = self.of(row["id"])
        seq = max((e.seq for e in events), default=0) + 1
        event = Event(event.kind, event.on, event.source, event.details, seq, event.at)
        try:
            lifecycle.derive([*events, event])
        except InvalidEventError as e:
            failing = getattr(e, "event", event)
            if failing.seq == seq:
                raise
            raise InvalidEventError(
                f"cannot record {event.kind} on {event.on}: the {failing.kind} recorded "
                f"for {failing.on} would no longer fit ({e})") from None
        assessment = self.assess(row, [*events, event], as_of_today=False)
        record = event_record(row["id"], event, self._last_hash(row["id"]))
        cache = {**self._cache(row, [*events, event], assessment),
                 "last_event_on": max(e.on for e in [*events, event]).isoformat()}
        return PreparedEvent(row, event, record, cache, assessment)

    def write(self, prepared: PreparedEvent) -> None:
        """Write a prepared event, inside the caller's transaction. If the request's
        log has moved on since it was prepared, prepare it again."""
        db = self.ws.db
        if self._last_hash(prepared.row["id"]) != prepared.record["prev_hash"]:
            prepared = self.prepare(prepared.row, prepared.event)
        store.insert(db, "events", {**prepared.record, "recorded_at": now()})
        request_table.update(db, prepared.row["id"], prepared.cache)

    def append(self, row: dict, event: Event) -> lifecycle.Assessment:
        """Add one event and refresh the cached status and due date, atomically."""
        with self.ws.transaction():
            prepared = self.prepare(row, event)
            self.write(prepared)
        return prepared.assessment

    def reassess(self) -> int:
        """Recompute every request's cache from its events, closed ones too (an answered
        request keeps the due date its answer is judged by): status, due dates and the
        log's facts, in one transaction. Returns how many changed."""
        ws = self.ws
        changed = 0
        with ws.transaction():
            for row in request_table.rows(ws.db):
                cache = self.cache_of(row)
                if any(cache[k] != row[k] for k in cache):
                    request_table.update(ws.db, row["id"], cache)
                    changed += 1
            request_table.set_cache_basis(ws.db, settings_key(ws.options()))
        return changed

    def follow_settings(self, always: bool = False) -> int | None:
        """After the deadline settings changed behind sar's back (config.toml edited by
        hand), recompute every cache, as `sar config set` would: else the board, the
        calendar and the report keep due dates worked out under the old rules (a late
        answer counted as on time). `always`: recompute even if the settings recorded
        are the current ones (this process wrote under others since: Workspace.
        follow_config). The first time, the settings are only recorded. Never waits:
        while another sar writes, this is left to the next command (a read must not
        fail on a lock); settings that are not valid are named in a warning and not
        followed. Returns how many requests changed, or None."""
        from sar.errors import SarError

        ws = self.ws
        try:
            current = settings_key(ws.options())
        except SarError as e:
            # Not valid (edited by hand): the board still shows what it has, and says
            # why it did not follow; a command that works a date out fails on it.
            ws.warn(f"{e}; due dates stay as last worked out until it is fixed")
            return None
        if not always and request_table.cache_basis(ws.db) == current:
            return None  # the usual case: one read, no lock
        with store.no_waiting(ws.db):
            try:
                with ws.transaction():
                    kept = request_table.cache_basis(ws.db)  # again, under the lock
                    if kept is None and not always:
                        request_table.set_cache_basis(ws.db, current)
                        return None
                    if kept == current and not always:
                        return None  # another sar did it meanwhile
                    ws.notice("The deadline settings in config.toml changed: working out "
                              "every request's due date again.")
                    return self.reassess()
            except Exception as e:
                if store.busy(e):
                    return None
                raise

    def cache_of(self, row: dict) -> dict:
        """What a request's row caches of its events, worked out from them
        (row_cache)."""
        events = self.of(row["id"])
        return self._cache(row, events, self.assess(row, events, as_of_today=False))

    def _cache(self, row: dict, events: list[Event], assessment) -> dict:
        return row_cache(events, assessment, row["regime"], row["calendar"], self.ws.today,
                         self.ws.options())

    def _last_hash(self, request_id: int) -> str:
        prev = self.ws.db.execute("SELECT hash FROM events WHERE request_id = ? ORDER BY seq "
                                  "DESC LIMIT 1", [request_id]).fetchone()
        return prev[0] if prev else GENESIS


def report_facts(db, today: dt.date, where: str, params: dict, after: int, limit: int):
    """What `sar report` needs of each request, aggregated by SQLite over its events
    dated by `today`: (id, ref, org_slug, participant_id, regime, calendar, status,
    due, shown status, the first sent or posted as "SEQ(10 digits)DAY", bounced,
    acknowledged, id-requested, extended, refused, the first answer as
    "SEQ(10 digits)DAY"); the last six are None for a request with no event by
    then. Requests `where` holds, id > `after`, `limit` of them, by id."""
    # NOT INDEXED: walk the rowid from `after`, one pass in all, rather than sort
    # every campaign request again for each chunk.
    requests = db.execute(
        "SELECT id, ref, org_slug, participant_id, regime, calendar, status, due, "
        f"{request_table.SHOWN} FROM requests NOT INDEXED WHERE ({where}) AND id > :after "
        "ORDER BY id LIMIT :limit",
        {**params, "today": today.isoformat(), "after": after, "limit": limit}).fetchall()
    if not requests:
        return []
    answers = ", ".join(f"'{k}'" for k in lifecycle.ANSWERS)
    # The events of the id range, in the UNIQUE (request_id, seq) index's order: no
    # sort, no temporary table.
    facts = {r[0]: r[1:] for r in db.execute(
        "SELECT request_id, MIN(CASE WHEN kind IN ('sent', 'posted') THEN "
        "printf('%010d', seq) || occurred_on END), MAX(kind = 'bounced'), "
        "MAX(kind = 'acknowledged'), MAX(kind = 'id-requested'), MAX(kind = 'extended'), "
        f"MAX(kind = 'refused'), MIN(CASE WHEN kind IN ({answers}) THEN "
        "printf('%010d', seq) || occurred_on END) FROM events WHERE request_id > ? AND "
        "request_id <= ? AND occurred_on <= ? GROUP BY request_id",
        [after, requests[-1][0], today.isoformat()])}
    none = (None,) * 7
    return [(*r, *facts.get(r[0], none)) for r in requests]


def _late() -> str:
    """SQL: overdue on :today (a running or escalated request past its cached due
    date: late, and still owed)."""
    late = ", ".join(f"'{s}'" for s in (*lifecycle.RUNNING, "escalated"))
    return f"(status IN ({late}) AND due IS NOT NULL AND due < :today)"


def report_cells(db, today: dt.date, where: str, params: dict) -> tuple[list, dict]:
    """`sar report`'s figures of the sent requests `where` holds, counted by SQLite
    from what their rows cache of their logs (m018), in cells of alike requests, in
    one walk of the table by id. Returns (cells, people):

    cells: (org_slug, first sent day, first answer day or None, flags, regime,
    calendar, the due date before the first answer, how many, the lowest id). Flags:
    bit i when REPORT_FLAGS[i] has happened (kinds_seen), bit 5 when overdue now (late
    and still owed), bit 6 when its letter bounced and was not sent again, bit 7 when
    it was answered but its row caches no deadline (a home from before m019): such a
    request is a cell of its own, its due date worked out from its events by the
    caller;
    people: org_slug -> who asked (participant id, else ref), distinct, comma-joined."""
    rows = db.execute(
        "WITH facts AS MATERIALIZED (SELECT id, org_slug, regime, calendar, first_sent_on, "
        f"first_answer_on, kinds_seen + 32 * {_late()} + 64 * (kinds_seen & 1 AND "
        "status = 'bounced') + 128 * (first_answer_on IS NOT NULL AND deadline_cache IS "
        "NULL) AS flags, coalesce(participant_id, ref) AS who, deadline_cache ->> "
        "'answer_due' AS answer_due FROM requests r NOT INDEXED WHERE "
        f"id > 0 AND ({where}) AND first_sent_on IS NOT NULL) "
        "SELECT 'cell', org_slug, first_sent_on, first_answer_on, flags, regime, calendar, "
        "answer_due, COUNT(*), MIN(id) FROM facts GROUP BY 2, 3, 4, 5, 6, 7, 8, "
        "CASE WHEN flags & 128 THEN id END "
        "UNION ALL SELECT 'people', org_slug, group_concat(DISTINCT who), NULL, NULL, NULL, "
        "NULL, NULL, NULL, NULL FROM facts GROUP BY org_slug",
        {**params, "today": today.isoformat()}).fetchall()
    return ([r[1:] for r in rows if r[0] == "cell"],
            {r[1]: r[2] for r in rows if r[0] == "people"})


def first_answers(db, request_ids: list[int]) -> dict[int, int]:
    """request id -> the seq of its first answer (in recording order)."""
    answers = ", ".join(f"'{k}'" for k in lifecycle.ANSWERS)
    return dict(db.execute(
        "SELECT request_id, MIN(seq) FROM events WHERE request_id IN (SELECT value FROM "
        f"json_each(?)) AND kind IN ({answers}) GROUP BY request_id",
        [json.dumps(request_ids)]).fetchall())


_FIELD, _ROW = "\x1f", "\x1e"  # ASCII unit and record separators: never in our fields


def histories_before(db, today: dt.date, answers: list[tuple[int, int, str]]) -> dict[int, str]:
    """For each (request id, seq, day) the events before that one and by `today`, as
    one string each (kind, day, time, source, details; in order), so that alike
    histories are alike strings and a caller can work each out once
    (`parse_history`). Joined by SQLite, in the (request_id, seq) index's order."""
    if not answers:
        return {}
    return dict(db.execute(
        "SELECT request_id, group_concat(line, ?) FROM (SELECT e.request_id, e.kind || ? || "
        "e.occurred_on || ? || coalesce(e.occurred_at, '') || ? || e.source || ? || e.details "
        "AS line FROM json_each(?) j JOIN events e ON e.request_id = j.value ->> 0 AND "
        "(e.occurred_on < j.value ->> 2 OR (e.occurred_on = j.value ->> 2 AND e.seq < "
        "j.value ->> 1)) AND e.occurred_on <= ? ORDER BY e.request_id, e.seq) "
        "GROUP BY request_id",
        [_ROW, _FIELD, _FIELD, _FIELD, _FIELD, json.dumps(answers), today.isoformat()]))


def parse_history(text: str | None) -> list[Event]:
    """The events of a `histories_before` string, numbered from 1."""
    out = []
    for i, line in enumerate(text.split(_ROW) if text else [], 1):
        kind, on, at, source, details = line.split(_FIELD)
        out.append(Event(kind, dt.date.fromisoformat(on), source, json.loads(details), i,
                         dt.datetime.fromisoformat(at) if at else None))
    return out
