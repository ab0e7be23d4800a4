//! `portbot-bench`, run as `portbot bench`: the headline figures in one run, each beside the
//! limit it is measured against in the same run (these machines are shared and noisy, so ratios
//! are what count).
//!
//! 1. Customer turns per second through engine and store on a SQLite file in WAL mode, many
//!    conversations in flight; p50/p99 turn latency with messages arriving at a fixed rate
//!    (1,000 a second by default), at half the turn rate, and flat out ([`turns`]);
//! 2. raw single-row upsert transactions per second on the same database, in rounds
//!    interleaved with the turns': the limit ([`turns`]);
//! 3. the same two on PostgreSQL when a URL is given;
//! 4. LOA renders per second, against the same content rendered by Python's reportlab
//!    ([`loa`]);
//! 5. resident memory of a process holding 10,000 conversations mid-flow ([`memory`]);
//! 6. start-up time, from process start to the first message, on that database ([`memory`]);
//! 7. the growth table ([`growth`]): the paths that run all day ([`workload`]), as the store
//!    grows to a million conversations and tickets.
//!
//! A binary of its own beside `portbot`, so no bench code is in the library: it uses the
//! library's public API, and opens its own database connections for what no service call
//! does (the raw upserts of the yardstick, the bulk rows of the growth table). `portbot bench
//! ARGS` runs it with the same arguments. The method is written down in `BENCHMARKS.md`.

mod growth;
mod loa;
mod memory;
mod turns;
mod workload;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use portbot::config::Config;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// Measure turns, raw writes, LOA renders, memory and start-up in one run (BENCHMARKS.md).
#[derive(Debug, Parser)]
#[command(name = "portbot bench", bin_name = "portbot bench", version)]
struct Options {
    /// An administrative PostgreSQL URL, to measure PostgreSQL too (a scratch database is
    /// created and dropped).
    #[arg(long)]
    postgres: Option<String>,
    /// Conversations driven through the turn benchmark.
    #[arg(long, default_value_t = 400)]
    conversations: usize,
    /// Turns handled at once (customers whose messages arrive at the same moment).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Messages a second arriving for the latency figure. The default is 20 times what one
    /// Discord bot may post (50 requests a second, Discord's global limit).
    #[arg(long, default_value_t = 1_000.0)]
    arrival_rate: f64,
    /// Conversations held open for the memory figure.
    #[arg(long, default_value_t = 10_000)]
    memory_conversations: usize,
    /// LOAs rendered for the LOA figure.
    #[arg(long, default_value_t = 2_000)]
    loa_renders: usize,
    /// Skip the comparison with Python's reportlab (installed in a virtual environment).
    #[arg(long)]
    skip_reportlab: bool,
    /// Conversations (and about as many tickets) the growth table's store is grown to, in
    /// steps; 10000,100000,1000000 when not given.
    #[arg(long, value_delimiter = ',')]
    growth_sizes: Option<Vec<usize>>,
    /// Only the growth table.
    #[arg(long, conflicts_with = "skip_growth")]
    growth_only: bool,
    /// Everything but the growth table.
    #[arg(long)]
    skip_growth: bool,
    /// Be the memory figure's child: open N conversations mid-flow, print this process's memory.
    #[arg(long, value_name = "N", hide = true)]
    memory_child: Option<usize>,
}

impl Options {
    /// The sizes the growth table's store is grown to; none: no growth table.
    fn growth_sizes(&self) -> Vec<usize> {
        let mut sizes = match (self.skip_growth, &self.growth_sizes) {
            (true, _) => Vec::new(),
            (false, Some(sizes)) => sizes.clone(),
            (false, None) => growth::DEFAULT_SIZES.to_vec(),
        };
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    portbot::logging::init();
    let mut options = Options::parse();
    options.concurrency = options.concurrency.max(1);
    options.arrival_rate = options.arrival_rate.max(1.0);
    options.loa_renders = options.loa_renders.max(1);
    let done = match options.memory_child {
        Some(conversations) => memory::memory_child(conversations).await,
        None => run(&options).await.map(|table| print!("{table}")),
    };
    match done {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("portbot bench: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs every benchmark and returns the table (Markdown).
async fn run(options: &Options) -> anyhow::Result<String> {
    let mut rows = Vec::new();

    if !options.growth_only {
        let dir = tempfile::tempdir()?;
        rows.extend(turns::turn_benchmark("SQLite (WAL)", dir.path(), None, options).await?);
        if let Some(admin) = &options.postgres {
            let pg_dir = tempfile::tempdir()?;
            let scratch = Scratch::create(admin, "turns").await?;
            let result =
                turns::turn_benchmark("PostgreSQL", pg_dir.path(), Some(&scratch.url), options);
            let result = result.await;
            scratch.drop().await?;
            rows.extend(result?);
        }
    }

    let sizes = options.growth_sizes();
    if !sizes.is_empty() {
        let sizes = &sizes;
        let dir = tempfile::tempdir()?;
        rows.extend(growth::rows("SQLite (WAL)", dir.path(), None, sizes).await?);
        if let Some(admin) = &options.postgres {
            let pg_dir = tempfile::tempdir()?;
            let mut scratches = Vec::new();
            for size in sizes {
                scratches.push(Scratch::create(admin, &format!("growth_{size}")).await?);
            }
            let urls: Vec<String> = scratches.iter().map(|s| s.url.clone()).collect();
            let result = growth::rows("PostgreSQL", pg_dir.path(), Some(&urls), sizes).await;
            for scratch in scratches {
                scratch.drop().await?;
            }
            rows.extend(result?);
        }
    }

    if !options.growth_only {
        rows.extend(loa::loa_benchmark(options)?);
        rows.extend(memory::memory_and_startup(options).await?);
    }

    let mut table =
        String::from("| figure | measured | limit / target | verdict |\n|---|---|---|---|\n");
    for row in rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row.what, row.value, row.limit, row.verdict
        ));
    }
    Ok(table)
}

/// One benchmark line.
struct Row {
    what: String,
    value: String,
    limit: String,
    verdict: String,
}

fn config_for(data_dir: &Path, database_url: Option<&str>) -> anyhow::Result<Config> {
    let data_dir = data_dir.display().to_string();
    let database_url = database_url.map(str::to_string);
    let key = {
        use base64::Engine;
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random key: {e}"))?;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    Ok(Config::from_lookup(|name| match name {
        "PORTBOT_DATA_DIR" => Some(data_dir.clone()),
        "DATABASE_URL" => database_url.clone(),
        "PORTBOT_SECRET_KEY" => Some(key.clone()),
        "PORTBOT_NOW" => Some("2026-11-23T15:00:00Z".into()),
        "PORTBOT_PROVIDER_NAME" => Some("Example Voice Co.".into()),
        // The limiter runs (its cost is measured) but never refuses the scripted customers.
        "PORTBOT_MAX_MESSAGES_PER_MINUTE" | "PORTBOT_MAX_CONVERSATIONS_PER_DAY" => {
            Some("100000".into())
        }
        _ => None,
    })?)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn verdict(met: bool) -> String {
    if met { "met".into() } else { "NOT met".into() }
}

/// A scratch PostgreSQL database, created under an administrative URL and dropped after.
struct Scratch {
    admin: PgConnection,
    name: String,
    url: String,
}

impl Scratch {
    async fn create(admin_url: &str, what: &str) -> anyhow::Result<Scratch> {
        let name = format!("portbot_bench_{what}_{}", std::process::id());
        let mut admin = PgConnection::connect(admin_url)
            .await
            .context("connecting to PostgreSQL")?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        let url = with_database(admin_url, &name);
        Ok(Scratch { admin, name, url })
    }

    async fn drop(mut self) -> anyhow::Result<()> {
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut self.admin)
        .await?;
        Ok(())
    }
}

/// `postgres://user@host:port/db?x` with the database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The p50 and p99 of `latencies`.
pub fn summary(mut latencies: Vec<Duration>) -> (Duration, Duration) {
    latencies.sort();
    (percentile(&latencies, 0.50), percentile(&latencies, 0.99))
}

/// The `p` quantile (0 to 1) of `sorted`, by the nearest rank; zero when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}
