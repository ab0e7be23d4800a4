//! Notifications from the outbox that the bot posts: agent notices (hand-offs, failed
//! deliveries) in the agent channel, and Discord customers' chat notices (status changes made
//! elsewhere, reminders, expiry) in their thread or DM, without waiting for them to write.
//! Claimed through [`Worker::deliver`], so several bot processes never post one twice, and a
//! notice the customer was already shown in a turn is not posted again.

use std::sync::Arc;

use serenity::all::{ChannelId, CreateAllowedMentions, CreateMessage, Http};

use super::render::{self, MAX_CONTENT, split};
use super::{Bot, PLATFORM};
use crate::service::ServiceError;
use crate::store::{OutboxChannel, OutboxEntry};

/// Delivers due notices every worker interval, for as long as the bot runs.
pub async fn run(bot: Arc<Bot>, http: Arc<Http>) {
    let service = &bot.service;
    let worker = match service.worker() {
        Ok(worker) => worker,
        Err(error) => {
            tracing::error!(%error, "outbox delivery is off");
            return std::future::pending().await;
        }
    };
    loop {
        let to_agents = async |entry: &OutboxEntry| {
            let pings = render::agent_pings(bot.config.agent_role);
            post(&http, bot.config.agent_channel, &entry.item.body, pings).await
        };
        if let Err(error) = worker.deliver(OutboxChannel::Agents, None, to_agents).await {
            tracing::warn!(%error, "agent notices not delivered; trying again later");
        }
        let to_customer = async |entry: &OutboxEntry| {
            let channel = customer_channel(&bot, &entry.item.customer_id).await?;
            let pings = render::customer_pings(&entry.item.customer_id);
            post(&http, channel, &entry.item.body, pings).await
        };
        if let Err(error) = worker
            .deliver(OutboxChannel::Chat, Some(PLATFORM), to_customer)
            .await
        {
            tracing::warn!(%error, "chat notices not delivered; trying again later");
        }
        tokio::time::sleep(service.config().worker_interval).await;
    }
}

/// Why a notice was not posted. Its text is kept on the outbox row as the last error, which the
/// agents' outbox list shows.
#[derive(Debug, thiserror::Error)]
enum PostError {
    #[error("no Discord channel is known for this customer")]
    NoChannel,
    #[error("looking up the customer's channel: {0}")]
    Lookup(#[from] ServiceError),
    #[error("{0}")]
    Discord(#[from] serenity::Error),
}

/// The thread or DM where the customer talks to the bot now.
async fn customer_channel(bot: &Bot, customer_id: &str) -> Result<ChannelId, PostError> {
    let channel = bot.service.customer_channel(PLATFORM, customer_id).await?;
    channel
        .and_then(|id| id.parse::<u64>().ok())
        .filter(|&id| id != 0)
        .map(ChannelId::new)
        .ok_or(PostError::NoChannel)
}

/// Posts a notice. Its words hold no Discord syntax, so any there came from a customer's answers
/// (a business name in a hand-off summary) and is made inert.
async fn post(
    http: &Http,
    channel: ChannelId,
    text: &str,
    pings: CreateAllowedMentions,
) -> Result<(), PostError> {
    for piece in split(&render::inert(text), MAX_CONTENT) {
        let message = CreateMessage::new()
            .content(piece)
            .allowed_mentions(pings.clone());
        channel.send_message(http, message).await?;
    }
    Ok(())
}
