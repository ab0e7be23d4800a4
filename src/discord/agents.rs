//! The agents' commands: `/ticket ...` and `/port start|resume|ticket`, and the message context
//! menu "Start port request". Only members with the agent role may use them ([`agent_check`] on
//! each); everyone else gets a polite refusal. What they read comes from the service's views,
//! worded here. Answers are ephemeral: only the agent sees them (the PIN above all).

use std::sync::Arc;

use chrono::NaiveDate;
use secrecy::ExposeSecret;
use serenity::all::{ChannelId, ChannelType, CreateThread, Message, User};

use super::customer::{agent_name, post_replies};
use super::{Bot, Context, Error};
use crate::porting::RejectionCode;
use crate::service::{AgentAction, Caller, Customer, WorkflowError};
use crate::store::Ticket;
use crate::template::fill;

pub async fn ephemeral(ctx: Context<'_>, text: impl Into<String>) -> Result<(), Error> {
    let text = text.into();
    // Long answers (a transcript) go out in pieces within Discord's limit.
    for piece in super::render::split(&text, super::render::MAX_CONTENT) {
        ctx.send(poise::CreateReply::default().content(piece).ephemeral(true))
            .await?;
    }
    Ok(())
}

/// The check on every agent command: the service's one access check, with the agent role as
/// what vouches for the caller; refuses politely when they lack it.
pub async fn agent_check(ctx: Context<'_>) -> Result<bool, Error> {
    let role = ctx.data().config.agent_role;
    let is_agent = match ctx {
        poise::Context::Application(app) => app
            .interaction
            .member
            .as_ref()
            .is_some_and(|m| m.roles.contains(&role)),
        poise::Context::Prefix(prefix) => prefix
            .msg
            .member
            .as_ref()
            .is_some_and(|m| m.roles.contains(&role)),
    };
    let name = agent_name(ctx.author().id);
    let caller = Caller::Member {
        name: &name,
        agent: is_agent,
    };
    let action = &ctx.command().qualified_name;
    let allowed = ctx
        .data()
        .service
        .authorize_agent(caller, None, action)
        .await;
    Ok(or_told(ctx, allowed).await?.is_some())
}

/// The value, or `None` once the agent is told why not; other failures go to `on_error`.
async fn or_told<T>(
    ctx: Context<'_>,
    result: Result<T, WorkflowError>,
) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(WorkflowError::Service(e)) => Err(e.into()),
        Err(WorkflowError::NotAgent) => {
            ephemeral(ctx, &ctx.data().words.messages.agent_only).await?;
            Ok(None)
        }
        Err(refused) => {
            ephemeral(ctx, refused.to_string()).await?;
            Ok(None)
        }
    }
}

/// What an agent sees after an action, or why it was refused.
async fn outcome(ctx: Context<'_>, result: Result<Ticket, WorkflowError>) -> Result<(), Error> {
    let Some(ticket) = or_told(ctx, result).await? else {
        return Ok(());
    };
    tell_customer(ctx, &ticket).await?;
    let text = fill(
        &ctx.data().words.messages.ticket_changed,
        &[
            ("number", ticket.number.clone()),
            ("status", ticket.status.as_str().replace('_', " ")),
        ],
    );
    ephemeral(ctx, text).await
}

/// What the action changed for the customer, in their open thread now (the notice and the
/// question they are asked, e.g. the field to fix). For a customer with nothing open, the
/// outbox loop posts the notice in their newest thread.
async fn tell_customer(ctx: Context<'_>, ticket: &Ticket) -> Result<(), Error> {
    let bot = Arc::clone(ctx.data());
    if ticket.customer_platform != super::PLATFORM {
        return Ok(());
    }
    let customer = bot.customer(&ticket.customer_id, None);
    let Some(channel) = bot
        .service
        .conversation_of(&customer)
        .await?
        .and_then(|c| c.channel_id)
        .and_then(|id| id.parse::<u64>().ok())
    else {
        return Ok(());
    };
    let replies = bot.service.open(&customer).await?;
    post_replies(
        &bot,
        ctx.serenity_context(),
        ChannelId::new(channel),
        &customer,
        &replies,
    )
    .await
}

fn ticket_line(bot: &Bot, t: &Ticket) -> String {
    let claimed = t
        .claimed_by
        .as_ref()
        .map(|a| fill(&bot.words.messages.ticket_claimed, &[("agent", a.clone())]))
        .unwrap_or_default();
    fill(
        &bot.words.messages.ticket_line,
        &[
            ("number", t.number.clone()),
            ("kind", t.request.kind.as_str().replace('_', "-")),
            ("status", t.status.as_str().replace('_', " ")),
            (
                "date",
                t.request.requested_port_date.format("%Y-%m-%d").to_string(),
            ),
            (
                "numbers",
                t.request
                    .numbers
                    .iter()
                    .map(|n| n.e164().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("customer", t.customer_id.clone()),
            ("claimed", claimed),
        ],
    )
}

/// Port tickets (agents only).
// Hidden from members without Manage Threads (which agents need anyway to see customers' private
// threads); a server admin can give it to the agent role alone under Integrations. The role check
// stays: this only keeps customers from seeing commands they cannot use.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_THREADS",
    check = "agent_check",
    subcommands(
        "list",
        "show",
        "claim",
        "status",
        "reject",
        "note",
        "message",
        "reveal_pin",
        "history",
        "transcript"
    ),
    subcommand_required
)]
pub async fn ticket(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Tickets on one page of `/ticket list`.
const TICKETS_PER_PAGE: u32 = 20;

/// Open tickets, newest first.
#[poise::command(slash_command)]
async fn list(
    ctx: Context<'_>,
    #[description = "Page, from 1"]
    #[min = 1]
    page: Option<u32>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let bot = ctx.data();
    let page = page.unwrap_or(1).max(1);
    let found = bot.service.open_tickets(page, TICKETS_PER_PAGE).await?;
    if found.tickets.is_empty() {
        return ephemeral(ctx, &bot.words.messages.no_tickets).await;
    }
    let mut lines: Vec<String> = found.tickets.iter().map(|t| ticket_line(bot, t)).collect();
    if found.more {
        lines.push(fill(
            &bot.words.messages.more_tickets,
            &[("next", (page + 1).to_string())],
        ));
    }
    ephemeral(ctx, lines.join("\n")).await
}

/// One ticket.
#[poise::command(slash_command)]
async fn show(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let bot = ctx.data();
    match or_told(ctx, bot.service.ticket(&number).await).await? {
        Some(t) => ephemeral(ctx, ticket_line(bot, &t)).await,
        None => Ok(()),
    }
}

/// Claim a ticket: it moves to in review, with you as its agent.
#[poise::command(slash_command)]
async fn claim(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    ctx.defer_ephemeral().await?;
    outcome(
        ctx,
        ctx.data()
            .service
            .act(&number, &me, AgentAction::Claim)
            .await,
    )
    .await
}

#[derive(Debug, poise::ChoiceParameter)]
enum NewStatus {
    #[name = "sent to carrier"]
    SentToCarrier,
    #[name = "FOC confirmed"]
    FocConfirmed,
    #[name = "completed"]
    Completed,
    #[name = "cancelled"]
    Cancelled,
}

/// Move a ticket along: sent to carrier, FOC confirmed, completed or cancelled.
#[poise::command(slash_command)]
async fn status(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
    #[description = "The new status"] status: NewStatus,
    #[description = "FOC date, YYYY-MM-DD"] date: Option<String>,
    #[description = "Why it is cancelled"] reason: Option<String>,
    #[description = "The carrier's own status"] carrier_status: Option<String>,
) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    let words = &ctx.data().words;
    let action = match status {
        NewStatus::SentToCarrier => AgentAction::SendToCarrier { carrier_status },
        NewStatus::FocConfirmed => {
            let Some(date) =
                date.and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
            else {
                return ephemeral(ctx, &words.messages.needs_date).await;
            };
            AgentAction::ConfirmFoc {
                date,
                carrier_status,
            }
        }
        NewStatus::Completed => AgentAction::Complete,
        NewStatus::Cancelled => match reason {
            Some(reason) => AgentAction::Cancel { reason },
            None => return ephemeral(ctx, &words.messages.needs_reason).await,
        },
    };
    ctx.defer_ephemeral().await?;
    outcome(ctx, ctx.data().service.act(&number, &me, action).await).await
}

/// Send a ticket back to the customer to fix, with rejection codes.
#[poise::command(slash_command)]
async fn reject(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
    #[description = "Rejection codes, separated by commas"] codes: String,
    #[description = "A note for the customer"] note: Option<String>,
) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    let mut parsed = Vec::new();
    for code in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match RejectionCode::parse(code) {
            Some(c) => parsed.push(c),
            None => {
                let all: Vec<&str> = RejectionCode::ALL.iter().map(|c| c.as_str()).collect();
                let text = fill(
                    &ctx.data().words.messages.unknown_code,
                    &[("code", code.to_string()), ("codes", all.join(", "))],
                );
                return ephemeral(ctx, text).await;
            }
        }
    }
    ctx.defer_ephemeral().await?;
    let action = AgentAction::Reject {
        codes: parsed,
        note,
    };
    outcome(ctx, ctx.data().service.act(&number, &me, action).await).await
}

/// An internal note on a ticket (never shown to the customer).
#[poise::command(slash_command)]
async fn note(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
    #[description = "The note"] text: String,
) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    ctx.defer_ephemeral().await?;
    outcome(
        ctx,
        ctx.data()
            .service
            .act(&number, &me, AgentAction::Note { text })
            .await,
    )
    .await
}

/// A message to the ticket's customer, in their thread and by email.
#[poise::command(slash_command)]
async fn message(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
    #[description = "The message"] text: String,
) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    ctx.defer_ephemeral().await?;
    let action = AgentAction::Message { text };
    outcome(ctx, ctx.data().service.act(&number, &me, action).await).await
}

/// Show a ticket's PIN to you alone; the reveal is recorded.
#[poise::command(slash_command, rename = "reveal-pin")]
async fn reveal_pin(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    ctx.defer_ephemeral().await?;
    let words = &ctx.data().words;
    let Some(pin) = or_told(ctx, ctx.data().service.reveal_pin(&number, &me).await).await? else {
        return Ok(());
    };
    let text = match pin {
        Some(pin) => fill(
            &words.messages.pin_revealed,
            &[("number", number), ("pin", pin.expose_secret().to_string())],
        ),
        None => fill(&words.messages.no_pin, &[("number", number)]),
    };
    ephemeral(ctx, text).await
}

/// A ticket's audit log.
#[poise::command(slash_command)]
async fn history(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let bot = ctx.data();
    let Some(events) = or_told(ctx, bot.service.ticket_history(&number).await).await? else {
        return Ok(());
    };
    let lines: Vec<String> = events
        .iter()
        .map(|e| {
            fill(
                &bot.words.messages.history_line,
                &[
                    ("at", e.at.format("%Y-%m-%d %H:%M UTC").to_string()),
                    ("actor", e.actor.clone()),
                    ("action", e.action.clone()),
                    (
                        "note",
                        e.note
                            .as_deref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default(),
                    ),
                ],
            )
        })
        .collect();
    ephemeral(ctx, lines.join("\n")).await
}

/// The conversation behind a ticket (secrets are never in it).
#[poise::command(slash_command)]
async fn transcript(
    ctx: Context<'_>,
    #[description = "Ticket number"] number: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let bot = ctx.data();
    let Some(transcript) = or_told(ctx, bot.service.ticket_transcript(&number).await).await? else {
        return Ok(());
    };
    let lines: Vec<String> = transcript
        .iter()
        .map(|l| {
            fill(
                &bot.words.messages.transcript_line,
                &[
                    ("at", l.at.format("%H:%M").to_string()),
                    ("who", l.who.as_str().to_string()),
                    ("text", super::render::inert(&l.text)),
                ],
            )
        })
        .collect();
    ephemeral(ctx, lines.join("\n")).await
}

/// Creates the customer's private thread under the intake channel and adds them to it.
pub async fn open_thread(ctx: Context<'_>, user: &User) -> Result<ChannelId, Error> {
    let bot = ctx.data();
    let name = fill(
        &bot.words.messages.thread_name,
        &[("user", user.name.clone())],
    );
    let thread = bot
        .config
        .intake_channel
        .create_thread(
            ctx,
            CreateThread::new(name.chars().take(100).collect::<String>())
                .kind(ChannelType::PrivateThread)
                .invitable(false),
        )
        .await?;
    if let Err(error) = thread.id.add_thread_member(ctx, user.id).await {
        // A thread the customer is not in is no use to anyone, and counts against the guild's
        // active threads.
        if let Err(e) = thread.id.delete(ctx).await {
            tracing::warn!(error = %e, "could not delete a thread the customer was not added to");
        }
        return Err(error.into());
    }
    Ok(thread.id)
}

/// Starts the guided flow for `user` in a new private thread, numbers pre-filled from `text`.
async fn start_for(ctx: Context<'_>, user: &User, text: Option<&str>) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    ctx.defer_ephemeral().await?;
    let bot: Arc<Bot> = Arc::clone(ctx.data());
    let thread = open_thread(ctx, user).await?;
    let customer = bot.customer(user.id, Some(thread.to_string()));
    if or_told(ctx, bot.service.start_for(&customer, &me, text).await)
        .await?
        .is_none()
    {
        return Ok(());
    }
    bot.service.move_to_channel(&customer).await?;
    let replies = bot.service.open(&customer).await?;
    post_replies(&bot, ctx.serenity_context(), thread, &customer, &replies).await?;
    let text = fill(
        &bot.words.messages.started_for,
        &[
            ("user", user.id.to_string()),
            ("thread", format!("<#{thread}>")),
        ],
    );
    ephemeral(ctx, text).await
}

/// Start a port request for a member (agents only).
#[poise::command(slash_command, guild_only, check = "agent_check")]
pub async fn start(
    ctx: Context<'_>,
    #[description = "The customer"] user: User,
) -> Result<(), Error> {
    start_for(ctx, &user, None).await
}

/// Start a port request for the author, with the numbers in this message.
#[poise::command(
    context_menu_command = "Start port request",
    guild_only,
    default_member_permissions = "MANAGE_THREADS",
    check = "agent_check"
)]
pub async fn start_from_message(ctx: Context<'_>, message: Message) -> Result<(), Error> {
    start_for(ctx, &message.author, Some(&message.content)).await
}

/// The customer of the thread the command runs in.
async fn thread_customer(ctx: Context<'_>) -> Result<Option<Customer>, Error> {
    let bot = ctx.data();
    let found = bot
        .service
        .customer_in_channel(super::PLATFORM, &ctx.channel_id().to_string())
        .await?;
    if found.is_none() {
        ephemeral(ctx, &bot.words.messages.no_customer_here).await?;
    }
    Ok(found)
}

/// Opens the customer's conversation in this channel (its notices and the pending question,
/// posted now) and tells the caller it is done.
pub async fn open_here(ctx: Context<'_>, customer: &Customer) -> Result<(), Error> {
    let bot = Arc::clone(ctx.data());
    let replies = bot.service.open(customer).await?;
    post_replies(
        &bot,
        ctx.serenity_context(),
        ctx.channel_id(),
        customer,
        &replies,
    )
    .await?;
    ephemeral(ctx, &bot.words.messages.done).await
}

/// Hand this thread's conversation back to the bot (agents only).
#[poise::command(slash_command, guild_only, check = "agent_check")]
pub async fn resume(ctx: Context<'_>) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    let Some(customer) = thread_customer(ctx).await? else {
        return Ok(());
    };
    ctx.defer_ephemeral().await?;
    let bot = Arc::clone(ctx.data());
    if or_told(ctx, bot.service.hand_back(&customer, &me).await)
        .await?
        .is_none()
    {
        return Ok(());
    }
    // The hand-back notice and the pending question, in the thread now.
    open_here(ctx, &customer).await
}

/// Take this thread's conversation over: the bot stops asking until `/port resume`.
#[poise::command(slash_command, guild_only, check = "agent_check")]
pub async fn pause(ctx: Context<'_>) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    let Some(customer) = thread_customer(ctx).await? else {
        return Ok(());
    };
    ctx.defer_ephemeral().await?;
    let bot = Arc::clone(ctx.data());
    if !bot.service.pause_for_agent(&customer, &me).await? {
        // The thread's request is finished: nothing to take over.
        return ephemeral(ctx, &bot.words.messages.no_customer_here).await;
    }
    let text = fill(
        &bot.words.messages.paused_by_agent,
        &[("agent", ctx.author().id.to_string())],
    );
    super::customer::say(ctx.serenity_context(), ctx.channel_id(), &text).await?;
    ephemeral(ctx, &bot.words.messages.done).await
}

/// Save what this thread collected as a draft ticket listing what is missing (agents only).
#[poise::command(slash_command, guild_only, rename = "ticket", check = "agent_check")]
pub async fn draft(ctx: Context<'_>) -> Result<(), Error> {
    let me = agent_name(ctx.author().id);
    let Some(customer) = thread_customer(ctx).await? else {
        return Ok(());
    };
    ctx.defer_ephemeral().await?;
    let bot = Arc::clone(ctx.data());
    if or_told(ctx, bot.service.draft_ticket(&customer, &me).await)
        .await?
        .is_none()
    {
        return Ok(());
    }
    open_here(ctx, &customer).await
}
