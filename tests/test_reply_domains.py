"""Processor domains: a record's `reply_domains` make a reply from the platform an
organisation answers through (a ticket or privacy-request service) its own — and only
the platforms it names."""

from __future__ import annotations

import pytest

from tests.test_inbox import Mailbox, mail, watch


@pytest.fixture
def box(me, tmp_path):
    return Mailbox(tmp_path / "Maildir")


@pytest.fixture
def sent(me):
    record = me.home / "orgs" / "acme.toml"
    record.write_text(record.read_text() + 'reply_domains = ["privacy-desk.example"]\n')
    return me.send_new()


def _answer(ref: str, sender: str) -> bytes:
    return mail("Please find attached a copy of your personal data.",
                subject=f"[{ref}] Your data subject request", sender=sender,
                attachments=[("data.pdf", b"%PDF-1.4")])


def test_a_reply_from_a_named_processor_domain_counts(me, box, sent):
    ref, _ = sent
    box.deliver(_answer(ref, "no-reply@acme.privacy-desk.example"))
    got = watch(me, box)
    assert (got[0]["ref"], got[0]["event"], got[0]["needs"]) == (ref, "fulfilled", None)
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "fulfilled"


def test_a_reply_from_a_processor_the_record_does_not_name_is_held(me, box, sent):
    ref, _ = sent
    box.deliver(_answer(ref, "no-reply@other-desk.example"))
    got = watch(me, box)
    assert (got[0]["ref"], got[0]["needs"]) == (ref, "held")
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "sent"
    waiting = me("inbox", "--json", today="2026-03-10").json()
    assert "other-desk.example" in waiting[0]["next"]


def test_a_processor_domain_alone_never_picks_the_request(me, box, sent):
    """Without a thread or reference, the shared platform names nobody."""
    box.deliver(mail("Please find attached a copy of your personal data.",
                     subject="Your data subject request",
                     sender="no-reply@privacy-desk.example",
                     attachments=[("data.pdf", b"%PDF-1.4")]))
    got = watch(me, box)
    assert not got or got[0]["ref"] is None


def test_a_public_suffix_is_refused_as_a_reply_domain(me):
    record = me.home / "orgs" / "acme.toml"
    record.write_text(record.read_text() + 'reply_domains = ["co.uk"]\n')
    line = me.fails("orgs", "show", "acme")
    assert "public suffix" in line and "acme.toml" in line


def test_a_domain_several_imported_records_share_never_picks_the_request(me, box, tmp_path):
    """Two parishes answering from their district's one address: the importer keeps
    that domain as a reply domain only, so a reply from it without thread or
    reference names no request, and one with the reference is placed."""
    import json

    folder = tmp_path / "db"
    (folder / "companies").mkdir(parents=True)
    for slug in ("pfarrei-nord", "pfarrei-sued"):
        (folder / "companies" / f"{slug}.json").write_text(json.dumps(
            {"slug": slug, "name": f"Pfarrei {slug[8:].title()}", "relevant-countries": ["de"],
             "address": "Kirchweg 1\n38100 Braunschweig", "email": "datenschutz@kreis.example",
             "web": f"https://www.kreis.example/{slug}", "sources": ["https://kreis.example"],
             "quality": "verified"}))
    me("orgs", "import", folder)
    ref, _ = me.send_new("pfarrei-nord")
    box.deliver(mail("Please find attached a copy of your personal data.",
                     subject="Your data subject request", sender="datenschutz@kreis.example",
                     attachments=[("data.pdf", b"%PDF-1.4")]))
    got = watch(me, box)
    assert got[0]["ref"] is None and got[0]["needs"] == "unmatched"
    box.deliver(_answer(ref, "datenschutz@kreis.example"))
    got = watch(me, box)
    assert (got[-1]["ref"], got[-1]["event"]) == (ref, "fulfilled")
