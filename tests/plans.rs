//! Every statement the paths that run all day execute (a customer's turn, a guild message's
//! channel look-up, `/port status`, an agent's ticket list and show, a worker pass) uses an
//! index: none reads a whole table, whatever the table holds. The statements are the ones the
//! real code runs (recorded from sqlx's statement log while `portbot bench`'s growth paths run
//! on generated rows), and their plans are asked of the database: `EXPLAIN QUERY PLAN` on
//! SQLite, `EXPLAIN` of the generic plan on PostgreSQL (with whole-table reads and hash or merge
//! joins discouraged, as on a large table).

mod common;
/// The growth table's workload, as `portbot bench` runs it.
#[path = "../src/bin/portbot-bench/workload.rs"]
mod workload;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use common::TestDb;
use portbot::config::Config;
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Tables that grow with the deployment's history: none may be read whole.
const GROWING: &[&str] = &[
    "conversations",
    "processed_messages",
    "transcript",
    "tickets",
    "ticket_numbers",
    "secrets",
    "documents",
    "ticket_events",
    "outbox",
    "drafts",
];

/// The tests of this file, one at a time: the statement log is one for the whole process.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static RECORDING: AtomicBool = AtomicBool::new(false);
static RECORDED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
/// The connection's own scratch tables, created at connect: created again where plans are asked.
static TEMP_TABLES: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Keeps the SQL of sqlx's statement log (target `sqlx::query`).
struct Recorder;

#[derive(Default)]
struct Statement {
    summary: String,
    full: String,
}

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.full = value.to_string(),
            _ => {}
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        let sql = if statement.full.trim().is_empty() {
            statement.summary
        } else {
            statement.full
        };
        let sql = without_comments(&sql)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if sql.starts_with("CREATE TEMP TABLE") {
            TEMP_TABLES.lock().unwrap().insert(sql);
        } else if RECORDING.load(Ordering::SeqCst) {
            RECORDED.lock().unwrap().insert(sql);
        }
    }
}

/// `sql` without its `--` comments (the statements kept in `.sql` files carry some), which
/// would swallow the rest once the lines are joined.
fn without_comments(sql: &str) -> String {
    let mut kept = String::new();
    for line in sql.lines() {
        let mut quoted = false;
        let mut end = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '-' if !quoted && line[i..].starts_with("--") => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        kept.push_str(&line[..end]);
        kept.push('\n');
    }
    kept
}

fn install_recorder() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Recorder);
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

fn config(db: &TestDb, dir: &std::path::Path) -> Config {
    let data_dir = dir.display().to_string();
    Config::from_lookup(|name| match name {
        "PORTBOT_DATA_DIR" => Some(data_dir.clone()),
        "DATABASE_URL" => Some(db.url.clone()),
        "PORTBOT_SECRET_KEY" => Some(db.key.clone()),
        "PORTBOT_NOW" => Some("2026-11-23T15:00:00Z".into()),
        "PORTBOT_MAX_MESSAGES_PER_MINUTE" | "PORTBOT_MAX_CONVERSATIONS_PER_DAY" => {
            Some("100000".into())
        }
        _ => None,
    })
    .unwrap()
}

/// Grows the store with generated rows, runs every path once over them, and returns the
/// statements they ran (transaction control and session settings left out), with a connection
/// to ask plans on.
async fn statements_of_the_paths(db: &TestDb) -> (Vec<String>, AnyConnection, bool) {
    install_recorder();
    let dir = tempfile::tempdir().unwrap();
    let config = config(db, dir.path());
    let postgres = !db.url.starts_with("sqlite:");
    let service = portbot::app::start_service(config.clone()).await.unwrap();
    workload::prepare(&service).await.unwrap();
    let mut conn = AnyConnection::connect(&db.url).await.unwrap();
    let now = config.now().timestamp_millis();
    workload::generate(&mut conn, postgres, 0, 300, now)
        .await
        .unwrap();
    let numbers = workload::ticket_numbers(&mut conn).await.unwrap();
    assert!(!numbers.is_empty());
    // Notices due, so the worker pass claims some (with none due it only looks).
    assert!(workload::notices_due(&mut conn, now).await.unwrap() > 0);

    RECORDED.lock().unwrap().clear();
    RECORDING.store(true, Ordering::SeqCst);
    // On a blocking thread: the paths' future holds borrows that keep it from being `Send`,
    // which the test harness requires of the test's own future.
    let service = std::sync::Arc::new(service);
    let runner = service.clone();
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current()
            .block_on(workload::time_paths(&runner, 300, 0, &numbers, 12))
    })
    .await
    .unwrap()
    .unwrap();
    RECORDING.store(false, Ordering::SeqCst);

    let statements: Vec<String> = RECORDED
        .lock()
        .unwrap()
        .iter()
        .flat_map(|sql| split_statements(sql))
        .filter(|sql| {
            let head = sql.to_ascii_uppercase();
            ![
                "BEGIN",
                "COMMIT",
                "ROLLBACK",
                "SAVEPOINT",
                "RELEASE",
                "PRAGMA",
                // A session setting (PostgreSQL's connect-time SETs), not a read of a table.
                "SET ",
            ]
            .iter()
            .any(|word| head.starts_with(word))
        })
        .collect();
    if !postgres {
        let temp: Vec<String> = TEMP_TABLES.lock().unwrap().iter().cloned().collect();
        for sql in temp {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
    (statements, conn, postgres)
}

/// The statements of a string that holds several (SQLite's group commit), split at semicolons
/// outside quotes.
fn split_statements(sql: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The highest `$N` in `sql`.
fn parameters(sql: &str) -> usize {
    let mut highest = 0;
    let bytes = sql.as_bytes();
    for (i, _) in sql.match_indices('$') {
        let digits: String = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|b| *b as char)
            .collect();
        if let Ok(n) = digits.parse::<usize>() {
            highest = highest.max(n);
        }
    }
    highest
}

/// The plan's lines.
async fn plan(conn: &mut AnyConnection, postgres: bool, sql: &str) -> Vec<String> {
    let count = parameters(sql);
    if postgres {
        // Statements of our own (never cached, so sqlx's cache is left alone): the generic plan,
        // the one a statement gets whatever its parameters, with NULLs for them. On a few hundred
        // rows the planner would rather read small tables whole (a sequential scan, a hash or
        // merge join); told not to, it shows whether an index can find each row, which is what
        // it picks once the tables are large (portbot bench's growth table measures that).
        sqlx::raw_sql(AssertSqlSafe(format!(
            "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; \
             SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off; \
             PREPARE checked AS {sql}"
        )))
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("preparing {sql}: {e}"));
        let execute = if count == 0 {
            "EXPLAIN EXECUTE checked".to_string()
        } else {
            format!(
                "EXPLAIN EXECUTE checked({})",
                vec!["NULL"; count].join(", ")
            )
        };
        let rows = sqlx::query(AssertSqlSafe(execute))
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("explaining {sql}: {e}"));
        sqlx::raw_sql("DEALLOCATE checked")
            .execute(&mut *conn)
            .await
            .unwrap();
        rows.iter()
            .map(|row| row.try_get::<String, _>(0).unwrap())
            .collect()
    } else {
        // Not cached: a cached plan would outlive a dropped index.
        let mut query =
            sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).persistent(false);
        for _ in 0..count {
            query = query.bind(None::<String>);
        }
        let rows = query
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("explaining {sql}: {e}"));
        rows.iter()
            .map(|row| row.try_get::<String, _>("detail").unwrap())
            .collect()
    }
}

/// Columns with few values (a status, a platform, a channel, whether delivered): an index
/// search keyed on these alone reads a share of the whole table.
const FEW_VALUES: &[&str] = &[
    "platform",
    "customer_platform",
    "status",
    "kind",
    "channel",
    "delivered_at",
    "visibility",
];

/// The indexes: name, table, and whether partial (an ordered walk over a partial index reads
/// only the rows it holds, open tickets or uploads, never the table's history).
async fn indexes(conn: &mut AnyConnection, postgres: bool) -> Vec<(String, String, bool)> {
    let sql = if postgres {
        "SELECT indexname::text, tablename::text, \
         CASE WHEN indexdef LIKE '% WHERE %' THEN 1 ELSE 0 END \
         FROM pg_indexes WHERE schemaname = current_schema()"
    } else {
        "SELECT name, tbl_name, CASE WHEN sql LIKE '% WHERE %' THEN 1 ELSE 0 END \
         FROM sqlite_master WHERE type = 'index'"
    };
    sqlx::query(sql)
        .fetch_all(conn)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let partial: i32 = row.try_get(2).unwrap();
            (row.get(0), row.get(1), partial == 1)
        })
        .collect()
}

/// Aliases of growing tables in `sql` (`FROM tickets t`, `JOIN conversations c`), with the
/// tables themselves.
fn growing_names(sql: &str) -> Vec<(String, String)> {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut names = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if let Some(table) = GROWING.iter().find(|t| word.eq_ignore_ascii_case(t)) {
            names.push((table.to_string(), table.to_string()));
            let mut next = words.get(i + 1).cloned().unwrap_or_default();
            if next.eq_ignore_ascii_case("AS") {
                next = words.get(i + 2).cloned().unwrap_or_default();
            }
            if next.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !next.is_empty() {
                names.push((next, table.to_string()));
            }
        }
    }
    names
}

/// Whether an index search with these key comparisons (`column op`) finds few rows: an equality
/// on a column with many values, or a range with both ends; or, when `walk` (the statement
/// stops at a LIMIT and sorts nothing, so it reads the index in order and stops), any range.
fn selective(keys: &[(String, String)], walk: bool) -> bool {
    let many = |column: &str| !FEW_VALUES.contains(&column);
    let equal = |op: &str| op == "=" || op == "IS";
    let ranged = |column: &str| {
        let ops: Vec<&str> = keys
            .iter()
            .filter(|(c, _)| c == column)
            .map(|(_, op)| op.as_str())
            .collect();
        ops.iter().any(|op| op.starts_with('>')) && ops.iter().any(|op| op.starts_with('<'))
    };
    keys.iter()
        .any(|(column, op)| (equal(op) && many(column)) || (!equal(op) && (walk || ranged(column))))
}

/// SQLite's search key, `(platform=? AND channel_id>?)`, as (column, operator).
fn sqlite_keys(line: &str) -> Vec<(String, String)> {
    let Some(open) = line.rfind('(') else {
        return Vec::new();
    };
    line[open + 1..]
        .trim_end_matches(')')
        .split(" AND ")
        .filter_map(|part| {
            let at = part.find(|c: char| "=<>".contains(c))?;
            let op = part[at..].trim_end_matches('?').to_string();
            Some((part[..at].trim().to_string(), op))
        })
        .collect()
}

/// PostgreSQL's `Index Cond: ((c.platform = $1) AND (channel_id IS NULL))` as (column,
/// operator).
fn postgres_keys(cond: &str) -> Vec<(String, String)> {
    let Some(at) = cond.find("Index Cond:") else {
        return Vec::new();
    };
    cond[at + "Index Cond:".len()..]
        .split(" AND ")
        .filter_map(|part| {
            let mut words = part
                .trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace())
                .split_whitespace();
            let column = words.next()?.rsplit('.').next()?.to_string();
            Some((column, words.next()?.to_string()))
        })
        .collect()
}

/// What in `plan` reads a growing table whole, or a share of it that grows with it: a scan
/// with no index; an index walked in order that is neither partial nor cut short by a LIMIT;
/// an index search keyed only on columns with few values.
fn scans(
    sql: &str,
    plan: &[String],
    postgres: bool,
    indexes: &[(String, String, bool)],
) -> Vec<String> {
    let limited = sql.to_ascii_uppercase().contains(" LIMIT ");
    let partial = |index: &str| indexes.iter().any(|(name, _, p)| *p && name == index);
    let mut found = Vec::new();
    if postgres {
        let walk = limited
            && plan.iter().any(|l| l.trim_start().starts_with("Limit"))
            && !plan.iter().any(|l| {
                // An incremental sort only orders rows that tie on the index's order: bounded.
                l.trim_start()
                    .trim_start_matches("->")
                    .trim_start()
                    .starts_with("Sort  (")
            });
        for (i, line) in plan.iter().enumerate() {
            let node = line.trim_start().trim_start_matches("->").trim_start();
            let words: Vec<&str> = node.split_whitespace().collect();
            let after = |word: &str| {
                words
                    .iter()
                    .position(|w| *w == word)
                    .and_then(|at| words.get(at + 1))
                    .map(|w| w.to_string())
            };
            if node.starts_with("Seq Scan") {
                let table = after("on").unwrap_or_default();
                if GROWING.contains(&table.as_str()) {
                    found.push(format!("{table}: {}", node.trim()));
                }
                continue;
            }
            let index = if node.starts_with("Bitmap Index Scan") {
                after("on")
            } else if node.starts_with("Index") {
                after("using")
            } else {
                None
            };
            let Some(index) = index else { continue };
            let Some((_, table, _)) = indexes.iter().find(|(name, _, _)| *name == index) else {
                continue;
            };
            if !GROWING.contains(&table.as_str()) || partial(&index) {
                continue;
            }
            let details: Vec<&String> = plan[i + 1..]
                .iter()
                .take_while(|l| !l.contains("->"))
                .collect();
            let cond: String = details
                .iter()
                .filter(|l| l.contains("Index Cond:"))
                .map(|l| l.as_str())
                .collect();
            let filtered = details.iter().any(|l| l.contains("Filter:"));
            let keys = postgres_keys(&cond);
            // A walk in order stops at the LIMIT only if every row it reads is kept.
            let whole = if keys.is_empty() {
                !walk || filtered
            } else {
                !selective(&keys, walk)
            };
            if whole {
                found.push(format!("{table}: {} {}", node.trim(), cond.trim()));
            }
        }
    } else {
        let names = growing_names(sql);
        let walk = limited
            && !plan
                .iter()
                .any(|l| l.contains("USE TEMP B-TREE FOR") && l.contains("ORDER BY"));
        for line in plan {
            let line = line.trim();
            let (searched, rest) = match (line.strip_prefix("SCAN "), line.strip_prefix("SEARCH "))
            {
                (Some(rest), _) => (false, rest),
                (_, Some(rest)) => (true, rest),
                _ => continue,
            };
            let name = rest.split_whitespace().next().unwrap_or_default();
            let Some((_, table)) = names.iter().find(|(alias, _)| alias == name) else {
                continue;
            };
            let index = rest
                .split_whitespace()
                .skip_while(|w| *w != "INDEX")
                .nth(1)
                .unwrap_or_default();
            let whole = if rest.contains("PRIMARY KEY") || partial(index) {
                false
            } else if searched {
                !selective(&sqlite_keys(rest), walk)
            } else {
                !(rest.contains(" USING ") && walk)
            };
            if whole {
                found.push(format!("{table}: {line}"));
            }
        }
    }
    found
}

/// Every plan's whole-table reads, by statement.
async fn all_scans(
    conn: &mut AnyConnection,
    postgres: bool,
    statements: Vec<String>,
) -> Vec<(String, Vec<String>)> {
    let indexes = indexes(conn, postgres).await;
    let mut found = Vec::new();
    for sql in statements {
        let plan = plan(conn, postgres, &sql).await;
        let scans = scans(&sql, &plan, postgres, &indexes);
        if !scans.is_empty() {
            found.push((sql, scans));
        }
    }
    found
}

async fn no_path_reads_a_whole_table(db: TestDb) {
    let (statements, mut conn, postgres) = statements_of_the_paths(&db).await;
    // The paths ran: turns, look-ups, lists, the worker's claims.
    for expected in [
        "FROM tickets",
        "channel_id",
        "UPDATE outbox",
        "FROM documents",
    ] {
        assert!(
            statements.iter().any(|s| s.contains(expected)),
            "no statement with {expected:?} was recorded: {statements:#?}"
        );
    }
    let found = all_scans(&mut conn, postgres, statements.clone()).await;
    assert!(found.is_empty(), "whole-table reads: {found:#?}");

    // The check can fail: without the channel index, the guild message's look-up reads every
    // conversation, and without the open tickets' index the agents' list walks all tickets.
    for index in [
        "conversations_by_channel".to_string(),
        "tickets_open".to_string(),
    ] {
        sqlx::query(AssertSqlSafe(format!("DROP INDEX {index}")))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let found = all_scans(&mut conn, postgres, statements.clone()).await;
    for needle in [
        "channel_id = $2",
        "NOT IN ('completed', 'cancelled') ORDER BY t.id DESC",
    ] {
        assert!(
            found.iter().any(|(sql, _)| sql.contains(needle)),
            "dropping an index went unnoticed ({needle}): {found:#?}"
        );
    }
}

// One test for both backends: the statement log is one for the whole process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_path_reads_a_whole_table_on_either_backend() {
    let _serial = SERIAL.lock().await;
    common::run_sqlite(no_path_reads_a_whole_table).await;
    common::run_postgres(no_path_reads_a_whole_table).await;
}

/// `/port status` lists a customer's newest tickets, however many they have, and says there
/// are older ones.
async fn status_lists_the_newest_tickets(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let config = config(&db, dir.path());
    let now = config.now();
    let shown = portbot::service::STATUS_TICKETS as usize;
    let numbers: Vec<String> = (1..=shown + 2)
        .map(|n| format!("PB-{}", 10_000 + n))
        .collect();
    for number in &numbers {
        let conversation = common::start_conversation(&db.store, "discord", "many", now).await;
        common::add_ticket(&db.store, &conversation, number, now).await;
    }
    let service = portbot::app::start_service(config).await.unwrap();
    let customer = portbot::service::Customer {
        platform: "discord".into(),
        id: "many".into(),
        channel_id: None,
    };
    let replies = service.status_replies(&customer).await.unwrap();
    let text: String = replies.iter().map(|r| r.text.as_str()).collect();
    let listed: Vec<&String> = numbers
        .iter()
        .filter(|n| text.contains(n.as_str()))
        .collect();
    assert_eq!(listed, numbers.iter().skip(2).collect::<Vec<_>>(), "{text}");
    let older = &service.words().script.common.messages.status_older_tickets;
    assert!(text.ends_with(older), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_the_newest_tickets_on_either_backend() {
    let _serial = SERIAL.lock().await;
    common::run_sqlite(status_lists_the_newest_tickets).await;
    common::run_postgres(status_lists_the_newest_tickets).await;
}
