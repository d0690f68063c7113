"""`sar campaign purge`: delete the people, keep the pseudonymous numbers.

After the retention date (or earlier with --force, or for one participant at any
time: their own erasure request to us) it deletes participant identities, their
letters of authority and confirmation codes, the raw letters and replies of their
requests (evidence files, attachments, outbox copies, handed-out .eml files), and
any unmatched message or outbox file that names them. What stays is what the
report needs: requests and their events, which name only a pseudonym.

Files are deleted before the database records the purge, so a purge stopped at any
point (a crash, SIGKILL) is finished by running it again; the database is then
vacuumed so deleted rows do not linger in free pages or the write-ahead log.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from sar.core.review import ITEMS
from sar.errors import NotFoundError, UsageError
from sar.store.db import now

_EMAILISH = re.compile(rb"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")



def purge(campaigns, name: str, *, force: bool = False, participant: str | None = None,
          stop_after=None) -> dict:
    """Purge a whole campaign, or one participant (by email or pseudonym). Returns
    the receipt. `stop_after` is for the crash tests: called between steps."""
    from sar.campaign.hooks import campaign_row, forget_rows

    ws = campaigns.ws
    c = campaigns.get(name)
    step = stop_after or (lambda _: None)
    if participant is None and not c["purged_at"] and not force and \
            ws.today < dt.date.fromisoformat(c["retain_until"]):
        raise UsageError(f"campaign {c['name']} is kept until {c['retain_until']}: purge it "
                         "earlier only with --force")
    plan = _plan(ws, c, _participants(ws, c, participant))
    receipt = {"campaign": c["name"], "purged_at": now(),
               "scope": "campaign" if participant is None else "one participant",
               "participants": len(plan.pids), "identities_deleted": plan.people,
               "messages_emptied": len(plan.messages), "evidence_files_deleted": 0,
               "outbox_files_deleted": 0, "handed_out_files_deleted": 0,
               "kept": {}}
    step("planned")
    _delete_files(ws, c, plan, receipt, step)           # 1. each deletion final on its own
    _forget_rows(ws, c, plan, receipt, whole=participant is None)  # 2. one transaction
    step("committed")
    forget_rows(ws)
    campaign_row(ws, c["id"])
    # 3. No trace in free pages or the write-ahead log.
    conn = ws.db.conn
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    step("vacuumed")
    _finish_receipt(ws, c, plan, receipt)
    return receipt


def _participants(ws, c: dict, participant: str | None) -> list[int]:
    db = ws.db
    if participant is None:
        return [r[0] for r in db.execute("SELECT id FROM participants WHERE campaign_id = ?",
                                         [c["id"]])]
    from sar.campaign.hooks import email_hash

    # By pseudonym or address; the address by its salted hash, so a purge stopped
    # after its commit finds the person again.
    found = db.execute(
        "SELECT id FROM participants WHERE campaign_id = ? AND (pseudonym = ? OR "
        "email_hash = ?)", [c["id"], participant.strip().upper(),
                            email_hash(ws, participant.strip().casefold())]).fetchone()
    if found is None:
        raise NotFoundError(f"no participant {participant!r} in campaign {c['name']}")
    return [found[0]]


@dataclass
class _Plan:
    pids: list[int]
    people: int                 # identities to delete
    emails: set[bytes]          # their addresses, as the outbox sweep looks for them
    request_ids: list[int]
    messages: dict[int, str]    # message id -> its evidence digest (or "")
    digests: set[str]           # evidence files to delete: named by nothing else

    @property
    def pid_json(self) -> str:
        return json.dumps(self.pids)

    @property
    def mids_json(self) -> str:
        return json.dumps(list(self.messages))

    @property
    def rids_json(self) -> str:
        return json.dumps(self.request_ids)


def _plan(ws, c: dict, pids: list[int]) -> _Plan:
    from sar.store.evidence import owners

    db = ws.db
    people = list(db.execute(
        "SELECT i.email, i.name, i.address FROM identities i WHERE i.participant_id IN "
        "(SELECT value FROM json_each(?))", [json.dumps(pids)]))
    emails = {_ascii_email(e).lower().encode() for e, _, _ in people}
    matcher = _matcher([n for _, n, _ in people],
                       [json.loads(a)[0] for _, _, a in people if json.loads(a)])
    request_ids = [r[0] for r in db.execute(
        "SELECT id FROM requests WHERE participant_id IN (SELECT value FROM json_each(?))",
        [json.dumps(pids)])]
    # What to delete: the messages of these requests, and any unmatched message that
    # names one of the people (a reply that lost its reference, a bounce).
    messages = {r[0]: r[1] or "" for r in db.execute(
        "SELECT id, sha256 FROM messages WHERE request_id IN "
        "(SELECT value FROM json_each(?))", [json.dumps(request_ids)])}
    for mid, digest in db.execute("SELECT id, sha256 FROM messages WHERE request_id IS NULL "
                                  "AND sha256 IS NOT NULL"):
        try:
            raw = ws.evidence.get(digest)
        except OSError:
            continue
        if _names_someone(raw, emails, matcher):
            messages[mid] = digest
    # Evidence still named by anything not being purged stays (identical bytes: the
    # same privacy notice sent to two people, a reply kept for the operator).
    everything = set(owners(db))
    keep = set(owners(db, except_messages=list(messages), except_participants=pids,
                      except_requests=request_ids))
    digests = {d for d in everything - keep}
    return _Plan(pids, len(people), emails, request_ids, messages, digests)


def _delete_files(ws, c: dict, plan: _Plan, receipt: dict, step) -> None:
    """Evidence, outbox copies and handed-out letters. A rerun finds what is left."""
    from sar.campaign.hooks import campaign_dir

    for digest in sorted(plan.digests):
        path = ws.evidence.path(digest)
        if path.exists():
            path.unlink()
            receipt["evidence_files_deleted"] += 1
            step("evidence")
    receipt["outbox_files_deleted"] = _sweep_outbox(ws.home.outbox, plan.emails, step)
    letters = campaign_dir(ws, c["name"]) / "letters"
    for (pseudonym,) in ws.db.execute(
            "SELECT pseudonym FROM participants WHERE id IN (SELECT value FROM json_each(?))",
            [plan.pid_json]).fetchall():
        folder = letters / pseudonym
        if folder.is_dir():
            receipt["handed_out_files_deleted"] += sum(1 for _ in folder.iterdir())
            shutil.rmtree(folder)
            step("letters")
    step("files")


_REVIEW_QUOTES = ", ".join(
    ["'$.files', json('[]')", "'$.segments', json('[]')",
     *[f"'$.items.{item}.evidence', json('[]')" for item in ITEMS]])


def _forget_rows(ws, c: dict, plan: _Plan, receipt: dict, whole: bool) -> None:
    conn = ws.db.conn
    conn.execute("PRAGMA secure_delete = ON")  # freed pages are zeroed, not left readable
    mids, pid_json = plan.mids_json, plan.pid_json
    with ws.transaction():
        conn.execute("DELETE FROM attachments WHERE message_id IN "
                     "(SELECT value FROM json_each(?))", [mids])
        conn.execute(
            "UPDATE messages SET subject = NULL, from_addr = NULL, to_addrs = NULL, "
            "sha256 = NULL, evidence_text = NULL, reason = NULL, match_detail = NULL, "
            "detail = 'purged', refs = NULL, updated_at = ?, state = CASE state WHEN "
            "'handed-out' THEN 'purged' ELSE state END WHERE id IN "
            "(SELECT value FROM json_each(?))", [now(), mids])
        conn.executemany("INSERT OR IGNORE INTO purged_evidence (sha256, purged_at) "
                         "VALUES (?, ?)", [(d, receipt["purged_at"]) for d in plan.digests])
        # A review quotes the answer (which may name the person): keep what the
        # report counts (each item's status, the names disclosed), drop the quotes.
        conn.execute(f"UPDATE reviews SET result = json_set(result, {_REVIEW_QUOTES}) "
                     "WHERE request_id IN (SELECT value FROM json_each(?))",
                     [plan.rids_json])
        conn.execute("DELETE FROM identities WHERE participant_id IN "
                     "(SELECT value FROM json_each(?))", [pid_json])
        conn.execute("UPDATE participants SET token_sha256 = NULL, mandate_sha256 = NULL, "
                     "purged_at = COALESCE(purged_at, ?) WHERE id IN "
                     "(SELECT value FROM json_each(?))", [receipt["purged_at"], pid_json])
        if whole:
            conn.execute("UPDATE campaigns SET purged_at = COALESCE(purged_at, ?) WHERE id = ?",
                         [receipt["purged_at"], c["id"]])


def _finish_receipt(ws, c: dict, plan: _Plan, receipt: dict) -> None:
    from sar.campaign.hooks import campaign_dir
    from sar.files import write_private

    db = ws.db
    notes = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'note' AND source = 'user' "
                       "AND request_id IN (SELECT value FROM json_each(?))",
                       [plan.rids_json]).fetchone()[0]
    if notes:
        # The log is append-only: free text someone typed stays. Say so.
        receipt["warning"] = (f"{notes} notes typed into these requests' logs (sar mark "
                              "--note) are kept as written: check they name no one")
    receipt["kept"] = {
        "requests": db.execute("SELECT COUNT(*) FROM requests WHERE campaign_id = ?",
                               [c["id"]]).fetchone()[0],
        "events": db.execute("SELECT COUNT(*) FROM events WHERE request_id IN (SELECT id FROM "
                             "requests WHERE campaign_id = ?)", [c["id"]]).fetchone()[0],
        "participants_as_pseudonyms": db.execute(
            "SELECT COUNT(*) FROM participants WHERE campaign_id = ?", [c["id"]]).fetchone()[0],
    }
    folder = ws.home.subdir(campaign_dir(ws, c["name"]))
    stamp = receipt["purged_at"].replace(":", "").replace("-", "")[:15]
    write_private(folder / f"purge-receipt-{stamp}.json",
                  json.dumps(receipt, indent=2).encode())


def _ascii_email(email: str) -> str:
    local, _, domain = email.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return email


def _matcher(names: list[str], first_lines: list[str]):
    """Whole names (two words or more) and first address lines (with a number), as
    whole words: 'Mark' alone would delete every mail about trademarks."""
    needles = [n for n in names if len(n.split()) >= 2]
    needles += [a for a in first_lines if len(a) >= 6 and any(ch.isdigit() for ch in a)]
    if not needles:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(set(needles), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _names_someone(raw: bytes, emails: set[bytes], matcher) -> bool:
    """Whether a message names a purged person: their address anywhere in its bytes
    or decoded text, or their name or street in any decoded header, text or text
    attachment (base64 and quoted-printable hide them from a byte search)."""
    if any(m.group().lower() in emails for m in _EMAILISH.finditer(raw)):
        return True
    from sar.mail import inbound

    msg = inbound.parse(raw)
    parts = [msg.subject, msg.from_name, msg.text,
             *(a.data[:2_000_000].decode("utf-8", "replace") for a in msg.attachments
               if (a.content_type or "").startswith("text/"))]
    text = "\n".join(p for p in parts if p)
    if any(m.group().lower() in emails for m in _EMAILISH.finditer(text.encode())):
        return True
    return bool(matcher and matcher.search(text))


def _sweep_outbox(outbox: Path, emails: set[bytes], step) -> int:
    """Letters and invitations in the Maildir outbox to or for a purged person: each
    carries their address (To, Reply-To or From), so the address alone decides."""
    deleted = 0
    for sub in ("new", "cur", "tmp"):
        folder = outbox / sub
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                raw = path.read_bytes()
            except OSError:
                continue
            if any(m.group().lower() in emails for m in _EMAILISH.finditer(raw)):
                path.unlink()
                deleted += 1
                step("outbox")
    return deleted
