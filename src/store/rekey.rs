//! Key rotation: every sealed value (secrets, documents, the key check) opened with the current
//! key and sealed again with a new one, then read back with the new key, all in one
//! transaction. Either every value moves to the new key or none does.

use sqlx::Row;

use super::sealed::Owner;
use super::{
    KEY_CHECK_AAD, KEY_CHECK_PLAINTEXT, SecretKind, Store, StoreError, documents, read_enum,
    sha256_hex,
};
use crate::secrets::Cipher;

/// What `rekey` re-encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rekeyed {
    pub secrets: u64,
    pub documents: u64,
}

impl Store {
    /// Re-encrypts everything sealed with this store's key under `new`, verifies every value
    /// opens with `new`, and seals the key check with it; one transaction. Every process using
    /// the database must be stopped first: one still running would go on writing with the old
    /// key.
    pub async fn rekey(&self, new: &Cipher) -> Result<Rekeyed, StoreError> {
        let old = &*self.cipher;
        let mut tx = self.pool.begin().await?;
        // Written first: on SQLite the transaction takes the write lock at once.
        let (nonce, sealed) = new.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD);
        sqlx::query("UPDATE meta SET value = $1 WHERE key = 'key_check'")
            .bind([nonce, sealed].concat())
            .execute(&mut *tx)
            .await?;

        let rows = sqlx::query(
            "SELECT s.id, s.ticket_id, s.conversation_id, s.kind, s.nonce, s.ciphertext, \
             t.number FROM secrets s LEFT JOIN tickets t ON t.id = s.ticket_id ORDER BY s.id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut moved = Rekeyed {
            secrets: 0,
            documents: 0,
        };
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let kind = read_enum(row, "kind", SecretKind::parse)?;
            let number: Option<String> = row.try_get("number")?;
            let owner = match (row.try_get::<Option<i64>, _>("ticket_id")?, &number) {
                (Some(ticket), Some(number)) => Owner::Ticket { id: ticket, number },
                _ => match row.try_get::<Option<i64>, _>("conversation_id")? {
                    Some(conversation) => Owner::Conversation(conversation),
                    None => return Err(StoreError::Corrupt(format!("secret {id} has no owner"))),
                },
            };
            let aad = owner.secret_aad(kind);
            let nonce: Vec<u8> = row.try_get("nonce")?;
            let sealed: Vec<u8> = row.try_get("ciphertext")?;
            let plain = old
                .open(&nonce, &sealed, aad.as_bytes())
                .map_err(|e| StoreError::Corrupt(format!("{aad}: {e}")))?;
            let (nonce, sealed) = new.seal(&plain, aad.as_bytes());
            sqlx::query("UPDATE secrets SET nonce = $1, ciphertext = $2 WHERE id = $3")
                .bind(nonce)
                .bind(sealed)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let (nonce, sealed): (Vec<u8>, Vec<u8>) =
                sqlx::query_as("SELECT nonce, ciphertext FROM secrets WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if new.open(&nonce, &sealed, aad.as_bytes()).ok().as_ref() != Some(&plain) {
                return Err(StoreError::Corrupt(format!(
                    "{aad} did not read back with the new key"
                )));
            }
            moved.secrets += 1;
        }

        // One document at a time: they can be large.
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM documents ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        for id in ids {
            let aad = documents::aad(id);
            let (nonce, sealed, sha256): (Vec<u8>, Vec<u8>, String) =
                sqlx::query_as("SELECT nonce, ciphertext, sha256 FROM documents WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let plain = old
                .open(&nonce, &sealed, aad.as_bytes())
                .map_err(|e| StoreError::Corrupt(format!("{aad}: {e}")))?;
            let (nonce, sealed) = new.seal(&plain, aad.as_bytes());
            drop(plain);
            sqlx::query("UPDATE documents SET nonce = $1, ciphertext = $2 WHERE id = $3")
                .bind(nonce)
                .bind(sealed)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let (nonce, sealed): (Vec<u8>, Vec<u8>) =
                sqlx::query_as("SELECT nonce, ciphertext FROM documents WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let back = new
                .open(&nonce, &sealed, aad.as_bytes())
                .map_err(|_| StoreError::Corrupt(format!("{aad} did not read back")))?;
            if sha256_hex(&back) != sha256 {
                return Err(StoreError::Corrupt(format!(
                    "{aad} does not match its checksum after re-encryption"
                )));
            }
            moved.documents += 1;
        }

        let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'key_check'")
            .fetch_one(&mut *tx)
            .await?;
        let (nonce, sealed) = stored
            .split_at_checked(crate::secrets::NONCE_LEN)
            .ok_or_else(|| StoreError::Corrupt("meta key_check is too short".into()))?;
        if new.open(nonce, sealed, KEY_CHECK_AAD).ok().as_deref() != Some(KEY_CHECK_PLAINTEXT) {
            return Err(StoreError::Corrupt(
                "the key check did not read back with the new key".into(),
            ));
        }
        tx.commit().await?;
        Ok(moved)
    }
}
