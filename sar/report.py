"""`sar report`: how organisations answered, in numbers.

The figures the studies in campaigns.md §1 report, per organisation and per kind
of organisation (party, broker, ...): requests sent, bounced, acknowledged, ID
demanded, extended, answered, answered on time, refused, overdue now, and the
median and 90th-percentile days from receipt to the first answer. Computed from the
event log as of today. Cells counting fewer than `suppress_below` requests are
blanked before anything is printed (for figures to be published; off for your own).
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


def rows(ws) -> list[dict]:
    """One row per request: its organisation and what happened to it."""
    out = []
    if not ws.home.db_path.exists():
        return out
    kinds = {}
    for row in ws.db.query("SELECT * FROM requests ORDER BY id"):
        events = [e for e in ws.events(row["id"]) if e.on <= ws.today]
        sent = [e for e in events if e.kind in ("sent", "posted")]
        if not sent:
            continue
        if row["org_slug"] not in kinds:
            try:
                kinds[row["org_slug"]] = ws.directory.get(row["org_slug"]).kind
            except Exception:  # noqa: BLE001 - a record since removed: its snapshot
                kinds[row["org_slug"]] = "other"
        answers = [e for e in events if e.kind in lifecycle.ANSWERS]
        first = answers[0] if answers else None
        on_time = None
        days = None
        if first is not None:
            before = [e for e in events if (e.on, e.seq) < (first.on, first.seq)]
            a = ws.assess(row, before, as_of_today=False)
            due = a.deadline.due if a.deadline else None
            on_time = due is not None and first.on <= due
            days = (first.on - sent[0].on).days
        now = ws.assess(row, events)
        out.append({
            "ref": row["ref"], "org": row["org_slug"], "sector": kinds[row["org_slug"]],
            "bounced": any(e.kind == "bounced" for e in events),
            "acknowledged": any(e.kind == "acknowledged" for e in events),
            "id_demanded": any(e.kind == "id-requested" for e in events),
            "extended": any(e.kind == "extended" for e in events),
            "answered": first is not None, "on_time": bool(on_time),
            "refused": any(e.kind == "refused" for e in events),
            "overdue_now": now.status == "overdue", "days": days,
        })
    return out


def summarise(items: list[dict], key: str, suppress_below: int = 0) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for r in items:
        groups.setdefault(r[key], []).append(r)
    groups["all"] = items
    out = []
    for name, rs in groups.items():
        days = [r["days"] for r in rs if r["days"] is not None]
        row = {key: name, "requests": len(rs),
               **{c: sum(1 for r in rs if r[c]) for c in
                  ("bounced", "acknowledged", "id_demanded", "extended", "answered", "on_time",
                   "refused", "overdue_now")},
               "median_days": statistics.median(days) if days else None,
               "p90_days": _percentile(days, 90)}
        if len(rs) < suppress_below:
            # Too few to publish without pointing at someone: blank every figure.
            row = {key: name, **{c: None for c in COLUMNS}, "suppressed": True}
        out.append(row)
    out.sort(key=lambda r: (r[key] == "all", -(r["requests"] or 0), r[key]))
    return out


def build(ws, suppress_below: int = 0) -> dict:
    items = rows(ws)
    return {"as_of": ws.today.isoformat(), "suppress_below": suppress_below,
            "by_organisation": summarise(items, "org", suppress_below),
            "by_sector": summarise(items, "sector", suppress_below)}


def as_markdown(report: dict) -> str:
    lines = [f"# How organisations answered (as of {report['as_of']})", ""]
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
        lines.append(f"Rows with fewer than {report['suppress_below']} requests are left "
                     "blank.")
    lines.append("Days are from receipt to the first answer (fulfilled, partial, no data, "
                 "refused); on time means by the deadline as it stood then.")
    return "\n".join(lines) + "\n"


def as_csv(report: dict) -> str:
    from sar.export import safe_cell

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["group", "name", *COLUMNS])
    for group, key in (("organisation", "by_organisation"), ("sector", "by_sector")):
        name_key = "org" if group == "organisation" else "sector"
        for r in report[key]:
            w.writerow([group, safe_cell(r[name_key]),
                        *["" if r.get(c) is None else r[c] for c in COLUMNS]])
    return out.getvalue()
