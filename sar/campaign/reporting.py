"""`sar campaign report`: the figures of campaigns.md §1 for one campaign.

Computed by sar.report from the requests and events alone, which name
participants only by pseudonym; identities are never read. Groups counting fewer
than `suppress_below` requests (5 by default) are blanked, and left out of the
charts, before anything is written. The answers' disclosure table
(`sar.campaign.answers`) comes from the stored reviews, under the same rule.
"""

from __future__ import annotations

from sar.campaign import answers
from sar.report import COLUMNS, LABELS

# What each kind of request asked for, in the method section's words.
ASKED = {"access": "a copy of their personal data and the Art. 15 information (subject "
                   "access, UK GDPR Art. 15)",
         "erasure": "erasure of their personal data (Art. 17)",
         "objection": "that processing for direct marketing stop (Art. 21)"}


def _asked(c: dict) -> str:
    kinds = [ASKED.get(k, f"a {k} request") for k in c.get("kinds") or []]
    who = ("the campaign wrote for each participant, with their letter of authority"
           if c.get("mode") == "agent" else "each participant wrote for themselves")
    return f"{who}, asking for " + "; and ".join(kinds) if kinds else who


def campaign_report(campaigns, name: str, suppress_below: int = 5) -> dict:
    from sar import report

    c = campaigns.get(name)  # a purged campaign still has its report
    data = report.build(campaigns.ws, suppress_below, campaign_id=c["id"])
    data["title"] = c["sender_name"] or c["name"]
    data["campaign"] = c["name"]
    data["columns"] = [[k, LABELS[k]] for k in COLUMNS]
    data["asked"] = _asked(c)
    data["answers"] = answers.build(campaigns.ws, c["id"], suppress_below)
    return data


def render(data: dict, format_: str) -> str:
    from sar import report

    if format_ == "html":
        from sar.campaign.html import as_html

        return as_html(data, extra=answers.as_html(data["answers"], data.get("names")))
    if format_ == "json":
        import json

        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if format_ == "csv":
        return answers.as_csv(report.csv_rows(data), report.CSV_HEADER, data["answers"])
    return report.as_markdown(data, title=data["title"]) + "\n" + answers.as_markdown(
        data["answers"], data.get("names"))
