"""Encryption at rest, chosen when a home is made (`sar init --encrypt`).

What is encrypted: the database (SQLCipher), every evidence file (AES-256-GCM,
still named by the SHA-256 of its plain bytes, so storing the same bytes twice is
still one file), and config.toml with the profile in it (config.toml.enc). What is
not: the Maildir outbox, which exists to be read by mail programs (use SMTP, or
empty it), and what you export on purpose (complaint bundles, CSV).

The key comes from the OS keyring (a random key, stored under the home's own id, so
a restored copy finds it too) or from a passphrase in SAR_PASSPHRASE (stretched with
scrypt). crypto.json in the home says which, with the salt and a check value, so a
wrong passphrase is one clear error rather than "file is not a database".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from sar.errors import StoreError, UsageError

MARKER = "crypto.json"
PREFIX = b"SARE1"
ENV = "SAR_PASSPHRASE"
SERVICE = "sar"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def is_encrypted(root: Path) -> bool:
    return (root / MARKER).exists()


def _check(key: bytes) -> str:
    return hmac.new(key, b"sar-key-check", hashlib.sha256).hexdigest()


def _derive(passphrase: str, salt: bytes, params: dict) -> bytes:
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=params["n"], r=params["r"],
                          p=params["p"], maxmem=128 * 2**20, dklen=32)


def setup(root: Path) -> str:
    """Make the home's key; returns how it is kept ('keyring' or 'passphrase')."""
    from sar.files import write_private

    _require_libraries()
    passphrase = os.environ.get(ENV)
    home_id = secrets.token_hex(8)
    if passphrase:
        if len(passphrase) < 12:
            raise UsageError(f"{ENV} is too short: use at least 12 characters")
        salt = secrets.token_bytes(16)
        key = _derive(passphrase, salt, SCRYPT)
        meta = {"mode": "passphrase", "salt": salt.hex(), "kdf": "scrypt", **SCRYPT}
    else:
        key = secrets.token_bytes(32)
        try:
            import keyring
            from keyring.errors import KeyringError

            keyring.set_password(SERVICE, f"home-key:{home_id}", key.hex())
        except (ImportError, KeyringError, RuntimeError):
            raise UsageError(f"there is no OS keyring here to keep the key: set {ENV} to "
                             "protect the home with a passphrase instead") from None
        meta = {"mode": "keyring"}
    meta.update({"id": home_id, "check": _check(key), "cipher": "sqlcipher+aes-256-gcm"})
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(root / MARKER, json.dumps(meta, indent=2).encode())
    return meta["mode"]


def load_key(root: Path) -> bytes:
    try:
        meta = json.loads((root / MARKER).read_text())
    except (OSError, ValueError) as e:
        raise StoreError(f"cannot read {root / MARKER}: {e}") from None
    if meta.get("mode") == "passphrase":
        passphrase = os.environ.get(ENV)
        if not passphrase:
            raise StoreError(f"the sar home {root} is encrypted: set {ENV} to its passphrase")
        key = _derive(passphrase, bytes.fromhex(meta["salt"]),
                      {k: meta[k] for k in ("n", "r", "p")})
        if not hmac.compare_digest(_check(key), meta["check"]):
            raise StoreError(f"wrong passphrase for the encrypted sar home {root} ({ENV})")
        return key
    try:
        import keyring
        from keyring.errors import KeyringError

        found = keyring.get_password(SERVICE, f"home-key:{meta['id']}")
    except (ImportError, KeyringError, RuntimeError):
        found = None
    if not found:
        raise StoreError(f"the key of the encrypted sar home {root} is not in this machine's "
                         "keyring")
    key = bytes.fromhex(found)
    if not hmac.compare_digest(_check(key), meta["check"]):
        raise StoreError(f"the keyring holds a different key for the sar home {root}")
    return key


def subkey(key: bytes, purpose: str) -> bytes:
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


def encrypt(key: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    return PREFIX + nonce + AESGCM(subkey(key, "files")).encrypt(nonce, data, PREFIX)


def decrypt(key: bytes, blob: bytes, what: str = "a file") -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(PREFIX):
        raise StoreError(f"{what} is not encrypted with this home's key")
    try:
        return AESGCM(subkey(key, "files")).decrypt(blob[5:17], blob[17:], PREFIX)
    except InvalidTag:
        raise StoreError(f"{what} cannot be decrypted: it was changed, or the key is "
                         "another home's") from None


def _require_libraries() -> None:
    try:
        import cryptography  # noqa: F401
        import sqlcipher3  # noqa: F401
    except ImportError:
        raise UsageError("encryption needs SQLCipher and cryptography: "
                         "pip install 'sar[encrypt]'") from None
