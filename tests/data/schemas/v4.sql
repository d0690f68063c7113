-- sar schema v4: m001_initial, m002_requests_last_event_on, m003_one_letter_in_flight, m004_inbox
-- as migrations.py at 567d2c2 made it (tests/schemas.py; do not edit)
BEGIN;
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
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
        , last_event_on TEXT);
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
        , label TEXT, rule TEXT, reason TEXT, evidence_text TEXT, matched_by TEXT, match_detail TEXT, trust TEXT, needs TEXT, received_on TEXT, source TEXT, dedupe TEXT);
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
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE UNIQUE INDEX messages_one_in_flight ON messages(request_id) WHERE direction = 'out' AND state = 'sending';
CREATE UNIQUE INDEX messages_inbound_once ON messages(dedupe) WHERE direction = 'in';
CREATE INDEX messages_needs ON messages(needs) WHERE needs IS NOT NULL;
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
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm001_initial', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm002_requests_last_event_on', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm003_one_letter_in_flight', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm004_inbox', '2026-11-29 00:00:00.000000+00:00');
COMMIT;
