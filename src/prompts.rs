//! The bot's words, loaded from `prompts/*.toml` and checked at start-up.
//!
//! `common.toml` holds the greeting, menu, commands and the wording of every refusal code;
//! `port_in.toml` holds the port-in steps (their order, question, help, examples, choices,
//! validator and condition); `port_out.toml` and `faq.toml` the guidance and common questions;
//! `loa.toml` the LOA document's text; `notifications.toml` what customers and agents are told
//! when something changes. The copy built into the binary is used unless
//! `PORTBOT_PROMPTS_DIR` names a folder, so editing wording never needs a recompile.
//!
//! A step that names an unknown validator or condition, a refusal code without wording, or a
//! missing text is a start-up error naming the file and the step.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::conversation::validators;
use crate::loa::LoaWording;
use crate::notify::NotificationWording;
use crate::porting::text::match_words;

const BUILTIN: [(&str, &str); 7] = [
    ("common.toml", include_str!("../prompts/common.toml")),
    ("port_in.toml", include_str!("../prompts/port_in.toml")),
    ("port_out.toml", include_str!("../prompts/port_out.toml")),
    ("faq.toml", include_str!("../prompts/faq.toml")),
    (
        "understanding.toml",
        include_str!("../prompts/understanding.toml"),
    ),
    ("loa.toml", include_str!("../prompts/loa.toml")),
    (
        "notifications.toml",
        include_str!("../prompts/notifications.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum PromptsError {
    #[error("prompts/{file}: cannot read it: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("prompts/{file}: {message}")]
    Invalid { file: String, message: String },
}

fn invalid(file: &str, message: impl Into<String>) -> PromptsError {
    PromptsError::Invalid {
        file: file.to_string(),
        message: message.into(),
    }
}

/// All the words, checked.
#[derive(Debug)]
pub struct Prompts {
    pub common: Common,
    pub port_in: PortIn,
    pub port_out: PortOut,
    pub faq: Faq,
    pub understanding: Understanding,
    pub loa: LoaWording,
    pub notifications: NotificationWording,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Common {
    pub greeting: String,
    pub menu_question: String,
    pub menu_choices: Vec<Choice>,
    pub menu_help: String,
    pub messages: BTreeMap<String, String>,
    pub commands: Commands,
    /// Wording for every refusal code, keyed by code; `{name}` fills in the refusal's values.
    pub errors: BTreeMap<String, String>,
    /// Each carrier rejection code in plain words, with what the customer should do.
    pub rejections: BTreeMap<String, String>,
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
    pub messages: BTreeMap<String, String>,
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

/// Messages every flow needs; checked at start-up.
const COMMON_MESSAGES: &[&str] = &[
    "empty",
    "not_understood_menu",
    "example",
    "offer_agent",
    "skip_refused",
    "skipped",
    "back_at_start",
    "change_unknown",
    "change_list",
    "cancel_confirm",
    "cancelled",
    "cancel_kept",
    "start_over_confirm",
    "started_over",
    "paused_for_agent",
    "still_paused",
    "resumed",
    "status_progress",
    "status_no_tickets",
    "status_ticket",
    "status_older_tickets",
    "finished",
    "submitted",
    "submitted_ticket",
    "next_steps",
    "upload_expected",
    "attachment_not_expected",
    "summary_intro",
    "summary_masked",
    "summary_not_given",
    "summary_skipped",
    "summary_secret_given",
    "store_unavailable",
    "agent_summary",
    "welcome_back",
    "current_answer",
    "attach_unreadable",
    "fix_resubmitted",
    "resubmitted",
    "handed_back",
    "agent_started",
    "draft_saved",
    "internal_error",
    "too_many_messages",
    "too_many_conversations",
    "too_many_uploads",
    "greeting_again",
    "take_your_time",
    "thanks_reply",
    "goodbye_reply",
    "goodbye_done",
    "goodbye_menu",
    "frustration",
    "unknown_question",
    "unsure",
    "carrier_confirm",
    "carrier_unknown_confirm",
    "carrier_retype",
    "me_taken",
    "date_taken",
    "noted",
    "updated",
    "fix_field",
    "stale_choice",
    "request_recorded_cancel",
    "request_recorded_date",
    "request_recorded_change",
    "request_no_tickets",
];

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

const PORT_IN_MESSAGES: &[&str] = &[
    "duplicates_merged",
    "split_requests",
    "numbers_kept",
    "numbers_draft_help",
    "received_upload",
];

impl Prompts {
    /// The words built into the binary.
    pub fn builtin() -> Result<Prompts, PromptsError> {
        Prompts::from_sources(|file| {
            BUILTIN
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| PromptsError::Read {
                    file: file.into(),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                })
        })
    }

    /// The words in `dir`, which must hold every file.
    pub fn from_dir(dir: &Path) -> Result<Prompts, PromptsError> {
        Prompts::from_sources(|file| {
            std::fs::read_to_string(dir.join(file)).map_err(|source| PromptsError::Read {
                file: file.into(),
                source,
            })
        })
    }

    /// Loads `PORTBOT_PROMPTS_DIR` when given, otherwise the built-in copy.
    pub fn load(dir: Option<&Path>) -> Result<Prompts, PromptsError> {
        match dir {
            Some(dir) => Prompts::from_dir(dir),
            None => Prompts::builtin(),
        }
    }

    fn from_sources(
        read: impl Fn(&str) -> Result<String, PromptsError>,
    ) -> Result<Prompts, PromptsError> {
        fn parse<T: serde::de::DeserializeOwned>(
            file: &str,
            text: &str,
        ) -> Result<T, PromptsError> {
            toml::from_str(text).map_err(|e| invalid(file, e.to_string()))
        }
        let mut common: Common = parse("common.toml", &read("common.toml")?)?;
        let mut port_in: PortIn = parse("port_in.toml", &read("port_in.toml")?)?;
        // Phrases are read once here, not on every message.
        let read_choices = |choices: &mut Vec<Choice>| {
            for choice in choices {
                let mut names = choice.aliases.clone();
                names.push(choice.label.clone());
                choice.phrases = names.into();
            }
        };
        read_choices(&mut common.menu_choices);
        for step in port_in.steps.values_mut() {
            step.alias_phrases = step.aliases.clone().into();
            read_choices(&mut step.choices);
        }
        let prompts = Prompts {
            common,
            port_in,
            port_out: parse("port_out.toml", &read("port_out.toml")?)?,
            faq: parse("faq.toml", &read("faq.toml")?)?,
            understanding: parse("understanding.toml", &read("understanding.toml")?)?,
            loa: LoaWording::parse(&read("loa.toml")?).map_err(|e| invalid("loa.toml", e))?,
            notifications: NotificationWording::parse(&read("notifications.toml")?)
                .map_err(|e| invalid("notifications.toml", e))?,
        };
        prompts.check()?;
        Ok(prompts)
    }

    fn check(&self) -> Result<(), PromptsError> {
        for key in COMMON_MESSAGES {
            if !self.common.messages.contains_key(*key) {
                return Err(invalid("common.toml", format!("[messages] has no `{key}`")));
            }
        }
        for key in PORT_IN_MESSAGES {
            if !self.port_in.messages.contains_key(*key) {
                return Err(invalid(
                    "port_in.toml",
                    format!("[messages] has no `{key}`"),
                ));
            }
        }
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
        {
            if !self.common.errors.contains_key(*code) {
                return Err(invalid("common.toml", format!("[errors] has no `{code}`")));
            }
        }
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
        let file = "port_in.toml";
        for (id, values) in ENGINE_STEPS {
            let step = self.port_in.steps.get(*id).ok_or_else(|| {
                invalid(
                    file,
                    format!("step `{id}` is missing: the bot reads its answer"),
                )
            })?;
            if let Some(value) = values
                .iter()
                .find(|v| !step.choices.iter().any(|c| c.value == **v))
            {
                return Err(invalid(
                    file,
                    format!("step `{id}` has no choice with value `{value}`"),
                ));
            }
        }
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
        for id in &self.port_in.order {
            let step = self.port_in.steps.get(id).ok_or_else(|| {
                invalid(
                    file,
                    format!("step `{id}` is in `order` but has no [steps.{id}]"),
                )
            })?;
            let at = |message: String| invalid(file, format!("step `{id}`: {message}"));
            let validator = validators::find(&step.validator)
                .ok_or_else(|| at(format!("unknown validator `{}`", step.validator)))?;
            for condition in std::iter::once(&step.when).chain(step.required_when.iter()) {
                if !validators::is_condition(condition) {
                    return Err(at(format!("unknown condition `{condition}`")));
                }
            }
            for code in validator.codes() {
                if self.error_text(step, code).is_none() {
                    return Err(at(format!(
                        "no wording for refusal code `{code}` (add it to [errors] in common.toml or to this step)"
                    )));
                }
            }
            if let Some(unknown) = step
                .resets
                .iter()
                .chain(&step.offers)
                .find(|r| !self.port_in.steps.contains_key(*r))
            {
                return Err(at(format!(
                    "`resets` or `offers` names an unknown step `{unknown}`"
                )));
            }
            if let Some(offered) = step
                .offers
                .iter()
                .find(|o| !self.port_in.steps[*o].optional)
            {
                return Err(at(format!(
                    "`offers` names `{offered}`, which is not optional"
                )));
            }
            for variant in &step.variants {
                if !validators::is_condition(&variant.when) {
                    return Err(at(format!(
                        "unknown condition `{}` in `variants`",
                        variant.when
                    )));
                }
            }
            for choice in &step.choices {
                for (target, value) in &choice.sets {
                    let Some(other) = self.port_in.steps.get(target) else {
                        return Err(at(format!(
                            "choice `{}` sets an unknown step `{target}`",
                            choice.value
                        )));
                    };
                    let known =
                        other.choices.is_empty() || other.choices.iter().any(|c| &c.value == value);
                    if !known {
                        return Err(at(format!(
                            "choice `{}` sets `{target}` to `{value}`, which is not one of its choices",
                            choice.value
                        )));
                    }
                }
            }
            if validator.needs_choices() && step.choices.is_empty() {
                return Err(at(format!(
                    "validator `{}` needs `choices`",
                    step.validator
                )));
            }
            if step.question.trim().is_empty()
                || step.help.trim().is_empty()
                || step.examples.is_empty()
            {
                return Err(at(
                    "question, help and at least one example are required".into()
                ));
            }
        }
        for id in self.port_in.steps.keys() {
            if !self.port_in.order.contains(id) {
                return Err(invalid(
                    file,
                    format!("[steps.{id}] is not listed in `order`"),
                ));
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

    /// A common message by key. Keys are checked at start-up, so a missing one is a bug in this
    /// file's list, shown as the key rather than a panic.
    pub fn message<'a>(&'a self, key: &'a str) -> &'a str {
        self.common
            .messages
            .get(key)
            .or_else(|| self.port_in.messages.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }
}

/// Fills `{name}` placeholders with values; unknown placeholders are left as they are. Values
/// are inserted as they are, so a value containing braces is never expanded again.
pub fn fill<V: AsRef<str>>(template: &str, args: &[(&str, V)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.split_once('}') {
            Some((name, tail)) => {
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value.as_ref()),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = tail;
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders in `text`, for the start-up checks of wording files.
pub fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_prompts_load_and_pass_every_check() {
        Prompts::builtin().expect("built-in prompts are valid");
    }

    #[test]
    fn fill_replaces_known_placeholders_and_keeps_unknown_ones() {
        let text = fill("Hi {name}, {unknown} {name}", &[("name", "Zoë")]);
        assert_eq!(text, "Hi Zoë, {unknown} Zoë");
    }

    fn with_file(name: &str, text: String) -> Result<Prompts, PromptsError> {
        Prompts::from_sources(|file| {
            if file == name {
                Ok(text.clone())
            } else {
                Ok(BUILTIN
                    .iter()
                    .find(|(n, _)| *n == file)
                    .unwrap()
                    .1
                    .to_string())
            }
        })
    }

    #[test]
    fn a_choice_value_the_engine_reads_is_checked_at_start_up() {
        let port_in = BUILTIN
            .iter()
            .find(|(n, _)| *n == "port_in.toml")
            .unwrap()
            .1;
        let broken = port_in.replace("value = \"unsure\"", "value = \"dunno\"");
        let err = with_file("port_in.toml", broken).unwrap_err().to_string();
        assert!(err.contains("port_in.toml"), "{err}");
        assert!(
            err.contains("`pin_required`") && err.contains("`unsure`"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_list_of_phrases_is_a_start_up_error_naming_the_file_and_key() {
        let understanding = BUILTIN
            .iter()
            .find(|(n, _)| *n == "understanding.toml")
            .unwrap()
            .1;
        let broken = understanding.replace("frustration_strong = ", "frustration_loud = ");
        let err = with_file("understanding.toml", broken)
            .unwrap_err()
            .to_string();
        assert!(err.contains("understanding.toml"), "{err}");
        assert!(err.contains("frustration"), "{err}");
    }

    #[test]
    fn a_step_with_an_unknown_validator_is_a_start_up_error_naming_the_step() {
        let broken = BUILTIN[1]
            .1
            .replace("validator = \"carrier\"", "validator = \"no_such\"");
        let err = with_file("port_in.toml", broken).unwrap_err().to_string();
        assert!(err.contains("port_in.toml"), "{err}");
        assert!(err.contains("step `carrier`"), "{err}");
        assert!(err.contains("no_such"), "{err}");
    }
}
