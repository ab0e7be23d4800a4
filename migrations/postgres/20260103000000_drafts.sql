-- Draft tickets: what an agent saved from a conversation handed off before the checklist was
-- complete. The number is kept: the ticket the customer later signs takes it over.
CREATE TABLE drafts (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    missing         TEXT NOT NULL,
    summary         TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'cancelled')),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX drafts_by_status ON drafts (status, id);
CREATE INDEX drafts_by_conversation ON drafts (conversation_id);
