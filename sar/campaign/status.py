"""Where campaigns stand: the list of them, and one campaign's participants and
requests by status."""

from __future__ import annotations

from sar.campaign.drafting import readiness
from sar.campaign.hooks import campaign_row
from sar.campaign.setup import get
from sar.core.board import ANSWERED_INCOMPLETE


def campaigns(ws) -> list[dict]:
    if not ws.home.db_path.exists():
        return []
    out = []
    for row in ws.db.query("SELECT * FROM campaigns ORDER BY id"):
        c = campaign_row(ws, row["id"])
        out.append({"name": c["name"], "mode": c["mode"], "orgs": len(c["orgs"]),
                    "kinds": ", ".join(c["kinds"]), **readiness(ws, c),
                    "requests": ws.db.execute("SELECT COUNT(*) FROM requests WHERE "
                                              "campaign_id = ?", [c["id"]]).fetchone()[0],
                    "retain_until": c["retain_until"],
                    "purged": c["purged_at"] or ""})
    return out


def status(ws, name: str) -> dict:
    c = get(ws, name)
    # Counted by SQLite (Queries.counts); an answer the review found incomplete is
    # still fulfilled here, as its log says.
    counts = dict(ws.queries.counts(campaign_id=c["id"])["statuses"])
    if ANSWERED_INCOMPLETE in counts:
        gaps = counts.pop(ANSWERED_INCOMPLETE)
        counts["fulfilled"] = counts.get("fulfilled", 0) + gaps
    p = ws.db.execute(
        "SELECT COUNT(*), COUNT(consented_at), COUNT(invited_at), COUNT(confirmed_at), "
        "COUNT(mandate_sha256), COUNT(purged_at) FROM participants WHERE campaign_id = ?",
        [c["id"]]).fetchone()
    return {"campaign": c["name"], "mode": c["mode"], "replies": c["replies"],
            "organisations": c["orgs"], "kinds": c["kinds"],
            "retain_until": c["retain_until"], "purged_at": c["purged_at"],
            "participants": dict(zip(("total", "consented", "invited", "confirmed",
                                      "mandates", "purged"), p, strict=True)),
            "requests": dict(sorted(counts.items()))}
