//! Figures 1 to 3: customer turns per second against the raw single-row upsert rate on the same
//! database, in interleaved rounds, and turn latency on steady traffic.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use portbot::conversation::Input;
use portbot::service::{Customer, Service};
use sqlx::AnyPool;

use crate::percentile;
use crate::workload::script::SCRIPT;
use crate::{Options, Row, config_for, ms, verdict};

/// Answers handled in one round of the turn benchmark (each round is followed by the same
/// number of raw upserts of each kind, so turns and their yardstick run side by side in time).
const ANSWERS_PER_ROUND: usize = 3;

/// The turn benchmark on one database: throughput against the raw upsert rate in interleaved
/// rounds, then latency on steady traffic at `--arrival-rate` and at half the measured turn
/// rate.
pub async fn turn_benchmark(
    label: &str,
    data_dir: &Path,
    database_url: Option<&str>,
    options: &Options,
) -> anyhow::Result<Vec<Row>> {
    let config = config_for(data_dir, database_url)?;
    // The yardstick writes through a pool of its own set up as the store's writer pool (the
    // same connection settings; on SQLite the store's checkpointer copies its log back too), in
    // rounds that never overlap the turns.
    let url = config.database_url.clone();
    let service = Arc::new(portbot::app::start_service(config).await?);
    let pool = portbot::store::Store::writer_pool(&url).await?;
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
        with_begin.add(count, upserts(&pool, count, concurrency, true).await?);
        let yardstick = autocommit.add(count, upserts(&pool, count, concurrency, false).await?);
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

/// `count` single-row upsert transactions (a 600-byte value into `meta`), `concurrency` at a
/// time, each task on a key of its own; how long they took. With `explicit_transaction`,
/// BEGIN, upsert, COMMIT; without, the statement commits on its own (one round trip).
async fn upserts(
    pool: &AnyPool,
    count: usize,
    concurrency: usize,
    explicit_transaction: bool,
) -> anyhow::Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let (pool, next) = (pool.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let value = vec![7u8; 600];
            let key = format!("bench:{task}");
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let upsert = sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(&key)
                .bind(&value);
                if explicit_transaction {
                    let mut tx = pool.begin().await?;
                    upsert.execute(&mut *tx).await?;
                    tx.commit().await?;
                } else {
                    upsert.execute(&pool).await?;
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}
