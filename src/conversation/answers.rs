//! Answering the pending question: the menu, a step's answer through its validator, the
//! summary, and what is said when an answer is refused.

use chrono::NaiveDate;
use secrecy::SecretString;

use super::flow::fix_changes_loa;
use super::reading::Read;
use super::script::Step;
use super::state::{Answer, Flow, Pending, State};
use super::validators::{self, Context, Given, Outcome};
use super::{Effect, Engine, FINAL_STEPS, Input, Reply, Turn, normalize};
use crate::porting::Refusal;
use crate::porting::text::parse_yes_no;
use crate::template::fill;

impl<'a> Engine<'a> {
    /// Matches a typed answer to a choice: its number, label, value or an alias.
    pub(super) fn pick_choice<'c>(
        &self,
        choices: &'c [super::script::Choice],
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

        // A file at a question that offers an upload ("attach the CSR too, if you have it").
        if matches!(input, Input::File { .. })
            && !validator.expects_upload()
            && let Some(upload) = step.offers.iter().find(|o| {
                !state.answers.contains_key(*o)
                    && self
                        .prompts
                        .step(o)
                        .and_then(|s| validators::find(&s.validator))
                        .is_some_and(|v| v.expects_upload())
            })
        {
            state.step = Some(upload.clone());
            return self.answer_step(state, input, None, today, secret);
        }
        if matches!(input, Input::File { .. }) && !validator.expects_upload() {
            replies.push(Reply::say(
                &self.prompts.common.messages.attachment_not_expected,
            ));
            replies.push(self.question(&state, &id, step, today));
            return self.finish(state, replies, effects, secret);
        }

        // What the message gives: the value for this step, and other fields beside it.
        let mut extras = Vec::new();
        let mut accepted_note = None;
        let mut secret = secret;
        let typed_choice = matches!(input, Input::Choice { .. });
        let value: Option<String> = match &text {
            Some(text) if !typed_choice => {
                match self.read_answer(&state, &id, step, validator, text, today) {
                    Read::Value {
                        text,
                        extras: found,
                        note,
                    } => {
                        extras = found;
                        accepted_note = note;
                        Some(text)
                    }
                    Read::Skip => return self.skip(state, &id, today, secret),
                    Read::Unsure => {
                        let args = self.question_args(&state, today);
                        let mut text = self.prompts.common.messages.unsure.to_string();
                        text.push(' ');
                        text.push_str(&fill(&step.help, &args));
                        replies.push(Reply::say(text));
                        replies.push(self.question(&state, &id, step, today));
                        return self.finish(state, replies, effects, secret);
                    }
                    Read::Refuse(refusal) => {
                        replies.extend(self.refusal_replies(
                            &mut state,
                            &id,
                            step,
                            &[refusal],
                            today,
                        ));
                        return self.finish(state, replies, effects, secret);
                    }
                    Read::AskCarrier { name, known } => {
                        let messages = &self.prompts.common.messages;
                        let text = if known {
                            &messages.carrier_confirm
                        } else {
                            &messages.carrier_unknown_confirm
                        };
                        replies.push(Reply {
                            text: fill(text, &[("carrier", name.clone())]),
                            choices: vec!["Yes".into(), "No".into()],
                            step: None,
                        });
                        state.pending = Some(Pending::ConfirmCarrier { name });
                        return self.finish(state, replies, effects, secret);
                    }
                    Read::SignNow(name) => {
                        for done in ["summary", "consent"] {
                            state.answers.insert(done.into(), Answer::Bool(true));
                        }
                        state.step = Some("signature".into());
                        state.pending = None;
                        return self.answer_step(
                            state,
                            Input::Text(name.clone()),
                            Some(name),
                            today,
                            secret,
                        );
                    }
                }
            }
            other => other.clone(),
        };
        let chosen = value.clone();
        if chosen.as_deref() == Some("skip") {
            return self.skip(state, &id, today, secret);
        }
        if id == "summary" {
            let said = chosen.as_deref().map(normalize).unwrap_or_default();
            let picked = self.pick_choice(&step.choices, &said).map(str::to_string);
            return self.summary_answer(state, picked.as_deref(), &said, today);
        }
        let given = match (&input, &value) {
            (
                Input::File {
                    file_name,
                    bytes,
                    size,
                },
                _,
            ) => Given::File {
                file_name,
                bytes,
                size: *size,
            },
            (_, Some(value)) => Given::Text(value),
            (_, None) => Given::Text(""),
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
                replies.extend(accepted_note.map(Reply::say));
                if let Some(value) = plain {
                    effects.push(Effect::StoreSecret {
                        step: id.clone(),
                        value: SecretString::from(value),
                    });
                }
                if let (Answer::Upload(upload), Input::File { bytes, .. }) = (&answer, input) {
                    replies.push(Reply::say(fill(
                        &self.prompts.port_in.messages.received_upload,
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
                    // A note is a message, or the wording of a porting rule's own note (checked
                    // at start-up: `validators::NOTE_CODES`).
                    let messages = &self.prompts.port_in.messages;
                    let template = match key {
                        "duplicates_merged" => Some(&messages.duplicates_merged),
                        "split_requests" => Some(&messages.split_requests),
                        code => self.prompts.common.errors.get(code),
                    };
                    if let Some(template) = template {
                        replies.push(Reply::say(fill(template, &args)));
                    }
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
                let sets = match &answer {
                    Answer::Choice(value) => step
                        .choices
                        .iter()
                        .find(|c| &c.value == value)
                        .map(|c| c.sets.clone())
                        .unwrap_or_default(),
                    _ => Default::default(),
                };
                self.set_answer(&mut state, &id, answer);
                // A two-in-one question: each of its answers as if given at its own step; a
                // refused one ("I already cancelled it") is that step's to explain.
                for (target, value) in sets {
                    if let Some(refusal) =
                        self.answer_other(&mut state, &target, &value, today, &mut effects)
                        && let Some(target_step) = self.prompts.step(&target)
                    {
                        state.step = Some(target.clone());
                        replies.extend(self.refusal_replies(
                            &mut state,
                            &target,
                            target_step,
                            &[refusal],
                            today,
                        ));
                        return self.finish(state, replies, effects, secret);
                    }
                }
                let (noted, had_secret) =
                    self.apply_extras(&mut state, extras, &mut effects, today);
                // Optional fields this question offered and the answer left out: skipped.
                for offered in &step.offers {
                    if !state.answers.contains_key(offered) && self.applies(&state, offered) {
                        state.answers.insert(offered.clone(), Answer::Skipped);
                    }
                }
                secret |= had_secret;
                if !noted.is_empty() {
                    replies.push(Reply::say(fill(
                        &self.prompts.common.messages.noted,
                        &[("answers", noted.join(" · "))],
                    )));
                }
                replies.extend(self.advance(&mut state, today, &mut effects));
            }
            Outcome::Refuse(_)
                if !step.choices.is_empty()
                    && !matches!(input, Input::File { .. })
                    && let Some(text) = text.as_deref()
                    && let (noted, had_secret) = {
                        let found = self.extras(&state, &id, text);
                        self.apply_extras(&mut state, found, &mut effects, today)
                    }
                    && !noted.is_empty() =>
            {
                // Not this question's answer, but another's ("business" asked landline or
                // mobile): kept, and this question asked again.
                secret |= had_secret;
                replies.push(Reply::say(fill(
                    &self.prompts.common.messages.noted,
                    &[("answers", noted.join(" · "))],
                )));
                if self.applies(&state, &id) && !state.answers.contains_key(&id) {
                    replies.push(self.question(&state, &id, step, today));
                } else {
                    // What was given answers the question after all (a two-in-one question).
                    replies.extend(self.advance(&mut state, today, &mut effects));
                }
            }
            Outcome::Refuse(refusal) => {
                // A refused port date comes with the next valid one: a yes takes it.
                let suggested = refusal
                    .arg("suggestion_iso")
                    .and_then(|d| d.parse::<NaiveDate>().ok());
                replies.extend(self.refusal_replies(&mut state, &id, step, &[refusal], today));
                if id == "port_date" {
                    state.pending = suggested.map(|date| Pending::SuggestedDate { date });
                }
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
                        &self.prompts.port_in.messages.numbers_kept,
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
                &self.prompts.common.messages.change_list,
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
                &self.prompts.common.messages.fix_resubmitted,
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
            // Every code of a step's validator has its words (checked at start-up by
            // `Script::check`); a code never shows as itself.
            let template = self
                .prompts
                .error_text(step, refusal.code)
                .unwrap_or(&self.prompts.common.messages.internal_error);
            let mut args = refusal.args.clone();
            args.push(("label", step.label.clone()));
            args.extend(self.question_args(state, today));
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
            text.push_str(&self.prompts.common.messages.offer_agent);
        }
        vec![Reply::say(text), self.question(state, id, step, today)]
    }

    pub(super) fn examples(&self, state: &State, step: &Step, today: NaiveDate) -> String {
        let args = self.question_args(state, today);
        let examples: Vec<String> = step.examples.iter().map(|e| fill(e, &args)).collect();
        fill(
            &self.prompts.common.messages.example,
            &[("examples", examples.join(" · "))],
        )
    }
}
