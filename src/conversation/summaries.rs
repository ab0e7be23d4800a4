//! What the bot shows: the pending question, the menu, answers as the customer reads them, the
//! summary and the hand-off summary for agents.

use chrono::NaiveDate;

use super::script::Step;
use super::state::{Answer, Flow, Pending, State};
use super::validators;
use super::{Engine, FINAL_STEPS, Reply};
use crate::porting::dates;
use crate::template::fill;

impl<'a> Engine<'a> {
    /// The summary of what the customer told us so far, for an agent taking over.
    pub fn handoff_summary(&self, state: &State) -> String {
        self.agent_summary(state)
    }

    pub(super) fn menu_reply(&self) -> Reply {
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
            return vec![Reply::say(&self.prompts.common.messages.still_paused)];
        }
        match state.pending {
            Some(Pending::ConfirmCancel) => {
                return vec![self.confirm_reply(&self.prompts.common.messages.cancel_confirm)];
            }
            Some(Pending::ConfirmStartOver) => {
                return vec![self.confirm_reply(&self.prompts.common.messages.start_over_confirm)];
            }
            _ => {}
        }
        match (state.flow, state.step.as_deref()) {
            (Flow::PortIn, Some(id)) => match self.prompts.step(id) {
                Some(step) => vec![self.question(state, id, step, today)],
                None => vec![self.menu_reply()],
            },
            (Flow::Done, _) => vec![Reply::say(&self.prompts.common.messages.finished)],
            _ => vec![self.menu_reply()],
        }
    }

    pub(super) fn question_args(
        &self,
        state: &State,
        today: NaiveDate,
    ) -> Vec<(&'static str, String)> {
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

    pub(super) fn question(&self, state: &State, id: &str, step: &Step, today: NaiveDate) -> Reply {
        let args = self.question_args(state, today);
        let mut text = String::new();
        if id == "summary" {
            text.push_str(&self.summary_text(state));
            text.push_str("\n\n");
        }
        let wording = step
            .variants
            .iter()
            .find(|v| validators::condition(&v.when, state))
            .map_or(&step.question, |v| &v.question);
        text.push_str(&fill(wording, &args));
        if let Some(Pending::NumbersDraft { kept }) = &state.pending
            && id == "numbers"
            && !kept.is_empty()
        {
            text.push('\n');
            text.push_str(&self.prompts.port_in.messages.numbers_draft_help);
        }
        if !FINAL_STEPS.contains(&id)
            && let Some(answer) = state.answer(id)
        {
            text.push('\n');
            text.push_str(&fill(
                &self.prompts.common.messages.current_answer,
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
    pub(super) fn display(&self, id: &str, answer: &Answer) -> String {
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
                &self.prompts.common.messages.summary_masked,
                &[("chars", chars.to_string())],
            ),
            Answer::Skipped => self.prompts.common.messages.summary_skipped.to_string(),
        }
    }

    /// Every answer that applies, one per line, for the summary and for agents.
    pub fn summary_text(&self, state: &State) -> String {
        let mut text = self.prompts.common.messages.summary_intro.to_string();
        text.push_str(&self.answer_lines(state));
        text
    }

    /// One line per answer that applies, each starting with a newline.
    pub(super) fn answer_lines(&self, state: &State) -> String {
        self.lines_for(state, false)
    }

    /// The answer lines; for agents (`for_agents`), a secret says only that it was given,
    /// never its length.
    fn lines_for(&self, state: &State, for_agents: bool) -> String {
        let mut text = String::new();
        for id in self.applicable_steps(state) {
            if FINAL_STEPS.contains(&id) {
                continue;
            }
            // A mobile PIN given later answers "does your carrier use a PIN?" after all.
            if id == "pin_required" && state.is_secret_given("mobile_pin") {
                continue;
            }
            let step = &self.prompts.port_in.steps[id];
            let value = match state.answer(id) {
                Some(Answer::Secret { .. }) if for_agents => self
                    .prompts
                    .common
                    .messages
                    .summary_secret_given
                    .to_string(),
                Some(answer) => self.display(id, answer),
                None => self.prompts.common.messages.summary_not_given.to_string(),
            };
            text.push_str(&format!("\n• {}: {}", step.label, value));
        }
        text
    }

    pub(super) fn agent_summary(&self, state: &State) -> String {
        let step = state
            .step
            .as_deref()
            .and_then(|id| self.prompts.step(id))
            .map(|s| s.label.clone())
            .unwrap_or_else(|| "-".into());
        let mut text = fill(
            &self.prompts.common.messages.agent_summary,
            &[("label", step)],
        );
        text.push_str(&self.lines_for(state, true));
        text
    }

    /// What to say after tickets were created: the ticket lines come from the adapter.
    pub fn next_steps(&self) -> String {
        self.prompts.common.messages.next_steps.to_string()
    }
}

pub(super) fn customer_name(state: &State) -> Option<String> {
    match state.choice("customer_type") {
        Some("business") => state.text("business_name").map(str::to_string),
        Some("residential") => state.text("account_holder").map(str::to_string),
        _ => None,
    }
}
