"""Files only the user can read, written so that a crash leaves the old one or the new.

Below both the home and encryption at rest, so either may write without the other.
"""

from __future__ import annotations

import os
from pathlib import Path

from sar.errors import UsageError


def write_private(path: Path, data: bytes, sync: bool = True) -> None:
    """Write a 0600 file atomically: a crash leaves the old file or the new one.

    The temporary file has an unpredictable name and is created exclusively
    (mkstemp: O_CREAT|O_EXCL, mode 0600) in the target's folder, so a symlink or a
    world-writable file planted in a shared folder under a guessable name is never
    written through; os.replace then puts it in place of the target itself, never of
    what a symlink there points to."""
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        # Name the file the user asked for, not the temporary one beside it.
        raise OSError(e.errno, e.strerror, str(path)) from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_new(path: Path, data: bytes) -> None:
    """Create a 0600 file that does not exist yet, in one step, unsynced: for files a
    journal already holds (sar.store.evidence), which recovery rewrites whole if a
    crash leaves one short. Created exclusively, never through a symlink; a file
    already there is left as it is."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        path.unlink(missing_ok=True)  # never a short file under the full file's name
        raise


def sync_files(paths: list[Path]) -> None:
    """Make files already written durable: one syncfs on Linux (the file system holding
    them), else an fsync each."""
    if not paths:
        return
    sync = _filesystem_sync()
    if sync is not None:
        sync(paths[0].parent)
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _filesystem_sync():
    """syncfs(2) on Linux (one call flushes the file system holding a folder), or None."""
    import sys

    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        return None

    def sync(folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err), str(folder))
        finally:
            os.close(fd)
    return sync


def expand_user(path) -> Path:
    """~ and ~user expanded, or one clear line when the user does not exist."""
    try:
        return Path(path).expanduser()
    except RuntimeError as e:
        raise UsageError(f"{path}: {e}") from None
