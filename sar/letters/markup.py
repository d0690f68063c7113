"""The little markup letter templates are written in, and its parser.

One template renders to this markup; the text, email and DOCX renderers all
read the parsed blocks, so a letter says the same thing in every format.

    ## A heading
    A paragraph, which may be wrapped
    over several lines in the template.

    + a numbered item (numbered 1, 2, 3 ... through the whole letter)
    (a) an item with its own label, kept as written
    - a bulleted item
      indented lines continue the item above
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_LABEL = re.compile(r"^\(([a-z]{1,2}|[ivx]{1,5}|\d{1,2})\)\s+")
# A line of nothing but spaces or tabs: no block runs across it.
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


class Block(NamedTuple):
    """One block of a letter (a tuple: a campaign builds them by the hundred thousand)."""

    kind: str          # heading | paragraph | item
    text: str
    marker: str = ""   # for items: '1.', '(a)', '•'


def parse(source: str) -> list[Block]:
    """The blocks of a letter's markup. No block runs across a blank line, so the text
    is read a stretch between blank lines at a time, and each stretch once per
    process: a campaign's letters share most of them (only those naming the
    reference, a date or the requester differ). The numbering of "+" items runs on
    through the whole letter, from one stretch to the next."""
    blocks: list[Block] = []
    number = 0
    for stretch in _BLANK_LINE.split(source):
        found, numbered = _stretch(stretch)
        if number and numbered:
            found = list(found)
            for i in numbered:
                kind, text, marker = found[i]
                found[i] = Block(kind, text, f"{number + int(marker[:-1])}.")
        blocks.extend(found)
        number += len(numbered)
    return blocks


@lru_cache(maxsize=4096)
def _stretch(source: str) -> tuple[tuple[Block, ...], tuple[int, ...]]:
    """A stretch's blocks, numbered from 1, and where its numbered items are."""
    blocks = _read(source)
    return tuple(blocks), tuple(i for i, b in enumerate(blocks)
                                if b.kind == "item" and b.marker.endswith("."))


def _read(source: str) -> list[Block]:
    """The markup read line by line."""
    blocks: list[Block] = []
    kind: str | None = None  # the block being read, its lines and its marker
    lines: list[str] = []
    marker = ""
    # One count through the whole letter, never restarted per section: "point 2" in a
    # reply or a complaint can then mean only one thing.
    number = 0
    for raw in source.splitlines():
        stripped = raw.strip()
        if not stripped:
            if kind is not None:
                blocks.append(Block(kind, " ".join(lines), marker))
                kind = None
            continue
        if kind is not None and raw.startswith("  "):  # continues the block above
            lines.append(stripped)
            continue
        first = stripped[0]
        if first == "#" and stripped.startswith("## "):
            new = ("heading", stripped[3:].strip(), "")
        elif first == "+" and stripped.startswith("+ "):
            number += 1
            new = ("item", stripped[2:].strip(), f"{number}.")
        elif first == "-" and stripped.startswith("- "):
            new = ("item", stripped[2:].strip(), "•")
        elif first == "(" and (m := _LABEL.match(stripped)):
            new = ("item", stripped[m.end():].strip(), f"({m.group(1)})")
        elif kind == "paragraph":
            lines.append(stripped)
            continue
        else:
            new = ("paragraph", stripped, "")
        if kind is not None:
            blocks.append(Block(kind, " ".join(lines), marker))
            kind = None
        if new[0] == "heading":
            blocks.append(Block(*new))
        else:
            kind, lines, marker = new[0], [new[1]], new[2]
    if kind is not None:
        blocks.append(Block(kind, " ".join(lines), marker))
    return blocks
