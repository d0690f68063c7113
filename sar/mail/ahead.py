"""Composing ahead: the next letters of a send are rendered, composed and written to
the evidence store on a second thread while the main thread waits for the server to
take the last ones.

Only work that needs no database runs there (sar.letters.context.Letters.ahead gives
it everything read beforehand), so the main thread alone writes the log and the
outbox, in the order at-most-once sending needs. Python runs one thread at a time;
the server's replies are waited for outside that lock, which is when the composer
works. While a batch runs, a thread that wants the lock back is given it within
SWITCH seconds (the interpreter's default is 5 ms, which would make every reply from
the server wait on the composer).
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

# How soon a thread waiting for the interpreter lock gets it, during a batch (seconds).
SWITCH = 0.0002


class Composer:
    """One thread that runs the jobs it is given in order; `inline` runs each at once,
    on the caller's thread (a paced batch dates each letter as it goes)."""

    def __init__(self, inline: bool = False):
        self.pool = None if inline else ThreadPoolExecutor(1, thread_name_prefix="sar-compose")

    def submit(self, job, *args) -> Future:
        if self.pool is not None:
            return self.pool.submit(job, *args)
        done: Future = Future()
        try:
            done.set_result(job(*args))
        except BaseException as e:  # handed to whoever reads the result, as a pool does
            done.set_exception(e)
        return done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def composing(inline: bool = False):
    """A Composer for one batch, with the interpreter's switch interval shortened while
    any batch's second thread runs (counted, so batches of two homes in one process
    restore it once both are done), and restored after."""
    composer = Composer(inline)
    if not inline:
        _shorten()
    try:
        yield composer
    finally:
        try:
            composer.close()
        finally:
            if not inline:
                _restore()


_LOCK = threading.Lock()
_RUNNING = {"batches": 0, "previous": 0.005}


def _shorten() -> None:
    with _LOCK:
        if _RUNNING["batches"] == 0:
            _RUNNING["previous"] = sys.getswitchinterval()
            sys.setswitchinterval(min(_RUNNING["previous"], SWITCH))
        _RUNNING["batches"] += 1


def _restore() -> None:
    with _LOCK:
        _RUNNING["batches"] -= 1
        if _RUNNING["batches"] == 0:
            sys.setswitchinterval(_RUNNING["previous"])
