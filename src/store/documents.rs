//! The `documents` table: uploaded bills and CSRs (owned by a conversation) and LOAs (owned by a
//! ticket, versioned). The bytes are sealed with associated data `document:<id>`.
//!
//! Documents live in the database so several processes share them with no shared disk; moving
//! them to object storage later changes only this file.

use sqlx::AnyPool;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::sealed::Owner;
use super::{
    Document, DocumentKind, NewDocument, Store, StoreError, read_enum, read_time, sha256_hex,
    to_millis,
};
use crate::secrets::Cipher;

pub(super) fn aad(id: i64) -> String {
    format!("document:{id}")
}

/// Stores `doc` for `owner`; returns its id.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    owner: Owner<'_>,
    doc: &NewDocument,
    version: Option<u32>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, StoreError> {
    let (ticket_id, conversation_id) = match owner {
        Owner::Ticket { id, .. } => (Some(id), None),
        Owner::Conversation(id) => (None, Some(id)),
    };
    // The id is part of the associated data and only known after the insert, so the row is
    // written first with empty bytes and sealed in the same transaction.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO documents (ticket_id, conversation_id, kind, version, file_name, \
         content_type, size, sha256, nonce, ciphertext, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(ticket_id)
    .bind(conversation_id)
    .bind(doc.kind.as_str())
    .bind(version.map(i64::from))
    .bind(&doc.file_name)
    .bind(&doc.content_type)
    .bind(doc.bytes.len() as i64)
    .bind(sha256_hex(&doc.bytes))
    .bind(Vec::<u8>::new())
    .bind(Vec::<u8>::new())
    .bind(to_millis(now))
    .fetch_one(&mut *conn)
    .await?;
    let (nonce, sealed) = cipher.seal(&doc.bytes, aad(id).as_bytes());
    sqlx::query("UPDATE documents SET nonce = $1, ciphertext = $2 WHERE id = $3")
        .bind(nonce)
        .bind(sealed)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(id)
}

const COLUMNS: &str =
    "id, kind, file_name, content_type, size, sha256, version, nonce, ciphertext, created_at";

fn from_row(cipher: &Cipher, row: &AnyRow) -> Result<Document, StoreError> {
    let id: i64 = row.try_get("id")?;
    let nonce: Vec<u8> = row.try_get("nonce")?;
    let sealed: Vec<u8> = row.try_get("ciphertext")?;
    let bytes = cipher
        .open(&nonce, &sealed, aad(id).as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("{}: {e}", aad(id))))?;
    let version = row
        .try_get::<Option<i64>, _>("version")?
        .map(|v| {
            u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("document {id} version {v}")))
        })
        .transpose()?;
    Ok(Document {
        id,
        kind: read_enum(row, "kind", DocumentKind::parse)?,
        file_name: row.try_get("file_name")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        version,
        bytes,
        created_at: read_time(row, "created_at")?,
    })
}

async fn fetch_all(
    pool: &AnyPool,
    cipher: &Cipher,
    query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
) -> Result<Vec<Document>, StoreError> {
    query
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| from_row(cipher, row))
        .collect()
}

impl Store {
    /// How many bills and CSRs a conversation has uploaded (without reading their bytes).
    pub async fn conversation_upload_count(&self, conversation_id: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE conversation_id = $1")
                .bind(conversation_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The bills and CSRs uploaded in a conversation, oldest first, decrypted.
    pub async fn conversation_documents(
        &self,
        conversation_id: i64,
    ) -> Result<Vec<Document>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM documents WHERE conversation_id = $1 ORDER BY id");
        fetch_all(
            &self.pool,
            &self.cipher,
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(conversation_id),
        )
        .await
    }

    /// A ticket's document of `kind`: the given version, or the latest when `version` is `None`.
    pub async fn ticket_document(
        &self,
        number: &str,
        kind: DocumentKind,
        version: Option<u32>,
    ) -> Result<Option<Document>, StoreError> {
        let number = super::normalize_number(number);
        let base = format!(
            "SELECT {COLUMNS} FROM documents \
             WHERE ticket_id = (SELECT id FROM tickets WHERE number = $1) AND kind = $2"
        );
        let query = match version {
            Some(v) => sqlx::query(sqlx::AssertSqlSafe(format!("{base} AND version = $3")))
                .bind(number)
                .bind(kind.as_str())
                .bind(i64::from(v)),
            None => sqlx::query(sqlx::AssertSqlSafe(format!(
                "{base} ORDER BY COALESCE(version, 0) DESC, id DESC LIMIT 1"
            )))
            .bind(number)
            .bind(kind.as_str()),
        };
        Ok(fetch_all(&self.pool, &self.cipher, query)
            .await?
            .into_iter()
            .next())
    }
}

/// Deletes the bills and CSRs of a conversation that made no ticket (a ticket's uploads stay for
/// the retention period), and logs how many: the audit line of a conversation without a ticket.
pub(super) async fn delete_ticketless_uploads(
    conn: &mut AnyConnection,
    conversation_id: i64,
    why: &'static str,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM documents WHERE conversation_id = $1 AND kind IN ('bill', 'csr') \
         AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = $2)",
    )
    .bind(conversation_id)
    .bind(conversation_id)
    .execute(conn)
    .await?
    .rows_affected();
    if deleted > 0 {
        tracing::info!(
            conversation = conversation_id,
            files = deleted,
            "uploads deleted: the conversation was {why} before it made a ticket"
        );
    }
    Ok(deleted)
}

/// Conversations whose uploads one retention pass deletes; the rest wait for the next pass.
/// Both look-ups go from the uploads older than the retention period (an index of bill and CSR
/// rows by age), never from all uploads, all tickets or all cancelled conversations.
const PURGE_BATCH: i64 = 200;

/// `ids` without repeats (a conversation's bill and CSR are two rows), in their order.
fn distinct(mut ids: Vec<i64>) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids
}

/// Which uploads left on cancelled conversations (by versions before uploads were deleted on
/// cancelling) a retention call deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftovers {
    /// Those older than the retention period: what a worker pass looks for, among the few
    /// uploads that old, every few seconds.
    PastRetention,
    /// Every one: `portbot retention`, which reads every upload.
    All,
}

/// What [`Store::purge_uploads`] deletes: the conversations whose tickets are all closed since
/// before `cutoff`, and cancelled conversations with uploads left.
async fn purge_candidates(
    conn: &mut AnyConnection,
    cutoff: chrono::DateTime<chrono::Utc>,
    leftovers: Leftovers,
) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
    let closed: Vec<i64> = sqlx::query_scalar(
        "SELECT d.conversation_id FROM documents d \
         WHERE d.kind IN ('bill', 'csr') AND d.created_at < $1 AND d.conversation_id IS NOT NULL \
         AND EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = d.conversation_id) \
         AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = d.conversation_id \
             AND (t.status NOT IN ('completed', 'cancelled') OR t.updated_at >= $1)) \
         ORDER BY d.created_at, d.conversation_id LIMIT $2",
    )
    .bind(super::to_millis(cutoff))
    .bind(PURGE_BATCH)
    .fetch_all(&mut *conn)
    .await?;
    // Uploads of cancelled conversations that made no ticket went when they were cancelled;
    // any left (from before that rule) go too. Each upload's conversation is looked up by its
    // key: with the status as a join condition, PostgreSQL may read every cancelled
    // conversation instead.
    let left_before = match leftovers {
        Leftovers::PastRetention => super::to_millis(cutoff),
        Leftovers::All => i64::MAX,
    };
    let cancelled: Vec<i64> = sqlx::query_scalar(
        "SELECT d.conversation_id FROM documents d \
         WHERE d.kind IN ('bill', 'csr') AND d.created_at < $1 \
         AND (SELECT c.status FROM conversations c WHERE c.id = d.conversation_id) = 'cancelled' \
         ORDER BY d.created_at, d.conversation_id LIMIT $2",
    )
    .bind(left_before)
    .bind(PURGE_BATCH)
    .fetch_all(&mut *conn)
    .await?;
    Ok((distinct(closed), distinct(cancelled)))
}

impl Store {
    /// Deletes the bill and CSR uploads of conversations whose tickets are all completed or
    /// cancelled since before `cutoff` (at most [`PURGE_BATCH`] conversations a call), and the
    /// uploads `leftovers` names; the LOAs and tickets stay. Each deletion is written to
    /// every affected ticket's audit log in the same transaction. Returns the ticket numbers
    /// and how many files each lost.
    pub async fn purge_uploads(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
        leftovers: Leftovers,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        // Most passes find nothing: they look on a reader, without opening a write transaction.
        let mut reader = self.reader.acquire().await?;
        let (conversations, cancelled) = purge_candidates(&mut reader, cutoff, leftovers).await?;
        drop(reader);
        if conversations.is_empty() && cancelled.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        // Looked up again where the deletions are written, so that a ticket reopened meanwhile
        // keeps its files.
        let (conversations, cancelled) = purge_candidates(&mut tx, cutoff, leftovers).await?;
        for conversation in cancelled {
            delete_ticketless_uploads(&mut tx, conversation, "cancelled").await?;
        }
        let mut purged = Vec::new();
        for conversation in conversations {
            let deleted = sqlx::query(
                "DELETE FROM documents WHERE conversation_id = $1 AND kind IN ('bill', 'csr')",
            )
            .bind(conversation)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
            let tickets: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT id, number, status FROM tickets WHERE conversation_id = $1 ORDER BY id",
            )
            .bind(conversation)
            .fetch_all(&mut *tx)
            .await?;
            for (id, number, status) in tickets {
                sqlx::query(
                    "INSERT INTO ticket_events (ticket_id, actor, action, from_status, to_status, \
                     note, visibility, at) VALUES ($1, 'retention', 'uploads_deleted', $2, $2, $3, \
                     'internal', $4)",
                )
                .bind(id)
                .bind(&status)
                .bind(format!(
                    "{deleted} bill/CSR file(s) deleted after the retention period"
                ))
                .bind(super::to_millis(now))
                .execute(&mut *tx)
                .await?;
                purged.push((number, deleted));
            }
        }
        tx.commit().await?;
        Ok(purged)
    }
}
