"""Importing an open directory: the datenanfragen.de company database format.

A clone of datenanfragen/data holds one JSON record per organisation in
`companies/` (and `supervisory-authorities/`), and `obsolete-records/` for
organisations that merged, closed or moved. Each record is mapped to sar's fields,
validated like any other record, and either imported or rejected with the reason;
obsolete records become redirects, so an old slug still finds the new record.

What the database says of a record's worth is kept: its `quality` (tested, verified,
imported or scraped: made by a machine and checked by nobody), shown with the record,
and a better record comes first wherever two answer to the same name. Its
`relevant-countries` are kept and give the law. A domain several records give (a
shared privacy service, a group's one site) is kept only as a reply domain, which
never matches a reply alone: it would say nothing about which of them wrote.
The result is one file, $SAR_HOME/orgs/imported/datenanfragen.json, loaded as the
lowest layer of the directory: curated and user records win over it.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from sar import validate
from sar.core import calendars
from sar.directory import QUALITIES
from sar.domains import registrable
from sar.errors import UsageError

# datenanfragen categories -> our kinds, the first that matches wins: what a record
# is matters more than that it also shows adverts (Google lists "ads" beside "social
# media"; Acxiom Germany "ads" beside "addresses", the address trade).
_KINDS = [("political party", "political-party"), ("credit agency", "credit-reference-agency"),
          ("addresses", "data-broker"), ("social media", "platform")]
# Credit reference agencies whose national records carry no category (experian-de,
# experian-at, experian-ch): known by their names.
_CRA_NAMES = re.compile(r"\b(experian|equifax|transunion|schufa|crif|creditreform|"
                        r"boniversum|creditsafe|infoscore)\b", re.IGNORECASE)
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
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (file, reason, why)
    by_quality: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    shared_domains: int = 0      # domains several records give: reply domains only

    @property
    def loaded(self) -> int:
        return self.imported + self.authorities

    @property
    def read(self) -> int:
        return self.loaded + len(self.rejected)

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        counts = collections.Counter(why for _, _, why in self.rejected)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def summary(self) -> list[str]:
        """The figures in words, one line each."""
        def counts(figures: dict[str, int]) -> str:
            return ", ".join(f"{what} {n:,}" for what, n in figures.items()) or "none"

        rejected = len(self.rejected)
        return [
            f"Loaded {self.loaded:,} records: {self.imported:,} organisations and "
            f"{self.authorities} supervisory authorities; {self.redirects} obsolete "
            "records redirect.",
            f"Rejected {rejected:,}" + (": " + ", ".join(
                f"{why} ({n:,})" for why, n in self.rejected_by_reason.items()) + "."
                if rejected else "."),
            f"By quality: {counts(self.by_quality)}.",
            f"By kind: {counts(self.by_kind)}.",
            f"{self.shared_domains} domains are given by more than one record: they "
            "never match a reply alone."]

    def as_dict(self) -> dict:
        return {"source": self.source, "loaded": self.loaded, "imported": self.imported,
                "authorities": self.authorities, "redirects": self.redirects,
                "rejected": [{"file": f, "reason": r, "why": w} for f, r, w in self.rejected],
                "rejected_by_reason": self.rejected_by_reason,
                "by_quality": self.by_quality, "by_kind": self.by_kind,
                "shared_domains": self.shared_domains}


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
    """Whether two domains are one organisation's: the same registrable domain
    (mail.acme.de and acme.de), or the same name under another suffix (acme.de and
    acme.co.uk). Compared by the Public Suffix List, so two .co.uk domains are not
    one organisation because both end in co.uk."""
    a, b = registrable(a), registrable(b)
    if a is None or b is None:
        return False
    return a == b or a.partition(".")[0] == b.partition(".")[0]


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


# Invisible characters that copy-and-paste leaves in an address: the soft hyphen
# (datenschutz@ written as daten\xadschutz@), zero-width spaces and joiners, the word
# joiner, a byte-order mark, left-to-right and right-to-left marks. In a contact they
# are always noise; in a name only the first four are (a joiner may shape a script).
_INVISIBLE_IN_CONTACTS = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_INVISIBLE_IN_TEXT = re.compile("[\u00ad\u200b\u2060\ufeff]")
_CONTACTS = ("email", "web", "webform", "phone", "fax", "slug")


def clean(record: dict) -> dict:
    """The record with invisible characters taken out of every text in it."""
    def scrub(value, pattern):
        if isinstance(value, str):
            return pattern.sub("", value)
        if isinstance(value, list):
            return [scrub(v, pattern) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v, pattern) for k, v in value.items()}
        return value

    return {k: scrub(v, _INVISIBLE_IN_CONTACTS if k in _CONTACTS else _INVISIBLE_IN_TEXT)
            for k, v in record.items()}


def kind_of(categories: list[str], name: str, *, authority: bool = False) -> str:
    """Our kind for a record: by its categories, else (for the agencies whose records
    have none) by its name; an advertiser only when advertising is all it lists."""
    if authority:
        return "supervisory-authority"
    for theirs, ours in _KINDS:
        if theirs in categories:
            return ours
    if _CRA_NAMES.search(name):
        return "credit-reference-agency"
    return "ad-tech" if categories == ["ads"] else "other"


def _regime(countries: list[str]) -> str | None:
    """The law for a record relevant to these countries: UK GDPR for the UK alone, the
    GDPR when every one is in the EEA; none for "all" or a mixture, where the
    requester's own law applies (Art. 3(2) GDPR and UK GDPR)."""
    if not countries or "all" in countries:
        return None
    if set(countries) == {"gb"}:
        return "uk-gdpr"
    return "eu-gdpr" if set(countries) <= EEA else None


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
    record = clean(record)
    countries = [c.lower() for c in record.get("relevant-countries", [])]
    single = len(countries) == 1 and countries[0] != "all"
    country = _where(record)
    kind = kind_of(record.get("categories") or [], record["name"], authority=authority)
    out: dict = {"slug": record["slug"], "name": record["name"], "kind": kind}
    if record.get("quality"):
        out["quality"] = str(record["quality"])
    if countries:
        out["relevant_countries"] = countries
    regime = _regime(countries)
    if regime:
        out["regime"] = regime
    if country:
        out["country"] = country.upper()
        code = "GB-ENG" if country == "gb" else country.upper()
        # The calendar goes with the law: a record for many countries is counted on
        # the requester's calendar, or a foreign holiday could end it a day early.
        if single and calendars.is_known(code):
            out["calendar"] = code
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
    read = f"datenanfragen, quality {out.get('quality', 'unknown')}"
    out["sources"] = [{"url": u, "read": read} for u in record.get("sources", []) if u]
    if out.get("channel") == "email" and not out.get("email"):
        out["channel"] = "post" if out.get("address") else "webform"
    return out


def _why(e: Exception) -> tuple[str, str]:
    """A rejected record's reason in words, and the kind of reason (for the counts)."""
    if isinstance(e, KeyError):
        return f"the record has no {e.args[0]!r} field", "a required field is missing"
    if isinstance(e, json.JSONDecodeError):
        return f"not valid JSON (line {e.lineno}: {e.msg})", "not valid JSON"
    if isinstance(e, UnicodeDecodeError):
        return "not UTF-8 text", "not UTF-8 text"
    if isinstance(e, UsageError):
        reason = str(e).split(": ", 1)[-1]
        for words, why in (("not an email address", "an email address is malformed"),
                           ("is missing", "a required field is missing"),
                           ("control character", "a field holds a control character"),
                           ("not a domain", "a domain is malformed")):
            if words in reason:
                return reason, why
        return reason, "a field fails validation"
    return f"a field has the wrong shape ({e})", "a field has the wrong shape"


def _rank(record: dict) -> int:
    quality = record.get("quality")
    return QUALITIES.index(quality) if quality in QUALITIES else len(QUALITIES)


def _read_records(folder: Path, report: ImportReport, progress=None) -> dict[str, dict]:
    """Every company and authority record that validates, by slug; the rest rejected;
    `progress(n, total, "")` every 100 files."""
    from sar.directory import from_record

    records: dict[str, dict] = {}
    files: dict[str, str] = {}
    # Every file, not only *.json: one record in the 2026 snapshot lacks the suffix.
    every = [(sub, authority, path)
             for sub, authority in (("companies", False), ("supervisory-authorities", True))
             for path in sorted(p for p in (folder / sub).glob("*")
                                if p.is_file() and not p.name.startswith("."))]
    for n, (sub, authority, path) in enumerate(every):
        if progress and n % 100 == 0:
            progress(n, len(every), "")
        name = f"{sub}/{path.name}"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            data = convert(raw, authority=authority)
            org = from_record(data, path.name, "imported")
        except (UsageError, ValueError, KeyError, TypeError, AttributeError) as e:
            report.rejected.append((name, *_why(e)))
            continue
        data = {**data, "slug": org.slug, "channel": org.channel,
                "domains": list(org.domains)}
        if org.slug in records:
            # The better of the two stays: a verified record over a scraped one.
            if _rank(data) < _rank(records[org.slug]):
                records[org.slug], data = data, records[org.slug]
                files[org.slug], name = name, files[org.slug]
            report.rejected.append((name, f"duplicate slug {org.slug} (kept "
                                    f"{files[org.slug]})", "its slug is another record's"))
            continue
        files[org.slug] = name
        records[org.slug] = data
    return records


def _share_domains(records: dict[str, dict]) -> int:
    """Move each domain that several records give to their reply domains: a reply
    from it is theirs once its thread or reference says whose, never by the domain
    alone. Returns how many domains are shared."""
    holders: dict[str, list[dict]] = collections.defaultdict(list)
    for data in records.values():
        for d in data["domains"]:
            holders[d].append(data)
    shared = {d for d, held in holders.items() if len(held) > 1}
    for d in shared:
        for data in holders[d]:
            data["domains"] = [x for x in data["domains"] if x != d]
            data["reply_domains"] = sorted({*data.get("reply_domains", ()), d})
    return len(shared)


def _count(records: dict[str, dict], report: ImportReport) -> None:
    report.authorities = sum(r["kind"] == "supervisory-authority" for r in records.values())
    report.imported = len(records) - report.authorities
    quality = collections.Counter(r.get("quality", "not given") for r in records.values())
    report.by_quality = {q: quality[q] for q in (*QUALITIES, "not given") if quality[q]}
    report.by_kind = dict(collections.Counter(r["kind"] for r in records.values())
                          .most_common())


def _read_redirects(folder: Path, report: ImportReport) -> dict[str, dict]:
    redirects: dict[str, dict] = {}
    for path in sorted((folder / "obsolete-records").glob("*.json")):
        try:
            raw = clean(json.loads(path.read_text(encoding="utf-8")))
            redirects[raw["slug"]] = {"to": raw.get("redirect-to"), "reason": raw.get("reason"),
                                      "name": raw.get("name")}
            report.redirects += 1
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            report.rejected.append((f"obsolete-records/{path.name}", *_why(e)))
    return redirects


def import_datenanfragen(folder: Path, target_dir: Path, progress=None) -> ImportReport:
    """Import every record under `folder` into `target_dir`/datenanfragen.json."""
    from sar.files import write_private

    folder = folder.expanduser()
    if not (folder / "companies").is_dir():
        raise UsageError(f"{folder} is not a datenanfragen data folder (no companies/ in it)")
    report = ImportReport(source=str(folder))
    records = _read_records(folder, report, progress)
    redirects = _read_redirects(folder, report)
    if not records:
        # An empty or wrong folder must not wipe out the directory imported before.
        raise UsageError(f"no usable records in {folder}/companies: nothing imported, "
                         "the previous import (if any) is kept")
    report.shared_domains = _share_domains(records)
    _count(records, report)
    # Best first: where two imported records answer to one alias, the better is found.
    ordered = dict(sorted(records.items(), key=lambda item: (_rank(item[1]), item[0])))
    target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = {"source": str(folder), "format": "datenanfragen",
               "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "records": ordered, "redirects": redirects}
    write_private(target_dir / "datenanfragen.json",
                  json.dumps(payload, ensure_ascii=False, indent=0).encode("utf-8"))
    return report
