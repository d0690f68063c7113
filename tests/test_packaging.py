"""The wheel carries everything: templates and directory records reach an install.

Builds the wheel, installs it into a fresh virtual environment and runs sar from
it, outside the checkout, so a file missing from the package data fails here. The
new environment borrows the dependencies installed here through a .pth file (not
--system-site-packages, which would give the base interpreter's packages), so no
network is needed; the checkout's own editable install is not borrowed, because
.pth files inside a borrowed folder are not run.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(out), str(ROOT)], check=True)
    [built] = out.glob("sar-*.whl")
    return built


def test_wheel_contains_templates_and_directory(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    templates = [n for n in names if n.startswith("sar/templates/letters/")]
    assert "sar/templates/letters/en/_base.j2" in names
    assert "sar/templates/letters/en/gdpr/access.j2" in names
    assert len(templates) == len(list((ROOT / "templates" / "letters").rglob("*.j2")))
    assert "sar/directory/orgs/labour.toml" in names


def test_installed_wheel_runs_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    purelib = subprocess.run([str(bindir / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "borrowed-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True)
    env = {**os.environ, "SAR_HOME": str(tmp_path / "home"), "SAR_TODAY": "2026-03-02"}

    def sar(*args):
        return subprocess.run([str(bindir / "sar"), *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=True).stdout

    where = subprocess.run([str(bindir / "python"), "-c",
                            "import sar.letters as l; print(l.builtin_templates())"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(venv) in where, "the installed copy, not the checkout, must be in use"
    assert "Usage: sar" in sar("--help")
    sar("init", "--name", "Robin Testperson", "--email", "robin@example.org",
        "--address", "12 Sample Lane, Exampleton, EX1 2MP", "--no-input")
    ref = json.loads(sar("new", "access", "--to", "experian", "--json"))[0]["ref"]
    letter = sar("letter", ref)
    assert ref in letter and "Article 15" in letter
