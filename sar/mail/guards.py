"""What keeps one send batch orderly: one sender per home, Ctrl-C taken after the
letter being handed over, and waiting out a rate limit (sar.mail.outbox)."""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from sar.errors import SarError


class SendLockedError(SarError):
    """Another sar is sending from this home."""


@contextmanager
def send_lock(home: Path):
    """Hold $SAR_HOME/.send.lock for a whole batch; refuse rather than wait."""
    fd = os.open(home / ".send.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks here
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SendLockedError("another `sar send` is running from this home; "
                                      "try again when it has finished") from None
        yield
    finally:
        os.close(fd)


@contextmanager
def stop_on_interrupt():
    """Ctrl-C during a batch stops it after the current message, cleanly."""
    flag = {"stop": False, "interrupted": False}

    def handler(signum, frame):
        flag["stop"] = flag["interrupted"] = True

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (a library caller): no handler
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def sleep_until(moment: float, flag: dict) -> None:
    """Wait for a rate limit in short steps, so Ctrl-C is not followed by one more."""
    while not flag["stop"]:
        left = moment - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))
