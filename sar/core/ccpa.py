"""CCPA rules the deadline engine does not hold: who may invoke the law, and the
15-business-day limit on opting out and on limiting sensitive data.

Pure: an address and dates in, a verdict or a date out.
"""

from __future__ import annotations

import datetime as dt
import re

from sar.core import calendars

# 11 CCR §7026(f) (opt-out of sale/sharing) and §7027(g) (limit the use of sensitive
# personal information): comply "no later than 15 business days from the date the
# business receives the request".
OPT_OUT_BUSINESS_DAYS = 15
# 11 CCR §7021(b): a request to know, delete or correct: 45 calendar days.
RESPONSE_DAYS = 45
# What to do when the requester's address is not in California: refuse (the default,
# so that no letter says "I am a California consumer" for someone who is not one) or
# warn and draft anyway. `--california-resident` lets a resident living away go on.
RESIDENCE_CHOICES = ("refuse", "warn")

# "Sacramento, CA 95814", "CA 94110-1234", or the state's name anywhere.
_STATE = re.compile(r"\bCA\.?,?\s+9(?:[0-5]\d|6[01])\d{2}(?:-\d{4})?\b|\bCalifornia\b",
                    re.IGNORECASE)


def in_california(address: list[str] | tuple[str, ...]) -> bool:
    """Whether a postal address reads as Californian: the state's name, or 'CA'
    followed by a California ZIP code (900xx-961xx)."""
    return any(_STATE.search(line) for line in address)


def residence_problem(address, *, setting: str = "refuse",
                      confirmed: bool = False) -> tuple[str | None, str | None]:
    """(refusal, warning) for a CCPA letter from someone at `address`.

    Cal. Civ. Code §1798.140(i): the CCPA's "consumer" is a California resident
    (18 CCR §17014: in the state for other than a temporary purpose, or domiciled
    there and away for a while). A letter saying "I am a California consumer" from
    a Leeds address gives the business its reason to refuse, so by default sar
    refuses to draft it unless the requester confirms they are a resident."""
    if confirmed or in_california(address):
        return None, None
    where = ", ".join(address[-2:]) if address else "no address"
    why = (f"your address ({where}) is not in California, and the CCPA protects California "
           "residents only (Cal. Civ. Code 1798.140(i))")
    if setting == "warn":
        return None, (f"{why}: the business may refuse; add --california-resident if you "
                      "are one living away, or use another --regime")
    return (f"{why}: add --california-resident if you are one living away for a while, or "
            "use another --regime (`sar config set letters.ccpa_residence warn` drafts with "
            "a warning instead)"), None


def opt_out_due(receipt: dt.date, calendar: str = "US-CA") -> dt.date:
    """The last day to act on an opt-out of sale/sharing or a limit on sensitive
    personal information: 15 business days after receipt (§7026(f), §7027(g))."""
    return calendars.get(calendar).add_working_days(receipt, OPT_OUT_BUSINESS_DAYS)
