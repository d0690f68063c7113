"""Which supervisory authority a GDPR complaint may go to.

Pure: countries in, a yes or no and the countries that would do out.

GDPR Art. 77(1): a data subject may complain "in particular in the Member State of
his or her habitual residence, place of work or place of the alleged
infringement". The place of the infringement is taken as the organisation's
country (where it processes; for cross-border processing its main establishment,
whose authority leads under Art. 56(1)). A complaint lodged elsewhere is not
void, but it is passed on and delayed: sar refuses it unless the user insists.
Within Germany the Land authority of the requester's Land is chosen; a German
authority not competent passes a complaint on (§ 19(2) BDSG).
"""

from __future__ import annotations

# The authority for complaints about private bodies in each German Land (§ 40 BDSG),
# by the ISO 3166-2 code in a DE-xx calendar, as slugs of the built-in records.
GERMAN_LAND = {
    "BW": "debawueldb", "BY": "debaylda", "BE": "deberlbdi", "BB": "debralda",
    "HB": "debrelfdi", "HH": "dehmbbfdi", "HE": "dehessbdi", "MV": "demvldi",
    "NI": "dendslfd", "NW": "denrwldi", "RP": "derlpbdi", "SL": "desaarudz",
    "SN": "desaechsdsb", "ST": "desalbd", "SH": "deshuld", "TH": "detlfdi",
}


def competent_countries(residence: str | None, organisation: str | None,
                        work: str | None = None) -> tuple[str, ...]:
    """The member states whose authorities are competent under Art. 77(1)."""
    return tuple(dict.fromkeys(c.upper() for c in (residence, work, organisation) if c))


def is_competent(authority_country: str | None, residence: str | None,
                 organisation: str | None, work: str | None = None) -> bool:
    """Art. 77(1) GDPR: residence, place of work or place of the alleged infringement.
    Unknown countries decide nothing: an authority is taken as competent."""
    known = competent_countries(residence, organisation, work)
    return not authority_country or not known or authority_country.upper() in known
