"""What a letter asks for, by organisation kind and request kind.

Pure policy: an organisation's kind (and slug), the request's kind and the user's
choices in; the scope of the letter, the ground it names and the warnings `sar new`
prints out. A letter that asks only for what the law gives is one a data protection
officer cannot refuse in part and then in whole.
"""

from __future__ import annotations

# Credit reference agencies hold the credit file on legitimate interests (and the
# CRAIN); an erasure of "everything" is refused, and the refusal covers the marketing
# data too. Their marketing data falls to an absolute Art. 21(2) objection and so to
# Art. 17(1)(c). Brokers' data is marketing data throughout.
MARKETING_SCOPED = ("credit-reference-agency", "data-broker")
SCOPES = ("marketing", "all")

# Marketing products named in the ICO enforcement notice against Experian (12 Oct
# 2020) and [2023] UKFTT 132 (GRC): the letter names them so none is left out.
MARKETING_PRODUCTS = {
    "experian": ("Mosaic", "ChannelView", "ConsumerView"),
}

# Art. 18(1)(a)-(d): restriction is owed on one of four grounds; the letter names
# the user's.
RESTRICTION_GROUNDS = {
    "accuracy": "a",      # accuracy contested, while it is checked
    "unlawful": "b",      # unlawful processing, restriction instead of erasure
    "legal-claims": "c",  # no longer needed by the controller, needed for my claims
    "objection": "d",     # while an Art. 21(1) objection is weighed
}

# Art. 20(1)(a): portability covers data processed on consent or contract only.
# Parties rely on public task / democratic engagement (DPA 2018 s.8(e)), credit
# reference agencies and brokers on legitimate interests, regulators on public task.
NO_PORTABILITY = {
    "political-party": "a political party relies on public task or democratic "
                       "engagement (DPA 2018 s.8(e)), not on consent or a contract",
    "credit-reference-agency": "a credit reference agency relies on legitimate interests",
    "data-broker": "a data broker relies on legitimate interests",
    "supervisory-authority": "a public authority relies on its public task",
}

# Data minimisation (Art. 5(1)(c)): a date of birth helps a credit reference agency
# find the right file, but lets a party or a broker enrich what it holds.
DOB_BY_KIND = {"credit-reference-agency": True, "platform": True}
DOB_CHOICES = ("by-kind", "always", "never")


def erasure_scope(org_kind: str, asked: str | None) -> str:
    """'marketing' (only the data used for marketing, the credit file left alone) or
    'all'. The user's `--scope` wins; by default a CRA or broker letter is scoped."""
    if asked:
        return asked
    return "marketing" if org_kind in MARKETING_SCOPED else "all"


def marketing_products(slug: str) -> tuple[str, ...]:
    return MARKETING_PRODUCTS.get(slug, ())


def portability_warning(org_kind: str) -> str | None:
    """Why Art. 20 cannot apply to this organisation, with what to ask instead."""
    why = NO_PORTABILITY.get(org_kind)
    if why is None:
        return None
    return (f"portability (Article 20) applies only to data processed on consent or a "
            f"contract, and {why}: the request may be refused. Ask for access instead "
            "(`sar new access`), which gives you a copy in a commonly used electronic "
            "form (Articles 12(3), 15(3))")


def sends_date_of_birth(org_kind: str, setting: str = "by-kind") -> bool:
    """Whether the identification paragraph gives the date of birth."""
    if setting == "always":
        return True
    if setting == "never":
        return False
    return DOB_BY_KIND.get(org_kind, False)
