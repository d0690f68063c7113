"""A forwarded message, read as what it carries.

Participants forward the organisation's answer from their own mailbox. Each mail
program writes the forward in its own way: a separator line, then a block of the
original's headers (From, Date or Sent, Subject, To — in the program's language),
then the original text. This finds the last such block in a message's text (the
innermost forward: a forward of a forward carries the answer at its end), and
returns the forwarder's own note apart from the organisation's words, with the
original's sender and date: who answered, and when, is what the request's story
needs (the deadline sees the day of the answer, not of the forward).

Pure: text in, a Forwarded or None out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import getaddresses, parsedate_to_datetime

# Subject prefixes of a forward: English, German (WG, Weitergeleitet), French (TR).
FORWARD_SUBJECT = re.compile(r"^\s*((re|aw|sv)\s*:\s*)*(fwd?|fw|wg|tr|weitergeleitet)\s*:",
                             re.IGNORECASE)

# The line a mail program puts before the forwarded headers.
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|original message|weitergeleitete nachricht|"
    r"ursprüngliche nachricht|message transféré|message d'origine|message original|"
    r"mensaje reenviado)\s*-{2,}|begin forwarded message:|anfang der weitergeleiteten "
    r"nachricht:|début du message réexpédié\s*:|_{10,})\s*$", re.IGNORECASE)
# Header names in the block, by what they say.
_FIELDS = {
    "from": ("from", "von", "de", "expéditeur"),
    "date": ("date", "sent", "datum", "gesendet", "envoyé", "envoyé le"),
    "subject": ("subject", "betreff", "objet", "sujet"),
    "to": ("to", "an", "à", "a", "pour", "cc"),
}
_HEADER_LINE = re.compile(r"^\s*\*?([A-Za-zÀ-ÿ ]{1,14}?)\s*\*?\s*:\s*\*?\s*(.*)$")

MONTHS = {
    # English, German, French; abbreviations by their first three or four letters.
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    "januar": 1, "jän": 1, "februar": 2, "märz": 3, "mär": 3, "mai": 5, "juni": 6,
    "juli": 7, "okt": 10, "dez": 12,
    "janv": 1, "févr": 2, "fév": 2, "mars": 3, "avr": 4, "juin": 6, "juil": 7,
    "août": 8, "sept": 9, "déc": 12,
}
_DATE = re.compile(
    r"(?P<d1>\d{1,2})(?:st|nd|rd|th|er)?\.?\s+(?P<m1>[^\W\d_]{3,9})\.?,?\s+(?P<y1>\d{4})|"
    r"(?P<m2>[^\W\d_]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})|"
    r"(?P<y3>\d{4})-(?P<m3>\d\d)-(?P<d3>\d\d)|"
    r"(?P<d4>\d{1,2})[./](?P<m4>\d{1,2})[./](?P<y4>\d{4})")
_TIME = re.compile(r"(?P<h>\d{1,2})[:.h](?P<min>\d\d)(?::\d\d)?\s*(?P<ampm>[ap]\.?m\.?)?",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Forwarded:
    note: str                 # the forwarder's own words, above the forward
    sender: str               # the original's address, lower-case ("" if none given)
    sender_name: str
    date: dt.datetime | None  # when the original was sent, as its header says
    subject: str
    text: str                 # the original's text: the organisation's words


# Separators only a forward writes ("Original Message" also heads a quoted reply).
_FORWARD_ONLY = re.compile(r"forward|weitergeleitet|transféré|réexpédié", re.IGNORECASE)


def looks_forwarded(subject: str, text: str) -> bool:
    """A forward by its subject (Fwd:, WG:, TR:) or by a separator only a forward
    writes; a reply quoting our letter below "-----Original Message-----" is not one."""
    return bool(FORWARD_SUBJECT.match(subject or "")) or any(
        _SEPARATOR.match(line) and _FORWARD_ONLY.search(line)
        for line in (text or "").splitlines())


def unwrap(text: str) -> Forwarded | None:
    """The innermost forwarded message in `text`, or None when there is none."""
    lines = (text or "").splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if not _SEPARATOR.match(lines[start]):
            continue
        block = _header_block(lines, start + 1)
        if block is None:
            continue
        fields, end = block
        if "from" not in fields:
            continue
        pairs = getaddresses([fields["from"].replace("[mailto:", "<").replace("]", ">")])
        name, addr = pairs[0] if pairs else ("", "")
        if "@" not in addr:
            continue
        return Forwarded(note="\n".join(lines[:start]).strip(), sender=addr.lower(),
                         sender_name=name.strip(), date=parse_date(fields.get("date", "")),
                         subject=fields.get("subject", ""),
                         text="\n".join(lines[end:]).strip())
    return None


def _header_block(lines: list[str], i: int) -> tuple[dict, int] | None:
    """The header lines from `i` (blank lines before them allowed): the fields by what
    they say, and the index after the block."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    fields: dict[str, str] = {}
    while i < len(lines):
        m = _HEADER_LINE.match(lines[i])
        name = m.group(1).strip().lower() if m else ""
        what = next((k for k, names in _FIELDS.items() if name in names), None)
        if what is None:
            break
        fields.setdefault(what, m.group(2).strip().strip("*").strip())
        i += 1
    return (fields, i) if len(fields) >= 2 else None


def parse_date(value: str) -> dt.datetime | None:
    """A forwarded Date line in any of the common clients' forms (RFC 5322, 'Tue, 3 Mar
    2026 at 09:30', 'Tuesday, March 3, 2026 9:30 AM', 'Di., 3. März 2026 um 09:30',
    'mar. 3 mars 2026 à 09:30'); a date without a zone is taken as UTC."""
    value = (value or "").strip()
    if not value:
        return None
    if not re.search(r"\d\s*[ap]\.?m\b", value, re.IGNORECASE):  # RFC 5322 has no AM/PM
        try:
            when = parsedate_to_datetime(value)
            return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        except (TypeError, ValueError, IndexError):
            pass
    m = _DATE.search(value)
    if not m:
        return None
    g = m.groupdict()
    if g["y3"]:
        y, mo, d = int(g["y3"]), int(g["m3"]), int(g["d3"])
    elif g["y4"]:
        y, mo, d = int(g["y4"]), int(g["m4"]), int(g["d4"])
    else:
        word = (g["m1"] or g["m2"]).lower()
        mo = MONTHS.get(word) or MONTHS.get(word[:4]) or MONTHS.get(word[:3])
        if mo is None:
            return None
        y, d = int(g["y1"] or g["y2"]), int(g["d1"] or g["d2"])
    t = _TIME.search(value[m.end():])
    hour = minute = 0
    if t:
        hour, minute = int(t.group("h")), int(t.group("min"))
        ampm = (t.group("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
    try:
        return dt.datetime(y, mo, d, hour, minute, tzinfo=dt.UTC)
    except ValueError:
        return None
