"""Working-day calendars: weekends plus the public holidays of one place.

Codes are ISO 3166 as the `holidays` package knows them: GB-ENG, GB-WLS, GB-SCT,
GB-NIR, the EU member states (IE, FR, DE, ...), US-CA. The bank-holiday lists
come from `holidays`, loaded on first use so that `sar --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from sar.core.dates import short
from sar.errors import UsageError

# England and Wales share one bank-holiday list (Banking and Financial Dealings
# Act 1971, Sch. 1), so both codes are named for the pair.
_NAMES = {
    "GB-ENG": "England & Wales",
    "GB-WLS": "England & Wales",
    "GB-SCT": "Scotland",
    "GB-NIR": "Northern Ireland",
    "US-CA": "California",
}

# The controller's local date decides receipt (legal.md §1.4: London date of
# arrival for UK email). Countries with one zone, or the capital's zone.
_ZONES = {
    "GB": "Europe/London", "IE": "Europe/Dublin", "FR": "Europe/Paris",
    "DE": "Europe/Berlin", "AT": "Europe/Vienna", "BE": "Europe/Brussels",
    "NL": "Europe/Amsterdam", "LU": "Europe/Luxembourg", "IT": "Europe/Rome",
    "ES": "Europe/Madrid", "PT": "Europe/Lisbon", "DK": "Europe/Copenhagen",
    "SE": "Europe/Stockholm", "FI": "Europe/Helsinki", "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest",
    "SI": "Europe/Ljubljana", "HR": "Europe/Zagreb", "RO": "Europe/Bucharest",
    "BG": "Europe/Sofia", "GR": "Europe/Athens", "CY": "Asia/Nicosia",
    "MT": "Europe/Malta", "EE": "Europe/Tallinn", "LV": "Europe/Riga",
    "LT": "Europe/Vilnius", "IS": "Atlantic/Reykjavik", "NO": "Europe/Oslo",
    "LI": "Europe/Vaduz", "CH": "Europe/Zurich", "US": "America/New_York",
    "US-CA": "America/Los_Angeles", "CA": "America/Toronto",
    "CA-BC": "America/Vancouver", "BR": "America/Sao_Paulo",
    "AU": "Australia/Sydney",
}


# Holiday names from `holidays` that mislead a reader, as they should read. The
# Scottish holiday of 15 June 2026 (Royal Proclamation, legal.md [S39]) is for
# Scotland's part in the 2026 World Cup, not for its final (19 July 2026).
_RELABEL = {
    "Scotland's participation in the FIFA World Cup final":
        "special bank holiday for Scotland at the 2026 FIFA World Cup",
}

# Holidays kept only in some municipalities, which `holidays` files as a category:
# `DE-BY-CATHOLIC` is Bavaria with Assumption Day (15 August), a public holiday in
# its mainly Catholic municipalities (Bavarian Feiertagsgesetz Art. 1(1) Nr. 2).
# A city the package knows as a subdivision is named directly: DE-AUGSBURG.
_CATEGORIES = ("CATHOLIC",)


class UnknownCalendarError(UsageError):
    """A calendar code the holidays package does not know."""


@dataclass(frozen=True)
class Calendar:
    """Weekends and public holidays of one place, with its time zone."""

    code: str
    name: str
    zone: str
    _holidays: object = field(repr=False, compare=False, hash=False)

    def holiday(self, day: dt.date) -> str | None:
        """The holiday's name, or None."""
        name = self._holidays.get(day)  # type: ignore[attr-defined]
        return _RELABEL.get(name, name)

    def why_not_working(self, day: dt.date) -> str | None:
        """Why `day` is not a working day ('Saturday', 'Good Friday'), or None."""
        if day.weekday() == 5:
            return "Saturday"
        if day.weekday() == 6:
            return "Sunday"
        return self.holiday(day)

    def is_working_day(self, day: dt.date) -> bool:
        return self.why_not_working(day) is None

    def roll_forward(self, day: dt.date) -> tuple[dt.date, list[tuple[dt.date, str]]]:
        """The first working day on or after `day`, and the days skipped with why."""
        skipped = []
        while (why := self.why_not_working(day)) is not None:
            skipped.append((day, why))
            day += dt.timedelta(days=1)
        return day, skipped

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (`day` itself is not counted)."""
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def describe_roll(self, day: dt.date) -> tuple[dt.date, str | None]:
        """Roll forward and say so in words; the sentence is None when no roll was needed."""
        rolled, skipped = self.roll_forward(day)
        if not skipped:
            return rolled, None
        reasons = ", ".join(f"{short(d)} is {why}" if why in ("Saturday", "Sunday")
                            else f"{short(d)} is a holiday ({why})" for d, why in skipped)
        return rolled, f"{reasons} → next working day {short(rolled)} ({self.name})"


def split_code(code: str) -> tuple[str, str | None]:
    country, _, subdiv = code.upper().partition("-")
    return country, (subdiv or None)


@lru_cache(maxsize=64)
def get(code: str) -> Calendar:
    """The calendar for an ISO 3166 code; UnknownCalendarError if there is none."""
    import holidays

    code = code.strip().upper()
    country, subdiv = split_code(code)
    subdivisions = _subdivisions(country)
    if subdivisions is None:
        raise UnknownCalendarError(f"unknown calendar {code!r} (try GB-ENG, GB-SCT, GB-NIR, IE, FR, DE)")
    category = None
    if subdiv and subdiv.rpartition("-")[2] in _CATEGORIES:
        subdiv, _, category = subdiv.rpartition("-")
        subdiv = subdiv or None
    # Subdivisions match whatever their case: the package spells a city 'Augsburg'.
    by_upper = {s.upper(): s for s in subdivisions}
    if subdiv is not None and subdiv not in by_upper:
        # Every code, not the first few: a user looking for their Land must find it.
        known = ", ".join(f"{country}-{s.upper()}" for s in subdivisions)
        raise UnknownCalendarError(f"unknown calendar {code!r} (known for {country}: {known})")
    if category and subdiv is None:
        raise UnknownCalendarError(f"calendar {code!r}: name the region too "
                                   f"({country}-REGION-{category})")
    if country == "GB" and subdiv is None:
        # The UK has no single bank-holiday list; make the user choose a nation.
        raise UnknownCalendarError("calendar 'GB' is ambiguous: use GB-ENG, GB-WLS, GB-SCT or GB-NIR")
    subdiv = by_upper[subdiv] if subdiv else None
    kinds = ("public", category.lower()) if category else ("public",)
    try:
        days = holidays.country_holidays(country, subdiv=subdiv, categories=kinds)
    except (NotImplementedError, ValueError):
        raise UnknownCalendarError(f"calendar {code!r}: the holidays package keeps no "
                                   f"{category.lower()} holidays for {country}") from None
    name = _NAMES.get(code) or _country_name(country, subdiv)
    if category:
        name = name.removesuffix(")") + ", Catholic municipalities)" if subdiv else name
    zone = _ZONES.get(code) or _ZONES.get(country) or "UTC"
    return Calendar(code=code, name=name, zone=zone, _holidays=days)


def _subdivisions(country: str) -> list[str] | None:
    """The subdivisions the holidays package knows for a country code (or alias), as
    its list_supported_countries() gives them; None for a code it does not know.
    Asked of that one country's class, so only its module is imported, not all 250
    (list_supported_countries imports every one: a tenth of a second)."""
    import holidays
    from holidays.registry import EntityLoader

    if country not in EntityLoader.get_country_codes():
        return None
    return list(getattr(holidays, country).subdivisions)


def is_known(code: str) -> bool:
    try:
        get(code)
    except UnknownCalendarError:
        return False
    return True


def _country_name(country: str, subdiv: str | None) -> str:
    from holidays import registry

    name = country
    for module, (_class, *codes) in registry.COUNTRIES.items():
        if country in codes:
            name = module.replace("_", " ").title()
            break
    return f"{name} ({subdiv})" if subdiv else name
