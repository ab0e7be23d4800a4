//! The notification outbox: messages to deliver, written in the same transaction as the change
//! they announce, and delivered (with retries) by the worker or the customer's next chat turn.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::{StoreError, to_millis};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxChannel {
    Chat,
    Email,
    Agents,
}

impl OutboxChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxChannel::Chat => "chat",
            OutboxChannel::Email => "email",
            OutboxChannel::Agents => "agents",
        }
    }
}

/// One message to deliver. The payload is stored as JSON in outbox.payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxItem {
    pub channel: OutboxChannel,
    pub ticket_number: Option<String>,
    pub conversation_id: Option<i64>,
    pub customer_platform: String,
    pub customer_id: String,
    /// The email address, for email.
    pub recipient: Option<String>,
    pub subject: String,
    pub body: String,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    customer_platform: String,
    customer_id: String,
    recipient: Option<String>,
    subject: String,
    body: String,
}

/// Inside another store transaction.
pub(super) async fn enqueue(
    conn: &mut AnyConnection,
    items: &[NewOutboxItem],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for item in items {
        let payload = serde_json::to_string(&Payload {
            customer_platform: item.customer_platform.clone(),
            customer_id: item.customer_id.clone(),
            recipient: item.recipient.clone(),
            subject: item.subject.clone(),
            body: item.body.clone(),
        })
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO outbox (ticket_id, conversation_id, channel, payload, attempts, \
             next_attempt_at, created_at) VALUES ((SELECT id FROM tickets WHERE number = $1), \
             $2, $3, $4, 0, $5, $5)",
        )
        .bind(item.ticket_number.as_deref())
        .bind(item.conversation_id)
        .bind(item.channel.as_str())
        .bind(payload)
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: i64,
    pub item: NewOutboxItem,
    pub attempts: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl super::Store {
    pub async fn pending_chat_notices(
        &self,
        platform: &str,
        customer_id: &str,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT o.id, o.payload, o.attempts, o.created_at, t.number FROM outbox o \
             LEFT JOIN tickets t ON t.id = o.ticket_id \
             WHERE o.channel = 'chat' AND o.delivered_at IS NULL ORDER BY o.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let payload: String = row.try_get("payload")?;
            let p: Payload =
                serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if p.customer_platform != platform || p.customer_id != customer_id {
                continue;
            }
            out.push(OutboxEntry {
                id: row.try_get("id")?,
                item: NewOutboxItem {
                    channel: OutboxChannel::Chat,
                    ticket_number: row.try_get("number")?,
                    conversation_id: None,
                    customer_platform: p.customer_platform,
                    customer_id: p.customer_id,
                    recipient: p.recipient,
                    subject: p.subject,
                    body: p.body,
                },
                attempts: row.try_get("attempts")?,
                delivered_at: None,
                last_error: None,
                created_at: super::read_time(&row, "created_at")?,
            });
        }
        Ok(out)
    }

    pub async fn mark_outbox_delivered(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET delivered_at = $1 WHERE id = $2")
            .bind(to_millis(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
