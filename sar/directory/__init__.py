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
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sar.directory.records import (  # noqa: F401 - the directory's names, as before
    CHANNELS,
    KINDS,
    LANGUAGES,
    QUALITIES,
    Organisation,
    from_record,
    trusted_record,
)
from sar.errors import NotFoundError, UsageError, closest

BUILTIN = Path(__file__).parent / "orgs"
BUILTIN_GROUPS = Path(__file__).parent / "groups.toml"


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
    """Imported records, the built-in ones over them, the user's over both.

    The layers are read once (every file parsed, nothing validated); a record is
    validated when it is first asked for, so a command that names a few
    organisations (the board's names, a report's kinds) checks those few, not every
    record with its calendar. `all()`, a search and `problems` validate every one."""

    def __init__(self, user_dir: Path | None = None, builtin: Path = BUILTIN,
                 user_groups: Path | None = None):
        self.user_dir = user_dir
        self.builtin = builtin
        self.user_groups = user_groups
        self._records: dict[str, Organisation] | None = None
        self._raw: dict[str, tuple[dict, str, str]] | None = None
        self._redirects: dict[str, dict] = {}
        self._trusted_slugs: set[str] = set()
        self._builtin: dict[str, _Parsed] = {}
        self._checked: dict[str, Organisation | None] = {}  # slug -> record, or None
        self._unread: list[str] = []   # the user's files that could not be read
        self._invalid: dict[str, str] = {}  # slug -> why its record was skipped
        self._index: dict[str, dict[str, Organisation]] | None = None
        self._curated: dict[str, list[str]] | None = None
        self.redirected: dict[str, str] = {}  # old slug -> the record it led to

    @property
    def imported_dir(self) -> Path | None:
        return self.user_dir / "imported" if self.user_dir else None

    @property
    def problems(self) -> list[str]:
        """The user's files that could not be read, and the records skipped as
        invalid, in the order the layers list them (every record is checked)."""
        self._load()
        return [*self._unread, *(self._invalid[slug] for slug in self._layers()
                                 if slug in self._invalid)]

    def origin(self, slug: str) -> str | None:
        """Which layer a slug's record comes from: imported, built-in, user, ..."""
        found = self._layers().get(slug)
        return found[2] if found else None

    def raw(self, slug: str) -> dict | None:
        """The record as its files say (all layers merged), unvalidated."""
        found = self._layers().get(slug)
        return copy.deepcopy(found[0]) if found else None

    def _layers(self) -> dict[str, tuple[dict, str, str]]:
        """slug -> (the record's merged data, where it was read, its origin), every
        file read once, nothing validated."""
        if self._raw is not None:
            return self._raw
        raw: dict[str, tuple[dict, str, str]] = {}
        trusted = self._trusted_slugs
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
        for path in sorted(self.builtin.glob("*.toml")):
            parsed = self._builtin[str(path)] = _read_builtin(path)
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
                    self._unread.append(f"{e}: skipped")
                    continue
                slug = data.get("slug", path.stem)
                trusted.discard(slug)
                if slug in raw:
                    below = raw[slug][2]
                    origin = "imported, edited" if below == "imported" else "user override"
                    raw[slug] = ({**raw[slug][0], **data}, str(path), origin)
                else:
                    raw[slug] = (data, str(path), "user")
        self._raw = raw
        return raw

    def _record(self, slug: str) -> Organisation | None:
        """The validated record of one slug of the layers (None: skipped as invalid,
        with the reason kept for `problems`), worked out once."""
        if slug in self._checked:
            return self._checked[slug]
        d, where, origin = self._layers()[slug]
        record = None
        if slug in self._trusted_slugs:
            record = trusted_record(d, origin)
        elif origin == "built-in":  # as the file says, nothing laid over it
            parsed = self._builtin[where]
            if parsed.record is None:
                parsed.record = from_record(d, where, origin)
            record = parsed.record
        else:
            try:
                record = from_record(d, where, origin)
            except UsageError as e:
                self._invalid[slug] = f"{e}: skipped"
                if origin == "user override":
                    record = self._beneath(slug)  # the record beneath, if it is sound
        self._checked[slug] = record
        return record

    def _beneath(self, slug: str) -> Organisation | None:
        """The built-in record a user's broken override of `slug` lies over."""
        for where, parsed in self._builtin.items():
            if parsed.data.get("slug", Path(where).stem) == slug:
                return from_record(parsed.data, where, "built-in")
        return None

    def _load(self) -> dict[str, Organisation]:
        if self._records is None:
            records = {}
            for slug in self._layers():
                record = self._record(slug)
                if record is not None:
                    records[slug] = record
            self._records = records
        return self._records

    def all(self, kind: str | None = None, *, include_imported: bool = False,
            country: str | None = None) -> list[Organisation]:
        if kind is not None and kind not in KINDS:
            raise UsageError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        return [o for o in self._load().values()
                if (kind is None or o.kind == kind)
                and (country is None or (o.country or "").upper() == country.upper())
                and (include_imported or not o.origin.startswith("imported"))]

    def names(self, slugs) -> dict[str, str]:
        """slug -> name for those of `slugs` the directory holds (as
        {o.slug: o.name for o in all(include_imported=True)} would say), validating
        only their records."""
        wanted = set(slugs)
        out = {}
        for slug, (d, _, _) in self._layers().items():
            # A record's slug is its layer's key as validate.slug writes it (an
            # imported one's as imported), so no other record can give one of these.
            shown = d.get("slug") if slug in self._trusted_slugs else \
                slug.strip().lower() if isinstance(slug, str) else None
            if shown in wanted:
                record = self._record(slug)
                if record is not None and record.slug in wanted:
                    out[record.slug] = record.name
        return out

    def get(self, slug: str) -> Organisation:
        """A record by slug, then alias or mail domain, among the curated and user
        records first, then (after the obsolete slugs' redirects) the imported ones."""
        key = slug.strip().lower()
        # A curated slug comes first and needs only its own record checked: the
        # layer's key as validate.slug writes it is the record's slug.
        for name in self._curated_keys().get(key, ()):
            org = self._record(name)
            if org is not None and org.slug == key:
                return org
        index = self._lookup()
        for pool in ("curated", "imported"):
            for by in ("slug", "alias"):
                if key in index[f"{pool} {by}"]:
                    return index[f"{pool} {by}"][key]
            if pool == "curated" and key in self._redirects:
                records = self._load()
                moved = self._redirects[key]
                if moved.get("to") and moved["to"] in records:
                    self.redirected[key] = moved["to"]
                    return records[moved["to"]]
                raise NotFoundError(
                    f"{slug!r} is an obsolete record ({moved.get('reason') or 'no reason given'})"
                    + (f"; it now lives at {moved['to']}" if moved.get("to") else ""))
        records = self._load()
        broken = [p for p in self.problems if f"/{key}.toml" in p]
        if broken:
            raise UsageError(broken[0].removesuffix(": skipped"))  # its own file is broken
        names = {s: s for s in records}
        names.update({a.lower(): o.slug for o in records.values() for a in o.aliases})
        hint = closest(key, names)
        extra = f" (did you mean {names[hint[0]]}?)" if hint else " (try `sar orgs search`)"
        raise NotFoundError(f"unknown organisation {slug!r}{extra}")

    def _curated_keys(self) -> dict[str, list[str]]:
        """The curated and user layers' keys by their lower-case form, in order."""
        if self._curated is None:
            self._curated = {}
            for name, (_, _, origin) in self._layers().items():
                if not origin.startswith("imported") and isinstance(name, str):
                    self._curated.setdefault(name.strip().lower(), []).append(name)
        return self._curated

    def _lookup(self) -> dict[str, dict[str, Organisation]]:
        """The records by slug and by alias or mail domain, curated and imported
        apart, each name leading to the first record in the layers' order that has
        it: what a scan of the records in that order would find, built once."""
        if self._index is None:
            index: dict[str, dict[str, Organisation]] = {
                f"{pool} {by}": {} for pool in ("curated", "imported") for by in ("slug", "alias")}
            for org in self._load().values():
                pool = "imported" if org.origin.startswith("imported") else "curated"
                index[f"{pool} slug"].setdefault(org.slug, org)
                by_alias = index[f"{pool} alias"]
                for name in (*(a.lower() for a in org.aliases), *org.domains):
                    by_alias.setdefault(name, org)
            self._index = index
        return self._index

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
