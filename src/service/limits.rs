//! Limits against spam and runaway clients: messages per customer per minute (in this process,
//! no database round trip on the turn path), conversations per customer per day and uploads per
//! conversation (counted in the database, only when one is about to be created).
//!
//! A message over a limit is answered with when the customer can go on, and nothing of it is
//! stored: what they already gave stays as it was.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{Customer, Service, ServiceError};
use crate::conversation::{Reply, State};
use crate::template::fill;

const WINDOW: Duration = Duration::from_secs(60);

/// The window of the conversations-per-day limit.
pub(super) const DAY: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Keys above this many are pruned of customers quiet for a whole window, so memory stays
/// bounded by the customers active in the last minute.
const PRUNE_ABOVE: usize = 4096;

/// The customers' recent messages, and the size at which they are next pruned.
struct Windows {
    times: HashMap<String, VecDeque<Instant>>,
    /// Customers told about the limit since their last message was taken: told once, not once
    /// per refused message.
    told: HashSet<String>,
    /// At least [`PRUNE_ABOVE`], and twice what the last pruning kept: with more customers
    /// active than that, pruning on every message would scan them all every time.
    prune_above: usize,
}

/// A sliding one-minute window per customer: at most `per_minute` messages in any 60 seconds.
pub struct MessageLimiter {
    per_minute: usize,
    seen: Mutex<Windows>,
}

impl MessageLimiter {
    /// `per_minute` 0: no limit.
    pub fn new(per_minute: u32) -> MessageLimiter {
        MessageLimiter {
            per_minute: per_minute as usize,
            seen: Mutex::new(Windows {
                times: HashMap::new(),
                told: HashSet::new(),
                prune_above: PRUNE_ABOVE,
            }),
        }
    }

    /// Counts a message from `key` at `now`, or says how long to wait when over the limit (a
    /// refused message is not counted).
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        // A poisoned lock only means another turn panicked mid-update; the counts are still fine.
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.times.len() > seen.prune_above {
            seen.times
                .retain(|_, times| times.back().is_some_and(|t| now - *t < WINDOW));
            seen.prune_above = PRUNE_ABOVE.max(2 * seen.times.len());
            let Windows { times, told, .. } = &mut *seen;
            told.retain(|key| times.contains_key(key));
        }
        let times = seen.times.entry(key.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= self.per_minute {
            let oldest = *times.front().expect("at least one message in the window");
            return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        times.push_back(now);
        seen.told.remove(key);
        Ok(())
    }

    /// Whether `key`, just refused, is yet to be told so since their last message was taken;
    /// from now on they count as told.
    pub fn first_refusal(&self, key: &str) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.told.insert(key.to_string())
    }
}

/// "45 seconds", "1 minute", "3 hours": a wait, rounded up, in words.
pub fn wait_words(wait: Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let (n, unit) = if secs < 60 {
        (secs.max(1), "second")
    } else if secs < 3600 {
        (secs.div_ceil(60), "minute")
    } else {
        (secs.div_ceil(3600), "hour")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

impl Service {
    /// When `customer` sends faster than the per-minute limit: the polite refusal the first time
    /// (nothing for the messages refused after it, until one is taken again); else `None`.
    pub(super) fn message_limit(&self, customer: &Customer) -> Option<Vec<Reply>> {
        let key = format!("{}:{}", customer.platform, customer.id);
        let wait = self.limiter.check(&key, Instant::now()).err()?;
        if !self.limiter.first_refusal(&key) {
            return Some(Vec::new());
        }
        tracing::info!(customer = %customer.signer_id(), "message limit reached");
        Some(vec![Reply::say(fill(
            &self.prompts.script.common.messages.too_many_messages,
            &[
                ("limit", self.config.max_messages_per_minute.to_string()),
                ("wait", wait_words(wait)),
            ],
        ))])
    }

    /// The polite refusal when `customer` has started the most conversations allowed in a day;
    /// asked only when a new conversation is about to be created.
    pub(super) async fn conversation_limit(
        &self,
        customer: &Customer,
        now: DateTime<Utc>,
    ) -> Result<Option<Reply>, ServiceError> {
        let limit = self.config.max_conversations_per_day;
        if limit == 0 {
            return Ok(None);
        }
        let (count, oldest) = self
            .store
            .conversations_started_since(&customer.platform, &customer.id, now - DAY)
            .await?;
        Ok((count >= u64::from(limit)).then(|| self.too_many_conversations(customer, oldest, now)))
    }

    /// The refusal for a customer who has started the day's limit of conversations, the oldest
    /// of them at `oldest`: the limit, and how long until they may start another.
    pub(super) fn too_many_conversations(
        &self,
        customer: &Customer,
        oldest: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Reply {
        let limit = self.config.max_conversations_per_day;
        tracing::info!(customer = %customer.signer_id(), "conversation limit reached");
        let wait = oldest
            .map(|t| (t + DAY - now).to_std().unwrap_or_default())
            .unwrap_or_default();
        Reply::say(fill(
            &self.prompts.script.common.messages.too_many_conversations,
            &[("limit", limit.to_string()), ("wait", wait_words(wait))],
        ))
    }

    /// The refusal (and the question again, from the state before the upload) when a file would
    /// take the conversation over its upload limit.
    pub(super) async fn upload_limit(
        &self,
        conversation_id: i64,
        new_uploads: usize,
        before: &State,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<Reply>>, ServiceError> {
        let limit = self.config.max_uploads_per_conversation as usize;
        let stored = self
            .store
            .conversation_upload_count(conversation_id)
            .await? as usize;
        if stored + new_uploads <= limit {
            return Ok(None);
        }
        tracing::info!(conversation = conversation_id, "upload limit reached");
        let mut replies = vec![Reply::say(fill(
            &self.prompts.script.common.messages.too_many_uploads,
            &[("limit", limit.to_string())],
        ))];
        replies.extend(
            self.engine()
                .pending_question(before, crate::conversation::today(now)),
        );
        Ok(Some(replies))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_over_the_limit_wait_for_the_oldest_to_leave_the_window() {
        let limiter = MessageLimiter::new(3);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check("a", t0 + Duration::from_secs(i)).is_ok());
        }
        let wait = limiter
            .check("a", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another customer is not affected.
        assert!(limiter.check("b", t0 + Duration::from_secs(10)).is_ok());
        // A refused message is not counted: once the first leaves the window, one more fits.
        assert!(limiter.check("a", t0 + Duration::from_secs(60)).is_ok());
        assert!(limiter.check("a", t0 + Duration::from_secs(60)).is_err());
    }

    #[test]
    fn a_limit_of_zero_lets_everything_through() {
        let limiter = MessageLimiter::new(0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.check("a", t0).is_ok());
        }
    }

    #[test]
    fn quiet_customers_are_forgotten_when_many_are_tracked() {
        let limiter = MessageLimiter::new(5);
        let t0 = Instant::now();
        for i in 0..=PRUNE_ABOVE {
            limiter.check(&i.to_string(), t0).unwrap();
        }
        limiter.check("late", t0 + Duration::from_secs(61)).unwrap();
        assert_eq!(limiter.seen.lock().unwrap().times.len(), 1);
    }

    #[test]
    fn many_active_customers_are_not_scanned_on_every_message() {
        let limiter = MessageLimiter::new(5);
        let t0 = Instant::now();
        let active = 3 * PRUNE_ABOVE;
        for i in 0..active {
            limiter.check(&i.to_string(), t0).unwrap();
        }
        let seen = limiter.seen.lock().unwrap();
        // Everyone is still in the window, so nobody was forgotten; and the next pruning waits
        // until the map has grown again, instead of coming on the very next message.
        assert_eq!(seen.times.len(), active);
        assert!(
            seen.prune_above >= active,
            "{} < {active}",
            seen.prune_above
        );
    }

    #[test]
    fn waits_are_said_in_rounded_up_words() {
        assert_eq!(wait_words(Duration::from_millis(200)), "1 second");
        assert_eq!(wait_words(Duration::from_secs(45)), "45 seconds");
        assert_eq!(wait_words(Duration::from_secs(61)), "2 minutes");
        assert_eq!(wait_words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(wait_words(Duration::from_secs(5 * 3600 + 1)), "6 hours");
    }
}
