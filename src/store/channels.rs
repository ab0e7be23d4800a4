//! Which customer's conversation runs in a chat channel (a Discord thread or DM), so that
//! messages there from other people (agents) can be told apart from the customer's.

use sqlx::Row;

use super::{ConversationStatus, Store, StoreError};

impl Store {
    /// The customer whose newest open conversation on `platform` runs in `channel_id`.
    pub async fn customer_in_channel(
        &self,
        platform: &str,
        channel_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT customer_id FROM conversations \
             WHERE platform = $1 AND channel_id = $2 AND status IN ($3, $4) \
             ORDER BY id DESC LIMIT 1",
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
