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
from dataclasses import dataclass

_LABEL = re.compile(r"^\(([a-z]{1,2}|[ivx]{1,5}|\d{1,2})\)\s+")


@dataclass(frozen=True)
class Block:
    kind: str          # heading | paragraph | item
    text: str
    marker: str = ""   # for items: '1.', '(a)', '•'


def parse(source: str) -> list[Block]:
    blocks: list[Block] = []
    current: dict | None = None
    # One count through the whole letter, never restarted per section: "point 2" in a
    # reply or a complaint can then mean only one thing.
    number = 0

    def flush():
        nonlocal current
        if current is not None:
            blocks.append(Block(current["kind"], " ".join(current["lines"]), current["marker"]))
            current = None

    for raw in source.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        indented = line.startswith("  ")
        if indented and current is not None:
            current["lines"].append(stripped)
            continue
        if stripped.startswith("## "):
            flush()
            blocks.append(Block("heading", stripped[3:].strip()))
        elif stripped.startswith("+ "):
            flush()
            number += 1
            current = {"kind": "item", "lines": [stripped[2:].strip()], "marker": f"{number}."}
        elif stripped.startswith("- "):
            flush()
            current = {"kind": "item", "lines": [stripped[2:].strip()], "marker": "•"}
        elif m := _LABEL.match(stripped):
            flush()
            current = {"kind": "item", "lines": [stripped[m.end():].strip()],
                       "marker": f"({m.group(1)})"}
        elif current is not None and current["kind"] == "paragraph":
            current["lines"].append(stripped)
        else:
            flush()
            current = {"kind": "paragraph", "lines": [stripped], "marker": ""}
    flush()
    return blocks
