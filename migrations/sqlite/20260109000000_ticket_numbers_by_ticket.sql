-- Every ticket shown (/port status, tickets show, /ticket list) reads its numbers. They were rows
-- of a rowid table found through the primary key's index: two pages per ticket, the second one
-- anywhere in a large table. Kept in primary key order instead, a ticket's numbers sit together
-- in one tree, and "which ticket has this number" finds the ticket in its index alone.
CREATE TABLE ticket_numbers_by_ticket (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    e164      TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, position)
) WITHOUT ROWID;
INSERT INTO ticket_numbers_by_ticket (ticket_id, e164, position)
    SELECT ticket_id, e164, position FROM ticket_numbers;
DROP TABLE ticket_numbers;
ALTER TABLE ticket_numbers_by_ticket RENAME TO ticket_numbers;
CREATE INDEX ticket_numbers_by_e164 ON ticket_numbers (e164);
