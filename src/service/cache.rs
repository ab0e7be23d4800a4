//! The open conversations this process saw last, so a customer's next message skips the load
//! from the database and the JSON parse of the state.
//!
//! Never trusted blindly: a turn from the cache writes only if the conversation is still at the
//! cached version and no chat notice waits for the customer (see `TurnWrite::no_notices_seen`).
//! Anything that changed the conversation elsewhere (an agent, another process, the idle
//! worker) bumped the version, so the write is a conflict, the entry is dropped, and the turn
//! runs again from the database.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::conversation::State;
use crate::store::Conversation;

/// At most this many conversations are kept; a full cache forgets the least recently used.
pub const CAPACITY: usize = 2048;

#[derive(Debug, Clone)]
pub struct Cached {
    /// The row as last written by this process; its `state` text is left empty (the parsed
    /// state below is what counts).
    pub conversation: Conversation,
    pub state: State,
}

#[derive(Debug, Default)]
pub struct ConversationCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<(String, String), (u64, Cached)>,
    /// Bumped on every use; the entry with the smallest stamp is the least recently used.
    clock: u64,
}

impl ConversationCache {
    /// The customer's cached open conversation, taken out: the turn that uses it owns it (no
    /// copy of the state), and puts it back once its write applied ([`Self::put`]). A turn
    /// that fails leaves it out, so the next one reads the database.
    pub fn take(&self, platform: &str, customer_id: &str) -> Option<Cached> {
        self.lock()
            .entries
            .remove(&(platform.to_string(), customer_id.to_string()))
            .map(|(_, cached)| cached)
    }

    /// Remembers the conversation as just written, or forgets it once it is no longer open.
    pub fn put(&self, mut conversation: Conversation, state: State) {
        let key = (
            conversation.platform.clone(),
            conversation.customer_id.clone(),
        );
        let mut inner = self.lock();
        if !conversation.status.is_open() {
            inner.entries.remove(&key);
            return;
        }
        if inner.entries.len() >= CAPACITY && !inner.entries.contains_key(&key) {
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, (stamp, _))| *stamp)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                inner.entries.remove(&oldest);
            }
        }
        conversation.state = String::new();
        inner.clock += 1;
        let clock = inner.clock;
        inner.entries.insert(
            key,
            (
                clock,
                Cached {
                    conversation,
                    state,
                },
            ),
        );
    }

    pub fn forget(&self, platform: &str, customer_id: &str) {
        self.lock()
            .entries
            .remove(&(platform.to_string(), customer_id.to_string()));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind: still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ConversationStatus;
    use chrono::Utc;

    fn conversation(customer: &str, status: ConversationStatus) -> Conversation {
        Conversation {
            id: 1,
            platform: "console".into(),
            channel_id: None,
            customer_id: customer.into(),
            flow: "port_in".into(),
            step: Some("numbers".into()),
            state: "{}".into(),
            status,
            version: 3,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn an_open_conversation_is_remembered_and_a_finished_one_forgotten() {
        let cache = ConversationCache::default();
        cache.put(conversation("a", ConversationStatus::Active), State::new());
        assert!(cache.take("discord", "a").is_none(), "platforms are apart");
        let cached = cache.take("console", "a").expect("cached");
        assert_eq!(cached.conversation.version, 3);
        assert!(cache.take("console", "a").is_none(), "taken out");
        cache.put(cached.conversation, cached.state);
        cache.put(
            conversation("a", ConversationStatus::Finished),
            State::new(),
        );
        assert!(cache.take("console", "a").is_none());
    }

    #[test]
    fn a_full_cache_forgets_the_least_recently_used() {
        let cache = ConversationCache::default();
        for i in 0..CAPACITY {
            cache.put(
                conversation(&i.to_string(), ConversationStatus::Active),
                State::new(),
            );
        }
        // A turn takes 0 and puts it back: 0 is now the most recent.
        let taken = cache.take("console", "0").expect("cached");
        cache.put(taken.conversation, taken.state);
        cache.put(
            conversation("new", ConversationStatus::Active),
            State::new(),
        );
        assert_eq!(cache.len(), CAPACITY);
        assert!(cache.take("console", "0").is_some());
        assert!(
            cache.take("console", "1").is_none(),
            "1 was the least recently used"
        );
        assert!(cache.take("console", "new").is_some());
    }
}
