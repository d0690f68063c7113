"""The benchmarks still run. Their figures are read by people, never asserted here
(timing belongs in benchmarks/): this only checks that `python benchmarks/run.py`
goes through every scenario at a tiny size and prints a row for each, so a change
to sar's interface cannot quietly break the one command that measures it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_scenario_runs_and_prints_its_row():
    env = {k: v for k, v in os.environ.items() if k not in ("SAR_HOME", "SAR_TODAY")}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "-n", "2"],
                          capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    table = done.stdout
    for label in ("`sar --help`", "render 2 letters as text", "render 2 letters as DOCX",
                  "`sar send --all`", "`sar watch --imap --once`", "`sar status`, 200",
                  "`sar discover --imap`", "`sar list --limit 50`", "`sar due`", "`sar show",
                  "`sar calendar", "`sar campaign report bench --format md`"):
        assert label in table, label
    assert table.rstrip().splitlines()[-1].startswith("speed = ")
