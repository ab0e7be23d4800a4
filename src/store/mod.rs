//! Storage: conversations, transcripts, tickets, secrets and documents, in SQLite (default) or
//! PostgreSQL through one code path.
//!
//! The sqlx Any driver runs the same SQL on both: `$N` placeholders, portable column types only
//! (integers for ids, unix-millisecond times and 0/1 flags; TEXT; BLOB/BYTEA), and one migration
//! folder per backend (`migrations/sqlite`, `migrations/postgres`) applied at connect.
//!
//! Correctness across processes comes from the database, never from in-process locks: each
//! customer turn is one transaction guarded by an optimistic lock on the conversation's
//! `version` and a unique idempotency key per incoming message ([`Store::apply_turn`]; the
//! contract its writers keep is in [`turns`]); ticket numbers come from a counter row
//! incremented in one statement.
//!
//! Secrets and document bytes are sealed with [`Cipher`] before they reach SQL, with the row's
//! identity as associated data. A sealed constant in `meta` proves at connect that the key is
//! the one the data was written with.

mod channels;
mod conversations;
mod documents;
mod drafts;
mod idle;
mod lease;
mod outbox;
mod rekey;
mod sealed;
mod tickets;
mod turns;
mod types;
mod workflow;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Connection, Executor, Row};

use crate::secrets::Cipher;

pub use channels::{ChannelLookup, OpenChannel};
pub use conversations::{CreateIfNone, TurnLookup};
pub use documents::Leftovers;
pub use drafts::{Draft, NewDraft};
pub use idle::IdleConversation;
pub use lease::Lease;
pub use outbox::{MAX_ATTEMPTS, NewOutboxItem, OutboxChannel, OutboxEntry};
pub use rekey::Rekeyed;
pub use types::{
    Conversation, ConversationStatus, Document, DocumentKind, NewConversation, NewDocument,
    NewTicket, NewTranscriptLine, SecretKind, Speaker, Ticket, TicketFilter, TicketLine,
    TicketStatus, TranscriptLine, TurnOutcome, TurnWrite,
};
pub use workflow::{ChangeOutcome, Reopen, Resubmission, TicketChange, TicketEvent, Visibility};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// What the key check seals; any constant works, it only has to open.
const KEY_CHECK_PLAINTEXT: &[u8] = b"portbot key check v1";
const KEY_CHECK_AAD: &[u8] = b"meta:key_check";

/// The database behind a [`Store`], chosen by the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the secret key does not match the key this database was written with; set \
         PORTBOT_SECRET_KEY (or restore the data folder's secret.key) to the original key"
    )]
    WrongKey,
    /// A row the store wrote cannot be read back: edited by hand, or damaged.
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("conversation {0} does not exist")]
    ConversationNotFound(i64),
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("cannot create the database file {path}: {source}")]
    CreateFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another turn's failure rolled back the group of turns this one was committed with
    /// (SQLite's group commit); the text is that failure's.
    #[error("database error: {0}")]
    Group(String),
    #[error("the store is closed")]
    Closed,
}

impl StoreError {
    /// True when the database cannot be reached right now (refused connection, pool timeout,
    /// server shutting down, SQLite still locked after the busy timeout): worth retrying later,
    /// not a bug in the request.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(error) = self else {
            return false;
        };
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                // PostgreSQL: class 08 connection exceptions, 57P0x shutdown / cannot connect now.
                // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with extended codes.
                code.starts_with("08")
                    || code.starts_with("57P")
                    || matches!(code.parse::<i32>(), Ok(c) if c & 0xff == 5 || c & 0xff == 6)
            }
            _ => false,
        }
    }
}

/// The store: a connection pool, the backend it talks to, and the cipher for secrets.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where a turn's lookups and the ticket reads (`/port status`, lists, `tickets show`)
    /// run. On a SQLite file, read-only connections of their own, so they never wait for the
    /// one writing connection (WAL lets them read beside it); elsewhere the same pool.
    reader: AnyPool,
    backend: Backend,
    cipher: Arc<Cipher>,
    /// Group commit for plain turns ([`turns`]).
    writer: turns::Writer,
    /// The database file, on SQLite (its leases are lock files beside it).
    sqlite_file: Option<Arc<Path>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to a `sqlite:` or `postgres://` URL, applies the migrations, and checks that
    /// `cipher` holds the key the data was written with ([`StoreError::WrongKey`] if not).
    ///
    /// SQLite: the file and its folder are created when missing (owner-only on Unix); every
    /// connection runs in WAL mode with `busy_timeout` 5 s, `foreign_keys=ON` and
    /// `synchronous=NORMAL`.
    pub async fn connect(url: &str, cipher: Cipher) -> Result<Store, StoreError> {
        let backend = Backend::of_url(url)?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let pool = Store::writer_pool(url).await?;
        // Set by the checkpointer, read by the writer ([`checkpoint_in_background`]).
        let log_too_long = Arc::new(AtomicBool::new(false));
        let writer = turns::Writer::start(pool.clone(), backend, Arc::clone(&log_too_long));
        let reader = if backend == Backend::Sqlite && !sqlite_in_memory(url) {
            // Lazy: nothing connects until the first lookup, after the migrations below.
            AnyPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(5))
                .test_before_acquire(false)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA query_only = ON").await?;
                        Ok(())
                    })
                })
                .connect_lazy(url)?
        } else {
            pool.clone()
        };
        let store = Store {
            reader,
            pool,
            backend,
            cipher: Arc::new(cipher),
            writer,
            sqlite_file: sqlite_file(url),
        };
        let checked = async {
            migrator.run(&store.pool).await?;
            store.check_key().await
        }
        .await;
        if let Err(e) = checked {
            store.pool.close().await;
            return Err(e);
        }
        if backend == Backend::Sqlite {
            checkpoint_in_background(url.to_string(), store.pool.clone(), log_too_long);
        }
        Ok(store)
    }

    /// A pool on `url` set up as the store's own writer pool ([`Store::connect`] opens its own
    /// with it; a tool writing beside the store, such as the bench's yardstick, measures the
    /// same connections). On SQLite the file is created when missing.
    pub async fn writer_pool(url: &str) -> Result<AnyPool, StoreError> {
        sqlx::any::install_default_drivers();
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
        let options = match Backend::of_url(url)? {
            Backend::Sqlite => {
                prepare_sqlite_file(url)?;
                // SQLite commits one writer at a time. Every turn writes, so one connection
                // makes turns queue fairly in the pool (woken in order) instead of sleeping in
                // SQLite's busy handler, which ruins tail latency under load.
                // The connection is a file in this process, not a socket that can drop: testing
                // it before each use is a needless round trip to its thread on every query.
                options
                    .max_connections(1)
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the one writer; busy_timeout makes writers
                            // queue instead of failing at once. Both are per connection (WAL is also
                            // remembered by the file).
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA busy_timeout = 5000").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            // Checkpoints run beside the writer instead (`checkpoint_in_background`):
                            // inline, the commit that fills the log pays for copying it and its
                            // fsync, milliseconds on one turn in a few hundred.
                            conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                            // The group writer's scratch table, kept in memory.
                            conn.execute("PRAGMA temp_store = MEMORY").await?;
                            conn.execute(turns::SQLITE_GROUP_TABLE).await?;
                            Ok(())
                        })
                    })
            }
            // Every statement here reads or writes a few rows by index. Where the planner's
            // estimate is large (on a 1M store, retention's look-up of old uploads, which finds
            // none: 322,000), PostgreSQL would compile it to machine code (JIT, 30 to 120 ms
            // measured) or start parallel workers (40 ms) on every run.
            Backend::Postgres => options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("SET jit = off").await?;
                    conn.execute("SET max_parallel_workers_per_gather = 0")
                        .await?;
                    Ok(())
                })
            }),
        };
        Ok(options.connect(url).await?)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Seals the key-check constant on first connect; on every later connect, proves it opens.
    async fn check_key(&self) -> Result<(), StoreError> {
        let (nonce, sealed) = self.cipher.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD);
        // Two processes connecting to a new database at once: the first insert wins, and the
        // other process then checks its key against the winner's.
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind([nonce, sealed].concat())
        .execute(&self.pool)
        .await?;
        let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'key_check'")
            .fetch_one(&self.pool)
            .await?;
        let (nonce, sealed) = stored
            .split_at_checked(crate::secrets::NONCE_LEN)
            .ok_or_else(|| StoreError::Corrupt("meta key_check is too short".into()))?;
        match self.cipher.open(nonce, sealed, KEY_CHECK_AAD) {
            Ok(plain) if plain == KEY_CHECK_PLAINTEXT => Ok(()),
            _ => Err(StoreError::WrongKey),
        }
    }
}

/// How often the write-ahead log is copied back into the SQLite file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// A log longer than this (about 16 MB) is started again from its beginning: without that, a
/// writer that never pauses would grow the log for ever, and every start-up would read it all.
const RESTART_LOG_FRAMES: i64 = 4096;

/// The log is this long only if the writer did not start it again (no plain turns came): a
/// restarting checkpoint then makes every writer wait for it.
const FORCE_RESTART_LOG_FRAMES: i64 = 4 * RESTART_LOG_FRAMES;

/// Copies the SQLite write-ahead log back into the database file every [`CHECKPOINT_EVERY`],
/// on a connection of its own, for as long as `pool` is open. A passive checkpoint never waits
/// for the writer nor makes it wait, so no turn pays for it.
///
/// SQLite starts the log again from its beginning when a write begins with every frame of it
/// copied back, which a passive checkpoint under steady traffic never achieves: a commit lands
/// while it copies. So when the log is longer than [`RESTART_LOG_FRAMES`], it asks the group
/// writer (`log_too_long`) to finish the copy between two groups, which takes only what was
/// written since this checkpoint (a fraction of a millisecond); the writer's next group then
/// starts the log again. A restarting checkpoint here, which blocks every writer while it runs
/// (milliseconds, and a stall of every turn behind it), is the fallback past
/// [`FORCE_RESTART_LOG_FRAMES`].
fn checkpoint_in_background(url: String, pool: AnyPool, log_too_long: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let connected = async {
            let mut conn = sqlx::AnyConnection::connect(&url).await?;
            conn.execute("PRAGMA busy_timeout = 5000").await?;
            // The log file is cut back to this size whenever it restarts.
            conn.execute("PRAGMA journal_size_limit = 16777216").await?;
            Ok::<_, sqlx::Error>(conn)
        };
        let mut conn = match connected.await {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "no background checkpoints; the log is copied when the last connection closes");
                return;
            }
        };
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !pool.is_closed() {
            tick.tick().await;
            let frames = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&mut conn)
                .await
                .and_then(|row| row.try_get::<i64, _>(1));
            let frames = match frames {
                Ok(frames) => frames,
                Err(error) => {
                    tracing::warn!(%error, "background checkpoint failed; trying again");
                    0
                }
            };
            log_too_long.store(frames > RESTART_LOG_FRAMES, Ordering::Relaxed);
            if frames > FORCE_RESTART_LOG_FRAMES
                && let Err(error) = conn.execute("PRAGMA wal_checkpoint(RESTART)").await
            {
                tracing::warn!(%error, "could not restart the write-ahead log; trying again");
            }
        }
        let _ = conn.close().await;
    });
}

/// A SQLite URL's path and its query parameters (`a=1&b=2`).
fn sqlite_path_and_params(url: &str) -> (&str, &str) {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or_default();
    rest.split_once('?').unwrap_or((rest, ""))
}

/// Whether a SQLite URL names an in-memory database (each connection would have its own).
fn sqlite_in_memory(url: &str) -> bool {
    let (path, params) = sqlite_path_and_params(url);
    path.is_empty() || path == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

/// The file a `sqlite:` URL names; None in memory or when SQLite decodes the name itself.
fn sqlite_file(url: &str) -> Option<Arc<Path>> {
    let (path, _) = sqlite_path_and_params(url);
    (url.starts_with("sqlite:") && !sqlite_in_memory(url) && !path.contains('%'))
        .then(|| Arc::from(Path::new(path)))
}

/// Creates the SQLite file (owner-only: it holds names and addresses) and its folder, so a first
/// run works with any URL, not only `?mode=rwc`.
fn prepare_sqlite_file(url: &str) -> Result<(), StoreError> {
    let (path, params) = sqlite_path_and_params(url);
    if sqlite_in_memory(url) || params.split('&').any(|p| p == "mode=ro") || path.contains('%') {
        // In memory, read-only, or percent-encoded: leave it to SQLite.
        return Ok(());
    }
    let path = Path::new(path);
    if path.exists() {
        return Ok(());
    }
    let failed = |source| StoreError::CreateFile {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // An empty file is a valid, empty SQLite database.
    options.open(path).map_err(failed)?;
    Ok(())
}

fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn read_time(row: &AnyRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
    let millis: i64 = row.try_get(column)?;
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| StoreError::Corrupt(format!("{column} = {millis} is not a time")))
}

fn read_date(column: &str, text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("{column} = {text:?} is not a YYYY-MM-DD date")))
}

fn write_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Ticket numbers are stored upper case, so look-ups ignore case and still use the index.
fn normalize_number(number: &str) -> String {
    number.trim().to_ascii_uppercase()
}

/// Reads a text column into one of the enums above.
fn read_enum<T>(
    row: &AnyRow,
    column: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} = {text:?} is not known")))
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.is_unique_violation())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
