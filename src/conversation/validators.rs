//! The named validators and conditions that `prompts/port_in.toml` refers to.
//!
//! A validator turns what the customer gave into an [`Answer`] (or a [`Refusal`] with a code
//! whose wording lives in `prompts/`); a condition decides from the answers so far whether a
//! step applies. Both are looked up by name when the prompts are loaded, so a typo in the TOML is
//! a start-up error rather than a silent skip.

use chrono::NaiveDate;

use super::state::{Answer, State, Upload};
use crate::porting::dates::{self, YearHint};
use crate::porting::phone::{self, parse_number_list};
use crate::porting::text::{self, names_match, parse_yes_no};
use crate::porting::{Email, PhoneNumber, UsAddress};
use crate::porting::{PortCalendar, PortDateRules, Refusal, address, email, upload};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    YesNo,
    KeepActive,
    Ready,
    OrderCleared,
    Upload,
    BillDate,
    Choice,
    Pin,
    Numbers,
    SameBill,
    Carrier,
    PersonName,
    BusinessName,
    Title,
    Address,
    Btn,
    AccountNumber,
    NewBtn,
    PortDate,
    Email,
    Summary,
    Consent,
    Signature,
}

const VALIDATORS: &[(&str, Validator)] = &[
    ("yes_no", Validator::YesNo),
    ("keep_active", Validator::KeepActive),
    ("ready", Validator::Ready),
    ("order_cleared", Validator::OrderCleared),
    ("upload", Validator::Upload),
    ("bill_date", Validator::BillDate),
    ("choice", Validator::Choice),
    ("pin", Validator::Pin),
    ("numbers", Validator::Numbers),
    ("same_bill", Validator::SameBill),
    ("carrier", Validator::Carrier),
    ("person_name", Validator::PersonName),
    ("business_name", Validator::BusinessName),
    ("title", Validator::Title),
    ("address", Validator::Address),
    ("btn", Validator::Btn),
    ("account_number", Validator::AccountNumber),
    ("new_btn", Validator::NewBtn),
    ("port_date", Validator::PortDate),
    ("email", Validator::Email),
    ("summary", Validator::Summary),
    ("consent", Validator::Consent),
    ("signature", Validator::Signature),
];

pub fn find(name: &str) -> Option<Validator> {
    VALIDATORS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn with_prefix(codes: &'static [&'static str], prefix: &str) -> Vec<&'static str> {
    codes
        .iter()
        .copied()
        .filter(|c| c.starts_with(prefix))
        .collect()
}

impl Validator {
    /// Every refusal code this validator can return; each needs wording in the prompts.
    pub fn codes(self) -> Vec<&'static str> {
        let yes_no = vec!["answer.yes_no"];
        let date_reading = with_prefix(dates::REFUSAL_CODES, "date.");
        match self {
            Validator::YesNo => yes_no,
            Validator::KeepActive => vec!["answer.yes_no", "keep_active.no"],
            Validator::Ready => vec!["answer.yes_no", "ready.no"],
            Validator::OrderCleared => vec!["answer.yes_no", "order_cleared.no"],
            Validator::SameBill => vec!["answer.yes_no", "same_bill.no"],
            Validator::Consent => vec!["answer.yes_no", "consent.no", "signature.mismatch"],
            Validator::Upload => {
                let mut codes = upload::REFUSAL_CODES.to_vec();
                codes.extend(["upload.text_instead", "upload.unrecognized"]);
                codes
            }
            Validator::BillDate => {
                let mut codes = date_reading;
                codes.extend(with_prefix(dates::REFUSAL_CODES, "bill_date."));
                codes
            }
            Validator::PortDate => {
                let mut codes = date_reading;
                codes.extend(with_prefix(dates::REFUSAL_CODES, "port_date."));
                codes
            }
            Validator::Choice => vec!["answer.choice"],
            Validator::Pin => {
                let mut codes = with_prefix(text::REFUSAL_CODES, "pin.");
                codes.push("pin.no_digits");
                codes
            }
            Validator::AccountNumber => {
                let mut codes = with_prefix(text::REFUSAL_CODES, "account_number.");
                codes.push("account_number.no_digits");
                codes
            }
            Validator::Carrier => {
                let mut codes = named(with_prefix(text::REFUSAL_CODES, "carrier."));
                codes.extend(["carrier.not_a_name", "carrier.two"]);
                codes
            }
            Validator::Title => {
                let mut codes = with_prefix(text::REFUSAL_CODES, "title.");
                codes.extend(["text.unprintable", "title.not_a_title"]);
                codes
            }
            Validator::PersonName => {
                let mut codes = named(with_prefix(text::REFUSAL_CODES, "name."));
                codes.extend([
                    "name.not_a_name",
                    "name.me",
                    "name.other_person",
                    "name.full",
                ]);
                codes
            }
            Validator::BusinessName => {
                let mut codes = named(with_prefix(text::REFUSAL_CODES, "business_name."));
                codes.push("business_name.not_a_name");
                codes
            }
            Validator::Signature => {
                let mut codes = with_prefix(text::REFUSAL_CODES, "name.");
                codes.extend(["signature.mismatch", "text.unprintable"]);
                codes
            }
            Validator::Numbers => {
                let mut codes = phone::REFUSAL_CODES.to_vec();
                codes.extend(["numbers.none", "numbers.draft_unclear"]);
                codes
            }
            Validator::Btn => phone::REFUSAL_CODES.to_vec(),
            Validator::NewBtn => {
                let mut codes = phone::REFUSAL_CODES.to_vec();
                codes.extend(["new_btn.is_ported", "new_btn.same_as_btn"]);
                codes
            }
            Validator::Address => {
                let mut codes = address::REFUSAL_CODES.to_vec();
                codes.push("text.unprintable");
                codes
            }
            Validator::Email => email::REFUSAL_CODES.to_vec(),
            Validator::Summary => vec!["summary.choose", "signature.mismatch"],
        }
    }

    pub fn needs_choices(self) -> bool {
        matches!(self, Validator::Choice)
    }

    pub fn expects_upload(self) -> bool {
        matches!(self, Validator::Upload)
    }
}

/// Name-like answers also refuse a bare "yes" or "no" (a customer answering the wrong question).
fn named(mut codes: Vec<&'static str>) -> Vec<&'static str> {
    codes.extend(["answer.not_a_name", "text.unprintable"]);
    codes
}

/// A bare yes or no where a name is expected.
fn yes_no_word(input: &str) -> Option<Refusal> {
    let words = input.split_whitespace().count();
    (words <= 2 && parse_yes_no(input).is_some())
        .then(|| Refusal::new("answer.not_a_name").with("input", short(input)))
}

const CONDITIONS: &[&str] = &[
    "always",
    "has_bill",
    "pin_known",
    "is_business",
    "is_residential",
    "is_mobile",
    "is_partial",
    "mobile_pin_missing",
    "checklist_open",
    "several_numbers",
    "types_unknown",
    "never",
];

pub fn is_condition(name: &str) -> bool {
    CONDITIONS.contains(&name)
}

/// Whether condition `name` holds for the answers so far. Unknown names are refused at start-up.
pub fn condition(name: &str, state: &State) -> bool {
    match name {
        "always" => true,
        "has_bill" => matches!(state.answer("bill_copy"), Some(Answer::Upload(_))),
        "pin_known" => state.choice("pin_required") == Some("yes"),
        "is_business" => state.choice("customer_type") == Some("business"),
        "is_residential" => state.choice("customer_type") == Some("residential"),
        "is_mobile" => state.choice("number_type") == Some("mobile"),
        "is_partial" => state.bool("partial_port") == Some(true),
        "mobile_pin_missing" => {
            state.choice("number_type") == Some("mobile") && !state.is_secret_given("pin")
        }
        "several_numbers" => state.numbers().len() > 1,
        // The two-in-one questions apply while neither of their answers is known.
        "checklist_open" => {
            !state.answers.contains_key("keep_active") && !state.answers.contains_key("ready")
        }
        "types_unknown" => {
            !state.answers.contains_key("number_type")
                && !state.answers.contains_key("customer_type")
        }
        // "never" steps are asked only when a rejection names them.
        _ => false,
    }
}

/// What the customer gave for a step.
pub enum Given<'a> {
    Text(&'a str),
    File {
        file_name: &'a str,
        bytes: &'a [u8],
        size: usize,
    },
}

/// What validation needs besides the input.
pub struct Context<'a> {
    pub state: &'a State,
    pub today: NaiveDate,
    pub calendar: &'a PortCalendar,
    pub rules: PortDateRules,
    pub max_upload_bytes: usize,
    /// The first character of a text the LOA cannot print, if any.
    pub unprintable: fn(&str) -> Option<char>,
}

/// A message to say along with an accepted answer: a key in the prompts and its values. The key
/// is `duplicates_merged` or `split_requests` (in `port_in.toml`'s messages), or one of
/// [`NOTE_CODES`].
pub type Note = (&'static str, Vec<(&'static str, String)>);

/// The porting rules' own notes, worded in `[errors]` of `common.toml` (checked at start-up).
pub const NOTE_CODES: &[&str] = &["phone.unconfirmed", "address.rural_route"];

pub enum Outcome {
    Accept {
        answer: Answer,
        notes: Vec<Note>,
        /// The plain secret to store encrypted (PIN, account number).
        secret: Option<String>,
    },
    Refuse(Refusal),
    /// Some numbers were fine and some not: keep the good ones, list the bad ones.
    NumbersRefused {
        kept: Vec<PhoneNumber>,
        refused: Vec<(String, Refusal)>,
    },
}

fn accept(answer: Answer) -> Outcome {
    Outcome::Accept {
        answer,
        notes: Vec::new(),
        secret: None,
    }
}

fn from<T>(result: Result<T, Refusal>, wrap: impl FnOnce(T) -> Answer) -> Outcome {
    match result {
        Ok(value) => accept(wrap(value)),
        Err(refusal) => Outcome::Refuse(refusal),
    }
}

fn yes_no(input: &str, no_code: Option<&'static str>) -> Outcome {
    match (parse_yes_no(input), no_code) {
        (Some(true), _) => accept(Answer::Bool(true)),
        (Some(false), Some(code)) => Outcome::Refuse(Refusal::new(code)),
        (Some(false), None) => accept(Answer::Bool(false)),
        (None, _) => Outcome::Refuse(Refusal::new("answer.yes_no").with("input", short(input))),
    }
}

/// The input as quoted back in an error: trimmed to a readable length.
pub fn short(input: &str) -> String {
    const MAX: usize = 40;
    let input = input.trim();
    if input.chars().count() <= MAX {
        input.to_string()
    } else {
        let cut: String = input.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Validates `given` for a step. `choice_values` are the step's choice values, for `Choice`.
/// Every text that will be printed on the LOA must be printable by its fonts.
pub fn validate(
    validator: Validator,
    given: &Given,
    choice_values: &[&str],
    ctx: &Context,
) -> Outcome {
    let outcome = validate_input(validator, given, choice_values, ctx);
    let printed = match &outcome {
        Outcome::Accept {
            answer: Answer::Text(text),
            ..
        } => Some(text.clone()),
        Outcome::Accept {
            answer: Answer::Address(address),
            ..
        } => Some(address.one_line()),
        _ => None,
    };
    match printed.as_deref().and_then(ctx.unprintable) {
        Some(character) => Outcome::Refuse(
            Refusal::new("text.unprintable").with("character", character.to_string()),
        ),
        None => outcome,
    }
}

fn validate_input(
    validator: Validator,
    given: &Given,
    choice_values: &[&str],
    ctx: &Context,
) -> Outcome {
    let input = match given {
        Given::File {
            file_name,
            bytes,
            size,
        } => {
            if !validator.expects_upload() {
                return Outcome::Refuse(Refusal::new("attachment_not_expected"));
            }
            return match upload::check_upload(bytes, *size, ctx.max_upload_bytes) {
                Ok(content_type) => accept(Answer::Upload(Upload {
                    file_name: file_name.to_string(),
                    content_type: content_type.mime().to_string(),
                    size: *size,
                })),
                Err(refusal) if refusal.arg("detected") == Some("unknown") => {
                    Outcome::Refuse(Refusal::new("upload.unrecognized"))
                }
                Err(refusal) => Outcome::Refuse(refusal),
            };
        }
        Given::Text(text) => *text,
    };
    if matches!(
        validator,
        Validator::Carrier | Validator::PersonName | Validator::BusinessName
    ) && let Some(refusal) = yes_no_word(input)
    {
        return Outcome::Refuse(refusal);
    }
    match validator {
        Validator::YesNo => yes_no(input, None),
        Validator::KeepActive => yes_no(input, Some("keep_active.no")),
        Validator::Ready => yes_no(input, Some("ready.no")),
        Validator::OrderCleared => yes_no(input, Some("order_cleared.no")),
        Validator::SameBill => yes_no(input, Some("same_bill.no")),
        Validator::Consent => yes_no(input, Some("consent.no")),
        Validator::Upload => Outcome::Refuse(Refusal::new("upload.text_instead")),
        Validator::BillDate => from(
            dates::parse_date(input, ctx.today, YearHint::Recent)
                .and_then(|date| dates::check_bill_date(date, ctx.today)),
            Answer::Date,
        ),
        Validator::PortDate => {
            let lowered = input.trim().to_lowercase();
            let earliest = ctx.rules.earliest(ctx.today, ctx.calendar);
            let wants_default = matches!(
                lowered.trim_end_matches(['.', '!']),
                "default"
                    | "ok"
                    | "okay"
                    | "yes"
                    | "y"
                    | "sure"
                    | "fine"
                    | "that's fine"
                    | "sounds good"
            );
            let date = if wants_default {
                Ok(earliest)
            } else {
                dates::parse_date(input, ctx.today, YearHint::Upcoming)
            };
            from(
                date.and_then(|d| ctx.rules.check(d, ctx.today, ctx.calendar)),
                Answer::Date,
            )
        }
        Validator::Choice => {
            let value = input.trim().to_lowercase();
            match choice_values.iter().find(|v| **v == value) {
                Some(v) => accept(Answer::Choice(v.to_string())),
                None => Outcome::Refuse(Refusal::new("answer.choice").with("input", short(input))),
            }
        }
        Validator::Pin => match text::parse_pin(input) {
            Ok(pin) => Outcome::Accept {
                answer: Answer::Secret {
                    chars: pin.chars().count(),
                },
                notes: Vec::new(),
                secret: Some(pin),
            },
            Err(refusal) => Outcome::Refuse(refusal),
        },
        Validator::AccountNumber => match text::parse_account_number(input) {
            Ok(number) => Outcome::Accept {
                answer: Answer::Secret {
                    chars: number.chars().count(),
                },
                notes: Vec::new(),
                secret: Some(number),
            },
            Err(refusal) => Outcome::Refuse(refusal),
        },
        Validator::Carrier => from(text::parse_carrier(input), Answer::Text),
        Validator::Title => from(text::parse_title(input), |title| match title {
            Some(title) => Answer::Text(title),
            None => Answer::Skipped,
        }),
        Validator::PersonName => from(text::parse_person_name(input), Answer::Text),
        Validator::BusinessName => from(text::parse_business_name(input), Answer::Text),
        Validator::Address => match UsAddress::parse(input) {
            Ok(address) if address.is_rural_route() => Outcome::Accept {
                answer: Answer::Address(address),
                notes: vec![("address.rural_route", Vec::new())],
                secret: None,
            },
            other => from(other, Answer::Address),
        },
        Validator::Email => from(Email::parse(input), Answer::Email),
        Validator::Btn => from(PhoneNumber::parse(input), Answer::Phone),
        Validator::NewBtn => match PhoneNumber::parse(input) {
            Err(refusal) => Outcome::Refuse(refusal),
            Ok(number) if ctx.state.numbers().contains(&number) => {
                Outcome::Refuse(Refusal::new("new_btn.is_ported").with("number", number.national()))
            }
            Ok(number) if ctx.state.phone("btn") == Some(&number) => Outcome::Refuse(
                Refusal::new("new_btn.same_as_btn").with("number", number.national()),
            ),
            Ok(number) => accept(Answer::Phone(number)),
        },
        Validator::Numbers => numbers(input, ctx),
        Validator::Summary => Outcome::Refuse(Refusal::new("summary.choose")),
        Validator::Signature => signature(input, ctx.state),
    }
}

fn numbers(input: &str, ctx: &Context) -> Outcome {
    let kept_before: Vec<PhoneNumber> = match &ctx.state.pending {
        Some(super::state::Pending::NumbersDraft { kept }) => kept.clone(),
        _ => Vec::new(),
    };
    // Reading turns every way of saying "go on with the ones you kept" into "done".
    let done = input.trim() == "done";
    let list = if done {
        Default::default()
    } else {
        parse_number_list(input)
    };
    // A list that repeats a kept number is the whole list sent again, corrected: it replaces.
    let resent = list.numbers.iter().any(|n| kept_before.contains(n));
    let mut all = if resent {
        Vec::new()
    } else {
        kept_before.clone()
    };
    let mut duplicates = list.duplicates.clone();
    for number in list.numbers {
        if all.contains(&number) {
            if !duplicates.contains(&number) {
                duplicates.push(number);
            }
        } else {
            all.push(number);
        }
    }
    if !list.refused.is_empty() {
        return Outcome::NumbersRefused {
            kept: all,
            refused: list.refused,
        };
    }
    if all.is_empty() {
        return Outcome::Refuse(Refusal::new("numbers.none").with("input", short(input)));
    }
    let mut notes: Vec<Note> = Vec::new();
    if !duplicates.is_empty() {
        notes.push((
            "duplicates_merged",
            vec![("numbers", join_national(&duplicates))],
        ));
    }
    // Numbers in area codes or exchanges newer than the numbering data: kept, and said so.
    let unconfirmed: Vec<PhoneNumber> = all.iter().filter(|n| !n.is_confirmed()).cloned().collect();
    if !unconfirmed.is_empty() {
        notes.push((
            "phone.unconfirmed",
            vec![("numbers", join_national(&unconfirmed))],
        ));
    }
    let groups = phone::split_by_kind(&all);
    if groups.len() > 1 {
        let mut args = Vec::new();
        for (kind, group) in &groups {
            let name = match kind {
                crate::porting::NumberKind::Local => "local",
                crate::porting::NumberKind::TollFree => "toll_free",
            };
            args.push((name, join_national(group)));
        }
        notes.push(("split_requests", args));
    }
    Outcome::Accept {
        answer: Answer::Numbers(all),
        notes,
        secret: None,
    }
}

pub fn join_national(numbers: &[PhoneNumber]) -> String {
    numbers
        .iter()
        .map(|n| n.national())
        .collect::<Vec<_>>()
        .join(", ")
}

fn signature(input: &str, state: &State) -> Outcome {
    let typed = match text::parse_person_name(input) {
        Ok(name) => name,
        Err(refusal) => return Outcome::Refuse(refusal),
    };
    let authorized = state.text("authorized_name").unwrap_or_default();
    if names_match(&typed, authorized) {
        accept(Answer::Text(typed))
    } else {
        Outcome::Refuse(
            Refusal::new("signature.mismatch")
                .with("input", short(input))
                .with("authorized_name", authorized.to_string()),
        )
    }
}
