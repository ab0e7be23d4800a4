//! What `portbot` accepts (clap), who each agent command acts as, and the options that are read
//! into typed values (a status, an action, rejection codes).

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use super::Words;
use crate::porting::RejectionCode;
use crate::service::AgentAction;
use crate::store::TicketStatus;
use crate::template::fill;

#[derive(Debug, Parser)]
#[command(name = "portbot", version, about = "A guided number-porting assistant")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chat as a customer in the terminal (stdin/stdout).
    Chat {
        /// Who you are; the same id resumes the same conversation.
        #[arg(long)]
        user: Option<String>,
        /// One JSON object per bot message (the scripting interface).
        #[arg(long)]
        json: bool,
        /// Each input line is `MESSAGE_ID TEXT`: the id is the idempotency key a platform would
        /// give, so a line replayed with the same id is not handled twice (replay tests).
        #[arg(long, hide = true)]
        message_ids: bool,
    },
    /// Look at port tickets.
    Tickets {
        #[command(subcommand)]
        command: TicketsCommand,
    },
    /// Hand conversations between the bot and agents.
    Conversations {
        #[command(subcommand)]
        command: ConversationsCommand,
    },
    /// Letter of Authorization tools.
    Loa {
        #[command(subcommand)]
        command: LoaCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Measure turns, raw writes, LOA renders, memory and start-up in one run (BENCHMARKS.md):
    /// runs `portbot-bench`, built beside `portbot`; `portbot bench --help` lists its options.
    #[command(disable_help_flag = true)]
    Bench {
        /// Passed to `portbot-bench` as they are.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Delete bill and CSR uploads of tickets finished more than PORTBOT_RETENTION_DAYS ago
    /// (the worker does this too).
    Retention,
    /// Deliver notification emails, remind quiet customers and close abandoned conversations,
    /// until Ctrl-C.
    Worker {
        /// One pass, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Run the Discord bot (DISCORD_TOKEN and the PORTBOT_DISCORD_* settings), until Ctrl-C.
    Discord,
    /// Re-encrypt every PIN, account number and document with a new key (PORTBOT_NEW_SECRET_KEY,
    /// or one generated into the data folder), in one transaction. Stop every other process first.
    Rekey,
}

#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// List tickets, newest first.
    List {
        /// Only tickets with this status (submitted, in_review, needs_info, ...).
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
        /// You, when PORTBOT_AGENTS is set.
        #[arg(long)]
        agent: Option<String>,
    },
    /// Show one ticket (never its PIN or account number).
    Show {
        number: String,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        agent: Option<String>,
    },
    /// Write a ticket's latest LOA PDF.
    Loa {
        number: String,
        #[arg(long)]
        out: PathBuf,
        /// An earlier LOA version.
        #[arg(long)]
        version: Option<u32>,
        #[arg(long)]
        agent: Option<String>,
    },
    /// Claim a ticket (submitted tickets move to in_review).
    Claim {
        number: String,
        #[arg(long)]
        agent: String,
    },
    /// Give a claimed ticket back to the queue.
    Unclaim {
        number: String,
        #[arg(long)]
        agent: String,
    },
    /// Move a ticket on: sent_to_carrier, foc_confirmed (with --date), completed, cancelled
    /// (with --reason).
    Status {
        number: String,
        /// The new status.
        status: String,
        #[arg(long)]
        agent: String,
        /// The confirmed port date (FOC), YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
        /// Why it is cancelled (told to the customer).
        #[arg(long)]
        reason: Option<String>,
        /// The carrier's own status text, kept beside ours.
        #[arg(long)]
        carrier_status: Option<String>,
    },
    /// Reject a ticket back to the customer with one or more carrier rejection codes.
    Reject {
        number: String,
        #[arg(long)]
        agent: String,
        /// ACCOUNT_NUMBER_MISMATCH, ADDRESS_MISMATCH, PIN_REQUIRED, ... (repeat for several).
        #[arg(long = "code", required = true)]
        codes: Vec<String>,
        /// A note for the customer.
        #[arg(long)]
        note: Option<String>,
    },
    /// Add an internal note (never shown to the customer).
    Note {
        number: String,
        #[arg(long)]
        agent: String,
        text: String,
    },
    /// Send the customer a message (in their chat and by email).
    Message {
        number: String,
        #[arg(long)]
        agent: String,
        text: String,
    },
    /// Show the ticket's PIN to you; the reveal is written to the audit log.
    RevealPin {
        number: String,
        #[arg(long)]
        agent: String,
    },
    /// The ticket's audit log.
    History {
        number: String,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        agent: Option<String>,
    },
    /// The conversation behind the ticket (secrets redacted).
    Transcript {
        number: String,
        #[arg(long)]
        agent: Option<String>,
    },
    /// Notifications not delivered yet (chat, email, agents), with their attempts and errors.
    Outbox {
        /// Only the deliveries given up after every retry.
        #[arg(long)]
        failed: bool,
        #[arg(long)]
        json: bool,
        /// Try this notification again from scratch (after fixing its cause).
        #[arg(long, value_name = "ID")]
        retry: Option<i64>,
        #[arg(long)]
        agent: Option<String>,
    },
    /// Export one ticket as JSON, or the list (optionally by status) as CSV. Never secrets.
    Export {
        number: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        agent: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConversationsCommand {
    /// Customers waiting for an agent, each with what the bot collected so far.
    Waiting {
        /// You, when PORTBOT_AGENTS is set.
        #[arg(long)]
        agent: Option<String>,
    },
    /// Hand a paused conversation back to the bot; it asks the pending question again.
    Resume {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "console")]
        platform: String,
        #[arg(long)]
        agent: String,
    },
    /// Save what a conversation collected as a draft ticket that lists what is missing; the
    /// customer finishes it in chat and the ticket keeps the draft's number.
    Draft {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "console")]
        platform: String,
        #[arg(long)]
        agent: String,
    },
    /// Start the port-in flow for a customer, pre-filling numbers found in --text.
    Start {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "console")]
        platform: String,
        #[arg(long)]
        agent: String,
        /// The customer's message to take phone numbers from.
        #[arg(long)]
        text: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LoaCommand {
    /// Render an LOA from sample data, to check the branding.
    Preview {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        toll_free: bool,
        #[arg(long, default_value_t = 10)]
        numbers: usize,
    },
}

impl TicketsCommand {
    /// Who acts, on which ticket, and the action's name for the audit log.
    pub fn access(&self) -> (Option<&str>, Option<&str>, &'static str) {
        use TicketsCommand as T;
        fn named(agent: &Option<String>) -> Option<&str> {
            agent.as_deref()
        }
        match self {
            T::List { agent, .. } => (named(agent), None, "list"),
            T::Show { number, agent, .. } => (named(agent), Some(number), "show"),
            T::Loa { number, agent, .. } => (named(agent), Some(number), "loa"),
            T::Claim { number, agent } => (Some(agent), Some(number), "claim"),
            T::Unclaim { number, agent } => (Some(agent), Some(number), "unclaim"),
            T::Status { number, agent, .. } => (Some(agent), Some(number), "status"),
            T::Reject { number, agent, .. } => (Some(agent), Some(number), "reject"),
            T::Note { number, agent, .. } => (Some(agent), Some(number), "note"),
            T::Message { number, agent, .. } => (Some(agent), Some(number), "message"),
            T::RevealPin { number, agent } => (Some(agent), Some(number), "reveal_pin"),
            T::History { number, agent, .. } => (named(agent), Some(number), "history"),
            T::Transcript { number, agent } => (named(agent), Some(number), "transcript"),
            T::Outbox { agent, .. } => (named(agent), None, "outbox"),
            T::Export { number, agent, .. } => (named(agent), number.as_deref(), "export"),
        }
    }
}

impl ConversationsCommand {
    /// Who acts, and the action's name for the log.
    pub fn access(&self) -> (Option<&str>, &'static str) {
        use ConversationsCommand as C;
        match self {
            C::Waiting { agent } => (agent.as_deref(), "waiting"),
            C::Resume { agent, .. } => (Some(agent), "resume"),
            C::Draft { agent, .. } => (Some(agent), "draft"),
            C::Start { agent, .. } => (Some(agent), "start"),
        }
    }
}

/// `--status`, as a ticket status.
pub fn parse_status(words: &Words, status: Option<String>) -> anyhow::Result<Option<TicketStatus>> {
    status
        .map(|s| {
            TicketStatus::parse(&s).with_context(|| {
                let all: Vec<&str> = TicketStatus::ALL.iter().map(|s| s.as_str()).collect();
                let values = [("status", format!("{s:?}")), ("statuses", all.join(", "))];
                fill(&words.errors.unknown_status, &values)
            })
        })
        .transpose()
}

/// What `tickets status NUMBER STATUS` asks for, with the options that status needs.
pub fn status_action(
    words: &Words,
    status: &str,
    date: Option<String>,
    reason: Option<String>,
    carrier_status: Option<String>,
) -> anyhow::Result<AgentAction> {
    let e = &words.errors;
    Ok(match TicketStatus::parse(status) {
        Some(TicketStatus::InReview) => AgentAction::Claim,
        Some(TicketStatus::SentToCarrier) => AgentAction::SendToCarrier { carrier_status },
        Some(TicketStatus::FocConfirmed) => {
            let date = date.with_context(|| e.needs_date.clone())?;
            let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .with_context(|| fill(&e.bad_date, &[("date", format!("{date:?}"))]))?;
            AgentAction::ConfirmFoc {
                date,
                carrier_status,
            }
        }
        Some(TicketStatus::Completed) => AgentAction::Complete,
        Some(TicketStatus::Cancelled) => AgentAction::Cancel {
            reason: reason.with_context(|| e.needs_reason.clone())?,
        },
        Some(TicketStatus::NeedsInfo) => bail!(e.use_reject.clone()),
        Some(other) => bail!(fill(&e.not_settable, &[("status", other.as_str())])),
        None => bail!(fill(
            &e.unknown_next_status,
            &[("status", format!("{status:?}"))]
        )),
    })
}

/// The `--code` options, as rejection codes.
pub fn rejection_codes(words: &Words, codes: &[String]) -> anyhow::Result<Vec<RejectionCode>> {
    codes
        .iter()
        .map(|code| {
            RejectionCode::parse(code).with_context(|| {
                let all: Vec<&str> = RejectionCode::ALL.iter().map(|c| c.as_str()).collect();
                let values = [("code", format!("{code:?}")), ("codes", all.join(", "))];
                fill(&words.errors.unknown_code, &values)
            })
        })
        .collect()
}
