"""A directory record: its fields, their checks, and the record built from them
(sar.directory reads the layers of records; this is what each one is)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sar import validate
from sar.core import calendars
from sar.core.deadlines import REGIMES
from sar.errors import UsageError

# An imported record's quality, best first, as the datenanfragen schema orders them:
# tested (a request went through), verified (a person read it on the organisation's
# site), imported (from another data set, checked by a person), scraped (by a machine).
QUALITIES = ("tested", "verified", "imported", "scraped")

KINDS = (
    "political-party", "data-broker", "credit-reference-agency", "ad-tech", "platform",
    "campaign-vendor", "supervisory-authority", "other",
)
CHANNELS = ("email", "post", "webform", "none")
LANGUAGES = ("en", "de", "fr")

_FIELDS = {
    "slug": str, "name": str, "aliases": list, "kind": str, "country": str, "regime": str,
    "calendar": str, "lang": str, "email": str, "alt_emails": list, "webform": str,
    "attention": str, "address": list, "phone": str, "web": str, "domains": list,
    "channel": str, "id_required": str, "note": str, "sources": list, "verified_on": str,
    "supersedes": list, "reply_domains": list, "controller": str, "ico_registration": str,
    "electoral_commission": str, "company_number": str, "checked": str,
    # What an imported record's source says of it: its quality, and where it applies.
    "quality": str, "relevant_countries": list,
    # The spellings of two old fields, read as the old ones.
    "web_form": str, "postal_address": list,
}
_SPELLINGS = {"web_form": "webform", "postal_address": "address"}
# ICO register of fee payers (Z1234567, ZA123456, ZB934331); Electoral Commission
# party register (PP52, PP7931).
_ICO = re.compile(r"^Z[A-Z0-9]{6,7}$")
_ELECTORAL = re.compile(r"^PP\d{1,6}$")


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str
    kind: str = "other"
    country: str | None = None
    regime: str | None = None
    calendar: str | None = None
    lang: str | None = None               # the language it takes requests in
    email: str | None = None
    alt_emails: tuple[str, ...] = ()
    webform: str | None = None
    attention: str | None = None          # whom to address, if not the DPO
    address: tuple[str, ...] = ()
    phone: str | None = None
    web: str | None = None
    domains: tuple[str, ...] = ()         # mail domains: how its replies are recognised
    channel: str = "none"
    id_required: str | None = None        # what identification it may reasonably ask for
    aliases: tuple[str, ...] = ()
    note: str = ""
    sources: tuple[dict, ...] = field(default=(), hash=False)
    verified_on: str | None = None        # the day someone read the live page
    origin: str = "built-in"
    # Processor domains it answers through (a ticket or privacy platform): they make a
    # reply trusted, never matched alone, since many organisations share them.
    reply_domains: tuple[str, ...] = ()
    controller: str | None = None         # the legal entity that controls UK users' data
    ico_registration: str | None = None
    electoral_commission: str | None = None
    company_number: str | None = None
    checked: str | None = None            # the day its facts were last compared with its sources
    quality: str | None = None            # an imported record's: tested ... scraped
    relevant_countries: tuple[str, ...] = ()  # where its source says it applies ("all")

    def as_dict(self) -> dict:
        return {
            "slug": self.slug, "name": self.name, "kind": self.kind, "country": self.country,
            "regime": self.regime, "calendar": self.calendar, "lang": self.lang,
            "email": self.email, "alt_emails": list(self.alt_emails), "webform": self.webform,
            "attention": self.attention,
            "address": "\n".join(self.address) if self.address else None,
            "address_lines": list(self.address), "phone": self.phone, "web": self.web,
            "domains": list(self.domains), "channel": self.channel,
            "id_required": self.id_required, "aliases": list(self.aliases), "note": self.note,
            "sources": [dict(s) for s in self.sources], "verified_on": self.verified_on,
            "verified": bool(self.verified_on), "origin": self.origin,
            "reply_domains": list(self.reply_domains), "controller": self.controller,
            "ico_registration": self.ico_registration,
            "electoral_commission": self.electoral_commission,
            "company_number": self.company_number, "checked": self.checked,
            "quality": self.quality, "relevant_countries": list(self.relevant_countries),
        }


def from_record(data: dict, where: str, origin: str = "built-in") -> Organisation:
    """Validate one record; UsageError names the file and the field."""
    def fail(field_name: str, why: str):
        raise UsageError(f"{where}: field {field_name!r} {why}")

    for key, value in data.items():
        if key not in _FIELDS:
            fail(key, "is not a directory field")
        if not isinstance(value, _FIELDS[key]):
            fail(key, f"must be {_FIELDS[key].__name__}")
    data = dict(data)
    for new, old in _SPELLINGS.items():
        if new in data:
            if old in data:
                fail(new, f"and {old!r} say the same thing: give one")
            data[old] = data.pop(new)
    extra = _registrations(data, fail)
    for required in ("slug", "name"):
        if not data.get(required):
            fail(required, "is missing")
    try:
        slug = validate.slug(data["slug"])
        if data.get("email"):
            validate.email(data["email"], "email")
        for e in data.get("alt_emails", []):
            validate.email(e, "alt_emails")
        domains = tuple(validate.domain(d) for d in data.get("domains", []))
        reply_domains = tuple(validate.org_domain(d, "reply_domains")
                              for d in data.get("reply_domains", []))
        address = tuple(validate.text(line, "address") for line in data.get("address", []))
        validate.text(data["name"], "name")
        for key in ("attention", "phone", "webform", "web", "id_required"):
            if data.get(key):
                validate.text(data[key], key, max_len=500)
        aliases = tuple(validate.text(a, "aliases") for a in data.get("aliases", []))
    except UsageError as e:
        raise UsageError(f"{where}: {e}") from None
    kind = data.get("kind", "other")
    if kind not in KINDS:
        fail("kind", f"is {kind!r}, not one of {', '.join(KINDS)}")
    regime = data.get("regime")
    if regime is not None and regime not in REGIMES:
        fail("regime", f"is {regime!r}, not one of {', '.join(REGIMES)}")
    cal = data.get("calendar")
    if cal is not None and not calendars.is_known(cal):
        fail("calendar", f"is {cal!r}, not a calendar the holidays package knows")
    lang = data.get("lang")
    if lang is not None and len(lang) != 2:
        fail("lang", f"is {lang!r}, not a two-letter language code")
    channel = data.get("channel") or ("email" if data.get("email") else
                                      "post" if address else
                                      "webform" if data.get("webform") else "none")
    if channel not in CHANNELS:
        fail("channel", f"is {channel!r}, not one of {', '.join(CHANNELS)}")
    for s in data.get("sources", []):
        if not isinstance(s, dict) or "url" not in s:
            fail("sources", "entries need a 'url'")
    return Organisation(
        slug=slug, name=data["name"], kind=kind, country=data.get("country"), regime=regime,
        calendar=cal, lang=lang, email=data.get("email"),
        alt_emails=tuple(data.get("alt_emails", [])), webform=data.get("webform"),
        attention=data.get("attention"), address=address,
        phone=data.get("phone"), web=data.get("web"), domains=domains, channel=channel,
        id_required=data.get("id_required"), aliases=aliases, note=data.get("note", ""),
        sources=tuple(data.get("sources", [])), verified_on=data.get("verified_on"),
        origin=origin, reply_domains=reply_domains, **extra,
    )


def _registrations(data: dict, fail) -> dict:
    """The registration numbers, controller, quality, countries and checked date,
    each in its own form."""
    out = {}
    for key, pattern, form in (("ico_registration", _ICO, "Z followed by 6 or 7 letters "
                                "or digits, as the ICO register writes it"),
                               ("electoral_commission", _ELECTORAL, "PP and digits, as "
                                "the Electoral Commission register writes it")):
        value = data.get(key)
        if value is not None and not pattern.match(value):
            fail(key, f"is {value!r}, not {form}")
        out[key] = value
    for key in ("controller", "company_number"):
        if data.get(key):
            try:
                validate.text(data[key], key, max_len=300)
            except UsageError as e:
                fail(key, str(e))
        out[key] = data.get(key)
    quality = data.get("quality")
    if quality is not None and quality not in QUALITIES:
        fail("quality", f"is {quality!r}, not one of {', '.join(QUALITIES)}")
    out["quality"] = quality
    countries = data.get("relevant_countries", [])
    if not all(isinstance(c, str) and re.fullmatch(r"[a-z]{2}|all", c) for c in countries):
        fail("relevant_countries", "must be lower-case ISO country codes or 'all'")
    out["relevant_countries"] = tuple(countries)
    checked = data.get("checked")
    if checked is not None:
        try:
            dt.date.fromisoformat(checked)
        except ValueError:
            fail("checked", f"is {checked!r}, not a date (YYYY-MM-DD)")
    out["checked"] = checked
    return out


def trusted_record(data: dict, origin: str) -> Organisation:
    """A record validated when it was imported: built without checking it again
    (three thousand of them would otherwise cost every command a noticeable pause)."""
    return Organisation(
        slug=data["slug"], name=data["name"], kind=data.get("kind", "other"),
        country=data.get("country"), regime=data.get("regime"),
        calendar=data.get("calendar"), lang=data.get("lang"), email=data.get("email"),
        alt_emails=tuple(data.get("alt_emails", ())), webform=data.get("webform"),
        attention=data.get("attention"),
        address=tuple(data.get("address", ())), phone=data.get("phone"), web=data.get("web"),
        domains=tuple(data.get("domains", ())), channel=data.get("channel", "none"),
        id_required=data.get("id_required"), aliases=tuple(data.get("aliases", ())),
        note=data.get("note", ""), sources=tuple(data.get("sources", ())),
        verified_on=data.get("verified_on"), origin=origin,
        reply_domains=tuple(data.get("reply_domains", ())), controller=data.get("controller"),
        ico_registration=data.get("ico_registration"),
        electoral_commission=data.get("electoral_commission"),
        company_number=data.get("company_number"), checked=data.get("checked"),
        quality=data.get("quality"),
        relevant_countries=tuple(data.get("relevant_countries", ())))
