"""Campaigns: many participants, many organisations, one honest report.

A campaign is a group's list of organisations and request kinds, the people who
asked the group to make those requests (participants), and a retention date. It
reuses the single-person machinery throughout: the same requests, events, letters,
outbox and inbox, so there is one way to send and one way to read replies.

What it adds (campaigns.md §2 and §4):

- Participants are kept apart from the request log. `participants` holds only a
  pseudonym and the consent, confirmation and mandate records; `identities` holds
  the person and is what `purge` deletes. A campaign request's requester row names
  the pseudonym only, so events, statistics and exports never carry the person.
- Two sending modes. *self*: each participant's letters are written as .eml files
  for them to send from their own address (the request is theirs; the reply comes
  to them); the campaign learns a letter went when the participant's copy reaches
  the campaign mailbox or they confirm it. *agent*: the campaign mailbox sends on
  their behalf, with their signed letter of authority attached, and asks the
  organisation to answer the participant (Consumer Reports' recommendation).
- Agent mode sends only for participants who proved control of their address with
  a code and so signed the mandate; no request is sent for anyone without consent.
  The same person is not sent the same kind of request to the same organisation
  twice within `repeat_days`, across campaigns (rate limit per person × org).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sar.core import lifecycle
from sar.errors import NotFoundError, SarError, UsageError, did_you_mean

MODES = ("self", "agent")
REPLIES = ("participant", "campaign")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"  # as request references: no 0/O, 1/I/L
DEFAULT_RETENTION_DAYS = 365
DEFAULT_REPEAT_DAYS = 30
CHUNK = 500  # participants per transaction when drafting; requests per outbox batch

DEFAULT_CONSENT = """\
I ask {campaign} to make data-protection requests in my name to the organisations
the campaign lists, and to follow them up (reminders and complaints to the
regulator) until they are answered.

I agree that {campaign} keeps my name, email and postal address only to do this,
and deletes them on {retain_until} at the latest, or earlier if I ask. The
organisations' answers are counted in statistics that never name me, and no
published figure counts fewer than five people.

I can withdraw this consent at any time by writing to {contact}."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def new_code() -> str:
    """A confirmation code a participant can read and type: XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def email_hash(ws, email_key: str) -> str:
    """The participant's address as the rate limit and a purge remember it: salted
    per home, so a list of addresses cannot be checked against another home's."""
    row = ws.db.execute("SELECT salt FROM participant_salt WHERE id = 1").fetchone()
    if row is None:
        with ws.transaction():
            ws.db.execute("INSERT OR IGNORE INTO participant_salt (id, salt) VALUES (1, ?)",
                          [secrets.token_hex(16)])
        row = ws.db.execute("SELECT salt FROM participant_salt WHERE id = 1").fetchone()
    return _sha256(f"{row[0]}:{email_key}")


def _code_hash(campaign_id: int, code: str) -> str:
    normal = code.strip().upper().replace("-", "").replace(" ", "")
    return _sha256(f"{campaign_id}:{normal}")


# -- what the workspace asks of campaigns (letters, compose) ---------------------------


def campaign_row(ws, campaign_id: int) -> dict:
    cache = ws.__dict__.setdefault("_campaigns", {})
    if campaign_id not in cache:
        row = next(ws.db.query("SELECT * FROM campaigns WHERE id = ?", [campaign_id]))
        row["settings"] = json.loads(row["settings"])
        row["orgs"] = json.loads(row["orgs"])
        row["kinds"] = json.loads(row["kinds"])
        cache[campaign_id] = row
    return cache[campaign_id]


def campaign_templates(ws, campaign_id: int) -> Path | None:
    folder = campaign_dir(ws, campaign_row(ws, campaign_id)["name"]) / "templates"
    return folder if folder.is_dir() else None


def campaign_dir(ws, name: str) -> Path:
    return ws.home.root / "campaigns" / name


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
    """Why a campaign request may not go out now (the outbox asks before each one)."""
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


# -- the library ---------------------------------------------------------------------


class Campaigns:
    """Campaigns in one sar home."""

    def __init__(self, ws):
        self.ws = ws

    @property
    def db(self):
        return self.ws.db

    # -- creating ----------------------------------------------------------------

    def get(self, name: str) -> dict:
        if self.ws.home.db_path.exists():
            row = self.db.execute("SELECT id FROM campaigns WHERE name = ?",
                                  [name.strip()]).fetchone()
            if row:
                return campaign_row(self.ws, row[0])
            known = [r[0] for r in self.db.execute("SELECT name FROM campaigns")]
        else:
            known = []
        raise NotFoundError(f"no campaign {name!r}" + (did_you_mean(name, known) if known
                                                        else " (`sar campaign new`)"))

    def new(self, name: str, targets: list[str], kinds: list[str], *, mode: str = "self",
            replies: str = "participant", sender: str | None = None,
            sender_name: str | None = None, retain_until: dt.date | None = None,
            consent: Path | None = None, consent_version: str = "1",
            templates: Path | None = None, lang: str | None = None,
            regime: str | None = None, repeat_days: int = DEFAULT_REPEAT_DAYS) -> dict:
        """A campaign, checked whole before anything is written: its organisations
        reachable by email, a letter for every kind, its templates sound."""
        from sar import validate

        ws = self.ws
        name = validate.slug(name)
        if ws.home.db_path.exists() and self.db.execute(
                "SELECT 1 FROM campaigns WHERE name = ?", [name]).fetchone():
            raise UsageError(f"a campaign {name!r} exists already")
        if mode not in MODES:
            raise UsageError(f"--mode must be {' or '.join(MODES)}")
        if replies not in REPLIES:
            raise UsageError(f"--replies must be {' or '.join(REPLIES)}")
        kinds = list(dict.fromkeys(kinds))
        if not kinds:
            raise UsageError("name at least one --kind")
        if mode == "self" and replies != "participant":
            raise UsageError("--replies goes with --mode agent: a self-send letter is the "
                             "participant's own, and the answer goes to them")
        for kind in kinds:
            if kind not in lifecycle.KINDS:
                from sar.errors import unknown

                raise UsageError(unknown("kind", kind, lifecycle.KINDS))
        if not targets:
            raise UsageError("name at least one organisation or @group with --to")
        if sender:
            sender = validate.email(sender, "--from")
        elif mode == "agent":
            raise UsageError("an agent campaign sends from its own mailbox: add --from ADDRESS")
        sender_name = validate.text(sender_name or name, "--name") if sender_name or sender \
            else None
        retain_until = retain_until or ws.today + dt.timedelta(days=DEFAULT_RETENTION_DAYS)
        if retain_until <= ws.today:
            raise UsageError(f"--retain-until {retain_until} is not after today")
        if not 0 <= repeat_days <= 366:
            raise UsageError("--repeat-days must be between 0 and 366")
        if consent is not None:
            try:
                consent_text = consent.read_text("utf-8").strip()
            except UnicodeDecodeError:
                raise UsageError(f"{consent} is not UTF-8 text") from None
            if not consent_text:
                raise UsageError(f"{consent} is empty")
        else:
            consent_text = DEFAULT_CONSENT.format(
                campaign=sender_name or name, retain_until=retain_until.isoformat(),
                contact=sender or "the campaign")
        consent_version = validate.text(consent_version, "--consent-version", max_len=40)

        orgs, from_groups = ws.directory.expand(targets)
        skipped, plans = [], {}
        me = _Calendar(self._calendar())
        for org in orgs:
            try:
                for kind in kinds:
                    plans[(org.slug, kind)] = ws._plan(org, me, kind, regime, "email", lang,
                                                       again=True)
            except UsageError as e:
                if org.slug not in from_groups:
                    raise UsageError(f"{org.slug}: {e}") from None
                skipped.append(org.slug)
        slugs = [o.slug for o in orgs if o.slug not in skipped]
        if not slugs:
            raise UsageError("none of those organisations can be written to by email")

        folder = campaign_dir(ws, name)
        staged = None
        if templates is not None:
            staged = _check_templates(ws, templates, plans)
        settings = {"lang": lang, "regime": regime, "repeat_days": repeat_days,
                    "calendar": me.calendar}
        with ws.transaction():
            cid = _insert(self.db, "campaigns", {
                "name": name, "orgs": json.dumps(slugs), "kinds": json.dumps(kinds),
                "mode": mode, "replies": replies, "sender_name": sender_name,
                "sender_email": sender, "consent_version": consent_version,
                "consent_text": consent_text, "consent_sha256": _sha256(consent_text),
                "retain_until": retain_until.isoformat(), "settings": json.dumps(settings),
                "created_at": _now()})
            if staged is not None:
                if folder.exists():
                    shutil.rmtree(folder / "templates", ignore_errors=True)
                ws.home.subdir(folder)
                shutil.copytree(staged, folder / "templates")
        return {"name": name, "id": cid, "orgs": slugs, "kinds": kinds, "mode": mode,
                "replies": replies, "retain_until": retain_until.isoformat(),
                "skipped": skipped, "templates": staged is not None}

    def _calendar(self) -> str:
        try:
            return self.ws.profile().calendar
        except SarError:
            return "GB-ENG"

    # -- participants ---------------------------------------------------------------

    def import_csv(self, name: str, path: Path) -> dict:
        """Read, check and store participants: all of them or none."""
        from sar.campaign.participants import read_participants

        c = self._open(name)
        existing = {r[0] for r in self.db.execute(
            "SELECT email_key FROM identities WHERE campaign_id = ?", [c["id"]])}
        parsed = read_participants(Path(path), existing_keys=existing,
                                   now=dt.datetime.now(dt.UTC))
        if not parsed.participants:
            raise UsageError(f"{Path(path).name}: no participants")
        taken = {r[0] for r in self.db.execute("SELECT pseudonym FROM participants")}
        email_hash(self.ws, "")  # the salt exists before the transaction
        consented = 0
        with self.ws.transaction():
            for p in parsed.participants:
                pseudonym = _pseudonym(taken)
                pid = _insert(self.db, "participants", {
                    "campaign_id": c["id"], "pseudonym": pseudonym,
                    "consent_version": (p.consent_version or c["consent_version"])
                    if p.consented_at else None,
                    "consented_at": p.consented_at,
                    "consent_source": "csv" if p.consented_at else None,
                    "email_hash": email_hash(self.ws, p.email_key),
                    "imported_at": _now()})
                _insert(self.db, "identities", {
                    "participant_id": pid, "campaign_id": c["id"], "name": p.name,
                    "email": p.email, "email_key": p.email_key,
                    "address": json.dumps(p.address, ensure_ascii=False),
                    "date_of_birth": p.date_of_birth,
                    "previous_addresses": json.dumps(p.previous_addresses, ensure_ascii=False)})
                consented += bool(p.consented_at)
        return {"campaign": c["name"], "imported": len(parsed.participants),
                "with_consent": consented, "ignored_columns": parsed.ignored_columns}

    def invite(self, name: str, *, again: bool = False, dry_run: bool = False) -> dict:
        """Mail each participant who has not confirmed yet a code that proves they
        control their address; returning it records their consent and, for an agent
        campaign, signs their letter of authority."""
        from sar.mail import compose

        ws = self.ws
        c = self._open(name)
        if not c["sender_email"]:
            raise UsageError(f"campaign {c['name']} has no mailbox to invite from: it was "
                             "created without --from")
        sql = ("SELECT p.id, p.pseudonym, i.name, i.email FROM participants p JOIN identities "
               "i ON i.participant_id = p.id WHERE p.campaign_id = ? AND p.confirmed_at IS NULL"
               + ("" if again else " AND p.invited_at IS NULL") + " ORDER BY p.id")
        rows = self.db.execute(sql, [c["id"]]).fetchall()
        if dry_run:
            return {"campaign": c["name"], "would_invite": len(rows), "invited": 0}
        from sar.mail.transports import DeliveryFailed, SetupError

        transport = ws.transport()
        transport.open()
        invited, failed = 0, []
        try:
            for pid, pseudonym, person, email in rows:
                before = self.db.execute("SELECT token_sha256, invited_at FROM participants "
                                         "WHERE id = ?", [pid]).fetchone()
                code = new_code()
                body = _invitation(c, person, code, self._orgs_named(c))
                msg = compose.compose(
                    subject=f"Please confirm your part in {c['sender_name']} [{code}]",
                    body=body, sender_name=c["sender_name"], sender_email=c["sender_email"],
                    to_name=person, to_email=email,
                    message_id=compose.new_message_id(pseudonym, c["sender_email"]),
                    when=dt.datetime.now(dt.UTC).replace(microsecond=0))
                # The code is stored only hashed, and before the mail goes: a code
                # that reached someone always works.
                with ws.transaction():
                    self.db.execute("UPDATE participants SET token_sha256 = ?, invited_at = ? "
                                    "WHERE id = ?", [_code_hash(c["id"], code), _now(), pid])
                try:
                    transport.deliver(compose.as_bytes(msg), c["sender_email"], [email])
                except (DeliveryFailed, SetupError) as e:
                    # It certainly did not go: as it was, to be invited next time. The
                    # server's words name the address, so they are not repeated.
                    with ws.transaction():
                        self.db.execute("UPDATE participants SET token_sha256 = ?, "
                                        "invited_at = ? WHERE id = ?", [*before, pid])
                    failed.append(pseudonym)
                    if isinstance(e, SetupError):
                        break
                    continue
                invited += 1
        finally:
            transport.close()
        return {"campaign": c["name"], "invited": invited, "failed": failed}

    def confirm(self, name: str, codes: list[str], on: dt.datetime | None = None) -> dict:
        """Record the codes participants sent back. Any unknown code: nothing is
        recorded (a typo must not confirm someone else)."""
        c = self._open(name)
        if not codes:
            raise UsageError("give the codes participants returned")
        wanted = {_code_hash(c["id"], code): code for code in codes}
        found = {r[1]: r[0] for r in self.db.execute(
            f"SELECT id, token_sha256 FROM participants WHERE campaign_id = ? AND "
            f"token_sha256 IN ({', '.join('?' for _ in wanted)})", [c["id"], *wanted])}
        unknown_codes = [code for h, code in wanted.items() if h not in found]
        if unknown_codes:
            raise UsageError(f"{len(unknown_codes)} of {len(wanted)} codes match no invited "
                             f"participant of {c['name']} (first: {unknown_codes[0]!r}); "
                             "nothing was recorded")
        when = (on or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        confirmed = 0
        with self.ws.transaction():
            for digest in wanted:
                pid = found[digest]
                row = self.db.execute("SELECT confirmed_at, consented_at FROM participants "
                                      "WHERE id = ?", [pid]).fetchone()
                if row[0]:
                    continue
                values = {"confirmed_at": when}
                if not row[1]:
                    # The invitation showed the consent text: returning the code is
                    # the participant's agreement to it.
                    values |= {"consented_at": when, "consent_version": c["consent_version"],
                               "consent_source": "confirmation"}
                if c["mode"] == "agent":
                    values["mandate_sha256"] = self._sign_mandate(c, pid, when)
                sets = ", ".join(f"{k} = ?" for k in values)
                self.db.execute(f"UPDATE participants SET {sets} WHERE id = ?",
                                [*values.values(), pid])
                confirmed += 1
        return {"campaign": c["name"], "confirmed": confirmed,
                "already": len(wanted) - confirmed}

    def _sign_mandate(self, c: dict, pid: int, when: str) -> str:
        from sar.campaign.mandate import mandate_text

        person = participant_identity(self.ws, {"participant_id": pid, "ref": ""})
        data = mandate_text(c, person, pseudonym_of(self.ws, pid), self._orgs_named(c), when)
        return self.ws.evidence.put(data)

    def _orgs_named(self, c: dict) -> list[str]:
        names = []
        for slug in c["orgs"]:
            try:
                names.append(self.ws.directory.get(slug).name)
            except NotFoundError:
                names.append(slug)
        return names

    # -- sending -------------------------------------------------------------------

    def readiness(self, c: dict) -> dict:
        need_confirm = c["mode"] == "agent"
        total, ready = self.db.execute(
            "SELECT COUNT(*), SUM(consented_at IS NOT NULL"
            + (" AND confirmed_at IS NOT NULL AND mandate_sha256 IS NOT NULL"
               if need_confirm else "") + ") FROM participants WHERE campaign_id = ? "
            "AND purged_at IS NULL",
            [c["id"]]).fetchone()
        return {"participants": total, "ready": ready or 0}

    def draft(self, name: str, *, ready_only: bool = False) -> dict:
        """Draft every request the campaign owes its ready participants (once each)."""
        c = self._open(name)
        r = self.readiness(c)
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
        return self._draft_ready(c)

    def _draft_ready(self, c: dict) -> dict:
        from sar.workspace import _org_snapshot, first_event_record

        ws = self.ws
        settings = c["settings"]
        me = _Calendar(settings["calendar"])
        plans, org_ids = {}, {}
        for slug in c["orgs"]:
            org = ws.directory.get(slug)
            for kind in c["kinds"]:
                plans[(slug, kind)] = ws._plan(org, me, kind, settings["regime"], "email",
                                               settings["lang"], again=True)
        drafted = limited = 0
        today = ws.today.isoformat()
        since = (ws.today - dt.timedelta(days=settings["repeat_days"])).isoformat()
        last = 0
        while True:
            chunk = self.db.execute(
                "SELECT p.id, p.pseudonym, p.email_hash FROM participants p JOIN identities i "
                "ON i.participant_id = p.id WHERE p.campaign_id = ? AND p.id > ? AND "
                "p.consented_at IS NOT NULL AND p.purged_at IS NULL"
                + (" AND p.confirmed_at IS NOT NULL AND p.mandate_sha256 IS NOT NULL"
                   if c["mode"] == "agent" else "") + " ORDER BY p.id LIMIT ?",
                [c["id"], last, CHUNK]).fetchall()
            if not chunk:
                break
            last = chunk[-1][0]
            with ws.transaction():
                for slug in c["orgs"]:
                    if slug not in org_ids:
                        org_ids[slug] = ws._snapshot("organisations",
                                                     _org_snapshot(ws.directory.get(slug)))
                for pid, pseudonym, hashed in chunk:
                    have = {(s, k) for s, k in self.db.execute(
                        "SELECT org_slug, kind FROM requests WHERE participant_id = ?", [pid])}
                    # The same person, the same kind, the same organisation, lately: in
                    # this campaign or another (rate limit per person × organisation).
                    recent = {(s, k) for s, k in self.db.execute(
                        "SELECT r.org_slug, r.kind FROM requests r JOIN participants p ON "
                        "p.id = r.participant_id WHERE p.email_hash = ? AND "
                        "r.participant_id != ? AND r.created_on >= ?",
                        [hashed, pid, since])}
                    requester_id = None
                    for (slug, kind), plan in plans.items():
                        if (slug, kind) in have:
                            continue
                        if (slug, kind) in recent:
                            limited += 1
                            continue
                        if requester_id is None:
                            requester_id = ws._snapshot("requesters", {
                                "name": pseudonym, "email": None, "address": [],
                                "previous_addresses": [], "date_of_birth": None,
                                "calendar": me.calendar})
                        ref = ws._unused_ref()
                        rid = _insert(self.db, "requests", {
                            "ref": ref, "requester_id": requester_id,
                            "organisation_id": org_ids[slug], "org_slug": slug, "kind": kind,
                            "regime": plan["regime"], "channel": "email", "lang": plan["lang"],
                            "calendar": plan["calendar"], "details": "{}", "created_on": today,
                            "status": "draft", "due": None, "updated_at": _now(),
                            "last_event_on": today, "campaign_id": c["id"],
                            "participant_id": pid})
                        _insert(self.db, "events", first_event_record(
                            rid, lifecycle.Event("drafted", ws.today, "system",
                                                 {"org": slug, "channel": "email",
                                                  "campaign": c["name"]})))
                        drafted += 1
        return {"drafted": drafted, "rate_limited": limited}

    def send(self, name: str, *, ready_only: bool = False, dry_run: bool = False,
             rate: float | None = None, progress=None) -> dict:
        """Draft what is owed, then send (agent) or hand out (self) every draft."""
        c = self._open(name)
        if dry_run:
            r = self.readiness(c)
            drafts = self.db.execute("SELECT COUNT(*) FROM requests WHERE campaign_id = ? AND "
                                     "status = 'draft'", [c["id"]]).fetchone()[0]
            return {"campaign": c["name"], "mode": c["mode"], "dry_run": True, **r,
                    "drafts": drafts}
        drafted = self.draft(name, ready_only=ready_only)
        if c["mode"] == "self":
            counts = self._hand_out(c, "letter", progress)
        else:
            counts = self._through_outbox(c, "letter", rate, progress)
        return {"campaign": c["name"], "mode": c["mode"], **drafted, **counts}

    def _rows(self, c: dict, sql: str, params: list):
        """Campaign requests in chunks, so 200,000 of them never sit in memory."""
        last = 0
        while True:
            rows = list(self.db.query(
                f"SELECT * FROM requests WHERE campaign_id = ? AND id > ? AND ({sql}) "
                f"ORDER BY id LIMIT {CHUNK}", [c["id"], last, *params]))
            if not rows:
                return
            last = rows[-1]["id"]
            yield rows

    def _through_outbox(self, c: dict, purpose: str, rate, progress) -> dict:
        from sar.mail.outbox import Outbox, SendOptions

        ws = self.ws
        outbox = Outbox(ws, ws.transport(), purpose=purpose)
        transport = outbox.transport
        if transport.name != "maildir" and ws.send_time() is None:
            raise UsageError(f"today is set to {ws.today} (SAR_TODAY): unset it to send "
                             "real email; the Maildir outbox still works")
        outbox.sent_copy = ws.sent_copy() if ws.send_time() is not None else None
        counts: dict[str, int] = {}
        done = 0
        total = None
        if purpose == "letter":
            chunks = self._rows(c, "status = 'draft'", [])
            total = self.db.execute("SELECT COUNT(*) FROM requests WHERE campaign_id = ? AND "
                                    "status = 'draft'", [c["id"]]).fetchone()[0]
        else:
            chunks = self._overdue_chunks(c)
        for rows in chunks:
            for result in outbox.send(rows, SendOptions(rate=rate)):
                counts[result.status] = counts.get(result.status, 0) + 1
                done += 1
                if progress:
                    progress(done, total, result.ref)
        return counts

    def _overdue_chunks(self, c: dict):
        unknown = self.ws._send_unknown()
        for rows in self._rows(c, "status NOT IN ('draft', 'bounced', 'withdrawn')", []):
            yield [r for r in rows if self.ws.summary(r, unknown)["status"] == "overdue"]

    def _hand_out(self, c: dict, purpose: str, progress) -> dict:
        """Self-send: write each letter as an .eml for its participant to send from
        their own address. Writing a file twice is harmless, so this needs no
        outbox; the request stays a draft until the participant's copy comes back
        (or `sar send REF --confirm-sent`)."""
        from sar.home import write_private

        ws = self.ws
        root = campaign_dir(ws, c["name"]) / "letters"
        written = skipped = done = 0
        chunks = (self._rows(c, "status = 'draft'", []) if purpose == "letter"
                  else self._overdue_chunks(c))
        total = self.db.execute("SELECT COUNT(*) FROM requests WHERE campaign_id = ? AND "
                                "status = 'draft'", [c["id"]]).fetchone()[0] \
            if purpose == "letter" else None
        for rows in chunks:
            for row in rows:
                done += 1
                if self.db.execute("SELECT 1 FROM messages WHERE request_id = ? AND "
                                   "purpose = ? AND state = 'handed-out'",
                                   [row["id"], purpose]).fetchone():
                    skipped += 1
                    continue
                if purpose == "letter":
                    row = ws.refresh_snapshots(row)
                try:
                    letter, thread = ws.outgoing_letter(row, purpose)
                except SarError:
                    if purpose == "letter":
                        raise
                    skipped += 1  # a reminder not due: answered meanwhile, clock stopped
                    continue
                when = ws.send_time() or dt.datetime.combine(ws.today, dt.time(12),
                                                             tzinfo=dt.UTC)
                msg, raw = ws._compose(row, letter, when, current=purpose != "letter",
                                       in_reply_to=thread)
                folder = ws.home.subdir(root / pseudonym_of(ws, row["participant_id"]))
                suffix = "" if purpose == "letter" else f"-{purpose}"
                target = folder / f"{row['ref']}{suffix}.eml"
                digest = ws.evidence.put(raw)
                write_private(target, raw)
                with ws.transaction():
                    _insert(self.db, "messages", {
                        "request_id": row["id"], "direction": "out", "state": "handed-out",
                        "transport": "hand-out", "purpose": purpose,
                        "message_id": msg["Message-ID"], "subject": str(msg["Subject"]),
                        "from_addr": str(msg["From"]),
                        "to_addrs": json.dumps([str(msg["To"])], ensure_ascii=False),
                        "date": str(msg["Date"]), "sha256": digest, "size": len(raw),
                        "detail": f"handed out: {target.relative_to(ws.home.root)}",
                        "created_at": _now(), "updated_at": _now()})
                written += 1
                if progress:
                    progress(done, total, row["ref"])
        return {"handed_out": written, "already_handed_out": skipped}

    # -- follow-up -----------------------------------------------------------------

    def remind(self, name: str, *, progress=None) -> dict:
        """A reminder for every overdue request of the campaign, each on its own
        thread and recorded on its own request."""
        c = self._open(name)
        if c["mode"] == "self":
            return {"campaign": c["name"], **self._hand_out(c, "reminder", progress)}
        return {"campaign": c["name"],
                **self._through_outbox(c, "reminder", None, progress)}

    def complain(self, name: str, out_dir: Path, *, to: str | None = None) -> dict:
        """A complaint bundle (`sar complain`) for every overdue request that was
        reminded and still not answered, one ZIP each in `out_dir`; each records
        `escalated` on its own request."""
        from sar import complaint

        c = self._open(name)
        out_dir = Path(out_dir).expanduser()
        if not out_dir.is_dir():
            raise UsageError(f"-o {out_dir}: not a folder")
        made, not_yet = [], {}
        for rows in self._overdue_chunks(c):
            for row in rows:
                try:
                    complaint.complain(self.ws, row["ref"], out=out_dir / f"{row['ref']}.zip",
                                       authority=to)
                except UsageError as e:
                    # Not reminded yet, or inside a reminder's final date: per request.
                    why = str(e).removeprefix(f"{row['ref']}: ")
                    not_yet[why] = not_yet.get(why, 0) + 1
                    continue
                made.append(row["ref"])
        return {"campaign": c["name"], "bundles": made, "not_yet": not_yet,
                "folder": str(out_dir)}

    # -- reading -------------------------------------------------------------------

    def list(self) -> list[dict]:
        if not self.ws.home.db_path.exists():
            return []
        out = []
        for row in self.db.query("SELECT * FROM campaigns ORDER BY id"):
            c = campaign_row(self.ws, row["id"])
            out.append({"name": c["name"], "mode": c["mode"], "orgs": len(c["orgs"]),
                        "kinds": ", ".join(c["kinds"]), **self.readiness(c),
                        "requests": self.db.execute("SELECT COUNT(*) FROM requests WHERE "
                                                    "campaign_id = ?", [c["id"]]).fetchone()[0],
                        "retain_until": c["retain_until"],
                        "purged": c["purged_at"] or ""})
        return out

    def status(self, name: str) -> dict:
        c = self.get(name)
        counts = {}
        unknown = self.ws._send_unknown()
        for rows in self._rows(c, "1", []):
            for row in rows:
                s = self.ws.summary(row, unknown)["status"]
                counts[s] = counts.get(s, 0) + 1
        p = self.db.execute(
            "SELECT COUNT(*), COUNT(consented_at), COUNT(invited_at), COUNT(confirmed_at), "
            "COUNT(mandate_sha256), COUNT(purged_at) FROM participants WHERE campaign_id = ?",
            [c["id"]]).fetchone()
        return {"campaign": c["name"], "mode": c["mode"], "replies": c["replies"],
                "organisations": c["orgs"], "kinds": c["kinds"],
                "retain_until": c["retain_until"], "purged_at": c["purged_at"],
                "participants": dict(zip(("total", "consented", "invited", "confirmed",
                                          "mandates", "purged"), p, strict=True)),
                "requests": dict(sorted(counts.items()))}

    def _open(self, name: str) -> dict:
        c = self.get(name)
        if c["purged_at"]:
            raise UsageError(f"campaign {c['name']} was purged on {c['purged_at'][:10]}: only "
                             "its report remains")
        return c


@dataclass
class _Calendar:
    """What Workspace._plan needs of a requester: their calendar."""

    calendar: str


def _insert(db, table: str, row: dict) -> int:
    from sar.store import db as store

    return store.insert(db, table, row)


def _pseudonym(taken: set[str]) -> str:
    while True:
        p = "P-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))
        if p not in taken:
            taken.add(p)
            return p


def _check_templates(ws, folder: Path, plans: dict) -> Path:
    """A campaign's own templates, compiled and tried on a sample letter for each of
    its kinds before the campaign exists: a syntax error or a missing field is found
    now, with the file and line, not in the middle of 10,000 letters."""
    from jinja2 import TemplateSyntaxError

    from sar import letters

    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"--templates {folder}: not a folder")
    root = folder / "letters" if (folder / "letters").is_dir() else None
    if root is None:
        raise UsageError(f"--templates {folder}: expected letters/LANG/gdpr/KIND.j2 inside it")
    env = letters._environment((str(folder), str(letters.builtin_templates())))
    found = sorted(root.rglob("*.j2"))
    if not found:
        raise UsageError(f"--templates {folder}: no .j2 templates in it")
    for path in found:
        name = path.relative_to(folder).as_posix()
        try:
            source = path.read_text("utf-8")
            env.parse(source, name=name)
        except UnicodeDecodeError:
            raise UsageError(f"template {name} is not UTF-8 text") from None
        except TemplateSyntaxError as e:
            raise UsageError(f"template {name} line {e.lineno}: {e.message}") from None
    sample = _sample_context(ws)
    for (slug, kind), plan in plans.items():
        org = plan["org"]
        sample["org"] = {**org.as_dict(), "address": list(org.address or [])}
        sample["request"]["kind"] = kind
        try:
            letters.build(sample, lang=plan["lang"], regime=plan["regime"], kind=kind,
                          user_templates=folder)
        except SarError as e:
            raise UsageError(f"{e} (tried on a sample {kind} letter to {slug})") from None
    return folder


def _sample_context(ws) -> dict:
    from sar import letters

    today = ws.today
    return {
        "requester": {"name": "Sample Participant", "email": "sample@example.org",
                      "address": ["1 Sample Street", "Sampletown"],
                      "previous_addresses": [], "date_of_birth": None},
        "request": {"ref": "SAR-SAMPL", "kind": "access", "regime": "uk-gdpr",
                    "channel": "email", "date": today, "receipt": today, "due": today,
                    "due_rule": "", "due_facts": {}, "details": {}},
        "law": letters.LAW["uk-gdpr"],
        "agent": {"name": "Sample Campaign", "email": "campaign@example.org",
                  "replies": "participant", "mandate_ref": "sample/P-SAMPLE"},
    }


def _invitation(c: dict, person: str, code: str, orgs: list[str]) -> str:
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
