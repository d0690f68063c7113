"""Shell completion is on (issue 21 item 15): `sar --install-completion` and
`sar --show-completion`, completing sar's own commands and options, without making
other commands import more (tests/test_startup.py checks `sar status`)."""

from __future__ import annotations

import os
import subprocess
import sys

SAR = "import sys; from sar.cli import main; sys.argv[0] = 'sar'; sys.exit(main())"


def sar(*args, **env):
    return subprocess.run([sys.executable, "-c", SAR, *args], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "80", **env})


def test_the_root_help_offers_completion():
    out = sar("--help").stdout
    assert "--install-completion" in out and "--show-completion" in out


def test_the_bash_script_completes_the_sar_command():
    r = sar("--show-completion", "bash")
    assert r.returncode == 0, r.stderr
    assert "_SAR_COMPLETE" in r.stdout and "complete " in r.stdout


def test_completion_names_sar_commands_and_options():
    r = sar(_SAR_COMPLETE="complete_bash", COMP_WORDS="sar sta", COMP_CWORD="1")
    assert r.stdout.split() == ["status"]
    r = sar(_SAR_COMPLETE="complete_bash", COMP_WORDS="sar send --follow", COMP_CWORD="2")
    assert r.stdout.split() == ["--follow-up"]
