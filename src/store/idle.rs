//! Idle conversations: finding customers who stopped answering, reminding them once per idle
//! period, and closing the conversation (secrets deleted) when they stay away.
//!
//! Both writes are guarded so that a customer who answers at the same moment wins, and so that
//! several processes running the same loop remind or close a conversation once.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::documents;
use super::outbox::{self, NewOutboxItem};
use super::sealed;
use super::{ConversationStatus, SecretKind, Store, StoreError, read_time, to_millis};

/// An active conversation nobody has touched for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleConversation {
    pub id: i64,
    pub platform: String,
    pub customer_id: String,
    /// The version read; the reminder or expiry applies only if it is still current.
    pub version: i64,
    /// The last change: the customer's last turn, or the start.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Active conversations untouched since `idle_since` (inclusive) that have not been reminded
    /// since their last change, oldest first.
    pub async fn conversations_to_remind(
        &self,
        idle_since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<IdleConversation>, StoreError> {
        self.idle(
            "AND (reminded_at IS NULL OR reminded_at < updated_at)",
            idle_since,
            limit,
        )
        .await
    }

    /// Active conversations untouched since `idle_since` (inclusive), oldest first.
    pub async fn conversations_to_expire(
        &self,
        idle_since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<IdleConversation>, StoreError> {
        self.idle("", idle_since, limit).await
    }

    async fn idle(
        &self,
        extra: &'static str,
        idle_since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<IdleConversation>, StoreError> {
        let sql = format!(
            "SELECT id, platform, customer_id, version, updated_at FROM conversations \
             WHERE status = $1 AND updated_at <= $2 {extra} ORDER BY updated_at, id LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ConversationStatus::Active.as_str())
            .bind(to_millis(idle_since))
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(IdleConversation {
                    id: row.try_get("id")?,
                    platform: row.try_get("platform")?,
                    customer_id: row.try_get("customer_id")?,
                    version: row.try_get("version")?,
                    updated_at: read_time(row, "updated_at")?,
                })
            })
            .collect()
    }

    /// Records the reminder and queues `notices`, together. False (nothing written) when the
    /// conversation moved on since it was read, or was already reminded.
    ///
    /// The version is not bumped: a reminder changes nothing the customer's next turn reads.
    pub async fn remind_conversation(
        &self,
        conversation: &IdleConversation,
        notices: &[NewOutboxItem],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE conversations SET reminded_at = $1 WHERE id = $2 AND version = $3 \
             AND status = $4 AND (reminded_at IS NULL OR reminded_at < updated_at)",
        )
        .bind(to_millis(now))
        .bind(conversation.id)
        .bind(conversation.version)
        .bind(ConversationStatus::Active.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        outbox::enqueue(&mut tx, notices, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Closes the conversation as cancelled, deletes its PIN and account number (and its uploads
    /// when it made no ticket), and queues
    /// `notices`, all together. False (nothing written) when the conversation moved on since it
    /// was read: a customer who answered just now keeps the conversation.
    pub async fn expire_conversation(
        &self,
        conversation: &IdleConversation,
        notices: &[NewOutboxItem],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE conversations SET status = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND version = $4 AND status = $5",
        )
        .bind(ConversationStatus::Cancelled.as_str())
        .bind(to_millis(now))
        .bind(conversation.id)
        .bind(conversation.version)
        .bind(ConversationStatus::Active.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for kind in SecretKind::ALL {
            sealed::clear_for_conversation(&mut tx, conversation.id, *kind).await?;
        }
        documents::delete_ticketless_uploads(&mut tx, conversation.id, "expired").await?;
        outbox::enqueue(&mut tx, notices, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
