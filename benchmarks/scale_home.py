"""A home of N requests, written fast: the generator the scale benchmarks read.

    python benchmarks/scale_home.py HOME -n 100000

Every row goes through the store's own builders (`requests.new_row`, the chained
`event_record`, `row_cache`), so the home is what sar itself would have
written, but in one transaction with the cached status worked out once per
distinct history. Like sar's own, every sent request's log is its own (a Message-ID,
a digest and a second of sending each), so no read can share work between
requests by their logs being alike. The requests belong to
one agent campaign (`bench`, 20 organisations), so `campaign report` reads them too.

Of every 20 requests: 2 drafts, 4 sent and waiting (some overdue by today), 3
acknowledged, 5 fulfilled, 2 refused, 2 extended, 2 asked for ID. Sent dates are
spread over the 90 days before today.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
from pathlib import Path

ORGS = 20
# (what happens after `sent`, days after sending), one for each of 20 requests.
PATTERNS = ([None] * 2 + [()] * 4 + [(("acknowledged", 3),)] * 3
            + [(("acknowledged", 2), ("fulfilled", 20))] * 5 + [(("refused", 10),)] * 2
            + [(("extended", 15),)] * 2 + [(("id-requested", 4),)] * 2)


def build(home: Path, n: int, today: dt.date) -> dict:
    from sar import profile
    from sar.campaign import Campaigns
    from sar.core import lifecycle
    from sar.core.lifecycle import Event
    from sar.store import db as store
    from sar.store import requests as request_table
    from sar.store.events import GENESIS, event_record, row_cache
    from sar.workspace import Workspace

    ws = Workspace(home, today=today)
    ws.init(profile.make("Robin Testperson", "robin@example.org",
                         "12 Sample Lane, Exampleton, EX1 2MP", today=today))
    slugs = [f"org{i:02d}" for i in range(ORGS)]
    for i, slug in enumerate(slugs):
        ws.add_org(slug=slug, name=f"Organisation {i:02d} Ltd", email=f"dpo@{slug}.example",
                   kind="data-broker" if i % 2 else "political-party",
                   domains=[f"{slug}.example"])
    campaigns = Campaigns(ws)
    campaigns.new("bench", slugs, ["access"], mode="agent", sender="campaign@bench.example",
                  sender_name="Bench Campaign")
    c = campaigns.get("bench")
    db = ws.db
    from sar.drafting import org_snapshot

    plan = {"regime": "uk-gdpr", "channel": "email", "lang": "en", "calendar": "GB-ENG"}
    cache: dict = {}
    alphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"
    with ws.transaction():
        org_ids = {s: request_table.snapshot(db, "organisations",
                                             org_snapshot(ws.directory.get(s))) for s in slugs}
        people = max(1, n // ORGS)
        pids, rids = [], []
        for p in range(people):
            pids.append(store.insert(db, "participants", {
                "campaign_id": c["id"], "pseudonym": f"P-B{p:07d}", "consent_version": "1",
                "consented_at": "2026-01-01T00:00:00+00:00", "consent_source": "csv",
                "email_hash": f"bench{p}", "imported_at": "2026-01-01T00:00:00+00:00"}))
            rids.append(request_table.snapshot(db, "requesters", {
                "name": f"P-B{p:07d}", "email": None, "address": [], "previous_addresses": [],
                "date_of_birth": None, "calendar": "GB-ENG"}))
        events_rows = []
        for i in range(n):
            pattern = PATTERNS[i % 20]
            sent_on = today - dt.timedelta(days=(i * 7919) % 90)
            drafted_on = sent_on - dt.timedelta(days=1)
            ref = "SAR-" + "".join(alphabet[(i // 29 ** k) % 29] for k in range(5))
            events = [Event("drafted", drafted_on, "system", {"org": slugs[i % ORGS]})]
            if pattern is not None:
                # As sar writes them: each letter its own Message-ID, digest and second
                # of sending, each answer its own message, so that no two requests'
                # logs are alike (their chains end in different hashes).
                at = dt.datetime.combine(sent_on, dt.time(9, 0), tzinfo=dt.UTC) + \
                    dt.timedelta(seconds=i % 28_800)
                events.append(Event("sent", sent_on, "system", {
                    "message_id": f"<{ref.lower()}.{i}@bench.example>", "transport": "smtp",
                    "sha256": hashlib.sha256(ref.encode()).hexdigest()}, at=at))
                events += [Event(kind, sent_on + dt.timedelta(days=d), "inbox",
                                 {"message_id": f"<{kind}.{i}@{slugs[i % ORGS]}.example>"})
                           for kind, d in pattern if sent_on + dt.timedelta(days=d) <= today]
            events = [Event(e.kind, e.on, e.source, e.details, seq, e.at)
                      for seq, e in enumerate(events, 1)]
            key = (tuple(e.kind for e in events), sent_on, at if pattern is not None else None)
            if key not in cache:
                a = lifecycle.assess(events, plan["regime"], plan["calendar"], today,
                                     ws.options())
                cache[key] = row_cache(events, a, plan["regime"], plan["calendar"], today,
                                       ws.options())
            row = request_table.new_row(
                ref=ref, requester_id=rids[i // ORGS % people],
                organisation_id=org_ids[slugs[i % ORGS]], org_slug=slugs[i % ORGS],
                kind="access", plan=plan, details={}, today=drafted_on,
                campaign_id=c["id"], participant_id=pids[i // ORGS % people])
            row |= cache[key] | {"last_event_on": events[-1].on.isoformat()}
            rid = request_table.insert(db, row)
            prev = GENESIS
            for e in events:
                record = event_record(rid, e, prev)
                prev = record["hash"]
                events_rows.append({**record, "recorded_at": "2026-01-01T00:00:00+00:00"})
            if len(events_rows) > 20_000:
                _insert_events(db, events_rows)
        _insert_events(db, events_rows)
    return {"requests": n, "participants": people}


def _insert_events(db, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    db.conn.executemany(
        f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [[r[c] for c in columns] for r in rows])
    rows.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--today", default=None)
    a = parser.parse_args()
    today = dt.date.fromisoformat(a.today) if a.today else dt.date.today()
    print(build(a.home, a.n, today))


if __name__ == "__main__":
    main()
