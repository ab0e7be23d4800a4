//! The `portbot` command line: run the chat, look at tickets, render LOAs.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde_json::json;

use crate::config::Config;
use crate::console::{self, Mode};
use crate::loa;
use crate::notify;
use crate::prompts::Prompts;
use crate::service::{Customer, Service};
use crate::store::{Ticket, TicketFilter, TicketStatus};

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
    },
    /// Look at port tickets.
    Tickets {
        #[command(subcommand)]
        command: TicketsCommand,
    },
    /// Letter of Authorization tools.
    Loa {
        #[command(subcommand)]
        command: LoaCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Deliver notification emails, remind quiet customers and close abandoned conversations,
    /// until Ctrl-C.
    Worker {
        /// One pass, then exit.
        #[arg(long)]
        once: bool,
    },
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
    },
    /// Show one ticket (never its PIN or account number).
    Show {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a ticket's latest LOA PDF.
    Loa {
        number: String,
        #[arg(long)]
        out: PathBuf,
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

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match cli.command {
        Command::Chat { user, json } => {
            let service = Service::start(config).await?;
            let id = user
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "local".into());
            let mode = if json {
                Mode::Json
            } else if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
                Mode::Interactive
            } else {
                Mode::Plain
            };
            console::run(&service, &Customer::console(&id), mode).await
        }
        Command::Migrate => {
            Service::start(config).await?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::Loa {
            command:
                LoaCommand::Preview {
                    out,
                    toll_free,
                    numbers,
                },
        } => {
            if numbers == 0 {
                bail!("--numbers must be at least 1");
            }
            let prompts = Prompts::load(config.prompts_dir.as_deref())?;
            let pdf = loa::preview_pdf(toll_free, numbers, &config.provider, &prompts.loa)?;
            std::fs::write(&out, &pdf).with_context(|| format!("writing {}", out.display()))?;
            println!("Wrote {} ({} bytes).", out.display(), pdf.len());
            Ok(())
        }
        Command::Tickets { command } => {
            let service = Service::start(config).await?;
            tickets(&service, command).await
        }
        Command::Worker { once } => {
            let service = Service::start(config).await?;
            notify::worker::run_command(&service, once).await
        }
    }
}

async fn tickets(service: &Service, command: TicketsCommand) -> anyhow::Result<()> {
    match command {
        TicketsCommand::List { status, json } => {
            let status = match status {
                None => None,
                Some(s) => Some(TicketStatus::parse(&s).with_context(|| {
                    format!("unknown status {s:?}; use one of: draft, submitted, in_review, sent_to_carrier, foc_confirmed, completed, needs_info, cancelled")
                })?),
            };
            let tickets = service
                .store
                .list_tickets(&TicketFilter {
                    status,
                    ..TicketFilter::default()
                })
                .await?;
            if json {
                let list: Vec<_> = tickets.iter().map(ticket_json).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if tickets.is_empty() {
                println!("No tickets.");
            } else {
                println!(
                    "{:<10} {:<9} {:<15} {:<12} {:>7}  customer",
                    "number", "kind", "status", "port date", "numbers"
                );
                for t in &tickets {
                    println!(
                        "{:<10} {:<9} {:<15} {:<12} {:>7}  {}",
                        t.number,
                        t.request.kind.as_str(),
                        t.status.as_str(),
                        t.request.requested_port_date.format("%Y-%m-%d"),
                        t.request.numbers.len(),
                        t.request.customer_name
                    );
                }
            }
            Ok(())
        }
        TicketsCommand::Show { number, json } => {
            let ticket = service
                .store
                .ticket(&number)
                .await?
                .with_context(|| format!("no ticket {number}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&ticket_json(&ticket))?);
            } else {
                print!("{}", ticket_text(&ticket));
            }
            Ok(())
        }
        TicketsCommand::Loa { number, out } => {
            let pdf = service
                .ticket_loa(&number)
                .await?
                .with_context(|| format!("no ticket {number}"))?;
            std::fs::write(&out, &pdf).with_context(|| format!("writing {}", out.display()))?;
            println!("Wrote {} ({} bytes).", out.display(), pdf.len());
            Ok(())
        }
        TicketsCommand::Outbox {
            failed,
            json,
            retry,
        } => {
            if let Some(id) = retry {
                if !service.store.retry_outbox(id, service.now()).await? {
                    bail!("no undelivered notification {id}");
                }
                println!("Notification {id} will be sent again at the next worker pass.");
                return Ok(());
            }
            notify::listing::print_outbox(&service.store, failed, json).await?;
            Ok(())
        }
    }
}

/// A ticket for export: every request field, never the PIN or account number.
pub fn ticket_json(t: &Ticket) -> serde_json::Value {
    let r = &t.request;
    json!({
        "number": t.number,
        "kind": r.kind.as_str(),
        "status": t.status.as_str(),
        "numbers": r.numbers.iter().map(|n| n.e164()).collect::<Vec<_>>(),
        "requested_port_date": r.requested_port_date.format("%Y-%m-%d").to_string(),
        "confirmed_foc": t.confirmed_foc.map(|d| d.format("%Y-%m-%d").to_string()),
        "email": r.email.as_str(),
        "customer_type": r.customer_type.as_str(),
        "customer_name": r.customer_name,
        "carrier": r.carrier,
        "number_type": r.number_type.as_str(),
        "service_address": r.service_address,
        "authorized_name": r.authorized_name,
        "authorized_title": r.authorized_title,
        "btn": r.btn.as_ref().map(|n| n.e164()),
        "partial_port": r.partial_port,
        "new_btn": r.new_btn.as_ref().map(|n| n.e164()),
        "has_pin": t.has_pin,
        "has_account_number": t.has_account_number,
        "claimed_by": t.claimed_by,
        "loa_version": t.loa_version,
        "signature": {
            "signer_name": t.signature.signer_name,
            "signer_id": t.signature.signer_id,
            "signed_at": t.signature.signed_at.to_rfc3339(),
            "content_sha256": t.signature.content_sha256,
        },
        "customer": format!("{}:{}", t.customer_platform, t.customer_id),
        "created_at": t.created_at.to_rfc3339(),
        "updated_at": t.updated_at.to_rfc3339(),
    })
}

fn ticket_text(t: &Ticket) -> String {
    let r = &t.request;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut s = String::new();
    s.push_str(&format!(
        "Ticket {} ({}), status {}\n",
        t.number,
        r.kind.as_str(),
        t.status.as_str()
    ));
    s.push_str(&format!("Numbers ({}):\n", r.numbers.len()));
    for n in &r.numbers {
        s.push_str(&format!("  {}\n", n.national()));
    }
    s.push_str(&format!(
        "Carrier: {} ({})\n",
        r.carrier,
        r.number_type.as_str()
    ));
    s.push_str(&format!(
        "Customer: {} ({})\n",
        r.customer_name,
        r.customer_type.as_str()
    ));
    s.push_str(&format!(
        "Service address: {}\n",
        r.service_address.one_line()
    ));
    s.push_str(&format!(
        "Authorized person: {}{}\n",
        r.authorized_name,
        r.authorized_title
            .as_deref()
            .map(|t| format!(", {t}"))
            .unwrap_or_default()
    ));
    if let Some(btn) = &r.btn {
        s.push_str(&format!("BTN: {}\n", btn.national()));
    }
    s.push_str(&format!("Partial port: {}", yes_no(r.partial_port)));
    if let Some(new_btn) = &r.new_btn {
        s.push_str(&format!(" (new BTN {})", new_btn.national()));
    }
    s.push('\n');
    s.push_str(&format!(
        "Requested port date: {}\n",
        r.requested_port_date.format("%Y-%m-%d")
    ));
    if let Some(foc) = t.confirmed_foc {
        s.push_str(&format!("Confirmed FOC: {}\n", foc.format("%Y-%m-%d")));
    }
    s.push_str(&format!("Email: {}\n", r.email.as_str()));
    s.push_str(&format!(
        "PIN on file: {} · Account number on file: {}\n",
        yes_no(t.has_pin),
        yes_no(t.has_account_number)
    ));
    s.push_str(&format!(
        "Signed by {} ({}) at {} · LOA v{} · sha256 {}\n",
        t.signature.signer_name,
        t.signature.signer_id,
        t.signature.signed_at.to_rfc3339(),
        t.loa_version,
        t.signature.content_sha256
    ));
    s
}
