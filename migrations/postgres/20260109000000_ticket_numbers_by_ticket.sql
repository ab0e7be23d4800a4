-- Every ticket shown (/port status, tickets show, /ticket list) reads its numbers: through the
-- primary key, then a page of the table for each number, anywhere in a large table. With the
-- number in the key's index too, the index alone answers.
ALTER TABLE ticket_numbers
    DROP CONSTRAINT ticket_numbers_pkey,
    ADD PRIMARY KEY (ticket_id, position) INCLUDE (e164);
