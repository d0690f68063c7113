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


def example_letter(kind: str, org: str, fmt: str = "text", regime: str | None = None,
                   lang: str | None = None, follow_up: str | None = None,
                   details: str | None = None) -> str:
    """A letter rendered from the real templates for an invented person on fixed dates.
    Follow-ups are rendered for a request sent on 2 March 2026, with the event they
    answer recorded, six weeks later."""
    import json

    runner = CliRunner()
    with tempfile.TemporaryDirectory() as home:
        env = {"SAR_HOME": home, "SAR_TODAY": "2026-03-02"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)

        def sar(*args, today=None):
            e = {**env, "SAR_TODAY": today or env["SAR_TODAY"]}
            result = runner.invoke(app, list(args), env=e)
            assert result.exit_code == 0, result.output
            return result.stdout

        try:
            # The CCPA is for California residents (sar refuses it from elsewhere).
            address = ("1 Example Street, Sacramento, CA 95814" if regime == "ccpa" else
                       "1 Example Street, London, N1 1AA")
            sar("init", "--name", "Alex Example", "--email", "alex@example.org", "--address",
                address, "--no-input")
            args = ["new", kind, "--to", org, "--json"]
            args += ["--regime", regime] if regime else []
            args += ["--lang", lang] if lang else []
            args += ["--details", details] if details and not follow_up else []
            created = json.loads(sar(*args))[0]
            ref = created["ref"]
            if follow_up:
                if created["channel"] == "post":
                    sar("post", ref, "--posted", "2026-03-02", "--method", "first-class")
                else:
                    sar("send", ref)
                answer = {"id-reply": ("id-requested", "2026-03-05"),
                          "extension-challenge": ("extended", "2026-03-20")}.get(follow_up)
                if answer:
                    sar("mark", ref, answer[0], today=answer[1])
                extra = ["--details", details] if details else []
                letter = sar("letter", ref, "--follow-up", follow_up, "--format", fmt, *extra,
                             today="2026-04-14")
            else:
                letter = sar("letter", ref, "--format", fmt)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    # References are random; show a fixed one so the page is stable. (Message-IDs are
    # random too, which is why the reminder example is a posted letter.)
    return letter.replace(ref, "SAR-7K2QX").replace(ref.lower(), "sar-7k2qx")
