"""The built-in directory is one a campaign can rely on: every record says where its
facts were read and when it was last checked, every party in @uk-parties can be
written to, and the groups hold what the CONTRACT names."""

from __future__ import annotations

import re
import tomllib

import pytest

from sar.directory import BUILTIN, Directory
from sar.domains import registrable

FILES = sorted(BUILTIN.glob("*.toml"))
# Records kept so a user learns the contact is missing: in no group, never drafted to.
# A new record without a contact must be added here on purpose.
KNOWN_GAPS = {"caci", "data8", "sagacity", "ukip", "workers-party"}
_YEAR = re.compile(r"\b(19|20)\d\d\b")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_record_has_sources_read_dates_a_checked_date_and_a_channel(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    org = Directory(None).get(data["slug"])
    assert org.checked, f"{path.name} has no checked date"
    for domain in (*org.domains, *org.reply_domains):
        assert registrable(domain), f"{path.name}: {domain} is a public suffix"
    if org.slug in KNOWN_GAPS:
        assert org.channel == "none" and "could" in org.note
        return
    assert org.sources, f"{path.name} cites no source"
    for s in org.sources:
        assert s.get("url"), f"{path.name}: a source without a url"
        assert _YEAR.search(str(s.get("read", ""))), \
            f"{path.name}: source {s['url']} says nothing of when it was read"
    assert org.email or org.address or org.webform, f"{path.name} has no channel"


def test_known_gaps_are_in_no_group():
    d = Directory(None)
    for name in d.groups():
        members = {o.slug for o in d.group(name)}
        assert not (members & KNOWN_GAPS) or d.groups()[name].kind, name


def test_every_uk_party_with_elected_members_is_reachable():
    d = Directory(None)
    members = d.group("uk-parties")
    assert {o.slug for o in members} >= {
        "labour", "conservatives", "libdems", "reform-uk", "green-party", "snp",
        "scottish-greens", "plaid-cymru", "dup", "sinn-fein", "alliance-ni", "sdlp", "uup",
        "tuv", "people-before-profit", "your-party", "co-operative-party"}
    for org in members:
        assert org.kind == "political-party"
        assert org.email or org.address or org.webform, org.slug
        assert org.channel in ("email", "post"), org.slug


def test_uk_data_brokers_include_the_credit_reference_agencies():
    d = Directory(None)
    slugs = [o.slug for o in d.group("uk-data-brokers")]
    assert slugs[:3] == ["experian", "equifax", "transunion"]
    assert {"acxiom", "liveramp", "gb-group"} <= set(slugs)
    assert not set(slugs) & KNOWN_GAPS
    assert [o.slug for o in d.group("uk-credit-reference-agencies")] == \
        ["experian", "equifax", "transunion"]
    assert [o.slug for o in d.group("uk-regulators")] == ["ico"]
    assert "dpc-ie" in {o.slug for o in d.group("eu-lead-authorities")}
    assert "nationbuilder" in {o.slug for o in d.group("political-campaign-vendors")}


def test_every_group_says_when_it_was_checked_or_what_kind_it_takes():
    for name, g in Directory(None).groups().items():
        assert g.kind or re.search(r"checked \d{4}-\d\d-\d\d", g.description), name


def test_the_uk_controller_and_the_eu_company_are_separate_records():
    d = Directory(None)
    assert d.get("facebook").name == "Meta Platforms, Inc."
    assert d.get("meta-ireland").name == "Meta Platforms Ireland Limited"
    assert d.get("snap").name == "Snap Inc." and d.get("snap-bv").name == "Snap B.V."
    assert d.get("tiktok").country == "GB" and d.get("tiktok-ie").country == "IE"


def test_registration_numbers_are_recorded_and_shown(sar):
    labour = sar("orgs", "show", "labour", "--json").json()
    assert labour["ico_registration"] == "Z5487928"
    reform = sar("orgs", "show", "reform-uk", "--json").json()
    assert (reform["electoral_commission"], reform["company_number"]) == ("PP7931", "16260766")
    text = sar("orgs", "show", "conservatives").stdout
    assert "ICO registration: Z5909711" in text and "Electoral Commission: PP52" in text
    assert "checked:  2026-12-02" in text


@pytest.mark.parametrize("field,value,message", [
    ("ico_registration", "12345", "ICO register"),
    ("electoral_commission", "52", "Electoral Commission register"),
    ("checked", "last week", "not a date"),
    ("reply_domains", ["co.uk"], "public suffix"),
])
def test_a_bad_registration_or_date_names_its_field(tmp_path, field, value, message):
    import tomli_w

    folder = tmp_path / "orgs"
    folder.mkdir()
    record = {"slug": "acme", "name": "Acme", "email": "dpo@acme.example", field: value}
    (folder / "acme.toml").write_text(tomli_w.dumps(record))
    with pytest.raises(Exception, match=message) as err:
        Directory(None, builtin=folder).all()
    assert "acme.toml" in str(err.value)


def test_the_new_spellings_of_web_form_and_postal_address_are_read(tmp_path):
    import tomli_w

    folder = tmp_path / "orgs"
    folder.mkdir()
    (folder / "acme.toml").write_text(tomli_w.dumps({
        "slug": "acme", "name": "Acme", "web_form": "https://acme.example/form",
        "postal_address": ["1 Acme Way", "Exampleton"]}))
    org = Directory(None, builtin=folder).get("acme")
    assert org.webform == "https://acme.example/form" and org.channel == "post"
