"""`sar report`: how organisations answered, in numbers.

The figures the studies in campaigns.md §1 report, per organisation and per kind
of organisation (party, broker, ...): requests sent, bounced, acknowledged, ID
demanded, extended, answered, answered on time, refused, overdue now, and the
median and 90th-percentile days from receipt to the first answer. Computed from the
event log as of today. Groups of fewer than `suppress_below` people are blanked
before anything is printed, with enough others that no blank can be worked out by
subtraction (for figures to be published; off for your own).
"""

from __future__ import annotations

import csv
import io
import statistics

from sar.core import lifecycle

COLUMNS = ("requests", "bounced", "acknowledged", "id_demanded", "extended", "answered",
           "on_time", "refused", "overdue_now", "median_days", "p90_days")


def _percentile(values: list[int], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


OUTCOMES = ("answered on time", "answered late", "refused", "overdue", "waiting", "bounced")


def _events_by_request(ws, ids: list[int]) -> dict[int, list]:
    import datetime as dt
    import json

    from sar.core.lifecycle import Event

    out: dict[int, list] = {i: [] for i in ids}
    for rid, seq, kind, on, at, source, details in ws.db.execute(
            "SELECT request_id, seq, kind, occurred_on, occurred_at, source, details FROM "
            "events WHERE request_id IN (SELECT value FROM json_each(?)) ORDER BY "
            "request_id, seq", [json.dumps(ids)]):
        out[rid].append(Event(kind, dt.date.fromisoformat(on), source, json.loads(details),
                              seq, dt.datetime.fromisoformat(at) if at else None))
    return out


def rows(ws, campaign_id: int | None = None, chunk: int = 2000):
    """One item per request sent: its organisation and what happened to it. A
    generator over the log in chunks, so a campaign of 200,000 requests is never
    held in memory. Without `campaign_id`, the user's own requests only."""
    if not ws.home.db_path.exists():
        return
    sectors: dict[str, str] = {}
    unknown_sends = ws.queries.send_unknown()
    where, params = (("campaign_id IS NULL", []) if campaign_id is None
                     else ("campaign_id = ?", [campaign_id]))
    last = 0
    while True:
        batch = list(ws.db.query(f"SELECT * FROM requests WHERE {where} AND id > ? ORDER BY "
                                 f"id LIMIT {chunk}", [*params, last]))
        if not batch:
            return
        last = batch[-1]["id"]
        by_request = _events_by_request(ws, [r["id"] for r in batch])
        for row in batch:
            item = _item(ws, row, by_request[row["id"]], sectors, unknown_sends)
            if item is not None:
                yield item


def _item(ws, row: dict, events: list, sectors: dict, unknown_sends: set) -> dict | None:
    events = [e for e in events if e.on <= ws.today]
    sent = [e for e in events if e.kind in ("sent", "posted")]
    if not sent:
        return None
    if row["org_slug"] not in sectors:
        try:
            sectors[row["org_slug"]] = ws.directory.get(row["org_slug"]).kind or "other"
        except Exception:  # noqa: BLE001 - a record since removed: its snapshot
            sectors[row["org_slug"]] = "other"
    answers = [e for e in events if e.kind in lifecycle.ANSWERS]
    first = answers[0] if answers else None
    on_time = days = None
    if first is not None:
        before = [e for e in events if (e.on, e.seq) < (first.on, first.seq)]
        a = ws.assess(row, before, as_of_today=False)
        due = a.deadline.due if a.deadline else None
        on_time = due is not None and first.on <= due
        days = (first.on - sent[0].on).days
    kinds = {e.kind for e in events}
    shown = ws.summary(row, unknown_sends)
    # Escalated and still owed is still late: the cache keeps its due date for that.
    overdue = shown["status"] == "overdue" or (
        shown["status"] == "escalated" and shown["days_left"] is not None
        and shown["days_left"] < 0)
    refused = "refused" in kinds
    bounced = "bounced" in kinds
    outcome = ("refused" if refused else "answered on time" if on_time else
               "answered late" if first is not None else "overdue" if overdue else
               "bounced" if bounced and row["status"] == "bounced" else "waiting")
    return {
        "ref": row["ref"], "org": row["org_slug"], "sector": sectors[row["org_slug"]],
        "bounced": bounced, "acknowledged": "acknowledged" in kinds,
        "id_demanded": "id-requested" in kinds, "extended": "extended" in kinds,
        "answered": first is not None, "on_time": bool(on_time), "refused": refused,
        "overdue_now": overdue, "days": days, "outcome": outcome,
        # Who asked: small cells are counted in people, not requests (one person's
        # access and erasure requests are still one person).
        "who": row.get("participant_id") or row["ref"],
    }


_FLAGS = ("bounced", "acknowledged", "id_demanded", "extended", "answered", "on_time",
          "refused", "overdue_now")


class _Tally:
    """Counts for one group, built one request at a time."""

    def __init__(self):
        self.n = 0
        self.flags = dict.fromkeys(_FLAGS, 0)
        self.days: list[int] = []
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.people: set = set()

    def add(self, item: dict) -> None:
        self.n += 1
        self.people.add(item["who"])
        for f in _FLAGS:
            self.flags[f] += bool(item[f])
        if item["days"] is not None:
            self.days.append(item["days"])
        self.outcomes[item["outcome"]] += 1


def summarise(items, key: str, suppress_below: int = 0) -> list[dict]:
    return _rows_of(_tally(items, (key,))[key], key, suppress_below)


def _tally(items, keys: tuple[str, ...]) -> dict[str, dict[str, _Tally]]:
    groups: dict[str, dict[str, _Tally]] = {k: {} for k in keys}
    everyone = _Tally()
    for item in items:
        everyone.add(item)
        for k in keys:
            groups[k].setdefault(item[k], _Tally()).add(item)
    for k in keys:
        groups[k]["all"] = everyone
    return groups


def suppressed(tallies: dict[str, _Tally], suppress_below: int) -> set[str]:
    """The groups to blank: those of fewer than `suppress_below` people, and then
    enough others that no blank can be worked out from the total minus the rest
    (complementary suppression: a lone blank takes the next smallest with it)."""
    if not suppress_below:
        return set()
    groups = {n: t for n, t in tallies.items() if n != "all"}
    blank = {n for n, t in groups.items() if len(t.people) < suppress_below}
    if len(blank) == 1:
        others = sorted((t.n, n) for n, t in groups.items() if n not in blank)
        blank |= {others[0][1]} if others else {"all"}
    if "all" in tallies and len(tallies["all"].people) < suppress_below:
        blank.add("all")
    return blank


def _rows_of(tallies: dict[str, _Tally], key: str, suppress_below: int) -> list[dict]:
    out = []
    blank = suppressed(tallies, suppress_below)
    for name, t in tallies.items():
        row = {key: name, "requests": t.n, **t.flags,
               "median_days": statistics.median(t.days) if t.days else None,
               "p90_days": _percentile(t.days, 90)}
        if name in blank:
            # Too few to publish without pointing at someone: blank every figure.
            row = {key: name, **{c: None for c in COLUMNS}, "suppressed": True}
        out.append(row)
    out.sort(key=lambda r: (r[key] == "all", -(r["requests"] or 0), r[key]))
    return out


def build(ws, suppress_below: int = 0, campaign_id: int | None = None) -> dict:
    groups = _tally(rows(ws, campaign_id), ("org", "sector"))
    shown = {k: {n: t for n, t in g.items()
                 if n != "all" and t.n and n not in suppressed(g, suppress_below)}
             for k, g in groups.items()}
    return {"as_of": ws.today.isoformat(), "suppress_below": suppress_below,
            "by_organisation": _rows_of(groups["org"], "org", suppress_below),
            "by_sector": _rows_of(groups["sector"], "sector", suppress_below),
            # For charts: only groups large enough to publish.
            "days_by_org": {n: sorted(t.days) for n, t in shown["org"].items() if t.days},
            "outcomes": list(OUTCOMES),
            "outcomes_by_sector": {n: t.outcomes for n, t in shown["sector"].items()}}


def as_markdown(report: dict, title: str | None = None) -> str:
    heading = f"{title}: how organisations answered" if title else "How organisations answered"
    lines = [f"# {heading} (as of {report['as_of']})", ""]
    for title, key, rows_ in (("By organisation", "org", report["by_organisation"]),
                              ("By kind of organisation", "sector", report["by_sector"])):
        lines += [f"## {title}", "",
                  "| " + " | ".join([key, *COLUMNS]) + " |",
                  "| " + " | ".join(["---"] * (len(COLUMNS) + 1)) + " |"]
        for r in rows_:
            cells = ["" if r.get(c) is None else str(r[c]) for c in COLUMNS]
            lines.append("| " + " | ".join([str(r[key]), *cells]) + " |")
        lines.append("")
    if report["suppress_below"]:
        lines.append(f"Rows counting fewer than {report['suppress_below']} people are left "
                     "blank.")
    lines.append("Days are from receipt to the first answer (fulfilled, partial, no data, "
                 "refused); on time means by the deadline as it stood then.")
    return "\n".join(lines) + "\n"


CSV_HEADER = ["group", "name", *COLUMNS]


def csv_rows(report: dict) -> list[list]:
    from sar.export import safe_cell

    out = []
    for group, key in (("organisation", "by_organisation"), ("sector", "by_sector")):
        name_key = "org" if group == "organisation" else "sector"
        for r in report[key]:
            out.append([group, safe_cell(r[name_key]),
                        *["" if r.get(c) is None else r[c] for c in COLUMNS]])
    return out


def as_csv(report: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    w.writerows(csv_rows(report))
    return out.getvalue()
