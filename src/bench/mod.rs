//! `portbot bench`: the headline figures in one run, each beside the limit it is measured
//! against in the same run (these machines are shared and noisy, so ratios are what count).
//!
//! 1. Customer turns per second through engine and store on a SQLite file in WAL mode, many
//!    conversations in flight; p50/p99 turn latency with messages arriving at a fixed rate
//!    (1,000 a second by default), at half the turn rate, and flat out;
//! 2. raw single-row upsert transactions per second on the same database, in rounds
//!    interleaved with the turns': the limit;
//! 3. the same two on PostgreSQL when a URL is given;
//! 4. LOA renders per second, against the same content rendered by Python's reportlab;
//! 5. resident memory of a process holding 10,000 conversations mid-flow;
//! 6. start-up time, from process start to the first message, on that database;
//! 7. the growth table ([`growth`]): the paths that run all day, as the store grows to a
//!    million conversations and tickets.
//!
//! The method is written down in `BENCHMARKS.md`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::config::Config;
use crate::conversation::Input;
use crate::service::{Customer, Service};

pub mod growth;
pub use growth::DEFAULT_SIZES as DEFAULT_GROWTH_SIZES;

/// Answers from the menu to the summary: every question of a business landline request, so a
/// conversation stays mid-flow (no ticket is signed) and each answer is one full turn.
pub const SCRIPT: &[&str] = &[
    "1",
    "yes",
    "skip",
    "yes",
    "4821",
    "skip",
    "312-448-2915, 312-448-2916",
    "yes",
    "AT&T",
    "business landline",
    "Acme Plumbing LLC",
    "500 W Madison St, Suite 1200, Chicago, IL 60661",
    "Zoë Łukasiewicz, Office Manager",
    "8472 1193 0045, BTN (312) 448-2900",
    "no",
    "ok",
    "zoe@acmeplumbing.example.com",
];

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// An administrative PostgreSQL URL; a scratch database is created under it and dropped.
    pub postgres_url: Option<String>,
    /// Conversations driven through the turn benchmark.
    pub conversations: usize,
    /// Turns handled at once (customers whose messages arrive at the same moment).
    pub concurrency: usize,
    /// Messages a second arriving for the latency figure.
    pub arrival_rate: f64,
    /// Conversations held open for the memory figure.
    pub memory_conversations: usize,
    /// LOAs rendered for the LOA figure.
    pub loa_renders: usize,
    /// Skip the reportlab comparison (it installs reportlab in a virtual environment).
    pub skip_reportlab: bool,
    /// Conversations the growth table's store is grown to, step by step; empty: no growth table.
    pub growth_sizes: Vec<usize>,
    /// Only the growth table.
    pub growth_only: bool,
}

/// One benchmark line.
struct Row {
    what: String,
    value: String,
    limit: String,
    verdict: String,
}

/// Runs every benchmark and returns the table (Markdown).
pub async fn run(options: &BenchOptions) -> anyhow::Result<String> {
    let mut rows = Vec::new();

    if !options.growth_only {
        let dir = tempfile::tempdir()?;
        rows.extend(turn_benchmark("SQLite (WAL)", dir.path(), None, options).await?);
        if let Some(admin) = &options.postgres_url {
            let pg_dir = tempfile::tempdir()?;
            let scratch = Scratch::create(admin, "turns").await?;
            let result = turn_benchmark("PostgreSQL", pg_dir.path(), Some(&scratch.url), options);
            let result = result.await;
            scratch.drop().await?;
            rows.extend(result?);
        }
    }

    if !options.growth_sizes.is_empty() {
        let sizes = &options.growth_sizes;
        let dir = tempfile::tempdir()?;
        rows.extend(growth::rows("SQLite (WAL)", dir.path(), None, sizes).await?);
        if let Some(admin) = &options.postgres_url {
            let pg_dir = tempfile::tempdir()?;
            let scratch = Scratch::create(admin, "growth").await?;
            let result = growth::rows("PostgreSQL", pg_dir.path(), Some(&scratch.url), sizes);
            let result = result.await;
            scratch.drop().await?;
            rows.extend(result?);
        }
    }

    if !options.growth_only {
        rows.extend(loa_benchmark(options)?);
        rows.extend(memory_and_startup(options).await?);
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Answers handled in one round of the turn benchmark (each round is followed by the same
/// number of raw upserts of each kind, so turns and their yardstick run side by side in time).
const ANSWERS_PER_ROUND: usize = 3;

/// The turn benchmark on one database: throughput against the raw upsert rate in interleaved
/// rounds, then latency on steady traffic at `--arrival-rate` and at half the measured turn
/// rate.
async fn turn_benchmark(
    label: &str,
    data_dir: &Path,
    database_url: Option<&str>,
    options: &BenchOptions,
) -> anyhow::Result<Vec<Row>> {
    let config = config_for(data_dir, database_url)?;
    // The yardstick writes through the service's own store (the same pool, writer and
    // checkpointer), in rounds that never overlap the turns.
    let (cipher, _) =
        crate::secrets::Cipher::load_or_create(config.secret_key.as_ref(), &config.data_dir)?;
    let store = Arc::new(crate::store::Store::connect(&config.database_url, cipher).await?);
    let (words, _) = crate::prompts::Prompts::load(None)?.split();
    let service = Arc::new(Service::on_store(config, words, (*store).clone()));
    let conversations = options.conversations;
    let concurrency = options.concurrency;

    // Throughput. Every conversation is mid-flow at once: answers go round-robin, the first
    // answer of every conversation, then every second answer, and so on. After every
    // `ANSWERS_PER_ROUND` answers of every conversation, the same number of single-row upsert
    // transactions run with the same concurrency, written both ways: BEGIN, upsert, COMMIT (as
    // an application writes a transaction) and one statement committed on its own (the
    // fewest round trips a transaction can take).
    let mut turns = Measured::default();
    let mut with_begin = Measured::default();
    let mut autocommit = Measured::default();
    let mut ratios = Vec::new();
    let mut saturated_latencies = Vec::new();
    for first in (0..SCRIPT.len()).step_by(ANSWERS_PER_ROUND) {
        let answers = first..(first + ANSWERS_PER_ROUND).min(SCRIPT.len());
        let jobs: Vec<Answer> = answers
            .flat_map(|i| (0..conversations).map(move |n| Answer::new(format!("bench-{n}"), i, n)))
            .collect();
        let count = jobs.len();
        let started = Instant::now();
        saturated_latencies.extend(closed_loop_turns(&service, jobs, concurrency).await?);
        let round = turns.add(count, started.elapsed());
        with_begin.add(count, upserts(&store, count, concurrency, true).await?);
        let yardstick = autocommit.add(count, upserts(&store, count, concurrency, false).await?);
        ratios.push(round / yardstick);
    }
    ratios.sort_by(f64::total_cmp);
    let median_ratio = ratios[ratios.len() / 2];
    saturated_latencies.sort();

    // Latency on steady traffic ([`steady_latencies`]): at the arrival rate the verdict is
    // taken at, and at half the turn rate just measured, for the record.
    let rate = options.arrival_rate;
    let latencies = steady_latencies(&service, "steady", conversations, concurrency, rate).await?;
    let half = turns.rate() / 2.0;
    let at_half = steady_latencies(&service, "half", conversations, concurrency, half).await?;

    let p = |l: &[Duration]| format!("{} / {}", ms(percentile(l, 0.50)), ms(percentile(l, 0.99)));
    Ok(vec![
        Row {
            what: format!(
                "{label}: customer turns/s ({conversations} conversations mid-flow, \
                 {concurrency} turns at a time)"
            ),
            value: format!("{:.0}/s", turns.rate()),
            limit: String::new(),
            verdict: String::new(),
        },
        Row {
            what: format!("{label}: raw single-row upsert transactions/s, BEGIN + upsert + COMMIT"),
            value: format!("{:.0}/s", with_begin.rate()),
            limit: String::new(),
            verdict: String::new(),
        },
        Row {
            what: format!(
                "{label}: raw single-row upsert transactions/s, one autocommit statement"
            ),
            value: format!("{:.0}/s", autocommit.rate()),
            limit: String::new(),
            verdict: String::new(),
        },
        Row {
            what: format!("{label}: turns / BEGIN + upsert + COMMIT (whole run)"),
            value: format!("{:.1}%", turns.rate() / with_begin.rate() * 100.0),
            limit: String::new(),
            verdict: String::new(),
        },
        Row {
            what: format!(
                "{label}: turns / autocommit upserts (median of {} interleaved rounds; \
                 lowest, highest)",
                ratios.len()
            ),
            value: format!(
                "{:.1}% ({:.1}%, {:.1}%)",
                median_ratio * 100.0,
                ratios[0] * 100.0,
                ratios[ratios.len() - 1] * 100.0
            ),
            limit: "at least 50%".into(),
            verdict: verdict(median_ratio >= 0.5),
        },
        Row {
            what: format!(
                "{label}: turn latency p50 / p99 at {rate:.0} messages/s arriving, \
                 {conversations} customers mid-flow, 1 message in 21 starting a conversation"
            ),
            value: p(&latencies),
            limit: "p99 under 2 ms".into(),
            verdict: verdict(percentile(&latencies, 0.99) < Duration::from_millis(2)),
        },
        Row {
            what: format!("{label}: the same at {half:.0} messages/s (half the turn rate above)"),
            value: p(&at_half),
            limit: String::new(),
            verdict: String::new(),
        },
        Row {
            what: format!(
                "{label}: turn latency p50 / p99 flat out, {concurrency} at a time \
                 (waiting behind the others included)"
            ),
            value: p(&saturated_latencies),
            limit: String::new(),
            verdict: String::new(),
        },
    ])
}

/// Turn latencies, sorted, on steady traffic: a fresh set of `conversations` customers
/// spread over the whole script (customer n has given n * 21 / N answers when timing starts),
/// one who reaches the end starting a new conversation, so one message in 21 starts a
/// conversation, as on a steady day. Messages arrive on a fixed schedule, `rate` a second (an
/// open loop: a slow turn does not hold back the next arrival), and a turn's latency counts
/// from its message's arrival, waiting included.
async fn steady_latencies(
    service: &Arc<Service>,
    prefix: &str,
    conversations: usize,
    concurrency: usize,
    rate: f64,
) -> anyhow::Result<Vec<Duration>> {
    let script = SCRIPT.len();
    let offset = |n: usize| n * script / conversations;
    let warm_up: Vec<Answer> = (0..script)
        .flat_map(|i| (0..conversations).map(move |n| (n, i)))
        .filter(|&(n, i)| i < offset(n))
        .map(|(n, i)| Answer::new(format!("{prefix}-{n}-0"), i, n))
        .collect();
    closed_loop_turns(service, warm_up, concurrency).await?;
    let timed: Vec<Answer> = (0..script)
        .flat_map(|visit| (0..conversations).map(move |n| (n, visit + offset(n))))
        .map(|(n, step)| Answer::new(format!("{prefix}-{n}-{}", step / script), step % script, n))
        .collect();
    let mut latencies = open_loop_turns(service, timed, rate).await?;
    latencies.sort();
    Ok(latencies)
}

/// Operations and the time they took, summed over rounds.
#[derive(Default)]
struct Measured {
    count: usize,
    elapsed: Duration,
}

impl Measured {
    /// Adds a round; returns that round's rate.
    fn add(&mut self, count: usize, elapsed: Duration) -> f64 {
        self.count += count;
        self.elapsed += elapsed;
        count as f64 / elapsed.as_secs_f64()
    }

    fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }
}

/// One scripted message: answer `step` of [`SCRIPT`] from `customer`, whose messages share
/// lock `lane` (a customer's answers go in order).
struct Answer {
    customer: String,
    step: usize,
    lane: usize,
}

impl Answer {
    fn new(customer: String, step: usize, lane: usize) -> Answer {
        Answer {
            customer,
            step,
            lane,
        }
    }

    async fn send(&self, service: &Service) -> anyhow::Result<()> {
        service
            .turn(
                &Customer::console(&self.customer),
                Some(format!("{}-{}", self.customer, self.step)),
                Input::Text(SCRIPT[self.step].to_string()),
            )
            .await?;
        Ok(())
    }
}

/// One lock per lane in `jobs`, keeping a customer's answers in order should two of them ever
/// be in flight together.
fn lane_locks(jobs: &[Answer]) -> Arc<Vec<tokio::sync::Mutex<()>>> {
    let lanes = jobs.iter().map(|job| job.lane + 1).max().unwrap_or(0);
    Arc::new((0..lanes).map(|_| tokio::sync::Mutex::new(())).collect())
}

/// Runs `jobs` in order, `concurrency` at a time; each turn's latency.
async fn closed_loop_turns(
    service: &Arc<Service>,
    jobs: Vec<Answer>,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let locks = lane_locks(&jobs);
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (service, next, jobs, locks) =
            (service.clone(), next.clone(), jobs.clone(), locks.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                let _in_order = locks[job.lane].lock().await;
                let t = Instant::now();
                job.send(&service).await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(latencies)
}

/// Starts `jobs` on a fixed schedule, `rate` a second, each when it is due whatever the others
/// are doing; each turn's latency from when it arrived.
async fn open_loop_turns(
    service: &Arc<Service>,
    jobs: Vec<Answer>,
    rate: f64,
) -> anyhow::Result<Vec<Duration>> {
    let locks = lane_locks(&jobs);
    let gap = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(jobs.len());
    for (k, job) in jobs.into_iter().enumerate() {
        tokio::time::sleep_until(start + gap * k as u32).await;
        // The timer wakes on whole milliseconds, so messages arrive a few at a time, each
        // timed from the moment it arrived.
        let arrived = Instant::now();
        let (service, locks) = (service.clone(), locks.clone());
        tasks.push(tokio::spawn(async move {
            let _in_order = locks[job.lane].lock().await;
            job.send(&service).await?;
            Ok::<_, anyhow::Error>(arrived.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for task in tasks {
        latencies.push(task.await??);
    }
    Ok(latencies)
}

/// `count` single-row upsert transactions, `concurrency` at a time, each task on a key of its
/// own; how long they took.
async fn upserts(
    store: &Arc<crate::store::Store>,
    count: usize,
    concurrency: usize,
    explicit_transaction: bool,
) -> anyhow::Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let (store, next) = (store.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let value = vec![7u8; 600];
            let key = format!("bench:{task}");
            while next.fetch_add(1, Ordering::Relaxed) < count {
                store
                    .upsert_probe(&key, &value, explicit_transaction)
                    .await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

fn verdict(met: bool) -> String {
    if met { "met".into() } else { "NOT met".into() }
}

/// LOA renders per second on one core, and the same content through reportlab.
fn loa_benchmark(options: &BenchOptions) -> anyhow::Result<Vec<Row>> {
    let prompts = crate::prompts::Prompts::builtin()?;
    let provider = crate::porting::ProviderInfo {
        name: "Example Voice Co.".into(),
        address: "100 Example Ave, Suite 200, Chicago, IL 60601".into(),
        contact: "porting@example.com, (312) 448-2900".into(),
    };
    let (request, signature) = crate::loa::sample_request(false, 10);
    let mut bytes = 0;
    // Warm the font caches as a long-running bot would have them.
    for _ in 0..20 {
        bytes = crate::loa::render(&request, &signature, &provider, &prompts.loa)?.len();
    }
    let started = Instant::now();
    for _ in 0..options.loa_renders {
        std::hint::black_box(crate::loa::render(
            &request,
            &signature,
            &provider,
            &prompts.loa,
        )?);
    }
    let ours = options.loa_renders as f64 / started.elapsed().as_secs_f64();
    let mut rows = vec![
        Row {
            what: "LOA renders/s, 10 numbers, one core".into(),
            value: format!("{ours:.0}/s"),
            limit: "at least 1,000/s".into(),
            verdict: verdict(ours >= 1000.0),
        },
        Row {
            what: "LOA size, 10 numbers".into(),
            value: format!("{:.1} KB", bytes as f64 / 1000.0),
            limit: "at most 60 KB".into(),
            verdict: verdict(bytes <= 60_000),
        },
    ];
    if !options.skip_reportlab {
        match reportlab_rate(&request, &signature, &provider) {
            Ok((theirs, their_bytes)) => rows.push(Row {
                what: format!(
                    "reportlab, same content ({:.1} KB each): renders/s, and ours / theirs",
                    their_bytes as f64 / 1000.0
                ),
                value: format!("{theirs:.0}/s; {:.1}x", ours / theirs),
                limit: "ours at least 10x".into(),
                verdict: verdict(ours / theirs >= 10.0),
            }),
            Err(e) => rows.push(Row {
                what: "reportlab comparison".into(),
                value: format!("not run: {e}"),
                limit: "ours at least 10x".into(),
                verdict: "unknown".into(),
            }),
        }
    }
    Ok(rows)
}

/// Installs reportlab in a virtual environment (once, cached) and runs
/// `benches/reportlab_loa.py` on the same request; returns renders/s and bytes.
fn reportlab_rate(
    request: &crate::porting::PortRequest,
    signature: &crate::porting::SignatureRecord,
    provider: &crate::porting::ProviderInfo,
) -> anyhow::Result<(f64, usize)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("benches/reportlab_loa.py");
    if !script.exists() {
        bail!("{} is missing (run from the source tree)", script.display());
    }
    let venv = std::env::var_os("PORTBOT_BENCH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("portbot-bench-venv"));
    let python = venv.join("bin/python");
    if !python.exists() {
        let status = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("python3 -m venv")?;
        if !status.success() {
            bail!(
                "could not create a virtual environment at {}",
                venv.display()
            );
        }
    }
    let has_reportlab = std::process::Command::new(&python)
        .args(["-c", "import reportlab"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_reportlab {
        let status = std::process::Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "reportlab",
            ])
            .status()
            .context("pip install reportlab")?;
        if !status.success() {
            bail!("pip install reportlab failed");
        }
    }
    let input = serde_json::json!({
        "numbers": request.numbers.iter().map(|n| n.national()).collect::<Vec<_>>(),
        "carrier": request.carrier,
        "customer_name": request.customer_name,
        "customer_type": request.customer_type.as_str(),
        "address": request.service_address.one_line(),
        "authorized_name": request.authorized_name,
        "authorized_title": request.authorized_title,
        "btn": request.btn.as_ref().map(|n| n.national()),
        "account_number": request.account_number,
        "number_type": request.number_type.as_str(),
        "partial_port": request.partial_port,
        "port_date": request.requested_port_date.format("%B %-d, %Y").to_string(),
        "email": request.email.as_str(),
        "provider": [provider.name.clone(), provider.address.clone(), provider.contact.clone()],
        "signer_name": signature.signer_name,
        "signer_id": signature.signer_id,
        "signed_at": signature.signed_at.to_rfc3339(),
        "request_id": signature.request_id,
        "sha256": signature.content_sha256,
        "font_dir": root.join("assets/fonts").display().to_string(),
    });
    let output = std::process::Command::new(&python)
        .arg(&script)
        .arg("300")
        .arg(input.to_string())
        .output()
        .context("running the reportlab script")?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let text = String::from_utf8(output.stdout)?;
    let mut parts = text.split_whitespace();
    let rate: f64 = parts.next().context("no rate")?.parse()?;
    let bytes: usize = parts.next().context("no size")?.parse()?;
    Ok((rate, bytes))
}

/// Fills a database with conversations mid-flow in a child process, reads its resident memory,
/// then times start-ups of `portbot chat` on that database.
async fn memory_and_startup(options: &BenchOptions) -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    let output = std::process::Command::new(&exe)
        .args(["bench-memory", "--conversations"])
        .arg(options.memory_conversations.to_string())
        .env("PORTBOT_DATA_DIR", dir.path())
        .env("PORTBOT_NOW", "2026-11-23T15:00:00Z")
        .env("PORTBOT_PROVIDER_NAME", "Example Voice Co.")
        .env("RUST_LOG", "error")
        .env_remove("DATABASE_URL")
        .output()?;
    if !output.status.success() {
        bail!(
            "bench-memory failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let report = String::from_utf8(output.stdout)?;
    let kb = |name: &str| -> Option<u64> {
        report
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    let rss = kb("VmRSS:").unwrap_or(0);
    let peak = kb("VmHWM:").unwrap_or(0);

    let mut startups = Vec::new();
    for i in 0..15 {
        let t = Instant::now();
        let mut child = std::process::Command::new(&exe)
            .args(["chat", "--json", "--user"])
            .arg(format!("startup-{i}"))
            .env("PORTBOT_DATA_DIR", dir.path())
            .env("PORTBOT_PROVIDER_NAME", "Example Voice Co.")
            .env("RUST_LOG", "error")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut first = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first)?;
        if first.is_empty() {
            bail!("portbot chat printed nothing");
        }
        startups.push(t.elapsed());
        drop(child.stdin.take());
        child.wait()?;
    }
    startups.sort();
    let median = percentile(&startups, 0.5);
    Ok(vec![
        Row {
            what: format!(
                "resident memory with {} conversations mid-flow (now / peak)",
                options.memory_conversations
            ),
            value: format!(
                "{:.1} MB / {:.1} MB",
                rss as f64 / 1024.0,
                peak as f64 / 1024.0
            ),
            limit: "under 64 MB".into(),
            verdict: verdict(peak < 64 * 1024),
        },
        Row {
            what: "start-up to first message on that database (median of 15 / slowest)".into(),
            value: format!(
                "{} / {}",
                ms(median),
                ms(*startups.last().unwrap_or(&Duration::ZERO))
            ),
            limit: "under 100 ms".into(),
            verdict: verdict(median < Duration::from_millis(100)),
        },
    ])
}

/// The hidden `portbot bench-memory`: opens `conversations` conversations mid-flow (the
/// checklist started), then prints this process's memory lines from /proc.
pub async fn memory_child(conversations: usize) -> anyhow::Result<()> {
    let service = Arc::new(crate::app::start_service(Config::from_env()?).await?);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let service = service.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= conversations {
                    return Ok::<_, anyhow::Error>(());
                }
                let customer = Customer::console(&format!("memory-{n}"));
                for answer in &SCRIPT[..4] {
                    service
                        .turn(&customer, None, Input::Text(answer.to_string()))
                        .await?;
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in status.lines() {
        if line.starts_with("VmRSS:") || line.starts_with("VmHWM:") {
            println!("{line}");
        }
    }
    Ok(())
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
