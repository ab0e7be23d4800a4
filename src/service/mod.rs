//! One entry point per use case, shared by every adapter (the terminal and Discord).
//!
//! [`Service::turn`] (in `turn`) is a customer message: load the conversation, run the engine,
//! carry out its effects (secrets, documents, tickets with their LOA) and save it all in one
//! transaction, with optimistic locking and the incoming message id as idempotency key.
//! [`Service::chat_message`] (in `message`) is a message typed in a chat others may write in
//! too, as one call from one read: whose conversation it belongs to, a typed secret out of the
//! chat before the turn, then the turn. The adapters only turn platform events into
//! [`Input`](crate::conversation::Input)s and show the [`TurnResult`]; the service writes no
//! files.

mod access;
mod cache;
mod discord_support;
mod handoff;
mod limits;
mod message;
mod tickets;
mod turn;
mod views;

pub use access::Caller;
pub use discord_support::UploadCheck;
pub use handoff::{Started, Waiting};
pub use message::{Answer, ChatMessage};
pub use tickets::{AgentAction, WorkflowError};
pub use views::{Export, TicketList, TicketPage, TicketView};

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::config::Config;
use crate::conversation::script::Script;
use crate::conversation::{self, Engine, Flow, Reply, State};
use crate::loa;
use crate::notify::{self, Notice};
use crate::porting::{PortCalendar, PortRequest, dates};
use crate::secrets::{Cipher, KeySource};
use crate::store::{
    Conversation, ConversationStatus, Leftovers, NewConversation, NewOutboxItem, NewTranscriptLine,
    OutboxChannel, Rekeyed, Speaker, Store, StoreError, Ticket, TicketFilter, TicketLine,
    TicketStatus, TurnWrite,
};
use crate::template::fill;

/// Who is talking, and where.
#[derive(Debug, Clone)]
pub struct Customer {
    /// `console` or `discord`.
    pub platform: String,
    pub id: String,
    pub channel_id: Option<String>,
}

impl Customer {
    pub fn console(id: &str) -> Customer {
        Customer {
            platform: "console".into(),
            id: id.into(),
            channel_id: None,
        }
    }

    /// The signer id recorded on an LOA, e.g. `console:alice`.
    pub fn signer_id(&self) -> String {
        format!("{}:{}", self.platform, self.id)
    }
}

/// A ticket created (or signed again) in this turn, as adapters show it.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedTicket {
    pub number: String,
    pub kind: &'static str,
    pub numbers: Vec<String>,
    pub status: &'static str,
    /// Where the terminal keeps a copy of the LOA; the replies name it.
    pub loa_path: String,
    /// The signed LOA, as the ticket stores it.
    #[serde(skip)]
    pub loa: Vec<u8>,
}

impl CreatedTicket {
    /// A submitted ticket for `request` with its signed `loa`, named by `loa_path`.
    fn new(number: &str, request: &PortRequest, loa_path: PathBuf, loa: Vec<u8>) -> CreatedTicket {
        CreatedTicket {
            number: number.to_string(),
            kind: request.kind.as_str(),
            numbers: request
                .numbers
                .iter()
                .map(|n| n.e164().to_string())
                .collect(),
            status: TicketStatus::Submitted.as_str(),
            loa_path: loa_path.display().to_string(),
            loa,
        }
    }
}

/// What a customer message did, with what an adapter needs to show it (no second look-up).
#[derive(Debug, Default)]
pub struct TurnResult {
    pub replies: Vec<Reply>,
    pub tickets: Vec<CreatedTicket>,
    /// The conversation the replies belong to, while it stays open.
    pub conversation: Option<i64>,
    /// When the replies show the summary: the answers the customer can change from it, as
    /// (step, label) in flow order.
    pub editable: Vec<(String, String)>,
    /// The message id was seen before: nothing was done again.
    pub duplicate: bool,
    /// The message held a secret (a PIN typed where it was not asked, for example): it is
    /// hidden in the transcript, and an adapter should take it out of the chat.
    pub redacted: bool,
    /// Refused by the per-minute message limit: nothing of it was kept.
    pub limited: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("the saved conversation {id} cannot be read: {reason}")]
    CorruptState { id: i64, reason: String },
    #[error("could not render the LOA: {0}")]
    Loa(#[from] loa::LoaError),
    #[error("could not build the port request: {0}")]
    Request(String),
    #[error("could not write {path}: {source}")]
    WriteFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the conversation kept changing under us; gave up after {0} tries")]
    TooManyConflicts(u32),
    #[error("ticket {0} cannot be resubmitted: it is no longer waiting for a fix")]
    NotAwaitingFix(String),
    #[error(
        "the database did not answer within {0} s (PORTBOT_DB_TIMEOUT_SECS); it is slow or unreachable"
    )]
    TimedOut(u64),
}

impl ServiceError {
    /// The database is away or too slow: nothing was lost, and trying again later may work.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ServiceError::Store(_) | ServiceError::TimedOut(_))
    }
}

/// The words the service speaks with: the conversation script's, the LOA's and the
/// notifications', each checked by its owner; [`crate::prompts`] loads them.
#[derive(Debug)]
pub struct Words {
    pub script: Script,
    pub loa: loa::LoaWording,
    pub notifications: notify::NotificationWording,
}

pub struct Service {
    config: Config,
    prompts: Words,
    store: Store,
    calendar: PortCalendar,
    limiter: limits::MessageLimiter,
    /// Open conversations as this process last wrote them; see [`cache`].
    cache: cache::ConversationCache,
}

/// Tickets `/port status` (and "status" in a chat) lists: the customer's newest.
pub const STATUS_TICKETS: u32 = 10;

impl Service {
    /// Opens the key and the database, applying migrations; speaks with `prompts`, the words
    /// [`crate::prompts`] loaded.
    pub async fn start(config: Config, prompts: Words) -> anyhow::Result<Service> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the data folder {}: {e}",
                config.data_dir.display()
            )
        })?;
        let (cipher, source) =
            Cipher::load_or_create(config.secret_key.as_ref(), &config.data_dir)?;
        if let Some(warning) = config
            .smtp_url
            .as_ref()
            .and_then(|url| notify::mail::url_warning(url.expose_secret()))
        {
            tracing::warn!("{warning}");
        }
        if let KeySource::File = source
            && let Some(warning) = crate::secrets::key_file_warning(&config.data_dir)
        {
            tracing::warn!("{warning}");
        }
        if config.provider_is_placeholder {
            tracing::warn!(
                "PORTBOT_PROVIDER_NAME is not set; LOAs show placeholder provider details"
            );
        }
        let key_file = config.data_dir.join("secret.key");
        let store = match Store::connect(&config.database_url, cipher).await {
            Err(StoreError::WrongKey) if matches!(source, KeySource::Generated) => {
                // The database was written with a key that is gone: a new one must not stay
                // beside it, to be taken for the lost one (or overwritten by its restore).
                if let Err(error) = std::fs::remove_file(&key_file) {
                    tracing::warn!(%error, "could not remove the key just generated");
                }
                return Err(StoreError::WrongKey.into());
            }
            connected => connected?,
        };
        if let KeySource::Generated = source {
            tracing::warn!(
                "generated a new encryption key in {}; keep it safe, and set PORTBOT_SECRET_KEY when running more than one process",
                key_file.display()
            );
        }
        Ok(Service::on_store(config, prompts, store))
    }

    /// The service on a store already connected (`start` connects it).
    fn on_store(config: Config, prompts: Words, store: Store) -> Service {
        let calendar = config.calendar();
        let limiter = limits::MessageLimiter::new(config.max_messages_per_minute);
        Service {
            config,
            prompts,
            store,
            calendar,
            limiter,
            cache: cache::ConversationCache::default(),
        }
    }

    /// The notification loops on this service's store, words and settings (`portbot worker`,
    /// and the Discord bot's own notices).
    pub fn worker(
        &self,
    ) -> Result<crate::notify::worker::Worker<'_>, crate::notify::mail::MailSetupError> {
        let settings = self.config.worker_settings();
        crate::notify::worker::Worker::new(&self.store, &self.prompts.notifications, &settings)
    }

    pub fn engine(&self) -> Engine<'_> {
        Engine {
            prompts: &self.prompts.script,
            calendar: &self.calendar,
            rules: self.config.port_date_rules,
            max_upload_bytes: self.config.max_upload_bytes,
            provider_name: &self.config.provider.name,
            unprintable: loa::unprintable,
        }
    }

    /// `work`, or [`ServiceError::TimedOut`] when the database keeps it waiting longer than
    /// `PORTBOT_DB_TIMEOUT_SECS`: a slow database gets the customer an answer, never a hang. A
    /// turn cut off this way is rolled back unless its commit had already reached the database.
    async fn within<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ServiceError>>,
    ) -> Result<T, ServiceError> {
        let limit = self.config.db_timeout;
        tokio::time::timeout(limit, work)
            .await
            .unwrap_or(Err(ServiceError::TimedOut(limit.as_secs())))
    }

    /// The settings it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The words it speaks with (the adapters render them).
    pub fn words(&self) -> &Words {
        &self.prompts
    }

    /// Whether another process can stand by beside this one (PostgreSQL); a SQLite database
    /// serves one process that holds a lease.
    pub fn allows_standby(&self) -> bool {
        self.store.backend() == crate::store::Backend::Postgres
    }

    /// What a person is told when their request failed, for every adapter, in the words of
    /// `prompts/`: the database is away (their answers are safe, try again), or something else
    /// broke. The cause goes to the log, never to the person.
    pub fn sorry(&self, error: &ServiceError) -> &str {
        tracing::error!(%error, "request failed");
        let messages = &self.prompts.script.common.messages;
        if error.is_unavailable() {
            &messages.store_unavailable
        } else {
            &messages.internal_error
        }
    }

    /// A conversation by its id.
    pub async fn conversation(&self, id: i64) -> Result<Option<Conversation>, ServiceError> {
        Ok(self.store.conversation(id).await?)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.config.now()
    }

    /// Opens the customer's conversation: resumes a saved one (repeating the pending question)
    /// or starts a new one with the greeting.
    pub async fn open(&self, customer: &Customer) -> Result<Vec<Reply>, ServiceError> {
        self.within(self.open_unlimited(customer)).await
    }

    async fn open_unlimited(&self, customer: &Customer) -> Result<Vec<Reply>, ServiceError> {
        let engine = self.engine();
        let mut replies = self.deliver_chat_notices(customer).await?;
        if let Some(conversation) = self
            .store
            .open_conversation(&customer.platform, &customer.id)
            .await?
        {
            let state = parse_state(conversation.id, &conversation.state)?;
            if replies.is_empty() {
                replies.extend(engine.resume(&state, self.now()));
            } else {
                // The notices already say what happened; just ask.
                let today = crate::conversation::today(self.now());
                replies.extend(engine.pending_question(&state, today));
            }
            return Ok(replies);
        }
        if let Some(refusal) = self.conversation_limit(customer, self.now()).await? {
            replies.push(refusal);
            return Ok(replies);
        }
        let (state, greeting) = engine.start();
        self.store
            .create_conversation(new_conversation(customer, &state, self.now()))
            .await?;
        replies.extend(greeting);
        Ok(replies)
    }

    /// Updates for the customer that are waiting in the outbox, shown now and marked delivered.
    async fn deliver_chat_notices(&self, customer: &Customer) -> Result<Vec<Reply>, ServiceError> {
        let notices = self
            .store
            .pending_chat_notices(&customer.platform, &customer.id, self.now())
            .await?;
        let mut replies = Vec::new();
        for notice in notices {
            // One a platform's deliverer posted meanwhile is not shown again.
            if self.store.take_outbox(notice.id, self.now()).await? {
                replies.push(Reply::say(notice.item.body));
            }
        }
        Ok(replies)
    }

    /// The outbox items for a notice, without the chat message when the customer is told in
    /// the chat right now anyway.
    fn notices(&self, notice: &Notice, skip_chat: bool) -> Vec<NewOutboxItem> {
        notify::compose(notice, &self.prompts.notifications)
            .into_iter()
            .filter(|item| !(skip_chat && item.channel == OutboxChannel::Chat))
            .collect()
    }

    /// Deletes bill and CSR uploads of tickets finished before [`Self::retention_cutoff`], and
    /// every upload left on a cancelled conversation.
    pub async fn apply_retention(&self) -> Result<Vec<(String, i64)>, ServiceError> {
        let cutoff = self.retention_cutoff();
        let now = self.now();
        // The store deletes a batch a call (the worker takes one a pass); here, all of them.
        let mut purged = Vec::new();
        loop {
            let batch = self
                .store
                .purge_uploads(cutoff, now, Leftovers::All)
                .await?;
            if batch.is_empty() {
                return Ok(purged);
            }
            purged.extend(batch);
        }
    }

    /// The start of the retention period: personal data from before it goes.
    pub fn retention_cutoff(&self) -> DateTime<Utc> {
        self.now() - chrono::Duration::days(i64::from(self.config.retention_days))
    }

    /// The folder where the terminal keeps copies of the LOAs its replies name.
    pub fn loa_dir(&self) -> PathBuf {
        self.config.data_dir.join("loa")
    }

    /// Where the terminal keeps a copy of a ticket's LOA version for the customer.
    fn loa_path(&self, number: &str, version: u32) -> PathBuf {
        self.loa_dir().join(format!("{number}-v{version}.pdf"))
    }

    /// The customer's own tickets, one line each.
    async fn customer_tickets(&self, customer: &Customer) -> Result<Vec<Ticket>, ServiceError> {
        Ok(self
            .store
            .list_tickets(&TicketFilter {
                customer: Some((customer.platform.clone(), customer.id.clone())),
                ..TicketFilter::default()
            })
            .await?)
    }

    /// The customer's newest [`STATUS_TICKETS`] tickets, and a line saying older ones are not
    /// shown when there are.
    pub async fn status_replies(&self, customer: &Customer) -> Result<Vec<Reply>, ServiceError> {
        // One more than shown, to know whether there are older ones.
        let mut tickets = self
            .store
            .ticket_lines(&customer.platform, &customer.id, STATUS_TICKETS + 1)
            .await?;
        if tickets.is_empty() {
            return Ok(vec![Reply::say(
                &self.prompts.script.common.messages.status_no_tickets,
            )]);
        }
        let older = tickets.len() > STATUS_TICKETS as usize;
        tickets.truncate(STATUS_TICKETS as usize);
        let mut lines: Vec<String> = tickets.iter().map(|t| self.ticket_line(t)).collect();
        if older {
            lines.push(
                self.prompts
                    .script
                    .common
                    .messages
                    .status_older_tickets
                    .clone(),
            );
        }
        Ok(vec![Reply::say(lines.join("\n"))])
    }

    fn ticket_line(&self, ticket: &TicketLine) -> String {
        fill(
            &self.prompts.script.common.messages.status_ticket,
            &[
                ("number", ticket.number.clone()),
                ("kind", kind_label(ticket.kind.as_str()).into()),
                ("status", ticket.status.as_str().replace('_', " ")),
                (
                    "numbers",
                    conversation::validators::join_national(&ticket.numbers),
                ),
                (
                    "date",
                    dates::format_long(ticket.confirmed_foc.unwrap_or(ticket.requested_port_date)),
                ),
            ],
        )
    }

    /// Re-encrypts every secret and document with `new`, in one transaction (`portbot rekey`).
    pub async fn rekey(&self, new: &Cipher) -> Result<Rekeyed, ServiceError> {
        Ok(self.store.rekey(new).await?)
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "toll_free" => "toll-free",
        _ => "local",
    }
}

fn parse_state(id: i64, json: &str) -> Result<State, ServiceError> {
    State::from_json(json).map_err(|e| ServiceError::CorruptState {
        id,
        reason: e.to_string(),
    })
}

fn new_conversation(customer: &Customer, state: &State, now: DateTime<Utc>) -> NewConversation {
    NewConversation {
        platform: customer.platform.clone(),
        channel_id: customer.channel_id.clone(),
        customer_id: customer.id.clone(),
        flow: flow_name(state.flow).into(),
        step: state.step.clone(),
        state: state.to_json(),
        now,
    }
}

fn flow_name(flow: Flow) -> &'static str {
    match flow {
        Flow::Menu => "menu",
        Flow::PortIn => "port_in",
        Flow::Done => "done",
        Flow::Cancelled => "cancelled",
    }
}

fn status_of(state: &State) -> ConversationStatus {
    match state.flow {
        Flow::Done => ConversationStatus::Finished,
        Flow::Cancelled => ConversationStatus::Cancelled,
        _ if state.paused => ConversationStatus::PausedForAgent,
        _ => ConversationStatus::Active,
    }
}

/// The one place a turn's write is built: on `conversation` as it was read (its version is
/// the lock), with the `state` the turn leaves (`None`: unchanged) and its first transcript
/// line; callers add what else their turn writes.
fn turn_write(
    conversation: &Conversation,
    state: Option<&State>,
    line: NewTranscriptLine,
    now: DateTime<Utc>,
) -> TurnWrite {
    let mut write = TurnWrite::new(conversation, now);
    if let Some(state) = state {
        write.flow = flow_name(state.flow).into();
        write.step = state.step.clone();
        write.state = state.to_json();
        write.status = status_of(state);
    }
    write.transcript.push(line);
    write
}

/// A line an agent wrote, or an agent's action (`[agent: paused]`), as the transcript keeps it.
fn agent_line(text: String, message_id: Option<String>) -> NewTranscriptLine {
    NewTranscriptLine {
        who: Speaker::Agent,
        text,
        attachment: None,
        platform_message_id: message_id,
    }
}
