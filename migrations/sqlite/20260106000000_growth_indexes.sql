-- Indexes that keep the paths run all day flat as years of rows pile up (portbot bench's growth
-- table; tests/plans.rs checks every statement of those paths uses an index).

-- An agent's /ticket list pages the open tickets, newest first. Most tickets are completed or
-- cancelled: without this the page walked back through finished tickets until it had a page.
CREATE INDEX tickets_open ON tickets (id) WHERE status NOT IN ('completed', 'cancelled');

-- Retention looks for bill and CSR uploads. LOAs (one per ticket version) are most documents
-- and are kept: without this every worker pass read the whole documents index, and the
-- cancelled-conversation check walked every cancelled conversation.
CREATE INDEX documents_uploads ON documents (conversation_id) WHERE kind IN ('bill', 'csr');
