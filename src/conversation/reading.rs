//! Reading an answer: what in a message answers the pending step, which other fields the same
//! message gives, and corrections of earlier answers. Every value found here still goes
//! through its step's validator; a text that is not clearly a value is refused with the
//! reason, never stored.

use chrono::NaiveDate;
use secrecy::SecretString;

use super::script::{Choice, Phrases, Step};
use super::state::{Answer, Pending, State};
use super::understand::{YesNo, after_first_clause, contains, first_clause, is_one_of, longest};
use super::validators::{self, Context, Given, Outcome, Validator};
use super::{Effect, Engine, Reply};
use crate::porting::text::{match_words, names_match, parse_pin};
use crate::porting::{Refusal, dates};
use crate::template::fill;

/// What [`Engine::apply_extras`] did with the other fields' values a message gave.
#[derive(Debug, Default)]
pub(super) struct ExtrasKept {
    /// What was kept, as the customer reads it.
    pub noted: Vec<String>,
    /// A secret was among them (the message is not kept as typed).
    pub secret: bool,
    /// Why the others were left out, in the customer's words.
    pub refused: Vec<String>,
}

/// What a message gives for the pending step.
pub(super) enum Read {
    /// The text to validate, the other fields' values found beside it, and a line to say
    /// first (for example the date a spoken date was read as).
    Value {
        text: String,
        extras: Vec<(String, String)>,
        note: Option<String>,
    },
    Skip,
    /// "not sure": say why the question matters and ask again.
    Unsure,
    Refuse(Refusal),
    /// Ask whether the carrier is right: a close spelling of a known one, or an unknown one.
    AskCarrier {
        name: String,
        known: bool,
    },
    /// The customer typed the authorized person's name at the summary or the consent: that is
    /// the summary confirmed, the consent given and the signature.
    SignNow(String),
}

fn value(text: impl Into<String>) -> Read {
    Read::Value {
        text: text.into(),
        extras: Vec::new(),
        note: None,
    }
}

pub(super) fn plain(words: Vec<String>) -> Vec<String> {
    words
        .into_iter()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect()
}

/// "maria garcia" -> "Maria Garcia"; text with any capital is kept as typed.
fn proper_case(text: &str) -> String {
    if text.chars().any(char::is_uppercase) {
        return text.trim().to_string();
    }
    text.split_whitespace()
        .map(|word| {
            let mut out = String::new();
            let mut start = true;
            for c in word.chars() {
                if start {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = matches!(c, '-' | '\'' | '\u{2019}');
            }
            out
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a text is a date ("tomorrow", "December first", "12/3"): never a name or a carrier.
fn says_a_date(text: &str) -> bool {
    // Any day serves: only whether the words are a date matters here.
    let any_day = NaiveDate::default();
    dates::parse_spoken_date(text, any_day).is_some()
        || dates::parse_date(text, any_day, dates::YearHint::Upcoming).is_ok()
}

/// The text after a label that names the field: "Business name: Acme", "my email is
/// zoe@acme.com", "the address is 15 W 42nd St...". Without such a label, the text itself.
fn without_label<'t>(text: &'t str, labels: &[String]) -> &'t str {
    let lower = text.to_ascii_lowercase();
    for prefix in ["", "my ", "the ", "our "] {
        for label in labels {
            let head = format!("{prefix}{label}");
            if !lower.starts_with(&head) {
                continue;
            }
            let rest = &text[head.len()..];
            let trimmed = rest.trim_start();
            for joiner in [":", "=", "is ", "- "] {
                if let Some(value) = trimmed.strip_prefix(joiner) {
                    let value = value.trim();
                    if !value.is_empty() {
                        return value;
                    }
                }
            }
        }
    }
    text
}

/// A PIN or account number typed with words around it ("my pin is 7731"): the last token
/// with a digit in it.
fn secret_token(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ':')
        .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()))
        .rfind(|t| t.chars().any(|c| c.is_ascii_digit()))
}

/// "hang on", "verizon", "the 30th" are not PINs; "Office Manager" (the answer to the question
/// before) is not an account number.
fn no_secret_digits(validator: Validator, text: &str, today: NaiveDate) -> Option<Refusal> {
    let has_letters = text.chars().any(char::is_alphabetic);
    if validator == Validator::Pin
        && (!text.chars().any(|c| c.is_ascii_digit())
            || has_letters && dates::parse_spoken_date(text, today).is_some())
    {
        return Some(Refusal::new("pin.no_digits").with("input", validators::short(text)));
    }
    if validator == Validator::AccountNumber && !text.chars().any(|c| c.is_numeric()) {
        return Some(
            Refusal::new("account_number.no_digits").with("input", validators::short(text)),
        );
    }
    None
}

/// "it's zoe@acme.com": the address among the words; "zoe @acme.com" stays whole, for the
/// validator to say what is wrong with it.
fn read_email(text: &str) -> Read {
    let is_address = |t: &&str| {
        t.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
    };
    let token = text
        .split_whitespace()
        .find(is_address)
        .map(|t| t.trim_matches(|c: char| matches!(c, ',' | '.' | '"' | '<' | '>' | '(' | ')')));
    value(token.unwrap_or(text))
}

/// "the bill is from november 2nd": the date at the end of the sentence.
/// Tokens a written date takes at most ("Thursday, December 3rd, 2026" takes four).
const DATE_TOKENS: usize = 5;

/// The one date a message names, where it is ("nov 10, and I have the CSR too", "it's dated
/// 11/10/2026"): the date as written and the rest of the message. None when no date is there,
/// or when the message names two different dates (which one is meant is not guessed).
fn date_in(text: &str, today: NaiveDate, hint: dates::YearHint) -> Option<(String, String)> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let trim = |t: &str| {
        t.trim_matches(|c: char| matches!(c, ',' | ';' | '!' | '?' | '(' | ')' | '"'))
            .trim_end_matches('.')
            .to_string()
    };
    let mut found: Vec<(usize, usize, NaiveDate)> = Vec::new();
    for i in 0..tokens.len() {
        for j in (i + 1..=tokens.len().min(i + DATE_TOKENS)).rev() {
            if let Ok(date) = dates::parse_date(&trim(&tokens[i..j].join(" ")), today, hint) {
                found.push((i, j, date));
                break;
            }
        }
    }
    // A date inside a longer one ("3, 2026" in "December 3, 2026") is the same date's tail.
    let widest: Vec<_> = found
        .iter()
        .filter(|(i, j, _)| {
            !found
                .iter()
                .any(|(a, b, _)| a <= i && j <= b && b - a > j - i)
        })
        .collect();
    let &&(i, j, date) = widest.first()?;
    if widest.iter().any(|(_, _, other)| *other != date) {
        return None;
    }
    let rest = [&tokens[..i], &tokens[j..]].concat().join(" ");
    Some((trim(&tokens[i..j].join(" ")), rest))
}

/// The value after a label ("pin is 7731", "account number: 8472 1193 0045"), up to the end
/// of its clause.
fn labelled<'t>(text: &'t str, labels: &[&str]) -> Option<&'t str> {
    let lower = text.to_lowercase();
    for label in labels {
        let Some(at) = lower.find(label) else {
            continue;
        };
        let before_ok = at == 0 || !lower[..at].ends_with(|c: char| c.is_alphanumeric());
        if !before_ok {
            continue;
        }
        let mut rest = text[at + label.len()..].trim_start();
        for joiner in ["is", "=", ":", "number", "#", "no.", "no"] {
            let lowered = rest.to_lowercase();
            if lowered.starts_with(joiner)
                && !lowered[joiner.len()..].starts_with(|c: char| c.is_alphanumeric())
            {
                rest = rest[joiner.len()..].trim_start();
            }
        }
        let end = rest.find([',', ';', '\n']).unwrap_or(rest.len());
        let end = rest[..end].find(" and ").map_or(end, |i| i.min(end));
        let value = rest[..end].trim().trim_end_matches('.');
        if value.chars().any(|c| c.is_ascii_digit()) {
            return Some(value);
        }
    }
    None
}

impl Engine<'_> {
    fn understanding(&self) -> &super::script::Understanding {
        &self.prompts.understanding
    }

    /// The choice a message names: its number or label typed alone, or an alias anywhere in
    /// it (the longest wins, and it must be the only choice named). Returns the value and the
    /// rest of the message.
    pub(super) fn choice_in(&self, choices: &[Choice], text: &str) -> Option<(String, String)> {
        let said = super::normalize(text);
        if let Some(value) = self.pick_choice(choices, &said) {
            return Some((value.to_string(), String::new()));
        }
        let words = plain(match_words(text));
        let mut best: Option<(&Choice, usize, usize)> = None;
        for choice in choices {
            if let Some((at, len)) = longest(&words, &choice.phrases)
                && best.is_none_or(|(_, _, l)| len > l)
            {
                best = Some((choice, at, len));
            }
        }
        let (choice, at, len) = best?;
        // "yes ... no": two choices named with the same weight is not an answer.
        let others_as_long = choices
            .iter()
            .filter(|c| c.value != choice.value)
            .any(|c| longest(&words, &c.phrases).is_some_and(|(_, l)| l >= len));
        if others_as_long {
            return None;
        }
        let mut rest = words;
        rest.drain(at..at + len);
        Some((choice.value.clone(), rest.join(" ")))
    }

    /// What the message gives for step `id`.
    pub(super) fn read_answer(
        &self,
        state: &State,
        id: &str,
        step: &Step,
        validator: Validator,
        text: &str,
        today: NaiveDate,
    ) -> Read {
        // "Business name: Acme Plumbing LLC", "the address is 15 W 42nd St...": the value.
        let text = without_label(text, &step.aliases);
        let words = plain(match_words(text));
        match validator {
            Validator::Choice => self.read_choice(state, id, step, text, &words),
            Validator::YesNo
            | Validator::KeepActive
            | Validator::Ready
            | Validator::OrderCleared
            | Validator::SameBill
            | Validator::Consent => self.read_yes_no(state, id, step, text, &words),
            Validator::Upload => {
                if self.wants_skip(text) || self.yes_no(text) == Some(YesNo::No) {
                    Read::Skip
                } else {
                    value(text)
                }
            }
            Validator::Pin | Validator::AccountNumber => self.read_secret(validator, text, today),
            Validator::Title => self.read_title(text, &words),
            Validator::Btn | Validator::NewBtn => {
                if self.wants_skip(text) {
                    return Read::Skip;
                }
                match self.phone_region(text) {
                    Some((region, _)) => value(region),
                    None => value(text),
                }
            }
            Validator::Numbers => self.read_numbers(state, id, text, &words),
            Validator::Carrier => self.read_carrier(state, id, text, &words),
            Validator::PersonName => self.read_person(state, id, text, &words),
            Validator::BusinessName => self.read_business_name(text, &words),
            Validator::Email => read_email(text),
            Validator::PortDate => self.read_port_date(state, text, &words, today),
            Validator::Summary => self.read_summary(state, step, text, &words),
            Validator::BillDate => self.read_bill_date(state, id, text, today),
            Validator::Address | Validator::Signature => value(text),
        }
    }

    /// A value, and the other fields' values found in `rest`.
    fn with_extras(&self, state: &State, id: &str, text: String, rest: &str) -> Read {
        Read::Value {
            text,
            extras: self.extras(state, id, rest),
            note: None,
        }
    }

    /// The bill's issue date, wherever the message says it, and the other fields the rest of it
    /// gives.
    fn read_bill_date(&self, state: &State, id: &str, text: &str, today: NaiveDate) -> Read {
        match date_in(text, today, dates::YearHint::Recent) {
            Some((date, rest)) => self.with_extras(state, id, date, &rest),
            None => value(text),
        }
    }

    /// A choice: named in the message, or a yes, a no or a not sure where the step has those
    /// choices.
    fn read_choice(
        &self,
        state: &State,
        id: &str,
        step: &Step,
        text: &str,
        words: &[String],
    ) -> Read {
        let chosen = self.choice_in(&step.choices, text);
        if id == "checklist"
            && chosen.as_ref().is_none_or(|(value, _)| value == "yes")
            && let Some(read) = self.one_checklist_point(state, text, words)
        {
            return read;
        }
        if let Some((value, rest)) = chosen {
            return self.with_extras(state, id, value, &rest);
        }
        // The PIN typed at "do you have a PIN?": a yes, and the PIN.
        if id == "pin_required"
            && words.len() == 1
            && parse_pin(text).is_ok()
            && text.chars().any(|c| c.is_ascii_digit())
        {
            return Read::Value {
                text: "yes".into(),
                extras: vec![("pin".into(), text.trim().to_string())],
                note: None,
            };
        }
        let has = |v: &str| step.choices.iter().any(|c| c.value == v);
        match self.yes_no(text) {
            Some(YesNo::Unsure) if has("unsure") => {
                self.with_extras(state, id, "unsure".into(), "")
            }
            Some(YesNo::Unsure) => Read::Unsure,
            Some(YesNo::Yes) if has("yes") => {
                let mut read = self.with_extras(state, id, "yes".into(), after_first_clause(text));
                // "ok I called them, it's 88213": the PIN among the words.
                if id == "pin_required"
                    && let Read::Value { extras, .. } = &mut read
                    && !extras.iter().any(|(e, _)| e == "pin")
                    && let Some(pin) =
                        secret_token(after_first_clause(text)).filter(|t| parse_pin(t).is_ok())
                {
                    extras.push(("pin".into(), pin.to_string()));
                }
                read
            }
            Some(YesNo::No) if has("no") => {
                self.with_extras(state, id, "no".into(), after_first_clause(text))
            }
            _ => value(text),
        }
    }

    /// "Yes, it's still active" at the checklist's "can you do both?": a yes to one of its two
    /// points, not to both. That one is kept and the other is asked on its own ("ask me one at a
    /// time"). For a message that picks no choice or the yes; None when it says both or all,
    /// or names both points or neither.
    fn one_checklist_point(&self, state: &State, text: &str, words: &[String]) -> Option<Read> {
        // "yes, we're all set", "all good": everything, as "both" is.
        if words.iter().any(|w| w == "both" || w == "all") {
            return None;
        }
        let named = |id: &str| {
            self.prompts
                .step(id)
                .and_then(|step| step.choices.iter().find(|c| c.value == "yes"))
                .is_some_and(|yes| contains(words, &yes.phrases))
        };
        let point = match (named("keep_active"), named("ready")) {
            (true, false) => "keep_active",
            (false, true) => "ready",
            _ => return None,
        };
        let mut extras = vec![(point.to_string(), "yes".to_string())];
        extras.extend(self.extras(state, "checklist", text));
        Some(Read::Value {
            text: "no".into(),
            extras,
            note: None,
        })
    }

    /// A yes or a no (or a choice named in words); at the consent, the signature typed early.
    fn read_yes_no(
        &self,
        state: &State,
        id: &str,
        step: &Step,
        text: &str,
        words: &[String],
    ) -> Read {
        if id == "consent" && self.is_signature(state, text) {
            return Read::SignNow(text.trim().to_string());
        }
        if id == "consent" && self.looks_like_a_signature(text, words) {
            return self.not_the_signer(state, text);
        }
        if let Some((value, rest)) = self.choice_in(&step.choices, text) {
            return self.with_extras(state, id, value, &rest);
        }
        match self.yes_no(text) {
            Some(YesNo::Yes) => self.with_extras(state, id, "yes".into(), after_first_clause(text)),
            Some(YesNo::No) => self.with_extras(state, id, "no".into(), after_first_clause(text)),
            Some(YesNo::Unsure) => Read::Unsure,
            None => value(text),
        }
    }

    /// A PIN or an account number, typed alone or with words around it.
    fn read_secret(&self, validator: Validator, text: &str, today: NaiveDate) -> Read {
        if self.wants_skip(text) {
            return Read::Skip;
        }
        if self.yes_no(text) == Some(YesNo::Unsure) {
            return Read::Unsure;
        }
        let whole = match validator {
            Validator::Pin => parse_pin(text).is_ok(),
            _ => crate::porting::text::parse_account_number(text).is_ok(),
        };
        if let Some(refusal) = no_secret_digits(validator, text, today) {
            return Read::Refuse(refusal);
        }
        if whole {
            return value(text);
        }
        self.secret_among_words(validator, text)
    }

    /// The PIN or account number in a message with other words: labelled, or the last token
    /// with a digit. "8472 1193 0045, BTN 312-448-2900": the phone number is the BTN, never
    /// part of the account number.
    fn secret_among_words(&self, validator: Validator, text: &str) -> Read {
        let mut extras = Vec::new();
        let mut rest = text.to_string();
        if validator == Validator::AccountNumber
            && let Some((region, without)) = self.phone_region(text)
        {
            extras.push(("btn".to_string(), region));
            rest = without;
            for label in ["btn", "BTN", "billing number", "main number"] {
                rest = rest.replace(label, " ");
            }
        }
        let rest = rest
            .trim()
            .trim_matches(|c: char| c == ',' || c.is_whitespace());
        let whole_rest = validator == Validator::AccountNumber
            && crate::porting::text::parse_account_number(rest).is_ok();
        let token = if whole_rest {
            Some(rest)
        } else {
            labelled(
                rest,
                &["account number", "account", "acct", "pin", "passcode"],
            )
            .or_else(|| secret_token(rest))
        };
        Read::Value {
            text: token.unwrap_or(rest).to_string(),
            extras,
            note: None,
        }
    }

    fn read_title(&self, text: &str, words: &[String]) -> Read {
        if self.wants_skip(text) {
            return Read::Skip;
        }
        if !self.plausible(words, &self.understanding().names.not_a_name, &["it"]) {
            return Read::Refuse(
                Refusal::new("title.not_a_title").with("input", validators::short(text)),
            );
        }
        value(text)
    }

    /// The numbers to move, with other fields beside them; "done" (or a yes) goes on with the
    /// numbers kept so far.
    fn read_numbers(&self, state: &State, id: &str, text: &str, words: &[String]) -> Read {
        let draft = matches!(state.pending, Some(Pending::NumbersDraft { .. }));
        let done = is_one_of(words, &self.prompts.understanding.yes_no.yes)
            || is_one_of(words, &self.understanding().extras.numbers_done);
        if draft && done {
            return value("done");
        }
        match self.phone_region(text) {
            // Digits left beside the numbers ("212-736-41OO") go to the list's own
            // check, which says what is wrong with them: none is dropped unseen.
            Some((region, rest)) if !rest.chars().any(|c| c.is_ascii_digit()) => {
                self.with_extras(state, id, region, &rest)
            }
            Some(_) => value(text),
            None if draft => Read::Refuse(Refusal::new("numbers.draft_unclear")),
            None => value(text),
        }
    }

    /// A business name; the address after it is the service address. A carrier word, a
    /// phone number, a date or "me" is not a business name.
    fn read_business_name(&self, text: &str, words: &[String]) -> Read {
        let u = self.understanding();
        if self.yes_no(text) == Some(YesNo::Unsure) || contains(words, &u.yes_no.unsure) {
            return Read::Unsure;
        }
        // "Globex Corp, 200 Park Ave, New York, NY 10166": the name, and the address.
        if let Some((name, address)) = text.split_once(',')
            && crate::porting::UsAddress::parse(address.trim()).is_ok()
        {
            return Read::Value {
                text: name.trim().to_string(),
                extras: vec![("service_address".into(), address.trim().to_string())],
                note: None,
            };
        }
        let generic = !words.is_empty()
            && words.iter().all(|w| {
                u.names
                    .generic_carrier
                    .0
                    .iter()
                    .any(|p| p.len() == 1 && &p[0] == w)
                    || w == "business"
                    || w == "name"
            });
        let not_a_name = || {
            Read::Refuse(
                Refusal::new("business_name.not_a_name").with("input", validators::short(text)),
            )
        };
        if generic || self.phone_region(text).is_some() {
            return not_a_name();
        }
        let me = is_one_of(words, &u.names.me) && words.len() <= 6;
        if let Some(refusal) = self.not_a_name_value(text, words, "business_name.not_a_name") {
            return Read::Refuse(refusal);
        }
        if me || !self.plausible(words, &u.names.not_a_business, &[]) {
            return not_a_name();
        }
        value(text)
    }

    /// At the summary, the authorized person's name is the signature; another name is refused.
    fn read_summary(&self, state: &State, step: &Step, text: &str, words: &[String]) -> Read {
        if self.is_signature(state, text) {
            return Read::SignNow(text.trim().to_string());
        }
        if self
            .pick_choice(&step.choices, &super::normalize(text))
            .is_none()
            && self.looks_like_a_signature(text, words)
        {
            return self.not_the_signer(state, text);
        }
        value(text)
    }

    /// A full name typed where a signature is welcome: two to five words of a name, not a yes,
    /// a no or a command.
    fn looks_like_a_signature(&self, text: &str, words: &[String]) -> bool {
        (2..=5).contains(&words.len())
            && self.yes_no(text).is_none()
            && crate::porting::text::parse_person_name(text).is_ok()
            && self.plausible(words, &self.understanding().names.not_a_name, &[])
    }

    fn not_the_signer(&self, state: &State, text: &str) -> Read {
        Read::Refuse(
            Refusal::new("signature.mismatch")
                .with("input", validators::short(text))
                .with(
                    "authorized_name",
                    state
                        .text("authorized_name")
                        .unwrap_or_default()
                        .to_string(),
                ),
        )
    }

    /// Whether a text is the authorized person's name (a signature).
    fn is_signature(&self, state: &State, text: &str) -> bool {
        state
            .text("authorized_name")
            .is_some_and(|name| names_match(text.trim(), name))
    }

    /// A name-like answer holds none of `not_words` (a pronoun, a verb, a question) except
    /// `allowed`, and is not a sentence.
    fn plausible(&self, words: &[String], not_words: &Phrases, allowed: &[&str]) -> bool {
        let blocked = words
            .iter()
            .filter(|w| !allowed.contains(&w.as_str()))
            .any(|w| not_words.0.iter().any(|p| p.len() == 1 && &p[0] == w));
        !blocked && words.len() <= 12
    }

    fn read_carrier(&self, state: &State, id: &str, text: &str, words: &[String]) -> Read {
        let u = self.understanding();
        if let Some((carrier, at, len)) = self.carrier_in(words, true) {
            let mut rest = words.to_vec();
            rest.drain(at..at + len);
            // "Verizon or AT&T": two carriers named is not an answer yet.
            if let Some((other, _, _)) = self.carrier_in(&rest, true)
                && other.name != carrier.name
            {
                return Read::Refuse(
                    Refusal::new("carrier.two")
                        .with("first", carrier.name.clone())
                        .with("second", other.name.clone()),
                );
            }
            // "Frontier, I think": asked to confirm.
            if contains(&rest, &u.yes_no.unsure) || contains(&rest, &u.questions.hedges) {
                return Read::AskCarrier {
                    name: carrier.name.clone(),
                    known: true,
                };
            }
            return Read::Value {
                text: carrier.name.clone(),
                extras: self.extras(state, id, &rest.join(" ")),
                note: None,
            };
        }
        if self.yes_no(text) == Some(YesNo::Unsure) || contains(words, &u.yes_no.unsure) {
            return Read::Unsure;
        }
        let generic = words.iter().all(|w| {
            u.names
                .generic_carrier
                .0
                .iter()
                .any(|p| p.len() == 1 && &p[0] == w)
        });
        if !self.plausible(words, &u.names.not_a_name, &[])
            || words.len() > 6
            || generic
            || text.contains('@')
            || says_a_date(text)
        {
            return Read::Refuse(
                Refusal::new("carrier.not_a_name").with("input", validators::short(text)),
            );
        }
        if let Some(carrier) = self.carrier_like(text) {
            return Read::AskCarrier {
                name: carrier.name.clone(),
                known: true,
            };
        }
        match crate::porting::text::parse_carrier(text) {
            Ok(name) => Read::AskCarrier {
                name: proper_case(&name),
                known: false,
            },
            Err(_) => value(text),
        }
    }

    fn read_person(&self, state: &State, id: &str, text: &str, words: &[String]) -> Read {
        let u = self.understanding();
        if let Some(read) = self.name_after_lead_in(state, id, text, words) {
            return read;
        }
        if let Some(read) = self.me_as_name(state, id, text, words) {
            return read;
        }
        if id == "authorized_name"
            && let Some(read) = self.name_of_relation(text, words)
        {
            return read;
        }
        if let Some(refusal) = self.not_a_name_value(text, words, "name.not_a_name") {
            return Read::Refuse(refusal);
        }
        // "Priya Sharma, Owner": the name, and the title after it.
        if id == "authorized_name"
            && let Some((name, title)) = self.name_and_title(text)
        {
            return Read::Value {
                text: proper_case(&name),
                extras: vec![("authorized_title".into(), title)],
                note: None,
            };
        }
        if !self.plausible(words, &u.names.not_a_name, &[]) || words.len() > 6 {
            return Read::Refuse(
                Refusal::new("name.not_a_name").with("input", validators::short(text)),
            );
        }
        // "Bob": the full name is on the account. Typed again, one word is the whole name.
        // (Latin letters only: names in scripts without spaces are one word.)
        let latin = text
            .chars()
            .all(|c| !c.is_alphabetic() || (c as u32) < 0x0250)
            && crate::porting::text::parse_person_name(text).is_ok();
        if words.len() == 1
            && state.failures == 0
            && latin
            && text.chars().filter(|c| c.is_alphabetic()).count() > 1
        {
            return Read::Refuse(Refusal::new("name.full").with("input", validators::short(text)));
        }
        value(proper_case(text))
    }

    /// "It's me! Maria Garcia", "me, Maria Garcia", "I'm Maria Garcia": the name after the
    /// lead-in. ("Name:" and "my name is" are labels, taken off before this.)
    fn name_after_lead_in(
        &self,
        state: &State,
        id: &str,
        text: &str,
        words: &[String],
    ) -> Option<Read> {
        let u = self.understanding();
        for phrase in u.names.me.0.iter().chain(&u.names.lead_ins.0) {
            if words.starts_with(phrase) && words.len() >= phrase.len() + 2 {
                let rest = &words[phrase.len()..];
                if self.plausible(rest, &u.names.not_a_name, &[])
                    || self.name_and_title(&self.typed_words(text, rest)).is_some()
                {
                    let typed = self.typed_words(text, rest);
                    return Some(self.read_person(state, id, &typed, rest));
                }
            }
        }
        None
    }

    /// "me": for the authorized person, the account holder of a residential account; otherwise
    /// not a name.
    fn me_as_name(&self, state: &State, id: &str, text: &str, words: &[String]) -> Option<Read> {
        let u = self.understanding();
        let me =
            is_one_of(words, &u.names.me) || is_one_of(self.without_fillers(words), &u.names.me);
        let not_a_name =
            || Read::Refuse(Refusal::new("name.me").with("input", validators::short(text)));
        if id == "authorized_name" && me {
            let holder = state
                .text("account_holder")
                .filter(|_| state.choice("customer_type") == Some("residential"));
            return Some(match holder {
                Some(name) => Read::Value {
                    text: name.to_string(),
                    extras: Vec::new(),
                    note: Some(fill(
                        &self.prompts.common.messages.me_taken,
                        &[("name", name)],
                    )),
                },
                None => not_a_name(),
            });
        }
        (me && words.len() <= 3).then(not_a_name)
    }

    /// "no, my husband Minh Nguyen is on the account": the name after who they are; a
    /// relation without a name is another person, not a name.
    fn name_of_relation(&self, text: &str, words: &[String]) -> Option<Read> {
        let u = self.understanding();
        let (at, len) = longest(words, &u.names.relations).filter(|(at, _)| *at <= 1)?;
        let named: Vec<String> = words[at + len..]
            .iter()
            .take_while(|w| !matches!(w.as_str(), "is" | "on" | "has" | "handles" | "does"))
            .cloned()
            .collect();
        if named.len() >= 2 && self.plausible(&named, &u.names.not_a_name, &[]) {
            let typed = self.typed_words(text, &named);
            return Some(value(proper_case(&typed)));
        }
        (at + len < words.len() || at > 0 || len > 0).then(|| {
            Read::Refuse(Refusal::new("name.other_person").with("input", validators::short(text)))
        })
    }

    /// The customer's own spelling of `words` (read in lower case) in `text`.
    fn typed_words(&self, text: &str, words: &[String]) -> String {
        let tokens: Vec<&str> = text
            .split_whitespace()
            .filter(|t| {
                let w = plain(match_words(t));
                !w.is_empty() && w.iter().all(|w| words.contains(w))
            })
            .collect();
        tokens
            .join(" ")
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_string()
    }

    /// A date, a carrier, a job title or a line type where a name is asked is not a name.
    fn not_a_name_value(
        &self,
        text: &str,
        words: &[String],
        code: &'static str,
    ) -> Option<Refusal> {
        let names = &self.understanding().names;
        let is_date = says_a_date(text)
            || longest(words, &self.understanding().dates.earliest)
                .is_some_and(|(_, l)| l == words.len())
            || matches!(
                words.join(" ").as_str(),
                "next week" | "this week" | "later" | "soon"
            );
        let carrier = self
            .carrier_in(words, true)
            .is_some_and(|(_, _, len)| len == words.len());
        let all_titles = !words.is_empty()
            && words.iter().all(|w| {
                w == "the"
                    || w == "a"
                    || names
                        .title_words
                        .0
                        .iter()
                        .any(|p| p.len() == 1 && &p[0] == w)
            });
        let line_words = [
            "landline",
            "mobile",
            "cell",
            "residential",
            "business",
            "personal",
            "home",
            "phone",
        ];
        let all_line_words =
            !words.is_empty() && words.iter().all(|w| line_words.contains(&w.as_str()));
        (is_date || carrier || all_titles || all_line_words)
            .then(|| Refusal::new(code).with("input", validators::short(text)))
    }

    /// "Priya Sharma, Owner", "Priya Sharma - office manager", "Priya Sharma (CEO)",
    /// "Tom Becker owner".
    fn name_and_title(&self, text: &str) -> Option<(String, String)> {
        let names = &self.understanding().names;
        let is_title_word = |w: &String| {
            names
                .title_words
                .0
                .iter()
                .any(|p| p.len() == 1 && &p[0] == w)
        };
        let plausible_name = |name: &str| {
            let words = plain(match_words(name));
            words.len() >= 2 && self.plausible(&words, &names.not_a_name, &[])
        };
        // The first separator of all: "Maria Garcia - owner/CEO" splits at the dash.
        let cut = [",", "(", "/", " - ", " – "]
            .iter()
            .filter_map(|sep| text.find(sep))
            .min();
        let Some(cut) = cut else {
            // No separator: the title words at the end, after a first and last name
            // ("Tom Becker owner", "maria garcia office mgr").
            let tokens: Vec<&str> = text.split_whitespace().collect();
            let title_len = tokens
                .iter()
                .rev()
                .take_while(|t| plain(match_words(t)).iter().all(is_title_word))
                .count();
            let name = tokens[..tokens.len() - title_len].join(" ");
            let last = plain(match_words(tokens.last()?));
            if title_len == 0 || is_one_of(&last, &names.suffixes) || !plausible_name(&name) {
                return None;
            }
            let title = tokens[tokens.len() - title_len..].join(" ");
            return Some((name, proper_case(&title)));
        };
        let name = text[..cut].trim();
        let title = text[cut..]
            .trim_start_matches([',', '(', '/', '-', '–', ' '])
            .trim_end_matches([')', '.', ' '])
            .trim();
        // "she's the owner": the title itself.
        let mut title_tokens: Vec<&str> = title.split_whitespace().collect();
        while title_tokens.first().is_some_and(|t| {
            matches!(
                plain(match_words(t)).join(" ").as_str(),
                "shes"
                    | "hes"
                    | "theyre"
                    | "she"
                    | "he"
                    | "they"
                    | "is"
                    | "the"
                    | "our"
                    | "my"
                    | "a"
                    | "an"
                    | "as"
                    | "works"
                    | "our the"
            )
        }) {
            title_tokens.remove(0);
        }
        let title = title_tokens.join(" ");
        let title_words = plain(match_words(&title));
        if title_words.is_empty() || is_one_of(&title_words, &names.suffixes) {
            return None;
        }
        let is_title = title_words.iter().any(is_title_word)
            || longest(&title_words, &names.title_words).is_some();
        (is_title && plausible_name(name)).then(|| (name.to_string(), proper_case(&title)))
    }

    fn read_port_date(
        &self,
        state: &State,
        text: &str,
        words: &[String],
        today: NaiveDate,
    ) -> Read {
        let d = &self.understanding().dates;
        let earliest = self.rules.earliest(today, self.calendar);
        let said_date = |date: NaiveDate| Read::Value {
            text: date.to_string(),
            extras: Vec::new(),
            note: Some(fill(
                &self.prompts.common.messages.date_taken,
                &[("date", dates::format_long(date))],
            )),
        };
        if is_one_of(words, &d.accept_suggestion)
            || is_one_of(self.without_fillers(words), &d.accept_suggestion)
        {
            return match &state.pending {
                Some(Pending::SuggestedDate { date }) => said_date(*date),
                _ => said_date(earliest),
            };
        }
        if is_one_of(words, &d.earliest)
            || is_one_of(self.without_fillers(words), &d.earliest)
            || longest(words, &d.earliest).is_some_and(|(_, len)| len >= 2 || words.len() <= 3)
        {
            return said_date(earliest);
        }
        if dates::parse_date(text, today, dates::YearHint::Upcoming).is_ok() {
            return value(text);
        }
        match dates::parse_spoken_date(text, today) {
            Some(date) => said_date(date),
            None => {
                // "asap, and email me at ...": the date first, other answers after it.
                let first = first_clause(text);
                let rest = after_first_clause(text);
                if first.len() < text.trim().len() && !rest.is_empty() {
                    let first_words = plain(match_words(first));
                    if let Read::Value { text, note, .. } =
                        self.read_port_date(state, first, &first_words, today)
                    {
                        return Read::Value {
                            text,
                            extras: self.extras(state, "port_date", rest),
                            note,
                        };
                    }
                }
                value(text)
            }
        }
    }

    /// The values of other fields a message gives beside its answer ("212-736-4100, both on
    /// AT&T", "yes, the PIN is 7731"). Only fields not answered yet, and only values named
    /// clearly: a known carrier, a phone number, a number or account type word, a labelled
    /// PIN or account number, an email address.
    pub(super) fn extras(&self, state: &State, asked: &str, text: &str) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = Vec::new();
        if text.trim().is_empty() {
            return found;
        }
        let open = |id: &str| id != asked && !state.answers.contains_key(id);
        let rest = self.typed_extras(text, &open, &mut found);
        let mut words = plain(match_words(&rest));
        // "same bill", or "the same AT&T bill": "same" or "one" a few words before "bill".
        let same_bill = contains(&words, &self.understanding().extras.same_bill)
            || words.iter().enumerate().any(|(i, w)| {
                matches!(w.as_str(), "same" | "one" | "single")
                    && words[i + 1..]
                        .iter()
                        .take(3)
                        .any(|n| matches!(n.as_str(), "bill" | "account"))
            });
        if open("same_bill") && same_bill {
            found.push(("same_bill".into(), "yes".into()));
        }
        if open("carrier") {
            self.carrier_extra(&mut words, &mut found);
        }
        for id in ["number_type", "customer_type"] {
            if open(id) {
                self.choice_extra(id, &mut words, &mut found);
            }
        }
        found
    }

    /// The extras read from the text as typed: the numbers, "no PIN" or a labelled PIN, a
    /// labelled account number and an email address. Returns the text without them.
    fn typed_extras(
        &self,
        text: &str,
        open: &impl Fn(&str) -> bool,
        found: &mut Vec<(String, String)>,
    ) -> String {
        let mut rest = text.to_string();
        // A number-like token left beside the numbers ("212-736-41OO") means the list is not
        // clear: the numbers question will read it whole.
        let unclear = |rest: &str| {
            rest.split_whitespace()
                .any(|t| t.chars().filter(char::is_ascii_digit).count() >= 6)
        };
        if open("numbers")
            && let Some((region, without)) = self.number_region(&rest, true)
            && !unclear(&without)
        {
            found.push(("numbers".into(), region));
            rest = without;
        }
        let no_pin = contains(
            &plain(match_words(&rest)),
            &self.understanding().extras.no_pin,
        );
        if open("pin_required") && no_pin {
            found.push(("pin_required".into(), "no".into()));
        } else if open("pin")
            && let Some(pin) = labelled(&rest, &["pin", "passcode"])
                .and_then(|v| v.split_whitespace().next())
                .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()))
                .filter(|t| t.chars().any(|c| c.is_ascii_digit()) && parse_pin(t).is_ok())
        {
            found.push(("pin".into(), pin.to_string()));
            rest = rest.replace(pin, " ");
        }
        if open("account_number")
            && let Some(account) = labelled(&rest, &["account number", "acct", "account #"])
        {
            found.push(("account_number".into(), account.to_string()));
            rest = rest.replace(account, " ");
        }
        if open("email")
            && let Some(email) = rest
                .split_whitespace()
                .find(|t| t.contains('@') && t.contains('.'))
        {
            let email = email.trim_matches(|c: char| matches!(c, ',' | '"' | '<' | '>'));
            found.push(("email".into(), email.trim_end_matches('.').to_string()));
        }
        rest
    }

    /// A known carrier named among the words, taken out of them. "4100 is on AT&T and 4471 is
    /// on Verizon": two carriers, so no carrier yet.
    fn carrier_extra(&self, words: &mut Vec<String>, found: &mut Vec<(String, String)>) {
        let Some((carrier, at, len)) = self.carrier_in(words, false) else {
            return;
        };
        let mut others = words.clone();
        others.drain(at..at + len);
        let second = self
            .carrier_in(&others, false)
            .is_some_and(|(c, _, _)| c.name != carrier.name);
        if !second {
            found.push(("carrier".into(), carrier.name.clone()));
        }
        words.drain(at..at + len);
    }

    /// A choice of step `id` named among the words, taken out of them. Only when one choice is
    /// named: "landline and cell" answers neither.
    fn choice_extra(&self, id: &str, words: &mut Vec<String>, found: &mut Vec<(String, String)>) {
        let Some(step) = self.prompts.step(id) else {
            return;
        };
        let named: Vec<(&str, usize, usize)> = step
            .choices
            .iter()
            .filter_map(|choice| {
                longest(words, &choice.phrases).map(|(at, len)| (choice.value.as_str(), at, len))
            })
            .collect();
        if let [(value, at, len)] = named[..] {
            found.push((id.into(), value.to_string()));
            words.drain(at..at + len);
        }
    }

    /// Step `id`'s validator on `text`, as if the customer had typed it there.
    pub(super) fn check_text(
        &self,
        state: &State,
        id: &str,
        text: &str,
        today: NaiveDate,
    ) -> Option<Outcome> {
        let step = self.prompts.step(id)?;
        let validator = validators::find(&step.validator)?;
        Some(self.check_given(state, step, validator, &Given::Text(text), today))
    }

    /// `validator` on what was given for `step`, with what validation needs besides the input.
    pub(super) fn check_given(
        &self,
        state: &State,
        step: &Step,
        validator: Validator,
        given: &Given,
        today: NaiveDate,
    ) -> Outcome {
        let choice_values: Vec<&str> = step.choices.iter().map(|c| c.value.as_str()).collect();
        let ctx = Context {
            state,
            today,
            calendar: self.calendar,
            rules: self.rules,
            max_upload_bytes: self.max_upload_bytes,
            unprintable: self.unprintable,
        };
        validators::validate(validator, given, &choice_values, &ctx)
    }

    /// Keeps an accepted answer for step `id`, its secret (if any) for the encrypted store.
    fn keep(
        &self,
        state: &mut State,
        id: &str,
        answer: Answer,
        secret: Option<String>,
        effects: &mut Vec<Effect>,
    ) {
        if let Some(value) = secret {
            effects.push(Effect::StoreSecret {
                step: id.to_string(),
                value: SecretString::from(value),
            });
        }
        self.set_answer(state, id, answer);
    }

    /// Answers step `id` with `text` as if typed there: kept when its validator accepts it,
    /// else the refusal.
    pub(super) fn answer_other(
        &self,
        state: &mut State,
        id: &str,
        text: &str,
        today: NaiveDate,
        effects: &mut Vec<Effect>,
    ) -> Option<Refusal> {
        match self.check_text(state, id, text, today)? {
            Outcome::Accept { answer, secret, .. } => {
                self.keep(state, id, answer, secret, effects);
                None
            }
            Outcome::Refuse(refusal) => Some(refusal),
            Outcome::NumbersRefused { .. } => Some(Refusal::new("numbers.none")),
        }
    }

    /// Validates and keeps the other fields' values; a value its validator refuses is left out
    /// (never stored), and the customer is told why.
    pub(super) fn apply_extras(
        &self,
        state: &mut State,
        extras: Vec<(String, String)>,
        effects: &mut Vec<Effect>,
        today: NaiveDate,
    ) -> ExtrasKept {
        let mut kept = ExtrasKept::default();
        for (id, text) in extras {
            // A PIN given before "do you have one?" was asked answers that too, if it is one.
            let pin_first = id == "pin" && state.choice("pin_required") != Some("yes");
            if pin_first {
                if !matches!(
                    self.check_text(state, &id, &text, today),
                    Some(Outcome::Accept { .. })
                ) {
                    continue;
                }
                self.set_answer(state, "pin_required", Answer::Choice("yes".into()));
            }
            if !self.applies(state, &id) {
                continue;
            }
            let Some(step) = self.prompts.step(&id) else {
                continue;
            };
            // "312 448 2915 and 312 555 0142": the good numbers are kept, the others explained.
            let (outcome, mut refusals) = match self.check_text(state, &id, &text, today) {
                Some(Outcome::NumbersRefused {
                    kept: good,
                    refused,
                }) if !good.is_empty() => {
                    let good = validators::join_national(&good);
                    (self.check_text(state, &id, &good, today), refused)
                }
                outcome => (outcome, Vec::new()),
            };
            match outcome {
                Some(Outcome::Accept {
                    answer,
                    secret: plain,
                    ..
                }) => {
                    kept.secret |= plain.is_some();
                    kept.noted
                        .push(format!("{}: {}", step.label, self.display(&id, &answer)));
                    self.keep(state, &id, answer, plain, effects);
                }
                Some(Outcome::Refuse(refusal)) => refusals.push((text.clone(), refusal)),
                Some(Outcome::NumbersRefused { refused, .. }) => refusals.extend(refused),
                None => continue,
            }
            // A refused PIN or account number is not repeated back.
            if matches!(id.as_str(), "pin" | "account_number") {
                continue;
            }
            for (typed, refusal) in refusals {
                let refusal = match refusal.arg("input") {
                    Some(_) => refusal,
                    None => refusal.with("input", validators::short(&typed)),
                };
                kept.refused.push(fill(
                    &self.prompts.common.messages.extra_refused,
                    &[
                        ("label", step.label.clone()),
                        ("reason", self.refusal_text(state, step, &refusal, today)),
                    ],
                ));
            }
        }
        kept
    }

    /// "Noted: ..." with what [`Engine::apply_extras`] kept, and why it left the rest out.
    pub(super) fn extras_replies(&self, kept: &ExtrasKept) -> Vec<Reply> {
        let mut replies = Vec::new();
        if !kept.noted.is_empty() {
            replies.push(Reply::say(fill(
                &self.prompts.common.messages.noted,
                &[("answers", kept.noted.join(" · "))],
            )));
        }
        if !kept.refused.is_empty() {
            replies.push(Reply::say(kept.refused.join("\n")));
        }
        replies
    }
}
