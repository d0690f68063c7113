"""Where campaigns stand: the list of them, and one campaign's participants and
requests by status."""

from __future__ import annotations

from sar.campaign.drafting import readiness
from sar.campaign.hooks import campaign_row
from sar.campaign.sending import rows
from sar.campaign.setup import get


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
    counts = {}
    unknown = ws.queries.send_unknown()
    for chunk in rows(ws, c, "1", []):
        for row in chunk:
            s = ws.queries.summary(row, unknown)["status"]
            counts[s] = counts.get(s, 0) + 1
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
