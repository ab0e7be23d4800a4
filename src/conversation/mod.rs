//! The conversation engine: a pure state machine.
//!
//! [`Engine::step`] takes the saved [`State`], what the customer sent and the time, and returns
//! the new state, the bot's replies and the [`Effect`]s for the adapters to carry out (store a
//! secret or a document, create tickets, hand off to an agent). It never sends or stores
//! anything itself, so every conversation can be replayed in tests.
//!
//! Routing is in one place, [`Engine::step`]: a typed message is first understood
//! (`understand`: a command, a question and its topic, small talk, frustration, a correction or
//! an answer), then acted on; buttons arrive already typed ([`Input::Choice`],
//! [`Input::Command`]). Answers are read for the pending step and for other fields the same
//! message gives (`reading`), then checked by the step's validator (`validators`) and kept
//! (`answers`); `corrections` applies a new value for an earlier answer; `menu` reads the
//! opening message and buttons; `commands` runs help, back, skip, agent, cancel, status, start
//! over, menu and `change <field>`; `questions` answers questions and what is said after
//! submitting; `flow`
//! decides which step comes next; `summaries` words the questions and summaries; `requests`
//! builds the port requests. A wrong answer never changes what is known: the step is asked
//! again with the reason and an example, and a text that is not clearly an answer is never
//! stored as one.

mod answers;
mod commands;
mod corrections;
mod flow;
mod handoff;
mod menu;
mod questions;
mod reading;
mod requests;
pub mod script;
pub mod state;
mod summaries;
mod understand;
pub mod validators;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use secrecy::SecretString;
use serde::Serialize;

use crate::porting::text::clean_input;
use crate::porting::{PortCalendar, PortDateRules};
pub use commands::Command;
pub use requests::build_requests;
use script::Script;
pub use state::{Answer, Flow, Pending, State};
use understand::{Intent, SmallTalk};

/// What the customer sent.
#[derive(Debug, Clone)]
pub enum Input {
    Text(String),
    /// A button or menu option: the value of a choice of `step` (`None`: the opening menu).
    /// Adapters send these instead of the choice's words, so nothing is read twice.
    Choice {
        step: Option<String>,
        value: String,
    },
    /// A button that gives a command (Back, Help, an agent, a field to change).
    Command(Command),
    /// Text typed for a named step (a secret or the signature in a modal): read like typed
    /// text, and only if that step is still the one asked, so it never lands on another.
    Answer {
        step: String,
        text: String,
    },
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
    /// After submitting, the customer asked to cancel a request or change its port date: a
    /// request to the porting team, recorded on the ticket (the adapter says which tickets);
    /// never a change the bot makes itself.
    TicketRequest {
        kind: TicketRequestKind,
        /// The ticket the customer named, if any.
        ticket: Option<String>,
        /// The customer's words, for the agents.
        words: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketRequestKind {
    Cancel,
    ChangeDate,
    /// "I typed my email wrong": a correction of a submitted request.
    Correct,
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
    pub prompts: &'a Script,
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
            return vec![Reply::say(&self.prompts.common.messages.still_paused)];
        }
        let mut replies = vec![Reply::say(&self.prompts.common.messages.welcome_back)];
        replies.extend(self.pending_question(state, today(now)));
        replies
    }

    /// One customer message.
    pub fn step(&self, state: State, input: Input, now: DateTime<Utc>) -> Turn {
        self.step_with(state, input, now, true)
    }

    /// One message of a customer who has nothing submitted: in a new conversation, "cancel"
    /// or "I typed my email wrong" is about this conversation, not a request on a ticket.
    pub fn step_without_tickets(&self, state: State, input: Input, now: DateTime<Utc>) -> Turn {
        self.step_with(state, input, now, false)
    }

    fn step_with(
        &self,
        mut state: State,
        input: Input,
        now: DateTime<Utc>,
        ticket_requests: bool,
    ) -> Turn {
        let today = today(now);
        let mut replies = Vec::new();
        let step_is_secret = self.awaits_secret(&state);
        let input = match self.modal_answer(&state, input, today) {
            Ok(input) => input,
            Err(replies) => return self.finish(state, replies, Vec::new(), true),
        };
        let text = match &input {
            Input::Text(raw) => Some(clean_input(raw)),
            _ => None,
        };
        let said = text.as_deref().map(normalize).unwrap_or_default();

        // A finished conversation, or a new one (a customer coming back after submitting):
        // cancelling or changing a submitted request is a request to the porting team.
        let fresh = state.flow == Flow::Menu
            && state.answers.is_empty()
            && state.pending.is_none()
            && ticket_requests;
        if (state.flow == Flow::Done || fresh)
            && !state.paused
            && let Some(text) = &text
            && let Some(turn) = self.after_submit(&state, text, &said, today, fresh)
        {
            return turn;
        }
        if matches!(state.flow, Flow::Done | Flow::Cancelled) {
            let (fresh, _) = self.start();
            state = fresh;
        }

        if state.paused {
            return self.while_paused(state, &input, &said, today, step_is_secret);
        }

        if let Some(turn) = self.confirmation(&mut state, &input, text.as_deref(), today) {
            return turn;
        }

        let text = match input {
            Input::Command(command) => {
                return self.run_command(command, state, today, step_is_secret);
            }
            Input::Choice { step, value } => return self.typed_choice(state, step, value, today),
            Input::File { .. } => None,
            // Turned into text above, or answered as a stale one.
            Input::Text(_) | Input::Answer { .. } => text,
        };
        let Some(text) = text else {
            return match state.flow {
                Flow::PortIn => self.answer_step(state, input, None, today, step_is_secret),
                _ => self.menu(state, None, Intent::Answer, today),
            };
        };
        if text.is_empty() {
            replies.push(Reply::say(&self.prompts.common.messages.empty));
            replies.extend(self.pending_question(&state, today));
            return self.finish(state, replies, Vec::new(), false);
        }
        self.understood(state, text, &said, today, step_is_secret)
    }

    /// A modal's answer as typed text, when its step is still the one asked; for a step no
    /// longer asked it is not an answer, and the replies say so.
    fn modal_answer(
        &self,
        state: &State,
        input: Input,
        today: NaiveDate,
    ) -> Result<Input, Vec<Reply>> {
        match input {
            Input::Answer { step, text } if state.step.as_deref() == Some(step.as_str()) => {
                Ok(Input::Text(text))
            }
            Input::Answer { .. } => {
                let mut replies = vec![Reply::say(&self.prompts.common.messages.stale_choice)];
                replies.extend(self.pending_question(state, today));
                Err(replies)
            }
            input => Ok(input),
        }
    }

    /// While an agent has the conversation, the bot only says so, until the customer asks
    /// for it back.
    fn while_paused(
        &self,
        mut state: State,
        input: &Input,
        said: &str,
        today: NaiveDate,
        step_is_secret: bool,
    ) -> Turn {
        let words = crate::porting::text::match_words(said);
        let resume = self
            .prompts
            .common
            .commands
            .resume
            .iter()
            .any(|c| c == said)
            || understand::contains(&words, &self.prompts.understanding.resume)
            || matches!(input, Input::Command(Command::Resume));
        let mut replies = Vec::new();
        if resume {
            state.paused = false;
            replies.push(Reply::say(&self.prompts.common.messages.resumed));
            replies.extend(self.pending_question(&state, today));
        } else {
            replies.push(Reply::say(&self.prompts.common.messages.still_paused));
        }
        self.finish(state, replies, Vec::new(), step_is_secret)
    }

    /// A typed message, understood in the context of the pending question.
    fn understood(
        &self,
        state: State,
        text: String,
        said: &str,
        today: NaiveDate,
        step_is_secret: bool,
    ) -> Turn {
        let intent = self.understand(&text, said, &state);
        if state.flow != Flow::PortIn {
            return match intent {
                Intent::Command(command) => self.run_command(command, state, today, false),
                intent => self.menu(state, Some(&text), intent, today),
            };
        }
        match intent {
            Intent::Command(command) => self.run_command(command, state, today, step_is_secret),
            Intent::Question(topic) => self.answer_question(state, &topic, today, step_is_secret),
            Intent::SmallTalk(talk) => self.small_talk(state, talk, today, step_is_secret),
            Intent::Frustration => {
                let mut replies = vec![Reply::say(&self.prompts.common.messages.frustration)];
                replies.extend(self.pending_question(&state, today));
                self.finish(state, replies, Vec::new(), step_is_secret)
            }
            Intent::Correction(correction) => {
                self.correct(state, correction, today, step_is_secret)
            }
            Intent::Answer => {
                let input = Input::Text(text.clone());
                self.answer_step(state, input, Some(text), today, step_is_secret)
            }
        }
    }

    /// Hello, thanks, goodbye or "hold on": a short answer, and the question again unless the
    /// customer is leaving or busy.
    fn small_talk(
        &self,
        state: State,
        talk: SmallTalk,
        today: NaiveDate,
        step_is_secret: bool,
    ) -> Turn {
        let messages = &self.prompts.common.messages;
        let text = match talk {
            SmallTalk::Greeting => &messages.greeting_again,
            SmallTalk::Thanks => &messages.thanks_reply,
            SmallTalk::Goodbye => &messages.goodbye_reply,
            SmallTalk::Hold => &messages.take_your_time,
        };
        let mut replies = vec![Reply::say(text)];
        if !matches!(talk, SmallTalk::Goodbye | SmallTalk::Hold) {
            replies.extend(self.pending_question(&state, today));
        }
        self.finish(state, replies, Vec::new(), step_is_secret)
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
}

#[cfg(test)]
mod tests;
