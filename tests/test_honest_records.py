"""The record never says something untrue: escalating a late request leaves it late,
a refused one is not called overdue, a posted reminder is not recorded twice, and a
what-if day before a request existed does not see it (issue 21, items 1-4)."""

from __future__ import annotations

import pytest


@pytest.fixture
def ignored(me):
    """An access request to acme sent 2 March 2026, due 2 April, never answered."""
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    return ref


def _overdue_now(me, today):
    data = me("report", "--format", "json", today=today).json()
    return data["by_organisation"][-1]["overdue_now"]


def test_escalating_a_late_request_does_not_make_it_less_late(me, ignored, tmp_path):
    me("remind", ignored, today="2026-04-07")
    assert _overdue_now(me, "2026-04-22") == 1
    me("complain", ignored, "-o", tmp_path / "c.zip", today="2026-04-22")
    assert me("show", ignored, "--json", today="2026-04-23").json()["status"] == "escalated"
    assert _overdue_now(me, "2026-04-23") == 1
    board = me("list", "--json", today="2026-04-23").json()
    assert board[0]["days_left"] < 0  # still shown as late on the board


def test_a_request_refused_on_time_then_escalated_is_not_overdue(me, ignored, tmp_path):
    me("mark", ignored, "refused", "--on", "2026-03-10", today="2026-03-10")
    me("complain", ignored, "-o", tmp_path / "c.zip", today="2026-03-12")
    row = me("list", "--json", today="2026-05-01").json()[0]
    assert row["status"] == "escalated" and row["days_left"] is None
    assert "overdue" not in me("status", today="2026-05-01").stdout
    assert _overdue_now(me, "2026-05-01") == 0


def test_a_posted_reminder_is_recorded_once(me, ignored):
    me("remind", ignored, "--posted", "2026-04-10", today="2026-04-10")
    line = me.fails("remind", ignored, "--posted", "2026-04-10", today="2026-04-10")
    assert "reminded on 2026-04-10" in line and "--again" in line
    kinds = [e["kind"] for e in me("show", ignored, "--json", today="2026-04-10").json()["events"]]
    assert kinds.count("reminded") == 1
    me("remind", ignored, "--posted", "2026-04-10", "--again", today="2026-04-10")
    kinds = [e["kind"] for e in me("show", ignored, "--json", today="2026-04-10").json()["events"]]
    assert kinds.count("reminded") == 2


def test_a_what_if_day_before_a_request_existed_does_not_see_it(me, ignored):
    before = me.state()
    line = me.fails("mark", ignored, "note", "--note", "hi", today="2026-02-01")
    assert "drafted on 2026-03-02" in line and "does not exist" in line
    assert "does not exist" in me.fails("show", ignored, today="2026-02-01")
    assert me.state() == before
    assert me("show", ignored, "--json", today="2026-03-02").json()["status"] == "sent"


def test_of_several_named_organisations_the_unreachable_are_skipped_by_name(me):
    me("orgs", "add", "--slug", "nowhere-one", "--name", "Nowhere One", "--address",
       "1 Lost Lane, Exampleton")
    run = me("new", "access", "--to", "acme", "--to", "nowhere-one", "--via", "email",
             "--json")
    drafted = run.json()
    assert [d["org"] for d in drafted] == ["acme"]
    assert "nowhere-one" in run.stderr
    # Named alone, it is still an error.
    assert "nowhere-one" in me.fails("new", "access", "--to", "nowhere-one", "--via", "email")


def test_an_email_given_to_a_record_gives_its_domain(me):
    me("orgs", "add", "--slug", "quiet", "--name", "Quiet Ltd", "--address", "2 Hush Road")
    me("orgs", "edit", "quiet", "--email", "dpo@quiet-data.example")
    assert "quiet-data.example" in me("orgs", "show", "quiet", "--json").json()["domains"]
    me("orgs", "add", "--slug", "freebie", "--name", "Freebie", "--email", "freebie@gmail.com")
    assert "gmail.com" not in me("orgs", "show", "freebie", "--json").json()["domains"]



@pytest.mark.parametrize("args", [
    ["letter", "REF", "-f", "text", "-o", "{home}/sar.db"],
    ["letter", "REF", "-o", "{home}/outbox/new/x.txt"],
    ["calendar", "-o", "{home}/config.toml"],
    ["export", "-o", "{home}/orgs/acme.toml"],
])
def test_no_output_path_overwrites_the_home(me, ignored, home, args):
    before = me.state()
    args = [a.replace("REF", ignored).replace("{home}", str(home)) for a in args]
    assert "one of sar's own files" in me.fails(*args)
    assert me.state() == before



def test_campaign_send_takes_a_rate_as_sar_send_does(me):
    # 30/min is read (the campaign is what is missing), and a bad rate is one line.
    assert "no campaign" in me.fails("campaign", "send", "nope", "--rate", "30/min")
    line = me.fails("campaign", "send", "nope", "--rate", "fast")
    assert "expected a number per s, min or h" in line and "pydantic" not in line.lower()


def test_orgs_show_sends_no_escape_from_a_record_to_the_terminal(me, home):
    me("orgs", "add", "--slug", "acme", "--email", "privacy@acme.example")
    record = next((home / "orgs").glob("acme.toml"))
    text = record.read_text()
    record.write_text(text + 'note = "hello \\u001b]52;c;ZXZpbA==\\u0007 \\u001b[2J"\n')
    out = me("orgs", "show", "acme").stdout
    assert "hello" in out and "\x1b" not in out and "\x07" not in out


def test_one_broken_file_of_the_users_does_not_stop_every_organisation(me, home):
    (home / "orgs" / "broken.toml").write_text("slug = 'broken\nname = [")
    run = me("orgs", "list", "--kind", "data-broker")
    assert "acme" in run.stdout and "broken.toml" in run.stderr and "skipped" in run.stderr
    drafted = me("new", "access", "--to", "acme", "--json")
    assert drafted.json()[0]["org"] == "acme" and "broken.toml" in drafted.stderr


def test_every_outgoing_line_is_within_rfc_limits(me):
    """RFC 2045 §6.7: encoded lines of at most 76 characters; RFC 5322: 998 for any."""
    from email import message_from_bytes, policy

    words = " ".join(["Österreichische Datenschutzbehörde"] * 8)  # a long encoded line
    ref = me("new", "rectification", "--to", "acme", "--details",
             f"my address is recorded as {words}", "--json").json()[0]["ref"]
    raw = me("letter", ref, "--format", "eml").stdout_bytes
    body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[1]
    assert max(len(line) for line in body.splitlines()) <= 76
    assert max(len(line) for line in raw.splitlines()) <= 998
    msg = message_from_bytes(raw, policy=policy.default)
    assert "Österreichische Datenschutzbehörde" in msg.get_body(("plain",)).get_content()


def test_notify_and_remind_give_a_posted_request_its_own_step(me):
    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-02", "--method", "first-class")
    me("notify", today="2026-03-03")
    [line] = me("notify", "--json", today="2026-04-20").json()
    assert "--posted" in line and f"`sar remind {ref}`" not in line
    sent = me("remind", "--overdue", "--json", today="2026-04-20").json()
    assert [(r["ref"], r["status"]) for r in sent] == [(ref, "skipped")]
    assert "--posted" in sent[0]["detail"]


def test_notify_sends_a_reminded_request_to_the_regulator(me, ignored):
    me("notify", today="2026-03-03")
    me("remind", ignored, today="2026-04-07")
    me("mark", ignored, "note", "--note", "x", today="2026-04-07")
    lines = me("notify", "--json", today="2026-04-07").json()
    assert lines and "sar remind" not in lines[0] and "complain" in lines[0]


def test_report_and_export_take_json_and_a_huge_ref_is_not_echoed(me, ignored):
    assert isinstance(me("report", "--json").json(), dict)
    assert me("export", "--json").json()[0]["ref"] == ignored
    line = me.fails("show", "X" * 100_000)
    assert len(line) < 300 and "more characters" in line


def test_doctor_names_a_letter_left_in_the_outbox_tmp_and_fix_removes_it(me, ignored, home):
    left = home / "outbox" / "tmp" / "1796.M1P1.host"
    left.write_bytes(b"To: privacy@acme.example\r\n\r\nDear Sir or Madam")
    out = me("doctor", ok=False)
    assert "unfinished letters" in out.stdout + out.stderr
    me("doctor", "--fix", ok=False)
    assert not left.exists()
