"""Short human references for requests: SAR-7K2QX.

Five characters from an alphabet without the letters and digits people confuse
when reading or saying them aloud (0/O, 1/I/L, U/V), so a reference survives a
phone call and a ticket system's subject line. 29^5 ≈ 20 million references; the
store retries on the rare collision.
"""

from __future__ import annotations

import re
import secrets

PREFIX = "SAR-"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 5
_PATTERN = re.compile(rf"\bSAR-([{ALPHABET}]{{{LENGTH}}})\b", re.IGNORECASE)


def new_ref(choice=secrets.choice) -> str:
    return PREFIX + "".join(choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """'sar-7k2qx', ' 7K2QX ' and 'SAR7K2QX' all become 'SAR-7K2QX'."""
    t = text.strip().upper().replace(" ", "")
    if t.startswith("SAR-"):
        t = t[4:]
    elif t.startswith("SAR") and len(t) == LENGTH + 3:
        t = t[3:]
    return PREFIX + t


def is_valid(ref: str) -> bool:
    return bool(_PATTERN.fullmatch(ref))


def find_all(text: str) -> list[str]:
    """Every reference token in a subject or body, normalised, in order."""
    return [PREFIX + m.upper() for m in _PATTERN.findall(text)]
