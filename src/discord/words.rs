//! The Discord-only words, from `prompts/discord.toml` (built in, or from `PORTBOT_PROMPTS_DIR`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

const BUILT_IN: &str = include_str!("../../prompts/discord.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub buttons: Buttons,
    pub modals: Modals,
    messages: BTreeMap<String, String>,
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

/// Message keys the adapter uses; checked at load so a missing one stops start-up.
const KEYS: &[&str] = &[
    "thread_name",
    "thread_opened",
    "thread_resumed",
    "typed_secret_deleted",
    "typed_secret_in_dm",
    "typed_secret_not_deleted",
    "typed_secret_deleted_not_saved",
    "typed_secret_not_saved",
    "not_your_conversation",
    "question_moved_on",
    "loa_attached",
    "agent_only",
    "not_in_thread",
    "no_customer_here",
    "agent_ticket",
    "in_dm",
    "pin_revealed",
    "no_pin",
    "done",
    "started_for",
    "failed",
    "refused",
    "ticket_line",
    "ticket_claimed",
    "no_tickets",
    "more_tickets",
    "history_line",
    "transcript_line",
    "ticket_changed",
    "needs_date",
    "needs_reason",
    "unknown_code",
    "paused_by_agent",
];

impl Words {
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Words> {
        let text = match dir.map(|d| d.join("discord.toml")) {
            Some(path) if path.exists() => std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
            _ => BUILT_IN.to_string(),
        };
        let words: Words =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("prompts/discord.toml: {e}"))?;
        if let Some(key) = KEYS.iter().find(|k| !words.messages.contains_key(**k)) {
            anyhow::bail!("prompts/discord.toml: [messages] has no {key}");
        }
        Ok(words)
    }

    pub fn message<'a>(&'a self, key: &'a str) -> &'a str {
        self.messages.get(key).map(String::as_str).unwrap_or(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_words_load_and_modal_titles_fit_discord() {
        let words = Words::load(None).unwrap();
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
