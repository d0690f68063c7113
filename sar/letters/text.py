"""Plain-text renderings of a letter: the full printed letter and an email body."""

from __future__ import annotations

import re
from functools import lru_cache

from sar.letters import LABELS, Letter, dateline
from sar.letters.markup import Block

WIDTH = 72


_SPACES = re.compile(r"[ \t\n\r]+")


@lru_cache(maxsize=4096)
def _wrap(text: str, initial_indent: str = "", subsequent_indent: str = "") -> tuple[str, ...]:
    """Greedy word wrap at WIDTH. Words are never split: a reference broken at its
    hyphen (SAR-KYEWF) no longer matches a reply, nor does a split address or URL.
    Each line is cut at the last space that fits (str.rfind), not built word by word,
    and a paragraph is wrapped once per process: a campaign's letters share most of
    their paragraphs."""
    # Split at ordinary spaces only: a non-breaking space (French "Référence :",
    # German "2. April") must keep its two sides on one line.
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        text = _SPACES.sub(" ", text)  # most paragraphs have none: no regex for them
    rest = text.strip(" ")
    if not rest:
        return ()
    lines: list[str] = []
    prefix = initial_indent
    while len(prefix) + len(rest) > WIDTH:
        cut = rest.rfind(" ", 0, WIDTH - len(prefix) + 1)
        if cut <= 0:  # a word longer than the line: alone on its line
            cut = rest.find(" ")
            if cut < 0:
                break
        lines.append(prefix + rest[:cut])
        rest = rest[cut + 1:]
        prefix = subsequent_indent
    lines.append(prefix + rest)
    return tuple(lines)


@lru_cache(maxsize=8192)
def _block_lines(block: Block) -> tuple[str, ...]:
    """One block's lines (a campaign's letters share most blocks, the very objects:
    sar.letters.markup.parse reads each stretch once)."""
    if block.kind == "heading":
        return _wrap(block.text)
    if block.kind == "paragraph":
        return _wrap(block.text) or ("",)
    marker = "-" if block.marker == "•" else block.marker
    return _wrap(block.text, marker + " ", " " * (len(marker) + 1))


def body_lines(letter: Letter) -> list[str]:
    out: list[str] = []
    previous = None
    for block in letter.body:
        kind = block.kind
        if out and not (kind == "item" and previous == "item"):
            out.append("")
        out += _block_lines(block)
        previous = kind
    return out


def email_body(letter: Letter) -> str:
    """Salutation to signature: what goes in the body of an email."""
    lines = [letter.salutation, "", *body_lines(letter), "", *_wrap(letter.closing), "",
             *letter.signature, *letter.sender[1:]]
    return "\n".join(lines).rstrip() + "\n"


def as_text(letter: Letter) -> str:
    """The whole letter, as it would be printed."""
    lines = [*letter.sender, "", dateline(letter), "", *letter.recipient, "",
             f"{LABELS.get(letter.lang, LABELS['en'])['reference']} {letter.ref}", "", *_wrap(letter.subject), "",
             letter.salutation, "", *body_lines(letter), "", *_wrap(letter.closing), "", "",
             *letter.signature]
    return "\n".join(lines).rstrip() + "\n"
