"""Reading the log: one request, the board, what is due, what is overdue.

Everything here is as of the workspace's today. A what-if day in the past shows the
board as it stood: later events are not seen and later requests did not exist.
"""

from __future__ import annotations

import datetime as dt
import json

from sar.core import board, followups, lifecycle, refs
from sar.core.board import ANSWERED_INCOMPLETE
from sar.errors import NotFoundError, UsageError, closest, unknown
from sar.store import requests as request_table


def _shown(ref: str) -> str:
    """What the user typed, as an error repeats it: never 100 KB of it."""
    text = ref.strip()
    return repr(text) if len(text) <= 40 else repr(text[:40]) + f" (and {len(text) - 40:,} more characters)"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class Queries:
    """Read-only views of one home's requests (`ws`: sar.workspace.Workspace)."""

    def __init__(self, ws):
        self.ws = ws

    def find(self, ref: str) -> dict:
        ws = self.ws
        shown = _shown(ref)
        if not ws.home.db_path.exists():
            raise NotFoundError(f"no request {shown}: no requests yet "
                                f"in {ws.home.root} (`sar new`)")
        wanted = refs.normalise(ref)
        row = request_table.by_ref(ws.db, wanted)
        if row and row["created_on"] > ws.today.isoformat():
            # A what-if day before the request existed: as of then, it does not.
            raise NotFoundError(f"{row['ref']} was drafted on {row['created_on']}, after "
                                f"today ({ws.today.isoformat()}): as of today it does not exist")
        if row:
            return row
        known = {r[len(refs.PREFIX):]: r for r in request_table.all_refs(ws.db)}
        # Compare the five characters that differ, not the shared SAR- prefix.
        close = closest(wanted[len(refs.PREFIX):], known)
        hint = (f" (did you mean {known[close[0]]}?)" if close else "") if known else \
            " (no requests yet: `sar new`)"
        raise NotFoundError(f"no request {shown}{hint}")

    def send_unknown(self, request_id: int | None = None) -> set[int]:
        return request_table.send_unknown(self.ws.db, request_id)

    def summary(self, row: dict, send_unknown: set[int] | None = None) -> dict:
        ws = self.ws
        if send_unknown is None:
            send_unknown = self.send_unknown(row["id"])
        if row.get("last_event_on") and row["last_event_on"] > ws.today.isoformat():
            # A what-if date before the latest event: the cache is too new.
            row = {**row, **ws.log.assess(row).cached()}
        status = lifecycle.status_on(row["status"], _date(row["due"]), ws.today)
        if status in lifecycle.UNSENT and row["id"] in send_unknown:
            status = lifecycle.SEND_UNKNOWN
        due = _date(row["due"])
        # An escalated request has a due date only while still owed (Assessment.cached).
        days_left = (due - ws.today).days if due else None
        out = {"ref": row["ref"], "org": row["org_slug"], "kind": row["kind"],
               "regime": row["regime"], "channel": row["channel"], "status": status,
               "due": row["due"],
               "days_left": days_left,
               "created_on": row["created_on"]}
        gaps = json.loads(row.get("answer_gaps") or "[]")
        if status == "fulfilled" and gaps:
            # Called fulfilled, but the review found items missing or in part: the
            # user's move (`sar letter REF --follow-up incomplete`). Read from the
            # row's cache (m013), so the board reads no review.
            out.update({"answer": ANSWERED_INCOMPLETE, "answer_gaps": gaps})
        return out

    def list(self, status: str | None = None, org: str | None = None,
             kind: str | None = None) -> list[dict]:
        """Requests as of today, due soonest first."""
        ws = self.ws
        if status == ANSWERED_INCOMPLETE:
            return [r for r in self.list("fulfilled", org, kind) if r.get("answer")]
        if status is not None and status not in lifecycle.SHOWN_STATUSES:
            raise UsageError(unknown("status", status, (*lifecycle.SHOWN_STATUSES,
                                                        ANSWERED_INCOMPLETE)))
        if kind is not None and kind not in lifecycle.KINDS:
            raise UsageError(unknown("kind", kind, lifecycle.KINDS))
        if not ws.home.db_path.exists():
            return []  # nothing drafted yet; do not create a home just to look
        slug = ws.directory.get(org).slug if org else None
        send_unknown = self.send_unknown()
        rows = [self.summary(r, send_unknown)
                for r in request_table.listing(ws.db, ws.today, status, slug, kind)]
        # Sorted again on the due date shown: a what-if today can move some.
        rows.sort(key=lambda r: (r["due"] is None, r["due"] or ""))
        return [r for r in rows if status is None or r["status"] == status]

    def overdue(self) -> list[dict]:
        return self.list(status="overdue")

    def board(self, status: str | None = None, org: str | None = None,
              kind: str | None = None) -> list[dict]:
        """Requests grouped by whose move it is, each group due soonest first."""
        return board.grouped(self.list(status=status, org=org, kind=kind))

    def due(self, within_days: int) -> list[dict]:
        """Requests whose deadline falls within `within_days` of today, or has passed,
        still unanswered."""
        last = (self.ws.today + dt.timedelta(days=within_days)).isoformat()
        return [r for r in self.list() if r["due"] and r["due"] <= last
                and r["status"] in (*lifecycle.RUNNING, "overdue")]

    def show(self, ref: str) -> dict:
        ws = self.ws
        row = self.find(ref)
        every = ws.log.of(row["id"])
        # As of today: a what-if date in the past does not see what came later.
        events = [e for e in every if e.on <= ws.today]
        a = ws.log.assess(row, events)
        org = self.org_record(row)  # for a draft, where it will go
        out = self.summary(row)
        dl = a.deadline
        status = (lifecycle.SEND_UNKNOWN if out["status"] == lifecycle.SEND_UNKNOWN
                  and a.status in lifecycle.UNSENT else a.status)
        out.update({
            "status": status,
            "due": a.due.isoformat() if a.due else None,
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
            "messages": self._messages(row["id"]),
            "attachments": self.attachments(row),
            "review": ws.reviews.summary(row),
            "next": lifecycle.next_step(status, row["channel"], row["ref"],
                                        reminded=any(e.kind == "reminded" for e in events)),
        })
        out.update(self._s164a(row, events, status))
        return out

    def _s164a(self, row: dict, events, status: str) -> dict:
        """The complaint to the organisation (DPA 2018 s.164A): where it stands, and the
        next step while its 30 days to acknowledge it run."""
        from sar.core import s164a

        c = s164a.complaint(events, row["regime"], row["calendar"])
        if c is None:
            return {"s164a": None}
        today = self.ws.today
        shown = {"s164a": {"made": c.made.isoformat(), "received": c.received.isoformat(),
                           "via": c.via, "ack_due": c.ack_due.isoformat(),
                           "acknowledged": c.acknowledged and c.acknowledged.isoformat(),
                           "answered": c.answered and c.answered.isoformat(),
                           "text": s164a.status_words(c, today)}}
        if status in followups.COMPLAINABLE and not (
                c.passed(today) or c.acknowledged or c.answered):
            shown["next"] = (f"wait for their acknowledgement of your s.164A complaint (due "
                             f"by {c.ack_due}); complain to the ICO from the day after "
                             f"(`sar complain {row['ref']}`), or sooner with --early REASON")
        return shown

    def _messages(self, request_id: int) -> list[dict]:
        ws = self.ws
        return [{"direction": m["direction"], "state": m["state"],
                 "transport": m["transport"], "message_id": m["message_id"],
                 "subject": m["subject"], "sha256": m["sha256"],
                 "evidence": str(ws.evidence.path(m["sha256"])) if m["sha256"] else None,
                 "date": m["date"],
                 **({"id": m["id"], "from": m["from_addr"], "label": m["label"],
                     "rule": m["rule"], "reason": m["reason"],
                     "because": m["evidence_text"], "matched_by": m["matched_by"],
                     "match": m["match_detail"], "trust": m["trust"],
                     "needs": m["needs"]} if m["direction"] == "in" else {})}
                for m in ws.db.query("SELECT * FROM messages WHERE request_id = ? "
                                     "ORDER BY id", [request_id])]

    def attachments(self, row: dict) -> list[dict]:
        """What the organisation sent with its replies (sar.attachments)."""
        from sar.attachments import listed

        return listed(self.ws, row)

    def org_record(self, row: dict) -> dict:
        """The organisation as the letter names it. A letter not yet sent uses the
        directory as it is now (as sending will: refresh_snapshots), so a preview is
        what goes; a sent one keeps the record it was sent with."""
        if row["status"] in lifecycle.UNSENT:
            try:
                return self.ws.directory.get(row["org_slug"]).as_dict()
            except NotFoundError:
                pass
        return json.loads(request_table.organisation(self.ws.db,
                                                     row["organisation_id"])["record"])

    def current_email(self, row: dict) -> str | None:
        """The organisation's email as the directory has it now (maybe not the snapshot)."""
        try:
            return self.ws.directory.get(row["org_slug"]).email
        except NotFoundError:
            return None
