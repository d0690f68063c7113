"""`sar --help` stays fast: heavy libraries load only in the commands that use them.

Timing belongs in benchmarks/; here we check the cause of slowness instead, which
does not vary with the machine: which modules a `--help` run imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Typer itself pulls in importlib.metadata (and so the email package) for some
# help screens; those are the standard library's and cheap, so not listed.
HEAVY = ["jinja2", "docx", "lxml", "sqlite_utils", "sqlite3", "holidays", "rich",
         "smtplib", "imaplib", "imapclient", "platformdirs", "tomli_w", "hypothesis"]

PROBE = """
import json, sys
from sar.cli import app
for args in {argsets!r}:
    try:
        app(args)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def loaded_after(*argsets):
    code = PROBE.format(argsets=[list(a) for a in argsets], heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PATH": "", "COLUMNS": "80"}).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_help_imports_nothing_heavy():
    assert loaded_after(["--help"], ["new", "--help"], ["orgs", "--help"],
                        ["deadline", "--help"], ["--version"]) == []


def test_the_probe_would_notice_a_heavy_import():
    # The same probe, after a command that needs the holidays package.
    assert "holidays" in loaded_after(["deadline", "--received", "2026-01-31", "--json"])


def test_python_dash_m_sar_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "sar", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("sar ")
