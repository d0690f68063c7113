"""The board (`sar status`): requests grouped by whose move it is."""

from __future__ import annotations

from sar.core.lifecycle import SEND_UNKNOWN

# A fulfilled request whose review found items missing or given in part (shown, not
# a lifecycle status: the log still says fulfilled).
ANSWERED_INCOMPLETE = "answered-incomplete"

# (name, title, statuses), in the order shown. Every shown status is in exactly one.
GROUPS = (
    ("overdue", "Overdue: the deadline has passed", ("overdue",)),
    ("yours", "Your move", ("draft", "bounced", SEND_UNKNOWN, "awaiting-id",
                            "awaiting-clarification", "awaiting-fee")),
    ("theirs", "Waiting for them", ("sent", "acknowledged", "extended",
                                    "partially-fulfilled", "escalated")),
    ("done", "Answered or closed", ("fulfilled", "no-data-held", "refused", "withdrawn")),
)


def group_of(status: str) -> str:
    return next(name for name, _, members in GROUPS if status in members)


def grouped(rows: list[dict]) -> list[dict]:
    """Rows (each with a shown `status`) in their groups, keeping their order; empty
    groups left out."""
    groups: dict[str, list[dict]] = {name: [] for name, _, _ in GROUPS}
    for r in rows:
        # Answered in part only by the review's reading: asking for the rest is yours.
        groups["yours" if r.get("answer") == ANSWERED_INCOMPLETE
               else group_of(r["status"])].append(r)
    return [{"name": name, "title": title, "requests": groups[name]}
            for name, title, _ in GROUPS if groups[name]]


# How many requests `sar status` lists unless told (--limit N, --all): a screen's
# worth, the most urgent; the counts above them still cover every request.
SHOWN = 20


def shown_status(row: dict) -> str:
    """The status a row is counted and shown under (an incomplete answer as such)."""
    return row.get("answer") or row["status"]


def summarise(groups: list[dict], limit: int | None = SHOWN) -> dict:
    """The board as a summary: every group with its count and its count per status,
    and at most `limit` rows in all (None: every row), the most urgent first: the
    groups come overdue first, then yours, theirs and the closed, each due soonest
    first, so the first rows of the board in order are the most urgent."""
    left = limit
    out = []
    for g in groups:
        rows = g["requests"]
        counts: dict[str, int] = {}
        for r in rows:
            status = shown_status(r)
            counts[status] = counts.get(status, 0) + 1
        shown = rows if left is None else rows[:left]
        if left is not None:
            left -= len(shown)
        out.append({"name": g["name"], "title": g["title"], "total": len(rows),
                    "counts": counts, "requests": shown})
    total = sum(g["total"] for g in out)
    return {"groups": out, "total": total, "shown": sum(len(g["requests"]) for g in out)}
