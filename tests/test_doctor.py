"""`sar doctor` names what is wrong and exits 1; `sar backup` is a copy that is sound."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
import tarfile

import pytest


@pytest.fixture
def used(me):
    """A home with a request sent and acknowledged."""
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    me("mark", ref, "acknowledged")
    return me, ref


def test_a_healthy_home_is_all_well(used):
    me, _ = used
    out = me("doctor", "--json").json()
    assert out["ok"] and out["problems"] == []
    assert out["checked"]["events"] == 3 and out["checked"]["evidence"] >= 1


def test_a_damaged_home_names_each_problem_and_exits_1(used, home):
    me, ref = used
    conn = sqlite3.connect(home / "sar.db")
    digest = conn.execute("SELECT sha256 FROM messages").fetchone()[0]
    # A letter of unknown fate, as a process killed mid-send leaves it.
    conn.execute("UPDATE messages SET state = 'unknown'")
    # An edit to the log behind sar's back (the trigger that forbids it dropped first).
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET occurred_on = '2026-02-01' WHERE kind = 'acknowledged'")
    conn.commit()
    conn.close()
    (home / "evidence" / digest[:2] / digest[2:]).unlink()
    os.chmod(home / "sar.db", 0o644)
    run = me("doctor", ok=False)
    assert run.exit_code == 1
    problems = [line for line in run.stdout.splitlines() if line.startswith("problem:")]
    text = "\n".join(problems)
    assert "sar.db can be read by others (0o644)" in text
    assert f"evidence {digest[:16]}… ({ref}, out message #1) is missing" in text
    assert f"{ref}: a letter may or may not have gone" in text
    assert f"the event log of {ref} was changed outside sar at event 3" in text
    # The edited date also leaves the cached status behind the log.
    assert f"cached status, due date or log facts disagrees with its events ({ref})" in text
    assert len(problems) == 5, "\n".join(problems)
    # --fix makes the file private again; the rest needs a person.
    fixed = me("doctor", "--fix", ok=False)
    assert "fixed: sar.db: 0o644 -> 0o600" in fixed.stdout
    assert oct(os.stat(home / "sar.db").st_mode & 0o777) == "0o600"
    assert fixed.exit_code == 1 and "can be read by others" not in fixed.stdout


def test_a_stale_cache_is_found_and_fixed(used, home):
    me, ref = used
    conn = sqlite3.connect(home / "sar.db")
    conn.execute("UPDATE requests SET status = 'fulfilled'")
    conn.commit()
    conn.close()
    assert "cached status, due date or log facts disagrees" in me("doctor", ok=False).stdout
    me("doctor", "--fix", ok=False)
    assert me("doctor", "--json").json()["ok"]
    assert me("show", ref, "--json").json()["status"] == "acknowledged"


def test_a_stale_log_fact_is_found_and_fixed(used, home):
    # What the report counts of a log (m018) is a cache of the events like the status.
    me, ref = used
    conn = sqlite3.connect(home / "sar.db")
    kept = conn.execute("SELECT first_sent_on, first_answer_on, kinds_seen FROM requests "
                        "WHERE ref = ?", [ref]).fetchone()
    assert kept[0] and kept[2] & 2  # sent, and acknowledged (bit 2)
    conn.execute("UPDATE requests SET kinds_seen = 0, first_sent_on = NULL")
    conn.commit()
    assert "due date or log facts disagrees" in me("doctor", ok=False).stdout
    me("doctor", "--fix", ok=False)
    assert me("doctor", "--json").json()["ok"]
    assert conn.execute("SELECT first_sent_on, first_answer_on, kinds_seen FROM requests "
                        "WHERE ref = ?", [ref]).fetchone() == kept
    conn.close()


def test_a_backup_restores_to_a_sound_home(used, home, tmp_path):
    me, ref = used
    out = tmp_path / "backup.tar.gz"
    result = me("backup", "-o", out, "--json").json()
    assert result["files"] >= 3 and oct(out.stat().st_mode & 0o777) == "0o600"
    restored = tmp_path / "restored"
    old = os.umask(0o077)
    try:
        with tarfile.open(out) as tar:
            names = tar.getnames()
            assert all(n.startswith("sar-home/") and ".." not in n for n in names)
            tar.extractall(restored, filter="data")
    finally:
        os.umask(old)
    from tests.conftest import Sar

    copy = Sar(restored / "sar-home")
    assert copy("doctor", "--json").json()["ok"]
    assert copy("list", "--json").json() == me("list", "--json").json()


def test_backup_is_consistent_while_another_sar_writes(used, home, tmp_path):
    me, _ = used
    env = {**os.environ, "SAR_HOME": str(home), "SAR_TODAY": "2026-03-02"}
    writer = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys\n"
         "for i in range(15):\n"
         "    subprocess.run([sys.executable, '-m', 'sar', 'new', 'access', '--to', "
         "'fictional-party', '--again'], check=True, capture_output=True)"], env=env)
    backups = []
    try:
        for i in range(5):
            backups.append(tmp_path / f"b{i}.tar.gz")
            me("backup", "-o", backups[-1])
    finally:
        assert writer.wait(timeout=120) == 0
    for b in backups:
        with tarfile.open(b) as tar:
            tar.extract("sar-home/sar.db", tmp_path / b.name.split(".")[0], filter="data")
        conn = sqlite3.connect(tmp_path / b.name.split(".")[0] / "sar-home" / "sar.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Each request in the snapshot has its drafted event: no half-written request.
        assert conn.execute("SELECT COUNT(*) FROM requests WHERE id NOT IN (SELECT "
                            "request_id FROM events)").fetchone()[0] == 0
        conn.close()


@pytest.mark.parametrize("name, words", [
    ("b.zip", ".tar.gz"), ("no/such/b.tar.gz", "does not exist"), ("{home}/b.tar.gz", "outside"),
])
def test_backup_bad_input_is_one_line(used, home, tmp_path, name, words):
    me, _ = used
    path = name.replace("{home}", str(home)) if "{home}" in name else tmp_path / name
    before = me.state()
    assert words in me.fails("backup", "-o", path)
    assert me.state() == before


def test_backup_of_an_empty_home_is_one_line(sar, tmp_path):
    assert "nothing to back up" in sar.fails("backup", "-o", tmp_path / "b.tar.gz")


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_lost_database_with_evidence_left_is_a_problem(used, home, damage):
    me, _ = used
    # In-process runs leave connections for the garbage collector; a real sar process
    # has closed its own when it exits. Close them first, as the process would have.
    gc.collect()
    if damage == "truncate":
        (home / "sar.db").write_bytes(b"")
    else:
        (home / "sar.db").unlink()
    for extra in ("sar.db-wal", "sar.db-shm"):
        (home / extra).unlink(missing_ok=True)
    run = me("doctor", ok=False)
    assert run.exit_code == 1 and "restore it from `sar backup`" in run.stdout


def test_a_missing_profile_is_a_problem(used, home):
    me, _ = used
    (home / "config.toml").unlink()
    run = me("doctor", ok=False)
    assert run.exit_code == 1 and "there is no profile" in run.stdout


def test_backup_never_overwrites_and_warns_of_missing_evidence(used, home, tmp_path):
    me, _ = used
    out = tmp_path / "b.tar.gz"
    me("backup", "-o", out)
    assert "choose another name" in me.fails("backup", "-o", out)
    assert "it is a folder" in me.fails("backup", "-o", tmp_path)
    for p in (home / "evidence").rglob("*"):
        if p.is_file():
            p.unlink()
    run = me("backup", "-o", tmp_path / "c.TAR.GZ")
    assert "were missing" in run.stderr
