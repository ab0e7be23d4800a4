-- Indexes that keep the paths run all day flat as years of rows pile up (portbot bench's growth
-- table; tests/plans.rs checks every statement of those paths uses an index).

-- An agent's /ticket list pages the open tickets, newest first. Most tickets are completed or
-- cancelled: without this the page walked back through finished tickets until it had a page.
CREATE INDEX tickets_open ON tickets (id) WHERE status NOT IN ('completed', 'cancelled');

-- Retention looks for bill and CSR uploads. LOAs (one per ticket version) are most documents
-- and are kept: without this every worker pass read the whole documents index, and the
-- cancelled-conversation check walked every cancelled conversation.
CREATE INDEX documents_uploads ON documents (conversation_id) WHERE kind IN ('bill', 'csr');

-- The day's count of conversations a customer started (the limit a turn checks): without this
-- the count read every conversation the customer ever had.
CREATE INDEX conversations_started ON conversations (customer_id, platform, created_at);

-- What a delivery pass can claim: undelivered, not given up (8 is outbox.rs's MAX_ATTEMPTS; the
-- claim names it literally so the planner can use this index), due first. Given-up rows keep
-- delivered_at NULL and stayed due in outbox_due forever: a claim that walked it read them all.
-- This replaces it (the customer's own notices are found by outbox_by_customer).
DROP INDEX outbox_due;
CREATE INDEX outbox_claimable ON outbox (channel, next_attempt_at, id) WHERE delivered_at IS NULL AND attempts < 8;
