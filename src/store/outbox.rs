//! The notification outbox: messages for customers (chat, email) and agents, written in the same
//! transaction as the change they announce, then delivered and retried until they go through.
//!
//! Delivery is at least once: a process that dies between sending and [`Store::mark_outbox_delivered`]
//! sends again after its claim runs out (the notices it had sent but not yet marked: those in
//! flight at once, at most one claim). A row is never deleted; after [`MAX_ATTEMPTS`] failures it
//! is given up and listed by [`Store::failed_outbox`] for agents.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::normalize_number;
use super::{Store, StoreError, read_enum, read_time, to_millis};

/// Failed attempts after which a delivery is given up (and shown to agents).
pub const MAX_ATTEMPTS: i64 = 8;

/// An item a deliverer may still take: not delivered, not given up. Written out, not bound, so
/// the planner can use the partial index `outbox_claimable`, whose condition this is.
const CLAIMABLE: &str = "delivered_at IS NULL AND attempts < 8";

/// Where an outbox item goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxChannel {
    /// The customer's conversation (Discord thread or DM; the terminal shows it on the next turn).
    Chat,
    /// The ticket's notification address.
    Email,
    /// The agents' channel.
    Agents,
}

impl OutboxChannel {
    pub const ALL: &'static [OutboxChannel] = &[
        OutboxChannel::Chat,
        OutboxChannel::Email,
        OutboxChannel::Agents,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxChannel::Chat => "chat",
            OutboxChannel::Email => "email",
            OutboxChannel::Agents => "agents",
        }
    }

    pub fn parse(text: &str) -> Option<OutboxChannel> {
        OutboxChannel::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == text)
    }
}

impl std::fmt::Display for OutboxChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message to deliver. The payload is stored as JSON in `outbox.payload`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxItem {
    pub channel: OutboxChannel,
    pub ticket_number: Option<String>,
    pub conversation_id: Option<i64>,
    pub customer_platform: String,
    pub customer_id: String,
    /// The email address, for [`OutboxChannel::Email`].
    pub recipient: Option<String>,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: i64,
    pub item: NewOutboxItem,
    /// Failed attempts so far.
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl OutboxEntry {
    /// Failed [`MAX_ATTEMPTS`] times and no longer tried.
    pub fn given_up(&self) -> bool {
        self.delivered_at.is_none() && self.attempts >= MAX_ATTEMPTS
    }
}

/// What `outbox.payload` holds; channel, conversation and customer have their own columns.
#[derive(Serialize, Deserialize)]
struct Payload {
    ticket_number: Option<String>,
    recipient: Option<String>,
    subject: String,
    body: String,
}

const COLUMNS: &str = "id, channel, conversation_id, customer_platform, customer_id, payload, \
                       attempts, next_attempt_at, delivered_at, last_error, created_at";

/// A stored error is for a person to read; a whole SMTP transcript is not.
const MAX_ERROR_CHARS: usize = 500;

fn from_row(row: &AnyRow) -> Result<OutboxEntry, StoreError> {
    let id: i64 = row.try_get("id")?;
    let payload: String = row.try_get("payload")?;
    let payload: Payload = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Corrupt(format!("outbox {id} payload: {e}")))?;
    let delivered_at = match row.try_get::<Option<i64>, _>("delivered_at")? {
        None => None,
        Some(_) => Some(read_time(row, "delivered_at")?),
    };
    Ok(OutboxEntry {
        id,
        item: NewOutboxItem {
            channel: read_enum(row, "channel", OutboxChannel::parse)?,
            ticket_number: payload.ticket_number,
            conversation_id: row.try_get("conversation_id")?,
            customer_platform: row.try_get("customer_platform")?,
            customer_id: row.try_get("customer_id")?,
            recipient: payload.recipient,
            subject: payload.subject,
            body: payload.body,
        },
        attempts: row.try_get("attempts")?,
        next_attempt_at: read_time(row, "next_attempt_at")?,
        delivered_at,
        last_error: row.try_get("last_error")?,
        created_at: read_time(row, "created_at")?,
    })
}

/// Queues `items` inside another store transaction, so a notice exists exactly when the change
/// it announces was committed. Each item is due at once.
pub(super) async fn enqueue(
    conn: &mut AnyConnection,
    items: &[NewOutboxItem],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for item in items {
        let payload = Payload {
            ticket_number: item.ticket_number.as_deref().map(normalize_number),
            recipient: item.recipient.clone(),
            subject: item.subject.clone(),
            body: item.body.clone(),
        };
        let payload = serde_json::to_string(&payload)
            .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?;
        sqlx::query(
            "INSERT INTO outbox (ticket_id, conversation_id, channel, customer_platform, \
             customer_id, payload, attempts, next_attempt_at, created_at) \
             VALUES ((SELECT id FROM tickets WHERE number = $1), $2, $3, $4, $5, $6, 0, $7, $7)",
        )
        .bind(item.ticket_number.as_deref().map(normalize_number))
        .bind(item.conversation_id)
        .bind(item.channel.as_str())
        .bind(&item.customer_platform)
        .bind(&item.customer_id)
        .bind(payload)
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Queues `items` on their own (for notices that go with no other change).
    pub async fn enqueue_outbox(
        &self,
        items: &[NewOutboxItem],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        enqueue(&mut tx, items, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Undelivered items of `channel` that are due (`next_attempt_at <= now`) and not given up,
    /// the longest due first. A read only: a deliverer that may run in several processes at once uses
    /// [`Store::claim_outbox`].
    pub async fn due_outbox(
        &self,
        channel: OutboxChannel,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE channel = $1 AND {CLAIMABLE} \
             AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(channel.as_str())
            .bind(to_millis(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Takes up to `limit` due items of `channel` for delivery: like [`Store::due_outbox`], but
    /// each returned item's `next_attempt_at` is moved to `claimed_until` in the same statement,
    /// so another process running the same loop does not send it too. If this process dies before
    /// marking it, the item is due again at `claimed_until`. With `platform`, only items for
    /// customers on that platform are taken (the Discord bot posts Discord customers' chat
    /// notices; the others wait for the customer's next turn).
    pub async fn claim_outbox(
        &self,
        channel: OutboxChannel,
        platform: Option<&str>,
        now: DateTime<Utc>,
        claimed_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        // Due and claimable, with `$1` the channel, `$2` now and `$3` the platform when given:
        // the same condition for the look-up and for the claim.
        let (due, next) = match platform {
            Some(_) => (
                format!(
                    "channel = $1 AND {CLAIMABLE} AND next_attempt_at <= $2 \
                     AND customer_platform = $3"
                ),
                4,
            ),
            None => (
                format!("channel = $1 AND {CLAIMABLE} AND next_attempt_at <= $2"),
                3,
            ),
        };
        // Most passes find nothing due: asked of a reader first, they leave the writer (on
        // SQLite, the one connection every customer's turn waits for) alone.
        let mut probe = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
            "SELECT id FROM outbox WHERE {due} LIMIT 1"
        )))
        .bind(channel.as_str())
        .bind(to_millis(now));
        if let Some(platform) = platform {
            probe = probe.bind(platform);
        }
        if probe.fetch_optional(&self.reader).await?.is_none() {
            return Ok(Vec::new());
        }
        // The conditions are repeated outside the subquery: on PostgreSQL a concurrent claimer
        // that waited for our row lock re-checks them against our committed row and skips it.
        // The outer conditions' columns carry a unary plus, which keeps SQLite from searching an
        // index on them (every due row) instead of taking the claimed ids one by one.
        let sql = format!(
            "UPDATE outbox SET next_attempt_at = ${next} WHERE id IN (SELECT id FROM outbox \
             WHERE {due} ORDER BY next_attempt_at, id LIMIT ${limit}) \
             AND +delivered_at IS NULL AND +next_attempt_at <= $2 RETURNING {COLUMNS}",
            limit = next + 1
        );
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(channel.as_str())
            .bind(to_millis(now));
        if let Some(platform) = platform {
            query = query.bind(platform);
        }
        let query = query.bind(to_millis(claimed_until)).bind(limit);
        let rows = query.fetch_all(&self.pool).await?;
        let mut entries = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        entries.sort_by_key(|e| e.id);
        Ok(entries)
    }

    /// Marks a chat notice delivered because the customer is shown it in the chat right now,
    /// unless a deliverer holds it ([`Store::claim_outbox`]) or took it already: true when it
    /// is the caller's to show. This is what keeps a notice from being shown twice when a
    /// customer writes while the bot posts it.
    pub async fn take_outbox(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        take(&mut conn, id, now).await
    }

    /// Marks `ids` delivered, in one write (nothing is written for none).
    pub async fn mark_outbox_delivered(
        &self,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE outbox SET delivered_at = $1 WHERE id IN ({}) AND delivered_at IS NULL",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(to_millis(now));
        for &id in ids {
            query = query.bind(id);
        }
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// Records a failed attempt (`attempts += 1`) and when to try again.
    pub async fn mark_outbox_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 \
             WHERE id = $3 AND delivered_at IS NULL",
        )
        .bind(error)
        .bind(to_millis(next_attempt_at))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deliveries given up after [`MAX_ATTEMPTS`] failures, oldest first: what agents must see.
    pub async fn failed_outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE delivered_at IS NULL AND attempts >= $1 \
             ORDER BY id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(MAX_ATTEMPTS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Everything not delivered yet, given up or not, oldest first.
    pub async fn undelivered_outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE delivered_at IS NULL ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Tries an undelivered item again from scratch (after an agent fixed the cause): attempts
    /// back to 0, due at `now`. False when there is no such undelivered item.
    pub async fn retry_outbox(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET attempts = 0, next_attempt_at = $1 \
             WHERE id = $2 AND delivered_at IS NULL",
        )
        .bind(to_millis(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The customer's undelivered chat notices that are due (not held by a deliverer, not
    /// waiting for a retry), oldest first, to show with their next turn.
    pub async fn pending_chat_notices(
        &self,
        platform: &str,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE customer_platform = $1 AND customer_id = $2 \
             AND channel = $3 AND delivered_at IS NULL AND next_attempt_at <= $4 ORDER BY id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(platform)
            .bind(customer_id)
            .bind(OutboxChannel::Chat.as_str())
            .bind(to_millis(now))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(from_row).collect()
    }
}

/// [`Store::take_outbox`] inside another transaction (a customer's turn).
pub(super) async fn take(
    conn: &mut AnyConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE outbox SET delivered_at = $1 \
         WHERE id = $2 AND delivered_at IS NULL AND next_attempt_at <= $1",
    )
    .bind(to_millis(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_parses_back_from_its_stored_word() {
        for channel in OutboxChannel::ALL {
            assert_eq!(OutboxChannel::parse(channel.as_str()), Some(*channel));
        }
        assert_eq!(OutboxChannel::parse("Email"), None);
    }

    #[test]
    fn the_claimable_condition_gives_up_where_the_worker_does() {
        assert!(CLAIMABLE.ends_with(&format!("attempts < {MAX_ATTEMPTS}")));
        for dir in ["sqlite", "postgres"] {
            let path = format!(
                "{}/migrations/{dir}/20260106000000_growth_indexes.sql",
                env!("CARGO_MANIFEST_DIR")
            );
            let migration = std::fs::read_to_string(&path).unwrap();
            assert!(migration.contains(&format!("WHERE {CLAIMABLE};")), "{path}");
        }
    }
}
