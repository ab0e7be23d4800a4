//! The store queries the Discord adapter adds, on both backends: finding whose conversation a
//! channel holds (or held), moving a conversation to a new thread, and where a customer's
//! notices go.

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

    // Finished, the thread is still hers; an open conversation there wins over a finished one.
    finish(store, &zoe).await;
    assert_eq!(
        store.customer_in_channel("discord", "900").await.unwrap(),
        Some("111".to_string())
    );
    let other = start_conversation(store, "discord", "333", now()).await;
    store
        .set_conversation_channel(other.id, "900")
        .await
        .unwrap();
    let newer = start_conversation(store, "discord", "444", now()).await;
    store
        .set_conversation_channel(newer.id, "900")
        .await
        .unwrap();
    finish(store, &newer).await;
    assert_eq!(
        store.customer_in_channel("discord", "900").await.unwrap(),
        Some("333".to_string())
    );
}

async fn a_customers_notices_go_to_their_open_conversations_channel_else_their_newest(db: TestDb) {
    let store = &db.store;
    assert_eq!(
        store.customer_channel("discord", "111").await.unwrap(),
        None
    );
    let first = start_conversation(store, "discord", "111", now()).await;
    assert_eq!(
        store.customer_channel("discord", "111").await.unwrap(),
        None,
        "a conversation without a channel gives none"
    );
    store
        .set_conversation_channel(first.id, "900")
        .await
        .unwrap();
    assert_eq!(
        store.customer_channel("discord", "111").await.unwrap(),
        Some("900".to_string())
    );
    // A newer, finished conversation elsewhere does not beat the open one.
    let later = start_conversation(store, "discord", "111", now()).await;
    store
        .set_conversation_channel(later.id, "901")
        .await
        .unwrap();
    finish(store, &later).await;
    assert_eq!(
        store.customer_channel("discord", "111").await.unwrap(),
        Some("900".to_string())
    );
    // With nothing open, the newest conversation's channel.
    finish(store, &first).await;
    assert_eq!(
        store.customer_channel("discord", "111").await.unwrap(),
        Some("901".to_string())
    );
    assert_eq!(
        store.customer_channel("console", "111").await.unwrap(),
        None
    );
    assert_eq!(
        store.customer_channel("discord", "222").await.unwrap(),
        None
    );
}

async fn a_channels_lookup_is_for_whose_conversation_it_holds(db: TestDb) {
    use portbot::store::{ConversationStatus, TurnOutcome, TurnWrite};
    let store = &db.store;
    let since = now() - chrono::Duration::days(1);
    let look = |message| store.lookup_in_channel("discord", "900", Some(message), since);
    let nobody = look("m1").await.unwrap();
    assert_eq!(nobody.owner, None);
    assert!(nobody.lookup.open.is_none() && nobody.lookup.started_since == 0);

    let zoe = start_conversation(store, "discord", "111", now()).await;
    start_conversation(store, "discord", "222", now()).await;
    store.set_conversation_channel(zoe.id, "900").await.unwrap();
    let hers = look("m1").await.unwrap();
    assert_eq!(hers.owner.as_deref(), Some("111"));
    assert_eq!(
        hers.lookup.open.as_ref(),
        store.conversation(zoe.id).await.unwrap().as_ref(),
        "her open conversation, as stored"
    );
    assert!(!hers.lookup.message_seen && !hers.lookup.created);
    assert_eq!(hers.lookup.started_since, 1);

    // Her message "m1" finishes it: the thread is still hers, with nothing open, and "m1" is
    // seen.
    let write = TurnWrite {
        status: ConversationStatus::Finished,
        incoming_message_id: Some("m1".into()),
        ..TurnWrite::new(&zoe, now())
    };
    let outcome = store.apply_turn(write).await.unwrap();
    assert!(matches!(outcome, TurnOutcome::Applied { .. }));
    let finished = look("m1").await.unwrap();
    assert_eq!(finished.owner.as_deref(), Some("111"));
    assert!(finished.lookup.open.is_none() && finished.lookup.message_seen);

    // Someone else's open conversation there wins, and the lookup is for them.
    let other = start_conversation(store, "discord", "333", now()).await;
    store
        .set_conversation_channel(other.id, "900")
        .await
        .unwrap();
    let theirs = look("m2").await.unwrap();
    assert_eq!(theirs.owner.as_deref(), Some("333"));
    assert_eq!(theirs.lookup.open.map(|c| c.id), Some(other.id));
    // Another platform's channel with the same id is not Discord's.
    let elsewhere = store.lookup_in_channel("console", "900", None, since);
    assert_eq!(elsewhere.await.unwrap().owner, None);
}

async fn finish(store: &portbot::store::Store, conversation: &portbot::store::Conversation) {
    use portbot::store::{ConversationStatus, TurnOutcome, TurnWrite};
    let current = store.conversation(conversation.id).await.unwrap().unwrap();
    let write = TurnWrite {
        status: ConversationStatus::Finished,
        ..TurnWrite::new(&current, now())
    };
    assert!(matches!(
        store.apply_turn(write).await.unwrap(),
        TurnOutcome::Applied { .. }
    ));
}

/// The plan of `customer_in_channel`'s query, as the backend's EXPLAIN prints it.
async fn channel_lookup_plan(db: &TestDb) -> String {
    use sqlx::{Connection, Row};
    let query = "SELECT customer_id FROM conversations WHERE platform = 'discord' \
                 AND channel_id = '900' ORDER BY CASE WHEN status IN ('active', \
                 'paused_for_agent') THEN 0 ELSE 1 END, id DESC LIMIT 1";
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let explain = if db.url.starts_with("sqlite") {
        format!("EXPLAIN QUERY PLAN {query}")
    } else {
        // A test database is small enough that PostgreSQL would scan it anyway.
        sqlx::query("SET enable_seqscan = off")
            .execute(&mut connection)
            .await
            .unwrap();
        format!("EXPLAIN {query}")
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(explain))
        .fetch_all(&mut connection)
        .await
        .unwrap();
    // SQLite: (id, parent, notused, detail); PostgreSQL: one text column per line.
    let column = if db.url.starts_with("sqlite") { 3 } else { 0 };
    rows.iter()
        .map(|r| r.try_get::<String, _>(column).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn finding_whose_conversation_a_channel_holds_uses_an_index(db: TestDb) {
    for i in 0..50 {
        start_conversation(&db.store, "discord", &i.to_string(), now()).await;
    }
    let plan = channel_lookup_plan(&db).await;
    assert!(plan.contains("conversations_by_channel"), "{plan}");
}

contract_tests!(
    finding_whose_conversation_a_channel_holds_uses_an_index,
    a_channel_leads_to_the_customer_whose_open_conversation_runs_there,
    a_customers_notices_go_to_their_open_conversations_channel_else_their_newest,
    a_channels_lookup_is_for_whose_conversation_it_holds,
);
