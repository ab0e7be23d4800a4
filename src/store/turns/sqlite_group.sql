-- SQLite's group of plain turns (see sqlite_group.rs): $1 is the group's JSON array, one
-- object per turn with its place. The notices check in braces is filled in from Rust: the
-- one rule every turn writer shares, on `conversations` at `t.now`.
BEGIN IMMEDIATE;
DELETE FROM temp.group_turns;
INSERT INTO temp.group_turns SELECT value ->> 'place', value ->> 'id',
value ->> 'now', value ->> 'version', value ->> 'flow', value ->> 'step',
value ->> 'state', value ->> 'status', value ->> 'mid', value ->> 'no_notices',
jsonb_extract(value, '$.lines'), jsonb_extract(value, '$.secrets'), 0
FROM jsonb_each($1);
-- Which turns apply: at the expected version, with a new message id, and (a cached turn) no
-- chat notice due; of two turns of one conversation, only the first.
UPDATE temp.group_turns SET applied = 1 WHERE place IN (SELECT min(t.place)
FROM temp.group_turns t JOIN conversations ON conversations.id = t.id
WHERE conversations.version = t.version
AND (t.mid IS NULL OR NOT EXISTS (SELECT 1 FROM processed_messages p
WHERE p.platform = conversations.platform AND p.message_id = t.mid))
AND (t.no_notices = 0 OR NOT {chat_notices_due}) GROUP BY t.id);
-- Of turns of different conversations with one message id, the first: the others are
-- duplicates, as they would be one after the other.
UPDATE temp.group_turns SET applied = 0 WHERE applied AND mid IS NOT NULL
AND EXISTS (SELECT 1 FROM temp.group_turns e
WHERE e.applied AND e.mid = temp.group_turns.mid AND e.place < temp.group_turns.place
AND (SELECT platform FROM conversations WHERE id = e.id)
= (SELECT platform FROM conversations WHERE id = temp.group_turns.id));
INSERT INTO secrets (conversation_id, kind, nonce, ciphertext, updated_at)
SELECT t.id, s.value ->> 'kind', unhex(s.value ->> 'nonce'),
unhex(s.value ->> 'sealed'), t.now FROM temp.group_turns t, jsonb_each(t.secrets) s
WHERE t.applied ON CONFLICT (conversation_id, kind) DO UPDATE SET
nonce = excluded.nonce, ciphertext = excluded.ciphertext,
updated_at = excluded.updated_at;
UPDATE conversations SET flow = t.flow, step = t.step, state = t.state,
status = t.status, updated_at = t.now, version = conversations.version + 1
FROM temp.group_turns t WHERE t.applied AND conversations.id = t.id;
INSERT INTO transcript (conversation_id, who, text, attachment,
platform_message_id, at) SELECT t.id, l.value ->> 'who', l.value ->> 'text',
l.value ->> 'attachment', l.value ->> 'mid', t.now
FROM temp.group_turns t, jsonb_each(t.lines) l WHERE t.applied
ORDER BY t.place, l.key;
INSERT INTO processed_messages (platform, message_id, conversation_id,
processed_at) SELECT conversations.platform, t.mid, t.id, t.now
FROM temp.group_turns t JOIN conversations ON conversations.id = t.id
WHERE t.applied AND t.mid IS NOT NULL;
SELECT place FROM temp.group_turns WHERE applied;
COMMIT;
