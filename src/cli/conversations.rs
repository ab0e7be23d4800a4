//! `portbot conversations`: hand conversations between the bot and agents.

use super::Words;
use super::args::ConversationsCommand;
use super::print::printable;
use super::words::Conversations;
use crate::service::{Customer, Service};
use crate::template::fill;

pub async fn run(
    service: &Service,
    words: &Words,
    command: ConversationsCommand,
) -> anyhow::Result<()> {
    let words = &words.conversations;
    let customer = |platform: String, user: String| Customer {
        platform,
        id: user,
        channel_id: None,
    };
    match command {
        ConversationsCommand::Waiting { .. } => waiting(service, words).await,
        ConversationsCommand::Resume {
            user,
            platform,
            agent,
        } => resume(service, words, &customer(platform, user), &agent).await,
        ConversationsCommand::Draft {
            user,
            platform,
            agent,
        } => draft(service, words, &customer(platform, user), &agent).await,
        ConversationsCommand::Start {
            user,
            platform,
            agent,
            text,
        } => {
            let customer = customer(platform, user);
            start(service, words, &customer, &agent, text.as_deref()).await
        }
    }
}

/// Customers waiting for an agent, each with what the bot collected so far.
async fn waiting(service: &Service, words: &Conversations) -> anyhow::Result<()> {
    let waiting = service.waiting_for_agent().await?;
    if waiting.is_empty() {
        println!("{}", words.nobody_waiting);
    }
    for w in waiting {
        let values = [
            ("customer", w.customer.signer_id()),
            ("since", w.since.format("%Y-%m-%d %H:%M UTC").to_string()),
            ("summary", printable(&w.summary)),
        ];
        println!("{}", fill(&words.waiting, &values));
    }
    Ok(())
}

/// Hands a paused conversation back to the bot.
async fn resume(
    service: &Service,
    words: &Conversations,
    customer: &Customer,
    agent: &str,
) -> anyhow::Result<()> {
    let replies = service.hand_back(customer, agent).await?;
    println!("{}", words.handed_back);
    for r in replies {
        println!("  {}", r.text.replace('\n', "\n  "));
    }
    Ok(())
}

/// Saves what the conversation collected as a draft ticket.
async fn draft(
    service: &Service,
    words: &Conversations,
    customer: &Customer,
    agent: &str,
) -> anyhow::Result<()> {
    let draft = service.draft_ticket(customer, agent).await?;
    let values = [
        ("number", draft.number),
        ("missing", draft.missing.join(", ")),
    ];
    println!("{}", fill(&words.draft_saved, &values));
    Ok(())
}

/// Starts the port-in flow for a customer, numbers pre-filled from `text`.
async fn start(
    service: &Service,
    words: &Conversations,
    customer: &Customer,
    agent: &str,
    text: Option<&str>,
) -> anyhow::Result<()> {
    let started = service.start_for(customer, agent, text).await?;
    if !started.prefilled.is_empty() {
        let numbers: Vec<String> = started.prefilled.iter().map(|n| n.national()).collect();
        println!(
            "{}",
            fill(&words.prefilled, &[("numbers", numbers.join(", "))])
        );
    }
    let question = [("question", started.question)];
    println!("{}", fill(&words.will_be_asked, &question));
    Ok(())
}
