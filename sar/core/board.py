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
