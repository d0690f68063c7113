"""`sar orgs`: the built-in directory and the user's own records."""

from __future__ import annotations

import pytest


def test_list_json_has_the_contract_keys(sar):
    orgs = sar("orgs", "list", "--json").json()
    slugs = {o["slug"] for o in orgs}
    assert {"labour", "conservatives", "libdems", "snp", "experian", "equifax", "ico"} <= slugs
    for o in orgs:
        assert {"slug", "name", "kind", "country", "email"} <= set(o)


def test_list_filters_by_kind(sar):
    parties = sar("orgs", "list", "--kind", "political-party", "--json").json()
    assert parties and all(o["kind"] == "political-party" for o in parties)
    assert "unknown kind" in sar.fails("orgs", "list", "--kind", "party")


def test_list_filters_by_country_and_says_when_nothing_matches(sar):
    irish = sar("orgs", "list", "--country", "ie", "--json").json()
    assert irish and {o["country"] for o in irish} == {"IE"}
    assert "is GB" in sar.fails("orgs", "list", "--country", "UK")
    assert "two-letter" in sar.fails("orgs", "list", "--country", "Ireland")
    assert sar("orgs", "list", "--country", "ZZ").stdout.startswith("No organisations match.")


def test_show_gives_contacts_domains_and_sources(sar):
    labour = sar("orgs", "show", "labour", "--json").json()
    assert labour["email"] == "dataprotection@labour.org.uk"
    assert labour["domains"] == ["labour.org.uk"]
    assert labour["sources"] and labour["sources"][0]["url"].startswith("https://")
    snp = sar("orgs", "show", "SNP", "--json").json()  # an alias works too
    assert snp["slug"] == "snp" and snp["email"] is None and snp["calendar"] == "GB-SCT"
    text = sar("orgs", "show", "snp").stdout
    assert "Gordon Lamb House" in text and "none known" in text


def test_unknown_org_suggests_the_closest(sar):
    assert "did you mean labour" in sar.fails("orgs", "show", "labuor")


def test_add_a_new_org_and_override_a_builtin(sar, home):
    sar("orgs", "add", "--slug", "acme", "--name", "Acme Data Ltd", "--email",
        "privacy@acme.example", "--domain", "acme.example", "--domain", "mail.acme.example")
    acme = sar("orgs", "show", "acme", "--json").json()
    assert acme["domains"] == ["acme.example", "mail.acme.example"] and acme["origin"] == "user"
    sar("orgs", "add", "--slug", "labour", "--email", "sar@labour.example")
    labour = sar("orgs", "show", "labour", "--json").json()
    assert labour["email"] == "sar@labour.example"
    assert labour["domains"] == ["labour.org.uk"]  # the rest of the record stays
    assert labour["origin"] == "user override"
    assert (home / "orgs" / "labour.toml").exists()


@pytest.mark.parametrize("flags,message", [
    (["--slug", "new-org", "--email", "a@new.example"], "give its --name"),
    (["--slug", "new-org", "--name", "New"], "--email or --address"),
    (["--slug", "new-org", "--name", "New", "--email", "nope"], "not an email"),
    (["--slug", "Bad Slug!", "--name", "New", "--email", "a@new.example"], "slug"),
    (["--slug", "new-org", "--name", "New", "--email", "a@new.example", "--kind", "cult"], "kind"),
    (["--slug", "new-org", "--name", "New", "--email", "a@new.example", "--calendar", "XX"],
     "calendar"),
    (["--slug", "new-org", "--name", "New\r\nBcc: x@example.org", "--email", "a@new.example"],
     "line break"),
    (["--slug", "new-org", "--name", "New", "--email", "a@new.example", "--domain", "no spaces"],
     "not a domain"),
    (["--slug", "new-org", "--name", "New", "--email", "a@new.example", "--country", "Britain"],
     "two-letter"),
])
def test_add_refuses_bad_records_and_writes_nothing(sar, home, flags, message):
    before = sar.state()
    assert message in sar.fails("orgs", "add", *flags)
    assert sar.state() == before
    assert not (home / "orgs" / "new-org.toml").exists()


def test_a_broken_user_record_names_its_file_and_field(sar, home):
    (home / "orgs").mkdir(parents=True)
    (home / "orgs" / "broken.toml").write_text(
        'slug = "broken"\nname = "Broken"\nemail = "nope"\n')
    # Named with its field, and skipped: the other organisations stay usable
    # (issue 21, item 19).
    run = sar("orgs", "list")
    assert "broken.toml" in run.stderr and "email" in run.stderr
    assert run.stderr.startswith("Warning: ") and "labour" in run.stdout


def test_reply_domains_are_added_edited_shown_and_public_suffixes_refused(sar, home):
    sar("orgs", "add", "--slug", "acme", "--name", "Acme Data Ltd", "--email",
        "privacy@acme.example", "--reply-domain", "acme.privacy-desk.example",
        "--reply-domain", "tickets.example")
    acme = sar("orgs", "show", "acme", "--json").json()
    assert acme["reply_domains"] == ["acme.privacy-desk.example", "tickets.example"]
    assert acme["domains"] == ["acme.example"]  # replies matched alone still need its own
    shown = sar("orgs", "show", "acme").stdout
    assert "replies also trusted from: acme.privacy-desk.example, tickets.example" in shown
    sar("orgs", "edit", "acme", "--reply-domain", "helpdesk.example")
    assert sar("orgs", "show", "acme", "--json").json()["reply_domains"] == ["helpdesk.example"]
    before = sar.state()
    assert "is a public suffix" in sar.fails("orgs", "edit", "acme", "--reply-domain", "co.uk")
    assert "--reply-domain" in sar.fails("orgs", "edit", "acme", "--reply-domain", "no spaces")
    assert sar.state() == before
    # A built-in record takes one too, kept in the user's home.
    sar("orgs", "edit", "labour", "--reply-domain", "labour-desk.example")
    labour = sar("orgs", "show", "labour", "--json").json()
    assert labour["reply_domains"] == ["labour-desk.example"]
    assert labour["origin"] == "user override" and labour["domains"] == ["labour.org.uk"]
