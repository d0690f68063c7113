"""Whatever arrives, reading it never raises: hypothesis writes the mail.

`sar watch` must survive any message (issue 5: hostile or broken MIME must not
stop it). Parsing and classification are fed arbitrary bytes, and messages built
from real-looking parts with hostile values in every place a sender controls.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sar.core.classify import LABELS, classify
from sar.core.matching import Match, Unmatched, match
from sar.mail.inbound import authentication, parse

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

header_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                      max_size=200)
ascii_text = st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=126), max_size=300)
charsets = st.sampled_from(["utf-8", "us-ascii", "iso-8859-1", "idna", "undefined",
                            "x-unknown", "utf-16", "shift_jis", ""])
encodings = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode",
                             "bogus", ""])
types = st.sampled_from(["text/plain", "text/html", "multipart/report", "multipart/mixed",
                         "message/delivery-status", "message/rfc822", "text/rfc822-headers",
                         "application/pdf", "multipart/alternative"])


def _read(raw: bytes):
    msg = parse(raw)
    decision = classify(msg, kind=None)
    assert decision.label in LABELS
    for kind in ("access", "erasure"):
        assert classify(msg, kind=kind).label in LABELS
    found = match(msg, by_message_id=lambda m: None, by_ref=lambda r: None,
                  open_for_domain=lambda d: [])
    assert isinstance(found, Match | Unmatched)
    assert authentication(msg, "mx.example.org")[0] in ("pass", "fail", "unverified")
    return msg


@SETTINGS
@given(st.binary(max_size=4000))
def test_any_bytes(raw):
    _read(raw)


@SETTINGS
@given(subject=header_text, sender=ascii_text, body=st.binary(max_size=3000),
       charset=charsets, cte=encodings, ctype=types, inner=types,
       auth=ascii_text, filename=header_text)
def test_hostile_values_in_a_well_formed_shell(subject, sender, body, charset, cte, ctype,
                                               inner, auth, filename):
    head = (f"From: {sender}\r\nTo: robin@example.org\r\nSubject: {subject}\r\n"
            f"Authentication-Results: {auth}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: {ctype}; boundary=\"XX\"; report-type=delivery-status\r\n\r\n")
    part = (f"--XX\r\nContent-Type: {inner}; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n"
            f"Content-Disposition: attachment; filename=\"{filename}\"\r\n\r\n")
    raw = head.encode("utf-8", "surrogateescape") + part.encode("utf-8", "surrogateescape") + \
        body + b"\r\n--XX--\r\n"
    msg = _read(raw)
    for a in msg.attachments:
        assert "/" not in a.filename and "\\" not in a.filename
        assert not a.filename.startswith(".")


def test_deep_nesting_and_many_parts_are_bounded():
    deep = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for i in range(1, 300):
        deep += f"--b{i - 1}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n".encode()
    many = b"Content-Type: multipart/mixed; boundary=z\r\n\r\n" + \
        b"--z\r\nContent-Type: text/plain\r\n\r\nx\r\n" * 10_000 + b"--z--\r\n"
    _read(b"From: a@b.example\r\n" + deep)
    msg = _read(b"From: a@b.example\r\n" + many)
    assert any("parts" in p for p in msg.problems)


def test_an_encoded_word_bomb_in_the_subject_is_bounded():
    bomb = " ".join(["=?utf-8?b?" + "QUFBQQ==" + "?="] * 20_000)
    msg = _read(f"From: a@b.example\r\nSubject: {bomb}\r\n\r\nhi\r\n".encode())
    assert len(msg.subject) <= 4_000 * 4


def test_a_huge_message_is_kept_as_headers_only(me, tmp_path, home):
    """Over watch.max_message_mb, `sar watch` keeps the headers (and the match) and
    does not read the body into memory."""
    box = tmp_path / "Mail"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    me("config", "set", "watch.max_message_mb", "1")
    head = (b"From: privacy@acme.example\r\nTo: robin@example.org\r\n"
            b"Subject: Your personal data\r\nMessage-ID: <huge@acme.example>\r\n\r\n")
    (box / "new" / "1.huge").write_bytes(head + b"A" * (3 * 2**20))
    got = me("watch", "--maildir", box, "--json").json()
    assert len(got) == 1
    kept = me("inbox", "--all", "--json").json()[0]
    assert kept["subject"] == "Your personal data"
    stored = home / "evidence" / kept["sha256"][:2] / kept["sha256"][2:]
    assert stored.stat().st_size < 2**20
