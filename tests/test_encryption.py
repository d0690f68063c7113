"""An encrypted home (`sar init --encrypt`): the same sar, nothing readable at rest."""

from __future__ import annotations

import os
import sqlite3
import tarfile
from email.message import EmailMessage

import pytest

pytest.importorskip("sqlcipher3")

PASS = "correct horse battery staple"
NAME, STREET = "Robin Encrypted", "1 Hidden Lane"


@pytest.fixture
def vault(sar, monkeypatch):
    monkeypatch.setenv("SAR_PASSPHRASE", PASS)
    sar("init", "--name", NAME, "--email", "robin@example.org", "--address",
        f"{STREET}, Exampleton, EX1 2MP", "--no-input", "--encrypt")
    sar("orgs", "add", "--slug", "acme", "--name", "Acme Data Ltd", "--email",
        "privacy@acme.example", "--domain", "acme.example")
    return sar


def test_everything_works_and_nothing_is_readable_at_rest(vault, home, tmp_path):
    sar = vault
    ref, sent = sar.send_new()
    box = tmp_path / "Mail"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    reply = EmailMessage()
    reply["From"] = "privacy@acme.example"
    reply["To"] = "robin@example.org"
    reply["Subject"] = "Re: request"
    reply["In-Reply-To"] = sent
    reply["Message-ID"] = "<enc-1@acme.example>"
    reply.set_content(f"Dear {NAME}, please find attached a copy of your personal data.")
    reply.add_attachment(f"{NAME} lives at {STREET}".encode(), maintype="text",
                         subtype="csv", filename="data.csv")
    (box / "new" / "1.x").write_bytes(bytes(reply))
    assert sar("watch", "--maildir", box, "--json").json()[0]["label"] == "fulfilled"
    assert sar("show", ref, "--json").json()["status"] == "fulfilled"
    assert sar("doctor", "--json").json()["ok"]
    backup = tmp_path / "b.tar.gz"
    sar("backup", "-o", backup)

    # At rest: the database is not SQLite's format, and no file in the home but the
    # outbox (meant for mail programs) holds the name, the street or the reply.
    assert not (home / "sar.db").read_bytes().startswith(b"SQLite format 3")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(home / "sar.db").execute("SELECT * FROM requests").fetchall()
    for path in home.rglob("*"):
        if path.is_file() and "outbox" not in path.parts:
            data = path.read_bytes()
            assert NAME.encode() not in data and STREET.encode() not in data, path
    assert not (home / "config.toml").exists()

    # The backup restores elsewhere with the passphrase, and stays encrypted.
    restored = tmp_path / "restored"
    old = os.umask(0o077)
    try:
        with tarfile.open(backup) as tar:
            tar.extractall(restored, filter="data")
    finally:
        os.umask(old)
    from tests.conftest import Sar

    copy = Sar(restored / "sar-home")
    assert copy("show", ref, "--json").json()["status"] == "fulfilled"
    assert not (restored / "sar-home" / "sar.db").read_bytes().startswith(b"SQLite format 3")


def files(home) -> dict:
    """Every file's bytes (an encrypted database cannot be read row by row)."""
    return {str(p): p.read_bytes() for p in home.rglob("*")
            if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def test_a_wrong_or_missing_passphrase_is_one_line_and_changes_nothing(vault, monkeypatch,
                                                                       home):
    sar = vault
    before = files(home)
    monkeypatch.setenv("SAR_PASSPHRASE", "not the passphrase at all")
    assert "wrong passphrase" in sar.fails("list")
    monkeypatch.delenv("SAR_PASSPHRASE")
    assert "set SAR_PASSPHRASE" in sar.fails("new", "access", "--to", "acme")
    assert files(home) == before


def test_encryption_is_chosen_when_a_home_is_made(me, monkeypatch):
    monkeypatch.setenv("SAR_PASSPHRASE", PASS)
    assert "chosen when a home is made" in me.fails(
        "init", "--name", "X", "--email", "x@example.org", "--address", "1 A, B",
        "--no-input", "--encrypt")


def test_a_short_passphrase_is_refused(sar, monkeypatch):
    monkeypatch.setenv("SAR_PASSPHRASE", "short")
    assert "at least 12" in sar.fails("init", "--name", "X", "--email", "x@example.org",
                                      "--address", "1 A, B", "--no-input", "--encrypt")


def test_the_key_can_live_in_the_keyring(sar, monkeypatch, home):
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        store: dict = {}

        def get_password(self, service, user):
            return self.store.get((service, user))

        def set_password(self, service, user, password):
            self.store[(service, user)] = password

        def delete_password(self, service, user):
            self.store.pop((service, user), None)

    before = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        monkeypatch.delenv("SAR_PASSPHRASE", raising=False)
        sar("init", "--name", NAME, "--email", "robin@example.org", "--address",
            f"{STREET}, X", "--no-input", "--encrypt")
        assert "keyring" in (home / "crypto.json").read_text()
        sar("orgs", "add", "--slug", "acme", "--name", "Acme", "--email", "dpo@acme.example")
        assert sar("new", "access", "--to", "acme", "--json").json()[0]["org"] == "acme"
        Memory.store.clear()
        assert "not in this machine's keyring" in sar.fails("list")
    finally:
        keyring.set_keyring(before)
