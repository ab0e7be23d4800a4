//! The commands a customer can give at any step: help, back, skip, agent, cancel, status,
//! start over, menu, resume and change <field>.

use chrono::NaiveDate;

use super::state::{Answer, Flow, Pending, State};
use super::understand::YesNo;
use super::validators;
use super::{Effect, Engine, Input, Reply, Turn};
use crate::template::fill;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
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
    pub(super) fn command(&self, said: &str) -> Option<Command> {
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

    pub(super) fn run_command(
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
                        None => {
                            replies.push(Reply::say(&self.prompts.common.messages.back_at_start))
                        }
                    }
                } else {
                    replies.push(Reply::say(&self.prompts.common.messages.back_at_start));
                }
                replies.extend(self.pending_question(&state, today));
            }
            Command::Skip => {
                if !in_port_in {
                    replies.push(Reply::say(
                        &self.prompts.common.messages.not_understood_menu,
                    ));
                    replies.push(self.menu_reply());
                } else if let Some(id) = state.step.clone() {
                    // "I don't have it" at "do you have a PIN?": not sure, not a skip.
                    let unsure = self.prompts.step(&id).is_some_and(|s| {
                        !s.optional && s.choices.iter().any(|c| c.value == "unsure")
                    });
                    if unsure {
                        let input = Input::Choice {
                            step: Some(id.clone()),
                            value: "unsure".into(),
                        };
                        return self.answer_step(
                            state,
                            input,
                            Some("unsure".into()),
                            today,
                            secret,
                        );
                    }
                    return self.skip(state, &id, today, secret);
                }
            }
            Command::Agent => {
                state.paused = true;
                state.pending = None;
                effects.push(Effect::Handoff {
                    summary: self.agent_summary(&state),
                });
                replies.push(Reply::say(&self.prompts.common.messages.paused_for_agent));
            }
            Command::Resume => {
                replies.push(Reply::say(&self.prompts.common.messages.resumed));
                replies.extend(self.pending_question(&state, today));
            }
            Command::Cancel => {
                state.pending = Some(Pending::ConfirmCancel);
                replies.push(self.confirm_reply(&self.prompts.common.messages.cancel_confirm));
            }
            Command::StartOver => {
                state.pending = Some(Pending::ConfirmStartOver);
                replies.push(self.confirm_reply(&self.prompts.common.messages.start_over_confirm));
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
                        &self.prompts.common.messages.status_progress,
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
                    replies.push(Reply::say(
                        &self.prompts.common.messages.not_understood_menu,
                    ));
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
                            let messages = &self.prompts.common.messages;
                            let text = if field.is_empty() {
                                &messages.change_list
                            } else {
                                &messages.change_unknown
                            };
                            replies.push(Reply::say(fill(
                                text,
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

    pub(super) fn skip(&self, mut state: State, id: &str, today: NaiveDate, secret: bool) -> Turn {
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
            // What this question offered besides ("and the BTN, if the bill shows one").
            for offered in &step.offers {
                if !state.answers.contains_key(offered) {
                    state.answers.insert(offered.clone(), Answer::Skipped);
                }
            }
            replies.push(Reply::say(fill(
                &self.prompts.common.messages.skipped,
                &[("label", step.label.clone())],
            )));
            replies.extend(self.advance(&mut state, today, &mut effects));
        } else {
            let reason = step
                .skip_refused
                .as_deref()
                .unwrap_or(&self.prompts.common.messages.skip_refused);
            replies.push(Reply::say(fill(reason, &[("label", step.label.clone())])));
            replies.push(self.question(&state, id, step, today));
        }
        self.finish(state, replies, effects, secret)
    }

    pub(super) fn confirm_reply(&self, text: &str) -> Reply {
        Reply {
            text: text.to_string(),
            choices: vec!["Yes".into(), "No".into()],
            step: None,
        }
    }
}

impl Engine<'_> {
    /// The answer to a yes/no question the bot asked that is not a step: cancel, start over,
    /// or whether it read the carrier right. `None` when the message is not an answer to it:
    /// the customer moved on, and the message is read as a new one.
    pub(super) fn confirmation(
        &self,
        state: &mut State,
        input: &Input,
        text: Option<&str>,
        today: NaiveDate,
    ) -> Option<Turn> {
        let pending = state.pending.clone()?;
        if !matches!(
            pending,
            Pending::ConfirmCancel | Pending::ConfirmStartOver | Pending::ConfirmCarrier { .. }
        ) {
            return None;
        }
        let answer = match input {
            Input::Choice { value, .. } => match value.as_str() {
                "yes" => Some(YesNo::Yes),
                "no" => Some(YesNo::No),
                _ => None,
            },
            // The numbered choices "1. Yes", "2. No" as typed in the terminal.
            _ => text.and_then(|t| match t.trim() {
                "1" => Some(YesNo::Yes),
                "2" => Some(YesNo::No),
                t => self.yes_no(t),
            }),
        };
        state.pending = None;
        // Anything else: the customer moved on; the message is read as a new one.
        let answer = answer.filter(|a| *a != YesNo::Unsure)?;
        let mut replies = Vec::new();
        let mut effects = Vec::new();
        let state = std::mem::take(state);
        let state = match (pending, answer) {
            (Pending::ConfirmCancel, YesNo::Yes) => {
                let mut state = State::new();
                state.flow = Flow::Cancelled;
                effects.push(Effect::ClearSecrets);
                replies.push(Reply::say(&self.prompts.common.messages.cancelled));
                return Some(self.finish(state, replies, effects, false));
            }
            (Pending::ConfirmStartOver, YesNo::Yes) => {
                let restart_port_in = state.flow == Flow::PortIn;
                let mut state = State::new();
                effects.push(Effect::ClearSecrets);
                replies.push(Reply::say(&self.prompts.common.messages.started_over));
                if restart_port_in {
                    state.flow = Flow::PortIn;
                    state.step = self.next_step(&state);
                }
                state
            }
            (Pending::ConfirmCancel | Pending::ConfirmStartOver, YesNo::No) => {
                replies.push(Reply::say(&self.prompts.common.messages.cancel_kept));
                state
            }
            (Pending::ConfirmCarrier { name }, YesNo::Yes) => {
                let mut state = state;
                self.set_answer(&mut state, "carrier", Answer::Text(name));
                replies.extend(self.advance(&mut state, today, &mut effects));
                return Some(self.finish(state, replies, effects, false));
            }
            (Pending::ConfirmCarrier { .. }, YesNo::No) => {
                replies.push(Reply::say(&self.prompts.common.messages.carrier_retype));
                state
            }
            (_, _) => state,
        };
        replies.extend(self.pending_question(&state, today));
        Some(self.finish(state, replies, effects, false))
    }
}
