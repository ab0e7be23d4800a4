//! The turn contract, tested: the same scenarios through the transaction and through the
//! backend's group writer (each turn alone, each scenario's turns in one group, and every
//! turn in one group) leave the same rows and give the same outcomes.
//!
//! Runs on a fresh SQLite file, and on fresh PostgreSQL databases when
//! `PORTBOT_TEST_POSTGRES_URL` is set (one per way of writing, dropped after).

use chrono::{DateTime, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{AssertSqlSafe, Connection};
use tokio::sync::oneshot;

use super::{Written, deliver, postgres_group, sqlite_group};
use crate::secrets::Cipher;
use crate::store::{
    Backend, Conversation, ConversationStatus, NewConversation, NewOutboxItem, NewTranscriptLine,
    OutboxChannel, SecretKind, Speaker, Store, StoreError, TurnOutcome, TurnWrite,
};

const POSTGRES_URL_VAR: &str = "PORTBOT_TEST_POSTGRES_URL";

/// A conversation no setup creates.
const MISSING: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Each turn in its own transaction, one after the other: the reference.
    Transaction,
    /// Each turn in a group of its own, one after the other.
    GroupAlone,
    /// Each scenario's turns in one group.
    GroupPerScenario,
    /// Every scenario's turns in one group.
    GroupAll,
}

const WAYS: [Way; 4] = [
    Way::Transaction,
    Way::GroupAlone,
    Way::GroupPerScenario,
    Way::GroupAll,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_turn_writer_leaves_the_same_rows_and_outcomes_on_sqlite() {
    let dirs: Vec<tempfile::TempDir> = WAYS.iter().map(|_| tempfile::tempdir().unwrap()).collect();
    let mut results = Vec::new();
    for (way, dir) in WAYS.into_iter().zip(&dirs) {
        let url = format!("sqlite://{}", dir.path().join("portbot.db").display());
        let store = Store::connect(&url, test_cipher()).await.unwrap();
        results.push((way, run(&store, way).await));
        store.pool.close().await;
    }
    assert_all_agree(results);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_turn_writer_leaves_the_same_rows_and_outcomes_on_postgres() {
    let Some(admin_url) = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!("{POSTGRES_URL_VAR} is not set: skipping the PostgreSQL run");
        return;
    };
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
    let mut results = Vec::new();
    let mut created = Vec::new();
    for way in WAYS {
        let name = format!("portbot_turns_{}", random_hex());
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        created.push(name.clone());
        let store = Store::connect(&database_url(&admin_url, &name), test_cipher())
            .await
            .unwrap();
        results.push((way, run(&store, way).await));
        store.pool.close().await;
    }
    for name in created {
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    assert_all_agree(results);
}

/// What one way of writing did: each turn's outcome, then the rows it left.
#[derive(Debug, PartialEq, Eq)]
struct WhatItDid {
    outcomes: Vec<String>,
    rows: Vec<String>,
}

fn assert_all_agree(results: Vec<(Way, WhatItDid)>) {
    let (reference_way, reference) = &results[0];
    assert_eq!(*reference_way, Way::Transaction);
    for (way, result) in &results[1..] {
        assert_eq!(
            result.outcomes, reference.outcomes,
            "{way:?} and the transaction gave different outcomes"
        );
        assert_eq!(
            result.rows, reference.rows,
            "{way:?} and the transaction left different rows"
        );
    }
}

/// Sets the conversations up on `store`, writes every scenario's turns `way`, and reads back
/// what it did.
async fn run(store: &Store, way: Way) -> WhatItDid {
    let setup = Setup::on(store).await;
    let scenarios = scenarios(&setup);
    let mut outcomes = Vec::new();
    match way {
        Way::Transaction => {
            for (name, turns) in scenarios {
                for turn in turns {
                    let outcome = store.apply_in_transaction(turn).await;
                    outcomes.push(describe(name, outcome));
                }
            }
        }
        Way::GroupAlone => {
            for (name, turns) in scenarios {
                for turn in turns {
                    for outcome in in_one_group(store, vec![turn]).await {
                        outcomes.push(describe(name, outcome));
                    }
                }
            }
        }
        Way::GroupPerScenario => {
            for (name, turns) in scenarios {
                for outcome in in_one_group(store, turns).await {
                    outcomes.push(describe(name, outcome));
                }
            }
        }
        Way::GroupAll => {
            let names: Vec<&str> = scenarios
                .iter()
                .flat_map(|(name, turns)| turns.iter().map(|_| *name))
                .collect();
            let turns = scenarios.into_iter().flat_map(|(_, turns)| turns).collect();
            for (name, outcome) in names.into_iter().zip(in_one_group(store, turns).await) {
                outcomes.push(describe(name, outcome));
            }
        }
    }
    WhatItDid {
        outcomes,
        rows: rows(store).await,
    }
}

/// Writes `turns` as one group of the backend's group writer, as the writer task does, and
/// turns what became of each into its outcome as [`Store::apply_turn`] does.
async fn in_one_group(
    store: &Store,
    turns: Vec<TurnWrite>,
) -> Vec<Result<TurnOutcome, StoreError>> {
    let asked: Vec<(i64, Option<String>, i64)> = turns
        .iter()
        .map(|t| {
            (
                t.conversation_id,
                t.incoming_message_id.clone(),
                t.expected_version,
            )
        })
        .collect();
    let plain = turns.into_iter().map(|turn| store.plain(turn)).collect();
    let (waiting, answers): (Vec<_>, Vec<_>) = asked.iter().map(|_| oneshot::channel()).unzip();
    match store.backend {
        Backend::Sqlite => {
            let mut conn = store.pool.acquire().await.unwrap();
            deliver(waiting, sqlite_group::write_group(&mut conn, plain).await);
        }
        Backend::Postgres => postgres_group::write_group(&store.pool, plain, waiting).await,
    }
    let mut outcomes = Vec::new();
    for ((id, key, version), answer) in asked.into_iter().zip(answers) {
        let written: Result<Written, StoreError> = answer.await.unwrap();
        outcomes.push(match written {
            Ok(written) => {
                store
                    .group_outcome(id, key.as_deref(), version, written)
                    .await
            }
            Err(error) => Err(error),
        });
    }
    outcomes
}

fn describe(scenario: &str, outcome: Result<TurnOutcome, StoreError>) -> String {
    match outcome {
        Ok(outcome) => format!("{scenario}: {outcome:?}"),
        Err(error) => format!("{scenario}: error: {error}"),
    }
}

/// Every row a turn can write or must leave alone, as text, in a stable order; secrets
/// opened (their nonces differ from one sealing to the next).
async fn rows(store: &Store) -> Vec<String> {
    let tables = [
        (
            "conversations",
            "id, platform, customer_id, flow, step, state, status, version, created_at, \
             updated_at",
            "id",
        ),
        (
            "processed_messages",
            "platform, message_id, conversation_id, processed_at",
            "platform, message_id",
        ),
        (
            "transcript",
            "conversation_id, who, text, attachment, platform_message_id, at",
            "conversation_id, id",
        ),
        (
            "secrets",
            "conversation_id, ticket_id, kind, updated_at",
            "conversation_id, kind",
        ),
        (
            "outbox",
            "id, conversation_id, channel, customer_platform, customer_id, attempts, \
             next_attempt_at, delivered_at",
            "id",
        ),
    ];
    let mut all = Vec::new();
    for (table, columns, order) in tables {
        let text = columns
            .split(", ")
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), 'null')"))
            .collect::<Vec<_>>()
            .join(" || ' | ' || ");
        let sql = format!("SELECT {text} FROM {table} ORDER BY {order}");
        let found: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_all(&store.pool)
            .await
            .unwrap();
        all.extend(found.into_iter().map(|row| format!("{table}: {row}")));
    }
    let kinds = [SecretKind::Pin, SecretKind::AccountNumber];
    for id in 1..=Setup::CONVERSATIONS {
        for kind in kinds {
            if let Some(value) = store.conversation_secret(id, kind).await.unwrap() {
                all.push(format!("secret {id} {kind:?}: {}", value.expose_secret()));
            }
        }
    }
    all
}

/// The conversations the scenarios write to, as every way of writing finds them.
struct Setup {
    current: Conversation,
    moved_on: Conversation,
    key_seen: Conversation,
    redelivered: Conversation,
    notice_due: Conversation,
    notice_later: Conversation,
    secrets: Conversation,
    stale_secrets: Conversation,
    twice: Conversation,
    paused: Conversation,
    one_key_first: Conversation,
    one_key_second: Conversation,
}

impl Setup {
    /// How many conversations [`Setup::on`] starts (ids 1 to this on a fresh database).
    const CONVERSATIONS: i64 = 12;

    async fn on(store: &Store) -> Setup {
        // Started in this order, so their ids are the same whichever way the scenarios are
        // written.
        let mut setup = Setup {
            current: start(store, "current").await,
            moved_on: start(store, "moved-on").await,
            key_seen: start(store, "key-seen").await,
            redelivered: start(store, "redelivered").await,
            notice_due: start(store, "notice-due").await,
            notice_later: start(store, "notice-later").await,
            secrets: start(store, "secrets").await,
            stale_secrets: start(store, "stale-secrets").await,
            twice: start(store, "twice").await,
            paused: start(store, "paused").await,
            one_key_first: start(store, "one-key-first").await,
            one_key_second: start(store, "one-key-second").await,
        };
        // Earlier turns and notices, the same too.
        let pin = [(SecretKind::Pin, "pin-before")];
        setup.moved_on = earlier_turn(store, &setup.moved_on, "earlier-moved-on", &[]).await;
        setup.key_seen = earlier_turn(store, &setup.key_seen, "seen-before", &[]).await;
        setup.secrets = earlier_turn(store, &setup.secrets, "earlier-secrets", &pin).await;
        setup.stale_secrets =
            earlier_turn(store, &setup.stale_secrets, "earlier-stale", &pin).await;
        store
            .enqueue_outbox(&[notice(&setup.notice_due)], at(0))
            .await
            .unwrap();
        store
            .enqueue_outbox(&[notice(&setup.notice_later)], at(30))
            .await
            .unwrap();
        setup
    }
}

/// The scenarios, each a name and its turns in order.
fn scenarios(setup: &Setup) -> Vec<(&'static str, Vec<TurnWrite>)> {
    let stale = {
        let mut turn = turn(&setup.moved_on, "m-stale");
        turn.expected_version -= 1;
        turn
    };
    let blind = |conversation, key| {
        let mut turn = turn(conversation, key);
        turn.no_notices_seen = true;
        turn
    };
    let mut stale_secret = turn(&setup.stale_secrets, "m-stale-secret");
    stale_secret.expected_version -= 1;
    stale_secret.secrets = vec![(SecretKind::Pin, SecretString::from("pin-stale"))];
    let mut new_secrets = turn(&setup.secrets, "m-secrets");
    new_secrets.secrets = vec![
        (SecretKind::Pin, SecretString::from("pin-after")),
        (
            SecretKind::AccountNumber,
            SecretString::from("account-after"),
        ),
    ];
    let mut missing = turn(&setup.current, "m-missing");
    missing.conversation_id = MISSING;
    let mut no_key = turn(&setup.paused, "no-key");
    no_key.incoming_message_id = None;
    no_key.status = ConversationStatus::PausedForAgent;
    vec![
        (
            "current version",
            vec![turn(&setup.current, "m-current"), no_key],
        ),
        ("stale version", vec![stale]),
        (
            "replayed message key",
            vec![
                turn(&setup.key_seen, "seen-before"),
                turn(&setup.redelivered, "m-redelivered"),
                turn(&setup.redelivered, "m-redelivered"),
            ],
        ),
        (
            "notices",
            vec![
                blind(&setup.notice_due, "m-blind"),
                turn(&setup.notice_due, "m-looked"),
                blind(&setup.notice_later, "m-blind-later"),
            ],
        ),
        ("secrets", vec![new_secrets, stale_secret]),
        (
            "one conversation twice at one version",
            vec![
                turn(&setup.twice, "m-first"),
                turn(&setup.twice, "m-second"),
            ],
        ),
        ("missing conversation", vec![missing]),
        (
            "one message id on two conversations",
            vec![
                turn(&setup.one_key_first, "m-one-key"),
                turn(&setup.one_key_second, "m-one-key"),
            ],
        ),
    ]
}

/// A plain turn on `conversation` as the customer's message `key`: a new state named after
/// the key, and the customer's line and the bot's reply.
fn turn(conversation: &Conversation, key: &str) -> TurnWrite {
    let mut turn = TurnWrite::new(conversation, at(10));
    turn.incoming_message_id = Some(key.to_string());
    turn.step = Some(format!("after-{key}"));
    turn.state = format!(r#"{{"after":"{key}"}}"#);
    turn.transcript = vec![
        line(Speaker::Customer, &format!("message {key}"), Some(key)),
        line(Speaker::Bot, &format!("reply to {key}"), None),
    ];
    turn
}

/// A turn applied before the scenarios (through [`Store::apply_turn`]), and the conversation
/// after it.
async fn earlier_turn(
    store: &Store,
    conversation: &Conversation,
    key: &str,
    secrets: &[(SecretKind, &str)],
) -> Conversation {
    let mut earlier = TurnWrite::new(conversation, at(5));
    earlier.incoming_message_id = Some(key.to_string());
    earlier.transcript = vec![line(Speaker::Customer, key, Some(key))];
    earlier.secrets = secrets
        .iter()
        .map(|(kind, value)| (*kind, SecretString::from(*value)))
        .collect();
    let outcome = store.apply_turn(earlier).await.unwrap();
    assert!(
        matches!(outcome, TurnOutcome::Applied { .. }),
        "{outcome:?}"
    );
    store.conversation(conversation.id).await.unwrap().unwrap()
}

fn line(who: Speaker, text: &str, message_id: Option<&str>) -> NewTranscriptLine {
    NewTranscriptLine {
        who,
        text: text.to_string(),
        attachment: None,
        platform_message_id: message_id.map(str::to_string),
    }
}

fn notice(conversation: &Conversation) -> NewOutboxItem {
    NewOutboxItem {
        channel: OutboxChannel::Chat,
        ticket_number: None,
        conversation_id: Some(conversation.id),
        customer_platform: conversation.platform.clone(),
        customer_id: conversation.customer_id.clone(),
        recipient: None,
        subject: "Ticket update".into(),
        body: "Your port date is confirmed.".into(),
    }
}

async fn start(store: &Store, customer: &str) -> Conversation {
    store
        .create_conversation(NewConversation {
            platform: "console".into(),
            channel_id: None,
            customer_id: customer.into(),
            flow: "port_in".into(),
            step: Some("numbers".into()),
            state: "{}".into(),
            now: at(0),
        })
        .await
        .unwrap()
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, minute, 0).unwrap()
}

fn test_cipher() -> Cipher {
    Cipher::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap()
}

fn random_hex() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `admin_url` with its database replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| host_start + i);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..host_end])
}
