"""The words a regular expression cannot match without: a quick look before a search.

Python's `re` tries a pattern that opens with `\\b(` or an alternation at every
position of the text, so a hundred classification rules over a reply cost more
than reading the message. `needed(pattern)` reads the pattern's structure (the
standard library's own parser, so it reads what `re` reads) and returns strings
of which every match contains at least one; `may_match` looks for them with a
plain substring search, many times faster. It is a necessary condition only: when
it says no, the pattern cannot match; when it says yes, the pattern is searched as
before. When it cannot tell (a pattern that ignores case, a construct it does not
know), it says None, and the pattern is always searched.

Sound because each step is: a run of literal characters in sequence is matched as
it stands; a group's match contains its content's; an alternation's match contains
one alternative's; a repeat at least once contains one pass; anything else (an
optional part, a class, a look-around, a boundary) only ends a run and adds
nothing.
"""

from __future__ import annotations

import re

try:  # the standard library's reading of a pattern (Python 3.11+)
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - another Python: no quick look, always search
    sre_parse = None


def needed(pattern: re.Pattern) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains, or None if unknown."""
    if sre_parse is None or not isinstance(pattern.pattern, str) \
            or pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a pattern it cannot read is always searched
        return None
    if parsed.state.flags & re.IGNORECASE:  # an inline (?i)
        return None
    return _any_of(list(parsed))


def may_match(needs: frozenset[str] | None, text: str) -> bool:
    """False only when a pattern with these `needs` cannot match `text`."""
    return needs is None or any(s in text for s in needs)


class Index:
    """Many patterns' needs at once: which may match a text, with one substring
    search per distinct needed word rather than one per pattern and word."""

    def __init__(self, needs: dict[str, frozenset[str] | None]):
        self.always = {key for key, words in needs.items() if words is None}
        self.by_word: dict[str, set[str]] = {}
        for key, words in needs.items():
            for word in words or ():
                self.by_word.setdefault(word, set()).add(key)

    def candidates(self, text: str) -> set[str]:
        """The keys whose pattern may match `text` (the rest cannot)."""
        out = set(self.always)
        for word, keys in self.by_word.items():
            if word in text:
                out |= keys
        return out


def _any_of(items: list) -> frozenset[str] | None:
    """The most selective requirement of a sequence of parsed items."""
    best: frozenset[str] | None = None
    run: list[str] = []
    for op, av in [*items, (None, None)]:  # the sentinel closes the last run
        kind = str(op)
        if kind == "LITERAL":
            run.append(chr(av))
            continue
        if run:
            best = _better(best, frozenset({"".join(run)}))
            run = []
        got = None
        if kind == "SUBPATTERN":
            _group, add_flags, _del_flags, sub = av
            got = None if add_flags & re.IGNORECASE else _any_of(list(sub))
        elif kind == "ATOMIC_GROUP":
            got = _any_of(list(av))
        elif kind == "BRANCH":
            alternatives = [_any_of(list(a)) for a in av[1]]
            if all(a is not None for a in alternatives):
                got = frozenset().union(*alternatives)
        elif kind in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = av
            got = _any_of(list(sub)) if low >= 1 else None
        best = _better(best, got)
    return best


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two requirements: longer shortest string, then fewer."""
    if a is None or b is None:
        return a if b is None else b

    def score(s: frozenset[str]) -> tuple[int, int]:
        return min(len(x) for x in s), -len(s)

    return a if score(a) >= score(b) else b
