//! The conversation script's words: `common.toml` (greeting, menu, commands, messages and the
//! wording of every refusal code), `port_in.toml` (the port-in steps: their order, question,
//! help, examples, choices, validator and condition), `port_out.toml`, `faq.toml` and
//! `understanding.toml` (how customers talk). The loader in [`crate::prompts`] reads the files;
//! this module owns their types and the checks that tie them to the engine: a step that names an
//! unknown validator or condition, a refusal code without wording, or a missing text is an error
//! naming the file and the step.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::validators;
use crate::porting::text::match_words;
use crate::template::Invalid;

fn invalid(file: &str, message: impl Into<String>) -> Invalid {
    Invalid::new(file, message)
}

/// The words the conversation engine speaks and reads, checked by [`Script::check`].
#[derive(Debug)]
pub struct Script {
    pub common: Common,
    pub port_in: PortIn,
    pub port_out: PortOut,
    pub faq: Faq,
    pub understanding: Understanding,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Common {
    pub greeting: String,
    pub menu_question: String,
    pub menu_choices: Vec<Choice>,
    pub menu_help: String,
    pub messages: Messages,
    pub commands: Commands,
    /// Wording for every refusal code, keyed by code; `{name}` fills in the refusal's values.
    pub errors: BTreeMap<String, String>,
    /// Each carrier rejection code in plain words, with what the customer should do.
    pub rejections: BTreeMap<String, String>,
}

/// `[messages]` in `common.toml`: what every flow says. Each is required, so a missing one is a
/// start-up error naming the file and the key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    pub empty: String,
    pub not_understood_menu: String,
    pub example: String,
    pub offer_agent: String,
    pub skip_refused: String,
    pub skipped: String,
    pub back_at_start: String,
    pub change_unknown: String,
    pub change_list: String,
    pub cancel_confirm: String,
    pub cancelled: String,
    pub cancel_kept: String,
    pub start_over_confirm: String,
    pub started_over: String,
    pub paused_for_agent: String,
    pub still_paused: String,
    pub resumed: String,
    pub status_progress: String,
    pub status_no_tickets: String,
    pub status_ticket: String,
    pub status_older_tickets: String,
    pub finished: String,
    pub submitted: String,
    pub submitted_ticket: String,
    pub next_steps: String,
    pub upload_expected: String,
    pub attachment_not_expected: String,
    pub summary_intro: String,
    pub summary_masked: String,
    pub summary_not_given: String,
    pub summary_skipped: String,
    pub summary_secret_given: String,
    pub store_unavailable: String,
    pub agent_summary: String,
    pub welcome_back: String,
    pub current_answer: String,
    pub attach_unreadable: String,
    pub fix_resubmitted: String,
    pub resubmitted: String,
    pub handed_back: String,
    pub agent_started: String,
    pub draft_saved: String,
    pub internal_error: String,
    pub too_many_messages: String,
    pub too_many_conversations: String,
    pub too_many_uploads: String,
    pub greeting_again: String,
    pub take_your_time: String,
    pub thanks_reply: String,
    pub goodbye_reply: String,
    pub goodbye_done: String,
    pub goodbye_menu: String,
    pub frustration: String,
    pub unknown_question: String,
    pub unsure: String,
    pub carrier_confirm: String,
    pub carrier_unknown_confirm: String,
    pub carrier_retype: String,
    pub me_taken: String,
    pub date_taken: String,
    pub noted: String,
    /// A value given beside an answer that its own question refuses: `{label}`, `{reason}`.
    pub extra_refused: String,
    pub updated: String,
    pub fix_field: String,
    pub stale_choice: String,
    pub request_recorded_cancel: String,
    pub request_recorded_date: String,
    pub request_recorded_change: String,
    pub request_no_tickets: String,
}

/// `[messages]` in `port_in.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortInMessages {
    pub duplicates_merged: String,
    pub split_requests: String,
    pub numbers_kept: String,
    pub numbers_draft_help: String,
    pub received_upload: String,
}

/// The words customers type to steer the conversation, in lower case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commands {
    pub help: Vec<String>,
    pub back: Vec<String>,
    pub skip: Vec<String>,
    pub agent: Vec<String>,
    pub cancel: Vec<String>,
    pub status: Vec<String>,
    pub start_over: Vec<String>,
    pub menu: Vec<String>,
    pub resume: Vec<String>,
    /// Prefixes of "change <field>", e.g. "change", "edit", "fix".
    pub change: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub label: String,
    pub value: String,
    /// Other words that pick this choice.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Said when this choice is picked.
    #[serde(default)]
    pub note: Option<String>,
    /// Answers this choice gives other steps (a question that asks two things at once):
    /// step id -> the answer, read by that step as if typed there.
    #[serde(default)]
    pub sets: BTreeMap<String, String>,
    /// The label and aliases as the understanding step matches them, read once at load.
    #[serde(skip)]
    pub phrases: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortIn {
    pub order: Vec<String>,
    pub steps: BTreeMap<String, Step>,
    /// Said when a request is split into local and toll-free parts, and the like.
    pub messages: PortInMessages,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A short name for the summary and for "change <field>".
    pub label: String,
    pub question: String,
    /// Why this is asked, shown on "help".
    pub help: String,
    pub examples: Vec<String>,
    #[serde(default)]
    pub choices: Vec<Choice>,
    pub validator: String,
    #[serde(default = "always")]
    pub when: String,
    #[serde(default)]
    pub optional: bool,
    /// Optional in general, but required when this condition holds.
    #[serde(default)]
    pub required_when: Option<String>,
    /// Why "skip" is refused here.
    #[serde(default)]
    pub skip_refused: Option<String>,
    /// Words that name this step in "change <field>".
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Step-specific wording that overrides `common.toml`'s errors.
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
    /// The customer's answer is a secret: never echoed, redacted in the transcript.
    #[serde(default)]
    pub secret: bool,
    /// Steps whose answers depend on this one, asked again when this answer changes.
    #[serde(default)]
    pub resets: Vec<String>,
    /// Optional steps this question offers too ("and the title, if you like"): answered here
    /// without them, they count as skipped rather than being asked again.
    #[serde(default)]
    pub offers: Vec<String>,
    /// Other wordings of the question, each for when its condition holds (the first wins).
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// `aliases` as the understanding step matches them, read once at load.
    #[serde(skip)]
    pub alias_phrases: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub when: String,
    pub question: String,
}

fn always() -> String {
    "always".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortOut {
    pub guidance: String,
    pub follow_up: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub entries: Vec<FaqEntry>,
    pub back_to_question: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqEntry {
    pub id: String,
    /// Any one of these phrases in a question picks this answer.
    pub keywords: Phrases,
    pub answer: String,
    /// `port_out`: this answer replaces its namesake for a customer asking about leaving us.
    #[serde(default)]
    pub context: Option<String>,
}

/// How customers talk: the phrases `understanding.toml` gives the understanding step. Every
/// list is required, so a missing one is a start-up error naming the file and the key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Understanding {
    pub fillers: Phrases,
    pub yes_no: YesNoWords,
    pub skip: SkipWords,
    pub small_talk: SmallTalk,
    pub questions: QuestionWords,
    pub corrections: CorrectionWords,
    pub names: NameWords,
    pub menu: MenuWords,
    pub after_submit: AfterSubmitWords,
    pub dates: DateWords,
    pub extras: ExtraWords,
    /// While an agent has the conversation, these hand it back to the bot.
    pub resume: Phrases,
    pub carriers: Vec<Carrier>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraWords {
    pub numbers_done: Phrases,
    pub no_pin: Phrases,
    pub same_bill: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YesNoWords {
    pub yes: Phrases,
    pub no: Phrases,
    pub unsure: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipWords {
    pub contained: Phrases,
    pub phrases: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallTalk {
    pub greetings: Phrases,
    pub thanks: Phrases,
    pub goodbyes: Phrases,
    pub hold: Phrases,
    pub frustration: Phrases,
    pub frustration_strong: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionWords {
    pub anywhere: Phrases,
    pub hedges: Phrases,
    pub starters: Phrases,
    pub about_this: Phrases,
    pub requests: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionWords {
    pub markers: Phrases,
    pub wrong: Phrases,
    pub joiners: Phrases,
    pub ordinals: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameWords {
    pub not_a_name: Phrases,
    pub not_a_business: Phrases,
    pub me: Phrases,
    pub title_words: Phrases,
    pub suffixes: Phrases,
    pub generic_carrier: Phrases,
    pub relations: Phrases,
    pub lead_ins: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuWords {
    pub port_in: Phrases,
    pub port_out: Phrases,
    pub status: Phrases,
    pub agent: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterSubmitWords {
    pub cancel: Phrases,
    pub change_date: Phrases,
    pub add_or_change: Phrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateWords {
    pub earliest: Phrases,
    pub accept_suggestion: Phrases,
}

/// Phrases as the understanding step matches them: each one's words, read the way a message
/// is read ([`match_words`]), so "don't" in the file matches "dont" typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "Vec<String>")]
pub struct Phrases(pub Vec<Vec<String>>);

impl From<Vec<String>> for Phrases {
    fn from(phrases: Vec<String>) -> Phrases {
        Phrases(
            phrases
                .iter()
                .map(|p| match_words(p))
                .filter(|words| !words.is_empty())
                .collect(),
        )
    }
}

/// A carrier's proper name and the ways customers write it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Carrier {
    pub name: String,
    pub aliases: Phrases,
    /// An everyday word too ("Mint", "Cricket"): recognised only where the carrier is asked.
    #[serde(default)]
    pub common_word: bool,
}

/// Refusals of agents' actions, beyond the lifecycle's own.
const AGENT_CODES: &[&str] = &[
    "ticket.claimed_by_other",
    "foc.past",
    "foc.closed",
    "reject.no_codes",
    "handoff.not_paused",
    "handoff.no_conversation",
    "handoff.already_draft",
    "agent.not_listed",
    "agent.missing",
];

/// The steps the Rust code reads by id (conditions, building the request, signing), with the
/// choice values it reads: a prompts file without one of them is refused at start-up.
const ENGINE_STEPS: &[(&str, &[&str])] = &[
    ("keep_active", &[]),
    ("bill_copy", &[]),
    ("pin_required", &["yes", "no", "unsure"]),
    ("pin", &[]),
    ("csr", &[]),
    ("ready", &[]),
    ("numbers", &[]),
    ("same_bill", &[]),
    ("carrier", &[]),
    ("number_type", &["landline", "mobile"]),
    ("customer_type", &["business", "residential"]),
    ("business_name", &[]),
    ("account_holder", &[]),
    ("service_address", &[]),
    ("authorized_name", &[]),
    ("authorized_title", &[]),
    ("btn", &[]),
    ("account_number", &[]),
    ("mobile_pin", &[]),
    ("partial_port", &[]),
    ("new_btn", &[]),
    ("port_date", &[]),
    ("email", &[]),
    ("summary", &["confirm", "change"]),
    ("consent", &[]),
    ("signature", &[]),
];

impl Script {
    /// Reads the phrases of choices and step aliases once, here, not on every message.
    pub fn read_phrases(&mut self) {
        let read_choices = |choices: &mut Vec<Choice>| {
            for choice in choices {
                let mut names = choice.aliases.clone();
                names.push(choice.label.clone());
                choice.phrases = names.into();
            }
        };
        read_choices(&mut self.common.menu_choices);
        for step in self.port_in.steps.values_mut() {
            step.alias_phrases = step.aliases.clone().into();
            read_choices(&mut step.choices);
        }
    }

    pub fn check(&self) -> Result<(), Invalid> {
        self.check_codes()?;
        self.check_menu()?;
        self.check_engine_steps()?;
        self.check_faq_and_carriers()?;
        for id in &self.port_in.order {
            let step = self.port_in.steps.get(id).ok_or_else(|| {
                invalid(
                    PORT_IN,
                    format!("step `{id}` is in `order` but has no [steps.{id}]"),
                )
            })?;
            let at = |message: String| invalid(PORT_IN, format!("step `{id}`: {message}"));
            self.check_step_rules(step).map_err(at)?;
            self.check_step_links(step).map_err(at)?;
            check_step_words(id, step).map_err(at)?;
        }
        for id in self.port_in.steps.keys() {
            if !self.port_in.order.contains(id) {
                return Err(invalid(
                    PORT_IN,
                    format!("[steps.{id}] is not listed in `order`"),
                ));
            }
        }
        Ok(())
    }

    /// Every rejection, refusal, agent and note code has its words.
    fn check_codes(&self) -> Result<(), Invalid> {
        for code in crate::porting::RejectionCode::ALL {
            if !self.common.rejections.contains_key(code.as_str()) {
                return Err(invalid(
                    "common.toml",
                    format!("[rejections] has no `{}`", code.as_str()),
                ));
            }
        }
        for code in crate::porting::lifecycle::REFUSAL_CODES
            .iter()
            .chain(AGENT_CODES)
            .chain(validators::NOTE_CODES)
        {
            if !self.common.errors.contains_key(*code) {
                return Err(invalid("common.toml", format!("[errors] has no `{code}`")));
            }
        }
        Ok(())
    }

    /// The menu offers exactly the four things the engine does.
    fn check_menu(&self) -> Result<(), Invalid> {
        if self.common.menu_choices.len() != 4 {
            return Err(invalid(
                "common.toml",
                "menu_choices must offer exactly: port in, port out, check my request, agent",
            ));
        }
        for value in ["port_in", "port_out", "status", "agent"] {
            if !self.common.menu_choices.iter().any(|c| c.value == value) {
                return Err(invalid(
                    "common.toml",
                    format!("menu_choices has no value `{value}`"),
                ));
            }
        }
        Ok(())
    }

    /// The steps whose answers the engine reads exist, with the choices it reads.
    fn check_engine_steps(&self) -> Result<(), Invalid> {
        for (id, values) in ENGINE_STEPS {
            let step = self.port_in.steps.get(*id).ok_or_else(|| {
                invalid(
                    PORT_IN,
                    format!("step `{id}` is missing: the bot reads its answer"),
                )
            })?;
            if let Some(value) = values
                .iter()
                .find(|v| !step.choices.iter().any(|c| c.value == **v))
            {
                return Err(invalid(
                    PORT_IN,
                    format!("step `{id}` has no choice with value `{value}`"),
                ));
            }
        }
        Ok(())
    }

    fn check_faq_and_carriers(&self) -> Result<(), Invalid> {
        if let Some(entry) = self
            .faq
            .entries
            .iter()
            .find(|e| e.context.as_deref().is_some_and(|c| c != "port_out"))
        {
            return Err(invalid(
                "faq.toml",
                format!("entry `{}`: the only context is `port_out`", entry.id),
            ));
        }
        if self.understanding.carriers.is_empty() {
            return Err(invalid("understanding.toml", "[[carriers]] is empty"));
        }
        Ok(())
    }

    /// A step's validator and conditions exist, and each refusal code has its words.
    fn check_step_rules(&self, step: &Step) -> Result<(), String> {
        let validator = validators::find(&step.validator)
            .ok_or_else(|| format!("unknown validator `{}`", step.validator))?;
        for condition in std::iter::once(&step.when).chain(step.required_when.iter()) {
            if !validators::is_condition(condition) {
                return Err(format!("unknown condition `{condition}`"));
            }
        }
        for variant in &step.variants {
            if !validators::is_condition(&variant.when) {
                return Err(format!(
                    "unknown condition `{}` in `variants`",
                    variant.when
                ));
            }
        }
        for code in validator.codes() {
            if self.error_text(step, code).is_none() {
                return Err(format!(
                    "no wording for refusal code `{code}` (add it to [errors] in common.toml or to this step)"
                ));
            }
        }
        if validator.needs_choices() && step.choices.is_empty() {
            return Err(format!("validator `{}` needs `choices`", step.validator));
        }
        Ok(())
    }

    /// The steps a step names (`resets`, `offers`, a choice's `sets`) exist and fit.
    fn check_step_links(&self, step: &Step) -> Result<(), String> {
        let steps = &self.port_in.steps;
        if let Some(unknown) = step
            .resets
            .iter()
            .chain(&step.offers)
            .find(|r| !steps.contains_key(*r))
        {
            return Err(format!(
                "`resets` or `offers` names an unknown step `{unknown}`"
            ));
        }
        if let Some(offered) = step.offers.iter().find(|o| !steps[*o].optional) {
            return Err(format!("`offers` names `{offered}`, which is not optional"));
        }
        for choice in &step.choices {
            for (target, value) in &choice.sets {
                let Some(other) = steps.get(target) else {
                    return Err(format!(
                        "choice `{}` sets an unknown step `{target}`",
                        choice.value
                    ));
                };
                let known =
                    other.choices.is_empty() || other.choices.iter().any(|c| &c.value == value);
                if !known {
                    return Err(format!(
                        "choice `{}` sets `{target}` to `{value}`, which is not one of its choices",
                        choice.value
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.port_in.steps.get(id)
    }

    /// The wording of a refusal code for a step: the step's own, else the common one.
    pub fn error_text<'a>(&'a self, step: &'a Step, code: &str) -> Option<&'a str> {
        step.errors
            .get(code)
            .or_else(|| self.common.errors.get(code))
            .map(String::as_str)
    }
}

/// A step has the words a customer needs: a question, help, an example, and (unless it is a
/// final step) an alias to name it by.
fn check_step_words(id: &str, step: &Step) -> Result<(), String> {
    if step.aliases.is_empty() && !super::FINAL_STEPS.contains(&id) {
        return Err(
            "`aliases` is empty: \"change <field>\" and the list of answers to change \
                    name the step by its first alias"
                .into(),
        );
    }
    if step.question.trim().is_empty() || step.help.trim().is_empty() || step.examples.is_empty() {
        return Err("question, help and at least one example are required".into());
    }
    Ok(())
}

/// The file the flow's steps are in.
const PORT_IN: &str = "port_in.toml";
