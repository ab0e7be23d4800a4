//! The terminal chat end to end: tickets, their LOA, the ticket commands, resuming, and hostile
//! input, through the real `portbot` binary on a fresh database.

mod binary;

use binary::{BUSINESS, Sandbox};
use serde_json::Value;

fn complete(sandbox: &Sandbox, user: &str, answers: &[&str]) -> Vec<Value> {
    let mut chat = sandbox.chat(user);
    chat.read_turn();
    let mut last = Vec::new();
    for answer in answers {
        last = chat.say(answer);
    }
    chat.close();
    last
}

#[test]
fn signing_creates_a_submitted_ticket_with_its_loa_file() {
    let sandbox = Sandbox::new();
    let last = complete(&sandbox, "zoe", BUSINESS);
    let final_message = last.last().expect("a reply");
    assert_eq!(final_message["waiting"], true);
    let tickets = final_message["tickets"]
        .as_array()
        .expect("tickets on the last message");
    assert_eq!(tickets.len(), 1);
    let ticket = &tickets[0];
    assert_eq!(ticket["kind"], "local");
    assert_eq!(ticket["status"], "submitted");
    assert_eq!(
        ticket["numbers"],
        serde_json::json!(["+13124482915", "+13124482916"])
    );
    let loa = std::path::Path::new(ticket["loa_path"].as_str().unwrap());
    let bytes = std::fs::read(loa).expect("the LOA file exists");
    assert!(bytes.starts_with(b"%PDF"), "the LOA is a PDF");
    let texts: Vec<&str> = last.iter().filter_map(|m| m["text"].as_str()).collect();
    let all = texts.join("\n");
    assert!(
        all.contains(ticket["number"].as_str().unwrap()),
        "the ticket number is told: {all}"
    );
    assert!(
        all.contains("1 to 2 business days"),
        "what happens next is told: {all}"
    );
}

#[test]
fn tickets_show_and_list_give_the_request_fields_and_never_the_secrets() {
    let sandbox = Sandbox::new();
    let last = complete(&sandbox, "zoe", BUSINESS);
    let number = last.last().unwrap()["tickets"][0]["number"]
        .as_str()
        .unwrap()
        .to_string();

    let shown: Value =
        serde_json::from_str(&sandbox.run(&["tickets", "show", &number, "--json"])).unwrap();
    assert_eq!(shown["number"], number.as_str());
    assert_eq!(shown["kind"], "local");
    assert_eq!(shown["status"], "submitted");
    assert_eq!(
        shown["numbers"],
        serde_json::json!(["+13124482915", "+13124482916"])
    );
    assert_eq!(shown["requested_port_date"], "2026-11-30");
    assert_eq!(shown["email"], "zoe@acmeplumbing.example.com");
    assert_eq!(shown["customer_type"], "business");
    assert_eq!(shown["has_pin"], true);
    assert_eq!(shown["has_account_number"], true);

    let listed: Value = serde_json::from_str(&sandbox.run(&["tickets", "list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let submitted = sandbox.run(&["tickets", "list", "--status", "submitted"]);
    assert!(submitted.contains(&number), "{submitted}");
    let none = sandbox.run(&["tickets", "list", "--status", "completed"]);
    assert!(!none.contains(&number), "{none}");

    for output in [
        sandbox.run(&["tickets", "show", &number, "--json"]),
        sandbox.run(&["tickets", "show", &number]),
        sandbox.run(&["tickets", "list", "--json"]),
    ] {
        assert!(!output.contains("4821"), "the PIN leaked: {output}");
        assert!(
            !output.contains("847211930045"),
            "the account number leaked: {output}"
        );
        assert!(
            !output.contains("8472 1193 0045"),
            "the account number leaked: {output}"
        );
    }
}

#[test]
fn tickets_loa_writes_the_same_pdf_that_was_given_to_the_customer() {
    let sandbox = Sandbox::new();
    let last = complete(&sandbox, "zoe", BUSINESS);
    let ticket = &last.last().unwrap()["tickets"][0];
    let number = ticket["number"].as_str().unwrap();
    let out = sandbox.data_dir().join("copy.pdf");
    sandbox.run(&["tickets", "loa", number, "--out", out.to_str().unwrap()]);
    let given = std::fs::read(ticket["loa_path"].as_str().unwrap()).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), given);
}

#[test]
fn the_database_file_never_holds_the_pin_or_account_number_in_plain_text() {
    let sandbox = Sandbox::new();
    complete(&sandbox, "zoe", BUSINESS);
    let mut haystack = Vec::new();
    for entry in std::fs::read_dir(sandbox.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("portbot.db")
        {
            haystack.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(!haystack.is_empty());
    for secret in ["4821", "847211930045", "8472 1193 0045"] {
        assert!(
            !haystack
                .windows(secret.len())
                .any(|w| w == secret.as_bytes()),
            "{secret} found in the database file"
        );
    }
}

#[test]
fn hostile_input_never_crashes_the_chat() {
    let sandbox = Sandbox::new();
    let mut chat = sandbox.chat("mallory");
    chat.read_turn();
    let long = "9".repeat(100_000);
    let emoji = "📞📞📞 port my 📱 please 🙏";
    let inputs = [
        long.as_str(),
        "",
        "\u{0}\u{1}\u{7f}\u{1b}[31mred\u{1b}[0m",
        emoji,
        "1",
        long.as_str(),
        "\u{202e}sey",
        "    ",
        "yes",
        "/attach /definitely/not/here.pdf",
        &"a".repeat(100_000),
        "💥",
    ];
    for input in inputs {
        let turn = chat.say(input);
        assert!(!turn.is_empty(), "every message gets an answer");
        for message in &turn {
            let text = message["text"].as_str().unwrap();
            assert!(!text.is_empty());
            assert!(text.len() < 4_000, "the bot never echoes a huge input back");
            assert!(!text.contains('\u{1b}'), "no escape codes in JSON output");
        }
    }
    chat.close();
}

#[test]
fn piped_output_is_plain_text_with_numbered_choices_and_no_escape_codes() {
    use std::io::Write;
    let sandbox = Sandbox::new();
    let mut child = sandbox
        .command(&["chat", "--user", "plain"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"1\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("  1. Port numbers in"), "{text}");
    assert!(text.contains("Keep your current service active"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn an_upload_over_the_size_limit_is_refused_with_the_sizes_and_nothing_is_kept() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_MAX_UPLOAD_BYTES", "2048");
    let big = sandbox.data_dir().join("big-bill.pdf");
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(50_000, b' ');
    std::fs::write(&big, &bytes).unwrap();
    let mut chat = sandbox.chat("big");
    chat.read_turn();
    chat.say("1");
    chat.say("yes");
    let turn = chat.say(&format!("/attach {}", big.display()));
    let text = turn[0]["text"].as_str().unwrap();
    assert!(text.contains("48.8 KB") && text.contains("2 KB"), "{text}");
    assert_eq!(
        turn.last().unwrap()["step"],
        "bill_copy",
        "the same question again"
    );
    let turn = chat.say("skip");
    assert_eq!(turn.last().unwrap()["step"], "pin_required");
    chat.close();
}
