"""Follow-up letters: reminders, replies to ID requests, challenges to extensions."""

from __future__ import annotations

import pytest


def sent_request(me, org="acme", today="2026-03-02"):
    ref = me("new", "access", "--to", org, "--json", today=today).json()[0]["ref"]
    me("send", ref, today=today)
    return ref


def test_a_reminder_states_the_facts_and_a_final_date(me):
    ref = sent_request(me)
    message_id = me("show", ref, "--json").json()["messages"][0]["message_id"]
    text = me("letter", ref, "--follow-up", "reminder", today="2026-04-10").stdout
    flat = " ".join(text.split())
    assert f"Reminder: my subject access request of 2 March 2026 is overdue [{ref}]" in flat
    assert message_id in " ".join(text.split())  # proof of what was sent, and when
    assert "Thursday 2 April 2026" in text  # the deadline
    assert "Friday 24 April 2026" in text  # 14 days from today
    assert "Article 12(4)" in text and "Information Commissioner" in text
    assert "164A" not in text  # not yet in force on 10 April 2026


def test_a_reminder_after_19_june_2026_is_also_a_s164a_complaint(me):
    ref = sent_request(me, today="2026-06-01")
    text = me("letter", ref, "--follow-up", "reminder", today="2026-07-10").stdout
    assert "section 164A of the Data Protection Act 2018" in " ".join(text.split())


def test_a_reminder_names_an_extension_that_came_too_late(me):
    ref = sent_request(me, today="2026-01-31")
    me("mark", ref, "extended", today="2026-03-03")
    text = " ".join(me("letter", ref, "--follow-up", "reminder", today="2026-03-20").stdout.split())
    assert "Your notice of an extension, dated 3 March 2026, came after the first month" in text


def test_an_id_reply_offers_only_what_is_proportionate(me):
    ref = sent_request(me)
    assert "no id-requested recorded" in me.fails("letter", ref, "--follow-up", "id-reply")
    me("mark", ref, "id-requested", today="2026-03-05")
    text = " ".join(me("letter", ref, "--follow-up", "id-reply", "--details",
                       "a council tax bill showing my name and address",
                       today="2026-03-06").stdout.split())
    assert "On 5 March 2026 you asked me to prove my identity" in text
    # A UK letter cites the UK regulator's guidance, not the EDPB's.
    assert "Article 12(6)" in text and "Information Commissioner's guidance" in text
    assert "01/2022" not in text
    assert "I send with this email: a council tax bill showing my name and address" in text
    assert "my name, my address and my email address" in text
    raw = me("letter", ref, "--follow-up", "id-reply", "--details", "a council tax bill",
             today="2026-03-06").stdout
    assert "\n\nTo remove any doubt" in raw and "\n\nPlease confirm" in raw  # own paragraphs
    assert "runs from the day you receive this information" in text
    # Offering nothing: the month ran from the request, not from some later answer.
    bare = " ".join(me("letter", ref, "--follow-up", "id-reply",
                       today="2026-03-06").stdout.split())
    assert "tell me what it is" in bare and "runs from the day you received my request" in bare
    assert "receive this information" not in bare


def test_an_eu_id_reply_cites_the_edpb_and_the_suspension(me):
    ref = me("new", "access", "--to", "acme", "--regime", "eu-gdpr", "--via", "post",
             "--json").json()[0]["ref"]
    me("post", ref, "--posted", "2026-03-02")
    me("mark", ref, "id-requested", today="2026-03-09")
    text = " ".join(me("letter", ref, "--follow-up", "id-reply", "--details",
                       "my customer number", today="2026-03-10").stdout.split())
    assert "01/2022" in text and "Information Commissioner" not in text
    assert "I enclose: my customer number" in text and "was suspended" in text
    me("init", "--previous-address", "3 Old Road, Sampleford", "--previous-address",
       "4 Older Road, Sampleford", "--no-input")
    text = " ".join(me("letter", ref, "--follow-up", "id-reply", today="2026-03-10")
                    .stdout.split())
    # Written today, so from the profile as it is today: both previous addresses.
    assert "my address, my previous addresses and my email address" in text


def test_an_extension_challenge_asks_for_reasons(me):
    ref = sent_request(me)
    me("mark", ref, "extended", today="2026-03-20")
    text = " ".join(me("letter", ref, "--follow-up", "extension-challenge",
                       today="2026-03-21").stdout.split())
    assert "On 20 March 2026 you told me that you were extending" in text
    assert "specific reasons" in text and "Tuesday 2 June 2026" in text
    assert "explain what makes it complex" in text and "rarely" not in text


def test_follow_ups_refuse_what_makes_no_sense(me):
    draft = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    assert "has not been sent yet" in me.fails("letter", draft, "--follow-up", "reminder")
    ref = sent_request(me, org="fictional-party")
    assert "one of reminder" in me.fails("letter", ref, "--follow-up", "chase")
    assert "--details goes with --follow-up id-reply" in me.fails(
        "letter", ref, "--follow-up", "reminder", "--details", "x")


def test_follow_ups_render_as_email_and_docx(me, tmp_path):
    from docx import Document

    ref = sent_request(me)
    from email import message_from_bytes, policy

    eml = me("letter", ref, "--follow-up", "reminder", "--format", "eml",
             today="2026-04-10").stdout_bytes
    msg = message_from_bytes(eml, policy=policy.default)
    assert msg["Subject"].startswith("Reminder:") and msg["Subject"].endswith(f"[{ref}]")
    me("letter", ref, "--follow-up", "reminder", "-o", str(tmp_path / "r.docx"),
       today="2026-04-10")
    body = "\n".join(p.text for p in Document(str(tmp_path / "r.docx")).paragraphs)
    assert ref in body and "24 April 2026" in body


def test_preview_shows_what_the_organisation_will_read(me):
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    text = me("letter", ref, "--preview").stdout
    assert text.startswith("To: Acme Data Ltd <privacy@acme.example>\nSubject: ")
    assert "Dear Data Protection Officer," in text and "Reference:" not in text
    posted = me("new", "access", "--to", "snp", "--json").json()[0]["ref"]
    assert "Gordon Lamb House" in me("letter", posted, "--preview").stdout
    assert "no --format" in me.fails("letter", ref, "--preview", "--format", "eml")


def test_the_s164a_window_is_30_days_beginning_with_receipt():
    import datetime as dt

    from sar.core import s164a
    from sar.core.lifecycle import Event

    d = dt.date
    # "the period of 30 days beginning when the complaint is received": receipt + 29.
    assert s164a.ack_due(d(2026, 7, 6)) == d(2026, 8, 4)
    events = [Event("sent", d(2026, 6, 1)), Event("reminded", d(2026, 7, 6))]
    c = s164a.complaint(events, "uk-gdpr", "GB-ENG")
    assert (c.made, c.received, c.ack_due, c.via) == (d(2026, 7, 6), d(2026, 7, 6),
                                                      d(2026, 8, 4), "reminder")
    assert not c.passed(d(2026, 8, 4)) and c.passed(d(2026, 8, 5))
    # A posted reminder (Fri 3 Jul) is deemed received on the 2nd working day (Tue 7 Jul).
    posted = [Event("sent", d(2026, 6, 1)),
              Event("reminded", d(2026, 7, 3), details={"channel": "post"})]
    assert s164a.complaint(posted, "uk-gdpr", "GB-ENG").ack_due == d(2026, 8, 5)
    # Not under EU GDPR, and not for a reminder before s.164A was in force.
    assert s164a.complaint(events, "eu-gdpr", "DE") is None
    assert s164a.complaint([Event("reminded", d(2026, 6, 18))], "uk-gdpr", "GB-ENG") is None
    assert s164a.ico_refusal("R", "uk-gdpr", events, "GB-ENG", d(2026, 8, 4), None)
    assert s164a.ico_refusal("R", "uk-gdpr", events, "GB-ENG", d(2026, 8, 4), "why") is None
    assert s164a.ico_refusal("R", "uk-gdpr", events, "GB-ENG", d(2026, 8, 5), None) is None


def test_which_follow_ups_are_recorded_as_s164a_complaints():
    import datetime as dt

    from sar.core import followups, s164a
    from sar.core.lifecycle import Event

    d = dt.date
    after, before = d(2026, 7, 1), d(2026, 6, 18)
    assert followups.event_details("incomplete", "uk-gdpr", after) == {
        "follow_up": "incomplete", "s164a": True}
    assert followups.event_details("extension-challenge", "uk-gdpr", after)["s164a"]
    assert followups.event_details("incomplete", "uk-gdpr", before) == {
        "follow_up": "incomplete"}
    assert followups.event_details("incomplete", "eu-gdpr", after) == {
        "follow_up": "incomplete"}
    assert followups.event_details("id-reply", "uk-gdpr", after) == {"follow_up": "id-reply"}
    assert followups.event_details("reminder", "uk-gdpr", after) == {}  # `reminded` says it
    sent = Event("sent", d(2026, 6, 1))
    # Only a letter that said so counts: one sent before the wording existed does not.
    unsaid = Event("followed-up", after, details={"follow_up": "incomplete"})
    assert s164a.complaint([sent, unsaid], "uk-gdpr", "GB-ENG") is None
    said = Event("followed-up", after, details={"follow_up": "incomplete", "s164a": True})
    c = s164a.complaint([sent, said], "uk-gdpr", "GB-ENG")
    assert (c.made, c.via, c.ack_due) == (after, "incomplete", d(2026, 7, 30))
    assert "your letter of 2026-07-01 on their incomplete answer" in s164a.status_words(
        c, after)


@pytest.mark.parametrize("lang, words", [
    ("en", "This letter is also a complaint to you under section 164A"),
    ("de", "Dieses Schreiben ist zugleich eine Beschwerde bei Ihnen nach Section 164A"),
    ("fr", "Ce courrier constitue également une réclamation que je vous adresse, au titre "
           "de la section 164A"),
])
def test_an_extension_challenge_says_it_is_a_s164a_complaint_in_each_language(
        me, lang, words):
    ref = me("new", "access", "--to", "acme", "--lang", lang, "--json",
             today="2026-06-01").json()[0]["ref"]
    me("send", ref, today="2026-06-01")
    me("mark", ref, "extended", "--on", "2026-06-20", today="2026-06-20")
    text = " ".join(me("letter", ref, "--follow-up", "extension-challenge",
                       today="2026-06-22").stdout.split())
    assert text.count(words) == 1
