//! Conversations: finding or starting a customer's conversation before a turn, and reading
//! them, their secrets and their transcripts back. Turns are written by [`super::turns`].

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sealed::{self, Owner};
use super::{
    Backend, Conversation, ConversationStatus, NewConversation, SecretKind, Speaker, Store,
    StoreError, TranscriptLine, read_enum, read_time, to_millis,
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

/// The query of a turn's lookup ([`Store::lookup_for_turn`]) for the customer whose id the SQL
/// expression `customer` gives (`$2`, or a subquery): one row whether or not they have an open
/// conversation. Binds `$1` platform, `$3` and `$4` the open statuses, `$5` the message id and
/// `$6` the start of the day's count.
pub(super) fn lookup_sql(customer: &str) -> String {
    format!(
        "SELECT c.*, CASE WHEN EXISTS (SELECT 1 FROM outbox o \
         WHERE o.customer_platform = $1 AND o.customer_id = {customer} AND o.channel = 'chat' \
         AND o.delivered_at IS NULL) THEN 1 ELSE 0 END AS has_notices, \
         CASE WHEN EXISTS (SELECT 1 FROM processed_messages p \
         WHERE p.platform = $1 AND p.message_id = CAST($5 AS TEXT)) THEN 1 ELSE 0 END AS seen, \
         s.started, s.oldest \
         FROM (SELECT COUNT(*) AS started, MIN(created_at) AS oldest FROM conversations \
         WHERE platform = $1 AND customer_id = {customer} AND created_at >= $6) AS s \
         LEFT JOIN (SELECT {COLUMNS} FROM conversations \
         WHERE platform = $1 AND customer_id = {customer} AND status IN ($3, $4) \
         ORDER BY id DESC LIMIT 1) AS c ON 1 = 1"
    )
}

/// What a row of [`lookup_sql`] says, before anything is created.
pub(super) fn turn_lookup(row: &AnyRow) -> Result<TurnLookup, StoreError> {
    let started: i64 = row.try_get("started")?;
    Ok(TurnLookup {
        open: match row.try_get::<Option<i64>, _>("id")? {
            Some(_) => Some(from_row(row)?),
            None => None,
        },
        created: false,
        has_notices: row.try_get::<i64, _>("has_notices")? != 0,
        message_seen: row.try_get::<i64, _>("seen")? != 0,
        started_since: started.max(0) as u64,
        oldest_since: row
            .try_get::<Option<i64>, _>("oldest")?
            .and_then(chrono::DateTime::from_timestamp_millis),
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
        let lookup = lookup_sql("$2");
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
        let mut lookup = turn_lookup(&row)?;
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
