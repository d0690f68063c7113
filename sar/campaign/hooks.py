"""What the rest of sar asks of campaigns: the letter's sender and context, the
participant it names, and whether a request may go out now.

Letters, the outbox and the inbox call these; they import nothing of the campaign
commands, so a campaign is one more kind of request, not a second machine.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sar.errors import UsageError


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def email_hash(ws, email_key: str) -> str:
    """The participant's address as the rate limit and a purge remember it: salted
    per home, so a list of addresses cannot be checked against another home's."""
    row = ws.db.execute("SELECT salt FROM participant_salt WHERE id = 1").fetchone()
    if row is None:
        with ws.transaction():
            ws.db.execute("INSERT OR IGNORE INTO participant_salt (id, salt) VALUES (1, ?)",
                          [secrets.token_hex(16)])
        row = ws.db.execute("SELECT salt FROM participant_salt WHERE id = 1").fetchone()
    return sha256(f"{row[0]}:{email_key}")


def campaign_row(ws, campaign_id: int) -> dict:
    """A campaign's row with its JSON read, once per workspace."""
    cache = ws.memo.setdefault("campaigns", {})
    if campaign_id not in cache:
        row = next(ws.db.query("SELECT * FROM campaigns WHERE id = ?", [campaign_id]))
        row["settings"] = json.loads(row["settings"])
        row["orgs"] = json.loads(row["orgs"])
        row["kinds"] = json.loads(row["kinds"])
        cache[campaign_id] = row
    return cache[campaign_id]


def forget_rows(ws) -> None:
    """After a campaign changed (a purge): read its row again when next asked."""
    ws.memo.pop("campaigns", None)


def campaign_dir(ws, name: str) -> Path:
    return ws.home.root / "campaigns" / name


def campaign_templates(ws, campaign_id: int) -> Path | None:
    folder = campaign_dir(ws, campaign_row(ws, campaign_id)["name"]) / "templates"
    return folder if folder.is_dir() else None


def participant_identity(ws, row: dict) -> dict:
    """The person a campaign request is for, as a letter names them."""
    found = ws.db.execute("SELECT i.name, i.email, i.address, i.previous_addresses, "
                          "i.date_of_birth FROM identities i WHERE i.participant_id = ?",
                          [row["participant_id"]]).fetchone()
    if found is None:
        raise UsageError(f"{row['ref']}: its participant's details were purged; the letter "
                         "cannot be written again")
    name, email, address, previous, dob = found
    return {"name": name, "email": email, "address": json.loads(address),
            "previous_addresses": json.loads(previous or "[]"), "date_of_birth": dob}


def pseudonym_of(ws, participant_id: int) -> str:
    return ws.db.execute("SELECT pseudonym FROM participants WHERE id = ?",
                         [participant_id]).fetchone()[0]


def agent_context(ws, row: dict) -> dict | None:
    """Who writes on the participant's behalf, for the letter to say (agent mode)."""
    c = campaign_row(ws, row["campaign_id"])
    if c["mode"] != "agent":
        return None
    pseudonym = pseudonym_of(ws, row["participant_id"])
    return {"name": c["sender_name"], "email": c["sender_email"], "replies": c["replies"],
            "mandate_ref": f"{c['name']}/{pseudonym}"}


@dataclass
class Envelope:
    sender: str
    sender_name: str
    reply_to: str | None
    message_domain: str
    attachments: list = field(default_factory=list)


def envelope(ws, row: dict, me: dict) -> Envelope:
    """Who a campaign letter is from and where answers go. Message-IDs carry the
    campaign's domain, never the participant's, so the log holds no trace of them."""
    c = campaign_row(ws, row["campaign_id"])
    domain = c["sender_email"] or "campaign.invalid"
    if c["mode"] == "self":
        return Envelope(me["email"], me["name"], None, domain)
    digest = ws.db.execute("SELECT mandate_sha256, pseudonym FROM participants WHERE id = ?",
                           [row["participant_id"]]).fetchone()
    if not digest or not digest[0]:
        raise UsageError(f"{row['ref']}: its participant has no signed letter of authority")
    mandate = (f"letter-of-authority-{digest[1]}.txt", "text/plain",
               ws.evidence.get(digest[0]))
    reply_to = me["email"] if c["replies"] == "participant" else None
    return Envelope(c["sender_email"], f"{c['sender_name']} for {me['name']}", reply_to,
                    domain, [mandate])


def why_not_send(ws, row: dict) -> str | None:
    """Why a campaign request may not go out now (the outbox asks before each one):
    consent, a confirmed address and a signed mandate (campaigns.md §4)."""
    c = campaign_row(ws, row["campaign_id"])
    if c["purged_at"]:
        return f"campaign {c['name']} was purged"
    p = ws.db.execute("SELECT consented_at, confirmed_at, mandate_sha256, purged_at, pseudonym "
                      "FROM participants WHERE id = ?", [row["participant_id"]]).fetchone()
    consented, confirmed, mandate, purged, pseudonym = p
    if purged:
        return f"participant {pseudonym} was purged"
    if not consented:
        return f"participant {pseudonym} has not given consent"
    if c["mode"] == "self":
        return (f"a self-send campaign: {pseudonym} sends it from their own address "
                f"(`sar campaign send {c['name']}` writes it for them)")
    if not confirmed or not mandate:
        return (f"participant {pseudonym} has not confirmed their address and signed the "
                "letter of authority")
    return None
