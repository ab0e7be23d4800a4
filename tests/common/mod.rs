//! Test helpers: one fresh, migrated database per test, on SQLite and (when
//! `PORTBOT_TEST_POSTGRES_URL` is set) on PostgreSQL, dropped afterwards.

// Each test file that shares this module uses only some of it.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portbot::secrets::Cipher;
use portbot::store::{Store, StoreError};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub const POSTGRES_URL_VAR: &str = "PORTBOT_TEST_POSTGRES_URL";

/// A freshly generated base64 key.
pub fn random_key() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).unwrap();
    STANDARD.encode(key)
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

enum Raw {
    Sqlite { file: PathBuf },
    Postgres { url: String },
}

/// A test's database: the store under test, plus what it takes to reconnect and to look at the
/// raw rows behind the store's back.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    /// The key `store` was opened with (base64).
    pub key: String,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Opens the same database again, as a second process or a restart would.
    pub async fn reconnect(&self, key: &str) -> Result<Store, StoreError> {
        Store::connect(&self.url, Cipher::from_base64(key).unwrap()).await
    }

    /// True if `needle` appears anywhere in the stored data: the SQLite file and its WAL, or
    /// every row of every table in PostgreSQL (as text, with bytea in hex).
    pub async fn raw_contains(&self, needle: &[u8]) -> bool {
        match &self.raw {
            Raw::Sqlite { file } => {
                let mut haystack = std::fs::read(file).unwrap();
                for suffix in ["-wal", "-journal"] {
                    let mut side = file.clone().into_os_string();
                    side.push(suffix);
                    if let Ok(bytes) = std::fs::read(PathBuf::from(side)) {
                        haystack.extend(bytes);
                    }
                }
                contains(&haystack, needle)
            }
            Raw::Postgres { url } => {
                let mut conn = PgConnection::connect(url).await.unwrap();
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = 'public'",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
                assert!(
                    tables.len() > 5,
                    "expected the migrated tables, got {tables:?}"
                );
                let hex: String = needle.iter().map(|b| format!("{b:02x}")).collect();
                for table in tables {
                    let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                        "SELECT CAST(t AS TEXT) FROM \"{table}\" t"
                    )))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                    for row in rows {
                        if contains(row.as_bytes(), needle) || row.contains(&hex) {
                            return true;
                        }
                    }
                }
                false
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs `test` against a new SQLite file in a temporary folder that does not exist yet.
pub async fn run_sqlite<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data").join("portbot.db");
    let url = format!("sqlite://{}", file.display());
    let key = random_key();
    let store = Store::connect(&url, Cipher::from_base64(&key).unwrap())
        .await
        .unwrap();
    let db = TestDb {
        store,
        url,
        key,
        raw: Raw::Sqlite { file },
        _dir: Some(dir),
    };
    run(test(db)).await;
}

/// Runs `test` against a new PostgreSQL database, created for it and dropped after; skipped
/// (with a line on stderr) when `PORTBOT_TEST_POSTGRES_URL` is not set.
pub async fn run_postgres<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(admin_url) = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!("{POSTGRES_URL_VAR} is not set: skipping the PostgreSQL run");
        return;
    };
    let name = format!("portbot_t_{}", random_suffix());
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = with_database(&admin_url, &name);
    let key = random_key();
    let connected = Store::connect(&url, Cipher::from_base64(&key).unwrap()).await;
    let outcome = match connected {
        Ok(store) => {
            let db = TestDb {
                store,
                url: url.clone(),
                key,
                raw: Raw::Postgres { url },
                _dir: None,
            };
            Some(tokio::spawn(test(db)).await)
        }
        Err(e) => {
            eprintln!("connecting to {name} failed: {e}");
            None
        }
    };
    // FORCE: the test's pool may still hold connections while it shuts down.
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    match outcome {
        Some(Ok(())) => {}
        Some(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        None => panic!("could not connect the store to a fresh PostgreSQL database"),
    }
}

/// Runs the test in its own task so a failing assertion still lets the caller clean up.
async fn run(test: impl Future<Output = ()> + Send + 'static) {
    if let Err(e) = tokio::spawn(test).await {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// `postgres://user@host:5432/postgres?x=y` with the database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// Declares each contract test (an `async fn(TestDb)` in the calling file) once per backend:
/// `sqlite::<name>` and `postgres::<name>`.
#[macro_export]
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::run_sqlite(super::$name).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::run_postgres(super::$name).await;
                }
            )+
        }
    };
}

/// A started conversation (active, version 0) for `platform:customer`.
pub async fn start_conversation(
    store: &Store,
    platform: &str,
    customer: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> portbot::store::Conversation {
    store
        .create_conversation(portbot::store::NewConversation {
            platform: platform.into(),
            channel_id: None,
            customer_id: customer.into(),
            flow: "port_in".into(),
            step: Some("numbers".into()),
            state: r#"{"step":"numbers"}"#.into(),
            now,
        })
        .await
        .unwrap()
}

/// Creates ticket `number` (one local number, no PIN) in `conversation` with a turn; returns the
/// conversation as it is after the turn.
pub async fn add_ticket(
    store: &Store,
    conversation: &portbot::store::Conversation,
    number: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> portbot::store::Conversation {
    use portbot::porting::{
        CustomerType, Email, NumberType, PhoneNumber, PortRequest, SignatureRecord, UsAddress,
    };
    use portbot::store::{ConversationStatus, NewTicket, TicketStatus, TurnOutcome, TurnWrite};
    let phone: PhoneNumber = serde_json::from_value(serde_json::json!("+13124482915")).unwrap();
    let request = PortRequest {
        kind: phone.kind(),
        numbers: vec![phone],
        carrier: "Old Telco".into(),
        number_type: NumberType::Landline,
        customer_type: CustomerType::Residential,
        customer_name: "Alice Smith".into(),
        service_address: UsAddress {
            street: "123 Main St".into(),
            unit: None,
            city: "Springfield".into(),
            state: "IL".into(),
            zip: "62704".into(),
        },
        authorized_name: "Alice Smith".into(),
        authorized_title: None,
        btn: None,
        account_number: None,
        partial_port: false,
        new_btn: None,
        requested_port_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        email: Email::parse("alice@example.com").unwrap(),
    };
    let signature = SignatureRecord::sign(&request, "Alice Smith", "console:alice", now, number, 1);
    let outcome = store
        .apply_turn(TurnWrite {
            conversation_id: conversation.id,
            expected_version: conversation.version,
            flow: "done".into(),
            step: None,
            state: r#"{"step":null}"#.into(),
            status: ConversationStatus::Finished,
            tickets: vec![NewTicket {
                number: number.into(),
                request,
                signature,
                pin: None,
                loa_pdf: b"%PDF-1.7 test".to_vec(),
                status: TicketStatus::Submitted,
            }],
            ..TurnWrite::new(conversation, now)
        })
        .await
        .unwrap();
    assert!(
        matches!(outcome, TurnOutcome::Applied { .. }),
        "{outcome:?}"
    );
    store.conversation(conversation.id).await.unwrap().unwrap()
}
