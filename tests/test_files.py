"""Private files: written atomically, never through something planted beside them."""

from __future__ import annotations

import os
import stat

from sar.files import write_private


def test_a_planted_symlink_or_open_file_is_never_written_through(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    target = shared / "out.csv"
    # Every name the old scheme (.NAME.PID.tmp) would have used, planted: a symlink to
    # another file, and a world-writable file.
    (shared / f".{target.name}.{os.getpid()}.tmp").symlink_to(victim)
    planted = shared / f".{target.name}.{os.getpid() + 1}.tmp"
    planted.write_text("")
    planted.chmod(0o666)
    write_private(target, b"ref,status\n")
    assert victim.read_text() == "untouched"
    assert target.read_bytes() == b"ref,status\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not target.is_symlink()


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    target = tmp_path / "out.txt"
    target.symlink_to(victim)
    write_private(target, b"new")
    assert victim.read_text() == "untouched"
    assert not target.is_symlink() and target.read_bytes() == b"new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    import pytest

    target = tmp_path / "config.toml"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_private(target, ["not", "bytes"])  # the write itself fails
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_a_write_error_names_the_file_asked_for_not_the_temporary(tmp_path):
    import pytest

    target = tmp_path / "no-such-folder" / "deadlines.ics"
    with pytest.raises(OSError) as caught:
        write_private(target, b"x")
    assert caught.value.filename == str(target)  # what the CLI prints after the error
