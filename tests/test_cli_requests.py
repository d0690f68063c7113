"""Drafting, sending, posting, marking and reading requests from the command line."""

from __future__ import annotations

import email
import hashlib
import mailbox
import sqlite3
from email import policy

import pytest


def new(sar, *args, today=None):
    return sar("new", *args, "--json", today=today).json()


def only_ref(sar, *args, today=None):
    [created] = new(sar, *args, today=today)
    return created["ref"]


# -- new ----------------------------------------------------------------------------


def test_new_drafts_one_request_per_organisation(me):
    created = new(me, "access", "--to", "acme", "--to", "fictional-party")
    assert [c["org"] for c in created] == ["acme", "fictional-party"]
    assert all(c["ref"].startswith("SAR-") and c["kind"] == "access" for c in created)
    listed = me("list", "--json").json()
    assert {r["ref"] for r in listed} == {c["ref"] for c in created}
    assert all(r["status"] == "draft" and r["due"] is None for r in listed)
    shown = me("show", created[0]["ref"], "--json").json()
    assert shown["events"][0]["kind"] == "drafted"
    assert shown["regime"] == "uk-gdpr" and shown["org"] == "acme"


def test_new_is_all_or_nothing(me):
    before = me.state()
    line = me.fails("new", "access", "--to", "acme", "--to", "acmee-typo")
    assert "unknown organisation" in line and "did you mean acme" in line
    assert me.state() == before


@pytest.mark.parametrize("args,message", [
    (["acess", "--to", "acme"], "did you mean access"),
    (["access", "--to", "acme", "--regime", "gdpr"], "unknown regime"),
    (["access", "--to", "acme", "--via", "fax"], "--via"),
    (["rectification", "--to", "acme"], "must say what is wrong"),
    (["access", "--to", "snp", "--via", "email"], "use --via post"),
    (["access", "--to", "ukip"], "no email or postal address"),
    (["access", "--to", "ico"], "regulator"),
    (["access", "--to", "acme", "--lang", "xx"], "no access letter"),
    (["access", "--to", "acme", "--details", "why"], "takes no --details"),
    (["objection", "--to", "acme", "--details", "line one\n@@closing"], "line break"),
    (["access", "--to", "acme", "--regime", "pipeda"], "unknown regime"),
])
def test_new_refuses_bad_input(me, args, message):
    before = me.state()
    assert message in me.fails("new", *args)
    assert me.state() == before


def test_a_restriction_without_its_ground_is_drafted_with_a_warning(me):
    run = me("new", "restriction", "--to", "acme", "--json")
    assert run.json()[0]["kind"] == "restriction" and "Article 18(1)" in run.stderr
    run = me("new", "restriction", "--to", "fictional-party", "--ground", "accuracy",
             "--details", "I contest the accuracy of my address", "--json")
    assert "Article 18(1)" not in run.stderr


def test_new_refuses_a_duplicate_open_request_unless_again(me):
    ref = only_ref(me, "access", "--to", "acme")
    assert ref in me.fails("new", "access", "--to", "acme")
    assert only_ref(me, "access", "--to", "acme", "--again") != ref


def test_new_without_a_profile_says_run_init(sar):
    assert "sar init" in sar.fails("new", "access", "--to", "labour")


def test_regime_and_calendar_come_from_the_organisation(me):
    ref = only_ref(me, "access", "--to", "fictional-party", today="2025-12-02")
    me("send", ref, today="2025-12-02")
    shown = me("show", ref, "--json", today="2025-12-02").json()
    assert shown["calendar"] == "GB-SCT"
    assert shown["due"] == "2026-01-05"  # 2 Jan is a Scottish bank holiday


# -- letters ------------------------------------------------------------------------


def test_text_letter_has_every_article_15_item_on_its_own_line(me):
    ref = only_ref(me, "access", "--to", "acme")
    text = me("letter", ref).stdout
    for label in "abcdefgh":
        assert any(line.startswith(f"({label}) ") for line in text.splitlines()), label
    assert ref in text and "Robin Testperson" in text and "Acme Data Ltd" in text
    assert "Thursday 2 April 2026" in text  # sent today (2 Mar 2026) -> due 2 Apr
    assert "broker" in text.lower()  # the sector asks for a data broker


def test_party_letter_asks_what_parties_hold(me):
    ref = only_ref(me, "access", "--to", "fictional-party")
    text = me("letter", ref).stdout
    assert "ethnicity" in text and "custom" in text and "appropriate policy document" in text


def test_erasure_letter_objects_and_asks_for_restriction(me):
    ref = only_ref(me, "erasure", "--to", "acme")
    text = me("letter", ref).stdout
    assert "Article 17" in text and "Article 21(2)" in text
    assert "Article 19" in text and ref in text
    # Restriction while an objection is weighed (Art. 18(1)(d)) goes with an Art. 21(1)
    # objection, which the user's reasons make: not with the 21(2) one alone.
    assert "18(1)(d)" not in text
    ref = only_ref(me, "erasure", "--to", "acme", "--again", "--details",
                   "my situation: I was a victim of identity fraud")
    assert "Article 18" in me("letter", ref).stdout


def test_eml_is_a_complete_message_with_the_reference(me):
    ref = only_ref(me, "access", "--to", "acme")
    raw = me("letter", ref, "--format", "eml").stdout.encode()
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "privacy@acme.example"
    assert msg["From"].addresses[0].addr_spec == "robin@example.org"
    assert f"[{ref}]" in msg["Subject"]
    assert msg["Message-ID"].endswith("@example.org>")
    assert msg["Auto-Submitted"] is None
    assert ref in msg.get_body(("plain",)).get_content()


def test_docx_letter_reopens_with_reference_and_due_date(me, tmp_path):
    from docx import Document

    ref = only_ref(me, "access", "--to", "acme")
    out = tmp_path / "letter.docx"
    me("letter", ref, "--format", "docx", "-o", str(out))
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert ref in text and "Thursday 2 April 2026" in text and "Robin Testperson" in text
    assert doc.core_properties.subject == ref
    assert any(p.style.name.startswith("Heading") for p in doc.paragraphs)


def test_letter_for_an_unknown_reference_suggests_one(me):
    ref = only_ref(me, "access", "--to", "acme")
    typo = ref[:-1] + ("2" if ref[-1] != "2" else "3")
    assert f"did you mean {ref}" in me.fails("letter", typo)


def test_letter_format_follows_the_file_name(me, tmp_path):
    from docx import Document

    ref = only_ref(me, "access", "--to", "acme")
    me("letter", ref, "-o", str(tmp_path / "x.docx"))
    doc = Document(str(tmp_path / "x.docx"))
    assert ref in "\n".join(p.text for p in doc.paragraphs)
    assert doc.core_properties.created.date().isoformat() == "2026-03-02"  # the letter's date
    assert doc.core_properties.author == "Robin Testperson"
    me("letter", ref, "-o", str(tmp_path / "x.eml"))
    assert (tmp_path / "x.eml").read_bytes().startswith(b"From: ")


def test_a_postal_letter_names_the_organisation_once(me):
    ref = only_ref(me, "access", "--to", "snp")
    text = me("letter", ref).stdout
    head = text.split("Reference:")[0]
    assert head.count("Scottish National Party") == 1 and "Gordon Lamb House" in head


def test_letter_format_must_be_known(me):
    ref = only_ref(me, "access", "--to", "acme")
    assert "--format must be" in me.fails("letter", ref, "--format", "pdf")
    assert "cannot tell a format from letter.pdf" in me.fails("letter", ref, "-o", "letter.pdf")


# -- send ---------------------------------------------------------------------------


def test_send_writes_to_the_outbox_once_and_keeps_the_evidence(me, home):
    ref = only_ref(me, "access", "--to", "acme")
    [result] = me("send", ref, "--json").json()
    assert result["status"] == "sent"
    box = mailbox.Maildir(home / "outbox", create=False)
    [key] = box.keys()
    raw = box.get_bytes(key)
    assert f"[{ref}]".encode() in raw
    shown = me("show", ref, "--json").json()
    assert shown["status"] == "sent" and shown["due"] == "2026-04-02"
    sent = [e for e in shown["events"] if e["kind"] == "sent"][0]
    assert sent["source"] == "system" and sent["details"]["message_id"] in raw.decode()
    [message] = shown["messages"]
    assert message["sha256"] == hashlib.sha256(raw).hexdigest()
    assert (home / "evidence" / message["sha256"][:2] / message["sha256"][2:]).read_bytes() == raw
    # The eml of a sent request is the evidence, byte for byte.
    assert me("letter", ref, "--format", "eml").stdout_bytes == raw
    # Sending again does nothing.
    [again] = me("send", ref, "--json").json()
    assert again["status"] == "skipped"
    assert len(mailbox.Maildir(home / "outbox", create=False).keys()) == 1


def test_send_all_skips_postal_requests(me, home):
    new(me, "access", "--to", "acme", "--to", "snp")
    results = me("send", "--all", "--json").json()
    assert [r["status"] for r in results] == ["sent"]
    assert len(mailbox.Maildir(home / "outbox", create=False).keys()) == 1


def test_send_needs_references_or_all_not_both(me):
    assert "--all" in me.fails("send")
    ref = only_ref(me, "access", "--to", "acme")
    assert "not both" in me.fails("send", ref, "--all")


def test_send_without_a_profile_is_refused(sar):
    assert "sar init" in sar.fails("send", "--all")


def _interrupted(home, ref, *, reached_outbox: bool):
    """Leave the home as a send killed mid-way would: a 'sending' row, and the
    message in the outbox or not."""
    import datetime as dt

    from sar.workspace import Workspace

    ws = Workspace(home)
    row = ws.find(ref)
    letter = ws.letters.build(row, ws.today)
    msg, raw = ws.letters.compose(row, letter, dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC))
    with ws.transaction():
        ws.db["messages"].insert({"request_id": row["id"], "direction": "out",
                                  "state": "sending", "transport": "maildir",
                                  "message_id": msg["Message-ID"], "sha256": ws.evidence.put(raw),
                                  "date": msg["Date"], "created_at": "x", "updated_at": "x"})
    if reached_outbox:
        mailbox.Maildir(home / "outbox", create=True).add(raw)


def outbox_size(home):
    return len(mailbox.Maildir(home / "outbox", create=True).keys())


def test_an_interrupted_send_found_in_the_outbox_is_recorded_not_resent(me, home):
    ref = only_ref(me, "access", "--to", "acme")
    _interrupted(home, ref, reached_outbox=True)
    me("send", "--all")
    assert outbox_size(home) == 1
    shown = me("show", ref, "--json").json()
    assert shown["status"] == "sent"
    assert [m["state"] for m in shown["messages"]] == ["sent"]
    assert [e for e in shown["events"] if e["kind"] == "sent"][0]["details"]["recovered"]


def test_an_interrupted_send_not_in_the_outbox_is_unknown_until_the_user_decides(me, home):
    ref = only_ref(me, "access", "--to", "acme")
    _interrupted(home, ref, reached_outbox=False)
    [skipped] = me("send", ref, "--json").json()
    assert skipped["status"] == "skipped" and "--retry-unknown" in skipped["detail"]
    assert outbox_size(home) == 0
    shown = me("show", ref, "--json").json()
    assert shown["messages"][0]["state"] == "unknown"
    # Not silently a draft: list, show and the --status filter say so.
    assert shown["status"] == "send-unknown" and "--retry-unknown" in shown["next"]
    assert [r["ref"] for r in me("list", "--status", "send-unknown", "--json").json()] == [ref]
    assert me("list", "--status", "draft", "--json").json() == []
    [sent] = me("send", ref, "--retry-unknown", "--json").json()
    assert sent["status"] == "sent" and outbox_size(home) == 1
    states = [m["state"] for m in me("show", ref, "--json").json()["messages"]]
    assert states == ["superseded", "sent"]  # the unknown attempt is settled by the retry
    assert me("list", "--status", "send-unknown", "--json").json() == []


def test_an_interrupted_send_the_user_finds_in_their_sent_folder_is_confirmed(me, home):
    ref = only_ref(me, "access", "--to", "acme")
    _interrupted(home, ref, reached_outbox=False)
    # Before any send has looked at it, it is already not a plain draft.
    assert me("show", ref, "--json").json()["status"] == "send-unknown"
    assert "has no letter of unknown fate" in me.fails(
        "send", only_ref(me, "access", "--to", "fictional-party"), "--confirm-sent")
    [result] = me("send", ref, "--confirm-sent", "--json", today="2026-03-04").json()
    assert result["status"] == "sent" and outbox_size(home) == 0  # recorded, not sent
    shown = me("show", ref, "--json", today="2026-03-04").json()
    assert shown["status"] == "sent" and shown["due"] == "2026-04-02"  # from the hand-over
    sent = [e for e in shown["events"] if e["kind"] == "sent"][0]
    assert sent["on"] == "2026-03-02" and sent["source"] == "user"
    assert [m["state"] for m in shown["messages"]] == ["sent"]
    assert "has no letter of unknown fate" in me.fails("send", ref, "--confirm-sent")


def test_an_interrupted_send_for_a_request_that_moved_on_blocks_nothing(me, home):
    ref, other = (only_ref(me, "access", "--to", o) for o in ("acme", "fictional-party"))
    _interrupted(home, ref, reached_outbox=True)
    me("mark", ref, "withdrawn")
    [result] = me("send", other, "--json").json()
    assert result["status"] == "sent"
    shown = me("show", ref, "--json").json()
    assert shown["status"] == "withdrawn"
    assert "interrupted send reached the outbox" in shown["events"][-1]["details"]["note"]


def test_only_one_sender_at_a_time(me, home):
    import fcntl
    import os

    ref = only_ref(me, "access", "--to", "acme")
    fd = os.open(home / ".send.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert "another `sar send` is running" in me.fails("send", ref)
        # A dry run only reads, so it still answers while a batch is sending.
        assert me("send", ref, "--dry-run", "--json").json()[0]["status"] == "would-send"
    finally:
        os.close(fd)
    assert outbox_size(home) == 0
    me("send", ref)
    assert outbox_size(home) == 1


def test_a_bounced_letter_goes_to_the_corrected_address(me, home):
    ref = only_ref(me, "access", "--to", "acme")
    me("send", ref)
    me("mark", ref, "bounced")
    me("orgs", "add", "--slug", "acme", "--email", "dpo@acme.example")
    me("send", ref)
    box = mailbox.Maildir(home / "outbox", create=False)
    recipients = sorted(email.message_from_bytes(box.get_bytes(k))["To"] for k in box.keys())  # noqa: SIM118 - a Maildir iterates messages, not keys
    assert [r.split("<")[1].rstrip(">") for r in recipients] == ["dpo@acme.example",
                                                                  "privacy@acme.example"]
    shown = me("show", ref, "--json").json()
    assert shown["status"] == "sent"
    redrafted = [e for e in shown["events"] if e["kind"] == "redrafted"][0]
    assert redrafted["details"] == {"to": "dpo@acme.example", "was": "privacy@acme.example"}
    assert "dpo@acme.example" in me("letter", ref, "--format", "eml").stdout


def test_a_batch_drafted_before_a_correction_goes_to_the_corrected_address(me, home):
    """A run takes each organisation's record once (Drafting.refresh_snapshots'
    `known`): every letter of the batch still goes to the address as it is now, each
    with its own `redrafted` event, and one drafted afterwards needs none."""
    refs = [only_ref(me, "access", "--to", org, "--again")
            for org in ("acme", "fictional-party", "acme", "acme")]
    me("orgs", "add", "--slug", "acme", "--email", "dpo@acme.example")
    later = only_ref(me, "access", "--to", "acme", "--again")
    me("send", "--all")
    box = mailbox.Maildir(home / "outbox", create=False)
    for ref in (*refs, later):
        shown = me("show", ref, "--json").json()
        redrafted = [e for e in shown["events"] if e["kind"] == "redrafted"]
        if ref in (refs[0], refs[2], refs[3]):
            assert [e["details"]["to"] for e in redrafted] == ["dpo@acme.example"], ref
        else:
            assert redrafted == [], ref
        sent = me("letter", ref, "--format", "eml").stdout
        assert ("dpo@acme.example" in sent) == (ref != refs[1]), ref
        assert "privacy@acme.example" not in sent.split("\n\n", 1)[0], ref
    assert len(box) == 5


def test_a_draft_previews_with_the_directory_and_profile_as_they_are_now(me):
    ref = only_ref(me, "access", "--to", "acme")
    me("orgs", "add", "--slug", "acme", "--email", "dpo@acme.example")
    me("init", "--name", "Robin Newname", "--email", "robin@example.org",
       "--address", "3 Other Road, Exampleton, EX9 9ZZ", "--no-input")
    preview = me("letter", ref, "--preview").stdout
    assert "To: " in preview and "dpo@acme.example" in preview
    assert me("show", ref, "--json").json()["organisation"]["email"] == "dpo@acme.example"
    assert "Robin Newname" in preview and "3 Other Road" in preview
    assert "privacy@acme.example" not in preview
    me("send", ref)
    sent = me("letter", ref, "--format", "eml").stdout
    assert "dpo@acme.example" in sent and "Robin Newname" in sent
    # once sent, the letter is the one that went, whatever the directory says later
    me("orgs", "add", "--slug", "acme", "--email", "later@acme.example")
    assert "dpo@acme.example" in me("letter", ref).stdout + me("letter", ref, "--preview").stdout
    assert "later@acme.example" not in me("letter", ref, "--preview").stdout


# -- post ---------------------------------------------------------------------------


def test_post_then_delivery_moves_the_receipt(me):
    ref = only_ref(me, "access", "--to", "acme", "--via", "post")
    posted = me("post", ref, "--posted", "2026-03-06", "--method", "first-class", "--json",
                today="2026-03-06").json()
    assert posted["status"] == "sent" and posted["due"] == "2026-04-10"  # Tue 10 Mar + 1 month
    delivered = me("post", ref, "--delivered", "2026-03-12", "--json", today="2026-03-12").json()
    assert delivered["due"] == "2026-04-13"
    kinds = [e["kind"] for e in delivered["events"]]
    assert kinds == ["drafted", "posted", "delivered"]
    assert delivered["messages"][0]["transport"] == "post"


@pytest.mark.parametrize("args,message", [
    (["--posted", "2026-03-06", "--method", "pigeon"], "--method"),
    (["--posted", "2026-03-32"], "not a date"),
    (["--posted", "2026-03-09"], "after today"),
    (["--posted", "2026-03-06", "--delivered", "2026-03-05"], "before the posting date"),
    ([], "--posted"),
])
def test_post_refuses_bad_input(me, args, message):
    ref = only_ref(me, "access", "--to", "acme", "--via", "post")
    before = me.state()
    assert message in me.fails("post", ref, *args, today="2026-03-08")
    assert me.state() == before


def test_post_file_must_be_a_modest_regular_file(me, tmp_path):
    ref = only_ref(me, "access", "--to", "acme", "--via", "post")
    big = tmp_path / "scan.pdf"
    with big.open("wb") as f:
        f.truncate(26 * 2**20)
    before = me.state()
    assert "is not a file" in me.fails("post", ref, "--posted", "2026-03-02",
                                       "--file", tmp_path)
    assert "over 25 MB" in me.fails("post", ref, "--posted", "2026-03-02", "--file", big)
    assert me.state() == before


def test_delivered_without_posting_is_refused(me):
    ref = only_ref(me, "access", "--to", "acme", "--via", "post")
    assert "not been sent or posted" in me.fails("post", ref, "--delivered", "2026-03-02")


# -- mark ---------------------------------------------------------------------------


def test_mark_walks_a_request_through_its_life(me):
    ref = only_ref(me, "access", "--to", "acme")
    me("send", ref)
    assert me("mark", ref, "acknowledged", "--on", "2026-03-03", "--json",
              today="2026-03-04").json()["status"] == "acknowledged"
    r = me("mark", ref, "id-requested", "--json", today="2026-03-05").json()
    assert r["status"] == "awaiting-id" and r["due"] is None
    r = me("mark", ref, "id-provided", "--json", today="2026-03-10").json()
    assert r["status"] == "acknowledged" and r["due"] == "2026-04-10"
    r = me("mark", ref, "fulfilled", "--note", "zip file received", "--json",
           today="2026-04-01").json()
    assert r["status"] == "fulfilled"
    events = me("show", ref, "--json", today="2026-04-01").json()["events"]
    assert [e["kind"] for e in events] == ["drafted", "sent", "acknowledged", "id-requested",
                                           "id-provided", "fulfilled"]
    assert events[-1]["details"]["note"] == "zip file received"
    assert all(e["source"] in ("user", "system") for e in events)


@pytest.mark.parametrize("args,message", [
    (["fulfilled"], "draft"),
    (["fulfiled"], "did you mean fulfilled"),
    (["sent"], "recorded by"),
    (["acknowledged", "--on", "2026-02-30"], "not a date"),
    (["acknowledged", "--on", "2026-03-09"], "after today"),
    (["note"], "--note"),
    (["ack"], "one of acknowledged"),
    (["note", "--note", "two\nlines"], "line break"),
])
def test_mark_refuses_what_makes_no_sense(me, args, message):
    ref = only_ref(me, "access", "--to", "acme")
    before = me.state()
    assert message in me.fails("mark", ref, *args)
    assert me.state() == before


def test_a_late_extension_is_recorded_with_a_warning(me):
    ref = only_ref(me, "access", "--to", "acme", today="2026-01-31")
    me("send", ref, today="2026-01-31")
    run = me("mark", ref, "extended", today="2026-03-03")
    assert "too late to be valid" in run.stderr
    shown = me("show", ref, "--json", today="2026-03-03").json()
    assert shown["status"] == "overdue" and shown["due"] == "2026-03-02"
    assert shown["warnings"]


# -- list, show, overdue ------------------------------------------------------------


def test_overdue_lists_what_has_run_out(me):
    late, answered, waiting = (only_ref(me, "access", "--to", o) for o in
                               ("acme", "fictional-party", "labour"))
    me("send", "--all", today="2026-03-02")
    me("mark", answered, "fulfilled", today="2026-03-20")
    me("mark", waiting, "id-requested", today="2026-03-20")
    assert me("overdue", "--json", today="2026-04-02").json() == []
    overdue = me("overdue", "--json", today="2026-04-03").json()
    assert [r["ref"] for r in overdue] == [late]
    assert overdue[0]["status"] == "overdue" and overdue[0]["days_left"] == -1
    assert [r["ref"] for r in me("list", "--status", "overdue", "--json",
                                 today="2026-04-03").json()] == [late]
    assert [r["ref"] for r in me("list", "--status", "fulfilled", "--json",
                                 today="2026-04-03").json()] == [answered]
    assert [r["ref"] for r in me("list", "--org", "labour", "--json").json()] == [waiting]
    assert "unknown status" in me.fails("list", "--status", "late")
    assert "did you mean access" in me.fails("list", "--kind", "acces")
    text = me("overdue", today="2026-04-10").stdout
    assert late in text and "8d overdue" in text


def test_show_explains_the_deadline(me):
    ref = only_ref(me, "access", "--to", "acme", today="2026-01-31")
    me("send", ref, today="2026-01-31")
    text = " ".join(me("show", ref, today="2026-02-01").stdout.split())  # wrapped to the width
    assert "no 31 Feb 2026, so the last day of that month, Sat 28 Feb 2026" in text
    assert "next working day Mon 2 Mar 2026" in text
    assert "Timeline" in text and "sent" in text
    assert "Next step" in text


def test_the_next_step_names_the_command_for_the_channel_and_the_status(me):
    by_email = only_ref(me, "access", "--to", "acme")
    by_post = only_ref(me, "access", "--to", "acme", "--via", "post", "--again")
    assert f"sar send {by_email}" in me("show", by_email, "--json").json()["next"]
    step = me("show", by_post, "--json").json()["next"]
    assert f"sar post {by_post} --posted" in step and "sar send" not in step
    me("send", by_email)
    late = me("show", by_email, "--json", today="2026-04-10").json()
    assert late["status"] == "overdue"
    assert f"sar remind {by_email}" in late["next"]


def test_events_cannot_be_rewritten_in_the_database(me, home):
    ref = only_ref(me, "access", "--to", "acme")
    conn = sqlite3.connect(home / "sar.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET kind = 'fulfilled'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events")
    conn.close()
    assert me("show", ref, "--json").json()["events"][0]["kind"] == "drafted"


def test_an_event_that_would_break_a_later_one_names_it(me):
    ref = only_ref(me, "access", "--to", "acme")
    me("send", ref)
    me("mark", ref, "id-requested", today="2026-03-10")
    me("mark", ref, "id-provided", today="2026-03-12")
    before = me.state()
    line = me.fails("mark", ref, "fulfilled", "--on", "2026-03-11", today="2026-03-13")
    assert "cannot record fulfilled on 2026-03-11" in line
    assert "the id-provided recorded for 2026-03-12 would no longer fit" in line
    assert me.state() == before


def test_a_what_if_date_in_the_past_does_not_see_later_events(me):
    ref = only_ref(me, "access", "--to", "acme")
    me("send", ref)
    me("mark", ref, "fulfilled", today="2026-03-20")
    assert me("list", "--status", "fulfilled", "--json", today="2026-03-25").json()[0]["ref"] == ref
    earlier = me("list", "--json", today="2026-03-10").json()
    assert earlier[0]["status"] == "sent"
    assert me("list", "--status", "fulfilled", "--json", today="2026-03-10").json() == []
    assert [r["ref"] for r in me("list", "--status", "sent", "--json",
                                 today="2026-03-10").json()] == [ref]
    shown = me("show", ref, "--json", today="2026-03-10").json()
    assert shown["status"] == "sent"
    assert [e["kind"] for e in shown["events"]] == ["drafted", "sent"]
    assert shown["later_events"] == 1
    assert "1 later event not shown" in me("show", ref, today="2026-03-10").stdout


def test_list_sorts_on_the_due_date_it_shows(me):
    first = only_ref(me, "access", "--to", "acme")
    me("send", first)
    second = only_ref(me, "access", "--to", "fictional-party", today="2026-03-05")
    me("send", second, today="2026-03-05")
    me("mark", first, "extended", today="2026-03-20")  # first is now due in June
    assert [r["ref"] for r in me("list", "--json", today="2026-03-25").json()] == [second, first]
    # Before the extension, the first was due first.
    listed = me("list", "--json", today="2026-03-10").json()
    assert [(r["ref"], r["due"]) for r in listed] == [(first, "2026-04-02"),
                                                     (second, "2026-04-06")]  # Scotland: no Easter Monday


def test_looking_at_a_new_home_creates_nothing(sar, home):
    assert sar("list", "--json").json() == []
    assert sar("overdue").stdout.strip() == "Nothing is overdue."
    assert "no requests yet" in sar.fails("show", "SAR-23456")
    assert not home.exists()
