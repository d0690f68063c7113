"""What a new user met trying the README and the guide in a fresh home (issue 21's
last step): each fix, with the test that shows it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[list[str]]:
    """Every `sar` line of the README's sh blocks, and each `sar ...` in backticks."""
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = block.replace("\\\n", " ")
        lines += [line for line in joined.splitlines() if line.strip().startswith("sar ")]
    lines += re.findall(r"`(sar [^`]+)`", text.replace("\n", " "))
    out = []
    for line in lines:
        words = shlex.split(line, comments=True)
        out.append([w for w in words[1:] if w not in ("&&",)])
    return out


@pytest.mark.parametrize("argv", readme_commands(), ids=lambda a: " ".join(a)[:50])
def test_every_readme_command_parses(sar, argv):
    # The --help after the options: an unknown command or option fails before it.
    argv = ["SAR-7K2QX" if a == "REF" else a for a in argv]
    if "--install-completion" in argv:  # eager: it would install, not parse
        argv = ["--help"]
    run = sar(*argv, "--help", ok=False)
    assert run.exit_code == 0, (argv, run.stderr)


def test_the_calendar_counts_one_date_as_one_date(me, tmp_path):
    ref, _ = me.send_new()
    out = me("calendar", "-o", tmp_path / "d.ics").stdout
    assert out.strip().endswith(": 1 date")
    me("new", "access", "--to", "fictional-party")
    me("send", "--all")
    assert me("calendar", "-o", tmp_path / "d.ics").stdout.strip().endswith(": 2 dates")


def test_a_campaign_names_why_an_organisation_without_email_cannot_be_in_it(me):
    me("orgs", "add", "--slug", "postonly", "--name", "Post Only Ltd",
       "--address", "1 Post Road, Exampleton", "--kind", "data-broker")
    before = me.state()
    line = me.fails("campaign", "new", "k", "--to", "acme", "--to", "postonly", "--kind",
                    "access", "--mode", "agent", "--from", "sar@group.example", "--name",
                    "Our Campaign")
    assert "campaign writes by email only" in line and "--via" not in line
    assert "sar new access --to postonly" in line
    assert me.state() == before


def test_the_readme_campaign_starts_as_written(sar, tmp_path):
    text = (ROOT / "README.md").read_text()
    block = text.split("## A campaign", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    first = shlex.split(block.replace("\\\n", " ").splitlines()[0], comments=True)
    sar("init", "--name", "Robin Example", "--email", "robin@example.org", "--address",
        "1 Test Road, Testtown", "--no-input")
    run = sar(*first[1:], ok=False)
    assert run.exit_code == 0, run.stderr
