-- Retention deletes the bills and CSRs of tickets closed over 90 days ago. Its look-ups walked
-- every upload (documents_uploads, by conversation) and checked each one's tickets, on every
-- worker pass: the uploads kept for the last 90 days of tickets, tens of thousands in a busy
-- deployment. An upload can be due for deletion only once it is older than the retention
-- period itself, so the look-ups start from the old ones.
DROP INDEX documents_uploads;
CREATE INDEX documents_uploads_by_age ON documents (created_at, conversation_id) WHERE kind IN ('bill', 'csr');
