//! The one-transaction turn writer: every turn that carries more than a plain turn (cleared
//! secrets, uploads, tickets, a resubmission, a draft, outbox items or delivered notices)
//! is written here, in one transaction, keeping the contract of [`super`].

use super::super::sealed::{self, Owner};
use super::super::{
    Store, StoreError, TurnOutcome, TurnWrite, documents, drafts, is_unique_violation, outbox,
    tickets, to_millis, workflow,
};
use super::chat_notices_due;

impl Store {
    /// Writes `turn` in one transaction, as [`Store::apply_turn`] promises.
    pub(super) async fn apply_in_transaction(
        &self,
        turn: TurnWrite,
    ) -> Result<TurnOutcome, StoreError> {
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

        // Parameters as in `plain_turn_sql`: $1 to $7.
        let update = update_sql(turn.no_notices_seen);
        let updated = bind_update(sqlx::query(sqlx::AssertSqlSafe(update)), &turn)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return self
                .not_applied(turn.conversation_id, turn.incoming_message_id.as_deref())
                .await;
        }

        // All the turn's lines in one statement: one round trip however many replies.
        if !turn.transcript.is_empty() {
            let sql = format!(
                "INSERT INTO transcript (conversation_id, who, text, attachment, \
                 platform_message_id, at) VALUES {}",
                transcript_rows(3, turn.transcript.len())
            );
            let query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(turn.conversation_id)
                .bind(now);
            bind_transcript(query, &turn).execute(&mut *tx).await?;
        }

        let owner = Owner::Conversation(turn.conversation_id);
        for kind in &turn.clear_secrets {
            sealed::clear_for_conversation(&mut tx, turn.conversation_id, *kind).await?;
        }
        if turn.clear_uploads {
            documents::delete_ticketless_uploads(&mut tx, turn.conversation_id, "cleared").await?;
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
}

/// The state update with its version check. Parameters: $1 conversation, $2 now (ms),
/// $3 expected version, $4 flow, $5 step, $6 state, $7 status.
fn update_sql(no_notices_seen: bool) -> String {
    let mut sql = String::from(
        "UPDATE conversations SET flow = $4, step = $5, state = $6, status = $7, \
         updated_at = $2, version = version + 1 WHERE id = $1 AND version = $3",
    );
    if no_notices_seen {
        sql.push_str(" AND NOT ");
        sql.push_str(&chat_notices_due("$2"));
    }
    sql
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds $1 to $7 of [`update_sql`].
fn bind_update<'q>(query: AnyQuery<'q>, turn: &'q TurnWrite) -> AnyQuery<'q> {
    query
        .bind(turn.conversation_id)
        .bind(to_millis(turn.now))
        .bind(turn.expected_version)
        .bind(&turn.flow)
        .bind(turn.step.as_deref())
        .bind(&turn.state)
        .bind(turn.status.as_str())
}

/// `n` rows of (conversation, who, text, attachment, platform message id, at) with
/// $1 as conversation and $2 as time, the lines' own parameters from `$first` on.
fn transcript_rows(first: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("($1, {}, $2)", line_params(first, i)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Line `i`'s four parameters when the lines' parameters start at `$first`.
fn line_params(first: usize, i: usize) -> String {
    let p = first + i * 4;
    format!("${p}, ${}, ${}, ${}", p + 1, p + 2, p + 3)
}

/// Binds each line's four parameters, in order.
fn bind_transcript<'q>(mut query: AnyQuery<'q>, turn: &'q TurnWrite) -> AnyQuery<'q> {
    for line in &turn.transcript {
        query = query
            .bind(line.who.as_str())
            .bind(&line.text)
            .bind(line.attachment.as_deref())
            .bind(line.platform_message_id.as_deref());
    }
    query
}
