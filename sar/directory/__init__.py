"""The organisation directory: who to write to, and where.

Built-in records live one per file in `sar/directory/orgs/*.toml`, each with the
sources its contact facts were read from. A user's own records in
`$SAR_HOME/orgs/*.toml` add organisations or override built-in fields by slug.
A record without a sourced contact is kept (so the user learns it is missing)
but cannot be written to until a contact is added.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sar import validate
from sar.core import calendars
from sar.core.deadlines import REGIMES
from sar.errors import NotFoundError, UsageError, closest

BUILTIN = Path(__file__).parent / "orgs"

KINDS = (
    "political-party", "data-broker", "credit-reference-agency", "ad-tech", "platform",
    "campaign-vendor", "supervisory-authority", "other",
)
CHANNELS = ("email", "post", "webform", "none")

_FIELDS = {
    "slug": str, "name": str, "aliases": list, "kind": str, "country": str, "regime": str,
    "calendar": str, "email": str, "alt_emails": list, "webform": str, "attention": str,
    "address": list, "phone": str, "domains": list, "channel": str, "note": str,
    "sources": list, "verified_on": str,
}


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str
    kind: str = "other"
    country: str | None = None
    regime: str | None = None
    calendar: str | None = None
    email: str | None = None
    alt_emails: tuple[str, ...] = ()
    webform: str | None = None
    attention: str = "Data Protection Officer"
    address: tuple[str, ...] = ()
    phone: str | None = None
    domains: tuple[str, ...] = ()
    channel: str = "none"
    aliases: tuple[str, ...] = ()
    note: str = ""
    sources: tuple[dict, ...] = field(default=(), hash=False)
    verified_on: str | None = None
    origin: str = "built-in"

    def as_dict(self) -> dict:
        return {
            "slug": self.slug, "name": self.name, "kind": self.kind, "country": self.country,
            "regime": self.regime, "calendar": self.calendar, "email": self.email,
            "alt_emails": list(self.alt_emails), "webform": self.webform,
            "attention": self.attention,
            "address": "\n".join(self.address) if self.address else None,
            "address_lines": list(self.address), "phone": self.phone,
            "domains": list(self.domains), "channel": self.channel,
            "aliases": list(self.aliases), "note": self.note,
            "sources": [dict(s) for s in self.sources], "verified_on": self.verified_on,
            "verified": bool(self.verified_on), "origin": self.origin,
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
        address = tuple(validate.text(line, "address") for line in data.get("address", []))
        validate.text(data["name"], "name")
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
    channel = data.get("channel") or ("email" if data.get("email") else
                                      "post" if address else "none")
    if channel not in CHANNELS:
        fail("channel", f"is {channel!r}, not one of {', '.join(CHANNELS)}")
    for s in data.get("sources", []):
        if not isinstance(s, dict) or "url" not in s:
            fail("sources", "entries need a 'url'")
    return Organisation(
        slug=slug, name=data["name"], kind=kind, country=data.get("country"), regime=regime,
        calendar=cal, email=data.get("email"), alt_emails=tuple(data.get("alt_emails", [])),
        webform=data.get("webform"), attention=data.get("attention", "Data Protection Officer"),
        address=address, phone=data.get("phone"), domains=domains, channel=channel,
        aliases=tuple(data.get("aliases", [])), note=data.get("note", ""),
        sources=tuple(data.get("sources", [])), verified_on=data.get("verified_on"),
        origin=origin,
    )


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: not valid TOML ({e})") from None


class Directory:
    """Built-in records with the user's records laid over them."""

    def __init__(self, user_dir: Path | None = None, builtin: Path = BUILTIN):
        self.user_dir = user_dir
        self.builtin = builtin
        self._records: dict[str, Organisation] | None = None
        self._raw: dict[str, tuple[dict, str, str]] = {}

    def raw(self, slug: str) -> dict | None:
        """The record as its files say (built-in merged with the user's), unvalidated."""
        self._load()
        found = self._raw.get(slug)
        return dict(found[0]) if found else None

    def _load(self) -> dict[str, Organisation]:
        if self._records is not None:
            return self._records
        raw = self._raw
        for path in sorted(self.builtin.glob("*.toml")):
            data = _read(path)
            raw[data.get("slug", path.stem)] = (data, str(path), "built-in")
        if self.user_dir and self.user_dir.is_dir():
            for path in sorted(self.user_dir.glob("*.toml")):
                data = _read(path)
                slug = data.get("slug", path.stem)
                if slug in raw:
                    merged = {**raw[slug][0], **data}
                    raw[slug] = (merged, str(path), "user override")
                else:
                    raw[slug] = (data, str(path), "user")
        self._records = {slug: from_record(d, where, origin)
                         for slug, (d, where, origin) in raw.items()}
        return self._records

    def all(self, kind: str | None = None) -> list[Organisation]:
        if kind is not None and kind not in KINDS:
            raise UsageError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        return [o for o in self._load().values() if kind is None or o.kind == kind]

    def get(self, slug: str) -> Organisation:
        records = self._load()
        key = slug.strip().lower()
        if key in records:
            return records[key]
        for org in records.values():
            if key in (a.lower() for a in org.aliases) or key in org.domains:
                return org
        names = {slug: slug for slug in records}
        names.update({a.lower(): o.slug for o in records.values() for a in o.aliases})
        hint = closest(key, names)
        extra = f" (did you mean {names[hint[0]]}?)" if hint else " (see `sar orgs list`)"
        raise NotFoundError(f"unknown organisation {slug!r}{extra}")


def write_user_record(user_dir: Path, data: dict) -> Path:
    """Write (or update) $SAR_HOME/orgs/SLUG.toml after validating the result."""
    import tomli_w

    from sar.home import write_private

    user_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = user_dir / f"{data['slug']}.toml"
    existing = _read(path) if path.exists() else {}
    merged = {**existing, **{k: v for k, v in data.items() if v not in (None, [], ())}}
    write_private(path, tomli_w.dumps(merged).encode("utf-8"))
    return path
