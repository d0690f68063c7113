"""`sar init`, `sar config` and the home directory."""

from __future__ import annotations

import os
import stat
import tomllib

import pytest

from tests.conftest import PERSON


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_writes_a_private_profile(sar, home):
    sar("init", "--name", PERSON["name"], "--email", PERSON["email"], "--address",
        PERSON["address"], "--previous-address", "3 Old Road, Sampleford, SA1 1AA",
        "--dob", "1980-05-17", "--calendar", "gb-sct", "--no-input")
    config = tomllib.loads((home / "config.toml").read_text())
    assert config["profile"]["name"] == PERSON["name"]
    assert config["profile"]["address"] == ["12 Sample Lane", "Exampleton", "EX1 2MP"]
    assert config["profile"]["calendar"] == "GB-SCT"
    assert config["profile"]["date_of_birth"] == "1980-05-17"
    assert mode(home) == 0o700
    assert mode(home / "config.toml") == 0o600
    assert mode(home / "sar.db") == 0o600


def test_init_prompts_for_what_is_missing(sar, home):
    run = sar("init", input=f"{PERSON['name']}\nnot-an-email\n{PERSON['email']}\n"
                            f"{PERSON['address']}\n1800-01-01\n\nGB\nGB-NIR\n")
    # A bad answer is explained and asked again, not fatal after the last question.
    assert "not an email address" in run.stdout
    assert "before 1900" in run.stdout and "ambiguous" in run.stdout
    config = tomllib.loads((home / "config.toml").read_text())
    assert config["profile"]["email"] == PERSON["email"]
    assert config["profile"]["calendar"] == "GB-NIR"
    assert "date_of_birth" not in config["profile"]


def test_init_again_keeps_what_is_not_changed(sar, home):
    sar("init", "--name", PERSON["name"], "--email", PERSON["email"], "--address",
        PERSON["address"], "--no-input")
    sar("init", "--email", "robin.new@example.org", "--no-input")
    profile = tomllib.loads((home / "config.toml").read_text())["profile"]
    assert profile["email"] == "robin.new@example.org"
    assert profile["name"] == PERSON["name"]


@pytest.mark.parametrize("flags,message", [
    (["--email", "robin@example.org", "--address", "1 A St"], "--name is required"),
    (["--name", "Robin", "--email", "not-an-email", "--address", "1 A St"], "not an email"),
    (["--name", "Robin\nBcc: x@example.org", "--email", "robin@example.org", "--address", "1 A"],
     "line break"),
    (["--name", "Robin", "--email", "robin@example.org", "--address", "1 A St",
      "--calendar", "GB"], "ambiguous"),
    (["--name", "Robin", "--email", "robin@example.org", "--address", "1 A St",
      "--dob", "1980-02-30"], "not a date"),
    (["--name", "Robin", "--email", "robin@example.org", "--address", "1 A St",
      "--dob", "2030-01-01"], "not in the past"),
])
def test_init_refuses_bad_input_and_writes_nothing(sar, home, flags, message):
    line = sar.fails("init", "--no-input", *flags)
    assert message in line
    assert not (home / "config.toml").exists()


def test_home_that_is_a_file_is_one_clear_error(sar, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = sar.fails("--home", str(blocker), "init", "--name", "R", "--email",
                     "r@example.org", "--address", "1 A St", "--no-input")
    assert "not a directory" in line
    for command in (["list"], ["show", "SAR-AAAAA"], ["orgs", "list"]):
        assert "not a directory" in sar.fails("--home", str(blocker), *command)
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_home_that_is_not_writable_is_one_clear_error(sar, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    line = sar.fails("--home", str(locked / "home"), "init", "--name", "R", "--email",
                     "r@example.org", "--address", "1 A St", "--no-input")
    assert "cannot write" in line


def test_config_set_get_and_refuses_passwords(sar, home):
    sar("config", "set", "smtp.host", "mail.example.org")
    sar("config", "set", "smtp.port", "587")
    assert sar("config", "get", "smtp.host").stdout.strip() == "mail.example.org"
    assert sar("config", "get", "mail.transport").stdout.strip() == "maildir"
    assert "keyring" in sar.fails("config", "set", "smtp.password", "hunter2")
    assert "hunter2" not in (home / "config.toml").read_text()
    assert "whole number" in sar.fails("config", "set", "smtp.port", "abc")
    assert "did you mean smtp.host" in sar.fails("config", "get", "smtp.hots")
    assert "one of" in sar.fails("config", "set", "smtp.security", "maybe")


def test_version_and_help(sar):
    assert sar("--version").stdout.startswith("sar ")
    out = sar("--help").stdout
    for command in ("init", "new", "letter", "send", "post", "mark", "list", "show",
                    "overdue", "deadline", "demo", "orgs", "config"):
        assert command in out


def test_config_choices_are_stored_lower_case_and_mail_from_is_an_address(sar, home):
    sar("config", "set", "deadlines.pause_counting", "Resume")
    assert sar("config", "get", "deadlines.pause_counting").stdout.strip() == "resume"
    assert "not an email" in sar.fails("config", "set", "mail.from", "not-an-address")
    assert "one of maildir, smtp" in sar.fails("config", "set", "mail.transport", "carrier-pigeon")


def test_changing_a_deadline_rule_refreshes_cached_due_dates(me):
    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-06", today="2026-03-06")  # a Friday, first class
    me.today = "2026-03-06"
    assert me("list", "--json").json()[0]["due"] == "2026-04-10"   # Practice Direction
    me("config", "set", "deadlines.post_presumption", "cpr-6.26")
    assert me("list", "--json").json()[0]["due"] == "2026-04-09"   # CPR 6.26
    assert me("show", ref, "--json").json()["due"] == "2026-04-09"


def test_changing_a_deadline_rule_recounts_answers_already_in(me):
    """A closed request keeps the due date its answer is judged against (the report's
    on-time count reads it from the row): a rule changed after the answer came moves
    that date too, so the tally agrees with counting the request from its events."""
    import datetime as dt

    from sar import report
    from sar.workspace import Workspace

    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-06", today="2026-03-06")  # a Friday, first class
    me("mark", ref, "fulfilled", "--on", "2026-04-10", today="2026-04-10")

    def tallied():
        ws = Workspace(me.home, today=dt.date(2026, 5, 1))
        counted = report.build(ws, 0)["by_organisation"][0]["on_time"]
        one_by_one = sum(i["on_time"] for i in report.rows(ws))
        ws.db.conn.close()
        return counted, one_by_one

    assert tallied() == (1, 1)   # due 10 April under the Practice Direction: on time
    me("config", "set", "deadlines.post_presumption", "cpr-6.26", today="2026-05-01")
    assert tallied() == (0, 0)   # due 9 April under CPR 6.26: a day late


def test_a_deadline_rule_edited_by_hand_recounts_at_the_next_command(me, home):
    """config.toml edited by hand, not through `sar config set`: the next command sees
    the deadline settings differ from those the caches were kept under, says so on
    stderr and recomputes them, so the report does not count a late answer on time."""
    import datetime as dt

    from sar import report
    from sar.workspace import Workspace

    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-06", today="2026-03-06")  # a Friday, first class
    me("mark", ref, "fulfilled", "--on", "2026-04-10", today="2026-04-10")
    assert me("status", today="2026-05-01").stderr == ""
    config = home / "config.toml"
    text = config.read_text()
    assert "[deadlines]" not in text
    config.write_text(text + '\n[deadlines]\npost_presumption = "cpr-6.26"\n')
    first = me("status", today="2026-05-01")
    assert "deadline settings in config.toml changed" in first.stderr
    assert me("status", today="2026-05-01").stderr == ""  # once, not at every command
    ws = Workspace(home, today=dt.date(2026, 5, 1))
    assert report.build(ws, 0)["by_organisation"][0]["on_time"] == 0  # due 9 April: late
    assert "disagree" not in me("doctor", today="2026-05-01").stdout
    ws.db.conn.close()


def test_following_the_deadline_settings_never_makes_a_read_fail(me, home):
    """The settings are followed only when nobody else writes: a read while another
    sar holds the write lock goes on at once with the caches as they are, and the
    next command recomputes; a value edited in that is not valid, or not a string,
    leaves the reads working."""
    import os
    import sqlite3

    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-06", today="2026-03-06")
    me("mark", ref, "fulfilled", "--on", "2026-04-10", today="2026-04-10")
    config = home / "config.toml"
    plain = config.read_text()
    config.write_text(plain + '\n[deadlines]\npost_presumption = "cpr-6.26"\n')
    other = sqlite3.connect(home / "sar.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another sar, writing a chunk
    os.environ["SAR_TEST_BUSY_TIMEOUT"] = "3"
    try:
        run = me("list", today="2026-05-01")
    finally:
        os.environ.pop("SAR_TEST_BUSY_TIMEOUT", None)
        other.execute("ROLLBACK")
    assert ref in run.stdout and run.stderr == ""
    (basis,) = other.execute("SELECT deadlines FROM cache_basis").fetchone()
    assert '"post_presumption":"pd-1985"' in basis  # not followed yet
    assert "changed" in me("list", today="2026-05-01").stderr  # the next command does
    (basis,) = other.execute("SELECT deadlines FROM cache_basis").fetchone()
    assert '"post_presumption":"cpr-6.26"' in basis
    other.close()
    for bad, shown in (('"bogus"', "'bogus'"), ("2026-01-01", "'2026-01-01'")):
        config.write_text(plain + f"\n[deadlines]\npost_presumption = {bad}\n")
        run = me("list", today="2026-05-01")
        assert ref in run.stdout
        assert run.stderr == ("Warning: deadlines.post_presumption in config.toml must be "
                              f"one of pd-1985, cpr-6.26 (it is {shown}); due dates stay "
                              "as last worked out until it is fixed\n")
        line = me.fails("show", ref, today="2026-05-01")
        assert "deadlines.post_presumption in config.toml must be one of" in line
    # Set right again with `config set`: no warning while fixing it, none after.
    assert me("config", "set", "deadlines.post_presumption", "pd-1985",
              today="2026-05-01").stderr == ""
    assert me("list", today="2026-05-01").stderr == ""


def test_config_set_recomputes_once_and_says_nothing_of_a_hand_edit(me):
    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-06", today="2026-03-06")
    run = me("config", "set", "deadlines.post_presumption", "cpr-6.26", today="2026-03-06")
    assert run.stderr == ""
    assert me("status", today="2026-03-06").stderr == ""


def test_a_long_running_command_follows_a_settings_change_made_meanwhile(me, home):
    """`sar watch` keeps its workspace for days: a `config set deadlines.*` made in
    another terminal recomputes the caches at once, but the watcher then records
    answers under the settings it read at start. Between rounds it reads the
    configuration again (Workspace.follow_config) and recomputes, so the report
    agrees with the events."""
    import datetime as dt

    from sar import report
    from sar.core.lifecycle import Event
    from sar.workspace import Workspace

    ref = me("new", "access", "--to", "acme", "--via", "post", "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-06", today="2026-03-06")  # a Friday, first class
    watcher = Workspace(home, today=dt.date(2026, 4, 10))
    row = watcher.find(ref)
    assert watcher.options().post_presumption == "pd-1985"
    me("config", "set", "deadlines.post_presumption", "cpr-6.26", today="2026-04-10")
    watcher.log.append(row, Event("fulfilled", dt.date(2026, 4, 10), "inbox", {}))

    def on_time():  # as the next `sar report` counts: from the rows, and one by one
        ws = Workspace(home, today=dt.date(2026, 5, 1))
        counted = (report.build(ws, 0)["by_organisation"][0]["on_time"],
                   sum(i["on_time"] for i in report.rows(ws)))
        ws.db.conn.close()
        return counted

    assert on_time() == (1, 0)  # the row cached under the old rule
    watcher.follow_config()
    assert watcher.options().post_presumption == "cpr-6.26"
    assert on_time() == (0, 0)  # due 9 April: a day late, counted so
    watcher.db.conn.close()


def test_a_locked_database_is_one_clear_line(me, home):
    import sqlite3

    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    blocker = sqlite3.connect(home / "sar.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        import os

        os.environ["SAR_TEST_BUSY_TIMEOUT"] = "1"
        line = me.fails("mark", ref, "note", "--note", "x")
    finally:
        os.environ.pop("SAR_TEST_BUSY_TIMEOUT", None)
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "database" in line and "locked" in line


def test_everything_written_is_private(me, home, monkeypatch):
    os.umask(0o022)  # a permissive umask, as many systems have
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    me("letter", ref, "-o", str(home / "letters-copy.docx"))
    for path in home.rglob("*"):
        if path.name.endswith(".docx"):
            continue  # a file the user asked for by name, where they asked for it
        expected = 0o700 if path.is_dir() else 0o600
        assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"
        assert mode(path) & 0o777 in (expected, 0o600, 0o700), path


def test_no_answer_at_a_prompt_is_one_line_and_changes_nothing(sar, home):
    assert "no answer was given" in sar.fails("init", input="")
    assert not home.exists()


def test_ctrl_c_at_a_prompt_exits_130(home, tmp_path):
    import signal
    import subprocess
    import sys

    env = {**os.environ, "SAR_HOME": str(home), "SAR_TODAY": "2026-03-02"}
    proc = subprocess.Popen([sys.executable, "-m", "sar", "init"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout.read(5) == b"Name:"  # waiting at the first prompt
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and b"Interrupted." in err and b"Traceback" not in err
    assert not home.exists()


def test_a_password_is_not_asked_for_when_there_is_no_keyring_to_keep_it(sar, home):
    keyring = pytest.importorskip("keyring")
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # a machine with no OS keyring, as a server is
    try:
        sar("config", "set", "smtp.host", "mail.example.org")
        sar("config", "set", "smtp.username", "robin")
        run = sar("config", "password", "smtp", ok=False)  # no input: a prompt would abort
        assert run.exit_code == 1 and "SAR_SMTP_PASSWORD" in run.stderr
        assert "password for" not in run.stdout  # refused before the prompt
    finally:
        keyring.set_keyring(before)


def test_config_unset_list_and_file_settings(sar, home, tmp_path):
    sar("config", "set", "smtp.port", "2525")
    sar("config", "set", "letters.attach_docx", "true")
    listed = {r["setting"]: r for r in _plain_table(sar("config", "list").stdout)}
    assert listed["letters.attach_docx"]["value"] == "true"
    assert "2525" in sar("config", "get", "smtp.port").stdout
    assert sar("config", "unset", "smtp.port").stdout.strip() == "smtp.port: back to the default"
    assert sar("config", "get", "smtp.port").stdout.strip() == ""
    assert "port" not in (home / "config.toml").read_text()
    assert "unknown setting" in sar.fails("config", "unset", "smtp.prot")
    assert "is not a file" in sar.fails("config", "set", "smtp.ca_file", str(tmp_path / "no.pem"))
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    sar("config", "set", "imap.ca_file", str(tmp_path / "ca.pem"))
    assert sar("config", "get", "imap.ca_file").stdout.strip() == str(tmp_path / "ca.pem")


def _plain_table(text: str) -> list[dict]:
    """Rows of sar's piped table output (columns split on runs of 2+ spaces)."""
    import re

    lines = [line for line in text.splitlines() if line.strip()]
    heads = [h.lower() for h in re.split(r"\s{2,}", lines[0].strip())]
    return [dict(zip(heads, re.split(r"\s{2,}", line.strip()), strict=False))
            for line in lines[1:]]
