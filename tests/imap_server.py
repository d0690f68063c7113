"""A real IMAP server on loopback: pymap's in-memory backend, in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.smtp_server import free_port

USER, PASSWORD = "robin", "imap-test-password"


class ImapServer:
    def __init__(self, tls: tuple[Path, Path] | None = None):
        self.port = free_port()
        self.proc = None
        self.tls = tls  # (certificate, key): offer STARTTLS

    def start(self):
        pymap = Path(sys.executable).with_name("pymap")
        # FQDN: pymap's greeting calls getfqdn(), which a slow resolver can delay.
        env = {**os.environ, "FQDN": "localhost"}
        tls = (["--cert", str(self.tls[0]), "--key", str(self.tls[1])] if self.tls
               else ["--no-tls"])
        self.proc = subprocess.Popen(
            [str(pymap), "--host", "127.0.0.1", "--port", str(self.port), *tls, "dict",
             "--demo-user", USER, "--demo-password", PASSWORD],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("pymap did not start")

    def client(self):
        from imapclient import IMAPClient

        c = IMAPClient("127.0.0.1", port=self.port, ssl=False)
        c.login(USER, PASSWORD)
        return c

    def kill(self):
        """SIGKILL: the connection dies without a goodbye."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
