"""The board, what is due, `overdue --check` for cron, and the calendar file."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def story(me):
    """Four requests on 2 March 2026: one answered, one acknowledged, one waiting for
    ID, one still a draft; due 2 April 2026."""
    refs = {}
    for org, kind in [("acme", "access"), ("fictional-party", "access"),
                      ("acme", "erasure")]:
        extra = ["--details", "I object."] if kind == "erasure" else []
        refs[(org, kind)] = me("new", kind, "--to", org, *extra, "--json").json()[0]["ref"]
    me("send", refs[("acme", "access")], refs[("fictional-party", "access")])
    me("mark", refs[("acme", "access")], "acknowledged")
    me("mark", refs[("fictional-party", "access")], "id-requested")
    return me, refs


def test_status_groups_by_whose_move_it_is(story):
    me, refs = story
    board = me("status", "--json").json()
    assert board["as_of"] == "2026-03-02"
    groups = {g["name"]: [r["ref"] for r in g["requests"]] for g in board["groups"]}
    assert groups == {"yours": [refs[("fictional-party", "access")], refs[("acme", "erasure")]],
                      "theirs": [refs[("acme", "access")]]}
    text = me("status").stdout
    assert "Your move (2)" in text and "Waiting for them (1)" in text
    assert "\x1b[" not in text  # plain when piped


def test_status_as_of_a_later_day_shows_what_will_be_overdue(story):
    me, refs = story
    later = me("status", "--as-of", "2026-04-03", "--json").json()
    overdue = [g for g in later["groups"] if g["name"] == "overdue"][0]["requests"]
    assert [(r["ref"], r["days_left"]) for r in overdue] == [(refs[("acme", "access")], -1)]
    assert me("status", "--org", "fictional-party", "--json").json()["groups"][0]["name"] == \
        "yours"
    assert "--as-of" in me.fails("status", "--as-of", "someday")


def test_due_within_and_overdue_check_for_cron(story):
    me, refs = story
    assert me("due", "--within", "2w", "--json").json() == []
    soon = me("due", "--within", "31d", "--json").json()
    assert [r["ref"] for r in soon] == [refs[("acme", "access")]]
    assert "14d or 2w" in me.fails("due", "--within", "soon")
    ok = me("overdue", "--check", ok=False)
    assert ok.exit_code == 0
    late = me("overdue", "--check", today="2026-04-03", ok=False)
    assert late.exit_code == 1 and refs[("acme", "access")] in late.stdout


def test_calendar_round_trips_through_icalendar_with_stable_ids(story, tmp_path):
    from icalendar import Calendar

    me, refs = story
    path = tmp_path / "deadlines.ics"
    me("calendar", "-o", path)
    cal = Calendar.from_ical(path.read_bytes())
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    ack = refs[("acme", "access")].lower()
    assert set(events) == {f"{ack}-due@sar.invalid"}   # the ID wait stops the other clock
    event = events[f"{ack}-due@sar.invalid"]
    assert event.decoded("dtstart").isoformat() == "2026-04-02"
    # 09:00 three days before the all-day date, not its midnight.
    assert [a.decoded("trigger") for a in event.walk("VALARM")] == [
        -dt.timedelta(days=2, hours=15)]
    assert "Art. 12(3)" in str(event["description"])
    # Regenerated after the ID arrives: the same UID for the old event, one more for
    # the request whose clock now runs again.
    me("mark", refs[("fictional-party", "access")], "id-provided", today="2026-03-05")
    me("calendar", "-o", path, "--alarm", "0", today="2026-03-05")
    again = {str(e["uid"]): e for e in Calendar.from_ical(path.read_bytes()).walk("VEVENT")}
    assert f"{ack}-due@sar.invalid" in again and len(again) == 2
    assert all(not list(e.walk("VALARM")) for e in again.values())
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def _calendar_events(me, path, *extra, **kw) -> dict:
    from icalendar import Calendar

    me("calendar", "-o", path, *extra, **kw)
    return {str(e["uid"]): e for e in Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def test_calendar_summary_names_the_organisation_first_and_describes_in_lines(story, tmp_path):
    me, refs = story
    ref = refs[("acme", "access")]
    name = me("orgs", "show", "acme", "--json").json()["name"]
    event = _calendar_events(me, tmp_path / "d.ics")[f"{ref.lower()}-due@sar.invalid"]
    # Month views show the start of the summary: who, then what, the reference last.
    assert str(event["summary"]) == f"{name} — access request due ({ref})"
    lines = str(event["description"]).split("\n")
    assert [line.split(":")[0] for line in lines] == ["Due", "Rule", "Next"]
    assert "2026-04-02" in lines[0] and "Art. 12(3)" in lines[1]
    assert b"\\n" in (tmp_path / "d.ics").read_bytes()  # newlines escaped (RFC 5545)
    alarm = list(event.walk("VALARM"))[0]
    assert str(alarm["description"]) == str(event["summary"])


def test_calendar_alarm_rings_at_nine_on_the_day_asked(story, tmp_path):
    me, refs = story
    uid = f"{refs[('acme', 'access')].lower()}-due@sar.invalid"
    for days, rings in [(1, dt.datetime(2026, 4, 1, 9)), (3, dt.datetime(2026, 3, 30, 9)),
                        (7, dt.datetime(2026, 3, 26, 9))]:
        event = _calendar_events(me, tmp_path / "d.ics", "--alarm", str(days))[uid]
        trigger = list(event.walk("VALARM"))[0].decoded("trigger")
        # A floating all-day date starts at local midnight: 09:00 local, days before.
        assert dt.datetime.combine(event.decoded("dtstart"), dt.time()) + trigger == rings


def test_a_regenerated_calendar_marks_an_overdue_request(story, tmp_path):
    me, refs = story
    ref = refs[("acme", "access")]
    before = _calendar_events(me, tmp_path / "d.ics", today="2026-04-02")
    assert not str(before[f"{ref.lower()}-due@sar.invalid"]["summary"]).startswith("OVERDUE")
    after = _calendar_events(me, tmp_path / "d.ics", today="2026-04-03")
    summary = str(after[f"{ref.lower()}-due@sar.invalid"]["summary"])
    assert summary.startswith("OVERDUE: ") and summary.endswith(f"access request due ({ref})")
    assert "sar remind" in str(after[f"{ref.lower()}-due@sar.invalid"]["description"])


def test_calendar_bad_input_is_one_line_and_writes_nothing(story, tmp_path):
    me, _ = story
    assert "does not exist" in me.fails("calendar", "-o", tmp_path / "no" / "x.ics")
    assert "--alarm" in me.fails("calendar", "-o", tmp_path / "x.ics", "--alarm", "99")
    assert not (tmp_path / "x.ics").exists()


def test_export_csv_and_json_and_formula_cells_are_defused(story, tmp_path):
    import csv
    import io

    me, refs = story
    me("mark", refs[("acme", "access")], "note", "--note", "=HYPERLINK(\"http://x.example\")")
    rows = list(csv.DictReader(io.StringIO(me("export", "--format", "csv").stdout)))
    assert {r["ref"] for r in rows} == set(refs.values())
    assert {r["days_left"] for r in rows} >= {"31"}
    events = list(csv.DictReader(io.StringIO(
        me("export", "--what", "events", "--format", "csv").stdout)))
    note = [e for e in events if e["event"] == "note"][0]
    assert note["details"].startswith("{")  # JSON, not a formula
    import json

    parsed = json.loads(me("export", "--what", "events").stdout)
    assert [e["event"] for e in parsed if e["ref"] == refs[("acme", "access")]] == \
        ["drafted", "sent", "acknowledged", "note"]
    assert me("export", "-o", tmp_path / "r.json").stdout.strip().endswith("3 requests")
    assert "csv or json" in me.fails("export", "--format", "xlsx")
    assert "folder does not exist" in me.fails("export", "-o", tmp_path / "no" / "r.json")


def test_csv_cells_that_would_run_as_formulas_are_quoted():
    from sar.export import safe_cell

    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell(-15) == "-15"
    assert safe_cell("Acme") == "Acme"


def test_show_markdown_is_a_case_file(story):
    me, refs = story
    md = me("show", refs[("acme", "access")], "--markdown").stdout
    assert md.startswith(f"# {refs[('acme', 'access')]}: access request to Acme Data Ltd")
    assert "- Requester: Robin Testperson" in md.splitlines()[2]
    assert "| 2026-03-02 | acknowledged | you |" in md
    assert "| Date | Event | Recorded by | Details |" in md
    assert "## Deadline" in md and "due Thu 2 Apr 2026" in md


def test_readable_views_for_sqlite_tools(story, home):
    import sqlite3

    me, refs = story
    conn = sqlite3.connect(home / "sar.db")
    board = conn.execute("SELECT ref, organisation, status FROM request_board "
                         "ORDER BY ref").fetchall()
    assert sorted(r[0] for r in board) == sorted(refs.values())
    timeline = conn.execute("SELECT event FROM timeline WHERE ref = ? ORDER BY seq",
                            [refs[("acme", "access")]]).fetchall()
    assert [t[0] for t in timeline] == ["drafted", "sent", "acknowledged"]


def test_notify_says_only_what_is_new_since_the_last_run(story, home):
    import mailbox

    me, refs = story
    first = me("notify", "--json").json()
    assert first == []                               # nothing due within 7 days yet
    assert me("notify", "--json", today="2026-03-27").json() == \
        [f"{refs[('acme', 'access')]}  acme  due 2026-04-02 (6 days)"]
    assert me("notify", "--json", today="2026-03-30").json() == []   # already said
    before = len(mailbox.Maildir(home / "outbox", create=False))
    late = me("notify", "--json", "--email", today="2026-04-03").json()
    box = mailbox.Maildir(home / "outbox", create=False)
    assert len(box) == before + 1
    sent = [m for m in box if "to look at" in m["Subject"]][0]
    assert sent["To"] == "Robin Testperson <robin@example.org>"
    assert "overdue since 2026-04-03" in sent.get_payload(decode=True).decode()
    assert late == [f"{refs[('acme', 'access')]}  acme  overdue since 2026-04-03 (due "
                    "2026-04-02): the deadline has passed: send a reminder (`sar remind "
                    f"{refs[('acme', 'access')]}`), then complain to the regulator"]
    assert me("notify", today="2026-04-04").stdout == ""                # cron stays quiet
    # --email sends the digest to yourself through the transport (the Maildir outbox).
    me("mark", refs[("acme", "access")], "note", "--note", "x", today="2026-04-04")
    before = len(mailbox.Maildir(home / "outbox", create=False))
    me("notify", "--email", today="2026-04-20")      # nothing new: nothing sent
    assert len(mailbox.Maildir(home / "outbox", create=False)) == before


def test_option_clashes_and_paths_are_one_line(story, tmp_path):
    me, refs = story
    ref = refs[("acme", "access")]
    assert "not both" in me.fails("show", ref, "--json", "--markdown")
    assert "does not exist" in me.fails("letter", ref, "-o", tmp_path / "no" / "x.txt")
    assert "it is a folder" in me.fails("letter", ref, "-o", tmp_path)


def test_report_counts_what_happened(me):
    """Three requests with known outcomes: answered on time, answered late after an
    ID request, and ignored."""
    refs = {}
    for org, kind in [("acme", "access"), ("acme", "erasure"), ("fictional-party", "access")]:
        extra = ["--details", "x"] if kind == "erasure" else []
        refs[(org, kind)] = me("new", kind, "--to", org, *extra, "--json").json()[0]["ref"]
        me("send", refs[(org, kind)])
    me("mark", refs[("acme", "access")], "acknowledged", "--on", "2026-03-03",
       today="2026-03-03")
    me("mark", refs[("acme", "access")], "fulfilled", "--on", "2026-03-22", today="2026-03-22")
    me("mark", refs[("acme", "erasure")], "id-requested", "--on", "2026-03-05",
       today="2026-03-05")
    me("mark", refs[("acme", "erasure")], "id-provided", "--on", "2026-03-10",
       today="2026-03-10")
    # Due 10 April (a fresh month from the ID); answered 20 April: late.
    me("mark", refs[("acme", "erasure")], "fulfilled", "--on", "2026-04-20", today="2026-04-20")
    data = me("report", "--format", "json", today="2026-05-01").json()
    by = {r["org"]: r for r in data["by_organisation"]}
    acme = by["acme"]
    assert (acme["requests"], acme["answered"], acme["on_time"], acme["id_demanded"],
            acme["acknowledged"]) == (2, 2, 1, 1, 1)
    assert acme["median_days"] == (20 + 49) / 2          # 2 Mar→22 Mar, 2 Mar→20 Apr
    party = by["fictional-party"]
    assert (party["answered"], party["overdue_now"]) == (0, 1)
    assert by["all"]["requests"] == 3
    # Small cells are blanked for publication.
    blanked = me("report", "--format", "json", "--suppress-below", "3",
                 today="2026-05-01").json()
    rows = {r["org"]: r for r in blanked["by_organisation"]}
    assert rows["acme"]["requests"] is None and rows["acme"]["suppressed"]
    assert rows["all"]["requests"] == 3
    assert "md, csv or json" in me.fails("report", "--format", "pdf")
    csv_text = me("report", "--format", "csv", today="2026-05-01").stdout
    assert csv_text.splitlines()[0].startswith("group,name,requests")


def test_a_missed_ccpa_acknowledgement_is_marked_overdue(me, tmp_path):
    ref = me("new", "access", "--to", "acme", "--regime", "ccpa", "--california-resident",
             "--json").json()[0]["ref"]
    me("send", ref)
    uid = f"{ref.lower()}-acknowledgement@sar.invalid"
    early = _calendar_events(me, tmp_path / "d.ics", today="2026-03-10")[uid]
    assert str(early["summary"]) == f"Acme Data Ltd — acknowledgement due ({ref})"
    assert "§ 7021" in str(early["description"]).split("\n")[1]
    late = _calendar_events(me, tmp_path / "d.ics", today="2026-03-31")[uid]
    assert str(late["summary"]) == f"OVERDUE: Acme Data Ltd — acknowledgement due ({ref})"
