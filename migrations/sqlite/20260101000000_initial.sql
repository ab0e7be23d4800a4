-- portbot schema, SQLite flavour. Keep column names and meanings identical to
-- migrations/postgres: the store runs the same SQL on both (the sqlx Any driver).
-- Portable types only: INTEGER (ids, unix-millisecond times, 0/1 flags), TEXT, BLOB.
-- Declared types must stay exactly INTEGER/TEXT/BLOB: the Any driver refuses others.

-- Store-wide values; 'key_check' holds a sealed constant that proves the configured key is the
-- one the data was written with.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Monotonic counters. Ticket numbers are PB-<value>; an increment is never undone.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('ticket', 10000);

CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    channel_id  TEXT,
    customer_id TEXT NOT NULL,
    flow        TEXT NOT NULL,
    step        TEXT,
    state       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'paused_for_agent', 'finished', 'cancelled')),
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX conversations_by_customer ON conversations (platform, customer_id, status, id);

-- Idempotency: an incoming platform message is processed at most once.
CREATE TABLE processed_messages (
    platform        TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    processed_at    INTEGER NOT NULL,
    PRIMARY KEY (platform, message_id)
);

CREATE TABLE transcript (
    id                  INTEGER PRIMARY KEY,
    conversation_id     INTEGER NOT NULL REFERENCES conversations (id),
    who                 TEXT NOT NULL CHECK (who IN ('customer', 'bot', 'agent')),
    text                TEXT NOT NULL,
    attachment          TEXT,
    platform_message_id TEXT,
    at                  INTEGER NOT NULL
);
CREATE INDEX transcript_by_conversation ON transcript (conversation_id, id);
CREATE INDEX transcript_by_platform_message ON transcript (platform_message_id);

CREATE TABLE tickets (
    id                    INTEGER PRIMARY KEY,
    number                TEXT NOT NULL UNIQUE,
    conversation_id       INTEGER NOT NULL REFERENCES conversations (id),
    kind                  TEXT NOT NULL CHECK (kind IN ('local', 'toll_free')),
    status                TEXT NOT NULL,
    carrier               TEXT NOT NULL,
    number_type           TEXT NOT NULL,
    customer_type         TEXT NOT NULL,
    customer_name         TEXT NOT NULL,
    address_street        TEXT NOT NULL,
    address_unit          TEXT,
    address_city          TEXT NOT NULL,
    address_state         TEXT NOT NULL,
    address_zip           TEXT NOT NULL,
    authorized_name       TEXT NOT NULL,
    authorized_title      TEXT,
    btn                   TEXT,
    partial_port          INTEGER NOT NULL CHECK (partial_port IN (0, 1)),
    new_btn               TEXT,
    requested_port_date   TEXT NOT NULL,
    email                 TEXT NOT NULL,
    confirmed_foc         TEXT,
    claimed_by            TEXT,
    rejection_code        TEXT,
    carrier_status        TEXT,
    signer_name           TEXT NOT NULL,
    signer_id             TEXT NOT NULL,
    signed_at             INTEGER NOT NULL,
    signature_request_id  TEXT NOT NULL,
    content_sha256        TEXT NOT NULL,
    loa_version           INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX tickets_by_status ON tickets (status, id);
CREATE INDEX tickets_by_conversation ON tickets (conversation_id, id);

-- "Which ticket has this number" is a query on e164.
CREATE TABLE ticket_numbers (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    e164      TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, position)
);
CREATE INDEX ticket_numbers_by_e164 ON ticket_numbers (e164);

-- Exactly one owner. AEAD associated data: secret:<ticket:NUMBER|conversation:ID>:<kind>.
CREATE TABLE secrets (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER REFERENCES tickets (id),
    conversation_id INTEGER REFERENCES conversations (id),
    kind            TEXT NOT NULL CHECK (kind IN ('pin', 'account_number')),
    nonce           BLOB NOT NULL,
    ciphertext      BLOB NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK ((ticket_id IS NULL) <> (conversation_id IS NULL))
);
CREATE UNIQUE INDEX secrets_by_ticket ON secrets (ticket_id, kind);
CREATE UNIQUE INDEX secrets_by_conversation ON secrets (conversation_id, kind);

-- Exactly one owner. Bytes are sealed with associated data document:<id>.
CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER REFERENCES tickets (id),
    conversation_id INTEGER REFERENCES conversations (id),
    kind            TEXT NOT NULL CHECK (kind IN ('bill', 'csr', 'loa')),
    version         INTEGER,
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    nonce           BLOB NOT NULL,
    ciphertext      BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    CHECK ((ticket_id IS NULL) <> (conversation_id IS NULL))
);
CREATE UNIQUE INDEX documents_by_ticket ON documents (ticket_id, kind, version);
CREATE INDEX documents_by_conversation ON documents (conversation_id, id);

-- The audit log of a ticket. visibility: 'internal' (agents only) or 'customer'.
CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT,
    visibility  TEXT CHECK (visibility IN ('internal', 'customer')),
    at          INTEGER NOT NULL
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

-- Notifications to deliver (Discord message, email); retried until delivered_at is set.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER REFERENCES tickets (id),
    conversation_id INTEGER REFERENCES conversations (id),
    channel         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at    INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt_at);
