//! US phone numbers (NANP): parsing any common format, the porting rules on top of
//! libphonenumber, and splitting a customer's list into numbers.

use serde::{Deserialize, Serialize};

use super::Refusal;

/// Local numbers port through the number portability administration; toll-free numbers move
/// RespOrg to RespOrg. The two are never mixed in one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    Local,
    TollFree,
}

impl NumberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberKind::Local => "local",
            NumberKind::TollFree => "toll_free",
        }
    }
}

/// A portable US number, stored as E.164 text (`+13125550123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, Refusal> {
        // Provisional: digits only; the full NANP rules replace this.
        let digits: String = input.chars().filter(|c| c.is_ascii_digit()).collect();
        let digits = match digits.len() {
            11 if digits.starts_with('1') => digits[1..].to_string(),
            10 => digits,
            _ => return Err(Refusal::new("phone.invalid").with("input", input)),
        };
        Ok(PhoneNumber(format!("+1{digits}")))
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    /// `(312) 448-2915`
    pub fn national(&self) -> String {
        let d = &self.0[2..];
        format!("({}) {}-{}", &d[0..3], &d[3..6], &d[6..10])
    }

    pub fn kind(&self) -> NumberKind {
        match &self.0[2..5] {
            "800" | "833" | "844" | "855" | "866" | "877" | "888" => NumberKind::TollFree,
            _ => NumberKind::Local,
        }
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&value).map_err(|r| r.code.to_string())
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

/// A customer's list of numbers, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NumberList {
    /// Valid numbers, each once, in the order first given.
    pub numbers: Vec<PhoneNumber>,
    /// Numbers that were given more than once (each listed once).
    pub duplicates: Vec<PhoneNumber>,
    /// Entries that are not portable numbers, as typed, with the reason.
    pub refused: Vec<(String, Refusal)>,
}

pub fn parse_number_list(_input: &str) -> NumberList {
    todo!()
}

/// Splits numbers into one group per kind, local first; empty groups are left out.
pub fn split_by_kind(numbers: &[PhoneNumber]) -> Vec<(NumberKind, Vec<PhoneNumber>)> {
    [NumberKind::Local, NumberKind::TollFree]
        .into_iter()
        .map(|kind| {
            let group: Vec<PhoneNumber> = numbers
                .iter()
                .filter(|n| n.kind() == kind)
                .cloned()
                .collect();
            (kind, group)
        })
        .filter(|(_, group)| !group.is_empty())
        .collect()
}
