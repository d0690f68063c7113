"""Errors a user can act on.

Library code raises a subclass of SarError; only the CLI turns it into one line on
stderr and exit status 1. Messages name references and slugs, never letter
contents, addresses or secrets.
"""


class SarError(Exception):
    """An error the user can act on."""


class UsageError(SarError):
    """The input given to a command makes no sense."""


class NotFoundError(SarError):
    """A reference, organisation or file that does not exist."""


class InvalidEventError(SarError):
    """An event that does not fit the request's history."""


class TemplateError(SarError):
    """A letter template that cannot be rendered."""


class StoreError(SarError):
    """The home directory or database cannot be used."""


class ProfileMissingError(SarError):
    """No requester profile yet: `sar init` has not been run."""


def closest(word: str, candidates, n: int = 1) -> list[str]:
    """The candidates nearest to a mistyped word, for "did you mean" hints."""
    import difflib

    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[h] for h in hits]


def did_you_mean(word: str, candidates) -> str:
    """' (did you mean X?)' or '' when nothing is close."""
    hits = closest(word, candidates)
    return f" (did you mean {hits[0]}?)" if hits else ""


def unknown(what: str, value: str, choices) -> str:
    """"unknown kind 'acess' (did you mean access?)", else the choices listed."""
    hint = did_you_mean(value, choices)
    return f"unknown {what} {value!r}" + (hint or f" (one of {', '.join(choices)})")
