"""The quick look before a rule's search (sar.core.needed) never hides a match.

classify() skips a rule whose needed words are not in the reply, then searches the
rest over the sentences joined by newlines before it tries them one sentence at a
time: both steps must let through every rule that fires on some sentence alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sar.core.classify import RULES, classify, sentences
from sar.core.needed import may_match, needed
from sar.mail.inbound import parse
from tests.mailbox_gen import messages

DATA = Path(__file__).parent / "data"


def _corpus() -> list[str]:
    texts = []
    for folder in ("replies_own", "replies_blind", "replies_holdout", "replies_round2"):
        for case in json.loads((DATA / folder / "manifest.json").read_text()):
            texts.append(parse((DATA / folder / case["file"]).read_bytes()).text)
    texts += [parse(raw).text for raw, _ in messages()]
    return texts


def test_every_rule_that_fires_on_a_sentence_passes_both_looks():
    said = [s for text in _corpus() for s in sentences(text)]
    fired = 0
    for rule in RULES:
        needs = needed(rule.pattern)
        whole = re.compile(rule.pattern.pattern, rule.pattern.flags | re.MULTILINE)
        for i, sentence in enumerate(said):
            if rule.pattern.search(sentence):
                fired += 1
                assert may_match(needs, sentence), (rule.name, sentence, needs)
                # Among its neighbours, as classify() joins them.
                joined = "\n".join(said[max(0, i - 2):i + 3])
                assert may_match(needs, joined) and whole.search(joined), (rule.name, sentence)
    assert fired > 200  # the corpus exercises the rules


@pytest.mark.parametrize(("pattern", "words"), [
    (r"\bproof of (your )?(identity|id|address)", {"proof of "}),
    (r"colou?r", {"colo"}),                       # an optional letter ends the run
    (r"\b(send|upload)\b.{0,80}\b(passport|bank statement)", {"passport", "bank statement"}),
    (r"x(ab|cd)+y", {"ab", "cd"}),                # a repeat at least once: one pass
    (r"(?:ab)*c", {"c"}),                         # one that may be absent adds nothing
    (r"\b(erhalten|eingegangen)", {"rhalten", "ingegangen"}),  # re's own factoring
    (r"\w+ is", {" is"}),
])
def test_the_words_a_pattern_needs(pattern, words):
    assert needed(re.compile(pattern)) == words


@pytest.mark.parametrize("pattern", [re.compile(r"(?i)proof"), re.compile("proof", re.I),
                                     re.compile(r"a*"), re.compile(r"[ab]c?")])
def test_what_it_cannot_tell_is_always_searched(pattern):
    assert needed(pattern) is None
    assert may_match(None, "")


def test_a_newsletter_needs_no_rule_and_a_reply_still_reads():
    said = "\n".join(sentences("Our offers this week.\n" * 20))
    assert not [r.name for r in RULES if may_match(needed(r.pattern), said)
                and r.pattern.search(said)]
    reply = parse(b"From: privacy@acme.example\r\nSubject: Re: your request\r\n\r\n"
                  b"Our offers this week. Before we can act we need to verify your "
                  b"identity: please send a copy of your passport.\r\n")
    assert classify(reply, kind="access").label == "id-requested"
