//! The log at its most verbose: a whole port-in through Discord and an agent's PIN reveal, under
//! a `trace` filter and a subscriber that keeps every event and every span field. Alone in its
//! own test binary because a subscriber for every thread (the bot's runtime, the store's
//! threads) can only be set once per process.

#[path = "discord/fake.rs"]
mod fake;
#[path = "discord/harness.rs"]
mod harness;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use fake::{AGENT_CHANNEL, TOKEN, User};
use harness::*;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Keeps every field of every span (when created and when recorded later) and every event, in
/// the text their `Debug` and `Display` give, whether or not a formatter would print them.
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = writeln!(self.0, "{}={value}", field.name());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = writeln!(self.0, "{}={value:?}", field.name());
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut log = self.0.lock().unwrap();
        let _ = writeln!(
            log,
            "span {} {}",
            attrs.metadata().target(),
            attrs.metadata().name()
        );
        attrs.record(&mut Fields(&mut log));
    }

    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut log = self.0.lock().unwrap();
        let _ = writeln!(log, "event {}", event.metadata().target());
        event.record(&mut Fields(&mut log));
    }
}

/// The formatter's output too: it prints the fields of every span around an event.
#[derive(Clone)]
struct Written(Arc<Mutex<String>>);

impl std::io::Write for Written {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(bytes));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `secret` stands in `log` on its own, not inside a longer number (a duration such as
/// `elapsed=1.482113ms` may hold a PIN's digits by chance).
fn holds(log: &str, secret: &str) -> bool {
    log.match_indices(secret).any(|(at, _)| {
        let before = log[..at].chars().next_back();
        let after = log[at + secret.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.')
            && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// `bytes` as `Debug` prints a byte slice or vector: `52, 56, 50, 49`.
fn byte_list(bytes: &[u8]) -> String {
    let list: Vec<String> = bytes.iter().map(u8::to_string).collect();
    list.join(", ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_trace_level_the_log_holds_no_pin_account_number_loa_or_interaction_token() {
    let log = Arc::new(Mutex::new(String::new()));
    let written = Written(Arc::new(Mutex::new(String::new())));
    let writer = written.clone();
    tracing_subscriber::registry()
        .with(portbot::logging::filter(EnvFilter::new("trace")))
        .with(Capture(Arc::clone(&log)))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false),
        )
        .init();

    let mut h = Harness::start().await;
    let zoe = zoe();
    let number = port_in(&mut h, &zoe).await;
    let ana = User::agent(700_000_000_000_000_002, "ana");
    let token = h.fake.slash(
        &ana,
        AGENT_CHANNEL,
        "ticket",
        "reveal-pin",
        json!([number_option(&number)]),
    );
    let reply = answer_to(&h, &token).await;
    assert!(
        reply["content"].as_str().unwrap().contains("4821"),
        "{reply}"
    );
    let loa = h
        .fake
        .calls()
        .into_iter()
        .find_map(|c| {
            c.files
                .into_iter()
                .find(|(name, _)| name.starts_with("LOA-"))
        })
        .expect("the LOA was posted")
        .1;
    let tokens: Vec<String> = h
        .fake
        .calls()
        .iter()
        .filter_map(|c| c.path.split('/').find(|s| s.starts_with("token-")))
        .map(str::to_string)
        .collect();
    assert!(!tokens.is_empty(), "the bot answered interactions");

    let log = format!("{}\n{}", log.lock().unwrap(), written.0.lock().unwrap());
    // The capture did see the run, at every level the caps allow.
    assert!(log.contains("event sqlx::query"), "{} bytes", log.len());
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut leaks = vec![
        "4821".to_string(),
        byte_list(b"4821"),
        "8472 1193 0045".to_string(),
        "847211930045".to_string(),
        byte_list(b"8472 1193 0045"),
        byte_list(b"847211930045"),
        byte_list(&loa[200..216]),
        base64.encode(&loa[300..348]),
        TOKEN.to_string(),
    ];
    leaks.extend(tokens);
    for leak in leaks {
        assert!(!holds(&log, &leak), "the log holds {leak:?}");
    }
}
