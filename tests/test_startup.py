"""`sar --help` stays fast: heavy libraries load only in the commands that use them.

Timing belongs in benchmarks/; here we check the cause of slowness instead, which
does not vary with the machine: which modules a `--help` run imports, and that a
command given only text (`sar status`) does not import pydantic.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
import typer.main

from sar.cli import app

# Typer itself pulls in importlib.metadata (and so the email package) for some
# help screens; those are the standard library's and cheap, so not listed.
# pydantic: Typer coerces parameter values through it; sar.cli.coercion spares the
# text ones that.
HEAVY = ["jinja2", "docx", "lxml", "sqlite_utils", "sqlite3", "holidays", "rich", "numpy",
         "smtplib", "imaplib", "imapclient", "platformdirs", "tomli_w", "hypothesis",
         "pydantic"]

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


def loaded_after(*argsets, home=None):
    code = PROBE.format(argsets=[list(a) for a in argsets], heavy=HEAVY)
    env = {"PATH": "", "COLUMNS": "80", **({"SAR_HOME": str(home)} if home else {})}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
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


def test_commands_with_text_values_do_not_load_pydantic(tmp_path):
    # `status` on an empty home opens no database, so sqlite3 is all it needs; the
    # others fail (no such organisation, no profile, no request) after parsing
    # options, arguments and repeated options of text.
    home = tmp_path / "empty"
    assert loaded_after(["status"], home=home) == ["sqlite3"]
    assert "pydantic" not in loaded_after(
        ["status", "--org", "acme", "--kind", "access", "--json"], ["orgs", "show", "acme"],
        ["new", "access", "--to", "acme", "--to", "@uk-parties", "--lang", "en"],
        ["show", "SAR-7K2QX"], home=home)
    assert not home.exists()
    # Nor do plain whole numbers, given (--limit) or by default (calendar --alarm).
    assert "pydantic" not in loaded_after(["status", "--limit", "20"], ["list", "--limit", "0"],
                                          ["calendar", "-o", "-"], home=home)


def test_the_probe_would_notice_pydantic(tmp_path):
    # A path option still goes through Typer's own coercion, and so pydantic.
    assert "pydantic" in loaded_after(["letter", "SAR-7K2QX", "-o", str(tmp_path / "x.txt")],
                                      home=tmp_path / "empty")


TEXT_VALUES = [None, "", "x", "SAR-7K2QX", " two words ", "ünïcödé", "-", "@uk-parties",
               (), ("a",), ("a", "b"), ["c", "d"], "14d", "3", "yes", "false",
               # Numbers, as typed and as defaults: the plain ones answered by ours.
               "0", "20", "007", "-1", " 5", "1_000", "3.0", "99999999999999999999", 0, 3,
               -1, 61, True, 2.0]


def every_parameter(command, ctx):
    """(parameter, its context) for every parameter in the tree, --help included."""
    for param in command.get_params(ctx):
        yield param, ctx
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from every_parameter(sub, typer.Context(sub, info_name=name, parent=ctx))


def test_the_plain_coercion_answers_as_typers_own():
    from sar.cli.coercion import PlainCoercion

    root = typer.main.get_command(app)
    params = list(every_parameter(root, typer.Context(root, info_name="sar")))
    assert len(params) > 200
    text = flags = 0
    for param, ctx in params:
        ours = param.get_runtime_param()
        assert isinstance(ours, PlainCoercion), param.name
        theirs = type(param).get_runtime_param(param)
        for value in TEXT_VALUES:
            try:
                expected = ("value", theirs.coerce(value, param=param, ctx=ctx))
            except typer.BadParameter as e:
                expected = ("error", e.format_message())
            try:
                got = ("value", ours.coerce(value, param=param, ctx=ctx))
            except typer.BadParameter as e:
                got = ("error", e.format_message())
            assert got == expected, (ctx.command_path, param.name, value)
            assert type(got[1]) is type(expected[1])
        text += ours.text is not None
        flags += param.type_descriptor.annotation is bool
    # Every parameter that is not a flag is text, bar a few paths and numbers.
    assert text > (len(params) - flags) * 0.8


def test_reading_a_home_does_not_import_numpy(tmp_path):
    # sqlite-utils imports numpy (and pandas) when installed, only to map their types
    # on insert; sar.store.db keeps them out of its import (0.1-0.2 s of each read).
    pytest.importorskip("numpy")
    from sar.store.db import connect

    home = tmp_path / "home"
    home.mkdir()
    connect(home / "sar.db").conn.close()
    loaded = loaded_after(["status"], ["list", "--limit", "1"], home=home)
    assert "sqlite_utils" in loaded and "numpy" not in loaded
