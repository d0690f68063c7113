"""Reads that scale: the board's figures come from SQLite on indexes, rows stream in
pages, and the calendar's hand-written events are the bytes icalendar writes.
(Timing is in benchmarks/scale.py; these check the shape that makes it fast.)"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sar.workspace import Workspace

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def board(me):
    """Seven requests: answered, acknowledged, awaiting ID, two sent (one overdue by
    the later day used below), two drafts."""
    refs = [me("new", "access", "--to", org, "--again", "--json").json()[0]["ref"]
            for org in ("acme", "fictional-party", "acme", "acme", "acme", "acme", "acme")]
    me("send", *refs[:5])
    me("mark", refs[0], "fulfilled")
    me("mark", refs[1], "id-requested")
    me("mark", refs[2], "acknowledged")
    return me, refs


def _traced(ws, fn):
    """The SQL statements `fn` ran, with their parameters filled in."""
    seen: list[str] = []
    ws.db.conn.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        ws.db.conn.set_trace_callback(None)
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


def _plan(ws, sql: str) -> list[str]:
    return [r[3] for r in ws.db.conn.execute("EXPLAIN QUERY PLAN " + sql)]


def _full_scans(lines: list[str]) -> list[str]:
    """Plan lines that read a whole table row by row (a covering index or the rowid
    walked from a key are fine)."""
    return [line for line in lines
            if re.match(r"SCAN (requests|events|messages)\b", line)
            and "COVERING INDEX" not in line and "USING INDEX" not in line]


@pytest.mark.parametrize("read", ["counts", "urgent", "list", "due", "overdue", "report",
                                  "calendar"])
def test_the_board_reads_are_answered_by_indexes(board, read):
    me, _ = board
    from sar import calendar_export, report

    ws = Workspace(me.home, today=dt.date(2026, 4, 10))
    calls = {"counts": lambda: ws.queries.counts(), "urgent": lambda: ws.queries.urgent(10),
             "list": lambda: ws.queries.list(limit=2), "due": lambda: ws.due(14),
             "overdue": lambda: ws.overdue(), "report": lambda: report.build(ws),
             "calendar": lambda: calendar_export.events(ws)}
    statements = [s for s in _traced(ws, calls[read])
                  if re.search(r"\bFROM (requests|events)\b", s)]
    assert statements
    for sql in statements:
        lines = _plan(ws, sql)
        assert not _full_scans(lines), (sql, lines)
    plans = "\n".join(line for sql in statements for line in _plan(ws, sql))
    if read == "counts":
        assert "USING COVERING INDEX requests_board_counts" in plans
    if read in ("list", "urgent"):
        assert "USING INDEX requests_board_due" in plans
    if read == "report":
        assert "USING INTEGER PRIMARY KEY" in plans  # requests walked by id, once
        assert "sqlite_autoindex_events_1" in plans  # events by (request_id, seq)
    # Which requests are in doubt is asked of the partial index, not of every message.
    assert "SCAN messages\n" not in plans + "\n"


def test_counts_and_urgent_agree_with_the_full_board(board):
    me, refs = board
    later = Workspace(me.home, today=dt.date(2026, 4, 10))
    groups = later.board()
    counts = later.queries.counts()
    assert counts["groups"] == {g["name"]: len(g["requests"]) for g in groups}
    assert counts["total"] == len(refs) == sum(counts["statuses"].values())
    assert counts["statuses"]["overdue"] == 3 and counts["statuses"]["draft"] == 2
    urgent = later.queries.urgent(4)
    # Overdue first, then what is still open by due date, then drafts; never the
    # answered one.
    assert [r["status"] for r in urgent] == ["overdue", "overdue", "overdue", "awaiting-id"]
    assert refs[0] not in [r["ref"] for r in later.queries.urgent(10)]
    assert [r["ref"] for r in later.queries.urgent(10)][-2:] == refs[5:]
    assert later.queries.list(limit=3) == later.list()[:3]


def test_a_what_if_day_before_the_latest_events_rederives_those_rows(board):
    me, refs = board
    # The day before anything was sent, seen from after: every row's cache is too
    # new, so each is worked out again from its events as of that day.
    before = Workspace(me.home, today=TODAY)
    seen = {r["ref"]: r["status"] for r in before.list()}
    assert seen[refs[0]] == "fulfilled"
    rows = before.list()
    assert rows == [before.summary(before.find(r["ref"])) for r in rows]
    assert before.queries.counts()["total"] == len(rows)


def test_board_pages_cover_every_row_once_in_order(board):
    me, refs = board
    from sar.store import requests as request_table

    ws = Workspace(me.home, today=dt.date(2026, 4, 10))
    where, args = request_table.current()
    small = [r for page in request_table.board_pages(ws.db, ws.today, where, args, page=2)
             for r in page]
    whole = [r for page in request_table.board_pages(ws.db, ws.today, where, args)
             for r in page]
    assert small == whole and len(whole) == len(refs)
    dues = [r[6] for r in whole]
    assert dues == sorted(dues, key=lambda d: (d is None, d or ""))


def test_the_calendar_is_byte_for_byte_what_icalendar_writes(me, tmp_path):
    """The events are written by hand for speed; icalendar's own output of the same
    events (folded text, escapes, non-ASCII names) is the reference."""
    from icalendar import Alarm, Calendar, Event

    from sar import calendar_export

    me("orgs", "add", "--slug", "societe", "--name",
       "Société Générale des Données; Données, Analyse & Publicité → Europe ÉÉÉÉÉÉÉÉ",
       "--email", "dpo@societe.example", "--kind", "data-broker")
    refs = [me("new", "access", "--to", org, "--json").json()[0]["ref"]
            for org in ("acme", "societe")]
    me("send", *refs)
    ws = Workspace(me.home, today=TODAY)
    ours = calendar_export.build(ws, 3)
    cal = Calendar()
    cal.add("prodid", calendar_export.PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Data-protection deadlines (sar)")
    stamp = re.search(rb"DTSTAMP:(\w+)", ours).group(1).decode()
    for e in calendar_export.events(ws):
        ev = Event()
        ev.add("uid", f"{e['uid']}@sar.invalid")
        ev.add("dtstamp", dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC))
        ev.add("dtstart", e["day"])
        ev.add("dtend", e["day"] + dt.timedelta(days=1))
        ev.add("summary", e["summary"])
        ev.add("description", e["description"])
        ev.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", e["summary"])
        alarm.add("trigger", -dt.timedelta(days=2, hours=15))
        ev.add_component(alarm)
        cal.add_component(ev)
    assert "Société".encode() in ours and b"\r\n " in ours
    assert ours == cal.to_ical()
