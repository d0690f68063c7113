"""Schema migrations m001 to m010: the first schema, the inbox, the campaigns and
the fix of m009 as first shipped (sar.store.migrations says how migrations work)."""

from __future__ import annotations

import hashlib
import secrets

from sar.store.migration_registry import migrations
from sar.store.rebuild import columns_of as _columns
from sar.store.rebuild import rebuild_table as _rebuild


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
