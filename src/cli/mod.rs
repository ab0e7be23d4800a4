//! The `portbot` command line: run the chat, look at tickets, render LOAs.
//!
//! [`args`] is what the command line accepts; [`run`] sends each command to its one function
//! (by area: `chat`, `tickets`, `conversations`, `loa`, `admin`), which calls the service and
//! hands what it returns to [`print`]. `bench` runs the bench's own binary.

mod admin;
mod args;
mod bench;
mod chat;
mod conversations;
mod loa;
mod print;
mod tickets;
mod words;

pub use args::{Cli, Command, ConversationsCommand, LoaCommand, TicketsCommand};
pub use words::Words;

use crate::app::start_service;
use crate::config::Config;
use crate::service::{Caller, WorkflowError};
use crate::template::fill;

/// Runs a parsed command line, in the words of `prompts/cli.toml` (read first, so a broken file
/// stops every command before it starts).
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let words = Words::load(config.prompts_dir.as_deref())?;
    command(cli.command, config, &words)
        .await
        .map_err(|error| told(error, &words))
}

/// What a failed command tells the person who ran it: a ticket number no ticket has, in the
/// command line's words; anything else as it is (the service words its refusals itself).
fn told(error: anyhow::Error, words: &Words) -> anyhow::Error {
    match error.downcast_ref::<WorkflowError>() {
        Some(WorkflowError::NotFound(number)) => {
            anyhow::anyhow!(fill(&words.errors.no_ticket, &[("number", number)]))
        }
        _ => error,
    }
}

async fn command(command: Command, config: Config, words: &Words) -> anyhow::Result<()> {
    match command {
        Command::Chat {
            user,
            json,
            message_ids,
        } => chat::chat(config, user, json, message_ids).await,
        Command::Bench { args } => bench::bench(args, words),
        Command::Retention => admin::retention(&start_service(config).await?, words).await,
        Command::Migrate => admin::migrate(config, words).await,
        Command::Loa {
            command:
                LoaCommand::Preview {
                    out,
                    toll_free,
                    numbers,
                },
        } => loa::preview(&config, words, &out, toll_free, numbers),
        Command::Tickets { command } => {
            let service = start_service(config).await?;
            let (agent, number, action) = command.access();
            let caller = Caller::Terminal(agent);
            service.authorize_agent(caller, number, action).await?;
            tickets::run(&service, words, command).await
        }
        Command::Conversations { command } => {
            let service = start_service(config).await?;
            let (agent, action) = command.access();
            let caller = Caller::Terminal(agent);
            service.authorize_agent(caller, None, action).await?;
            conversations::run(&service, words, command).await
        }
        Command::Worker { once } => {
            if let Some(report) = crate::app::worker(config, once).await? {
                print::pass_report(&words.operator, &report);
            }
            Ok(())
        }
        Command::Rekey => admin::rekey(config, words).await,
        Command::Discord => crate::app::discord(config).await,
    }
}
