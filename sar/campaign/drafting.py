"""Drafting a campaign's requests: one per ready participant × organisation × kind,
once each, with the same person not asked twice lately (rate limit per person ×
organisation, across campaigns)."""

from __future__ import annotations

import datetime as dt

from sar.campaign.setup import opened
from sar.core.lifecycle import Event
from sar.drafting import org_snapshot
from sar.errors import UsageError
from sar.store import db as store
from sar.store import requests as request_table
from sar.store.events import first_event_record

CHUNK = 500  # participants per transaction when drafting; requests per outbox batch


def readiness(ws, c: dict) -> dict:
    """Participants, and those ready: consent (and, for an agent campaign, a confirmed
    address and a signed mandate)."""
    need_confirm = c["mode"] == "agent"
    total, ready = ws.db.execute(
        "SELECT COUNT(*), SUM(consented_at IS NOT NULL"
        + (" AND confirmed_at IS NOT NULL AND mandate_sha256 IS NOT NULL"
           if need_confirm else "") + ") FROM participants WHERE campaign_id = ? "
        "AND purged_at IS NULL",
        [c["id"]]).fetchone()
    return {"participants": total, "ready": ready or 0}


def draft(ws, name: str, *, ready_only: bool = False) -> dict:
    """Draft every request the campaign owes its ready participants (once each)."""
    c = opened(ws, name)
    r = readiness(ws, c)
    if not r["participants"]:
        raise UsageError(f"campaign {c['name']} has no participants yet "
                         f"(`sar campaign import {c['name']} FILE.csv`)")
    waiting = r["participants"] - r["ready"]
    what = ("given consent" if c["mode"] == "self" else
            "confirmed their address (`sar campaign invite`, then `sar campaign confirm`)")
    if not r["ready"]:
        raise UsageError(f"no participant of {c['name']} has {what} yet: nothing was sent")
    if waiting and not ready_only:
        raise UsageError(f"{waiting} of {r['participants']} participants of {c['name']} "
                         f"have not {what}; nothing was sent (add --ready-only to send "
                         "for the others)")
    return _draft_ready(ws, c)


def _ready_chunks(ws, c: dict):
    """Ready participants (id, pseudonym, email hash), CHUNK at a time."""
    last = 0
    while True:
        chunk = ws.db.execute(
            "SELECT p.id, p.pseudonym, p.email_hash FROM participants p JOIN identities i "
            "ON i.participant_id = p.id WHERE p.campaign_id = ? AND p.id > ? AND "
            "p.consented_at IS NOT NULL AND p.purged_at IS NULL"
            + (" AND p.confirmed_at IS NOT NULL AND p.mandate_sha256 IS NOT NULL"
               if c["mode"] == "agent" else "") + " ORDER BY p.id LIMIT ?",
            [c["id"], last, CHUNK]).fetchall()
        if not chunk:
            return
        last = chunk[-1][0]
        yield chunk


def _draft_ready(ws, c: dict) -> dict:
    settings = c["settings"]
    plans, org_ids = {}, {}
    for slug in c["orgs"]:
        org = ws.directory.get(slug)
        for kind in c["kinds"]:
            plans[(slug, kind)] = ws.drafting.plan(org, settings["calendar"], kind,
                                                   settings["regime"], "email",
                                                   settings["lang"], again=True)
    drafted = limited = 0
    since = (ws.today - dt.timedelta(days=settings["repeat_days"])).isoformat()
    for chunk in _ready_chunks(ws, c):
        with ws.transaction():
            for slug in c["orgs"]:
                if slug not in org_ids:
                    org_ids[slug] = request_table.snapshot(
                        ws.db, "organisations", org_snapshot(ws.directory.get(slug)))
            for pid, pseudonym, hashed in chunk:
                d, lim = _draft_for(ws, c, plans, org_ids, pid, pseudonym, hashed, since)
                drafted += d
                limited += lim
    return {"drafted": drafted, "rate_limited": limited}


def _draft_for(ws, c, plans, org_ids, pid, pseudonym, hashed, since) -> tuple[int, int]:
    """One participant's drafts: (drafted, held back by the rate limit)."""
    have = {(s, k) for s, k in ws.db.execute(
        "SELECT org_slug, kind FROM requests WHERE participant_id = ?", [pid])}
    # The same person, the same kind, the same organisation, lately: in this campaign
    # or another (rate limit per person × organisation).
    recent = {(s, k) for s, k in ws.db.execute(
        "SELECT r.org_slug, r.kind FROM requests r JOIN participants p ON "
        "p.id = r.participant_id WHERE p.email_hash = ? AND "
        "r.participant_id != ? AND r.created_on >= ?", [hashed, pid, since])}
    requester_id = None
    drafted = limited = 0
    for (slug, kind), plan in plans.items():
        if (slug, kind) in have:
            continue
        if (slug, kind) in recent:
            limited += 1
            continue
        if requester_id is None:
            # A campaign request's requester row names the pseudonym only.
            requester_id = request_table.snapshot(ws.db, "requesters", {
                "name": pseudonym, "email": None, "address": [],
                "previous_addresses": [], "date_of_birth": None,
                "calendar": c["settings"]["calendar"]})
        row = request_table.new_row(
            ref=ws.drafting.unused_ref(), requester_id=requester_id,
            organisation_id=org_ids[slug], org_slug=slug, kind=kind, plan=plan,
            details={}, today=ws.today, campaign_id=c["id"], participant_id=pid)
        rid = request_table.insert(ws.db, row)
        store.insert(ws.db, "events", first_event_record(
            rid, Event("drafted", ws.today, "system",
                       {"org": slug, "channel": "email", "campaign": c["name"]})))
        drafted += 1
    return drafted, limited
