"""Start-up: `sar --help` and `sar status` on an empty home, beside a bare Python that
only imports typer and rich, measured interleaved in one run.

    python benchmarks/startup.py          # 30 rounds
    python benchmarks/startup.py -n 100   # more rounds, steadier medians

Each round runs the three commands once each, in turn, so a machine that gets
busier or quieter part-way affects all three alike; the figures are the medians
over the rounds. `sar` runs as its console script does (`from sar.cli import main`),
from the sar that this Python imports (PYTHONPATH included). Before timing, each
command runs once with bytecode writing allowed, so every module is read from its
.pyc, as in an installed copy (PYTHONDONTWRITEBYTECODE would otherwise make every
run compile sar from source). The home is a folder that does not exist: `status`
must not create it. Targets (docs: the "house" issue): --help at most 1.3 x the
baseline, status at most 1.8 x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAR = "import sys; from sar.cli import main; sys.argv[0] = 'sar'; sys.exit(main())"
TARGETS = {"help": 1.3, "status": 1.8}


def commands(home: Path) -> dict[str, list[str]]:
    return {
        "baseline": [sys.executable, "-c", "import typer, rich"],
        "help": [sys.executable, "-c", SAR, "--help"],
        "status": [sys.executable, "-c", SAR, "status"],
    }


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def measure(rounds: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "no-home-yet"
        env = {**os.environ, "SAR_HOME": str(home), "COLUMNS": "80"}
        env.pop("SAR_TODAY", None)
        cmds = commands(home)
        warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for cmd in cmds.values():
            _run(cmd, warm)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(rounds):
            for name, cmd in cmds.items():
                times[name].append(_run(cmd, env))
        if home.exists():
            raise SystemExit(f"`sar status` created {home}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rounds", type=int, default=30, help="rounds (default 30)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    times = measure(args.rounds)
    base = statistics.median(times["baseline"])
    print(f"{args.rounds} interleaved rounds, load average {load:.2f} at the start")
    print(f"{'command':<44} {'median':>8} {'min':>8} {'ratio':>6} {'target':>7}")
    labels = {"baseline": "python -c 'import typer, rich'", "help": "sar --help",
              "status": "sar status (empty home)"}
    for name, label in labels.items():
        median = statistics.median(times[name])
        ratio = median / base
        target = f"{TARGETS[name]:.1f}" if name in TARGETS else ""
        mark = "" if name not in TARGETS else "  ok" if ratio <= TARGETS[name] else "  OVER"
        print(f"{label:<44} {median:7.3f}s {min(times[name]):7.3f}s {ratio:6.2f} "
              f"{target:>7}{mark}")
    print("ratio = median / the baseline's median")


if __name__ == "__main__":
    main()
