"""`sar review REF`: what the organisation's answer gave, item by item of Art. 15.

The room reads a request's replies and their attachments from the evidence store
(`sar.review.extract`, in memory), runs the pure rules (`sar.core.review`), and
keeps the result in `reviews` with the rules' version; `--set ITEM=STATUS`
overrules an item, and the overruling survives a later re-run.
"""

from __future__ import annotations

import json

from sar.core import review as rules
from sar.errors import UsageError
from sar.store.db import now

# Events that say the organisation answered: only then is there something to review.
ANSWERS = ("fulfilled", "partially-fulfilled", "no-data-held", "refused")


class Reviews:
    def __init__(self, ws):
        self.ws = ws

    def inputs(self, row: dict):
        """The reply bodies and attached files of a request, as extracted."""
        from sar import attachments as att
        from sar.mail import inbound
        from sar.review.extract import extract

        ws = self.ws
        bodies = []
        for mid, digest in ws.db.execute(
                "SELECT id, sha256 FROM messages WHERE request_id = ? AND direction = 'in' "
                "AND sha256 IS NOT NULL AND COALESCE(label, '') NOT IN ('auto-reply', 'bounced') "
                "ORDER BY id", [row["id"]]):
            try:
                bodies.append((mid, inbound.parse(ws.evidence.get(digest)).text))
            except OSError:
                continue
        files = [(a["name"], a["content_type"] or "", att.data_of(ws, a))
                 for a in att.listed(ws, row)]
        got = extract("", files)
        parts = [{"file": f"reply #{mid}", "where": "", "text": text, "columns": [],
                  "rows": [], "body": True} for mid, text in bodies if text.strip()]
        return parts + [p.as_dict() for p in got.parts], [f.as_dict() for f in got.files]

    def run(self, ref: str) -> dict:
        """Review the request's answer now and store it; earlier overrulings stay."""
        ws = self.ws
        row = ws.queries.find(ref)
        answered = any(e.kind in ANSWERS for e in ws.log.of(row["id"]) if e.on <= ws.today)
        parts, files = self.inputs(row) if answered else ([], [])
        if not parts:
            raise UsageError(f"{row['ref']}: no answer has been recorded yet: nothing to review "
                             f"(a reply that answers is recorded with `sar mark {row['ref']} "
                             "fulfilled`)")
        me = ws.letters.requester(row)
        result = rules.review(parts, row["kind"], (me.get("name"), me.get("email")),
                              self._our_letters(row))
        result["files"] = files
        before = self._latest(row)
        overrides = json.loads(before[2]) if before else {}
        with ws.transaction():
            ws.db.execute("INSERT INTO reviews (request_id, rules, reviewed_at, result, overrides) "
                          "VALUES (?, ?, ?, ?, ?)",
                          [row["id"], rules.RULES_VERSION, now(), json.dumps(result),
                           json.dumps(overrides)])
            self._cache_gaps(row, result, overrides)
        return self._shown(row, result, overrides)

    def get(self, ref: str) -> dict | None:
        row = self.ws.queries.find(ref)
        latest = self._latest(row)
        return self._shown(row, json.loads(latest[1]), json.loads(latest[2])) if latest else None

    def overrule(self, ref: str, sets: list[str]) -> dict:
        """`ITEM=STATUS` for each of `sets`: the user's reading wins over the rules'."""
        ws = self.ws
        row = ws.queries.find(ref)
        changes = {}
        for s in sets:
            item, _, status = s.partition("=")
            item = item.strip().replace("-", "_")
            if item not in rules.ITEMS:
                raise UsageError(f"--set {s}: the item must be one of {', '.join(rules.ITEMS)}")
            if status not in rules.STATUSES:
                raise UsageError(f"--set {s}: the status must be answered, partial or missing")
            changes[item] = status
        if not self._latest(row):
            self.run(ref)
        rid, result, overrides = self._latest(row)
        overrides = {**json.loads(overrides), **changes}
        with ws.transaction():
            ws.db.execute("UPDATE reviews SET overrides = ? WHERE id = ?",
                          [json.dumps(overrides), rid])
            self._cache_gaps(row, json.loads(result), overrides)
        return self._shown(row, json.loads(result), overrides)

    def summary(self, row: dict) -> dict | None:
        latest = self._latest(row)
        if not latest:
            return None
        shown = rules.overruled(json.loads(latest[1]), json.loads(latest[2]))
        return rules.summary(shown["items"])

    def _cache_gaps(self, row: dict, result: dict, overrides: dict) -> None:
        """The items not answered, on the request's row, for the board (m013)."""
        s = rules.summary(rules.overruled(result, overrides)["items"])
        self.ws.db.execute("UPDATE requests SET answer_gaps = ? WHERE id = ?",
                           [json.dumps(s["missing"] + s["partial"]), row["id"]])

    def _latest(self, row: dict):
        return self.ws.db.execute(
            "SELECT id, result, overrides FROM reviews WHERE request_id = ? "
            "ORDER BY id DESC LIMIT 1", [row["id"]]).fetchone()

    def _shown(self, row: dict, result: dict, overrides: dict) -> dict:
        shown = rules.overruled(result, overrides)
        return {"ref": row["ref"], "kind": row["kind"], **shown,
                "summary": rules.summary(shown["items"])}

    def _our_letters(self, row: dict) -> list[str]:
        """Our own letter's text, so a reply that quotes it is not read as answering."""
        try:
            return [self.ws.letters.render(row["ref"], "text").decode("utf-8")]
        except Exception:  # noqa: BLE001 - a letter that cannot be re-rendered quotes nothing
            return []


