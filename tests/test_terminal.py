"""What a person sees on a terminal: lines that fit its width, words and addresses
never broken, `--help` in panels with whole descriptions and real metavars, progress
on stderr only, and a board that summarises instead of printing every request.

The width checks run `sar` on a real pseudo-terminal of 80 and 120 columns, as a
user's terminal would be, so the rich tables and the wrapping are the real ones.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from typer.main import get_command

from sar.core.board import SHOWN, grouped, summarise

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def on_terminal(args, home: Path, columns: int, today: str, *, stdout_file=None):
    """Run `sar ARGS` with a pseudo-terminal of `columns` as stdout and stderr (or
    stdout into `stdout_file`); return what the terminal showed, without escapes."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**os.environ, "SAR_HOME": str(home), "SAR_TODAY": today, "COLUMNS": str(columns),
           "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    for noise in ("NO_COLOR", "FORCE_COLOR", "SAR_DEBUG"):
        env.pop(noise, None)
    proc = subprocess.Popen([sys.executable, "-m", "sar", *args], stdin=subprocess.DEVNULL,
                            stdout=stdout_file or follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the other end closed: the command ended
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return ANSI.sub("", b"".join(chunks).decode()).replace("\r", "")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo home, made by `sar demo` on an 80-column terminal (its output kept)."""
    home = tmp_path_factory.mktemp("terminal") / "demo"
    shown = on_terminal(["demo", "--home", str(home)], home, 80, "2026-03-02")
    return home, shown


def too_wide(text: str, columns: int) -> list[str]:
    return [line for line in text.split("\n") if len(line) > columns]


def test_the_demo_fits_80_columns_and_breaks_no_address(demo):
    home, shown = demo
    assert "The board on day 45" in shown
    assert too_wide(shown, 80) == []
    # Names, not slugs, on the board.
    assert "The Labour Party" in shown and "Experian Ltd" in shown


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("what", ["status", "show", "inbox", "orgs", "help"])
def test_no_terminal_line_exceeds_the_width(demo, sar, columns, what):
    home, _ = demo
    refs = [r["ref"] for r in sar("--home", home, "list", "--json", today="2026-04-16").json()]
    args = {"status": ["status"], "show": ["show", refs[1]], "inbox": ["inbox", "--all"],
            "orgs": ["orgs", "list"], "help": ["--help"]}[what]
    shown = on_terminal(args, home, columns, "2026-04-16")
    assert shown.strip()
    assert too_wide(shown, columns) == []
    if what in ("show", "inbox"):
        # Every sender's address is printed whole, on one line.
        senders = {m["from"] for m in sar("--home", home, "inbox", "--all", "--json",
                                          today="2026-04-16").json()}
        for address in senders:
            assert address in shown or address not in " ".join(shown.split())


def test_show_keeps_internal_fields_for_json(demo, sar):
    home, _ = demo
    ref = [r for r in sar("--home", home, "list", "--json", today="2026-04-16").json()
           if r["org"] == "experian" and r["kind"] == "access"][0]["ref"]
    text = on_terminal(["show", ref], home, 80, "2026-04-16")
    for heading in ("Status", "Due", "Deadline, and why", "Timeline", "Letters and messages",
                    "Attachments", "Next step"):
        assert heading in text
    assert text.index("Status") < text.index("Deadline, and why") < text.index("Timeline") \
        < text.index("Attachments") < text.index("Next step")
    for internal in ("matched_by", "message_id", "matched by", "trust unverified",
                     "sender unverified", "sha256"):
        assert internal not in text
    shown = sar("--home", home, "show", ref, "--json", today="2026-04-16").json()
    reply = [e for e in shown["events"] if e["source"] == "inbox"][0]["details"]
    assert {"matched_by", "message_id", "trust"} <= set(reply)


def test_orgs_list_gives_the_addresses_whole_and_no_kind_column_when_filtered(sar):
    text = on_terminal(["orgs", "list", "--kind", "credit-reference-agency"],
                       sar.home, 80, "2026-03-02")
    assert "consumer@transunion.co.uk" in text and "UKDPO@equifax.com" in text
    assert "kind" not in text.split("\n")[0]


# --help -----------------------------------------------------------------------------

PANELS = ["Requests:", "Mail:", "Tracking:", "Campaigns:", "Directory:", "Care:"]


def every_command(cmd, path=()):
    yield list(path)
    for name, sub in (getattr(cmd, "commands", None) or {}).items():
        yield from every_command(sub, (*path, name))


def test_help_is_grouped_into_panels(sar):
    text = sar("--help").stdout
    found = [p for p in PANELS if f"\n{p}\n" in text]
    assert found == PANELS
    positions = [text.index(f"\n{p}\n") for p in PANELS]
    assert positions == sorted(positions)
    tracking = text[text.index("\nTracking:\n"):text.index("\nCampaigns:\n")]
    assert "  status " in tracking and "  send " not in tracking
    assert "  send " in text[text.index("\nMail:\n"):text.index("\nTracking:\n")]


def test_no_help_is_cut_short_or_shows_a_python_type(sar):
    from sar.cli import app
    from sar.cli.helptext import summary

    root = get_command(app)
    for path in every_command(root):
        text = sar(*path, "--help").stdout
        assert "list[" not in text and "<str>" not in text and "<bool>" not in text, path
        cmd = root
        for name in path:
            cmd = cmd.commands[name]
        flat = " ".join(text.split())
        for sub in (getattr(cmd, "commands", None) or {}).values():
            # Listed by its whole first paragraph, never cut with "...".
            assert summary(sub) in flat and not summary(sub).endswith("..."), (path, sub.name)
    assert "REF...  References to send." in sar("send", "--help").stdout


# progress ---------------------------------------------------------------------------

def test_progress_goes_to_stderr_and_stdout_keeps_only_the_results(me, tmp_path):
    for slug in ("acme", "fictional-party"):
        me("new", "access", "--to", slug)
    log = tmp_path / "send.log"
    with open(log, "w") as out:
        terminal = on_terminal(["send", "--all"], me.home, 80, "2026-03-02", stdout_file=out)
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and all(line.startswith("sent SAR-") for line in lines), lines
    assert "to Acme Data Ltd <privacy@acme.example>" in log.read_text()
    assert "\x1b" not in log.read_text()
    assert "sending" in terminal and "/2" in terminal  # n/total, drawn on stderr


def test_no_progress_when_stderr_is_not_a_terminal(me):
    for slug in ("acme", "fictional-party"):
        me("new", "access", "--to", slug)
    run = subprocess.run([sys.executable, "-m", "sar", "send", "--all"], capture_output=True,
                         text=True, env={**os.environ, "SAR_HOME": str(me.home),
                                         "SAR_TODAY": "2026-03-02", "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.count("sent SAR-") == 2


def test_a_campaign_invite_reports_progress_per_participant(sar, tmp_path):
    from sar.campaign import Campaigns
    from sar.workspace import Workspace
    from tests.test_campaign import self_send_campaign

    self_send_campaign(sar, tmp_path, 4)
    calls = []
    result = Campaigns(Workspace(sar.home)).invite(
        "own", progress=lambda done, total, who: calls.append((done, total)))
    assert result["invited"] == 4
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4)]


# the board summary -----------------------------------------------------------------

def row(ref, status, due, days_left):
    return {"ref": ref, "org": "acme", "kind": "access", "status": status, "due": due,
            "days_left": days_left}


def test_the_summary_counts_every_request_and_lists_the_most_urgent_first():
    rows = ([row(f"O{i}", "overdue", f"2026-01-{i + 1:02d}", -30 + i) for i in range(5)]
            + [row(f"S{i}", "sent", f"2026-03-{i + 1:02d}", 10 + i) for i in range(30)]
            + [row(f"A{i}", "acknowledged", f"2026-04-{i + 1:02d}", 40 + i) for i in range(3)]
            + [row(f"F{i}", "fulfilled", None, None) for i in range(7)])
    board = summarise(grouped(rows))
    assert board["total"] == 45 and board["shown"] == SHOWN == 20
    listed = [r["ref"] for g in board["groups"] for r in g["requests"]]
    assert listed[:5] == ["O0", "O1", "O2", "O3", "O4"]  # overdue first, the oldest first
    assert listed[5:] == [f"S{i}" for i in range(15)]     # then due soonest
    theirs = [g for g in board["groups"] if g["name"] == "theirs"][0]
    assert theirs["total"] == 33 and theirs["counts"] == {"sent": 30, "acknowledged": 3}
    done = [g for g in board["groups"] if g["name"] == "done"][0]
    assert done["total"] == 7 and done["requests"] == []
    assert summarise(grouped(rows), None)["shown"] == 45
    assert summarise(grouped(rows), 3)["shown"] == 3


def test_status_lists_20_then_says_how_many_it_left_out(me):
    created = me("new", "access", "--to", "acme", "--json").json()
    for _ in range(24):
        created += me("new", "access", "--to", "acme", "--again", "--json").json()
    text = me("status").stdout
    assert text.count("SAR-") == 20
    assert "5 of 25 requests not listed" in " ".join(text.split())
    assert "Your move (25)" in text and "draft 25" not in text  # one status: no breakdown
    assert me("status", "--all").stdout.count("SAR-") == 25
    limited = me("status", "--limit", "3").stdout
    assert limited.count("SAR-") == 3 and "22 of 25 requests not listed" in limited
    # --json keeps its shape and every row.
    board = me("status", "--json").json()
    assert sum(len(g["requests"]) for g in board["groups"]) == 25 and "as_of" in board
    assert me.fails("status", "--all", "--limit", "3", code=1)
    # list: every row unless --limit, in text and JSON alike.
    assert me("list").stdout.count("SAR-") == 25
    assert me("list", "--limit", "2").stdout.count("SAR-") == 2
    assert "23 of 25 requests not listed" in me("list", "--limit", "2").stdout
    assert len(me("list", "--limit", "2", "--json").json()) == 2
    assert len(me("list", "--json").json()) == 25


def test_an_import_reports_progress_over_its_files(sar, tmp_path):
    from sar.workspace import Workspace
    from tests.test_directory_import import _company, _database

    folder = _database(tmp_path / "data", [_company(f"firma{i:03d}") for i in range(250)])
    calls = []
    report = Workspace(sar.home).import_orgs(folder, lambda n, total, _: calls.append((n, total)))
    assert report.loaded == 250
    assert calls == [(0, 250), (100, 250), (200, 250)]
