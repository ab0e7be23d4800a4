//! Notifications from the outbox that the bot posts: agent notices (hand-offs, failed
//! deliveries) in the agent channel. Claimed through [`Worker::deliver`], so several bot
//! processes never post one twice.

use std::sync::Arc;

use serenity::all::{CreateMessage, Http};

use super::Bot;
use super::render::{MAX_CONTENT, split};
use crate::notify::worker::Worker;
use crate::store::{OutboxChannel, OutboxEntry};

/// Delivers due agent notices every worker interval, for as long as the bot runs.
pub async fn run(bot: Arc<Bot>, http: Arc<Http>) {
    let service = &bot.service;
    let worker = match Worker::new(
        &service.store,
        &service.prompts.notifications,
        &service.config,
    ) {
        Ok(worker) => worker,
        Err(error) => {
            tracing::error!(%error, "outbox delivery is off");
            return std::future::pending().await;
        }
    };
    loop {
        let send = async |entry: &OutboxEntry| -> Result<(), String> {
            for piece in split(&entry.item.body, MAX_CONTENT) {
                bot.config
                    .agent_channel
                    .send_message(&http, CreateMessage::new().content(piece))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        };
        if let Err(error) = worker.deliver(OutboxChannel::Agents, send).await {
            tracing::warn!(%error, "agent notices not delivered; trying again later");
        }
        tokio::time::sleep(service.config.worker_interval).await;
    }
}
