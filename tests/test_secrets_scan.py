"""After a full run with real servers, no file sar wrote holds a password.

SMTP with AUTH, IMAP for the Sent copy and for replies, a reminder, a complaint
bundle, an export and a backup: then every file in the home, the bundle and the
backup (unpacked), and everything printed, are searched for the passwords used.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import tarfile
import zipfile
from email.message import EmailMessage

from tests.imap_server import PASSWORD as IMAP_PASSWORD
from tests.imap_server import USER as IMAP_USER
from tests.imap_server import ImapServer
from tests.smtp_server import SmtpServer

SMTP_PASSWORD = "smtp-Secret-4711-never-stored"


def test_no_password_is_written_anywhere(me, home, tmp_path, monkeypatch):
    smtp = SmtpServer(users={"robin": SMTP_PASSWORD}).start()
    imap = ImapServer().start()
    printed = []

    def run(*args, **kw):
        r = me(*args, **kw)
        printed.extend([r.stdout, r.stderr])
        return r

    try:
        monkeypatch.setenv("SAR_SMTP_PASSWORD", SMTP_PASSWORD)
        monkeypatch.setenv("SAR_IMAP_PASSWORD", IMAP_PASSWORD)
        me.today = None
        for key, value in [("mail.transport", "smtp"), ("smtp.host", "127.0.0.1"),
                           ("smtp.port", str(smtp.port)), ("smtp.security", "none"),
                           ("smtp.username", "robin"), ("imap.host", "127.0.0.1"),
                           ("imap.port", str(imap.port)), ("imap.security", "none"),
                           ("imap.username", IMAP_USER), ("mail.sent_folder", "Sent")]:
            run("config", "set", key, value)
        long_ago = (dt.date.today() - dt.timedelta(days=60)).isoformat()
        ref = run("new", "access", "--to", "acme", "--json", today=long_ago).json()[0]["ref"]
        # Sent long ago through the Maildir (SMTP refuses a what-if date), then by SMTP.
        run("config", "set", "mail.transport", "maildir")
        run("send", ref, today=long_ago)
        run("config", "set", "mail.transport", "smtp")
        other = run("new", "access", "--to", "fictional-party", "--json").json()[0]["ref"]
        run("send", other)
        run("config", "test-mail")
        sent = [m for m in me("show", ref, "--json").json()["messages"]
                if m["direction"] == "out"][0]["message_id"]
        reply = EmailMessage()
        reply["From"] = "privacy@acme.example"
        reply["To"] = "robin@example.org"
        reply["Subject"] = "Re: request"
        reply["In-Reply-To"] = sent
        reply["Message-ID"] = "<r1@acme.example>"
        reply.set_content("We have received your request.")
        c = imap.client()
        c.append("INBOX", bytes(reply))
        c.logout()
        run("watch", "--imap", "--once")
        run("remind", ref)
        # A wrong password on purpose: the error must not repeat it either.
        monkeypatch.setenv("SAR_SMTP_PASSWORD", "Wrong-" + SMTP_PASSWORD)
        failed = me("remind", ref, "--again", ok=False)
        printed.extend([failed.stdout, failed.stderr])
        assert failed.exit_code == 1 and "refused the login" in failed.stderr
        monkeypatch.setenv("SAR_SMTP_PASSWORD", SMTP_PASSWORD)
        # Past the reminder's final date and its 30 days as a s.164A complaint.
        later = (dt.date.today() + dt.timedelta(days=31)).isoformat()
        bundle = tmp_path / "complaint.zip"
        run("complain", ref, "-o", bundle, today=later)
        run("export", "--what", "events", "-o", tmp_path / "events.json")
        backup = tmp_path / "backup.tar.gz"
        run("backup", "-o", backup)
        run("doctor")
        # The passwords were really used: SMTP took letters, IMAP kept copies.
        assert len(smtp.handler.received) == 2
        c = imap.client()
        c.select_folder("Sent", readonly=True)
        assert len(c.search(["ALL"])) == 2
        c.logout()
    finally:
        smtp.stop()
        imap.stop()

    secrets = [SMTP_PASSWORD.encode(), IMAP_PASSWORD.encode()]
    blobs = {str(p): p.read_bytes() for p in home.rglob("*") if p.is_file()}
    blobs["events.json"] = (tmp_path / "events.json").read_bytes()
    with zipfile.ZipFile(bundle) as z:
        blobs.update({f"bundle:{n}": z.read(n) for n in z.namelist()})
    with tarfile.open(backup) as tar:
        for member in tar.getmembers():
            if member.isfile():
                blobs[f"backup:{member.name}"] = tar.extractfile(member).read()
    blobs["printed"] = "\n".join(printed).encode()
    # Compressed parts of DOCX files: look inside them too.
    for name, data in list(blobs.items()):
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                blobs.update({f"{name}:{n}": z.read(n) for n in z.namelist()})
        elif data[:2] == b"\x1f\x8b":
            blobs[f"{name}:gunzip"] = gzip.decompress(data)
    assert len(blobs) > 20
    leaks = [name for name, data in blobs.items() for s in secrets if s in data]
    assert leaks == []
