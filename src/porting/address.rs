//! US service addresses, parsed from one line as a customer types them.

use serde::{Deserialize, Serialize};

use super::Refusal;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsAddress {
    pub street: String,
    pub unit: Option<String>,
    pub city: String,
    /// Two-letter USPS code, upper case.
    pub state: String,
    /// `62704` or `62704-1234`, exactly as given (ZIP vs ZIP+4 must match the carrier's record).
    pub zip: String,
}

impl UsAddress {
    pub fn parse(_input: &str) -> Result<Self, Refusal> {
        todo!()
    }

    /// `123 Main St, Apt 4, Springfield, IL 62704`
    pub fn one_line(&self) -> String {
        match &self.unit {
            Some(unit) => format!(
                "{}, {}, {}, {} {}",
                self.street, unit, self.city, self.state, self.zip
            ),
            None => format!(
                "{}, {}, {} {}",
                self.street, self.city, self.state, self.zip
            ),
        }
    }
}
