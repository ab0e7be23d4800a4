//! Which customer's conversation runs in a chat channel (a Discord thread or DM), so that
//! messages there from other people (agents) can be told apart from the customer's; and the
//! other way round, where a customer's notices are posted.

use sqlx::Row;

use super::conversations::{TurnLookup, lookup_sql, turn_lookup};
use super::{ConversationStatus, Store, StoreError, to_millis};

/// The customer whose conversation runs in channel `$2` on platform `$1` (`$3`, `$4`: the open
/// statuses), as [`Store::customer_in_channel`] finds them.
const CHANNEL_OWNER: &str = "SELECT customer_id FROM conversations \
                             WHERE platform = $1 AND channel_id = $2 \
                             ORDER BY CASE WHEN status IN ($3, $4) THEN 0 ELSE 1 END, id DESC \
                             LIMIT 1";

/// What [`Store::lookup_in_channel`] found.
#[derive(Debug)]
pub struct ChannelLookup {
    /// Whose conversation the channel holds, as [`Store::customer_in_channel`] says; `None` when
    /// none ever ran there.
    pub owner: Option<String>,
    /// What [`Store::lookup_for_turn`] finds for `owner`, without creating anything (nothing
    /// open when there is no owner).
    pub lookup: TurnLookup,
}

impl Store {
    /// The customer whose conversation on `platform` runs in `channel_id`: the newest open one
    /// there, else the newest there at all (a thread whose request is finished is still the
    /// customer's, and what they write there starts a new conversation).
    pub async fn customer_in_channel(
        &self,
        platform: &str,
        channel_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(CHANNEL_OWNER)
            .bind(platform)
            .bind(channel_id)
            .bind(ConversationStatus::Active.as_str())
            .bind(ConversationStatus::PausedForAgent.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("customer_id")).transpose()?)
    }
}

impl Store {
    /// What a message in a channel that others may write in too needs to know before it is
    /// taken, in one query: whose conversation the channel holds, and for them what a turn's
    /// lookup finds (their open conversation, waiting notices, whether `message_id` was handled
    /// before, the conversations they started at or after `since`).
    pub async fn lookup_in_channel(
        &self,
        platform: &str,
        channel_id: &str,
        message_id: Option<&str>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<ChannelLookup, StoreError> {
        let lookup = lookup_sql("(SELECT customer_id FROM w)");
        let sql = format!(
            "WITH w AS ({CHANNEL_OWNER}) \
             SELECT (SELECT customer_id FROM w) AS owner, l.* FROM ({lookup}) AS l"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(platform)
            .bind(channel_id)
            .bind(ConversationStatus::Active.as_str())
            .bind(ConversationStatus::PausedForAgent.as_str())
            .bind(message_id)
            .bind(to_millis(since))
            .fetch_one(&self.reader)
            .await?;
        Ok(ChannelLookup {
            owner: row.try_get("owner")?,
            lookup: turn_lookup(&row)?,
        })
    }

    /// Moves a conversation to another channel (a customer's new private thread).
    pub async fn set_conversation_channel(
        &self,
        conversation_id: i64,
        channel_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE conversations SET channel_id = $1 WHERE id = $2")
            .bind(channel_id)
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// The channel where `customer_id` on `platform` talks to the bot now: their open
    /// conversation's, or else their newest conversation's. None when they never had one.
    pub async fn customer_channel(
        &self,
        platform: &str,
        customer_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT channel_id FROM conversations \
             WHERE platform = $1 AND customer_id = $2 AND channel_id IS NOT NULL \
             ORDER BY CASE WHEN status IN ($3, $4) THEN 0 ELSE 1 END, id DESC LIMIT 1",
        )
        .bind(platform)
        .bind(customer_id)
        .bind(ConversationStatus::Active.as_str())
        .bind(ConversationStatus::PausedForAgent.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("channel_id")).transpose()?)
    }
}

/// An open conversation in a chat channel, and the last message from there it took in: where
/// to look for messages sent while no process was listening.
#[derive(Debug, Clone)]
pub struct OpenChannel {
    pub conversation_id: i64,
    pub customer_id: String,
    pub channel_id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The platform id of the newest message recorded in the conversation (a customer's answer
    /// or an agent's line), with any `:n` suffix of an attachment's key; None before the first.
    pub last_message_id: Option<String>,
}

impl Store {
    /// Up to `limit` open conversations on `platform` that run in a channel, the most recently
    /// active first.
    pub async fn open_channels(
        &self,
        platform: &str,
        limit: u32,
    ) -> Result<Vec<OpenChannel>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.customer_id, c.channel_id, c.created_at, \
                    (SELECT t.platform_message_id FROM transcript t \
                     WHERE t.conversation_id = c.id AND t.platform_message_id IS NOT NULL \
                     ORDER BY t.id DESC LIMIT 1) AS last_message_id \
             FROM conversations c \
             WHERE c.status IN ($1, $2) AND c.platform = $3 AND c.channel_id IS NOT NULL \
             ORDER BY c.updated_at DESC LIMIT $4",
        )
        .bind(ConversationStatus::Active.as_str())
        .bind(ConversationStatus::PausedForAgent.as_str())
        .bind(platform)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OpenChannel {
                    conversation_id: row.try_get("id")?,
                    customer_id: row.try_get("customer_id")?,
                    channel_id: row.try_get("channel_id")?,
                    created_at: super::read_time(row, "created_at")?,
                    last_message_id: row.try_get("last_message_id")?,
                })
            })
            .collect()
    }
}
