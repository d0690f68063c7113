"""The letters' word wrap (sar.letters.text) cuts where textwrap would with words
never split, and keeps a non-breaking space's two sides together."""

from __future__ import annotations

import re
import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from sar.letters import text


@settings(max_examples=500, deadline=None)
@given(words=st.lists(st.sampled_from(["a", "b", "é", "-", " ", "\t", "\n", "\r", "x\xa0y"]),
                     max_size=300).map("".join),
       long_word=st.integers(0, 100), marker=st.sampled_from(["", "- ", "12. ", "(iv) "]))
def test_wrap_is_textwrap_without_breaking_words(words, long_word, marker):
    source = words + " " + "w" * long_word
    pad = " " * len(marker)
    # Runs of ordinary spaces count as one, as in a rendered template.
    expected = textwrap.wrap(re.sub(r"[ \t\n\r]+", " ", source).strip(" "), text.WIDTH, initial_indent=marker, subsequent_indent=pad,
                             break_long_words=False, break_on_hyphens=False)
    assert list(text._wrap(source, marker, pad)) == expected


def test_a_non_breaking_space_is_never_a_line_end():
    line = "x" * 70 + " R\u00e9f\u00e9rence\u00a0: SAR-ABCDE"
    assert list(text._wrap(line)) == ["x" * 70, "R\u00e9f\u00e9rence\u00a0: SAR-ABCDE"]
