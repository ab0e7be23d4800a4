-- PostgreSQL's group of plain turns (see postgres_group.rs), one statement: $1 is the
-- group's JSON array, one object per turn with its place. The notices check in braces is
-- filled in from Rust: the one rule every turn writer shares, on `conversations` at `i.now`.
-- Returns the applied turns' places.
WITH i AS (SELECT * FROM json_to_recordset($1::json) AS x (place int, id bigint, now bigint,
version bigint, flow text, step text, state text, status text, mid text, no_notices boolean,
lines json, secrets json)),
u AS (UPDATE conversations SET flow = i.flow, step = i.step, state = i.state,
status = i.status, updated_at = i.now, version = conversations.version + 1 FROM i
WHERE conversations.id = ANY (ARRAY(SELECT id FROM i))
AND conversations.id = i.id AND conversations.version = i.version
AND (i.mid IS NULL OR NOT EXISTS (SELECT 1 FROM processed_messages p
WHERE p.platform = conversations.platform AND p.message_id = i.mid))
AND (NOT i.no_notices OR NOT {chat_notices_due})
RETURNING i.place, conversations.id, conversations.platform, i.mid, i.now, i.lines,
i.secrets),
k AS (INSERT INTO processed_messages (platform, message_id, conversation_id, processed_at)
SELECT platform, mid, id, now FROM u WHERE mid IS NOT NULL),
t AS (INSERT INTO transcript (conversation_id, who, text, attachment, platform_message_id,
at) SELECT u.id, l.line ->> 'who', l.line ->> 'text', l.line ->> 'attachment',
l.line ->> 'mid', u.now FROM u, json_array_elements(u.lines) WITH ORDINALITY AS l (line, n)
ORDER BY u.place, l.n),
s AS (INSERT INTO secrets (conversation_id, kind, nonce, ciphertext, updated_at)
SELECT u.id, x.kind, decode(x.nonce, 'hex'), decode(x.sealed, 'hex'), u.now
FROM u, json_to_recordset(u.secrets) AS x (kind text, nonce text, sealed text)
ON CONFLICT (conversation_id, kind) DO UPDATE SET nonce = excluded.nonce,
ciphertext = excluded.ciphertext, updated_at = excluded.updated_at)
SELECT place FROM u
