//! The store contract: every test here runs on a fresh SQLite file and, when
//! `PORTBOT_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database
//! (`sqlite::<name>`, `postgres::<name>`).

mod common;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::TestDb;
use portbot::porting::{
    CustomerType, Email, NumberKind, NumberType, PhoneNumber, PortRequest, SignatureRecord,
    UsAddress,
};
use portbot::store::{
    Conversation, ConversationStatus, CreateIfNone, DocumentKind, NewConversation, NewDocument,
    NewOutboxItem, NewTicket, NewTranscriptLine, OutboxChannel, SecretKind, Speaker, Store,
    StoreError, TicketFilter, TicketStatus, TurnOutcome, TurnWrite,
};
use secrecy::{ExposeSecret, SecretString};

contract_tests!(
    migrations_run_again_harmlessly_on_every_reconnect,
    a_new_conversation_is_active_at_version_zero_and_reopens_for_its_customer,
    a_finished_conversation_is_not_reopened,
    a_turn_writes_state_transcript_secrets_and_documents_together,
    clearing_a_secret_removes_it_and_setting_it_again_replaces_it,
    a_stale_version_is_a_conflict_and_writes_nothing,
    a_repeated_message_id_is_a_duplicate_and_writes_nothing,
    a_turn_for_a_missing_conversation_is_an_error,
    racing_turns_on_one_version_apply_exactly_once,
    a_message_delivered_twice_at_once_applies_exactly_once,
    a_turn_that_saw_no_notices_waits_for_them_to_be_read,
    a_plain_turn_keeps_its_transcript_lines_in_order,
    turns_committed_together_keep_their_own_outcomes,
    a_message_id_taken_by_another_process_meanwhile_fails_only_its_own_turn,
    a_lookup_starts_a_conversation_only_for_a_new_message_under_the_days_limit,
    a_ticket_round_trips_with_its_numbers_secrets_and_loa,
    a_ticket_without_pin_or_account_number_says_so,
    ticket_numbers_are_unique_and_increasing_even_when_taken_concurrently,
    tickets_list_newest_first_and_filter_by_status_and_customer,
    a_customers_ticket_lines_are_their_newest_tickets_with_numbers_in_order,
    a_wrong_key_fails_at_connect,
    secrets_and_documents_never_reach_the_database_in_plaintext,
);

// Values distinctive enough that finding them in raw storage cannot be a coincidence.
const PIN: &str = "58213907";
const ACCOUNT: &str = "ACCT-7731-99024-QX";
const BILL: &[u8] = b"%PDF-1.4 statement for ACCT-7731-99024-QX: amount due 41.17";
const LOA: &[u8] = b"%PDF-1.7 letter of authorization, signed by Alice Smith";

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, minute, 0).unwrap()
}

fn phone(e164: &str) -> PhoneNumber {
    serde_json::from_value(serde_json::json!(e164)).unwrap()
}

fn request(numbers: &[&str], account: Option<&str>) -> PortRequest {
    let numbers: Vec<PhoneNumber> = numbers.iter().map(|n| phone(n)).collect();
    PortRequest {
        kind: numbers[0].kind(),
        numbers,
        carrier: "Old Telco".into(),
        number_type: NumberType::Landline,
        customer_type: CustomerType::Business,
        customer_name: "Zoë's Bakery LLC".into(),
        service_address: UsAddress {
            street: "123 Main St".into(),
            unit: Some("Suite 4".into()),
            city: "Springfield".into(),
            state: "IL".into(),
            zip: "62704-1234".into(),
        },
        authorized_name: "Alice Smith".into(),
        authorized_title: Some("Owner".into()),
        btn: Some(phone("+13124482915")),
        account_number: account.map(str::to_string),
        partial_port: true,
        new_btn: Some(phone("+13124482917")),
        requested_port_date: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        email: Email::parse("alice@example.com").unwrap(),
    }
}

fn new_ticket(number: &str, request: PortRequest, pin: Option<&str>) -> NewTicket {
    let signature =
        SignatureRecord::sign(&request, "Alice Smith", "console:alice", at(30), number, 1);
    NewTicket {
        number: number.to_string(),
        request,
        signature,
        pin: pin.map(SecretString::from),
        loa_pdf: LOA.to_vec(),
        status: TicketStatus::Submitted,
    }
}

async fn start(store: &Store, platform: &str, customer: &str) -> Conversation {
    store
        .create_conversation(NewConversation {
            platform: platform.into(),
            channel_id: Some("thread-1".into()),
            customer_id: customer.into(),
            flow: "port_in".into(),
            step: Some("numbers".into()),
            state: r#"{"step":"numbers"}"#.into(),
            now: at(0),
        })
        .await
        .unwrap()
}

/// A turn that changes nothing but the state; tests add what they need.
fn turn(conversation: &Conversation, state: &str) -> TurnWrite {
    TurnWrite {
        conversation_id: conversation.id,
        expected_version: conversation.version,
        flow: "port_in".into(),
        step: Some("carrier".into()),
        state: state.into(),
        status: ConversationStatus::Active,
        ..TurnWrite::new(conversation, at(1))
    }
}

fn line(who: Speaker, text: &str) -> NewTranscriptLine {
    NewTranscriptLine {
        who,
        text: text.into(),
        attachment: None,
        platform_message_id: None,
    }
}

fn bill() -> NewDocument {
    NewDocument {
        kind: DocumentKind::Bill,
        file_name: "statement.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: BILL.to_vec(),
    }
}

async fn secret(store: &Store, conversation_id: i64, kind: SecretKind) -> Option<String> {
    store
        .conversation_secret(conversation_id, kind)
        .await
        .unwrap()
        .map(|s| s.expose_secret().to_string())
}

/// A turn carrying one of everything, so "nothing was written" can be checked everywhere.
fn full_turn(conversation: &Conversation, ticket_number: &str) -> TurnWrite {
    let mut write = turn(conversation, r#"{"step":"done"}"#);
    write.transcript = vec![line(Speaker::Customer, "yes"), line(Speaker::Bot, "Done.")];
    write.secrets = vec![(SecretKind::Pin, SecretString::from(PIN))];
    write.documents = vec![bill()];
    write.tickets = vec![new_ticket(
        ticket_number,
        request(&["+13124482915"], Some(ACCOUNT)),
        Some(PIN),
    )];
    write
}

async fn assert_nothing_written(db: &TestDb, before: &Conversation, ticket_number: &str) {
    let now = db.store.conversation(before.id).await.unwrap().unwrap();
    assert_eq!(&now, before);
    assert!(db.store.transcript(before.id).await.unwrap().is_empty());
    assert_eq!(secret(&db.store, before.id, SecretKind::Pin).await, None);
    assert!(
        db.store
            .conversation_documents(before.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(db.store.ticket(ticket_number).await.unwrap(), None);
}

async fn migrations_run_again_harmlessly_on_every_reconnect(db: TestDb) {
    let conversation = start(&db.store, "console", "alice").await;
    for _ in 0..2 {
        let again = db.reconnect(&db.key).await.unwrap();
        assert_eq!(again.backend(), db.store.backend());
        assert_eq!(
            again.conversation(conversation.id).await.unwrap(),
            Some(conversation.clone())
        );
    }
}

async fn a_new_conversation_is_active_at_version_zero_and_reopens_for_its_customer(db: TestDb) {
    let store = &db.store;
    let conversation = start(store, "console", "alice").await;
    assert_eq!(conversation.status, ConversationStatus::Active);
    assert_eq!(conversation.version, 0);
    assert_eq!(conversation.platform, "console");
    assert_eq!(conversation.channel_id.as_deref(), Some("thread-1"));
    assert_eq!(conversation.step.as_deref(), Some("numbers"));
    assert_eq!(conversation.created_at, at(0));
    assert_eq!(conversation.updated_at, at(0));

    let reopened = store.open_conversation("console", "alice").await.unwrap();
    assert_eq!(reopened, Some(conversation.clone()));
    assert_eq!(
        store.open_conversation("console", "bob").await.unwrap(),
        None
    );
    assert_eq!(
        store.open_conversation("discord", "alice").await.unwrap(),
        None
    );

    // Paused for an agent is still open; the newest open one wins.
    let mut pause = turn(&conversation, "{}");
    pause.status = ConversationStatus::PausedForAgent;
    store.apply_turn(pause).await.unwrap();
    let newer = start(store, "console", "alice").await;
    let reopened = store.open_conversation("console", "alice").await.unwrap();
    assert_eq!(reopened.map(|c| c.id), Some(newer.id));
}

async fn a_finished_conversation_is_not_reopened(db: TestDb) {
    let store = &db.store;
    for status in [ConversationStatus::Finished, ConversationStatus::Cancelled] {
        let conversation = start(store, "console", "carol").await;
        let mut end = turn(&conversation, "{}");
        end.status = status;
        store.apply_turn(end).await.unwrap();
        assert_eq!(
            store.open_conversation("console", "carol").await.unwrap(),
            None
        );
        let stored = store.conversation(conversation.id).await.unwrap().unwrap();
        assert_eq!(stored.status, status);
    }
}

async fn a_turn_writes_state_transcript_secrets_and_documents_together(db: TestDb) {
    let store = &db.store;
    let conversation = start(store, "console", "alice").await;
    let mut write = turn(
        &conversation,
        r#"{"step":"carrier","numbers":["+13124482915"]}"#,
    );
    write.incoming_message_id = Some("m-1".into());
    write.transcript = vec![
        NewTranscriptLine {
            who: Speaker::Customer,
            text: "312 448 2915".into(),
            attachment: Some("statement.pdf".into()),
            platform_message_id: Some("m-1".into()),
        },
        line(Speaker::Bot, "Who is your current carrier?"),
    ];
    write.secrets = vec![
        (SecretKind::Pin, SecretString::from(PIN)),
        (SecretKind::AccountNumber, SecretString::from(ACCOUNT)),
    ];
    write.documents = vec![bill()];

    let outcome = store.apply_turn(write).await.unwrap();
    assert_eq!(outcome, TurnOutcome::Applied { version: 1 });

    let stored = store.conversation(conversation.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.step.as_deref(), Some("carrier"));
    assert_eq!(
        stored.state,
        r#"{"step":"carrier","numbers":["+13124482915"]}"#
    );
    assert_eq!(stored.created_at, at(0));
    assert_eq!(stored.updated_at, at(1));

    let transcript = store.transcript(conversation.id).await.unwrap();
    assert_eq!(transcript.len(), 2);
    assert_eq!(transcript[0].who, Speaker::Customer);
    assert_eq!(transcript[0].text, "312 448 2915");
    assert_eq!(transcript[0].attachment.as_deref(), Some("statement.pdf"));
    assert_eq!(transcript[0].at, at(1));
    assert_eq!(transcript[1].who, Speaker::Bot);
    assert_eq!(transcript[1].attachment, None);

    assert_eq!(
        secret(store, conversation.id, SecretKind::Pin)
            .await
            .as_deref(),
        Some(PIN)
    );
    assert_eq!(
        secret(store, conversation.id, SecretKind::AccountNumber)
            .await
            .as_deref(),
        Some(ACCOUNT)
    );

    let documents = store.conversation_documents(conversation.id).await.unwrap();
    assert_eq!(documents.len(), 1);
    let document = &documents[0];
    assert_eq!(document.kind, DocumentKind::Bill);
    assert_eq!(document.file_name, "statement.pdf");
    assert_eq!(document.content_type, "application/pdf");
    assert_eq!(document.bytes, BILL);
    assert_eq!(document.size, BILL.len() as i64);
    assert_eq!(document.version, None);
    assert_eq!(document.created_at, at(1));
    use sha2::Digest;
    let expected: String = sha2::Sha256::digest(BILL)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(document.sha256, expected);
}

async fn clearing_a_secret_removes_it_and_setting_it_again_replaces_it(db: TestDb) {
    let store = &db.store;
    let conversation = start(store, "console", "alice").await;
    let mut first = turn(&conversation, "{}");
    first.secrets = vec![
        (SecretKind::Pin, SecretString::from("1111")),
        (SecretKind::AccountNumber, SecretString::from("A-1")),
    ];
    store.apply_turn(first).await.unwrap();

    let mut second = turn(
        &store.conversation(conversation.id).await.unwrap().unwrap(),
        "{}",
    );
    second.clear_secrets = vec![SecretKind::Pin];
    second.secrets = vec![(SecretKind::AccountNumber, SecretString::from("A-2"))];
    assert_eq!(
        store.apply_turn(second).await.unwrap(),
        TurnOutcome::Applied { version: 2 }
    );
    assert_eq!(secret(store, conversation.id, SecretKind::Pin).await, None);
    assert_eq!(
        secret(store, conversation.id, SecretKind::AccountNumber)
            .await
            .as_deref(),
        Some("A-2")
    );
}

async fn a_stale_version_is_a_conflict_and_writes_nothing(db: TestDb) {
    let store = &db.store;
    let conversation = start(store, "console", "alice").await;
    let number = store.next_ticket_number().await.unwrap();

    let mut stale = full_turn(&conversation, &number);
    stale.expected_version = 7;
    stale.incoming_message_id = Some("m-1".into());
    assert_eq!(
        store.apply_turn(stale).await.unwrap(),
        TurnOutcome::Conflict
    );
    assert_nothing_written(&db, &conversation, &number).await;

    // The conflicting turn's message id was rolled back with it: the retry is not a duplicate.
    let mut retry = full_turn(&conversation, &number);
    retry.incoming_message_id = Some("m-1".into());
    assert_eq!(
        store.apply_turn(retry).await.unwrap(),
        TurnOutcome::Applied { version: 1 }
    );
    assert!(store.ticket(&number).await.unwrap().is_some());
}

async fn a_repeated_message_id_is_a_duplicate_and_writes_nothing(db: TestDb) {
    let store = &db.store;
    let conversation = start(store, "console", "alice").await;
    let mut first = turn(&conversation, r#"{"n":1}"#);
    first.incoming_message_id = Some("m-1".into());
    first.transcript = vec![line(Speaker::Customer, "hello")];
    assert_eq!(
        store.apply_turn(first).await.unwrap(),
        TurnOutcome::Applied { version: 1 }
    );
    let after_first = store.conversation(conversation.id).await.unwrap().unwrap();

    let number = store.next_ticket_number().await.unwrap();
    let mut again = full_turn(&after_first, &number);
    again.incoming_message_id = Some("m-1".into());
    assert_eq!(
        store.apply_turn(again).await.unwrap(),
        TurnOutcome::Duplicate
    );
    assert_eq!(
        store.conversation(conversation.id).await.unwrap().unwrap(),
        after_first
    );
    assert_eq!(store.transcript(conversation.id).await.unwrap().len(), 1);
    assert_eq!(secret(store, conversation.id, SecretKind::Pin).await, None);
    assert!(
        store
            .conversation_documents(conversation.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.ticket(&number).await.unwrap(), None);

    // Message ids are unique per platform, not across platforms.
    let elsewhere = start(store, "discord", "alice").await;
    let mut other = turn(&elsewhere, "{}");
    other.incoming_message_id = Some("m-1".into());
    assert_eq!(
        store.apply_turn(other).await.unwrap(),
        TurnOutcome::Applied { version: 1 }
    );
}

async fn a_turn_for_a_missing_conversation_is_an_error(db: TestDb) {
    let conversation = start(&db.store, "console", "alice").await;
    let mut write = turn(&conversation, "{}");
    write.conversation_id = conversation.id + 1000;
    write.incoming_message_id = Some("m-1".into());
    let error = db.store.apply_turn(write).await.unwrap_err();
    assert!(
        matches!(error, StoreError::ConversationNotFound(id) if id == conversation.id + 1000),
        "{error}"
    );
}

/// Ten processes answering the same turn: one wins, the others are told to reload.
async fn racing_turns_on_one_version_apply_exactly_once(db: TestDb) {
    let conversation = start(&db.store, "console", "alice").await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = db.store.clone();
            let mut write = turn(&conversation, &format!(r#"{{"winner":{i}}}"#));
            write.transcript = vec![line(Speaker::Bot, &format!("reply {i}"))];
            tokio::spawn(async move { store.apply_turn(write).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let applied = outcomes
        .iter()
        .filter(|o| **o == TurnOutcome::Applied { version: 1 })
        .count();
    let conflicts = outcomes
        .iter()
        .filter(|o| **o == TurnOutcome::Conflict)
        .count();
    assert_eq!((applied, conflicts), (1, 9), "{outcomes:?}");
    let transcript = db.store.transcript(conversation.id).await.unwrap();
    assert_eq!(transcript.len(), 1);
    let stored = db
        .store
        .conversation(conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(
        stored.state,
        format!(r#"{{"winner":{}}}"#, &transcript[0].text["reply ".len()..])
    );
}

/// The platform redelivers one message to several processes at once: one applies it, the others
/// see a duplicate (not a conflict, so nobody retries it).
async fn a_message_delivered_twice_at_once_applies_exactly_once(db: TestDb) {
    let conversation = start(&db.store, "console", "alice").await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = db.store.clone();
            let mut write = turn(&conversation, "{}");
            write.incoming_message_id = Some("m-1".into());
            write.transcript = vec![line(Speaker::Customer, "hello")];
            tokio::spawn(async move { store.apply_turn(write).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let applied = outcomes
        .iter()
        .filter(|o| matches!(o, TurnOutcome::Applied { .. }))
        .count();
    let duplicates = outcomes
        .iter()
        .filter(|o| **o == TurnOutcome::Duplicate)
        .count();
    assert_eq!((applied, duplicates), (1, 9), "{outcomes:?}");
    assert_eq!(db.store.transcript(conversation.id).await.unwrap().len(), 1);
}

/// A turn from a process's cached copy of the conversation did not look for chat notices: if one
/// waits, the turn is a conflict (the caller reloads, notices included) and writes nothing.
async fn a_turn_that_saw_no_notices_waits_for_them_to_be_read(db: TestDb) {
    let conversation = start(&db.store, "console", "alice").await;
    let notice = NewOutboxItem {
        channel: OutboxChannel::Chat,
        ticket_number: None,
        conversation_id: Some(conversation.id),
        customer_platform: "console".into(),
        customer_id: "alice".into(),
        recipient: None,
        subject: "Ticket update".into(),
        body: "Your port date is confirmed.".into(),
    };
    db.store.enqueue_outbox(&[notice], at(1)).await.unwrap();

    let mut blind = turn(&conversation, "{}");
    blind.no_notices_seen = true;
    blind.incoming_message_id = Some("m-1".into());
    blind.transcript = vec![line(Speaker::Customer, "AT&T")];
    assert_eq!(
        db.store.apply_turn(blind.clone()).await.unwrap(),
        TurnOutcome::Conflict
    );
    assert!(
        db.store
            .transcript(conversation.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Once read (a turn that saw it marks it delivered), the same turn applies.
    let pending = db
        .store
        .pending_chat_notices("console", "alice", at(1))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    db.store
        .mark_outbox_delivered(&[pending[0].id], at(2))
        .await
        .unwrap();
    assert!(matches!(
        db.store.apply_turn(blind).await.unwrap(),
        TurnOutcome::Applied { version: 1 }
    ));
    assert_eq!(db.store.transcript(conversation.id).await.unwrap().len(), 1);
}

/// The one-round-trip path writes a turn's lines in the order given, after the earlier turns'.
async fn a_plain_turn_keeps_its_transcript_lines_in_order(db: TestDb) {
    let conversation = start(&db.store, "console", "alice").await;
    let mut version = conversation.version;
    for round in 0..3 {
        let mut write = turn(&conversation, "{}");
        write.expected_version = version;
        write.incoming_message_id = Some(format!("m-{round}"));
        write.transcript = (0..5)
            .map(|i| {
                line(
                    if i == 0 {
                        Speaker::Customer
                    } else {
                        Speaker::Bot
                    },
                    &format!("{round}.{i}"),
                )
            })
            .collect();
        match db.store.apply_turn(write).await.unwrap() {
            TurnOutcome::Applied { version: v } => version = v,
            other => panic!("round {round}: {other:?}"),
        }
    }
    let texts: Vec<String> = db
        .store
        .transcript(conversation.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    let expected: Vec<String> = (0..3)
        .flat_map(|r| (0..5).map(move |i| format!("{r}.{i}")))
        .collect();
    assert_eq!(texts, expected);
    assert_eq!(version, 3);
}

/// Many customers at once (SQLite commits their plain turns in groups): in each conversation
/// the current turn applies, a stale one and a replayed message write nothing, and neither
/// undoes the turns committed beside them.
async fn turns_committed_together_keep_their_own_outcomes(db: TestDb) {
    let mut conversations = Vec::new();
    for i in 0..20 {
        conversations.push(start(&db.store, "console", &format!("c{i}")).await);
    }
    let mut tasks = Vec::new();
    for (i, conversation) in conversations.iter().enumerate() {
        for (kind, version, key) in [
            ("current", conversation.version, format!("m-{i}")),
            ("stale", conversation.version - 1, format!("s-{i}")),
            ("replay", conversation.version, format!("m-{i}")),
        ] {
            let store = db.store.clone();
            let mut write = turn(conversation, &format!(r#"{{"by":"{kind}"}}"#));
            write.expected_version = version;
            write.incoming_message_id = Some(key);
            write.transcript = vec![line(Speaker::Customer, kind)];
            // A secret rides along: written with its turn or not at all.
            write.secrets = vec![(SecretKind::Pin, SecretString::from(kind))];
            tasks.push(tokio::spawn(async move {
                (kind, store.apply_turn(write).await.unwrap())
            }));
        }
    }
    let mut applied = 0;
    for task in tasks {
        match task.await.unwrap() {
            ("stale", outcome) => assert_eq!(outcome, TurnOutcome::Conflict),
            (_, TurnOutcome::Applied { .. }) => applied += 1,
            // The current turn and its replay race: whichever runs second is the duplicate.
            (_, outcome) => assert_eq!(outcome, TurnOutcome::Duplicate),
        }
    }
    assert_eq!(applied, 20, "one turn per conversation");
    for conversation in &conversations {
        let stored = db
            .store
            .conversation(conversation.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.version, 1);
        let lines = db.store.transcript(conversation.id).await.unwrap();
        assert_eq!(lines.len(), 1, "only the applied turn's line");
        assert_ne!(lines[0].text, "stale");
        assert_eq!(stored.state, format!(r#"{{"by":"{}"}}"#, lines[0].text));
        assert_eq!(
            secret(&db.store, conversation.id, SecretKind::Pin).await,
            Some(lines[0].text.clone()),
            "only the applied turn's secret"
        );
    }
}

async fn a_message_id_taken_by_another_process_meanwhile_fails_only_its_own_turn(db: TestDb) {
    use sqlx::Connection;
    let owner = start(&db.store, "console", "owner").await;
    let mut conversations = Vec::new();
    for i in 0..8 {
        conversations.push(start(&db.store, "console", &format!("c{i}")).await);
    }
    // Another process is taking message "taken" for its own conversation, and has not
    // committed yet: the turns below wait for it, then one of them finds its key taken.
    sqlx::any::install_default_drivers();
    let mut other = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let mut other_tx = other.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO processed_messages (platform, message_id, conversation_id, processed_at) \
         VALUES ('console', 'taken', $1, 0)",
    )
    .bind(owner.id)
    .execute(&mut *other_tx)
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for (i, conversation) in conversations.iter().enumerate() {
        let key = if i == 3 {
            "taken".into()
        } else {
            format!("m-{i}")
        };
        let mut write = turn(conversation, r#"{"by":"turn"}"#);
        write.incoming_message_id = Some(key.clone());
        write.transcript = vec![line(Speaker::Customer, &key)];
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            (key, store.apply_turn(write).await.unwrap())
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other_tx.commit().await.unwrap();
    for task in tasks {
        match task.await.unwrap() {
            (key, outcome) if key == "taken" => assert_eq!(outcome, TurnOutcome::Duplicate),
            (key, outcome) => assert_eq!(outcome, TurnOutcome::Applied { version: 1 }, "{key}"),
        }
    }
    for (i, conversation) in conversations.iter().enumerate() {
        let lines = db.store.transcript(conversation.id).await.unwrap();
        let stored = db
            .store
            .conversation(conversation.id)
            .await
            .unwrap()
            .unwrap();
        if i == 3 {
            assert!(lines.is_empty(), "the duplicate wrote nothing");
            assert_eq!(stored.version, 0);
        } else {
            assert_eq!(lines.len(), 1);
            assert_eq!(stored.version, 1);
        }
    }
}

async fn a_lookup_starts_a_conversation_only_for_a_new_message_under_the_days_limit(db: TestDb) {
    let store = &db.store;
    let since = at(0) - chrono::Duration::days(1);
    let create = || {
        Some(CreateIfNone {
            new: NewConversation {
                platform: "console".into(),
                channel_id: Some("thread-9".into()),
                customer_id: "newcomer".into(),
                flow: "menu".into(),
                step: None,
                state: r#"{"step":null}"#.into(),
                now: at(2),
            },
            max_per_day: 2,
        })
    };
    let lookup = |message: &'static str, create: Option<CreateIfNone>| {
        store.lookup_for_turn("console", "newcomer", Some(message), since, create)
    };
    // Finishes `conversation` with a turn that processes `message`.
    let finish = |conversation: Conversation, message: &'static str| async move {
        let mut write = turn(&conversation, "{}");
        write.status = ConversationStatus::Finished;
        write.incoming_message_id = Some(message.into());
        write.transcript = vec![line(Speaker::Customer, message)];
        let outcome = store.apply_turn(write).await.unwrap();
        assert_eq!(outcome, TurnOutcome::Applied { version: 1 });
    };

    // Without `create`, a lookup only looks.
    let found = lookup("m1", None).await.unwrap();
    assert!(found.open.is_none() && !found.created);

    let first = lookup("m1", create()).await.unwrap();
    assert!(first.created);
    let conversation = first.open.expect("created");
    assert_eq!(conversation.status, ConversationStatus::Active);
    assert_eq!(conversation.version, 0);
    assert_eq!(
        store.conversation(conversation.id).await.unwrap().as_ref(),
        Some(&conversation),
        "what the lookup returns is what was stored"
    );
    let again = lookup("m2", create()).await.unwrap();
    assert!(!again.created, "the open one is found");
    assert_eq!(again.open.map(|c| c.id), Some(conversation.id));

    // A message that finished the last conversation does not start a new one.
    finish(conversation, "m1").await;
    let replay = lookup("m1", create()).await.unwrap();
    assert!(replay.message_seen && replay.open.is_none() && !replay.created);

    // Two conversations a day: the second is started, the third is not.
    let second = lookup("m3", create()).await.unwrap();
    assert!(second.created);
    finish(second.open.unwrap(), "m3").await;
    let third = lookup("m4", create()).await.unwrap();
    assert!(third.open.is_none() && !third.created);
    assert_eq!(third.started_since, 2);
    assert_eq!(third.oldest_since, Some(at(2)));
    let stored = store
        .conversations_with_status(ConversationStatus::Finished)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
}

async fn a_ticket_round_trips_with_its_numbers_secrets_and_loa(db: TestDb) {
    let store = &db.store;
    let conversation = start(store, "discord", "4242").await;
    let number = store.next_ticket_number().await.unwrap();
    assert_eq!(number, "PB-10001");
    let sent = request(
        &["+13124482915", "+13124482916", "+13124482914"],
        Some(ACCOUNT),
    );
    let mut write = turn(&conversation, "{}");
    write.tickets = vec![new_ticket(&number, sent.clone(), Some(PIN))];
    store.apply_turn(write).await.unwrap();

    let ticket = store.ticket("pb-10001").await.unwrap().expect("the ticket");
    assert_eq!(ticket.number, "PB-10001");
    assert_eq!(ticket.conversation_id, conversation.id);
    assert_eq!(ticket.customer_platform, "discord");
    assert_eq!(ticket.customer_id, "4242");
    assert_eq!(ticket.status, TicketStatus::Submitted);
    assert_eq!(ticket.request.kind, NumberKind::Local);
    // Numbers keep the customer's order; the account number is only in the secrets.
    assert_eq!(
        ticket.request,
        PortRequest {
            account_number: None,
            ..sent.clone()
        }
    );
    let expected_signature =
        SignatureRecord::sign(&sent, "Alice Smith", "console:alice", at(30), &number, 1);
    assert_eq!(ticket.signature, expected_signature);
    assert_eq!(ticket.loa_version, 1);
    assert!(ticket.has_pin);
    assert!(ticket.has_account_number);
    assert_eq!(ticket.claimed_by, None);
    assert_eq!(ticket.confirmed_foc, None);
    assert_eq!(ticket.created_at, at(1));
    assert_eq!(ticket.updated_at, at(1));

    let pin = store.ticket_secret(&number, SecretKind::Pin).await.unwrap();
    assert_eq!(pin.as_ref().map(|s| s.expose_secret()), Some(PIN));
    let account = store
        .ticket_secret("Pb-10001", SecretKind::AccountNumber)
        .await
        .unwrap();
    assert_eq!(account.as_ref().map(|s| s.expose_secret()), Some(ACCOUNT));

    let latest = store
        .ticket_document(&number, DocumentKind::Loa, None)
        .await
        .unwrap()
        .expect("the LOA");
    assert_eq!(latest.bytes, LOA);
    assert_eq!(latest.version, Some(1));
    assert_eq!(latest.content_type, "application/pdf");
    assert_eq!(latest.kind, DocumentKind::Loa);
    let first = store
        .ticket_document(&number, DocumentKind::Loa, Some(1))
        .await
        .unwrap();
    assert_eq!(first, Some(latest));
    assert_eq!(
        store
            .ticket_document(&number, DocumentKind::Loa, Some(2))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .ticket_document(&number, DocumentKind::Bill, None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.ticket("PB-99999").await.unwrap(), None);
    assert_eq!(
        store
            .ticket_secret("PB-99999", SecretKind::Pin)
            .await
            .unwrap()
            .map(|_| ()),
        None
    );
}

async fn a_ticket_without_pin_or_account_number_says_so(db: TestDb) {
    let store = &db.store;
    let conversation = start(store, "console", "alice").await;
    let number = store.next_ticket_number().await.unwrap();
    let mut request = request(&["+18884482915"], None);
    request.authorized_title = None;
    request.btn = None;
    request.new_btn = None;
    request.partial_port = false;
    request.service_address.unit = None;
    let mut write = turn(&conversation, "{}");
    let mut ticket = new_ticket(&number, request.clone(), None);
    ticket.status = TicketStatus::Draft;
    write.tickets = vec![ticket];
    store.apply_turn(write).await.unwrap();

    let ticket = store.ticket(&number).await.unwrap().unwrap();
    assert_eq!(ticket.request, request);
    assert_eq!(ticket.request.kind, NumberKind::TollFree);
    assert_eq!(ticket.status, TicketStatus::Draft);
    assert!(!ticket.has_pin);
    assert!(!ticket.has_account_number);
    assert!(
        store
            .ticket_secret(&number, SecretKind::Pin)
            .await
            .unwrap()
            .is_none()
    );
}

async fn ticket_numbers_are_unique_and_increasing_even_when_taken_concurrently(db: TestDb) {
    fn value(number: &str) -> u64 {
        number.strip_prefix("PB-").unwrap().parse().unwrap()
    }
    let store = &db.store;
    let mut last = 0;
    for _ in 0..3 {
        let next = value(&store.next_ticket_number().await.unwrap());
        assert!(next > last, "{next} after {last}");
        last = next;
    }

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.next_ticket_number().await.unwrap() })
        })
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        let next = value(&task.await.unwrap());
        assert!(next > last, "{next} is not after {last}");
        assert!(seen.insert(next), "{next} was given twice");
    }
    assert_eq!(seen.len(), 20);

    // Numbers from another connection (another process) continue the same sequence.
    let other = db.reconnect(&db.key).await.unwrap();
    let after = value(&other.next_ticket_number().await.unwrap());
    assert!(seen.iter().all(|n| *n < after));
}

async fn tickets_list_newest_first_and_filter_by_status_and_customer(db: TestDb) {
    let store = &db.store;
    let mut made = Vec::new();
    for (customer, status) in [
        ("alice", TicketStatus::Submitted),
        ("bob", TicketStatus::Draft),
        ("alice", TicketStatus::Draft),
    ] {
        let conversation = start(store, "discord", customer).await;
        let number = store.next_ticket_number().await.unwrap();
        let mut ticket = new_ticket(&number, request(&["+13124482915"], None), None);
        ticket.status = status;
        let mut write = turn(&conversation, "{}");
        write.tickets = vec![ticket];
        store.apply_turn(write).await.unwrap();
        made.push(number);
    }
    let numbers = |tickets: Vec<portbot::store::Ticket>| -> Vec<String> {
        tickets.into_iter().map(|t| t.number).collect()
    };

    let all = store.list_tickets(&TicketFilter::default()).await.unwrap();
    assert_eq!(
        numbers(all),
        vec![made[2].clone(), made[1].clone(), made[0].clone()]
    );

    let drafts = TicketFilter {
        status: Some(TicketStatus::Draft),
        customer: None,
        ..TicketFilter::default()
    };
    assert_eq!(
        numbers(store.list_tickets(&drafts).await.unwrap()),
        vec![made[2].clone(), made[1].clone()]
    );

    let alice = TicketFilter {
        status: None,
        customer: Some(("discord".into(), "alice".into())),
        ..TicketFilter::default()
    };
    let listed = store.list_tickets(&alice).await.unwrap();
    assert!(
        listed
            .iter()
            .all(|t| t.request.numbers == vec![phone("+13124482915")])
    );
    assert_eq!(numbers(listed), vec![made[2].clone(), made[0].clone()]);

    let alice_drafts = TicketFilter {
        status: Some(TicketStatus::Draft),
        ..alice.clone()
    };
    assert_eq!(
        numbers(store.list_tickets(&alice_drafts).await.unwrap()),
        vec![made[2].clone()]
    );

    let nobody = TicketFilter {
        status: None,
        customer: Some(("console".into(), "alice".into())),
        ..TicketFilter::default()
    };
    assert!(store.list_tickets(&nobody).await.unwrap().is_empty());
    let completed = TicketFilter {
        status: Some(TicketStatus::Completed),
        customer: None,
        ..TicketFilter::default()
    };
    assert!(store.list_tickets(&completed).await.unwrap().is_empty());

    // Pages, newest first, each with its own numbers.
    let page = |offset| TicketFilter {
        limit: Some(2),
        offset,
        ..TicketFilter::default()
    };
    let first = store.list_tickets(&page(0)).await.unwrap();
    assert!(first.iter().all(|t| !t.request.numbers.is_empty()));
    assert_eq!(numbers(first), vec![made[2].clone(), made[1].clone()]);
    assert_eq!(
        numbers(store.list_tickets(&page(2)).await.unwrap()),
        vec![made[0].clone()]
    );
}

async fn a_customers_ticket_lines_are_their_newest_tickets_with_numbers_in_order(db: TestDb) {
    let store = &db.store;
    let mut made = Vec::new();
    for (customer, numbers) in [
        ("alice", &["+13124482915", "+13124482916"][..]),
        ("bob", &["+13124482917"][..]),
        (
            "alice",
            &["+13124482919", "+13124482918", "+13124482920"][..],
        ),
        ("alice", &["+13124482921"][..]),
    ] {
        let conversation = start(store, "discord", customer).await;
        let number = store.next_ticket_number().await.unwrap();
        let mut write = turn(&conversation, "{}");
        write.tickets = vec![new_ticket(&number, request(numbers, None), None)];
        store.apply_turn(write).await.unwrap();
        made.push(number);
    }
    let lines = store.ticket_lines("discord", "alice", 2).await.unwrap();
    let shown: Vec<(&str, Vec<PhoneNumber>)> = lines
        .iter()
        .map(|l| (l.number.as_str(), l.numbers.clone()))
        .collect();
    assert_eq!(
        shown,
        vec![
            (made[3].as_str(), vec![phone("+13124482921")]),
            (
                made[2].as_str(),
                vec![
                    phone("+13124482919"),
                    phone("+13124482918"),
                    phone("+13124482920")
                ]
            ),
        ]
    );
    // What the ticket itself says.
    let full = store.ticket(&made[2]).await.unwrap().unwrap();
    assert_eq!(lines[1].status, full.status);
    assert_eq!(lines[1].kind, full.request.kind);
    assert_eq!(
        lines[1].requested_port_date,
        full.request.requested_port_date
    );
    assert_eq!(lines[1].confirmed_foc, full.confirmed_foc);
    assert_eq!(
        store
            .ticket_lines("discord", "alice", 10)
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(
        store
            .ticket_lines("console", "alice", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_wrong_key_fails_at_connect(db: TestDb) {
    start(&db.store, "console", "alice").await;
    let error = db.reconnect(&common::random_key()).await.unwrap_err();
    assert!(matches!(error, StoreError::WrongKey), "{error}");
    assert!(error.to_string().contains("PORTBOT_SECRET_KEY"));
    // The right key still opens it.
    db.reconnect(&db.key).await.unwrap();
}

async fn secrets_and_documents_never_reach_the_database_in_plaintext(db: TestDb) {
    let store = &db.store;
    let conversation = start(store, "console", "alice").await;
    let number = store.next_ticket_number().await.unwrap();
    let mut write = full_turn(&conversation, &number);
    write
        .secrets
        .push((SecretKind::AccountNumber, SecretString::from(ACCOUNT)));
    store.apply_turn(write).await.unwrap();
    assert!(store.ticket(&number).await.unwrap().unwrap().has_pin);

    // The search itself works: plain columns are found.
    assert!(db.raw_contains("Zoë's Bakery LLC".as_bytes()).await);
    for (what, needle) in [
        ("PIN", PIN.as_bytes()),
        ("account number", ACCOUNT.as_bytes()),
        ("bill", BILL),
        ("LOA", LOA),
    ] {
        assert!(
            !db.raw_contains(needle).await,
            "the {what} is stored in plaintext"
        );
    }
}

#[tokio::test]
async fn a_missing_sqlite_folder_and_file_are_created_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a").join("b").join("portbot.db");
    let url = format!("sqlite://{}", file.display());
    let key = common::random_key();
    let store = Store::connect(&url, portbot::secrets::Cipher::from_base64(&key).unwrap())
        .await
        .unwrap();
    assert_eq!(store.backend(), portbot::store::Backend::Sqlite);
    assert!(file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // WAL mode leaves its side file beside the database once something was written.
    start(&store, "console", "alice").await;
    let mut wal = file.clone().into_os_string();
    wal.push("-wal");
    assert!(std::path::Path::new(&wal).exists());
}

#[tokio::test]
async fn an_unreachable_postgres_server_is_reported_as_unavailable() {
    let key = common::random_key();
    let error = Store::connect(
        "postgres://postgres@127.0.0.1:1/portbot",
        portbot::secrets::Cipher::from_base64(&key).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");
}

#[tokio::test]
async fn a_url_for_another_database_is_refused() {
    let key = common::random_key();
    let error = Store::connect(
        "mysql://localhost/portbot",
        portbot::secrets::Cipher::from_base64(&key).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, StoreError::UnsupportedUrl));
}
