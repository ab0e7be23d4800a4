//! The growth table of `portbot bench`: what the paths that run all day cost as years of
//! conversations and tickets pile up.
//!
//! One store per size and backend (10,000, 100,000 and 1,000,000 conversations and about as many
//! tickets, by default) is filled with the rows of [`workload::generate`]. Then every store is
//! timed with [`workload::time_paths`] in [`ROUNDS`] rounds, each store in turn within a round
//! (smallest first, then largest first in the next), so the sizes are timed side by side, under
//! the same load of the machine, rather than one after another minutes apart. Each figure at the
//! largest size is judged against the same figure at the smallest.
//!
//! Before the rounds, every path runs once on each store untimed: the first run of a statement
//! on a connection prepares it, once in the connection's life, whatever the store holds. Each
//! round starts with a backlog of chat notices due ([`notices_due`]), as after a restart, so the
//! round's first worker pass delivers about thirty: one pass in ten is timed with a backlog.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use portbot::service::Service;
use sqlx::{AnyConnection, Connection};

use crate::workload::{SAMPLES, generate, notices_due, prepare, ticket_numbers, time_paths};
use crate::{Row, config_for, ms, summary, verdict};

/// Sizes grown to when `--growth-sizes` is not given.
pub const DEFAULT_SIZES: &[usize] = &[10_000, 100_000, 1_000_000];

/// The target: each figure at the largest size within this factor of the smallest.
const MAX_GROWTH: f64 = 1.5;
/// The target: p99 on SQLite at every size.
const MAX_SQLITE_P99: Duration = Duration::from_millis(5);
/// Rounds the samples of every path are split into, the sizes taking turns.
const ROUNDS: usize = 5;
/// Samples of each path in the untimed run before the rounds (one worker pass, one customer).
const WARM_UP: usize = SAMPLES / ROUNDS / 10;

/// p50 and p99 of every path, by name, at one size.
struct Timings {
    size: usize,
    generated_in: Duration,
    figures: Vec<(&'static str, (Duration, Duration))>,
}

/// One size's store, filled and ready to time.
struct Filled {
    size: usize,
    url: String,
    /// The store's clock (unix ms).
    now: i64,
    generated_in: Duration,
    service: Service,
    numbers: Vec<String>,
    latencies: Vec<(&'static str, Vec<Duration>)>,
}

/// The growth rows for SQLite (`database_urls` None: a SQLite file per size under `data_dir`)
/// or PostgreSQL (`database_urls`: a scratch database per size, in the order of `sizes`).
pub async fn rows(
    label: &str,
    data_dir: &Path,
    database_urls: Option<&[String]>,
    sizes: &[usize],
) -> anyhow::Result<Vec<Row>> {
    let mut filled = Vec::new();
    for (index, &size) in sizes.iter().enumerate() {
        let url = database_urls
            .and_then(|urls| urls.get(index))
            .map(String::as_str);
        let dir = data_dir.join(size.to_string());
        std::fs::create_dir_all(&dir)?;
        filled.push(fill(&dir, url, size).await?);
    }
    for store in &filled {
        // Numbered after the timed rounds, so its customers and messages are new ones.
        time_paths(&store.service, store.size, ROUNDS, &store.numbers, WARM_UP).await?;
    }
    for round in 0..ROUNDS {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..filled.len()).collect()
        } else {
            (0..filled.len()).rev().collect()
        };
        for index in order {
            let store = &mut filled[index];
            let mut conn = AnyConnection::connect(&store.url).await?;
            notices_due(&mut conn, store.now).await?;
            conn.close().await?;
            let figures = time_paths(
                &store.service,
                store.size,
                round,
                &store.numbers,
                SAMPLES / ROUNDS,
            )
            .await?;
            if store.latencies.is_empty() {
                store.latencies = figures;
            } else {
                for ((_, all), (_, more)) in store.latencies.iter_mut().zip(figures) {
                    all.extend(more);
                }
            }
        }
    }
    let timings: Vec<Timings> = filled
        .into_iter()
        .map(|store| Timings {
            size: store.size,
            generated_in: store.generated_in,
            figures: store
                .latencies
                .into_iter()
                .map(|(path, latencies)| (path, summary(latencies)))
                .collect(),
        })
        .collect();
    Ok(table(label, database_urls.is_none(), &timings))
}

/// A new store of `size` generated conversations, with the service that times it.
async fn fill(data_dir: &Path, database_url: Option<&str>, size: usize) -> anyhow::Result<Filled> {
    let config = config_for(data_dir, database_url)?;
    let url = config.database_url.clone();
    let now = config.now().timestamp_millis();
    let postgres = !url.starts_with("sqlite:");
    prepare(&portbot::app::start_service(config.clone()).await?).await?;
    let started = Instant::now();
    let mut conn = AnyConnection::connect(&url).await?;
    generate(&mut conn, postgres, 0, size, now)
        .await
        .with_context(|| format!("generating {size} conversations"))?;
    let generated_in = started.elapsed();
    let numbers = ticket_numbers(&mut conn).await?;
    conn.close().await?;
    Ok(Filled {
        size,
        url,
        now,
        generated_in,
        service: portbot::app::start_service(config).await?,
        numbers,
        latencies: Vec::new(),
    })
}

fn table(label: &str, sqlite: bool, timings: &[Timings]) -> Vec<Row> {
    let mut rows = Vec::new();
    let (Some(first), Some(last)) = (timings.first(), timings.last()) else {
        return rows;
    };
    let sizes: Vec<String> = timings.iter().map(|t| count(t.size)).collect();
    rows.push(Row {
        what: format!(
            "{label}: growth, rows generated in bulk (conversations {})",
            sizes.join(" / ")
        ),
        value: timings
            .iter()
            .map(|t| format!("{:.1} s", t.generated_in.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" / "),
        limit: String::new(),
        verdict: String::new(),
    });
    for (index, (path, _)) in first.figures.iter().enumerate() {
        let at = |t: &Timings| t.figures[index].1;
        let (p50_first, _) = at(first);
        let (p50_last, p99_last) = at(last);
        let ratio = p50_last.as_secs_f64() / p50_first.as_secs_f64().max(1e-9);
        let worst_p99 = timings.iter().map(|t| at(t).1).max().unwrap_or_default();
        let mut met = ratio <= MAX_GROWTH;
        let mut limit = format!(
            "p50 at {} within {MAX_GROWTH}x of {}",
            count(last.size),
            count(first.size)
        );
        if sqlite {
            met &= worst_p99 <= MAX_SQLITE_P99;
            limit.push_str(&format!("; p99 under {}", ms(MAX_SQLITE_P99)));
        }
        let figures: Vec<String> = timings
            .iter()
            .map(|t| {
                let (p50, p99) = at(t);
                format!("{} / {}", ms(p50), ms(p99))
            })
            .collect();
        rows.push(Row {
            what: format!(
                "{label}: {path}, p50 / p99 at {} conversations",
                sizes.join(" / ")
            ),
            value: format!(
                "{}; {}/{}: {ratio:.2}x (p99 {:.2}x)",
                figures.join("; "),
                count(last.size),
                count(first.size),
                p99_last.as_secs_f64() / at(first).1.as_secs_f64().max(1e-9)
            ),
            limit,
            verdict: verdict(met),
        });
    }
    rows
}

/// 10,000 -> "10k", 1,000,000 -> "1M".
fn count(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
