"""Shared fixtures: a private sar home under tmp_path, and a CLI runner for it.

Tests use only invented people and example.org / .example addresses. Nothing is
ever sent over a network; the Maildir outbox is a folder under tmp_path.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from sar.cli import app

SHARED = Path(__file__).resolve().parents[2] / "shared"
PERSON = {"name": "Robin Testperson", "email": "robin@example.org",
          "address": "12 Sample Lane, Exampleton, EX1 2MP"}


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes = b""

    def json(self):
        return json.loads(self.stdout)


@functools.cache
def command():
    """The command tree, built once: CliRunner.invoke would build it again for every
    call (a few hundred parameters, each from its function's signature). Commands
    keep no state between runs; `sar` itself builds it once per process too."""
    return typer.main.get_command(app)


@dataclass
class Result:
    exit_code: int
    stdout_bytes: bytes
    stderr_bytes: bytes
    exception: BaseException | None


def invoke(runner: CliRunner, args: list[str], env: dict, input: str | None) -> Result:
    """What CliRunner.invoke does (isolated streams and environment, exit status from
    SystemExit, any other exception kept), with the tree built once."""
    exception = None
    with runner.isolation(input=input, env=env) as (out, err, _):
        try:
            command().main(args=args, prog_name=runner.get_default_prog_name(command()))
            exit_code = 0
        except SystemExit as e:
            code = 0 if e.code is None else e.code
            if code != 0:
                exception = e
            if not isinstance(code, int):
                sys.stdout.write(f"{code}\n")
                code = 1
            exit_code = code
        except Exception as e:
            exception, exit_code = e, 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            stdout, stderr = out.getvalue(), err.getvalue()
    return Result(exit_code, stdout, stderr, exception)


def text(output: bytes) -> str:
    """As CliRunner's Result shows output."""
    return output.decode("utf-8", "replace").replace("\r\n", "\n")


class Sar:
    """Runs `sar` in-process against one home, as a user would from a shell."""

    def __init__(self, home: Path, today: str | None = "2026-03-02"):
        self.home = home
        self.today = today
        self.runner = CliRunner()

    def __call__(self, *args: str, today: str | None = None, input: str | None = None,
                 ok: bool = True) -> Run:
        env = {"SAR_HOME": str(self.home), "SAR_TODAY": today or self.today or "",
               "SAR_DEBUG": "", "COLUMNS": "120"}
        result = invoke(self.runner, [str(a) for a in args], env, input)
        run = Run(result.exit_code, text(result.stdout_bytes), text(result.stderr_bytes),
                  result.stdout_bytes)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if ok and run.exit_code != 0:
            raise AssertionError(f"sar {' '.join(map(str, args))} failed ({run.exit_code}): "
                                 f"{run.stderr or run.stdout}")
        return run

    def fails(self, *args: str, today: str | None = None, code: int = 1,
              input: str | None = None) -> str:
        """Run a command that must fail with one line on stderr; return that line."""
        run = self(*args, today=today, ok=False, input=input)
        assert run.exit_code == code, (run.exit_code, run.stdout, run.stderr)
        if code == 1:
            lines = run.stderr.strip().splitlines()
            assert len(lines) == 1, run.stderr
            assert lines[0].startswith("Error: "), run.stderr
            assert "Traceback" not in run.stderr
            return lines[0]
        return run.stderr

    def send_new(self, org: str = "acme", kind: str = "access") -> tuple[str, str]:
        """Draft and send one request (Maildir outbox): its reference and Message-ID."""
        ref = self("new", kind, "--to", org, "--json").json()[0]["ref"]
        self("send", ref)
        out = [m for m in self("show", ref, "--json").json()["messages"]
               if m["direction"] == "out"]
        return ref, out[0]["message_id"]

    def state(self) -> dict:
        """A snapshot of everything in the home, to prove a failure changed nothing."""
        files = {}
        if self.home.exists():
            for p in sorted(self.home.rglob("*")):
                if p.is_file() and not p.name.endswith(("-wal", "-shm", ".send.lock")):
                    files[str(p.relative_to(self.home))] = p.read_bytes()
        rows = {}
        db = self.home / "sar.db"
        if db.exists():
            import sqlite3

            conn = sqlite3.connect(db)
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                rows[table] = conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()
            conn.close()
        files.pop("sar.db", None)
        return {"files": files, "rows": rows}


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def sar(home, monkeypatch) -> Sar:
    monkeypatch.setenv("SAR_HOME", str(home))
    return Sar(home)


@pytest.fixture(scope="session")
def me_template(tmp_path_factory) -> Path:
    """The home `me` starts from, made once per session (per worker under xdist) by
    the commands a user would run."""
    home = tmp_path_factory.mktemp("me-template") / "home"
    sar = Sar(home)
    sar("init", "--name", PERSON["name"], "--email", PERSON["email"],
        "--address", PERSON["address"], "--no-input")
    sar("orgs", "add", "--slug", "acme", "--name", "Acme Data Ltd",
        "--email", "privacy@acme.example", "--domain", "acme.example",
        "--address", "1 Acme Way, Exampleton, EX9 9AA", "--kind", "data-broker")
    sar("orgs", "add", "--slug", "fictional-party", "--name", "Fictional Party",
        "--email", "dpo@party.example", "--domain", "party.example",
        "--kind", "political-party", "--calendar", "GB-SCT")
    return home


@pytest.fixture
def me(sar, me_template) -> Sar:
    """A home with a profile and one test organisation (acme, at example.org): a copy
    of me_template, with its modes (folders 0700, files 0600). Nothing in a home
    names the folder it is in, so the copy is the home those commands would make."""
    assert not sar.home.exists()
    shutil.copytree(me_template, sar.home)
    return sar


@pytest.fixture
def make_demo(sar, tmp_path):
    """Makes `sar demo`'s home as of a day (`today`, else the tests' default) and gives
    it with its last day and its access request to Experian (answered; the review
    finds the answer incomplete)."""
    import sqlite3

    def made(today: str | None = None):
        home = tmp_path / "demo"
        run = sar("demo", "--home", home, **({"today": today} if today else {}))
        assert "sar review" in run.stdout
        conn = sqlite3.connect(home / "sar.db")
        day = conn.execute("SELECT MAX(occurred_on) FROM events").fetchone()[0]
        ref = conn.execute("SELECT ref FROM requests WHERE org_slug = 'experian' AND "
                           "kind = 'access'").fetchone()[0]
        conn.close()
        return home, day, ref
    return made


@pytest.fixture
def demo(make_demo):
    """See make_demo."""
    return make_demo()


@pytest.fixture(autouse=True)
def _no_real_home(monkeypatch, tmp_path):
    """No test may touch the real user data folder."""
    monkeypatch.setenv("SAR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SAR_TODAY", raising=False)
    os.environ.pop("SAR_DEBUG", None)
