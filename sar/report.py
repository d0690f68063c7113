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
import datetime as dt
import io
import statistics

from sar.core import lifecycle
from sar.core.dates import add_months

COLUMNS = ("requests", "bounced", "acknowledged", "id_demanded", "extended", "answered",
           "on_time", "refused", "overdue_now", "median_days", "p90_days")

# How a person reads each column (Markdown, HTML, the terminal); CSV and JSON keep the
# keys above, which scripts read.
LABELS = {"requests": "Requests", "bounced": "Bounced", "acknowledged": "Acknowledged",
          "id_demanded": "ID demanded", "extended": "Extended", "answered": "Answered",
          "on_time": "Answered on time", "refused": "Refused", "overdue_now": "Overdue now",
          "median_days": "Median days", "p90_days": "90th pct days"}

# One definition of each figure, used by every format and printed with the report.
DEFINITIONS = {
    "requests": "requests sent (by email or post) by the day of the figures",
    "bounced": "requests whose letter came back undelivered at least once",
    "acknowledged": "requests the organisation acknowledged before answering",
    "id_demanded": "requests where the organisation asked for proof of identity",
    "extended": "requests where the organisation extended its deadline (Art. 12(3))",
    "answered": "requests with a first answer: data given in full or in part, no data "
                "held, or a refusal",
    "on_time": "answered with data or a statement that none is held (not a refusal) by the "
               "deadline as it stood then (one month, or later if extended or paused for ID)",
    "refused": "requests the organisation refused, on time or not; a refusal is an answer "
               "but never counts as answered on time",
    "overdue_now": "requests past their deadline and still unanswered on the day of the "
                   "figures",
    "median_days": "the median of the days from sending to the first answer, to one decimal",
    "p90_days": "nine answers in ten came within this many days, to one decimal",
}

KIND_NAMES = {"political-party": "Political parties", "data-broker": "Data brokers",
              "credit-reference-agency": "Credit reference agencies",
              "ad-tech": "Advertising technology", "platform": "Platforms",
              "campaign-vendor": "Campaign software vendors",
              "supervisory-authority": "Supervisory authorities", "other": "Other"}


def kind_name(kind: str) -> str:
    """"credit-reference-agency" -> "Credit reference agencies", for people."""
    if kind == "all":
        return "All"
    return KIND_NAMES.get(kind) or str(kind).replace("-", " ").capitalize()


def days(value) -> str:
    """Days as every format shows them: one decimal, always."""
    return "" if value is None else f"{float(value):.1f}"


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
    sectors: dict[str, tuple[str, str]] = {}
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
    # INDEXED BY: the few rows past today, not every row of the campaign's index.
    for row in ws.db.query(f"SELECT * FROM requests INDEXED BY requests_last_event_on WHERE "
                           f"{where} AND last_event_on > :today",
                           {**params, "today": ws.today.isoformat()}):
        item = _item(ws, row, ws.events(row["id"]), sectors, unknown_sends)
        if item is not None:
            yield item


def _sector(ws, slug: str, sectors: dict) -> tuple[str, str]:
    """The organisation's kind and full name, looked up once per organisation."""
    if slug not in sectors:
        try:
            org = ws.directory.get(slug)
            sectors[slug] = (org.kind or "other", org.name or slug)
        except Exception:  # noqa: BLE001 - a record since removed: its snapshot
            sectors[slug] = ("other", slug)
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
        # One definition everywhere: a refusal answers, but is never "answered on time".
        on_time = until is not None and first_on <= until and not refused
        days = (dt.date.fromisoformat(first_on) - dt.date.fromisoformat(sent[10:])).days
    # Escalated and still owed is still late: the cache keeps its due date for that.
    overdue = shown == "overdue" or (shown == "escalated" and due is not None
                                     and due < ws.today.isoformat())
    outcome = ("refused" if refused else "answered on time" if on_time else
               "answered late" if first is not None else "overdue" if overdue else
               "bounced" if bounced and status == "bounced" else "waiting")
    kind, name = _sector(ws, slug, sectors)
    return {"ref": ref, "org": slug, "sector": kind, "name": name,
            "sent_on": dt.date.fromisoformat(sent[10:]),
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
    kind, name = _sector(ws, row["org_slug"], sectors)
    # One definition everywhere: a refusal answers, but is never "answered on time".
    on_time = bool(on_time) and not refused
    bounced = "bounced" in kinds
    outcome = ("refused" if refused else "answered on time" if on_time else
               "answered late" if first is not None else "overdue" if overdue else
               "bounced" if bounced and row["status"] == "bounced" else "waiting")
    return {
        "ref": row["ref"], "org": row["org_slug"], "sector": kind, "name": name,
        "sent_on": sent[0].on,
        "bounced": bounced, "acknowledged": "acknowledged" in kinds,
        "id_demanded": "id-requested" in kinds, "extended": "extended" in kinds,
        "answered": first is not None, "on_time": on_time, "refused": refused,
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
        self.names: dict[str, str] = {}
        self.sent: list = []  # the first and last day a request was sent
        self.months: dict[int, int] = {}  # days in the statutory month: how often

    def add(self, item: dict) -> None:
        self.people.add(item["who"])
        self.count(item, 1)

    def count(self, item: dict, n: int) -> None:
        """`n` requests alike `item`, bar who asked (kept in `people` apart)."""
        self.n += n
        self.names[item["org"]] = item.get("name") or item["org"]
        on = item.get("sent_on")
        if on is not None:
            self.sent = ([min(self.sent[0], on), max(self.sent[1], on)] if self.sent
                         else [on, on])
            month = (add_months(on, 1)[0] - on).days
            self.months[month] = self.months.get(month, 0) + n
        for f in _FLAGS:
            self.flags[f] += bool(item[f]) * n
        if item["days"] is not None:
            self.days += [item["days"]] * n
        self.outcomes[item["outcome"]] += n

    def merge(self, other: _Tally) -> None:
        self.n += other.n
        self.people |= other.people
        for f in _FLAGS:
            self.flags[f] += other.flags[f]
        self.days += other.days
        for o in OUTCOMES:
            self.outcomes[o] += other.outcomes[o]
        self.names |= other.names
        if other.sent:
            self.sent = ([min(self.sent[0], other.sent[0]), max(self.sent[1], other.sent[1])]
                         if self.sent else list(other.sent))
        for month, n in other.months.items():
            self.months[month] = self.months.get(month, 0) + n


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
    return _grouped(cells, keys)


def _grouped(cells: dict[tuple, _Tally], keys: tuple[str, ...]) -> dict[str, dict[str, _Tally]]:
    """Each key's groups (and "all") from the counts per combination of the keys'
    values, merged in the cells' order (the order their first requests came)."""
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
               "median_days": (round(float(statistics.median(t.days)), 1) if t.days
                               else None),
               "p90_days": _percentile(t.days, 90)}
        if name in blank:
            # Too few to publish without pointing at someone: blank every figure.
            row = {key: name, **{c: None for c in COLUMNS}, "suppressed": True}
        out.append(row)
    out.sort(key=lambda r: (r[key] == "all", -(r["requests"] or 0), r[key]))
    return out


def tallied(ws, campaign_id: int | None = None) -> dict[str, dict[str, _Tally]]:
    """What `_tally(rows(ws, campaign_id), ("org", "sector"))` counts, counted by
    SQLite from what the requests' rows cache of their logs (store.events.report_cells),
    in cells of alike requests: each cell is counted here once with its size, the
    deadline before an answer read from the rows' cache (m019). Requests whose cache
    is newer than a what-if today are items, after the others, as in `rows`."""
    from sar.store import events as event_table

    cells: dict[tuple, _Tally] = {}
    if not ws.home.db_path.exists():
        return _grouped(cells, ("org", "sector"))
    where, params = (("campaign_id IS NULL", {}) if campaign_id is None
                     else ("campaign_id = :campaign", {"campaign": campaign_id}))
    current = where + " AND coalesce(last_event_on, '') <= :today"
    params = {**params, "today": ws.today.isoformat()}
    counted, people = event_table.report_cells(ws.db, ws.today, current, params)
    dues = _dues(ws, counted)
    sectors: dict[str, tuple[str, str]] = {}
    first_id: dict[tuple, int] = {}
    for org, sent, first, flags, _regime, _calendar, cached_due, n, lowest in counted:
        (bounced, acknowledged, id_requested, extended, refused, overdue, bounced_now,
         uncached) = (bool(flags & 1 << i) for i in range(8))  # report_cells' bits
        sent_on = dt.date.fromisoformat(sent)
        until = dues.get(lowest) if uncached else cached_due
        # One definition everywhere: a refusal answers, but is never "answered on time".
        on_time = first is not None and until is not None and first <= until and not refused
        outcome = ("refused" if refused else "answered on time" if on_time else
                   "answered late" if first is not None else "overdue" if overdue else
                   "bounced" if bounced_now else "waiting")
        kind, name = _sector(ws, org, sectors)
        cell = (org, kind)
        first_id[cell] = min(first_id.get(cell, lowest), lowest)
        cells.setdefault(cell, _Tally()).count(
            {"org": org, "name": name, "sent_on": sent_on, "bounced": bounced,
             "acknowledged": acknowledged, "id_demanded": id_requested,
             "extended": extended, "answered": first is not None, "on_time": on_time,
             "refused": refused, "overdue_now": overdue, "outcome": outcome,
             "days": (dt.date.fromisoformat(first) - sent_on).days if first else None}, n)
    for (org, _), tally in cells.items():
        tally.people = set(people[org].split(","))
    cells = dict(sorted(cells.items(), key=lambda c: first_id[c[0]]))
    for item in _rederived(ws, where, params, sectors):
        cells.setdefault((item["org"], item["sector"]), _Tally()).add(
            {**item, "who": str(item["who"])})  # as SQLite joined them
    return _grouped(cells, ("org", "sector"))


def _dues(ws, counted: list) -> dict[int, str | None]:
    """request id -> the due date as it stood before its first answer, for each
    answered request whose row caches no deadline (a home from before m019, each a
    cell of its own in store.events.report_cells), from its events, each distinct
    history worked out once."""
    from sar.store import events as event_table

    # (request id, regime, calendar, first answer's day) of each such request
    answered = [(c[8], c[4], c[5], c[2]) for c in counted if c[3] & 128]
    if not answered:
        return {}
    seqs = event_table.first_answers(ws.db, [a[0] for a in answered])
    before = event_table.histories_before(ws.db, ws.today, [
        (rid, seqs[rid], day) for rid, _, _, day in answered])
    worked: dict = {}
    return {rid: _due_before(ws, regime, calendar, before.get(rid), worked)
            for rid, regime, calendar, _ in answered}


def build(ws, suppress_below: int = 0, campaign_id: int | None = None) -> dict:
    groups = tallied(ws, campaign_id)
    shown = {k: {n: t for n, t in g.items()
                 if n != "all" and t.n and n not in suppressed(g, suppress_below)}
             for k, g in groups.items()}
    everyone = groups["org"]["all"]
    small = len(everyone.people) < suppress_below
    return {"as_of": ws.today.isoformat(), "suppress_below": suppress_below,
            "by_organisation": _rows_of(groups["org"], "org", suppress_below),
            "by_sector": _rows_of(groups["sector"], "sector", suppress_below),
            # For charts: only groups large enough to publish.
            "days_by_org": {n: sorted(t.days) for n, t in shown["org"].items() if t.days},
            "outcomes": list(OUTCOMES),
            "outcomes_by_sector": {n: t.outcomes for n, t in shown["sector"].items()},
            # For people: names, not slugs; and what the method section says.
            "names": dict(sorted(everyone.names.items())),
            "kind_names": {k: kind_name(k) for k in groups["sector"]},
            "method": {
                "first_sent": everyone.sent[0].isoformat() if everyone.sent else None,
                "last_sent": everyone.sent[1].isoformat() if everyone.sent else None,
                # UK GDPR Art. 12(3); ICO: a calendar month, the corresponding date next
                # month, so 28 to 31 days by the day sent: the most common length.
                "month_days": (max(everyone.months, key=lambda d: (everyone.months[d], -d))
                               if everyone.months else 31),
                "participants": None if small else len(everyone.people),
                "organisations": len(groups["org"]) - 1,
                "organisations_answered": sum(1 for n, t in groups["org"].items()
                                              if n != "all" and t.flags["answered"]),
                "answers": None if small else everyone.flags["answered"],
                "organisations_hidden": sum(1 for n in suppressed(groups["org"],
                                                                  suppress_below)
                                            if n != "all"),
                "definitions": DEFINITIONS}}


def label(report: dict, key: str, value) -> str:
    """A row's name as a person reads it: the organisation's name, the kind's name."""
    if value == "all":
        return "All"
    if key == "org":
        return (report.get("names") or {}).get(value) or str(value)
    return (report.get("kind_names") or {}).get(value) or kind_name(str(value))


def cell(key: str, value) -> str:
    """A figure as every format for people shows it: counts whole, days to one decimal,
    a blank (suppressed or none) empty."""
    if value is None:
        return ""
    return days(value) if key.endswith("_days") else str(value)


def share(part, whole) -> str:
    return f"{int(part * 100 / whole + 0.5)}%" if part is not None and whole else ""


def league(report: dict) -> list[dict]:
    """The organisations whose figures can be published, best first: the larger share
    answered on time, then the smaller share overdue, then the faster median."""
    rows = [r for r in report["by_organisation"]
            if r["org"] != "all" and not r.get("suppressed") and r["requests"]]
    rows.sort(key=lambda r: (-r["on_time"] / r["requests"], r["overdue_now"] / r["requests"],
                             r["median_days"] if r["median_days"] is not None else 1e9,
                             label(report, "org", r["org"])))
    return [{"rank": i, **r} for i, r in enumerate(rows, 1)]


def hidden_note(report: dict) -> str | None:
    """What suppression hid, said plainly (None when nothing was)."""
    m = report.get("method") or {}
    k, hidden = report.get("suppress_below") or 0, m.get("organisations_hidden") or 0
    if not k or not hidden:
        return None
    answered = m.get("organisations_answered") or 0
    return (f"{answered} organisation{'s' if answered != 1 else ''} answered; figures "
            f"counting fewer than {k} people are hidden ({hidden} of "
            f"{m.get('organisations', 0)} organisations), with as many others as it takes "
            "that no hidden figure can be worked out from the totals.")


def headline(report: dict) -> str:
    """The finding in one or two sentences, from the same figures as the tables."""
    total = report["by_organisation"][-1]
    m = report.get("method") or {}
    if total.get("suppressed") or not total["requests"]:
        return hidden_note(report) or "No request has been sent yet."
    n = total["requests"]
    orgs = m.get("organisations", 0)
    text = (f"Of {n} requests sent to {orgs} organisation{'s' if orgs != 1 else ''}, "
            f"{total['on_time']} ({share(total['on_time'], n)}) were answered on time; "
            f"{total['refused']} ({share(total['refused'], n)}) were refused and "
            f"{total['overdue_now']} ({share(total['overdue_now'], n)}) are overdue.")
    ranked = league(report)
    best, worst = (ranked[0], ranked[-1]) if len(ranked) >= 2 else (None, None)
    if best and best["on_time"] / best["requests"] > worst["on_time"] / worst["requests"]:
        text += (f" Best: {label(report, 'org', best['org'])}, "
                 f"{share(best['on_time'], best['requests'])} on time. Worst: "
                 f"{label(report, 'org', worst['org'])}, "
                 f"{share(worst['on_time'], worst['requests'])} on time.")
    return text


def as_markdown(report: dict, title: str | None = None) -> str:
    from sar.export import markdown_cell

    heading = f"{title}: how organisations answered" if title else "How organisations answered"
    lines = [f"# {heading} (as of {report['as_of']})", "", headline(report), ""]
    for title, key, rows_ in (("By organisation", "org", report["by_organisation"]),
                              ("By kind of organisation", "sector", report["by_sector"])):
        first = "Organisation" if key == "org" else "Kind of organisation"
        lines += [f"## {title}", "",
                  "| " + " | ".join([first, *(LABELS[c] for c in COLUMNS)]) + " |",
                  "| --- | " + " | ".join(["---:"] * len(COLUMNS)) + " |"]
        for r in rows_:
            cells = [cell(c, r.get(c)) for c in COLUMNS]
            lines.append("| " + " | ".join([markdown_cell(label(report, key, r[key])),
                                            *cells]) + " |")
        lines.append("")
    note = hidden_note(report)
    if note:
        lines += [note, ""]
    lines += ["## Definitions", ""]
    lines += [f"- **{LABELS[c]}**: {DEFINITIONS[c]}." for c in COLUMNS]
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
