//! Group commit for SQLite's plain turns: the turns that arrive while one commit runs are
//! written together in the next transaction, each inside its own savepoint.
//!
//! SQLite commits one writer at a time, and a commit writes every page its transaction touched
//! to the log. Turns of different customers touch many of the same pages (the transcript's and
//! the indexes' last pages), so a shared commit writes each of those once for the whole group
//! instead of once per turn, and pays for BEGIN and COMMIT once. A lone turn is written at once
//! by its caller, alone, exactly as before: nobody waits for company.
//!
//! Each turn keeps its own outcome: a savepoint is rolled back when its turn's key was seen
//! before or its version moved, and the others still commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::AnyPool;
use sqlx::any::AnyArguments;
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// At most this many turns share one commit.
const MAX_GROUP: usize = 64;

/// One plain turn, ready to run: its statements (beginning with a savepoint) and arguments.
pub(super) struct Job {
    sql: String,
    args: Option<AnyArguments>,
    done: oneshot::Sender<Result<Written, StoreError>>,
}

/// What became of a turn in its group.
#[derive(Debug)]
pub(super) enum Written {
    Applied,
    /// The key was seen before (a unique violation): nothing of this turn was written.
    Duplicate,
    /// The version check matched no row: nothing of this turn was written.
    NotApplied,
}

#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
    pool: AnyPool,
    /// Plain turns being written now, by the writer task or by their callers.
    in_flight: Arc<AtomicUsize>,
}

/// Counts a turn in flight for as long as it lives.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Writer {
    /// Starts the writer task on `pool`. It ends when the last [`Writer`] is dropped.
    pub fn start(pool: AnyPool) -> Writer {
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(pool.clone(), rx));
        Writer {
            jobs,
            pool,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `sql` (which must begin with `SAVEPOINT turn;` and return a row only when the
    /// turn applied) in the next group.
    pub async fn write(&self, sql: String, args: AnyArguments) -> Result<Written, StoreError> {
        let _counted = InFlight(self.in_flight.clone());
        if self.in_flight.fetch_add(1, Ordering::AcqRel) == 0 {
            // Alone: no company to wait for, so no hand-over to the writer task either.
            let (done, _) = oneshot::channel();
            let mut job = [Job {
                sql,
                args: Some(args),
                done,
            }];
            return Ok(write_group(&self.pool, &mut job).await?.remove(0));
        }
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Job {
                sql,
                args: Some(args),
                done,
            })
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(pool: AnyPool, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        let mut jobs = std::mem::take(&mut group);
        match write_group(&pool, &mut jobs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.done.send(Ok(outcome));
                }
            }
            Err(error) => {
                // The whole group was rolled back; each caller gets the error (and may retry).
                let message = error.to_string();
                let mut error = Some(error);
                for job in jobs {
                    let error = error
                        .take()
                        .unwrap_or_else(|| StoreError::Group(message.clone()));
                    let _ = job.done.send(Err(error));
                }
            }
        }
    }
}

async fn write_group(pool: &AnyPool, jobs: &mut [Job]) -> Result<Vec<Written>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let args = job.args.take().unwrap_or_default();
        let query = sqlx::query_with(sqlx::AssertSqlSafe(job.sql.clone()), args);
        let outcome = match query.fetch_all(&mut *tx).await {
            Ok(rows) if !rows.is_empty() => Written::Applied,
            Ok(_) => Written::NotApplied,
            Err(e) if super::is_unique_violation(&e) => Written::Duplicate,
            // Anything else (a full disk, a broken file) fails the group: `tx` rolls back.
            Err(e) => return Err(e.into()),
        };
        if !matches!(outcome, Written::Applied) {
            sqlx::query("ROLLBACK TO turn").execute(&mut *tx).await?;
        }
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}
