//! Which customer's conversation runs in a chat channel (a Discord thread or DM), so that
//! messages there from other people (agents) can be told apart from the customer's; and the
//! other way round, where a customer's notices are posted.

use sqlx::Row;

use super::{ConversationStatus, Store, StoreError};

impl Store {
    /// The customer whose conversation on `platform` runs in `channel_id`: the newest open one
    /// there, else the newest there at all (a thread whose request is finished is still the
    /// customer's, and what they write there starts a new conversation).
    pub async fn customer_in_channel(
        &self,
        platform: &str,
        channel_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT customer_id FROM conversations WHERE platform = $1 AND channel_id = $2 \
             ORDER BY CASE WHEN status IN ($3, $4) THEN 0 ELSE 1 END, id DESC LIMIT 1",
        )
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
