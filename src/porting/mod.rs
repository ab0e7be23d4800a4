//! The porting rules, as pure code: no I/O, no clock (the caller passes "today").
//!
//! Parse, don't validate: every answer a customer gives is parsed into a type that is valid by
//! construction ([`PhoneNumber`], [`UsAddress`], [`Email`], ...). A parser that refuses an answer
//! returns a [`Refusal`]: a stable code naming the wording in `prompts/`, plus the values that
//! wording fills in. The words themselves never live here.

pub mod address;
pub mod dates;
pub mod email;
pub mod lifecycle;
pub mod numbering;
pub mod phone;
pub mod request;
pub mod text;
pub mod upload;

pub use address::UsAddress;
pub use dates::{ClosedReason, PortCalendar, PortDateRules, YearHint};
pub use email::Email;
pub use lifecycle::{RejectionCode, TicketStatus};
pub use phone::{NumberKind, NumberList, PhoneNumber};
pub use request::{CustomerType, NumberType, PortRequest, ProviderInfo, SignatureRecord};
pub use upload::ContentType;

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

/// Every refusal code the porting rules can return, for the start-up check that each one has
/// wording in `prompts/`.
pub fn all_refusal_codes() -> impl Iterator<Item = &'static str> {
    [
        address::REFUSAL_CODES,
        dates::REFUSAL_CODES,
        email::REFUSAL_CODES,
        phone::REFUSAL_CODES,
        text::REFUSAL_CODES,
        upload::REFUSAL_CODES,
    ]
    .into_iter()
    .flatten()
    .copied()
}

/// What the customer typed, trimmed and cut to a length that fits in a reply: refusals echo the
/// input back, and a pasted novel must not come back with it.
pub(crate) fn echo(input: &str) -> String {
    const MAX: usize = 40;
    let mut chars = input.trim().chars().filter(|c| !c.is_control());
    let shown: String = chars.by_ref().take(MAX).collect();
    if chars.next().is_some() {
        format!("{}…", shown.trim_end())
    } else {
        shown
    }
}
