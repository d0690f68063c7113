"""Every letter sar can write: kind x regime x language x sector, in every format.

Each is rendered as text, as a complete email and as a DOCX that is opened again
with python-docx; all must carry the reference and the due date, in the letter's
own language, and no template syntax may leak into them.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from email import message_from_bytes, policy

import pytest

from sar import letters, profile
from sar.workspace import Workspace

KINDS = ["access", "erasure", "objection", "rectification", "restriction", "portability"]
FOLLOW_UPS = ["reminder", "id-reply", "extension-challenge"]
SECTORS = ["political-party", "data-broker", "credit-reference-agency", "ad-tech", "platform"]
GDPR = [("uk-gdpr", lang) for lang in ("en", "de", "fr")] + \
       [("eu-gdpr", lang) for lang in ("en", "de", "fr")]
TODAY = dt.date(2026, 3, 2)

CASES = (
    [(k, r, lang, s) for (r, lang), k, s in itertools.product(GDPR, KINDS, SECTORS)]
    + [(k, "ccpa", "en", s) for k, s in itertools.product(["access", "erasure"], SECTORS)]
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("matrix") / "home", today=TODAY)
    ws.init(profile.make("Robin Testperson", "robin@example.org",
                         "12 Sample Lane, Exampleton, EX1 2MP",
                         ["3 Old Road, Sampleford, SA1 1AA"], "1980-05-17", today=TODAY))
    for sector in SECTORS:
        ws.add_org(slug=sector, name=f"Example {sector} Ltd", email=f"dpo@{sector}.example",
                   address="1 Example Way, Exampleton, EX9 9AA", kind=sector)
    return ws


def render_all(ws, ref, follow_up=None):
    text = ws.letter(ref, "text", follow_up=follow_up).decode()
    msg = message_from_bytes(ws.letter(ref, "eml", follow_up=follow_up), policy=policy.default)
    from docx import Document

    docx = Document(io.BytesIO(ws.letter(ref, "docx", follow_up=follow_up)))
    body = "\n".join(p.text for p in docx.paragraphs)
    return text, msg, body


ENGLISH = re.compile(r"\b(Please|Dear|Article \d|Yours|Data Protection Officer|None)\b")


def check(text, msg, body, ref, due, lang):
    """The reference, the due date (if the letter states one) and clean text."""
    from sar.letters.text import WIDTH

    long = [line for line in text.splitlines() if len(line) > WIDTH and " " in line.strip()]
    assert not long, long  # wrapped, closing line included; only one long word may overflow
    for rendered in (text, body, msg.get_body(("plain",)).get_content()):
        # A heading never runs into what follows ("GroundsI contest", "request+ Please"):
        # a template comment that strips the newline after a heading did both.
        assert not re.search(r"\w\+ \w", rendered), re.search(r".{30}\w\+ \w.{10}", rendered)
        assert not re.search(r"\b[a-zäöüéè]{3,}[A-ZÄÖÜÉ][a-z]", rendered), \
            re.search(r".{20}\b[a-zäöüéè]{3,}[A-ZÄÖÜÉ][a-z].{20}", rendered)
        assert ref in rendered
        assert "{{" not in rendered and "{%" not in rendered and "@@" not in rendered
        assert not re.search(r"\bNone\b", rendered)
        if lang != "en":  # no English left in a German or French letter
            assert not ENGLISH.search(rendered), ENGLISH.search(rendered).group(0)
    if due is not None:
        due_words = letters.daydate(due, lang)
        assert due_words in " ".join(text.split()), due_words
        assert due_words in " ".join(body.split())
    assert f"[{ref}]" in msg["Subject"]


@pytest.mark.parametrize("kind,regime,lang,sector", CASES,
                         ids=["-".join(c) for c in CASES])
def test_every_letter(ws, kind, regime, lang, sector):
    details = "My address is 12 Sample Lane, not 21." if kind in (
        "rectification", "objection", "restriction") else None
    via = "post" if sector == "platform" else None  # the postal branches too
    [created] = ws.new(kind, [sector], regime=regime, lang=lang, details=details, again=True,
                       via=via, california_resident=regime == "ccpa")
    assert created["lang"] == lang
    ref = created["ref"]
    due = ws.letter_context(ws.find(ref), TODAY)["request"]["due"]
    check(*render_all(ws, ref), ref, due, lang)


@pytest.mark.parametrize("follow_up,regime,lang",
                         [(f, r, lang) for f, (r, lang) in itertools.product(FOLLOW_UPS, GDPR)]
                         + [(f, "ccpa", "en") for f in FOLLOW_UPS],
                         ids=lambda v: str(v))
def test_every_follow_up(tmp_path, follow_up, regime, lang):
    ws = Workspace(tmp_path / "home", today=TODAY)
    ws.init(profile.make("Robin Testperson", "robin@example.org",
                         "12 Sample Lane, Exampleton, EX1 2MP", today=TODAY))
    ws.add_org(slug="acme", name="Acme Ltd", email="dpo@acme.example", kind="data-broker")
    [created] = ws.new("access", ["acme"], regime=regime, lang=lang,
                       california_resident=regime == "ccpa")
    ref = created["ref"]
    ws.send([ref])
    answer = {"id-reply": "id-requested", "extension-challenge": "extended"}.get(follow_up)
    if answer:
        Workspace(ws.home.root, today=TODAY + dt.timedelta(days=5)).mark(ref, answer)
    # A reminder only once the deadline has passed; the others soon after the event.
    later = Workspace(ws.home.root, today=TODAY + dt.timedelta(
        days=(50 if regime == "ccpa" else 40) if follow_up == "reminder" else 6))
    text, msg, body = render_all(later, ref, follow_up)
    deadline = later.assess(later.find(ref)).deadline
    # The id-reply states no date: the clock is stopped while the ID is awaited.
    shown = {"extension-challenge": deadline.extended_due, "reminder": deadline.due}.get(follow_up)
    check(text, msg, body, ref, shown, lang)
