//! Notifications: the outbox and idle-conversation contract on every backend (`sqlite::<name>`,
//! `postgres::<name>`), the worker's retries, and the real `portbot worker` against a real SMTP
//! server on 127.0.0.1 (aiosmtpd; skipped with a note when Python lacks it).

mod binary;
mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use binary::{Sandbox, SmtpSink, free_port, smtp_server_available};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::{TestDb, add_ticket, start_conversation};
use portbot::config::Config;
use portbot::notify::worker::{PassReport, Worker, backoff};
use portbot::notify::{Notice, NoticeKind, NotificationWording, compose};
use portbot::prompts::Prompts;
use portbot::secrets::Cipher;
use portbot::store::{
    ConversationStatus, MAX_ATTEMPTS, NewOutboxItem, OutboxChannel, SecretKind, Store, TurnOutcome,
    TurnWrite,
};
use secrecy::SecretString;
use serde_json::Value;

contract_tests!(
    an_enqueued_item_is_due_at_once_and_keeps_every_field,
    due_items_are_one_channel_oldest_first_up_to_the_limit,
    a_delivered_item_is_no_longer_due_or_pending,
    a_failed_attempt_is_counted_and_waits_for_its_retry_time,
    an_item_that_keeps_failing_is_given_up_kept_and_listed_for_agents,
    a_retried_item_is_due_again_from_scratch,
    pending_chat_notices_are_the_customers_undelivered_chat_items_oldest_first,
    queued_items_survive_a_restart,
    a_claimed_item_is_not_handed_out_again_until_its_claim_runs_out,
    racing_claimers_never_get_the_same_item,
    a_claim_for_one_platform_takes_only_that_platforms_chat_items,
    a_chat_notice_a_deliverer_holds_is_neither_pending_nor_taken_by_a_turn,
    a_quiet_conversation_is_reminded_once_per_quiet_spell,
    a_conversation_quiet_past_the_expiry_is_cancelled_its_secrets_deleted_and_the_customer_told,
    a_customer_who_answers_first_keeps_the_conversation,
    paused_and_finished_conversations_are_never_reminded_or_expired,
    the_worker_retries_with_backoff_then_gives_up_and_tells_the_agents,
    a_customers_notices_go_in_order_while_other_customers_go_at_once,
);

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// Long after every item in these tests was queued.
fn later() -> DateTime<Utc> {
    at(365 * 24 * 60)
}

fn wording() -> NotificationWording {
    Prompts::builtin().unwrap().notifications
}

fn item(channel: OutboxChannel, customer: &str, body: &str) -> NewOutboxItem {
    NewOutboxItem {
        channel,
        ticket_number: None,
        conversation_id: None,
        customer_platform: "discord".into(),
        customer_id: customer.into(),
        recipient: (channel == OutboxChannel::Email).then(|| format!("{customer}@example.com")),
        subject: format!("about {body}"),
        body: body.into(),
    }
}

fn bodies(entries: &[portbot::store::OutboxEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.item.body.as_str()).collect()
}

async fn an_enqueued_item_is_due_at_once_and_keeps_every_field(db: TestDb) {
    let store = &db.store;
    let conversation = start_conversation(store, "discord", "42", at(0)).await;
    add_ticket(store, &conversation, "PB-10001", at(1)).await;
    let new = NewOutboxItem {
        channel: OutboxChannel::Email,
        // Ticket numbers are matched regardless of case, like everywhere else.
        ticket_number: Some("pb-10001".into()),
        conversation_id: Some(conversation.id),
        customer_platform: "discord".into(),
        customer_id: "42".into(),
        recipient: Some("alice@example.com".into()),
        subject: "Port date confirmed for Monday, December 7, 2026".into(),
        body: "Zoë's numbers move on {date}.\nLine two, \"quoted\".".into(),
    };
    store
        .enqueue_outbox(std::slice::from_ref(&new), at(2))
        .await
        .unwrap();
    assert!(
        store
            .due_outbox(OutboxChannel::Email, at(1), 10)
            .await
            .unwrap()
            .is_empty(),
        "not due before it was queued"
    );
    let due = store
        .due_outbox(OutboxChannel::Email, at(2), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    let entry = &due[0];
    assert_eq!(
        entry.item,
        NewOutboxItem {
            ticket_number: Some("PB-10001".into()),
            ..new
        }
    );
    assert_eq!(entry.attempts, 0);
    assert_eq!(entry.next_attempt_at, at(2));
    assert_eq!(entry.created_at, at(2));
    assert_eq!(entry.delivered_at, None);
    assert_eq!(entry.last_error, None);

    // The row points at the ticket, for agents' queries by ticket.
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let number: String = sqlx::query_scalar(
        "SELECT t.number FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE o.id = $1",
    )
    .bind(entry.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(number, "PB-10001");
    pool.close().await;
}

async fn due_items_are_one_channel_oldest_first_up_to_the_limit(db: TestDb) {
    let store = &db.store;
    store
        .enqueue_outbox(
            &[
                item(OutboxChannel::Email, "a", "first"),
                item(OutboxChannel::Chat, "a", "chat"),
                item(OutboxChannel::Agents, "a", "agents"),
            ],
            at(0),
        )
        .await
        .unwrap();
    store
        .enqueue_outbox(&[item(OutboxChannel::Email, "b", "second")], at(1))
        .await
        .unwrap();
    store
        .enqueue_outbox(&[item(OutboxChannel::Email, "c", "third")], at(2))
        .await
        .unwrap();
    let due = store
        .due_outbox(OutboxChannel::Email, at(5), 10)
        .await
        .unwrap();
    assert_eq!(bodies(&due), ["first", "second", "third"]);
    let due = store
        .due_outbox(OutboxChannel::Email, at(5), 2)
        .await
        .unwrap();
    assert_eq!(bodies(&due), ["first", "second"]);
    let due = store
        .due_outbox(OutboxChannel::Email, at(1), 10)
        .await
        .unwrap();
    assert_eq!(bodies(&due), ["first", "second"]);
    let due = store
        .due_outbox(OutboxChannel::Agents, at(5), 10)
        .await
        .unwrap();
    assert_eq!(bodies(&due), ["agents"]);
}

async fn a_delivered_item_is_no_longer_due_or_pending(db: TestDb) {
    let store = &db.store;
    store
        .enqueue_outbox(
            &[
                item(OutboxChannel::Email, "a", "mail"),
                item(OutboxChannel::Chat, "a", "chat"),
            ],
            at(0),
        )
        .await
        .unwrap();
    let email = store
        .due_outbox(OutboxChannel::Email, at(0), 10)
        .await
        .unwrap();
    store
        .mark_outbox_delivered(&[email[0].id], at(1))
        .await
        .unwrap();
    let chat = store
        .pending_chat_notices("discord", "a", later())
        .await
        .unwrap();
    store
        .mark_outbox_delivered(&[chat[0].id], at(1))
        .await
        .unwrap();
    assert!(
        store
            .due_outbox(OutboxChannel::Email, at(9), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .pending_chat_notices("discord", "a", later())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.undelivered_outbox().await.unwrap().is_empty());
    // A late failure report for a delivered item changes nothing.
    store
        .mark_outbox_failed(email[0].id, "late", at(2))
        .await
        .unwrap();
    assert!(store.undelivered_outbox().await.unwrap().is_empty());
}

async fn a_failed_attempt_is_counted_and_waits_for_its_retry_time(db: TestDb) {
    let store = &db.store;
    store
        .enqueue_outbox(&[item(OutboxChannel::Email, "a", "mail")], at(0))
        .await
        .unwrap();
    let id = store
        .due_outbox(OutboxChannel::Email, at(0), 10)
        .await
        .unwrap()[0]
        .id;
    store
        .mark_outbox_failed(id, "connection refused", at(0) + backoff(1))
        .await
        .unwrap();
    assert!(
        store
            .due_outbox(OutboxChannel::Email, at(0), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store
        .due_outbox(OutboxChannel::Email, at(1), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);
    assert_eq!(due[0].next_attempt_at, at(1));
    assert_eq!(due[0].last_error.as_deref(), Some("connection refused"));
    assert!(!due[0].given_up());
    assert!(store.failed_outbox().await.unwrap().is_empty());

    // A long error is cut for storage.
    store
        .mark_outbox_failed(id, &"x".repeat(5000), at(3))
        .await
        .unwrap();
    let entry = &store.undelivered_outbox().await.unwrap()[0];
    assert_eq!(entry.attempts, 2);
    assert_eq!(entry.last_error.as_ref().unwrap().len(), 500);
}

async fn an_item_that_keeps_failing_is_given_up_kept_and_listed_for_agents(db: TestDb) {
    let store = &db.store;
    store
        .enqueue_outbox(
            &[
                item(OutboxChannel::Email, "a", "doomed"),
                item(OutboxChannel::Email, "b", "fine"),
            ],
            at(0),
        )
        .await
        .unwrap();
    let id = store
        .due_outbox(OutboxChannel::Email, at(0), 1)
        .await
        .unwrap()[0]
        .id;
    for n in 1..=MAX_ATTEMPTS {
        store
            .mark_outbox_failed(id, &format!("failure {n}"), at(n))
            .await
            .unwrap();
    }
    let due = store
        .due_outbox(OutboxChannel::Email, at(1000), 10)
        .await
        .unwrap();
    assert_eq!(bodies(&due), ["fine"], "a given-up item is not tried again");
    let failed = store.failed_outbox().await.unwrap();
    assert_eq!(bodies(&failed), ["doomed"]);
    assert_eq!(failed[0].attempts, MAX_ATTEMPTS);
    assert!(failed[0].given_up());
    assert_eq!(
        failed[0].last_error.as_deref(),
        Some(format!("failure {MAX_ATTEMPTS}").as_str())
    );
    assert_eq!(store.undelivered_outbox().await.unwrap().len(), 2);
}

async fn a_retried_item_is_due_again_from_scratch(db: TestDb) {
    let store = &db.store;
    store
        .enqueue_outbox(&[item(OutboxChannel::Email, "a", "mail")], at(0))
        .await
        .unwrap();
    let id = store
        .due_outbox(OutboxChannel::Email, at(0), 1)
        .await
        .unwrap()[0]
        .id;
    for n in 1..=MAX_ATTEMPTS {
        store
            .mark_outbox_failed(id, "refused", at(n))
            .await
            .unwrap();
    }
    assert!(store.retry_outbox(id, at(100)).await.unwrap());
    assert!(store.failed_outbox().await.unwrap().is_empty());
    let due = store
        .due_outbox(OutboxChannel::Email, at(100), 1)
        .await
        .unwrap();
    assert_eq!((due[0].id, due[0].attempts), (id, 0));
    store.mark_outbox_delivered(&[id], at(101)).await.unwrap();
    assert!(
        !store.retry_outbox(id, at(102)).await.unwrap(),
        "delivered: nothing to retry"
    );
    assert!(!store.retry_outbox(id + 1000, at(102)).await.unwrap());
}

async fn pending_chat_notices_are_the_customers_undelivered_chat_items_oldest_first(db: TestDb) {
    let store = &db.store;
    store
        .enqueue_outbox(
            &[
                item(OutboxChannel::Chat, "a", "one"),
                item(OutboxChannel::Email, "a", "an email"),
                item(OutboxChannel::Chat, "b", "someone else's"),
                item(OutboxChannel::Agents, "a", "for agents"),
            ],
            at(0),
        )
        .await
        .unwrap();
    store
        .enqueue_outbox(&[item(OutboxChannel::Chat, "a", "two")], at(1))
        .await
        .unwrap();
    let pending = store
        .pending_chat_notices("discord", "a", later())
        .await
        .unwrap();
    assert_eq!(bodies(&pending), ["one", "two"]);
    assert!(
        store
            .pending_chat_notices("console", "a", later())
            .await
            .unwrap()
            .is_empty()
    );
    store
        .mark_outbox_delivered(&[pending[0].id], at(2))
        .await
        .unwrap();
    let pending = store
        .pending_chat_notices("discord", "a", later())
        .await
        .unwrap();
    assert_eq!(bodies(&pending), ["two"]);
}

async fn queued_items_survive_a_restart(db: TestDb) {
    db.store
        .enqueue_outbox(&[item(OutboxChannel::Email, "a", "mail")], at(0))
        .await
        .unwrap();
    let id = db
        .store
        .due_outbox(OutboxChannel::Email, at(0), 1)
        .await
        .unwrap()[0]
        .id;
    db.store
        .mark_outbox_failed(id, "refused", at(1))
        .await
        .unwrap();
    let again = db.reconnect(&db.key).await.unwrap();
    let due = again
        .due_outbox(OutboxChannel::Email, at(1), 10)
        .await
        .unwrap();
    assert_eq!((due[0].id, due[0].attempts), (id, 1));
}

async fn a_claimed_item_is_not_handed_out_again_until_its_claim_runs_out(db: TestDb) {
    let store = &db.store;
    store
        .enqueue_outbox(
            &[
                item(OutboxChannel::Email, "a", "one"),
                item(OutboxChannel::Email, "b", "two"),
                item(OutboxChannel::Chat, "c", "chat"),
            ],
            at(0),
        )
        .await
        .unwrap();
    let claimed = store
        .claim_outbox(OutboxChannel::Email, None, at(0), at(10), 10)
        .await
        .unwrap();
    assert_eq!(bodies(&claimed), ["one", "two"]);
    assert!(
        claimed
            .iter()
            .all(|e| e.next_attempt_at == at(10) && e.attempts == 0)
    );
    assert!(
        store
            .claim_outbox(OutboxChannel::Email, None, at(5), at(15), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The sender died without marking: both come back once the claim runs out.
    store
        .mark_outbox_delivered(&[claimed[0].id], at(1))
        .await
        .unwrap();
    let again = store
        .claim_outbox(OutboxChannel::Email, None, at(10), at(20), 10)
        .await
        .unwrap();
    assert_eq!(bodies(&again), ["two"]);
}

async fn racing_claimers_never_get_the_same_item(db: TestDb) {
    let items: Vec<_> = (0..40)
        .map(|n| item(OutboxChannel::Email, "a", &format!("mail {n}")))
        .collect();
    db.store.enqueue_outbox(&items, at(0)).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let batch = store
                    .claim_outbox(OutboxChannel::Email, None, at(0), at(10), 3)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return ids;
                }
                ids.extend(batch.iter().map(|e| e.id));
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().copied().collect();
    assert_eq!(all.len(), 40, "every item claimed exactly once: {all:?}");
    assert_eq!(unique.len(), 40);
}

fn chat_for(platform: &str, customer: &str, body: &str) -> NewOutboxItem {
    NewOutboxItem {
        customer_platform: platform.into(),
        ..item(OutboxChannel::Chat, customer, body)
    }
}

async fn a_claim_for_one_platform_takes_only_that_platforms_chat_items(db: TestDb) {
    let store = &db.store;
    store
        .enqueue_outbox(
            &[
                chat_for("console", "a", "for the terminal"),
                chat_for("discord", "b", "for the thread"),
                item(OutboxChannel::Email, "b", "an email"),
                chat_for("discord", "c", "for another thread"),
            ],
            at(0),
        )
        .await
        .unwrap();
    let claimed = store
        .claim_outbox(OutboxChannel::Chat, Some("discord"), at(0), at(10), 10)
        .await
        .unwrap();
    assert_eq!(bodies(&claimed), ["for the thread", "for another thread"]);
    assert!(
        store
            .claim_outbox(OutboxChannel::Chat, Some("discord"), at(1), at(11), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The terminal's notice stays for the customer's next turn.
    assert_eq!(
        bodies(
            &store
                .pending_chat_notices("console", "a", at(1))
                .await
                .unwrap()
        ),
        ["for the terminal"]
    );
}

async fn a_chat_notice_a_deliverer_holds_is_neither_pending_nor_taken_by_a_turn(db: TestDb) {
    let store = &db.store;
    let conversation = start_conversation(store, "discord", "a", at(0)).await;
    store
        .enqueue_outbox(&[chat_for("discord", "a", "held")], at(0))
        .await
        .unwrap();
    let pending = store
        .pending_chat_notices("discord", "a", at(1))
        .await
        .unwrap();
    assert_eq!(bodies(&pending), ["held"]);

    // The bot claims it after the turn read it: the turn may not show it too.
    let claimed = store
        .claim_outbox(OutboxChannel::Chat, Some("discord"), at(1), at(11), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let turn = TurnWrite {
        delivered_outbox: vec![pending[0].id],
        ..customer_turn(&conversation, ConversationStatus::Active, at(2))
    };
    assert_eq!(store.apply_turn(turn).await.unwrap(), TurnOutcome::Conflict);
    let unchanged = store.conversation(conversation.id).await.unwrap().unwrap();
    assert_eq!(
        unchanged.version, conversation.version,
        "nothing was written"
    );
    assert!(
        store
            .pending_chat_notices("discord", "a", at(2))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!store.take_outbox(pending[0].id, at(2)).await.unwrap());

    // The bot posted it; a turn without it goes through.
    store
        .mark_outbox_delivered(&[pending[0].id], at(3))
        .await
        .unwrap();
    let turn = customer_turn(&conversation, ConversationStatus::Active, at(4));
    assert!(matches!(
        store.apply_turn(turn).await.unwrap(),
        TurnOutcome::Applied { .. }
    ));

    // One nobody holds is the turn's to show, once.
    store
        .enqueue_outbox(&[chat_for("discord", "a", "free")], at(5))
        .await
        .unwrap();
    let free = store
        .pending_chat_notices("discord", "a", at(5))
        .await
        .unwrap();
    assert!(store.take_outbox(free[0].id, at(5)).await.unwrap());
    assert!(!store.take_outbox(free[0].id, at(6)).await.unwrap());
}

/// A turn that only moves the conversation on, at `now`.
fn customer_turn(
    conversation: &portbot::store::Conversation,
    status: ConversationStatus,
    now: DateTime<Utc>,
) -> TurnWrite {
    TurnWrite {
        conversation_id: conversation.id,
        expected_version: conversation.version,
        flow: "port_in".into(),
        step: Some("carrier".into()),
        state: r#"{"step":"carrier"}"#.into(),
        status,
        ..TurnWrite::new(conversation, now)
    }
}

async fn a_quiet_conversation_is_reminded_once_per_quiet_spell(db: TestDb) {
    let store = &db.store;
    let day = 24 * 60;
    let conversation = start_conversation(store, "discord", "42", at(0)).await;
    assert!(
        store
            .conversations_to_remind(at(-1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let quiet = store.conversations_to_remind(at(day), 10).await.unwrap();
    assert_eq!(quiet.len(), 1);
    assert_eq!(
        (quiet[0].id, quiet[0].version, quiet[0].updated_at),
        (conversation.id, 0, at(0))
    );
    let notice = item(OutboxChannel::Chat, "42", "still there?");
    assert!(
        store
            .remind_conversation(&quiet[0], std::slice::from_ref(&notice), at(day))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remind_conversation(&quiet[0], std::slice::from_ref(&notice), at(day))
            .await
            .unwrap()
    );
    assert!(
        store
            .conversations_to_remind(at(2 * day), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        bodies(
            &store
                .pending_chat_notices("discord", "42", later())
                .await
                .unwrap()
        ),
        ["still there?"]
    );
    let unchanged = store.conversation(conversation.id).await.unwrap().unwrap();
    assert_eq!(
        unchanged, conversation,
        "a reminder changes nothing the engine reads"
    );

    // The customer answers, then goes quiet again: a new spell, a new reminder. (The argument
    // is the cut-off: quiet since then or earlier.)
    store
        .apply_turn(customer_turn(
            &conversation,
            ConversationStatus::Active,
            at(day + 5),
        ))
        .await
        .unwrap();
    assert!(
        store
            .conversations_to_remind(at(day + 4), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let quiet = store
        .conversations_to_remind(at(day + 5), 10)
        .await
        .unwrap();
    assert_eq!(quiet.len(), 1);
    assert!(
        store
            .remind_conversation(&quiet[0], &[notice], at(2 * day + 5))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .pending_chat_notices("discord", "42", later())
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn a_conversation_quiet_past_the_expiry_is_cancelled_its_secrets_deleted_and_the_customer_told(
    db: TestDb,
) {
    let store = &db.store;
    let conversation = start_conversation(store, "discord", "42", at(0)).await;
    let mut turn = customer_turn(&conversation, ConversationStatus::Active, at(1));
    turn.secrets = vec![
        (SecretKind::Pin, SecretString::from("58213907")),
        (SecretKind::AccountNumber, SecretString::from("ACCT-1")),
    ];
    store.apply_turn(turn).await.unwrap();
    let week = TimeDelta::days(7).num_minutes();
    assert!(
        store
            .conversations_to_expire(at(0), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let quiet = store
        .conversations_to_expire(at(1 + week) - TimeDelta::days(7), 10)
        .await
        .unwrap();
    assert_eq!(quiet.len(), 1);
    let notice = item(OutboxChannel::Chat, "42", "closed");
    assert!(
        store
            .expire_conversation(&quiet[0], std::slice::from_ref(&notice), at(1 + week))
            .await
            .unwrap()
    );
    assert!(
        !store
            .expire_conversation(&quiet[0], &[notice], at(1 + week))
            .await
            .unwrap()
    );

    let closed = store.conversation(conversation.id).await.unwrap().unwrap();
    assert_eq!(closed.status, ConversationStatus::Cancelled);
    assert_eq!(closed.version, 2);
    assert_eq!(closed.updated_at, at(1 + week));
    assert_eq!(
        store.open_conversation("discord", "42").await.unwrap(),
        None
    );
    for kind in [SecretKind::Pin, SecretKind::AccountNumber] {
        assert!(
            store
                .conversation_secret(conversation.id, kind)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(
        bodies(
            &store
                .pending_chat_notices("discord", "42", later())
                .await
                .unwrap()
        ),
        ["closed"]
    );
    assert!(
        store
            .conversations_to_expire(at(99 * week), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_customer_who_answers_first_keeps_the_conversation(db: TestDb) {
    let store = &db.store;
    let conversation = start_conversation(store, "discord", "42", at(0)).await;
    let quiet_for_reminder = store.conversations_to_remind(at(10_000), 10).await.unwrap();
    let quiet_for_expiry = store.conversations_to_expire(at(10_000), 10).await.unwrap();
    // The customer's turn lands between the worker's read and its write.
    store
        .apply_turn(customer_turn(
            &conversation,
            ConversationStatus::Active,
            at(10_000),
        ))
        .await
        .unwrap();
    let notice = item(OutboxChannel::Chat, "42", "never sent");
    assert!(
        !store
            .remind_conversation(
                &quiet_for_reminder[0],
                std::slice::from_ref(&notice),
                at(10_001)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .expire_conversation(&quiet_for_expiry[0], &[notice], at(10_001))
            .await
            .unwrap()
    );
    let now = store.conversation(conversation.id).await.unwrap().unwrap();
    assert_eq!((now.status, now.version), (ConversationStatus::Active, 1));
    assert!(
        store.undelivered_outbox().await.unwrap().is_empty(),
        "nothing queued"
    );
}

async fn paused_and_finished_conversations_are_never_reminded_or_expired(db: TestDb) {
    let store = &db.store;
    let paused = start_conversation(store, "discord", "1", at(0)).await;
    store
        .apply_turn(customer_turn(
            &paused,
            ConversationStatus::PausedForAgent,
            at(0),
        ))
        .await
        .unwrap();
    let finished = start_conversation(store, "discord", "2", at(0)).await;
    add_ticket(store, &finished, "PB-10001", at(0)).await;
    let cancelled = start_conversation(store, "discord", "3", at(0)).await;
    store
        .apply_turn(customer_turn(
            &cancelled,
            ConversationStatus::Cancelled,
            at(0),
        ))
        .await
        .unwrap();
    assert!(
        store
            .conversations_to_remind(at(100_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .conversations_to_expire(at(100_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Configuration with the clock at `now`, email unset unless given.
fn config(now: DateTime<Utc>, extra: &[(&str, &str)]) -> Config {
    let mut config = Config::from_lookup(|name| {
        extra
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
            .or_else(|| {
                // Scripted customers answer faster than people: no spam limits here.
                matches!(
                    name,
                    "PORTBOT_MAX_MESSAGES_PER_MINUTE" | "PORTBOT_MAX_CONVERSATIONS_PER_DAY"
                )
                .then(|| "0".into())
            })
    })
    .unwrap();
    config.now = Some(now);
    config
}

async fn the_worker_retries_with_backoff_then_gives_up_and_tells_the_agents(db: TestDb) {
    let store = &db.store;
    let wording = wording();
    let notice = Notice {
        kind: NoticeKind::Completed,
        ticket_number: Some("PB-10001".into()),
        conversation_id: None,
        customer_platform: "discord".into(),
        customer_id: "42".into(),
        email: Some("alice@example.com".into()),
        values: vec![
            ("number", "PB-10001".into()),
            ("numbers", "(312) 448-2915".into()),
        ],
    };
    store
        .enqueue_outbox(&compose(&notice, &wording), at(0))
        .await
        .unwrap();
    let mut now = at(0);
    let mut waits = Vec::new();
    for n in 1..=MAX_ATTEMPTS {
        let config = config(now, &[]);
        let worker = Worker::new(store, &wording, &config.worker_settings()).unwrap();
        let report = worker
            .deliver(OutboxChannel::Email, None, async |_| {
                Err("550 no such mailbox".to_string())
            })
            .await
            .unwrap();
        let given_up = usize::from(n == MAX_ATTEMPTS);
        assert_eq!(
            report,
            PassReport {
                failed: 1,
                given_up,
                ..PassReport::default()
            },
            "attempt {n}"
        );
        // Nothing more until the backoff has passed.
        let early = Worker::new(store, &wording, &config.worker_settings()).unwrap();
        let report = early
            .deliver(OutboxChannel::Email, None, async |_| {
                Ok::<(), std::convert::Infallible>(())
            })
            .await
            .unwrap();
        assert_eq!(
            report,
            PassReport::default(),
            "attempt {n} retried too early"
        );
        let entry = store
            .undelivered_outbox()
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.item.channel == OutboxChannel::Email)
            .unwrap();
        assert_eq!(entry.attempts, n);
        waits.push((entry.next_attempt_at - now).num_minutes());
        now = entry.next_attempt_at;
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    let failed = store.failed_outbox().await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].item.recipient.as_deref(),
        Some("alice@example.com")
    );
    let agents = store
        .due_outbox(OutboxChannel::Agents, now, 10)
        .await
        .unwrap();
    assert_eq!(agents.len(), 1, "the agents are told once");
    let told = &agents[0].item;
    assert_eq!(told.ticket_number.as_deref(), Some("PB-10001"));
    for part in [
        "alice@example.com",
        "550 no such mailbox",
        "--retry",
        &failed[0].id.to_string(),
    ] {
        assert!(told.body.contains(part), "{part}: {}", told.body);
    }
}

async fn a_customers_notices_go_in_order_while_other_customers_go_at_once(db: TestDb) {
    let chat = |customer: &str, body: &str| item(OutboxChannel::Chat, customer, body);
    let agents = |body: &str| item(OutboxChannel::Agents, "-", body);
    db.store
        .enqueue_outbox(
            &[
                chat("a", "a1"),
                chat("b", "b1"),
                chat("a", "a2"),
                chat("c", "c1"),
                agents("x1"),
                agents("x2"),
            ],
            at(0),
        )
        .await
        .unwrap();
    // On a thread of its own: the compiler cannot yet prove Send a future that holds a
    // borrowing sender in a stream of sends, which the test task must be.
    let store = db.store.clone();
    let (chat_sent, agents_sent) = tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(deliver_recording(&store))
    })
    .await
    .unwrap();

    let (report, lines) = chat_sent;
    assert_eq!((report.sent, report.failed), (3, 1));
    let position = |line: &str| {
        lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line} not in {lines:?}"))
    };
    assert!(!lines.iter().any(|l| l.contains("in vain")), "{lines:?}");
    assert!(position("start b1") < position("end a1"), "{lines:?}");
    assert!(position("end a1") < position("start a2"), "{lines:?}");
    let undelivered = db.store.undelivered_outbox().await.unwrap();
    let mut left: Vec<&str> = undelivered.iter().map(|e| e.item.body.as_str()).collect();
    left.sort_unstable();
    assert_eq!(left, ["c1"], "the delivered are marked, the failed not");

    // The agents' channel is one lane: never two of its notices at once.
    let (report, lines) = agents_sent;
    assert_eq!(report.sent, 2);
    assert_eq!(lines, ["start x1", "end x1", "start x2", "end x2"]);
}

/// Delivers the chat notices, then the agents', with a sender that records when each send
/// starts and ends, and makes a1 wait for b1 to start.
async fn deliver_recording(
    store: &Store,
) -> ((PassReport, Vec<String>), (PassReport, Vec<String>)) {
    let wording = wording();
    let config = config(at(0), &[]);
    let worker = Worker::new(store, &wording, &config.worker_settings()).unwrap();
    let log = std::sync::Mutex::new(Vec::<String>::new());
    let b_started = tokio::sync::Notify::new();
    let note = |line: String| log.lock().unwrap().push(line);
    let send = async |entry: &portbot::store::OutboxEntry| {
        let body = entry.item.body.as_str();
        note(format!("start {body}"));
        match body {
            "b1" => b_started.notify_one(),
            // Sent one after another, a1 would wait here for b1 in vain.
            "a1" if tokio::time::timeout(Duration::from_secs(10), b_started.notified())
                .await
                .is_err() =>
            {
                note("a1 waited for b1 in vain".into());
            }
            _ => {}
        }
        tokio::task::yield_now().await;
        note(format!("end {body}"));
        if body == "c1" {
            Err("channel gone")
        } else {
            Ok(())
        }
    };
    let chat = worker
        .deliver(OutboxChannel::Chat, None, &send)
        .await
        .unwrap();
    let chat_lines = std::mem::take(&mut *log.lock().unwrap());
    let agents = worker
        .deliver(OutboxChannel::Agents, None, &send)
        .await
        .unwrap();
    let agents_lines = std::mem::take(&mut *log.lock().unwrap());
    ((chat, chat_lines), (agents, agents_lines))
}

// ---- configuration ----

#[test]
fn notification_settings_have_documented_defaults() {
    let config = Config::from_lookup(|_| None).unwrap();
    assert!(config.smtp_url.is_none());
    assert_eq!(config.email_from, "portbot@example.com");
    assert!(config.email_from_is_placeholder);
    assert_eq!(config.reminder_after, Some(TimeDelta::hours(24)));
    assert_eq!(config.expire_after, TimeDelta::days(7));
    assert_eq!(config.worker_interval, Duration::from_secs(10));
}

#[test]
fn bad_notification_settings_are_refused_naming_the_variable() {
    let refused = |vars: &[(&str, &str)]| {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap_err()
        .to_string()
    };
    let err = refused(&[("PORTBOT_SMTP_URL", "http://user:hunter2@mail.example.com")]);
    assert!(err.starts_with("PORTBOT_SMTP_URL"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password is never shown: {err}"
    );
    let err = refused(&[("PORTBOT_EMAIL_FROM", "not an address")]);
    assert!(err.starts_with("PORTBOT_EMAIL_FROM"), "{err}");
    let err = refused(&[("PORTBOT_REMINDER_HOURS", "200")]);
    assert!(err.starts_with("PORTBOT_REMINDER_HOURS"), "{err}");
    let err = refused(&[("PORTBOT_EXPIRE_DAYS", "0")]);
    assert!(err.starts_with("PORTBOT_EXPIRE_DAYS"), "{err}");
    let err = refused(&[("PORTBOT_WORKER_INTERVAL_SECS", "0")]);
    assert!(err.starts_with("PORTBOT_WORKER_INTERVAL_SECS"), "{err}");
}

#[test]
fn reminders_can_be_turned_off_and_tls_urls_are_accepted() {
    let config = Config::from_lookup(|name| match name {
        "PORTBOT_REMINDER_HOURS" => Some("0".into()),
        "PORTBOT_SMTP_URL" => Some("smtps://user:pass@mail.example.com:465".into()),
        "PORTBOT_EMAIL_FROM" => Some("Porting <porting@example.net>".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(config.reminder_after, None);
    assert!(!config.email_from_is_placeholder);
    for url in [
        "smtp://127.0.0.1:2525",
        "smtp://user:pass@mail.example.com:587?tls=required",
    ] {
        Config::from_lookup(|name| (name == "PORTBOT_SMTP_URL").then(|| url.to_string()))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

// ---- the real binary against a real SMTP server ----

/// A sandbox whose database the test can open too (a known key).
async fn sandbox_with_store() -> (Sandbox, Store) {
    let mut sandbox = Sandbox::new();
    let key = common::random_key();
    sandbox.set("PORTBOT_SECRET_KEY", &key);
    sandbox.set("PORTBOT_EMAIL_FROM", "Porting Desk <porting@example.net>");
    let url = format!(
        "sqlite://{}?mode=rwc",
        sandbox.data_dir().join("portbot.db").display()
    );
    let store = Store::connect(&url, Cipher::from_base64(&key).unwrap())
        .await
        .unwrap();
    (sandbox, store)
}

fn foc_notice(n: usize) -> Notice {
    Notice {
        kind: NoticeKind::FocConfirmed,
        ticket_number: Some(format!("PB-{}", 10001 + n)),
        conversation_id: None,
        customer_platform: "discord".into(),
        customer_id: "42".into(),
        email: Some(format!("alice{n}@example.com")),
        values: vec![
            ("number", format!("PB-{}", 10001 + n)),
            ("numbers", "(312) 448-2915, (312) 448-2916".into()),
            ("date", "Monday, December 7, 2026".into()),
        ],
    }
}

/// The email items of a notice, queued at `now`.
async fn queue_email(store: &Store, notice: &Notice, now: DateTime<Utc>) -> NewOutboxItem {
    let items = compose(notice, &wording());
    store.enqueue_outbox(&items, now).await.unwrap();
    items
        .into_iter()
        .find(|i| i.channel == OutboxChannel::Email)
        .unwrap()
}

fn sandbox_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(binary::NOW)
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_delivers_a_queued_email_with_the_right_from_to_subject_and_body() {
    let Some(smtp) = SmtpSink::start(None) else {
        return;
    };
    let (mut sandbox, store) = sandbox_with_store().await;
    sandbox.set("PORTBOT_SMTP_URL", &smtp.url());
    let email = queue_email(&store, &foc_notice(0), sandbox_now()).await;

    let out = sandbox.run(&["worker", "--once"]);
    assert!(out.contains("Sent 1 email(s), 0 failed"), "{out}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["mail_from"], "porting@example.net");
    assert_eq!(m["rcpt_tos"], serde_json::json!(["alice0@example.com"]));
    assert_eq!(m["from"], "Porting Desk <porting@example.net>");
    assert_eq!(m["to"], "alice0@example.com");
    assert_eq!(
        m["subject"],
        "Port date confirmed for Monday, December 7, 2026 (request PB-10001)"
    );
    assert_eq!(m["subject"].as_str(), Some(email.subject.as_str()));
    assert_eq!(m["content_type"], "text/plain");
    let body = m["body"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(body.trim_end(), email.body.trim_end());
    for part in [
        "PB-10001",
        "(312) 448-2915, (312) 448-2916",
        "Monday, December 7, 2026",
        "11:30 AM Eastern",
    ] {
        assert!(body.contains(part), "{part}: {body}");
    }
    let message_id = m["message_id"].as_str().unwrap();
    assert!(
        message_id.starts_with("<portbot.outbox.") && message_id.ends_with("@example.net>"),
        "{message_id}"
    );

    // Delivered once: the next pass sends nothing.
    let out = sandbox.run(&["worker", "--once"]);
    assert!(out.contains("Sent 0 email(s)"), "{out}");
    assert_eq!(smtp.messages().len(), 1);
    assert!(
        store
            .undelivered_outbox()
            .await
            .unwrap()
            .iter()
            .all(|e| e.item.channel == OutboxChannel::Chat)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_sent_while_the_server_is_down_waits_and_goes_out_when_it_is_back() {
    if !smtp_server_available() {
        return;
    }
    let (mut sandbox, store) = sandbox_with_store().await;
    let port = free_port();
    sandbox.set("PORTBOT_SMTP_URL", &format!("smtp://127.0.0.1:{port}"));
    let email = queue_email(&store, &foc_notice(0), sandbox_now()).await;

    // Nobody listens: the attempt is recorded with its backoff, and the email is kept.
    let out = sandbox.run(&["worker", "--once"]);
    assert!(
        out.contains("Sent 0 email(s), 1 failed (0 given up)"),
        "{out}"
    );
    let waiting: Vec<_> = store
        .undelivered_outbox()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.item.channel == OutboxChannel::Email)
        .collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].attempts, 1);
    assert_eq!(
        waiting[0].next_attempt_at,
        sandbox_now() + TimeDelta::minutes(1)
    );
    assert!(
        waiting[0]
            .last_error
            .as_deref()
            .is_some_and(|e| !e.is_empty())
    );
    let listed = sandbox.run(&["tickets", "outbox", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&listed).unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e["channel"] == "email" && e["attempts"] == 1),
        "{listed:?}"
    );

    // The server is back, but the retry is not due yet.
    let smtp = SmtpSink::start(Some(port)).unwrap();
    let out = sandbox.run(&["worker", "--once"]);
    assert!(out.contains("Sent 0 email(s), 0 failed"), "{out}");
    assert!(smtp.messages().is_empty());

    // A minute later it goes out.
    sandbox.set("PORTBOT_NOW", "2026-11-23T15:01:00Z");
    let out = sandbox.run(&["worker", "--once"]);
    assert!(out.contains("Sent 1 email(s), 0 failed"), "{out}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0]["subject"].as_str(),
        Some(email.subject.as_str())
    );
    assert_eq!(
        sandbox.run(&["tickets", "outbox", "--failed"]).trim(),
        "No failed notifications."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_worker_pass_delivers_a_backlog_of_emails() {
    let Some(smtp) = SmtpSink::start(None) else {
        return;
    };
    let (mut sandbox, store) = sandbox_with_store().await;
    sandbox.set("PORTBOT_SMTP_URL", &smtp.url());
    const COUNT: usize = 100;
    for n in 0..COUNT {
        queue_email(&store, &foc_notice(n), sandbox_now()).await;
    }
    let started = Instant::now();
    let out = sandbox.run(&["worker", "--once"]);
    let elapsed = started.elapsed();
    assert!(
        out.contains(&format!("Sent {COUNT} email(s), 0 failed")),
        "{out}"
    );
    let messages = smtp.messages();
    assert_eq!(messages.len(), COUNT);
    let recipients: HashSet<_> = messages
        .iter()
        .map(|m| m["to"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(recipients.len(), COUNT, "each email once");
    eprintln!(
        "one worker pass delivered {COUNT} emails in {} ms ({:.0} per second, process start included)",
        elapsed.as_millis(),
        COUNT as f64 / elapsed.as_secs_f64()
    );
}

// ---- reminders and expiry with a moved clock ----

#[test]
fn a_quiet_customer_is_reminded_after_a_day_and_the_conversation_closed_after_a_week() {
    let mut sandbox = Sandbox::new();
    let mut chat = sandbox.chat("alice");
    let greeting = chat.read_turn()[0]["text"].clone();
    chat.say("1");
    chat.close();

    let worker_at = |sandbox: &mut Sandbox, now: &str| {
        sandbox.set("PORTBOT_NOW", now);
        sandbox.run(&["worker", "--once"])
    };
    let out = worker_at(&mut sandbox, "2026-11-24T14:59:00Z");
    assert!(
        out.contains("reminded 0, closed 0"),
        "not quiet for a day yet: {out}"
    );
    let out = worker_at(&mut sandbox, "2026-11-24T15:00:00Z");
    assert!(out.contains("reminded 1, closed 0"), "{out}");
    let out = worker_at(&mut sandbox, "2026-11-26T15:00:00Z");
    assert!(
        out.contains("reminded 0, closed 0"),
        "one reminder per quiet spell: {out}"
    );

    let pending = |sandbox: &Sandbox| -> Vec<Value> {
        serde_json::from_str(&sandbox.run(&["tickets", "outbox", "--json"])).unwrap()
    };
    let notices = pending(&sandbox);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["channel"], "chat");
    assert_eq!(notices[0]["customer"], "console:alice");
    assert!(
        notices[0]["body"].as_str().unwrap().contains("7 days"),
        "{notices:?}"
    );

    let out = worker_at(&mut sandbox, "2026-11-30T15:00:00Z");
    assert!(out.contains("reminded 0, closed 1"), "{out}");
    let notices = pending(&sandbox);
    assert_eq!(notices.len(), 2);
    assert!(
        notices[1]["body"].as_str().unwrap().contains("closed"),
        "{notices:?}"
    );
    let out = worker_at(&mut sandbox, "2026-12-30T15:00:00Z");
    assert!(out.contains("reminded 0, closed 0"), "{out}");

    // The customer comes back to a fresh conversation.
    let mut chat = sandbox.chat("alice");
    let opening = chat.read_turn();
    assert!(
        opening.iter().any(|m| m["text"] == greeting),
        "a new conversation starts with the greeting: {opening:?}"
    );
    chat.close();
}

#[test]
fn reminder_and_expiry_intervals_are_configurable() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_REMINDER_HOURS", "2");
    sandbox.set("PORTBOT_EXPIRE_DAYS", "1");
    let mut chat = sandbox.chat("bob");
    chat.read_turn();
    chat.close();
    sandbox.set("PORTBOT_NOW", "2026-11-23T17:00:00Z");
    assert!(
        sandbox
            .run(&["worker", "--once"])
            .contains("reminded 1, closed 0")
    );
    sandbox.set("PORTBOT_NOW", "2026-11-24T15:00:00Z");
    assert!(
        sandbox
            .run(&["worker", "--once"])
            .contains("reminded 0, closed 1")
    );
}

#[test]
fn the_outbox_listing_says_when_nothing_waits() {
    let sandbox = Sandbox::new();
    assert_eq!(
        sandbox.run(&["tickets", "outbox"]).trim(),
        "No notifications waiting."
    );
    assert_eq!(
        sandbox.run(&["tickets", "outbox", "--failed"]).trim(),
        "No failed notifications."
    );
    assert_eq!(sandbox.run(&["tickets", "outbox", "--json"]).trim(), "[]");
    let output = sandbox
        .command(&["tickets", "outbox", "--retry", "7"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no undelivered notification 7"));
}
