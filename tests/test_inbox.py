"""`sar watch --maildir`, `sar inbox`, `sar link`: the decisions, the trust, the
mistakes a user can make."""

from __future__ import annotations

import datetime as dt
import itertools
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

_counter = itertools.count()


class Mailbox:
    def __init__(self, path):
        self.path = path
        for sub in ("new", "cur", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)

    def deliver(self, raw: bytes) -> None:
        n = next(_counter)
        (self.path / "new" / f"17700000{n:04d}.M{n}.host.example").write_bytes(raw)


def mail(text: str, *, subject="Re: your request", sender="privacy@acme.example",
         in_reply_to=None, to="robin@example.org", headers=(), attachments=(),
         date=dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC)) -> bytes:
    msg = EmailMessage()
    for name, value in headers:
        msg[name] = value
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<m{next(_counter)}@{sender.rpartition('@')[2]}>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(text)
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream",
                           filename=name)
    return bytes(msg)


@pytest.fixture
def box(me, tmp_path):
    return Mailbox(tmp_path / "Maildir")


@pytest.fixture
def sent(me):
    """One access request to acme, sent (Maildir outbox)."""
    return me.send_new()


def watch(me, box, *, today="2026-03-10"):
    return me("watch", "--maildir", box.path, "--json", today=today).json()


def test_show_tells_which_rule_read_a_reply_and_why(me, box, sent):
    ref, mid = sent
    box.deliver(mail("Before we can act, we need to verify your identity. Please send a "
                     "copy of your passport.", in_reply_to=mid))
    watch(me, box)
    out = me("show", ref, today="2026-03-10").stdout
    assert "id-requested" in out
    assert "rule en.id-requested.verify-identity" in out
    assert "because: \u201cBefore we can act, we need to verify your identity." in out
    assert "it replies to our message" in out
    # The clock stops until the ID is sent, and the next step says so.
    assert "Status  awaiting-id" in out
    assert "sar mark" in out and "id-provided" in out


def test_the_reply_date_is_when_it_arrived_not_when_watch_ran(me, box, sent):
    ref, mid = sent
    box.deliver(mail("We have received your request and will respond within one month.",
                     in_reply_to=mid, date=dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC)))
    watch(me, box, today="2026-03-20")
    events = me("show", ref, "--json", today="2026-03-20").json()["events"]
    ack = [e for e in events if e["kind"] == "acknowledged"][0]
    assert ack["on"] == "2026-03-04"   # 23:30 UTC is still the 4th in London in March
    assert ack["source"] == "inbox"


def test_an_extension_that_came_too_late_is_flagged_and_does_not_move_the_date(me, box, sent):
    ref, mid = sent
    box.deliver(mail("We are extending the time for our response by a further two months.",
                     in_reply_to=mid, date=dt.datetime(2026, 4, 10, 10, tzinfo=dt.UTC)))
    watch(me, box, today="2026-04-12")
    shown = me("show", ref, "--json", today="2026-04-12").json()
    assert shown["status"] == "overdue"
    assert shown["due"] == "2026-04-02"
    assert any("extension" in w for w in shown["warnings"])


def test_a_reply_from_a_subdomain_with_one_open_request_is_matched_by_domain(me, box, sent):
    ref, _ = sent
    box.deliver(mail("Your personal data has been deleted.", subject="Your privacy request",
                     sender="no-reply@crm.acme.example"))
    got = watch(me, box)
    assert [(r["ref"], r["matched_by"]) for r in got] == [(ref, "sender-domain")]
    # An access request is not fulfilled by words about deletion: unclassified.
    assert got[0]["label"] == "unclassified"
    assert got[0]["needs"] == "unclassified"


def test_two_open_requests_to_one_organisation_are_not_guessed_between(me, box, sent):
    me("new", "erasure", "--to", "acme", "--details", "I withdraw consent.")
    me("send", "--all")
    box.deliver(mail("We have received your request.", subject="Your privacy request"))
    got = watch(me, box)
    assert got[0]["ref"] is None and got[0]["needs"] == "unmatched"
    waiting = me("inbox", "--json", today="2026-03-10").json()
    assert "2 open requests" in waiting[0]["match"]


def test_a_reference_copied_with_a_non_breaking_hyphen_still_names_its_request(
        me, box, sent):
    # Copied out of a DOCX or PDF letter, whose layout keeps the reference on one line
    # with a non-breaking hyphen (U+2011); an en dash as a word processor makes it.
    ref, _ = sent
    other = me("new", "erasure", "--to", "acme", "--details", "I withdraw consent.",
               "--json").json()[0]["ref"]
    me("send", "--all")
    box.deliver(mail("We have received your request.",
                     subject=f"Your request {ref.replace('-', chr(0x2011))}"))
    box.deliver(mail("We have received your request.",
                     subject=f"Your request {other.replace('-', chr(0x2013))}"))
    got = watch(me, box)
    assert sorted((r["ref"], r["matched_by"]) for r in got) == sorted(
        [(ref, "reference-in-subject"), (other, "reference-in-subject")])


def test_a_reply_that_closes_a_request_is_seen_by_the_next_message_in_the_same_batch(
        me, box, sent):
    # One run, one batch: the open requests looked up for the first message must not
    # outlive the event the second records.
    ref, mid = sent
    box.deliver(mail("We have received your request and will respond within one month.",
                     subject="Your privacy request"))
    box.deliver(mail("We do not hold any personal data about you.", in_reply_to=mid))
    box.deliver(mail("We have received your request.", subject="Your privacy request"))
    got = watch(me, box)
    assert [(r["ref"], r["event"]) for r in got[:2]] == [(ref, "acknowledged"),
                                                         (ref, "no-data-held")]
    assert (got[2]["ref"], got[2]["needs"]) == (None, "unmatched")


def test_a_request_closed_in_a_batch_leaves_the_other_open_one_to_match(me, box, sent):
    # The batch keeps the organisation's open requests; an event on one of them has
    # that one asked about again, and the other stays: the third message, from the
    # organisation's domain alone, now has one open request to belong to.
    ref, mid = sent
    other = me("new", "erasure", "--to", "acme", "--details", "I withdraw consent.",
               "--json").json()[0]["ref"]
    me("send", other)
    box.deliver(mail("We have received your request.", subject="Your privacy request"))
    box.deliver(mail("We do not hold any personal data about you.", in_reply_to=mid))
    box.deliver(mail("We have received your request and will respond within one month.",
                     subject="Your privacy request"))
    got = watch(me, box)
    assert (got[0]["ref"], got[0]["needs"]) == (None, "unmatched")
    assert (got[1]["ref"], got[1]["event"]) == (ref, "no-data-held")
    assert (got[2]["ref"], got[2]["matched_by"]) == (other, "sender-domain")


def test_a_run_leaves_its_evidence_synced_and_no_journal_behind(me, box, sent, home):
    # The chunk's evidence goes through one journal; the run settles it when it ends.
    ref, mid = sent
    for text in ("We have received your request.", "We need to verify your identity.",
                 "Please tell us which data you mean."):
        box.deliver(mail(text, in_reply_to=mid))
    watch(me, box)
    import sqlite3

    conn = sqlite3.connect(home / "sar.db")
    digests = [d for (d,) in conn.execute("SELECT sha256 FROM messages WHERE direction = 'in'")]
    conn.close()
    assert len(digests) == 3
    assert all((home / "evidence" / d[:2] / d[2:]).is_file() for d in digests)
    assert not list((home / "evidence" / ".pending").glob("*.batch"))


def test_plus_address_names_the_request(me, box, sent):
    ref, _ = sent
    box.deliver(mail("We have received your request and logged it.", subject="Ticket 123",
                     sender="help@tickets.example", to=f"robin+{ref.lower()}@example.org"))
    got = watch(me, box)
    assert [(r["ref"], r["matched_by"], r["label"]) for r in got] == \
        [(ref, "plus-address", "acknowledged")]


def test_link_attaches_an_unmatched_reply_and_records_what_it_says(me, box, sent):
    ref, _ = sent
    box.deliver(mail("Our data protection team confirms receipt of your request.",
                     subject="Hello", sender="dpo@processor.example"))
    got = watch(me, box)
    assert got[0]["needs"] == "unmatched"
    out = me("inbox", today="2026-03-10").stdout
    assert f"sar link {got[0]['message']} REF" in out
    linked = me("link", str(got[0]["message"]), ref, "--json", today="2026-03-10").json()
    assert (linked["ref"], linked["label"], linked["event"]) == (ref, "acknowledged",
                                                                "acknowledged")
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "acknowledged"
    assert me("inbox", "--json", today="2026-03-10").json() == []
    # Linked once is linked: a second link is refused and changes nothing.
    before = me.state()
    line = me.fails("link", str(got[0]["message"]), ref, today="2026-03-10")
    assert "already recorded" in line
    assert me.state() == before


def test_link_refuses_what_does_not_fit_and_changes_nothing(me, box, sent):
    ref, _ = sent
    box.deliver(mail("About your personal data: hello there.", subject="Hi",
                     sender="x@elsewhere.example"))
    got = watch(me, box)
    draft = me("new", "erasure", "--to", "fictional-party", "--details", "x",
               "--json").json()[0]["ref"]
    before = me.state()
    line = me.fails("link", str(got[0]["message"]), draft, "--as", "acknowledged",
                    today="2026-03-10")
    assert "cannot record acknowledged" in line and "draft" in line
    line = me.fails("link", str(got[0]["message"]), ref, "--as", "bogus", today="2026-03-10")
    assert "bogus" in line
    assert "no incoming message 999" in me.fails("link", "999", ref, today="2026-03-10")
    assert "not a message number" in me.fails("link", "abc", ref, today="2026-03-10")
    assert "no request" in me.fails("link", str(got[0]["message"]), "SAR-ZZZZZ",
                                    today="2026-03-10")
    assert me.state() == before


def test_marking_the_request_settles_an_unclassified_reply(me, box, sent):
    ref, mid = sent
    box.deliver(mail("Please use our web form at https://acme.example/privacy instead.",
                     in_reply_to=mid))
    got = watch(me, box)
    assert got[0]["label"] == "unclassified" and got[0]["needs"] == "unclassified"
    me("mark", ref, "note", "--note", "they want the web form", today="2026-03-10")
    assert len(me("inbox", "--json", today="2026-03-10").json()) == 1  # a note settles nothing
    me("mark", ref, "acknowledged", today="2026-03-10")
    assert me("inbox", "--json", today="2026-03-10").json() == []


AR_FAIL = ("Authentication-Results", "mx.example.org; dkim=fail header.d=acme.example; "
                                     "dmarc=fail header.from=acme.example")
AR_PASS = ("Authentication-Results", "mx.example.org; dkim=pass header.d=acme.example; "
                                     "dmarc=pass header.from=acme.example")


def test_a_closing_reply_that_failed_dmarc_is_held_for_confirmation(me, box, sent):
    ref, mid = sent
    me("config", "set", "mail.authserv_id", "mx.example.org")
    box.deliver(mail("Please find attached a copy of your personal data.", in_reply_to=mid,
                     headers=[AR_FAIL], attachments=[("data.pdf", b"%PDF-1.4")]))
    got = watch(me, box)
    assert (got[0]["label"], got[0]["needs"], got[0]["event"]) == \
        ("fulfilled", "held", "reply-received")
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "sent"
    waiting = me("inbox", "--json", today="2026-03-10").json()
    assert waiting[0]["trust"] == "fail" and "--as fulfilled" in waiting[0]["next"]
    me("link", str(got[0]["message"]), ref, "--as", "fulfilled", today="2026-03-10")
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "fulfilled"


def test_only_the_users_own_provider_is_trusted(me, box, sent):
    ref, mid = sent
    me("config", "set", "mail.authserv_id", "mx.example.org")
    forged = ("Authentication-Results", "mx.attacker.example; dkim=pass header.d=acme.example;"
                                        " dmarc=pass")
    box.deliver(mail("We have received your request.", in_reply_to=mid, headers=[forged]))
    box.deliver(mail("We are extending the time for our response by two further months.",
                     in_reply_to=mid, headers=[AR_PASS]))
    got = watch(me, box)
    trust = {m["label"]: m["trust"] for m in me("inbox", "--all", "--json",
                                                 today="2026-03-10").json()}
    assert trust == {"acknowledged": "unverified", "extended": "pass"}
    assert len(got) == 2


def test_attachments_are_kept_by_hash_under_a_name_that_is_never_a_path(me, box, sent, home):
    ref, mid = sent
    box.deliver(mail("Please find attached a copy of your personal data.", in_reply_to=mid,
                     attachments=[("../../../etc/evil.sh", b"#!/bin/sh\necho owned\n"),
                                  ("..\\..\\win.bat", b"echo owned")]))
    watch(me, box)
    import sqlite3

    conn = sqlite3.connect(home / "sar.db")
    rows = conn.execute("SELECT filename, sha256, size FROM attachments").fetchall()
    conn.close()
    assert sorted(r[0] for r in rows) == ["evil.sh", "win.bat"]
    import hashlib

    digest = hashlib.sha256(b"#!/bin/sh\necho owned\n").hexdigest()
    assert (home / "evidence" / digest[:2] / digest[2:]).read_bytes().startswith(b"#!/bin/sh")
    assert not (home.parent / "etc").exists()
    assert not any(p.name in ("evil.sh", "win.bat") for p in home.rglob("*"))


def test_a_bounce_puts_the_request_back_to_be_sent_again(me, box, sent):
    ref, mid = sent
    dsn = (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: robin@example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.example.org>\r\n"
        "Date: Tue, 03 Mar 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org"
        "\r\n\r\nFinal-Recipient: rfc822; privacy@acme.example\r\nAction: failed\r\n"
        "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {mid}\r\n"
        "Subject: whatever\r\n\r\n--B--\r\n").encode()
    box.deliver(dsn)
    got = watch(me, box)
    assert (got[0]["ref"], got[0]["label"], got[0]["matched_by"]) == \
        (ref, "bounced", "bounce-original")
    shown = me("show", ref, "--json", today="2026-03-10").json()
    assert shown["status"] == "bounced"
    assert "5.1.1" in [m for m in shown["messages"] if m["direction"] == "in"][0]["reason"]


def test_our_own_letters_in_the_folder_are_not_replies(me, box, sent, home):
    for f in (home / "outbox" / "new").iterdir():
        box.deliver(f.read_bytes())
    assert watch(me, box) == []
    assert me("inbox", "--all", "--json", today="2026-03-10").json() == []


@pytest.mark.parametrize("args, words", [
    ((), "--maildir DIR or --imap"),
    (("--maildir", "X", "--imap"), "--maildir DIR or --imap"),
    (("--maildir", "/nonexistent/mail"), "is not a folder"),
    (("--imap",), "imap.host is not set"),
    (("--maildir", "{tmp}", "--folder", "INBOX"), "--folder goes with --imap"),
])
def test_watch_bad_input_is_one_line_and_changes_nothing(me, tmp_path, args, words):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    before = me.state()
    assert words in me.fails("watch", *args)
    assert me.state() == before


def test_a_folder_that_is_not_a_maildir_is_one_line(me, tmp_path):
    (tmp_path / "notmail").mkdir()
    assert "is not a Maildir" in me.fails("watch", "--maildir", tmp_path / "notmail")


def test_the_rest_of_the_mailbox_is_neither_kept_nor_shown(me, box, sent, home):
    evidence = sorted(p for p in (home / "evidence").rglob("*") if p.is_file())
    box.deliver(mail("Our offers this week.", subject="Sale!", sender="news@shop.example",
                     headers=[("List-Unsubscribe", "<mailto:unsub@shop.example>")]))
    box.deliver(mail("See you on Friday?", subject="Dinner", sender="friend@example.net"))
    box.deliver(mail("We process personal data as our privacy notice says.",
                     subject="Newsletter", sender="news@other.example",
                     headers=[("List-Id", "<news.other.example>")]))
    assert watch(me, box) == []
    assert me("inbox", "--all", "--json", today="2026-03-10").json() == []
    assert sorted(p for p in (home / "evidence").rglob("*") if p.is_file()) == evidence
    # Seen once, not read again.
    assert me("watch", "--maildir", box.path, today="2026-03-10").stdout.strip() == \
        "No new messages."


def test_a_large_folder_is_read_once_even_when_a_message_moves_while_listed(me, box, sent,
                                                                            home):
    """The Maildir reader asks which names it has taken in a chunk at a time: over
    several chunks, a reply met in new/ and again in cur/ (the mail program moved it
    while sar listed the folder) is taken in once, and a second run reads nothing."""
    import sqlite3

    from sar.mail.sources import CHUNK

    ref, mid = sent
    reply = mail("We have received your request.", in_reply_to=mid)
    (box.path / "new" / "1770000000.M0.host.example").write_bytes(reply)
    for _ in range(CHUNK + 20):  # cur/ comes after new/, in a later chunk
        box.deliver(mail("Our offers this week.", subject="Sale!", sender="news@shop.example"))
    (box.path / "cur" / "1770000000.M0.host.example:2,S").write_bytes(reply)
    got = watch(me, box)
    assert [g["event"] for g in got] == ["acknowledged"]
    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in'").fetchone() \
        == (1,)
    assert conn.execute("SELECT COUNT(*) FROM maildir_seen").fetchone() == (CHUNK + 21,)
    conn.close()
    # Read again, every file would be news (a file's content never changes in a
    # Maildir: this one does only to show whether it is read).
    for path in box.path.glob("*/*"):
        path.write_bytes(mail("We need to verify your identity.", in_reply_to=mid))
    assert me("watch", "--maildir", box.path, today="2026-03-10").stdout.strip() == \
        "No new messages."


def test_a_file_name_that_is_not_utf8_is_still_read_once(me, box, sent, home, tmp_path):
    """A Maildir file whose name is not UTF-8 (a copy from another system) is a
    message like any other: taken in, and not read again the next time; the files
    after it are read too. Its folder's own path may be odd bytes as well."""
    import os
    import shutil
    import sqlite3
    from pathlib import Path

    ref, mid = sent
    odd = os.fsencode(tmp_path) + b"/Mail-\xe9t\xe9"
    shutil.copytree(box.path, os.fsdecode(odd))
    folder = Path(os.fsdecode(odd))
    with open(os.fsencode(folder / "new") + b"/1770000000.M0.h\xf6st:2,", "wb") as f:
        f.write(mail("We have received your request.", in_reply_to=mid))
    (folder / "new" / "1770000001.M0.host.example").write_bytes(
        mail("We need to verify your identity.", in_reply_to=mid))
    first = me("watch", "--maildir", folder, today="2026-03-10").stdout
    assert "acknowledged" in first and "id-requested" in first, first
    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in'").fetchone() \
        == (2,)
    names = sorted(r[0] for r in conn.execute("SELECT name FROM maildir_seen"))
    conn.close()
    assert names == ["1770000001.M0.host.example", "x:" + b"1770000000.M0.h\xf6st".hex()]
    assert me("watch", "--maildir", folder, today="2026-03-11").stdout.strip() == \
        "No new messages."


def test_inbox_before_anything_exists(sar):
    assert sar("inbox").stdout.strip() == "Nothing waits for you."


# -- hostile and misleading mail (found in review) ---------------------------------

def test_an_encoded_word_cannot_borrow_an_organisations_address(me, box, sent):
    ref, _ = sent
    me("config", "set", "mail.authserv_id", "mx.example.org")
    forged = (b"From: =?utf-8?q?privacy=40acme=2Eexample?= <x@evil.example>\r\n"
              b"To: robin@example.org\r\nSubject: Your request\r\nMessage-ID: <f1@evil.example>\r\n"
              b"Date: Tue, 03 Mar 2026 10:00:00 +0000\r\n"
              b"Authentication-Results: mx.example.org; dkim=pass header.d=evil.example; "
              b"dmarc=pass header.from=evil.example\r\n\r\n"
              b"Your personal data has been permanently deleted.\r\n")
    box.deliver(forged)
    got = watch(me, box)
    # Kept for the user to look at (it talks about personal data), but it is from
    # evil.example, which is nobody we wrote to: it answers nothing.
    assert [(r["ref"], r["needs"]) for r in got] == [(None, "unmatched")]
    assert me("inbox", "--json", today="2026-03-10").json()[0]["from"] == "x@evil.example"
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "sent"


def test_a_verdict_hidden_in_a_sender_controlled_field_is_not_a_pass(me, box, sent):
    ref, mid = sent
    me("config", "set", "mail.authserv_id", "mx.example.org")
    header = ("Authentication-Results", "mx.example.org; spf=pass "
              "smtp.mailfrom=dmarc=pass@attacker.example; dkim=none; dmarc=fail "
              "header.from=acme.example")
    box.deliver(mail("We have received your request.", in_reply_to=mid, headers=[header]))
    watch(me, box)
    assert me("inbox", "--all", "--json", today="2026-03-10").json()[0]["trust"] == "fail"


def test_an_old_newsletter_from_the_organisation_answers_nothing(me, box, sent):
    ref, _ = sent
    box.deliver(mail("Download the new Acme app from https://acme.example/app today!",
                     subject="Our new app", date=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)))
    box.deliver(mail("Download the new Acme app: https://acme.example/app",
                     subject="Our new app", headers=[("List-Unsubscribe", "<mailto:u@acme.example>")]))
    got = watch(me, box)
    assert all(r["ref"] is None for r in got)
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "sent"


def test_an_acknowledgement_with_an_attachment_is_not_an_answer(me, box, sent):
    ref, mid = sent
    box.deliver(mail("Thank you. Please find attached our acknowledgement letter.",
                     in_reply_to=mid, attachments=[("ack.pdf", b"%PDF-1.4")]))
    box.deliver(mail("Once your data has been deleted, we will confirm it. None of it has "
                     "been deleted yet.", in_reply_to=mid))
    assert all(r["label"] != "fulfilled" for r in watch(me, box))


def test_a_bounce_of_the_users_own_mail_is_not_a_bounce_of_the_request(me, box, sent):
    ref, _ = sent
    dsn = ("From: MAILER-DAEMON@mx.example.org\r\nTo: robin@example.org\r\n"
           "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn9@mx.example.org>\r\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
           "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
           "Final-Recipient: rfc822; frend@typo.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
           "\r\n--B\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <mine@example.org>\r\n"
           f"Subject: fwd [{ref}]\r\n\r\nLook at my request [{ref}].\r\n--B--\r\n").encode()
    box.deliver(dsn)
    watch(me, box)
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "sent"


@pytest.mark.parametrize("raw", [
    b"From: privacy@acme.example\r\nSubject: x\r\nContent-Type: text/plain; charset=idna\r\n\r\n"
    b"\xff\xfe data protection",
    b"From: " + b"(" * 500 + b"privacy@acme.example\r\nTo: " + b"(" * 500 + b"\r\n\r\nhi",
    b"From: MAILER-DAEMON@mx.example.org\r\nX-Failed-Recipients: privacy@acme.example\r\n"
    b"Subject: failure\r\n\r\n" + b"\n" * 200_000,
])
def test_malformed_mail_never_stops_watch(me, box, sent, raw):
    box.deliver(raw)
    box.deliver(mail("We have received your request.", in_reply_to=sent[1]))
    got = watch(me, box)
    assert "acknowledged" in [r["label"] for r in got]


def test_escape_sequences_in_a_reply_are_not_sent_to_the_terminal(me, box, sent):
    ref, mid = sent
    box.deliver(mail("We have received your request.", in_reply_to=mid,
                     subject="Re: \x1b]0;pwned\x07 your request"))
    watch(me, box)
    for out in (me("inbox", "--all", today="2026-03-10").stdout,
                me("show", ref, today="2026-03-10").stdout):
        assert "\x1b" not in out and "\x07" not in out


def test_a_huge_message_number_is_one_line(me, sent):
    assert "not a message number" in me.fails("link", "9" * 30, sent[0])


# -- whose words count (sar.core.trust) ---------------------------------------------


@pytest.mark.parametrize("sender, text, why", [
    ("Acme Privacy Team <privacy@evil.example>",
     "Please find attached a copy of your personal data.", "evil.example"),
    ("privacy@acme.example.evil.example",            # the name borrowed as a subdomain
     "Please find attached a copy of your personal data.", "acme.example.evil.example"),
    ("privacy@acme-example.example",                 # a look-alike
     "We hold no personal data about you.", "acme-example.example"),
    ("acme.privacy@gmail.com",                       # free mail
     "Please find attached a copy of your personal data.", "gmail.com"),
    ("dpo@party.example",                            # another organisation sar writes to
     "We do not hold any personal data about you.", "party.example"),
])
def test_a_reply_from_outside_the_organisation_changes_nothing(me, box, sent, sender, text,
                                                               why):
    ref, _ = sent
    box.deliver(mail(text, subject=f"Re: [{ref}] your request", sender=sender,
                     attachments=[("data.pdf", b"%PDF-1.4")] if "attached" in text else ()))
    got = watch(me, box)
    assert got[0]["label"] in ("fulfilled", "no-data-held")
    assert got[0]["ref"] == ref and got[0]["needs"] == "held"
    assert got[0]["event"] == "reply-received"
    shown = me("show", ref, "--json", today="2026-03-10").json()
    assert shown["status"] == "sent"
    assert [e["kind"] for e in shown["events"]][-1] == "reply-received"
    waiting = me("inbox", "--json", today="2026-03-10").json()
    assert len(waiting) == 1 and why in waiting[0]["next"]
    assert f"--as {got[0]['label']}" in waiting[0]["next"]
    # One command takes it when the user knows it is theirs.
    me("link", str(got[0]["message"]), ref, "--as", got[0]["label"], today="2026-03-10")
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == got[0]["label"]


def test_a_reply_from_the_organisations_domain_counts_without_a_thread(me, box, sent):
    ref, _ = sent
    box.deliver(mail("Please find attached a copy of your personal data.",
                     subject=f"[{ref}] Subject access request", sender="dpo@mail.acme.example",
                     attachments=[("data.pdf", b"%PDF-1.4")]))
    got = watch(me, box)
    assert (got[0]["event"], got[0]["needs"]) == ("fulfilled", None)
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "fulfilled"


def test_a_pass_for_another_domain_is_not_called_verified(me, box, sent):
    ref, _ = sent
    me("config", "set", "mail.authserv_id", "mx.example.org")
    passed = ("Authentication-Results", "mx.example.org; dkim=pass header.d=evil.example; "
                                        "dmarc=pass header.from=evil.example")
    box.deliver(mail("Please find attached a copy of your personal data.",
                     subject=f"Re: [{ref}]", sender="privacy@evil.example", headers=[passed],
                     attachments=[("data.pdf", b"%PDF-1.4")]))
    watch(me, box)
    waiting = me("inbox", "--json", today="2026-03-10").json()
    assert waiting[0]["trust"] == "unaligned" and waiting[0]["needs"] == "held"
    assert "verified" not in me("show", ref, today="2026-03-10").stdout


def test_an_acknowledgement_that_failed_dmarc_is_held_too(me, box, sent):
    ref, mid = sent
    me("config", "set", "mail.authserv_id", "mx.example.org")
    box.deliver(mail("We have received your request.", in_reply_to=mid, headers=[AR_FAIL]))
    got = watch(me, box)
    assert (got[0]["label"], got[0]["needs"]) == ("acknowledged", "held")
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "sent"
    me("mark", ref, "acknowledged", today="2026-03-10")
    assert me("inbox", "--json", today="2026-03-10").json() == []


def test_a_bounce_that_only_names_the_reference_is_held(me, box, sent):
    ref, _ = sent
    dsn = (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: robin@example.org\r\n"
        f"Subject: Undelivered Mail Returned to Sender [{ref}]\r\n"
        "Message-ID: <dsn2@mx.example.org>\r\nDate: Tue, 03 Mar 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org"
        "\r\n\r\nFinal-Recipient: rfc822; privacy@acme.example\r\nAction: failed\r\n"
        "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n\r\n--B--\r\n"
    ).encode()
    box.deliver(dsn)
    got = watch(me, box)
    assert (got[0]["ref"], got[0]["label"], got[0]["needs"]) == (ref, "bounced", "held")
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "sent"
    waiting = me("inbox", "--json", today="2026-03-10").json()
    assert "does not return our letter" in waiting[0]["next"]


def test_a_public_suffix_is_refused_as_an_organisations_domain(me, box, sent):
    before = me.state()
    line = me.fails("orgs", "add", "--slug", "wide", "--name", "Wide Ltd", "--email",
                    "dpo@wide.example", "--domain", "co.uk")
    assert "public suffix" in line
    assert me.state() == before


def test_a_message_sar_cannot_read_is_kept_and_shown(me, box, sent, home):
    nested = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
                     for i in range(1000))
    raw = (b"From: someone@elsewhere.example\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
           + nested.encode() + b"Content-Type: text/plain\r\n\r\nhello\r\n")
    box.deliver(raw)
    watch(me, box)
    waiting = me("inbox", "--json", today="2026-03-10").json()
    assert [w["needs"] for w in waiting] == ["unreadable"]
    assert "RecursionError" in waiting[0]["next"] and "kept as evidence" in waiting[0]["next"]
    import hashlib

    digest = hashlib.sha256(raw).hexdigest()
    assert (home / "evidence" / digest[:2] / digest[2:]).read_bytes() == raw


def _table(md: str, heading: str) -> list[dict]:
    """The rows of the Markdown table under `heading`, as dicts by column name."""
    import re

    block = md.split(f"## {heading}\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in block]
    return [dict(zip(cells[0], row, strict=True)) for row in cells[2:]]


def test_the_case_file_reads_as_a_person_writes_it(me, box, sent):
    import re

    ref, mid = sent
    box.deliver(mail("We have received your request and will respond within one month.",
                     subject="Re: <Your request> *urgent* [SAR] a|b", in_reply_to=mid))
    watch(me, box)
    md = me("show", ref, "--markdown", today="2026-03-10").stdout
    full = me("show", ref, "--json", today="2026-03-10").json()
    head = md.split("\n## ", 1)[0]
    assert "- Requester: Robin Testperson" in head and "Law: UK GDPR" in head
    # Backslash escapes, not HTML entities: rendered, the subject reads as written.
    assert "&lt;" not in md and "&gt;" not in md and "&amp;" not in md
    letters = _table(md, "Letters and replies")
    assert [r["Direction"] for r in letters] == ["sent", "received"]
    assert letters[1]["Subject"] == r"Re: \<Your request\> \*urgent\* \[SAR\] a\|b"
    # Hashes cut to their first 12 hex digits; --json keeps them whole.
    hashes = [m["sha256"] for m in full["messages"]]
    assert all(len(h) == 64 for h in hashes)
    assert [r["SHA-256 (first 12)"] for r in letters] == [f"`{h[:12]}`" for h in hashes]
    assert not re.search(r"[0-9a-f]{13,}", md)
    # One date format in every date column: the day, and the UTC time when known.
    timeline = _table(md, "Timeline")
    dates = [r["Date"] for r in timeline + letters]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d UTC)?", d) for d in dates), dates
    assert letters[1]["Date"] == "2026-03-03 09:30 UTC"
    assert timeline[-1]["Date"] == "2026-03-03 09:30 UTC"
    # Readable labels, not field names or internal keys.
    assert [r["Recorded by"] for r in timeline] == ["sar", "sar", "sar, from a reply"]
    for internal in ("message_id", "matched_by", "sha256 ", "trust", "kind", "source"):
        assert internal not in md, internal
