"""Which request an incoming message answers, strongest signal first.

Pure: `match()` reads what sar.mail.inbound found in a message and asks three
lookups (given by the caller, over the store) — which request sent this
Message-ID, which request has this reference, which open requests go to this
domain. The order is DESIGN.md's:

1. for a bounce, the original Message-ID returned inside it (a bounce's own
   threading headers, where it has them, are weaker: only 48 of 349 carry them);
2. In-Reply-To / References naming a Message-ID we sent;
3. our reference (SAR-7K2QX) in the subject, then in a plus-address
   (you+sar-7k2qx@...), then in the body — ticket systems rewrite subjects but
   keep the body;
4. the sender's domain (or a subdomain of it) belongs to the organisation and
   exactly one open request to it exists.

Otherwise the message waits, unmatched, for `sar inbox` and `sar link`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sar.core import refs

SIGNALS = ("bounce-original", "thread-headers", "reference-in-subject", "plus-address",
           "reference-in-body", "sender-domain")


@dataclass(frozen=True)
class Match:
    request_id: int
    signal: str        # one of SIGNALS
    detail: str        # what matched: the Message-ID, the reference, the domain

    def words(self) -> str:
        return {"bounce-original": "the bounce returns our message {}",
                "thread-headers": "it replies to our message {}",
                "reference-in-subject": "the subject names {}",
                "plus-address": "it was sent to the address for {}",
                "reference-in-body": "the text names {}",
                "sender-domain": "it comes from {}, and that organisation has one open "
                                 "request"}[self.signal].format(self.detail)


@dataclass(frozen=True)
class Unmatched:
    reason: str


_PLUS = re.compile(r"\+(sar-[a-z0-9]{5})@", re.IGNORECASE)


def match(msg, *, by_message_id: Callable[[str], int | None],
          by_ref: Callable[[str], int | None],
          open_for_domain: Callable[[str], list[int]],
          org_domains: Callable[[int], set[str]] = lambda rid: set()) -> Match | Unmatched:
    """`org_domains(request_id)`: the domains of the organisation a request went to,
    so a bounce is placed only on a request whose letter could have bounced."""
    bounce = bool(msg.bounce_signals)
    if bounce:
        for mid in msg.original_message_ids:
            rid = by_message_id(mid)
            if rid is not None:
                return Match(rid, "bounce-original", mid)
        if msg.original_message_ids:
            # It returns a message, and not one of ours: the user's own mail bounced.
            return Unmatched("a bounce of a message sar did not send")
        failed = {a.rpartition("@")[2] for a in msg.failed_recipients if "@" in a}

        def fits(rid: int) -> bool:
            # A bounce that names a reference must also have failed to reach that
            # organisation (when it says whom it failed to reach).
            domains = org_domains(rid)
            return not failed or any(p in domains for d in failed for p in parent_domains(d))
    else:
        def fits(rid: int) -> bool:
            return True
    # Latest first: In-Reply-To, then References from the end.
    for mid in [*msg.in_reply_to, *reversed(msg.references)]:
        rid = by_message_id(mid)
        if rid is not None:
            return Match(rid, "thread-headers", mid)
    for ref in refs.find_all(msg.subject):
        rid = by_ref(ref)
        if rid is not None and fits(rid):
            return Match(rid, "reference-in-subject", ref)
    for address in msg.recipients:
        for token in _PLUS.findall(address):
            ref = refs.normalise(token)
            rid = by_ref(ref)
            if rid is not None and fits(rid):
                return Match(rid, "plus-address", ref)
    for ref in refs.find_all(msg.text):
        rid = by_ref(ref)
        if rid is not None and fits(rid):
            return Match(rid, "reference-in-body", ref)
    if bounce:
        return Unmatched("a bounce that returns none of our messages")
    domain = msg.from_domain
    if not domain:
        return Unmatched("no sender address")
    if "list-id" in msg.headers or "list-unsubscribe" in msg.headers:
        return Unmatched(f"a mailing-list message from {domain}, not a reply")
    candidates = open_for_domain(domain)
    if len(candidates) == 1:
        return Match(candidates[0], "sender-domain", domain)
    if candidates:
        return Unmatched(f"{domain} has {len(candidates)} open requests: say which with "
                         "`sar link`")
    return Unmatched(f"nothing links it to a request (sender {domain})")


def parent_domains(domain: str) -> list[str]:
    """crm-mail.equifax.example -> [crm-mail.equifax.example, equifax.example]: an
    organisation's mail often comes from a subdomain of the domain it is known by."""
    labels = domain.lower().strip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]
