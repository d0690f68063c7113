"""Incoming mail: ingest, match, classify, record — once per message.

`Inbox.ingest(raw)` is idempotent and atomic. The raw bytes (and each attachment)
go to the evidence store first — storing the same bytes again is a no-op — then
one transaction writes the message row, its attachments, the event its reply
means, and the mailbox's progress (the UID or file name read), so a crash at any
point leaves either everything or nothing, and the next run picks up where the
last one stopped. A message already known (same Message-ID, or same bytes when it
has none) is not ingested again.

The mail sources read a chunk of messages inside `Inbox.batch()`: one transaction
for the chunk (each message a savepoint in it) and its evidence written as one
journal with one sync (sar.store.evidence) just before that transaction commits,
so a chunk costs two waits for the disk, not two a message. The mailbox's progress
commits with the chunk's rows: a crash replays at most the chunk, and the replay
finds nothing of it recorded.

What a reply means becomes an event with source "inbox": a classified reply
records its label (acknowledged, id-requested, ..., bounced); an automatic reply
records only reply-received. A message that cannot be placed — unmatched, not
understood, held because the user's provider says it failed DKIM/DMARC, or a reply
that does not fit the request's history — waits in `sar inbox` with the reason,
until `sar link` or `sar mark` settles it.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from sar.core import classify as classify_mod
from sar.core import lifecycle, matching, refs
from sar.core import trust as trust_mod
from sar.core.lifecycle import Event
from sar.directory.importers import FREEMAIL
from sar.domains import registrable
from sar.errors import InvalidEventError, NotFoundError, UsageError
from sar.mail import inbound
from sar.store import db as store
from sar.store import requests as request_table
from sar.store.db import now

# Words of a reply about a data request, in the languages sar reads.
_ABOUT_DATA = re.compile(
    r"subject access|data protection|personal data|gdpr|right of access|erasure|"
    r"datenschutz|personenbezogen|dsgvo|auskunftsersuchen|"
    r"données personnelles|rgpd|droit d'accès|effacement", re.IGNORECASE)

# Why a message waits in `sar inbox`.
NEEDS = {
    "unmatched": "not linked to a request: `sar link {id} REF`",
    "unclassified": "not understood: read it, then `sar mark {ref} EVENT` (or "
                    "`sar link {id} {ref} --as LABEL`)",
    "held": "would record {label}, but {why}: if it is the organisation's answer, "
            "`sar link {id} {ref} --as {label}`",
    "not-applied": "does not fit the request's history ({why}): check, then `sar mark`",
    "unreadable": "sar could not read it ({why}); it is kept as evidence byte for byte: "
                  "open it in a mail program, and if it is a reply, `sar link {id} REF`",
}
# What inbound.parse says of a message it could not read at all.
_UNREADABLE = ("unparseable", "broken MIME structure")
MAX_ATTACHMENT = 25 * 2**20   # bytes kept per attachment; the raw message keeps all
SETTLE_AFTER = 32 * 2**20     # bytes of evidence journal that batches settle at


@dataclass
class Ingested:
    status: str                  # new | duplicate | own
    pk: int | None = None
    ref: str | None = None
    label: str | None = None
    matched_by: str | None = None
    needs: str | None = None
    event: str | None = None
    sender: str = ""

    def as_dict(self) -> dict:
        return {"status": self.status, "message": self.pk, "ref": self.ref,
                "label": self.label, "matched_by": self.matched_by, "needs": self.needs,
                "event": self.event, "sender": self.sender}


LETTER_CACHE = 64
# Re:, Fwd:, and their German and French forms (AW:, WG:, TR:, RE :).
_REPLY_OR_FORWARD = re.compile(r"\s*(re|fwd?|aw|wg|tr)\s*:", re.IGNORECASE)


class Inbox:
    def __init__(self, ws):
        self.ws = ws
        self.db = ws.db
        self._domains: dict[str, set[str]] | None = None
        self._mailboxes: set[str] | None = None
        # Our letters' text by request, for the few requests whose replies arrive
        # together; bounded, so reading 200,000 replies does not keep 200,000 letters.
        self._letters: collections.OrderedDict[int, list[str]] = collections.OrderedDict()
        # Inside batch() only (its transaction holds the write lock, so no one else
        # changes a request meanwhile): open requests by (organisations, day); a
        # request this inbox records an event on is asked about again (`_changed`),
        # not every request of the organisation.
        self._open: dict[tuple, set[int]] | None = None
        self._dirty: set[int] = set()

    # -- lookups for matching ------------------------------------------------------

    def _by_message_id(self, mid: str) -> int | None:
        row = self.db.execute("SELECT request_id FROM messages WHERE message_id = ? AND "
                              "direction = 'out' AND request_id IS NOT NULL LIMIT 1",
                              [mid]).fetchone()
        return row[0] if row else None

    def _by_ref(self, ref: str) -> int | None:
        row = self.db.execute("SELECT id FROM requests WHERE ref = ?", [ref]).fetchone()
        return row[0] if row else None

    def domain_map(self) -> dict[str, set[str]]:
        """Each domain an organisation writes from -> the slugs it belongs to: the
        domains of the record each letter went with, and of the directory now."""
        if self._domains is None:
            out: dict[str, set[str]] = {}
            for slug, domains, email in self.db.execute(
                    "SELECT slug, domains, email FROM organisations"):
                names = set(json.loads(domains or "[]"))
                shared: set[str] = set()
                with contextlib.suppress(NotFoundError):
                    org = self.ws.directory.get(slug)
                    names |= set(org.domains or [])
                    shared = {d.lower() for d in org.reply_domains}
                if email:
                    names.add(email.rpartition("@")[2])
                # A reply domain (a processor's, or one several organisations give, as
                # the importer records it) never matches alone, even as the email's.
                names = {d for d in names if d.lower() not in shared}
                # A freemail address says nothing about who wrote (gmail.com is everyone),
                # nor does a public suffix (co.uk) that an older record may still carry.
                names = {d for d in names - FREEMAIL if registrable(d)}
                for d in names:
                    out.setdefault(d.lower(), set()).add(slug)
            self._domains = out
        return self._domains

    def _open_for_domain(self, domain: str, arrived: dt.datetime | None = None,
                         msg: inbound.Inbound | None = None) -> list[int]:
        """Open requests to the organisation writing from `domain` — sent before the
        message arrived: a newsletter from last year answers nothing sent this year.
        The user's own requests only: a campaign's replies carry their thread or
        reference, and a message to a campaign's mailbox is never guessed onto the
        user's own request."""
        if msg is not None and self._campaign_mailboxes() & set(msg.recipients):
            return []
        slugs = set()
        for d in matching.parent_domains(domain):
            slugs |= self.domain_map().get(d, set())
        if not slugs:
            return []
        key = (frozenset(slugs), arrived.date() if arrived is not None else None)
        if self._open is not None and key in self._open:
            if self._dirty:
                self._recheck()
            return list(self._open[key])
        found = self._open_ids(*key)
        if self._open is not None:
            self._open[key] = set(found)
        return found

    def _open_ids(self, slugs: frozenset[str], day: dt.date | None,
                  among: list[int] | None = None) -> list[int]:
        """The user's open requests to `slugs` with a letter sent by `day` (if given),
        of those `among` (if given)."""
        closed = (*lifecycle.UNSENT, *lifecycle.CLOSED)
        marks = ", ".join("?" for _ in slugs)
        sql = (f"SELECT id FROM requests WHERE org_slug IN ({marks}) AND status NOT IN "
               f"({', '.join('?' for _ in closed)}) AND campaign_id IS NULL")
        params = [*slugs, *closed]
        if day is not None:
            sql += (" AND EXISTS (SELECT 1 FROM events e WHERE e.request_id = requests.id "
                    "AND e.kind IN ('sent', 'posted') AND e.occurred_on <= ?)")
            params.append(day.isoformat())
        if among is not None:
            sql += f" AND id IN ({', '.join('?' for _ in among)})"
            params += among
        return [r[0] for r in self.db.execute(sql, params).fetchall()]

    def _changed(self, request_id: int) -> None:
        """An event is about to be recorded on a request: whether it is open may differ
        after it (the others' may not)."""
        if self._open:
            self._dirty.add(request_id)

    def _recheck(self) -> None:
        """The kept open requests, with those events were recorded on asked again."""
        dirty = sorted(self._dirty)
        self._dirty.clear()
        for (slugs, day), found in self._open.items():
            found.difference_update(dirty)
            found.update(self._open_ids(slugs, day, among=dirty))

    def _campaign_mailboxes(self) -> set[str]:
        if self._mailboxes is None:
            self._mailboxes = {r[0].lower() for r in self.db.execute(
                "SELECT sender_email FROM campaigns WHERE sender_email IS NOT NULL")}
        return self._mailboxes

    def _org_domains(self, request_id: int) -> set[str]:
        row = self.db.execute("SELECT o.domains, o.email, o.slug FROM requests r JOIN "
                              "organisations o ON o.id = r.organisation_id WHERE r.id = ?",
                              [request_id]).fetchone()
        if row is None:
            return set()
        names = set(json.loads(row[0] or "[]")) | ({row[1].rpartition("@")[2]} if row[1] else set())
        # The processor domains its record names (OneTrust, Zendesk): a reply from one
        # is the organisation's once matched by thread or reference. They stay out of
        # domain_map, which matches by domain alone: a platform shared by hundreds of
        # organisations says nothing about which one wrote.
        with contextlib.suppress(NotFoundError):
            names |= set(self.ws.directory.get(row[2]).reply_domains)
        return {d.lower() for d in names} | {d for d, slugs in self.domain_map().items()
                                              if row[2] in slugs}

    def _our_letters(self, request_id: int) -> list[str]:
        """The text of what we sent on a request, so a reply's quoted copy of it is
        not read as the organisation's words."""
        if request_id in self._letters:
            self._letters.move_to_end(request_id)
        else:
            texts = []
            for (digest,) in self.db.execute(
                    "SELECT sha256 FROM messages WHERE request_id = ? AND direction = 'out' "
                    "AND sha256 IS NOT NULL", [request_id]):
                try:
                    raw = self.ws.evidence.get(digest)
                except OSError:
                    continue
                texts.append(inbound.parse(raw).text or raw.decode("utf-8", "replace"))
            self._letters[request_id] = texts
            if len(self._letters) > LETTER_CACHE:
                self._letters.popitem(last=False)
        return self._letters[request_id]

    # -- ingest --------------------------------------------------------------------

    @contextlib.contextmanager
    def batch(self):
        """Ingest several messages as one: one transaction, their evidence durable (one
        journal, one sync) before it commits. The journals are settled by the mail
        source when its run ends, or here once they hold SETTLE_AFTER bytes."""
        outer = self._open
        self._open = {} if outer is None else outer
        try:
            with self.ws.transaction(), self.ws.evidence.deferred():
                yield
        finally:
            self._open = outer
            if outer is None:
                self._dirty.clear()
        if self.ws.evidence.unsettled >= SETTLE_AFTER:
            self.ws.evidence.settle()

    def ingest(self, raw: bytes, *, source: str,
               received: dt.datetime | None = None) -> Ingested:
        """Take one message in. How far the mailbox has been read is recorded by the
        caller in the same transaction (`batch`), for a chunk of messages at once."""
        from sar import config as cfg

        msg = inbound.parse(raw)
        key = dedupe_key(raw, msg)
        if self._known(key):
            return Ingested("duplicate", sender=msg.from_domain)
        handed = self._participant_copy(msg)
        if handed is not None:
            return self._participant_sent(handed, msg, received)
        if msg.message_id and self._by_message_id(msg.message_id) is not None:
            # Our own letter (a Sent folder, the outbox): nothing to learn from it.
            return Ingested("own", sender=msg.from_domain)
        # A forward is read as the message it carries: the organisation's words,
        # sender and date (sar.core.forwards).
        carried = inbound.carried(msg)
        read = carried or msg
        arrived = (carried.date if carried is not None and carried.date else
                   received or msg.received or msg.date)
        found = self._match(msg, arrived)
        if carried is not None and not isinstance(found, matching.Match):
            found = self._match(carried, arrived)
        # A message sar cannot read at all is still evidence: kept, and shown.
        unreadable = any(p.startswith(_UNREADABLE) for p in msg.problems)
        if not isinstance(found, matching.Match) and not unreadable \
                and not self._relevant(msg):
            # The rest of the user's mail: not kept, not shown. sar is not a copy of
            # the mailbox.
            return Ingested("ignored", sender=msg.from_domain)

        digest = self.ws.evidence.put(raw)
        attachments = self._keep_attachments(msg)
        row = None
        if isinstance(found, matching.Match):
            row = request_table.by_id(self.db, found.request_id)
        decision = classify_mod.classify(
            read, kind=row["kind"] if row else None,
            our_letters=self._our_letters(row["id"]) if row else [])
        trust, trust_why = inbound.authentication(msg, cfg.get(self.ws.config,
                                                               "mail.authserv_id"))
        verdict = None
        if row is not None:
            # Whose words: only the organisation's change the request (sar.core.trust).
            verdict = trust_mod.judge(decision.label, classify_mod.EVENT_LABELS,
                                      found.signal, read.from_domain,
                                      self._org_domains(row["id"]), trust, row["org_slug"])
            trust = verdict.trust
        result = Ingested("new", ref=row["ref"] if row else None, label=decision.label,
                          matched_by=found.signal if row else None, sender=msg.from_domain)
        message = _message_row(msg, row, found, decision, trust, trust_why, source, key,
                               digest, len(raw), arrived)
        if carried is not None:
            message["detail"] = "; ".join(x for x in (_forward_note(msg, carried),
                                                      message["detail"]) if x)
        if row is None:
            result.needs = message["needs"] = "unreadable" if unreadable else "unmatched"
        with self.ws.transaction():
            # Another watcher was quicker? (In a batch, the look above was already
            # made under the write lock.)
            if self._open is None and self._known(key):
                return Ingested("duplicate", sender=msg.from_domain)
            pk = result.pk = store.insert(self.db, "messages", message)
            for a in attachments:
                store.insert(self.db, "attachments", {"message_id": pk, **a})
            if row is not None:
                result.event, result.needs, why = self._record(
                    row, pk, msg, decision, found, verdict, arrived)
                later = {"needs": result.needs} if result.needs else {}
                if why:
                    later["detail"] = "; ".join(x for x in (message["detail"], why) if x)
                if later:
                    store.update(self.db, "messages", pk, later)
        return result

    def _known(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM messages WHERE direction = 'in' AND dedupe = ?",
                               [key]).fetchone() is not None

    def _match(self, msg: inbound.Inbound, arrived: dt.datetime | None):
        return matching.match(msg, by_message_id=self._by_message_id, by_ref=self._by_ref,
                              open_for_domain=lambda d: self._open_for_domain(d, arrived, msg),
                              org_domains=self._org_domains)

    def _keep_attachments(self, msg: inbound.Inbound) -> list[dict]:
        """Each attachment kept as evidence of its own, up to MAX_ATTACHMENT bytes (the
        raw message keeps every byte)."""
        out = []
        for a in msg.attachments:
            kept = a.data if len(a.data) <= MAX_ATTACHMENT else b""
            out.append({"filename": a.filename, "content_type": a.content_type,
                        "sha256": self.ws.evidence.put(kept) if kept else
                        hashlib.sha256(a.data).hexdigest(), "size": len(a.data)})
        return out

    def _participant_copy(self, msg: inbound.Inbound) -> dict | None:
        """A self-send campaign letter coming back as the participant's own copy (Bcc
        or forwarded from their Sent folder): the letter it is, or None. Known by its
        Message-ID, or — when their mail program gave it a new one — by its
        reference and the participant's own address as the sender."""
        if msg.message_id:
            m = store.one(self.db, "SELECT * FROM messages WHERE message_id = ? AND "
                          "state = 'handed-out'", [msg.message_id])
            if m is not None:
                return m
        if msg.in_reply_to or _REPLY_OR_FORWARD.match(msg.subject):
            return None  # an answer, or an answer forwarded: read as one
        from sar import config as cfg

        if inbound.authentication(msg, cfg.get(self.ws.config, "mail.authserv_id"))[0] == \
                "fail":
            return None  # forged as the participant: it records nothing
        for ref in refs.find_all(msg.subject)[:3]:
            m = next(self.db.query(
                "SELECT m.* FROM messages m JOIN requests r ON r.id = m.request_id JOIN "
                "identities i ON i.participant_id = r.participant_id WHERE r.ref = ? AND "
                "m.state = 'handed-out' AND lower(i.email) = ? ORDER BY m.id DESC LIMIT 1",
                [ref, msg.from_addr.lower()]), None)
            if m is not None:
                return m
        return None

    def _participant_sent(self, m: dict, msg: inbound.Inbound,
                          received: dt.datetime | None) -> Ingested:
        """Record that the participant sent the letter they were handed, on the day
        their copy says (not before it was handed out, never after today)."""
        row = next(self.db.query("SELECT * FROM requests WHERE id = ?", [m["request_id"]]))
        when = msg.date or received
        on = min(when.astimezone(dt.UTC).date(), self.ws.today) if when else self.ws.today
        from email.utils import parsedate_to_datetime

        with contextlib.suppress(TypeError, ValueError):
            on = max(on, parsedate_to_datetime(m["date"]).date())  # not before handed out
        kind = {"letter": "sent", "reminder": "reminded"}[m["purpose"]]
        with self.ws.transaction():
            if self.db.execute("SELECT state FROM messages WHERE id = ?",
                               [m["id"]]).fetchone()[0] != "handed-out":
                return Ingested("own", sender=msg.from_domain)  # recorded meanwhile
            self._changed(row["id"])
            self.ws.log.append(row, Event(kind, on, "inbox", {
                "message_id": m["message_id"], "transport": "hand-out", "sha256": m["sha256"],
                "confirmed": "the participant's copy arrived"}))
            store.update(self.db, "messages", m["id"], {
                "state": "sent", "detail": f"sent by the participant on {on}",
                "updated_at": now()})
        return Ingested("participant-sent", ref=row["ref"], event=kind,
                        sender=msg.from_domain)

    def _relevant(self, msg: inbound.Inbound) -> bool:
        """Whether an unmatched message may concern one of the user's requests, and
        so waits in `sar inbox`: it comes from (a subdomain of) an organisation
        written to, names a reference, is a bounce of mail to such an organisation
        (or one that does not say to whom), or is personal mail about data
        protection (not a mailing list)."""
        domains = self.domain_map()

        def known(domain: str) -> bool:
            return any(d in domains for d in matching.parent_domains(domain))

        if msg.bounce_signals:
            failed = [a.rpartition("@")[2] for a in msg.failed_recipients if "@" in a]
            return not failed or any(known(d) for d in failed)
        if refs.find_all(msg.subject) or refs.find_all(msg.text):
            return True
        if "list-id" in msg.headers or "list-unsubscribe" in msg.headers:
            return False  # a newsletter, even from an organisation written to
        if msg.from_domain and known(msg.from_domain):
            return True
        return bool(_ABOUT_DATA.search(msg.subject + "\n" + msg.text[:20_000]))

    def _on(self, row: dict, arrived: dt.datetime | None) -> dt.date:
        """The day a reply reached the requester, in the organisation's time zone;
        never after today, never before the letter it answers went."""
        from zoneinfo import ZoneInfo

        from sar.core import calendars

        on = self.ws.today
        if arrived is not None:
            try:
                zone = ZoneInfo(calendars.get(row["calendar"]).zone)
            except Exception:  # noqa: BLE001 - an unknown zone: UTC is near enough
                zone = dt.UTC
            on = min(arrived.astimezone(zone).date(), self.ws.today)
        sent = [e.on for e in self.ws.log.of(row["id"]) if e.kind in ("sent", "posted")]
        return max(on, max(sent)) if sent else on

    def _record(self, row, pk, msg, decision, found, verdict, arrived):
        """The event a matched reply means. Returns (event kind, needs, note)."""
        details = {"message": pk, "message_id": msg.message_id, "label": decision.label,
                   "rule": decision.rule, "matched_by": found.signal, "trust": verdict.trust}
        on = self._on(row, arrived)
        at = arrived.astimezone(dt.UTC).replace(microsecond=0) if arrived else None
        kind, needs, note = "reply-received", None, None
        if not verdict.counts:
            # Kept as evidence, recorded as a reply; the user decides (`sar link --as`).
            needs, note = "held", verdict.why
            details["held"] = verdict.why
        elif decision.label in classify_mod.EVENT_LABELS:
            kind = decision.label
        elif decision.label == "unclassified":
            needs = "unclassified"
        try:
            prepared = self.ws.log.prepare(row, Event(kind, on, "inbox", details, 0, at))
        except InvalidEventError as e:
            # Not applied: keep the message and say why. A second acknowledgement is
            # no news; anything else needs a person.
            already = "already recorded" in str(e)
            details["not_applied"] = str(e)
            prepared = self.ws.log.prepare(
                row, Event("reply-received", on, "inbox", details, 0, at))
            kind, needs, note = "reply-received", None if already else "not-applied", str(e)
        self._changed(row["id"])
        self.ws.log.write(prepared)
        return kind, needs, note

    # -- what waits for the user --------------------------------------------------

    def pending(self, everything: bool = False) -> list[dict]:
        sql = ("SELECT m.*, r.ref FROM messages m LEFT JOIN requests r ON r.id = m.request_id "
               "WHERE m.direction = 'in'")
        if not everything:
            sql += " AND m.needs IS NOT NULL"
        return [self.describe(m) for m in self.db.query(sql + " ORDER BY m.id")]

    def describe(self, m: dict) -> dict:
        why = (m.get("detail") or "").rpartition("; ")[2]
        needs = m["needs"]
        hint = NEEDS.get(needs, "").format(id=m["id"], ref=m.get("ref") or "REF",
                                           label=m["label"], why=why) if needs else None
        return {"id": m["id"], "ref": m.get("ref"), "from": m["from_addr"],
                "message_id": m["message_id"],
                "subject": m["subject"], "date": m["date"], "received_on": m["received_on"],
                "label": m["label"], "rule": m["rule"], "reason": m["reason"],
                "evidence": m["evidence_text"], "matched_by": m["matched_by"],
                "match": m["match_detail"], "trust": m["trust"], "needs": needs,
                "next": hint, "sha256": m["sha256"]}

    def link(self, message: str, ref: str, label: str | None = None) -> dict:
        """Attach a waiting message to a request by hand, recording what it says
        (its label, or `label` when the user says otherwise)."""
        text = str(message).strip().lstrip("#")
        if not text.isdigit() or len(text) > 12:
            raise UsageError(f"{message!r} is not a message number (see `sar inbox`)")
        pk = int(text)
        rows = list(self.db.query("SELECT * FROM messages WHERE id = ? AND direction = 'in'",
                                  [pk]))
        if not rows:
            raise NotFoundError(f"no incoming message {pk} (see `sar inbox`)")
        m = rows[0]
        if label is not None and label not in classify_mod.LABELS:
            from sar.errors import unknown

            raise UsageError(unknown("label", label, classify_mod.LABELS))
        row = self.ws.queries.find(ref)
        if m["request_id"] is not None and m["request_id"] != row["id"]:
            other = self.db.execute("SELECT ref FROM requests WHERE id = ?",
                                    [m["request_id"]]).fetchone()[0]
            raise UsageError(f"message {pk} is already linked to {other}")
        if m["request_id"] is not None and m["needs"] is None:
            raise UsageError(f"message {pk} is already recorded on {row['ref']} as "
                             f"{m['label']}: record a correction with `sar mark`")
        raw = self.ws.evidence.get(m["sha256"])
        msg = inbound.parse(raw)
        if label is None:
            decision = classify_mod.classify(msg, kind=row["kind"],
                                             our_letters=self._our_letters(row["id"]))
        else:
            decision = classify_mod.Decision(label, "user", "as you said (sar link --as)")
        arrived = dt.datetime.fromisoformat(m["received_on"]) if m["received_on"] else None
        kind = decision.label if decision.label in classify_mod.EVENT_LABELS else \
            "reply-received"
        details = {"message": pk, "message_id": m["message_id"], "label": decision.label,
                   "rule": decision.rule, "matched_by": "user", "trust": m["trust"]}
        on = self._on(row, arrived)
        with self.ws.transaction():
            # Checked before anything is written: a link that does not fit changes nothing.
            prepared = self.ws.log.prepare(row, Event(kind, on, "user", details))
            self._changed(row["id"])
            self.ws.log.write(prepared)
            needs = "unclassified" if decision.label == "unclassified" else None
            store.update(self.db, "messages", pk, {
                "request_id": row["id"], "matched_by": "user",
                "match_detail": "linked by hand", "label": decision.label,
                "rule": decision.rule, "reason": decision.reason,
                "evidence_text": decision.evidence or None, "needs": needs,
                "updated_at": now()})
        return {**self.describe({**m, "ref": row["ref"], "request_id": row["id"],
                                 "label": decision.label, "rule": decision.rule,
                                 "reason": decision.reason, "needs": needs,
                                 "matched_by": "user", "match_detail": "linked by hand",
                                 "evidence_text": decision.evidence or None}),
                "event": kind}


def _forward_note(msg: inbound.Inbound, carried: inbound.Inbound) -> str:
    when = f" of {carried.date.date().isoformat()}" if carried.date else ""
    return (f"forwarded by {msg.from_addr or 'someone'}: read as the answer from "
            f"{carried.from_addr or 'an unknown sender'}{when}")


def _message_row(msg, row, found, decision, trust, trust_why, source, key, digest, size,
                 arrived) -> dict:
    """The `messages` row of a reply taken in."""
    return {
        "request_id": row["id"] if row else None, "direction": "in", "state": "received",
        "transport": source.partition(":")[0], "message_id": msg.message_id,
        "in_reply_to": msg.in_reply_to[0] if msg.in_reply_to else None,
        "refs": json.dumps(msg.references), "subject": msg.subject[:998],
        "from_addr": msg.from_addr,
        "to_addrs": json.dumps(msg.recipients[:50]),
        "date": msg.date.isoformat() if msg.date else None,
        "sha256": digest, "size": size,
        "detail": "; ".join([trust_why, *msg.problems]),
        "label": decision.label, "rule": decision.rule, "reason": decision.reason,
        "evidence_text": decision.evidence or None,
        "matched_by": found.signal if row else None,
        "match_detail": found.words() if row else found.reason,
        "trust": trust, "source": source, "dedupe": key,
        "received_on": arrived.isoformat() if arrived else None,
        "created_at": (at := now()), "updated_at": at,
    }


def dedupe_key(raw: bytes, msg: inbound.Inbound | None = None) -> str:
    """A message is the same message when its Message-ID is; one without a
    Message-ID is the same when its bytes are."""
    if msg is not None and msg.message_id:
        return "mid:" + msg.message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()
