//! Answering the pending question: the menu, a step's answer through its validator, the
//! summary, and what is said when an answer is refused.

use chrono::NaiveDate;
use secrecy::SecretString;

use super::flow::fix_changes_loa;
use super::reading::{ExtrasKept, Read};
use super::script::Step;
use super::state::{Answer, Flow, Pending, State};
use super::validators::{self, Given, Note, Outcome, Validator};
use super::{Effect, Engine, FINAL_STEPS, Input, Reply, Turn, normalize};
use crate::porting::text::parse_yes_no;
use crate::porting::{PhoneNumber, Refusal};
use crate::template::fill;

/// The question being answered: its id, its wording and its validator.
struct Asked<'s> {
    id: &'s str,
    step: &'s Step,
    validator: Validator,
}

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

    /// Takes a message as the answer to the pending step (the first open one when none is
    /// pending).
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
        let asked = Asked {
            id: &id,
            step,
            validator,
        };
        self.answer_asked(state, input, text, &asked, today, secret)
    }

    /// The message read for the question asked, checked by its validator, then kept or
    /// refused with the reason.
    fn answer_asked(
        &self,
        state: State,
        input: Input,
        text: Option<String>,
        asked: &Asked,
        today: NaiveDate,
        secret: bool,
    ) -> Turn {
        let Asked { id, step, .. } = *asked;
        if matches!(input, Input::File { .. }) && !asked.validator.expects_upload() {
            return self.file_not_asked(state, input, asked, today, secret);
        }
        // What the message gives: the value for this step, and other fields beside it.
        let (value, extras, note) = match &text {
            Some(text) if !matches!(input, Input::Choice { .. }) => {
                match self.read_answer(&state, id, step, asked.validator, text, today) {
                    Read::Value { text, extras, note } => (Some(text), extras, note),
                    Read::Skip => return self.skip(state, id, today, secret),
                    Read::Unsure => return self.unsure(state, asked, today, secret),
                    Read::Refuse(refusal) => {
                        return self.refuse_read(state, asked, refusal, today, secret);
                    }
                    Read::AskCarrier { name, known } => {
                        return self.ask_carrier(state, name, known, secret);
                    }
                    Read::SignNow(name) => return self.sign_now(state, name, today, secret),
                }
            }
            other => (other.clone(), Vec::new(), None),
        };
        if value.as_deref() == Some("skip") {
            return self.skip(state, id, today, secret);
        }
        if id == "summary" {
            let said = value.as_deref().map(normalize).unwrap_or_default();
            let picked = self.pick_choice(&step.choices, &said).map(str::to_string);
            return self.summary_answer(state, picked.as_deref(), &said, today);
        }
        let outcome = self.check_input(&state, &input, value.as_deref(), asked, today);
        let mut turn = self.finish(state, Vec::new(), Vec::new(), secret);
        match outcome {
            Outcome::Accept {
                answer,
                notes,
                secret: plain,
            } => {
                turn.replies.extend(note.map(Reply::say));
                self.acknowledge(&mut turn, input, asked, &answer, notes, plain);
                turn.state.pending = None;
                if id == "signature" {
                    self.sign(&mut turn, id, answer);
                } else {
                    self.keep_answer(&mut turn, asked, answer, extras, today);
                }
            }
            Outcome::Refuse(refusal) => {
                self.refused(&mut turn, &input, text.as_deref(), asked, refusal, today);
            }
            Outcome::NumbersRefused { kept, refused } => {
                self.numbers_refused(&mut turn, asked, kept, refused, today);
            }
        }
        turn
    }

    /// A file at a question that takes none: an upload this question offers takes it ("attach
    /// the CSR too, if you have it"); otherwise it is not expected, and the question is asked
    /// again.
    fn file_not_asked(
        &self,
        mut state: State,
        input: Input,
        asked: &Asked,
        today: NaiveDate,
        secret: bool,
    ) -> Turn {
        if let Some(upload) = asked.step.offers.iter().find(|o| {
            !state.answers.contains_key(*o)
                && self
                    .prompts
                    .step(o)
                    .and_then(|s| validators::find(&s.validator))
                    .is_some_and(|v| v.expects_upload())
        }) {
            state.step = Some(upload.clone());
            return self.answer_step(state, input, None, today, secret);
        }
        let replies = vec![
            Reply::say(&self.prompts.common.messages.attachment_not_expected),
            self.question(&state, asked.id, asked.step, today),
        ];
        self.finish(state, replies, Vec::new(), secret)
    }

    /// "not sure": why the question matters, and the question again.
    fn unsure(&self, state: State, asked: &Asked, today: NaiveDate, secret: bool) -> Turn {
        let args = self.question_args(&state, today);
        let mut text = self.prompts.common.messages.unsure.to_string();
        text.push(' ');
        text.push_str(&fill(&asked.step.help, &args));
        let replies = vec![
            Reply::say(text),
            self.question(&state, asked.id, asked.step, today),
        ];
        self.finish(state, replies, Vec::new(), secret)
    }

    /// A message that reads as no value for the question: the reason, and the question again.
    fn refuse_read(
        &self,
        mut state: State,
        asked: &Asked,
        refusal: Refusal,
        today: NaiveDate,
        secret: bool,
    ) -> Turn {
        let replies = self.refusal_replies(&mut state, asked.id, asked.step, &[refusal], today);
        self.finish(state, replies, Vec::new(), secret)
    }

    /// A carrier read from a close spelling or not known: asked to confirm before it is kept.
    fn ask_carrier(&self, mut state: State, name: String, known: bool, secret: bool) -> Turn {
        let messages = &self.prompts.common.messages;
        let text = if known {
            &messages.carrier_confirm
        } else {
            &messages.carrier_unknown_confirm
        };
        let reply = Reply {
            text: fill(text, &[("carrier", name.clone())]),
            choices: vec!["Yes".into(), "No".into()],
            step: None,
        };
        state.pending = Some(Pending::ConfirmCarrier { name });
        self.finish(state, vec![reply], Vec::new(), secret)
    }

    /// The authorized person's name typed at the summary or the consent: the summary
    /// confirmed, the consent given, and the name taken as the signature.
    fn sign_now(&self, mut state: State, name: String, today: NaiveDate, secret: bool) -> Turn {
        for done in ["summary", "consent"] {
            state.answers.insert(done.into(), Answer::Bool(true));
        }
        state.step = Some("signature".into());
        state.pending = None;
        self.answer_step(state, Input::Text(name.clone()), Some(name), today, secret)
    }

    /// The step's validator on what was given: the upload, else the value read from the text.
    fn check_input(
        &self,
        state: &State,
        input: &Input,
        value: Option<&str>,
        asked: &Asked,
        today: NaiveDate,
    ) -> Outcome {
        let given = match input {
            Input::File {
                file_name,
                bytes,
                size,
            } => Given::File {
                file_name,
                bytes,
                size: *size,
            },
            _ => Given::Text(value.unwrap_or("")),
        };
        self.check_given(state, asked.step, asked.validator, &given, today)
    }

    /// What is said and stored along with an accepted answer: its secret for the encrypted
    /// store, the upload, the validator's notes and the note of the choice picked.
    fn acknowledge(
        &self,
        turn: &mut Turn,
        input: Input,
        asked: &Asked,
        answer: &Answer,
        notes: Vec<Note>,
        plain: Option<String>,
    ) {
        if let Some(value) = plain {
            turn.effects.push(Effect::StoreSecret {
                step: asked.id.to_string(),
                value: SecretString::from(value),
            });
        }
        if let (Answer::Upload(upload), Input::File { bytes, .. }) = (answer, input) {
            turn.replies.push(Reply::say(fill(
                &self.prompts.port_in.messages.received_upload,
                &[("file_name", upload.file_name.clone())],
            )));
            turn.effects.push(Effect::StoreDocument {
                step: asked.id.to_string(),
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
                turn.replies.push(Reply::say(fill(template, &args)));
            }
        }
        if let Answer::Choice(value) = answer
            && let Some(note) = asked
                .step
                .choices
                .iter()
                .find(|c| &c.value == value)
                .and_then(|c| c.note.as_deref())
        {
            turn.replies.push(Reply::say(note));
        }
    }

    /// The signature accepted: the conversation is done, and its tickets are created (or the
    /// fixed one is sent back).
    fn sign(&self, turn: &mut Turn, id: &str, answer: Answer) {
        let signer_name = match &answer {
            Answer::Text(name) => name.clone(),
            _ => String::new(),
        };
        let state = &mut turn.state;
        state.answers.insert(id.to_string(), answer);
        state.flow = Flow::Done;
        state.step = None;
        state.failures = 0;
        turn.effects.push(match state.fix.take() {
            Some(fix) => Effect::Resubmit {
                ticket: fix.ticket,
                signer_name: Some(signer_name),
            },
            None => Effect::CreateTickets { signer_name },
        });
    }

    /// Keeps an accepted answer, the answers its choice gives other steps and the other fields
    /// given beside it, then asks the next question.
    fn keep_answer(
        &self,
        turn: &mut Turn,
        asked: &Asked,
        answer: Answer,
        extras: Vec<(String, String)>,
        today: NaiveDate,
    ) {
        let sets = match &answer {
            Answer::Choice(value) => asked
                .step
                .choices
                .iter()
                .find(|c| &c.value == value)
                .map(|c| &c.sets),
            _ => None,
        };
        self.set_answer(&mut turn.state, asked.id, answer);
        if self.answer_sets(turn, sets.into_iter().flatten(), today) {
            return;
        }
        let state = &mut turn.state;
        let kept = self.apply_extras(state, extras, &mut turn.effects, today);
        // Optional fields this question offered and the answer left out: skipped.
        for offered in &asked.step.offers {
            if !state.answers.contains_key(offered) && self.applies(state, offered) {
                state.answers.insert(offered.clone(), Answer::Skipped);
            }
        }
        turn.redact_input |= kept.secret;
        turn.replies.extend(self.extras_replies(&kept));
        turn.replies
            .extend(self.advance(&mut turn.state, today, &mut turn.effects));
    }

    /// A two-in-one question: each of its answers as if given at its own step; a refused one
    /// ("I already cancelled it") is that step's to explain. Returns whether one was refused.
    fn answer_sets<'s>(
        &self,
        turn: &mut Turn,
        sets: impl Iterator<Item = (&'s String, &'s String)>,
        today: NaiveDate,
    ) -> bool {
        for (target, value) in sets {
            if let Some(refusal) =
                self.answer_other(&mut turn.state, target, value, today, &mut turn.effects)
                && let Some(target_step) = self.prompts.step(target)
            {
                turn.state.step = Some(target.clone());
                let replies =
                    self.refusal_replies(&mut turn.state, target, target_step, &[refusal], today);
                turn.replies.extend(replies);
                return true;
            }
        }
        false
    }

    /// A refused answer. At a question with choices the message may still answer others
    /// ("business" asked landline or mobile): those are kept, and this question asked again.
    fn refused(
        &self,
        turn: &mut Turn,
        input: &Input,
        text: Option<&str>,
        asked: &Asked,
        refusal: Refusal,
        today: NaiveDate,
    ) {
        let kept = match text {
            Some(text)
                if !asked.step.choices.is_empty() && !matches!(input, Input::File { .. }) =>
            {
                let found = self.extras(&turn.state, asked.id, text);
                self.apply_extras(&mut turn.state, found, &mut turn.effects, today)
            }
            _ => ExtrasKept::default(),
        };
        if kept.noted.is_empty() {
            self.refuse_value(turn, asked, refusal, today);
            return;
        }
        turn.redact_input |= kept.secret;
        turn.replies.extend(self.extras_replies(&kept));
        if self.applies(&turn.state, asked.id) && !turn.state.answers.contains_key(asked.id) {
            let question = self.question(&turn.state, asked.id, asked.step, today);
            turn.replies.push(question);
        } else {
            // What was given answers the question after all (a two-in-one question).
            turn.replies
                .extend(self.advance(&mut turn.state, today, &mut turn.effects));
        }
    }

    /// The reason a value is refused, and the question again. A refused port date comes with
    /// the next valid one: a yes takes it.
    fn refuse_value(&self, turn: &mut Turn, asked: &Asked, refusal: Refusal, today: NaiveDate) {
        let suggested = refusal
            .arg("suggestion_iso")
            .and_then(|d| d.parse::<NaiveDate>().ok());
        let replies =
            self.refusal_replies(&mut turn.state, asked.id, asked.step, &[refusal], today);
        turn.replies.extend(replies);
        if asked.id == "port_date" {
            turn.state.pending = suggested.map(|date| Pending::SuggestedDate { date });
        }
    }

    /// Some numbers refused: the good ones are kept as a draft, said so, and the bad ones
    /// listed with their reasons.
    fn numbers_refused(
        &self,
        turn: &mut Turn,
        asked: &Asked,
        kept: Vec<PhoneNumber>,
        refused: Vec<(String, Refusal)>,
        today: NaiveDate,
    ) {
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
            turn.state.pending = Some(Pending::NumbersDraft { kept });
        }
        let mut out = self.refusal_replies(&mut turn.state, asked.id, asked.step, &refusals, today);
        if let Some(kept_text) = kept_text {
            // Say what was kept right before the question is asked again.
            let question = out.pop();
            out.push(Reply::say(kept_text));
            out.extend(question);
        }
        turn.replies.extend(out);
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
            let text = self.refusal_text(state, step, refusal, today);
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

    /// Why `step` refused a value, in the customer's words.
    pub(super) fn refusal_text(
        &self,
        state: &State,
        step: &Step,
        refusal: &Refusal,
        today: NaiveDate,
    ) -> String {
        // Every code of a step's validator has its words (checked at start-up by
        // `Script::check`); a code never shows as itself.
        let template = self
            .prompts
            .error_text(step, refusal.code)
            .unwrap_or(&self.prompts.common.messages.internal_error);
        let mut args = refusal.args.clone();
        args.push(("label", step.label.clone()));
        args.extend(self.question_args(state, today));
        fill(template, &args)
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
