"""`sar export` and `sar show --markdown`: the log in forms other programs read.

CSV cells that a spreadsheet would run as a formula (=, +, -, @, a tab or a line
end first) are prefixed with an apostrophe (OWASP's advice on CSV injection): a
reply's subject or an organisation's name is text, never a command.
"""

from __future__ import annotations

import csv
import io
import json

REQUEST_FIELDS = ("ref", "org", "kind", "regime", "channel", "status", "due", "days_left",
                  "created_on")
EVENT_FIELDS = ("ref", "seq", "on", "event", "source", "details", "hash")


def safe_cell(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number is a number: -15 days stays -15
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return "'" + text
    return text


def requests(ws) -> list[dict]:
    return [{k: r[k] for k in REQUEST_FIELDS} for r in ws.list()]


def events(ws) -> list[dict]:
    if not ws.home.db_path.exists():
        return []
    return [{"ref": r[0], "seq": r[1], "on": r[2], "event": r[3], "source": r[4],
             "details": json.loads(r[5]), "hash": r[6]}
            for r in ws.db.execute("SELECT ref, seq, day, event, source, details, hash FROM "
                                   "timeline ORDER BY ref, seq")]


def as_csv(rows: list[dict], fields) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for r in rows:
        writer.writerow([safe_cell(json.dumps(r[f], ensure_ascii=False, sort_keys=True)
                                   if isinstance(r[f], dict) else r[f]) for f in fields])
    return out.getvalue()


def markdown_cell(text) -> str:
    """Text for a Markdown table cell or line: no pipes, no line breaks, no HTML."""
    return (str(text or "").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
            .replace(">", "&gt;"))


def markdown(shown: dict) -> str:
    """A request's case file: what, when, the deadline and why, every event and
    message with its evidence hash, and what to do next."""
    org = shown["organisation"]
    lines = [f"# {shown['ref']}: {shown['kind']} request to {markdown_cell(org['name'])}", "",
             f"- Organisation: {markdown_cell(org['name'])} ({shown['org']})",
             f"- Law: {shown['regime']}; sent by {shown['channel']}; calendar "
             f"{shown['calendar']}",
             f"- Status: **{shown['status']}**" + (f", due {shown['due']}" if shown["due"]
                                                   else ""), ""]
    if shown["explanation"]:
        lines += ["## Deadline", ""] + [f"- {markdown_cell(x)}" for x in shown["explanation"]]
        lines += [f"- Warning: {markdown_cell(w)}" for w in shown["warnings"]] + [""]
    lines += ["## Timeline", "", "| date | event | by | details |", "| --- | --- | --- | --- |"]
    for e in shown["events"]:
        details = "; ".join(f"{k} {v}" for k, v in e["details"].items())
        lines.append(f"| {e['on']} | {e['kind']} | {e['source']} | {markdown_cell(details)} |")
    lines.append("")
    if shown["messages"]:
        lines += ["## Letters and replies", "", "| in/out | date | subject | read as | sha256 |",
                  "| --- | --- | --- | --- | --- |"]
        for m in shown["messages"]:
            label = f"{m.get('label')} ({m.get('rule')})" if m["direction"] == "in" else ""
            lines.append(f"| {m['direction']} | {markdown_cell(m['date'])} | {markdown_cell(m['subject'])} | "
                         f"{markdown_cell(label)} | `{m['sha256'] or ''}` |")
        lines.append("")
    lines += ["## Next", "", markdown_cell(shown["next"]), ""]
    return "\n".join(lines)
