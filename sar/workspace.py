"""The library behind every command: one Workspace per home directory.

A command parses its arguments, calls one method here and formats the result.
Every change to a request is an event written in the same transaction as the
cached status and due date it implies (DESIGN.md: the log is the truth).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from sar import home as home_mod
from sar import profile as profile_mod
from sar.core import calendars, deadlines, lifecycle, refs
from sar.core.lifecycle import Event
from sar.errors import (
    InvalidEventError,
    NotFoundError,
    SarError,
    StoreError,
    UsageError,
    closest,
    unknown,
)
from sar.store import db as store


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def default_regime(calendar: str) -> str:
    """The law a requester living under `calendar` would normally invoke."""
    country = calendar.split("-")[0].upper()
    if country == "GB":
        return "uk-gdpr"
    if calendar.upper() == "US-CA":
        return "ccpa"
    return "eu-gdpr"


class Workspace:
    """All of sar's state under one home directory."""

    def __init__(self, root: Path | str | None = None, today: dt.date | None = None):
        self.home = home_mod.Home(home_mod.resolve(root))
        if self.home.root.exists() and not self.home.root.is_dir():
            # Even to look: "no requests" would hide a mistyped SAR_HOME.
            raise StoreError(f"cannot use {self.home.root} as the sar home: "
                             "it is not a directory")
        self.today = today or home_mod.today()

    # -- set-up -------------------------------------------------------------------

    @cached_property
    def db(self):
        from sar.store.db import connect

        self.home.ensure()
        return connect(self.home.db_path, self.home.key)

    @cached_property
    def config(self) -> dict:
        return self.home.load_config()

    @cached_property
    def directory(self):
        from sar.directory import Directory

        return Directory(self.home.orgs, user_groups=self.home.root / "groups.toml")

    @cached_property
    def evidence(self):
        from sar.store.evidence import EvidenceStore

        return EvidenceStore(self.home.subdir(self.home.evidence), self.home.key)

    @contextmanager
    def transaction(self):
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so two
        sar processes queue (busy timeout) instead of failing halfway; nested calls
        become savepoints."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def options(self) -> deadlines.Options:
        from sar import config as cfg

        return deadlines.Options(**{
            name: cfg.get(self.config, f"deadlines.{name}")
            for name in ("email_receipt", "post_presumption", "pause_counting", "uk_counting")
        })

    def profile(self) -> profile_mod.Profile:
        return profile_mod.from_config(self.config)

    def init(self, profile: profile_mod.Profile, encrypt: bool = False) -> Path:
        if encrypt:
            from sar import crypto

            if self.home.db_path.exists() or self.home.config_path.exists():
                raise UsageError(f"{self.home.root} is already in use: encryption is chosen "
                                 "when a home is made (back it up, then start a new home "
                                 "with --encrypt)")
            crypto.setup(self.home.root)
        self.home.ensure()
        config = self.home.load_config()
        config["profile"] = profile.as_dict()
        config.setdefault("mail", {}).setdefault("transport", "maildir")
        self.home.save_config(config)
        self.__dict__.pop("config", None)
        self.db  # noqa: B018 - create and migrate the database now, not on first use
        return (self.home.config_path.with_name("config.toml.enc") if self.home.encrypted
                else self.home.config_path)

    def set_config(self, key: str, value: str | None) -> None:
        """Change a setting; None puts it back to its default."""
        from sar import config as cfg

        config = self.home.load_config()
        if value is None:
            cfg.unset(config, key)
        else:
            cfg.put(config, key, value)
        self.home.save_config(config)
        self.__dict__.pop("config", None)
        if key.startswith("deadlines.") and self.home.db_path.exists():
            self.reassess()

    def reassess(self, everything: bool = False) -> int:
        """Recompute every open request's (or every request's) cached status and due
        date (after a change of deadline rules), in one transaction. Returns how many
        changed."""
        changed = 0
        closed = ", ".join(f"'{s}'" for s in lifecycle.CLOSED)
        sql = "SELECT * FROM requests" + ("" if everything else f" WHERE status NOT IN ({closed})")
        with self.transaction():
            for row in list(self.db.query(sql)):
                a = self.assess(row, as_of_today=False)
                due = a.deadline.due.isoformat() if a.deadline and a.deadline.due else None
                if (a.base_status, due) != (row["status"], row["due"]):
                    store.update(self.db, "requests", row["id"], {"status": a.base_status, "due": due,
                                                           "updated_at": _now()})
                    changed += 1
        return changed

    # -- organisations ------------------------------------------------------------

    def add_org(self, *, slug: str, name: str | None = None, email: str | None = None,
                domains: list[str] = (), kind: str | None = None, country: str | None = None,
                calendar: str | None = None, regime: str | None = None,
                address: str | None = None) -> dict:
        """Add a user record, or lay the given fields over an existing one."""
        from sar import letters, validate
        from sar.directory import from_record, write_user_record

        slug = validate.slug(slug)
        record = {"slug": slug, "name": name, "email": email,
                  "domains": [validate.domain(d) for d in domains], "kind": kind,
                  "country": validate.country(country) if country else None,
                  "calendar": calendar.upper() if calendar else None, "regime": regime,
                  "address": validate.address_lines(address) if address else None}
        record = {k: v for k, v in record.items() if v not in (None, [])}
        if regime is not None and regime not in letters.FAMILIES:
            raise UsageError(unknown("regime", regime, letters.FAMILIES))
        existing = self.directory.raw(slug)
        if existing is None:
            if not name:
                raise UsageError(f"{slug} is a new organisation: give its --name")
            if not email and not address:
                raise UsageError(f"{slug} is a new organisation: give its --email or --address")
        # A contact the user adds is the one to use.
        merged = {**(existing or {}), **record}
        if email:
            record["channel"] = "email"
        elif address and not merged.get("email"):
            record["channel"] = "post"
        merged.update(record)
        # Validate the record as it will be read back, before anything is written.
        from_record(merged, f"orgs add {slug}", "user")
        if self.directory.origin(slug) == "imported":
            # An import may be replaced by one without this record: keep it whole.
            record = {k: v for k, v in merged.items() if k != "supersedes"}
        write_user_record(self.home.subdir(self.home.orgs), record)
        self.__dict__.pop("directory", None)
        return self.directory.get(slug).as_dict()

    def edit_org(self, slug: str, **fields) -> dict:
        """Change fields of an organisation that exists (built-in, imported or yours)."""
        self.directory.get(slug)  # NotFoundError with a suggestion if it does not
        if not any(v for v in fields.values()):
            raise UsageError("give at least one field to change, such as --email")
        return self.add_org(slug=self.directory.get(slug).slug, **fields)

    def import_orgs(self, folder: Path):
        """Import an open directory (the datenanfragen format) under the user's records."""
        from sar.directory.importers import import_datenanfragen

        self.home.ensure()
        report = import_datenanfragen(Path(folder), self.home.subdir(self.home.orgs) / "imported")
        self.__dict__.pop("directory", None)
        return report

    # -- requests -----------------------------------------------------------------

    def new(self, kind: str, slugs: list[str], *, regime: str | None = None,
            via: str | None = None, lang: str | None = None, details: str | None = None,
            again: bool = False) -> list[dict]:
        """Draft one request per organisation; all or nothing."""
        from sar import letters

        if kind not in lifecycle.KINDS:
            raise UsageError(unknown("kind", kind, lifecycle.KINDS))
        if not slugs:
            raise UsageError("name at least one organisation with --to")
        if regime is not None and regime not in letters.FAMILIES:
            raise UsageError(unknown("regime", regime, letters.FAMILIES))
        if via is not None and via not in ("email", "post"):
            raise UsageError("--via must be email or post")
        me = self.profile()
        extra = _details(kind, details)

        # Named organisations must all be reachable; members of a @group that are
        # not (no contact known yet) are skipped and reported, not fatal.
        orgs, from_groups = self.directory.expand(slugs)
        plans, skipped = [], []
        for org in orgs:
            try:
                plans.append(self._plan(org, me, kind, regime, via, lang, again))
            except UsageError as e:
                if org.slug not in from_groups:
                    raise
                skipped.append({"org": org.slug, "reason": str(e),
                                "shared": getattr(e, "shared", None)})
        if not plans:
            raise UsageError("none of those organisations can be written to: "
                             + "; ".join(skip_lines(skipped)))
        notes = [f"{old} is an obsolete record: writing to {new} instead"
                 for old, new in self.directory.redirected.items()]
        if kind == "restriction" and not details:
            # Art. 18(1): restriction is owed on one of four grounds; a letter that
            # names its own is harder to refuse than one that lists them all.
            notes.append("the letter lists the four grounds of Article 18(1) without "
                         "saying which is yours: add --details, e.g. 'I contest the "
                         "accuracy of my address while you check it'")
        if any(p["regime"] == "ccpa" for p in plans) and me.calendar.upper() != "US-CA":
            # Cal. Civ. Code 1798.140(i): the CCPA's rights are California residents'.
            notes.append(f"the CCPA protects California residents, and your profile's "
                         f"calendar is {me.calendar}: if you live elsewhere, the "
                         "organisation may refuse; set `sar init --calendar US-CA` if you "
                         "live in California")

        created = []
        with self.transaction():
            requester_id = self._snapshot("requesters", _requester_snapshot(me))
            for plan in plans:
                org = plan["org"]
                org_id = self._snapshot("organisations", _org_snapshot(org))
                ref = self._unused_ref()
                row = {"ref": ref, "requester_id": requester_id, "organisation_id": org_id,
                       "org_slug": org.slug, "kind": kind, "regime": plan["regime"],
                       "channel": plan["channel"], "lang": plan["lang"],
                       "calendar": plan["calendar"], "details": json.dumps(extra),
                       "created_on": self.today.isoformat(), "status": "draft", "due": None,
                       "updated_at": _now()}
                request_id = store.insert(self.db, "requests", row)
                row["id"] = request_id
                self._append(row, Event("drafted", self.today, "system",
                                        {"org": org.slug, "channel": plan["channel"]}))
                created.append({"ref": ref, "org": org.slug, "kind": kind,
                                "regime": plan["regime"], "channel": plan["channel"],
                                "lang": plan["lang"], "status": "draft"})
        return Drafted(created, skipped, notes)

    def _plan(self, org, me, kind, regime, via, lang, again) -> dict:
        if org.kind == "supervisory-authority":
            raise _unwritable(f"{org.slug} is a regulator: it takes complaints about other "
                              "organisations, not requests",
                              "they are regulators: they take complaints, not requests")
        if via is None and org.channel == "webform" and org.webform:
            other = ("--via email" if org.email else "--via post" if org.address else None)
            raise UsageError(
                f"{org.slug} asks for requests through its web form, {org.webform}"
                + (f"; to write anyway, add {other}" if other else
                   "; sar cannot fill in a web form"))
        channel = via or ("email" if org.email and org.channel != "post" else
                          "post" if org.address else "email" if org.email else None)
        if channel is None:
            raise _unwritable(f"no email or postal address is known for {org.slug}: add one "
                              f"with `sar orgs edit {org.slug} --email ADDRESS`",
                              "no email or postal address is known for them: add one with "
                              "`sar orgs edit SLUG --email ADDRESS`")
        if channel == "email" and not org.email:
            raise UsageError(f"no email address is known for {org.slug}: use --via post"
                             if org.address else f"no email address is known for {org.slug}")
        if channel == "post" and not org.address:
            raise UsageError(f"no postal address is known for {org.slug}: use --via email"
                             if org.email else f"no postal address is known for {org.slug}")
        if not again:
            closed = ", ".join(f"'{s}'" for s in lifecycle.CLOSED)
            open_ = self.db.execute(
                f"SELECT ref, status FROM requests WHERE org_slug = ? AND kind = ? "
                f"AND status NOT IN ({closed}) AND campaign_id IS NULL ORDER BY id LIMIT 1",
                [org.slug, kind]).fetchone()
            if open_:
                raise UsageError(f"an open {kind} request to {org.slug} exists already "
                                 f"({open_[0]}, {open_[1]}); add --again to draft another")
        from sar import letters

        regime = regime or org.regime or default_regime(me.calendar)
        templates = self.home.templates
        if regime not in letters.FAMILIES:
            raise UsageError(f"{org.slug}'s regime is {regime}, for which sar has no letters "
                             f"yet: use --regime {' or '.join(letters.FAMILIES)}")
        if lang is None:
            # The organisation's own request language when we have letters in it.
            preferred = [org.lang, self.config.get("letters", {}).get("lang"), "en"]
            lang = next((c for c in preferred
                         if c and letters.available(c, regime, kind, templates)), None)
            if lang is None:
                raise UsageError(f"there is no {kind} letter for {regime} yet")
        elif not letters.available(lang, regime, kind, templates):
            raise UsageError(f"there is no {kind} letter for {regime} in language {lang!r} yet")
        return {"org": org, "regime": regime, "channel": channel, "lang": lang,
                "calendar": org.calendar or me.calendar}

    def refresh_snapshots(self, row: dict) -> dict:
        """Before a draft (or a bounced letter) goes out, take the current directory
        record and profile, so a corrected address is used; an event says so."""
        if not self._unsent(row):
            return row
        try:
            org = self.directory.get(row["org_slug"])
        except NotFoundError:
            return row  # the record was removed: the snapshot is all we have
        with self.transaction():
            org_id = self._snapshot("organisations", _org_snapshot(org))
            # A campaign request names its participant by pseudonym only: the person
            # is read from `identities` when the letter is written.
            requester_id = (row["requester_id"] if row.get("participant_id") else
                            self._snapshot("requesters", _requester_snapshot(self.profile())))
            if (org_id, requester_id) == (row["organisation_id"], row["requester_id"]):
                return row
            old = json.loads(self._org_row(row)["record"])
            changes = {}
            if org_id != row["organisation_id"]:
                changes["to"] = org.email or ", ".join(org.address)
                changes["was"] = old.get("email") or old.get("address") or ""
            if requester_id != row["requester_id"]:
                changes["profile"] = "updated"
            store.update(self.db, "requests", row["id"], {"organisation_id": org_id,
                                                   "requester_id": requester_id})
            row = {**row, "organisation_id": org_id, "requester_id": requester_id}
            self._append(row, Event("redrafted", self.today, "system", changes))
        return self.find(row["ref"])

    def current_email(self, row: dict) -> str | None:
        """The organisation's email as the directory has it now (maybe not the snapshot)."""
        try:
            return self.directory.get(row["org_slug"]).email
        except NotFoundError:
            return None

    def check_event(self, row: dict, event: Event) -> None:
        """Raise InvalidEventError if `event` does not fit the request's history."""
        events = self.events(row["id"])
        seq = max((e.seq for e in events), default=0) + 1
        lifecycle.derive([*events, Event(event.kind, event.on, event.source, event.details,
                                         seq, event.at)])

    def _snapshot(self, table: str, data: dict) -> int:
        fingerprint = _fingerprint(data)
        row = self.db.execute(f"SELECT id FROM {table} WHERE fingerprint = ?",
                              [fingerprint]).fetchone()
        if row:
            return row[0]
        stored = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                  for k, v in data.items()}
        return store.insert(self.db, table, {**stored, "fingerprint": fingerprint,
                                      "created_at": _now()})

    def _unused_ref(self) -> str:
        for _ in range(100):
            ref = refs.new_ref()
            if not self.db.execute("SELECT 1 FROM requests WHERE ref = ?", [ref]).fetchone():
                return ref
        raise SarError("could not find an unused reference")  # pragma: no cover

    # -- reading ------------------------------------------------------------------

    def find(self, ref: str) -> dict:
        if not self.home.db_path.exists():
            raise NotFoundError(f"no request {ref.strip()!r}: no requests yet "
                                f"in {self.home.root} (`sar new`)")
        wanted = refs.normalise(ref)
        rows = list(self.db.query("SELECT * FROM requests WHERE ref = ?", [wanted]))
        if rows:
            return rows[0]
        known = {r[0][len(refs.PREFIX):]: r[0] for r in
                 self.db.execute("SELECT ref FROM requests").fetchall()}
        # Compare the five characters that differ, not the shared SAR- prefix.
        close = closest(wanted[len(refs.PREFIX):], known)
        hint = (f" (did you mean {known[close[0]]}?)" if close else "") if known else \
            " (no requests yet: `sar new`)"
        raise NotFoundError(f"no request {ref.strip()!r}{hint}")

    def events(self, request_id: int) -> list[Event]:
        out = []
        for r in self.db.query("SELECT * FROM events WHERE request_id = ? ORDER BY seq",
                               [request_id]):
            at = dt.datetime.fromisoformat(r["occurred_at"]) if r["occurred_at"] else None
            out.append(Event(r["kind"], dt.date.fromisoformat(r["occurred_on"]), r["source"],
                             json.loads(r["details"]), r["seq"], at))
        return out

    def assess(self, row: dict, events: list[Event] | None = None, *,
               as_of_today: bool = True) -> lifecycle.Assessment:
        """Status and deadline. As of today, events dated later are not seen yet, so
        SAR_TODAY in the past shows the board as it stood then."""
        events = self.events(row["id"]) if events is None else events
        if as_of_today:
            events = [e for e in events if e.on <= self.today]
        return lifecycle.assess(events, row["regime"], row["calendar"], self.today,
                                self.options())

    def _send_unknown(self, request_id: int | None = None) -> set[int]:
        """Requests with a letter that may or may not have gone (see sar.mail.outbox)."""
        sql = f"SELECT DISTINCT request_id FROM messages WHERE {IN_DOUBT}"
        if request_id is None:
            return {r[0] for r in self.db.execute(sql)}
        return {r[0] for r in self.db.execute(sql + " AND request_id = ?", [request_id])}

    def summary(self, row: dict, send_unknown: set[int] | None = None) -> dict:
        if send_unknown is None:
            send_unknown = self._send_unknown(row["id"])
        if row.get("last_event_on") and row["last_event_on"] > self.today.isoformat():
            # A what-if date before the latest event: the cache is too new.
            a = self.assess(row)
            row = {**row, "status": a.base_status,
                   "due": a.deadline.due.isoformat() if a.deadline and a.deadline.due else None}
        status = lifecycle.status_on(row["status"], _date(row["due"]), self.today)
        if status in lifecycle.UNSENT and row["id"] in send_unknown:
            status = lifecycle.SEND_UNKNOWN
        due = _date(row["due"])
        return {"ref": row["ref"], "org": row["org_slug"], "kind": row["kind"],
                "regime": row["regime"], "channel": row["channel"], "status": status,
                "due": row["due"],
                "days_left": (due - self.today).days if due else None,
                "created_on": row["created_on"]}

    def list(self, status: str | None = None, org: str | None = None,
             kind: str | None = None) -> list[dict]:
        """Requests as of today, due soonest first. The status filter runs in SQL on
        the cached columns (fast for any number of requests); rows whose cache holds
        events after a what-if today are re-derived and filtered here."""
        if status is not None and status not in lifecycle.SHOWN_STATUSES:
            raise UsageError(unknown("status", status, lifecycle.SHOWN_STATUSES))
        if kind is not None and kind not in lifecycle.KINDS:
            raise UsageError(unknown("kind", kind, lifecycle.KINDS))
        if not self.home.db_path.exists():
            return []  # nothing drafted yet; do not create a home just to look
        where, params = [], []
        if org:
            where.append("org_slug = ?")
            params.append(self.directory.get(org).slug)
        if kind:
            where.append("kind = ?")
            params.append(kind)
        today = self.today.isoformat()
        running = ", ".join(f"'{s}'" for s in lifecycle.RUNNING)
        if status == lifecycle.SEND_UNKNOWN:
            condition, extra = ("status IN ('draft', 'bounced') AND id IN (SELECT request_id "
                                f"FROM messages WHERE {IN_DOUBT})"), []
        elif status == "overdue":
            condition, extra = f"status IN ({running}) AND due IS NOT NULL AND due < ?", [today]
        elif status in lifecycle.RUNNING:
            condition, extra = "status = ? AND (due IS NULL OR due >= ?)", [status, today]
        elif status:
            condition, extra = "status = ?", [status]
        if status:
            where.append(f"(({condition}) OR last_event_on > ?)")
            params += [*extra, today]
        # A what-if day in the past shows the board as it stood: requests drafted
        # later did not exist yet.
        where.append("created_on <= ?")
        params.append(today)
        sql = "SELECT * FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY due IS NULL, due, id"
        send_unknown = self._send_unknown()
        rows = [self.summary(r, send_unknown) for r in self.db.query(sql, params)]
        # Sorted again on the due date shown: a what-if today can move some.
        rows.sort(key=lambda r: (r["due"] is None, r["due"] or ""))
        return [r for r in rows if status is None or r["status"] == status]

    def overdue(self) -> list[dict]:
        return self.list(status="overdue")

    def board(self, status: str | None = None, org: str | None = None,
              kind: str | None = None) -> list[dict]:
        """Requests grouped by whose move it is, each group due soonest first."""
        rows = self.list(status=status, org=org, kind=kind)
        groups = {name: [] for name, _, _ in BOARD_GROUPS}
        for r in rows:
            groups[next(name for name, _, members in BOARD_GROUPS
                        if r["status"] in members)].append(r)
        return [{"name": name, "title": title, "requests": groups[name]}
                for name, title, _ in BOARD_GROUPS if groups[name]]

    def due(self, within_days: int) -> list[dict]:
        """Requests whose deadline falls within `within_days` of today, or has passed,
        still unanswered."""
        last = (self.today + dt.timedelta(days=within_days)).isoformat()
        return [r for r in self.list() if r["due"] and r["due"] <= last
                and r["status"] in (*lifecycle.RUNNING, "overdue")]

    def show(self, ref: str) -> dict:
        row = self.find(ref)
        every = self.events(row["id"])
        # As of today: a what-if date in the past does not see what came later.
        events = [e for e in every if e.on <= self.today]
        a = self.assess(row, events)
        org = self._org_record(row)  # for a draft, where it will go
        out = self.summary(row)
        dl = a.deadline
        status = (lifecycle.SEND_UNKNOWN if out["status"] == lifecycle.SEND_UNKNOWN
                  and a.status in lifecycle.UNSENT else a.status)
        out.update({
            "status": status,
            "due": dl.due.isoformat() if dl and dl.due else None,
            "calendar": row["calendar"],
            "organisation": {"slug": org["slug"], "name": org["name"], "email": org["email"],
                             "address": org["address"]},
            "deadline": dl.as_dict() if dl else None,
            "explanation": dl.explanation if dl else [],
            "warnings": dl.warnings if dl else [],
            "overdue_days": a.overdue_days,
            "events": [{"kind": e.kind, "on": e.on.isoformat(), "source": e.source,
                        "details": e.details, **({"at": e.at.isoformat()} if e.at else {})}
                       for e in events],
            "later_events": len(every) - len(events),
            "messages": [{"direction": m["direction"], "state": m["state"],
                          "transport": m["transport"], "message_id": m["message_id"],
                          "subject": m["subject"], "sha256": m["sha256"],
                          "evidence": str(self.evidence.path(m["sha256"])) if m["sha256"] else None,
                          "date": m["date"],
                          **({"id": m["id"], "from": m["from_addr"], "label": m["label"],
                              "rule": m["rule"], "reason": m["reason"],
                              "because": m["evidence_text"], "matched_by": m["matched_by"],
                              "match": m["match_detail"], "trust": m["trust"],
                              "needs": m["needs"]} if m["direction"] == "in" else {})}
                         for m in self.db.query("SELECT * FROM messages WHERE request_id = ? "
                                                "ORDER BY id", [row["id"]])],
            "next": lifecycle.next_step(status, row["channel"], row["ref"],
                                        reminded=any(e.kind == "reminded" for e in events)),
        })
        return out

    def _org_row(self, row: dict) -> dict:
        return next(self.db.query("SELECT * FROM organisations WHERE id = ?",
                                  [row["organisation_id"]]))

    def _unsent(self, row: dict) -> bool:
        """A draft, or a letter that bounced: what goes next is yet to be written."""
        return row["status"] in lifecycle.UNSENT

    def _org_record(self, row: dict) -> dict:
        """The organisation as the letter names it. A letter not yet sent uses the
        directory as it is now (as sending will: refresh_snapshots), so a preview is
        what goes; a sent one keeps the record it was sent with."""
        if self._unsent(row):
            try:
                return self.directory.get(row["org_slug"]).as_dict()
            except NotFoundError:
                pass
        return json.loads(self._org_row(row)["record"])

    # -- recording events ---------------------------------------------------------

    def _append(self, row: dict, event: Event) -> lifecycle.Assessment:
        """Add one event and refresh the cached status and due date, atomically."""
        with self.transaction():
            prepared = self.prepare_event(row, event)
            self.write_event(prepared)
        return prepared.assessment

    def prepare_event(self, row: dict, event: Event) -> PreparedEvent:
        """Check an event against the history and work out everything it writes: the
        log row with its chained hash, and the request's new cached status and due
        date. Writing it later (`write_event`) is then two statements, which keeps
        the work between a message's hand-over and its record short."""
        events = self.events(row["id"])
        seq = max((e.seq for e in events), default=0) + 1
        event = Event(event.kind, event.on, event.source, event.details, seq, event.at)
        try:
            lifecycle.derive([*events, event])
        except InvalidEventError as e:
            failing = getattr(e, "event", event)
            if failing.seq == seq:
                raise
            raise InvalidEventError(
                f"cannot record {event.kind} on {event.on}: the {failing.kind} recorded "
                f"for {failing.on} would no longer fit ({e})") from None
        assessment = self.assess(row, [*events, event], as_of_today=False)
        prev = self.db.execute("SELECT hash FROM events WHERE request_id = ? ORDER BY seq "
                               "DESC LIMIT 1", [row["id"]]).fetchone()
        record = event_record(row["id"], event, prev[0] if prev else "0" * 64)
        dl = assessment.deadline
        cache = {"status": assessment.base_status,
                 "due": dl.due.isoformat() if dl and dl.due else None,
                 "last_event_on": max(e.on for e in [*events, event]).isoformat()}
        return PreparedEvent(row, event, record, cache, assessment)

    def write_event(self, prepared: PreparedEvent) -> None:
        """Write a prepared event, inside the caller's transaction. If the request's
        log has moved on since it was prepared, prepare it again."""
        latest = self.db.execute("SELECT hash FROM events WHERE request_id = ? ORDER BY seq "
                                 "DESC LIMIT 1", [prepared.row["id"]]).fetchone()
        if (latest[0] if latest else "0" * 64) != prepared.record["prev_hash"]:
            prepared = self.prepare_event(prepared.row, prepared.event)
        store.insert(self.db, "events", {**prepared.record, "recorded_at": _now()})
        store.update(self.db, "requests", prepared.row["id"],
                     {**prepared.cache, "updated_at": _now()})

    def _check_date(self, on: dt.date, what: str) -> None:
        if on > self.today:
            raise UsageError(f"{what} {on.isoformat()} is after today ({self.today.isoformat()})")

    def mark(self, ref: str, event: str, on: dt.date | None = None,
             note: str | None = None, source: str = "user") -> dict:
        if event in lifecycle.SYSTEM:
            by = {"sent": "sar send", "posted": "sar post", "delivered": "sar post --delivered",
                  "reminded": "sar remind", "escalated": "sar complain",
                  "reply-received": "sar watch or sar link"}.get(event, "sar new")
            raise UsageError(f"cannot mark {event!r}: it is recorded by `{by}`")
        if event not in lifecycle.MARKABLE:
            raise UsageError(unknown("event", event, lifecycle.MARKABLE))
        if event == "note" and not note:
            raise UsageError("a note needs --note TEXT")
        if note:
            from sar import validate

            note = validate.text(note, "--note", max_len=2000)
        on = on or self.today
        self._check_date(on, "the date")
        row = self.find(ref)
        before = self.assess(row, as_of_today=False).deadline
        details = {"note": note} if note else {}
        with self.transaction():
            a = self._append(row, Event(event, on, source, details))
            # The user has now said what the replies waiting on this request mean.
            # A reply held as unverified is settled only by the answer it claimed.
            held = "OR needs = 'held'" if event in lifecycle.ANSWERS else ""
            if event != "note":
                self.db.execute("UPDATE messages SET needs = NULL WHERE request_id = ? AND "
                                f"direction = 'in' AND (needs IN ('unclassified', "
                                f"'not-applied') {held})", [row["id"]])
        known = set(before.warnings) if before else set()
        return {**self.summary({**row, "status": a.base_status,
                                "due": a.deadline.due.isoformat()
                                if a.deadline and a.deadline.due else None}),
                "warnings": [w for w in (a.deadline.warnings if a.deadline else [])
                             if w not in known]}

    def post(self, ref: str, *, posted: dt.date | None, method: str | None = None,
             delivered: dt.date | None = None, tracking: str | None = None,
             printed: Path | None = None) -> dict:
        """Record a letter posted. The evidence is the file printed (`printed`), or
        else the letter as sar renders it for the posting date."""
        if posted is None and delivered is None:
            raise UsageError("give --posted DATE (and --method), or --delivered DATE")
        if method is not None and method not in deadlines.POSTAL:
            raise UsageError(f"--method must be one of {', '.join(deadlines.POSTAL)}")
        if printed is not None and posted is None:
            raise UsageError("--file goes with --posted")
        row = self.find(ref)
        for when, what in ((posted, "posting date"), (delivered, "delivery date")):
            if when:
                self._check_date(when, f"the {what}")
        if posted and delivered and delivered < posted:
            raise UsageError("the delivery date is before the posting date")
        if tracking:
            from sar import validate

            tracking = validate.text(tracking, "tracking number", max_len=64)
        data = None
        if printed is not None:
            try:
                if not printed.is_file():
                    raise UsageError(f"{printed} is not a file")
                if printed.stat().st_size > MAX_PRINTED:
                    raise UsageError(f"{printed} is over {MAX_PRINTED // 2**20} MB: "
                                     "give the letter as printed, not a scan of a folder")
                data = printed.read_bytes()
            except OSError as e:
                raise UsageError(f"cannot read {printed}: {e.strerror}") from None
        if posted:
            method = method or "first-class"
            self.check_event(row, Event("posted", posted, "user", {"method": method}))
            row = self.refresh_snapshots(row)
        with self.transaction():
            if posted:
                letter = self._letter(row, posted, method)
                if data is None:
                    from sar.letters.text import as_text

                    data = as_text(letter).encode("utf-8")
                digest = self.evidence.put(data)
                details = {"method": method, "sha256": digest,
                           "evidence": "printed file" if printed else "rendered by sar"}
                if tracking:
                    details["tracking"] = tracking
                self._append(row, Event("posted", posted, "user", details))
                org = json.loads(self._org_row(row)["record"])
                store.insert(self.db, "messages", {
                    "request_id": row["id"], "direction": "out", "state": "sent",
                    "transport": "post", "subject": letter.subject,
                    "to_addrs": json.dumps(org.get("address_lines") or [], ensure_ascii=False),
                    "date": posted.isoformat(), "sha256": digest, "size": len(data),
                    "detail": method + (f", tracking {tracking}" if tracking else ""),
                    "created_at": _now(), "updated_at": _now()})
            if delivered:
                self._append(row, Event("delivered", delivered, "user", {}))
        return self.show(row["ref"])

    # -- letters ------------------------------------------------------------------

    def _letter(self, row: dict, letter_date: dt.date, via: str | None = None):
        from sar import letters

        context = self.letter_context(row, letter_date, via)
        return letters.build(context, lang=row["lang"], regime=row["regime"], kind=row["kind"],
                             user_templates=self.templates_for(row))

    def templates_for(self, row: dict) -> Path | None:
        """Where a request's letters may be overridden: its campaign's templates, else
        the home's `templates/` folder (the built-in ones fill any gap)."""
        if row.get("campaign_id"):
            from sar.campaign import campaign_templates

            found = campaign_templates(self, row["campaign_id"])
            if found is not None:
                return found
        return self.home.templates if self.home.templates.is_dir() else None

    def letter_context(self, row: dict, letter_date: dt.date, via: str | None = None) -> dict:
        """What a template sees. The deadline is the one the letter itself can state:
        from its own date and channel, whatever happened after it was sent."""
        from sar import letters

        org = self._org_record(row)
        via = via or ("email" if row["channel"] == "email" else self._posting_method(row))
        receipt, due, facts = _stated_deadline(letter_date, via, row["regime"],
                                               row["calendar"], self.options())
        context = {
            "requester": self._requester(row),
            "org": {**org, "address": org.get("address_lines") or []},
            "request": {"ref": row["ref"], "kind": row["kind"], "regime": row["regime"],
                        "channel": "email" if via in deadlines.ELECTRONIC else "post",
                        "date": letter_date,
                        "receipt": receipt, "due": due,
                        "due_rule": rule_words(facts), "due_facts": facts,
                        "details": json.loads(row["details"] or "{}")},
            "law": letters.LAW[row["regime"]],
        }
        if row.get("campaign_id"):
            from sar.campaign import agent_context

            agent = agent_context(self, row)
            if agent:
                context["agent"] = agent
        return context

    def _posting_method(self, row: dict) -> str:
        for e in reversed(self.events(row["id"])):
            if e.kind == "posted":
                return e.details.get("method", "first-class")
        return "first-class"

    def letter_date(self, row: dict) -> dt.date:
        if self._unsent(row):
            return self.today  # it will be dated the day it goes
        for e in reversed(self.events(row["id"])):
            if e.kind in ("sent", "posted"):
                return e.on
        return self.today

    def letter(self, ref: str, fmt: str, follow_up: str | None = None,
               offered: str | None = None) -> bytes:
        """The letter as text, eml or docx; a sent email comes back exactly as sent.
        With `follow_up`, the follow-up letter of that kind, dated today."""
        if fmt not in ("text", "eml", "docx"):
            raise UsageError("--format must be text, eml or docx")
        row = self.find(ref)
        if follow_up:
            letter = self._follow_up(row, follow_up, offered)
        else:
            if offered:
                raise UsageError("--details goes with --follow-up id-reply")
            if fmt == "eml":
                sent = self.db.execute(
                    "SELECT sha256 FROM messages WHERE request_id = ? AND direction = 'out' "
                    "AND transport != 'post' AND state = 'sent' ORDER BY id DESC LIMIT 1",
                    [row["id"]]).fetchone()
                if sent:
                    return self.evidence.get(sent[0])
            letter = self._letter(row, self.letter_date(row))
        if fmt == "text":
            from sar.letters.text import as_text

            return as_text(letter).encode("utf-8")
        if fmt == "docx":
            from sar.letters.docx import as_docx

            return as_docx(letter)
        when = dt.datetime.combine(letter.date, dt.time(12, 0), tzinfo=dt.UTC)
        return self._compose(row, letter, when, current=bool(follow_up))[1]

    def preview(self, ref: str, follow_up: str | None = None, offered: str | None = None) -> str:
        """What the organisation will read: for an email its To, Subject and body; for
        post the whole letter."""
        from sar.letters.text import as_text, email_body

        row = self.find(ref)
        letter = (self._follow_up(row, follow_up, offered) if follow_up
                  else self._letter(row, self.letter_date(row)))
        org = self._org_record(row)
        if row["channel"] != "email":
            return as_text(letter)
        return (f"To: {org['name']} <{org['email']}>\nSubject: {letter.subject}\n\n"
                + email_body(letter))

    def reminder_days(self) -> int:
        """Days a reminder gives before its final date (letters.reminder_days)."""
        from sar import config as cfg

        days = cfg.get(self.config, "letters.reminder_days")
        if not 1 <= days <= 60:
            raise UsageError("letters.reminder_days must be between 1 and 60 days "
                             f"(it is {days})")
        return days

    def _follow_up(self, row: dict, kind: str, offered: str | None, extra: dict | None = None):
        """A follow-up letter (reminder, reply to an ID request, challenge to an
        extension; a complaint to the regulator, with `extra` context) with the facts
        of the request so far."""
        from sar import letters, validate

        if kind not in FOLLOW_UPS and kind != "complaint":
            raise UsageError(unknown("follow-up", kind, FOLLOW_UPS))
        if offered and kind != "id-reply":
            raise UsageError("--details goes with --follow-up id-reply")
        events = [e for e in self.events(row["id"]) if e.on <= self.today]
        sending = [e for e in events if e.kind in ("sent", "posted")]
        if not sending:
            raise UsageError(f"{row['ref']} has not been sent yet: there is nothing to "
                             "follow up")
        needs = {"id-reply": "id-requested", "extension-challenge": "extended"}
        if kind in needs and not any(e.kind == needs[kind] for e in events):
            raise UsageError(f"{row['ref']} has no {needs[kind]} recorded: record it first "
                             f"with `sar mark {row['ref']} {needs[kind]}`")
        a = self.assess(row)
        dl = a.deadline
        if a.base_status in lifecycle.CLOSED and kind != "complaint":
            raise UsageError(f"{row['ref']} is {a.base_status}: there is nothing to chase")
        if kind in ("reminder", "complaint") and dl and dl.due and self.today <= dl.due \
                and a.base_status not in ("refused", "partially-fulfilled"):
            raise UsageError(f"{row['ref']} is not overdue: the deadline is {dl.due}; a "
                             "reminder can go from the day after")
        if kind in ("reminder", "extension-challenge", "complaint") and dl and dl.due is None:
            raise UsageError(f"{row['ref']}: the clock is stopped while the organisation waits "
                             f"for your {dl.waiting_for}; answer it first"
                             + (" (`--follow-up id-reply`)" if dl.waiting_for == "ID" else ""))
        first = sending[-1]
        message = self.original_message_id(row)
        context = self.letter_context(row, self.today)
        context.update({
            "requester": self._requester(row, current=True),  # written today, from today's me
            "original": {"date": first.on, "channel": "email" if first.kind == "sent" else "post",
                         "method": first.details.get("method", ""),
                         "message_id": message if message and first.kind == "sent" else "",
                         "receipt": dl.receipt if dl else first.on,
                         "delivered": any(e.kind == "delivered" for e in events)},
            "deadline": {"due": dl.due or dl.receipt if dl else first.on,
                         "rule": context["request"]["due_rule"],
                         "extended": bool(dl and dl.extended),
                         "extension_notified": next((e.on for e in events
                                                     if e.kind == "extended"), None),
                         "extension_valid": bool(dl and dl.extended),
                         "ext_notice_due": dl.ext_notice_due if dl else first.on,
                         "extended_due": dl.extended_due if dl else first.on},
            "id": {"requested_on": next((e.on for e in reversed(events)
                                         if e.kind == "id-requested"), None)},
            "followup": {"offered": validate.text(offered, "--details", max_len=2000)
                         if offered else ""},
            # Seven to fourteen days is the practice for a last chance (legal.md §4.3),
            # ending on a working day of the organisation's calendar.
            "final_date": calendars.get(row["calendar"]).roll_forward(
                self.today + dt.timedelta(days=self.reminder_days()))[0],
            # DPA 2018 s.164A (from 19 June 2026): a complaint to the controller
            # itself, which it must acknowledge within 30 days.
            "s164a": row["regime"] == "uk-gdpr" and self.today >= S164A_IN_FORCE,
        })
        if dl and dl.due:
            context["deadline"]["facts"] = rule_facts(dl)
            context["deadline"]["rule"] = rule_words(context["deadline"]["facts"])
        else:
            context["deadline"]["facts"] = context["request"]["due_facts"]
        context.update(extra or {})
        # The complaint goes to a regulator in English (the ICO; most EU authorities
        # take English); letters to organisations keep the request's language.
        lang = "en" if kind == "complaint" else row["lang"]
        return letters.build(context, lang=lang, regime=row["regime"], kind=kind,
                             user_templates=self.templates_for(row))

    def original_message_id(self, row: dict) -> str | None:
        """The Message-ID of the request's own letter (not a reminder sent since)."""
        found = self.db.execute(
            "SELECT message_id FROM messages WHERE request_id = ? AND direction = 'out' AND "
            "purpose = 'letter' AND state = 'sent' ORDER BY id DESC LIMIT 1",
            [row["id"]]).fetchone()
        return found[0] if found else None

    def outgoing_letter(self, row: dict, purpose: str):
        """What a message of this purpose carries for a request, and the message it
        answers: the request's letter as of today, or a reminder on its thread."""
        if purpose == "reminder":
            return self._follow_up(row, "reminder", None), self.original_message_id(row)
        return self._letter(row, self.today), None

    def _compose(self, row: dict, letter, when: dt.datetime, extra: list[Path] = (),
                 current: bool = False, in_reply_to: str | None = None):
        """The complete email for a request: see sar.mail.compose."""
        from sar import config as cfg
        from sar.letters.text import email_body
        from sar.mail import compose

        org = self._org_record(row)
        if not org.get("email"):
            raise UsageError(f"{row['ref']}: no email address is known for {org['slug']}; "
                             "print the letter and post it")
        me = self._requester(row, current)
        sender = cfg.get(self.config, "mail.from") or me["email"]
        sender_name = me["name"]
        reply_to = (compose.plus_address(sender, row["ref"])
                    if cfg.get(self.config, "mail.plus_address") else None)
        message_domain = sender
        attachments = []
        if row.get("campaign_id"):
            from sar.campaign import envelope

            env = envelope(self, row, me)
            sender, sender_name, reply_to = env.sender, env.sender_name, env.reply_to
            message_domain = env.message_domain
            attachments += env.attachments
        if cfg.get(self.config, "letters.attach_docx"):
            from sar.letters.docx import as_docx

            attachments.append((f"{row['ref']}.docx", compose.DOCX, as_docx(letter)))
        attachments += compose.read_attachments(extra)
        message_id = compose.new_message_id(row["ref"], message_domain)
        msg = compose.compose(subject=letter.subject, body=email_body(letter),
                              sender_name=sender_name, sender_email=sender,
                              to_name=org["name"], to_email=org["email"],
                              message_id=message_id, when=when, reply_to=reply_to,
                              in_reply_to=in_reply_to, attachments=attachments,
                              reply_to_name=me["name"])
        return msg, compose.as_bytes(msg)

    def _requester(self, row: dict, current: bool = False) -> dict:
        """The requester as the letter names them: the profile now for a letter not
        yet sent (see _org_record) or a follow-up written today (`current`), the
        snapshot for one that went."""
        if row.get("participant_id"):
            from sar.campaign import participant_identity

            return participant_identity(self, row)
        if current or self._unsent(row):
            snap = _requester_snapshot(self.profile())
        else:
            r = next(self.db.query("SELECT * FROM requesters WHERE id = ?",
                                   [row["requester_id"]]))
            snap = {k: r[k] for k in ("name", "email", "date_of_birth")}
            snap |= {k: json.loads(r[k]) for k in ("address", "previous_addresses")}
        return {k: snap[k] for k in ("name", "email", "address", "previous_addresses",
                                     "date_of_birth")}

    # -- sending ------------------------------------------------------------------

    def transport(self):
        """The configured transport: the Maildir outbox, or SMTP (mail.transport)."""
        from sar import config as cfg
        from sar.mail.transports import MaildirTransport

        if cfg.get(self.config, "mail.transport") == "maildir":
            return MaildirTransport(self.home.outbox)
        from sar.mail.smtp import SmtpSettings, SmtpTransport

        host = cfg.get(self.config, "smtp.host")
        if not host:
            raise UsageError("mail.transport is smtp but smtp.host is not set: "
                             "`sar config set smtp.host mail.example.org`")
        security = cfg.get(self.config, "smtp.security")
        port = cfg.get(self.config, "smtp.port") or {"tls": 465, "starttls": 587}.get(security, 25)
        wait = cfg.get(self.config, "smtp.retry_wait")
        return SmtpTransport(SmtpSettings(
            host=host, port=port, security=security,
            username=cfg.get(self.config, "smtp.username"),
            auth=cfg.get(self.config, "smtp.auth"),
            token_command=cfg.get(self.config, "smtp.token_command"),
            ca_file=cfg.get(self.config, "smtp.ca_file")), backoff=(wait, wait * 5, wait * 25))

    def imap_settings(self):
        from sar import config as cfg
        from sar.mail.imap import ImapSettings

        host = cfg.get(self.config, "imap.host")
        if not host:
            raise UsageError("imap.host is not set: `sar config set imap.host imap.example.org`")
        security = cfg.get(self.config, "imap.security")
        port = cfg.get(self.config, "imap.port") or {"tls": 993}.get(security, 143)
        return ImapSettings(host=host, port=port, security=security,
                            username=cfg.get(self.config, "imap.username"),
                            auth=cfg.get(self.config, "imap.auth"),
                            token_command=cfg.get(self.config, "imap.token_command"),
                            ca_file=cfg.get(self.config, "imap.ca_file"))

    def sent_copy(self):
        """Where to keep a copy of each letter sent (mail.sent_folder), or None."""
        from sar import config as cfg

        folder = cfg.get(self.config, "mail.sent_folder")
        if not folder:
            return None
        from sar.mail.imap import SentCopy

        return SentCopy(self.imap_settings(), folder)

    def send(self, refs_: list[str] | None = None, *, all_drafts: bool = False,
             retry_unknown: bool = False, dry_run: bool = False, rate: float | None = None,
             attachments: list[Path] = (), progress=None, confirm_sent: bool = False):
        """Send drafts by email through the configured transport, at most once each.
        With `confirm_sent`, record instead that a letter of unknown fate did go."""
        from sar.mail.outbox import Outbox, SendOptions

        if refs_ and all_drafts:
            raise UsageError("name requests or use --all, not both")
        if not refs_ and not all_drafts:
            raise UsageError("name the requests to send, or use --all")
        if confirm_sent:
            if all_drafts or retry_unknown or dry_run or attachments:
                raise UsageError("--confirm-sent records and sends nothing: it goes with named "
                                 "requests, without --all, --retry-unknown, --dry-run or "
                                 "--attach")
            return Outbox(self, self.transport()).confirm_sent([self.find(r) for r in refs_])
        if attachments and all_drafts:
            raise UsageError("--attach goes with named requests, not --all: identity "
                             "documents go only where you choose")
        from sar.mail import compose

        compose.read_attachments(attachments)  # a missing or huge file: refuse before anything
        if all_drafts:
            # A campaign's drafts go with `sar campaign send`, which checks consent.
            rows = list(self.db.query("SELECT * FROM requests WHERE status = 'draft' "
                                      "AND channel = 'email' AND campaign_id IS NULL "
                                      "ORDER BY id"))
        else:
            rows = [self.find(r) for r in refs_]
        if not rows or any(not r.get("campaign_id") for r in rows):
            self.profile()  # no profile, no sending (a campaign's letters name participants)
        options = SendOptions(retry_unknown=retry_unknown, dry_run=dry_run, rate=rate,
                              attachments=list(attachments), progress=progress)
        transport = self.transport()
        if transport.name != "maildir" and not dry_run and self.send_time() is None:
            # A real letter dated on a what-if day would put a false date in the log
            # and in the organisation's inbox: the deadline would run from the wrong day.
            raise UsageError(f"today is set to {self.today} (SAR_TODAY): unset it to send "
                             "real email; the Maildir outbox and --dry-run still work")
        # A what-if letter stays out of the real Sent folder too.
        copy = self.sent_copy() if self.send_time() is not None else None
        return Outbox(self, transport, copy).send(rows, options)

    # -- the inbox ------------------------------------------------------------------

    def watch(self, *, maildir: Path | None = None, imap: bool = False, once: bool = False,
              folders: list[str] = (), report=None, stop=None) -> None:
        """Read replies from a Maildir (always once) or the IMAP account (once, or
        staying connected until `stop`). `report(kind, value)` hears of each message."""
        from sar import config as cfg
        from sar.inbox import Inbox
        from sar.mail import sources

        if (maildir is None) == (not imap):
            raise UsageError("say where to read: --maildir DIR or --imap (one of them)")
        if maildir is not None and folders:
            raise UsageError("--folder goes with --imap")
        report = report or (lambda kind, value: None)
        max_bytes = int(cfg.get(self.config, "watch.max_message_mb") * 2**20)
        if maildir is not None:
            maildir = _expand(maildir)
            if not maildir.is_dir():
                raise UsageError(f"{maildir} is not a folder")
            inbox = Inbox(self)
            for result in sources.maildir(inbox, maildir, max_bytes):
                report("message", result)
            return
        settings = self.imap_settings()
        source = sources.ImapSource(Inbox(self), settings,
                                    list(folders) or [cfg.get(self.config, "imap.folder")],
                                    max_bytes)
        sources.watch(source, once=once, report=report, stop=stop,
                      idle_renew=cfg.get(self.config, "watch.idle_renew_seconds"),
                      poll=cfg.get(self.config, "watch.poll_seconds"),
                      idle_check=min(30.0, cfg.get(self.config, "watch.idle_renew_seconds")),
                      use_idle=cfg.get(self.config, "watch.use_idle"))

    def discover(self, *, maildir: Path | None = None, imap: bool = False,
                 folders: list[str] = (), since: dt.date | None = None, save: bool = False,
                 propose: str | None = None, picks: list[str] = (), all_matched: bool = False,
                 note=None, after_chunk=None) -> dict:
        """Scan a mailbox's headers for who writes to the user (sar.discover); with
        `propose`, draft requests to what was found."""
        from sar import config as cfg
        from sar import discover as d

        if (maildir is None) == (not imap):
            raise UsageError("say where to look: --maildir DIR or --imap (one of them)")
        if maildir is not None and folders:
            raise UsageError("--folder goes with --imap")
        if (picks or all_matched) and not propose:
            raise UsageError("--pick and --all-matched go with --propose access|erasure")
        if picks and all_matched:
            raise UsageError("--pick SLUG or --all-matched, not both")
        if propose and propose not in ("access", "erasure"):
            raise UsageError("--propose must be access or erasure")
        if propose and not (picks or all_matched):
            raise UsageError("say which to write to: --pick SLUG (repeatable) or --all-matched")
        if propose:
            self.profile()  # no profile, no requests: say so before reading a mailbox
        scan = d.Scan()
        if maildir is not None:
            maildir = _expand(maildir)
            if not maildir.is_dir():
                raise UsageError(f"{maildir} is not a folder")
            source = f"maildir:{maildir.resolve()}"
            for raw in d.maildir_headers(maildir):
                scan.add(raw, since)
        else:
            from sar.mail.imap import connect

            settings = self.imap_settings()
            source = f"imap://{settings.username or ''}@{settings.host}:{settings.port}"
            wanted = list(folders) or [cfg.get(self.config, "imap.folder")]
            for raw in d.imap_headers(lambda: connect(settings), wanted, since,
                                      note=note or (lambda s: None),
                                      after_chunk=after_chunk or (lambda: None)):
                scan.add(raw, since)
        result = d.results(scan, self.directory, self.today)
        result["source"] = source
        if propose:
            found = {e["slug"] for e in result["organisations"]}
            chosen = sorted(found) if all_matched else list(dict.fromkeys(picks))
            missing = [p for p in chosen if p not in found]
            if missing:
                raise UsageError(f"{missing[0]} was not found in this mailbox (found: "
                                 f"{', '.join(sorted(found)) or 'none'})")
            if not chosen:
                raise UsageError("no organisation in the directory was found in this mailbox")
            result["drafted"] = self.new(propose, chosen)
        if save:
            with self.transaction():
                self.db.execute("DELETE FROM discovery")
                self.db.execute("INSERT INTO discovery (made_at, source, result) VALUES "
                                "(?, ?, ?)", [_now(), source,
                                              json.dumps({k: v for k, v in result.items()
                                                          if k != "drafted"})])
        return result

    def saved_discovery(self) -> dict | None:
        if not self.home.db_path.exists():
            return None
        row = self.db.execute("SELECT made_at, result FROM discovery ORDER BY id DESC "
                              "LIMIT 1").fetchone()
        return {**json.loads(row[1]), "saved_at": row[0]} if row else None

    def forget_discovery(self) -> int:
        if not self.home.db_path.exists():
            return 0
        # Overwritten on disk, not only unlinked from the table.
        self.db.execute("PRAGMA secure_delete = ON")
        with self.transaction():
            return self.db.execute("DELETE FROM discovery").rowcount

    def inbox(self, everything: bool = False) -> list[dict]:
        if not self.home.db_path.exists():
            return []
        from sar.inbox import Inbox

        return Inbox(self).pending(everything)

    def link(self, message: str, ref: str, label: str | None = None) -> dict:
        from sar.inbox import Inbox

        return Inbox(self).link(message, ref, label)

    def remind(self, refs_: list[str] | None = None, *, overdue: bool = False,
               dry_run: bool = False, retry_unknown: bool = False, again: bool = False,
               posted: dt.date | None = None, progress=None):
        """Send the reminder letter for overdue requests, threaded on the original
        (In-Reply-To), at most once, recording `reminded`. With `posted`, record
        instead a reminder the user printed and posted on that day."""
        from sar.mail.outbox import Outbox, SendOptions

        if bool(refs_) == overdue:
            raise UsageError("name the requests to remind, or use --overdue (not both)")
        options = SendOptions(retry_unknown=retry_unknown, dry_run=dry_run, again=again,
                              progress=progress)
        if posted is not None:
            if overdue or dry_run:
                raise UsageError("--posted goes with named requests: it records, it sends "
                                 "nothing")
            return [self._reminder_posted(self.find(r), posted) for r in refs_]
        outbox = Outbox(self, self.transport(), purpose="reminder")
        if overdue:
            rows = [row for row in (self.find(r["ref"]) for r in self.overdue()
                                    if r["channel"] == "email")
                    if not row.get("campaign_id")]  # `sar campaign remind` does those
        else:
            rows = [self.find(r) for r in refs_]
            for row in rows:  # a named request that cannot be reminded: say so, send none
                why = outbox._why_no_reminder(row, options)
                if why:
                    raise UsageError(why if why.startswith(row["ref"]) else
                                     f"{row['ref']}: {why}")
        transport = outbox.transport
        if transport.name != "maildir" and not dry_run and self.send_time() is None:
            raise UsageError(f"today is set to {self.today} (SAR_TODAY): unset it to send "
                             "real email; the Maildir outbox and --dry-run still work")
        outbox.sent_copy = self.sent_copy() if self.send_time() is not None else None
        return outbox.send(rows, options)

    def _reminder_posted(self, row: dict, posted: dt.date):
        from sar.letters.text import as_text
        from sar.mail.outbox import SendResult

        self._check_date(posted, "the posting date")
        letter = self._follow_up(row, "reminder", None)  # overdue, open: or one clear line
        digest = self.evidence.put(as_text(letter).encode("utf-8"))
        self._append(row, Event("reminded", posted, "user", {
            "channel": "post", "sha256": digest, "evidence": "rendered by sar"}))
        return SendResult(row["ref"], "sent", f"posted reminder recorded for {posted}")

    def test_mail(self) -> dict:
        """Connect and log in with the configured transport (and IMAP, if set); send
        nothing."""
        from sar import config as cfg

        report = self.transport().describe()
        if cfg.get(self.config, "imap.host"):
            from sar.mail.imap import connect

            client = connect(self.imap_settings())
            try:
                report["imap"] = f"logged in at {cfg.get(self.config, 'imap.host')}"
                folder = cfg.get(self.config, "mail.sent_folder")
                if folder:
                    report["sent_folder"] = folder + (
                        "" if client.folder_exists(folder) else " (will be created)")
            finally:
                client.logout()
        return report

    def send_time(self) -> dt.datetime | None:
        """The exact time of sending, unless today is a what-if date (SAR_TODAY, or a
        Workspace made for another day): then only the date is known."""
        if not home_mod.clock_is_real() or self.today != dt.date.today():
            return None
        return dt.datetime.now(dt.UTC).replace(microsecond=0)


# The board's groups: (name, title, statuses), in the order shown.
BOARD_GROUPS = (
    ("overdue", "Overdue: the deadline has passed", ("overdue",)),
    ("yours", "Your move", ("draft", "bounced", lifecycle.SEND_UNKNOWN, "awaiting-id",
                            "awaiting-clarification", "awaiting-fee")),
    ("theirs", "Waiting for them", ("sent", "acknowledged", "extended",
                                    "partially-fulfilled", "escalated")),
    ("done", "Answered or closed", ("fulfilled", "no-data-held", "refused", "withdrawn")),
)

FOLLOW_UPS = ("reminder", "id-reply", "extension-challenge")
# Messages whose fate nobody knows: 'unknown', or 'sending' left by a process that
# died (until the next send settles it). See sar.mail.outbox.
IN_DOUBT = "state IN ('sending', 'unknown')"
MAX_PRINTED = 25 * 2**20  # a letter as printed, even scanned, is far smaller
S164A_IN_FORCE = dt.date(2026, 6, 19)


def _unwritable(reason: str, shared: str) -> UsageError:
    """A refusal to write to one organisation, with the words for several at once."""
    error = UsageError(reason)
    error.shared = shared
    return error


def skip_lines(skipped: list[dict]) -> list[str]:
    """Why organisations of a group were skipped: those skipped for a common reason
    make one line (fifty regulators, not fifty lines); any other, its own line."""
    groups: dict[str, list[dict]] = {}
    for s in skipped:
        groups.setdefault(s.get("shared") or s["org"], []).append(s)
    lines = []
    for shared, members in groups.items():
        if len(members) == 1:
            lines.append(f"{members[0]['org']}: {members[0]['reason']}")
            continue
        slugs = [m["org"] for m in members]
        names = ", ".join(slugs[:5]) + (f" and {len(slugs) - 5} more" if len(slugs) > 5 else "")
        lines.append(f"{len(slugs)} organisations ({names}): {shared}")
    return lines


def rule_facts(dl: deadlines.Deadline) -> dict:
    """How a due date was reached, as data a template in any language can word:
    the period, from when, the days paused, and whether it moved to a working day."""
    regime = deadlines.REGIMES[dl.regime]
    period = regime.extended if dl.extended else regime.period
    raw = period.after(dl.start)[0] + dt.timedelta(days=dl.paused_days)
    return {"months": period.months, "days": period.days,
            "from": "start" if dl.start != dl.receipt else "receipt",
            "paused": dl.paused_days, "moved": dl.due != raw}


def rule_words(facts: dict) -> str:
    """'one month from receipt, plus 11 days paused, moved to the next working day'"""
    period = deadlines.Period(months=facts["months"], days=facts["days"])
    words = f"{period} from {'the start' if facts['from'] == 'start' else 'receipt'}"
    if facts["paused"]:
        words += f", plus {facts['paused']} day{'s' if facts['paused'] != 1 else ''} paused"
    if facts["moved"]:
        words += ", moved to the next working day"
    return words


# What `--details` means for each kind of letter that uses it.
DETAILS_FIELD = {"rectification": "correction", "objection": "reasons", "erasure": "reasons",
                 "restriction": "reasons", "portability": "recipient"}


def _details(kind: str, text: str | None) -> dict:
    from sar import validate

    if kind == "rectification" and not text:
        raise UsageError("a rectification letter must say what is wrong: add "
                         "--details 'what is wrong and what it should say'")
    if not text:
        return {}
    if kind not in DETAILS_FIELD:
        raise UsageError(f"an {kind} letter takes no --details (it is for "
                         f"{', '.join(DETAILS_FIELD)})")
    return {DETAILS_FIELD[kind]: validate.text(text, "--details", max_len=2000)}


@lru_cache(maxsize=256)
def _stated_deadline(letter_date: dt.date, via: str, regime: str, calendar: str,
                     options: deadlines.Options) -> tuple[dt.date, dt.date, dict]:
    """Receipt, due date and how it was reached, as a letter states them (the same for
    every letter of a batch, so worked out once)."""
    dl = deadlines.due_date(deadlines.Facts(letter_date, via), regime, calendar, options)
    return dl.receipt, dl.due, rule_facts(dl)


class Drafted(list):
    """The requests `new` drafted, and the group members it had to skip."""

    def __init__(self, created: list[dict], skipped: list[dict], notes: list[str] = ()):
        super().__init__(created)
        self.skipped = skipped
        self.notes = list(notes)


def event_record(request_id: int, event: Event, prev_hash: str) -> dict:
    """An events row, its hash chained on the one before (`sar doctor` checks it)."""
    record = {"request_id": request_id, "seq": event.seq, "kind": event.kind,
              "occurred_on": event.on.isoformat(),
              "occurred_at": event.at.isoformat() if event.at else None,
              "source": event.source,
              "details": json.dumps(event.details, sort_keys=True, ensure_ascii=False)}
    return {**record, "prev_hash": prev_hash, "hash": chain_hash(prev_hash, record)}


def chain_hash(prev_hash: str, record: dict) -> str:
    """An event's hash: SHA-256 over the one before and its own stored fields."""
    return hashlib.sha256((prev_hash + json.dumps(
        {k: record[k] for k in ("seq", "kind", "occurred_on", "occurred_at", "source",
                                "details")}, sort_keys=True)).encode()).hexdigest()


def first_event_record(request_id: int, event: Event) -> dict:
    """The first event of a new request (bulk drafting), ready to insert."""
    event = Event(event.kind, event.on, event.source, event.details, 1, event.at)
    return {**event_record(request_id, event, "0" * 64), "recorded_at": _now()}


@dataclass
class PreparedEvent:
    """An event checked and worked out, ready to be written (Workspace.write_event)."""

    row: dict
    event: Event
    record: dict       # the events row, hash included
    cache: dict        # the request's new status, due and last_event_on
    assessment: lifecycle.Assessment


def _requester_snapshot(me: profile_mod.Profile) -> dict:
    return {"name": me.name, "email": me.email, "address": me.address,
            "previous_addresses": me.previous_addresses,
            "date_of_birth": me.date_of_birth, "calendar": me.calendar}


def _org_snapshot(org) -> dict:
    return {"slug": org.slug, "name": org.name, "kind": org.kind, "country": org.country,
            "email": org.email, "address": list(org.address), "domains": list(org.domains),
            "calendar": org.calendar, "regime": org.regime, "record": org.as_dict()}


def _expand(path) -> Path:
    """~ and ~user expanded, or one clear line when the user does not exist."""
    try:
        return Path(path).expanduser()
    except RuntimeError as e:
        raise UsageError(f"{path}: {e}") from None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


__all__ = ["Workspace", "InvalidEventError"]
