-- Fewer pages written per customer turn.
-- Nothing looks transcript lines up by platform message id; the index was written on every line.
DROP INDEX IF EXISTS transcript_by_platform_message;

-- The idempotency keys are only ever found by their primary key: without a rowid the table is
-- that one B-tree, instead of a table plus an index written on every turn.
CREATE TABLE processed_messages_new (
    platform        TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    processed_at    INTEGER NOT NULL,
    PRIMARY KEY (platform, message_id)
) WITHOUT ROWID;
INSERT INTO processed_messages_new (platform, message_id, conversation_id, processed_at)
    SELECT platform, message_id, conversation_id, processed_at FROM processed_messages;
DROP TABLE processed_messages;
ALTER TABLE processed_messages_new RENAME TO processed_messages;
