//! The delivery and reminder loops, run by `portbot worker` (and by the Discord bot, for the
//! notices it posts).
//!
//! Each pass: close abandoned conversations, remind quiet ones, then send the due emails. Every
//! step is safe to run in several processes at once: emails are claimed before they are sent,
//! reminders and expiry are guarded writes. A failed email is tried again with exponential
//! backoff; after [`MAX_ATTEMPTS`] failures it is given up, kept, and the agents are told.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::stream::{self, StreamExt};
use secrecy::ExposeSecret;

use super::mail::{MailSetupError, Mailer};
use super::{Notice, NoticeKind, NotificationWording, compose, delivery_failed};
use crate::store::{
    IdleConversation, Leftovers, MAX_ATTEMPTS, NewOutboxItem, OutboxChannel, OutboxEntry, Store,
    StoreError,
};

/// Items taken per claim: one claim (and one write marking them delivered) serves a whole
/// backlog after a restart, and a batch sent [`IN_FLIGHT`] at a time still finishes well inside
/// [`CLAIM_FOR`] against a slow server.
const BATCH: i64 = 50;
/// Sends under way at once (different customers'); also the most a crash can send twice.
const IN_FLIGHT: usize = 8;
/// How long claimed items are kept from other processes; after that, an item whose sender died
/// is due again.
const CLAIM_FOR: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// Idle conversations handled per pass; the rest wait for the next pass.
const IDLE_BATCH: i64 = 200;

/// The wait before the next attempt after `failures` failed attempts: 1 minute, doubling, at most
/// an hour (1, 2, 4, 8, 16, 32, 60 minutes: about two hours in all before giving up).
pub fn backoff(failures: i64) -> chrono::TimeDelta {
    let exponent = u32::try_from(failures.clamp(1, 7) - 1).unwrap_or(0);
    chrono::TimeDelta::minutes(2_i64.pow(exponent)).min(chrono::TimeDelta::hours(1))
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    pub failed: usize,
    /// Of `failed`, those that reached [`MAX_ATTEMPTS`] and are no longer tried.
    pub given_up: usize,
    pub reminded: usize,
    pub expired: usize,
    /// Tickets whose bill and CSR uploads were deleted after the retention period.
    pub purged: usize,
}

impl PassReport {
    fn is_empty(&self) -> bool {
        *self == PassReport::default()
    }
}

/// What the loops take from the configuration (the service builds it with
/// `Config::worker_settings`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where emails go; without it they stay queued.
    pub smtp_url: Option<secrecy::SecretString>,
    pub email_from: String,
    /// `email_from` is the built-in placeholder.
    pub email_from_is_placeholder: bool,
    pub reminder_after: Option<chrono::TimeDelta>,
    pub expire_after: chrono::TimeDelta,
    pub retention: chrono::TimeDelta,
    pub interval: Duration,
    /// `PORTBOT_NOW`, for demos and tests.
    pub now: Option<DateTime<Utc>>,
}

/// The loops, with what they need.
pub struct Worker<'a> {
    store: &'a Store,
    wording: &'a NotificationWording,
    mailer: Option<Mailer>,
    reminder_after: Option<chrono::TimeDelta>,
    expire_after: chrono::TimeDelta,
    retention: chrono::TimeDelta,
    interval: Duration,
    /// `PORTBOT_NOW`, for demos and tests.
    fixed_now: Option<DateTime<Utc>>,
}

impl<'a> Worker<'a> {
    /// Without `PORTBOT_SMTP_URL`, emails stay queued (warned about once, here).
    pub fn new(
        store: &'a Store,
        wording: &'a NotificationWording,
        config: &Settings,
    ) -> Result<Worker<'a>, MailSetupError> {
        let mailer = match &config.smtp_url {
            Some(url) => Some(Mailer::new(url.expose_secret(), &config.email_from)?),
            None => {
                tracing::warn!(
                    "PORTBOT_SMTP_URL is not set: notification emails stay queued until it is"
                );
                None
            }
        };
        if mailer.is_some() && config.email_from_is_placeholder {
            tracing::warn!(
                "PORTBOT_EMAIL_FROM is not set: emails are sent from {}",
                config.email_from
            );
        }
        Ok(Worker {
            store,
            wording,
            mailer,
            reminder_after: config.reminder_after,
            expire_after: config.expire_after,
            retention: config.retention,
            interval: config.interval,
            fixed_now: config.now,
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    /// Runs a pass every interval until `shutdown` completes. A pass that fails (the database is
    /// away) is logged and tried again at the next interval.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                pass = self.run_once() => match pass {
                    Ok(report) if !report.is_empty() => {
                        tracing::info!(?report, "notification pass");
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "notification pass failed; trying again later");
                    }
                },
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// One pass: expiry, reminders, then email.
    pub async fn run_once(&self) -> Result<PassReport, StoreError> {
        let now = self.now();
        let mut report = PassReport {
            expired: self.expire_idle().await?,
            reminded: self.remind_idle().await?,
            purged: self
                .store
                .purge_uploads(now - self.retention, now, Leftovers::PastRetention)
                .await?
                .len(),
            ..PassReport::default()
        };
        if let Some(mailer) = &self.mailer {
            let emails = self
                .deliver(OutboxChannel::Email, None, async |entry| {
                    mailer.send(entry).await
                })
                .await?;
            report.sent = emails.sent;
            report.failed = emails.failed;
            report.given_up = emails.given_up;
        }
        Ok(report)
    }

    /// Sends every due item of `channel` (for customers on `platform`, when given) with `send`,
    /// marking each delivered or failed (with backoff). A failure's text is kept on the row as
    /// its last error. Items are claimed first, so several processes can run this at once. A
    /// delivery given up on a customer channel is reported to the agents.
    ///
    /// Within a claim, each customer's items are sent one after another, in order, and different
    /// customers' at once, [`IN_FLIGHT`] at a time: after a restart, thirty customers wait for
    /// a few posts, not for thirty. The agents' items, all for one channel, go one at a time.
    /// What has been sent is marked delivered as it completes, together with whatever else
    /// completed meanwhile, in one write: a crash sends again only items sent and not yet
    /// marked, at most the ones under way.
    pub async fn deliver<E: std::fmt::Display>(
        &self,
        channel: OutboxChannel,
        platform: Option<&str>,
        send: impl AsyncFn(&OutboxEntry) -> Result<(), E>,
    ) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        loop {
            let now = self.now();
            let batch = self
                .store
                .claim_outbox(channel, platform, now, now + CLAIM_FOR, BATCH)
                .await?;
            let mut sending = Vec::new();
            for lane in lanes(channel, &batch) {
                sending.push(send_lane(&send, lane));
            }
            let mut sends = stream::iter(sending).buffer_unordered(IN_FLIGHT);
            while let Some(mut done) = sends.next().await {
                while let Some(Some(more)) = sends.next().now_or_never() {
                    done.extend(more);
                }
                self.record(channel, done, &mut report).await?;
            }
            // Every item of this batch is now delivered or due later, so the loop ends.
            if (batch.len() as i64) < BATCH {
                return Ok(report);
            }
        }
    }

    /// Marks the items in `done` that went delivered (one write) and records the failures.
    async fn record<E: std::fmt::Display>(
        &self,
        channel: OutboxChannel,
        done: Vec<(&OutboxEntry, Result<(), E>)>,
        report: &mut PassReport,
    ) -> Result<(), StoreError> {
        let delivered: Vec<i64> = done
            .iter()
            .filter(|(_, sent)| sent.is_ok())
            .map(|(entry, _)| entry.id)
            .collect();
        self.store
            .mark_outbox_delivered(&delivered, self.now())
            .await?;
        for (entry, sent) in done {
            let ticket = entry.item.ticket_number.as_deref().unwrap_or("-");
            let Err(error) = sent else {
                report.sent += 1;
                tracing::info!(id = entry.id, %channel, ticket, "notification delivered");
                continue;
            };
            let error = error.to_string();
            let failures = entry.attempts + 1;
            let retry_at = self.now() + backoff(failures);
            self.store
                .mark_outbox_failed(entry.id, &error, retry_at)
                .await?;
            report.failed += 1;
            if failures < MAX_ATTEMPTS {
                tracing::warn!(
                    id = entry.id, %channel, ticket, failures, %error,
                    retry_at = %retry_at.to_rfc3339(),
                    "notification failed; will retry"
                );
                continue;
            }
            report.given_up += 1;
            tracing::error!(
                id = entry.id, %channel, ticket, failures, %error,
                "notification given up; agents are told"
            );
            if channel != OutboxChannel::Agents {
                let failed = OutboxEntry {
                    attempts: failures,
                    last_error: Some(error),
                    ..entry.clone()
                };
                self.store
                    .enqueue_outbox(&[delivery_failed(&failed, self.wording)], self.now())
                    .await?;
            }
        }
        Ok(())
    }

    /// Closes active conversations quiet for longer than the expiry, with a chat notice.
    async fn expire_idle(&self) -> Result<usize, StoreError> {
        let now = self.now();
        let days = self.expire_after.num_days().to_string();
        let mut expired = 0;
        for conversation in self
            .store
            .conversations_to_expire(now - self.expire_after, IDLE_BATCH)
            .await?
        {
            let items = self.idle_notice(NoticeKind::Expired, &conversation, &days);
            if self
                .store
                .expire_conversation(&conversation, &items, now)
                .await?
            {
                expired += 1;
                tracing::info!(
                    conversation = conversation.id,
                    "closed an abandoned conversation"
                );
            }
        }
        Ok(expired)
    }

    /// The chat notice for a quiet conversation (a reminder, or its closing).
    fn idle_notice(
        &self,
        kind: NoticeKind,
        conversation: &IdleConversation,
        days: &str,
    ) -> Vec<NewOutboxItem> {
        let notice = Notice {
            kind,
            ticket_number: None,
            conversation_id: Some(conversation.id),
            customer_platform: conversation.platform.clone(),
            customer_id: conversation.customer_id.clone(),
            email: None,
            values: vec![("days", days.to_string())],
        };
        compose(&notice, self.wording)
    }

    /// Reminds customers whose active conversation has been quiet past the reminder interval,
    /// once per quiet spell.
    async fn remind_idle(&self) -> Result<usize, StoreError> {
        let Some(after) = self.reminder_after else {
            return Ok(0);
        };
        let now = self.now();
        let days = self.expire_after.num_days().to_string();
        let mut reminded = 0;
        for conversation in self
            .store
            .conversations_to_remind(now - after, IDLE_BATCH)
            .await?
        {
            let items = self.idle_notice(NoticeKind::Reminder, &conversation, &days);
            if self
                .store
                .remind_conversation(&conversation, &items, now)
                .await?
            {
                reminded += 1;
                tracing::info!(conversation = conversation.id, "reminded a quiet customer");
            }
        }
        Ok(reminded)
    }
}

/// Sends a lane's items one after another, whatever became of the one before.
async fn send_lane<'a, E>(
    send: &impl AsyncFn(&OutboxEntry) -> Result<(), E>,
    lane: Vec<&'a OutboxEntry>,
) -> Vec<(&'a OutboxEntry, Result<(), E>)> {
    let mut sent = Vec::with_capacity(lane.len());
    for entry in lane {
        sent.push((entry, send(entry).await));
    }
    sent
}

/// The claimed items split into lanes that may be sent at once, each in claim order: one lane
/// per customer, or a single lane for the agents' channel.
fn lanes(channel: OutboxChannel, batch: &[OutboxEntry]) -> Vec<Vec<&OutboxEntry>> {
    let mut lanes: Vec<Vec<&OutboxEntry>> = Vec::new();
    for entry in batch {
        let same = |lane: &&mut Vec<&OutboxEntry>| {
            channel == OutboxChannel::Agents
                || (lane[0].item.customer_platform == entry.item.customer_platform
                    && lane[0].item.customer_id == entry.item.customer_id)
        };
        match lanes.iter_mut().find(same) {
            Some(lane) => lane.push(entry),
            None => lanes.push(vec![entry]),
        }
    }
    lanes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_at_a_minute_and_doubles_up_to_an_hour() {
        let minutes: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|n| backoff(n).num_minutes())
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(0).num_minutes(), 1);
        assert_eq!(backoff(1000).num_minutes(), 60);
    }
}
