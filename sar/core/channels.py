"""How a request reaches an organisation: by email or by post, and when it cannot.

Pure: the organisation's contact facts and the user's `--via` in, a channel or a
reason out. A regulator is never written a request: it takes complaints.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Refusal:
    """Why a request cannot be drafted to one organisation. `shared` words the same
    reason for many at once (fifty regulators in a group make one line)."""

    reason: str
    shared: str | None = None


def choose(slug: str, kind: str | None, channel: str | None, email: str | None,
           address, webform: str | None, via: str | None) -> str | Refusal:
    """'email' or 'post', or a Refusal. `kind`, `channel`, `email`, `address` and
    `webform` are the organisation's record; `via` the user's choice, if any."""
    if kind == "supervisory-authority":
        return Refusal(f"{slug} is a regulator: it takes complaints about other "
                       "organisations, not requests",
                       "they are regulators: they take complaints, not requests")
    if via is None and channel == "webform" and webform:
        other = "--via email" if email else "--via post" if address else None
        return Refusal(f"{slug} asks for requests through its web form, {webform}"
                       + (f"; to write anyway, add {other}" if other else
                          "; sar cannot fill in a web form"))
    chosen = via or ("email" if email and channel != "post" else
                     "post" if address else "email" if email else None)
    if chosen is None:
        return Refusal(f"no email or postal address is known for {slug}: add one with "
                       f"`sar orgs edit {slug} --email ADDRESS`",
                       "no email or postal address is known for them: add one with "
                       "`sar orgs edit SLUG --email ADDRESS`")
    if chosen == "email" and not email:
        return Refusal(f"no email address is known for {slug}: use --via post"
                       if address else f"no email address is known for {slug}")
    if chosen == "post" and not address:
        return Refusal(f"no postal address is known for {slug}: use --via email"
                       if email else f"no postal address is known for {slug}")
    return chosen
