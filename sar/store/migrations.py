"""Forward-only schema migrations, named mNNN_what.

Each runs in one transaction with the record of it having run (sqlite-utils
Migrations). A database that has migrations this version does not know was made
by a newer sar and is refused rather than guessed at.

A migration that has shipped is never edited, even to fix it: homes it has run on
are recorded as having it and will not run it again. A fix is a new migration
(m010 for m009). tests/data/schemas/ holds each released schema, frozen.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlite_utils.migrations import Migrations

from sar.errors import StoreError
from sar.store.rebuild import columns_of as _columns
from sar.store.rebuild import rebuild_table as _rebuild


class _Migrations(Migrations):
    """sqlite-utils' Migrations, also keeping the names registered, in order: it has
    no public list of them (only the private `_migrations`)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.names: list[str] = []

    def __call__(self, *, name: str | None = None, transactional: bool = True):
        register = super().__call__(name=name, transactional=transactional)

        def inner(fn):
            register(fn)
            self.names.append(name or fn.__name__)
            return fn

        return inner


migrations = _Migrations("sar")


@migrations()
def m001_initial(db):
    db.executescript(
        """
        CREATE TABLE requesters (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE,   -- SHA-256 of the profile as snapshotted
            name TEXT NOT NULL,
            email TEXT,
            address TEXT,                       -- JSON list of lines
            previous_addresses TEXT,            -- JSON list of one-line addresses
            date_of_birth TEXT,
            calendar TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE organisations (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE,   -- the directory record exactly as used
            slug TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT,
            country TEXT,
            email TEXT,
            address TEXT,                       -- JSON list of lines
            domains TEXT,                       -- JSON list
            calendar TEXT,
            regime TEXT,
            record TEXT NOT NULL,               -- the whole record, JSON
            created_at TEXT NOT NULL
        );
        CREATE INDEX organisations_slug ON organisations(slug);
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
            status TEXT NOT NULL,               -- cached from events, without 'overdue'
            due TEXT,                           -- cached from events
            updated_at TEXT NOT NULL
        );
        CREATE INDEX requests_status_due ON requests(status, due);
        CREATE INDEX requests_org ON requests(org_slug);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            seq INTEGER NOT NULL,               -- order of recording within the request
            kind TEXT NOT NULL,
            occurred_on TEXT NOT NULL,          -- the date it happened
            occurred_at TEXT,                   -- the exact time, when known (UTC)
            recorded_at TEXT NOT NULL,
            source TEXT NOT NULL,               -- user | system | inbox
            details TEXT NOT NULL,              -- JSON
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,                 -- SHA-256 over prev_hash and this event
            UNIQUE (request_id, seq)
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            request_id INTEGER REFERENCES requests(id),
            direction TEXT NOT NULL,            -- out | in
            state TEXT NOT NULL,                -- sending | sent | unknown | failed | received
            transport TEXT NOT NULL,            -- maildir | smtp | post | imap
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
            updated_at TEXT NOT NULL
        );
        CREATE INDEX messages_message_id ON messages(message_id);
        CREATE INDEX messages_request ON messages(request_id);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id),
            filename TEXT,
            content_type TEXT,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL
        );
        -- The event log is append-only: corrections are new events.
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        """
    )



@migrations()
def m002_requests_last_event_on(db):
    # The date of a request's latest event, so a what-if view (SAR_TODAY in the
    # past) can tell which cached rows include events it must not see yet.
    db.execute("ALTER TABLE requests ADD COLUMN last_event_on TEXT")
    db.execute("UPDATE requests SET last_event_on = (SELECT MAX(occurred_on) FROM events "
               "WHERE events.request_id = requests.id)")



@migrations()
def m003_one_letter_in_flight(db):
    # At most one outgoing message per request may be on its way at a time: a
    # second 'sending' row for the same request would mean a duplicate letter.
    db.execute("CREATE UNIQUE INDEX messages_one_in_flight ON messages(request_id) "
               "WHERE direction = 'out' AND state = 'sending'")


@migrations()
def m004_inbox(db):
    # What `sar watch` learns about each incoming message, kept with it so every
    # decision can be shown and overruled; and where each mailbox was read up to.
    for column in ("label", "rule", "reason", "evidence_text", "matched_by", "match_detail",
                   "trust", "needs", "received_on", "source", "dedupe"):
        db.execute(f"ALTER TABLE messages ADD COLUMN {column} TEXT")
    # The same message seen twice (a second run, a rescan after UIDVALIDITY changed,
    # the same mail in two folders) is one message: keyed by Message-ID, or by the
    # hash of its bytes when it has none.
    db.execute("CREATE UNIQUE INDEX messages_inbound_once ON messages(dedupe) "
               "WHERE direction = 'in'")
    db.execute("CREATE INDEX messages_needs ON messages(needs) WHERE needs IS NOT NULL")
    db.executescript(
        """
        CREATE TABLE sync_state (
            source TEXT NOT NULL,          -- imap://user@host:port or maildir:/path
            folder TEXT NOT NULL,
            uidvalidity INTEGER,
            last_uid INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, folder)
        );
        CREATE TABLE maildir_seen (
            source TEXT NOT NULL,
            name TEXT NOT NULL,            -- the file's unique name, without its flags
            PRIMARY KEY (source, name)
        );
        """
    )


@migrations()
def m005_readable_views(db):
    # For sqlite-utils, Datasette and the sqlite3 shell: the board and the timeline
    # with readable names, without knowing sar's tables. The status here is the
    # cached one ('overdue' depends on the day you look: `sar status`).
    db.executescript(
        """
        CREATE VIEW request_board AS
            SELECT ref, org_slug AS organisation, kind, regime, channel, status, due,
                   created_on, last_event_on
            FROM requests;
        CREATE VIEW timeline AS
            SELECT r.ref, e.seq, e.occurred_on AS day, e.kind AS event, e.source,
                   e.details, e.hash
            FROM events e JOIN requests r ON r.id = e.request_id;
        """
    )


@migrations()
def m006_message_purpose(db):
    # What an outgoing message was: the request's letter, or a reminder. A reminder
    # found to have gone after a crash records `reminded`, not `sent`.
    db.execute("ALTER TABLE messages ADD COLUMN purpose TEXT NOT NULL DEFAULT 'letter'")


@migrations()
def m007_notify_state(db):
    # When `sar notify` last ran, so its digest says only what is new since then.
    db.execute("CREATE TABLE notify_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "last_on TEXT NOT NULL, last_message INTEGER NOT NULL DEFAULT 0)")


@migrations()
def m008_discovery(db):
    # A mailbox scan, kept only when the user asks (`sar discover --save`) and
    # deleted by `sar discover --forget`: who wrote to them, never what.
    db.execute("CREATE TABLE discovery (id INTEGER PRIMARY KEY, made_at TEXT NOT NULL, "
               "source TEXT NOT NULL, result TEXT NOT NULL)")


@migrations()
def m009_campaigns(db):
    # Campaigns (campaigns.md §2, DESIGN.md): who takes part is kept apart from the
    # request log. `participants` is pseudonymous (consent, confirmation, mandate
    # hash); `identities` holds the person (name, email, address) and is the one
    # table `sar campaign purge` empties. A campaign request's requester row names
    # only the pseudonym, so the log and the statistics never need the person.
    db.executescript(
        """
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            orgs TEXT NOT NULL,                 -- JSON list of slugs (groups expanded)
            kinds TEXT NOT NULL,                -- JSON list of request kinds
            mode TEXT NOT NULL,                 -- self | agent
            replies TEXT NOT NULL,              -- participant | campaign: where answers go
            sender_name TEXT,                   -- the campaign's own mailbox
            sender_email TEXT,
            consent_version TEXT NOT NULL,
            consent_text TEXT NOT NULL,         -- what participants agreed to, verbatim
            consent_sha256 TEXT NOT NULL,
            retain_until TEXT NOT NULL,         -- purge is due from this date
            settings TEXT NOT NULL,             -- JSON: lang, regime, via, repeat_days ...
            created_at TEXT NOT NULL,
            purged_at TEXT
        );
        CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            pseudonym TEXT NOT NULL UNIQUE,     -- the only name the request log knows
            consent_version TEXT,
            consented_at TEXT,
            consent_source TEXT,                -- csv | confirmation
            token_sha256 TEXT,                  -- the confirmation code, hashed
            invited_at TEXT,
            confirmed_at TEXT,                  -- control of the email address shown
            mandate_sha256 TEXT,                -- the letter of authority, in evidence/
            email_hash TEXT NOT NULL,           -- salted hash of the address: the rate
                                                -- limit outlives a purge, the address not
            imported_at TEXT NOT NULL,
            purged_at TEXT
        );
        CREATE INDEX participants_campaign ON participants(campaign_id);
        CREATE INDEX participants_email_hash ON participants(email_hash);
        CREATE TABLE participant_salt (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            salt TEXT NOT NULL
        );
        CREATE TABLE identities (
            participant_id INTEGER PRIMARY KEY REFERENCES participants(id),
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            email_key TEXT NOT NULL,
            address TEXT NOT NULL,              -- JSON list of lines
            date_of_birth TEXT,
            previous_addresses TEXT,            -- JSON list
            UNIQUE (campaign_id, email_key)
        );
        CREATE INDEX identities_email ON identities(email_key);
        -- Evidence deleted on purpose (the raw letters and replies of purged
        -- participants): the events that name these hashes stay, and `sar doctor`
        -- knows the files are gone by design, not lost.
        CREATE TABLE purged_evidence (
            sha256 TEXT PRIMARY KEY,
            purged_at TEXT NOT NULL
        );
        ALTER TABLE requests ADD COLUMN campaign_id INTEGER REFERENCES campaigns(id);
        ALTER TABLE requests ADD COLUMN participant_id INTEGER REFERENCES participants(id);
        CREATE INDEX requests_campaign ON requests(campaign_id, status);
        -- Drafting and the rate limit look up each participant's requests.
        CREATE INDEX requests_participant ON requests(participant_id);
        """
    )


# -- after a shipped migration: fix-ups, never edits ------------------------------

# participants as the last m009 made it.
_PARTICIPANTS_M009 = """
CREATE TABLE participants (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    pseudonym TEXT NOT NULL UNIQUE,     -- the only name the request log knows
    consent_version TEXT,
    consented_at TEXT,
    consent_source TEXT,                -- csv | confirmation
    token_sha256 TEXT,                  -- the confirmation code, hashed
    invited_at TEXT,
    confirmed_at TEXT,                  -- control of the email address shown
    mandate_sha256 TEXT,                -- the letter of authority, in evidence/
    email_hash TEXT NOT NULL,           -- salted hash of the address: the rate
                                        -- limit outlives a purge, the address not
    imported_at TEXT NOT NULL,
    purged_at TEXT
)"""

# The email_hash of a participant purged before m010: the address is gone, so it
# cannot be hashed; no hash equals this, so no rate limit or lookup matches it.
EMAIL_HASH_UNKNOWN = "unknown: purged before m010"


@migrations()
def m010_fix_campaigns_as_first_shipped(db):
    # m009 was edited after it shipped: 44ca503 added participants.email_hash, its
    # index and participant_salt; 81ed68d made requests_campaign (campaign_id, status)
    # and added requests_participant. A home migrated by an earlier m009 is recorded
    # as having it but lacks them. Each step looks first, so any of the three m009s
    # ends the same, and after the last one this changes nothing.
    db.execute("CREATE TABLE IF NOT EXISTS participant_salt "
               "(id INTEGER PRIMARY KEY CHECK (id = 1), salt TEXT NOT NULL)")
    if "email_hash" not in _columns(db, "participants"):
        _rebuild(db, "participants", _PARTICIPANTS_M009,
                 fill={"email_hash": f"'{EMAIL_HASH_UNKNOWN}'"})
        # As sar.campaign.email_hash: SHA-256 of "salt:email_key", one salt per home.
        rows = db.execute("SELECT participant_id, email_key FROM identities").fetchall()
        if rows:
            db.execute("INSERT OR IGNORE INTO participant_salt (id, salt) VALUES (1, ?)",
                       [secrets.token_hex(16)])
            salt = db.execute("SELECT salt FROM participant_salt WHERE id = 1").fetchone()[0]
            db.conn.executemany("UPDATE participants SET email_hash = ? WHERE id = ?", [
                (hashlib.sha256(f"{salt}:{key}".encode()).hexdigest(), pid)
                for pid, key in rows])
    db.execute("CREATE INDEX IF NOT EXISTS participants_email_hash "
               "ON participants(email_hash)")
    campaign_index = [r[2] for r in db.execute(
        "PRAGMA index_info(requests_campaign)").fetchall()]
    if campaign_index != ["campaign_id", "status"]:
        db.execute("DROP INDEX IF EXISTS requests_campaign")
        db.execute("CREATE INDEX requests_campaign ON requests(campaign_id, status)")
    db.execute("CREATE INDEX IF NOT EXISTS requests_participant ON requests(participant_id)")


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

# The names of the migrations this sar knows, in order (db.py refuses a database
# that has others: a newer sar made it).
KNOWN = migrations.names
