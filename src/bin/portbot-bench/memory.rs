//! Figures 5 and 6: the resident memory of a process holding conversations mid-flow (a child
//! `portbot-bench --memory-child N`), and the start-up time of `portbot chat` on its database.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use portbot::config::Config;
use portbot::conversation::Input;
use portbot::service::Customer;

use crate::percentile;
use crate::workload::script::SCRIPT;
use crate::{Options, Row, ms, verdict};

/// Fills a database with conversations mid-flow in a child process, reads its resident memory,
/// then times start-ups of `portbot chat` on that database.
pub async fn memory_and_startup(options: &Options) -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    // `portbot` is built beside this binary (`cargo build --release` builds both).
    let portbot = exe.with_file_name(format!("portbot{}", std::env::consts::EXE_SUFFIX));
    let output = std::process::Command::new(&exe)
        .arg("--memory-child")
        .arg(options.memory_conversations.to_string())
        .env("PORTBOT_DATA_DIR", dir.path())
        .env("PORTBOT_NOW", "2026-11-23T15:00:00Z")
        .env("PORTBOT_PROVIDER_NAME", "Example Voice Co.")
        .env("RUST_LOG", "error")
        .env_remove("DATABASE_URL")
        .output()?;
    if !output.status.success() {
        bail!(
            "the memory child failed: {}",
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
        let mut child = std::process::Command::new(&portbot)
            .args(["chat", "--json", "--user"])
            .arg(format!("startup-{i}"))
            .env("PORTBOT_DATA_DIR", dir.path())
            .env("PORTBOT_PROVIDER_NAME", "Example Voice Co.")
            .env("RUST_LOG", "error")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", portbot.display()))?;
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

/// The hidden `portbot-bench --memory-child N`: opens `conversations` conversations mid-flow (the
/// checklist started), then prints this process's memory lines from /proc.
pub async fn memory_child(conversations: usize) -> anyhow::Result<()> {
    let service = Arc::new(portbot::app::start_service(Config::from_env()?).await?);
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
