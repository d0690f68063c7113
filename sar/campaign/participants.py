"""A campaign's participants, read from a spreadsheet saved as CSV: all of it or none.

An advocacy group collects sign-ups (thousands of people who asked it to send
data-protection requests for them) in a spreadsheet and hands us the sheet as CSV.
The whole file is checked before anything is written: an import that stops at row
3,000 leaves the group unsure who has been written for, so one bad row means nothing
is imported, and the problems are reported together, by row and column as the
spreadsheet shows them, so they can be fixed in one pass.

Error messages never echo a cell. They end up in terminals, shell history, CI logs
and support emails, and participants' names, addresses, emails and dates of birth
must not. Columns we do not use (phone numbers, notes) are read past and not kept,
for data minimisation, and named so the group knows they were left out.

The file is streamed once through the csv module; 200,000 rows take a few seconds.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from sar import validate
from sar.errors import UsageError

REQUIRED = ("name", "email", "address")
OPTIONAL = ("date_of_birth", "previous_addresses", "consented_at", "consent_version")

# Header names as people write them, after _header_key: case, surrounding spaces and
# '_' versus ' ' do not matter.
_ALIASES = {
    "name": "name", "full name": "name",
    "email": "email", "e-mail": "email", "email address": "email", "e-mail address": "email",
    "address": "address", "postal address": "address",
    "date of birth": "date_of_birth", "dob": "date_of_birth",
    "previous addresses": "previous_addresses",
    "consented at": "consented_at",
    "consent version": "consent_version",
}

MAX_NAME = 200
MAX_ADDRESS_LINES = 8
MAX_LINE = 200
MAX_PREVIOUS = 10
MAX_PREVIOUS_LEN = 300
MAX_CONSENT_VERSION = 40
SHOWN = 10

# A cell starting with one of these is run as a formula when the sheet is opened
# again (CSV injection); reports and exports would carry it to other people's
# spreadsheets.
_FORMULA = ("=", "+", "-", "@")
# Bytes that are not UTF-8, as the surrogateescape error handler decodes them.
_BAD_BYTE = re.compile("[\udc80-\udcff]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_NOT_UTF8 = "{file} is not UTF-8 text ({where}): save it as CSV UTF-8 and try again"
_NONE = "nothing was imported"


@dataclass(frozen=True)
class Participant:
    row: int                       # as a spreadsheet numbers it: header 1, first person 2
    name: str
    email: str                     # as written, stripped
    email_key: str                 # see email_key()
    address: list[str]
    date_of_birth: str | None      # YYYY-MM-DD
    previous_addresses: list[str]  # each on one line
    consented_at: str | None       # YYYY-MM-DDTHH:MM:SSZ, UTC
    consent_version: str | None


@dataclass
class ParticipantsFile:
    participants: list[Participant]
    ignored_columns: list[str]     # named only: their cells are not kept
    already: int = 0               # rows of people already in it, skipped on request


def email_key(email: str) -> str:
    """The key two rows for one person share. Dots and +tags are kept: at many
    providers they tell different mailboxes, and so possibly different people, apart."""
    return email.strip().casefold()


def read_participants(path: Path, *, existing_keys: set[str] = frozenset(),
                      now: datetime | None = None, max_rows: int = 200_000,
                      skip_existing: bool = False) -> ParticipantsFile:
    """Every participant in the file, or UsageError listing what to fix.

    existing_keys are the email_key()s of people already in the campaign: an error,
    or with `skip_existing` (a growing sign-up export read again) rows left out.
    """
    now = datetime.now(UTC) if now is None else _as_utc(now)
    label = path.name
    try:
        # newline="" as the csv module asks, so line breaks inside quoted cells survive;
        # surrogateescape so a bad byte can be traced to its row rather than to
        # whichever read-ahead block the decoder was in.
        stream = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as e:
        raise UsageError(f"cannot read {label}: {e.strerror or e}") from None
    with stream:
        head = stream.buffer.peek(4)[:4]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UsageError(_NOT_UTF8.format(file=label, where="it is UTF-16") + f"; {_NONE}")
        if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            raise UsageError(f"{label} is a spreadsheet workbook, not CSV: "
                             f"save it as CSV UTF-8 and try again; {_NONE}")
        first = stream.readline()
        if not first:
            raise UsageError(f"{label} is empty: no participants; {_NONE}")
        delimiter = max((",", ";", "\t"), key=first.count)  # Excel in many locales uses ';'
        reader = csv.reader(itertools.chain([first], stream), delimiter=delimiter, strict=True)
        return _read(_records(reader, label), label, delimiter, existing_keys, now, max_rows,
                     skip_existing)


def _records(reader, label: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells), stopping at the first thing that makes the file unreadable."""
    row = 0
    try:
        for cells in reader:
            row += 1
            joined = "".join(cells)
            if "\x00" in joined:
                raise UsageError(f"{label} contains a NUL byte in row {row}, so it is not "
                                 f"CSV text: save it as CSV UTF-8 and try again; {_NONE}")
            if _BAD_BYTE.search(joined):
                raise UsageError(_NOT_UTF8.format(file=label, where=f"first bad byte in row {row}")
                                 + f"; {_NONE}")
            yield row, cells
    except csv.Error:
        raise UsageError(f"{label} cannot be read as CSV from row {row + 1}: a quote that is "
                         f"never closed, or text after a closing quote; {_NONE}") from None


def _read(records, label, delimiter, existing_keys, now, max_rows,
          skip_existing=False) -> ParticipantsFile:
    header = next(records)
    columns, ignored = _columns(header[1], label)
    width = len(header[1])
    today = now.date()
    problems = _Problems()
    participants: list[Participant] = []
    first_row: dict[str, int] = {}
    count = already = 0
    separator = {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]

    for row, cells in records:
        if not any(c.strip() for c in cells):
            continue  # blank rows are left between blocks in spreadsheets
        count += 1
        if count > max_rows:
            raise UsageError(f"{label} has more than {max_rows:,} participants: "
                             f"split it into smaller files; {_NONE}")
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            # Usually an unquoted separator inside an address; the other cells are then
            # shifted, so checking them would only add noise.
            problems.add(f"row {row}: {len(cells)} cells but {width} columns in the header "
                         f"(a {separator} in a cell without quotes?)")
            continue

        value = {field: cells[i].strip() if i < len(cells) else ""
                 for field, (i, _) in columns.items()}

        def check(field: str, fn, *args, row=row, value=value):
            return problems.check(row, columns[field][1], fn, value[field], *args)

        name = check("name", _name, MAX_NAME)
        email = check("email", _email)
        address = check("address", _address)
        # Optional columns: absent, or an empty cell, mean not given.
        dob = check("date_of_birth", _date_of_birth, today) if value.get("date_of_birth") else None
        previous = check("previous_addresses", _previous) if value.get("previous_addresses") else []
        consented = check("consented_at", _moment, now) if value.get("consented_at") else None
        version = None
        if value.get("consent_version"):
            version = check("consent_version", _plain, MAX_CONSENT_VERSION)
            if not value.get("consented_at"):
                # A version alone says what they would have agreed to, not that they did.
                after = columns.get("consented_at", (0, "consented_at"))[1]
                problems.add(f"row {row}, column {columns['consent_version'][1]}: "
                             f"given without {after}")

        key = None
        if email is not None:
            key = email_key(email)
            column = columns["email"][1]
            if key in existing_keys and skip_existing:
                already += 1
                continue
            if key in existing_keys:
                problems.add(f"row {row}, column {column}: already a participant (read a "
                             "growing export again with --skip-existing)")
            if key in first_row:
                problems.add(f"rows {first_row[key]} and {row}, column {column}: "
                             "the same address twice")
            else:
                first_row[key] = row
        # Once anything is wrong nothing will be imported: stop keeping people.
        if not problems.count:
            participants.append(Participant(
                row=row, name=name, email=email, email_key=key, address=address,
                date_of_birth=dob, previous_addresses=previous or [],
                consented_at=consented, consent_version=version))

    if problems.count:
        raise UsageError(problems.message(label))
    if not count:
        raise UsageError(f"{label} has no participants, only the header row; {_NONE}")
    return ParticipantsFile(participants, ignored, already)


def _header_key(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip(" \t\ufeff").casefold()).strip()


def _columns(header: list[str], label: str) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """field -> (index, name as written), and the names of the columns not used."""
    columns: dict[str, tuple[int, str]] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for i, raw in enumerate(header):
        written = raw.strip(" \t\ufeff")
        key = _header_key(raw)
        if not key:
            ignored.append(f"column {i + 1} (no name)")
            continue
        field = _ALIASES.get(key)
        slot = field or key
        if slot in seen:
            raise UsageError(f"{label} has two columns for {slot!r} ({_shown(seen[slot])} and "
                             f"{_shown(written)}): keep one; {_NONE}")
        seen[slot] = written
        if field:
            columns[field] = (i, written)
        else:
            ignored.append(written)
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        names = " or ".join(repr(f) for f in missing)
        if any("@" in h for h in header):
            # The first row is a person, not headings: listing it would print their data.
            raise UsageError(f"{label} has no column {names}: the first row must name the "
                             f"columns (name, email, address) but seems to hold a "
                             f"participant; {_NONE}")
        listed = ", ".join(_shown(h.strip()) for h in header[:20] if h.strip())
        more = ", ..." if len(header) > 20 else ""
        raise UsageError(f"{label} has no column {names} (columns: {listed or 'none'}{more}); "
                         f"{_NONE}")
    return columns, ignored


def _shown(header_name: str) -> str:
    return repr(header_name[:40] + ("..." if len(header_name) > 40 else ""))


class _Bad(Exception):
    """What is wrong with one cell, worded without its value."""


class _Problems:
    """Counts every problem and keeps the first few: a wrong file can have one per row."""

    def __init__(self) -> None:
        self.count = 0
        self.shown: list[str] = []

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.shown) < SHOWN:
            self.shown.append(text)

    def check(self, row: int, column: str, fn, value: str, *args):
        """fn(value, *args), or None with the problem noted."""
        try:
            return fn(value, *args)
        except _Bad as e:
            self.add(f"row {row}, column {column}: {e}")
            return None

    def message(self, label: str) -> str:
        s = "" if self.count == 1 else "s"
        text = f"{label}: {self.count} problem{s}, {_NONE}: " + "; ".join(self.shown)
        if self.count > len(self.shown):
            text += f"; and {self.count - len(self.shown)} more"
        return text


def _text(value: str, max_len: int) -> str:
    try:
        return validate.text(value, "cell", max_len=max_len)
    except UsageError as e:
        # validate.text names the field, never the value: "cell is empty".
        raise _Bad(str(e).removeprefix("cell ").removeprefix("is ")) from None


def _plain(value: str, max_len: int) -> str:
    value = _text(value, max_len)
    if value.startswith(_FORMULA):
        raise _Bad("looks like a spreadsheet formula")
    return value


def _name(value: str, max_len: int) -> str:
    value = _plain(value, max_len)
    if any(c in value for c in "<>@\""):
        # A name is shown as the letter's sender: "Ann <someone@else>" must not pass
        # for an address.
        raise _Bad("a name cannot contain <, >, @ or quotes")
    return value


def _email(value: str) -> str:
    value = _text(value, 254)
    try:
        validate.email(value)
    except UsageError:
        # Its message quotes the address.
        raise _Bad("not an email address") from None
    if value.startswith(_FORMULA):
        raise _Bad("looks like a spreadsheet formula")
    return value


def _address(value: str) -> list[str]:
    if not value:
        raise _Bad("empty")
    try:
        lines = validate.address_lines(value.replace("\r\n", "\n").replace("\r", "\n"), "cell")
    except UsageError as e:
        reason = str(e).removeprefix("cell ").removeprefix("is ")
        if reason.startswith("longer"):
            reason = f"a line is longer than {MAX_LINE} characters"
        raise _Bad(reason) from None
    if len(lines) > MAX_ADDRESS_LINES:
        raise _Bad(f"{len(lines)} lines, at most {MAX_ADDRESS_LINES}")
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise _Bad(f"a line is longer than {MAX_LINE} characters")
        if line.startswith(_FORMULA):
            raise _Bad(f"line {n} looks like a spreadsheet formula")
    return lines


def _previous(value: str) -> list[str]:
    parts = [p for p in value.split("|") if p.strip()]
    if len(parts) > MAX_PREVIOUS:
        raise _Bad(f"{len(parts)} addresses, at most {MAX_PREVIOUS}")
    addresses = []
    for n, part in enumerate(parts, 1):
        try:
            addresses.append(_plain(part, MAX_PREVIOUS_LEN))
        except _Bad as e:
            raise _Bad(f"address {n}: {e}") from None
    return addresses


def _date_of_birth(value: str, today: date) -> str:
    if not _ISO_DATE.fullmatch(value):
        raise _Bad("not a date in the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _Bad("not a real date") from None
    if day > today:
        raise _Bad("in the future")
    if day.year < 1900:
        raise _Bad("before 1900")
    return value


def _moment(value: str, now: datetime) -> str:
    if not _ISO_MOMENT.fullmatch(value):
        raise _Bad("not a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM:SSZ)")
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time(), UTC)
        else:
            moment = _as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise _Bad("not a real date and time") from None
    if moment > now:
        raise _Bad("in the future")
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _as_utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
