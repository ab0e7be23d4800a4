//! Two `portbot` processes, one PostgreSQL database, one customer: turns of the same conversation
//! arrive at either process, some at both at once with different message ids, some replayed
//! to both with the same id (as a platform redelivers). Every turn is applied exactly once, in
//! the order it was acknowledged, none is lost, and a replayed id is answered only once.
//! Needs `PORTBOT_TEST_POSTGRES_URL` (CI sets it).

mod binary;

use base64::Engine;
use binary::{BUSINESS, Chat, PgDatabase, Sandbox, psql_query};
use serde_json::Value;

fn is_duplicate(turn: &[Value]) -> bool {
    turn.len() == 1 && turn[0]["duplicate"] == true
}

fn say(chat: &mut Chat, id: &str, line: &str) {
    chat.send(&format!("{id} {line}"));
}

#[test]
fn two_processes_apply_every_turn_of_one_conversation_exactly_once_and_in_order() {
    let Ok(admin) = std::env::var("PORTBOT_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set PORTBOT_TEST_POSTGRES_URL"
        );
        eprintln!("note: PORTBOT_TEST_POSTGRES_URL is not set; skipping");
        return;
    };
    let db = PgDatabase::create(&admin);
    let mut sandbox = Sandbox::new();
    sandbox.set("DATABASE_URL", &db.url);
    sandbox.set(
        "PORTBOT_SECRET_KEY",
        &base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
    );
    sandbox.run(&["migrate"]);
    let args = ["chat", "--json", "--user", "both", "--message-ids"];
    // One opens (and creates) the conversation before the other resumes it.
    let mut a = sandbox.chat_with(&args);
    a.read_turn();
    let mut b = sandbox.chat_with(&args);
    b.read_turn();

    // The customer lines in the order they must be applied; `None` where two ran at once.
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut duplicates = 0;
    let mut last = Vec::new();
    for (i, answer) in BUSINESS.iter().enumerate() {
        // Before each answer, both processes get a different question at the same time: both
        // are applied, in either order, and neither is lost.
        let (qa, qb) = (format!("q{i}a"), format!("q{i}b"));
        say(&mut a, &qa, "help");
        say(&mut b, &qb, "why");
        let (ta, tb) = (a.read_turn(), b.read_turn());
        assert!(!is_duplicate(&ta) && !is_duplicate(&tb), "{ta:?} {tb:?}");
        expected.push(vec![qa, qb]);

        let id = format!("m{i}");
        match i % 3 {
            0 => {
                say(&mut a, &id, answer);
                last = a.read_turn();
            }
            1 => {
                say(&mut b, &id, answer);
                last = b.read_turn();
            }
            _ => {
                // Delivered to both at once: one answers, the other says it was a replay.
                say(&mut a, &id, answer);
                say(&mut b, &id, answer);
                let (ta, tb) = (a.read_turn(), b.read_turn());
                assert!(
                    is_duplicate(&ta) != is_duplicate(&tb),
                    "exactly one process handles {id}: {ta:?} {tb:?}"
                );
                last = if is_duplicate(&ta) { tb } else { ta };
                duplicates += 1;
            }
        }
        assert!(!last.is_empty());
        expected.push(vec![id]);
    }
    // A late replay of an early message to the other process is not handled again.
    say(&mut b, "m0", BUSINESS[0]);
    assert!(is_duplicate(&b.read_turn()));
    a.close();
    b.close();

    let tickets = last.last().unwrap()["tickets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tickets.len(), 1, "one ticket at the end: {last:?}");

    let applied: Vec<String> = psql_query(
        &db.url,
        "SELECT platform_message_id FROM transcript WHERE who = 'customer' ORDER BY id",
    )
    .lines()
    .map(str::to_string)
    .collect();
    let mut position = 0;
    for group in &expected {
        let mut got: Vec<String> = applied[position..position + group.len()].to_vec();
        let mut want = group.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "customer lines at {position}: {applied:?}");
        position += group.len();
    }
    assert_eq!(position, applied.len(), "nothing extra: {applied:?}");
    let conversations = psql_query(&db.url, "SELECT count(*), max(version) FROM conversations");
    assert_eq!(
        conversations.trim(),
        format!("1|{}", applied.len()),
        "one conversation, one version per applied turn"
    );
    let processed = psql_query(&db.url, "SELECT count(*) FROM processed_messages");
    assert_eq!(processed.trim(), applied.len().to_string());
    println!(
        "two processes: {} turns applied once each, {duplicates} replays to both answered once",
        applied.len()
    );
}
