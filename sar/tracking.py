"""Recording what happened to a request by hand: `sar mark` (an answer, a note, an
overruling of sar's reading) and `sar post` (a printed letter posted or delivered)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sar.core import deadlines, lifecycle
from sar.core.lifecycle import Event
from sar.errors import UsageError, unknown
from sar.store import db as store
from sar.store import requests as request_table
from sar.store.db import now

MAX_PRINTED = 25 * 2**20  # a letter as printed, even scanned, is far smaller
# Who records each system event, for the user who tries to mark one.
RECORDED_BY = {"sent": "sar send", "posted": "sar post", "delivered": "sar post --delivered",
               "reminded": "sar remind", "escalated": "sar complain",
               "followed-up": "sar send REF --follow-up KIND",
               "reply-received": "sar watch or sar link"}



class Tracking:
    """Events the user records in one home (`ws`: sar.workspace.Workspace)."""

    def __init__(self, ws):
        self.ws = ws

    def mark(self, ref: str, event: str, on: dt.date | None = None,
             note: str | None = None, source: str = "user") -> dict:
        ws = self.ws
        if event in lifecycle.SYSTEM:
            raise UsageError(f"cannot mark {event!r}: it is recorded by "
                             f"`{RECORDED_BY.get(event, 'sar new')}`")
        if event not in lifecycle.MARKABLE:
            raise UsageError(unknown("event", event, lifecycle.MARKABLE))
        if event == "note" and not note:
            raise UsageError("a note needs --note TEXT")
        if note:
            from sar import validate

            note = validate.text(note, "--note", max_len=2000)
        on = on or ws.today
        ws.check_date(on, "the date")
        row = ws.queries.find(ref)
        before = ws.log.assess(row, as_of_today=False).deadline
        details = {"note": note} if note else {}
        with ws.transaction():
            a = ws.log.append(row, Event(event, on, source, details))
            # The user has now said what the replies waiting on this request mean.
            # A reply held as unverified is settled only by the answer it claimed.
            # A held reply is settled by the user recording what it claimed (or any
            # answer, which closes the question it raised).
            if event != "note":
                ws.db.execute("UPDATE messages SET needs = NULL WHERE request_id = ? AND "
                              "direction = 'in' AND (needs IN ('unclassified', 'not-applied') "
                              "OR (needs = 'held' AND (label = ? OR ?)))",
                              [row["id"], event, event in lifecycle.ANSWERS])
        known = set(before.warnings) if before else set()
        return {**ws.queries.summary({**row, **a.cached()}),
                "warnings": [w for w in (a.deadline.warnings if a.deadline else [])
                             if w not in known]}

    def post(self, ref: str, *, posted: dt.date | None, method: str | None = None,
             delivered: dt.date | None = None, tracking: str | None = None,
             printed: Path | None = None) -> dict:
        """Record a letter posted. The evidence is the file printed (`printed`), or
        else the letter as sar renders it for the posting date."""
        ws = self.ws
        if posted is None and delivered is None:
            raise UsageError("give --posted DATE (and --method), or --delivered DATE")
        if method is not None and method not in deadlines.POSTAL:
            raise UsageError(f"--method must be one of {', '.join(deadlines.POSTAL)}")
        if printed is not None and posted is None:
            raise UsageError("--file goes with --posted")
        row = ws.queries.find(ref)
        for when, what in ((posted, "posting date"), (delivered, "delivery date")):
            if when:
                ws.check_date(when, f"the {what}")
        if posted and delivered and delivered < posted:
            raise UsageError("the delivery date is before the posting date")
        if tracking:
            from sar import validate

            tracking = validate.text(tracking, "tracking number", max_len=64)
        data = _read_printed(printed) if printed is not None else None
        if posted:
            method = method or "first-class"
            ws.log.check(row, Event("posted", posted, "user", {"method": method}))
            row = ws.drafting.refresh_snapshots(row)
        with ws.transaction():
            if posted:
                self._posted(row, posted, method, tracking, data, printed is not None)
            if delivered:
                ws.log.append(row, Event("delivered", delivered, "user", {}))
        return ws.queries.show(row["ref"])

    def _posted(self, row: dict, posted: dt.date, method: str, tracking: str | None,
                data: bytes | None, printed: bool) -> None:
        ws = self.ws
        letter = ws.letters.build(row, posted, method)
        if data is None:
            from sar.letters.text import as_text

            data = as_text(letter).encode("utf-8")
        digest = ws.evidence.put(data)
        details = {"method": method, "sha256": digest,
                   "evidence": "printed file" if printed else "rendered by sar"}
        if tracking:
            details["tracking"] = tracking
        ws.log.append(row, Event("posted", posted, "user", details))
        org = json.loads(request_table.organisation(ws.db, row["organisation_id"])["record"])
        store.insert(ws.db, "messages", {
            "request_id": row["id"], "direction": "out", "state": "sent",
            "transport": "post", "subject": letter.subject,
            "to_addrs": json.dumps(org.get("address_lines") or [], ensure_ascii=False),
            "date": posted.isoformat(), "sha256": digest, "size": len(data),
            "detail": method + (f", tracking {tracking}" if tracking else ""),
            "created_at": now(), "updated_at": now()})


def _read_printed(printed: Path) -> bytes:
    try:
        if not printed.is_file():
            raise UsageError(f"{printed} is not a file")
        if printed.stat().st_size > MAX_PRINTED:
            raise UsageError(f"{printed} is over {MAX_PRINTED // 2**20} MB: "
                             "give the letter as printed, not a scan of a folder")
        return printed.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {printed}: {e.strerror}") from None
