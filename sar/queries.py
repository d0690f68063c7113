"""Reading the log: one request, the board, what is due, what is overdue.

Everything here is as of the workspace's today. A what-if day in the past shows the
board as it stood: later events are not seen and later requests did not exist.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
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


def _group(shown: str) -> str:
    """The board's group of a shown status (an incomplete answer is yours)."""
    return "yours" if shown == ANSWERED_INCOMPLETE else board.group_of(shown)


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
             kind: str | None = None, limit: int | None = None) -> list[dict]:
        """Requests as of today, due soonest first (the first `limit` of them)."""
        return list(itertools.islice(self.rows(status, org, kind), limit))

    def rows(self, status: str | None = None, org: str | None = None,
             kind: str | None = None, *, campaign_id: int | None = None,
             condition: str | None = None, params: dict | None = None):
        """The requests `list` shows, as a generator reading pages of 500 rows (keyset
        on due date and id), so a LIMIT reads only what it shows and no listing holds
        every row. The shown status is worked out by SQLite (store.requests.SHOWN);
        only rows whose cache is newer than a what-if today are re-derived here."""
        return (row for _, row in self._keyed(status, org, kind, campaign_id=campaign_id,
                                              condition=condition, params=params))

    def _keyed(self, status, org, kind, *, campaign_id=None, condition=None, params=None,
               page: int = 500):
        """`rows` with each row's place on the board: (no due date?, due, id)."""
        where, args = self._where(status, org, kind, campaign_id)
        if where is None:
            return
        if condition:
            where = f"{where} AND ({condition})"
        args |= params or {}
        ws = self.ws
        rederived = self._rederived(status, org, kind, campaign_id)
        pages = request_table.board_pages(ws.db, ws.today, where, args, page)
        current = (((r[6] is None, r[6] or "", r[0]), self._shown(r))
                   for page_ in pages for r in page_)
        if not rederived:
            yield from current
            return
        yield from heapq.merge(current, rederived, key=lambda pair: pair[0])

    def _where(self, status, org, kind, campaign_id) -> tuple[str | None, dict]:
        ws = self.ws
        if status is not None and status not in (*lifecycle.SHOWN_STATUSES,
                                                 ANSWERED_INCOMPLETE):
            raise UsageError(unknown("status", status, (*lifecycle.SHOWN_STATUSES,
                                                        ANSWERED_INCOMPLETE)))
        if kind is not None and kind not in lifecycle.KINDS:
            raise UsageError(unknown("kind", kind, lifecycle.KINDS))
        if not ws.home.db_path.exists():
            return None, {}  # nothing drafted yet; do not create a home just to look
        slug = ws.directory.get(org).slug if org else None
        where, args = request_table.current(slug, kind, campaign_id)
        if status:
            where += f" AND ({request_table.shown_condition(status)})"
        return where, args

    def _rederived(self, status, org, kind, campaign_id) -> list[dict]:
        """A what-if day in the past: the rows whose cache is too new, re-derived."""
        ws = self.ws
        slug = ws.directory.get(org).slug if org else None
        later = request_table.later(ws.db, ws.today, slug, kind, campaign_id)
        if not later:
            return []
        unknown_ = self.send_unknown()
        out = [((r["id"],), self.summary(r, unknown_)) for r in later]
        if status == ANSWERED_INCOMPLETE:
            out = [p for p in out if p[1].get("answer")]
        elif status:
            out = [p for p in out if p[1]["status"] == status]
        # Sorted on the due date shown: a what-if today can move it.
        return sorted(((p[1]["due"] is None, p[1]["due"] or "", *p[0]), p[1]) for p in out)

    def _shown(self, r) -> dict:
        """One board row from store.requests.BOARD_COLUMNS (as `summary` shapes it)."""
        _, ref, slug, kind, regime, channel, due, created, gaps, status = r
        out = {"ref": ref, "org": slug, "kind": kind, "regime": regime,
               "channel": channel, "status": status, "due": due,
               "days_left": (_date(due) - self.ws.today).days if due else None,
               "created_on": created}
        if status == "fulfilled" and gaps and gaps != "[]":
            out.update({"answer": ANSWERED_INCOMPLETE, "answer_gaps": json.loads(gaps)})
        return out

    def counts(self, org: str | None = None, kind: str | None = None, *,
               campaign_id: int | None = None, status: str | None = None) -> dict:
        """How many requests the board shows in each status and each group, counted by
        SQLite: {"total", "statuses": {status: n}, "groups": {group: n}}, groups in the
        board's order (sar.core.board.GROUPS), empty ones left out. A fulfilled request
        whose review found gaps counts as `answered-incomplete` in the `yours` group.
        With `status`, only the requests `list(status)` gives are counted."""
        ws = self.ws
        where, args = self._where(status, org, kind, campaign_id)
        statuses: dict[str, int] = {}
        if where is not None:
            for shown, gaps, n in request_table.shown_counts(ws.db, ws.today, where, args):
                key = ANSWERED_INCOMPLETE if gaps else shown
                statuses[key] = statuses.get(key, 0) + n
            for _, r in self._rederived(status, org, kind, campaign_id):
                key = r.get("answer") or r["status"]
                statuses[key] = statuses.get(key, 0) + 1
        groups: dict[str, int] = {}
        for shown, n in statuses.items():
            groups[_group(shown)] = groups.get(_group(shown), 0) + n
        return {"total": sum(statuses.values()),
                "statuses": dict(sorted(statuses.items())),
                "groups": {name: groups[name] for name, _, _ in board.GROUPS if name in groups}}

    def board_summary(self, status: str | None = None, org: str | None = None,
                      kind: str | None = None, limit: int | None = board.SHOWN) -> dict:
        """sar.core.board.summarise(self.board(status, org, kind), limit), worked out
        from SQLite's counts (`counts`) and, per shown status, only the first rows the
        summary lists (at least one, which places the status in its group's count
        line: the order of their first rows). `limit` None lists every row, so reads
        them all."""
        if limit is None:
            return board.summarise(self.board(status, org, kind), None)
        statuses = self.counts(org, kind, status=status)["statuses"]
        left, out = limit, []
        for name, title, _ in board.GROUPS:
            members = {s: n for s, n in statuses.items() if _group(s) == name}
            if not members:
                continue
            firsts = {s: list(itertools.islice(self._of_shown(s, org, kind, max(1, left)),
                                               max(1, min(left, n))))
                      for s, n in members.items()}
            # (A status whose rows went between the two reads goes last.)
            order = sorted(members, key=lambda s: firsts[s][0][0] if firsts[s] else
                           (True, "~", float("inf")))
            shown = [row for _, row in itertools.islice(
                heapq.merge(*firsts.values(), key=lambda pair: pair[0]), left)]
            left -= len(shown)
            out.append({"name": name, "title": title, "total": sum(members.values()),
                        "counts": {s: members[s] for s in order}, "requests": shown})
        return {"groups": out, "total": sum(g["total"] for g in out),
                "shown": sum(len(g["requests"]) for g in out)}

    def _of_shown(self, shown: str, org, kind, page: int):
        """(place, row) of the requests the board shows under `shown` (an answer found
        incomplete apart from the fulfilled), in board order."""
        if shown == "fulfilled":
            rows = self._keyed("fulfilled", org, kind, condition=f"NOT {request_table.GAPS}",
                               page=page)
        else:
            rows = self._keyed(shown, org, kind, page=page)
        return (pair for pair in rows if board.shown_status(pair[1]) == shown)

    def urgent(self, limit: int = 20, org: str | None = None,
               kind: str | None = None) -> list[dict]:
        """The `limit` most urgent requests for the board's summary: overdue first
        (longest overdue first), then every other one still open — due soonest, then
        those with no due date (drafts). Answered and closed ones are left out, but an
        answer the review found incomplete is the user's move and stays."""
        overdue = self.list("overdue", org, kind, limit)
        if len(overdue) >= limit:
            return overdue
        rest = (r for r in self.rows(None, org, kind, condition=request_table.STILL_OPEN)
                if r["status"] != "overdue"
                and (r.get("answer") or board.group_of(r["status"]) != "done"))
        return overdue + list(itertools.islice(rest, limit - len(overdue)))

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
        return [r for r in self.rows(condition=request_table.DUE_BY, params={"last": last})
                if r["due"] and r["due"] <= last
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
        # A fulfilled answer whose review found gaps is, for what to do, answered in part.
        acting_on = out.get("answer", status) if status == "fulfilled" else status
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
            "next": lifecycle.next_step(
                acting_on, row["channel"], row["ref"],
                reminded=any(e.kind == "reminded" for e in events),
                followed_up=tuple(k for k in followups.ANSWERS_TO
                                  if followups.earlier_follow_up(k, events))),
        })
        out.update(self._s164a(row, events, acting_on))
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
        if status not in (*followups.COMPLAINABLE, ANSWERED_INCOMPLETE) or (
                c.acknowledged or c.answered):
            return shown
        if not c.passed(today):
            shown["next"] = (f"wait for their acknowledgement of your s.164A complaint (due "
                             f"by {c.ack_due}); complain to the ICO from the day after "
                             f"(`sar complain {row['ref']}`), or sooner with --early REASON")
        elif status == ANSWERED_INCOMPLETE:
            # The letter asking for the rest was the complaint: its 30 days are over.
            shown["next"] = (f"they did not acknowledge your s.164A complaint by {c.ack_due}: "
                             f"complain to the ICO (`sar complain {row['ref']} -o "
                             f"{row['ref']}-complaint.zip`)")
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
