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
use crate::porting::RejectionCode;
use crate::prompts::Prompts;
use crate::service::AgentAction;
use crate::service::{Customer, Service, write_private};
use crate::store::{Draft, Ticket, TicketFilter, TicketStatus};
use chrono::NaiveDate;
use secrecy::ExposeSecret;

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
    /// Measure turns, raw writes, LOA renders, memory and start-up in one run (BENCHMARKS.md).
    Bench {
        /// An administrative PostgreSQL URL, to measure PostgreSQL too (a scratch database is
        /// created and dropped).
        #[arg(long)]
        postgres: Option<String>,
        #[arg(long, default_value_t = 400)]
        conversations: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Messages a second arriving for the latency figure. The default is 20 times what one
        /// Discord bot may post (50 requests a second, Discord's global limit).
        #[arg(long, default_value_t = 1_000.0)]
        arrival_rate: f64,
        #[arg(long, default_value_t = 10_000)]
        memory_conversations: usize,
        #[arg(long, default_value_t = 2_000)]
        loa_renders: usize,
        /// Skip the comparison with Python's reportlab (installed in a virtual environment).
        #[arg(long)]
        skip_reportlab: bool,
        /// Conversations (and about as many tickets) the growth table's store is grown to, in
        /// steps; 10000,100000,1000000 when not given.
        #[arg(long, value_delimiter = ',')]
        growth_sizes: Option<Vec<usize>>,
        /// Only the growth table.
        #[arg(long, conflicts_with = "skip_growth")]
        growth_only: bool,
        /// Everything but the growth table.
        #[arg(long)]
        skip_growth: bool,
    },
    /// Used by `bench`: opens conversations mid-flow and prints this process's memory.
    #[command(hide = true)]
    BenchMemory {
        #[arg(long)]
        conversations: usize,
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

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match cli.command {
        Command::Chat {
            user,
            json,
            message_ids,
        } => {
            let mut service = Service::start(config).await?;
            service.keep_loa_copies();
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
            console::run(&service, &Customer::console(&id), mode, message_ids).await
        }
        Command::Bench {
            postgres,
            conversations,
            concurrency,
            arrival_rate,
            memory_conversations,
            loa_renders,
            skip_reportlab,
            growth_sizes,
            growth_only,
            skip_growth,
        } => {
            let options = crate::bench::BenchOptions {
                postgres_url: postgres,
                conversations,
                concurrency: concurrency.max(1),
                arrival_rate: arrival_rate.max(1.0),
                memory_conversations,
                loa_renders: loa_renders.max(1),
                skip_reportlab,
                growth_sizes: match (skip_growth, growth_sizes) {
                    (true, _) => Vec::new(),
                    (false, Some(sizes)) => sizes,
                    (false, None) => crate::bench::DEFAULT_GROWTH_SIZES.to_vec(),
                },
                growth_only,
            };
            print!("{}", crate::bench::run(&options).await?);
            Ok(())
        }
        Command::BenchMemory { conversations } => crate::bench::memory_child(conversations).await,
        Command::Retention => {
            let service = Service::start(config).await?;
            let purged = service.apply_retention().await?;
            if purged.is_empty() {
                println!("Nothing to delete.");
            }
            for (number, files) in purged {
                println!("{number}: {files} upload(s) deleted");
            }
            Ok(())
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
            let (agent, number, action) = command.access();
            service.authorize_agent(agent, number, action).await?;
            tickets(&service, command).await
        }
        Command::Conversations { command } => {
            let service = Service::start(config).await?;
            let (agent, action) = command.access();
            service.authorize_agent(agent, None, action).await?;
            conversations(&service, command).await
        }
        Command::Worker { once } => {
            let service = Service::start(config).await?;
            notify::worker::run_command(&service, once).await
        }
        Command::Rekey => rekey(config).await,
        Command::Discord => {
            // Checked before the database is touched, so a bad setting fails fast.
            let discord = crate::discord::DiscordConfig::from_env()?;
            let service = Service::start(config).await?;
            crate::discord::run(service, discord, notify::worker::shutdown_signal()).await
        }
    }
}

impl TicketsCommand {
    /// Who acts, on which ticket, and the action's name for the audit log.
    fn access(&self) -> (Option<&str>, Option<&str>, &'static str) {
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
    fn access(&self) -> (Option<&str>, &'static str) {
        use ConversationsCommand as C;
        match self {
            C::Waiting { agent } => (agent.as_deref(), "waiting"),
            C::Resume { agent, .. } => (Some(agent), "resume"),
            C::Draft { agent, .. } => (Some(agent), "draft"),
            C::Start { agent, .. } => (Some(agent), "start"),
        }
    }
}

/// `portbot rekey`: see the README, "The secret key".
async fn rekey(config: Config) -> anyhow::Result<()> {
    use crate::secrets::{Cipher, KEY_FILE};
    let key_file = config.data_dir.join(KEY_FILE);
    let from_file = config.secret_key.is_none();
    if from_file && !key_file.exists() {
        bail!(
            "there is no key to rotate: PORTBOT_SECRET_KEY is not set and {} does not exist",
            key_file.display()
        );
    }
    let new_file = config.data_dir.join(format!("{KEY_FILE}.new"));
    let given = std::env::var("PORTBOT_NEW_SECRET_KEY")
        .ok()
        .filter(|v| !v.trim().is_empty());
    // The new key is checked before the database is touched.
    let new = match &given {
        Some(text) => Cipher::from_base64(text).context("PORTBOT_NEW_SECRET_KEY")?,
        None => Cipher::load_or_create_file(&new_file)?.0,
    };
    // Opening the service proves the current key against the database (a wrong one stops here,
    // before anything changes).
    let service = Service::start(config).await?;
    let (current, _) =
        Cipher::load_or_create(service.config.secret_key.as_ref(), &service.config.data_dir)?;
    if current.same_key(&new) {
        bail!("the new key is the key in use now; give a different PORTBOT_NEW_SECRET_KEY");
    }
    let moved = service.store.rekey(&new).await?;
    println!(
        "Re-encrypted {} secret(s) and {} document(s) with the new key, and checked each.",
        moved.secrets, moved.documents
    );
    match (from_file, given.is_some()) {
        (true, false) => {
            std::fs::rename(&new_file, &key_file).with_context(|| {
                format!(
                    "the database now uses the key in {}: move it to {} by hand",
                    new_file.display(),
                    key_file.display()
                )
            })?;
            println!("{} now holds the new key.", key_file.display());
        }
        (true, true) => println!(
            "Start every process with PORTBOT_SECRET_KEY set to the new key (the value of \
             PORTBOT_NEW_SECRET_KEY), or put it in {}.",
            key_file.display()
        ),
        (false, false) => println!(
            "The new key is in {}: set PORTBOT_SECRET_KEY to its contents for every process, \
             then delete the file.",
            new_file.display()
        ),
        (false, true) => println!(
            "Set PORTBOT_SECRET_KEY to the new key (the value of PORTBOT_NEW_SECRET_KEY) for \
             every process."
        ),
    }
    Ok(())
}

async fn tickets(service: &Service, command: TicketsCommand) -> anyhow::Result<()> {
    match command {
        TicketsCommand::List { status, json, .. } => {
            let status = parse_status(status)?;
            let tickets = service
                .store
                .list_tickets(&TicketFilter {
                    status,
                    ..TicketFilter::default()
                })
                .await?;
            let drafts = match status {
                None | Some(TicketStatus::Draft) => service.store.open_drafts().await?,
                Some(_) => Vec::new(),
            };
            if json {
                let mut list: Vec<_> = drafts.iter().map(draft_json).collect();
                list.extend(tickets.iter().map(ticket_json));
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if tickets.is_empty() && drafts.is_empty() {
                println!("No tickets.");
            } else {
                for d in &drafts {
                    println!(
                        "{:<10} draft: {}:{} is missing {}",
                        d.number,
                        d.customer_platform,
                        d.customer_id,
                        d.missing.join(", ")
                    );
                }
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
        TicketsCommand::Show { number, json, .. } => {
            let Some(ticket) = service.store.ticket(&number).await? else {
                let draft = service
                    .store
                    .draft(&number)
                    .await?
                    .with_context(|| format!("no ticket {number}"))?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&draft_json(&draft))?);
                } else {
                    println!(
                        "Draft {} ({}) for {}:{}, saved by {}\nMissing: {}\n{}",
                        draft.number,
                        draft.status,
                        draft.customer_platform,
                        draft.customer_id,
                        draft.created_by,
                        draft.missing.join(", "),
                        printable(&draft.summary)
                    );
                }
                return Ok(());
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&ticket_json(&ticket))?);
            } else {
                print!("{}", ticket_text(&ticket));
            }
            Ok(())
        }
        TicketsCommand::Loa {
            number,
            out,
            version,
            ..
        } => {
            let pdf =
                service
                    .ticket_loa(&number, version)
                    .await?
                    .with_context(|| match version {
                        Some(v) => format!("no LOA version {v} for ticket {number}"),
                        None => format!("no ticket {number}"),
                    })?;
            write_private(&out, &pdf).with_context(|| format!("writing {}", out.display()))?;
            println!("Wrote {} ({} bytes).", out.display(), pdf.len());
            Ok(())
        }
        TicketsCommand::Claim { number, agent } => {
            report(service.act(&number, &agent, AgentAction::Claim).await?)
        }
        TicketsCommand::Unclaim { number, agent } => {
            report(service.act(&number, &agent, AgentAction::Unclaim).await?)
        }
        TicketsCommand::Status {
            number,
            status,
            agent,
            date,
            reason,
            carrier_status,
        } => {
            let action = match TicketStatus::parse(&status) {
                Some(TicketStatus::InReview) => AgentAction::Claim,
                Some(TicketStatus::SentToCarrier) => AgentAction::SendToCarrier { carrier_status },
                Some(TicketStatus::FocConfirmed) => {
                    let date = date.context("foc_confirmed needs --date YYYY-MM-DD")?;
                    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                        .with_context(|| format!("--date {date:?} is not YYYY-MM-DD"))?;
                    AgentAction::ConfirmFoc {
                        date,
                        carrier_status,
                    }
                }
                Some(TicketStatus::Completed) => AgentAction::Complete,
                Some(TicketStatus::Cancelled) => AgentAction::Cancel {
                    reason: reason.context("cancelled needs --reason")?,
                },
                Some(TicketStatus::NeedsInfo) => {
                    bail!(
                        "use `portbot tickets reject NUMBER --code CODE` to ask the customer for a fix"
                    )
                }
                Some(other) => {
                    bail!("an agent cannot set {other}; tickets get there by themselves")
                }
                None => bail!(
                    "unknown status {status:?}; use sent_to_carrier, foc_confirmed, completed or cancelled"
                ),
            };
            report(service.act(&number, &agent, action).await?)
        }
        TicketsCommand::Reject {
            number,
            agent,
            codes,
            note,
        } => {
            let mut parsed = Vec::new();
            for code in &codes {
                parsed.push(RejectionCode::parse(code).with_context(|| {
                    let all: Vec<&str> = RejectionCode::ALL.iter().map(|c| c.as_str()).collect();
                    format!(
                        "unknown rejection code {code:?}; use one of: {}",
                        all.join(", ")
                    )
                })?);
            }
            report(
                service
                    .act(
                        &number,
                        &agent,
                        AgentAction::Reject {
                            codes: parsed,
                            note,
                        },
                    )
                    .await?,
            )
        }
        TicketsCommand::Note {
            number,
            agent,
            text,
        } => report(
            service
                .act(&number, &agent, AgentAction::Note { text })
                .await?,
        ),
        TicketsCommand::Message {
            number,
            agent,
            text,
        } => report(
            service
                .act(&number, &agent, AgentAction::Message { text })
                .await?,
        ),
        TicketsCommand::RevealPin { number, agent } => {
            match service.reveal_pin(&number, &agent).await? {
                Some(pin) => println!("{}", pin.expose_secret()),
                None => println!("No PIN on file for {number}."),
            }
            Ok(())
        }
        TicketsCommand::History { number, json, .. } => {
            let events = service.store.ticket_events(&number).await?;
            if events.is_empty() && service.store.ticket(&number).await?.is_none() {
                bail!("no ticket {number}");
            }
            if json {
                let list: Vec<_> = events
                    .iter()
                    .map(|e| {
                        json!({
                            "at": e.at.to_rfc3339(),
                            "actor": e.actor,
                            "action": e.action,
                            "from": e.from_status.map(|s| s.as_str()),
                            "to": e.to_status.map(|s| s.as_str()),
                            "note": e.note,
                            "visibility": e.visibility,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for e in &events {
                    let moved = match (e.from_status, e.to_status) {
                        (Some(a), Some(b)) if a != b => format!(" [{a} -> {b}]"),
                        (None, Some(b)) => format!(" [-> {b}]"),
                        _ => String::new(),
                    };
                    let note = e
                        .note
                        .as_deref()
                        .map(|n| format!(" ({}: {n})", e.visibility.as_deref().unwrap_or("note")))
                        .unwrap_or_default();
                    println!(
                        "{}  {:<22} {}{}{}",
                        e.at.format("%Y-%m-%d %H:%M:%S UTC"),
                        e.actor,
                        e.action,
                        moved,
                        note
                    );
                }
            }
            Ok(())
        }
        TicketsCommand::Transcript { number, .. } => {
            let ticket = service
                .store
                .ticket(&number)
                .await?
                .with_context(|| format!("no ticket {number}"))?;
            for line in service.store.transcript(ticket.conversation_id).await? {
                println!(
                    "{} {:<8} {}",
                    line.at.format("%Y-%m-%d %H:%M:%S"),
                    line.who.as_str(),
                    printable(&line.text).replace('\n', "\n                             ")
                );
            }
            Ok(())
        }
        TicketsCommand::Export {
            number,
            status,
            out,
            ..
        } => {
            let text = match number {
                Some(number) => {
                    let ticket = service
                        .store
                        .ticket(&number)
                        .await?
                        .with_context(|| format!("no ticket {number}"))?;
                    serde_json::to_string_pretty(&ticket_json(&ticket))? + "\n"
                }
                None => {
                    let status = parse_status(status)?;
                    let tickets = service
                        .store
                        .list_tickets(&TicketFilter {
                            status,
                            ..TicketFilter::default()
                        })
                        .await?;
                    tickets_csv(&tickets)
                }
            };
            match out {
                Some(path) => {
                    write_private(&path, text.as_bytes())
                        .with_context(|| format!("writing {}", path.display()))?;
                    println!("Wrote {}.", path.display());
                }
                None => print!("{text}"),
            }
            Ok(())
        }
        TicketsCommand::Outbox {
            failed,
            json,
            retry,
            ..
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

async fn conversations(service: &Service, command: ConversationsCommand) -> anyhow::Result<()> {
    let customer = |platform: String, user: String| Customer {
        platform,
        id: user,
        channel_id: None,
    };
    match command {
        ConversationsCommand::Waiting { .. } => {
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
        ConversationsCommand::Resume {
            user,
            platform,
            agent,
        } => {
            let replies = service.hand_back(&customer(platform, user), &agent).await?;
            println!("Handed back. The customer will see:");
            for r in replies {
                println!("  {}", r.text.replace('\n', "\n  "));
            }
            Ok(())
        }
        ConversationsCommand::Draft {
            user,
            platform,
            agent,
        } => {
            let draft = service
                .draft_ticket(&customer(platform, user), &agent)
                .await?;
            println!(
                "Saved as draft {}. Missing: {}",
                draft.number,
                draft.missing.join(", ")
            );
            Ok(())
        }
        ConversationsCommand::Start {
            user,
            platform,
            agent,
            text,
        } => {
            let started = service
                .start_for(&customer(platform, user), &agent, text.as_deref())
                .await?;
            if !started.prefilled.is_empty() {
                let numbers: Vec<String> = started.prefilled.iter().map(|n| n.national()).collect();
                println!("Pre-filled numbers: {}", numbers.join(", "));
            }
            println!("The customer will be asked: {}", started.question);
            Ok(())
        }
    }
}

fn parse_status(status: Option<String>) -> anyhow::Result<Option<TicketStatus>> {
    status
        .map(|s| {
            TicketStatus::parse(&s).with_context(|| {
                format!("unknown status {s:?}; use one of: draft, submitted, in_review, sent_to_carrier, foc_confirmed, completed, needs_info, cancelled")
            })
        })
        .transpose()
}

/// Prints a ticket after an agent's action.
fn report(ticket: Ticket) -> anyhow::Result<()> {
    println!(
        "{}: {}{}",
        ticket.number,
        ticket.status.as_str(),
        ticket
            .claimed_by
            .as_deref()
            .map(|a| format!(", claimed by {a}"))
            .unwrap_or_default()
    );
    Ok(())
}

/// Customer text as the terminal should show it: control characters (escape sequences that set
/// the title, clear the screen or fake coloured lines) and the bidirectional overrides that
/// reorder what is shown are written as visible escapes (`\u{1b}`); line breaks and tabs stay.
fn printable(text: &str) -> String {
    let hidden = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    text.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The ticket list as CSV: one row per ticket, numbers joined with spaces, never secrets.
fn tickets_csv(tickets: &[Ticket]) -> String {
    fn field(value: &str) -> String {
        // A spreadsheet runs a cell that starts like a formula: `=HYPERLINK(..)` typed as a
        // business name, and even the numbers (`+13124482915 +13124482916` would be summed).
        // A leading apostrophe is how spreadsheets mark a cell as text.
        let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_string()
        };
        if value.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value
        }
    }
    let mut out = String::from(
        "number,kind,status,numbers,requested_port_date,confirmed_foc,carrier,customer_type,customer_name,service_address,authorized_name,email,claimed_by,loa_version,created_at\n",
    );
    for t in tickets {
        let r = &t.request;
        let numbers: Vec<&str> = r.numbers.iter().map(|n| n.e164()).collect();
        let row = [
            t.number.clone(),
            r.kind.as_str().to_string(),
            t.status.as_str().to_string(),
            numbers.join(" "),
            r.requested_port_date.format("%Y-%m-%d").to_string(),
            t.confirmed_foc
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            r.carrier.clone(),
            r.customer_type.as_str().to_string(),
            r.customer_name.clone(),
            r.service_address.one_line(),
            r.authorized_name.clone(),
            r.email.as_str().to_string(),
            t.claimed_by.clone().unwrap_or_default(),
            t.loa_version.to_string(),
            t.created_at.to_rfc3339(),
        ];
        let cells: Vec<String> = row.iter().map(|c| field(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

fn draft_json(d: &Draft) -> serde_json::Value {
    json!({
        "number": d.number,
        "status": "draft",
        "draft_status": d.status,
        "missing": d.missing,
        "summary": d.summary,
        "customer": format!("{}:{}", d.customer_platform, d.customer_id),
        "created_by": d.created_by,
        "created_at": d.created_at.to_rfc3339(),
    })
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
        "rejection_codes": t.rejection_code.as_deref().map(|c| c.split(',').collect::<Vec<_>>()),
        "carrier_status": t.carrier_status,
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
    if let Some(agent) = &t.claimed_by {
        s.push_str(&format!("Claimed by: {agent}\n"));
    }
    if let Some(codes) = &t.rejection_code {
        s.push_str(&format!("Rejected: {codes}\n"));
    }
    if let Some(status) = &t.carrier_status {
        s.push_str(&format!("Carrier status: {status}\n"));
    }
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
