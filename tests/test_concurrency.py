"""`sar watch --imap` running while the user drafts, sends and marks in another
terminal: every command succeeds, nothing says "database is locked", and every
reply that arrived is read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage

from tests.imap_server import PASSWORD, USER, ImapServer


def test_watch_and_the_user_write_at_the_same_time(me, home):
    server = ImapServer().start()
    try:
        for key, value in [("imap.host", "127.0.0.1"), ("imap.port", str(server.port)),
                           ("imap.security", "none"), ("imap.username", USER),
                           ("watch.idle_renew_seconds", "1")]:
            me("config", "set", key, value)
        env = {**os.environ, "SAR_HOME": str(home), "SAR_IMAP_PASSWORD": PASSWORD}
        env.pop("SAR_TODAY", None)
        sar = [sys.executable, "-m", "sar"]
        watcher = subprocess.Popen([*sar, "watch", "--imap", "--json"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        refs, errors = [], []
        client = server.client()
        for i in range(12):
            made = subprocess.run([*sar, "new", "access", "--to", "acme", "--again", "--json"],
                                  env=env, capture_output=True, text=True)
            errors.append(made.stderr)
            assert made.returncode == 0, made.stderr
            ref = json.loads(made.stdout)[0]["ref"]
            refs.append(ref)
            for cmd in (["send", ref], ["mark", ref, "note", "--note", f"try {i}"]):
                r = subprocess.run([*sar, *cmd], env=env, capture_output=True, text=True)
                errors.append(r.stderr)
                assert r.returncode == 0, r.stderr
            reply = EmailMessage()
            reply["From"] = "privacy@acme.example"
            reply["To"] = "robin@example.org"
            reply["Subject"] = f"Re: your request [{ref}]"
            reply["Message-ID"] = f"<conc-{i}@acme.example>"
            reply.set_content("We have received your request and will respond within one "
                              "month.")
            client.append("INBOX", bytes(reply))
        client.logout()
        deadline = time.monotonic() + 30
        acknowledged = 0
        while time.monotonic() < deadline:
            listed = subprocess.run([*sar, "list", "--status", "acknowledged", "--json"],
                                    env=env, capture_output=True, text=True)
            errors.append(listed.stderr)
            acknowledged = len(json.loads(listed.stdout or "[]"))
            if acknowledged == len(refs):
                break
            time.sleep(0.3)
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=30)
        errors.append(err)
        assert acknowledged == len(refs)
        assert watcher.returncode == 130 and "Interrupted." in err
        assert not any("locked" in e for e in errors)
    finally:
        server.stop()
