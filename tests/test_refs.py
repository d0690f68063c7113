"""Request references: short, unambiguous, found in text."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from sar.core import refs


def test_alphabet_avoids_lookalikes():
    for c in "01OILUV":
        assert c not in refs.ALPHABET


def test_new_refs_are_valid_and_varied():
    rng = random.Random(7)
    made = {refs.new_ref(rng.choice) for _ in range(2000)}
    assert len(made) > 1990
    assert all(refs.is_valid(r) for r in made)


@given(st.text(alphabet=refs.ALPHABET, min_size=5, max_size=5))
def test_normalise_accepts_what_people_type(body):
    ref = "SAR-" + body
    assert refs.normalise(ref.lower()) == ref
    assert refs.normalise(" " + body + " ") == ref
    assert refs.normalise("sar" + body.lower()) == ref


def test_find_all_in_a_rewritten_subject():
    text = "RE: [Ticket #123] Subject access request [SAR-7K2QX] fwd sar-abcde and SAR-7K2QXX"
    assert refs.find_all(text) == ["SAR-7K2QX", "SAR-ABCDE"]


def test_a_reference_copied_with_another_dash_is_still_found():
    # A non-breaking hyphen (a DOCX or PDF letter's), a hyphen, an en dash, a minus.
    text = "Re: SAR\u20117K2QX, SAR\u2010ABCDE; SAR\u2013WXYZ2 and SAR\u221223456"
    assert refs.find_all(text) == ["SAR-7K2QX", "SAR-ABCDE", "SAR-WXYZ2", "SAR-23456"]
    assert refs.normalise(" sar\u20117k2qx ") == "SAR-7K2QX"
    assert not refs.is_valid("SAR\u20117K2QX")  # stored and shown with its own hyphen
    assert refs.find_all("SAR_7K2QX SAR.7K2QX SAR 7K2QX") == []


def test_where_each_references_hyphen_is():
    text = "Subject [SAR-7K2QX] and sar-abcde, not SAR-7K2QXX"
    assert refs.hyphens(text) == [text.index("-"), text.index("sar-abcde") + 3]
    assert refs.hyphens("no reference - here") == []
