"""Kill `sar campaign purge` at every step it takes (and at random moments), then run
it again: the purge finishes, nobody's data is left, the database passes its
integrity check, `sar doctor` is content and the report's figures are unchanged."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sar.campaign import Campaigns
from sar.workspace import Workspace

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
PEOPLE = [(f"Killtest{i:02d} Person", f"k{i:02d}@example.org", f"{i} Kill Lane")
          for i in range(12)]


@pytest.fixture(scope="module")
def campaign_home(tmp_path_factory) -> Path:
    """An agent campaign, 12 participants × 3 organisations, sent to the Maildir
    outbox, with one reply each read from a Maildir."""
    from email.message import EmailMessage

    home = tmp_path_factory.mktemp("k") / "home"
    ws = Workspace(home)
    for i in range(3):
        ws.add_org(slug=f"org{i}", name=f"Org {i}", email=f"dpo@org{i}.example",
                   domains=[f"org{i}.example"], kind="data-broker")
    c = Campaigns(ws)
    c.new("k", ["org0", "org1", "org2"], ["access"], mode="agent",
          sender="campaign@rights.example", sender_name="Rights")
    csv = home.parent / "p.csv"
    csv.write_text("name,email,address\n" + "".join(f'{n},{e},"{a}, Town"\n'
                                                    for n, e, a in PEOPLE))
    c.import_csv("k", csv)
    c.invite("k")
    import re

    codes = [re.search(r"\[(\w{4}-\w{4})\]", p.read_text()).group(1)
             for p in (home / "outbox" / "new").iterdir()]
    c.confirm("k", codes)
    c.send("k")
    box = home.parent / "replies"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for n, (mid, slug) in enumerate(ws.db.execute(
            "SELECT m.message_id, r.org_slug FROM messages m JOIN requests r ON "
            "r.id = m.request_id WHERE m.direction = 'out'").fetchall()):
        msg = EmailMessage()
        msg["From"] = f"dpo@{slug}.example"
        msg["Subject"] = "Re: your request"
        msg["Message-ID"] = f"<k{n}@{slug}.example>"
        msg["In-Reply-To"] = mid
        msg.set_content("We acknowledge receipt of your subject access request and will "
                        "respond within one month.")
        (box / "new" / f"{n}.k").write_bytes(bytes(msg))
    ws.watch(maildir=box)
    ws.db.conn.close()
    return home


PURGE = textwrap.dedent("""
    import os, signal, sys
    from sar.campaign import Campaigns
    from sar.campaign.purge import purge
    from sar.workspace import Workspace

    kill_at = int(sys.argv[2])
    seen = []

    def step(name):
        seen.append(name)
        if len(seen) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    purge(Campaigns(Workspace(sys.argv[1])), "k", force=True, stop_after=step)
    print(len(seen))
""")


def _purge(home: Path, kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PURGE, str(home), str(kill_at)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _check(home: Path, figures) -> None:
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for name, email, address in PEOPLE:
                for needle in (name, email, address):
                    assert needle.encode() not in data, (path, needle)
    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM identities").fetchone()[0] == 0
    conn.close()
    from sar.doctor import check

    assert check(Workspace(home)).problems == []
    assert _figures(home) == figures


def _figures(home: Path):
    from sar import report

    ws = Workspace(home)
    cid = ws.db.execute("SELECT id FROM campaigns").fetchone()[0]
    figures = report.build(ws, campaign_id=cid)["by_organisation"]
    # Closed now, not whenever the collector gets to it: closing the last connection
    # removes sar.db-shm, which a copy of the home running then would trip over.
    ws.db.conn.close()
    return figures


def test_a_purge_killed_at_any_step_finishes_when_run_again(campaign_home, tmp_path):
    figures = _figures(campaign_home)
    counted = tmp_path / "count"
    shutil.copytree(campaign_home, counted)
    done = _purge(counted, 0)
    assert done.returncode == 0, done.stderr
    steps = int(done.stdout)
    assert steps > 40     # evidence files, outbox files, commit, vacuum: each a step
    _check(counted, figures)
    points = sorted({1, 2, steps - 2, steps - 1, steps} |
                    set(random.Random(5).sample(range(3, steps - 2), 8)))
    for k in points:
        home = tmp_path / f"kill{k}"
        shutil.copytree(campaign_home, home)
        killed = _purge(home, k)
        assert killed.returncode == -signal.SIGKILL, (k, killed.stderr)
        again = _purge(home, 0)
        assert again.returncode == 0, (k, again.stderr)
        _check(home, figures)


def test_a_purge_killed_at_random_moments_finishes_when_run_again(campaign_home, tmp_path):
    figures = _figures(campaign_home)
    rng = random.Random(11)
    for i in range(4):
        home = tmp_path / f"rand{i}"
        shutil.copytree(campaign_home, home)
        proc = subprocess.Popen([sys.executable, "-c", PURGE, str(home), "0"], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _purge(home, 0).returncode == 0
        _check(home, figures)
