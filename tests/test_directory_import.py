"""`sar orgs import` over small datenanfragen databases written here, and its figures
on the shared copy of the real one (skipped when that copy is absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sar.directory import Directory
from sar.directory.importers import _related, convert, kind_of
from tests.conftest import SHARED

DATENANFRAGEN = SHARED / "reference" / "datenanfragen"


def _database(root: Path, companies: list[dict], *, authorities: list[dict] = (),
              obsolete: list[dict] = ()) -> Path:
    """A datenanfragen folder holding these records, one JSON file each."""
    for sub, records in (("companies", companies), ("supervisory-authorities", authorities),
                         ("obsolete-records", obsolete)):
        (root / sub).mkdir(parents=True, exist_ok=True)
        for record in records:
            (root / sub / f"{record['slug']}.json").write_text(
                json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return root


def _company(slug: str, **fields) -> dict:
    return {"slug": slug, "name": fields.pop("name", slug.title() + " GmbH"),
            "relevant-countries": ["de"], "address": "Weg 1\n10115 Berlin",
            "email": f"datenschutz@{slug}.example", "web": f"https://www.{slug}.example/",
            "sources": [f"https://{slug}.example/datenschutz"], "quality": "verified",
            **fields}


def test_the_figures_count_what_was_loaded_rejected_and_of_which_quality_and_kind(sar, tmp_path):
    folder = _database(tmp_path / "db", [
        _company("alpha", categories=["ads"]),
        _company("beta", categories=["addresses", "ads"], quality="scraped"),
        _company("gamma", categories=["credit agency"], quality="tested"),
        _company("delta", email="not-an-address"),
        _company("epsilon", categories=["political party"], quality="scraped"),
    ], authorities=[{"slug": "bfdi", "name": "Bundesbeauftragter", "address": "Graurheindorfer "
                     "Str. 153\n53117 Bonn", "email": "poststelle@bfdi.example",
                     "relevant-countries": ["de"]}],
        obsolete=[{"slug": "old-alpha", "name": "Alpha alt", "redirect-to": "alpha"}])
    (folder / "companies" / "broken.json").write_text('{"slug": ')
    report = sar("orgs", "import", str(folder), "--json").json()
    assert (report["loaded"], report["imported"], report["authorities"],
            report["redirects"]) == (5, 4, 1, 1)
    assert report["rejected_by_reason"] == {"an email address is malformed": 1,
                                            "not valid JSON": 1}
    assert {r["file"] for r in report["rejected"]} == {"companies/delta.json",
                                                       "companies/broken.json"}
    assert report["by_quality"] == {"tested": 1, "verified": 1, "scraped": 2, "not given": 1}
    assert report["by_kind"] == {"ad-tech": 1, "data-broker": 1, "credit-reference-agency": 1,
                                 "political-party": 1, "supervisory-authority": 1}
    words = sar("orgs", "import", str(folder))
    assert "Loaded 5 records: 4 organisations and 1 supervisory authorities" in words.stdout
    assert "Rejected 2: an email address is malformed (1), not valid JSON (1)." in words.stdout
    assert "By quality: tested 1, verified 1, scraped 2, not given 1." in words.stdout
    assert "Rejected companies/delta.json: email 'not-an-address'" in words.stderr


def test_quality_is_kept_shown_and_the_better_record_is_found_first(sar, tmp_path):
    folder = _database(tmp_path / "db", [
        _company("aaa-scraped", name="Beispiel Scraped", runs=["Beispielmarke"],
                 quality="scraped"),
        _company("zzz-verified", name="Beispiel Verified", runs=["Beispielmarke"]),
    ])
    sar("orgs", "import", str(folder))
    scraped = sar("orgs", "show", "aaa-scraped", "--json").json()
    assert scraped["quality"] == "scraped" and scraped["relevant_countries"] == ["de"]
    assert "quality:  scraped (collected by a machine and checked by nobody" in \
        sar("orgs", "show", "aaa-scraped").stdout
    # The alias both give leads to the verified record, though its slug sorts last.
    assert sar("orgs", "show", "beispielmarke", "--json").json()["slug"] == "zzz-verified"
    hits = sar("orgs", "search", "Beispiel", "--json").json()
    assert [h["slug"] for h in hits[:2]] == ["zzz-verified", "aaa-scraped"]
    assert "imported (scraped)" in sar("orgs", "search", "Beispiel").stdout


def test_a_soft_hyphen_or_zero_width_space_is_taken_out_not_a_reason_to_reject(sar, tmp_path):
    folder = _database(tmp_path / "db", [
        _company("weich", email="daten\u00adschut\u00adz@weich.example",
                 name="Weich\u00adbank eG"),
        _company("breit", email="\u200bprivacy@breit.example\ufeff",
                 web="https://www.breit.example/\u200b"),
    ])
    report = sar("orgs", "import", str(folder), "--json").json()
    assert report["rejected"] == [] and report["loaded"] == 2
    weich = sar("orgs", "show", "weich", "--json").json()
    assert (weich["email"], weich["name"]) == ("datenschutz@weich.example", "Weichbank eG")
    breit = sar("orgs", "show", "breit", "--json").json()
    assert breit["email"] == "privacy@breit.example" and breit["domains"] == ["breit.example"]


def test_a_domain_several_records_give_never_matches_alone(sar, tmp_path):
    """Ten parishes writing from the district's one domain: a reply from it says
    nothing about which parish wrote."""
    folder = _database(tmp_path / "db", [
        _company("pfarrei-nord", email="datenschutz@kreis.example",
                 web="https://www.kreis.example/nord"),
        _company("pfarrei-sued", email="datenschutz@kreis.example",
                 web="https://www.kreis.example/sued"),
        _company("eigen", web="https://www.eigen.example"),
    ])
    report = sar("orgs", "import", str(folder), "--json").json()
    assert report["shared_domains"] == 1
    nord = sar("orgs", "show", "pfarrei-nord", "--json").json()
    assert nord["domains"] == [] and nord["reply_domains"] == ["kreis.example"]
    assert "unknown organisation" in sar.fails("orgs", "show", "kreis.example")
    assert sar("orgs", "show", "eigen", "--json").json()["domains"] == ["eigen.example"]


def test_the_law_comes_from_the_relevant_countries(sar, tmp_path):
    folder = _database(tmp_path / "db", [
        _company("nur-uk", **{"relevant-countries": ["gb"]}, address="1 Road\nLondon"),
        _company("dach", **{"relevant-countries": ["de", "at"]}),
        _company("ueberall", **{"relevant-countries": ["all"]}),
    ])
    sar("orgs", "import", str(folder))
    got = {s: sar("orgs", "show", s, "--json").json() for s in ("nur-uk", "dach", "ueberall")}
    assert {s: o["regime"] for s, o in got.items()} == {
        "nur-uk": "uk-gdpr", "dach": "eu-gdpr", "ueberall": None}
    assert got["dach"]["relevant_countries"] == ["de", "at"]
    assert "for:      DE, AT" in sar("orgs", "show", "dach").stdout


@pytest.mark.parametrize("categories,name,kind", [
    (["ads", "commerce", "entertainment", "social media"], "Google LLC", "platform"),
    (["addresses", "ads"], "Acxiom Deutschland GmbH", "data-broker"),
    ([], "Experian GmbH", "credit-reference-agency"),
    (["credit agency", "finance", "ads"], "CRIF GmbH", "credit-reference-agency"),
    (["ads"], "Werbenetz GmbH", "ad-tech"),
    (["ads", "commerce"], "Versandhaus GmbH", "other"),  # a shop that advertises
    (["political party"], "Partei", "political-party"),
    ([], "Bäckerei Beispiel", "other"),
])
def test_kinds_say_what_an_organisation_is(categories, name, kind):
    assert kind_of(categories, name) == kind


@pytest.mark.parametrize("a,b,related", [
    ("acme.co.uk", "acme.com", True),          # one name, two suffixes
    ("mail.acme.de", "acme.de", True),
    ("acme.co.uk", "other.co.uk", False),      # co.uk is a public suffix, not a name
    ("a.example.com", "b.example.com", True),
    ("acme.github.io", "other.github.io", False),
])
def test_domains_are_compared_as_registrable_domains(a, b, related):
    assert _related(a, b) is related


def test_an_email_at_another_uk_company_gives_no_domain():
    data = convert(_company("acme", email="privacy@dpo-service.co.uk",
                            web="https://www.acme.co.uk/"))
    assert data["domains"] == ["acme.co.uk"]


def test_an_edited_builtin_record_file_is_read_again(tmp_path):
    """Built-in records are parsed once per process while the file stays as it was
    (size, mtime, inode): an edit, even one that keeps the size, is seen."""
    builtin = tmp_path / "orgs"
    builtin.mkdir()
    path = builtin / "acme.toml"
    path.write_text('slug = "acme"\nname = "Acme One"\nemail = "dpo@acme.example"\n')
    assert Directory(None, builtin=builtin).get("acme").name == "Acme One"
    before = path.stat()
    path.write_text('slug = "acme"\nname = "Acme Two"\nemail = "dpo@acme.example"\n')
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    assert path.stat().st_size == before.st_size
    assert Directory(None, builtin=builtin).get("acme").name == "Acme Two"
    path.write_text('slug = "acme"\nname = "Acme Limited"\nemail = "dpo@acme.example"\n')
    assert Directory(None, builtin=builtin).get("acme").name == "Acme Limited"


@pytest.mark.skipif(not DATENANFRAGEN.is_dir(), reason="needs ../shared/reference/datenanfragen")
def test_the_figures_on_the_shared_copy(sar):
    """The figures the issue's closing note gives, measured on the shared copy."""
    report = sar("orgs", "import", str(DATENANFRAGEN), "--json").json()
    files = sum(1 for sub in ("companies", "supervisory-authorities")
                for p in (DATENANFRAGEN / sub).iterdir() if p.is_file())
    assert report["loaded"] + len(report["rejected"]) == files
    # The record with soft hyphens in its email (vrbank-muenchen-land) now loads.
    assert report["rejected"] == []
    assert sar("orgs", "show", "vrbank-muenchen-land", "--json").json()["email"] == \
        "datenschutz@vrbml.de"
    assert sum(report["by_quality"].values()) == report["loaded"]
    assert sum(report["by_kind"].values()) == report["loaded"]
    assert report["by_quality"]["scraped"] > 0 and report["shared_domains"] > 0
    kinds = {s: sar("orgs", "show", s, "--json").json()["kind"]
             for s in ("experian-de", "experian-at", "experian-ch", "acxiom")}
    assert kinds == {"experian-de": "credit-reference-agency",
                     "experian-at": "credit-reference-agency",
                     "experian-ch": "credit-reference-agency", "acxiom": "data-broker"}
