"""Whose answer a reply is: only the organisation's words change a request.

Matching (sar.core.matching) says which request a message concerns; this says
whether it may change that request's status. DESIGN.md: a reply counts when it is
tied to the organisation — it answers our own Message-ID in its thread headers, or
it comes from one of the organisation's domains (or a processor domain its record
names: the ticket and privacy platforms organisations answer through) — and the
user's provider has not failed it (DKIM/DMARC, RFC 8601). A bounce counts only when
it returns our original message or arrives on our thread: anyone can put a
reference in a subject. Everything else is kept and waits in `sar inbox`.

Pure: labels, signals, domains and the provider's verdict in, a Verdict out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sar.core.matching import parent_domains

# What a reply may record: every label that is an event of its own (acknowledged,
# id-requested, ..., bounced). A plain "reply-received" changes no status.
THREAD_SIGNALS = ("bounce-original", "thread-headers")


@dataclass(frozen=True)
class Verdict:
    counts: bool        # may the reply's event be recorded?
    trust: str          # pass | fail | unaligned | unverified: stored and shown
    why: str            # for `sar inbox` when it is held


def aligned(sender_domain: str | None, org_domains: set[str]) -> bool:
    """The sender writes from one of the organisation's domains (or a subdomain)."""
    if not sender_domain:
        return False
    wanted = {d.lower().strip(".") for d in org_domains}
    return any(p in wanted for p in parent_domains(sender_domain))


def judge(label: str, event_labels: tuple[str, ...], signal: str | None,
          sender_domain: str | None, org_domains: set[str], auth: str,
          org: str) -> Verdict:
    """May a reply labelled `label`, matched by `signal`, from `sender_domain`, record
    its event on a request to `org` (whose domains are `org_domains`)? `auth` is the
    user's provider's verdict: pass, fail or unverified."""
    is_ours = aligned(sender_domain, org_domains)
    # "Verified" means verified as the organisation: a pass for another domain is
    # only that domain vouching for itself.
    trust = "unaligned" if auth == "pass" and not is_ours else auth
    if label not in event_labels:
        return Verdict(True, trust, "")
    if auth == "fail":
        return Verdict(False, trust, "your provider says it failed DKIM/DMARC")
    if label == "bounced":
        if signal in THREAD_SIGNALS:
            return Verdict(True, trust, "")
        return Verdict(False, trust, "a bounce that does not return our letter names only "
                                     "the reference, which anyone can write")
    if signal in THREAD_SIGNALS or is_ours:
        return Verdict(True, trust, "")
    where = sender_domain or "no sender address"
    return Verdict(False, trust, f"it comes from {where}, which is not one of {org}'s "
                                 "domains, and it does not reply to our letter")
