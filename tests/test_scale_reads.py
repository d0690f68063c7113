"""Reads that scale: the board's figures come from SQLite on indexes, rows stream in
pages, and the calendar's hand-written events are the bytes icalendar writes.
(Timing is in benchmarks/scale.py; these check the shape that makes it fast.)"""

from __future__ import annotations

import datetime as dt
import json
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
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


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
    if read in ("list", "urgent", "due"):
        assert "USING INDEX requests_board_due" in plans
    if read == "due":  # walked in order: no page sorts every due row again
        assert "TEMP B-TREE FOR ORDER BY" not in plans
    if read == "report":
        assert "USING INTEGER PRIMARY KEY" in plans  # requests walked by id, once
    if read in ("report", "calendar"):  # the deadlines come from the rows' cache (m019)
        assert not [s for s in statements if re.search(r"\bFROM events\b", s)], statements
    if read == "calendar":
        assert "USING INDEX requests_status_due" in plans
        # What a what-if day re-derives is found on its own index, not by walking
        # every request of the campaign (or of none).
        assert "USING INDEX requests_last_event_on" in plans
        assert "requests_campaign" not in plans
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
    # Each group's text is folded once with stand-ins for the reference: one folded
    # in the middle of a reference is put back across the fold too.
    assert any(f"{ref[:k]}\r\n {ref[k:]}".encode() in ours
               for ref in refs for k in range(1, len(ref)))
    assert ours == cal.to_ical()


@pytest.fixture
def mixed(me, tmp_path):
    """Every group and most statuses, over a few weeks: drafts (one whose letter is in
    doubt), sent, acknowledged, awaiting ID, extended, answered (one incompletely, by
    its review), refused, withdrawn; some overdue by the later days asked below."""
    from tests.test_cli_requests import _interrupted

    me("orgs", "add", "--slug", "zeta", "--name", "Zeta Data Ltd", "--email",
       "dpo@zeta.example", "--kind", "data-broker")
    orgs = ["acme", "fictional-party", "zeta"]
    refs = [me("new", "access", "--to", orgs[i % 3], "--again", "--json").json()[0]["ref"]
            for i in range(18)]
    for i, ref in enumerate(refs[:15]):  # the last four on one day: two alike
        me("send", ref, today=f"2026-03-{2 + min(i, 11):02d}")
    events = {1: ["acknowledged"], 2: ["id-requested"], 3: ["extended"], 4: ["fulfilled"],
              5: ["refused"], 6: ["acknowledged", "fulfilled"], 7: ["withdrawn"],
              8: ["id-requested", "id-provided"], 9: ["fulfilled"], 10: ["acknowledged"]}
    for i, kinds in events.items():
        for k, kind in enumerate(kinds):
            me("mark", refs[i], kind, "--on", f"2026-03-{20 + i + k:02d}", today="2026-04-01")
    # What a review that found the transfers missing leaves on the row (m013's cache;
    # a review needs the answer's text, which these marks have not).
    import sqlite3

    with sqlite3.connect(me.home / "sar.db") as conn:
        conn.execute("UPDATE requests SET answer_gaps = '[\"transfers\"]' WHERE ref = ?",
                     [refs[9]])
    _interrupted(me.home, refs[16], reached_outbox=False)
    return me, refs


@pytest.mark.parametrize("day", ["2026-03-10", "2026-03-25", "2026-04-20", "2026-06-01"])
def test_the_board_summary_is_the_summary_of_the_whole_board(mixed, day):
    """`sar status` counts in SQLite and reads only the rows it lists: the same
    groups, counts per status (in the order their first rows come) and rows as
    summarising every row, whatever the filter, the limit or the (what-if) day."""
    from sar.core.board import summarise

    me, refs = mixed
    ws = Workspace(me.home, today=dt.date.fromisoformat(day))
    assert ws.queries.counts()["total"] > 0
    seen = set()
    for status in (None, "overdue", "fulfilled", "answered-incomplete", "draft",
                   "send-unknown", "sent", "acknowledged", "withdrawn"):
        for org in (None, "acme", "zeta"):
            for limit in (0, 1, 2, 3, 5, 8, 20, None):
                whole = summarise(ws.board(status, org), limit)
                ours = ws.queries.board_summary(status, org, None, limit)
                # In order too: a group's count line lists its statuses as they come.
                assert json.dumps(ours) == json.dumps(whole), (status, org, limit)
                seen |= {s for g in whole["groups"] for s in g["counts"]}
    if day == "2026-04-20":  # the board these cover
        assert {"overdue", "draft", "send-unknown", "answered-incomplete", "fulfilled",
                "awaiting-id", "extended", "refused", "withdrawn"} <= seen


def test_the_board_summary_reads_only_what_it_lists(mixed):
    me, _ = mixed
    ws = Workspace(me.home, today=dt.date(2026, 4, 20))
    statements = _traced(ws, lambda: ws.queries.board_summary(limit=3))
    for sql in statements:
        if re.search(r"\bFROM requests\b", sql):
            assert not _full_scans(_plan(ws, sql)), sql
    # The counts, then a first page of each shown status: never the whole board.
    assert all("LIMIT 500" not in s for s in statements)


def test_list_with_a_limit_counts_what_it_leaves_out_without_reading_it(mixed):
    me, _ = mixed
    for status in (None, "fulfilled", "overdue", "draft"):
        flag = ["--status", status] if status else []
        every = len(me("list", *flag, "--json", today="2026-04-20").json())
        text = me("list", *flag, "--limit", "1", today="2026-04-20").stdout
        assert f"{every - 1:,} of {every:,} requests not listed" in text, status


@pytest.mark.parametrize("day", ["2026-03-10", "2026-03-25", "2026-04-20"])
def test_the_calendar_of_alike_requests_is_each_ones_own(mixed, day):
    """The calendar writes the dates alike requests' rows cache (m019) once per
    group: each request still gets the dates its own events give (as of a what-if
    day too, when they are worked out from the events)."""
    from sar import calendar_export
    from sar.core import lifecycle

    me, refs = mixed
    ws = Workspace(me.home, today=dt.date.fromisoformat(day))
    own = []
    for ref in refs:
        try:
            row = ws.find(ref)
        except Exception:  # noqa: BLE001 - drafted after the what-if day
            continue
        a = ws.assess(row)
        if a.deadline is not None and a.base_status in lifecycle.RUNNING:
            own += calendar_export.events_of(row, calendar_export.Dates.of(a), ws.queries.org_record(row)["name"],
                                             ws.today, ref)
    own.sort(key=lambda e: (e["day"], e["uid"]))
    assert own and calendar_export.events(ws) == own


def _own_dates(ws):
    """Each request's calendar dates from its own events, one by one."""
    from sar import calendar_export
    from sar.core import lifecycle

    own = []
    for ref in ws.db.execute("SELECT ref FROM requests ORDER BY id").fetchall():
        try:
            row = ws.find(ref[0])
        except Exception:  # noqa: BLE001 - drafted after the what-if day
            continue
        a = ws.assess(row)
        if a.deadline is not None and a.base_status in lifecycle.RUNNING:
            own += calendar_export.events_of(row, calendar_export.Dates.of(a), ws.queries.org_record(row)["name"],
                                             ws.today, ref[0])
    return sorted(own, key=lambda e: (e["day"], e["uid"]))


def _scale_home():
    """benchmarks/scale_home.py: a campaign's home as the store's own builders write
    it, with the alike histories of a campaign."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "scale_home.py"
    spec = importlib.util.spec_from_file_location("scale_home", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_requests_alike_in_their_deadline_share_its_dates_and_each_keeps_its_own(tmp_path):
    """The scale benchmark's home (a campaign's requests, each log its own, as the
    store's own builders write them): requests sent to one organisation on one day
    cache the same deadline (m019) and are written once per group, and every request
    still has the dates its own events give, on a what-if day too."""
    from sar import calendar_export
    from sar.store import requests as request_table

    scale_home = _scale_home()
    today = dt.date(2026, 12, 2)
    scale_home.build(tmp_path / "home", 400, today)  # alike: 180 apart (its pattern)
    for day in (today, dt.date(2026, 10, 20)):
        ws = Workspace(tmp_path / "home", today=day)
        groups = request_table.running_cached(ws.db, ws.today)
        if day == today:
            assert max(len(g[-1].split("\x1f")) for g in groups) > 1
            assert not request_table.running_uncached(ws.db, ws.today)
        assert calendar_export.events(ws) == _own_dates(ws) != []


def _report_from_items(ws, campaign_id, suppress_below):
    """The report's figures from its items, one request at a time (report.rows)."""
    from sar import report

    items = list(report.rows(ws, campaign_id))
    by_org = {}
    for i in items:
        by_org.setdefault(i["org"], []).append(i["days"])
    return {"by_organisation": report.summarise(items, "org", suppress_below),
            "by_sector": report.summarise(items, "sector", suppress_below),
            "participants": len({i["who"] for i in items}),
            "days": {org: sorted(d for d in days if d is not None)
                     for org, days in by_org.items()},
            "first_sent": min((i["sent_on"] for i in items), default=None)}


def _report_counted(ws, campaign_id, suppress_below):
    from sar import report

    r = report.build(ws, suppress_below, campaign_id)
    return {"by_organisation": r["by_organisation"], "by_sector": r["by_sector"],
            "participants": r["method"]["participants"],
            "days": {org: days for org, days in r["days_by_org"].items()},
            "first_sent": r["method"]["first_sent"]}


@pytest.mark.parametrize("day", ["2026-03-25", "2026-04-20", "2026-06-01"])
def test_the_report_counted_in_cells_is_the_report_of_its_items(mixed, day):
    """`sar report` counts alike requests once per cell in SQLite: the same figures
    as counting its requests one by one, on a what-if day too."""
    me, _ = mixed
    ws = Workspace(me.home, today=dt.date.fromisoformat(day))
    ours, theirs = _report_counted(ws, None, 0), _report_from_items(ws, None, 0)
    theirs["first_sent"] = theirs["first_sent"] and theirs["first_sent"].isoformat()
    assert ours["by_organisation"] and json.dumps(ours) == json.dumps(
        {**theirs, "days": {o: d for o, d in theirs["days"].items() if d}})


def test_a_campaigns_report_counted_in_cells_is_the_report_of_its_items(tmp_path):
    from sar import report

    scale_home = _scale_home()
    today = dt.date(2026, 12, 2)
    scale_home.build(tmp_path / "home", 400, today)
    for day, suppress in ((today, 0), (today, 5), (dt.date(2026, 10, 20), 5)):
        ws = Workspace(tmp_path / "home", today=day)
        (cid,) = ws.db.execute("SELECT id FROM campaigns").fetchone()
        ours, theirs = _report_counted(ws, cid, suppress), _report_from_items(ws, cid, suppress)
        theirs["first_sent"] = theirs["first_sent"].isoformat()
        # Charts leave out what the tables blank.
        shown = {r["org"] for r in ours["by_organisation"] if not r.get("suppressed")}
        theirs["days"] = {o: d for o, d in theirs["days"].items() if o in shown and d}
        assert json.dumps(ours) == json.dumps(theirs)
        assert sum(r["requests"] or 0 for r in ours["by_organisation"][:-1]) > 100
    assert report.build(ws, 0, cid)["by_organisation"][-1]["answered"] > 0


def test_a_home_from_before_the_deadline_cache_reads_the_same_until_doctor_fills_it(mixed):
    """m019 leaves every row's deadline uncached (working it out needs the rules and
    their settings): the calendar and the report work those rows out from their
    events and say the same as from the cache; `sar doctor` names them and `--fix`
    fills them, after which neither reads an event."""
    import sqlite3

    from sar import calendar_export, doctor

    me, _ = mixed
    day = dt.date(2026, 4, 20)
    ws = Workspace(me.home, today=day)
    cached_calendar, cached_report = calendar_export.build(ws, 3), _report_counted(ws, None, 0)
    cached = dict(ws.db.execute("SELECT id, deadline_cache FROM requests").fetchall())
    assert sum(v is not None for v in cached.values()) >= 12
    assert any('"answer_due":"2026-' in (v or "") for v in cached.values())
    ws.db.conn.close()
    with sqlite3.connect(me.home / "sar.db") as conn:
        conn.execute("UPDATE requests SET deadline_cache = NULL")

    ws = Workspace(me.home, today=day)
    stamp = re.compile(rb"DTSTAMP:\d+T\d+Z")
    assert stamp.sub(b"", calendar_export.build(ws, 3)) == stamp.sub(b"", cached_calendar)
    assert _report_counted(ws, None, 0) == cached_report
    found = doctor.check(ws)
    assert not [p for p in found.problems if "cached status" in p]  # not a fault
    kept = sum(v is not None for v in cached.values())
    assert any(n.startswith(f"{kept} requests have no deadline cached yet")
               for n in found.notes), found.notes
    doctor.check(ws, fix=True)
    assert dict(ws.db.execute("SELECT id, deadline_cache FROM requests").fetchall()) == cached
    assert not [p for p in doctor.check(ws).problems if "cached status" in p]
    reads = _traced(ws, lambda: (calendar_export.events(ws), _report_counted(ws, None, 0)))
    assert not [s for s in reads if re.search(r"\bFROM events\b", s)]
