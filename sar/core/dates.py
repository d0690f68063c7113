"""Small date helpers shared by the deadline rules and their explanations."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt

# English names, whatever the machine's locale (strftime's %a and %-d are neither
# locale-proof nor portable).
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


def short(d: dt.date) -> str:
    """'Sat 31 Jan 2026'"""
    return f"{_DAY_NAMES[d.weekday()][:3]} {d.day} {_MONTH_NAMES[d.month - 1][:3]} {d.year}"


_LOCAL = {
    "de": (("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
           ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
            "Oktober", "November", "Dezember")),
    "fr": (("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
           ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
            "septembre", "octobre", "novembre", "décembre")),
}
LANGUAGES = ("en", "de", "fr")


def long(d: dt.date, lang: str = "en") -> str:
    """'31 January 2026', '31. Januar 2026', '31 janvier 2026'"""
    if lang == "de":
        return f"{d.day}. {_LOCAL['de'][1][d.month - 1]} {d.year}"
    if lang == "fr":
        day = "1er" if d.day == 1 else str(d.day)
        return f"{day} {_LOCAL['fr'][1][d.month - 1]} {d.year}"
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def with_weekday(d: dt.date, lang: str = "en") -> str:
    """'Monday 2 March 2026', 'Montag, 2. März 2026', 'lundi 2 mars 2026'"""
    if lang == "de":
        return f"{_LOCAL['de'][0][d.weekday()]}, {long(d, 'de')}"
    if lang == "fr":
        return f"{_LOCAL['fr'][0][d.weekday()]} {long(d, 'fr')}"
    return f"{_DAY_NAMES[d.weekday()]} {long(d)}"


def add_months(start: dt.date, months: int) -> tuple[dt.date, bool]:
    """The same day-number `months` later, clamped to that month's last day.

    Returns the date and whether it was clamped (31 Jan + 1 month -> 28 Feb).
    """
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last = _calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last), True
    return dt.date(year, month, start.day), False


# Requests, replies and deadlines happen in these years; a date outside them is a
# typo (and would run the calendar arithmetic off the end of the date type).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def in_range(day: dt.date, text: str) -> dt.date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{text!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return day


def parse_date(text: str) -> dt.date:
    """An ISO date, or ValueError with a message fit for a user."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None
    return in_range(day, text.strip())


def parse_date_or_datetime(text: str) -> dt.date | dt.datetime:
    """A date, or a datetime (with or without a zone) when a time is given."""
    text = text.strip()
    if "T" in text or " " in text:
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{text!r} is not a date or datetime (expected YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM[+HH:MM])"
            ) from None
        in_range(moment.date(), text)
        return moment
    return parse_date(text)
