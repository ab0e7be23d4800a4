-- Every guild message asks whose conversation its channel holds (customer_in_channel); without
-- this index that was a scan of all conversations.
CREATE INDEX conversations_by_channel ON conversations (platform, channel_id);
