//! Limits, through the real binary: uploads per conversation, messages per minute and
//! conversations per day. Over a limit the customer is told which limit and when they can go
//! on, nothing of the refused message is stored, and every answer already given stays.

mod binary;

use binary::{Sandbox, count};
use serde_json::Value;

fn text(turn: &[Value]) -> String {
    turn.iter()
        .filter_map(|m| m["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn waiting_step(turn: &[Value]) -> Option<String> {
    turn.last()?["step"].as_str().map(String::from)
}

#[test]
fn an_upload_over_the_per_conversation_limit_is_refused_naming_the_limit_and_nothing_is_lost() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_MAX_UPLOADS_PER_CONVERSATION", "2");
    let mut chat = sandbox.chat("uploader");
    chat.read_turn();
    chat.say("1");
    assert_eq!(waiting_step(&chat.say("yes")).as_deref(), Some("bill_copy"));
    // Two uploads (the second replacing the first after "back") are within the limit.
    for _ in 0..2 {
        let turn = chat.say("/attach tests/fixtures/bill.pdf");
        assert_eq!(
            waiting_step(&turn).as_deref(),
            Some("bill_date"),
            "{turn:?}"
        );
        assert_eq!(
            waiting_step(&chat.say("back")).as_deref(),
            Some("bill_copy")
        );
    }
    let refused = chat.say("/attach tests/fixtures/bill-photo.png");
    let said = text(&refused);
    assert!(said.contains("already has 2 files"), "{said}");
    assert!(said.contains("didn't keep this one"), "{said}");
    // The same question again, and the answers so far are still there.
    assert_eq!(waiting_step(&refused).as_deref(), Some("bill_copy"));
    assert_eq!(count(&sandbox, "SELECT COUNT(*) FROM documents"), 2);
    chat.close();

    let mut chat = sandbox.chat("uploader");
    let resumed = chat.read_turn();
    assert_eq!(waiting_step(&resumed).as_deref(), Some("bill_copy"));
    assert!(text(&resumed).contains("bill.pdf"), "{resumed:?}");
    // A typed answer still works after the refusal, and the earlier answers are kept.
    let turn = chat.say("skip");
    assert_eq!(waiting_step(&turn).as_deref(), Some("pin_required"));
    let summary = text(&chat.say("status"));
    assert!(summary.contains("question"), "{summary}");
    chat.close();
    assert_eq!(count(&sandbox, "SELECT COUNT(*) FROM documents"), 2);
    let transcript = count(
        &sandbox,
        "SELECT COUNT(*) FROM transcript WHERE text LIKE '%bill-photo.png%'",
    );
    assert_eq!(transcript, 0, "the refused file is not recorded");
}

#[test]
fn messages_over_the_per_minute_limit_are_refused_with_the_wait_and_not_stored() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_MAX_MESSAGES_PER_MINUTE", "3");
    let mut chat = sandbox.chat("quick");
    chat.read_turn();
    chat.say("1");
    chat.say("yes");
    let turn = chat.say("/attach tests/fixtures/bill.pdf");
    assert_eq!(waiting_step(&turn).as_deref(), Some("bill_date"));
    // The fourth message within a minute would be a valid answer, but is refused.
    let refused = chat.say("Nov 10");
    let said = text(&refused);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(said.contains("3 a minute"), "{said}");
    assert!(said.contains("Please wait"), "{said}");
    // Just under a minute, rounded up in words.
    assert!(
        said.contains("wait 1 minute") || said.contains("seconds"),
        "{said}"
    );
    assert!(said.contains("saved"), "{said}");
    chat.close();
    assert_eq!(
        count(
            &sandbox,
            "SELECT COUNT(*) FROM transcript WHERE text = 'Nov 10'"
        ),
        0
    );
    // A new process (a fresh minute for this test's purposes) asks the same question: the
    // refused answer was not taken, and the earlier ones were kept.
    let mut chat = sandbox.chat("quick");
    let resumed = chat.read_turn();
    assert_eq!(waiting_step(&resumed).as_deref(), Some("bill_date"));
    assert_eq!(
        waiting_step(&chat.say("Nov 10")).as_deref(),
        Some("pin_required")
    );
    chat.close();
}

#[test]
fn a_new_conversation_over_the_daily_limit_is_refused_with_the_wait_and_not_created() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_MAX_CONVERSATIONS_PER_DAY", "2");
    let mut chat = sandbox.chat("restless");
    chat.read_turn(); // conversation 1
    chat.say("1");
    chat.say("cancel");
    chat.say("yes");
    let second = chat.say("1"); // conversation 2
    assert_eq!(waiting_step(&second).as_deref(), Some("checklist"));
    chat.say("cancel");
    chat.say("yes");
    let refused = chat.say("1");
    let said = text(&refused);
    assert!(said.contains("started 2 conversations"), "{said}");
    // PORTBOT_NOW is fixed, so the first conversation started exactly now: a day to wait.
    assert!(said.contains("in 24 hours"), "{said}");
    assert_eq!(refused.len(), 1);
    chat.close();
    assert_eq!(count(&sandbox, "SELECT COUNT(*) FROM conversations"), 2);

    // Coming back is refused the same way, without creating anything.
    let mut chat = sandbox.chat("restless");
    let opening = text(&chat.read_turn());
    assert!(opening.contains("started 2 conversations"), "{opening}");
    chat.close();
    assert_eq!(count(&sandbox, "SELECT COUNT(*) FROM conversations"), 2);

    // Another customer is not affected.
    let mut chat = sandbox.chat("someone-else");
    chat.read_turn();
    assert_eq!(waiting_step(&chat.say("1")).as_deref(), Some("checklist"));
    chat.close();
}

#[test]
fn a_limit_that_is_not_a_number_stops_start_up_naming_it() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_MAX_UPLOADS_PER_CONVERSATION", "0");
    let output = sandbox.command(&["migrate"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PORTBOT_MAX_UPLOADS_PER_CONVERSATION"),
        "{stderr}"
    );
    sandbox.set("PORTBOT_MAX_UPLOADS_PER_CONVERSATION", "3");
    sandbox.set("PORTBOT_MAX_MESSAGES_PER_MINUTE", "lots");
    let output = sandbox.command(&["migrate"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PORTBOT_MAX_MESSAGES_PER_MINUTE"),
        "{stderr}"
    );
}
