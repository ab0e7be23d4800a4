//! Helpers for the tests that drive the real `portbot` binary on a fresh data folder.

#![allow(dead_code)]

pub mod proxy;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

/// The fixed time every scripted conversation runs at: Monday, November 23, 2026, 10:00 Eastern.
pub const NOW: &str = "2026-11-23T15:00:00Z";

/// Answers for a complete business landline request, from the menu on: two numbers, a bill, a
/// PIN and an account number.
pub const BUSINESS: &[&str] = &[
    "1",
    "yes",
    "/attach tests/fixtures/bill.pdf",
    "Nov 10",
    "yes",
    "4821",
    "(312) 448-2915, 312.448.2916",
    "yes",
    "AT&T",
    "business landline",
    "Acme Plumbing LLC",
    "500 W Madison St, Chicago, IL 60661",
    "Zoë Łukasiewicz, Office Manager",
    "8472 1193 0045, BTN (312) 448-2900",
    "no",
    "ok",
    "zoe@acmeplumbing.example.com",
    "confirm",
    "yes",
    "Zoë Łukasiewicz",
];

/// A fresh data folder (SQLite database, key, LOAs) that is removed afterwards.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        Sandbox {
            env: vec![
                ("PORTBOT_NOW".into(), NOW.into()),
                ("PORTBOT_DATA_DIR".into(), dir.path().display().to_string()),
                // Scripts answer far faster than a person and start many conversations: the
                // spam limits are off unless a test sets them (tests/limits.rs).
                ("PORTBOT_MAX_MESSAGES_PER_MINUTE".into(), "0".into()),
                ("PORTBOT_MAX_CONVERSATIONS_PER_DAY".into(), "0".into()),
            ],
            dir,
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.into(), value.into()));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_portbot"));
        command
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("DATABASE_URL")
            .env_remove("PORTBOT_SECRET_KEY")
            .env_remove("PORTBOT_PROMPTS_DIR")
            .env("RUST_LOG", "error");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs a non-interactive command and returns its stdout; panics with stderr on failure.
    pub fn run(&self, args: &[&str]) -> String {
        let output = self.command(args).output().expect("run portbot");
        assert!(
            output.status.success(),
            "portbot {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    /// Starts `portbot chat --json --user USER`.
    pub fn chat(&self, user: &str) -> Chat {
        self.chat_with(&["chat", "--json", "--user", user])
    }

    /// Starts `portbot` with these arguments, driven like a chat.
    pub fn chat_with(&self, args: &[&str]) -> Chat {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start portbot chat");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Chat {
            child,
            stdin: Some(stdin),
            stdout,
        }
    }
}

/// A running `portbot chat --json`, driven one turn at a time.
pub struct Chat {
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Chat {
    /// Reads bot messages up to and including the one that waits for the customer.
    pub fn read_turn(&mut self) -> Vec<Value> {
        let mut messages = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("read stdout");
            assert!(n > 0, "portbot closed stdout mid-turn after {messages:?}");
            let message: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
            let waiting = message["waiting"].as_bool().expect("waiting is a bool");
            messages.push(message);
            if waiting {
                return messages;
            }
        }
    }

    /// Sends one customer line and returns the bot's turn.
    pub fn say(&mut self, line: &str) -> Vec<Value> {
        let stdin = self.stdin.as_mut().expect("chat is open");
        writeln!(stdin, "{line}").expect("write stdin");
        stdin.flush().expect("flush stdin");
        self.read_turn()
    }

    /// Ends input and waits for a clean exit.
    pub fn close(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "portbot chat exited with {status}");
    }

    /// SIGKILL, as a crash would.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        let _ = self.child.wait();
    }
}

/// Renders bot messages as the readable transcript lines.
pub fn render_turn(messages: &[Value], data_dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for message in messages {
        let step = message["step"]
            .as_str()
            .map(|s| format!("[{s}]"))
            .unwrap_or_default();
        let text = message["text"].as_str().unwrap_or_default();
        let text = text.replace(&data_dir.display().to_string(), "$DATA");
        for (i, line) in text.lines().enumerate() {
            if i == 0 {
                lines.push(format!("bot{step}: {line}"));
            } else {
                lines.push(format!("     {line}"));
            }
        }
        let choices: Vec<&str> = message["choices"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !choices.is_empty() {
            lines.push(format!("     choices: {}", choices.join(" | ")));
        }
        if let Some(tickets) = message["tickets"].as_array() {
            for t in tickets {
                let numbers: Vec<&str> = t["numbers"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                lines.push(format!(
                    "     ticket: {} {} {} [{}] {}",
                    t["number"].as_str().unwrap_or_default(),
                    t["kind"].as_str().unwrap_or_default(),
                    t["status"].as_str().unwrap_or_default(),
                    numbers.join(", "),
                    t["loa_path"]
                        .as_str()
                        .unwrap_or_default()
                        .replace(&data_dir.display().to_string(), "$DATA"),
                ));
            }
        }
    }
    lines
}

pub fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The test SMTP server (`tests/support/smtp_sink.py`), stopped when dropped.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the server on `port` (a free one when `None`); `None` when aiosmtpd is missing.
    pub fn start(port: Option<u16>) -> Option<SmtpSink> {
        if !smtp_server_available() {
            return None;
        }
        let port = port.unwrap_or_else(free_port);
        let dir = tempfile::tempdir().unwrap();
        // A busy machine can make the first start miss its own readiness check: try again.
        for _ in 0..3 {
            let mut child = Command::new("python3")
                .arg(manifest_path("tests/support/smtp_sink.py"))
                .arg(port.to_string())
                .arg(dir.path())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start the SMTP server");
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            if line.trim() == "ready" {
                return Some(SmtpSink { child, port, dir });
            }
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        panic!("the SMTP server did not start on port {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far, in order.
    pub fn messages(&self) -> Vec<Value> {
        received(self.dir.path())
    }
}

/// Whether Python has aiosmtpd; says how to get it when not (CI installs it).
pub fn smtp_server_available() -> bool {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the SMTP tests: install aiosmtpd (.ci/run does)"
        );
        eprintln!(
            "note: python3 with aiosmtpd is not available (`python3 -m pip install aiosmtpd`); \
             skipping the SMTP test"
        );
    }
    available
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn received(dir: &Path) -> Vec<Value> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let n = path
                .file_name()?
                .to_str()?
                .strip_suffix(".json")?
                .parse()
                .ok()?;
            Some((n, path))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|(_, path)| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
        .collect()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sandbox {
    /// Like [`Sandbox::chat`], with `RUST_LOG=debug` and the log written to `log` instead of the
    /// test's stderr, so a test can search it.
    pub fn chat_logged(&self, user: &str, log: &Path) -> Chat {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open the log file");
        let mut child = self
            .command(&["chat", "--json", "--user", user])
            .env("RUST_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start portbot chat");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Chat {
            child,
            stdin: Some(stdin),
            stdout,
        }
    }
}

/// A fresh PostgreSQL database for a binary test, dropped (with its connections) afterwards.
pub struct PgDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// Creates `portbot_b_<random>` through `admin` (a `postgres://` URL) with `psql`.
    pub fn create(admin: &str) -> PgDatabase {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).unwrap();
        let name = format!(
            "portbot_b_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        psql(admin, &format!("CREATE DATABASE {name}"));
        let (base, query) = match admin.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (admin, String::new()),
        };
        let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
        let base = match base[scheme_end..].find('/') {
            Some(slash) => &base[..scheme_end + slash],
            None => base,
        };
        PgDatabase {
            admin: admin.to_string(),
            url: format!("{base}/{name}{query}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        psql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Runs one query with `psql` and returns its unaligned, tuples-only output.
pub fn psql_query(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args(["-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(output.status.success(), "psql {sql:?} failed");
    String::from_utf8(output.stdout).unwrap()
}

fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql {sql:?} failed");
}

impl Chat {
    /// Sends one customer line without waiting for the answer (to kill the bot mid-turn).
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("chat is open");
        writeln!(stdin, "{line}").expect("write stdin");
        stdin.flush().expect("flush stdin");
    }
}

/// One number from the sandbox's SQLite database.
pub fn count(sandbox: &Sandbox, sql: &str) -> i64 {
    let url = format!(
        "sqlite://{}?mode=ro",
        sandbox.data_dir().join("portbot.db").display()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        n
    })
}
