//! The store queries the Discord adapter adds, on both backends: finding whose conversation a
//! channel holds, and moving a conversation to a new thread.

mod common;

use common::{TestDb, start_conversation};

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-23T15:00:00Z".parse().unwrap()
}

async fn a_channel_leads_to_the_customer_whose_open_conversation_runs_there(db: TestDb) {
    let store = &db.store;
    let zoe = start_conversation(store, "discord", "111", now()).await;
    start_conversation(store, "discord", "222", now()).await;
    assert_eq!(
        store.customer_in_channel("discord", "900").await.unwrap(),
        None
    );

    store.set_conversation_channel(zoe.id, "900").await.unwrap();
    assert_eq!(
        store.customer_in_channel("discord", "900").await.unwrap(),
        Some("111".to_string())
    );
    // Another platform's channel with the same id is not Discord's.
    assert_eq!(
        store.customer_in_channel("console", "900").await.unwrap(),
        None
    );
    let moved = store.conversation(zoe.id).await.unwrap().unwrap();
    assert_eq!(moved.channel_id.as_deref(), Some("900"));
    assert_eq!(moved.version, zoe.version, "moving is not a turn");
}

contract_tests!(a_channel_leads_to_the_customer_whose_open_conversation_runs_there);
