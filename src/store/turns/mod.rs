//! Applying a customer turn: the contract every turn writer keeps, the types they share, and
//! [`Store::apply_turn`], which picks the writer.
//!
//! # The contract
//!
//! A turn ([`TurnWrite`]) is written all or nothing. Every writer does the same five things:
//!
//! - **Version check.** The conversation's flow, step, state and status are set, and its
//!   version goes up by one, only if it is still at `expected_version`.
//! - **Idempotency key.** With an `incoming_message_id`, the turn applies only if that message
//!   id is new on the conversation's platform, and records it in `processed_messages`.
//! - **Notices.** With `no_notices_seen` (the caller used its cached conversation and did not
//!   look for chat notices), the turn applies only if no chat notice for the customer is due at
//!   the turn's time ([`chat_notices_due`], one rule for every writer).
//! - **Transcript.** The turn's lines are appended in order, at the turn's time.
//! - **Secrets.** The turn's secrets are sealed for the conversation and set (insert or replace).
//!
//! The outcome: [`TurnOutcome::Applied`] with the new version; or nothing written and
//! [`TurnOutcome::Duplicate`] when the message id was processed before (also when another
//! process took it meanwhile), else [`TurnOutcome::Conflict`] (version moved, a notice is due,
//! or, in the transaction, a resubmission or delivered notice lost its race); a conversation
//! that does not exist is [`StoreError::ConversationNotFound`]. A turn that did not apply is
//! told apart after the fact by [`Store::not_applied`], the same way for every writer.
//!
//! # The writers
//!
//! - [`transaction`]: one transaction per turn; the only writer of everything else a turn can
//!   carry (cleared secrets, uploads, tickets, resubmissions, drafts, outbox items).
//! - [`sqlite_group`] and [`postgres_group`]: plain turns (key, state, transcript, secrets;
//!   [`is_plain`]) go to the writer task ([`Writer`]), which writes the turns that arrive
//!   together as one group: one round trip and one commit for all of them. Within a group, a
//!   conversation takes at most one turn; the others are conflicts (or duplicates), as they
//!   would be one after the other at the same version. SQLite's group takes the first;
//!   PostgreSQL's statement takes the one its join meets first, which the contract test finds
//!   is the first too, though the statement does not promise it.
//!
//! Two turns of *different* conversations with the same message id in one group: the first
//! applies and the second is a duplicate, in every writer.
//!
//! The contract test (`contract.rs`) drives the same turns through the transaction and the
//! backend's group writer and asserts they leave the same rows and outcomes.

mod postgres_group;
mod sqlite_group;
mod transaction;

#[cfg(test)]
mod contract;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::sealed::Owner;
use super::{
    Backend, NewTranscriptLine, SecretKind, Store, StoreError, TurnOutcome, TurnWrite, to_millis,
};

pub(super) use sqlite_group::GROUP_TABLE as SQLITE_GROUP_TABLE;

/// At most this many turns share one commit.
const MAX_GROUP: usize = 64;

/// One plain turn's values, serialized as one element of a group's JSON input
/// ([`group_input`]) under the names the group's queries read.
#[derive(Debug, Serialize)]
struct PlainTurn {
    #[serde(rename = "id")]
    conversation_id: i64,
    /// Milliseconds since the epoch.
    now: i64,
    #[serde(rename = "version")]
    expected_version: i64,
    flow: String,
    step: Option<String>,
    state: String,
    status: &'static str,
    #[serde(rename = "mid")]
    message_id: Option<String>,
    /// The transcript lines; at least one.
    lines: Vec<PlainLine>,
    /// See [`TurnWrite::no_notices_seen`].
    #[serde(rename = "no_notices")]
    no_notices_seen: bool,
    /// The conversation's secrets set in this turn, already sealed; often none.
    secrets: Vec<SealedSecret>,
}

/// A transcript line of a [`PlainTurn`].
#[derive(Debug, Serialize)]
struct PlainLine {
    who: &'static str,
    text: String,
    attachment: Option<String>,
    #[serde(rename = "mid")]
    platform_message_id: Option<String>,
}

/// A secret of a [`PlainTurn`], sealed, with its bytes in hex.
#[derive(Debug, Serialize)]
struct SealedSecret {
    kind: &'static str,
    nonce: String,
    sealed: String,
}

/// What became of a turn in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
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

/// The writer task's queue: plain turns wait here for their group.
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
            Backend::Sqlite => tokio::spawn(sqlite_group::run(pool, rx, log_too_long)),
            Backend::Postgres => tokio::spawn(postgres_group::run(pool, rx)),
        };
        Writer { jobs }
    }

    /// Writes `turn` in the next group.
    async fn write(&self, turn: PlainTurn) -> Result<Written, StoreError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Job { turn, done })
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
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

/// The group's turns as the JSON array a group's query reads (both databases): one object per
/// turn, with its place in the group.
fn group_input(turns: &[PlainTurn]) -> Result<String, sqlx::Error> {
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
    serde_json::to_string(&placed).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// A group's SQL (`sql`, from its `.sql` file) with the notices rule filled in at `now`, the
/// input's time column.
fn with_notices_rule(sql: &str, now: &str) -> String {
    sql.replace("{chat_notices_due}", &chat_notices_due(now))
}

impl Store {
    /// Writes one customer turn, all or nothing, as the module's contract says: the
    /// idempotency key, the new state (only if the conversation is still at
    /// `expected_version`), transcript lines, secrets, documents and tickets.
    ///
    /// [`TurnOutcome::Duplicate`] and [`TurnOutcome::Conflict`] write nothing. A conversation
    /// that does not exist is [`StoreError::ConversationNotFound`].
    ///
    /// Most turns only answer a question: key, state and transcript. Those take the plain path,
    /// one round trip for the writes ([`Store::apply_plain_turn`]).
    pub async fn apply_turn(&self, turn: TurnWrite) -> Result<TurnOutcome, StoreError> {
        if is_plain(&turn) {
            self.apply_plain_turn(turn).await
        } else {
            self.apply_in_transaction(turn).await
        }
    }

    /// A turn that writes only its key, state, transcript and secrets, in the writer's next
    /// group: one round trip and one commit shared with the turns of other customers that
    /// arrive meanwhile.
    async fn apply_plain_turn(&self, turn: TurnWrite) -> Result<TurnOutcome, StoreError> {
        let id = turn.conversation_id;
        let key = turn.incoming_message_id.clone();
        let version = turn.expected_version;
        let written = self.writer.write(self.plain(turn)).await?;
        self.group_outcome(id, key.as_deref(), version, written)
            .await
    }

    /// `turn` as the group writers take it, its secrets sealed.
    fn plain(&self, turn: TurnWrite) -> PlainTurn {
        PlainTurn {
            conversation_id: turn.conversation_id,
            now: to_millis(turn.now),
            expected_version: turn.expected_version,
            secrets: self.sealed(turn.conversation_id, &turn.secrets),
            flow: turn.flow,
            step: turn.step,
            state: turn.state,
            status: turn.status.as_str(),
            message_id: turn.incoming_message_id,
            lines: plain_lines(turn.transcript),
            no_notices_seen: turn.no_notices_seen,
        }
    }

    /// What a group's `written` means for the turn of conversation `id` with message id `key`
    /// at `version`.
    async fn group_outcome(
        &self,
        id: i64,
        key: Option<&str>,
        version: i64,
        written: Written,
    ) -> Result<TurnOutcome, StoreError> {
        match written {
            Written::Applied => Ok(TurnOutcome::Applied {
                version: version + 1,
            }),
            Written::NotApplied => self.not_applied(id, key).await,
            Written::Duplicate => Ok(TurnOutcome::Duplicate),
        }
    }

    /// The conversation's secrets sealed, as the group writer takes them.
    fn sealed(
        &self,
        conversation_id: i64,
        secrets: &[(SecretKind, SecretString)],
    ) -> Vec<SealedSecret> {
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        secrets
            .iter()
            .map(|(kind, value)| {
                let aad = Owner::Conversation(conversation_id).secret_aad(*kind);
                let (nonce, sealed) = self
                    .cipher
                    .seal(value.expose_secret().as_bytes(), aad.as_bytes());
                SealedSecret {
                    kind: kind.as_str(),
                    nonce: hex(&nonce),
                    sealed: hex(&sealed),
                }
            })
            .collect()
    }

    /// Why a turn's update matched no row: its message was handled meanwhile (a redelivery
    /// racing the first delivery), the conversation moved on, or it is gone.
    async fn not_applied(
        &self,
        conversation_id: i64,
        message_id: Option<&str>,
    ) -> Result<TurnOutcome, StoreError> {
        if let Some(message_id) = message_id {
            let seen = sqlx::query(
                "SELECT 1 AS seen FROM processed_messages WHERE message_id = $2 \
                 AND platform = (SELECT platform FROM conversations WHERE id = $1)",
            )
            .bind(conversation_id)
            .bind(message_id)
            .fetch_optional(&self.reader)
            .await?;
            if seen.is_some() {
                return Ok(TurnOutcome::Duplicate);
            }
        }
        match self.conversation(conversation_id).await? {
            Some(_) => Ok(TurnOutcome::Conflict),
            None => Err(StoreError::ConversationNotFound(conversation_id)),
        }
    }
}

/// Only key, state, transcript (at least one line) and the conversation's secrets to write.
fn is_plain(turn: &TurnWrite) -> bool {
    !turn.transcript.is_empty()
        && turn.clear_secrets.is_empty()
        && !turn.clear_uploads
        && turn.documents.is_empty()
        && turn.tickets.is_empty()
        && turn.resubmit.is_none()
        && turn.outbox.is_empty()
        && turn.delivered_outbox.is_empty()
        && turn.new_draft.is_none()
}

/// Whether chat notices for the customer of the `conversations` row in scope are due at
/// `now` (a parameter or column), as [`Store::pending_chat_notices`] counts them. The unary plus
/// keeps SQLite from searching `outbox_claimable` by time (every due notice of every customer)
/// instead of the customer's own.
fn chat_notices_due(now: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM outbox o WHERE o.channel = 'chat' \
         AND o.customer_platform = conversations.platform \
         AND o.customer_id = conversations.customer_id AND o.delivered_at IS NULL \
         AND +o.next_attempt_at <= {now})"
    )
}

/// The lines as the group writer takes them.
fn plain_lines(lines: Vec<NewTranscriptLine>) -> Vec<PlainLine> {
    lines
        .into_iter()
        .map(|line| PlainLine {
            who: line.who.as_str(),
            text: line.text,
            attachment: line.attachment,
            platform_message_id: line.platform_message_id,
        })
        .collect()
}
