//! `portbot tickets`: what agents read about tickets, and what they do to them.

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::ExposeSecret;

use super::args::{TicketsCommand, parse_status, rejection_codes, status_action};
use super::print;
use crate::console::write_private;
use crate::service::{AgentAction, Export, Service, TicketView};
use crate::store::TicketStatus;

pub async fn run(service: &Service, command: TicketsCommand) -> anyhow::Result<()> {
    use TicketsCommand as T;
    match command {
        T::List { status, json, .. } => list(service, parse_status(status)?, json).await,
        T::Show { number, json, .. } => show(service, &number, json).await,
        T::Loa {
            number,
            out,
            version,
            ..
        } => loa(service, &number, &out, version).await,
        T::Claim { number, agent } => act(service, &number, &agent, AgentAction::Claim).await,
        T::Unclaim { number, agent } => act(service, &number, &agent, AgentAction::Unclaim).await,
        T::Status {
            number,
            status,
            agent,
            date,
            reason,
            carrier_status,
        } => {
            let action = status_action(&status, date, reason, carrier_status)?;
            act(service, &number, &agent, action).await
        }
        T::Reject {
            number,
            agent,
            codes,
            note,
        } => {
            let codes = rejection_codes(&codes)?;
            act(
                service,
                &number,
                &agent,
                AgentAction::Reject { codes, note },
            )
            .await
        }
        T::Note {
            number,
            agent,
            text,
        } => act(service, &number, &agent, AgentAction::Note { text }).await,
        T::Message {
            number,
            agent,
            text,
        } => act(service, &number, &agent, AgentAction::Message { text }).await,
        T::RevealPin { number, agent } => reveal_pin(service, &number, &agent).await,
        T::History { number, json, .. } => history(service, &number, json).await,
        T::Transcript { number, .. } => transcript(service, &number).await,
        T::Export {
            number,
            status,
            out,
            ..
        } => export(service, number.as_deref(), status, out.as_deref()).await,
        T::Outbox {
            failed,
            json,
            retry: None,
            ..
        } => outbox(service, failed, json).await,
        T::Outbox {
            retry: Some(id), ..
        } => retry_outbox(service, id).await,
    }
}

/// Tickets (with `status`, when given), newest first, after the open drafts.
async fn list(service: &Service, status: Option<TicketStatus>, json: bool) -> anyhow::Result<()> {
    let list = service.tickets(status).await?;
    if json {
        print::json(&print::ticket_list_json(&list))
    } else {
        print::ticket_list(&list);
        Ok(())
    }
}

/// One ticket, or the draft of that number.
async fn show(service: &Service, number: &str, json: bool) -> anyhow::Result<()> {
    match service.ticket_or_draft(number).await? {
        TicketView::Ticket(ticket) if json => print::json(&print::ticket_json(&ticket)),
        TicketView::Ticket(ticket) => {
            print!("{}", print::ticket_text(&ticket));
            Ok(())
        }
        TicketView::Draft(draft) if json => print::json(&print::draft_json(&draft)),
        TicketView::Draft(draft) => {
            println!("{}", print::draft_text(&draft));
            Ok(())
        }
    }
}

/// Writes the ticket's latest LOA, or its LOA `version`, to `out`.
async fn loa(
    service: &Service,
    number: &str,
    out: &Path,
    version: Option<u32>,
) -> anyhow::Result<()> {
    let pdf = service
        .ticket_loa(number, version)
        .await?
        .with_context(|| match version {
            Some(v) => format!("no LOA version {v} for ticket {number}"),
            None => format!("no ticket {number}"),
        })?;
    write_private(out, &pdf).with_context(|| format!("writing {}", out.display()))?;
    println!("Wrote {} ({} bytes).", out.display(), pdf.len());
    Ok(())
}

/// An agent's action on a ticket, then where the ticket stands.
async fn act(
    service: &Service,
    number: &str,
    agent: &str,
    action: AgentAction,
) -> anyhow::Result<()> {
    let ticket = service.act(number, agent, action).await?;
    println!("{}", print::report(&ticket));
    Ok(())
}

/// The PIN, to this agent alone; the service writes the reveal to the audit log.
async fn reveal_pin(service: &Service, number: &str, agent: &str) -> anyhow::Result<()> {
    match service.reveal_pin(number, agent).await? {
        Some(pin) => println!("{}", pin.expose_secret()),
        None => println!("No PIN on file for {number}."),
    }
    Ok(())
}

/// The ticket's audit log.
async fn history(service: &Service, number: &str, json: bool) -> anyhow::Result<()> {
    let events = service.ticket_history(number).await?;
    if json {
        return print::json(&print::history_json(&events));
    }
    for event in &events {
        println!("{}", print::history_line(event));
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
    number: Option<&str>,
    status: Option<String>,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    // A status only narrows the list.
    let status = match number {
        Some(_) => None,
        None => parse_status(status)?,
    };
    let text = match service.export(number, status).await? {
        Export::One(ticket) => serde_json::to_string_pretty(&print::ticket_json(&ticket))? + "\n",
        Export::List(tickets) => print::tickets_csv(&tickets),
    };
    match out {
        Some(path) => {
            write_private(path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            println!("Wrote {}.", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// The notifications not delivered yet (only the given-up ones with `failed`).
async fn outbox(service: &Service, failed: bool, json: bool) -> anyhow::Result<()> {
    let entries = service.outbox(failed).await?;
    if json {
        print::json(&print::outbox_json(&entries))
    } else {
        print::outbox(&entries, failed);
        Ok(())
    }
}

/// Sends notification `id` again at the next worker pass.
async fn retry_outbox(service: &Service, id: i64) -> anyhow::Result<()> {
    if !service.retry_outbox(id).await? {
        bail!("no undelivered notification {id}");
    }
    println!("Notification {id} will be sent again at the next worker pass.");
    Ok(())
}
