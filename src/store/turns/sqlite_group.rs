//! SQLite's group writer: the plain turns that arrive while one group is written go together
//! in the next one, one transaction and one round trip to the database.
//!
//! SQLite commits one writer at a time, and a commit writes every page its transaction touched
//! to the log. Turns of different customers touch many of the same pages (the transcript's and
//! the indexes' last pages), so a shared commit writes each of those once for the whole group
//! instead of once per turn. And every round trip to SQLite's thread costs two thread wake-ups,
//! which on a busy machine cost more than the writes themselves; a group is one round trip:
//! `BEGIN IMMEDIATE`, a few statements, `COMMIT`, in one query (`sqlite_group.sql`).
//!
//! The turns go in as one JSON array (one parameter), read once into SQLite's binary JSON
//! (`jsonb_each`: every field is then a lookup, not a parse of the whole turn), into a
//! temporary table of the connection's own ([`GROUP_TABLE`]). Which of them apply is
//! decided there first: at the expected version, with a message id not seen before, and (for a
//! cached turn) no chat notice due; of two turns of one conversation, only the first. Then one
//! statement per table writes the applied turns' secrets, states, transcript lines and keys. So
//! a group costs the same few statements for one turn or sixty-four, a stale or duplicate turn
//! writes nothing, and the others still commit. The last statement returns the applied turns'
//! places, which is how each caller learns whether its turn applied.
//!
//! Every group runs on the writer task, never on a caller's: a caller that stops waiting (a
//! time limit) cannot cut a group off between its `BEGIN` and its `COMMIT`. A turn whose caller
//! has stopped waiting by the time its group forms is left out: that customer was told to try
//! again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
use tokio::sync::mpsc;

use super::{
    Job, MAX_GROUP, PlainTurn, StoreError, Written, applied_places, deliver, group_input,
    still_awaited, with_notices_rule,
};

/// The temporary table a group's turns go through, created on every connection of the
/// writing pool (temporary tables are the connection's own).
pub(in crate::store) const GROUP_TABLE: &str = include_str!("sqlite_group_table.sql");

/// At most this many groups in a row on the connection before it goes back to the pool.
const HOLD_GROUPS: usize = 4;

/// The writer task: takes the waiting turns as a group, writes it, tells each caller.
pub(super) async fn run(
    pool: AnyPool,
    mut rx: mpsc::UnboundedReceiver<Job>,
    log_too_long: Arc<AtomicBool>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    // The pool's one connection, kept from one group to the next while turns keep coming (a
    // connection given back to the pool is checked by a round trip of its own), and given back
    // when they stop or after [`HOLD_GROUPS`] groups, so other queries get their turn.
    let mut held: Option<(PoolConnection<Any>, usize)> = None;
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (turns, waiting) = still_awaited(&mut group);
        if turns.is_empty() {
            continue;
        }
        let written = match held.take() {
            Some(conn) => Ok(conn),
            None => pool.acquire().await.map(|conn| (conn, 0)),
        };
        let outcome = match written {
            Ok((mut conn, groups)) => {
                if log_too_long.swap(false, Ordering::Relaxed) {
                    finish_checkpoint(&mut conn).await;
                }
                let outcome = write_group(&mut conn, turns).await;
                if outcome.is_ok() && groups + 1 < HOLD_GROUPS && !rx.is_empty() {
                    held = Some((conn, groups + 1));
                }
                outcome
            }
            Err(error) => Err(error.into()),
        };
        deliver(waiting, outcome);
    }
}

/// Copies what is left of the write-ahead log back into the database file. No write can land
/// meanwhile (this is the writer), so the copy is complete, and the next write starts the log
/// again from its beginning, unless a reader still reads from it.
async fn finish_checkpoint(conn: &mut PoolConnection<Any>) {
    if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(&mut **conn)
        .await
    {
        tracing::warn!(%error, "could not copy the write-ahead log back; the checkpointer will");
    }
}

/// Writes `turns` in one transaction; which of them applied.
pub(super) async fn write_group(
    conn: &mut PoolConnection<Any>,
    turns: Vec<PlainTurn>,
) -> Result<Vec<Written>, StoreError> {
    let count = turns.len();
    let input = group_input(&turns)?;
    let rows = match sqlx::query(group_sql())
        .bind(input)
        .fetch_all(&mut **conn)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            // SQLite rolls back on its own after some errors (a full disk); after the others
            // the transaction is still open here. A connection that cannot roll back is not
            // given back to the pool.
            if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut **conn).await
                && !rollback.to_string().contains("no transaction is active")
            {
                conn.close_on_drop();
            }
            return Err(error.into());
        }
    };
    applied_places(count, &rows)
}

/// The group (`sqlite_group.sql`): `$1` is [`group_input`]'s array.
fn group_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| with_notices_rule(include_str!("sqlite_group.sql"), "t.now"))
}
