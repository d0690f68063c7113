"""The requester's profile: who is asking, kept in config.toml under [profile]."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sar import validate
from sar.core import calendars
from sar.errors import ProfileMissingError, UsageError


@dataclass(frozen=True)
class Profile:
    name: str
    email: str
    address: list[str]
    previous_addresses: list[str] = field(default_factory=list)
    date_of_birth: str | None = None
    calendar: str = "GB-ENG"

    def as_dict(self) -> dict:
        d = asdict(self)
        return {k: v for k, v in d.items() if v not in (None, [])}


def make(name: str, email: str, address: str | list[str], previous_addresses=(),
         date_of_birth: str | None = None, calendar: str = "GB-ENG",
         today: dt.date | None = None) -> Profile:
    """A validated profile; UsageError names the first field that is wrong."""
    dob = None
    if date_of_birth:
        try:
            born = dt.date.fromisoformat(date_of_birth.strip())
        except ValueError:
            raise UsageError(f"date of birth {date_of_birth!r} is not a date (YYYY-MM-DD)") from None
        if today and born >= today:
            raise UsageError("date of birth is not in the past")
        if born.year < 1900:
            raise UsageError("date of birth is before 1900")
        dob = born.isoformat()
    calendar = calendar.strip().upper()
    calendars.get(calendar)  # raises UnknownCalendarError, a UsageError
    return Profile(
        name=validate.text(name, "name", max_len=200),
        email=validate.email(email),
        address=validate.address_lines(address),
        previous_addresses=[validate.text(a, "previous address") for a in previous_addresses
                            if a.strip()],
        date_of_birth=dob,
        calendar=calendar,
    )


def from_config(config: dict) -> Profile:
    data = config.get("profile")
    if not data:
        raise ProfileMissingError("no profile yet: run `sar init` first")
    try:
        return Profile(
            name=data["name"], email=data["email"], address=list(data["address"]),
            previous_addresses=list(data.get("previous_addresses", [])),
            date_of_birth=data.get("date_of_birth"), calendar=data.get("calendar", "GB-ENG"),
        )
    except (KeyError, TypeError) as e:
        raise ProfileMissingError(f"the profile in config.toml is incomplete ({e}): "
                                  "run `sar init` again") from None
