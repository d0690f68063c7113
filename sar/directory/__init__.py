"""The organisation directory: who to write to, and where.

Three layers:

1. records imported from an open directory (`sar orgs import`), kept in
   `$SAR_HOME/orgs/imported/*.json`;
2. the built-in, curated records, one per file in `sar/directory/orgs/*.toml`, each
   with the sources its contact facts were read from. A built-in record replaces an
   imported one with the same slug whole (it may be a different legal entity), and
   names the imported records it `supersedes`, which then redirect to it;
3. the user's own records in `$SAR_HOME/orgs/*.toml` (`sar orgs add` / `edit`),
   laid over the record beneath field by field.

A name is looked up among curated and user records first (slug, then alias or mail
domain), and only then among imported ones, so importing thousands of records never
changes where an existing name leads.

A record without a sourced contact is kept, so the user learns it is missing, but
cannot be written to until a contact is added. Groups (`@uk-parties`) name sets of
records, by slug or by kind and country, in `groups.toml` beside this file or in
`$SAR_HOME/groups.toml`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sar import validate
from sar.core import calendars
from sar.core.deadlines import REGIMES
from sar.errors import NotFoundError, UsageError, closest

BUILTIN = Path(__file__).parent / "orgs"
# An imported record's quality, best first, as the datenanfragen schema orders them:
# tested (a request went through), verified (a person read it on the organisation's
# site), imported (from another data set, checked by a person), scraped (by a machine).
QUALITIES = ("tested", "verified", "imported", "scraped")
BUILTIN_GROUPS = Path(__file__).parent / "groups.toml"

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


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: not valid TOML ({e})") from None


@dataclass
class _Parsed:
    stamp: tuple                          # the file's size, mtime and inode when read
    data: dict                            # never changed once read: shared
    record: Organisation | None = None    # validated, once asked for


# Built-in files (records, groups.toml), parsed once per process while each stays
# as it is: a process that makes many Directory objects (the tests, a long
# `sar watch`) reads and validates the ~90 records once. User and imported records
# are read every time: they change between calls.
_builtin_files: dict[str, _Parsed] = {}


def _read_builtin(path: Path) -> _Parsed:
    st = path.stat()
    stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
    key = os.path.abspath(path)
    parsed = _builtin_files.get(key)
    if parsed is None or parsed.stamp != stamp:
        parsed = _builtin_files[key] = _Parsed(stamp, _read(path))
    return parsed


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    slugs: tuple[str, ...] = ()
    kind: str | None = None
    country: str | None = None


class Directory:
    """Imported records, the built-in ones over them, the user's over both."""

    def __init__(self, user_dir: Path | None = None, builtin: Path = BUILTIN,
                 user_groups: Path | None = None):
        self.user_dir = user_dir
        self.builtin = builtin
        self.user_groups = user_groups
        self._records: dict[str, Organisation] | None = None
        self._index: dict[str, Organisation | None] | None = None  # _lookup()
        self._raw: dict[str, tuple[dict, str, str]] = {}
        self._redirects: dict[str, dict] = {}
        self.redirected: dict[str, str] = {}  # old slug -> the record it led to
        self.problems: list[str] = []  # the user's files that could not be read

    @property
    def imported_dir(self) -> Path | None:
        return self.user_dir / "imported" if self.user_dir else None

    def origin(self, slug: str) -> str | None:
        """Which layer a slug's record comes from: imported, built-in, user, ..."""
        self._load()
        found = self._raw.get(slug)
        return found[2] if found else None

    def raw(self, slug: str) -> dict | None:
        """The record as its files say (all layers merged), unvalidated."""
        self._load()
        found = self._raw.get(slug)
        return copy.deepcopy(found[0]) if found else None

    def _load(self) -> dict[str, Organisation]:
        if self._records is not None:
            return self._records
        raw = self._raw
        trusted: set[str] = set()
        if self.imported_dir and self.imported_dir.is_dir():
            for path in sorted(self.imported_dir.glob("*.json")):
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (ValueError, UnicodeDecodeError) as e:
                    raise UsageError(f"{path}: not a sar import file ({e})") from None
                for slug, record in data.get("records", {}).items():
                    raw[slug] = (record, f"{path} ({slug})", "imported")
                    trusted.add(slug)  # validated when it was imported
                self._redirects.update(data.get("redirects", {}))
        builtin: dict[str, _Parsed] = {}
        for path in sorted(self.builtin.glob("*.toml")):
            parsed = builtin[str(path)] = _read_builtin(path)
            data = parsed.data
            slug = data.get("slug", path.stem)
            raw[slug] = (data, str(path), "built-in")
            trusted.discard(slug)
            for old in data.get("supersedes", []):
                if raw.get(old, (None, None, None))[2] == "imported":
                    del raw[old]
                    trusted.discard(old)
                self._redirects[old] = {"to": slug, "reason": "superseded by a curated record"}
        if self.user_dir and self.user_dir.is_dir():
            for path in sorted(self.user_dir.glob("*.toml")):
                try:
                    data = _read(path)
                except UsageError as e:
                    # One broken file of the user's must not stop every organisation.
                    self.problems.append(f"{e}: skipped")
                    continue
                slug = data.get("slug", path.stem)
                trusted.discard(slug)
                if slug in raw:
                    below = raw[slug][2]
                    origin = "imported, edited" if below == "imported" else "user override"
                    raw[slug] = ({**raw[slug][0], **data}, str(path), origin)
                else:
                    raw[slug] = (data, str(path), "user")
        self._records = {}
        builtin_slugs = {}
        for where, parsed in builtin.items():
            slug = parsed.data.get("slug", Path(where).stem)
            if raw.get(slug, (None, None, None))[2] == "user override":
                builtin_slugs[slug] = from_record(parsed.data, where, "built-in")
        for slug, (d, where, origin) in raw.items():
            if slug in trusted:
                self._records[slug] = _trusted(d, origin)
            elif origin == "built-in":  # as the file says, nothing laid over it
                parsed = builtin[where]
                if parsed.record is None:
                    parsed.record = from_record(d, where, origin)
                self._records[slug] = parsed.record
            else:
                try:
                    self._records[slug] = from_record(d, where, origin)
                except UsageError as e:
                    self.problems.append(f"{e}: skipped")
                    if origin == "user override" and slug in builtin_slugs:
                        self._records[slug] = builtin_slugs[slug]  # the record beneath
        return self._records

    def all(self, kind: str | None = None, *, include_imported: bool = False,
            country: str | None = None) -> list[Organisation]:
        if kind is not None and kind not in KINDS:
            raise UsageError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        return [o for o in self._load().values()
                if (kind is None or o.kind == kind)
                and (country is None or (o.country or "").upper() == country.upper())
                and (include_imported or not o.origin.startswith("imported"))]

    def _lookup(self) -> dict[str, Organisation | None]:
        """Every name `get` answers to, built once: the first match wins, in `get`'s
        order (None: an obsolete curated slug, answered from the redirects)."""
        if self._index is None:
            records = self._load()
            index: dict[str, Organisation | None] = {}
            curated = [o for o in records.values() if not o.origin.startswith("imported")]
            imported = [o for o in records.values() if o.origin.startswith("imported")]
            for pool in (curated, imported):
                for org in pool:
                    index.setdefault(org.slug, org)
                for org in pool:
                    for name in (*(a.lower() for a in org.aliases), *org.domains):
                        index.setdefault(name, org)
                if pool is curated:
                    for old in self._redirects:
                        index.setdefault(old, None)
            self._index = index
        return self._index

    def get(self, slug: str) -> Organisation:
        """A record by slug; else by alias or domain; else where an obsolete slug now
        lives: curated records before imported ones."""
        records = self._load()
        key = slug.strip().lower()
        found = self._lookup().get(key, False)
        if isinstance(found, Organisation):
            return found
        if found is None:
            moved = self._redirects[key]
            if moved.get("to") and moved["to"] in records:
                self.redirected[key] = moved["to"]
                return records[moved["to"]]
            raise NotFoundError(
                f"{slug!r} is an obsolete record ({moved.get('reason') or 'no reason given'})"
                + (f"; it now lives at {moved['to']}" if moved.get("to") else ""))
        broken = [p for p in self.problems if f"/{key}.toml" in p]
        if broken:
            raise UsageError(broken[0].removesuffix(": skipped"))  # its own file is broken
        names = {s: s for s in records}
        names.update({a.lower(): o.slug for o in records.values() for a in o.aliases})
        hint = closest(key, names)
        extra = f" (did you mean {names[hint[0]]}?)" if hint else " (try `sar orgs search`)"
        raise NotFoundError(f"unknown organisation {slug!r}{extra}")

    def search(self, text: str, limit: int = 10) -> list[tuple[float, Organisation]]:
        """Records ranked by how well name, alias, slug or domain match `text`."""
        import difflib

        query = text.strip().lower()
        if len(query) < 2:
            raise UsageError("search for at least two characters")
        scored = []
        for org in self._load().values():
            best = 0.0
            for candidate in (org.slug, org.name, *org.aliases, *org.domains):
                c = candidate.lower()
                if query == c:
                    score = 1.0
                elif query in c:
                    score = 0.9 if c.startswith(query) or f" {query}" in c else 0.8
                else:
                    score = difflib.SequenceMatcher(None, query, c).ratio() * 0.75
                best = max(best, score)
            if best >= 0.5:
                # Curated records first when the match is as good, then the better
                # imported ones (verified before scraped).
                rank = QUALITIES.index(org.quality) if org.quality in QUALITIES else 0
                scored.append((round(best, 3), org.origin.startswith("imported"), rank,
                               org.name, org))
        scored.sort(key=lambda t: (-t[0], *t[1:4]))
        return [(score, org) for score, *_, org in scored[:limit]]

    # -- groups --------------------------------------------------------------------

    def groups(self) -> dict[str, Group]:
        out: dict[str, Group] = {}
        for path in (BUILTIN_GROUPS, self.user_groups):
            if path is None or not path.exists():
                continue
            specs = _read_builtin(path).data if path == BUILTIN_GROUPS else _read(path)
            for name, spec in specs.items():
                out[name] = _group(name, spec, path)
        return out

    def group(self, name: str) -> list[Organisation]:
        """The members of @NAME: its listed slugs, or every curated record of its kind."""
        groups = self.groups()
        name = name.lstrip("@")
        if name not in groups:
            raise UsageError(f"unknown group @{name}" + (
                f" (did you mean @{closest(name, groups)[0]}?)" if closest(name, groups)
                else f" (groups: {', '.join('@' + g for g in groups)})"))
        g = groups[name]
        if g.slugs:
            return [self.get(slug) for slug in g.slugs]
        return sorted(self.all(g.kind, country=g.country), key=lambda o: o.name)

    def expand(self, names: list[str]) -> tuple[list[Organisation], set[str]]:
        """Slugs and @groups to organisations (once each), and which came from groups."""
        found: dict[str, Organisation] = {}
        from_groups: set[str] = set()
        for name in names:
            if name.startswith("@"):
                for org in self.group(name):
                    found.setdefault(org.slug, org)
                    from_groups.add(org.slug)
            else:
                org = self.get(name)
                found.setdefault(org.slug, org)
                from_groups.discard(org.slug)
        return list(found.values()), from_groups


def _group(name: str, spec, path: Path) -> Group:
    """One group from a groups file, or UsageError naming the file and the group."""
    def fail(why: str):
        raise UsageError(f"{path}: group {name!r} {why}")

    if not isinstance(spec, dict):
        fail("must be a table")
    slugs = spec.get("slugs", [])
    if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
        fail("has slugs that are not a list of names")
    kind = spec.get("kind")
    if kind is not None and kind not in KINDS:
        fail(f"has kind {kind!r}, not one of {', '.join(KINDS)}")
    if not slugs and not kind:
        # An empty group must not mean "everyone".
        fail("lists no slugs and names no kind")
    return Group(name, str(spec.get("description", "")), tuple(slugs), kind, spec.get("country"))


def _trusted(data: dict, origin: str) -> Organisation:
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


def write_user_record(user_dir: Path, data: dict) -> Path:
    """Write (or update) $SAR_HOME/orgs/SLUG.toml."""
    import tomli_w

    from sar.files import write_private

    user_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = user_dir / f"{data['slug']}.toml"
    existing = _read(path) if path.exists() else {}
    merged = {**existing, **{k: v for k, v in data.items() if v not in (None, [], ())}}
    write_private(path, tomli_w.dumps(merged).encode("utf-8"))
    return path
