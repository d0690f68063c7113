"""Drafting requests: which letter, by which channel, in which language, to whom.

One person's `sar new` and a campaign's bulk drafting share the plan, the snapshots
of the requester and organisation, the reference and the request row. A draft is
written with its `drafted` event in one transaction; all of a batch, or nothing.
"""

from __future__ import annotations

import json

from sar.core import channels, lifecycle, refs
from sar.core.lifecycle import Event
from sar.errors import NotFoundError, SarError, UsageError, unknown
from sar.store import requests as request_table

# What `--details` means for each kind of letter that uses it.
DETAILS_FIELD = {"rectification": "correction", "objection": "reasons", "erasure": "reasons",
                 "restriction": "reasons", "portability": "recipient"}


def default_regime(calendar: str) -> str:
    """The law a requester living under `calendar` would normally invoke."""
    country = calendar.split("-")[0].upper()
    if country == "GB":
        return "uk-gdpr"
    if calendar.upper() == "US-CA":
        return "ccpa"
    return "eu-gdpr"


def requester_snapshot(me) -> dict:
    """A profile (sar.profile.Profile) as a `requesters` row keeps it."""
    return {"name": me.name, "email": me.email, "address": me.address,
            "previous_addresses": me.previous_addresses,
            "date_of_birth": me.date_of_birth, "calendar": me.calendar}


def org_snapshot(org) -> dict:
    """A directory record as an `organisations` row keeps it."""
    return {"slug": org.slug, "name": org.name, "kind": org.kind, "country": org.country,
            "email": org.email, "address": list(org.address), "domains": list(org.domains),
            "calendar": org.calendar, "regime": org.regime, "record": org.as_dict()}


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
        lines.append(f"{len(slugs)} organisations ({', '.join(slugs)}): {shared}")
    return lines


def parse_choices(kind: str, scope: str | None, ground: str | None) -> dict:
    """The user's choices of what a letter covers: `scope` for an erasure
    (marketing data only, or all), `ground` for a restriction (Art. 18(1)(a)-(d))."""
    from sar.core import asks

    found = {}
    if scope is not None:
        if kind != "erasure":
            raise UsageError("--scope goes with an erasure letter")
        if scope not in asks.SCOPES:
            raise UsageError(unknown("scope", scope, asks.SCOPES))
        found["scope"] = scope
    if ground is not None:
        if kind != "restriction":
            raise UsageError("--ground goes with a restriction letter")
        if ground not in asks.RESTRICTION_GROUNDS:
            raise UsageError(unknown("ground", ground, asks.RESTRICTION_GROUNDS))
        found["ground"] = ground
    return found


def parse_details(kind: str, text: str | None) -> dict:
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


class Drafted(list):
    """The requests `new` drafted, and the group members it had to skip."""

    def __init__(self, created: list[dict], skipped: list[dict], notes: list[str] = ()):
        super().__init__(created)
        self.skipped = skipped
        self.notes = list(notes)


class Drafting:
    """Drafts in one home (`ws`: sar.workspace.Workspace)."""

    def __init__(self, ws):
        self.ws = ws

    def new(self, kind: str, slugs: list[str], *, regime: str | None = None,
            via: str | None = None, lang: str | None = None, details: str | None = None,
            again: bool = False, scope: str | None = None,
            ground: str | None = None, california_resident: bool = False) -> Drafted:
        """Draft one request per organisation; all or nothing."""
        from sar import letters

        ws = self.ws
        if kind not in lifecycle.KINDS:
            raise UsageError(unknown("kind", kind, lifecycle.KINDS))
        if not slugs:
            raise UsageError("name at least one organisation with --to")
        if regime is not None and regime not in letters.FAMILIES:
            raise UsageError(unknown("regime", regime, letters.FAMILIES))
        if via is not None and via not in ("email", "post"):
            raise UsageError("--via must be email or post")
        me = ws.profile()
        extra = parse_details(kind, details) | parse_choices(kind, scope, ground)
        plans, skipped = self._plans(slugs, me, kind, regime, via, lang, again)
        residence = self._ccpa_residence(plans, me, california_resident)
        created = []
        with ws.transaction():
            requester_id = request_table.snapshot(ws.db, "requesters", requester_snapshot(me))
            for plan in plans:
                org = plan["org"]
                row = request_table.new_row(
                    ref=self.unused_ref(), requester_id=requester_id,
                    organisation_id=request_table.snapshot(ws.db, "organisations",
                                                           org_snapshot(org)),
                    org_slug=org.slug, kind=kind, plan=plan, details=extra, today=ws.today)
                row["id"] = request_table.insert(ws.db, row)
                ws.log.append(row, Event("drafted", ws.today, "system",
                                         {"org": org.slug, "channel": plan["channel"]}))
                created.append({"ref": row["ref"], "org": org.slug, "kind": kind,
                                "regime": plan["regime"], "channel": plan["channel"],
                                "lang": plan["lang"], "status": "draft"})
        return Drafted(created, skipped,
                       residence + self._notes(kind, details, plans, me, extra))

    def _ccpa_residence(self, plans, me, confirmed: bool) -> list[str]:
        """Refuse (the default) or warn when a CCPA letter would say "I am a California
        consumer" from an address outside California (sar.core.ccpa)."""
        from sar import config as cfg
        from sar.core import ccpa

        if not any(p["regime"] == "ccpa" for p in plans):
            return []
        setting = cfg.get(self.ws.config, "letters.ccpa_residence")
        refusal, warning = ccpa.residence_problem(me.address, setting=setting,
                                                  confirmed=confirmed)
        if refusal:
            raise UsageError(refusal)
        return [warning] if warning else []

    def _plans(self, slugs, me, kind, regime, via, lang, again):
        # One organisation named alone must be reachable; of several, or members of a
        # @group, those that are not (no contact known yet) are skipped and reported.
        orgs, from_groups = self.ws.directory.expand(slugs)
        plans, skipped = [], []
        for org in orgs:
            try:
                plans.append(self.plan(org, me.calendar, kind, regime, via, lang, again))
            except UsageError as e:
                if org.slug not in from_groups and len(orgs) == 1:
                    raise
                skipped.append({"org": org.slug, "reason": str(e),
                                "shared": getattr(e, "shared", None)})
        if not plans:
            raise UsageError("none of those organisations can be written to: "
                             + "; ".join(skip_lines(skipped)))
        return plans, skipped

    def _notes(self, kind, details, plans, me, extra) -> list[str]:
        from sar.core import asks

        notes = [f"{old} is an obsolete record: writing to {new} instead"
                 for old, new in self.ws.directory.redirected.items()]
        notes += self.ws.directory.problems
        if kind == "restriction" and "ground" not in extra:
            # Art. 18(1): restriction is owed on one of four grounds; a letter that
            # names its own is harder to refuse than one that lists them all.
            notes.append("the letter lists the four grounds of Article 18(1) without "
                         "saying which is yours: add --ground accuracy|unlawful|"
                         "legal-claims|objection, and --details to explain it")
        for p in plans:
            org = p["org"]
            if kind == "portability" and asks.portability_warning(org.kind):
                notes.append(f"{org.slug}: {asks.portability_warning(org.kind)}")
            if kind == "erasure" and "scope" not in extra \
                    and asks.erasure_scope(org.kind, None) == "marketing":
                notes.append(f"{org.slug}: the letter covers the data used for marketing "
                             "(Article 21(2) and 17(1)(c)), not a credit file held on "
                             "legitimate interests; add --scope all to ask for everything")
        for p in plans:
            # Cal. Civ. Code 1798.140(d): a CCPA "business" does business in California;
            # a controller with no US presence is unlikely to be one.
            if p["regime"] == "ccpa" and (p["org"].country or "").upper() not in ("US", ""):
                notes.append(f"{p['org'].slug} is in {p['org'].country}: the CCPA binds "
                             "businesses that do business in California; use --regime "
                             f"{default_regime(p['calendar'])} unless it does")
        return notes

    def plan(self, org, calendar: str, kind: str, regime: str | None, via: str | None,
             lang: str | None, again: bool) -> dict:
        """How a letter of `kind` goes to `org` for a requester under `calendar`: its
        regime, channel, language and deadline calendar; or one clear UsageError."""
        from sar import letters

        ws = self.ws
        channel = channels.choose(org.slug, org.kind, org.channel, org.email, org.address,
                                  org.webform, via)
        if isinstance(channel, channels.Refusal):
            error = UsageError(channel.reason)
            error.shared = channel.shared
            raise error
        if not again:
            found = request_table.open_to(ws.db, org.slug, kind)
            if found:
                raise UsageError(f"an open {kind} request to {org.slug} exists already "
                                 f"({found[0]}, {found[1]}); add --again to draft another")
        regime = regime or org.regime or default_regime(calendar)
        templates = ws.home.templates
        if regime not in letters.FAMILIES:
            raise UsageError(f"{org.slug}'s regime is {regime}, for which sar has no letters "
                             f"yet: use --regime {' or '.join(letters.FAMILIES)}")
        if lang is None:
            # The organisation's own request language when we have letters in it.
            preferred = [org.lang, ws.config.get("letters", {}).get("lang"), "en"]
            lang = next((c for c in preferred
                         if c and letters.available(c, regime, kind, templates)), None)
            if lang is None:
                raise UsageError(f"there is no {kind} letter for {regime} yet")
        elif not letters.available(lang, regime, kind, templates):
            raise UsageError(f"there is no {kind} letter for {regime} in language {lang!r} yet")
        return {"org": org, "regime": regime, "channel": channel, "lang": lang,
                "calendar": org.calendar or calendar}

    def unused_ref(self) -> str:
        for _ in range(100):
            ref = refs.new_ref()
            if not request_table.ref_taken(self.ws.db, ref):
                return ref
        raise SarError("could not find an unused reference")  # pragma: no cover

    def refresh_snapshots(self, row: dict, known: dict | None = None) -> dict:
        """Before a draft (or a bounced letter) goes out, take the current directory
        record and profile, so a corrected address is used; an event says so.
        `known`: the snapshots already taken in this run (a batch's letters share a
        handful), by organisation and for the profile, so each is taken once."""
        ws = self.ws
        if row["status"] not in lifecycle.UNSENT:
            return row
        known = {} if known is None else known
        slug = row["org_slug"]
        # A campaign request names its participant by pseudonym only: the person
        # is read from `identities` when the letter is written.
        own = not row.get("participant_id")
        if known.get(slug, -1) == row["organisation_id"] and (
                not own or known.get(None) == row["requester_id"]):
            return row  # as this run already found them
        try:
            org = ws.directory.get(slug)
        except NotFoundError:
            return row  # the record was removed: the snapshot is all we have
        with ws.transaction():
            org_id = known[slug] = request_table.snapshot(ws.db, "organisations",
                                                          org_snapshot(org))
            requester_id = row["requester_id"]
            if own:
                requester_id = known[None] = request_table.snapshot(
                    ws.db, "requesters", requester_snapshot(ws.profile()))
            if (org_id, requester_id) == (row["organisation_id"], row["requester_id"]):
                return row
            old = json.loads(request_table.organisation(ws.db, row["organisation_id"])["record"])
            changes = {}
            if org_id != row["organisation_id"]:
                changes["to"] = org.email or ", ".join(org.address)
                changes["was"] = old.get("email") or old.get("address") or ""
            if requester_id != row["requester_id"]:
                changes["profile"] = "updated"
            request_table.update(ws.db, row["id"], {"organisation_id": org_id,
                                                    "requester_id": requester_id})
            row = {**row, "organisation_id": org_id, "requester_id": requester_id}
            ws.log.append(row, Event("redrafted", ws.today, "system", changes))
        return ws.queries.find(row["ref"])
