//! `portbot tickets`: what agents read about tickets, and what they do to them.

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::ExposeSecret;

use super::Words;
use super::args::{TicketsCommand, parse_status, rejection_codes, status_action};
use super::print;
use crate::console::write_private;
use crate::service::{AgentAction, Export, Service, TicketView};
use crate::store::TicketStatus;
use crate::template::fill;

pub async fn run(service: &Service, words: &Words, command: TicketsCommand) -> anyhow::Result<()> {
    use TicketsCommand as T;
    // An agent's action on a ticket, then where the ticket stands.
    let act = |number: String, agent: String, action: AgentAction| async move {
        let ticket = service.act(&number, &agent, action).await?;
        println!("{}", print::report(&words.tickets, &ticket));
        Ok::<_, anyhow::Error>(())
    };
    match command {
        T::List { status, json, .. } => {
            list(service, words, parse_status(words, status)?, json).await
        }
        T::Show { number, json, .. } => show(service, words, &number, json).await,
        T::Loa {
            number,
            out,
            version,
            ..
        } => loa(service, words, &number, &out, version).await,
        T::Claim { number, agent } => act(number, agent, AgentAction::Claim).await,
        T::Unclaim { number, agent } => act(number, agent, AgentAction::Unclaim).await,
        T::Status {
            number,
            status,
            agent,
            date,
            reason,
            carrier_status,
        } => {
            let action = status_action(words, &status, date, reason, carrier_status)?;
            act(number, agent, action).await
        }
        T::Reject {
            number,
            agent,
            codes,
            note,
        } => {
            let codes = rejection_codes(words, &codes)?;
            act(number, agent, AgentAction::Reject { codes, note }).await
        }
        T::Note {
            number,
            agent,
            text,
        } => act(number, agent, AgentAction::Note { text }).await,
        T::Message {
            number,
            agent,
            text,
        } => act(number, agent, AgentAction::Message { text }).await,
        T::RevealPin { number, agent } => reveal_pin(service, words, &number, &agent).await,
        T::History { number, json, .. } => history(service, words, &number, json).await,
        T::Transcript { number, .. } => transcript(service, &number).await,
        T::Export {
            number,
            status,
            out,
            ..
        } => export(service, words, number.as_deref(), status, out.as_deref()).await,
        T::Outbox {
            failed,
            json,
            retry: None,
            ..
        } => outbox(service, words, failed, json).await,
        T::Outbox {
            retry: Some(id), ..
        } => retry_outbox(service, words, id).await,
    }
}

/// Tickets (with `status`, when given), newest first, after the open drafts.
async fn list(
    service: &Service,
    words: &Words,
    status: Option<TicketStatus>,
    json: bool,
) -> anyhow::Result<()> {
    let list = service.tickets(status).await?;
    if json {
        print::json(&print::ticket_list_json(&list))
    } else {
        print::ticket_list(&words.tickets, &list);
        Ok(())
    }
}

/// One ticket, or the draft of that number.
async fn show(service: &Service, words: &Words, number: &str, json: bool) -> anyhow::Result<()> {
    match service.ticket_or_draft(number).await? {
        TicketView::Ticket(ticket) if json => print::json(&print::ticket_json(&ticket)),
        TicketView::Ticket(ticket) => {
            print!("{}", print::ticket_text(&words.ticket, &ticket));
            Ok(())
        }
        TicketView::Draft(draft) if json => print::json(&print::draft_json(&draft)),
        TicketView::Draft(draft) => {
            println!("{}", print::draft_text(&words.tickets, &draft));
            Ok(())
        }
    }
}

/// Writes the ticket's latest LOA, or its LOA `version`, to `out`.
async fn loa(
    service: &Service,
    words: &Words,
    number: &str,
    out: &Path,
    version: Option<u32>,
) -> anyhow::Result<()> {
    let pdf = service
        .ticket_loa(number, version)
        .await?
        .with_context(|| match version {
            Some(v) => fill(
                &words.errors.no_loa_version,
                &[("number", number.to_string()), ("version", v.to_string())],
            ),
            None => fill(&words.errors.no_ticket, &[("number", number)]),
        })?;
    let path = out.display().to_string();
    write_private(out, &pdf)
        .with_context(|| fill(&words.errors.cannot_write, &[("path", &path)]))?;
    let wrote = [("path", path), ("bytes", pdf.len().to_string())];
    println!("{}", fill(&words.tickets.wrote_pdf, &wrote));
    Ok(())
}

/// The PIN, to this agent alone; the service writes the reveal to the audit log.
async fn reveal_pin(
    service: &Service,
    words: &Words,
    number: &str,
    agent: &str,
) -> anyhow::Result<()> {
    match service.reveal_pin(number, agent).await? {
        Some(pin) => println!("{}", pin.expose_secret()),
        None => println!("{}", fill(&words.tickets.no_pin, &[("number", number)])),
    }
    Ok(())
}

/// The ticket's audit log.
async fn history(service: &Service, words: &Words, number: &str, json: bool) -> anyhow::Result<()> {
    let events = service.ticket_history(number).await?;
    if json {
        return print::json(&print::history_json(&events));
    }
    for event in &events {
        println!("{}", print::history_line(&words.tickets, event));
    }
    Ok(())
}

/// The conversation behind the ticket.
async fn transcript(service: &Service, number: &str) -> anyhow::Result<()> {
    for line in service.ticket_transcript(number).await? {
        println!("{}", print::transcript_line(&line));
    }
    Ok(())
}

/// One ticket as JSON, or the list (with `status`, when given) as CSV, to `out` or stdout.
async fn export(
    service: &Service,
    words: &Words,
    number: Option<&str>,
    status: Option<String>,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    // A status only narrows the list.
    let status = match number {
        Some(_) => None,
        None => parse_status(words, status)?,
    };
    let text = match service.export(number, status).await? {
        Export::One(ticket) => serde_json::to_string_pretty(&print::ticket_json(&ticket))? + "\n",
        Export::List(tickets) => print::tickets_csv(&tickets),
    };
    match out {
        Some(out) => {
            let path = [("path", out.display().to_string())];
            write_private(out, text.as_bytes())
                .with_context(|| fill(&words.errors.cannot_write, &path))?;
            println!("{}", fill(&words.tickets.wrote, &path));
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// The notifications not delivered yet (only the given-up ones with `failed`).
async fn outbox(service: &Service, words: &Words, failed: bool, json: bool) -> anyhow::Result<()> {
    let entries = service.outbox(failed).await?;
    if json {
        print::json(&print::outbox_json(&entries))
    } else {
        print::outbox(&words.outbox, &entries, failed);
        Ok(())
    }
}

/// Sends notification `id` again at the next worker pass.
async fn retry_outbox(service: &Service, words: &Words, id: i64) -> anyhow::Result<()> {
    let id_value = [("id", id.to_string())];
    if !service.retry_outbox(id).await? {
        bail!(fill(&words.errors.no_notification, &id_value));
    }
    println!("{}", fill(&words.outbox.retry_queued, &id_value));
    Ok(())
}
