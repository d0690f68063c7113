"""`sar notify`: what became due or overdue since the last run, one line each.

For cron: `0 8 * * * sar notify` prints nothing when nothing happened, so cron
mails only when there is news. The first run reports the current state; each run
remembers its day (and the last reply it has told about) in the database.
"""

from __future__ import annotations

import datetime as dt
import json

from sar.core import lifecycle

SOON_DAYS = 7


def digest(ws, remember: bool = True) -> list[str]:
    db = ws.db
    state = db.execute("SELECT last_on, last_message, last_review FROM notify_state "
                       "WHERE id = 1").fetchone()
    last_on = dt.date.fromisoformat(state[0]) if state else None
    last_message = state[1] if state else 0
    today = ws.today
    lines = []
    board = ws.list()
    last_review, incomplete = _incomplete(ws, board, state[2] if state else 0)
    # Which overdue requests were reminded already: their next step is the regulator.
    reminded = {r[0] for r in db.execute(
        "SELECT DISTINCT r.ref FROM events e JOIN requests r ON r.id = e.request_id "
        "WHERE e.kind = 'reminded'")}
    for r in board:
        due = dt.date.fromisoformat(r["due"]) if r["due"] else None
        if due is None or r["status"] not in (*lifecycle.RUNNING, "overdue"):
            continue
        if r["status"] == "overdue" and (last_on is None or due >= last_on):
            # The step for its channel, and for whether a reminder went already: a
            # posted request is reminded by post, a reminded one goes to the regulator.
            step = lifecycle.next_step("overdue", r["channel"], r["ref"],
                                       reminded=r["ref"] in reminded)
            lines.append(f"{r['ref']}  {r['org']}  overdue since {due + dt.timedelta(days=1)}"
                         f" (due {due}): {step}")
        elif r["status"] != "overdue" and today <= due <= today + dt.timedelta(days=SOON_DAYS) \
                and (last_on is None or due > last_on + dt.timedelta(days=SOON_DAYS)):
            lines.append(f"{r['ref']}  {r['org']}  due {due} ({(due - today).days} days)")
    newest = last_message
    for m in db.query("SELECT m.id, m.label, m.needs, r.ref FROM messages m LEFT JOIN requests r "
                      "ON r.id = m.request_id WHERE m.direction = 'in' AND m.id > ? "
                      "ORDER BY m.id", [last_message]):
        newest = max(newest, m["id"])
        where = m["ref"] or "unmatched"
        wait = f": waits in `sar inbox` ({m['needs']})" if m["needs"] else ""
        lines.append(f"{where}  reply #{m['id']} read as {m['label']}{wait}")
    lines += incomplete
    if remember:
        with ws.transaction():
            db.execute("INSERT INTO notify_state (id, last_on, last_message, last_review) "
                       "VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                       "last_on = excluded.last_on, last_message = excluded.last_message, "
                       "last_review = excluded.last_review",
                       [today.isoformat(), newest, last_review])
    return lines


def _incomplete(ws, board: list[dict], since: int) -> tuple[int, list[str]]:
    """Requests called fulfilled whose review, made since the last run, found items
    missing or in part: one line each, once (one query for the whole board)."""
    reviewed = dict(ws.db.execute("SELECT request_id, MAX(id) FROM reviews WHERE id > ? "
                                  "GROUP BY request_id", [since]).fetchall())
    refs = {ref for (ref,) in ws.db.execute(
        "SELECT ref FROM requests WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(reviewed))])}
    lines = [f"{r['ref']}  {r['org']}  answered, but the review found "
             f"{', '.join(r['answer_gaps'])} missing or in part: "
             f"`sar letter {r['ref']} --follow-up incomplete`"
             for r in board if r.get("answer") and r["ref"] in refs]
    return max([since, *reviewed.values()]), lines


def email(ws, lines: list[str]) -> str:
    """Send the digest to the user through the configured transport."""
    from sar.mail import compose

    me = ws.profile()
    when = dt.datetime.now(dt.UTC).replace(microsecond=0)
    msg = compose.compose(subject=f"sar: {len(lines)} thing{'s' if len(lines) != 1 else ''} "
                                  f"to look at ({ws.today})",
                          body="\n".join(lines) + "\n", sender_name="sar",
                          sender_email=me.email, to_name=me.name, to_email=me.email,
                          message_id=compose.new_message_id("notify", me.email), when=when)
    transport = ws.transport()
    transport.open()
    try:
        return transport.deliver(compose.as_bytes(msg), me.email, [me.email])
    finally:
        transport.close()
