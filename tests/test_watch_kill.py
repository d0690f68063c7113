"""Kill `sar watch` at random points while it reads a Maildir, again and again,
then let it finish: every message is in the log exactly once, every event it
means is recorded once, every row's evidence is on disk, and the database is
sound."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from email.message import EmailMessage

import pytest

from sar import profile
from sar.workspace import Workspace

MESSAGES = 1200
pytestmark = pytest.mark.slow


def test_sigkill_while_reading_never_loses_or_doubles_a_message(tmp_path):
    home = tmp_path / "home"
    ws = Workspace(home)
    ws.init(profile.make("Robin Testperson", "robin@example.org",
                         "12 Sample Lane, Exampleton, EX1 2MP", today=ws.today))
    ws.add_org(slug="acme", name="Acme Data Ltd", email="privacy@acme.example",
               domains=["acme.example"])
    replies = MESSAGES // 3
    for _ in range(replies):
        ws.new("access", ["acme"], again=True)
    sent = [r.message_id for r in ws.send(all_drafts=True)]
    mail = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (mail / sub).mkdir(parents=True)
    for i in range(MESSAGES):
        msg = EmailMessage()
        # The rest from the same organisation, unmatched: kept for `sar inbox`.
        msg["From"] = "privacy@acme.example" if i % 3 == 0 else "news@acme.example"
        msg["To"] = "robin@example.org"
        msg["Subject"] = "Re: your request" if i % 3 == 0 else f"Offer {i}"
        msg["Message-ID"] = f"<k{i}@example.org>"
        if i % 3 == 0:
            msg["In-Reply-To"] = sent[i // 3]
            msg.set_content("We have received your request and will respond within one "
                            "month.")
        else:
            msg.set_content("Offers.")
        (mail / "new" / f"{i:05d}.M{i}.host.example").write_bytes(bytes(msg))

    env = {**os.environ, "SAR_HOME": str(home)}
    env.pop("SAR_TODAY", None)
    cmd = [sys.executable, "-m", "sar", "watch", "--maildir", str(mail)]
    rng = random.Random(20261129)
    kills = 0
    for _ in range(6):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.4, 1.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    assert kills >= 3  # the kills landed inside the run, not after it

    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = conn.execute("SELECT message_id, sha256, request_id FROM messages "
                        "WHERE direction = 'in'").fetchall()
    assert len(rows) == MESSAGES
    assert len({r[0] for r in rows}) == MESSAGES
    for _, digest, _ in rows:
        data = (home / "evidence" / digest[:2] / digest[2:]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
    acks = conn.execute("SELECT request_id, COUNT(*) FROM events WHERE kind = "
                        "'acknowledged' AND source = 'inbox' GROUP BY request_id").fetchall()
    assert len(acks) == replies and all(n == 1 for _, n in acks)
    seen = conn.execute("SELECT COUNT(*) FROM maildir_seen").fetchone()[0]
    assert seen == MESSAGES
