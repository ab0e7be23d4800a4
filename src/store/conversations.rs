//! Conversations and their turns: state, transcript, idempotency keys, and everything a turn
//! creates, written in one transaction.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sealed::{self, Owner};
use super::{
    Conversation, ConversationStatus, NewConversation, SecretKind, Speaker, Store, StoreError,
    TranscriptLine, TurnOutcome, TurnWrite, documents, is_unique_violation, read_enum, read_time,
    tickets, to_millis,
};
use super::{drafts, outbox, workflow};

const COLUMNS: &str = "id, platform, channel_id, customer_id, flow, step, state, status, \
                       version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Conversation, StoreError> {
    Ok(Conversation {
        id: row.try_get("id")?,
        platform: row.try_get("platform")?,
        channel_id: row.try_get("channel_id")?,
        customer_id: row.try_get("customer_id")?,
        flow: row.try_get("flow")?,
        step: row.try_get("step")?,
        state: row.try_get("state")?,
        status: read_enum(row, "status", ConversationStatus::parse)?,
        version: row.try_get("version")?,
        created_at: read_time(row, "created_at")?,
        updated_at: read_time(row, "updated_at")?,
    })
}

impl Store {
    /// The customer's newest conversation that is still open (active or paused for an agent).
    pub async fn open_conversation(
        &self,
        platform: &str,
        customer_id: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM conversations \
             WHERE platform = $1 AND customer_id = $2 AND status IN ($3, $4) \
             ORDER BY id DESC LIMIT 1"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(platform)
            .bind(customer_id)
            .bind(ConversationStatus::Active.as_str())
            .bind(ConversationStatus::PausedForAgent.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Conversations with this status, newest first (agents look for `paused_for_agent`).
    pub async fn conversations_with_status(
        &self,
        status: ConversationStatus,
    ) -> Result<Vec<Conversation>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM conversations WHERE status = $1 ORDER BY id DESC");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// The customer's open conversation, as [`Store::open_conversation`], and whether chat notices
    /// may be waiting for them, in one query: a turn looks the notices up only when some are.
    pub async fn open_conversation_for_turn(
        &self,
        platform: &str,
        customer_id: &str,
    ) -> Result<(Option<Conversation>, bool), StoreError> {
        let sql = format!(
            "SELECT {COLUMNS}, CASE WHEN EXISTS (SELECT 1 FROM outbox o \
             WHERE o.customer_platform = $1 AND o.customer_id = $2 AND o.channel = 'chat' \
             AND o.delivered_at IS NULL) THEN 1 ELSE 0 END AS has_notices \
             FROM conversations WHERE platform = $1 AND customer_id = $2 AND status IN ($3, $4) \
             ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(platform)
            .bind(customer_id)
            .bind(ConversationStatus::Active.as_str())
            .bind(ConversationStatus::PausedForAgent.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            // Without an open conversation, notices may still wait (from a finished one).
            None => Ok((None, true)),
            Some(row) => Ok((
                Some(from_row(&row)?),
                row.try_get::<i64, _>("has_notices")? != 0,
            )),
        }
    }

    /// Starts a conversation: status active, version 0.
    pub async fn create_conversation(
        &self,
        new: NewConversation,
    ) -> Result<Conversation, StoreError> {
        let now = to_millis(new.now);
        let sql = format!(
            "INSERT INTO conversations (platform, channel_id, customer_id, flow, step, state, \
             status, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(new.platform)
            .bind(new.channel_id)
            .bind(new.customer_id)
            .bind(new.flow)
            .bind(new.step)
            .bind(new.state)
            .bind(ConversationStatus::Active.as_str())
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        from_row(&row)
    }

    pub async fn conversation(&self, id: i64) -> Result<Option<Conversation>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM conversations WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Writes one customer turn, all or nothing: the idempotency key, the new state (only if
    /// the conversation is still at `expected_version`), transcript lines, secrets, documents
    /// and tickets.
    ///
    /// [`TurnOutcome::Duplicate`] and [`TurnOutcome::Conflict`] write nothing. A conversation
    /// that does not exist is [`StoreError::ConversationNotFound`].
    pub async fn apply_turn(&self, turn: TurnWrite) -> Result<TurnOutcome, StoreError> {
        let now = to_millis(turn.now);
        let mut tx = self.pool.begin().await?;

        // Every statement below writes, the first one included: a SQLite transaction that read
        // first would have to upgrade its lock and could fail with SQLITE_BUSY instead of
        // waiting out busy_timeout.
        if let Some(message_id) = &turn.incoming_message_id {
            // The key goes in first, so a concurrent duplicate blocks on (PostgreSQL) or queues
            // behind (SQLite) the first writer, then fails here having written nothing.
            let inserted = sqlx::query(
                "INSERT INTO processed_messages (platform, message_id, conversation_id, \
                 processed_at) SELECT platform, $2, id, $3 FROM conversations WHERE id = $1",
            )
            .bind(turn.conversation_id)
            .bind(message_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    tx.rollback().await?;
                    return Ok(TurnOutcome::Duplicate);
                }
                Err(e) => return Err(e.into()),
            }
        }

        let updated = sqlx::query(
            "UPDATE conversations SET flow = $1, step = $2, state = $3, status = $4, \
             updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(&turn.flow)
        .bind(turn.step.as_deref())
        .bind(&turn.state)
        .bind(turn.status.as_str())
        .bind(now)
        .bind(turn.conversation_id)
        .bind(turn.expected_version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return match self.conversation(turn.conversation_id).await? {
                Some(_) => Ok(TurnOutcome::Conflict),
                None => Err(StoreError::ConversationNotFound(turn.conversation_id)),
            };
        }

        // All the turn's lines in one statement: one round trip however many replies.
        if !turn.transcript.is_empty() {
            let rows: Vec<String> = (0..turn.transcript.len())
                .map(|i| {
                    let p = 3 + i * 4;
                    format!("($1, ${p}, ${}, ${}, ${}, $2)", p + 1, p + 2, p + 3)
                })
                .collect();
            let sql = format!(
                "INSERT INTO transcript (conversation_id, who, text, attachment, \
                 platform_message_id, at) VALUES {}",
                rows.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(turn.conversation_id)
                .bind(now);
            for line in &turn.transcript {
                query = query
                    .bind(line.who.as_str())
                    .bind(&line.text)
                    .bind(line.attachment.as_deref())
                    .bind(line.platform_message_id.as_deref());
            }
            query.execute(&mut *tx).await?;
        }

        let owner = Owner::Conversation(turn.conversation_id);
        for kind in &turn.clear_secrets {
            sealed::clear_for_conversation(&mut tx, turn.conversation_id, *kind).await?;
        }
        for (kind, value) in &turn.secrets {
            sealed::put(&mut tx, &self.cipher, owner, *kind, value, turn.now).await?;
        }
        for doc in &turn.documents {
            documents::insert(&mut tx, &self.cipher, owner, doc, None, turn.now).await?;
        }
        for ticket in &turn.tickets {
            tickets::insert(
                &mut tx,
                &self.cipher,
                turn.conversation_id,
                ticket,
                turn.now,
            )
            .await?;
        }

        if let Some(fix) = &turn.resubmit
            && !workflow::resubmit(&mut tx, &self.cipher, fix, turn.now).await?
        {
            // The ticket left needs_info meanwhile (an agent cancelled it): decide again.
            tx.rollback().await?;
            return Ok(TurnOutcome::Conflict);
        }
        for ticket in &turn.tickets {
            drafts::mark_submitted(&mut tx, &ticket.number, turn.now).await?;
        }
        if let Some(draft) = &turn.new_draft {
            drafts::insert(&mut tx, turn.conversation_id, draft, turn.now).await?;
        }
        outbox::enqueue(&mut tx, &turn.outbox, turn.now).await?;
        for id in &turn.delivered_outbox {
            if !outbox::take(&mut tx, *id, turn.now).await? {
                // A deliverer posted (or holds) the notice meanwhile: decide again without it,
                // so the customer never sees it twice.
                tx.rollback().await?;
                return Ok(TurnOutcome::Conflict);
            }
        }

        tx.commit().await?;
        Ok(TurnOutcome::Applied {
            version: turn.expected_version + 1,
        })
    }

    /// The conversation's PIN or account number, decrypted.
    pub async fn conversation_secret(
        &self,
        conversation_id: i64,
        kind: SecretKind,
    ) -> Result<Option<secrecy::SecretString>, StoreError> {
        sealed::get(
            &self.pool,
            &self.cipher,
            Owner::Conversation(conversation_id),
            kind,
        )
        .await
    }

    /// The conversation's transcript, oldest first.
    pub async fn transcript(
        &self,
        conversation_id: i64,
    ) -> Result<Vec<TranscriptLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT who, text, attachment, at FROM transcript WHERE conversation_id = $1 \
             ORDER BY id",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TranscriptLine {
                    who: read_enum(row, "who", Speaker::parse)?,
                    text: row.try_get("text")?,
                    attachment: row.try_get("attachment")?,
                    at: read_time(row, "at")?,
                })
            })
            .collect()
    }
}
