"""Schema migrations from m011: CHECKs and indexes, reviews, the board's caches and
indexes (sar.store.migrations says how migrations work)."""

from __future__ import annotations

from sar.errors import StoreError
from sar.store import migrations_until_m010  # noqa: F401 - registered first, in order
from sar.store.migration_registry import migrations
from sar.store.rebuild import rebuild_table as _rebuild

# What sar writes, or ever wrote, to each enumerated column: m011's CHECKs. Taken
# from the code that writes them; a released sar's database may hold any of these.
M011_ALLOWED = {
    # lifecycle.derive() (the cached status never holds 'overdue', which depends on
    # the day; nor 'send-unknown', which is only shown).
    ("requests", "status"): (
        "draft", "sent", "acknowledged", "awaiting-id", "awaiting-clarification",
        "awaiting-fee", "extended", "fulfilled", "partially-fulfilled", "no-data-held",
        "refused", "bounced", "withdrawn", "escalated"),
    ("messages", "direction"): ("out", "in"),
    # The outbox (sending, unknown, failed, sent, superseded), the inbox (received;
    # sent, for a participant's own copy), posting a letter (sent), campaign hand-out
    # and purge (handed-out, purged). 'queued': the outbox of 907e8ac wrote it, and a
    # row a crash left then stays so.
    ("messages", "state"): (
        "queued", "sending", "sent", "unknown", "failed", "superseded", "received",
        "handed-out", "purged"),
    ("messages", "purpose"): ("letter", "reminder"),          # m006; the outbox
    ("campaigns", "mode"): ("self", "agent"),                 # campaign MODES
    ("campaigns", "replies"): ("participant", "campaign"),    # campaign REPLIES
    ("participants", "consent_source"): ("csv", "confirmation"),  # or NULL
}


def _check(table: str, column: str) -> str:
    values = ", ".join(f"'{v}'" for v in M011_ALLOWED[(table, column)])
    return f"CHECK ({column} IN ({values}))"


def _refuse_unknown_values(db) -> None:
    """A value outside a CHECK would stop the rebuild: say which, change nothing."""
    found = []
    for (table, column), allowed in M011_ALLOWED.items():
        marks = ", ".join("?" for _ in allowed)
        for value, count, first in db.execute(
                f"SELECT [{column}], COUNT(*), MIN(rowid) FROM [{table}] "
                f"WHERE [{column}] NOT IN ({marks}) GROUP BY 1", allowed).fetchall():
            found.append(f"{table}.{column} {str(value)[:40]!r} in {count} row(s), "
                         f"the first id {first}")
    if found:
        raise StoreError(
            "the database holds values sar never writes, so it was left as it was "
            f"(schema m011 not applied): {'; '.join(found)}. Correct those rows "
            "(e.g. with the sqlite3 shell), then run sar again")


@migrations()
def m011_checks_and_indexes(db):
    # CHECKs on the enumerated columns, so a stray value (a typo in code, a hand
    # edit) is refused when written, not found later by a query that misses it.
    # SQLite cannot add a CHECK to a column: the four tables are built again.
    _refuse_unknown_values(db)
    # Every delete or re-insert of a message looks up its attachments: without this
    # the rebuild of messages below, and each purge, scans attachments per message.
    db.execute("CREATE INDEX attachments_message ON attachments(message_id)")
    _rebuild(db, "campaigns", f"""
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            orgs TEXT NOT NULL,                 -- JSON list of slugs (groups expanded)
            kinds TEXT NOT NULL,                -- JSON list of request kinds
            mode TEXT NOT NULL {_check("campaigns", "mode")},
            replies TEXT NOT NULL {_check("campaigns", "replies")},  -- where answers go
            sender_name TEXT,                   -- the campaign's own mailbox
            sender_email TEXT,
            consent_version TEXT NOT NULL,
            consent_text TEXT NOT NULL,         -- what participants agreed to, verbatim
            consent_sha256 TEXT NOT NULL,
            retain_until TEXT NOT NULL,         -- purge is due from this date
            settings TEXT NOT NULL,             -- JSON: lang, regime, via, repeat_days ...
            created_at TEXT NOT NULL,
            purged_at TEXT
        )""")
    _rebuild(db, "participants", f"""
        CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            pseudonym TEXT NOT NULL UNIQUE,     -- the only name the request log knows
            consent_version TEXT,
            consented_at TEXT,
            consent_source TEXT {_check("participants", "consent_source")},
            token_sha256 TEXT,                  -- the confirmation code, hashed
            invited_at TEXT,
            confirmed_at TEXT,                  -- control of the email address shown
            mandate_sha256 TEXT,                -- the letter of authority, in evidence/
            email_hash TEXT NOT NULL,           -- salted hash of the address: the rate
                                                -- limit outlives a purge, the address not
            imported_at TEXT NOT NULL,
            purged_at TEXT
        )""")
    _rebuild(db, "requests", f"""
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            requester_id INTEGER NOT NULL REFERENCES requesters(id),
            organisation_id INTEGER NOT NULL REFERENCES organisations(id),
            org_slug TEXT NOT NULL,
            kind TEXT NOT NULL,
            regime TEXT NOT NULL,
            channel TEXT NOT NULL,              -- email | post
            lang TEXT NOT NULL,
            calendar TEXT NOT NULL,
            details TEXT,                       -- JSON: what the letter needs beyond the profile
            created_on TEXT NOT NULL,
            status TEXT NOT NULL                -- cached from events, without 'overdue'
                {_check("requests", "status")},
            due TEXT,                           -- cached from events
            updated_at TEXT NOT NULL,
            last_event_on TEXT,                 -- the date of the latest event
            campaign_id INTEGER REFERENCES campaigns(id),
            participant_id INTEGER REFERENCES participants(id)
        )""")
    _rebuild(db, "messages", f"""
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            request_id INTEGER REFERENCES requests(id),
            direction TEXT NOT NULL {_check("messages", "direction")},
            state TEXT NOT NULL {_check("messages", "state")},
            transport TEXT NOT NULL,            -- maildir | smtp | post | imap | hand-out
            message_id TEXT,
            in_reply_to TEXT,
            refs TEXT,                          -- JSON list from References
            subject TEXT,
            from_addr TEXT,
            to_addrs TEXT,                      -- JSON list
            date TEXT,
            sha256 TEXT,                        -- evidence of the raw bytes
            size INTEGER,
            detail TEXT,                        -- the server's reply or the failure
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            label TEXT,                         -- what sar watch decided, and why
            rule TEXT,
            reason TEXT,
            evidence_text TEXT,
            matched_by TEXT,
            match_detail TEXT,
            trust TEXT,
            needs TEXT,
            received_on TEXT,
            source TEXT,
            dedupe TEXT,                        -- Message-ID, or the hash of the bytes
            purpose TEXT NOT NULL DEFAULT 'letter' {_check("messages", "purpose")}
        )""")
    # A what-if day (SAR_TODAY in the past) lists the requests whose cache holds
    # events after it: `last_event_on > ?`, which without this scans them all.
    db.execute("CREATE INDEX requests_last_event_on ON requests(last_event_on)")


@migrations()
def m012_reviews(db):
    # `sar review`: the answer read against Art. 15, stored with the rules that read
    # it, and the user's overrulings kept beside what the rules found.
    db.execute("""
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            rules TEXT NOT NULL,                -- e.g. review-1
            reviewed_at TEXT NOT NULL,
            result TEXT NOT NULL,               -- JSON, as the rules found it
            overrides TEXT NOT NULL DEFAULT '{}'  -- JSON: item -> status set by the user
        )""")
    db.execute("CREATE INDEX reviews_request ON reviews(request_id)")


@migrations()
def m013_requests_answer_gaps(db):
    # The board shows a fulfilled request whose review found items missing or given
    # in part as answered-incomplete. Cached on the row (like status and due) so that
    # listing any number of requests reads no review: the items, as a JSON list, of
    # the latest review with the user's overrulings; NULL when never reviewed.
    import json

    db.execute("ALTER TABLE requests ADD COLUMN answer_gaps TEXT")
    # `sar notify` tells of an incomplete answer once: the last review it has seen.
    db.execute("ALTER TABLE notify_state ADD COLUMN last_review INTEGER NOT NULL DEFAULT 0")
    latest = db.execute("SELECT request_id, result, overrides FROM reviews WHERE id IN "
                        "(SELECT MAX(id) FROM reviews GROUP BY request_id)").fetchall()
    for request_id, result, overrides in latest:
        said = json.loads(overrides)
        gaps = [k for k, v in json.loads(result)["items"].items()
                if said.get(k, v["status"]) != "answered"]
        db.execute("UPDATE requests SET answer_gaps = ? WHERE id = ?",
                   [json.dumps(gaps), request_id])


# m015: the outbox sends the other follow-ups too, each under its own purpose (the
# follow-up's kind), so each is at most once and its unknown fate kept apart.
M015_PURPOSES = ("letter", "reminder", "id-reply", "extension-challenge", "incomplete")


@migrations()
def m015_follow_up_purposes(db):
    # messages.purpose gains the follow-ups `sar send REF --follow-up KIND` sends. The
    # table is as m011 made it (no migration since changed it): only its CHECK moves.
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                        "name = 'messages'").fetchone()
    old = _check("messages", "purpose")
    if sql.count(old) != 1:
        raise StoreError("the database's table messages is not as sar made it (its "
                         "purpose CHECK differs), so it was left as it was")
    values = ", ".join(f"'{v}'" for v in M015_PURPOSES)
    _rebuild(db, "messages", sql.replace(old, f"CHECK (purpose IN ({values}))"))


@migrations()
def m017_board_indexes(db):
    # The board at any size (issue 20): `list`, `due` and the board's most urgent rows
    # walk requests in due-date order with a LIMIT, on an index in exactly that order
    # (due, then rowid); the board's counts per status are taken from a covering index,
    # never from the table's rows. Events are read by request (campaign report) on
    # the UNIQUE (request_id, seq) index m001 made.
    db.execute("CREATE INDEX requests_board_due ON requests(due)")
    # Which requests have a letter in doubt (store.requests.IN_DOUBT), asked on
    # every board read: only those few messages are indexed.
    db.execute("CREATE INDEX messages_in_doubt ON messages(request_id) "
               "WHERE state IN ('sending', 'unknown')")
    db.execute("CREATE INDEX requests_board_counts ON requests(status, due, created_on, "
               "last_event_on, answer_gaps, campaign_id, org_slug, kind)")


@migrations()
def m018_requests_log_facts(db):
    # `sar report` at any size (issue 20): what it counts of each request's log,
    # cached on the row with its status (store.events.log_facts writes it with every
    # event), so the figures are counted from the requests alone: the day of the first
    # letter sent or posted and of the first answer, by recording order, and which of
    # bounced, acknowledged, id-requested, extended, refused have happened, as bits
    # 1, 2, 4, 8, 16. Worked out here from the events, as of the latest.
    db.execute("ALTER TABLE requests ADD COLUMN first_sent_on TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN first_answer_on TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN kinds_seen INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE requests SET first_sent_on = (SELECT occurred_on FROM events e WHERE "
        "e.request_id = requests.id AND e.kind IN ('sent', 'posted') ORDER BY e.seq LIMIT 1), "
        "first_answer_on = (SELECT occurred_on FROM events e WHERE e.request_id = requests.id "
        "AND e.kind IN ('fulfilled', 'partially-fulfilled', 'no-data-held', 'refused') "
        "ORDER BY e.seq LIMIT 1), kinds_seen = (SELECT coalesce(MAX(kind = 'bounced') + "
        "2 * MAX(kind = 'acknowledged') + 4 * MAX(kind = 'id-requested') + "
        "8 * MAX(kind = 'extended') + 16 * MAX(kind = 'refused'), 0) FROM events e "
        "WHERE e.request_id = requests.id)")


@migrations()
def m019_requests_deadline_cache(db):
    # The calendar and the report at any size (issue 20): what they read of each
    # request's deadline, cached on its row with its status and due date
    # (store.events.row_cache writes it with every event), as JSON: for a request
    # whose clock runs, the calendar's dates and the rule that gave them; for an
    # answered one, the due date as it stood before the first answer. NULL where
    # there is nothing to keep. Left NULL here, since working it out needs the
    # deadline rules and their settings: the calendar and the report work such a
    # row out from its events, and `sar doctor` names it until `--fix` fills it.
    db.execute("ALTER TABLE requests ADD COLUMN deadline_cache TEXT")


@migrations()
def m020_cache_basis(db):
    # The deadline settings the requests' cached due dates were worked out under
    # (store.requests.cache_basis): a setting changed by editing config.toml by hand
    # is then noticed when the home is next opened, and every cache recomputed, as
    # `sar config set` does. Left empty here: the first open records the settings
    # as they are (the caches were kept with them, or doctor names those that were not).
    db.execute("CREATE TABLE cache_basis (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "deadlines TEXT NOT NULL)")
