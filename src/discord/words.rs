//! The Discord-only words, from `prompts/discord.toml` (built in, or from `PORTBOT_PROMPTS_DIR`),
//! read by the loader in [`crate::prompts`].

use serde::Deserialize;

use crate::template::{Invalid, from_toml};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub buttons: Buttons,
    pub modals: Modals,
    pub messages: Messages,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buttons {
    pub back: String,
    pub help: String,
    pub agent: String,
    pub private: String,
    pub sign: String,
    pub choose: String,
    pub edit: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modals {
    pub pin_title: String,
    pub account_number_title: String,
    pub mobile_pin_title: String,
    pub secret_label: String,
    pub signature_title: String,
    pub signature_label: String,
}

/// `[messages]`: what the adapter says. Each is required, so a missing one is a start-up error
/// naming the file and the key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    pub thread_name: String,
    pub thread_opened: String,
    pub thread_resumed: String,
    pub typed_secret_deleted: String,
    pub typed_secret_in_dm: String,
    pub typed_secret_not_deleted: String,
    pub typed_secret_deleted_not_saved: String,
    pub typed_secret_not_saved: String,
    pub not_your_conversation: String,
    pub question_moved_on: String,
    pub loa_attached: String,
    pub agent_only: String,
    pub not_in_thread: String,
    pub no_customer_here: String,
    pub agent_ticket: String,
    pub in_dm: String,
    pub pin_revealed: String,
    pub no_pin: String,
    pub done: String,
    pub started_for: String,
    pub failed: String,
    pub refused: String,
    pub ticket_line: String,
    pub ticket_claimed: String,
    pub no_tickets: String,
    pub more_tickets: String,
    pub history_line: String,
    pub transcript_line: String,
    pub ticket_changed: String,
    pub needs_date: String,
    pub needs_reason: String,
    pub unknown_code: String,
    pub paused_by_agent: String,
}

impl Words {
    /// Reads `discord.toml`; the loader ([`crate::prompts`]) finds the file.
    pub fn parse(text: &str) -> Result<Words, Invalid> {
        from_toml("discord.toml", text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_words_load_and_modal_titles_fit_discord() {
        let words = Words::parse(include_str!("../../prompts/discord.toml")).unwrap();
        let m = &words.modals;
        for text in [
            &m.pin_title,
            &m.account_number_title,
            &m.mobile_pin_title,
            &m.secret_label,
            &m.signature_title,
            &m.signature_label,
        ] {
            assert!(text.chars().count() <= 45, "{text}");
        }
    }
}
