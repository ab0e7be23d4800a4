//! A customer message, as a pipeline: [`Service::turn`] loads the conversation (the read a chat
//! message made before its turn, this process's cached copy, or the database's, which a new
//! customer's lookup also creates), steps the engine, carries out its effects into one
//! [`TurnWrite`], writes that in one transaction with the message id as idempotency key, and
//! tries again from the database when the conversation moved under it (optimistic locking).

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::{
    CreatedTicket, Customer, Service, ServiceError, TurnResult, cache, kind_label, limits,
    new_conversation, parse_state, status_of, turn_write,
};
use crate::conversation::{self, Effect, Flow, Input, Reply, State, TicketRequestKind, Turn};
use crate::loa;
use crate::notify::{Notice, NoticeKind};
use crate::porting::{PortRequest, SignatureRecord, dates};
use crate::store::{
    Conversation, CreateIfNone, DocumentKind, NewDocument, NewTicket, NewTranscriptLine,
    Resubmission, SecretKind, Speaker, Ticket, TicketChange, TicketStatus, TurnLookup, TurnOutcome,
    TurnWrite, Visibility,
};
use crate::template::fill;

const MAX_TRIES: u32 = 8;

/// The conversation a try runs on.
struct Loaded {
    conversation: Conversation,
    state: State,
    /// The lookup found chat notices waiting for the customer.
    has_notices: bool,
    /// The hello of a conversation the lookup just started.
    greeting: Vec<Reply>,
    /// The cached copy: the store checks that no chat notice is due.
    from_cache: bool,
}

/// Where a try's conversation comes from.
enum Source {
    /// This process's cached copy.
    Cached(cache::Cached),
    /// The message's own read, made before the turn ([`Service::chat_message`]): fresher than
    /// any cached copy, and enough when it found the conversation open.
    Read(TurnLookup),
    /// The database, which starts a new customer's conversation.
    Database,
}

/// What loading found: a conversation to step, or the answer already. Matched at once, so its
/// size costs nothing; a box would cost an allocation per turn.
#[allow(clippy::large_enum_variant)]
enum Load {
    Ready(Loaded),
    Answered(TurnResult),
}

/// What the effects add to the turn, besides what they put in its write.
#[derive(Default)]
struct Carried {
    /// Said before the pending question: the customer's tickets, a request recorded.
    before: Vec<Reply>,
    /// Said after it: what submitting did.
    after: Vec<Reply>,
    created: Vec<CreatedTicket>,
    /// The customer's requests on tickets, recorded once the turn is saved.
    requests: Vec<TicketChange>,
}

/// The requests built from a conversation's answers, and the PIN the tickets carry.
struct Requests {
    requests: Vec<PortRequest>,
    pin: Option<SecretString>,
}

impl Service {
    /// One customer message. `message_id` is the platform's id for it: a message seen before is
    /// not handled twice. A database that keeps the turn waiting past `PORTBOT_DB_TIMEOUT_SECS`
    /// ends it with [`ServiceError::TimedOut`].
    pub async fn turn(
        &self,
        customer: &Customer,
        message_id: Option<String>,
        input: Input,
    ) -> Result<TurnResult, ServiceError> {
        self.within(self.turn_unlimited(customer, message_id, input, None))
            .await
    }

    /// The turn, its first try on `read` when the message's own read came before it.
    pub(super) async fn turn_unlimited(
        &self,
        customer: &Customer,
        message_id: Option<String>,
        input: Input,
        read: Option<TurnLookup>,
    ) -> Result<TurnResult, ServiceError> {
        if let Some(refusal) = self.message_limit(customer) {
            return Ok(TurnResult {
                replies: refusal,
                limited: true,
                ..TurnResult::default()
            });
        }
        // The first try trusts the message's own read (which the cached copy, dropped, may be
        // older than), else the cached conversation, if any; a conflict means it was stale, and
        // every later try reads the database.
        let cached = self.cache.take(&customer.platform, &customer.id);
        let mut first = match read {
            Some(read) => Some(Source::Read(read)),
            None => cached.map(Source::Cached),
        };
        for _ in 0..MAX_TRIES {
            let now = self.now();
            let id = message_id.as_deref();
            let source = first.take().unwrap_or(Source::Database);
            let loaded = match self.load(customer, id, source, now).await? {
                Load::Ready(loaded) => loaded,
                Load::Answered(result) => return Ok(result),
            };
            if let Some(result) = self
                .try_turn(customer, &message_id, &input, loaded, now)
                .await?
            {
                return Ok(result);
            }
        }
        Err(ServiceError::TooManyConflicts(MAX_TRIES))
    }

    /// The customer's open conversation from `source`. From the database, a new customer's
    /// conversation is started by the lookup itself, when the message is new and under the
    /// day's limit.
    async fn load(
        &self,
        customer: &Customer,
        message_id: Option<&str>,
        source: Source,
        now: DateTime<Utc>,
    ) -> Result<Load, ServiceError> {
        let (lookup, start) = match source {
            Source::Cached(cached) => {
                return Ok(Load::Ready(Loaded {
                    conversation: cached.conversation,
                    state: cached.state,
                    has_notices: false,
                    greeting: Vec::new(),
                    from_cache: true,
                }));
            }
            Source::Read(read) if read.open.is_some() => (read, None),
            // Nothing was open when the message was read: the lookup that may start one.
            Source::Read(_) | Source::Database => {
                let (state, mut greeting) = self.engine().start();
                // The engine answers with the menu itself; only the hello goes first.
                greeting.truncate(1);
                let create = CreateIfNone {
                    new: new_conversation(customer, &state, now),
                    max_per_day: self.config.max_conversations_per_day,
                };
                let since = now - limits::DAY;
                let (platform, id) = (&customer.platform, &customer.id);
                let lookup = self
                    .store
                    .lookup_for_turn(platform, id, message_id, since, Some(create))
                    .await?;
                (lookup, Some((state, greeting)))
            }
        };
        let (conversation, state, greeting) = match (lookup.open, start) {
            (Some(c), Some((state, greeting))) if lookup.created => (c, state, greeting),
            (Some(c), _) => {
                let parsed = parse_state(c.id, &c.state)?;
                (c, parsed, Vec::new())
            }
            // A replay of a message that finished the last conversation must not start an
            // empty new one (the key is only checked when the turn is written).
            (None, _) if lookup.message_seen => {
                return Ok(Load::Answered(TurnResult {
                    duplicate: true,
                    ..TurnResult::default()
                }));
            }
            // The lookup starts a conversation unless the message was seen or the day's limit
            // is reached.
            (None, _) => {
                let refusal = self.too_many_conversations(customer, lookup.oldest_since, now);
                return Ok(Load::Answered(TurnResult {
                    replies: vec![refusal],
                    ..TurnResult::default()
                }));
            }
        };
        Ok(Load::Ready(Loaded {
            conversation,
            state,
            has_notices: lookup.has_notices,
            greeting,
            from_cache: false,
        }))
    }

    /// One try at the turn on `loaded`; `None` when the conversation moved under it.
    async fn try_turn(
        &self,
        customer: &Customer,
        message_id: &Option<String>,
        input: &Input,
        loaded: Loaded,
        now: DateTime<Utc>,
    ) -> Result<Option<TurnResult>, ServiceError> {
        let cx = On {
            customer,
            conversation: loaded.conversation.id,
            now,
        };
        // Only a file turn keeps the state from before, to ask again if the file is refused.
        let before = matches!(input, Input::File { .. }).then(|| loaded.state.clone());
        let turn = self.step(customer, loaded.state, input, now).await?;
        if let Some(before) = before
            && let Some(replies) = self.upload_refusal(&cx, &turn, &before).await?
        {
            return Ok(Some(self.result(Some(cx.conversation), &before, replies)));
        }
        let notices = if loaded.has_notices {
            let (platform, id) = (&customer.platform, &customer.id);
            self.store.pending_chat_notices(platform, id, now).await?
        } else {
            Vec::new()
        };
        let line = customer_line(input, turn.redact_input, message_id.clone());
        let mut write = turn_write(&loaded.conversation, Some(&turn.state), line, now);
        write.incoming_message_id = message_id.clone();
        write.delivered_outbox = notices.iter().map(|n| n.id).collect();
        write.no_notices_seen = loaded.from_cache;
        let Turn {
            state,
            replies,
            effects,
            redact_input,
        } = turn;
        // A customer back to ask about their requests gets the answer, not the hello.
        let about_tickets = effects
            .iter()
            .any(|e| matches!(e, Effect::ShowStatus | Effect::TicketRequest { .. }));
        let greeting = if about_tickets {
            Vec::new()
        } else {
            loaded.greeting
        };
        let carried = self.carry_out(&cx, effects, &state, &mut write).await?;
        let notices = notices.into_iter().map(|n| Reply::say(n.item.body));
        let replies = in_order(notices, greeting, replies, carried.before, carried.after);
        write.transcript.extend(replies.iter().map(bot_line));
        let mut result = self.result(Some(cx.conversation), &state, replies);
        result.tickets = carried.created;
        result.redacted = redact_input;
        let requests = carried.requests;
        self.save(&cx, loaded.conversation, state, write, requests, result)
            .await
    }

    /// The engine's answer to `input`. "cancel" or "I typed my email wrong" from a customer with
    /// nothing submitted is about this conversation, not a request (only the store knows which
    /// it is).
    async fn step(
        &self,
        customer: &Customer,
        state: State,
        input: &Input,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        let engine = self.engine();
        let fresh = (state.flow == Flow::Menu && state.answers.is_empty()).then(|| state.clone());
        let turn = engine.step(state, input.clone(), now);
        let Some(fresh) = fresh else {
            return Ok(turn);
        };
        let about_tickets = turn.effects.iter().any(|e| {
            matches!(
                e,
                Effect::TicketRequest {
                    kind: TicketRequestKind::Cancel | TicketRequestKind::Correct,
                    ticket: None,
                    ..
                }
            )
        });
        if about_tickets
            && !self
                .customer_tickets(customer)
                .await?
                .iter()
                .any(|t| !t.status.is_final())
        {
            return Ok(engine.step_without_tickets(fresh, input.clone(), now));
        }
        Ok(turn)
    }

    /// The answer instead of the turn when the files it stores would pass the conversation's
    /// upload limit; `before` is the state to ask from again.
    async fn upload_refusal(
        &self,
        cx: &On<'_>,
        turn: &Turn,
        before: &State,
    ) -> Result<Option<Vec<Reply>>, ServiceError> {
        let uploads = turn
            .effects
            .iter()
            .filter(|e| matches!(e, Effect::StoreDocument { .. }))
            .count();
        if uploads == 0 {
            return Ok(None);
        }
        self.upload_limit(cx.conversation, uploads, before, cx.now)
            .await
    }

    /// Carries out the engine's effects in order: what is stored goes into `write`, what is
    /// said and what follows the write comes back.
    async fn carry_out(
        &self,
        cx: &On<'_>,
        effects: Vec<Effect>,
        state: &State,
        write: &mut TurnWrite,
    ) -> Result<Carried, ServiceError> {
        let mut carried = Carried::default();
        for effect in effects {
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
                    kind: match step.as_str() {
                        "csr" => DocumentKind::Csr,
                        _ => DocumentKind::Bill,
                    },
                    file_name,
                    content_type,
                    bytes,
                }),
                Effect::CreateTickets { signer_name } => {
                    let (created, replies) =
                        self.create_tickets(cx, state, write, &signer_name).await?;
                    carried.created.extend(created);
                    carried.after.extend(replies);
                }
                Effect::Resubmit {
                    ticket,
                    signer_name,
                } => {
                    let (shown, reply) = self
                        .resubmit(cx, state, write, &ticket, signer_name)
                        .await?;
                    carried.created.extend(shown);
                    carried.after.extend(reply);
                }
                Effect::Handoff { summary } => {
                    // Agents get the summary, so nobody asks the customer again.
                    tracing::info!(
                        conversation = cx.conversation,
                        "customer asked for an agent"
                    );
                    write
                        .outbox
                        .extend(self.notices(&cx.handoff_notice(summary), false));
                }
                Effect::ShowStatus => {
                    carried
                        .before
                        .extend(self.status_replies(cx.customer).await?);
                }
                Effect::TicketRequest {
                    kind,
                    ticket,
                    words,
                } => {
                    let (reply, asked) = self.customer_request(cx, kind, ticket, words).await?;
                    carried.before.push(reply);
                    carried.requests.extend(asked);
                }
            }
        }
        Ok(carried)
    }

    /// What a turn on `conversation` that leaves `state` shows, with what adapters need to show
    /// it without asking again.
    fn result(&self, conversation: Option<i64>, state: &State, replies: Vec<Reply>) -> TurnResult {
        // Only the summary offers its answers to change.
        let editable = if replies.iter().any(|r| r.step.as_deref() == Some("summary")) {
            self.editable_answers(state)
        } else {
            Vec::new()
        };
        TurnResult {
            conversation: conversation.filter(|_| status_of(state).is_open()),
            editable,
            replies,
            ..TurnResult::default()
        }
    }

    /// Writes the turn, then what follows it; `None` when the conversation moved under it.
    async fn save(
        &self,
        cx: &On<'_>,
        conversation: Conversation,
        state: State,
        write: TurnWrite,
        requests: Vec<TicketChange>,
        result: TurnResult,
    ) -> Result<Option<TurnResult>, ServiceError> {
        let written = Conversation {
            flow: write.flow.clone(),
            step: write.step.clone(),
            status: write.status,
            updated_at: cx.now,
            state: String::new(),
            ..conversation
        };
        let outcome = self.store.apply_turn(write).await;
        if !matches!(outcome, Ok(TurnOutcome::Applied { .. })) {
            self.cache.forget(&cx.customer.platform, &cx.customer.id);
        }
        match outcome? {
            TurnOutcome::Applied { version } => {
                self.cache.put(Conversation { version, ..written }, state);
                // The customer's own request on a ticket: recorded (audited) with the agents'
                // notice once the turn that answered it is saved.
                for change in requests {
                    self.store.change_ticket(change).await?;
                }
                Ok(Some(result))
            }
            TurnOutcome::Duplicate => Ok(Some(TurnResult {
                duplicate: true,
                ..TurnResult::default()
            })),
            TurnOutcome::Conflict => Ok(None),
        }
    }

    /// The port requests the conversation's answers make, with the secrets given in this turn
    /// or stored before.
    async fn requests(
        &self,
        cx: &On<'_>,
        state: &State,
        write: &TurnWrite,
    ) -> Result<Requests, ServiceError> {
        let account_number = self
            .latest_secret(cx, write, SecretKind::AccountNumber)
            .await?;
        let pin = self.latest_secret(cx, write, SecretKind::Pin).await?;
        let account_number = account_number.map(|s| s.expose_secret().to_string());
        let requests =
            conversation::build_requests(state, account_number).map_err(ServiceError::Request)?;
        Ok(Requests { requests, pin })
    }

    /// A secret given in this turn, or else the one stored for the conversation.
    async fn latest_secret(
        &self,
        cx: &On<'_>,
        write: &TurnWrite,
        kind: SecretKind,
    ) -> Result<Option<SecretString>, ServiceError> {
        if let Some((_, value)) = write.secrets.iter().rev().find(|(k, _)| *k == kind) {
            return Ok(Some(value.clone()));
        }
        Ok(self
            .store
            .conversation_secret(cx.conversation, kind)
            .await?)
    }

    /// Signs `request` as `signer_name` for version `version` of ticket `number`'s LOA and
    /// renders it: the same for a new ticket and a resubmitted one.
    fn sign_and_render(
        &self,
        cx: &On<'_>,
        request: &PortRequest,
        signer_name: &str,
        number: &str,
        version: u32,
    ) -> Result<(SignatureRecord, CreatedTicket), ServiceError> {
        let signer = cx.customer.signer_id();
        let signature =
            SignatureRecord::sign(request, signer_name, &signer, cx.now, number, version);
        let (provider, wording) = (&self.config.provider, &self.prompts.loa);
        let loa = loa::render(request, &signature, provider, wording)?;
        let shown = CreatedTicket::new(number, request, self.loa_path(number, version), loa);
        Ok((signature, shown))
    }

    /// One signed ticket per request kind, into `write` with its notices; what the customer is
    /// told comes back with the tickets.
    async fn create_tickets(
        &self,
        cx: &On<'_>,
        state: &State,
        write: &mut TurnWrite,
        signer_name: &str,
    ) -> Result<(Vec<CreatedTicket>, Vec<Reply>), ServiceError> {
        let Requests { requests, pin } = self.requests(cx, state, write).await?;
        let mut created = Vec::new();
        let mut replies = vec![Reply::say(&self.prompts.script.common.messages.submitted)];
        let mut draft_number = state.draft.clone();
        for request in requests {
            let number = match draft_number.take() {
                Some(number) => number,
                None => self.store.next_ticket_number().await?,
            };
            let (signature, shown) = self.sign_and_render(cx, &request, signer_name, &number, 1)?;
            replies.push(Reply::say(fill(
                &self.prompts.script.common.messages.submitted_ticket,
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
            write
                .outbox
                .extend(self.notices(&cx.submitted_notice(&number, &request), true));
            write.tickets.push(NewTicket {
                number,
                request,
                signature,
                pin: pin.clone(),
                loa_pdf: shown.loa.clone(),
                status: TicketStatus::Submitted,
            });
            created.push(shown);
        }
        replies.push(Reply::say(self.engine().next_steps()));
        Ok((created, replies))
    }

    /// The fixed request for rejected ticket `number`, into `write`: rebuilt from the answers,
    /// and signed again (a new LOA version, shown to the customer) when they signed in this
    /// turn.
    async fn resubmit(
        &self,
        cx: &On<'_>,
        state: &State,
        write: &mut TurnWrite,
        number: &str,
        signer_name: Option<String>,
    ) -> Result<(Option<CreatedTicket>, Option<Reply>), ServiceError> {
        let ticket = self
            .store
            .ticket(number)
            .await?
            .filter(|t| t.status == TicketStatus::NeedsInfo)
            .ok_or_else(|| ServiceError::NotAwaitingFix(number.to_string()))?;
        let Requests { requests, pin } = self.requests(cx, state, write).await?;
        let request = requests
            .into_iter()
            .find(|r| r.kind == ticket.request.kind)
            .ok_or_else(|| {
                ServiceError::Request(format!(
                    "the fixed numbers hold no {} numbers for ticket {number}",
                    ticket.request.kind.as_str()
                ))
            })?;
        let (signed, shown, reply) = match signer_name {
            Some(name) => {
                let version = ticket.loa_version + 1;
                let (signature, shown) =
                    self.sign_and_render(cx, &request, &name, &ticket.number, version)?;
                let reply = Reply::say(fill(
                    &self.prompts.script.common.messages.resubmitted,
                    &[
                        ("number", ticket.number.clone()),
                        ("version", version.to_string()),
                        ("loa_path", shown.loa_path.clone()),
                    ],
                ));
                (
                    Some((signature, shown.loa.clone())),
                    Some(shown),
                    Some(reply),
                )
            }
            None => (None, None, None),
        };
        let notice = cx.submitted_notice(&ticket.number, &request);
        write.outbox.extend(self.notices(&notice, true));
        write.resubmit = Some(Resubmission {
            number: ticket.number,
            request,
            signed,
            pin,
            actor: cx.customer.signer_id(),
        });
        Ok((shown, reply))
    }

    /// A submitted customer's wish to cancel a request or change its date: a note on each of
    /// their open tickets (the one they named, else those of this conversation) with a notice to
    /// the agents. Only an agent changes the ticket. Returns what to tell the customer and the
    /// changes to record once the turn is saved.
    async fn customer_request(
        &self,
        cx: &On<'_>,
        kind: TicketRequestKind,
        named: Option<String>,
        words: String,
    ) -> Result<(Reply, Vec<TicketChange>), ServiceError> {
        let tickets = self.customer_tickets(cx.customer).await?;
        let chosen = requested_tickets(&tickets, named.as_deref());
        if chosen.is_empty() {
            return Ok((
                Reply::say(&self.prompts.script.common.messages.request_no_tickets),
                Vec::new(),
            ));
        }
        let m = &self.prompts.script.common.messages;
        let (action, said, wish) = match kind {
            TicketRequestKind::Cancel => ("cancel_requested", &m.request_recorded_cancel, "cancel"),
            TicketRequestKind::ChangeDate => (
                "date_change_requested",
                &m.request_recorded_date,
                "change the port date of",
            ),
            TicketRequestKind::Correct => {
                ("change_requested", &m.request_recorded_change, "correct")
            }
        };
        let numbers: Vec<String> = chosen.iter().map(|t| t.number.clone()).collect();
        let now = self.now();
        let changes = chosen
            .iter()
            .map(|ticket| {
                let actor = cx.customer.signer_id();
                let mut change =
                    TicketChange::new(&ticket.number, ticket.status, &actor, action, now);
                change.note = Some(words.clone());
                change.visibility = Some(Visibility::Internal);
                change.outbox = self.notices(&cx.request_notice(ticket, wish, &words), false);
                change
            })
            .collect();
        let reply = fill(said, &[("tickets", numbers.join(", "))]);
        Ok((Reply::say(reply), changes))
    }
}

/// Who a turn is for, on which conversation, and when: what its effects need.
struct On<'a> {
    customer: &'a Customer,
    conversation: i64,
    now: DateTime<Utc>,
}

impl On<'_> {
    /// A notice about this conversation.
    fn notice(
        &self,
        kind: NoticeKind,
        ticket_number: Option<String>,
        email: Option<String>,
        values: Vec<(&'static str, String)>,
    ) -> Notice {
        Notice {
            kind,
            ticket_number,
            conversation_id: Some(self.conversation),
            customer_platform: self.customer.platform.clone(),
            customer_id: self.customer.id.clone(),
            email,
            values,
        }
    }

    /// The agents' notice of the customer's request on `ticket`.
    fn request_notice(&self, ticket: &Ticket, wish: &str, words: &str) -> Notice {
        let values = vec![
            ("customer", self.customer.signer_id()),
            ("number", ticket.number.clone()),
            ("wish", wish.to_string()),
            ("words", words.to_string()),
        ];
        let number = Some(ticket.number.clone());
        self.notice(NoticeKind::CustomerRequest, number, None, values)
    }

    /// The agents' notice that the customer asks for a person, with what was collected.
    fn handoff_notice(&self, summary: String) -> Notice {
        let values = vec![
            ("summary", summary),
            ("customer", self.customer.signer_id()),
            ("conversation", self.conversation.to_string()),
        ];
        self.notice(NoticeKind::Handoff, None, None, values)
    }

    /// The "submitted" notice for a ticket (the email copy; the chat already says it).
    fn submitted_notice(&self, number: &str, request: &PortRequest) -> Notice {
        let values = vec![
            ("number", number.to_string()),
            (
                "numbers",
                conversation::validators::join_national(&request.numbers),
            ),
            ("date", dates::format_long(request.requested_port_date)),
        ];
        let email = Some(request.email.as_str().to_string());
        self.notice(
            NoticeKind::Submitted,
            Some(number.to_string()),
            email,
            values,
        )
    }
}

/// A turn's replies in the order the customer reads them: waiting chat notices, the hello, the
/// engine's words with the customer's tickets right before the question to answer next, then
/// what submitting did.
fn in_order(
    notices: impl Iterator<Item = Reply>,
    greeting: Vec<Reply>,
    mut engine: Vec<Reply>,
    before: Vec<Reply>,
    after: Vec<Reply>,
) -> Vec<Reply> {
    let pending = engine.pop();
    let mut replies: Vec<Reply> = notices.collect();
    replies.extend(greeting);
    replies.extend(engine);
    replies.extend(before);
    replies.extend(pending);
    replies.extend(after);
    replies
}

/// The open tickets a customer's request is about: the one they named, else those of their
/// latest request.
fn requested_tickets<'t>(tickets: &'t [Ticket], named: Option<&str>) -> Vec<&'t Ticket> {
    let latest = tickets
        .iter()
        .filter(|t| !t.status.is_final())
        .max_by_key(|t| t.created_at)
        .map(|t| t.conversation_id);
    tickets
        .iter()
        .filter(|t| !t.status.is_final())
        .filter(|t| match named {
            Some(number) => t.number.eq_ignore_ascii_case(number),
            None => Some(t.conversation_id) == latest,
        })
        .collect()
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
        Input::Text(_) | Input::Caption(_) if redact => {
            ("[hidden: sensitive answer]".to_string(), None)
        }
        Input::Text(text) | Input::Caption(text) => (text.clone(), None),
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

/// A bot reply as the transcript keeps it.
fn bot_line(reply: &Reply) -> NewTranscriptLine {
    NewTranscriptLine {
        who: Speaker::Bot,
        text: reply.text.clone(),
        attachment: None,
        platform_message_id: None,
    }
}
