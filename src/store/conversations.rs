//! Conversations and their turns: state, transcript, idempotency keys, and everything a turn
//! creates, written in one transaction.

use secrecy::{ExposeSecret, SecretString};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::batch::{PlainLine, PlainTurn, SealedSecret, Written};
use super::sealed::{self, Owner};
use super::{Backend, drafts, outbox, workflow};
use super::{
    Conversation, ConversationStatus, NewConversation, SecretKind, Speaker, Store, StoreError,
    TranscriptLine, TurnOutcome, TurnWrite, documents, is_unique_violation, read_enum, read_time,
    tickets, to_millis,
};

/// What [`Store::lookup_for_turn`] found.
#[derive(Debug)]
pub struct TurnLookup {
    /// The customer's open conversation: the one found, or the one just created.
    pub open: Option<Conversation>,
    /// `open` was created by this lookup ([`CreateIfNone`]).
    pub created: bool,
    /// Chat notices may be waiting for the customer.
    pub has_notices: bool,
    /// The message id was handled before.
    pub message_seen: bool,
    /// Conversations the customer started at or after `since`, and the oldest of their starts.
    pub started_since: u64,
    pub oldest_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// The conversation a turn's lookup starts when the customer has none open, the message is
/// new, and they started fewer than `max_per_day` conversations since the lookup's `since`
/// (0: no limit).
#[derive(Debug, Clone)]
pub struct CreateIfNone {
    pub new: NewConversation,
    pub max_per_day: u32,
}

const COLUMNS: &str = "id, platform, channel_id, customer_id, flow, step, state, status, \
                       version, created_at, updated_at";

/// The conversation `new` became, inserted as `id`: active, version 0, its times as stored
/// (whole milliseconds).
fn created(id: i64, new: NewConversation) -> Result<Conversation, StoreError> {
    let at = chrono::DateTime::from_timestamp_millis(to_millis(new.now))
        .ok_or_else(|| StoreError::Corrupt(format!("conversation {id}: time out of range")))?;
    Ok(Conversation {
        id,
        platform: new.platform,
        channel_id: new.channel_id,
        customer_id: new.customer_id,
        flow: new.flow,
        step: new.step,
        state: new.state,
        status: ConversationStatus::Active,
        version: 0,
        created_at: at,
        updated_at: at,
    })
}

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

    /// What a turn needs to know before it runs, in one query: the customer's open
    /// conversation (as [`Store::open_conversation`]), whether chat notices may be waiting for
    /// them, and, for a first message, whether `message_id` was handled before and how many
    /// conversations they started at or after `since` (as [`Store::conversations_started_since`]).
    ///
    /// With `create`, a customer with no open conversation gets one when the message is new and
    /// under the day's limit (`created`). On PostgreSQL that is the same statement, so a new
    /// customer's first message costs one round trip and one commit less; on SQLite the lookup
    /// reads beside the writer, and the insert follows on the writing connection.
    pub async fn lookup_for_turn(
        &self,
        platform: &str,
        customer_id: &str,
        message_id: Option<&str>,
        since: chrono::DateTime<chrono::Utc>,
        create: Option<CreateIfNone>,
    ) -> Result<TurnLookup, StoreError> {
        // One row whether or not the customer has an open conversation.
        let lookup = format!(
            "SELECT c.*, CASE WHEN EXISTS (SELECT 1 FROM outbox o \
             WHERE o.customer_platform = $1 AND o.customer_id = $2 AND o.channel = 'chat' \
             AND o.delivered_at IS NULL) THEN 1 ELSE 0 END AS has_notices, \
             CASE WHEN EXISTS (SELECT 1 FROM processed_messages p \
             WHERE p.platform = $1 AND p.message_id = CAST($5 AS TEXT)) THEN 1 ELSE 0 END AS seen, \
             s.started, s.oldest \
             FROM (SELECT COUNT(*) AS started, MIN(created_at) AS oldest FROM conversations \
             WHERE platform = $1 AND customer_id = $2 AND created_at >= $6) AS s \
             LEFT JOIN (SELECT {COLUMNS} FROM conversations \
             WHERE platform = $1 AND customer_id = $2 AND status IN ($3, $4) \
             ORDER BY id DESC LIMIT 1) AS c ON 1 = 1"
        );
        let create_here = create
            .as_ref()
            .filter(|_| self.backend == Backend::Postgres);
        let sql = match create_here {
            None => lookup,
            Some(_) => format!(
                "WITH l AS ({lookup}), n AS (INSERT INTO conversations (platform, channel_id, \
                 customer_id, flow, step, state, status, version, created_at, updated_at) \
                 SELECT $1, $7, $2, $8, $9, $10, $3, 0, $11, $11 FROM l \
                 WHERE l.id IS NULL AND l.seen = 0 AND ($12 = 0 OR l.started < $12) \
                 RETURNING id) SELECT l.*, (SELECT id FROM n) AS created_id FROM l"
            ),
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(platform)
            .bind(customer_id)
            .bind(ConversationStatus::Active.as_str())
            .bind(ConversationStatus::PausedForAgent.as_str())
            .bind(message_id)
            .bind(to_millis(since));
        if let Some(create) = create_here {
            let new = &create.new;
            query = query
                .bind(new.channel_id.as_deref())
                .bind(new.flow.as_str())
                .bind(new.step.as_deref())
                .bind(new.state.as_str())
                .bind(to_millis(new.now))
                .bind(i64::from(create.max_per_day));
        }
        let executor = match create_here {
            Some(_) => &self.pool,
            None => &self.reader,
        };
        let row = query.fetch_one(executor).await?;
        let started: i64 = row.try_get("started")?;
        let mut lookup = TurnLookup {
            open: match row.try_get::<Option<i64>, _>("id")? {
                Some(_) => Some(from_row(&row)?),
                None => None,
            },
            created: false,
            has_notices: row.try_get::<i64, _>("has_notices")? != 0,
            message_seen: row.try_get::<i64, _>("seen")? != 0,
            started_since: started.max(0) as u64,
            oldest_since: row
                .try_get::<Option<i64>, _>("oldest")?
                .and_then(chrono::DateTime::from_timestamp_millis),
        };
        match create {
            Some(create) if create_here.is_some() => {
                if let Some(id) = row.try_get::<Option<i64>, _>("created_id")? {
                    lookup.open = Some(created(id, create.new)?);
                    lookup.created = true;
                }
            }
            Some(create)
                if lookup.open.is_none()
                    && !lookup.message_seen
                    && (create.max_per_day == 0
                        || lookup.started_since < u64::from(create.max_per_day)) =>
            {
                lookup.open = Some(self.create_conversation(create.new).await?);
                lookup.created = true;
            }
            _ => {}
        }
        Ok(lookup)
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
    ///
    /// Most turns only answer a question: key, state and transcript. Those take the plain path,
    /// one round trip for the writes ([`Store::apply_plain_turn`]).
    pub async fn apply_turn(&self, turn: TurnWrite) -> Result<TurnOutcome, StoreError> {
        if is_plain(&turn) {
            return self.apply_plain_turn(turn).await;
        }
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

    /// A turn that writes only its key, state, transcript and secrets, in the writer's next
    /// group ([`super::batch`]): one round trip and one commit shared with the turns of other
    /// customers that arrive meanwhile.
    async fn apply_plain_turn(&self, turn: TurnWrite) -> Result<TurnOutcome, StoreError> {
        let id = turn.conversation_id;
        let key = turn.incoming_message_id.clone();
        let version = turn.expected_version;
        let written = self
            .writer
            .write(PlainTurn {
                conversation_id: id,
                now: to_millis(turn.now),
                expected_version: turn.expected_version,
                flow: turn.flow,
                step: turn.step,
                state: turn.state,
                status: turn.status.as_str(),
                message_id: turn.incoming_message_id,
                lines: plain_lines(turn.transcript),
                no_notices_seen: turn.no_notices_seen,
                secrets: self.sealed(id, &turn.secrets),
            })
            .await?;
        match written {
            Written::Applied => Ok(TurnOutcome::Applied {
                version: version + 1,
            }),
            Written::NotApplied => self.not_applied(id, key.as_deref()).await,
            Written::Duplicate => Ok(TurnOutcome::Duplicate),
        }
    }

    /// The conversation's secrets sealed, as the group writer takes them.
    fn sealed(
        &self,
        conversation_id: i64,
        secrets: &[(SecretKind, SecretString)],
    ) -> Vec<SealedSecret> {
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        secrets
            .iter()
            .map(|(kind, value)| {
                let aad = Owner::Conversation(conversation_id).secret_aad(*kind);
                let (nonce, sealed) = self
                    .cipher
                    .seal(value.expose_secret().as_bytes(), aad.as_bytes());
                SealedSecret {
                    kind: kind.as_str(),
                    nonce: hex(&nonce),
                    sealed: hex(&sealed),
                }
            })
            .collect()
    }

    /// Why a turn's update matched no row: its message was handled meanwhile (a redelivery
    /// racing the first delivery), the conversation moved on, or it is gone.
    async fn not_applied(
        &self,
        conversation_id: i64,
        message_id: Option<&str>,
    ) -> Result<TurnOutcome, StoreError> {
        if let Some(message_id) = message_id {
            let seen = sqlx::query(
                "SELECT 1 AS seen FROM processed_messages WHERE message_id = $2 \
                 AND platform = (SELECT platform FROM conversations WHERE id = $1)",
            )
            .bind(conversation_id)
            .bind(message_id)
            .fetch_optional(&self.reader)
            .await?;
            if seen.is_some() {
                return Ok(TurnOutcome::Duplicate);
            }
        }
        match self.conversation(conversation_id).await? {
            Some(_) => Ok(TurnOutcome::Conflict),
            None => Err(StoreError::ConversationNotFound(conversation_id)),
        }
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

    /// How many conversations the customer started at or after `since`, and when the oldest
    /// of those started.
    pub async fn conversations_started_since(
        &self,
        platform: &str,
        customer_id: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<(u64, Option<chrono::DateTime<chrono::Utc>>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM conversations \
             WHERE platform = $1 AND customer_id = $2 AND created_at >= $3",
        )
        .bind(platform)
        .bind(customer_id)
        .bind(to_millis(since))
        .fetch_one(&self.reader)
        .await?;
        let count: i64 = row.try_get("n")?;
        let oldest = row
            .try_get::<Option<i64>, _>("oldest")?
            .and_then(chrono::DateTime::from_timestamp_millis);
        Ok((count.max(0) as u64, oldest))
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

/// Only key, state, transcript (at least one line) and the conversation's secrets to write.
fn is_plain(turn: &TurnWrite) -> bool {
    !turn.transcript.is_empty()
        && turn.clear_secrets.is_empty()
        && !turn.clear_uploads
        && turn.documents.is_empty()
        && turn.tickets.is_empty()
        && turn.resubmit.is_none()
        && turn.outbox.is_empty()
        && turn.delivered_outbox.is_empty()
        && turn.new_draft.is_none()
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

/// Whether chat notices for the customer of the `conversations` row in scope are due at
/// `now` (a parameter), as [`Store::pending_chat_notices`] counts them. The unary plus keeps
/// SQLite from searching `outbox_pending` by time (every due notice of every customer) instead
/// of the customer's own.
pub(super) fn chat_notices_due(now: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM outbox o WHERE o.channel = 'chat' \
         AND o.customer_platform = conversations.platform \
         AND o.customer_id = conversations.customer_id AND o.delivered_at IS NULL \
         AND +o.next_attempt_at <= {now})"
    )
}

/// The lines as the group writer takes them.
fn plain_lines(lines: Vec<super::NewTranscriptLine>) -> Vec<PlainLine> {
    lines
        .into_iter()
        .map(|line| PlainLine {
            who: line.who.as_str(),
            text: line.text,
            attachment: line.attachment,
            platform_message_id: line.platform_message_id,
        })
        .collect()
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
