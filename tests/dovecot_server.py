"""A real Dovecot IMAP server on loopback, with its mail in Maildirs on disk.

Same interface as `tests.imap_server.ImapServer` (pymap, in memory), plus what only a
server with a disk can do: `restart()` keeps the mail and the UIDVALIDITY of every
folder, `recreate_folder()` gives a folder a new UIDVALIDITY, and `kill()` dies at once
without a goodbye to its clients.

Dovecot never lets uid 0 own mail. As root, the mail belongs to `nobody` and lives in a
folder of its own under the system temp dir (pytest's own temp dirs are 0700, so `nobody`
could not reach a Maildir inside them), linked from `<base>/mail`. As any other user,
Dovecot runs unprivileged: every process runs as that user, with no chroot.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

from tests.imap_server import PASSWORD, USER
from tests.smtp_server import free_port

__all__ = ["USER", "PASSWORD", "DovecotServer", "available", "binary"]

# Unix socket paths must fit in 108 bytes; Dovecot's longest name under base_dir is
# about 25 characters.
_MAX_RUN_DIR = 70


def binary() -> str | None:
    """The dovecot executable, or None. /usr/sbin is often not on a non-root PATH."""
    found = shutil.which("dovecot")
    if found:
        return found
    for candidate in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def available() -> bool:
    return binary() is not None


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _reachable_by_all(path: Path) -> bool:
    """Every directory from / down to `path` lets any user pass (o+x)."""
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in (path, *path.parents))


def _private_dir(prefix: str, owner: object, *, shared: bool = False) -> Path:
    """A fresh short directory in a temp dir, removed when `owner` goes.

    `shared`: in a temp dir that other users (here `nobody`) can reach.
    """
    where = None
    if shared:
        candidates = (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm")
        where = next((c for c in candidates
                      if os.path.isdir(c) and _reachable_by_all(Path(c).resolve())), None)
        if where is None:
            raise RuntimeError("no temp dir that the Dovecot mail user can reach")
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
    weakref.finalize(owner, shutil.rmtree, path, True)
    return path


def _busy(pgid: int) -> bool:
    """Whether group `pgid` has a live process other than the master and `log` (Linux)."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return True  # no /proc: wait for the master itself
    for stat_file in proc.glob("[0-9]*/stat"):
        try:
            data = stat_file.read_text()
        except OSError:
            continue
        comm = data[data.find("(") + 1:data.rfind(")")]
        state, _ppid, pgrp = data[data.rfind(")") + 2:].split()[:3]
        if int(pgrp) == pgid and state not in "ZX" and comm not in ("dovecot", "log"):
            return True
    return False


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class DovecotServer:
    def __init__(self, base: Path | str):
        self.base = Path(base).resolve()
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.root = os.geteuid() == 0
        self.log_path = self.base / "dovecot.log"
        self.config_path = self.base / "dovecot.conf"
        self.users_path = self.base / "users"

        run = self.base / "run"
        if len(str(run)) > _MAX_RUN_DIR:
            run = _private_dir("sar-dovecot-run-", self)
        self.run_dir = run

        if self.root:
            # uid 0 may not own mail: `nobody` does, somewhere `nobody` can reach.
            try:
                nobody = pwd.getpwnam("nobody")
                self.mail_uid, self.mail_gid = nobody.pw_uid, nobody.pw_gid
            except KeyError:
                self.mail_uid, self.mail_gid = 65534, 65534
            mail = _private_dir("sar-dovecot-mail-", self, shared=True)
            os.chown(mail, self.mail_uid, self.mail_gid)
            link = self.base / "mail"
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(mail)
            self.mail_dir = mail
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
            self.mail_dir = self.base / "mail"
            self.mail_dir.mkdir(exist_ok=True)
        self._write_config()

    # -- configuration -------------------------------------------------------

    def _write_config(self) -> None:
        home = self.mail_dir / USER
        self.users_path.write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{self.mail_uid}:{self.mail_gid}::{home}\n")
        if self.root:
            login_user = "dovenull" if _user_exists("dovenull") else "nobody"
            internal_user = "dovecot" if _user_exists("dovecot") else "nobody"
            privileges = f"""
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {min(self.mail_uid, 500)}
# pytest's temp dirs are 0700: auth must be root to read the users file there.
service auth {{
  user = root
}}
"""
        else:
            # The "unprivileged" setup: everything runs as the current user, no chroot.
            me = pwd.getpwuid(os.getuid()).pw_name
            try:
                group = grp.getgrgid(os.getgid()).gr_name
            except KeyError:
                group = str(os.getgid())
            privileges = f"""
default_login_user = {me}
default_internal_user = {me}
default_internal_group = {group}
first_valid_uid = {min(self.mail_uid, 500)}
first_valid_gid = 0
service imap-login {{
  chroot =
}}
service anvil {{
  chroot =
}}
"""
        self.config_path.write_text(f"""\
# Written by tests/dovecot_server.py: a throwaway Dovecot on 127.0.0.1 only.
protocols = imap
listen = 127.0.0.1
base_dir = {self.run_dir}
state_dir = {self.base / "state"}
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
shutdown_clients = yes
{privileges}
# No growing delay after failed logins from 127.0.0.1: tests may try bad passwords.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}

passdb {{
  driver = passwd-file
  args = {self.users_path}
}}
userdb {{
  driver = passwd-file
  args = {self.users_path}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")

    # -- life cycle ----------------------------------------------------------

    def start(self) -> DovecotServer:
        if self.proc is not None:
            return self
        exe = binary()
        if exe is None:
            raise RuntimeError("dovecot is not installed")
        # A master killed with SIGKILL leaves its pid file; if the pid were reused,
        # Dovecot would think it is still running.
        with contextlib.suppress(FileNotFoundError):
            (self.run_dir / "master.pid").unlink()
        with open(self.base / "dovecot.stderr", "ab") as err:
            self.proc = subprocess.Popen(
                [exe, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                start_new_session=True, cwd=self.base)
        # Should a test forget stop(), no Dovecot outlives the interpreter.
        self._reaper = weakref.finalize(self, _kill_group, self.proc.pid)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self._greets():
                return self
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"dovecot did not start:\n{self._log_tail()}")

    def _greets(self) -> bool:
        """The port is open and imap-login says hello (it waits for auth to be ready)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5) as s:
                s.settimeout(2)
                return s.recv(200).startswith(b"* OK")
        except OSError:
            return False

    def _log_tail(self) -> str:
        parts = []
        for path in (self.base / "dovecot.stderr", self.log_path):
            with contextlib.suppress(OSError):
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    def stop(self) -> None:
        """Shut down as `systemctl stop` does; the mail stays on disk.

        SIGTERM goes to every process (SIGTERM to the master alone would leave the
        imap processes running): clients get `* BYE Server shutting down.`
        """
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            # The services end at once, but the master then idles a whole second for
            # its log process. Wait for the rest only; the group is killed below.
            deadline = time.monotonic() + 10
            while (proc.poll() is None and time.monotonic() < deadline
                   and _busy(proc.pid)):
                time.sleep(0.01)
        self._end(proc)

    def kill(self) -> None:
        """SIGKILL the master and all its children at once, as a crash would."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        self._end(proc)

    def _end(self, proc: subprocess.Popen) -> None:
        # The master leads its own process group (start_new_session), and its children
        # (log, config, auth, imap-login, imap, ...) stay in it.
        self._reaper.detach()
        _kill_group(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        # The orphaned children are reaped by init, maybe slowly, so do not wait for
        # the group to vanish: wait until the port is closed, which is what matters.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._accepts():
            time.sleep(0.01)

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def restart(self) -> DovecotServer:
        """Stop and start again on the same port; mail and UIDVALIDITYs are kept."""
        self.stop()
        return self.start()

    # -- IMAP ----------------------------------------------------------------

    def client(self):
        from imapclient import IMAPClient

        c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        c.login(USER, PASSWORD)
        return c

    def recreate_folder(self, name: str) -> int:
        """DELETE and CREATE `name` over IMAP; return its new UIDVALIDITY.

        Dovecot gives the new folder a UIDVALIDITY it has never used for that user.
        INBOX cannot be deleted over IMAP, so it cannot be recreated here.
        """
        if name.upper() == "INBOX":
            raise ValueError("INBOX cannot be deleted over IMAP; recreate another folder")
        c = self.client()
        try:
            if c.folder_exists(name):
                c.delete_folder(name)
            c.create_folder(name)
            return c.folder_status(name, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        finally:
            with contextlib.suppress(Exception):
                c.logout()

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
