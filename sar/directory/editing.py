"""The user's own organisation records: added, edited over a built-in one, or
imported from an open directory, under the home's `orgs/` folder."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sar.errors import UsageError, unknown


def add_org(ws, *, slug: str, name: str | None = None, email: str | None = None,
            domains: list[str] = (), reply_domains: list[str] = (), kind: str | None = None, country: str | None = None,
            calendar: str | None = None, regime: str | None = None,
            address: str | None = None) -> dict:
    """Add a user record, or lay the given fields over an existing one."""
    from sar import letters, validate
    from sar.directory import from_record, write_user_record

    slug = validate.slug(slug)
    record = {"slug": slug, "name": name, "email": email,
              "domains": [validate.org_domain(d, "--domain") for d in domains],
              "reply_domains": [validate.org_domain(d, "--reply-domain") for d in reply_domains],
              "kind": kind,
              "country": validate.country(country) if country else None,
              "calendar": calendar.upper() if calendar else None, "regime": regime,
              "address": validate.address_lines(address) if address else None}
    record = {k: v for k, v in record.items() if v not in (None, [])}
    if regime is not None and regime not in letters.FAMILIES:
        raise UsageError(unknown("regime", regime, letters.FAMILIES))
    existing = ws.directory.raw(slug)
    if existing is None:
        if not name:
            raise UsageError(f"{slug} is a new organisation: give its --name")
        if not email and not address:
            raise UsageError(f"{slug} is a new organisation: give its --email or --address")
    # A contact the user adds is the one to use. A record with no domains takes the
    # email's, so replies from it can match, unless the user named the domains (free
    # mail never says who wrote).
    if email and not domains:
        from sar.directory.importers import FREEMAIL

        own = email.rpartition("@")[2].lower()
        known = list((existing or {}).get("domains") or [])
        if own not in FREEMAIL and not known:  # a record with domains keeps its own
            # A public suffix or junk: no domain rather than a wrong one.
            with contextlib.suppress(UsageError):
                record["domains"] = [*known, validate.org_domain(own)]
    merged = {**(existing or {}), **record}
    if email:
        record["channel"] = "email"
    elif address and not merged.get("email"):
        record["channel"] = "post"
    merged.update(record)
    # Validate the record as it will be read back, before anything is written.
    from_record(merged, f"orgs add {slug}", "user")
    if ws.directory.origin(slug) == "imported":
        # An import may be replaced by one without this record: keep it whole.
        record = {k: v for k, v in merged.items() if k != "supersedes"}
    write_user_record(ws.home.subdir(ws.home.orgs), record)
    ws.reload_directory()
    return ws.directory.get(slug).as_dict()


def edit_org(ws, slug: str, **fields) -> dict:
    """Change fields of an organisation that exists (built-in, imported or yours)."""
    ws.directory.get(slug)  # NotFoundError with a suggestion if it does not
    if not any(v for v in fields.values()):
        raise UsageError("give at least one field to change, such as --email")
    return add_org(ws, slug=ws.directory.get(slug).slug, **fields)


def import_orgs(ws, folder: Path, progress=None):
    """Import an open directory (the datenanfragen format) under the user's records;
    `progress(n, total, "")` as its files are read."""
    from sar.directory.importers import import_datenanfragen

    ws.home.ensure()
    report = import_datenanfragen(Path(folder), ws.home.subdir(ws.home.orgs) / "imported",
                                  progress)
    ws.reload_directory()
    return report
