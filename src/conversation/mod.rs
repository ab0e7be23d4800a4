//! The conversation engine: a pure state machine.
//!
//! [`Engine::step`] takes the saved [`State`], what the customer sent and the time, and returns
//! the new state, the bot's replies and the [`Effect`]s for the adapters to carry out (store a
//! secret or a document, create tickets, hand off to an agent). It never sends or stores
//! anything itself, so every conversation can be replayed in tests.
//!
//! Global commands (help, back, change <field>, skip, agent, cancel, status, start over, menu)
//! and common questions are handled in one place, [`Engine::step`], before the current step sees
//! the input. A wrong answer never changes what is known: the step is asked again with the
//! reason and an example.

pub mod state;
pub mod validators;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use secrecy::SecretString;
use serde::Serialize;

use crate::porting::dates;
use crate::porting::text::{clean_input, parse_yes_no};
use crate::porting::{
    CustomerType, NumberType, PhoneNumber, PortCalendar, PortDateRules, PortRequest, Refusal,
};
use crate::prompts::{Prompts, Step, fill};
pub use state::{Answer, Flow, Pending, State};
use validators::{Context, Given, Outcome};

/// What the customer sent.
#[derive(Debug, Clone)]
pub enum Input {
    Text(String),
    /// An upload; `size` is the whole file's size, which may exceed `bytes` for a file too large
    /// to read in full.
    File {
        file_name: String,
        bytes: Vec<u8>,
        size: usize,
    },
}

/// One message from the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub text: String,
    /// Shortcut answers (shown numbered in the terminal, as buttons in Discord).
    pub choices: Vec<String>,
    /// The step this message asks, if it asks one.
    pub step: Option<String>,
}

impl Reply {
    pub fn say(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            choices: Vec::new(),
            step: None,
        }
    }
}

/// Work for the adapters, carried out in the same transaction as the new state.
#[derive(Debug)]
pub enum Effect {
    /// Store a secret answer (`pin` or `account_number`) encrypted, for this conversation.
    StoreSecret { step: String, value: SecretString },
    /// Forget the conversation's secrets (cancel, start over).
    ClearSecrets,
    /// Store an uploaded file for a step (`bill_copy` or `csr`).
    StoreDocument {
        step: String,
        file_name: String,
        content_type: String,
        bytes: Vec<u8>,
    },
    /// The customer signed: create one ticket per request kind from the answers.
    CreateTickets { signer_name: String },
    /// A rejected ticket is fixed: send it back to the porting team, with a new signature when
    /// what the LOA shows changed.
    Resubmit {
        ticket: String,
        signer_name: Option<String>,
    },
    /// The customer asked for a person; agents should be told with a summary.
    Handoff { summary: String },
    /// Show the customer's tickets before the replies.
    ShowStatus,
}

/// The outcome of one customer message.
#[derive(Debug)]
pub struct Turn {
    pub state: State,
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
    /// The input was a secret (or may hold one): keep it out of the transcript.
    pub redact_input: bool,
}

/// The steps that make up the end of the flow; they are not "fields" to change.
const FINAL_STEPS: [&str; 3] = ["summary", "consent", "signature"];

pub struct Engine<'a> {
    pub prompts: &'a Prompts,
    pub calendar: &'a PortCalendar,
    pub rules: PortDateRules,
    pub max_upload_bytes: usize,
    pub provider_name: &'a str,
    /// The first character of a text the LOA cannot print (see [`crate::loa::unprintable`]).
    pub unprintable: fn(&str) -> Option<char>,
}

/// The date used for date rules: ports are scheduled in US Eastern time.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&New_York).date_naive()
}

/// Lower case, single spaces, no trailing punctuation: how commands and choices are matched.
fn normalize(text: &str) -> String {
    let lowered = text.to_lowercase();
    let collapsed: Vec<&str> = lowered.split_whitespace().collect();
    collapsed
        .join(" ")
        .trim_end_matches(['.', '!', '?', ','])
        .trim()
        .to_string()
}

enum Command {
    Help,
    Back,
    Skip,
    Agent,
    Cancel,
    Status,
    StartOver,
    Menu,
    Resume,
    Change(String),
}

impl<'a> Engine<'a> {
    /// A new conversation: the greeting and the menu.
    pub fn start(&self) -> (State, Vec<Reply>) {
        let state = State::new();
        let mut replies = vec![Reply::say(&self.prompts.common.greeting)];
        replies.push(self.menu_reply());
        (state, replies)
    }

    /// What to say when a customer comes back to a saved conversation: the pending question.
    pub fn resume(&self, state: &State, now: DateTime<Utc>) -> Vec<Reply> {
        if state.paused {
            return vec![Reply::say(self.prompts.message("still_paused"))];
        }
        let mut replies = vec![Reply::say(self.prompts.message("welcome_back"))];
        replies.extend(self.pending_question(state, today(now)));
        replies
    }

    /// One customer message.
    pub fn step(&self, mut state: State, input: Input, now: DateTime<Utc>) -> Turn {
        let today = today(now);
        let mut turn_effects = Vec::new();
        let mut replies = Vec::new();
        let step_is_secret = state.flow == Flow::PortIn
            && state
                .step
                .as_deref()
                .and_then(|s| self.prompts.step(s))
                .is_some_and(|s| s.secret);

        if matches!(state.flow, Flow::Done | Flow::Cancelled) {
            let (fresh, _) = self.start();
            state = fresh;
        }

        let text = match &input {
            Input::Text(raw) => Some(clean_input(raw)),
            Input::File { .. } => None,
        };
        let said = text.as_deref().map(normalize).unwrap_or_default();

        // While an agent has the conversation, the bot only says so.
        if state.paused {
            let commands = &self.prompts.common.commands;
            if commands.resume.contains(&said) {
                state.paused = false;
                replies.push(Reply::say(self.prompts.message("resumed")));
                replies.extend(self.pending_question(&state, today));
            } else {
                replies.push(Reply::say(self.prompts.message("still_paused")));
            }
            return self.finish(state, replies, turn_effects, step_is_secret);
        }

        // A yes/no confirmation the bot asked for.
        if let Some(pending @ (Pending::ConfirmCancel | Pending::ConfirmStartOver)) =
            state.pending.clone()
        {
            state.pending = None;
            match text.as_deref().and_then(parse_yes_no) {
                Some(true) if pending == Pending::ConfirmCancel => {
                    state = State::new();
                    state.flow = Flow::Cancelled;
                    turn_effects.push(Effect::ClearSecrets);
                    replies.push(Reply::say(self.prompts.message("cancelled")));
                    return self.finish(state, replies, turn_effects, false);
                }
                Some(true) => {
                    let restart_port_in = state.flow == Flow::PortIn;
                    state = State::new();
                    turn_effects.push(Effect::ClearSecrets);
                    replies.push(Reply::say(self.prompts.message("started_over")));
                    if restart_port_in {
                        state.flow = Flow::PortIn;
                        state.step = self.next_step(&state);
                    }
                    replies.extend(self.pending_question(&state, today));
                    return self.finish(state, replies, turn_effects, false);
                }
                Some(false) => {
                    replies.push(Reply::say(self.prompts.message("cancel_kept")));
                    replies.extend(self.pending_question(&state, today));
                    return self.finish(state, replies, turn_effects, false);
                }
                // Anything else: the customer moved on; treat it as a new message.
                None => {}
            }
        }

        if let Some(text) = &text {
            if text.is_empty() {
                replies.push(Reply::say(self.prompts.message("empty")));
                replies.extend(self.pending_question(&state, today));
                return self.finish(state, replies, turn_effects, false);
            }
            if let Some(command) = self.command(&said) {
                return self.run_command(command, state, today, step_is_secret);
            }
            if let Some(answer) = self.faq_answer(text) {
                replies.push(Reply::say(answer));
                replies.push(Reply::say(&self.prompts.faq.back_to_question));
                replies.extend(self.pending_question(&state, today));
                return self.finish(state, replies, turn_effects, step_is_secret);
            }
        }

        match state.flow {
            Flow::PortIn => self.answer_step(state, input, text, today, step_is_secret),
            _ => self.menu(state, &said, input, today),
        }
    }

    fn finish(
        &self,
        state: State,
        replies: Vec<Reply>,
        effects: Vec<Effect>,
        redact_input: bool,
    ) -> Turn {
        Turn {
            state,
            replies,
            effects,
            redact_input,
        }
    }

    fn command(&self, said: &str) -> Option<Command> {
        let c = &self.prompts.common.commands;
        let is = |words: &[String]| words.iter().any(|w| w == said);
        if is(&c.help) {
            return Some(Command::Help);
        }
        if is(&c.back) {
            return Some(Command::Back);
        }
        if is(&c.skip) {
            return Some(Command::Skip);
        }
        if is(&c.agent) {
            return Some(Command::Agent);
        }
        if is(&c.cancel) {
            return Some(Command::Cancel);
        }
        if is(&c.status) {
            return Some(Command::Status);
        }
        if is(&c.start_over) {
            return Some(Command::StartOver);
        }
        if is(&c.menu) {
            return Some(Command::Menu);
        }
        if is(&c.resume) {
            return Some(Command::Resume);
        }
        for prefix in &c.change {
            if said == prefix {
                return Some(Command::Change(String::new()));
            }
            if let Some(rest) = said
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix(' '))
            {
                let field = rest
                    .trim_start_matches("my ")
                    .trim_start_matches("the ")
                    .trim();
                return Some(Command::Change(field.to_string()));
            }
        }
        None
    }

    fn run_command(
        &self,
        command: Command,
        mut state: State,
        today: NaiveDate,
        secret: bool,
    ) -> Turn {
        let mut replies = Vec::new();
        let mut effects = Vec::new();
        let in_port_in = state.flow == Flow::PortIn;
        match command {
            Command::Help => {
                match state
                    .step
                    .as_deref()
                    .and_then(|id| self.prompts.step(id).map(|s| (id, s)))
                {
                    Some((id, step)) if in_port_in => {
                        let args = self.question_args(&state, today);
                        let mut text = fill(&step.help, &args);
                        text.push_str("\n\n");
                        text.push_str(&self.examples(&state, step, today));
                        replies.push(Reply::say(text));
                        replies.push(self.question(&state, id, step, today));
                    }
                    _ => {
                        replies.push(Reply::say(&self.prompts.common.menu_help));
                        replies.push(self.menu_reply());
                    }
                }
            }
            Command::Back => {
                if let (true, Some(current)) = (in_port_in, state.step.clone()) {
                    state.pending = None;
                    match self.previous_step(&state, &current) {
                        Some(previous) => {
                            state.step = Some(previous);
                            state.failures = 0;
                        }
                        None => replies.push(Reply::say(self.prompts.message("back_at_start"))),
                    }
                } else {
                    replies.push(Reply::say(self.prompts.message("back_at_start")));
                }
                replies.extend(self.pending_question(&state, today));
            }
            Command::Skip => {
                if !in_port_in {
                    replies.push(Reply::say(self.prompts.message("not_understood_menu")));
                    replies.push(self.menu_reply());
                } else if let Some(id) = state.step.clone() {
                    return self.skip(state, &id, today, secret);
                }
            }
            Command::Agent => {
                state.paused = true;
                state.pending = None;
                effects.push(Effect::Handoff {
                    summary: self.agent_summary(&state),
                });
                replies.push(Reply::say(self.prompts.message("paused_for_agent")));
            }
            Command::Resume => {
                replies.push(Reply::say(self.prompts.message("resumed")));
                replies.extend(self.pending_question(&state, today));
            }
            Command::Cancel => {
                state.pending = Some(Pending::ConfirmCancel);
                replies.push(self.confirm_reply("cancel_confirm"));
            }
            Command::StartOver => {
                state.pending = Some(Pending::ConfirmStartOver);
                replies.push(self.confirm_reply("start_over_confirm"));
            }
            Command::Status => {
                effects.push(Effect::ShowStatus);
                if in_port_in
                    && let Some(step) = state.step.as_deref().and_then(|id| self.prompts.step(id))
                {
                    let applicable = self.applicable_steps(&state);
                    let position = applicable
                        .iter()
                        .position(|id| Some(*id) == state.step.as_deref())
                        .map(|i| i + 1)
                        .unwrap_or(applicable.len());
                    replies.push(Reply::say(fill(
                        self.prompts.message("status_progress"),
                        &[
                            ("position", position.to_string()),
                            ("total", applicable.len().to_string()),
                            ("label", step.label.clone()),
                        ],
                    )));
                }
                replies.extend(self.pending_question(&state, today));
            }
            Command::Menu => {
                state.pending = None;
                if state.flow == Flow::PortIn {
                    state.flow = Flow::Menu;
                }
                replies.push(self.menu_reply());
            }
            Command::Change(field) => {
                if !in_port_in && state.answers.is_empty() {
                    replies.push(Reply::say(self.prompts.message("not_understood_menu")));
                    replies.push(self.menu_reply());
                } else {
                    match self.find_field(&state, &field) {
                        Some(id) => {
                            state.flow = Flow::PortIn;
                            state.pending = None;
                            state.step = Some(id);
                            state.failures = 0;
                        }
                        None => {
                            let key = if field.is_empty() {
                                "change_list"
                            } else {
                                "change_unknown"
                            };
                            replies.push(Reply::say(fill(
                                self.prompts.message(key),
                                &[
                                    ("field", field.clone()),
                                    ("fields", self.changeable_fields(&state)),
                                ],
                            )));
                        }
                    }
                    replies.extend(self.pending_question(&state, today));
                }
            }
        }
        self.finish(state, replies, effects, secret)
    }

    fn skip(&self, mut state: State, id: &str, today: NaiveDate, secret: bool) -> Turn {
        let Some(step) = self.prompts.step(id) else {
            return self.finish(state, Vec::new(), Vec::new(), secret);
        };
        let required_now = step
            .required_when
            .as_deref()
            .is_some_and(|c| validators::condition(c, &state))
            || (matches!(id, "pin" | "account_number")
                && state
                    .fix
                    .as_ref()
                    .is_some_and(|f| f.fields.iter().any(|x| x == id)));
        let mut replies = Vec::new();
        let mut effects = Vec::new();
        if step.optional && !required_now {
            state.pending = None;
            self.set_answer(&mut state, id, Answer::Skipped);
            replies.push(Reply::say(fill(
                self.prompts.message("skipped"),
                &[("label", step.label.clone())],
            )));
            replies.extend(self.advance(&mut state, today, &mut effects));
        } else {
            let reason = step
                .skip_refused
                .as_deref()
                .unwrap_or(self.prompts.message("skip_refused"));
            replies.push(Reply::say(fill(reason, &[("label", step.label.clone())])));
            replies.push(self.question(&state, id, step, today));
        }
        self.finish(state, replies, effects, secret)
    }

    fn menu(&self, mut state: State, said: &str, input: Input, today: NaiveDate) -> Turn {
        let mut replies = Vec::new();
        let mut effects = Vec::new();
        if matches!(input, Input::File { .. }) {
            replies.push(Reply::say(self.prompts.message("attachment_not_expected")));
            replies.push(self.menu_reply());
            return self.finish(state, replies, effects, false);
        }
        match self.pick_choice(&self.prompts.common.menu_choices, said) {
            Some("port_in") => {
                state.flow = Flow::PortIn;
                if state.step.is_none() {
                    state.step = self.next_step(&state);
                }
                replies.extend(self.pending_question(&state, today));
            }
            Some("port_out") => {
                replies.push(Reply::say(&self.prompts.port_out.guidance));
                replies.push(Reply::say(&self.prompts.port_out.follow_up));
                replies.push(self.menu_reply());
            }
            Some("status") => {
                effects.push(Effect::ShowStatus);
                replies.push(self.menu_reply());
            }
            Some("agent") => {
                state.paused = true;
                effects.push(Effect::Handoff {
                    summary: self.agent_summary(&state),
                });
                replies.push(Reply::say(self.prompts.message("paused_for_agent")));
            }
            _ => {
                replies.push(Reply::say(self.prompts.message("not_understood_menu")));
                replies.push(self.menu_reply());
            }
        }
        self.finish(state, replies, effects, false)
    }

    /// Matches a typed answer to a choice: its number, label, value or an alias.
    fn pick_choice<'c>(
        &self,
        choices: &'c [crate::prompts::Choice],
        said: &str,
    ) -> Option<&'c str> {
        if let Ok(n) = said.parse::<usize>() {
            return n
                .checked_sub(1)
                .and_then(|i| choices.get(i))
                .map(|c| c.value.as_str());
        }
        choices
            .iter()
            .find(|c| {
                normalize(&c.label) == said
                    || c.value == said
                    || c.aliases.iter().any(|a| normalize(a) == said)
            })
            .map(|c| c.value.as_str())
    }

    fn answer_step(
        &self,
        mut state: State,
        input: Input,
        text: Option<String>,
        today: NaiveDate,
        secret: bool,
    ) -> Turn {
        let Some(id) = state.step.clone().or_else(|| self.next_step(&state)) else {
            state.flow = Flow::Menu;
            return self.finish(state, vec![self.menu_reply()], Vec::new(), secret);
        };
        state.step = Some(id.clone());
        let Some(step) = self.prompts.step(&id) else {
            // A saved step that the prompts no longer have: go on from the first open step.
            state.step = self.next_step(&state);
            let replies = self.pending_question(&state, today);
            return self.finish(state, replies, Vec::new(), secret);
        };
        let validator =
            validators::find(&step.validator).expect("validators are checked at start-up");
        let mut replies = Vec::new();
        let mut effects = Vec::new();

        if matches!(input, Input::File { .. }) && !validator.expects_upload() {
            replies.push(Reply::say(self.prompts.message("attachment_not_expected")));
            replies.push(self.question(&state, &id, step, today));
            return self.finish(state, replies, effects, secret);
        }

        // A choice's number or label stands for its value.
        let said = text.as_deref().map(normalize).unwrap_or_default();
        let chosen = self.pick_choice(&step.choices, &said).map(str::to_string);
        if chosen.as_deref() == Some("skip")
            || (step.optional && validator.expects_upload() && parse_yes_no(&said) == Some(false))
        {
            return self.skip(state, &id, today, secret);
        }
        if id == "summary" {
            return self.summary_answer(state, chosen.as_deref(), &said, today);
        }
        let given = match (&input, &chosen, &text) {
            (
                Input::File {
                    file_name,
                    bytes,
                    size,
                },
                _,
                _,
            ) => Given::File {
                file_name,
                bytes,
                size: *size,
            },
            (_, Some(value), _) => Given::Text(value),
            (_, None, Some(text)) => Given::Text(text),
            (_, None, None) => Given::Text(""),
        };
        let choice_values: Vec<&str> = step.choices.iter().map(|c| c.value.as_str()).collect();
        let ctx = Context {
            state: &state,
            today,
            calendar: self.calendar,
            rules: self.rules,
            max_upload_bytes: self.max_upload_bytes,
            unprintable: self.unprintable,
        };
        match validators::validate(validator, &given, &choice_values, &ctx) {
            Outcome::Accept {
                answer,
                notes,
                secret: plain,
            } => {
                if let Some(value) = plain {
                    effects.push(Effect::StoreSecret {
                        step: id.clone(),
                        value: SecretString::from(value),
                    });
                }
                if let (Answer::Upload(upload), Input::File { bytes, .. }) = (&answer, input) {
                    replies.push(Reply::say(fill(
                        self.prompts.message("received_upload"),
                        &[("file_name", upload.file_name.clone())],
                    )));
                    effects.push(Effect::StoreDocument {
                        step: id.clone(),
                        file_name: upload.file_name.clone(),
                        content_type: upload.content_type.clone(),
                        bytes,
                    });
                }
                for (key, args) in notes {
                    replies.push(Reply::say(fill(self.prompts.message(key), &args)));
                }
                if let Answer::Choice(value) = &answer
                    && let Some(note) = step
                        .choices
                        .iter()
                        .find(|c| &c.value == value)
                        .and_then(|c| c.note.as_deref())
                {
                    replies.push(Reply::say(note));
                }
                state.pending = None;
                if id == "signature" {
                    let signer_name = match &answer {
                        Answer::Text(name) => name.clone(),
                        _ => String::new(),
                    };
                    state.answers.insert(id.clone(), answer);
                    state.flow = Flow::Done;
                    state.step = None;
                    state.failures = 0;
                    effects.push(match state.fix.take() {
                        Some(fix) => Effect::Resubmit {
                            ticket: fix.ticket,
                            signer_name: Some(signer_name),
                        },
                        None => Effect::CreateTickets { signer_name },
                    });
                    return self.finish(state, replies, effects, secret);
                }
                self.set_answer(&mut state, &id, answer);
                replies.extend(self.advance(&mut state, today, &mut effects));
            }
            Outcome::Refuse(refusal) => {
                replies.extend(self.refusal_replies(&mut state, &id, step, &[refusal], today));
            }
            Outcome::NumbersRefused { kept, refused } => {
                let refusals: Vec<Refusal> = refused
                    .into_iter()
                    .map(|(typed, r)| {
                        let mut r = r;
                        if r.arg("input").is_none() {
                            r = r.with("input", validators::short(&typed));
                        }
                        r
                    })
                    .collect();
                let kept_text = (!kept.is_empty()).then(|| {
                    fill(
                        self.prompts.message("numbers_kept"),
                        &[("numbers", validators::join_national(&kept))],
                    )
                });
                if !kept.is_empty() {
                    state.pending = Some(Pending::NumbersDraft { kept });
                }
                let mut out = self.refusal_replies(&mut state, &id, step, &refusals, today);
                if let Some(kept_text) = kept_text {
                    // Say what was kept right before the question is asked again.
                    let question = out.pop();
                    out.push(Reply::say(kept_text));
                    out.extend(question);
                }
                replies.extend(out);
            }
        }
        self.finish(state, replies, effects, secret)
    }

    fn summary_answer(
        &self,
        mut state: State,
        chosen: Option<&str>,
        said: &str,
        today: NaiveDate,
    ) -> Turn {
        let mut replies = Vec::new();
        let mut effects = Vec::new();
        let confirmed =
            chosen == Some("confirm") || (chosen.is_none() && parse_yes_no(said) == Some(true));
        if confirmed {
            self.set_answer(&mut state, "summary", Answer::Bool(true));
            replies.extend(self.advance(&mut state, today, &mut effects));
        } else if chosen == Some("change") || parse_yes_no(said) == Some(false) {
            replies.push(Reply::say(fill(
                self.prompts.message("change_list"),
                &[
                    ("fields", self.changeable_fields(&state)),
                    ("field", String::new()),
                ],
            )));
        } else {
            let step = self
                .prompts
                .step("summary")
                .expect("summary step is checked at start-up");
            return {
                let replies = self.refusal_replies(
                    &mut state,
                    "summary",
                    step,
                    &[Refusal::new("summary.choose")],
                    today,
                );
                self.finish(state, replies, Vec::new(), false)
            };
        }
        self.finish(state, replies, effects, false)
    }

    /// Records an answer. Any change before the end means the summary must be confirmed again.
    fn set_answer(&self, state: &mut State, id: &str, answer: Answer) {
        if !FINAL_STEPS.contains(&id) {
            for final_step in FINAL_STEPS {
                state.answers.remove(final_step);
            }
        }
        // Answers that were given about the old value must be given again.
        if state.answers.get(id) != Some(&answer)
            && let Some(step) = self.prompts.step(id)
        {
            for dependent in &step.resets {
                state.answers.remove(dependent);
            }
        }
        state.answers.insert(id.to_string(), answer);
        state.failures = 0;
    }

    /// Moves to the first step that applies and has no answer yet, and asks it. A fix whose
    /// answers leave the LOA as it was goes straight back to the porting team.
    fn advance(
        &self,
        state: &mut State,
        today: NaiveDate,
        effects: &mut Vec<Effect>,
    ) -> Vec<Reply> {
        state.step = self.next_step(state);
        if state.step.as_deref() == Some("summary")
            && let Some(fix) = state.fix.clone()
            && !fix_changes_loa(state, &fix)
        {
            state.fix = None;
            state.flow = Flow::Done;
            state.step = None;
            effects.push(Effect::Resubmit {
                ticket: fix.ticket.clone(),
                signer_name: None,
            });
            return vec![Reply::say(fill(
                self.prompts.message("fix_resubmitted"),
                &[("ticket", fix.ticket)],
            ))];
        }
        self.pending_question(state, today)
    }

    /// Starts (or continues) the port-in flow on an agent's behalf, with numbers the agent found
    /// in the customer's message already filled in when none were given yet.
    pub fn start_port_in(&self, mut state: State, numbers: Vec<PhoneNumber>) -> State {
        if matches!(state.flow, Flow::Done | Flow::Cancelled) {
            state = State::new();
        }
        if !numbers.is_empty() && !state.answers.contains_key("numbers") {
            state
                .answers
                .insert("numbers".into(), Answer::Numbers(numbers));
        }
        state.flow = Flow::PortIn;
        state.paused = false;
        state.pending = None;
        state.step = self.next_step(&state);
        state
    }

    /// The steps that apply and have no answer yet (the end of the flow left out).
    pub fn missing_fields(&self, state: &State) -> Vec<String> {
        self.applicable_steps(state)
            .into_iter()
            .filter(|id| !FINAL_STEPS.contains(id) && !state.answers.contains_key(*id))
            .map(str::to_string)
            .collect()
    }

    /// The summary of what the customer told us so far, for an agent taking over.
    pub fn handoff_summary(&self, state: &State) -> String {
        self.agent_summary(state)
    }

    /// Puts a finished conversation back to work on a rejected ticket: the fields the rejection
    /// names are asked again (the rest is kept), then the summary and, when the LOA changes, a
    /// new signature.
    pub fn reopen_for_fix(
        &self,
        mut state: State,
        ticket: &str,
        codes: &[crate::porting::RejectionCode],
    ) -> State {
        let residential = state.choice("customer_type") == Some("residential");
        let mut wanted: Vec<&str> = Vec::new();
        for code in codes {
            for field in code.fields() {
                let field = match *field {
                    "business_name" if residential => "account_holder",
                    other => other,
                };
                if !wanted.contains(&field) {
                    wanted.push(field);
                }
            }
        }
        // In flow order, so the customer is asked as in the first pass.
        let fields: Vec<String> = self
            .prompts
            .port_in
            .order
            .iter()
            .filter(|id| wanted.contains(&id.as_str()))
            .cloned()
            .collect();
        let mut before = std::collections::BTreeMap::new();
        for field in &fields {
            if let Some(answer) = state.answers.remove(field) {
                before.insert(field.clone(), answer);
            }
        }
        for final_step in FINAL_STEPS {
            state.answers.remove(final_step);
        }
        state.fix = Some(state::Fix {
            ticket: ticket.to_string(),
            codes: codes.iter().map(|c| c.as_str().to_string()).collect(),
            fields,
            before,
            force_signature: codes.iter().any(|c| c.needs_new_signature()),
        });
        state.flow = Flow::PortIn;
        state.paused = false;
        state.pending = None;
        state.failures = 0;
        state.step = self.next_step(&state);
        state
    }

    fn applies(&self, state: &State, id: &str) -> bool {
        let forced = state
            .fix
            .as_ref()
            .is_some_and(|f| f.fields.iter().any(|x| x == id));
        forced
            || self
                .prompts
                .step(id)
                .is_some_and(|s| validators::condition(&s.when, state))
    }

    fn applicable_steps(&self, state: &State) -> Vec<&str> {
        self.prompts
            .port_in
            .order
            .iter()
            .map(String::as_str)
            .filter(|id| self.applies(state, id))
            .collect()
    }

    fn next_step(&self, state: &State) -> Option<String> {
        self.applicable_steps(state)
            .into_iter()
            .find(|id| !state.answers.contains_key(*id))
            .map(str::to_string)
    }

    fn previous_step(&self, state: &State, current: &str) -> Option<String> {
        let applicable = self.applicable_steps(state);
        let index = applicable.iter().position(|id| *id == current)?;
        applicable[..index]
            .iter()
            .rev()
            .find(|id| !FINAL_STEPS.contains(id))
            .map(|id| id.to_string())
    }

    fn find_field(&self, state: &State, field: &str) -> Option<String> {
        let field = normalize(field);
        let wanted = field.replace([' ', '-'], "_");
        self.applicable_steps(state)
            .into_iter()
            .filter(|id| !FINAL_STEPS.contains(id))
            .find(|id| {
                let step = &self.prompts.port_in.steps[*id];
                *id == wanted
                    || normalize(&step.label) == field
                    || step.aliases.iter().any(|a| normalize(a) == field)
            })
            .map(str::to_string)
    }

    /// The steps whose answer the customer can change now (`change <step>`), in flow order.
    pub fn changeable_steps(&self, state: &State) -> Vec<&str> {
        self.applicable_steps(state)
            .into_iter()
            .filter(|id| !FINAL_STEPS.contains(id) && state.answers.contains_key(*id))
            .collect()
    }

    fn changeable_fields(&self, state: &State) -> String {
        self.changeable_steps(state)
            .into_iter()
            .map(|id| {
                let step = &self.prompts.port_in.steps[id];
                step.aliases
                    .first()
                    .cloned()
                    .unwrap_or_else(|| id.replace('_', " "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn refusal_replies(
        &self,
        state: &mut State,
        id: &str,
        step: &Step,
        refusals: &[Refusal],
        today: NaiveDate,
    ) -> Vec<Reply> {
        state.failures = state.failures.saturating_add(1);
        let mut lines = Vec::new();
        for refusal in refusals {
            let template = self
                .prompts
                .error_text(step, refusal.code)
                .unwrap_or(refusal.code);
            let mut args = refusal.args.clone();
            args.push(("label", step.label.clone()));
            let text = fill(template, &args);
            if refusals.len() > 1 {
                lines.push(format!("• {text}"));
            } else {
                lines.push(text);
            }
        }
        let mut text = lines.join("\n");
        text.push('\n');
        text.push_str(&self.examples(state, step, today));
        if state.failures >= 3 {
            text.push_str("\n\n");
            text.push_str(self.prompts.message("offer_agent"));
        }
        vec![Reply::say(text), self.question(state, id, step, today)]
    }

    fn examples(&self, state: &State, step: &Step, today: NaiveDate) -> String {
        let args = self.question_args(state, today);
        let examples: Vec<String> = step.examples.iter().map(|e| fill(e, &args)).collect();
        fill(
            self.prompts.message("example"),
            &[("examples", examples.join(" · "))],
        )
    }

    fn confirm_reply(&self, key: &str) -> Reply {
        Reply {
            text: self.prompts.message(key).to_string(),
            choices: vec!["Yes".into(), "No".into()],
            step: None,
        }
    }

    fn menu_reply(&self) -> Reply {
        Reply {
            text: self.prompts.common.menu_question.clone(),
            choices: self
                .prompts
                .common
                .menu_choices
                .iter()
                .map(|c| c.label.clone())
                .collect(),
            step: None,
        }
    }

    /// The question the customer should answer now.
    pub fn pending_question(&self, state: &State, today: NaiveDate) -> Vec<Reply> {
        if state.paused {
            return vec![Reply::say(self.prompts.message("still_paused"))];
        }
        match state.pending {
            Some(Pending::ConfirmCancel) => return vec![self.confirm_reply("cancel_confirm")],
            Some(Pending::ConfirmStartOver) => {
                return vec![self.confirm_reply("start_over_confirm")];
            }
            _ => {}
        }
        match (state.flow, state.step.as_deref()) {
            (Flow::PortIn, Some(id)) => match self.prompts.step(id) {
                Some(step) => vec![self.question(state, id, step, today)],
                None => vec![self.menu_reply()],
            },
            (Flow::Done, _) => vec![Reply::say(self.prompts.message("finished"))],
            _ => vec![self.menu_reply()],
        }
    }

    fn question_args(&self, state: &State, today: NaiveDate) -> Vec<(&'static str, String)> {
        let earliest = self.rules.earliest(today, self.calendar);
        let latest = self.rules.latest(today, self.calendar);
        vec![
            ("suggestion", dates::format_long(earliest)),
            ("earliest", dates::format_long(earliest)),
            ("latest", dates::format_long(latest)),
            ("min_days", self.rules.min_days.to_string()),
            ("max_days", self.rules.max_days.to_string()),
            ("provider", self.provider_name.to_string()),
            (
                "authorized_name",
                state
                    .text("authorized_name")
                    .unwrap_or_default()
                    .to_string(),
            ),
            ("customer_name", customer_name(state).unwrap_or_default()),
            (
                "carrier",
                state.text("carrier").unwrap_or_default().to_string(),
            ),
            ("numbers", validators::join_national(state.numbers())),
        ]
    }

    fn question(&self, state: &State, id: &str, step: &Step, today: NaiveDate) -> Reply {
        let args = self.question_args(state, today);
        let mut text = String::new();
        if id == "summary" {
            text.push_str(&self.summary_text(state));
            text.push_str("\n\n");
        }
        text.push_str(&fill(&step.question, &args));
        if let Some(Pending::NumbersDraft { kept }) = &state.pending
            && id == "numbers"
            && !kept.is_empty()
        {
            text.push('\n');
            text.push_str(self.prompts.message("numbers_draft_help"));
        }
        if !FINAL_STEPS.contains(&id)
            && let Some(answer) = state.answer(id)
        {
            text.push('\n');
            text.push_str(&fill(
                self.prompts.message("current_answer"),
                &[("answer", self.display(id, answer))],
            ));
        }
        Reply {
            text,
            choices: step.choices.iter().map(|c| c.label.clone()).collect(),
            step: Some(id.to_string()),
        }
    }

    /// An answer as the customer reads it; secrets masked.
    fn display(&self, id: &str, answer: &Answer) -> String {
        match answer {
            Answer::Bool(true) => "Yes".into(),
            Answer::Bool(false) => "No".into(),
            Answer::Choice(value) => self
                .prompts
                .step(id)
                .and_then(|s| s.choices.iter().find(|c| &c.value == value))
                .map(|c| c.label.clone())
                .unwrap_or_else(|| value.clone()),
            Answer::Text(text) => text.clone(),
            Answer::Numbers(numbers) => validators::join_national(numbers),
            Answer::Phone(number) => number.national(),
            Answer::Address(address) => address.one_line(),
            Answer::Date(date) => dates::format_long(*date),
            Answer::Email(email) => email.as_str().to_string(),
            Answer::Upload(upload) => {
                format!("{} ({} KB)", upload.file_name, upload.size.div_ceil(1024))
            }
            Answer::Secret { chars } => fill(
                self.prompts.message("summary_masked"),
                &[("chars", chars.to_string())],
            ),
            Answer::Skipped => self.prompts.message("summary_skipped").to_string(),
        }
    }

    /// Every answer that applies, one per line, for the summary and for agents.
    pub fn summary_text(&self, state: &State) -> String {
        let mut text = self.prompts.message("summary_intro").to_string();
        text.push_str(&self.answer_lines(state));
        text
    }

    /// One line per answer that applies, each starting with a newline.
    fn answer_lines(&self, state: &State) -> String {
        let mut text = String::new();
        for id in self.applicable_steps(state) {
            if FINAL_STEPS.contains(&id) {
                continue;
            }
            let step = &self.prompts.port_in.steps[id];
            let value = match state.answer(id) {
                Some(answer) => self.display(id, answer),
                None => self.prompts.message("summary_not_given").to_string(),
            };
            text.push_str(&format!("\n• {}: {}", step.label, value));
        }
        text
    }

    fn agent_summary(&self, state: &State) -> String {
        let step = state
            .step
            .as_deref()
            .and_then(|id| self.prompts.step(id))
            .map(|s| s.label.clone())
            .unwrap_or_else(|| "-".into());
        let mut text = fill(self.prompts.message("agent_summary"), &[("label", step)]);
        text.push_str(&self.answer_lines(state));
        text
    }

    /// What to say after tickets were created: the ticket lines come from the adapter.
    pub fn next_steps(&self) -> String {
        self.prompts.message("next_steps").to_string()
    }

    fn faq_answer(&self, text: &str) -> Option<String> {
        let lowered = normalize(text);
        let first_word = lowered.split(' ').next().unwrap_or_default();
        let is_question = text.trim_end().ends_with('?')
            || self
                .prompts
                .faq
                .question_words
                .iter()
                .any(|w| w == first_word);
        if !is_question {
            return None;
        }
        self.prompts
            .faq
            .entries
            .iter()
            .find(|entry| entry.keywords.iter().any(|k| lowered.contains(k.as_str())))
            .map(|entry| {
                fill(
                    &entry.answer,
                    &[("provider", self.provider_name.to_string())],
                )
            })
    }
}

/// Whether a fix changed anything the LOA shows. Secret answers (the account number) cannot be
/// compared, so a re-entered one counts as a change; the PIN is never on the LOA.
fn fix_changes_loa(state: &State, fix: &state::Fix) -> bool {
    fix.force_signature
        || fix
            .fields
            .iter()
            .filter(|f| !matches!(f.as_str(), "pin" | "mobile_pin" | "order_cleared"))
            .any(|f| {
                let now = state.answers.get(f);
                now != fix.before.get(f) || matches!(now, Some(Answer::Secret { .. }))
            })
}

fn customer_name(state: &State) -> Option<String> {
    match state.choice("customer_type") {
        Some("business") => state.text("business_name").map(str::to_string),
        Some("residential") => state.text("account_holder").map(str::to_string),
        _ => None,
    }
}

/// Builds the port requests (one per number kind) from a finished conversation. The account
/// number comes from the encrypted store, so the caller passes it in.
pub fn build_requests(
    state: &State,
    account_number: Option<String>,
) -> Result<Vec<PortRequest>, String> {
    let missing = |field: &str| format!("the answer for `{field}` is missing");
    let number_type = match state.choice("number_type") {
        Some("mobile") => NumberType::Mobile,
        Some("landline") => NumberType::Landline,
        _ => return Err(missing("number_type")),
    };
    let customer_type = match state.choice("customer_type") {
        Some("business") => CustomerType::Business,
        Some("residential") => CustomerType::Residential,
        _ => return Err(missing("customer_type")),
    };
    let customer_name =
        customer_name(state).ok_or_else(|| missing("business_name/account_holder"))?;
    let service_address = match state.answer("service_address") {
        Some(Answer::Address(a)) => a.clone(),
        _ => return Err(missing("service_address")),
    };
    let email = match state.answer("email") {
        Some(Answer::Email(e)) => e.clone(),
        _ => return Err(missing("email")),
    };
    let requested_port_date = match state.answer("port_date") {
        Some(Answer::Date(d)) => *d,
        _ => return Err(missing("port_date")),
    };
    let carrier = state
        .text("carrier")
        .ok_or_else(|| missing("carrier"))?
        .to_string();
    let authorized_name = state
        .text("authorized_name")
        .ok_or_else(|| missing("authorized_name"))?
        .to_string();
    let partial_port = state.bool("partial_port") == Some(true);
    let phone = |id: &str| -> Option<PhoneNumber> { state.phone(id).cloned() };
    let groups = crate::porting::phone::split_by_kind(state.numbers());
    if groups.is_empty() {
        return Err(missing("numbers"));
    }
    Ok(groups
        .into_iter()
        .map(|(kind, numbers)| PortRequest {
            kind,
            numbers,
            carrier: carrier.clone(),
            number_type,
            customer_type,
            customer_name: customer_name.clone(),
            service_address: service_address.clone(),
            authorized_name: authorized_name.clone(),
            authorized_title: state.text("authorized_title").map(str::to_string),
            btn: phone("btn"),
            account_number: account_number.clone(),
            partial_port,
            new_btn: if partial_port { phone("new_btn") } else { None },
            requested_port_date,
            email: email.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::porting::NumberKind;

    struct Fixture {
        prompts: Prompts,
        calendar: PortCalendar,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                prompts: Prompts::builtin().expect("built-in prompts"),
                calendar: PortCalendar::new([]),
            }
        }

        fn engine(&self) -> Engine<'_> {
            Engine {
                prompts: &self.prompts,
                calendar: &self.calendar,
                rules: PortDateRules::default(),
                max_upload_bytes: 1024,
                provider_name: "Example Voice Co.",
                unprintable: crate::loa::unprintable,
            }
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-23T15:00:00Z".parse().unwrap()
    }

    /// Answers up to and including `answers`, returning the last turn.
    fn run(engine: &Engine, answers: &[&str]) -> Turn {
        let (mut state, _) = engine.start();
        let mut last = None;
        for answer in answers {
            let turn = engine.step(state, Input::Text(answer.to_string()), now());
            state = turn.state.clone();
            last = Some(turn);
        }
        last.expect("at least one answer")
    }

    const TO_SUMMARY: &[&str] = &[
        "1",
        "yes",
        "skip",
        "yes",
        "4821",
        "skip",
        "yes",
        "312-448-2915, 800-736-4192",
        "yes",
        "AT&T",
        "landline",
        "business",
        "Acme Plumbing LLC",
        "500 W Madison St, Chicago, IL 60661",
        "Maria Garcia",
        "skip",
        "skip",
        "8472 1193 0045",
        "no",
        "ok",
        "maria@example.com",
    ];

    #[test]
    fn a_wrong_answer_changes_nothing_but_the_count_of_failures() {
        let fixture = Fixture::new();
        let engine = fixture.engine();
        let before = run(&engine, &TO_SUMMARY[..8]).state;
        let after = engine
            .step(before.clone(), Input::Text("maybe".into()), now())
            .state;
        assert_eq!(after.answers, before.answers);
        assert_eq!(after.step, before.step);
        assert_eq!(after.failures, before.failures + 1);
    }

    #[test]
    fn the_third_wrong_answer_in_a_row_offers_an_agent() {
        let fixture = Fixture::new();
        let engine = fixture.engine();
        let mut state = run(&engine, &TO_SUMMARY[..1]).state;
        let mut texts = Vec::new();
        for _ in 0..3 {
            let turn = engine.step(state, Input::Text("maybe".into()), now());
            texts.push(turn.replies[0].text.clone());
            state = turn.state;
        }
        let offer = fixture.prompts.message("offer_agent");
        assert!(!texts[1].contains(offer));
        assert!(texts[2].contains(offer));
    }

    #[test]
    fn the_saved_state_never_holds_the_pin_or_the_account_number() {
        let fixture = Fixture::new();
        let engine = fixture.engine();
        let turn = run(&engine, TO_SUMMARY);
        let json = turn.state.to_json();
        assert!(!json.contains("4821"), "{json}");
        assert!(!json.contains("847211930045"), "{json}");
        assert_eq!(turn.state.step.as_deref(), Some("summary"));
    }

    #[test]
    fn a_secret_answer_is_an_effect_and_is_kept_out_of_the_transcript() {
        let fixture = Fixture::new();
        let engine = fixture.engine();
        let before = run(&engine, &TO_SUMMARY[..4]).state;
        assert_eq!(before.step.as_deref(), Some("pin"));
        let turn = engine.step(before, Input::Text("4821".into()), now());
        assert!(turn.redact_input);
        assert!(
            turn.effects
                .iter()
                .any(|e| matches!(e, Effect::StoreSecret { step, .. } if step == "pin"))
        );
    }

    #[test]
    fn changing_the_numbers_asks_again_whether_they_share_one_bill() {
        let fixture = Fixture::new();
        let engine = fixture.engine();
        let state = run(&engine, &TO_SUMMARY[..10]).state;
        assert_eq!(state.bool("same_bill"), Some(true));
        let state = engine
            .step(state, Input::Text("change numbers".into()), now())
            .state;
        let turn = engine.step(state, Input::Text("312-448-2916".into()), now());
        assert_eq!(turn.state.bool("same_bill"), None);
        assert_eq!(turn.state.step.as_deref(), Some("same_bill"));
    }

    #[test]
    fn a_mixed_list_becomes_one_request_per_kind_with_the_same_details() {
        let fixture = Fixture::new();
        let engine = fixture.engine();
        let state = run(&engine, TO_SUMMARY).state;
        let requests = build_requests(&state, Some("847211930045".into())).unwrap();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].kind, NumberKind::Local);
        assert_eq!(requests[1].kind, NumberKind::TollFree);
        assert_eq!(requests[0].customer_name, "Acme Plumbing LLC");
        assert_eq!(requests[1].service_address, requests[0].service_address);
        assert_eq!(requests[0].requested_port_date.to_string(), "2026-11-30");
    }

    #[test]
    fn a_name_the_loa_cannot_print_is_refused_when_given_and_cyrillic_is_accepted() {
        let fixture = Fixture::new();
        let engine = fixture.engine();
        let state = run(&engine, &TO_SUMMARY[..12]).state;
        assert_eq!(state.step.as_deref(), Some("business_name"));
        let turn = engine.step(state.clone(), Input::Text("王氏贸易有限公司".into()), now());
        assert_eq!(turn.state.step.as_deref(), Some("business_name"));
        assert!(
            turn.replies[0].text.contains("can't print"),
            "{:?}",
            turn.replies
        );
        let turn = engine.step(state, Input::Text("ООО Дмитрий Иванов".into()), now());
        assert_eq!(turn.state.text("business_name"), Some("ООО Дмитрий Иванов"));
    }

    #[test]
    fn no_input_at_any_step_panics_and_the_state_always_loads_back() {
        let fixture = Fixture::new();
        let engine = fixture.engine();
        let long = "7".repeat(100_000);
        let hostile = [
            "",
            " ",
            "\u{0}\u{1b}[2J",
            "📞📞",
            long.as_str(),
            "back",
            "skip",
            "change",
            "change 💥",
            "help",
            "status",
            "cancel",
            "no",
            "1",
            "99",
            "-1",
            "+1",
            "12/32/2026",
            "Feb 29",
            "PO Box 1, X, ZZ 0",
            "@",
            "agent",
            "resume",
            "start over",
            "menu",
            "?",
        ];
        for depth in 1..=TO_SUMMARY.len() {
            let state = run(&engine, &TO_SUMMARY[..depth]).state;
            for input in hostile {
                let turn = engine.step(state.clone(), Input::Text(input.to_string()), now());
                assert!(
                    !turn.replies.is_empty(),
                    "no reply to {input:?} at depth {depth}"
                );
                let loaded = State::from_json(&turn.state.to_json()).expect("state loads back");
                assert_eq!(loaded, turn.state);
            }
            let file = Input::File {
                file_name: "x.pdf".into(),
                bytes: vec![0; 2048],
                size: 2048,
            };
            let turn = engine.step(state, file, now());
            assert!(!turn.replies.is_empty());
        }
    }
}
