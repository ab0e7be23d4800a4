//! The access matrix, through the real binary with `PORTBOT_AGENTS=alice,bob`: a customer, another
//! customer, an agent and a non-agent against every customer action (open or resume their own
//! conversation, status, their own tickets) and every agent action on the command line. Only what
//! each may do succeeds; the rest is refused with a clear message, changes nothing, and refusals
//! on a ticket are in its audit log. The number of checks is printed.
//!
//! The Discord rows (the agent role on `/ticket` and `/port`) are in `tests/discord.rs`,
//! `customers_are_refused_every_agent_command_and_see_only_their_own_tickets`.

mod binary;

use binary::{BUSINESS, Sandbox};
use serde_json::Value;

struct Checks(usize);

impl Checks {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.0 += 1;
        assert!(ok, "{}", what());
    }
}

fn text(turn: &[Value]) -> String {
    turn.iter()
        .filter_map(|m| m["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn chat_text(sandbox: &Sandbox, user: &str, lines: &[&str]) -> (String, String) {
    let mut chat = sandbox.chat(user);
    let opening = text(&chat.read_turn());
    let mut said = String::new();
    for line in lines {
        said.push_str(&text(&chat.say(line)));
        said.push('\n');
    }
    chat.close();
    (opening, said)
}

/// Every agent command, as (name, arguments before `--agent`).
fn agent_commands(ticket: &str, out: &str) -> Vec<(&'static str, Vec<String>)> {
    let v = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        ("list", v(&["tickets", "list"])),
        ("show", v(&["tickets", "show", ticket])),
        ("loa", v(&["tickets", "loa", ticket, "--out", out])),
        ("history", v(&["tickets", "history", ticket])),
        ("transcript", v(&["tickets", "transcript", ticket])),
        ("export one", v(&["tickets", "export", ticket])),
        ("export list", v(&["tickets", "export"])),
        ("outbox", v(&["tickets", "outbox"])),
        ("waiting", v(&["conversations", "waiting"])),
        ("note", v(&["tickets", "note", ticket, "checked the bill"])),
        (
            "message",
            v(&["tickets", "message", ticket, "We are on it."]),
        ),
        ("reveal-pin", v(&["tickets", "reveal-pin", ticket])),
        ("claim", v(&["tickets", "claim", ticket])),
        (
            "status",
            v(&["tickets", "status", ticket, "sent_to_carrier"]),
        ),
        (
            "reject",
            v(&["tickets", "reject", ticket, "--code", "ADDRESS_MISMATCH"]),
        ),
        ("unclaim", v(&["tickets", "unclaim", ticket])),
        ("resume", v(&["conversations", "resume", "--user", "yann"])),
        ("draft", v(&["conversations", "draft", "--user", "yann"])),
        ("start", v(&["conversations", "start", "--user", "xavier"])),
    ]
}

#[test]
fn only_agents_act_on_tickets_and_customers_see_only_their_own() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_AGENTS", "alice,bob");
    let mut checks = Checks(0);

    // Zoe has a ticket.
    let mut chat = sandbox.chat("zoe");
    chat.read_turn();
    let mut last = Vec::new();
    for answer in BUSINESS {
        last = chat.say(answer);
    }
    chat.close();
    let ticket = last.last().unwrap()["tickets"][0]["number"]
        .as_str()
        .unwrap()
        .to_string();

    // Yann is halfway through his own request.
    let (_, said) = chat_text(&sandbox, "yann", &["1", "yes"]);
    checks.check(said.contains("bill"), || said.clone());

    // Customer actions: each customer (and agents and non-agents chatting as customers) sees
    // only their own tickets and resumes only their own conversation.
    for user in ["zoe", "yann", "alice", "mallory"] {
        let (opening, said) = chat_text(&sandbox, user, &["status"]);
        let own = user == "zoe";
        checks.check(said.contains(&ticket) == own, || {
            format!("{user} status (own ticket: {own}): {said}")
        });
        checks.check(!opening.contains("Acme Plumbing") || own, || {
            format!("{user} sees zoe's answers: {opening}")
        });
        let resumed_bill = opening.contains("bill");
        checks.check(resumed_bill == (user == "yann"), || {
            format!("{user} opening resumes someone's conversation: {opening}")
        });
    }
    // Yann now asks for an agent (for the hand-back rows).
    let (_, said) = chat_text(&sandbox, "yann", &["agent"]);
    checks.check(said.contains("agent"), || said.clone());

    let out = sandbox.data_dir().join("loa-out.pdf");
    let out = out.to_str().unwrap().to_string();
    let commands = agent_commands(&ticket, &out);

    // Everyone who is not an agent is refused every agent action, clearly, and nothing changes.
    let outsiders: [(Option<&str>, &str); 4] = [
        (Some("mallory"), "\"mallory\" is not on the agent list"),
        (Some("zoe"), "\"zoe\" is not on the agent list"),
        (Some("yann"), "\"yann\" is not on the agent list"),
        (None, "need your agent name"),
    ];
    for (who, refusal) in outsiders {
        for (name, args) in &commands {
            let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
            if let Some(who) = who {
                args.extend(["--agent", who]);
            }
            let output = sandbox.command(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stdout = String::from_utf8_lossy(&output.stdout);
            checks.check(!output.status.success(), || {
                format!("{who:?} {name} succeeded: {stdout}")
            });
            // Without --agent, the commands that always need one are refused by the parser.
            let clear = stderr.contains(refusal)
                || (who.is_none()
                    && stderr.contains("required arguments were not provided")
                    && stderr.contains("--agent"));
            checks.check(clear, || {
                format!("{who:?} {name}: unclear refusal: {stderr}")
            });
            checks.check(stdout.trim().is_empty() && !stderr.contains("4821"), || {
                format!("{who:?} {name} printed data: {stdout}")
            });
        }
    }
    checks.check(!std::path::Path::new(&out).exists(), || {
        "a refused loa wrote the file".into()
    });

    // Nothing changed, and the refusals on the ticket are audited.
    let shown: Value = serde_json::from_str(
        &sandbox.run(&["tickets", "show", &ticket, "--json", "--agent", "alice"]),
    )
    .unwrap();
    checks.check(
        shown["status"] == "submitted" && shown["claimed_by"].is_null(),
        || format!("refused actions changed the ticket: {shown}"),
    );
    let history: Value = serde_json::from_str(
        &sandbox.run(&["tickets", "history", &ticket, "--json", "--agent", "alice"]),
    )
    .unwrap();
    let events = history.as_array().unwrap();
    // Every command naming the ticket: show, loa, history, transcript, export one, note,
    // message, reveal-pin, claim, status, reject, unclaim; without a name only the first five
    // get that far (the parser refuses the others).
    for (who, expected) in [
        ("mallory", 12),
        ("zoe", 12),
        ("yann", 12),
        ("(no agent given)", 5),
    ] {
        let refused: Vec<&Value> = events
            .iter()
            .filter(|e| e["actor"] == who && e["action"] == "refused")
            .collect();
        checks.check(refused.len() == expected, || {
            format!("{who}: {} refusals audited: {history}", refused.len())
        });
        let reveal = refused.iter().any(|e| {
            e["note"]
                .as_str()
                .is_some_and(|n| n.starts_with("reveal_pin"))
        });
        checks.check(reveal == (expected == 12), || {
            format!("{who}: the refused PIN reveal audit: {reveal}")
        });
    }
    checks.check(
        !events.iter().any(|e| {
            matches!(
                e["action"].as_str(),
                Some("note" | "message" | "pin_revealed")
            )
        }),
        || format!("a refused action was recorded as done: {history}"),
    );
    let waiting = sandbox.run(&["conversations", "waiting", "--agent", "bob"]);
    checks.check(waiting.contains("console:yann"), || waiting.clone());
    checks.check(!waiting.contains("xavier"), || waiting.clone());

    // The agent may do every one of them.
    for (name, args) in &commands {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--agent", "alice"]);
        let output = sandbox.command(&args).output().unwrap();
        checks.check(output.status.success(), || {
            format!(
                "alice {name} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let stdout = String::from_utf8_lossy(&output.stdout);
        if *name == "reveal-pin" {
            checks.check(stdout.trim() == "4821", || stdout.to_string());
        }
    }
    checks.check(std::path::Path::new(&out).exists(), || {
        "the agent's loa wrote nothing".into()
    });
    let history = sandbox.run(&["tickets", "history", &ticket, "--agent", "bob"]);
    for action in ["note", "message", "pin_revealed", "claimed", "rejected"] {
        checks.check(history.contains(action), || {
            format!("{action} missing from {history}")
        });
    }

    // The customer sees the agent's work on their own ticket, the other customer does not.
    let (_, said) = chat_text(&sandbox, "zoe", &["status"]);
    checks.check(
        said.contains(&ticket) && said.contains("needs info"),
        || said.clone(),
    );
    let (opening, said) = chat_text(&sandbox, "mallory", &["status"]);
    checks.check(
        !said.contains(&ticket) && !opening.contains("We are on it"),
        || said.clone(),
    );

    println!("access checks: {}", checks.0);
}

#[test]
fn without_an_agent_list_any_name_is_accepted_as_before() {
    let sandbox = Sandbox::new();
    let said = sandbox.run(&["tickets", "list"]);
    assert!(said.contains("No tickets"), "{said}");
    let output = sandbox
        .command(&["tickets", "claim", "PB-99999", "--agent", "anyone"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no ticket PB-99999"), "{stderr}");
}

#[test]
fn a_malformed_agent_list_stops_start_up_naming_it() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_AGENTS", "alice;bob");
    let output = sandbox.command(&["tickets", "list"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PORTBOT_AGENTS") && stderr.contains("alice,bob"),
        "{stderr}"
    );
}
