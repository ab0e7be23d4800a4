//! One entry point per use case, shared by every adapter (terminal now, Discord later).
//!
//! [`Service::turn`] is a customer message: load the conversation, run the engine, carry out its
//! effects (secrets, documents, tickets with their LOA) and save it all in one transaction, with
//! optimistic locking and the incoming message id as idempotency key. The adapters only turn
//! platform events into [`Input`]s and print the [`Reply`]s.

mod access;
mod cache;
mod discord_support;
mod handoff;
mod limits;
mod tickets;
mod views;

pub use access::Caller;
pub use discord_support::UploadCheck;
pub use handoff::{Started, Waiting};
pub use tickets::{AgentAction, WorkflowError};
pub use views::{Export, TicketList, TicketPage, TicketView};

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::config::Config;
use crate::conversation::{self, Effect, Engine, Flow, Input, Reply, State, TicketRequestKind};
use crate::loa;
use crate::notify::{self, Notice, NoticeKind};
use crate::porting::{PortCalendar, PortRequest, SignatureRecord, dates};
use crate::prompts::{Prompts, fill};
use crate::secrets::{Cipher, KeySource};
use crate::store::{
    Conversation, ConversationStatus, CreateIfNone, DocumentKind, NewConversation, NewDocument,
    NewOutboxItem, NewTicket, NewTranscriptLine, OutboxChannel, Rekeyed, Resubmission, SecretKind,
    Speaker, Store, StoreError, Ticket, TicketChange, TicketFilter, TicketStatus, TurnOutcome,
    TurnWrite, Visibility,
};

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

/// A ticket created in this turn, as adapters show it.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedTicket {
    pub number: String,
    pub kind: &'static str,
    pub numbers: Vec<String>,
    pub status: &'static str,
    pub loa_path: String,
}

impl CreatedTicket {
    /// A submitted ticket for `request`, with its LOA written at `loa_path`.
    fn new(number: &str, request: &PortRequest, loa_path: PathBuf) -> CreatedTicket {
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
        }
    }
}

#[derive(Debug, Default)]
pub struct TurnResult {
    pub replies: Vec<Reply>,
    pub tickets: Vec<CreatedTicket>,
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

pub struct Service {
    pub config: Config,
    pub prompts: Prompts,
    pub store: Store,
    calendar: PortCalendar,
    limiter: limits::MessageLimiter,
    /// Open conversations as this process last wrote them; see [`cache`].
    cache: cache::ConversationCache,
    /// Whether signed LOAs are also written into `$PORTBOT_DATA_DIR/loa/`: the terminal chat
    /// names its LOA by that path; Discord attaches the document from the database instead.
    loa_copies: bool,
}

const MAX_TRIES: u32 = 8;

/// Tickets `/port status` (and "status" in a chat) lists: the customer's newest.
pub const STATUS_TICKETS: u32 = 10;

impl Service {
    /// Loads the words, the key and the database, applying migrations.
    pub async fn start(config: Config) -> anyhow::Result<Service> {
        let prompts = Prompts::load(config.prompts_dir.as_deref())?;
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
        let calendar = config.calendar();
        let limiter = limits::MessageLimiter::new(config.max_messages_per_minute);
        Ok(Service {
            config,
            prompts,
            store,
            calendar,
            limiter,
            cache: cache::ConversationCache::default(),
            loa_copies: false,
        })
    }

    /// Writes each signed LOA into `$PORTBOT_DATA_DIR/loa/` as well (owner-only), for the
    /// terminal chat, which shows the customer that path.
    /// The notification loops on this service's store, words and settings (`portbot worker`,
    /// and the Discord bot's own notices).
    pub fn worker(&self) -> Result<crate::notify::worker::Worker<'_>, String> {
        let settings = self.config.worker_settings();
        crate::notify::worker::Worker::new(&self.store, &self.prompts.notifications, &settings)
    }

    pub fn keep_loa_copies(&mut self) {
        self.loa_copies = true;
    }

    pub fn engine(&self) -> Engine<'_> {
        Engine {
            prompts: &self.prompts,
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
    pub async fn within<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ServiceError>>,
    ) -> Result<T, ServiceError> {
        let limit = self.config.db_timeout;
        tokio::time::timeout(limit, work)
            .await
            .unwrap_or(Err(ServiceError::TimedOut(limit.as_secs())))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.config.now()
    }

    /// Opens the customer's conversation: resumes a saved one (repeating the pending question)
    /// or starts a new one with the greeting.
    pub async fn open(&self, customer: &Customer) -> Result<Vec<Reply>, ServiceError> {
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

    /// One customer message. `message_id` is the platform's id for it: a message seen before is
    /// not handled twice.
    pub async fn turn(
        &self,
        customer: &Customer,
        message_id: Option<String>,
        input: Input,
    ) -> Result<TurnResult, ServiceError> {
        if let Some(refusal) = self.message_limit(customer) {
            return Ok(TurnResult {
                replies: refusal,
                limited: true,
                ..TurnResult::default()
            });
        }
        let engine = self.engine();
        // The first try trusts the cached conversation, if any; a conflict means it was stale,
        // and every later try reads the database.
        let mut cached = self.cache.take(&customer.platform, &customer.id);
        for _ in 0..MAX_TRIES {
            let now = self.now();
            let from_cache = cached.is_some();
            let (conversation, state, has_notices, mut greeting) = match cached.take() {
                Some(c) => (c.conversation, c.state, false, Vec::new()),
                None => {
                    // A new customer's conversation is started by the lookup itself, when the
                    // message is new and under the day's limit.
                    let (state, mut greeting) = engine.start();
                    // The engine answers with the menu itself; only the hello goes first.
                    greeting.truncate(1);
                    let lookup = self
                        .store
                        .lookup_for_turn(
                            &customer.platform,
                            &customer.id,
                            message_id.as_deref(),
                            now - limits::DAY,
                            Some(CreateIfNone {
                                new: new_conversation(customer, &state, now),
                                max_per_day: self.config.max_conversations_per_day,
                            }),
                        )
                        .await?;
                    let has_notices = lookup.has_notices;
                    let (conversation, state, greeting) = match lookup.open {
                        Some(c) if lookup.created => (c, state, greeting),
                        Some(c) => {
                            let parsed = parse_state(c.id, &c.state)?;
                            (c, parsed, Vec::new())
                        }
                        None => {
                            // A replay of a message that finished the last conversation must
                            // not start an empty new one (the key is only checked when the
                            // turn is written).
                            if lookup.message_seen {
                                return Ok(TurnResult {
                                    duplicate: true,
                                    ..TurnResult::default()
                                });
                            }
                            // The lookup starts a conversation unless the message was seen
                            // or the day's limit is reached.
                            return Ok(TurnResult {
                                replies: vec![self.too_many_conversations(
                                    customer,
                                    lookup.oldest_since,
                                    now,
                                )],
                                ..TurnResult::default()
                            });
                        }
                    };
                    (conversation, state, has_notices, greeting)
                }
            };
            // Only a file turn keeps the state from before, to ask again if the file is refused.
            let before = matches!(input, Input::File { .. }).then(|| state.clone());
            let fresh =
                (state.flow == Flow::Menu && state.answers.is_empty()).then(|| state.clone());
            let mut turn = engine.step(state, input.clone(), now);
            // "cancel" or "I typed my email wrong" from a customer with nothing submitted is
            // about this conversation, not a request (only the store knows which it is).
            if let Some(fresh) = fresh
                && turn.effects.iter().any(|e| {
                    matches!(
                        e,
                        Effect::TicketRequest {
                            kind: TicketRequestKind::Cancel | TicketRequestKind::Correct,
                            ticket: None,
                            ..
                        }
                    )
                })
                && !self
                    .customer_tickets(customer)
                    .await?
                    .iter()
                    .any(|t| !t.status.is_final())
            {
                turn = engine.step_without_tickets(fresh, input.clone(), now);
            }
            let redact_input = turn.redact_input;
            // A customer back to ask about their requests gets the answer, not the hello.
            if turn
                .effects
                .iter()
                .any(|e| matches!(e, Effect::ShowStatus | Effect::TicketRequest { .. }))
            {
                greeting.clear();
            }
            let uploads = turn
                .effects
                .iter()
                .filter(|e| matches!(e, Effect::StoreDocument { .. }))
                .count();
            if let Some(before) = before.filter(|_| uploads > 0)
                && let Some(replies) = self
                    .upload_limit(conversation.id, uploads, &before, now)
                    .await?
            {
                return Ok(TurnResult {
                    replies,
                    ..TurnResult::default()
                });
            }
            let notices = if has_notices {
                self.store
                    .pending_chat_notices(&customer.platform, &customer.id, now)
                    .await?
            } else {
                Vec::new()
            };

            let mut write = TurnWrite {
                conversation_id: conversation.id,
                expected_version: conversation.version,
                flow: flow_name(turn.state.flow).into(),
                step: turn.state.step.clone(),
                state: turn.state.to_json(),
                status: status_of(&turn.state),
                incoming_message_id: message_id.clone(),
                transcript: vec![customer_line(&input, turn.redact_input, message_id.clone())],
                delivered_outbox: notices.iter().map(|n| n.id).collect(),
                no_notices_seen: from_cache,
                ..TurnWrite::new(&conversation, now)
            };
            let mut before = Vec::new();
            let mut after = Vec::new();
            let mut created = Vec::new();
            let mut requests = Vec::new();
            for effect in turn.effects {
                match effect {
                    Effect::StoreSecret { step, value } => {
                        write.secrets.push((secret_kind(&step), value));
                    }
                    Effect::ClearSecrets => {
                        write.clear_secrets = vec![SecretKind::Pin, SecretKind::AccountNumber];
                        write.clear_uploads = true;
                    }
                    Effect::StoreDocument {
                        step,
                        file_name,
                        content_type,
                        bytes,
                    } => write.documents.push(NewDocument {
                        kind: if step == "csr" {
                            DocumentKind::Csr
                        } else {
                            DocumentKind::Bill
                        },
                        file_name,
                        content_type,
                        bytes,
                    }),
                    Effect::CreateTickets { signer_name } => {
                        let (tickets, replies) = self
                            .tickets_from(
                                &turn.state,
                                &write,
                                conversation.id,
                                customer,
                                &signer_name,
                                now,
                            )
                            .await?;
                        after.extend(replies);
                        for (ticket, shown) in tickets {
                            write.outbox.extend(self.notices(
                                &submitted_notice(
                                    &ticket.number,
                                    &ticket.request,
                                    conversation.id,
                                    customer,
                                ),
                                true,
                            ));
                            created.push((ticket.loa_pdf.clone(), shown));
                            write.tickets.push(ticket);
                        }
                    }
                    Effect::Resubmit {
                        ticket,
                        signer_name,
                    } => {
                        let (fix, shown, replies) = self
                            .resubmission(
                                &turn.state,
                                &write,
                                conversation.id,
                                customer,
                                &ticket,
                                signer_name,
                                now,
                            )
                            .await?;
                        write.outbox.extend(self.notices(
                            &submitted_notice(&fix.number, &fix.request, conversation.id, customer),
                            true,
                        ));
                        after.extend(replies);
                        if let (Some((_, pdf)), Some(shown)) = (&fix.signed, shown) {
                            created.push((pdf.clone(), shown));
                        }
                        write.resubmit = Some(fix);
                    }
                    Effect::Handoff { summary } => {
                        // Agents get the summary, so nobody asks the customer again.
                        tracing::info!(
                            conversation = conversation.id,
                            "customer asked for an agent"
                        );
                        write.outbox.extend(self.notices(
                            &Notice {
                                kind: NoticeKind::Handoff,
                                ticket_number: None,
                                conversation_id: Some(conversation.id),
                                customer_platform: customer.platform.clone(),
                                customer_id: customer.id.clone(),
                                email: None,
                                values: vec![
                                    ("summary", summary),
                                    ("customer", customer.signer_id()),
                                    ("conversation", conversation.id.to_string()),
                                ],
                            },
                            false,
                        ));
                    }
                    Effect::ShowStatus => {
                        before.extend(self.status_replies(customer).await?);
                    }
                    Effect::TicketRequest {
                        kind,
                        ticket,
                        words,
                    } => {
                        let (reply, asked) = self
                            .customer_request(customer, conversation.id, kind, ticket, words)
                            .await?;
                        before.push(reply);
                        requests.extend(asked);
                    }
                }
            }
            // Ticket status goes right before the question the customer should answer next.
            let mut replies: Vec<Reply> = notices
                .into_iter()
                .map(|n| Reply::say(n.item.body))
                .collect();
            replies.append(&mut greeting);
            let mut engine_replies = turn.replies;
            let pending = engine_replies.pop();
            replies.extend(engine_replies);
            replies.extend(before);
            replies.extend(pending);
            replies.extend(after);
            write
                .transcript
                .extend(replies.iter().map(|r| NewTranscriptLine {
                    who: Speaker::Bot,
                    text: r.text.clone(),
                    attachment: None,
                    platform_message_id: None,
                }));

            let written = Conversation {
                flow: write.flow.clone(),
                step: write.step.clone(),
                status: write.status,
                updated_at: now,
                state: String::new(),
                ..conversation
            };
            let outcome = self.store.apply_turn(write).await;
            if !matches!(outcome, Ok(TurnOutcome::Applied { .. })) {
                self.cache.forget(&customer.platform, &customer.id);
            }
            match outcome? {
                TurnOutcome::Applied { version } => {
                    self.cache
                        .put(Conversation { version, ..written }, turn.state);
                    // The customer's own request on a ticket: recorded (audited) with the
                    // agents' notice once the turn that answered it is saved.
                    for change in requests {
                        self.store.change_ticket(change).await?;
                    }
                    let mut tickets = Vec::new();
                    for (pdf, shown) in created {
                        if self.loa_copies {
                            write_loa_copy(Path::new(&shown.loa_path), &pdf)?;
                        }
                        tickets.push(shown);
                    }
                    return Ok(TurnResult {
                        replies,
                        tickets,
                        redacted: redact_input,
                        ..TurnResult::default()
                    });
                }
                TurnOutcome::Duplicate => {
                    return Ok(TurnResult {
                        duplicate: true,
                        ..TurnResult::default()
                    });
                }
                TurnOutcome::Conflict => continue,
            }
        }
        Err(ServiceError::TooManyConflicts(MAX_TRIES))
    }

    /// Builds, signs and renders one ticket per request kind.
    async fn tickets_from(
        &self,
        state: &State,
        write: &TurnWrite,
        conversation_id: i64,
        customer: &Customer,
        signer_name: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vec<(NewTicket, CreatedTicket)>, Vec<Reply>), ServiceError> {
        let account_number = self
            .latest_secret(write, conversation_id, SecretKind::AccountNumber)
            .await?;
        let pin = self
            .latest_secret(write, conversation_id, SecretKind::Pin)
            .await?;
        let requests = conversation::build_requests(
            state,
            account_number
                .as_ref()
                .map(|s| s.expose_secret().to_string()),
        )
        .map_err(ServiceError::Request)?;
        let mut tickets = Vec::new();
        let mut replies = vec![Reply::say(self.prompts.message("submitted"))];
        let mut draft_number = state.draft.clone();
        for request in requests {
            let number = match draft_number.take() {
                Some(number) => number,
                None => self.store.next_ticket_number().await?,
            };
            let signature = SignatureRecord::sign(
                &request,
                signer_name,
                &customer.signer_id(),
                now,
                &number,
                1,
            );
            let pdf = loa::render(
                &request,
                &signature,
                &self.config.provider,
                &self.prompts.loa,
            )?;
            let shown = CreatedTicket::new(&number, &request, self.loa_path(&number, 1));
            replies.push(Reply::say(fill(
                self.prompts.message("submitted_ticket"),
                &[
                    ("number", number.clone()),
                    ("kind", kind_label(request.kind.as_str()).into()),
                    (
                        "numbers",
                        conversation::validators::join_national(&request.numbers),
                    ),
                    ("loa_path", shown.loa_path.clone()),
                ],
            )));
            tickets.push((
                NewTicket {
                    number,
                    request,
                    signature,
                    pin: pin.clone(),
                    loa_pdf: pdf,
                    status: TicketStatus::Submitted,
                },
                shown,
            ));
        }
        replies.push(Reply::say(self.engine().next_steps()));
        Ok((tickets, replies))
    }

    /// The fixed request for a rejected ticket: rebuilt from the answers, and signed again (a
    /// new LOA version) when the customer signed in this turn.
    #[allow(clippy::too_many_arguments)]
    async fn resubmission(
        &self,
        state: &State,
        write: &TurnWrite,
        conversation_id: i64,
        customer: &Customer,
        number: &str,
        signer_name: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Resubmission, Option<CreatedTicket>, Vec<Reply>), ServiceError> {
        let ticket = self
            .store
            .ticket(number)
            .await?
            .filter(|t| t.status == TicketStatus::NeedsInfo)
            .ok_or_else(|| ServiceError::NotAwaitingFix(number.to_string()))?;
        let account_number = self
            .latest_secret(write, conversation_id, SecretKind::AccountNumber)
            .await?;
        let pin = self
            .latest_secret(write, conversation_id, SecretKind::Pin)
            .await?;
        let request = conversation::build_requests(
            state,
            account_number
                .as_ref()
                .map(|s| s.expose_secret().to_string()),
        )
        .map_err(ServiceError::Request)?
        .into_iter()
        .find(|r| r.kind == ticket.request.kind)
        .ok_or_else(|| {
            ServiceError::Request(format!(
                "the fixed numbers hold no {} numbers for ticket {number}",
                ticket.request.kind.as_str()
            ))
        })?;
        let mut replies = Vec::new();
        let (signed, shown) = match signer_name {
            Some(name) => {
                let version = ticket.loa_version + 1;
                let signature = SignatureRecord::sign(
                    &request,
                    &name,
                    &customer.signer_id(),
                    now,
                    &ticket.number,
                    version,
                );
                let pdf = loa::render(
                    &request,
                    &signature,
                    &self.config.provider,
                    &self.prompts.loa,
                )?;
                let shown = CreatedTicket::new(
                    &ticket.number,
                    &request,
                    self.loa_path(&ticket.number, version),
                );
                replies.push(Reply::say(fill(
                    self.prompts.message("resubmitted"),
                    &[
                        ("number", ticket.number.clone()),
                        ("version", version.to_string()),
                        ("loa_path", shown.loa_path.clone()),
                    ],
                )));
                (Some((signature, pdf)), Some(shown))
            }
            None => (None, None),
        };
        Ok((
            Resubmission {
                number: ticket.number,
                request,
                signed,
                pin,
                actor: customer.signer_id(),
            },
            shown,
            replies,
        ))
    }

    /// A secret given in this turn, or else the one stored for the conversation.
    async fn latest_secret(
        &self,
        write: &TurnWrite,
        conversation_id: i64,
        kind: SecretKind,
    ) -> Result<Option<secrecy::SecretString>, ServiceError> {
        if let Some((_, value)) = write.secrets.iter().rev().find(|(k, _)| *k == kind) {
            return Ok(Some(value.clone()));
        }
        Ok(self
            .store
            .conversation_secret(conversation_id, kind)
            .await?)
    }

    /// Deletes bill and CSR uploads of tickets finished longer ago than the retention period,
    /// and LOA copies the terminal chat wrote longer ago than that (the LOAs stay in the
    /// database).
    pub async fn apply_retention(&self) -> Result<Vec<(String, i64)>, ServiceError> {
        let now = self.now();
        let cutoff = now - chrono::Duration::days(i64::from(self.config.retention_days));
        self.prune_loa_copies(cutoff)?;
        // The store deletes a batch a call (the worker takes one a pass); here, all of them.
        let mut purged = Vec::new();
        loop {
            let batch = self.store.purge_uploads(cutoff, now).await?;
            if batch.is_empty() {
                return Ok(purged);
            }
            purged.extend(batch);
        }
    }

    fn prune_loa_copies(&self, cutoff: DateTime<Utc>) -> Result<(), ServiceError> {
        let dir = self.config.data_dir.join("loa");
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ServiceError::WriteFile { path, source }
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(err(&dir)(e)),
        };
        for entry in entries {
            let path = entry.map_err(err(&dir))?.path();
            let written: DateTime<Utc> = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .map_err(err(&path))?
                .into();
            if written < cutoff {
                std::fs::remove_file(&path).map_err(err(&path))?;
            }
        }
        Ok(())
    }

    /// Where a ticket's LOA version is written for the customer.
    fn loa_path(&self, number: &str, version: u32) -> PathBuf {
        self.config
            .data_dir
            .join("loa")
            .join(format!("{number}-v{version}.pdf"))
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
        let mut tickets = self
            .store
            .list_tickets(&TicketFilter {
                customer: Some((customer.platform.clone(), customer.id.clone())),
                // One more than shown, to know whether there are older ones.
                limit: Some(STATUS_TICKETS + 1),
                ..TicketFilter::default()
            })
            .await?;
        if tickets.is_empty() {
            return Ok(vec![Reply::say(self.prompts.message("status_no_tickets"))]);
        }
        let older = tickets.len() > STATUS_TICKETS as usize;
        tickets.truncate(STATUS_TICKETS as usize);
        let mut lines: Vec<String> = tickets.iter().map(|t| self.ticket_line(t)).collect();
        if older {
            lines.push(self.prompts.message("status_older_tickets").to_string());
        }
        Ok(vec![Reply::say(lines.join("\n"))])
    }

    /// A submitted customer's wish to cancel a request or change its date: a note on each of
    /// their open tickets (the one they named, else those of this conversation) with a notice to
    /// the agents. Only an agent changes the ticket. Returns what to tell the customer and the
    /// changes to record once the turn is saved.
    async fn customer_request(
        &self,
        customer: &Customer,
        conversation_id: i64,
        kind: TicketRequestKind,
        named: Option<String>,
        words: String,
    ) -> Result<(Reply, Vec<TicketChange>), ServiceError> {
        let tickets = self.customer_tickets(customer).await?;
        // Without a number: the open tickets of the customer's latest request.
        let latest = tickets
            .iter()
            .filter(|t| !t.status.is_final())
            .max_by_key(|t| t.created_at)
            .map(|t| t.conversation_id);
        let chosen: Vec<&Ticket> = tickets
            .iter()
            .filter(|t| !t.status.is_final())
            .filter(|t| match &named {
                Some(number) => t.number.eq_ignore_ascii_case(number),
                None => Some(t.conversation_id) == latest,
            })
            .collect();
        if chosen.is_empty() {
            return Ok((
                Reply::say(self.prompts.message("request_no_tickets")),
                Vec::new(),
            ));
        }
        let (action, key, wish) = match kind {
            TicketRequestKind::Cancel => ("cancel_requested", "request_recorded_cancel", "cancel"),
            TicketRequestKind::ChangeDate => (
                "date_change_requested",
                "request_recorded_date",
                "change the port date of",
            ),
            TicketRequestKind::Correct => {
                ("change_requested", "request_recorded_change", "correct")
            }
        };
        let numbers: Vec<String> = chosen.iter().map(|t| t.number.clone()).collect();
        let now = self.now();
        let changes = chosen
            .iter()
            .map(|ticket| {
                let mut change = TicketChange::new(
                    &ticket.number,
                    ticket.status,
                    &customer.signer_id(),
                    action,
                    now,
                );
                change.note = Some(words.clone());
                change.visibility = Some(Visibility::Internal);
                change.outbox = self.notices(
                    &Notice {
                        kind: NoticeKind::CustomerRequest,
                        ticket_number: Some(ticket.number.clone()),
                        conversation_id: Some(conversation_id),
                        customer_platform: customer.platform.clone(),
                        customer_id: customer.id.clone(),
                        email: None,
                        values: vec![
                            ("customer", customer.signer_id()),
                            ("number", ticket.number.clone()),
                            ("wish", wish.to_string()),
                            ("words", words.clone()),
                        ],
                    },
                    false,
                );
                change
            })
            .collect();
        let reply = fill(
            self.prompts.message(key),
            &[("tickets", numbers.join(", "))],
        );
        Ok((Reply::say(reply), changes))
    }

    fn ticket_line(&self, ticket: &Ticket) -> String {
        fill(
            self.prompts.message("status_ticket"),
            &[
                ("number", ticket.number.clone()),
                ("kind", kind_label(ticket.request.kind.as_str()).into()),
                ("status", ticket.status.as_str().replace('_', " ")),
                (
                    "numbers",
                    conversation::validators::join_national(&ticket.request.numbers),
                ),
                (
                    "date",
                    dates::format_long(
                        ticket
                            .confirmed_foc
                            .unwrap_or(ticket.request.requested_port_date),
                    ),
                ),
            ],
        )
    }

    /// Re-encrypts every secret and document with `new`, in one transaction (`portbot rekey`).
    pub async fn rekey(&self, new: &Cipher) -> Result<Rekeyed, ServiceError> {
        Ok(self.store.rekey(new).await?)
    }
}

/// The "submitted" notice for a ticket (the email copy; the chat already says it).
fn submitted_notice(
    number: &str,
    request: &PortRequest,
    conversation_id: i64,
    customer: &Customer,
) -> Notice {
    Notice {
        kind: NoticeKind::Submitted,
        ticket_number: Some(number.to_string()),
        conversation_id: Some(conversation_id),
        customer_platform: customer.platform.clone(),
        customer_id: customer.id.clone(),
        email: Some(request.email.as_str().to_string()),
        values: vec![
            ("number", number.to_string()),
            (
                "numbers",
                conversation::validators::join_national(&request.numbers),
            ),
            ("date", dates::format_long(request.requested_port_date)),
        ],
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

fn secret_kind(step: &str) -> SecretKind {
    match step {
        "account_number" => SecretKind::AccountNumber,
        _ => SecretKind::Pin,
    }
}

/// The customer's message as the transcript keeps it: secrets redacted, files by name.
fn customer_line(input: &Input, redact: bool, message_id: Option<String>) -> NewTranscriptLine {
    let (text, attachment) = match input {
        Input::Text(_) if redact => ("[hidden: sensitive answer]".to_string(), None),
        Input::Text(text) => (text.clone(), None),
        Input::Choice { .. } | Input::Answer { .. } if redact => {
            ("[hidden: sensitive answer]".to_string(), None)
        }
        Input::Choice { value, .. } => (format!("[chose: {value}]"), None),
        Input::Answer { text, .. } => (text.clone(), None),
        Input::Command(command) => (format!("[{command:?}]").to_lowercase(), None),
        Input::File { file_name, .. } => {
            (format!("[attached {file_name}]"), Some(file_name.clone()))
        }
    };
    NewTranscriptLine {
        who: Speaker::Customer,
        text,
        attachment,
        platform_message_id: message_id,
    }
}

/// Writes an LOA copy into its folder, which only the owner may enter (a folder made by an older
/// version with the usual 0755 is tightened).
fn write_loa_copy(path: &Path, bytes: &[u8]) -> Result<(), ServiceError> {
    let err = |source| ServiceError::WriteFile {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            builder.mode(0o700);
            builder.create(dir).map_err(err)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
        }
        #[cfg(not(unix))]
        builder.create(dir).map_err(err)?;
    }
    write_private(path, bytes).map_err(err)
}

/// Writes a file that holds personal data (an LOA, an export) so that only its owner may read
/// it (0600), atomically: a temporary file beside it, created owner-only, then a rename.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
