//! Draft tickets: a conversation handed to an agent before the checklist was complete, saved
//! with a ticket number and the list of what is missing. When the customer later signs, the
//! ticket takes over the draft's number.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::normalize_number;
use super::{Store, StoreError, read_time, to_millis};

/// A draft to save with an agent's turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDraft {
    pub number: String,
    /// Step ids still unanswered.
    pub missing: Vec<String>,
    /// What was collected, as agents read it (secrets masked).
    pub summary: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub number: String,
    pub conversation_id: i64,
    pub customer_platform: String,
    pub customer_id: String,
    pub missing: Vec<String>,
    pub summary: String,
    pub created_by: String,
    /// `draft` until the customer signs (`submitted`).
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(super) async fn insert(
    conn: &mut AnyConnection,
    conversation_id: i64,
    draft: &NewDraft,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO drafts (number, conversation_id, missing, summary, created_by, status, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'draft', $6, $6)",
    )
    .bind(normalize_number(&draft.number))
    .bind(conversation_id)
    .bind(draft.missing.join(","))
    .bind(&draft.summary)
    .bind(&draft.created_by)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// A ticket created under a draft's number completes the draft.
pub(super) async fn mark_submitted(
    conn: &mut AnyConnection,
    number: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE drafts SET status = 'submitted', updated_at = $1 WHERE number = $2")
        .bind(to_millis(now))
        .bind(normalize_number(number))
        .execute(conn)
        .await?;
    Ok(())
}

const SELECT: &str = "SELECT d.number, d.conversation_id, c.platform, c.customer_id, d.missing, \
     d.summary, d.created_by, d.status, d.created_at, d.updated_at \
     FROM drafts d JOIN conversations c ON c.id = d.conversation_id";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Draft, StoreError> {
    let missing: String = row.try_get("missing")?;
    Ok(Draft {
        number: row.try_get("number")?,
        conversation_id: row.try_get("conversation_id")?,
        customer_platform: row.try_get("platform")?,
        customer_id: row.try_get("customer_id")?,
        missing: missing
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        summary: row.try_get("summary")?,
        created_by: row.try_get("created_by")?,
        status: row.try_get("status")?,
        created_at: read_time(row, "created_at")?,
        updated_at: read_time(row, "updated_at")?,
    })
}

impl Store {
    /// Drafts still waiting for the customer, newest first.
    pub async fn open_drafts(&self) -> Result<Vec<Draft>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE d.status = 'draft' ORDER BY d.id DESC"
        )))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    pub async fn draft(&self, number: &str) -> Result<Option<Draft>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.number = $1")))
            .bind(normalize_number(number))
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }
}
