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

pub use args::{Cli, Command, ConversationsCommand, LoaCommand, TicketsCommand};

use crate::app::start_service;
use crate::config::Config;
use crate::service::Caller;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match cli.command {
        Command::Chat {
            user,
            json,
            message_ids,
        } => chat::chat(config, user, json, message_ids).await,
        Command::Bench { args } => bench::bench(args),
        Command::Retention => admin::retention(&start_service(config).await?).await,
        Command::Migrate => admin::migrate(config).await,
        Command::Loa {
            command:
                LoaCommand::Preview {
                    out,
                    toll_free,
                    numbers,
                },
        } => loa::preview(&config, &out, toll_free, numbers),
        Command::Tickets { command } => {
            let service = start_service(config).await?;
            let (agent, number, action) = command.access();
            let caller = Caller::Terminal(agent);
            service.authorize_agent(caller, number, action).await?;
            tickets::run(&service, command).await
        }
        Command::Conversations { command } => {
            let service = start_service(config).await?;
            let (agent, action) = command.access();
            let caller = Caller::Terminal(agent);
            service.authorize_agent(caller, None, action).await?;
            conversations::run(&service, command).await
        }
        Command::Worker { once } => {
            if let Some(report) = crate::app::worker(config, once).await? {
                print::pass_report(&report);
            }
            Ok(())
        }
        Command::Rekey => admin::rekey(config).await,
        Command::Discord => crate::app::discord(config).await,
    }
}
