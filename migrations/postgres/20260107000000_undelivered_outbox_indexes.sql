-- The outbox keeps every notification ever sent, but only the undelivered ones are ever looked
-- up (a pass's claim, a customer's due chat notices, the agents' failed and undelivered lists).
-- These two indexes held every row: marking a notice delivered rewrote an entry in each (deep in
-- a large index after years), and a claim rewrote one in outbox_pending. Kept to the undelivered
-- rows, they stay small, a claim no longer touches them, and marking one delivered only drops its
-- entries.
DROP INDEX outbox_pending;
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_at IS NULL;
DROP INDEX outbox_by_customer;
CREATE INDEX outbox_customer_undelivered ON outbox (customer_platform, customer_id, channel) WHERE delivered_at IS NULL;
