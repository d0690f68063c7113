"""Kill `sar send` at random points during a batch, again and again, then finish.

Against a real SMTP server on loopback: every request must end up sent exactly once
or reported `unknown`, and nothing the server received may be recorded unsent.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes

import pytest

from sar import profile
from sar.core import refs
from sar.workspace import Workspace
from tests.smtp_server import SmtpServer

BATCH = 200
pytestmark = pytest.mark.slow


def home_sending_to(home, server, drafts: int) -> tuple[list[str], dict]:
    """A home with a profile, `drafts` access requests, and SMTP set to `server`;
    the references, and the environment for a `sar` subprocess using it."""
    ws = Workspace(home)
    ws.init(profile.make("Robin Testperson", "robin@example.org",
                         "12 Sample Lane, Exampleton, EX1 2MP", today=ws.today))
    ws.add_org(slug="acme", name="Acme Data Ltd", email="privacy@acme.example")
    for key, value in [("mail.transport", "smtp"), ("smtp.host", "127.0.0.1"),
                       ("smtp.port", str(server.port)), ("smtp.security", "none")]:
        ws.set_config(key, value)
    refs_ = [ws.new("access", ["acme"], again=True)[0]["ref"] for _ in range(drafts)]
    env = {**os.environ, "SAR_HOME": str(home)}
    env.pop("SAR_TODAY", None)
    return refs_, env


def kill_and_finish(home, server, drafts: int, args: list[str], window: tuple[float, float],
                    after_kill=None, config: dict | None = None,
                    in_flight: bool = False) -> None:
    """Kill `sar send --all ARGS` eight times at random moments, finish the batch, and
    check every request went at most once and nothing that went is recorded unsent.
    The moment is a random time in `window` after the process starts or, `in_flight`,
    after the server has taken this run's first letter: on a fast machine an unpaced
    batch would otherwise be over before most kills."""
    drafted, env = home_sending_to(home, server, drafts)
    for key, value in (config or {}).items():
        Workspace(home).set_config(key, value)
    wanted = set(drafted)
    rng = random.Random(20261128)
    kills = 0
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-m", "sar", "send", "--all", *args], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if in_flight:
            before, deadline = len(server.handler.received), time.monotonic() + 30
            while (len(server.handler.received) == before and proc.poll() is None
                   and time.monotonic() < deadline):
                time.sleep(0.002)
        time.sleep(rng.uniform(*window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if after_kill:
            after_kill(home)
    finish = subprocess.run([sys.executable, "-m", "sar", "send", "--all"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert finish.returncode in (0, 1), finish.stderr
    assert kills >= 3, "the batch finished before it could be interrupted"

    received = Counter()
    for m in server.handler.received:
        [ref] = refs.find_all(message_from_bytes(m.content)["Subject"])
        received[ref] += 1
    conn = sqlite3.connect(home / "sar.db")
    status = dict(conn.execute("SELECT ref, status FROM requests"))
    unknown = {r for (r,) in conn.execute(
        "SELECT DISTINCT requests.ref FROM messages JOIN requests ON "
        "requests.id = messages.request_id WHERE messages.state = 'unknown'")}
    recorded = dict(conn.execute(
        "SELECT requests.ref, messages.message_id FROM messages JOIN requests ON "
        "requests.id = messages.request_id WHERE messages.state = 'sent'"))
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()

    assert set(status) == wanted
    for ref in wanted:
        assert received[ref] <= 1, f"{ref} was sent {received[ref]} times"
        if status[ref] == "sent":
            assert received[ref] == 1
        else:
            assert ref in unknown, f"{ref} is {status[ref]} and not reported unknown"
        if received[ref]:
            assert status[ref] == "sent" or ref in unknown, f"{ref} went but is recorded unsent"
    sent_ids = {message_from_bytes(m.content)["Message-ID"] for m in server.handler.received}
    assert set(recorded.values()) <= sent_ids
    print(f"\n{kills} kills; {sum(received.values())} received; {len(unknown)} unknown")


def test_sigkill_during_a_batch_never_sends_twice(tmp_path):
    server = SmtpServer().start()
    try:
        # A rate limit stretches the batch so the kills land inside it.
        kill_and_finish(tmp_path / "home", server, BATCH, ["--rate", "250/s"], (0.3, 0.8))
    finally:
        server.stop()


def test_sigkill_in_full_flight_leaves_at_most_k_to_settle(tmp_path):
    """No rate: letters go in chunks of send.batch; a kill leaves at most that many
    `sending`, and still none is sent twice or recorded unsent."""
    server = SmtpServer().start()
    left = []

    def count_sending(home):
        conn = sqlite3.connect(home / "sar.db")
        left.append(conn.execute("SELECT count(*) FROM messages WHERE state = 'sending'")
                    .fetchone()[0])
        conn.close()

    try:
        home = tmp_path / "home"
        kill_and_finish(home, server, 4 * BATCH, [], (0.0, 0.15), after_kill=count_sending,
                        config={"send.batch": "5"}, in_flight=True)
    finally:
        server.stop()
    assert max(left) <= 5, left


@pytest.fixture
def paced(tmp_path):
    """Three drafts, an SMTP server on loopback, and a way to start a paced batch."""
    home = tmp_path / "home"
    server = SmtpServer().start()
    drafted, env = home_sending_to(home, server, 3)

    def start():
        return subprocess.Popen([sys.executable, "-m", "sar", "send", "--all", "--rate", "20/min"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait_for(n):
        deadline = time.monotonic() + 20
        while len(server.handler.received) < n:
            assert time.monotonic() < deadline, "the first letter never arrived"
            time.sleep(0.02)

    def status():
        conn = sqlite3.connect(home / "sar.db")
        try:
            return dict(conn.execute("SELECT ref, status FROM requests"))
        finally:
            conn.close()

    yield {"start": start, "wait_for": wait_for, "status": status, "refs": drafted,
           "server": server, "env": env}
    server.stop()


def test_an_accepted_letter_is_recorded_before_the_rate_pause(paced):
    proc = paced["start"]()
    paced["wait_for"](1)
    time.sleep(0.5)  # well inside the three-second pause before the next letter
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    status = paced["status"]()
    assert status[paced["refs"][0]] == "sent"  # not left 'sending', so not unknown
    assert len(paced["server"].handler.received) == 1


def test_ctrl_c_in_the_rate_pause_stops_before_the_next_letter(paced):
    proc = paced["start"]()
    paced["wait_for"](1)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=5)  # stops at once, not after the pause
    assert len(paced["server"].handler.received) == 1
    status = paced["status"]()
    assert [status[r] for r in paced["refs"]] == ["sent", "draft", "draft"]
    assert b"stopped before it was sent" in out
    # Interrupted, and said so: exit 130 as for any Ctrl-C (issue 21, item 8).
    assert proc.returncode == 130 and b"Interrupted: 1 sent" in err


def test_a_letter_withdrawn_during_the_batch_is_not_sent(paced):
    proc = paced["start"]()
    paced["wait_for"](1)
    withdraw = subprocess.run([sys.executable, "-m", "sar", "mark", paced["refs"][1], "withdrawn"],
                              env=paced["env"], capture_output=True, text=True, timeout=30)
    assert withdraw.returncode == 0, withdraw.stderr
    proc.communicate(timeout=30)
    subjects = [message_from_bytes(m.content)["Subject"] for m in paced["server"].handler.received]
    assert not any(paced["refs"][1] in s for s in subjects)
    status = paced["status"]()
    assert [status[r] for r in paced["refs"]] == ["sent", "withdrawn", "sent"]
