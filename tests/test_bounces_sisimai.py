"""Bounce and auto-reply recognition over 629 real messages (sisimai's
set-of-emails, BSD-2, in ../shared/reference/sisimai/emails/). Skipped when
../shared is not beside the project."""

from __future__ import annotations

import email
from email import policy

import pytest

from sar.core.classify import classify
from sar.mail.inbound import parse
from tests.conftest import SHARED

EMAILS = SHARED / "reference" / "sisimai" / "emails"
FILES = sorted(EMAILS.glob("*.eml")) if EMAILS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason="../shared/reference/sisimai is not here")


def family(path) -> str:
    return path.name.rsplit("-", 1)[0]


def returned_message_id(raw: bytes) -> tuple[bool, str | None]:
    """Independently of sar: is this a DSN, and which Message-ID does it return?"""
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    parts = list(msg.walk())
    is_dsn = msg.get_content_type() == "multipart/report" and any(
        p.get_content_type() == "message/delivery-status" for p in parts)
    for p in parts:
        if p.get_content_type() == "message/rfc822":
            inner = p.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            if inner.get("Message-ID"):
                return is_dsn, inner["Message-ID"].strip()
        if p.get_content_type() == "text/rfc822-headers":
            headers = email.message_from_bytes(p.get_payload(decode=True) or b"",
                                               policy=policy.compat32)
            if headers.get("Message-ID"):
                return is_dsn, headers["Message-ID"].strip()
    return is_dsn, None


@pytest.fixture(scope="module")
def corpus():
    return [(p, p.read_bytes()) for p in FILES]


def test_every_dsn_is_a_bounce_and_its_original_is_found(corpus):
    dsns = missed = returned = found = 0
    not_found = []
    for path, raw in corpus:
        is_dsn, original = returned_message_id(raw)
        if not is_dsn:
            continue
        dsns += 1
        msg = parse(raw)
        if not msg.is_dsn or classify(msg).label not in ("bounced", "auto-reply"):
            missed += 1
        if original:
            returned += 1
            if original.strip("<>") in [m.strip("<>") for m in msg.original_message_ids]:
                found += 1
            else:
                not_found.append(path.name)
    assert dsns > 300
    assert missed == 0
    assert returned > 200 and not_found == []


def test_delayed_reports_are_not_bounces(corpus):
    for path, raw in corpus:
        msg = parse(raw)
        if msg.is_dsn and msg.bounce_actions and all(a == "delayed" for a in
                                                      msg.bounce_actions):
            assert classify(msg).label == "auto-reply", path.name
        elif msg.is_dsn and any(a.startswith("failed") for a in msg.bounce_actions):
            assert classify(msg).label == "bounced", path.name


def test_nearly_every_bounce_is_recognised_and_no_auto_reply_is_called_one(corpus):
    bounces = recognised = 0
    for path, raw in corpus:
        msg = parse(raw)
        label = classify(msg).label
        if family(path) == "rfc3834":
            assert label == "auto-reply", path.name
        elif family(path) == "arf":
            assert label != "bounced", path.name   # abuse reports, not bounces
        else:
            bounces += 1
            recognised += label == "bounced" or bool(msg.bounce_signals)
    # The rest (15 of 606 when written): Amazon SNS JSON notifications, mailing-list
    # "not a member" notices, Japanese-only carrier notices, a forwarded bounce and a
    # "delayed" notice; see docs/inbox.md.
    assert recognised / bounces >= 0.97, (recognised, bounces)


def test_every_message_parses_without_an_error(corpus):
    for path, raw in corpus:
        msg = parse(raw)
        classify(msg)
        assert isinstance(msg.text, str), path.name
