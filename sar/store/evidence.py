"""The evidence store: raw bytes kept forever under their SHA-256.

Letters sent and replies received are evidence for a complaint, so they are
stored byte for byte, named by their hash (evidence/ab/cdef...), written to a
temporary file and renamed into place so a crash never leaves half a file.
Storing the same bytes twice is one file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sar.home import write_private


class EvidenceStore:
    """With `key` (an encrypted home), files are sealed with AES-256-GCM and still
    named by the SHA-256 of their plain bytes."""

    def __init__(self, root: Path, key: bytes | None = None):
        self.root = root
        self.key = key

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.key is not None:
            from sar.crypto import encrypt

            data = encrypt(self.key, data)
        write_private(target, data)
        return digest

    def get(self, digest: str) -> bytes:
        data = self.path(digest).read_bytes()
        if self.key is not None:
            from sar.crypto import decrypt

            data = decrypt(self.key, data, f"evidence {digest[:16]}…")
        return data

    def verify(self, digest: str) -> bool:
        """True when the stored bytes still hash to their name."""
        from sar.errors import StoreError

        try:
            return hashlib.sha256(self.get(digest)).hexdigest() == digest
        except (FileNotFoundError, StoreError):
            return False
