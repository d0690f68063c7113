"""Classification over replies written for sar by other hands, blind to the rules,
in English, German and French: tests/data/replies_own/ (36) and
tests/data/replies_blind/ (30) and tests/data/replies_holdout/ (30); each
manifest.json gives the expected label and why. The first runs of the classifier
over them scored 26 of 36, 21 of 30 and 20 of 30, each with one wrong `fulfilled`
(an erasure that kept some data, twice; an access answer that left out some
data); the rules were then improved on them, so they now guard against regressions.
tests/data/replies_round2/ (8) holds the misreadings a later held-out set found (an
acknowledgement that says the period "may be extended", an ID request above an
"On ... wrote:" quote, data behind a secure link, a one-line acknowledgement above
a confidentiality footer), written again in our own words, with a real extension
beside them so the fix cannot simply switch a rule off. A wrong `fulfilled` would close a
request that is still owed: there must never be one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sar.core.classify import classify
from sar.mail.inbound import parse

DATA = Path(__file__).parent / "data"
MANIFEST = [{**m, "file": f"{folder}/{m['file']}"}
            for folder in ("replies_own", "replies_blind", "replies_holdout", "replies_round2")
            for m in json.loads((DATA / folder / "manifest.json").read_text())]


@pytest.mark.parametrize("case", MANIFEST, ids=[m["file"] for m in MANIFEST])
def test_label(case):
    msg = parse((DATA / case["file"]).read_bytes())
    decision = classify(msg, kind=case["kind"])
    assert decision.label == case["expected"], (decision, case["notes"])


def test_every_language_and_label_is_covered():
    assert {m["lang"] for m in MANIFEST} == {"en", "de", "fr"}
    labels = {m["expected"] for m in MANIFEST}
    assert labels == {"acknowledged", "id-requested", "clarification-requested", "extended",
                      "fulfilled", "partially-fulfilled", "no-data-held", "refused",
                      "bounced", "auto-reply", "unclassified"}


def test_bounces_return_their_original():
    for case in MANIFEST:
        if "original_message_id" in case:
            msg = parse((DATA / case["file"]).read_bytes())
            assert case["original_message_id"] in msg.original_message_ids, case["file"]


def test_the_kind_of_request_decides_what_counts_as_done():
    # Words about deletion answer an erasure request, not an access request.
    erasure_done = parse(b"From: a@b.example\r\nSubject: x\r\n\r\n"
                         b"Your personal data has been deleted.\r\n")
    assert classify(erasure_done, kind="access").label == "unclassified"
    assert classify(erasure_done, kind="erasure").label == "fulfilled"
