//! Database outages, through the real binary, with a TCP proxy between portbot and PostgreSQL:
//! mid-conversation the database goes away; the customer is told their answers are safe and to
//! try again, the process keeps running and recovers by itself when the database is back, an
//! idle connection cut by the network is replaced without the customer noticing, and the
//! worker delivers the email that was pending through the outage. Needs
//! `PORTBOT_TEST_POSTGRES_URL` (CI sets it).

mod binary;

use std::time::{Duration, Instant};

use base64::Engine;
use binary::proxy::Proxy;
use binary::{BUSINESS, PgDatabase, Sandbox, SmtpSink};
use serde_json::Value;

const SAFE: &str = "Everything you already told me is safe";

fn text(turn: &[Value]) -> String {
    turn.iter()
        .filter_map(|m| m["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn waiting_step(turn: &[Value]) -> Option<String> {
    turn.last()?["step"].as_str().map(String::from)
}

fn postgres() -> Option<String> {
    let url = std::env::var("PORTBOT_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set PORTBOT_TEST_POSTGRES_URL"
        );
        eprintln!("note: PORTBOT_TEST_POSTGRES_URL is not set; skipping");
    }
    url
}

fn sandbox(url: &str) -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.set("DATABASE_URL", url);
    sandbox.set(
        "PORTBOT_SECRET_KEY",
        &base64::engine::general_purpose::STANDARD.encode([5u8; 32]),
    );
    sandbox
}

#[test]
fn an_outage_mid_conversation_is_survived_and_recovered_from_without_losing_an_answer() {
    let Some(admin) = postgres() else { return };
    let db = PgDatabase::create(&admin);
    let proxy = Proxy::start("127.0.0.1:5432");
    let sandbox = sandbox(&proxy.url(&db.url));
    sandbox.run(&["migrate"]);

    let mut chat = sandbox.chat("weathered");
    chat.read_turn();
    for answer in &BUSINESS[..3] {
        chat.say(answer);
    }

    proxy.down();
    for _ in 0..2 {
        let turn = chat.say(BUSINESS[3]);
        let said = text(&turn);
        assert!(said.contains(SAFE), "{said}");
        assert!(said.contains("try again"), "{said}");
    }
    assert!(chat.child.try_wait().unwrap().is_none(), "the process died");

    // Back: the same answer is taken, at the question it belongs to.
    proxy.up();
    let turn = chat.say(BUSINESS[3]);
    assert_eq!(
        waiting_step(&turn).as_deref(),
        Some("pin_required"),
        "{turn:?}"
    );

    // An idle connection cut by the network is replaced: the customer notices nothing.
    proxy.cut();
    let turn = chat.say(BUSINESS[4]);
    assert_eq!(waiting_step(&turn).as_deref(), Some("pin"), "{turn:?}");
    chat.close();

    // Nothing acknowledged was lost, nothing refused was stored.
    let mut chat = sandbox.chat("weathered");
    let resumed = chat.read_turn();
    assert_eq!(waiting_step(&resumed).as_deref(), Some("pin"));
    chat.close();
    let lines = binary::psql_query(
        &db.url,
        "SELECT count(*) FROM transcript WHERE who = 'customer' AND text = 'Nov 10'",
    );
    assert_eq!(lines.trim(), "1");
}

#[test]
fn a_slow_database_gets_the_customer_a_clear_answer_instead_of_a_hang() {
    let Some(admin) = postgres() else { return };
    let db = PgDatabase::create(&admin);
    let proxy = Proxy::start("127.0.0.1:5432");
    let mut sandbox = sandbox(&proxy.url(&db.url));
    sandbox.set("PORTBOT_DB_TIMEOUT_SECS", "2");
    sandbox.run(&["migrate"]);
    let mut chat = sandbox.chat("waiting");
    chat.read_turn();
    for answer in &BUSINESS[..3] {
        chat.say(answer);
    }

    // Every packet held for 30 s: the customer hears back after the 2 s limit, not 30 s later.
    proxy.slow(Duration::from_secs(30));
    let said = text(&chat.say(BUSINESS[3]));
    assert!(said.contains(SAFE), "{said}");
    assert!(chat.child.try_wait().unwrap().is_none(), "the process died");

    // The stalled connections are dropped, the database answers again: the answer is taken.
    proxy.up();
    proxy.cut();
    let turn = chat.say(BUSINESS[3]);
    assert_eq!(
        waiting_step(&turn).as_deref(),
        Some("pin_required"),
        "{turn:?}"
    );
    chat.close();
    let lines = binary::psql_query(
        &db.url,
        "SELECT count(*) FROM transcript WHERE who = 'customer' AND text = 'Nov 10'",
    );
    assert_eq!(
        lines.trim(),
        "1",
        "the timed-out answer was not applied as well"
    );
}

#[test]
fn the_worker_keeps_running_through_an_outage_and_delivers_what_was_pending() {
    let Some(admin) = postgres() else { return };
    let Some(smtp) = SmtpSink::start(None) else {
        return;
    };
    let db = PgDatabase::create(&admin);
    let proxy = Proxy::start("127.0.0.1:5432");
    let mut direct = sandbox(&db.url);
    direct.set("PORTBOT_SMTP_URL", &smtp.url());
    direct.run(&["migrate"]);
    let mut through_proxy = sandbox(&proxy.url(&db.url));
    through_proxy.env = direct.env.clone();
    through_proxy.set("DATABASE_URL", &proxy.url(&db.url));
    through_proxy.set("PORTBOT_WORKER_INTERVAL_SECS", "1");

    let mut worker = through_proxy
        .command(&["worker"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The worker has started (and connected) when it has sent nothing and is still running.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker did not start"
    );

    proxy.down();
    // A request is submitted while the worker cannot reach the database.
    let mut chat = direct.chat("patient");
    chat.read_turn();
    for answer in BUSINESS {
        chat.say(answer);
    }
    chat.close();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker stopped during the outage"
    );
    assert!(smtp.messages().is_empty());

    proxy.up();
    // Hang guard only: the worker passes every second.
    let deadline = Instant::now() + Duration::from_secs(120);
    while smtp.messages().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = worker.kill();
    let _ = worker.wait();
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0]
            .to_string()
            .contains("zoe@acmeplumbing.example.com"),
        "{}",
        messages[0]
    );
}
