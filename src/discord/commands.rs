//! Slash and context-menu commands. Customers: `/port open`, `/port status`. Commands answer
//! ephemerally, deferring first when they call Discord or the store more than once.

use std::sync::Arc;

use super::agents::{self, ephemeral, open_here, open_thread};
use super::customer::post_replies;
use super::{Bot, Context, Error};
use crate::template::fill;

pub fn all() -> Vec<poise::Command<Arc<Bot>, Error>> {
    vec![port(), agents::ticket(), agents::start_from_message()]
}

/// The single place that decides what a user sees when a command fails: the cause goes to the
/// log, the user gets a plain sentence.
pub async fn on_error(error: poise::FrameworkError<'_, Arc<Bot>, Error>) {
    match error {
        // A refused agent check has told the user already.
        poise::FrameworkError::CommandCheckFailed { error: None, .. } => {}
        poise::FrameworkError::Command { error, ctx, .. }
        | poise::FrameworkError::CommandCheckFailed {
            error: Some(error),
            ctx,
            ..
        } => {
            tracing::error!(error = format!("{error:#}"), command = %ctx.command().name, "command failed");
            let text = ctx.data().words.messages.failed.to_string();
            if let Err(e) = ephemeral(ctx, text).await {
                tracing::warn!(error = %e, "could not tell the user a command failed");
            }
        }
        poise::FrameworkError::EventHandler { error, event, .. } => {
            tracing::error!(
                error = format!("{error:#}"),
                event = event.snake_case_name(),
                "event failed"
            );
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::warn!(error = %e, "error while handling an error");
            }
        }
    }
}

/// Port your phone numbers to us.
#[poise::command(
    slash_command,
    subcommands(
        "open",
        "status",
        "agents::start",
        "agents::pause",
        "agents::resume",
        "agents::draft"
    ),
    subcommand_required
)]
async fn port(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Start or continue your port request in a private thread.
#[poise::command(slash_command)]
async fn open(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let bot = Arc::clone(ctx.data());
    let user = ctx.author().id;
    let words = &bot.words;
    if ctx.guild_id().is_none() {
        // In a DM the conversation runs right here.
        let customer = bot.customer(user, Some(ctx.channel_id().to_string()));
        return open_here(ctx, &customer).await;
    }
    let mut customer = bot.customer(user, None);
    if let Some(thread) = bot
        .service
        .conversation_of(&customer)
        .await?
        .and_then(|c| c.channel_id)
        .and_then(|id| id.parse::<u64>().ok())
    {
        let thread = serenity::all::ChannelId::new(thread);
        // They may have left the thread since; adding a member again changes nothing.
        thread.add_thread_member(ctx, user).await?;
        customer.channel_id = Some(thread.to_string());
        let replies = bot.service.open(&customer).await?;
        post_replies(&bot, ctx.serenity_context(), thread, &customer, &replies).await?;
        let text = fill(
            &words.messages.thread_resumed,
            &[("thread", format!("<#{thread}>"))],
        );
        return ephemeral(ctx, text).await;
    }
    // A thread costs one of the guild's active threads: none for a customer who may not start.
    if let Some(refusal) = bot.service.new_conversation_refusal(&customer).await? {
        return ephemeral(ctx, refusal).await;
    }
    let thread = open_thread(ctx, ctx.author()).await?;
    customer.channel_id = Some(thread.to_string());
    bot.service.move_to_channel(&customer).await?;
    let replies = bot.service.open(&customer).await?;
    post_replies(&bot, ctx.serenity_context(), thread, &customer, &replies).await?;
    let text = fill(
        &words.messages.thread_opened,
        &[("thread", format!("<#{thread}>"))],
    );
    ephemeral(ctx, text).await
}

/// Your port requests and where they stand.
#[poise::command(slash_command)]
async fn status(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let bot = ctx.data();
    let customer = bot.customer(ctx.author().id, None);
    let replies = bot.service.status_replies(&customer).await?;
    let text: Vec<String> = replies.into_iter().map(|r| r.text).collect();
    ephemeral(ctx, text.join("\n")).await
}
