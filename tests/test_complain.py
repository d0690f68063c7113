"""`sar complain`: the prerequisites, the letter, and a bundle whose hashes verify."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from sar.complaint import verify


@pytest.fixture
def ignored(me):
    """An access request to acme sent 2 March 2026, due 2 April, never answered."""
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    return ref


def test_the_prerequisites_each_say_what_is_missing_and_change_nothing(me, ignored, tmp_path):
    ref = ignored
    bundle = tmp_path / "c.zip"
    cases = [
        (("-o", bundle), "2026-03-20", "not overdue (due 2026-04-02)"),
        (("-o", bundle), "2026-04-07", "remind the organisation first"),
        (("-o", tmp_path / "no" / "c.zip"), "2026-04-07", "does not exist"),
        (("-o", tmp_path / "c.txt"), "2026-04-07", "-o FILE.zip"),
        (("-o", bundle, "--without-reminder", "--to", "acme"), "2026-04-07",
         "acme is not a supervisory authority"),
        (("-o", bundle, "--without-reminder", "--to", "nosuchauthority"), "2026-04-07",
         "nosuchauthority"),
        (("-o", bundle, "--without-reminder", "--to", "frcnil"), "2026-04-07",
         "frcnil oversees eu-gdpr"),
    ]
    before = me.state()
    for args, today, words in cases:
        assert words in me.fails("complain", ref, *args, today=today), words
    assert me.state() == before and not bundle.exists()
    me("remind", ref, today="2026-04-07")
    line = me.fails("complain", ref, "-o", bundle, today="2026-04-15")
    assert "gave them until 2026-04-21" in line


def test_a_complaint_inside_the_extension_is_refused(me, ignored, tmp_path):
    me("mark", ignored, "extended", "--on", "2026-03-20", today="2026-03-20")
    line = me.fails("complain", ignored, "-o", tmp_path / "c.zip", "--without-reminder",
                    today="2026-04-20")
    assert "still inside the extension (due 2026-06-02)" in line


def test_the_bundle_holds_the_evidence_and_its_hashes_verify(me, ignored, tmp_path, home):
    ref = ignored
    me("remind", ref, today="2026-04-07")
    bundle = tmp_path / "complaint.zip"
    result = me("complain", ref, "-o", bundle, "--harm", "I cannot see what they hold.",
                "--json", today="2026-04-22").json()
    assert result["authority"] == "ico" and result["status"] == "escalated"
    data = bundle.read_bytes()
    assert hashlib.sha256(data).hexdigest() == result["sha256"]
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert all(n.startswith(f"{ref}/") and ".." not in n for n in names)
        assert {n.split("/", 1)[1] for n in names} >= {
            "complaint.txt", "complaint.docx", "timeline.csv", "timeline.md",
            "manifest.json", "SHA256SUMS"}
        letters = sorted(n for n in names if "/messages/" in n)
        assert [n.rsplit("/", 1)[1].split("-")[1] for n in letters] == ["letter", "reminder"]
        # The letter in the bundle is the letter as sent, byte for byte.
        sent = [m for m in me("show", ref, "--json", today="2026-04-22").json()["messages"]
                if m["direction"] == "out"][0]
        assert hashlib.sha256(z.read(letters[0])).hexdigest() == sent["sha256"]
        text = z.read(f"{ref}/complaint.txt").decode()
        assert "Article 77 UK GDPR" in text and "Information Commissioner's Office" in text
        assert "did not answer by the deadline of 2 April 2026" in text
        assert "I cannot see what they hold." in text
        # The request's own Message-ID, not the reminder's.
        assert sent["message_id"] in text.replace("\n", "")
        import io

        from docx import Document

        docx = Document(io.BytesIO(z.read(f"{ref}/complaint.docx")))
        assert any("Article 77" in p.text for p in docx.paragraphs)
    assert verify(bundle) == []
    shown = me("show", ref, "--json", today="2026-04-22").json()
    assert shown["status"] == "escalated"
    escalated = [e for e in shown["events"] if e["kind"] == "escalated"][0]
    assert escalated["details"]["bundle_sha256"] == result["sha256"]
    # A second complaint about the same request is refused.
    assert "already escalated" in me.fails("complain", ref, "-o", tmp_path / "again.zip",
                                           today="2026-04-23")


def test_a_tampered_bundle_fails_verification(me, ignored, tmp_path):
    me("remind", ignored, today="2026-04-07")
    bundle = tmp_path / "c.zip"
    me("complain", ignored, "-o", bundle, today="2026-04-22")
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("timeline.md"):
                data = data.replace(b"reminder", b"nothing")
            dst.writestr(item, data)
    assert verify(tampered) == ["timeline.md"]


def test_a_refusal_can_go_to_the_regulator_without_a_reminder(me, ignored, tmp_path):
    me("mark", ignored, "refused", "--on", "2026-03-10", today="2026-03-10")
    result = me("complain", ignored, "-o", tmp_path / "c.zip", "--json",
                today="2026-03-12").json()
    assert any("refused the request on 10 March 2026" in f for f in result["failures"])


def test_a_late_complaint_is_made_but_the_ico_window_is_pointed_out(me, ignored, tmp_path):
    me("mark", ignored, "refused", "--on", "2026-03-10", today="2026-03-10")
    run = me("complain", ignored, "-o", tmp_path / "c.zip", "--early",
             "they said in their refusal that they will not reconsider.", today="2026-07-20")
    assert "within three months of your last contact" in run.stderr
    assert (tmp_path / "c.zip").exists()


def _complaint_text(bundle) -> str:
    with zipfile.ZipFile(bundle) as z:
        name = next(n for n in z.namelist() if n.endswith("/complaint.txt"))
        return " ".join(z.read(name).decode().split())


@pytest.fixture
def ignored_after_duaa(me):
    """An access request to acme sent 1 June 2026 (due 1 July), never answered."""
    ref = me("new", "access", "--to", "acme", "--json", today="2026-06-01").json()[0]["ref"]
    me("send", ref, today="2026-06-01")
    return ref


def test_the_ico_complaint_waits_for_the_s164a_window_of_the_reminder(
        me, ignored_after_duaa, tmp_path):
    ref, bundle = ignored_after_duaa, tmp_path / "c.zip"
    me("remind", ref, today="2026-07-06")   # also a s.164A complaint, received that day
    shown = me("show", ref, today="2026-07-23").stdout
    assert "DPA 2018 s.164A" in shown and "acknowledge it by 2026-08-04" in shown
    assert "complain to the ICO from the day after" in " ".join(shown.split())
    before = me.state()
    # Past the reminder's 14-day final date (20 July), still inside the 30 days.
    line = me.fails("complain", ref, "-o", bundle, today="2026-07-23")
    assert "has until 2026-08-04 to be acknowledged" in line and "--early" in line
    assert me.state() == before and not bundle.exists()
    assert "--early is empty" in me.fails("complain", ref, "-o", bundle, "--early", " ",
                                       today="2026-07-23")
    me("complain", ref, "-o", bundle, today="2026-08-05")
    text = _complaint_text(bundle)
    assert "On 6 July 2026 I complained to Acme Data Ltd under section 164A of the Data " \
           "Protection Act 2018, in my reminder" in text
    assert "ended on 4 August 2026. That period has passed without an acknowledgement" in text
    # The DUAA moved the time limits into Art. 12A.
    assert "The deadline under Article 12A UK GDPR" in text


def test_an_early_ico_complaint_gives_its_reason(me, ignored_after_duaa, tmp_path):
    ref, bundle = ignored_after_duaa, tmp_path / "c.zip"
    me("remind", ref, today="2026-07-06")
    me("complain", ref, "-o", bundle, "--early", "they wrote that they will not answer.",
       today="2026-07-23")
    text = _complaint_text(bundle)
    assert "I do not wait for the end of that period because they wrote that they will " \
           "not answer." in text
    escalated = [e for e in me("show", ref, "--json", today="2026-07-23").json()["events"]
                 if e["kind"] == "escalated"][0]
    assert escalated["details"]["early"] == "they wrote that they will not answer."


def test_a_complaint_made_another_way_is_marked_and_its_acknowledgement_frees_the_ico(
        me, ignored_after_duaa, tmp_path):
    ref, bundle = ignored_after_duaa, tmp_path / "c.zip"
    me("mark", ref, "refused", "--on", "2026-06-10", today="2026-06-10")
    # Refused, nothing complained of: the s.164A step is asked for first.
    line = me.fails("complain", ref, "-o", bundle, today="2026-06-25")
    assert "complain to the organisation first" in line and "complained --on DATE" in line
    assert "no complaint to them" in me.fails("mark", ref, "complaint-acknowledged",
                                              today="2026-06-25")
    me("mark", ref, "complained", "--on", "2026-06-25", today="2026-06-25")
    assert "until 2026-07-24" in me.fails("complain", ref, "-o", bundle, today="2026-07-01")
    me("mark", ref, "complaint-acknowledged", "--on", "2026-07-02", today="2026-07-02")
    me("complain", ref, "-o", bundle, today="2026-07-03")
    text = _complaint_text(bundle)
    assert "On 25 June 2026 I complained to Acme Data Ltd under section 164A" in text
    assert "They acknowledged it on 2 July 2026" in text


def test_before_19_june_2026_there_is_no_s164a_step(me, ignored, tmp_path):
    me("mark", ignored, "refused", "--on", "2026-03-10", today="2026-03-10")
    me("complain", ignored, "-o", tmp_path / "c.zip", today="2026-03-12")
    text = _complaint_text(tmp_path / "c.zip")
    assert "164A" not in text and "The deadline under Article 12A UK GDPR" in text


# -- GDPR Art. 77(1): the competent authority, in its language ---------------------------

def _eu_refused(me, slug, country, calendar):
    """An EU request to an organisation in `country`, by a requester living under
    `calendar` (DE-BY, FR), refused on 10 March 2026."""
    me("init", "--calendar", calendar, "--no-input")
    me("orgs", "add", "--slug", slug, "--name", f"Beispiel {country}", "--email",
       f"dpo@{slug}.example", "--kind", "data-broker", "--country", country,
       "--calendar", country, "--regime", "eu-gdpr")
    ref = me("new", "access", "--to", slug, "--json").json()[0]["ref"]
    me("send", ref)
    me("mark", ref, "refused", "--on", "2026-03-10", today="2026-03-10")
    return ref


def test_a_german_request_complains_in_german_to_the_requesters_land(me, tmp_path):
    ref = _eu_refused(me, "beispiel-de", "DE", "DE-BY")
    result = me("complain", ref, "-o", tmp_path / "c.zip", "--json", today="2026-03-12").json()
    assert result["authority"] == "debaylda"
    text = _complaint_text(tmp_path / "c.zip")
    assert "Bayerisches Landesamt für Datenschutzaufsicht" in text and "91504 Ansbach" in text
    assert "hiermit beschwere ich mich nach Art. 77 DSGVO" in text
    assert "Sehr geehrte Damen und Herren" in text and "Ablehnung" in text
    assert "Beschwerdestelle Bayerisches Landesamt" in text  # the addressee line
    assert "I complain under Article 77" not in text


def test_a_french_request_complains_in_french_to_the_cnil(me, tmp_path):
    ref = _eu_refused(me, "exemple-fr", "FR", "FR")
    result = me("complain", ref, "-o", tmp_path / "c.zip", "--json", today="2026-03-12").json()
    assert result["authority"] == "frcnil"
    text = _complaint_text(tmp_path / "c.zip")
    assert "j'introduis une réclamation au titre de l'article 77 du RGPD" in text
    assert "75334 PARIS CEDEX 07" in text and "refus" in text


def test_an_authority_not_competent_under_art_77_is_refused_in_one_line(me, tmp_path):
    ref = _eu_refused(me, "beispiel-de", "DE", "DE-BY")
    bundle = tmp_path / "c.zip"
    before = me.state()
    run = me("complain", ref, "-o", bundle, "--to", "frcnil", today="2026-03-12", ok=False)
    assert run.exit_code == 1 and len(run.stderr.strip().splitlines()) == 1
    assert "frcnil (FR) is not competent under Art. 77(1) GDPR" in run.stderr
    assert me.state() == before and not bundle.exists()
    # The user may insist (where they work, say): then it goes, in French.
    me("complain", ref, "-o", bundle, "--to", "frcnil", "--any-authority", today="2026-03-12")
    assert "réclamation" in _complaint_text(bundle)


# -- DPA 2018 s.164A: the follow-ups that are also the complaint to the organisation ----

def _outbox_body(home, message_id) -> str:
    from email import message_from_bytes
    from email.policy import default

    for p in (home / "outbox" / "new").iterdir():
        msg = message_from_bytes(p.read_bytes(), policy=default)
        if msg["Message-ID"] == message_id:
            return " ".join(msg.get_body(("plain",)).get_content().split())
    raise AssertionError(f"{message_id} is not in the outbox")


def test_the_incomplete_answer_letter_is_the_s164a_complaint_the_ico_one_waits_for(
        sar, make_demo, tmp_path):
    import datetime as dt

    # Answered; the review finds transfers missing. After s.164A came into force.
    home, day, ref = make_demo(today="2026-09-01")
    assert dt.date.fromisoformat(day) >= dt.date(2026, 6, 19)
    out = sar("--home", home, "send", ref, "--follow-up", "incomplete", "--json",
              today=day).json()
    assert "This letter is also a complaint to you under section 164A of the Data " \
           "Protection Act 2018" in _outbox_body(home, out[0]["message_id"])
    shown = sar("--home", home, "show", ref, "--json", today=day).json()
    [event] = [e for e in shown["events"] if e["kind"] == "followed-up"]
    assert event["details"]["s164a"] is True
    ack_due = (dt.date.fromisoformat(day) + dt.timedelta(days=29)).isoformat()
    assert shown["s164a"]["made"] == day and shown["s164a"]["ack_due"] == ack_due
    text = " ".join(sar("--home", home, "show", ref, today=day).stdout.split())
    assert f"Your letter of {day} on their incomplete answer (DPA 2018 s.164A)" in text
    assert "also a complaint to them under DPA 2018 s.164A" in text  # the timeline
    # A fulfilled answer the review finds incomplete is answered only in part: the ICO
    # complaint may follow, once the 30 days to acknowledge the letter are over.
    bundle = tmp_path / "c.zip"
    before = sar("--home", home, "show", ref, "--json", today=day).json()["events"]
    line = sar("--home", home, "complain", ref, "-o", bundle, ok=False, today=ack_due)
    assert line.exit_code == 1 and f"has until {ack_due} to be acknowledged" in line.stderr
    assert not bundle.exists()
    assert sar("--home", home, "show", ref, "--json", today=day).json()["events"] == before
    assert "wait for their acknowledgement of your s.164A complaint" in sar(
        "--home", home, "show", ref, "--json", today=ack_due).json()["next"]
    after = (dt.date.fromisoformat(ack_due) + dt.timedelta(days=1)).isoformat()
    assert f"did not acknowledge your s.164A complaint by {ack_due}: complain to the ICO" \
        in sar("--home", home, "show", ref, "--json", today=after).json()["next"]
    sar("--home", home, "complain", ref, "-o", bundle, today=after)
    text = _complaint_text(bundle)
    assert "under section 164A of the Data Protection Act 2018, in my letter about their " \
           "incomplete answer" in text
    assert "That period has passed without an acknowledgement" in text
    assert "their answer is incomplete: it leaves out transfers (Article 15(2))" in text
    assert "I wrote that their answer was incomplete and asked for the rest" in text
    assert "I wrote that their answer was incomplete (also a complaint to them under " \
           "section 164A" in text


def test_a_fulfilled_answer_without_gaps_is_still_not_complained_of(sar, make_demo,
                                                                   tmp_path):
    home, day, ref = make_demo(today="2026-09-01")
    sar("--home", home, "review", ref, *[f"--set={i}=answered" for i in (
        "recipients", "automated_decisions", "transfers")], today=day)
    line = sar("--home", home, "complain", ref, "-o", tmp_path / "c.zip", ok=False,
               today=day)
    assert line.exit_code == 1 and "it is fulfilled" in line.stderr


def test_an_extension_challenge_after_19_june_2026_is_a_s164a_complaint(
        me, ignored_after_duaa):
    ref = ignored_after_duaa
    me("mark", ref, "extended", "--on", "2026-06-20", today="2026-06-20")
    out = me("send", ref, "--follow-up", "extension-challenge", "--json",
             today="2026-06-22").json()
    assert "also a complaint to you under section 164A" in _outbox_body(
        me.home, out[0]["message_id"])
    shown = me("show", ref, "--json", today="2026-06-22").json()
    assert shown["s164a"]["made"] == "2026-06-22"
    assert shown["s164a"]["ack_due"] == "2026-07-21"
    assert "challenging their extension" in shown["s164a"]["text"]
    # Its acknowledgement is one of that complaint (refused with no complaint made).
    me("mark", ref, "complaint-acknowledged", "--on", "2026-06-30", today="2026-06-30")
    assert me("show", ref, "--json", today="2026-06-30").json()["s164a"][
        "acknowledged"] == "2026-06-30"


def test_an_extension_challenge_before_19_june_2026_is_no_complaint(me):
    ref, _ = me.send_new()
    me("mark", ref, "extended", "--on", "2026-03-20", today="2026-03-20")
    out = me("send", ref, "--follow-up", "extension-challenge", "--json",
             today="2026-03-21").json()
    assert "164A" not in _outbox_body(me.home, out[0]["message_id"])
    shown = me("show", ref, "--json", today="2026-03-21").json()
    [event] = [e for e in shown["events"] if e["kind"] == "followed-up"]
    assert "s164a" not in event["details"] and shown["s164a"] is None
    assert "no complaint to them" in me.fails("mark", ref, "complaint-acknowledged",
                                              today="2026-03-25")
