//! Two `portbot discord` processes on one PostgreSQL database and the fake Discord: one holds
//! the gateway, the other stands by. The active one is killed (SIGKILL) in the middle of a
//! customer's request, the customer goes on writing while no bot is connected, and the
//! standby takes over, catches up and sees the request through: every answer is taken in once
//! and no question is asked twice. Needs `PORTBOT_TEST_POSTGRES_URL` (CI sets it).

mod binary;
#[path = "discord/fake.rs"]
mod fake;
#[path = "discord/harness.rs"]
mod harness;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use binary::{PgDatabase, Sandbox, psql_query};
use fake::{AGENT_ROLE, FakeDiscord};
use harness::*;

/// A `portbot discord` process, killed when the test ends however it ends.
struct Bot(Child);

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(sandbox: &Sandbox, log: &Path) -> Bot {
    let log = std::fs::File::create(log).unwrap();
    let child = sandbox
        .command(&["discord"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("portbot discord starts");
    Bot(child)
}

/// A data folder whose `portbot discord` uses `db` and `fake`, migrated.
fn sandbox(db: &PgDatabase, fake: &FakeDiscord) -> Sandbox {
    let mut sandbox = Sandbox::new();
    for (name, value) in [
        ("DATABASE_URL", db.url.clone()),
        (
            "PORTBOT_SECRET_KEY",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
        ),
        ("PORTBOT_WORKER_INTERVAL_SECS", "1".to_string()),
        ("RUST_LOG", "portbot=info".to_string()),
    ]
    .into_iter()
    .chain(discord_settings(fake, AGENT_ROLE))
    {
        sandbox.set(name, &value);
    }
    sandbox.run(&["migrate"]);
    sandbox
}

/// The PostgreSQL URL to test against, or None (outside CI) to skip.
fn postgres() -> Option<String> {
    let admin = std::env::var("PORTBOT_TEST_POSTGRES_URL").ok();
    if admin.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set PORTBOT_TEST_POSTGRES_URL"
        );
        eprintln!("note: PORTBOT_TEST_POSTGRES_URL is not set; skipping");
    }
    admin
}

/// Waits (up to 20 s) until `log` holds `text`.
async fn wait_log(log: &Path, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let written = std::fs::read_to_string(log).unwrap_or_default();
        if written.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never said {text:?}:\n{written}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_from_a_killed_bot_and_the_request_completes_with_every_answer_once() {
    let Some(admin) = postgres() else { return };
    let db = PgDatabase::create(&admin);
    let fake = FakeDiscord::start().await;
    let sandbox = sandbox(&db, &fake);
    let logs = tempfile::tempdir().unwrap();
    let (log_a, log_b) = (logs.path().join("a.log"), logs.path().join("b.log"));

    let mut active = start(&sandbox, &log_a);
    let seen = fake.wait_ready(0).await;
    wait_log(&log_a, "holding the Discord gateway lease").await;
    let _standby = start(&sandbox, &log_b);
    wait_log(&log_b, "standing by").await;

    let mut h = Harness {
        fake: fake.clone(),
        dir: tempfile::tempdir().unwrap(),
        bot: None,
        thread: 0,
        seen,
        overrides: Vec::new(),
    };
    let zoe = zoe();
    up_to_the_bill(&mut h, &zoe).await;
    let bill = h.fake.attachment("bill.pdf", BILL.to_vec());
    h.fake.message(&zoe, h.thread, "", vec![bill]);
    assert_eq!(step(&h.next_question().await), "bill_date");
    assert_eq!(
        step(&h.say(&zoe, "bill's from Nov 10").await),
        "pin_required"
    );

    // The active bot dies; the customer goes on writing with nobody connected.
    active.0.kill().unwrap();
    let killed = Instant::now();
    active.0.wait().unwrap();
    let since = h.fake.calls().len();
    let offline = [
        h.fake.message(&zoe, h.thread, "yes", vec![]),
        h.fake.message(&zoe, h.thread, "4821", vec![]),
        h.fake
            .message(&zoe, h.thread, "(312) 448-2915, 312.448.2916", vec![]),
    ];

    // The standby takes the lease, connects and catches up.
    h.fake.wait_sessions(2).await;
    let takeover = killed.elapsed();
    eprintln!(
        "takeover: {} ms from SIGKILL to the standby's READY",
        takeover.as_millis()
    );
    assert!(
        takeover < Duration::from_secs(15),
        "the standby took {takeover:?} to take over"
    );
    h.seen = since;
    let mut asked = Vec::new();
    for _ in 0..3 {
        asked.push(step(&h.next_question().await));
    }
    assert_eq!(asked, ["pin", "numbers", "same_bill"]);
    wait_log(&log_b, "messages=3").await;

    // Live through the new holder up to the signed LOA.
    let mut question = Default::default();
    for answer in [
        "yes",
        "AT&T",
        "business landline",
        "Acme Plumbing LLC",
        "500 W Madison St, Chicago, IL 60661",
        "Zoë Łukasiewicz, Office Manager",
    ] {
        question = h.say(&zoe, answer).await;
    }
    assert_eq!(step(&question), "account_number");
    let private = button(&question, "Enter privately");
    h.fake
        .submit_modal(&zoe, h.thread, &private, "8472 1193 0045");
    h.next_question().await;
    for answer in ["no", "ok", "zoe@acmeplumbing.example.com"] {
        question = h.say(&zoe, answer).await;
    }
    assert_eq!(step(&question), "summary");
    let number = sign(&mut h, &zoe, &question).await;

    // Every answer once: the messages written while no bot was connected each left one line,
    // one ticket was made, and no question was posted twice in a row.
    for id in offline {
        let lines = psql_query(
            &db.url,
            &format!("SELECT count(*) FROM transcript WHERE platform_message_id = '{id}'"),
        );
        assert_eq!(lines.trim(), "1", "message {id}");
    }
    let tickets = psql_query(&db.url, "SELECT string_agg(number, ',') FROM tickets");
    assert_eq!(tickets.trim(), number);
    let steps = questions_in(&h, h.thread, 0);
    let mut once = steps.clone();
    once.dedup();
    assert_eq!(steps, once, "a question was posted twice");
    let log = std::fs::read_to_string(&log_b).unwrap();
    assert!(
        log.contains("caught up on messages sent while the bot was not connected"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_whose_lease_connection_fails_disconnects_and_takes_the_lease_again() {
    let Some(admin) = postgres() else { return };
    let db = PgDatabase::create(&admin);
    let fake = FakeDiscord::start().await;
    let sandbox = sandbox(&db, &fake);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("bot.log");
    let _bot = start(&sandbox, &log);
    fake.wait_ready(0).await;
    assert_eq!(fake.sessions(), 1);

    // The server ends the connection that holds the lease (a network cut, a failover).
    let ended = psql_query(
        &db.url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    assert_eq!(ended.trim(), "1", "one connection held the lease");
    wait_log(&log, "lost the gateway lease").await;
    // It let go of the gateway, took the lease again (nobody else wanted it), and connected
    // with a new session.
    fake.wait_sessions(2).await;
    let written = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        written.matches("holding the Discord gateway lease").count(),
        2,
        "{written}"
    );
}
