//! The notification email address.

use serde::{Deserialize, Serialize};

use super::Refusal;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Refusal> {
        // Provisional; the full rules replace this.
        let input = input.trim();
        if input.contains('@') {
            Ok(Email(input.to_string()))
        } else {
            Err(Refusal::new("email.invalid").with("input", input))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
