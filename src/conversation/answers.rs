//! Answering the pending question: the menu, a step's answer through its validator, the
//! summary, and what is said when an answer is refused.

use chrono::NaiveDate;
use secrecy::SecretString;

use super::flow::fix_changes_loa;
use super::state::{Answer, Flow, Pending, State};
use super::validators::{self, Context, Given, Outcome};
use super::{Effect, Engine, FINAL_STEPS, Input, Reply, Turn, normalize};
use crate::porting::Refusal;
use crate::porting::text::parse_yes_no;
use crate::prompts::{Step, fill};

impl<'a> Engine<'a> {
    pub(super) fn menu(
        &self,
        mut state: State,
        said: &str,
        input: Input,
        today: NaiveDate,
    ) -> Turn {
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
    pub(super) fn pick_choice<'c>(
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

    pub(super) fn answer_step(
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

    pub(super) fn summary_answer(
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
    pub(super) fn set_answer(&self, state: &mut State, id: &str, answer: Answer) {
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
    pub(super) fn advance(
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

    pub(super) fn refusal_replies(
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

    pub(super) fn examples(&self, state: &State, step: &Step, today: NaiveDate) -> String {
        let args = self.question_args(state, today);
        let examples: Vec<String> = step.examples.iter().map(|e| fill(e, &args)).collect();
        fill(
            self.prompts.message("example"),
            &[("examples", examples.join(" · "))],
        )
    }
}
