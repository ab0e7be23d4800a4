//! Group commit for SQLite's plain turns: the turns that arrive while one group is written go
//! together in the next one, one transaction and one round trip to the database thread.
//!
//! SQLite commits one writer at a time, and a commit writes every page its transaction touched
//! to the log. Turns of different customers touch many of the same pages (the transcript's and
//! the indexes' last pages), so a shared commit writes each of those once for the whole group
//! instead of once per turn. And every round trip to SQLite's thread costs two thread wake-ups,
//! which on a busy machine cost more than the writes themselves; a group is one round trip:
//! `BEGIN IMMEDIATE`, every turn's statements, `COMMIT`, in one query.
//!
//! Each turn keeps its own outcome without savepoints: its state update applies only at the
//! expected version and only if its message id is new, and its transcript lines and its key
//! are written only if that update changed the row (`changes()`), so a duplicate or stale turn
//! writes nothing and the others still commit. The update returns the turn's place in the
//! group, which is how each caller learns whether its turn applied.
//!
//! Every group runs on the writer task, never on a caller's: a caller that stops waiting (a
//! time limit) cannot cut a group off between its `BEGIN` and its `COMMIT`.

use std::sync::OnceLock;

use sqlx::any::AnyArguments;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Arguments, Row};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// At most this many turns share one commit.
const MAX_GROUP: usize = 64;

/// At most this many groups in a row on the connection before it goes back to the pool.
const HOLD_GROUPS: usize = 4;

/// Parameters per turn, in the order of [`PlainTurn`]'s fields.
const PARAMS: usize = 11;

/// One plain turn's values: its eleven parameters.
#[derive(Debug)]
pub(super) struct PlainTurn {
    pub conversation_id: i64,
    /// Milliseconds since the epoch.
    pub now: i64,
    pub expected_version: i64,
    pub flow: String,
    pub step: Option<String>,
    pub state: String,
    pub status: &'static str,
    pub message_id: Option<String>,
    /// The transcript lines, a JSON array of `{who, text, attachment, mid}`; at least one.
    pub lines: String,
    /// See [`TurnWrite::no_notices_seen`](super::TurnWrite::no_notices_seen).
    pub no_notices_seen: bool,
    /// The conversation's secrets set in this turn, already sealed: a JSON array of
    /// `{kind, nonce, sealed}` with the bytes in hex; often empty.
    pub secrets: String,
}

struct Job {
    turn: PlainTurn,
    done: oneshot::Sender<Result<bool, StoreError>>,
}

#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer task on `pool`. It ends when the last [`Writer`] is dropped.
    pub fn start(pool: AnyPool) -> Writer {
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, rx));
        Writer { jobs }
    }

    /// Writes `turn` in the next group: `true` if it applied, `false` if it wrote nothing
    /// (its key was seen before, or its conversation is no longer at the expected version).
    pub async fn write(&self, turn: PlainTurn) -> Result<bool, StoreError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Job { turn, done })
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(pool: AnyPool, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    // The pool's one connection, kept from one group to the next while turns keep coming (a
    // connection given back to the pool is checked by a round trip of its own), and given back
    // when they stop or after [`HOLD_GROUPS`] groups, so other queries get their turn.
    let mut held: Option<(PoolConnection<Any>, usize)> = None;
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (turns, waiting): (Vec<PlainTurn>, Vec<_>) =
            group.drain(..).map(|job| (job.turn, job.done)).unzip();
        let written = match held.take() {
            Some(conn) => Ok(conn),
            None => pool.acquire().await.map(|conn| (conn, 0)),
        };
        let outcome = match written {
            Ok((mut conn, groups)) => {
                let outcome = write_group(&mut conn, turns).await;
                if outcome.is_ok() && groups + 1 < HOLD_GROUPS && !rx.is_empty() {
                    held = Some((conn, groups + 1));
                }
                outcome
            }
            Err(error) => Err(error.into()),
        };
        match outcome {
            Ok(applied) => {
                for (done, applied) in waiting.into_iter().zip(applied) {
                    let _ = done.send(Ok(applied));
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
}

/// Writes `turns` in one transaction; which of them applied.
async fn write_group(
    conn: &mut PoolConnection<Any>,
    turns: Vec<PlainTurn>,
) -> Result<Vec<bool>, StoreError> {
    // Groups are padded to a power of two with turns that match no row, so a handful of
    // statements cover every group size and stay prepared.
    let count = turns.len();
    let size = count.next_power_of_two();
    let mut args = AnyArguments::default();
    for turn in turns {
        bind(&mut args, turn).map_err(sqlx::Error::Encode)?;
    }
    for _ in count..size {
        for _ in 0..PARAMS {
            args.add(None::<i64>).map_err(sqlx::Error::Encode)?;
        }
    }
    let rows = match sqlx::query_with(group_sql(size), args)
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
    let mut applied = vec![false; count];
    for row in rows {
        let place: i64 = row.try_get(0)?;
        if let Some(slot) = usize::try_from(place).ok().and_then(|i| applied.get_mut(i)) {
            *slot = true;
        }
    }
    Ok(applied)
}

fn bind(args: &mut AnyArguments, turn: PlainTurn) -> Result<(), sqlx::error::BoxDynError> {
    args.add(turn.conversation_id)?;
    args.add(turn.now)?;
    args.add(turn.expected_version)?;
    args.add(turn.flow)?;
    args.add(turn.step)?;
    args.add(turn.state)?;
    args.add(turn.status)?;
    args.add(turn.message_id)?;
    args.add(turn.lines)?;
    args.add(i64::from(turn.no_notices_seen))?;
    args.add(turn.secrets)?;
    Ok(())
}

/// The query for a group of `size` turns (a power of two up to [`MAX_GROUP`]).
fn group_sql(size: usize) -> &'static str {
    static SQL: [OnceLock<String>; MAX_GROUP.trailing_zeros() as usize + 1] =
        [const { OnceLock::new() }; MAX_GROUP.trailing_zeros() as usize + 1];
    SQL[size.trailing_zeros() as usize].get_or_init(|| {
        let mut sql = String::from("BEGIN IMMEDIATE;");
        for place in 0..size {
            sql.push_str(&turn_sql(place));
        }
        sql.push_str(" COMMIT;");
        sql
    })
}

/// The turn at `place` in its group. It applies if its conversation is at the expected
/// version, its message id is new, and (when the caller did not look for them) no chat notice
/// is due. Its secrets are written first, under that same condition; then the state update,
/// which returns the turn's place when it applies; then its transcript lines and its key, each
/// only if the statement before it changed rows.
fn turn_sql(place: usize) -> String {
    let p = |n: usize| format!("${}", place * PARAMS + n);
    let (id, now, version, flow, step, state, status) = (p(1), p(2), p(3), p(4), p(5), p(6), p(7));
    let (key, lines, no_notices, secrets) = (p(8), p(9), p(10), p(11));
    let applies = format!(
        "id = {id} AND version = {version} \
         AND ({key} IS NULL OR NOT EXISTS (SELECT 1 FROM processed_messages p \
         WHERE p.platform = conversations.platform AND p.message_id = {key})) \
         AND ({no_notices} = 0 OR NOT {})",
        super::conversations::chat_notices_due(&now)
    );
    format!(
        " INSERT INTO secrets (conversation_id, kind, nonce, ciphertext, updated_at) \
         SELECT {id}, s.value ->> 'kind', unhex(s.value ->> 'nonce'), \
         unhex(s.value ->> 'sealed'), {now} FROM json_each({secrets}) AS s \
         WHERE EXISTS (SELECT 1 FROM conversations WHERE {applies}) \
         ON CONFLICT (conversation_id, kind) DO UPDATE SET nonce = excluded.nonce, \
         ciphertext = excluded.ciphertext, updated_at = excluded.updated_at;\
         UPDATE conversations SET flow = {flow}, step = {step}, state = {state}, \
         status = {status}, updated_at = {now}, version = version + 1 \
         WHERE {applies} RETURNING {place};\
         INSERT INTO transcript (conversation_id, who, text, attachment, platform_message_id, \
         at) SELECT {id}, l.value ->> 'who', l.value ->> 'text', l.value ->> 'attachment', \
         l.value ->> 'mid', {now} FROM json_each({lines}) AS l WHERE changes() > 0 \
         ORDER BY l.key;\
         INSERT INTO processed_messages (platform, message_id, conversation_id, processed_at) \
         SELECT platform, {key}, id, {now} FROM conversations \
         WHERE id = {id} AND {key} IS NOT NULL AND changes() > 0;"
    )
}
