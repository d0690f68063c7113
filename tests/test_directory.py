"""The organisation directory: built-in records, groups, search, import, overrides."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from sar.directory import BUILTIN, KINDS, Directory, from_record
from sar.errors import NotFoundError, UsageError
from tests.conftest import SHARED

DATENANFRAGEN = SHARED / "reference" / "datenanfragen"
BUILTIN_FILES = sorted(BUILTIN.glob("*.toml"))


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=[p.stem for p in BUILTIN_FILES])
def test_every_builtin_record_validates_and_cites_its_sources(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    org = from_record(data, path.name)
    assert org.slug == path.stem
    assert org.kind in KINDS
    if org.email or org.address or org.webform:
        assert org.sources, f"{path.name} gives a contact without saying where it was read"
        assert all(s.get("url") and s.get("read") for s in org.sources)
    else:
        assert org.channel == "none" and "could" in org.note  # says why it has none
    assert not org.verified_on  # nothing here was checked against a live page by us


def test_the_directory_covers_what_campaigns_write_to():
    d = Directory(None)
    by_kind = {k: {o.slug for o in d.all(k)} for k in KINDS}
    assert {"labour", "conservatives", "libdems", "snp", "reform-uk", "green-party",
            "plaid-cymru", "dup", "sinn-fein", "alliance-ni", "sdlp", "uup"} <= \
        by_kind["political-party"]
    assert {"experian", "equifax", "transunion"} <= by_kind["credit-reference-agency"]
    assert {"acxiom", "liveramp", "caci", "gb-group", "oracle"} <= by_kind["data-broker"]
    assert {"criteo", "quantcast", "tapad"} <= by_kind["ad-tech"]
    assert {"meta", "google", "x-twitter", "tiktok"} <= by_kind["platform"]
    assert {"nationbuilder"} <= by_kind["campaign-vendor"]
    assert {"ico", "dpc-ie", "frcnil", "debfdi", "nlap", "esaepa", "itgpdp"} <= \
        by_kind["supervisory-authority"]
    eu = {o.country for o in d.all("supervisory-authority")}
    assert len(eu) >= 28  # every EU/EEA member state's regulator, and more


@pytest.mark.parametrize("field,value,message", [
    ("email", "not-an-address", "email 'not-an-address' is not an email address"),
    ("kind", "cult", "field 'kind'"),
    ("calendar", "XX-YY", "field 'calendar'"),
    ("colour", "blue", "field 'colour' is not a directory field"),
])
def test_a_broken_record_names_its_file_and_field(tmp_path, field, value, message):
    folder = tmp_path / "orgs"
    folder.mkdir()
    record = {"slug": "acme", "name": "Acme", "email": "dpo@acme.example", field: value}
    (folder / "acme.toml").write_text("".join(f'{k} = "{v}"\n' for k, v in record.items()))
    with pytest.raises(Exception, match=message) as err:
        Directory(None, builtin=folder).all()
    assert "acme.toml" in str(err.value)


def test_groups(sar):
    groups = {g["group"]: g["members"] for g in sar("orgs", "groups", "--json").json()}
    assert groups["@uk-credit-reference-agencies"] == ["experian", "equifax", "transunion"]
    assert "labour" in groups["@uk-parties"] and "criteo" in groups["@ad-tech"]
    listed = sar("orgs", "list", "--group", "gb-main-parties", "--json").json()
    assert [o["slug"] for o in listed][:3] == ["labour", "conservatives", "libdems"]
    assert "did you mean @uk-parties" in sar.fails("orgs", "list", "--group", "uk-partys")
    # As text: wrapped to the terminal (the tests' is 120 columns), each group's
    # members under it, every member named.
    lines = sar("orgs", "groups").stdout.splitlines()
    assert max(map(len, lines)) <= 120
    start = lines.index(next(x for x in lines if x.startswith("@uk-parties ")))
    members = []
    for line in lines[start + 1:]:
        if line.startswith("@"):
            break
        if line.startswith("    "):
            members += [m.strip() for m in line.split(",") if m.strip()]
    assert members == groups["@uk-parties"]


def test_new_to_a_group_drafts_the_reachable_and_says_who_was_skipped(me, home):
    run = me("new", "access", "--to", "@uk-parties", "--json")
    drafted = {c["org"] for c in run.json()}
    assert {"labour", "conservatives", "snp", "dup", "sinn-fein", "your-party"} <= drafted
    (home / "groups.toml").write_text('[gaps]\ndescription = "no contact"\n'
                                      'slugs = ["labour", "sagacity", "data8"]\n')
    run = me("new", "erasure", "--to", "@gaps", "--json")
    assert [c["org"] for c in run.json()] == ["labour"]
    # One line per reason, naming who: not one line per organisation.
    [skipped] = [line for line in run.stderr.splitlines() if line.startswith("Skipped")]
    assert "sagacity" in skipped and "no email or postal address" in skipped
    assert "`sar orgs edit SLUG --email ADDRESS`" in skipped
    line = me.fails("new", "access", "--to", "@regulators")
    assert "organisations (" in line and line.count("they are regulators") == 1
    assert "SLUG" not in line
    assert "unknown group" in me.fails("new", "access", "--to", "@nobody")
    # A named organisation without a contact is still an error, not a skip.
    assert "no email or postal address" in me.fails("new", "erasure", "--to", "sagacity")


def test_user_groups(me, home):
    (home / "groups.toml").write_text('[my-targets]\ndescription = "mine"\n'
                                      'slugs = ["acme", "experian"]\n')
    created = me("new", "erasure", "--to", "@my-targets", "--json").json()
    assert [c["org"] for c in created] == ["acme", "experian"]


@pytest.mark.parametrize("text,slug", [
    ("Tories", "conservatives"), ("labour.org.uk", "labour"), ("Equifx", "equifax"),
    ("instagram", "meta"), ("callcredit", "transunion"),
])
def test_search_finds_by_alias_domain_and_typo(sar, text, slug):
    hits = sar("orgs", "search", text, "--json").json()
    assert hits and hits[0]["slug"] == slug


def test_edit_changes_a_field_and_keeps_the_rest(sar):
    sar("orgs", "edit", "labour", "--email", "sar-requests@labour.example")
    labour = sar("orgs", "show", "labour", "--json").json()
    assert labour["email"] == "sar-requests@labour.example" and labour["domains"] == ["labour.org.uk"]
    assert "did you mean labour" in sar.fails("orgs", "edit", "labuor", "--email", "x@y.example")
    assert "at least one field" in sar.fails("orgs", "edit", "labour")


@pytest.mark.skipif(not DATENANFRAGEN.is_dir(), reason="needs ../shared/reference/datenanfragen")
def test_the_whole_datenanfragen_database_imports_or_is_rejected_with_a_reason(sar, home):
    report = sar("orgs", "import", str(DATENANFRAGEN), "--json").json()
    companies = [p for p in (DATENANFRAGEN / "companies").iterdir() if p.is_file()]
    authorities = list((DATENANFRAGEN / "supervisory-authorities").iterdir())
    assert len(companies) == 3070
    assert report["imported"] + sum(r["file"].startswith("companies/")
                                    for r in report["rejected"]) == len(companies)
    assert report["authorities"] == len(authorities)
    assert report["redirects"] == len(list((DATENANFRAGEN / "obsolete-records").iterdir()))
    assert all(r["reason"] for r in report["rejected"]) and len(report["rejected"]) < 10
    # Imported records are found, but curated ones win for the same slug, and those a
    # curated record supersedes lead to it.
    bahn = sar("orgs", "show", "deutsche-bahn-ag", "--json").json()
    assert bahn["origin"] == "imported" and bahn["channel"] == "email"
    assert sar("orgs", "show", "google", "--json").json()["origin"] == "built-in"
    assert sar("orgs", "show", "experian-gb", "--json").json()["slug"] == "experian"
    assert "experian-gb is an obsolete record" in sar("orgs", "show", "experian-gb").stderr
    # Importing never changes where an existing name leads.
    for name, slug in [("alba", "alba-party"), ("facebook", "meta"), ("twitter", "x-twitter"),
                       ("conservatives.com", "conservatives"), ("experian.com", "experian")]:
        assert sar("orgs", "show", name, "--json").json()["slug"] == slug, name
    # A mailbox provider's domain belongs to nobody.
    assert "unknown organisation" in sar.fails("orgs", "show", "gmail.com")
    # An obsolete record says so instead of "unknown".
    assert "obsolete" in sar.fails("orgs", "show", "4info")
    # A user's correction wins over the import, and survives a re-import without it.
    sar("orgs", "edit", "deutsche-bahn-ag", "--email", "fixed@bahn.example")
    assert sar("orgs", "show", "deutsche-bahn-ag", "--json").json()["email"] == "fixed@bahn.example"
    assert len(sar("orgs", "list", "--all", "--json").json()) > 3000
    assert len(sar("orgs", "list", "--json").json()) < 150  # the curated ones only
    # Writing to a superseded record says where the letter goes instead.
    sar("init", "--name", "Robin Testperson", "--email", "robin@example.org", "--address",
        "12 Sample Lane, Exampleton, EX1 2MP", "--no-input")
    run = sar("new", "access", "--to", "the-conservative-party", "--json")
    assert run.json()[0]["org"] == "conservatives"
    assert "the-conservative-party is an obsolete record: writing to conservatives" in run.stderr
    (home / "orgs" / "imported" / "datenanfragen.json").unlink()
    assert sar("orgs", "show", "deutsche-bahn-ag", "--json").json()["name"] == "Deutsche Bahn AG"


def test_importing_a_folder_that_is_not_datenanfragen(sar, tmp_path, home):
    assert "not a datenanfragen data folder" in sar.fails("orgs", "import", str(tmp_path))
    good = tmp_path / "good"
    (good / "companies").mkdir(parents=True)
    (good / "companies" / "beispiel.json").write_text(json.dumps(
        {"slug": "beispiel", "name": "Beispiel GmbH", "email": "ds@beispiel.example"}))
    (good / "companies" / "broken.json").write_text('{"name": "No slug"}')
    (good / "companies" / "bad.json").write_text('{"slug": ')
    report = sar("orgs", "import", str(good), "--json").json()
    assert report["imported"] == 1
    reasons = {r["file"]: r["reason"] for r in report["rejected"]}
    assert reasons == {"companies/bad.json": "not valid JSON (line 1: Expecting value)",
                       "companies/broken.json": "the record has no 'slug' field"}
    # A folder with nothing usable in it keeps what was imported before.
    empty = tmp_path / "empty"
    (empty / "companies").mkdir(parents=True)
    before = (home / "orgs" / "imported" / "datenanfragen.json").read_bytes()
    assert "nothing imported" in sar.fails("orgs", "import", str(empty))
    assert (home / "orgs" / "imported" / "datenanfragen.json").read_bytes() == before
    assert sar("orgs", "show", "beispiel", "--json").json()["name"] == "Beispiel GmbH"


@pytest.mark.parametrize("record,country,calendar,regime", [
    ({"relevant-countries": ["all"], "address": "Weg 1\n10115 Berlin\nDeutschland"},
     "DE", None, None),
    # Relevant only in EEA countries: the GDPR, whatever the address; the calendar
    # stays the requester's.
    ({"relevant-countries": ["de", "at"], "address": "1 Road\nLondon\nUnited Kingdom"},
     "GB", None, "eu-gdpr"),
    ({"relevant-countries": ["gb"], "address": "1 Road\nLondon"}, "GB", "GB-ENG", "uk-gdpr"),
    # The UK and EEA countries together: the requester's own law.
    ({"relevant-countries": ["gb", "de"], "address": "1 Road\nLondon\nUnited Kingdom"},
     "GB", None, None),
    ({"relevant-countries": ["all"], "web": "https://www.beispiel.co.uk"}, "GB", None, None),
    ({"relevant-countries": ["all"], "address": "1 Main St\nUnited States of America"},
     "US", None, None),
    ({"relevant-countries": ["us"], "address": "1 Main St\nUnited States of America"},
     "US", "US", None),
    ({"relevant-countries": ["all"], "web": "https://beispiel.example"}, None, None, None),
    ({"relevant-countries": ["fr"], "address": "1 rue\nParis\nFrance"}, "FR", "FR", "eu-gdpr"),
])
def test_an_organisation_relevant_everywhere_gets_its_country_not_a_law_or_calendar(
        record, country, calendar, regime):
    from sar.directory.importers import convert

    data = convert({"slug": "beispiel", "name": "Beispiel", **record})
    assert (data.get("country"), data.get("calendar"), data.get("regime")) == (
        country, calendar, regime)


def test_datenanfragen_records_are_mapped_to_our_fields():
    from sar.directory.importers import convert

    data = convert({"slug": "beispiel-de", "name": "Beispiel GmbH", "relevant-countries": ["de"],
                    "categories": ["ads"], "address": "Weg 1\n10115 Berlin",
                    "email": "datenschutz@beispiel.example", "web": "https://www.beispiel.example/",
                    "sources": ["https://beispiel.example/datenschutz"], "request-language": "de",
                    "suggested-transport-medium": "email", "needs-id-document": True,
                    "runs": ["Beispiel-Shop"], "quality": "verified"})
    org = from_record(data, "beispiel-de.json", "imported")
    assert (org.kind, org.country, org.regime, org.calendar, org.lang) == \
        ("ad-tech", "DE", "eu-gdpr", "DE", "de")
    assert org.address == ("Weg 1", "10115 Berlin") and org.domains == ("beispiel.example",)
    assert org.aliases == ("Beispiel-Shop",) and "identity document" in org.id_required
    assert org.sources[0]["url"] == "https://beispiel.example/datenschutz"


def test_a_record_in_the_organisation_language_is_used_when_we_have_it(me):
    me("orgs", "add", "--slug", "beispiel", "--name", "Beispiel GmbH", "--email",
       "dpo@beispiel.example", "--country", "DE", "--regime", "eu-gdpr")
    path = Path(me.home / "orgs" / "beispiel.toml")
    path.write_text(path.read_text() + 'lang = "xx"\n')  # a language we have no letters in
    created = me("new", "access", "--to", "beispiel", "--json").json()
    assert created[0]["lang"] == "en"  # falls back rather than failing


REFERENCE = SHARED / "reference"


def _corpus_for(data: dict) -> str:
    """The text of every source a built-in record may take its facts from."""
    parts = [(REFERENCE / "organisations.json").read_text(encoding="utf-8")]
    cited = [s["url"] for s in data.get("sources", [])]
    for url in cited:
        if url.startswith("datenanfragen "):
            path = DATENANFRAGEN / url.split(" ", 1)[1]
            if path.exists():
                parts.append(path.read_text(encoding="utf-8"))
    own = DATENANFRAGEN / "supervisory-authorities" / f"{data['slug']}.json"
    if own.exists():
        parts.append(own.read_text(encoding="utf-8"))
    return "\n".join(parts)


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("\\n", " ").split())


@pytest.mark.skipif(not (REFERENCE / "organisations.json").exists(),
                    reason="needs ../shared/reference")
@pytest.mark.parametrize("path", BUILTIN_FILES, ids=[p.stem for p in BUILTIN_FILES])
def test_every_contact_fact_is_in_a_source(path):
    """A guessed address would send someone's personal data to the wrong place."""
    import json
    import re

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    corpus = _corpus_for(data)
    text, digits = _norm(json.loads(json.dumps(corpus))), re.sub(r"\D", "", corpus)
    facts = [data.get("email"), data.get("webform"), *data.get("alt_emails", []),
             *data.get("domains", []), *data.get("address", []),
             *data.get("reply_domains", [])]
    # A page read outside the stored reference names the facts it gave (`gives`).
    given = {_norm(f) for s in data.get("sources", []) for f in s.get("gives", [])}
    for fact in filter(None, facts):
        assert _norm(fact) in text or _norm(fact) in given, \
            f"{path.name}: {fact!r} is in none of its sources"
    if data.get("phone"):
        assert re.sub(r"^0", "", re.sub(r"\D", "", data["phone"])) in digits, data["phone"]


@pytest.mark.parametrize("body,message", [
    ('[mine]\ndescription = "nothing listed"\n', "lists no slugs and names no kind"),
    ('[mine]\nslugs = []\n', "lists no slugs and names no kind"),
    ('[mine]\nslugs = "labour"\n', "not a list of names"),
    ('[mine]\nslugs = [1]\n', "not a list of names"),
    ('[mine]\nkind = "cult"\n', "has kind 'cult'"),
])
def test_a_broken_user_group_is_one_clear_error_naming_the_file(me, home, body, message):
    (home / "groups.toml").write_text(body)
    before = me.state()
    line = me.fails("new", "access", "--to", "@mine")
    assert message in line and "groups.toml" in line
    assert me.state() == before


def test_a_contact_the_user_adds_is_the_one_used(me):
    me("orgs", "edit", "snp", "--email", "dpo@snp.example")
    [created] = me("new", "access", "--to", "snp", "--json").json()
    assert created["channel"] == "email"
    me("orgs", "edit", "sinn-fein", "--email", "dpo@sf.example")
    assert me("new", "access", "--to", "sinn-fein", "--json").json()[0]["channel"] == "email"


def test_regimes_without_letters_are_refused_where_they_are_set(me):
    assert "unknown regime" in me.fails("orgs", "edit", "acme", "--regime", "pipeda")
    assert "no objection letter for ccpa" in me.fails(
        "new", "objection", "--to", "acme", "--regime", "ccpa")


def test_an_organisation_that_asks_for_its_web_form(me, home):
    (home / "orgs" / "formy.toml").write_text(
        'slug = "formy"\nname = "Formy Ltd"\nemail = "dpo@formy.example"\n'
        'webform = "https://formy.example/privacy"\nchannel = "webform"\n')
    line = me.fails("new", "access", "--to", "formy")
    assert "https://formy.example/privacy" in line and "--via email" in line
    assert me("new", "access", "--to", "formy", "--via", "email", "--json").json()[0]["org"] == "formy"


def test_search_and_list_refuse_nonsense(sar):
    assert "at least two characters" in sar.fails("orgs", "search", "x")
    assert "unknown kind" in sar.fails("orgs", "list", "--group", "uk-parties", "--kind", "bogus")


def test_an_objection_without_grounds_keeps_the_absolute_part_and_asks_about_the_rest(me):
    ref = me("new", "objection", "--to", "acme", "--json").json()[0]["ref"]
    text = " ".join(me("letter", ref).stdout.split())
    assert "Article 21(2)" in text and "absolute" in text
    assert "please tell me which processing that is" in text
    with_grounds = me("new", "objection", "--to", "acme", "--again", "--details",
                      "I was a victim of identity fraud", "--json").json()[0]["ref"]
    text = " ".join(me("letter", with_grounds).stdout.split())
    assert "on grounds relating to my particular situation" in text
    assert "My particular situation: I was a victim of identity fraud" in text


def test_a_ccpa_request_from_outside_california_is_refused_unless_confirmed(me):
    # Cal. Civ. Code 1798.140(i): the CCPA's consumer is a California resident.
    before = me.state()
    line = me.fails("new", "access", "--to", "acme", "--regime", "ccpa")
    assert "not in California" in line and "--california-resident" in line
    assert me.state() == before
    run = me("new", "access", "--to", "acme", "--regime", "ccpa", "--california-resident",
             "--json")
    assert run.json()[0]["regime"] == "ccpa" and "not in California" not in run.stderr
    me("config", "set", "letters.ccpa_residence", "warn")
    run = me("new", "erasure", "--to", "acme", "--regime", "ccpa", "--json")
    assert "not in California" in run.stderr and "may refuse" in run.stderr
    me("init", "--address", "1 Palm Way, Sacramento, CA 95814", "--no-input")
    me("config", "set", "letters.ccpa_residence", "refuse")
    run = me("new", "erasure", "--to", "acme", "--regime", "ccpa", "--again", "--json")
    assert "California" not in run.stderr


def test_a_name_leads_where_the_layers_say_curated_before_imported(tmp_path):
    """get: curated slug, curated alias or domain, obsolete slugs' redirects, then an
    imported slug, then an imported alias or domain; each the first record in the
    layers' order. names() answers as all() would, checking only the records asked."""
    builtin, user = tmp_path / "builtin", tmp_path / "user"
    (user / "imported").mkdir(parents=True)
    builtin.mkdir()

    def toml(folder, slug, **fields):
        body = {"slug": slug, "name": f"{slug.title()} Ltd", "email": f"dpo@{slug}.example",
                **fields}
        (folder / f"{slug}.toml").write_text("".join(
            f"{k} = {json.dumps(v)}\n" for k, v in body.items()), encoding="utf-8")

    toml(builtin, "curio", aliases=["Shared"], domains=["curio.example"],
         supersedes=["old-curio"])
    toml(builtin, "second", aliases=["shared", "imp-slug"], calendar="GB-ENG")
    toml(user, "mine", domains=["imp-alias.example"], name="Mine Ltd")
    toml(user, "broken", email="not-an-address")
    imported = {"imp-slug": {"slug": "imp-slug", "name": "Imported Slug GmbH",
                             "aliases": ["curio"], "domains": ["imp.example"]},
                "imp-alias": {"slug": "imp-alias", "name": "Imported Alias GmbH",
                              "aliases": ["only-imported", "mine"],
                              "domains": ["imp-alias.example"]},
                "old-curio": {"slug": "old-curio", "name": "Old Curio GmbH"},
                "gone": {"slug": "gone", "name": "Gone GmbH"}}
    (user / "imported" / "datenanfragen.json").write_text(json.dumps(
        {"records": imported, "redirects": {"moved": {"to": "imp-slug"},
                                            "gone": {"reason": "dissolved"}}}))

    def where(name):
        return Directory(user, builtin=builtin).get(name).slug

    assert where("curio") == where(" CURIO ") == "curio"   # a curated slug, before an
    assert where("shared") == "curio"                       # imported alias; the first alias
    assert where("imp-slug") == "second"                    # a curated alias, before an imported slug
    assert where("imp-alias.example") == "mine"             # a user's domain, likewise
    assert where("old-curio") == "curio"                    # superseded: redirected
    assert where("moved") == "imp-slug"                     # the import's own redirect
    with pytest.raises(NotFoundError, match="obsolete record .dissolved"):
        where("gone")                                       # a redirect beats its own slug
    assert where("imp.example") == "imp-slug"               # an imported domain
    assert where("only-imported") == "imp-alias"            # an imported alias
    with pytest.raises(UsageError, match="broken.toml"):
        where("broken")                                     # its own file is broken
    with pytest.raises(NotFoundError, match="did you mean "):
        where("curi")
    d = Directory(user, builtin=builtin)
    every = {o.slug: o.name for o in d.all(include_imported=True)}
    asked = ["mine", "imp-alias", "second", "broken", "nowhere"]
    assert Directory(user, builtin=builtin).names(asked) == {
        s: every[s] for s in asked if s in every}
    assert [p.split(":")[0] for p in d.problems] == [str(user / "broken.toml")]
