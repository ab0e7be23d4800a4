//! The command line's own words, from `prompts/cli.toml` (built in, or from
//! `PORTBOT_PROMPTS_DIR`): what `portbot` tells agents and operators, the column headers of its
//! tables, and why a command did not run. Every key is required and no other is allowed, so a
//! missing or misspelt one stops the command before it runs, naming the file and the key.
//!
//! The loader in [`crate::prompts`] finds the file; the command line reads it itself, since
//! the loader sits below it and composes only the words of the layers under it.

use std::path::Path;

use serde::Deserialize;

use crate::prompts::{PromptsError, read_file};
use crate::template::{Invalid, from_toml};

const FILE: &str = "cli.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub errors: Errors,
    pub tickets: Tickets,
    pub ticket: TicketText,
    pub outbox: Outbox,
    pub conversations: Conversations,
    pub operator: Operator,
}

/// Why a command did not run; printed after "portbot: ".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Errors {
    /// `{number}`: a ticket number no ticket has.
    pub no_ticket: String,
    pub no_loa_version: String,
    pub cannot_write: String,
    pub unknown_status: String,
    pub needs_date: String,
    pub bad_date: String,
    pub needs_reason: String,
    pub use_reject: String,
    pub not_settable: String,
    pub unknown_next_status: String,
    pub unknown_code: String,
    pub no_notification: String,
    pub no_numbers: String,
    pub no_key_to_rotate: String,
    pub same_key: String,
    pub move_key_by_hand: String,
    pub bench_missing: String,
    pub bench_not_started: String,
}

/// `portbot tickets`: the list, an action's report, the files written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tickets {
    pub none: String,
    pub draft_line: String,
    /// number, kind, status, port date, numbers, customer.
    pub columns: [String; 6],
    pub report: String,
    pub report_claimed: String,
    pub draft: String,
    pub note: String,
    pub wrote_pdf: String,
    pub wrote: String,
    pub no_pin: String,
}

/// `portbot tickets show`, a line each.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketText {
    pub heading: String,
    pub numbers: String,
    pub carrier: String,
    pub customer: String,
    pub service_address: String,
    pub authorized: String,
    pub authorized_with_title: String,
    pub btn: String,
    pub partial_port: String,
    pub partial_port_new_btn: String,
    pub port_date: String,
    pub claimed_by: String,
    pub rejected: String,
    pub carrier_status: String,
    pub confirmed_foc: String,
    pub email: String,
    pub on_file: String,
    pub signed: String,
    pub yes: String,
    pub no: String,
}

/// `portbot tickets outbox`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    pub none: String,
    pub none_failed: String,
    /// id, channel, ticket, attempts, next attempt, to, last error.
    pub columns: [String; 7],
    pub given_up: String,
    pub retry_queued: String,
}

/// `portbot conversations`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversations {
    pub nobody_waiting: String,
    pub waiting: String,
    pub handed_back: String,
    pub draft_saved: String,
    pub prefilled: String,
    pub will_be_asked: String,
}

/// `portbot migrate`, `retention`, `rekey` and `worker --once`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub migrated: String,
    pub nothing_to_delete: String,
    pub uploads_deleted: String,
    pub rekeyed: String,
    pub key_moved: String,
    pub key_given_or_file: String,
    pub key_in_new_file: String,
    pub key_given: String,
    pub pass: String,
    pub purged: String,
}

impl Words {
    /// Reads `cli.toml` from `dir` (`PORTBOT_PROMPTS_DIR`) when given and it holds one,
    /// otherwise the built-in copy.
    pub fn load(dir: Option<&Path>) -> Result<Words, PromptsError> {
        Ok(Words::parse(&read_file(dir, FILE)?)?)
    }

    fn parse(text: &str) -> Result<Words, Invalid> {
        from_toml(FILE, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILTIN: &str = include_str!("../../prompts/cli.toml");

    #[test]
    fn the_built_in_words_load() {
        Words::parse(BUILTIN).unwrap();
    }

    #[test]
    fn a_missing_or_unknown_key_stops_the_command_naming_the_file_and_key() {
        let missing = BUILTIN.replace("\nno_pin = ", "\nno_pinn = ");
        let err = Words::parse(&missing).unwrap_err().to_string();
        assert!(err.starts_with("prompts/cli.toml: "), "{err}");
        assert!(err.contains("`tickets.no_pinn`"), "{err}");
        let without = BUILTIN.replace("\nmigrated = \"Database is up to date.\"", "");
        let err = Words::parse(&without).unwrap_err().to_string();
        assert!(err.contains("`operator.migrated`"), "{err}");
    }
}
