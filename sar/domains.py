"""Mail domains: the registrable part of a host name (eTLD+1, by the Public Suffix
List, bundled and used offline), so mail.labour.org.uk and email.labour.org.uk are
one sender and co.uk is never one."""

from __future__ import annotations

import re

_NOT_DOMAINS = {"localhost", "local", "localdomain", "internal", "lan", "invalid", "home"}

_psl = None


def registrable(domain: str) -> str | None:
    """The registrable domain (eTLD+1), in its ASCII (IDNA) form; None for a public
    suffix or junk."""
    global _psl
    if _psl is None:
        from publicsuffixlist import PublicSuffixList

        _psl = PublicSuffixList()
    domain = ascii_domain(domain)
    return _psl.privatesuffix(domain) if domain else None


def ascii_domain(domain: str) -> str | None:
    """A host name in lower-case ASCII (IDNA), or None for an IP address, a name
    with one label, a numeric or local top-level name, or junk."""
    import ipaddress

    domain = domain.strip().strip("[]").strip(".").lower()
    if not domain or len(domain) > 253 or not re.fullmatch(r"[\w.-]+", domain):
        return None
    try:
        ipaddress.ip_address(domain)
        return None
    except ValueError:
        pass
    try:
        domain = domain.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    labels = domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit() or labels[-1] in _NOT_DOMAINS:
        return None
    return domain
