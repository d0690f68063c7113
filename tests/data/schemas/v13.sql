-- sar schema v13: m001_initial, m002_requests_last_event_on, m003_one_letter_in_flight, m004_inbox, m005_readable_views, m006_message_purpose, m007_notify_state, m008_discovery, m009_campaigns, m010_fix_campaigns_as_first_shipped, m011_checks_and_indexes, m012_reviews, m013_requests_answer_gaps
-- as migrations.py at 6ee10e7 made it (tests/schemas.py; do not edit)
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
CREATE TABLE notify_state (id INTEGER PRIMARY KEY CHECK (id = 1), last_on TEXT NOT NULL, last_message INTEGER NOT NULL DEFAULT 0, last_review INTEGER NOT NULL DEFAULT 0);
CREATE TABLE discovery (id INTEGER PRIMARY KEY, made_at TEXT NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL);
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
CREATE TABLE purged_evidence (
            sha256 TEXT PRIMARY KEY,
            purged_at TEXT NOT NULL
        );
CREATE INDEX attachments_message ON attachments(message_id);
CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            orgs TEXT NOT NULL,                 -- JSON list of slugs (groups expanded)
            kinds TEXT NOT NULL,                -- JSON list of request kinds
            mode TEXT NOT NULL CHECK (mode IN ('self', 'agent')),
            replies TEXT NOT NULL CHECK (replies IN ('participant', 'campaign')),  -- where answers go
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
            consent_source TEXT CHECK (consent_source IN ('csv', 'confirmation')),
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
                CHECK (status IN ('draft', 'sent', 'acknowledged', 'awaiting-id', 'awaiting-clarification', 'awaiting-fee', 'extended', 'fulfilled', 'partially-fulfilled', 'no-data-held', 'refused', 'bounced', 'withdrawn', 'escalated')),
            due TEXT,                           -- cached from events
            updated_at TEXT NOT NULL,
            last_event_on TEXT,                 -- the date of the latest event
            campaign_id INTEGER REFERENCES campaigns(id),
            participant_id INTEGER REFERENCES participants(id)
        , answer_gaps TEXT);
CREATE INDEX requests_status_due ON requests(status, due);
CREATE INDEX requests_org ON requests(org_slug);
CREATE INDEX requests_campaign ON requests(campaign_id, status);
CREATE INDEX requests_participant ON requests(participant_id);
CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            request_id INTEGER REFERENCES requests(id),
            direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
            state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'unknown', 'failed', 'superseded', 'received', 'handed-out', 'purged')),
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
            purpose TEXT NOT NULL DEFAULT 'letter' CHECK (purpose IN ('letter', 'reminder'))
        );
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_request ON messages(request_id);
CREATE UNIQUE INDEX messages_one_in_flight ON messages(request_id) WHERE direction = 'out' AND state = 'sending';
CREATE UNIQUE INDEX messages_inbound_once ON messages(dedupe) WHERE direction = 'in';
CREATE INDEX messages_needs ON messages(needs) WHERE needs IS NOT NULL;
CREATE VIEW request_board AS
            SELECT ref, org_slug AS organisation, kind, regime, channel, status, due,
                   created_on, last_event_on
            FROM requests;
CREATE VIEW timeline AS
            SELECT r.ref, e.seq, e.occurred_on AS day, e.kind AS event, e.source,
                   e.details, e.hash
            FROM events e JOIN requests r ON r.id = e.request_id;
CREATE INDEX requests_last_event_on ON requests(last_event_on);
CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            rules TEXT NOT NULL,                -- e.g. review-1
            reviewed_at TEXT NOT NULL,
            result TEXT NOT NULL,               -- JSON, as the rules found it
            overrides TEXT NOT NULL DEFAULT '{}'  -- JSON: item -> status set by the user
        );
CREATE INDEX reviews_request ON reviews(request_id);
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm001_initial', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm002_requests_last_event_on', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm003_one_letter_in_flight', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm004_inbox', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm005_readable_views', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm006_message_purpose', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm007_notify_state', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm008_discovery', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm009_campaigns', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm010_fix_campaigns_as_first_shipped', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm011_checks_and_indexes', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm012_reviews', '2026-11-29 00:00:00.000000+00:00');
INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('sar', 'm013_requests_answer_gaps', '2026-11-29 00:00:00.000000+00:00');
COMMIT;
