-- A customer's /port status shows each ticket's number, kind, status and dates. With them in
-- the index that finds a conversation's tickets, the status reads no ticket row: on a large
-- store, one page less to fetch for each ticket shown.
DROP INDEX tickets_by_conversation;
CREATE INDEX tickets_by_conversation ON tickets (conversation_id, id)
    INCLUDE (number, kind, status, requested_port_date, confirmed_foc);
