//! What a conversation knows so far. Saved as versioned JSON after every turn; never holds a
//! secret (PINs and account numbers go to the encrypted store, the state only notes that one
//! was given).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::porting::{Email, PhoneNumber, UsAddress};

/// The state format's version; bumped when the JSON shape changes incompatibly.
pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// The opening menu.
    Menu,
    /// The port-in checklist and request.
    PortIn,
    /// Tickets were created; the conversation is over.
    Done,
    /// The customer cancelled.
    Cancelled,
}

/// One answer, typed by what its validator parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Bool(bool),
    /// The `value` of a choice from the prompts.
    Choice(String),
    Text(String),
    Numbers(Vec<PhoneNumber>),
    Phone(PhoneNumber),
    Address(UsAddress),
    Date(NaiveDate),
    Email(Email),
    Upload(Upload),
    /// A secret was given and stored encrypted; its length only, for the masked summary.
    Secret {
        chars: usize,
    },
    /// An optional step the customer skipped.
    Skipped,
}

/// A file the customer uploaded; its bytes live in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub size: usize,
}

/// A question the bot asked that is not a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Pending {
    ConfirmCancel,
    ConfirmStartOver,
    /// Some numbers were refused; these valid ones are kept while the customer fixes the rest.
    NumbersDraft {
        kept: Vec<PhoneNumber>,
    },
    /// The bot asked whether it read the carrier right ("did you mean Verizon?"), or whether
    /// a carrier it does not know is spelled as on the bill.
    ConfirmCarrier {
        name: String,
    },
    /// The bot suggested this port date; a yes takes it.
    SuggestedDate {
        date: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub flow: Flow,
    /// The port-in step being asked, when `flow` is `PortIn`.
    pub step: Option<String>,
    pub answers: BTreeMap<String, Answer>,
    /// Wrong answers in a row on the current step.
    pub failures: u32,
    pub pending: Option<Pending>,
    /// Handed to an agent: the bot stops asking until the conversation is handed back.
    pub paused: bool,
    /// A rejected ticket being fixed: only its fields are asked again.
    #[serde(default)]
    pub fix: Option<Fix>,
    /// The draft ticket number an agent saved this conversation under; the first ticket
    /// created from it takes this number.
    #[serde(default)]
    pub draft: Option<String>,
    /// The customer asked about leaving us: questions about fees are about port-out fees.
    #[serde(default)]
    pub leaving: bool,
}

/// What a rejected ticket needs: the fields asked again and what they were before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub ticket: String,
    /// The rejection codes, e.g. `ADDRESS_MISMATCH`.
    pub codes: Vec<String>,
    /// The steps asked again, in flow order.
    pub fields: Vec<String>,
    /// Their answers before the fix.
    pub before: BTreeMap<String, Answer>,
    /// The LOA must be signed again even if nothing printed on it changes.
    pub force_signature: bool,
}

impl State {
    pub fn new() -> State {
        State {
            version: STATE_VERSION,
            flow: Flow::Menu,
            step: None,
            answers: BTreeMap::new(),
            failures: 0,
            pending: None,
            paused: false,
            fix: None,
            draft: None,
            leaving: false,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("state serializes: plain data with string keys")
    }

    pub fn from_json(text: &str) -> Result<State, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn answer(&self, step: &str) -> Option<&Answer> {
        self.answers.get(step)
    }

    pub fn bool(&self, step: &str) -> Option<bool> {
        match self.answers.get(step) {
            Some(Answer::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn choice(&self, step: &str) -> Option<&str> {
        match self.answers.get(step) {
            Some(Answer::Choice(c)) => Some(c),
            _ => None,
        }
    }

    pub fn text(&self, step: &str) -> Option<&str> {
        match self.answers.get(step) {
            Some(Answer::Text(t)) => Some(t),
            _ => None,
        }
    }

    pub fn phone(&self, step: &str) -> Option<&PhoneNumber> {
        match self.answers.get(step) {
            Some(Answer::Phone(p)) => Some(p),
            _ => None,
        }
    }

    pub fn numbers(&self) -> &[PhoneNumber] {
        match self.answers.get("numbers") {
            Some(Answer::Numbers(n)) => n,
            _ => &[],
        }
    }

    pub fn is_secret_given(&self, step: &str) -> bool {
        matches!(self.answers.get(step), Some(Answer::Secret { .. }))
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}
