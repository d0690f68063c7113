"""Participants, their consent and their letters of authority.

A participant is imported with or without consent; an invitation mails them a code
that proves they control their address, and returning it records their consent and,
for an agent campaign, signs their mandate (campaigns.md §2, §4). Codes are stored
only hashed.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path

from sar.campaign.hooks import email_hash, participant_identity, pseudonym_of, sha256
from sar.campaign.setup import opened
from sar.errors import NotFoundError, UsageError
from sar.store import db as store
from sar.store.db import now

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"  # as request references: no 0/O, 1/I/L


def new_code() -> str:
    """A confirmation code a participant can read and type: XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def code_hash(campaign_id: int, code: str) -> str:
    normal = code.strip().upper().replace("-", "").replace(" ", "")
    return sha256(f"{campaign_id}:{normal}")


def new_pseudonym(taken: set[str]) -> str:
    while True:
        p = "P-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))
        if p not in taken:
            taken.add(p)
            return p


def import_csv(ws, name: str, path: Path, skip_existing: bool = False) -> dict:
    """Read, check and store participants: all of them or none (with `skip_existing`,
    those already in the campaign are left out and counted)."""
    from sar.campaign.participants import read_participants

    c = opened(ws, name)
    existing = {r[0] for r in ws.db.execute(
        "SELECT email_key FROM identities WHERE campaign_id = ?", [c["id"]])}
    parsed = read_participants(Path(path), existing_keys=existing,
                               now=dt.datetime.now(dt.UTC), skip_existing=skip_existing)
    if not parsed.participants and not parsed.already:
        raise UsageError(f"{Path(path).name}: no participants")
    taken = {r[0] for r in ws.db.execute("SELECT pseudonym FROM participants")}
    email_hash(ws, "")  # the salt exists before the transaction
    consented = 0
    with ws.transaction():
        for p in parsed.participants:
            pid = store.insert(ws.db, "participants", {
                "campaign_id": c["id"], "pseudonym": new_pseudonym(taken),
                "consent_version": (p.consent_version or c["consent_version"])
                if p.consented_at else None,
                "consented_at": p.consented_at,
                "consent_source": "csv" if p.consented_at else None,
                "email_hash": email_hash(ws, p.email_key),
                "imported_at": now()})
            store.insert(ws.db, "identities", {
                "participant_id": pid, "campaign_id": c["id"], "name": p.name,
                "email": p.email, "email_key": p.email_key,
                "address": json.dumps(p.address, ensure_ascii=False),
                "date_of_birth": p.date_of_birth,
                "previous_addresses": json.dumps(p.previous_addresses, ensure_ascii=False)})
            consented += bool(p.consented_at)
    return {"campaign": c["name"], "imported": len(parsed.participants),
            "with_consent": consented, "ignored_columns": parsed.ignored_columns,
            "already": parsed.already}


def invite(ws, name: str, *, again: bool = False, dry_run: bool = False,
           progress=None) -> dict:
    """Mail each participant who has not confirmed yet a code that proves they
    control their address; returning it records their consent and, for an agent
    campaign, signs their letter of authority."""
    c = opened(ws, name)
    if not c["sender_email"]:
        raise UsageError(f"campaign {c['name']} has no mailbox to invite from: it was "
                         "created without --from")
    sql = ("SELECT p.id, p.pseudonym, i.name, i.email FROM participants p JOIN identities "
           "i ON i.participant_id = p.id WHERE p.campaign_id = ? AND p.confirmed_at IS NULL"
           + ("" if again else " AND p.invited_at IS NULL") + " ORDER BY p.id")
    rows = ws.db.execute(sql, [c["id"]]).fetchall()
    if dry_run:
        return {"campaign": c["name"], "would_invite": len(rows), "invited": 0}
    transport = ws.sending.transport()
    transport.open()
    try:
        invited, failed = _invite_all(ws, c, rows, transport, progress)
    finally:
        transport.close()
    return {"campaign": c["name"], "invited": invited, "failed": failed}


BATCH = 200  # invitations whose codes are committed together before any of them goes


def _invite_all(ws, c: dict, rows, transport, progress=None) -> tuple[int, list[str]]:
    """Invite the rows a batch at a time; `progress(done, total, pseudonym)` before each."""
    invited, failed = 0, []
    orgs = orgs_named(ws, c)
    for start in range(0, len(rows), BATCH):
        tick = None if progress is None else (
            lambda i, who, start=start: progress(start + i, len(rows), who))
        done, lost, stop = _invite_batch(ws, c, rows[start:start + BATCH], orgs, transport,
                                         tick)
        invited += done
        failed += lost
        if stop:
            break
    return invited, failed


def _invite_batch(ws, c: dict, batch, orgs, transport,
                  tick=None) -> tuple[int, list[str], bool]:
    """One batch: the codes stored (hashed) in one transaction before any mail goes,
    so a code that reached someone always works; then each invitation handed over;
    then, in one more transaction, the participants whose mail certainly did not go
    put back as they were, to be invited next time. (invited, failed, stop?)"""
    from sar.mail import compose
    from sar.mail.transports import DeliveryFailed, SetupError

    ids = [pid for pid, *_ in batch]
    before = {pid: (token, at) for pid, token, at in ws.db.execute(
        "SELECT id, token_sha256, invited_at FROM participants WHERE id IN "
        "(SELECT value FROM json_each(?))", [json.dumps(ids)])}
    codes = {pid: new_code() for pid in ids}
    with ws.transaction():
        ws.db.conn.executemany(
            "UPDATE participants SET token_sha256 = ?, invited_at = ? WHERE id = ?",
            [(code_hash(c["id"], codes[pid]), now(), pid) for pid in ids])
    invited, failed, undo, stop = 0, [], [], False
    for i, (pid, pseudonym, person, email) in enumerate(batch):
        if tick:
            tick(i, pseudonym)
        if stop:  # the transport cannot send at all: the rest did not go either
            undo.append(pid)
            continue
        code = codes[pid]
        msg = compose.compose(
            subject=f"Please confirm your part in {c['sender_name']} [{code}]",
            body=invitation(c, person, code, orgs), sender_name=c["sender_name"],
            sender_email=c["sender_email"], to_name=person, to_email=email,
            message_id=compose.new_message_id(pseudonym, c["sender_email"]),
            when=dt.datetime.now(dt.UTC).replace(microsecond=0))
        try:
            transport.deliver(compose.as_bytes(msg), c["sender_email"], [email])
        except (DeliveryFailed, SetupError) as e:
            # It certainly did not go. The server's words name the address, so they
            # are not repeated.
            undo.append(pid)
            stop = isinstance(e, SetupError)
            continue
        invited += 1
    if undo:
        with ws.transaction():
            ws.db.conn.executemany(
                "UPDATE participants SET token_sha256 = ?, invited_at = ? WHERE id = ?",
                [(*before[pid], pid) for pid in undo])
        failed = [pseudonym for pid, pseudonym, *_ in batch if pid in set(undo)]
    return invited, failed, stop


def confirm(ws, name: str, codes: list[str], on: dt.datetime | None = None) -> dict:
    """Record the codes participants sent back. Any unknown code: nothing is recorded
    (a typo must not confirm someone else)."""
    c = opened(ws, name)
    if not codes:
        raise UsageError("give the codes participants returned")
    wanted = {code_hash(c["id"], code): code for code in codes}
    found = {}
    hashes = list(wanted)
    for i in range(0, len(hashes), 5000):
        found |= {r[1]: r[0] for r in ws.db.execute(
            "SELECT id, token_sha256 FROM participants WHERE campaign_id = ? AND "
            "token_sha256 IN (SELECT value FROM json_each(?))",
            [c["id"], json.dumps(hashes[i:i + 5000])])}
    unknown_codes = [code for h, code in wanted.items() if h not in found]
    if unknown_codes and not found:
        raise UsageError(f"{len(unknown_codes)} of {len(wanted)} codes match no invited "
                         f"participant of {c['name']} (first: {unknown_codes[0]!r}); "
                         "nothing was recorded")
    # The codes that match are recorded; one typo must not hold back 35 good codes,
    # and a typo never confirms anyone else (a code matches one person or no one).
    pids = [found[h] for h in wanted if h in found]
    when = (on or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    orgs = orgs_named(ws, c)
    confirmed = 0
    for i in range(0, len(pids), BATCH):
        confirmed += _confirm_batch(ws, c, pids[i:i + BATCH], when, orgs)
    return {"campaign": c["name"], "confirmed": confirmed,
            "already": len(pids) - confirmed, "unknown": unknown_codes}


def _confirm_batch(ws, c: dict, pids: list[int], when: str, orgs: list[str]) -> int:
    """Confirm these participants in one transaction: consent (if the invitation's
    code is their agreement) and, for an agent campaign, the signed mandate."""
    rows = ws.db.execute(
        "SELECT id, confirmed_at, consented_at FROM participants WHERE id IN "
        "(SELECT value FROM json_each(?))", [json.dumps(pids)]).fetchall()
    todo = [(pid, consented) for pid, confirmed, consented in rows if not confirmed]
    with ws.transaction():
        for pid, consented in todo:
            values = {"confirmed_at": when}
            if not consented:
                # The invitation showed the consent text: returning the code is the
                # participant's agreement to it.
                values |= {"consented_at": when, "consent_version": c["consent_version"],
                           "consent_source": "confirmation"}
            if c["mode"] == "agent":
                values["mandate_sha256"] = sign_mandate(ws, c, pid, when, orgs)
            sets = ", ".join(f"{k} = ?" for k in values)
            ws.db.execute(f"UPDATE participants SET {sets} WHERE id = ?",
                          [*values.values(), pid])
    return len(todo)


def sign_mandate(ws, c: dict, pid: int, when: str, orgs: list[str] | None = None) -> str:
    """The participant's letter of authority, kept as evidence: its digest."""
    from sar.campaign.mandate import mandate_text

    person = participant_identity(ws, {"participant_id": pid, "ref": ""})
    data = mandate_text(c, person, pseudonym_of(ws, pid),
                        orgs_named(ws, c) if orgs is None else orgs, when)
    return ws.evidence.put(data)


def orgs_named(ws, c: dict) -> list[str]:
    names = []
    for slug in c["orgs"]:
        try:
            names.append(ws.directory.get(slug).name)
        except NotFoundError:
            names.append(slug)
    return names


def invitation(c: dict, person: str, code: str, orgs: list[str]) -> str:
    lines = [f"Dear {person},", "",
             f"You signed up to take part in {c['sender_name']}. Before anything is sent in "
             "your name, please confirm that this is your email address and that you agree "
             "to the text below, by replying to this message with the code in its subject "
             f"line: {code}", "",
             "What you agree to (version " + c["consent_version"] + "):", "",
             c["consent_text"], ""]
    if c["mode"] == "agent":
        lines += ["Returning the code also signs a letter of authority: it allows "
                  f"{c['sender_name']} to send these requests for you "
                  f"({', '.join(c['kinds'])}) to: " + ", ".join(orgs) + ". Each organisation "
                  "will be asked to send its answer and your data to you, at this address.",
                  ""]
    lines += ["If you did not sign up, ignore this message: nothing will be sent.", "",
              c["sender_name"]]
    return "\n".join(lines) + "\n"
