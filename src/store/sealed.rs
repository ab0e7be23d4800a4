//! The `secrets` table: PINs and account numbers, sealed, owned by a ticket or a conversation.

use secrecy::{ExposeSecret, SecretString};
use sqlx::AnyConnection;
use sqlx::AnyPool;

use super::{SecretKind, StoreError, to_millis};
use crate::secrets::Cipher;

/// Who a secret or document belongs to. Its text form is part of the associated data, so a
/// sealed value only opens in the row it was written for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Owner<'a> {
    Ticket { id: i64, number: &'a str },
    Conversation(i64),
}

impl Owner<'_> {
    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Owner::Ticket { id, .. } => (Some(id), None),
            Owner::Conversation(id) => (None, Some(id)),
        }
    }

    /// `secret:ticket:PB-10001:pin`, `secret:conversation:7:account_number`.
    pub(super) fn secret_aad(self, kind: SecretKind) -> String {
        match self {
            Owner::Ticket { number, .. } => format!("secret:ticket:{number}:{}", kind.as_str()),
            Owner::Conversation(id) => format!("secret:conversation:{id}:{}", kind.as_str()),
        }
    }
}

/// Inserts or replaces the owner's secret of `kind`.
pub(super) async fn put(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    owner: Owner<'_>,
    kind: SecretKind,
    value: &SecretString,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let (nonce, sealed) = cipher.seal(
        value.expose_secret().as_bytes(),
        owner.secret_aad(kind).as_bytes(),
    );
    let (ticket_id, conversation_id) = owner.ids();
    // Both unique indexes are plain (not partial), so ON CONFLICT can name either; a NULL owner
    // column never conflicts.
    let sql = match owner {
        Owner::Ticket { .. } => {
            "INSERT INTO secrets (ticket_id, conversation_id, kind, nonce, ciphertext, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (ticket_id, kind) DO UPDATE SET nonce = excluded.nonce, \
             ciphertext = excluded.ciphertext, updated_at = excluded.updated_at"
        }
        Owner::Conversation(_) => {
            "INSERT INTO secrets (ticket_id, conversation_id, kind, nonce, ciphertext, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (conversation_id, kind) DO UPDATE SET nonce = excluded.nonce, \
             ciphertext = excluded.ciphertext, updated_at = excluded.updated_at"
        }
    };
    sqlx::query(sql)
        .bind(ticket_id)
        .bind(conversation_id)
        .bind(kind.as_str())
        .bind(nonce)
        .bind(sealed)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn clear_for_conversation(
    conn: &mut AnyConnection,
    conversation_id: i64,
    kind: SecretKind,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM secrets WHERE conversation_id = $1 AND kind = $2")
        .bind(conversation_id)
        .bind(kind.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// The owner's secret of `kind`, decrypted.
pub(super) async fn get(
    pool: &AnyPool,
    cipher: &Cipher,
    owner: Owner<'_>,
    kind: SecretKind,
) -> Result<Option<SecretString>, StoreError> {
    let row: Option<(Vec<u8>, Vec<u8>)> =
        match owner {
            Owner::Ticket { id, .. } => {
                sqlx::query_as(
                    "SELECT nonce, ciphertext FROM secrets WHERE ticket_id = $1 AND kind = $2",
                )
                .bind(id)
                .bind(kind.as_str())
                .fetch_optional(pool)
                .await?
            }
            Owner::Conversation(id) => sqlx::query_as(
                "SELECT nonce, ciphertext FROM secrets WHERE conversation_id = $1 AND kind = $2",
            )
            .bind(id)
            .bind(kind.as_str())
            .fetch_optional(pool)
            .await?,
        };
    let Some((nonce, sealed)) = row else {
        return Ok(None);
    };
    let aad = owner.secret_aad(kind);
    let plain = cipher
        .open(&nonce, &sealed, aad.as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("{aad}: {e}")))?;
    let text = String::from_utf8(plain)
        .map_err(|_| StoreError::Corrupt(format!("{aad}: not UTF-8 text")))?;
    Ok(Some(SecretString::from(text)))
}
