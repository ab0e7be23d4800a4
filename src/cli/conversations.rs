//! `portbot conversations`: hand conversations between the bot and agents.

use super::args::ConversationsCommand;
use super::print::printable;
use crate::service::{Customer, Service};

pub async fn run(service: &Service, command: ConversationsCommand) -> anyhow::Result<()> {
    let customer = |platform: String, user: String| Customer {
        platform,
        id: user,
        channel_id: None,
    };
    match command {
        ConversationsCommand::Waiting { .. } => waiting(service).await,
        ConversationsCommand::Resume {
            user,
            platform,
            agent,
        } => resume(service, &customer(platform, user), &agent).await,
        ConversationsCommand::Draft {
            user,
            platform,
            agent,
        } => draft(service, &customer(platform, user), &agent).await,
        ConversationsCommand::Start {
            user,
            platform,
            agent,
            text,
        } => start(service, &customer(platform, user), &agent, text.as_deref()).await,
    }
}

/// Customers waiting for an agent, each with what the bot collected so far.
async fn waiting(service: &Service) -> anyhow::Result<()> {
    let waiting = service.waiting_for_agent().await?;
    if waiting.is_empty() {
        println!("Nobody is waiting for an agent.");
    }
    for w in waiting {
        println!(
            "{} (waiting since {})\n{}\n",
            w.customer.signer_id(),
            w.since.format("%Y-%m-%d %H:%M UTC"),
            printable(&w.summary)
        );
    }
    Ok(())
}

/// Hands a paused conversation back to the bot.
async fn resume(service: &Service, customer: &Customer, agent: &str) -> anyhow::Result<()> {
    let replies = service.hand_back(customer, agent).await?;
    println!("Handed back. The customer will see:");
    for r in replies {
        println!("  {}", r.text.replace('\n', "\n  "));
    }
    Ok(())
}

/// Saves what the conversation collected as a draft ticket.
async fn draft(service: &Service, customer: &Customer, agent: &str) -> anyhow::Result<()> {
    let draft = service.draft_ticket(customer, agent).await?;
    println!(
        "Saved as draft {}. Missing: {}",
        draft.number,
        draft.missing.join(", ")
    );
    Ok(())
}

/// Starts the port-in flow for a customer, numbers pre-filled from `text`.
async fn start(
    service: &Service,
    customer: &Customer,
    agent: &str,
    text: Option<&str>,
) -> anyhow::Result<()> {
    let started = service.start_for(customer, agent, text).await?;
    if !started.prefilled.is_empty() {
        let numbers: Vec<String> = started.prefilled.iter().map(|n| n.national()).collect();
        println!("Pre-filled numbers: {}", numbers.join(", "));
    }
    println!("The customer will be asked: {}", started.question);
    Ok(())
}
