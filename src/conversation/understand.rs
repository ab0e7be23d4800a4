//! Understanding: what a customer's message means, read in the context of the pending question,
//! before any answer is checked (porting-rules.md section 9).
//!
//! A message becomes one [`Intent`]: a command, a question (with its topic), small talk,
//! frustration, a correction of an earlier answer, or an answer to the pending question. An
//! answer is then read for the pending step ([`Engine::read_answer`]), and for the other fields
//! the same message gives ("landline, it's a business account"). Every value still goes
//! through its validator: understanding only decides what the customer meant as an answer, and
//! a text that is not clearly one (a question, a request, a pronoun) is never stored.
//!
//! The phrases are in `prompts/understanding.toml` and `prompts/faq.toml`; the matching is here,
//! on words read by [`match_words`] (lower case, apostrophes dropped, punctuation as spaces).

use super::commands::Command;
use super::script::{Carrier, Phrases};
use super::state::{Flow, State};
use super::{Engine, FINAL_STEPS};
use crate::porting::phone;
use crate::porting::text::match_words;

/// Refusals of a number that is a real, complete phone number, only not one that can be ported
/// to us.
const UNPORTABLE: &[&str] = &[
    "phone.fictional",
    "phone.premium",
    "phone.non_geographic",
    "phone.not_us",
    "phone.not_us_unnamed",
];

/// What a message means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Command(Command),
    Question(Topic),
    SmallTalk(SmallTalk),
    Frustration,
    Correction(Correction),
    /// An answer to the pending question (and maybe to others).
    Answer,
}

/// What a question is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// An entry of `faq.toml`, by its id.
    Faq(String),
    /// The question being asked ("what's that?", "where do I find it?").
    Pending,
    /// A question that names a step ("wtf is a carrier?"): that step's help.
    Step(String),
    /// Nothing the bot can answer.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
    Goodbye,
    /// "hang on", "one sec": the customer needs a moment.
    Hold,
}

/// A new value for an earlier answer, or a wish to give it again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Correction {
    /// The step named in the message ("the zip", "my email").
    pub field: Option<String>,
    /// The new value as typed, when one was given.
    pub value: Option<String>,
    /// "the second number": which number of the list (0-based; `usize::MAX` for "the last").
    pub ordinal: Option<usize>,
    /// Named without a marker ("the second number is 4102"): a correction only if the value
    /// fits that field.
    pub restated: bool,
    /// The whole message.
    pub text: String,
}

/// Yes, no or not sure, in everyday words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YesNo {
    Yes,
    No,
    Unsure,
}

/// What the menu's opening message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    PortIn,
    PortOut,
    Status,
}

/// Where `phrase` starts in `words`.
pub fn find(words: &[String], phrase: &[String]) -> Option<usize> {
    if phrase.is_empty() || phrase.len() > words.len() {
        return None;
    }
    words.windows(phrase.len()).position(|w| w == phrase)
}

/// The longest of `phrases` found in `words`: where it starts and how many words it has.
pub fn longest(words: &[String], phrases: &Phrases) -> Option<(usize, usize)> {
    phrases
        .0
        .iter()
        .filter_map(|p| find(words, p).map(|at| (at, p.len())))
        .max_by_key(|(at, len)| (*len, usize::MAX - at))
}

pub fn contains(words: &[String], phrases: &Phrases) -> bool {
    phrases.0.iter().any(|p| find(words, p).is_some())
}

pub fn is_one_of(words: &[String], phrases: &Phrases) -> bool {
    !words.is_empty() && phrases.0.iter().any(|p| p.as_slice() == words)
}

fn starts_with(words: &[String], phrases: &Phrases) -> Option<usize> {
    phrases
        .0
        .iter()
        .filter(|p| words.starts_with(p))
        .map(Vec::len)
        .max()
}

/// Words that are letters or digits (emoji and symbols left out).
fn plain_words(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .cloned()
        .collect()
}

/// The first clause of a message: up to the first comma, full stop, semicolon or dash.
pub fn first_clause(text: &str) -> &str {
    let end = text
        .char_indices()
        .find(|(i, c)| {
            matches!(c, ',' | ';' | '!' | '\n')
                || (*c == '.' && !text[i + 1..].starts_with(|n: char| n.is_ascii_digit()))
                || (*c == '-' && text[..*i].ends_with(' ') && text[i + 1..].starts_with(' '))
        })
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    text[..end].trim()
}

/// The text after the first clause, if any.
pub fn after_first_clause(text: &str) -> &str {
    let first = first_clause(text);
    let start = text.find(first).map(|i| i + first.len()).unwrap_or(0);
    text[start..].trim_start_matches([',', ';', '.', '!', '-', ' '])
}

impl Engine<'_> {
    /// Leading filler words ("ok so", "um", "well") taken off.
    pub(super) fn without_fillers<'w>(&self, mut words: &'w [String]) -> &'w [String] {
        let fillers = &self.prompts.understanding.fillers;
        while let Some(n) = starts_with(words, fillers) {
            if n == words.len() {
                break;
            }
            words = &words[n..];
        }
        words
    }

    /// What a typed message means, in the context of `state`.
    pub(super) fn understand(&self, text: &str, said: &str, state: &State) -> Intent {
        let u = &self.prompts.understanding;
        if let Some(command) = self.command(said) {
            return match self.change_to_value(text, &command, state) {
                Some(correction) => Intent::Correction(correction),
                None => Intent::Command(command),
            };
        }
        let words = plain_words(&match_words(text));
        let core = self.without_fillers(&words);
        if core.len() < words.len()
            && let Some(command) = self.exact_command(&core.join(" "))
        {
            return Intent::Command(command);
        }
        let asks_step = state.flow == Flow::PortIn && state.step.is_some();
        // Everyday yes, no and skip words are answers, even when they sound like a question
        // ("will do", "can do").
        if asks_step
            && (is_one_of(&words, &u.yes_no.yes)
                || is_one_of(&words, &u.yes_no.no)
                || is_one_of(&words, &u.yes_no.unsure)
                || is_one_of(&words, &u.skip.phrases))
        {
            return Intent::Answer;
        }
        if is_one_of(&words, &u.small_talk.hold) {
            return Intent::SmallTalk(SmallTalk::Hold);
        }
        let question_mark = text.trim_end().ends_with('?');
        let request = starts_with(core, &u.questions.requests).is_some();
        if contains(&words, &u.menu.agent)
            && (request || question_mark || !self.asks_free_text(state) || core.len() <= 4)
        {
            return Intent::Command(Command::Agent);
        }
        // "this is ridiculous, just port 212-736-4100" still gives its number.
        let frustrated = contains(&words, &u.small_talk.frustration_strong)
            && !text.chars().any(|c| c.is_ascii_digit());
        if self.is_question(text, core) {
            return self.question_intent(&words, core, state, asks_step, frustrated);
        }
        self.statement_intent(text, &words, core, state, frustrated)
    }

    /// "change email to grace.k@kim.net": the field, and its new value as typed.
    fn change_to_value(&self, text: &str, command: &Command, state: &State) -> Option<Correction> {
        let Command::Change(field) = command else {
            return None;
        };
        if self.find_field(state, field).is_some() {
            return None;
        }
        let (name, _) = [" to ", " is ", " should be "]
            .iter()
            .find_map(|sep| field.split_once(sep))?;
        let id = self.find_field(state, name.trim())?;
        // ASCII lower case keeps every byte where it was.
        let lower = text.to_ascii_lowercase();
        let value = [" to ", " is ", " should be "]
            .iter()
            .filter_map(|sep| lower.find(sep).map(|at| at + sep.len()))
            .min()
            .map(|at| text[at..].trim().to_string())
            .filter(|v| !v.is_empty());
        Some(Correction {
            field: Some(id),
            value,
            text: text.to_string(),
            ..Correction::default()
        })
    }

    /// What a question means: a request put as a question ("can I skip this?"), an FAQ, the
    /// question asked, a step named, or frustration.
    fn question_intent(
        &self,
        words: &[String],
        core: &[String],
        state: &State,
        asks_step: bool,
        frustrated: bool,
    ) -> Intent {
        let u = &self.prompts.understanding;
        // "can I skip this?", "could you go back?": a request, not a question.
        if let Some(n) = starts_with(core, &u.questions.requests) {
            let asked = &core[n..];
            if let Some(command) = self.exact_command(&asked.join(" ")) {
                return Intent::Command(command);
            }
            // "can I skip this?", "can I give it later?"
            if asks_step && is_one_of(asked, &u.skip.phrases) {
                return Intent::Command(Command::Skip);
            }
        }
        if let Some(id) = self.faq_topic(words, state) {
            return Intent::Question(Topic::Faq(id));
        }
        // "what do you mean exactly?", "where do I find that?": about the question asked.
        if asks_step && contains(core, &u.questions.about_this) {
            return Intent::Question(Topic::Pending);
        }
        if let Some(id) = self.step_named(words, state) {
            return Intent::Question(Topic::Step(id));
        }
        if frustrated {
            return Intent::Frustration;
        }
        Intent::Question(Topic::Unknown)
    }

    /// What a message that is not a question means: frustration, small talk, a correction of
    /// an earlier answer, or an answer.
    fn statement_intent(
        &self,
        text: &str,
        words: &[String],
        core: &[String],
        state: &State,
        frustrated: bool,
    ) -> Intent {
        let u = &self.prompts.understanding;
        if frustrated {
            return Intent::Frustration;
        }
        if is_one_of(words, &u.small_talk.goodbyes) {
            return Intent::SmallTalk(SmallTalk::Goodbye);
        }
        if is_one_of(words, &u.small_talk.thanks) {
            return Intent::SmallTalk(SmallTalk::Thanks);
        }
        if is_one_of(words, &u.small_talk.greetings)
            || (!core.is_empty()
                && core.len() < words.len()
                && is_one_of(core, &u.small_talk.greetings))
        {
            return Intent::SmallTalk(SmallTalk::Greeting);
        }
        if let Some(correction) = self.correction(text, words, state) {
            return Intent::Correction(correction);
        }
        if is_one_of(core, &u.small_talk.frustration) || is_one_of(words, &u.small_talk.frustration)
        {
            return Intent::Frustration;
        }
        Intent::Answer
    }

    /// A command typed alone, after fillers: the command words, not "change <field>".
    fn exact_command(&self, said: &str) -> Option<Command> {
        self.command(said)
            .filter(|c| !matches!(c, Command::Change(f) if f.is_empty()))
    }

    /// Whether the pending question takes free text (a name, an address), where everyday words
    /// can be part of the answer.
    fn asks_free_text(&self, state: &State) -> bool {
        state.flow == Flow::PortIn
            && state
                .step
                .as_deref()
                .and_then(|id| self.prompts.step(id))
                .is_some_and(|s| s.choices.is_empty())
    }

    fn is_question(&self, text: &str, core: &[String]) -> bool {
        let q = &self.prompts.understanding.questions;
        if core.is_empty() {
            return false;
        }
        if starts_with(core, &q.starters).is_some() || contains(core, &q.anywhere) {
            return true;
        }
        // "its spectrum i think?": a hedged answer, not a question.
        let mut answer = core;
        while let Some((at, len)) = longest(answer, &q.hedges) {
            if at + len != answer.len() {
                break;
            }
            answer = &answer[..at];
        }
        if answer.len() < core.len() {
            return false;
        }
        text.trim_end().ends_with('?')
            && (contains(core, &q.starters) || contains(core, &q.about_this) || core.len() > 3)
    }

    /// The FAQ entry a question is about: the longest keyword found wins; entries for customers
    /// leaving us count only when they are.
    pub(super) fn faq_topic(&self, words: &[String], state: &State) -> Option<String> {
        self.prompts
            .faq
            .entries
            .iter()
            .filter(|e| {
                e.context.is_none() || (state.leaving && e.context.as_deref() == Some("port_out"))
            })
            .filter_map(|e| {
                longest(words, &e.keywords).map(|(_, len)| (len, e.context.is_some(), &e.id))
            })
            // The longest keyword wins; on a tie, the entry listed first.
            .fold(
                None,
                |best: Option<(usize, bool, &String)>, entry| match best {
                    Some(b) if (b.0, b.1) >= (entry.0, entry.1) => Some(b),
                    _ => Some(entry),
                },
            )
            .map(|(_, _, id)| id.clone())
    }

    /// Yes, no or not sure, in everyday words; `None` when the message says neither.
    pub(super) fn yes_no(&self, text: &str) -> Option<YesNo> {
        let u = &self.prompts.understanding.yes_no;
        let words = plain_words(&match_words(text));
        let core = self.without_fillers(&words);
        for w in [&words[..], core] {
            if is_one_of(w, &u.unsure) {
                return Some(YesNo::Unsure);
            }
            if is_one_of(w, &u.yes) {
                return Some(YesNo::Yes);
            }
            if is_one_of(w, &u.no) {
                return Some(YesNo::No);
            }
        }
        if let Some(answer) = crate::porting::text::parse_yes_no(text) {
            return Some(if answer { YesNo::Yes } else { YesNo::No });
        }
        let first = first_clause(text);
        if first.len() < text.trim().len() {
            return self.yes_no(first).filter(|_| !first.is_empty());
        }
        if contains(&words, &u.unsure) {
            return Some(YesNo::Unsure);
        }
        None
    }

    /// "no", "don't have it", "I'll get it later": skip, at an optional question.
    pub(super) fn wants_skip(&self, text: &str) -> bool {
        let words = plain_words(&match_words(text));
        let skip = &self.prompts.understanding.skip;
        is_one_of(&words, &skip.phrases)
            || is_one_of(self.without_fillers(&words), &skip.phrases)
            || (words.len() <= 10 && contains(&words, &skip.contained))
    }

    /// A carrier named in `text`: its proper name and the words it took. Carriers whose names
    /// are everyday words count only when `anywhere` is false (the carrier is being asked).
    pub(super) fn carrier_in(
        &self,
        words: &[String],
        asked: bool,
    ) -> Option<(&Carrier, usize, usize)> {
        self.prompts
            .understanding
            .carriers
            .iter()
            .filter(|c| asked || !c.common_word)
            .filter_map(|c| longest(words, &c.aliases).map(|(at, len)| (c, at, len)))
            .max_by_key(|(_, at, len)| (*len, usize::MAX - at))
    }

    /// The known carrier a misspelled name is closest to ("verizn" -> Verizon).
    pub(super) fn carrier_like(&self, text: &str) -> Option<&Carrier> {
        let typed: String = match_words(text).concat();
        if typed.chars().count() < 4 {
            return None;
        }
        self.prompts
            .understanding
            .carriers
            .iter()
            .filter_map(|c| {
                c.aliases
                    .0
                    .iter()
                    .map(|a| edit_distance(&typed, &a.concat()))
                    .min()
                    .map(|d| (c, d))
            })
            .filter(|(_, d)| *d <= if typed.chars().count() >= 7 { 2 } else { 1 })
            .min_by_key(|(_, d)| *d)
            .map(|(c, _)| c)
    }

    /// What the opening message at the menu asks for.
    pub(super) fn opener(&self, text: &str) -> Option<Opener> {
        let m = &self.prompts.understanding.menu;
        let words = plain_words(&match_words(text));
        let port_in = longest(&words, &m.port_in).map(|(_, len)| len);
        let port_out = longest(&words, &m.port_out).map(|(_, len)| len);
        // "what's the status of my port": asking about a request, not starting one.
        let status = longest(&words, &m.status).map(|(_, len)| len);
        if status.is_some_and(|s| s >= port_in.unwrap_or(0) && s >= port_out.unwrap_or(0)) {
            return Some(Opener::Status);
        }
        match (port_in, port_out) {
            // "switching to you guys" says both: the longer phrase decides.
            (Some(i), Some(o)) if i > o => Some(Opener::PortIn),
            (_, Some(_)) => Some(Opener::PortOut),
            (Some(_), None) => Some(Opener::PortIn),
            (None, None) if contains(&words, &m.status) => Some(Opener::Status),
            (None, None) => None,
        }
    }

    /// A correction of an earlier answer: a marker first ("actually", "I meant", "oops") or a
    /// wrong answer named ("I typed the wrong zip").
    fn correction(&self, text: &str, words: &[String], state: &State) -> Option<Correction> {
        let c = &self.prompts.understanding.corrections;
        if state.answers.is_empty() || state.flow != Flow::PortIn {
            return None;
        }
        let lead = words
            .first()
            .filter(|w| matches!(w.as_str(), "oh" | "um" | "uh" | "no" | "ok" | "hmm" | "ah"))
            .map_or(0, |_| 1);
        let marker = starts_with(&words[lead..], &c.markers);
        let wrong = longest(words, &c.wrong);
        let field = self.field_named(words, state);
        // "the second number is 4102", "my email is ...": an earlier answer named, then its new
        // value, while another question is asked.
        let restated = field.as_ref().is_some_and(|(id, at, len)| {
            state.step.as_deref() != Some(id.as_str())
                && state.answers.contains_key(id)
                && *at <= 2
                && starts_with(&words[at + len..], &c.joiners).is_some()
        });
        if marker.is_none() && wrong.is_none() && !restated {
            return None;
        }
        let ordinal = field
            .as_ref()
            .filter(|(id, _, _)| id == "numbers")
            .and_then(|(_, at, _)| self.ordinal_before(words, *at));
        let value = match (&field, wrong) {
            (Some((_, at, len)), _) => value_after(text, at + len, self, true),
            (None, Some(_)) => None,
            (None, None) => value_after(text, lead + marker.unwrap_or(0), self, false),
        };
        if field.is_none() && value.is_none() {
            return None;
        }
        Some(Correction {
            field: field.map(|(id, _, _)| id),
            value,
            ordinal,
            restated: marker.is_none() && wrong.is_none(),
            text: text.to_string(),
        })
    }

    /// The step a message names ("the zip", "my email"), among those answered or asked: the
    /// longest alias found wins.
    fn field_named(&self, words: &[String], state: &State) -> Option<(String, usize, usize)> {
        self.applicable_steps(state)
            .into_iter()
            .filter(|id| !FINAL_STEPS.contains(id))
            .filter(|id| state.answers.contains_key(*id) || state.step.as_deref() == Some(*id))
            .filter_map(|id| {
                let step = self.prompts.step(id)?;
                longest(words, &step.alias_phrases).map(|(at, len)| (id.to_string(), at, len))
            })
            .max_by_key(|(_, at, len)| (*len, usize::MAX - at))
    }

    /// The step a question names ("what's a carrier?"), among the steps that apply.
    fn step_named(&self, words: &[String], state: &State) -> Option<String> {
        self.applicable_steps(state)
            .into_iter()
            .filter(|id| !FINAL_STEPS.contains(id))
            .filter_map(|id| {
                let step = self.prompts.step(id)?;
                longest(words, &step.alias_phrases).map(|(_, len)| (id.to_string(), len))
            })
            .max_by_key(|(_, len)| *len)
            .map(|(id, _)| id)
    }

    fn ordinal_before(&self, words: &[String], at: usize) -> Option<usize> {
        let ordinals = &self.prompts.understanding.corrections.ordinals;
        let before = words.get(at.checked_sub(1)?)?;
        if before == "last" {
            return Some(usize::MAX);
        }
        ordinals
            .0
            .iter()
            .position(|o| o.len() == 1 && &o[0] == before)
    }

    /// Whether a word is one a value never starts with: fillers, markers, joiners, pronouns.
    fn lead_in(&self, word: &str) -> bool {
        let u = &self.prompts.understanding;
        let single = |phrases: &Phrases| phrases.0.iter().any(|p| p.iter().any(|w| w == word));
        single(&u.fillers)
            || single(&u.corrections.markers)
            || single(&u.corrections.joiners)
            || single(&u.corrections.wrong)
            || single(&u.corrections.ordinals)
            || matches!(
                word,
                "i" | "it"
                    | "its"
                    | "thats"
                    | "that"
                    | "the"
                    | "my"
                    | "our"
                    | "meant"
                    | "mean"
                    | "typed"
                    | "put"
                    | "gave"
                    | "wrote"
                    | "be"
                    | "been"
                    | "should"
                    | "have"
                    | "has"
                    | "one"
                    | "number"
                    | "last"
                    | "new"
                    | "right"
                    | "correct"
                    | "was"
                    | "a"
                    | "an"
            )
    }

    /// Phone numbers typed in a message with other words, wherever they stand: every run of a
    /// list ("212-736-4100 and 4101", "312-448-2915 (main) and 312-448-2916 (fax)"), joined as
    /// one list, and the text without them. A number the customer took back ("617-555-3300
    /// wait no 617-720-3300") is left out. Digits after "pin", "account" or "zip" are not phone
    /// numbers, nor is a run of digits that holds none (an account number).
    pub(super) fn phone_region(&self, text: &str) -> Option<(String, String)> {
        self.number_region(text, false)
    }

    /// [`Engine::phone_region`], with `unportable`: also the runs that hold only numbers that
    /// cannot be ported (a 555-01XX number, a Canadian one), so a message that gives one
    /// beside its answer can be told why it was not kept.
    pub(super) fn number_region(&self, text: &str, unportable: bool) -> Option<(String, String)> {
        let tokens: Vec<(usize, &str)> = text
            .split_whitespace()
            .map(|t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
            .collect();
        let markers = &self.prompts.understanding.corrections.markers;
        // Runs of the text that hold numbers: (start, end) byte offsets.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        // Every run, the ones taken back too: none of them is left in the rest of the text.
        let mut seen: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            if !starts_numbers(&tokens, i) {
                i += 1;
                continue;
            }
            let end = run_end(&tokens, i);
            let to = tokens[end].0 + tokens[end].1.len();
            let from = after_account_digits(text, tokens[i].0, to);
            let region = text[from..to].trim_end_matches([',', '.']);
            let list = phone::parse_number_list(region);
            let shown = !list.numbers.is_empty()
                || unportable
                    && list
                        .refused
                        .iter()
                        .any(|(_, refusal)| UNPORTABLE.contains(&refusal.code));
            if shown {
                // Taken back: "wait no", "sorry", "I mean" between the last run and this one.
                if let Some(&(_, last_end)) = runs.last() {
                    let between = plain_words(&match_words(&text[last_end..from]));
                    if contains(&between, markers) {
                        runs.pop();
                    }
                }
                runs.push((from, from + region.len()));
                seen.push((from, from + region.len()));
            }
            i = end + 1;
        }
        if runs.is_empty() {
            return None;
        }
        let numbers: Vec<&str> = runs.iter().map(|&(a, b)| &text[a..b]).collect();
        Some((numbers.join(", "), without_runs(text, &seen)))
    }
}

fn digit_count(token: &str) -> usize {
    token.chars().filter(char::is_ascii_digit).count()
}

/// A token of a phone number: digits, with the punctuation numbers are written with.
fn is_numeric(token: &str) -> bool {
    digit_count(token) > 0
        && token
            .chars()
            .all(|c| c.is_ascii_digit() || "()+-./,".contains(c))
}

/// Whether token `i` starts numbers: it and the numeric tokens after it hold at least a phone
/// number's ten digits, and it does not follow "pin", "account", "zip" or the like.
fn starts_numbers(tokens: &[(usize, &str)], i: usize) -> bool {
    const NOT_PHONE: &[&str] = &["pin", "passcode", "account", "acct", "zip", "code", "#"];
    let run: usize = tokens[i..]
        .iter()
        .take_while(|(_, t)| is_numeric(t))
        .take(4)
        .map(|(_, t)| digit_count(t))
        .sum();
    let after_secret = tokens[i.saturating_sub(3)..i].iter().any(|(_, t)| {
        let w = t.to_lowercase();
        NOT_PHONE
            .iter()
            .any(|n| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '#') == *n)
    });
    is_numeric(tokens[i].1) && run >= 10 && !after_secret
}

/// The last numeric token of the list that starts at token `start`: numbers, and the words
/// that join them ("and", "through", ",").
fn run_end(tokens: &[(usize, &str)], start: usize) -> usize {
    const CONNECTORS: &[&str] = &[
        "and", "&", "through", "thru", "to", "or", "plus", "also", ",",
    ];
    let mut end = start;
    let mut j = start;
    while j < tokens.len() {
        let token = tokens[j].1;
        if is_numeric(token) {
            end = j;
            j += 1;
        } else if CONNECTORS.contains(&token.to_lowercase().as_str())
            && tokens.get(j + 1).is_some_and(|(_, t)| is_numeric(t))
        {
            j += 1;
        } else {
            break;
        }
    }
    end
}

/// Where the numbers in `text[from..to]` start. "8472 1193 0045, (312) 448-2900": digits
/// before a comma that hold no phone number (an account number) are not part of the list.
fn after_account_digits(text: &str, mut from: usize, to: usize) -> usize {
    while let Some(comma) = text[from..to].find(',') {
        let head = &text[from..from + comma];
        // A number shaped like a phone number stays, to be refused with its reason.
        let phone_shaped =
            head.trim_start().starts_with('+') || matches!(digit_count(head), 10 | 11);
        if phone_shaped || !phone::parse_number_list(head).numbers.is_empty() {
            break;
        }
        from += comma + 1;
        from += text[from..to].len() - text[from..to].trim_start().len();
    }
    from
}

/// `text` with each of the `runs` (byte ranges, in order) replaced by a space.
fn without_runs(text: &str, runs: &[(usize, usize)]) -> String {
    let mut rest = String::new();
    let mut at = 0;
    for &(a, b) in runs {
        rest.push_str(&text[at..a]);
        rest.push(' ');
        at = b;
    }
    rest.push_str(&text[at..]);
    rest
}

/// The value typed after word `from` of `words`, cut from the original text (its case and
/// punctuation kept), with leading words that are not part of a value skipped.
fn value_after(text: &str, from: usize, engine: &Engine, after_field: bool) -> Option<String> {
    // Walk the original tokens alongside the words they give.
    let mut seen = 0;
    let mut cut = None;
    for token in text.split_whitespace() {
        let token_words = match_words(token);
        let token_words: Vec<String> = plain_words(&token_words);
        let next = seen + token_words.len();
        if next > from || (token_words.is_empty() && seen >= from) {
            let lead = token_words.iter().all(|w| engine.lead_in(w))
                && (!after_field || !token.chars().any(|c| c.is_ascii_digit() || c == '@'));
            if lead && seen >= from {
                seen = next;
                continue;
            }
            if seen >= from {
                let at = token.as_ptr() as usize - text.as_ptr() as usize;
                cut = Some(at);
                break;
            }
        }
        seen = next;
    }
    let value = text[cut?..]
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '.' | '!'));
    (!value.is_empty()).then(|| value.to_string())
}

/// Levenshtein distance, for carrier names of a few letters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}
