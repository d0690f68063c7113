"""Checks on what people type, shared by the profile, directory and commands.

Anything that may end up in an email header is checked for control characters
here, at the edge, so that a name with a line break can never inject a header.
"""

from __future__ import annotations

import re

from sar.errors import UsageError

# C0 and C1 controls, the Unicode line and paragraph separators, and the bidi
# controls that make a name display as something else (Trojan Source, CVE-2021-42574).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


def text(value: str, what: str, *, max_len: int = 300) -> str:
    value = value.strip()
    if not value:
        raise UsageError(f"{what} is empty")
    if _CONTROL.search(value):
        raise UsageError(f"{what} contains a line break or control character")
    if len(value) > max_len:
        raise UsageError(f"{what} is longer than {max_len} characters")
    return value


def email(value: str, what: str = "email") -> str:
    value = text(value, what, max_len=254)
    local, at, host = value.rpartition("@")
    try:
        # An internationalised domain (günstiger-reisen.de) is checked in its
        # ASCII form; the address is kept as written.
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = host
    if not at or not _EMAIL.match(f"{local}@{ascii_host}"):
        raise UsageError(f"{what} {value!r} is not an email address")
    return value


def domain(value: str, what: str = "domain") -> str:
    value = text(value, what, max_len=253).lower().rstrip(".")
    try:
        check = value.encode("idna").decode("ascii")
    except UnicodeError:
        check = value
    if not _DOMAIN.match(check):
        raise UsageError(f"{what} {value!r} is not a domain name")
    return value


def org_domain(value: str, what: str = "domain") -> str:
    """A domain an organisation writes from: a public suffix (co.uk, gov.uk) is refused,
    since replies are matched by domain and it would match every sender under it."""
    value = domain(value, what)
    from sar.domains import registrable

    if registrable(value) is None:
        raise UsageError(f"{what} {value!r} is a public suffix, shared by many "
                         "organisations: give the organisation's own domain")
    return value


def slug(value: str) -> str:
    value = value.strip().lower()
    if not _SLUG.match(value):
        raise UsageError(f"slug {value!r} must be lower-case letters, digits, '.' or '-'")
    return value


def address_lines(value: str | list[str], what: str = "address") -> list[str]:
    """A postal address from one line ('1 High St, London N1 1AA') or a list of lines."""
    parts = value if isinstance(value, list) else re.split(r"\s*[,;]\s*|\n", value)
    lines = [text(p, what) for p in parts if p.strip()]
    if not lines:
        raise UsageError(f"{what} is empty")
    return lines


def country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code such as GB or IE. UK is the common slip for GB."""
    code = value.strip().upper()
    if code == "UK":
        raise UsageError("country UK: the ISO code for the United Kingdom is GB")
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise UsageError(f"country {value!r} is not a two-letter ISO code (GB, IE, FR, ...)")
    return code
