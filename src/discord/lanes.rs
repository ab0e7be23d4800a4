//! One lane per customer: their messages, presses and modal answers are handled one at a time,
//! in the order they were sent. serenity runs each event in its own task, so a file (slow to
//! fetch) and a quick typed answer after it would otherwise race, and the answer could land on
//! the file's question.
//!
//! Tasks do not even start in the order their events arrived, so the order is the events' own:
//! Discord's ids (snowflakes) grow with time. A handler takes its place by id before its first
//! wait, may then acknowledge its interaction (Discord wants that within 3 seconds, whoever is
//! ahead), and waits for its turn: a moment for the tasks of earlier events to take their
//! places, then until no earlier id is in the lane and no other event of the lane is being
//! handled. Across processes the conversation row's version keeps turns apart; one guild's
//! events reach one process (the one holding the gateway lease).
//!
//! After a new gateway session, the catch-up ([`super::catchup`]) holds every lane
//! ([`Lanes::hold`]) while it takes places for the messages sent while the bot was away, which
//! are older than anything arriving live: live events wait until it has, then come after them.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serenity::all::UserId;
use tokio::sync::Notify;

/// Long enough for events that arrived together to all have started their tasks.
const SETTLE: Duration = Duration::from_millis(50);

pub struct Lanes {
    lanes: Mutex<HashMap<UserId, Arc<Lane>>>,
    /// How many catch-ups are taking their places: while any is, no event starts.
    held: tokio::sync::watch::Sender<u32>,
}

impl Default for Lanes {
    fn default() -> Lanes {
        Lanes {
            lanes: Mutex::default(),
            held: tokio::sync::watch::Sender::new(0),
        }
    }
}

#[derive(Default)]
struct Lane {
    /// The ids of the events in the lane, handled or waiting, and the one being handled.
    ids: Mutex<Ids>,
    moved: Notify,
}

#[derive(Default)]
struct Ids {
    waiting: BTreeSet<u64>,
    running: Option<u64>,
}

/// Every lane held still ([`Lanes::hold`]) until this is dropped.
pub struct Hold<'a> {
    lanes: &'a Lanes,
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        self.lanes.held.send_modify(|held| *held -= 1);
    }
}

/// An event's place in its customer's lane; later events go on when this is dropped.
pub struct Place<'a> {
    lanes: &'a Lanes,
    user: UserId,
    lane: Arc<Lane>,
    id: u64,
}

impl Lanes {
    /// `user`'s event `id` (a message or interaction id) takes its place in their lane.
    pub fn join(&self, user: UserId, id: u64) -> Place<'_> {
        // The map stays locked until the place is taken, so a lane is never forgotten between
        // a newcomer finding it and taking a place in it.
        let mut map = lock(&self.lanes);
        let lane = Arc::clone(map.entry(user).or_default());
        lock(&lane.ids).waiting.insert(id);
        drop(map);
        Place {
            lanes: self,
            user,
            lane,
            id,
        }
    }

    /// No event starts its turn until the hold is dropped; those that started go on.
    pub fn hold(&self) -> Hold<'_> {
        self.held.send_modify(|held| *held += 1);
        Hold { lanes: self }
    }
}

impl Place<'_> {
    /// Waits until every earlier event of the customer's is handled and no other is being
    /// handled (an event that started before a catch-up took an earlier place finishes first).
    pub async fn turn(&self) {
        tokio::time::sleep(SETTLE).await;
        let mut held = self.lanes.held.subscribe();
        // The sender lives as long as the lanes, which outlive every place.
        let _ = held.wait_for(|held| *held == 0).await;
        loop {
            let moved = self.lane.moved.notified();
            {
                let mut ids = lock(&self.lane.ids);
                if ids.running.is_none() && ids.waiting.first() == Some(&self.id) {
                    ids.running = Some(self.id);
                    return;
                }
            }
            moved.await;
        }
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut map = lock(&self.lanes.lanes);
        let empty = {
            let mut ids = lock(&self.lane.ids);
            ids.waiting.remove(&self.id);
            if ids.running == Some(self.id) {
                ids.running = None;
            }
            ids.waiting.is_empty()
        };
        self.lane.moved.notify_waiters();
        // Nobody else is in the lane: it can go (a newcomer makes a new one).
        if empty
            && map
                .get(&self.user)
                .is_some_and(|l| Arc::ptr_eq(l, &self.lane))
        {
            map.remove(&self.user);
        }
    }
}

/// The lanes' bookkeeping (and any state like it) stays whole if a holder panicked: every
/// change is one statement.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_get_their_turn_in_the_order_of_their_ids_whatever_order_they_joined() {
        let lanes = Lanes::default();
        let user = UserId::new(1);
        let third = lanes.join(user, 30);
        let first = lanes.join(user, 10);
        let second = lanes.join(user, 20);
        first.turn().await;
        let waiting = tokio::time::timeout(Duration::from_millis(200), third.turn());
        assert!(waiting.await.is_err(), "the third waits for the second");
        drop(second);
        drop(first);
        third.turn().await;
        drop(third);
        assert!(lock(&lanes.lanes).is_empty(), "an empty lane is forgotten");
    }

    #[tokio::test]
    async fn a_place_taken_earlier_during_a_hold_goes_first_but_waits_for_the_one_running() {
        let lanes = Lanes::default();
        let user = UserId::new(1);
        let running = lanes.join(user, 50);
        running.turn().await;
        let hold = lanes.hold();
        let live = lanes.join(user, 60);
        let waiting = tokio::time::timeout(Duration::from_millis(200), live.turn());
        assert!(
            waiting.await.is_err(),
            "no turn starts while the lanes are held"
        );
        let earlier = lanes.join(user, 10);
        drop(hold);
        let waiting = tokio::time::timeout(Duration::from_millis(200), earlier.turn());
        assert!(waiting.await.is_err(), "the running event finishes first");
        drop(running);
        earlier.turn().await;
        let waiting = tokio::time::timeout(Duration::from_millis(200), live.turn());
        assert!(
            waiting.await.is_err(),
            "the live event comes after the earlier one"
        );
        drop(earlier);
        live.turn().await;
    }
}
