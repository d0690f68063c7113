"""Importing an open directory: the datenanfragen.de company database format.

A clone of datenanfragen/data holds one JSON record per organisation in
`companies/` (and `supervisory-authorities/`), and `obsolete-records/` for
organisations that merged, closed or moved. Each record is mapped to sar's fields,
validated like any other record, and either imported or rejected with the reason;
obsolete records become redirects, so an old slug still finds the new record.
The result is one file, $SAR_HOME/orgs/imported/datenanfragen.json, loaded as the
lowest layer of the directory: curated and user records win over it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from sar import validate
from sar.core import calendars
from sar.errors import UsageError

# datenanfragen categories -> our kinds (the first that matches wins).
_KINDS = [("political party", "political-party"), ("ads", "ad-tech"),
          ("social media", "platform"), ("credit agency", "credit-reference-agency"),
          ("addresses", "data-broker")]
_CHANNELS = {"email": "email", "letter": "post", "fax": "post", "webform": "webform"}
EEA = {"at", "be", "bg", "hr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "gr", "hu", "ie",
       "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "sk", "si", "es", "se", "is",
       "li", "no"}


@dataclass
class ImportReport:
    source: str
    imported: int = 0
    authorities: int = 0
    redirects: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    @property
    def read(self) -> int:
        return self.imported + self.authorities + len(self.rejected)

    def as_dict(self) -> dict:
        return {"source": self.source, "imported": self.imported,
                "authorities": self.authorities, "redirects": self.redirects,
                "rejected": [{"file": f, "reason": r} for f, r in self.rejected]}


# Mailbox providers: an address there says nothing about whose replies are whose.
FREEMAIL = {"gmail.com", "googlemail.com", "gmx.de", "gmx.net", "gmx.at", "web.de",
            "t-online.de", "yahoo.com", "yahoo.de", "outlook.com", "outlook.de",
            "hotmail.com", "hotmail.de", "live.com", "icloud.com", "me.com", "mail.de",
            "posteo.de", "aol.com", "proton.me", "protonmail.com", "freenet.de", "arcor.de",
            # UK and French providers, for discovery as much as for the importer.
            "hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "live.co.uk", "outlook.fr",
            "sky.com", "talktalk.net", "virginmedia.com", "aol.co.uk", "ymail.com",
            "mac.com", "hotmail.fr", "yahoo.fr", "orange.fr", "free.fr", "laposte.net",
            "sfr.fr", "wanadoo.fr"}


def _related(a: str, b: str) -> bool:
    """Whether two domains are one organisation's: equal, or one inside the other, or
    the same name under a different suffix (acme.de and acme.com)."""
    if a == b or a.endswith("." + b) or b.endswith("." + a):
        return True
    return a.split(".")[-2:-1] == b.split(".")[-2:-1]


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    host = urlparse(url if "://" in url else f"https://{url}").hostname or ""
    return host.removeprefix("www.").lower() or None


# The last line of an address, as the database writes it, -> ISO 3166 code. Used for
# records relevant to many countries: the address says where the organisation is.
_COUNTRY_NAMES = {
    "united states of america": "us", "united states": "us", "usa": "us",
    "deutschland": "de", "germany": "de", "united kingdom": "gb", "uk": "gb",
    "england": "gb", "scotland": "gb", "wales": "gb", "northern ireland": "gb",
    "ireland": "ie", "the netherlands": "nl", "netherlands": "nl", "nederland": "nl",
    "france": "fr", "switzerland": "ch", "schweiz": "ch", "suisse": "ch", "sweden": "se",
    "sverige": "se", "belgium": "be", "belgique": "be", "belgië": "be", "spain": "es",
    "españa": "es", "österreich": "at", "austria": "at", "italy": "it", "italia": "it",
    "cyprus": "cy", "luxembourg": "lu", "denmark": "dk", "danmark": "dk", "poland": "pl",
    "polska": "pl", "canada": "ca", "lithuania": "lt", "australia": "au", "israel": "il",
    "singapore": "sg", "republic of singapore": "sg", "hong kong": "hk", "finland": "fi",
    "new zealand": "nz", "czech republic": "cz", "czechia": "cz", "malta": "mt",
    "estonia": "ee", "bulgaria": "bg", "hungary": "hu", "romania": "ro", "china": "cn",
    "liechtenstein": "li", "portugal": "pt", "norway": "no", "norge": "no",
    "croatia": "hr", "iceland": "is", "greece": "gr", "slovenia": "si", "slovakia": "sk",
    "latvia": "lv", "japan": "jp", "india": "in",
}
# Country-code web domains that name a country plainly (not .io, .co, .tv, ...).
_TLDS = {"uk": "gb", **{c: c for c in EEA - {"is"}}, "ch": "ch"}


def _where(record: dict) -> str | None:
    """The one country a record belongs to: its only relevant country, or else the
    last line of its address, or else a country web domain."""
    countries = [c.lower() for c in record.get("relevant-countries", [])]
    if len(countries) == 1 and countries[0] != "all":
        return countries[0]
    lines = [line.strip() for line in (record.get("address") or "").splitlines() if line.strip()]
    if lines and lines[-1].lower().strip(" .") in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[lines[-1].lower().strip(" .")]
    web = _domain(record.get("web"))
    return _TLDS.get(web.rpartition(".")[2]) if web else None


def convert(record: dict, *, authority: bool = False) -> dict:
    """A datenanfragen record in sar's fields (not yet validated).

    A record relevant to one country gets that country's law and holiday calendar.
    One relevant to many gets its country from its address, but no law or calendar
    of its own: the requester's apply (Art. 3(2) GDPR and UK GDPR reach organisations
    abroad that serve them), which keeps their own regulator in reach."""
    countries = [c.lower() for c in record.get("relevant-countries", [])]
    single = len(countries) == 1 and countries[0] != "all"
    country = _where(record)
    categories = record.get("categories", [])
    kind = "supervisory-authority" if authority else next(
        (ours for theirs, ours in _KINDS if theirs in categories), "other")
    out: dict = {"slug": record["slug"], "name": record["name"], "kind": kind}
    if country:
        out["country"] = country.upper()
        code = "GB-ENG" if country == "gb" else country.upper()
        regime = "uk-gdpr" if country == "gb" else "eu-gdpr" if country in EEA else None
        if single:
            # The calendar goes with the law: the requester's law is counted on the
            # requester's calendar, or a foreign holiday could end it a day early.
            if calendars.is_known(code):
                out["calendar"] = code
            if regime:
                out["regime"] = regime
    if record.get("address"):
        out["address"] = [line.strip() for line in record["address"].splitlines() if line.strip()]
    for theirs, ours in (("email", "email"), ("webform", "webform"), ("phone", "phone"),
                         ("web", "web")):
        if record.get(theirs):
            out[ours] = record[theirs]
    # The domains replies come from: the web site's, and the email's when it is the
    # same organisation's (not a freemail or a shared data-protection service).
    domains = set()
    web = _domain(record.get("web"))
    mail = record["email"].rpartition("@")[2].lower() if record.get("email") else None
    if mail and (mail in FREEMAIL or (web and not _related(mail, web))):
        mail = None
    for d in (web, mail):
        with contextlib.suppress(UsageError):  # a malformed web address is just dropped
            if d:
                domains.add(validate.org_domain(d))
    out["domains"] = sorted(domains)
    language = record.get("request-language") or record.get("complaint-language")
    if language:
        out["lang"] = language
    medium = record.get("suggested-transport-medium")
    if medium in _CHANNELS:
        out["channel"] = _CHANNELS[medium]
    needs = []
    if record.get("needs-id-document"):
        needs.append("may ask for a copy of an identity document")
    if record.get("required-elements"):
        needs.append("asks for: " + ", ".join(
            (e.get("desc") or e.get("type", "")) + (" (optional)" if e.get("optional") else "")
            if isinstance(e, dict) else str(e) for e in record["required-elements"]))
    if needs:
        out["id_required"] = "; ".join(needs)
    if record.get("runs"):
        out["aliases"] = [str(r) for r in record["runs"]][:20]
    note = record.get("comments") or []
    out["note"] = " ".join(note) if isinstance(note, list) else str(note)
    read = f"datenanfragen, quality {record.get('quality', 'unknown')}"
    out["sources"] = [{"url": u, "read": read} for u in record.get("sources", []) if u]
    if out.get("channel") == "email" and not out.get("email"):
        out["channel"] = "post" if out.get("address") else "webform"
    return out


def _why(e: Exception) -> str:
    """A rejected record's reason, in words."""
    if isinstance(e, KeyError):
        return f"the record has no {e.args[0]!r} field"
    if isinstance(e, json.JSONDecodeError):
        return f"not valid JSON (line {e.lineno}: {e.msg})"
    if isinstance(e, UnicodeDecodeError):
        return "not UTF-8 text"
    return f"a field has the wrong shape ({e})"


def import_datenanfragen(folder: Path, target_dir: Path) -> ImportReport:
    """Import every record under `folder` into `target_dir`/datenanfragen.json."""
    from sar.directory import from_record
    from sar.home import write_private

    folder = folder.expanduser()
    companies = folder / "companies"
    if not companies.is_dir():
        raise UsageError(f"{folder} is not a datenanfragen data folder (no companies/ in it)")
    report = ImportReport(source=str(folder))
    records: dict[str, dict] = {}
    redirects: dict[str, dict] = {}
    for sub, authority in (("companies", False), ("supervisory-authorities", True)):
        # Every file, not only *.json: one record in the 2026 snapshot lacks the suffix.
        for path in sorted(p for p in (folder / sub).glob("*")
                           if p.is_file() and not p.name.startswith(".")):
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                data = convert(raw, authority=authority)
                org = from_record(data, path.name, "imported")
            except UsageError as e:
                report.rejected.append((f"{sub}/{path.name}", str(e).split(": ", 1)[-1]))
                continue
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                report.rejected.append((f"{sub}/{path.name}", _why(e)))
                continue
            if org.slug in records:
                report.rejected.append((f"{sub}/{path.name}", f"duplicate slug {org.slug}"))
                continue
            # Stored as validated, with the fields from_record works out (the channel).
            records[org.slug] = {**data, "slug": org.slug, "channel": org.channel,
                                 "domains": list(org.domains)}
            if authority:
                report.authorities += 1
            else:
                report.imported += 1
    for path in sorted((folder / "obsolete-records").glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            redirects[raw["slug"]] = {"to": raw.get("redirect-to"), "reason": raw.get("reason"),
                                      "name": raw.get("name")}
            report.redirects += 1
        except (ValueError, KeyError, TypeError) as e:
            report.rejected.append((f"obsolete-records/{path.name}", _why(e)))
    if not records:
        # An empty or wrong folder must not wipe out the directory imported before.
        raise UsageError(f"no usable records in {folder}/companies: nothing imported, "
                         "the previous import (if any) is kept")
    target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = {"source": str(folder), "format": "datenanfragen",
               "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "records": records, "redirects": redirects}
    write_private(target_dir / "datenanfragen.json",
                  json.dumps(payload, ensure_ascii=False, indent=0).encode("utf-8"))
    return report
