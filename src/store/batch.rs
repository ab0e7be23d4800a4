//! Group commit for plain turns: the turns that arrive while one group is written go together
//! in the next one, one transaction and one round trip to the database.
//!
//! ## SQLite
//!
//! SQLite commits one writer at a time, and a commit writes every page its transaction touched
//! to the log. Turns of different customers touch many of the same pages (the transcript's and
//! the indexes' last pages), so a shared commit writes each of those once for the whole group
//! instead of once per turn. And every round trip to SQLite's thread costs two thread wake-ups,
//! which on a busy machine cost more than the writes themselves; a group is one round trip:
//! `BEGIN IMMEDIATE`, a few statements, `COMMIT`, in one query ([`sqlite_group_sql`]).
//!
//! The turns go in as one JSON array (one parameter), read once into SQLite's binary JSON
//! (`jsonb_each`: every field is then a lookup, not a parse of the whole turn), into a
//! temporary table of the connection's own ([`SQLITE_GROUP_TABLE`]). Which of them apply is
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
//!
//! ## PostgreSQL
//!
//! A group is one statement, atomic on its own: the turns go in as one JSON array, and common
//! table expressions update every conversation at its expected version and write the applied
//! turns' keys, transcript lines and secrets ([`postgres_group_sql`]). Per turn, that saves the
//! statement's round trip, its planning and executor start-up, and its commit, which on
//! PostgreSQL cost more than the rows. PostgreSQL runs many writers at once, so a few groups
//! run at a time ([`POSTGRES_GROUPS_IN_FLIGHT`]), each on its own spawned task.
//!
//! A message id processed by another process meanwhile fails the whole statement on the key's
//! unique index; then each turn of that group is written again alone, where the failure
//! concerns that turn only ([`Written::Duplicate`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Row};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{Backend, StoreError, is_unique_violation};

/// At most this many turns share one commit.
const MAX_GROUP: usize = 64;

/// At most this many groups in a row on the connection before it goes back to the pool.
const HOLD_GROUPS: usize = 4;

/// PostgreSQL groups written at once. While they run, the next turns gather into the next
/// group; more at once would only make them smaller.
const POSTGRES_GROUPS_IN_FLIGHT: usize = 2;

/// One plain turn's values, serialized as one element of a group's JSON input
/// ([`group_input`]) under the names the group's queries read.
#[derive(Debug, Serialize)]
pub(super) struct PlainTurn {
    #[serde(rename = "id")]
    pub conversation_id: i64,
    /// Milliseconds since the epoch.
    pub now: i64,
    #[serde(rename = "version")]
    pub expected_version: i64,
    pub flow: String,
    pub step: Option<String>,
    pub state: String,
    pub status: &'static str,
    #[serde(rename = "mid")]
    pub message_id: Option<String>,
    /// The transcript lines; at least one.
    pub lines: Vec<PlainLine>,
    /// See [`TurnWrite::no_notices_seen`](super::TurnWrite::no_notices_seen).
    #[serde(rename = "no_notices")]
    pub no_notices_seen: bool,
    /// The conversation's secrets set in this turn, already sealed; often none.
    pub secrets: Vec<SealedSecret>,
}

/// A transcript line of a [`PlainTurn`].
#[derive(Debug, Serialize)]
pub(super) struct PlainLine {
    pub who: &'static str,
    pub text: String,
    pub attachment: Option<String>,
    #[serde(rename = "mid")]
    pub platform_message_id: Option<String>,
}

/// A secret of a [`PlainTurn`], sealed, with its bytes in hex.
#[derive(Debug, Serialize)]
pub(super) struct SealedSecret {
    pub kind: &'static str,
    pub nonce: String,
    pub sealed: String,
}

/// What became of a turn in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    Applied,
    /// It wrote nothing: its key was seen before, or its conversation is no longer at the
    /// expected version.
    NotApplied,
    /// It wrote nothing: its message id was processed meanwhile by another process, which
    /// its key's unique index told (PostgreSQL).
    Duplicate,
}

struct Job {
    turn: PlainTurn,
    done: Waiting,
}

/// Where a caller waits for its turn's outcome.
type Waiting = oneshot::Sender<Result<Written, StoreError>>;

#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer task on `pool`. It ends when the last [`Writer`] is dropped.
    ///
    /// On SQLite, when `log_too_long` is set, the writer copies the rest of the write-ahead log
    /// back between two groups, so that its next group starts the log again (see
    /// `checkpoint_in_background`).
    pub fn start(pool: AnyPool, backend: Backend, log_too_long: Arc<AtomicBool>) -> Writer {
        let (jobs, rx) = mpsc::unbounded_channel();
        match backend {
            Backend::Sqlite => tokio::spawn(run(pool, rx, log_too_long)),
            Backend::Postgres => tokio::spawn(run_postgres(pool, rx)),
        };
        Writer { jobs }
    }

    /// Writes `turn` in the next group.
    pub async fn write(&self, turn: PlainTurn) -> Result<Written, StoreError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Job { turn, done })
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(pool: AnyPool, mut rx: mpsc::UnboundedReceiver<Job>, log_too_long: Arc<AtomicBool>) {
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

/// Writes PostgreSQL's groups, a few at a time.
async fn run_postgres(pool: AnyPool, mut rx: mpsc::UnboundedReceiver<Job>) {
    let in_flight = Arc::new(Semaphore::new(POSTGRES_GROUPS_IN_FLIGHT));
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
            write_postgres_group(&pool, turns, waiting).await;
            drop(slot);
        });
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

/// The turns of `group` whose callers still wait, with where they wait. A caller that stopped
/// waiting (its time limit passed) was told its turn failed, so its turn is not written.
fn still_awaited(group: &mut Vec<Job>) -> (Vec<PlainTurn>, Vec<Waiting>) {
    group
        .drain(..)
        .filter(|job| !job.done.is_closed())
        .map(|job| (job.turn, job.done))
        .unzip()
}

/// Resolves once every caller in `waiting` has stopped waiting.
async fn all_gone(waiting: &mut [Waiting]) {
    for done in waiting {
        done.closed().await;
    }
}

/// Tells each caller what became of its turn.
fn deliver(waiting: Vec<Waiting>, outcome: Result<Vec<Written>, StoreError>) {
    match outcome {
        Ok(written) => {
            for (done, written) in waiting.into_iter().zip(written) {
                let _ = done.send(Ok(written));
            }
        }
        Err(error) => {
            // The whole group was rolled back; each caller gets the error (and may retry).
            let message = error.to_string();
            let mut error = Some(error);
            for done in waiting {
                let error = error
                    .take()
                    .unwrap_or_else(|| StoreError::Group(message.clone()));
                let _ = done.send(Err(error));
            }
        }
    }
}

/// Writes `turns` in one transaction; which of them applied.
async fn write_group(
    conn: &mut PoolConnection<Any>,
    turns: Vec<PlainTurn>,
) -> Result<Vec<Written>, StoreError> {
    let count = turns.len();
    let input = group_input(&turns).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let rows = match sqlx::query(sqlite_group_sql())
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

/// Each turn's outcome from the places the applied turns' updates returned.
fn applied_places(count: usize, rows: &[AnyRow]) -> Result<Vec<Written>, StoreError> {
    let mut written = vec![Written::NotApplied; count];
    for row in rows {
        let place: i64 = row.try_get(0)?;
        if let Some(slot) = usize::try_from(place).ok().and_then(|i| written.get_mut(i)) {
            *slot = Written::Applied;
        }
    }
    Ok(written)
}

/// Writes `turns` as one PostgreSQL statement and tells each caller what became of its turn.
///
/// When every caller has stopped waiting (their time limit passed: the database is slow or
/// unreachable, and they were told to try again), the statement is dropped with its
/// connection rather than left to apply later behind their backs.
async fn write_postgres_group(pool: &AnyPool, turns: Vec<PlainTurn>, mut waiting: Vec<Waiting>) {
    let written = tokio::select! {
        written = postgres_statement(pool, &turns) => written,
        () = all_gone(&mut waiting) => return,
    };
    let outcome = match written {
        Ok(rows) => applied_places(turns.len(), &rows),
        Err(error) if is_unique_violation(&error) && turns.len() > 1 => {
            // Nothing was written; each turn again on its own, with its own outcome.
            for (turn, done) in turns.chunks(1).zip(waiting) {
                let written = match postgres_statement(pool, turn).await {
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

/// Runs [`postgres_group_sql`] for `turns`; the rows of the applied ones.
async fn postgres_statement(
    pool: &AnyPool,
    turns: &[PlainTurn],
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let input = group_input(turns).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(postgres_group_sql())
        .bind(input)
        .fetch_all(pool)
        .await
}

/// The group's turns as the JSON array a group's query reads (both databases): one object per
/// turn, with its place in the group.
fn group_input(turns: &[PlainTurn]) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct Placed<'a> {
        place: usize,
        #[serde(flatten)]
        turn: &'a PlainTurn,
    }
    let placed: Vec<Placed> = turns
        .iter()
        .enumerate()
        .map(|(place, turn)| Placed { place, turn })
        .collect();
    serde_json::to_string(&placed)
}

/// PostgreSQL's group: `$1` is [`group_input`]'s array. A turn applies if its conversation
/// is at the expected version, its message id is new, and (when the caller did not look for
/// them) no chat notice is due; its key, transcript lines (in order) and secrets are written
/// from the applied rows only. Returns the applied turns' places.
///
/// The conversations are found by `id = ANY (...)`, an index scan: joined with the input
/// alone, the planner (which guesses a hundred input rows) scans the whole table once there
/// are a few thousand conversations.
fn postgres_group_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "\
WITH i AS (SELECT * FROM json_to_recordset($1::json) AS x (place int, id bigint, now bigint, \
version bigint, flow text, step text, state text, status text, mid text, no_notices boolean, \
lines json, secrets json)), \
u AS (UPDATE conversations SET flow = i.flow, step = i.step, state = i.state, \
status = i.status, updated_at = i.now, version = conversations.version + 1 FROM i \
WHERE conversations.id = ANY (ARRAY(SELECT id FROM i)) \
AND conversations.id = i.id AND conversations.version = i.version \
AND (i.mid IS NULL OR NOT EXISTS (SELECT 1 FROM processed_messages p \
WHERE p.platform = conversations.platform AND p.message_id = i.mid)) \
AND (NOT i.no_notices OR NOT {}) \
RETURNING i.place, conversations.id, conversations.platform, i.mid, i.now, i.lines, \
i.secrets), \
k AS (INSERT INTO processed_messages (platform, message_id, conversation_id, processed_at) \
SELECT platform, mid, id, now FROM u WHERE mid IS NOT NULL), \
t AS (INSERT INTO transcript (conversation_id, who, text, attachment, platform_message_id, \
at) SELECT u.id, l.line ->> 'who', l.line ->> 'text', l.line ->> 'attachment', \
l.line ->> 'mid', u.now FROM u, json_array_elements(u.lines) WITH ORDINALITY AS l (line, n) \
ORDER BY u.place, l.n), \
s AS (INSERT INTO secrets (conversation_id, kind, nonce, ciphertext, updated_at) \
SELECT u.id, x.kind, decode(x.nonce, 'hex'), decode(x.sealed, 'hex'), u.now \
FROM u, json_to_recordset(u.secrets) AS x (kind text, nonce text, sealed text) \
ON CONFLICT (conversation_id, kind) DO UPDATE SET nonce = excluded.nonce, \
ciphertext = excluded.ciphertext, updated_at = excluded.updated_at) \
SELECT place FROM u",
            super::conversations::chat_notices_due("i.now")
        )
    })
}

/// The temporary table a SQLite group's turns go through, created on every connection of the
/// writing pool (temporary tables are the connection's own).
pub(super) const SQLITE_GROUP_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS group_turns (\
place INTEGER PRIMARY KEY, id INTEGER NOT NULL, now INTEGER NOT NULL, \
version INTEGER NOT NULL, flow TEXT NOT NULL, step TEXT, state TEXT NOT NULL, \
status TEXT NOT NULL, mid TEXT, no_notices INTEGER NOT NULL, lines BLOB NOT NULL, \
secrets BLOB NOT NULL, applied INTEGER NOT NULL)";

/// SQLite's group: `$1` is [`group_input`]'s array. See the module's documentation.
fn sqlite_group_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "BEGIN IMMEDIATE; \
             DELETE FROM temp.group_turns; \
             INSERT INTO temp.group_turns SELECT value ->> 'place', value ->> 'id', \
             value ->> 'now', value ->> 'version', value ->> 'flow', value ->> 'step', \
             value ->> 'state', value ->> 'status', value ->> 'mid', value ->> 'no_notices', \
             jsonb_extract(value, '$.lines'), jsonb_extract(value, '$.secrets'), 0 \
             FROM jsonb_each($1); \
             UPDATE temp.group_turns SET applied = 1 WHERE place IN (SELECT min(t.place) \
             FROM temp.group_turns t JOIN conversations ON conversations.id = t.id \
             WHERE conversations.version = t.version \
             AND (t.mid IS NULL OR NOT EXISTS (SELECT 1 FROM processed_messages p \
             WHERE p.platform = conversations.platform AND p.message_id = t.mid)) \
             AND (t.no_notices = 0 OR NOT {}) GROUP BY t.id); \
             INSERT INTO secrets (conversation_id, kind, nonce, ciphertext, updated_at) \
             SELECT t.id, s.value ->> 'kind', unhex(s.value ->> 'nonce'), \
             unhex(s.value ->> 'sealed'), t.now FROM temp.group_turns t, jsonb_each(t.secrets) s \
             WHERE t.applied ON CONFLICT (conversation_id, kind) DO UPDATE SET \
             nonce = excluded.nonce, ciphertext = excluded.ciphertext, \
             updated_at = excluded.updated_at; \
             UPDATE conversations SET flow = t.flow, step = t.step, state = t.state, \
             status = t.status, updated_at = t.now, version = conversations.version + 1 \
             FROM temp.group_turns t WHERE t.applied AND conversations.id = t.id; \
             INSERT INTO transcript (conversation_id, who, text, attachment, \
             platform_message_id, at) SELECT t.id, l.value ->> 'who', l.value ->> 'text', \
             l.value ->> 'attachment', l.value ->> 'mid', t.now \
             FROM temp.group_turns t, jsonb_each(t.lines) l WHERE t.applied \
             ORDER BY t.place, l.key; \
             INSERT INTO processed_messages (platform, message_id, conversation_id, \
             processed_at) SELECT conversations.platform, t.mid, t.id, t.now \
             FROM temp.group_turns t JOIN conversations ON conversations.id = t.id \
             WHERE t.applied AND t.mid IS NOT NULL; \
             SELECT place FROM temp.group_turns WHERE applied; \
             COMMIT;",
            super::conversations::chat_notices_due("t.now")
        )
    })
}
