"""Files only the user can read, written so that a crash leaves the old one or the new.

Below both the home and encryption at rest, so either may write without the other.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write a 0600 file atomically: a crash leaves the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def expand_user(path) -> Path:
    """~ and ~user expanded, or one clear line when the user does not exist."""
    from sar.errors import UsageError

    try:
        return Path(path).expanduser()
    except RuntimeError as e:
        raise UsageError(f"{path}: {e}") from None
