"""Forwarded answers are read as what they carry: the organisation's words, with the
organisation's sender and date, from each common mail program, in English, German
and French."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
import test_inbox

from sar.core.forwards import parse_date, unwrap

ACK = {"en": "We have received your subject access request and will respond within "
             "one month.",
       "de": "Wir haben Ihre Anfrage nach Art. 15 DSGVO erhalten und werden sie innerhalb "
             "eines Monats beantworten.",
       "fr": "Nous avons bien reçu votre demande d'accès et y répondrons dans un délai "
             "d'un mois."}
ID = {"en": "Before we can act on your request we need to verify your identity. Please "
            "send a copy of your passport.",
      "de": "Bevor wir Ihre Anfrage bearbeiten können, müssen wir Ihre Identität prüfen. "
            "Bitte senden Sie uns eine Kopie Ihres Personalausweises.",
      "fr": "Avant de traiter votre demande, nous devons vérifier votre identité. Merci de "
            "nous envoyer une copie de votre pièce d'identité."}

SENDER = "Acme Privacy <privacy@acme.example>"

# Each client's inline forward: (name, language, the block above the original's text).
CLIENTS = [
    ("gmail", "en", "---------- Forwarded message ---------\nFrom: {s}\n"
                    "Date: Wed, 4 Mar 2026 at 10:15\nSubject: Re: [{ref}] request\n"
                    "To: Robin <robin@example.org>\n\n"),
    ("outlook-desktop", "en", "-----Original Message-----\nFrom: {s}\n"
                              "Sent: Wednesday, March 4, 2026 10:15 AM\n"
                              "To: Robin Testperson\nSubject: RE: [{ref}] request\n\n"),
    ("outlook-web", "en", "________________________________\nFrom: {s}\n"
                          "Sent: 04 March 2026 10:15\nTo: Robin Testperson\n"
                          "Subject: RE: [{ref}] request\n\n"),
    ("apple", "en", "Begin forwarded message:\n\nFrom: {s}\nSubject: Re: [{ref}] request\n"
                    "Date: 4 March 2026 at 10:15:00 GMT\nTo: Robin <robin@example.org>\n\n"),
    ("thunderbird", "en", "-------- Forwarded Message --------\nSubject: Re: [{ref}] request\n"
                          "Date: Wed, 4 Mar 2026 10:15:00 +0000\nFrom: {s}\n"
                          "To: robin@example.org\n\n"),
    ("proton", "en", "------- Forwarded Message -------\nFrom: {s}\n"
                     "Date: On Wednesday, March 4th, 2026 at 10:15 AM\n"
                     "Subject: Re: [{ref}] request\nTo: robin@example.org\n\n"),
    ("ios", "en", "Begin forwarded message:\n\nFrom: {s}\nDate: 4 March 2026 at 10:15:00 GMT\n"
                  "To: robin@example.org\nSubject: Re: [{ref}] request\n\n"),
    ("gmail", "de", "---------- Weitergeleitete Nachricht ---------\nVon: {s}\n"
                    "Date: Mi., 4. März 2026 um 10:15 Uhr\nSubject: AW: [{ref}] Anfrage\n"
                    "To: <robin@example.org>\n\n"),
    ("outlook", "de", "-----Ursprüngliche Nachricht-----\nVon: {s}\n"
                      "Gesendet: Mittwoch, 4. März 2026 10:15\nAn: Robin Testperson\n"
                      "Betreff: AW: [{ref}] Anfrage\n\n"),
    ("apple", "de", "Anfang der weitergeleiteten Nachricht:\n\nVon: {s}\n"
                    "Betreff: AW: [{ref}] Anfrage\nDatum: 4. März 2026 um 10:15:00 MEZ\n"
                    "An: robin@example.org\n\n"),
    ("thunderbird", "fr", "-------- Message transféré --------\nSujet : Re: [{ref}] demande\n"
                          "Date : Wed, 4 Mar 2026 10:15:00 +0000\nDe : {s}\n"
                          "Pour : robin@example.org\n\n"),
    ("gmail", "fr", "---------- Message transféré ---------\nDe : {s}\n"
                    "Date: mer. 4 mars 2026 à 10:15\nSubject: RE: [{ref}] demande\n"
                    "To: <robin@example.org>\n\n"),
    ("outlook", "fr", "-----Message d'origine-----\nDe : {s}\nEnvoyé : mercredi 4 mars 2026 10:15\n"
                      "À : Robin Testperson\nObjet : RE: [{ref}] demande\n\n"),
    ("apple", "fr", "Début du message réexpédié :\n\nDe: {s}\nObjet: Re: [{ref}] demande\n"
                    "Date: 4 mars 2026 à 10:15:00 UTC+1\nÀ: robin@example.org\n\n"),
]
PREFIX = {"en": "Fwd: ", "de": "WG: ", "fr": "TR: "}


@pytest.mark.parametrize("client, lang, block", CLIENTS,
                         ids=[f"{c}-{lang}" for c, lang, _ in CLIENTS])
def test_each_clients_forward_gives_the_original_sender_date_and_words(client, lang, block):
    text = "Here is what they sent me, see below.\n\n" + block.format(s=SENDER, ref="SAR-ABCDE") \
        + ACK[lang] + "\n\nKind regards,\nAcme Privacy Team\n"
    fwd = unwrap(text)
    assert fwd is not None
    assert fwd.sender == "privacy@acme.example"
    assert fwd.date is not None and fwd.date.date() == dt.date(2026, 3, 4)
    assert fwd.text.startswith(ACK[lang])
    assert fwd.note == "Here is what they sent me, see below."
    assert "SAR-ABCDE" in fwd.subject


def test_a_forward_of_a_forward_carries_the_innermost_answer():
    inner = CLIENTS[0][2].format(s=SENDER, ref="SAR-ABCDE") + ACK["en"]
    outer = CLIENTS[0][2].format(s="Sam <sam@example.net>", ref="SAR-ABCDE")
    fwd = unwrap("FYI\n\n" + outer + "see this\n\n" + inner)
    assert fwd.sender == "privacy@acme.example" and fwd.text == ACK["en"]


@pytest.mark.parametrize("value, expected", [
    ("Wed, 4 Mar 2026 10:15:00 +0000", dt.datetime(2026, 3, 4, 10, 15, tzinfo=dt.UTC)),
    ("Wednesday, March 4, 2026 1:05 PM", dt.datetime(2026, 3, 4, 13, 5, tzinfo=dt.UTC)),
    ("Mi., 4. März 2026 um 10:15 Uhr", dt.datetime(2026, 3, 4, 10, 15, tzinfo=dt.UTC)),
    ("mer. 4 mars 2026 à 10:15", dt.datetime(2026, 3, 4, 10, 15, tzinfo=dt.UTC)),
    ("4 févr. 2026 à 10h15", dt.datetime(2026, 2, 4, 10, 15, tzinfo=dt.UTC)),
    ("12 o'clock on no day", None),
])
def test_forwarded_dates(value, expected):
    assert parse_date(value) == expected


def test_a_message_that_is_not_a_forward_is_left_alone():
    assert unwrap("We have received your request.\n\nOn Tue, Acme wrote:\n> hello") is None


# -- through `sar watch` ----------------------------------------------------------------

watch = test_inbox.watch


@pytest.fixture
def box(me, tmp_path):
    return test_inbox.Mailbox(tmp_path / "Maildir")


@pytest.fixture
def sent(me):
    return me.send_new()


def _forward(box, *, lang, block, text, sender=SENDER, ref, attach_inner=False):
    msg = EmailMessage()
    msg["From"] = "Robin Testperson <robin@example.org>"
    msg["To"] = "robin@example.org"
    msg["Subject"] = f"{PREFIX[lang]}Re: [{ref}] request"
    msg["Date"] = format_datetime(dt.datetime(2026, 3, 9, 18, 0, tzinfo=dt.UTC))
    msg["Message-ID"] = f"<fwd-{lang}-{abs(hash(block)) % 10**8}@example.org>"
    if attach_inner:
        inner = EmailMessage()
        inner["From"] = sender
        inner["To"] = "robin@example.org"
        inner["Subject"] = f"Re: [{ref}] request"
        inner["Date"] = format_datetime(dt.datetime(2026, 3, 4, 10, 15, tzinfo=dt.UTC))
        inner["Message-ID"] = "<answer-1@acme.example>"
        inner.set_content(text)
        msg.set_content("Forwarded as an attachment.")
        msg.add_attachment(inner)
    else:
        msg.set_content("See below.\n\n" + block.format(s=sender, ref=ref) + text + "\n")
    box.deliver(bytes(msg))


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_a_forwarded_id_request_is_read_with_the_organisations_date(me, sent, box, lang):
    ref, _ = sent
    block = next(b for c, la, b in CLIENTS if c == "gmail" and la == lang)
    _forward(box, lang=lang, block=block, text=ID[lang], ref=ref)
    got = watch(me, box)
    assert (got[0]["ref"], got[0]["label"], got[0]["needs"]) == (ref, "id-requested", None)
    shown = me("show", ref, "--json", today="2026-03-10").json()
    assert shown["status"] == "awaiting-id"
    asked = [e for e in shown["events"] if e["kind"] == "id-requested"][0]
    assert asked["on"] == "2026-03-04"  # the answer's day, not the forward's (9 March)


def test_a_forward_attached_whole_is_read_as_its_own_message(me, sent, box):
    ref, _ = sent
    _forward(box, lang="en", block="", text=ACK["en"], ref=ref, attach_inner=True)
    got = watch(me, box)
    assert (got[0]["label"], got[0]["needs"]) == ("acknowledged", None)
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "acknowledged"


def test_a_forwarded_answer_from_another_domain_is_held(me, sent, box):
    ref, _ = sent
    block = CLIENTS[0][2]
    _forward(box, lang="en", block=block, text=ACK["en"], ref=ref,
             sender="Acme <privacy@acme-support.example>")
    got = watch(me, box)
    assert (got[0]["label"], got[0]["needs"]) == ("acknowledged", "held")
    assert me("show", ref, "--json", today="2026-03-10").json()["status"] == "sent"
    assert "acme-support.example" in me("inbox", "--json", today="2026-03-10").json()[0]["next"]


def test_a_reply_quoting_our_letter_is_not_read_as_a_forward(me, sent, box):
    ref, mid = sent
    box.deliver(test_inbox.mail(
        "Before we can act on your request we need to verify your identity. Please send "
        "a copy of your passport.\n\n-----Original Message-----\nFrom: Robin Testperson "
        "<robin@example.org>\nSent: 02 March 2026 12:00\nTo: privacy@acme.example\n"
        f"Subject: [{ref}] Subject access request\n\nDear Sir or Madam, I am writing to "
        "make a subject access request.", subject=f"RE: [{ref}] Subject access request"))
    got = watch(me, box)
    assert (got[0]["label"], got[0]["needs"]) == ("id-requested", None)
