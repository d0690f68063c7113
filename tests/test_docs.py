"""The docs say what the code does: generated pages are fresh, the quick start holds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COGGED = sorted(p for p in (ROOT / "docs").glob("*.md") if "[[[cog" in p.read_text())


@pytest.mark.parametrize("page", COGGED, ids=[p.name for p in COGGED])
def test_generated_pages_are_fresh(page):
    result = subprocess.run([sys.executable, "-m", "cogapp", "--check", "-I", "docs",
                             str(page.relative_to(ROOT))], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, (
        f"{page.name} is stale: run `cog -r -I docs {page.relative_to(ROOT)}`\n"
        f"{result.stdout}{result.stderr}")


def test_cli_reference_covers_every_command():
    sys.path.insert(0, str(ROOT / "docs"))
    from cogutil import commands

    text = (ROOT / "docs" / "cli.md").read_text()
    for path in commands():
        assert f"## sar {' '.join(path)}\n" in text


def quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_quick_start_is_two_commands_and_ci_runs_them():
    commands = quick_start()
    assert len(commands) == 2
    assert "sar demo" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text()
    for command in commands:
        assert command in ci, f"{command!r} is not what .ci/run runs"


def test_docs_links_resolve():
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
