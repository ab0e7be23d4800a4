//! The notification email address.

use serde::{Deserialize, Serialize};

use super::Refusal;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(_input: &str) -> Result<Self, Refusal> {
        todo!()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
