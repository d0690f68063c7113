"""Reads at scale (issue 20): CPU seconds of each read at 100,000 requests, each in
its own process, beside a bare sqlite3 read of the same rows.

    python benchmarks/scale.py              # 100,000 requests
    python benchmarks/scale.py -n 20000     # smaller
    python benchmarks/run.py scale          # the same rows in run.py's table

The home is written by benchmarks/scale_home.py (the store's own row builders, one
transaction; one agent campaign of 20 organisations, so `campaign report` reads it
too). CPU is the child's user + system time from wait4, start-up included, so the
target of "under 1 s" is for the whole command as a user runs it. The campaign end
to end, with each step's peak memory, is benchmarks/campaign.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _cpu(cmd: list[str], env: dict) -> float:
    """User + system CPU seconds of `cmd` in a child process."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd[2:])} failed: {proc.stderr.read().decode()[-500:]}")
    return usage.ru_utime + usage.ru_stime


def _bare(db: Path, sql: str, params=()) -> float:
    start = time.process_time()
    conn = sqlite3.connect(db)
    conn.execute(sql, params).fetchall()
    conn.close()
    return time.process_time() - start


def _has_option(env: dict, command: str, option: str) -> bool:
    out = subprocess.run([sys.executable, "-m", "sar", command, "--help"], env=env,
                         capture_output=True, text=True).stdout
    return option in out


def reads(n: int) -> list[tuple[str, float, str, float]]:
    """CPU of each read over a home of `n` requests."""
    from scale_home import build

    today = dt.date(2026, 12, 2)
    with tempfile.TemporaryDirectory(prefix="sar-scale-") as tmp:
        home = Path(tmp) / "home"
        build(home, n, today)
        db = home / "sar.db"
        ref = sqlite3.connect(db).execute("SELECT ref FROM requests WHERE id = ?",
                                          [n // 2]).fetchone()[0]
        env = {**os.environ, "SAR_HOME": str(home), "SAR_TODAY": today.isoformat(),
               "PYTHONPATH": str(ROOT)}
        sar = [sys.executable, "-m", "sar"]
        py = [sys.executable, "-c"]
        lib = ("import sys; from sar.workspace import Workspace; ws = Workspace(); ")
        list_50 = (sar + ["list", "--limit", "50"] if _has_option(env, "list", "--limit")
                   else py + [lib + "ws.queries.list(limit=50)"])
        status_cmd = sar + ["status"] + (["--limit", "20"] if _has_option(
            env, "status", "--limit") else [])
        every = "SELECT ref, org_slug, kind, status, due FROM requests ORDER BY due"
        first_50 = every + " LIMIT 50"
        per = f"{n:,}"
        rows = [
            (f"`{' '.join(status_cmd[2:])}`, {per} requests", _cpu(status_cmd, env),
             "bare sqlite3: every row, by due", _bare(db, every)),
            ("  the board summary: counts() + urgent(20)", _cpu(
                py + [lib + "ws.queries.counts(); ws.queries.urgent(20)"], env),
             "bare sqlite3: COUNT(*) GROUP BY status",
             _bare(db, "SELECT status, COUNT(*) FROM requests GROUP BY status")),
            (f"`sar list --limit 50`{'' if list_50[:3] == sar else ' (library)'}",
             _cpu(list_50, env), "bare sqlite3: 50 rows by due", _bare(db, first_50)),
            ("`sar list`, every row (--json)", _cpu(sar + ["list", "--json"], env),
             "bare sqlite3: every row, by due", _bare(db, every)),
            ("`sar due`", _cpu(sar + ["due"], env), "bare sqlite3: the due rows",
             _bare(db, "SELECT ref, due FROM requests WHERE due <= ? ORDER BY due",
                   [(today + dt.timedelta(days=14)).isoformat()])),
            (f"`sar show {ref}`", _cpu(sar + ["show", ref], env),
             "bare sqlite3: its row and events",
             _bare(db, "SELECT * FROM events WHERE request_id = ?", [n // 2])),
            ("`sar calendar -o FILE`", _cpu(sar + ["calendar", "-o",
                                                   str(Path(tmp) / "c.ics")], env),
             "bare sqlite3: the running rows",
             _bare(db, "SELECT * FROM requests WHERE status IN ('sent', 'acknowledged', "
                       "'extended', 'awaiting-id')")),
            ("`sar campaign report bench --format md`", _cpu(
                sar + ["campaign", "report", "bench", "--format", "md", "-o",
                       str(Path(tmp) / "r.md")], env),
             "bare sqlite3: every event", _bare(db, "SELECT * FROM events")),
            ("`sar campaign report bench --format html`", _cpu(
                sar + ["campaign", "report", "bench", "--format", "html", "-o",
                       str(Path(tmp) / "r.html")], env), "", 0.0),
            ("`python -m sar --help` (start-up, for scale)", _cpu(sar + ["--help"], env),
             "", 0.0),
        ]
    return rows


SCENARIOS = {"scale": lambda n: reads(100 * n)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="requests in the home")
    a = parser.parse_args()
    print(f"{'read (CPU s, own process)':<50} {'sar':>8}   {'baseline':<40} {'base':>8}")
    for label, t, base_label, base in reads(a.n):
        base_text = f"{base:7.3f}s" if base_label else ""
        print(f"{label:<50} {t:7.3f}s   {base_label:<40} {base_text:>8}", flush=True)


if __name__ == "__main__":
    main()
