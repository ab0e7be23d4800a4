//! Agents work tickets through the real `portbot` binary: the lifecycle, rejections fixed by
//! the customer in chat (four and more codes), handoff, drafts, the audit log and retention.

mod binary;

use binary::{BUSINESS, Sandbox, SmtpSink};
use serde_json::Value;

/// Runs a chat session: the opening turn, then each line; returns every turn's messages.
fn chat(sandbox: &Sandbox, user: &str, lines: &[&str]) -> Vec<Vec<Value>> {
    let mut chat = sandbox.chat(user);
    let mut turns = vec![chat.read_turn()];
    for line in lines {
        turns.push(chat.say(line));
    }
    chat.close();
    turns
}

fn texts(turn: &[Value]) -> String {
    turn.iter()
        .filter_map(|m| m["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn step(turn: &[Value]) -> Option<String> {
    turn.last()?["step"].as_str().map(str::to_string)
}

fn show(sandbox: &Sandbox, number: &str) -> Value {
    serde_json::from_str(&sandbox.run(&["tickets", "show", number, "--json"])).unwrap()
}

fn submitted(sandbox: &Sandbox) -> String {
    let turns = chat(sandbox, "zoe", BUSINESS);
    turns.last().unwrap().last().unwrap()["tickets"][0]["number"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `portbot ARGS` that must fail; returns what it said on stderr.
fn refused(sandbox: &Sandbox, args: &[&str]) -> String {
    let output = sandbox.command(args).output().unwrap();
    assert!(
        !output.status.success(),
        "{args:?} should have been refused"
    );
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn an_address_rejection_is_fixed_in_chat_and_the_ticket_goes_on_to_completion() {
    let sandbox = Sandbox::new();
    let number = submitted(&sandbox);
    sandbox.run(&["tickets", "claim", &number, "--agent", "ana"]);
    assert_eq!(show(&sandbox, &number)["status"], "in_review");
    sandbox.run(&[
        "tickets",
        "reject",
        &number,
        "--agent",
        "ana",
        "--code",
        "ADDRESS_MISMATCH",
        "--note",
        "The carrier has Suite 1200",
    ]);
    let ticket = show(&sandbox, &number);
    assert_eq!(ticket["status"], "needs_info");
    assert_eq!(
        ticket["rejection_codes"],
        serde_json::json!(["ADDRESS_MISMATCH"])
    );

    // The customer comes back: told what is wrong, asked exactly the address, nothing else.
    let turns = chat(
        &sandbox,
        "zoe",
        &[
            "500 W Madison St, Suite 1200, Chicago, IL 60661",
            "confirm",
            "yes",
            "Zoë Łukasiewicz",
        ],
    );
    assert_eq!(
        step(&turns[0]).as_deref(),
        Some("service_address"),
        "{:?}",
        turns[0]
    );
    assert_eq!(step(&turns[1]).as_deref(), Some("summary"));
    assert!(texts(&turns[1]).contains("Suite 1200"));
    let last = turns.last().unwrap();
    assert!(texts(last).contains("version 2"), "{}", texts(last));
    let ticket = show(&sandbox, &number);
    assert_eq!(ticket["status"], "submitted");
    assert_eq!(ticket["loa_version"], 2);
    assert_eq!(ticket["service_address"]["unit"], "Suite 1200");
    assert_eq!(ticket["has_pin"], true, "the rest is kept");

    // Both LOA versions exist, and they differ.
    let v1 = sandbox.data_dir().join("v1.pdf");
    let v2 = sandbox.data_dir().join("v2.pdf");
    sandbox.run(&[
        "tickets",
        "loa",
        &number,
        "--version",
        "1",
        "--out",
        v1.to_str().unwrap(),
    ]);
    sandbox.run(&["tickets", "loa", &number, "--out", v2.to_str().unwrap()]);
    assert_ne!(std::fs::read(&v1).unwrap(), std::fs::read(&v2).unwrap());

    sandbox.run(&["tickets", "claim", &number, "--agent", "ana"]);
    sandbox.run(&[
        "tickets",
        "status",
        &number,
        "sent_to_carrier",
        "--agent",
        "ana",
    ]);
    sandbox.run(&[
        "tickets",
        "status",
        &number,
        "foc_confirmed",
        "--agent",
        "ana",
        "--date",
        "2026-12-01",
    ]);
    sandbox.run(&["tickets", "status", &number, "completed", "--agent", "ana"]);
    let ticket = show(&sandbox, &number);
    assert_eq!(ticket["status"], "completed");
    assert_eq!(ticket["confirmed_foc"], "2026-12-01");

    let history = sandbox.run(&["tickets", "history", &number]);
    for action in [
        "submitted",
        "claimed",
        "rejected",
        "resubmitted",
        "sent_to_carrier",
        "foc_confirmed",
        "completed",
    ] {
        assert!(
            history.contains(action),
            "{action} missing from:\n{history}"
        );
    }
}

/// Rejects with `code`, then answers `fix` in the customer's chat; returns the ticket after.
fn reject_and_fix(code: &str, fix: &[&str]) -> (Sandbox, String, Vec<Vec<Value>>) {
    let sandbox = Sandbox::new();
    let number = submitted(&sandbox);
    sandbox.run(&["tickets", "claim", &number, "--agent", "ana"]);
    sandbox.run(&[
        "tickets", "reject", &number, "--agent", "ana", "--code", code,
    ]);
    let turns = chat(&sandbox, "zoe", fix);
    (sandbox, number, turns)
}

#[test]
fn a_pin_rejection_asks_only_the_pin_and_needs_no_new_signature() {
    let (sandbox, number, turns) = reject_and_fix("PIN_MISMATCH", &["7733"]);
    assert_eq!(step(&turns[0]).as_deref(), Some("pin"));
    assert!(
        texts(&turns[1]).contains("no new signature"),
        "{}",
        texts(&turns[1])
    );
    let ticket = show(&sandbox, &number);
    assert_eq!(ticket["status"], "submitted");
    assert_eq!(ticket["loa_version"], 1);
    let pin = sandbox.run(&["tickets", "reveal-pin", &number, "--agent", "ana"]);
    assert_eq!(pin.trim(), "7733");
    assert!(
        sandbox
            .run(&["tickets", "history", &number])
            .contains("pin_revealed")
    );
}

#[test]
fn a_pin_fix_cannot_be_skipped() {
    let (_, _, turns) = reject_and_fix("PIN_REQUIRED", &["skip"]);
    assert_eq!(step(&turns[1]).as_deref(), Some("pin"));
}

#[test]
fn a_refused_date_asks_for_a_new_date_and_a_new_signature() {
    let (sandbox, number, turns) = reject_and_fix(
        "FOC_REJECTED",
        &["Dec 9", "confirm", "yes", "Zoë Łukasiewicz"],
    );
    assert_eq!(step(&turns[0]).as_deref(), Some("port_date"));
    let ticket = show(&sandbox, &number);
    assert_eq!(ticket["requested_port_date"], "2026-12-09");
    assert_eq!(ticket["loa_version"], 2);
}

#[test]
fn an_undeclared_partial_port_asks_for_the_partial_port_and_the_new_btn() {
    let (sandbox, number, turns) = reject_and_fix(
        "PARTIAL_PORT_NOT_DECLARED",
        &["yes", "312-448-2999", "confirm", "yes", "Zoë Łukasiewicz"],
    );
    assert_eq!(step(&turns[0]).as_deref(), Some("partial_port"));
    assert_eq!(step(&turns[1]).as_deref(), Some("new_btn"));
    let ticket = show(&sandbox, &number);
    assert_eq!(ticket["partial_port"], true);
    assert_eq!(ticket["new_btn"], "+13124482999");
    assert_eq!(ticket["status"], "submitted");
}

#[test]
fn an_expired_loa_goes_straight_to_a_new_signature() {
    let (sandbox, number, turns) =
        reject_and_fix("LOA_EXPIRED", &["confirm", "yes", "Zoë Łukasiewicz"]);
    assert_eq!(step(&turns[0]).as_deref(), Some("summary"));
    assert_eq!(show(&sandbox, &number)["loa_version"], 2);
}

#[test]
fn moves_the_rules_forbid_are_refused_with_the_reason() {
    let sandbox = Sandbox::new();
    let number = submitted(&sandbox);
    let said = refused(
        &sandbox,
        &["tickets", "status", &number, "completed", "--agent", "ana"],
    );
    assert!(said.contains("one step at a time"), "{said}");
    sandbox.run(&["tickets", "claim", &number, "--agent", "ana"]);
    let said = refused(&sandbox, &["tickets", "claim", &number, "--agent", "bo"]);
    assert!(said.contains("ana has claimed"), "{said}");
    sandbox.run(&[
        "tickets",
        "status",
        &number,
        "cancelled",
        "--agent",
        "ana",
        "--reason",
        "customer asked",
    ]);
    let said = refused(
        &sandbox,
        &[
            "tickets",
            "status",
            &number,
            "sent_to_carrier",
            "--agent",
            "ana",
        ],
    );
    assert!(said.contains("final"), "{said}");
    let said = refused(
        &sandbox,
        &[
            "tickets", "reject", &number, "--agent", "ana", "--code", "NOPE",
        ],
    );
    assert!(said.contains("unknown rejection code"), "{said}");
}

#[test]
fn a_foc_on_a_holiday_is_refused_with_the_next_business_day() {
    let sandbox = Sandbox::new();
    let number = submitted(&sandbox);
    sandbox.run(&["tickets", "claim", &number, "--agent", "ana"]);
    sandbox.run(&[
        "tickets",
        "status",
        &number,
        "sent_to_carrier",
        "--agent",
        "ana",
    ]);
    let said = refused(
        &sandbox,
        &[
            "tickets",
            "status",
            &number,
            "foc_confirmed",
            "--agent",
            "ana",
            "--date",
            "2026-12-25",
        ],
    );
    assert!(
        said.contains("federal holiday") && said.contains("Monday, December 28, 2026"),
        "{said}"
    );
}

#[test]
fn notes_stay_internal_and_exports_never_hold_secrets() {
    let sandbox = Sandbox::new();
    let number = submitted(&sandbox);
    sandbox.run(&[
        "tickets",
        "note",
        &number,
        "--agent",
        "ana",
        "Called the carrier",
    ]);
    let history = sandbox.run(&["tickets", "history", &number]);
    assert!(
        history.contains("internal: Called the carrier"),
        "{history}"
    );
    let csv = sandbox.run(&["tickets", "export"]);
    let json = sandbox.run(&["tickets", "export", &number]);
    assert!(csv.starts_with("number,kind,status"), "{csv}");
    assert!(csv.contains(&number));
    for out in [&csv, &json] {
        assert!(
            !out.contains("4821") && !out.contains("847211930045"),
            "{out}"
        );
    }
}

#[test]
fn an_agent_hands_a_paused_conversation_back_and_the_bot_asks_again() {
    let sandbox = Sandbox::new();
    let turns = chat(
        &sandbox,
        "max",
        &["1", "yes", "skip", "no", "skip", "312-448-2915", "agent"],
    );
    assert!(
        step(turns.last().unwrap()).is_none(),
        "the bot stops asking"
    );
    let waiting = sandbox.run(&["conversations", "waiting"]);
    assert!(
        waiting.contains("console:max") && waiting.contains("(312) 448-2915"),
        "{waiting}"
    );
    sandbox.run(&["conversations", "resume", "--user", "max", "--agent", "ana"]);
    let turns = chat(&sandbox, "max", &[]);
    assert!(
        texts(&turns[0]).contains("ana has handed you back"),
        "{}",
        texts(&turns[0])
    );
    assert_eq!(step(&turns[0]).as_deref(), Some("carrier"));
}

/// What the customer in the draft tests still answers after an agent saved the draft, up to
/// signing.
const FINISH_AFTER_DRAFT: &[&str] = &[
    "AT&T",
    "personal landline",
    "Max Mustermann",
    "12 Oak Ave, Springfield, IL 62704",
    "yes",
    "skip",
    "no",
    "ok",
    "max@example.com",
    "confirm",
    "yes",
    "Max Mustermann",
];

#[test]
fn a_draft_keeps_its_number_when_the_customer_finishes_and_signs() {
    let sandbox = Sandbox::new();
    chat(
        &sandbox,
        "max",
        &["1", "yes", "skip", "no", "skip", "312-448-2915", "agent"],
    );
    let saved = sandbox.run(&["conversations", "draft", "--user", "max", "--agent", "ana"]);
    assert!(saved.contains("Missing: carrier, number_type"), "{saved}");
    let draft_number = saved
        .split_whitespace()
        .nth(3)
        .unwrap()
        .trim_end_matches('.')
        .to_string();
    let list = sandbox.run(&["tickets", "list"]);
    assert!(
        list.contains(&draft_number) && list.contains("draft"),
        "{list}"
    );
    let turns = chat(&sandbox, "max", FINISH_AFTER_DRAFT);
    let tickets = &turns.last().unwrap().last().unwrap()["tickets"];
    assert_eq!(tickets[0]["number"], draft_number.as_str());
    assert!(
        !sandbox
            .run(&["tickets", "list", "--status", "draft"])
            .contains(&draft_number)
    );
}

#[test]
fn the_transcript_names_what_an_agent_did_not_the_words_the_customer_was_sent() {
    let sandbox = Sandbox::new();
    chat(
        &sandbox,
        "max",
        &["1", "yes", "skip", "no", "skip", "312-448-2915", "agent"],
    );
    sandbox.run(&["conversations", "resume", "--user", "max", "--agent", "ana"]);
    sandbox.run(&["conversations", "draft", "--user", "max", "--agent", "ana"]);
    let turns = chat(&sandbox, "max", FINISH_AFTER_DRAFT);
    let number = turns.last().unwrap().last().unwrap()["tickets"][0]["number"]
        .as_str()
        .expect("a ticket")
        .to_string();
    let transcript = sandbox.run(&["tickets", "transcript", &number]);
    assert!(
        transcript.contains("[ana: handed_back]") && transcript.contains("[ana: draft_saved]"),
        "{transcript}"
    );
    assert!(!transcript.contains("[ana: Thanks"), "{transcript}");
}

#[test]
fn an_agent_starts_the_flow_for_a_customer_with_the_numbers_from_their_message() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&[
        "conversations",
        "start",
        "--user",
        "lena",
        "--agent",
        "ana",
        "--text",
        "hi, can you move 312 448 2915 and (312) 448-2916 for me?",
    ]);
    assert!(out.contains("(312) 448-2915, (312) 448-2916"), "{out}");
    let turns = chat(&sandbox, "lena", &["yes", "skip", "no", "skip"]);
    assert!(texts(&turns[0]).contains("ana from our porting team"));
    assert_eq!(
        step(turns.last().unwrap()).as_deref(),
        Some("same_bill"),
        "numbers are pre-filled"
    );
}

/// A submitted ticket (with its bill) that an agent cancelled.
fn cancelled(sandbox: &Sandbox) -> String {
    let number = submitted(sandbox);
    sandbox.run(&[
        "tickets",
        "status",
        &number,
        "cancelled",
        "--agent",
        "ana",
        "--reason",
        "duplicate",
    ]);
    number
}

#[test]
fn uploads_are_deleted_after_the_retention_period_and_the_loa_stays() {
    let mut sandbox = Sandbox::new();
    let number = cancelled(&sandbox);
    assert_eq!(sandbox.run(&["retention"]).trim(), "Nothing to delete.");
    sandbox.set("PORTBOT_NOW", "2027-03-01T15:00:00Z");
    let out = sandbox.run(&["retention"]);
    assert!(
        out.contains(&format!("{number}: 1 upload(s) deleted")),
        "{out}"
    );
    assert!(
        sandbox
            .run(&["tickets", "history", &number])
            .contains("uploads_deleted")
    );
    let loa = sandbox.data_dir().join("after.pdf");
    sandbox.run(&["tickets", "loa", &number, "--out", loa.to_str().unwrap()]);
}

/// The worker's pass deletes them too, once the period is over, and not before: it looks only
/// at uploads older than the period, the one `portbot retention` above also finds.
#[test]
fn a_worker_pass_deletes_uploads_once_the_retention_period_is_over() {
    let mut sandbox = Sandbox::new();
    let number = cancelled(&sandbox);
    let uploads = "SELECT COUNT(*) FROM documents WHERE kind IN ('bill', 'csr')";
    sandbox.set("PORTBOT_NOW", "2027-02-10T15:00:00Z");
    sandbox.run(&["worker", "--once"]);
    assert_eq!(
        binary::count(&sandbox, uploads),
        1,
        "kept within the period"
    );
    sandbox.set("PORTBOT_NOW", "2027-03-01T15:00:00Z");
    sandbox.run(&["worker", "--once"]);
    assert_eq!(binary::count(&sandbox, uploads), 0, "deleted after it");
    assert!(
        sandbox
            .run(&["tickets", "history", &number])
            .contains("uploads_deleted")
    );
}

/// The scripted run: the customer submits, an agent claims and rejects with
/// ADDRESS_MISMATCH, the customer fixes only the address in chat and signs again (LOA v2), the
/// agent confirms the port date and completes; the customer hears of each step in the chat and
/// by email (a real SMTP server on 127.0.0.1).
#[test]
fn the_customer_hears_of_every_step_in_chat_and_by_email() {
    let Some(smtp) = SmtpSink::start(None) else {
        return;
    };
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_SMTP_URL", &smtp.url());
    sandbox.set("PORTBOT_EMAIL_FROM", "porting@voice.example");
    let worker = |sandbox: &Sandbox| sandbox.run(&["worker", "--once"]);

    let number = submitted(&sandbox);
    worker(&sandbox);
    sandbox.run(&["tickets", "claim", &number, "--agent", "ana"]);
    sandbox.run(&[
        "tickets",
        "reject",
        &number,
        "--agent",
        "ana",
        "--code",
        "ADDRESS_MISMATCH",
    ]);
    worker(&sandbox);

    let turns = chat(
        &sandbox,
        "zoe",
        &[
            "500 W Madison St, Suite 1200, Chicago, IL 60661",
            "confirm",
            "yes",
            "Zoë Łukasiewicz",
        ],
    );
    let opening = texts(&turns[0]);
    assert!(
        opening.contains(&format!("Port request {number} needs a fix")),
        "{opening}"
    );
    assert!(
        opening.contains("service address doesn't match"),
        "{opening}"
    );
    assert_eq!(step(&turns[0]).as_deref(), Some("service_address"));
    assert!(std::fs::metadata(sandbox.data_dir().join(format!("loa/{number}-v2.pdf"))).is_ok());
    worker(&sandbox);

    sandbox.run(&["tickets", "claim", &number, "--agent", "ana"]);
    sandbox.run(&[
        "tickets",
        "status",
        &number,
        "sent_to_carrier",
        "--agent",
        "ana",
    ]);
    sandbox.run(&[
        "tickets",
        "status",
        &number,
        "foc_confirmed",
        "--agent",
        "ana",
        "--date",
        "2026-12-01",
    ]);
    sandbox.run(&["tickets", "status", &number, "completed", "--agent", "ana"]);
    worker(&sandbox);

    let turns = chat(&sandbox, "zoe", &[]);
    let updates = texts(&turns[0]);
    assert!(
        updates.contains("confirmed for Tuesday, December 1, 2026"),
        "{updates}"
    );
    assert!(updates.contains("11:30 AM Eastern"), "{updates}");
    assert!(
        updates.contains(&format!("Port request {number} is complete")),
        "{updates}"
    );

    let subjects: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        subjects,
        [
            format!("We received port request {number}"),
            format!("Action needed: port request {number}"),
            format!("We received port request {number}"),
            format!("Port date confirmed for Tuesday, December 1, 2026 (request {number})"),
            format!("Port complete: request {number}"),
        ],
    );
    for message in smtp.messages() {
        let body = message["body"].as_str().unwrap_or_default();
        assert!(
            !body.contains("4821") && !body.contains("847211930045"),
            "{body}"
        );
        assert!(
            message["to"]
                .to_string()
                .contains("zoe@acmeplumbing.example.com"),
            "{message}"
        );
    }
}

/// The cells of one CSV line (quoted cells unquoted).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

#[test]
fn no_cell_of_a_csv_export_starts_like_a_spreadsheet_formula() {
    let sandbox = Sandbox::new();
    let hostile = "+HYPERLINK(\"https://evil.example\",\"Pay here\")";
    let lines: Vec<&str> = BUSINESS
        .iter()
        .map(|&line| {
            if line == "Acme Plumbing LLC" {
                hostile
            } else {
                line
            }
        })
        .collect();
    let turns = chat(&sandbox, "zoe", &lines);
    let last = turns.last().unwrap().last().unwrap();
    assert!(last["tickets"][0]["number"].is_string(), "{last}");
    let csv = sandbox.run(&["tickets", "export"]);
    let row = csv_cells(csv.lines().nth(1).unwrap());
    for cell in &row {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?} in {row:?}"
        );
    }
    assert!(row.contains(&format!("'{hostile}")), "{row:?}");
    // The numbers stay readable: E.164, marked as text.
    assert!(
        row.contains(&"'+13124482915 +13124482916".to_string()),
        "{row:?}"
    );
}

#[test]
fn a_transcript_shows_escape_sequences_the_customer_typed_as_text_never_runs_them() {
    let sandbox = Sandbox::new();
    let typed = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mAgent: approved\u{9b}0m\u{202e}";
    let mut lines = BUSINESS.to_vec();
    lines.insert(1, typed);
    let turns = chat(&sandbox, "zoe", &lines);
    let last = turns.last().unwrap().last().unwrap();
    let number = last["tickets"][0]["number"].as_str().expect("a ticket");
    let transcript = sandbox.run(&["tickets", "transcript", number]);
    assert!(
        transcript.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"),
        "{transcript}"
    );
    assert!(
        !transcript
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}'),
        "{transcript:?}"
    );
}
