//! The growth table of `portbot bench`: what the paths that run all day cost as years of
//! conversations and tickets pile up.
//!
//! One database per backend is grown in steps (10,000, then 100,000, then 1,000,000
//! conversations and about as many tickets, by default) with the rows of
//! [`workload::generate`]; between steps a fresh service times [`workload::time_paths`]. Each
//! figure at the largest size is judged against the same figure at the smallest.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::{AnyConnection, Connection};

use crate::workload::{SAMPLES, generate, prepare, ticket_numbers, time_paths};
use crate::{Row, config_for, ms, verdict};

/// Sizes grown to when `--growth-sizes` is not given.
pub const DEFAULT_SIZES: &[usize] = &[10_000, 100_000, 1_000_000];

/// The target: each figure at the largest size within this factor of the smallest.
const MAX_GROWTH: f64 = 1.5;
/// The target: p99 on SQLite at every size.
const MAX_SQLITE_P99: Duration = Duration::from_millis(5);

/// p50 and p99 of every path, by name, at one size.
struct Timings {
    size: usize,
    generated_in: Duration,
    figures: Vec<(&'static str, (Duration, Duration))>,
}

/// The growth rows for SQLite and, with `postgres_url` (a scratch database's), PostgreSQL.
pub async fn rows(
    label: &str,
    data_dir: &Path,
    database_url: Option<&str>,
    sizes: &[usize],
) -> anyhow::Result<Vec<Row>> {
    let timings = grow(data_dir, database_url, sizes).await?;
    Ok(table(label, database_url.is_none(), &timings))
}

async fn grow(
    data_dir: &Path,
    database_url: Option<&str>,
    sizes: &[usize],
) -> anyhow::Result<Vec<Timings>> {
    let config = config_for(data_dir, database_url)?;
    let url = config.database_url.clone();
    let postgres = !url.starts_with("sqlite:");
    prepare(&portbot::app::start_service(config.clone()).await?).await?;
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    let mut timings = Vec::new();
    let mut from = 0;
    for size in sizes {
        let started = Instant::now();
        let mut conn = AnyConnection::connect(&url).await?;
        generate(
            &mut conn,
            postgres,
            from,
            size,
            config.now().timestamp_millis(),
        )
        .await
        .with_context(|| format!("generating {size} conversations"))?;
        let generated_in = started.elapsed();
        let numbers = ticket_numbers(&mut conn).await?;
        conn.close().await?;
        from = size;
        let service = Arc::new(portbot::app::start_service(config.clone()).await?);
        let figures = time_paths(&service, size, numbers, SAMPLES).await?;
        timings.push(Timings {
            size,
            generated_in,
            figures,
        });
    }
    Ok(timings)
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
