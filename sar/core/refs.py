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
# The hyphen as a reply may carry it: typed, or copied from a letter whose layout
# made it a non-breaking one (U+2011), or from a word processor's hyphen, figure
# dash, en dash or minus sign.
DASHES = "-\u2010\u2011\u2012\u2013\u2212"
_PATTERN = re.compile(rf"\bSAR[{DASHES}]([{ALPHABET}]{{{LENGTH}}})\b", re.IGNORECASE)
_TO_HYPHEN = str.maketrans({d: "-" for d in DASHES[1:]})


def new_ref(choice=secrets.choice) -> str:
    return PREFIX + "".join(choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """'sar-7k2qx', ' 7K2QX ', 'SAR7K2QX' and 'SAR\u20117K2QX' all become 'SAR-7K2QX'."""
    t = text.strip().upper().replace(" ", "").translate(_TO_HYPHEN)
    if t.startswith("SAR-"):
        t = t[4:]
    elif t.startswith("SAR") and len(t) == LENGTH + 3:
        t = t[3:]
    return PREFIX + t


def is_valid(ref: str) -> bool:
    return ref.startswith(PREFIX) and bool(_PATTERN.fullmatch(ref))


def hyphens(text: str) -> list[int]:
    """Where each reference's hyphen is in `text` (a layout keeps the reference on one
    line by making that hyphen a non-breaking one)."""
    return [m.start() + len(PREFIX) - 1 for m in _PATTERN.finditer(text)] \
        if PREFIX[:-1] in text.upper() else []


def find_all(text: str) -> list[str]:
    """Every reference token in a subject or body, normalised, in order."""
    return [PREFIX + m.upper() for m in _PATTERN.findall(text)]
