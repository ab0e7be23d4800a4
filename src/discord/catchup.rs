//! Catch-up: the gateway does not replay what was written while no process was connected (a
//! deploy, a crash, a reconnect that could not resume), so on every new gateway session the bot
//! reads each open conversation's channel from the last message it took in and handles what
//! came after, in order, as if it had just arrived. A message handled twice is answered once:
//! its id is the turn's key.
//!
//! The work is capped: the [`MAX_CHANNELS`] most recently active conversations, at most
//! [`MAX_PAGES`] pages of 100 messages each, [`AT_ONCE`] channels at a time (serenity waits
//! out Discord's rate limits). What was caught up is logged.

use std::sync::Arc;

use futures_util::{FutureExt, StreamExt};
use serenity::all::{
    Channel, ChannelId, Context as SerenityContext, GetMessages, MessageId, UserId,
};

use super::customer::{Sent, handle_message};
use super::{Bot, PLATFORM};
use crate::store::OpenChannel;

/// The most open conversations read on one new session, the most recently active first.
pub const MAX_CHANNELS: u32 = 1000;
/// The most pages of messages read from one channel.
pub const MAX_PAGES: usize = 5;
/// Messages in a page (Discord's largest).
const PAGE: u8 = 100;
/// Channels read at once.
const AT_ONCE: usize = 4;
/// Discord's epoch, 2015-01-01, in unix milliseconds: a snowflake's time counts from it.
const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;
/// How long before a conversation started its channel is read when nothing was taken in from
/// it yet: our clock and Discord's may differ.
const CLOCK_MARGIN_MS: i64 = 60_000;

/// What one channel's catch-up did.
#[derive(Debug, Default)]
struct Caught {
    messages: usize,
    /// More messages were left than the pages allowed.
    truncated: bool,
    /// The channel could not be read (deleted, no access, Discord refused).
    failed: bool,
}

/// Handles every message written in open conversations' channels since the last one taken in.
/// Live events wait until the catch-up has taken its places in the customers' lanes, and then
/// come after the messages it catches up.
pub async fn run(bot: &Arc<Bot>, ctx: &SerenityContext) {
    let hold = bot.lanes.hold();
    let open = match bot.service.open_channels(PLATFORM, MAX_CHANNELS).await {
        Ok(open) => open,
        Err(error) => {
            tracing::error!(%error, "catch-up skipped: the open conversations could not be read");
            return;
        }
    };
    let listed = open.len();
    let places: Vec<_> = open
        .into_iter()
        .filter_map(|channel| {
            let customer = UserId::new(channel.customer_id.parse().ok().filter(|&id| id != 0)?);
            let after = after_id(&channel)?;
            // Older than any live message, so the customer's live events wait for it.
            let place = bot.lanes.join(customer, after.saturating_add(1));
            Some((channel, MessageId::new(after.max(1)), place))
        })
        .collect();
    drop(hold);
    // Boxed one by one: a stream's closure over the places' lifetime is not provably `Send`.
    let jobs: Vec<_> = places
        .into_iter()
        .map(|(channel, after, place)| {
            async move {
                place.turn().await;
                catch_up_channel(bot, ctx, &channel, after).await
            }
            .boxed()
        })
        .collect();
    let results: Vec<Caught> = futures_util::stream::iter(jobs)
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let messages: usize = results.iter().map(|c| c.messages).sum();
    let truncated = results.iter().filter(|c| c.truncated).count();
    let failed = results.iter().filter(|c| c.failed).count();
    tracing::info!(
        channels = listed,
        messages,
        truncated,
        failed,
        capped = listed == MAX_CHANNELS as usize,
        "caught up on messages sent while the bot was not connected"
    );
}

/// The id after which `channel` holds messages not taken in yet: the last one taken in, else
/// (from a snowflake's time) a little before the conversation started.
fn after_id(channel: &OpenChannel) -> Option<u64> {
    let last = channel
        .last_message_id
        .as_deref()
        .and_then(|id| id.split(':').next())
        .and_then(|id| id.parse::<u64>().ok());
    if last.is_some() {
        return last;
    }
    let since = channel.created_at.timestamp_millis() - CLOCK_MARGIN_MS - DISCORD_EPOCH_MS;
    Some(u64::try_from(since.max(0)).ok()? << 22)
}

/// Reads `channel`'s messages after `after`, oldest first, and handles each.
async fn catch_up_channel(
    bot: &Arc<Bot>,
    ctx: &SerenityContext,
    channel: &OpenChannel,
    mut after: MessageId,
) -> Caught {
    let mut caught = Caught::default();
    let read = async {
        let id = ChannelId::new(channel.channel_id.parse()?);
        let dm = matches!(id.to_channel(ctx).await?, Channel::Private(_));
        // Who holds the agent role, asked once per person in this channel.
        let mut agents = std::collections::HashMap::new();
        for _ in 0..MAX_PAGES {
            let mut page = id
                .messages(ctx, GetMessages::new().after(after).limit(PAGE))
                .await?;
            page.sort_by_key(|m| m.id);
            let full = page.len() == usize::from(PAGE);
            for msg in &page {
                after = msg.id;
                if msg.author.bot {
                    continue;
                }
                let agent = !dm
                    && msg.author.id.to_string() != channel.customer_id
                    && match agents.get(&msg.author.id) {
                        Some(&agent) => agent,
                        None => {
                            let agent = is_agent(bot, ctx, msg.author.id).await;
                            agents.insert(msg.author.id, agent);
                            agent
                        }
                    };
                handle_message(bot, ctx, msg, Sent { dm, agent }).await?;
                caught.messages += 1;
            }
            if !full {
                return Ok(());
            }
        }
        caught.truncated = true;
        Ok::<(), anyhow::Error>(())
    };
    if let Err(error) = read.await {
        tracing::warn!(
            error = format!("{error:#}"),
            conversation = channel.conversation_id,
            "catch-up of a channel stopped"
        );
        caught.failed = true;
    }
    caught
}

/// Whether `user` holds the agent role (a message read from history does not say).
async fn is_agent(bot: &Bot, ctx: &SerenityContext, user: UserId) -> bool {
    match ctx.http.get_member(bot.config.guild, user).await {
        Ok(member) => member.roles.contains(&bot.config.agent_role),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn open(last: Option<&str>) -> OpenChannel {
        OpenChannel {
            conversation_id: 1,
            customer_id: "7".into(),
            channel_id: "9".into(),
            created_at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 15, 0, 0)
                .unwrap(),
            last_message_id: last.map(str::to_string),
        }
    }

    #[test]
    fn reading_starts_after_the_last_message_taken_in_or_a_minute_before_the_start() {
        assert_eq!(after_id(&open(Some("1234567890:1"))), Some(1_234_567_890));
        assert_eq!(after_id(&open(Some("1234567890"))), Some(1_234_567_890));
        let start = after_id(&open(None)).unwrap();
        // 2026-11-23T14:59:00Z as a snowflake.
        assert_eq!(start >> 22, 1_795_445_940_000 - 1_420_070_400_000);
    }
}
