-- Notifications: who an outbox row is for, and idle-conversation reminders.
-- Keep identical in meaning to migrations/sqlite.

-- The customer a notification is for, so "what is waiting for this customer" is one indexed
-- query even when there is no ticket or conversation (an expired one, an agent message).
ALTER TABLE outbox ADD COLUMN customer_platform TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN customer_id TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_due ON outbox (channel, delivered_at, next_attempt_at, id);
CREATE INDEX outbox_by_customer ON outbox (customer_platform, customer_id, channel, delivered_at);
CREATE INDEX outbox_by_ticket ON outbox (ticket_id);

-- When the customer was last reminded; a reminder is due again only after a newer turn
-- (updated_at > reminded_at) and a new idle period.
ALTER TABLE conversations ADD COLUMN reminded_at BIGINT;
CREATE INDEX conversations_idle ON conversations (status, updated_at);
