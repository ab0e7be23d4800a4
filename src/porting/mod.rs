//! The porting rules, as pure code: no I/O, no clock (the caller passes "today").
//!
//! Parse, don't validate: every answer a customer gives is parsed into a type that is valid by
//! construction ([`PhoneNumber`], [`UsAddress`], [`Email`], ...). A parser that refuses an answer
//! returns a [`Refusal`]: a stable code naming the wording in `prompts/`, plus the values that
//! wording fills in. The words themselves never live here.

pub mod address;
pub mod dates;
pub mod email;
pub mod phone;
pub mod request;
pub mod text;

pub use address::UsAddress;
pub use dates::{PortCalendar, PortDateRules};
pub use email::Email;
pub use phone::{NumberKind, PhoneNumber};
pub use request::{CustomerType, NumberType, PortRequest, ProviderInfo, SignatureRecord};

/// Why an answer was refused: a code naming the wording in `prompts/` (for example
/// `"numbers.n11"`), and named values the wording may fill in (`{input}`, `{suggestion}`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Refusal {
    pub fn new(code: &'static str) -> Self {
        Refusal {
            code,
            args: Vec::new(),
        }
    }

    /// Adds a named value for the wording, e.g. `.with("suggestion", "Mon, Dec 7, 2026")`.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}
