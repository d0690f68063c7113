"""`sar attachments`: what the organisation sent, listed and handed back safely."""

from __future__ import annotations

import hashlib
import stat

import pytest


@pytest.fixture
def demo(sar, tmp_path):
    """The demo's home, where Experian answered with a PDF."""
    home = tmp_path / "demo"
    sar("demo", "--home", home)
    return home


def _answered(sar, home, today):
    rows = sar("--home", home, "list", "--json", today=today).json()
    return next(r for r in rows if r["org"] == "experian" and r["status"] == "fulfilled")


def _today(home):
    import sqlite3

    conn = sqlite3.connect(home / "sar.db")
    day = conn.execute("SELECT MAX(occurred_on) FROM events").fetchone()[0]
    conn.close()
    return day


def test_attachments_of_the_demos_answered_request(sar, demo, tmp_path):
    today = _today(demo)
    ref = _answered(sar, demo, today)["ref"]
    listed = sar("--home", demo, "attachments", ref, "--json", today=today).json()
    assert [a["name"] for a in listed] == ["experian-response.pdf"]
    assert listed[0]["content_type"] == "application/pdf"
    shown = sar("--home", demo, "show", ref, "--json", today=today).json()
    assert shown["attachments"] == listed
    assert "experian-response.pdf" in sar("--home", demo, "show", ref, today=today).stdout

    out = tmp_path / "mine"
    saved = sar("--home", demo, "attachments", ref, "--save", out, "--json", today=today).json()
    target = out / "experian-response.pdf"
    assert saved[0]["path"] == str(target)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == listed[0]["sha256"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # Never over what is there: a second save keeps both.
    sar("--home", demo, "attachments", ref, "--save", out, today=today)
    assert sorted(p.name for p in out.iterdir()) == ["experian-response (2).pdf",
                                                     "experian-response.pdf"]


def test_saving_into_the_home_is_refused_and_changes_nothing(sar, demo):
    today = _today(demo)
    ref = _answered(sar, demo, today)["ref"]
    before = sorted(p.relative_to(demo) for p in demo.rglob("*"))
    run = sar("--home", demo, "attachments", ref, "--save", demo / "evidence", ok=False,
              today=today)
    assert run.exit_code == 1 and "inside the sar home" in run.stderr
    assert sorted(p.relative_to(demo) for p in demo.rglob("*")) == before


@pytest.mark.parametrize("name, safe", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\win.ini", "win.ini"),
    (".bashrc", "bashrc"),
    ("\x1b]52;c;ZXZpbA==\x07data.csv", "_52_c_ZXZpbA_data.csv"),
    ("", "attachment-1"),
    ("....", "attachment-1"),
])
def test_names_from_the_sender_are_only_names(name, safe):
    from sar.attachments import safe_name

    assert safe_name(name, "attachment-1") == safe
