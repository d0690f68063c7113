"""Helpers for the cog blocks in docs/*.md: the CLI reference and example letters.

Regenerate with `cog -r -I docs docs/*.md`; tests/test_docs.py fails when a page
is stale.
"""

from __future__ import annotations

import os
import tempfile

from typer.main import get_command
from typer.testing import CliRunner

from sar.cli import app


def help_for(*args: str) -> str:
    """`sar ARGS --help` as plain text at 80 columns, fenced for Markdown."""
    result = CliRunner().invoke(app, [*args, "--help"], prog_name="sar", terminal_width=80,
                                env={"COLUMNS": "80", "TERM": "dumb"})
    text = result.stdout.rstrip()
    command = " ".join(["sar", *args, "--help"])
    return f"```\n$ {command}\n{text}\n```\n"


def commands() -> list[tuple[str, ...]]:
    """Every command path, in the order `sar --help` lists them."""
    root = get_command(app)
    out: list[tuple[str, ...]] = []
    for name, cmd in root.commands.items():
        if getattr(cmd, "commands", None):
            out += [(name, sub) for sub in cmd.commands]
        else:
            out.append((name,))
    return out


def example_letter(kind: str, org: str, fmt: str = "text", regime: str | None = None) -> str:
    """A letter rendered from the real templates for an invented person on a fixed date."""
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as home:
        env = {"SAR_HOME": home, "SAR_TODAY": "2026-03-02"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            runner.invoke(app, ["init", "--name", "Alex Example", "--email",
                                "alex@example.org", "--address",
                                "1 Example Street, London, N1 1AA", "--no-input"], env=env)
            args = ["new", kind, "--to", org, "--json"] + (["--regime", regime] if regime else [])
            created = runner.invoke(app, args, env=env)
            import json

            ref = json.loads(created.stdout)[0]["ref"]
            letter = runner.invoke(app, ["letter", ref, "--format", fmt], env=env).stdout
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    # References are random; show a fixed one so the page is stable.
    return letter.replace(ref, "SAR-7K2QX")
