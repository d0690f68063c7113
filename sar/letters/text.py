"""Plain-text renderings of a letter: the full printed letter and an email body."""

from __future__ import annotations

import textwrap

from sar.letters import Letter, longdate

WIDTH = 72


def _wrap(text: str, **kw) -> list[str]:
    # Never split a reference (SAR-7K2QX), an address or a URL across lines: a
    # reference broken at its hyphen no longer matches a reply.
    return textwrap.wrap(text, WIDTH, break_on_hyphens=False, break_long_words=False, **kw)


def body_lines(letter: Letter) -> list[str]:
    out: list[str] = []
    previous = None
    for block in letter.body:
        if out and not (block.kind == "item" and previous == "item"):
            out.append("")
        if block.kind == "heading":
            out.append(block.text)
        elif block.kind == "paragraph":
            out.extend(_wrap(block.text) or [""])
        else:
            marker = "-" if block.marker == "•" else block.marker
            pad = " " * (len(marker) + 1)
            out.extend(_wrap(block.text, initial_indent=marker + " ", subsequent_indent=pad))
        previous = block.kind
    return out


def email_body(letter: Letter) -> str:
    """Salutation to signature: what goes in the body of an email."""
    lines = [letter.salutation, "", *body_lines(letter), "", letter.closing, "",
             *letter.signature, *letter.sender[1:]]
    return "\n".join(lines).rstrip() + "\n"


def as_text(letter: Letter) -> str:
    """The whole letter, as it would be printed."""
    lines = [*letter.sender, "", longdate(letter.date), "", *letter.recipient, "",
             f"Reference: {letter.ref}", "", letter.subject, "",
             letter.salutation, "", *body_lines(letter), "", letter.closing, "", "",
             *letter.signature]
    return "\n".join(lines).rstrip() + "\n"
