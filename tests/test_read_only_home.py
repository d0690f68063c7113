"""A home this user may not write to can still be looked at (issue 21 item 15): the
read-only commands work, and a command that would change it is one line.

Root ignores permission bits, so as root the home is also made immutable
(`chattr +i`, which binds root too); where neither is possible the test skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


def _chattr(flag: str, path) -> bool:
    if not shutil.which("chattr"):
        return False
    return subprocess.run(["chattr", "-R", flag, str(path)], capture_output=True).returncode == 0


@pytest.fixture
def frozen(me):
    """`me` with a sent request and a draft, then made read-only (chmod -R a-w)."""
    sent, _ = me.send_new()
    draft = me("new", "erasure", "--to", "fictional-party", "--json").json()[0]["ref"]
    import gc

    gc.collect()  # the connections those commands left in this process: closed
    subprocess.run(["chmod", "-R", "a-w", str(me.home)], check=True)
    immutable = False
    if os.access(me.home, os.W_OK):  # root: the bits alone do not stop it
        immutable = _chattr("+i", me.home)
        if not immutable or os.access(me.home, os.W_OK):
            subprocess.run(["chmod", "-R", "u+w", str(me.home)], check=True)
            pytest.skip("this user can write to a read-only home (root without chattr)")
    yield me, sent, draft
    if immutable:
        _chattr("-i", me.home)
    subprocess.run(["chmod", "-R", "u+w", str(me.home)], check=True)


def files(home) -> dict:
    """Every file of the home, byte for byte (the database included: read with
    sqlite3 here, a WAL database would want to write its -shm)."""
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*"))
            if p.is_file()}


def run(me, *args, today="2026-03-10"):
    """Run sar in a fresh process, as a user would from a shell: nothing left open
    by earlier commands in this one."""
    code = "import sys; from sar.cli import main; sys.argv[0] = 'sar'; sys.exit(main())"
    env = {**os.environ, "SAR_HOME": str(me.home), "SAR_TODAY": today, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, env=env)


def test_a_read_only_home_can_be_looked_at(frozen):
    me, sent, draft = frozen
    before = files(me.home)
    for args in (["status"], ["list"], ["list", "--json"], ["show", sent],
                 ["show", sent, "--json"], ["due"], ["overdue"], ["report"],
                 ["report", "--json"], ["export"], ["export", "--json"],
                 ["calendar", "-o", "-"]):
        r = run(me, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert sent in run(me, "status").stdout and draft in run(me, "list").stdout
    assert "BEGIN:VCALENDAR" in run(me, "calendar", "-o", "-").stdout
    assert files(me.home) == before


def test_a_command_that_writes_says_the_home_is_read_only(frozen):
    me, sent, _ = frozen
    before = files(me.home)
    r = run(me, "mark", sent, "acknowledged")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "Error: the sar home is read-only: it can be looked at (status, list, show, "
        "report, export), not changed"]
    assert files(me.home) == before
