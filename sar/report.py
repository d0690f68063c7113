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


def rows(ws, campaign_id: int | None = None, chunk: int = 5000):
    """One item per request sent: its organisation and what happened to it. A
    generator over the log in chunks, so a campaign of 200,000 requests is never
    held in memory. Without `campaign_id`, the user's own requests only.

    SQLite aggregates each request's events (sar.store.events.report_facts); only an
    answered request's history is read here, to find its deadline as it stood before
    the answer, and histories that are alike (a campaign's are) are worked out once.
    A request whose cache is newer than a what-if today is re-derived in full."""
    from sar.store import events as event_table

    if not ws.home.db_path.exists():
        return
    sectors: dict[str, str] = {}
    where, params = (("campaign_id IS NULL", {}) if campaign_id is None
                     else ("campaign_id = :campaign", {"campaign": campaign_id}))
    dues: dict = {}
    last = 0
    while True:
        batch = event_table.report_facts(ws.db, ws.today, where + " AND coalesce("
                                         "last_event_on, '') <= :today", params, last, chunk)
        if not batch:
            break
        last = batch[-1][0]
        before = event_table.histories_before(ws.db, ws.today, [
            (r[0], int(r[15][:10]), r[15][10:]) for r in batch if r[9] and r[15]])
        for r in batch:
            if r[9]:
                yield _counted(ws, r, before.get(r[0]), sectors, dues)
    yield from _rederived(ws, where, params, sectors)


def _rederived(ws, where: str, params: dict, sectors: dict):
    """Items for requests whose cache holds events after a what-if today."""
    unknown_sends = ws.queries.send_unknown()
    for row in ws.db.query(f"SELECT * FROM requests WHERE {where} AND last_event_on > "
                           ":today", {**params, "today": ws.today.isoformat()}):
        item = _item(ws, row, ws.events(row["id"]), sectors, unknown_sends)
        if item is not None:
            yield item


def _sector(ws, slug: str, sectors: dict) -> str:
    if slug not in sectors:
        try:
            sectors[slug] = ws.directory.get(slug).kind or "other"
        except Exception:  # noqa: BLE001 - a record since removed: its snapshot
            sectors[slug] = "other"
    return sectors[slug]


def _counted(ws, r: tuple, history: str | None, sectors: dict, dues: dict) -> dict:
    """An item from report_facts' row (as `_item` makes one from the events)."""
    import datetime as dt

    (rid, ref, slug, participant, regime, calendar, status, due, shown, sent,
     bounced, acknowledged, id_requested, extended, refused, first) = r
    on_time = days = None
    if first is not None:
        first_on = first[10:]
        until = _due_before(ws, regime, calendar, history, dues)
        on_time = until is not None and first_on <= until
        days = (dt.date.fromisoformat(first_on) - dt.date.fromisoformat(sent[10:])).days
    # Escalated and still owed is still late: the cache keeps its due date for that.
    overdue = shown == "overdue" or (shown == "escalated" and due is not None
                                     and due < ws.today.isoformat())
    outcome = ("refused" if refused else "answered on time" if on_time else
               "answered late" if first is not None else "overdue" if overdue else
               "bounced" if bounced and status == "bounced" else "waiting")
    return {"ref": ref, "org": slug, "sector": _sector(ws, slug, sectors),
            "bounced": bool(bounced), "acknowledged": bool(acknowledged),
            "id_demanded": bool(id_requested), "extended": bool(extended),
            "answered": first is not None, "on_time": bool(on_time), "refused": bool(refused),
            "overdue_now": overdue, "days": days, "outcome": outcome,
            "who": participant or ref}


def _due_before(ws, regime, calendar, history: str | None, dues: dict) -> str | None:
    """The due date (ISO) as it stood before the first answer, from the events
    before it (store.events.histories_before), worked out once per distinct history."""
    key = (regime, calendar, history)
    if key not in dues:
        from sar.store.events import parse_history

        a = lifecycle.assess(parse_history(history), regime, calendar, ws.today,
                             ws.options())
        dues[key] = a.deadline.due.isoformat() if a.deadline and a.deadline.due else None
    return dues[key]


def _item(ws, row: dict, events: list, sectors: dict, unknown_sends: set) -> dict | None:
    events = [e for e in events if e.on <= ws.today]
    sent = [e for e in events if e.kind in ("sent", "posted")]
    if not sent:
        return None
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
        "ref": row["ref"], "org": row["org_slug"], "sector": _sector(ws, row["org_slug"], sectors),
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

    def merge(self, other: _Tally) -> None:
        self.n += other.n
        self.people |= other.people
        for f in _FLAGS:
            self.flags[f] += other.flags[f]
        self.days += other.days
        for o in OUTCOMES:
            self.outcomes[o] += other.outcomes[o]


def summarise(items, key: str, suppress_below: int = 0) -> list[dict]:
    return _rows_of(_tally(items, (key,))[key], key, suppress_below)


def _tally(items, keys: tuple[str, ...]) -> dict[str, dict[str, _Tally]]:
    # One count per combination of the keys' values (an organisation and its sector),
    # merged into each key's groups afterwards: one add per request, not one per group.
    cells: dict[tuple, _Tally] = {}
    for item in items:
        cell = tuple(item[k] for k in keys)
        tally = cells.get(cell)
        if tally is None:
            tally = cells[cell] = _Tally()
        tally.add(item)
    groups: dict[str, dict[str, _Tally]] = {k: {} for k in keys}
    everyone = _Tally()
    for cell, tally in cells.items():
        everyone.merge(tally)
        for k, name in zip(keys, cell, strict=True):
            groups[k].setdefault(name, _Tally()).merge(tally)
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
