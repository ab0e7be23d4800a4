//! PostgreSQL's group writer: the plain turns that arrive while groups are written go
//! together in the next one.
//!
//! A group is one statement, atomic on its own: the turns go in as one JSON array, and common
//! table expressions update every conversation at its expected version and write the applied
//! turns' keys, transcript lines and secrets (`postgres_group.sql`). Per turn, that saves the
//! statement's round trip, its planning and executor start-up, and its commit, which on
//! PostgreSQL cost more than the rows. PostgreSQL runs many writers at once, so a few groups
//! run at a time ([`GROUPS_IN_FLIGHT`]), each on its own spawned task.
//!
//! The conversations are found by `id = ANY (...)`, an index scan: joined with the input
//! alone, the planner (which guesses a hundred input rows) scans the whole table once there
//! are a few thousand conversations.
//!
//! A message id processed by another process meanwhile fails the whole statement on the key's
//! unique index; then each turn of that group is written again alone, where the failure
//! concerns that turn only ([`Written::Duplicate`]).

use std::sync::{Arc, OnceLock};

use sqlx::AnyPool;
use sqlx::any::AnyRow;
use tokio::sync::{Semaphore, mpsc};

use super::super::is_unique_violation;
use super::{
    Job, MAX_GROUP, PlainTurn, Waiting, Written, applied_places, deliver, group_input,
    still_awaited, with_notices_rule,
};

/// Groups written at once. While they run, the next turns gather into the next group; more at
/// once would only make them smaller.
const GROUPS_IN_FLIGHT: usize = 2;

/// The writer task: takes the waiting turns as a group and writes it on a task of its own, a
/// few groups at a time.
pub(super) async fn run(pool: AnyPool, mut rx: mpsc::UnboundedReceiver<Job>) {
    let in_flight = Arc::new(Semaphore::new(GROUPS_IN_FLIGHT));
    let mut group = Vec::with_capacity(MAX_GROUP);
    loop {
        // Wait for a free slot first: the turns that come meanwhile join this group.
        let Ok(slot) = Arc::clone(&in_flight).acquire_owned().await else {
            return;
        };
        if rx.recv_many(&mut group, MAX_GROUP).await == 0 {
            return;
        }
        let (turns, waiting) = still_awaited(&mut group);
        if turns.is_empty() {
            continue;
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            write_group(&pool, turns, waiting).await;
            drop(slot);
        });
    }
}

/// Resolves once every caller in `waiting` has stopped waiting.
async fn all_gone(waiting: &mut [Waiting]) {
    for done in waiting {
        done.closed().await;
    }
}

/// Writes `turns` as one statement and tells each caller what became of its turn.
///
/// When every caller has stopped waiting (their time limit passed: the database is slow or
/// unreachable, and they were told to try again), the statement is dropped with its
/// connection rather than left to apply later behind their backs.
pub(super) async fn write_group(pool: &AnyPool, turns: Vec<PlainTurn>, mut waiting: Vec<Waiting>) {
    let written = tokio::select! {
        written = statement(pool, &turns) => written,
        () = all_gone(&mut waiting) => return,
    };
    let outcome = match written {
        Ok(rows) => applied_places(turns.len(), &rows),
        Err(error) if is_unique_violation(&error) && turns.len() > 1 => {
            // Nothing was written; each turn again on its own, with its own outcome.
            for (turn, done) in turns.chunks(1).zip(waiting) {
                let written = match statement(pool, turn).await {
                    Ok(rows) => applied_places(1, &rows).map(|written| written[0]),
                    Err(error) if is_unique_violation(&error) => Ok(Written::Duplicate),
                    Err(error) => Err(error.into()),
                };
                let _ = done.send(written);
            }
            return;
        }
        Err(error) if is_unique_violation(&error) => Ok(vec![Written::Duplicate]),
        Err(error) => Err(error.into()),
    };
    deliver(waiting, outcome);
}

/// Runs the group's statement for `turns`; the rows of the applied ones.
async fn statement(pool: &AnyPool, turns: &[PlainTurn]) -> Result<Vec<AnyRow>, sqlx::Error> {
    sqlx::query(group_sql())
        .bind(group_input(turns)?)
        .fetch_all(pool)
        .await
}

/// The group (`postgres_group.sql`): `$1` is [`group_input`]'s array. A turn applies if its
/// conversation is at the expected version, its message id is new, and (when the caller did
/// not look for them) no chat notice is due; its key, transcript lines (in order) and secrets
/// are written from the applied rows only. Returns the applied turns' places.
fn group_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| with_notices_rule(include_str!("postgres_group.sql"), "i.now"))
}
