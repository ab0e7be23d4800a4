//! The Discord adapter end to end: the real serenity client (through poise) connected to a
//! local fake Discord, on a fresh data folder.

#[path = "discord/fake.rs"]
mod fake;
#[path = "discord/harness.rs"]
mod harness;

use std::time::Duration;

use fake::{AGENT_CHANNEL, AGENT_ROLE, FakeDiscord, INTAKE, User};
use harness::*;
use portbot::service::{AgentAction, Customer};
use portbot::store::Speaker;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_port_in_ends_with_the_loa_attached_in_the_private_thread() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let number = port_in(&mut h, &zoe).await;

    // The thread is private, not invitable, under the intake channel, with the customer in it.
    let calls = h.fake.calls();
    let thread = calls.iter().find(|c| c.path.ends_with("/threads")).unwrap();
    assert_eq!(thread.path, format!("/api/v10/channels/{INTAKE}/threads"));
    assert_eq!(thread.json["type"], 12);
    assert_eq!(thread.json["invitable"], false);
    assert!(calls.iter().any(|c| c.method == "PUT"
        && c.path == format!("/api/v10/channels/{}/thread-members/{}", h.thread, zoe.id)));

    let agents = format!("/api/v10/channels/{AGENT_CHANNEL}/messages");
    let notice = h
        .fake
        .wait_for("the agent channel message", |calls| {
            calls.iter().find(|c| c.path == agents).cloned()
        })
        .await;
    assert!(notice.json["content"].as_str().unwrap().contains(&number));

    // The LOA went from the database to Discord: no copy of it is left on the disk.
    assert!(
        !h.dir.path().join("loa").exists(),
        "an LOA file was written"
    );

    // Neither secret ever reached Discord. (A message's nonce is a random number, which may
    // hold the digits by chance: it is left out.)
    for call in h.fake.calls() {
        let mut json = call.json.clone();
        if let Some(fields) = json.as_object_mut() {
            fields.remove("nonce");
        }
        let body = json.to_string();
        assert!(
            !body.contains("4821") && !body.contains("8472 1193"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_pin_is_stored_and_its_message_deleted() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    up_to_the_pin(&mut h, &zoe).await;
    let message = h.fake.message(&zoe, h.thread, "4821", Vec::new());
    let next = h.next_question().await;
    assert_ne!(step(&next), "pin");
    let deleted = format!("/api/v10/channels/{}/messages/{message}", h.thread);
    assert!(
        h.fake
            .calls()
            .iter()
            .any(|c| c.method == "DELETE" && c.path == deleted),
        "the message with the PIN is deleted"
    );
    let service = h.service().await;
    let customer = Customer {
        platform: "discord".into(),
        id: zoe.id.to_string(),
        channel_id: None,
    };
    let conversation = service.conversation_of(&customer).await.unwrap().unwrap();
    let transcript = h.store().await.transcript(conversation.id).await.unwrap();
    assert!(transcript.iter().all(|line| !line.text.contains("4821")));
    assert!(
        h.fake.calls().iter().any(|c| c.json["content"]
            .as_str()
            .is_some_and(|t| t.contains("deleted your message"))),
        "the customer is told why"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_writing_in_the_thread_is_recorded_not_taken_as_an_answer() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let menu = h.open(&zoe).await;
    h.fake.press(&zoe, &menu, &button(&menu, "Port numbers in"));
    let keep = h.next_question().await;
    let agent = User::agent(700_000_000_000_000_009, "sam");
    h.fake.message(&agent, h.thread, "yes", Vec::new());
    // The customer's own answer is what moves the conversation on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let next = h.say(&zoe, "yes").await;
    assert_eq!(step(&keep), "checklist");
    assert_eq!(step(&next), "bill_copy");
    let service = h.service().await;
    let customer = Customer {
        platform: "discord".into(),
        id: zoe.id.to_string(),
        channel_id: None,
    };
    let conversation = service.conversation_of(&customer).await.unwrap().unwrap();
    let transcript = h.store().await.transcript(conversation.id).await.unwrap();
    let agent_lines: Vec<_> = transcript
        .iter()
        .filter(|l| l.who == Speaker::Agent)
        .collect();
    assert_eq!(agent_lines.len(), 1, "{transcript:?}");
    assert!(agent_lines[0].text.ends_with(": yes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_posted_before_a_restart_still_works_after_it() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let menu = h.open(&zoe).await;
    h.fake.press(&zoe, &menu, &button(&menu, "Port numbers in"));
    let keep = h.next_question().await;
    h.restart().await;
    h.fake.press(&zoe, &keep, &button(&keep, "Yes, both"));
    assert_eq!(step(&h.next_question().await), "bill_copy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_without_the_agent_role_is_refused_politely_on_ticket_commands() {
    let h = Harness::start().await;
    let zoe = zoe();
    let token = h.fake.slash(&zoe, INTAKE, "ticket", "list", json!([]));
    let reply = answer_to(&h, &token).await;
    assert!(ephemeral(&reply), "{reply}");
    assert!(
        reply["content"]
            .as_str()
            .unwrap()
            .contains("for our porting agents"),
        "{reply}"
    );
}

/// The Discord rows of the access matrix (`tests/access.rs` has the command line): the customer
/// who owns the ticket and another member are refused every agent command, ephemerally, and
/// nothing changes; `/port status` shows each only their own tickets. (`/port pause` is not
/// registered with Discord, so it has no row.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_refused_every_agent_command_and_see_only_their_own_tickets() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let number = port_in(&mut h, &zoe).await;
    let yann = User::customer(700_000_000_000_000_003, "yann");
    let n = || number_option(&number);
    let text = |name: &str, value: &str| json!({ "name": name, "type": 3, "value": value });
    let commands = [
        ("ticket", "list", INTAKE, json!([])),
        ("ticket", "show", INTAKE, json!([n()])),
        ("ticket", "claim", INTAKE, json!([n()])),
        (
            "ticket",
            "status",
            INTAKE,
            json!([n(), { "name": "status", "type": 4, "value": 0 }]),
        ),
        (
            "ticket",
            "reject",
            INTAKE,
            json!([n(), text("codes", "ADDRESS_MISMATCH")]),
        ),
        (
            "ticket",
            "note",
            INTAKE,
            json!([n(), text("text", "a note")]),
        ),
        (
            "ticket",
            "message",
            INTAKE,
            json!([n(), text("text", "hi")]),
        ),
        ("ticket", "reveal-pin", INTAKE, json!([n()])),
        ("ticket", "history", INTAKE, json!([n()])),
        ("ticket", "transcript", INTAKE, json!([n()])),
        ("port", "resume", h.thread, json!([])),
        ("port", "ticket", h.thread, json!([])),
    ];
    let mut checks = 0;
    for user in [&zoe, &yann] {
        for (command, sub, channel, options) in &commands {
            let token = h.fake.slash(user, *channel, command, sub, options.clone());
            let reply = answer_to(&h, &token).await;
            let said = reply["content"].as_str().unwrap_or_default();
            assert!(
                ephemeral(&reply) && said.contains("for our porting agents"),
                "{} /{command} {sub}: {reply}",
                user.name
            );
            assert!(!said.contains("4821"));
            checks += 1;
        }
        let token = h.fake.start_for(user, &yann);
        let reply = answer_to(&h, &token).await;
        assert!(
            reply["content"]
                .as_str()
                .is_some_and(|t| t.contains("for our porting agents")),
            "{} /port start: {reply}",
            user.name
        );
        checks += 1;
    }
    let ticket = h.store().await.ticket(&number).await.unwrap().unwrap();
    assert_eq!(ticket.status.as_str(), "submitted");
    assert!(ticket.claimed_by.is_none());
    let events = h.store().await.ticket_events(&number).await.unwrap();
    assert!(
        events.iter().all(|e| e.actor.contains(&zoe.id.to_string())),
        "only the customer's own submission is on record: {events:?}"
    );
    for (user, own) in [(&zoe, true), (&yann, false)] {
        let token = h.fake.slash(user, INTAKE, "port", "status", json!([]));
        let reply = answer_to(&h, &token).await;
        let said = reply["content"].as_str().unwrap_or_default();
        assert_eq!(said.contains(&number), own, "{}: {said}", user.name);
        checks += 1;
    }
    eprintln!("discord access checks: {checks}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_is_fixed_in_the_thread_and_the_pin_reveal_is_for_the_agent_alone() {
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
    assert!(ephemeral(&reply), "{reply}");
    assert!(reply["content"].as_str().unwrap().contains("4821"));

    let token = h.fake.slash(
        &ana,
        AGENT_CHANNEL,
        "ticket",
        "claim",
        json!([number_option(&number)]),
    );
    assert!(
        answer_to(&h, &token).await["content"]
            .as_str()
            .unwrap()
            .contains("in review")
    );
    h.seen = h.fake.calls().len();
    let token = h.fake.slash(
        &ana,
        AGENT_CHANNEL,
        "ticket",
        "reject",
        json!([
            number_option(&number),
            { "name": "codes", "type": 3, "value": "ADDRESS_MISMATCH" },
            { "name": "note", "type": 3, "value": "The carrier has Suite 1200" },
        ]),
    );
    assert!(
        answer_to(&h, &token).await["content"]
            .as_str()
            .unwrap()
            .contains("needs info")
    );

    // The thread is told at once and asks exactly the address; the customer signs again.
    let question = h.next_question().await;
    assert_eq!(step(&question), "service_address");
    let told = h.fake.calls().iter().any(|c| {
        c.path == format!("/api/v10/channels/{}/messages", h.thread)
            && c.json["content"]
                .as_str()
                .is_some_and(|t| t.contains(&number) && t.contains("needs a fix"))
    });
    assert!(told, "the rejection is posted in the thread");
    let summary = h
        .say(&zoe, "500 W Madison St, Suite 1200, Chicago, IL 60661")
        .await;
    assert_eq!(step(&summary), "summary");
    assert_eq!(sign(&mut h, &zoe, &summary).await, number);

    let ticket = h.store().await.ticket(&number).await.unwrap().unwrap();
    assert_eq!(ticket.status.as_str(), "submitted");
    assert_eq!(ticket.loa_version, 2);
    let events = h.store().await.ticket_events(&number).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "pin_revealed" && e.actor.ends_with(&ana.id.to_string())),
        "the reveal is audited: {events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_the_guild_does_not_have_stops_start_up_naming_the_setting() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (service, words) = start(config(dir.path())).await.unwrap();
    let discord = discord_config(&fake, 123_456_789);
    let error = portbot::discord::run(service, words, discord, std::future::pending())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("PORTBOT_DISCORD_AGENT_ROLE_ID:"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dm_runs_the_conversation_right_there_with_typed_answers() {
    let mut h = Harness::start().await;
    let dm = 800_000_000_000_000_001;
    let customer = zoe_in_a_dm();
    h.thread = dm;
    let menu = h.say(&customer, "hello").await;
    assert_eq!(
        button(&menu, "Port numbers in").split(':').nth(2),
        Some("-")
    );
    let keep = h.say(&customer, "port numbers in").await;
    assert_eq!(step(&keep), "checklist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_starts_the_flow_for_a_member_in_a_new_private_thread() {
    let mut h = Harness::start().await;
    let ana = User::agent(700_000_000_000_000_002, "ana");
    let zoe = zoe();
    let token = h.fake.start_for(&ana, &zoe);
    let reply = answer_to(&h, &token).await;
    assert!(ephemeral(&reply), "{reply}");
    let calls = h.fake.calls();
    let thread = calls
        .iter()
        .find(|c| c.path.ends_with("/threads"))
        .expect("a private thread");
    h.thread = thread.response["id"].as_str().unwrap().parse().unwrap();
    assert!(calls.iter().any(|c| c.method == "PUT"
        && c.path == format!("/api/v10/channels/{}/thread-members/{}", h.thread, zoe.id)));
    let question = h.next_question().await;
    assert_eq!(step(&question), "checklist");
    // It is the customer's conversation: their press moves it on.
    h.fake
        .press(&zoe, &question, &button(&question, "Yes, both"));
    assert_eq!(step(&h.next_question().await), "bill_copy");
}

/// The messages the bot posted in `channel` after call `since`, as text (content or embed).
fn posted_in(h: &Harness, channel: u64, since: usize) -> Vec<String> {
    let path = format!("/api/v10/channels/{channel}/messages");
    h.fake.calls()[since..]
        .iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .map(|c| {
            let content = c.json["content"].as_str().unwrap_or_default();
            let embed = c.json["embeds"][0]["description"]
                .as_str()
                .unwrap_or_default();
            format!("{content}{embed}")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_made_outside_discord_is_posted_in_the_thread_without_the_customer_writing()
{
    let mut h = Harness::start().await;
    let zoe = zoe();
    let number = port_in(&mut h, &zoe).await;
    let since = h.fake.calls().len();

    // An agent works the ticket from the terminal: another process on the same database.
    let service = h.service().await;
    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    for action in [
        AgentAction::Claim,
        AgentAction::SendToCarrier {
            carrier_status: None,
        },
        AgentAction::ConfirmFoc {
            date,
            carrier_status: None,
        },
    ] {
        service.act(&number, "cli:ana", action).await.unwrap();
    }
    let thread = format!("/api/v10/channels/{}/messages", h.thread);
    h.fake
        .wait_for("the FOC notice in the thread", |calls| {
            calls[since..].iter().find(|c| {
                c.path == thread
                    && c.json["content"]
                        .as_str()
                        .is_some_and(|t| t.contains("confirmed for") && t.contains(&number))
            })?;
            Some(())
        })
        .await;
    // Give a second bot pass the chance to post it again; it must not.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let posted = posted_in(&h, h.thread, since);
    let foc: Vec<_> = posted
        .iter()
        .filter(|t| t.contains("confirmed for"))
        .collect();
    assert_eq!(foc.len(), 1, "posted once: {posted:?}");
    assert!(
        foc[0].contains("December 1") || foc[0].contains("2026-12-01"),
        "{}",
        foc[0]
    );
    let undelivered = h.store().await.undelivered_outbox().await.unwrap();
    assert!(
        undelivered
            .iter()
            .all(|e| e.item.channel != portbot::store::OutboxChannel::Chat),
        "every chat notice is marked delivered: {undelivered:?}"
    );

    // The customer writing afterwards is not shown the notices a second time.
    let since = h.fake.calls().len();
    h.fake.message(&zoe, h.thread, "status", Vec::new());
    h.fake
        .wait_for("the answer to status", |calls| {
            calls[since..].iter().find(|c| c.path == thread).map(|_| ())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = posted_in(&h, h.thread, since);
    assert!(
        again
            .iter()
            .all(|t| !t.contains("confirmed for 2026") && !t.starts_with("Good news")),
        "{again:?}"
    );
}

/// The select menu on a message: its custom_id and its options as (label, value).
fn select_menu(message: &Value) -> (String, Vec<(String, String)>) {
    let menu = message["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["components"].as_array().unwrap())
        .find(|c| c["type"] == 3)
        .unwrap_or_else(|| panic!("no select menu on {message}"));
    let options = menu["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["label"].as_str().unwrap().to_string(),
                o["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (menu["custom_id"].as_str().unwrap().to_string(), options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summarys_change_menu_asks_that_answer_again_and_comes_back_to_the_summary() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let summary = up_to_the_summary(&mut h, &zoe).await;
    let (menu, options) = select_menu(&summary);
    assert!(menu.ends_with(":summary:edit"), "{menu}");
    assert!(options.len() <= 25, "{options:?}");
    // Labels come from the prompts; the final steps are not offered.
    for expected in [
        ("Current carrier", "carrier"),
        ("Service address", "service_address"),
        ("Phone numbers", "numbers"),
    ] {
        assert!(
            options
                .iter()
                .any(|(l, v)| l == expected.0 && v == expected.1),
            "{expected:?} not in {options:?}"
        );
    }
    assert!(
        options
            .iter()
            .all(|(_, v)| v != "summary" && v != "signature")
    );
    // The Confirm button stays beside the menu.
    button(&summary, "Confirm");

    h.fake.select(&zoe, &summary, &menu, "carrier");
    let carrier = h.next_question().await;
    assert_eq!(step(&carrier), "carrier");
    assert!(
        carrier["content"].as_str().unwrap().contains("AT&T"),
        "the current answer is shown: {carrier}"
    );
    let again = h.say(&zoe, "Verizon").await;
    assert_eq!(step(&again), "summary");
    let description = again["embeds"][0]["description"].as_str().unwrap();
    assert!(description.contains("Verizon"), "{description}");
    assert!(!description.contains("AT&T"), "{description}");

    // A value the menu never offered (a forged interaction) gets the engine's plain answer.
    let (menu, _) = select_menu(&again);
    let since = h.fake.calls().len();
    h.fake.select(&zoe, &again, &menu, "no_such_field");
    let summary = h.next_question().await;
    assert_eq!(step(&summary), "summary");
    let said = posted_in(&h, h.thread, since);
    assert!(
        said.iter()
            .any(|t| t.contains("I don't know a field called")),
        "{said:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_port_request_menu_on_a_members_message_prefills_the_numbers_it_names() {
    let mut h = Harness::start().await;
    let ana = User::agent(700_000_000_000_000_002, "ana");
    let zoe = zoe();
    let message = h.fake.message_json(
        &zoe,
        INTAKE,
        "Hi! Can you move (312) 448-2915 and 312.448.2916 over to you?",
        Vec::new(),
    );
    let token = h.fake.context_menu(&ana, "Start port request", &message);
    let reply = answer_to(&h, &token).await;
    assert!(ephemeral(&reply), "{reply}");
    assert!(
        reply["content"]
            .as_str()
            .unwrap()
            .contains(&format!("Started a port request for <@{}>", zoe.id)),
        "{reply}"
    );
    let calls = h.fake.calls();
    let thread = calls
        .iter()
        .find(|c| c.path.ends_with("/threads"))
        .expect("a private thread");
    assert_eq!(thread.path, format!("/api/v10/channels/{INTAKE}/threads"));
    assert_eq!(thread.json["type"], 12);
    h.thread = thread.response["id"].as_str().unwrap().parse().unwrap();
    // The thread is the message author's, not the agent's.
    assert!(calls.iter().any(|c| c.method == "PUT"
        && c.path == format!("/api/v10/channels/{}/thread-members/{}", h.thread, zoe.id)));
    let question = h.next_question().await;
    assert_eq!(step(&question), "checklist");
    let greeting = posted_in(&h, h.thread, 0);
    assert!(
        greeting.iter().any(|t| t.contains("asked me to help you")),
        "{greeting:?}"
    );

    // Both numbers are already answered: the flow never asks for them.
    let service = h.service().await;
    let customer = Customer {
        platform: "discord".into(),
        id: zoe.id.to_string(),
        channel_id: None,
    };
    let conversation = service.conversation_of(&customer).await.unwrap().unwrap();
    assert_eq!(conversation.channel_id, Some(h.thread.to_string()));
    assert!(
        conversation.state.contains("+13124482915") && conversation.state.contains("+13124482916"),
        "{}",
        conversation.state
    );
    h.fake
        .press(&zoe, &question, &button(&question, "Yes, both"));
    assert_eq!(step(&h.next_question().await), "bill_copy");
}

/// The ephemeral answer to `/port <sub>` used by `user` in `channel`.
async fn port_command(h: &Harness, user: &User, channel: u64, sub: &str) -> String {
    let token = h.fake.slash(user, channel, "port", sub, json!([]));
    let reply = answer_to(h, &token).await;
    assert!(ephemeral(&reply), "{reply}");
    reply["content"].as_str().unwrap().to_string()
}

/// Waits for a message in the thread (after call `since`) whose text contains `text`.
async fn wait_posted(h: &Harness, since: usize, text: &str) -> String {
    let path = format!("/api/v10/channels/{}/messages", h.thread);
    h.fake
        .wait_for(text, |calls| {
            calls[since..].iter().find_map(|c| {
                let content = c.json["content"].as_str()?;
                (c.path == path && content.contains(text)).then(|| content.to_string())
            })
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_pauses_saves_a_draft_and_resumes_the_conversation_in_its_thread() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let ana = User::agent(700_000_000_000_000_002, "ana");
    let menu = h.open(&zoe).await;
    h.fake.press(&zoe, &menu, &button(&menu, "Port numbers in"));
    let keep = h.next_question().await;
    assert_eq!(step(&keep), "checklist");

    // Only agents, and only where a customer's conversation runs.
    let refused = port_command(&h, &zoe, h.thread, "pause").await;
    assert!(refused.contains("for our porting agents"), "{refused}");
    let nobody = port_command(&h, &ana, INTAKE, "pause").await;
    assert!(
        nobody.contains("can't find a port conversation"),
        "{nobody}"
    );

    let since = h.fake.calls().len();
    assert_eq!(port_command(&h, &ana, h.thread, "pause").await, "Done.");
    let taken = wait_posted(&h, since, "is taking over here").await;
    assert!(taken.contains(&format!("<@{}>", ana.id)), "{taken}");

    // While paused, the customer's answer is not taken.
    let since = h.fake.calls().len();
    h.fake.message(&zoe, h.thread, "yes", Vec::new());
    wait_posted(&h, since, "An agent is handling this conversation").await;
    let service = h.service().await;
    let customer = Customer {
        platform: "discord".into(),
        id: zoe.id.to_string(),
        channel_id: None,
    };
    let paused = service.conversation_of(&customer).await.unwrap().unwrap();
    assert_eq!(paused.status.as_str(), "paused_for_agent");
    assert_eq!(paused.step.as_deref(), Some("checklist"));

    // Handed back: told so, and asked the same question again, with its buttons.
    h.seen = h.fake.calls().len();
    assert_eq!(port_command(&h, &ana, h.thread, "resume").await, "Done.");
    let since = h.seen;
    let again = h.next_question().await;
    assert_eq!(step(&again), "checklist");
    let said = posted_in(&h, h.thread, since);
    assert!(
        said.iter().any(|t| t.contains("has handed you back to me")),
        "{said:?}"
    );
    let bill = h.say(&zoe, "yes").await;
    assert_eq!(step(&bill), "bill_copy");

    // `/port ticket` saves what there is as a draft; the customer carries on from there.
    let since = h.fake.calls().len();
    assert_eq!(port_command(&h, &ana, h.thread, "ticket").await, "Done.");
    let saved = wait_posted(&h, since, "saved your request as draft").await;
    let drafts = h.store().await.open_drafts().await.unwrap();
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    assert_eq!(drafts[0].customer_id, zoe.id.to_string());
    assert_eq!(drafts[0].created_by, format!("discord:{}", ana.id));
    assert!(drafts[0].missing.contains(&"numbers".to_string()));
    assert!(saved.contains(&drafts[0].number), "{saved}");
    assert_eq!(step(&h.next_question().await), "bill_copy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_status_lists_only_the_callers_own_tickets() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let max = User::customer(700_000_000_000_000_003, "max");
    let zoes = port_in(&mut h, &zoe).await;
    let maxs = port_in(&mut h, &max).await;
    assert_ne!(zoes, maxs);

    let told = port_command(&h, &zoe, INTAKE, "status").await;
    assert!(told.contains(&zoes) && !told.contains(&maxs), "{told}");
    assert!(told.contains("submitted"), "{told}");
    let told = port_command(&h, &max, INTAKE, "status").await;
    assert!(told.contains(&maxs) && !told.contains(&zoes), "{told}");
    let nobody = User::customer(700_000_000_000_000_004, "kim");
    let told = port_command(&h, &nobody, INTAKE, "status").await;
    assert!(
        told.contains("don't have any port requests") && !told.contains(&zoes),
        "{told}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_typed_in_a_dm_is_stored_and_the_customer_is_asked_to_delete_it() {
    let mut h = Harness::start().await;
    let customer = zoe_in_a_dm();
    h.thread = 800_000_000_000_000_002;
    let mut question = h.say(&customer, "hello").await;
    for answer in ["port numbers in", "yes", "skip", "yes"] {
        question = h.say(&customer, answer).await;
    }
    assert_eq!(step(&question), "pin");
    let since = h.fake.calls().len();
    h.fake.message(&customer, h.thread, "4821", Vec::new());
    let next = h.next_question().await;
    assert_ne!(step(&next), "pin", "the PIN was taken");
    let note = posted_in(&h, h.thread, since);
    assert!(
        note.iter().any(|t| t.contains("Please delete your message")
            && t.contains("direct message")
            && t.contains("Enter privately")),
        "{note:?}"
    );
    // A bot cannot delete it, so it does not try.
    assert!(
        !h.fake.calls().iter().any(|c| c.method == "DELETE"),
        "no delete in a DM"
    );

    let service = h.service().await;
    let me = Customer {
        platform: "discord".into(),
        id: customer.id.to_string(),
        channel_id: None,
    };
    let conversation = service.conversation_of(&me).await.unwrap().unwrap();
    let pin = h
        .store()
        .await
        .conversation_secret(conversation.id, portbot::store::SecretKind::Pin)
        .await
        .unwrap()
        .expect("the PIN is stored");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&pin), "4821");
    let transcript = h.store().await.transcript(conversation.id).await.unwrap();
    assert!(transcript.iter().all(|line| !line.text.contains("4821")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_with_more_choices_than_buttons_gets_a_select_menu_that_answers_it() {
    // A provider lists its customers' usual carriers as shortcuts: more than buttons can hold.
    let carriers: Vec<String> = (1..=22).map(|n| format!("Carrier {n:02}")).collect();
    let choices: Vec<String> = carriers
        .iter()
        .map(|c| format!("{{ label = \"{c}\", value = \"{c}\" }}"))
        .collect();
    let choices = format!("choices = [{}]", choices.join(", "));
    let mut h = Harness::start_with(|dir| {
        let prompts = dir.join("prompts");
        std::fs::create_dir(&prompts).unwrap();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        for file in std::fs::read_dir(source).unwrap() {
            let file = file.unwrap().path();
            let mut text = std::fs::read_to_string(&file).unwrap();
            if file.ends_with("port_in.toml") {
                let carrier = "aliases = [\"carrier\", \"provider\", \"current carrier\", \"phone company\", \"losing carrier\", \"current provider\", \"telephone company\"]";
                assert!(text.contains(carrier));
                text = text.replace(carrier, &format!("{carrier}\n{choices}"));
            }
            std::fs::write(prompts.join(file.file_name().unwrap()), text).unwrap();
        }
    })
    .await;
    let zoe = zoe();
    let pin = up_to_the_pin(&mut h, &zoe).await;
    h.fake
        .submit_modal(&zoe, h.thread, &button(&pin, "Enter privately"), "4821");
    h.next_question().await;
    let mut question = Value::Null;
    for answer in ["(312) 448-2915, (312) 448-2916", "yes"] {
        question = h.say(&zoe, answer).await;
    }
    let (menu, options) = select_menu(&question);
    assert!(menu.ends_with(":carrier:pick"), "{menu}");
    let labels: Vec<&str> = options.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, carriers, "every choice, in order");
    // No choice buttons beside it; Back, Help and the agent stay.
    button(&question, "Back");
    assert!(
        question["components"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row["components"].as_array().unwrap())
            .all(|c| c["label"] != "Carrier 01"),
        "{question}"
    );

    h.fake.select(&zoe, &question, &menu, "Carrier 17");
    assert_eq!(step(&h.next_question().await), "line_and_account");
    let service = h.service().await;
    let customer = Customer {
        platform: "discord".into(),
        id: zoe.id.to_string(),
        channel_id: None,
    };
    let conversation = service.conversation_of(&customer).await.unwrap().unwrap();
    assert!(
        conversation.state.contains("Carrier 17"),
        "{}",
        conversation.state
    );
}

/// Everything the bot posts pings nobody but whom it means to (the customer in their thread, the
/// agent role in the agent channel), and customer text posted back is inert: a business name
/// in the hand-off summary, a refused answer echoed in the thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_text_pings_nobody_and_every_post_allows_only_the_meant_pings() {
    let mut h = Harness::start().await;
    // A refused answer is echoed: "I need a yes or a no here (you wrote ...)".
    let max = User::customer(700_000_000_000_000_003, "max");
    let menu = h.open(&max).await;
    h.fake.press(&max, &menu, &button(&menu, "Port numbers in"));
    assert_eq!(step(&h.next_question().await), "checklist");
    let hostile = format!("[x](https://evil.example) @everyone <@&{AGENT_ROLE}> <@1>");
    assert_eq!(step(&h.say(&max, &hostile).await), "checklist");
    let said = posted_in(&h, h.thread, 0);
    assert!(
        said.iter()
            .any(|t| t.contains("isn't one of the options") && t.contains("everyone")),
        "the refused answer is echoed: {said:?}"
    );

    // The business name goes to the agent channel in the hand-off summary.
    let zoe = zoe();
    let summary = up_to_the_summary(&mut h, &zoe).await;
    let (menu, _) = select_menu(&summary);
    h.fake.select(&zoe, &summary, &menu, "business_name");
    assert_eq!(step(&h.next_question().await), "business_name");
    let summary = h.say(&zoe, "@everyone @here Acme").await;
    assert_eq!(step(&summary), "summary");
    let since = h.fake.calls().len();
    h.fake
        .press(&zoe, &summary, &button(&summary, "Talk to an agent"));
    let agents = format!("/api/v10/channels/{AGENT_CHANNEL}/messages");
    let handoff = h
        .fake
        .wait_for("the hand-off in the agent channel", |calls| {
            calls[since..]
                .iter()
                .find(|c| c.path == agents)
                .map(|c| c.json["content"].as_str().unwrap_or_default().to_string())
        })
        .await;
    assert!(handoff.contains("Acme"), "{handoff}");
    assert!(!handoff.contains("{conversation}"), "{handoff}");

    let mut checked = 0;
    for call in h.fake.calls() {
        let Some(message) = call.message() else {
            continue;
        };
        let mentions = &message["allowed_mentions"];
        assert_eq!(
            mentions["parse"],
            json!([]),
            "{} {}: {message}",
            call.method,
            call.path
        );
        // In a customer's thread, only that customer; each thread here is zoe's or max's.
        let in_a_thread = call.path.starts_with("/api/v10/channels/")
            && ![INTAKE, AGENT_CHANNEL]
                .iter()
                .any(|c| call.path.contains(&c.to_string()));
        let users = if in_a_thread {
            let given = mentions["users"].as_array().cloned().unwrap_or_default();
            assert!(given.len() <= 1, "{given:?}");
            json!([zoe.id.to_string(), max.id.to_string()])
        } else {
            json!([])
        };
        let roles = if call.path == agents {
            json!([AGENT_ROLE.to_string()])
        } else {
            json!([])
        };
        for (field, allowed) in [("users", users), ("roles", roles)] {
            let given = mentions[field].as_array().cloned().unwrap_or_default();
            assert!(
                given
                    .iter()
                    .all(|id| allowed.as_array().unwrap().contains(id)),
                "{field} {given:?} on {} {}",
                call.method,
                call.path
            );
        }
        let text = format!(
            "{}{}",
            message["content"].as_str().unwrap_or_default(),
            message["embeds"][0]["description"]
                .as_str()
                .unwrap_or_default()
        );
        for live in ["@everyone", "@here", "<@&", "<@1>", "](https"] {
            assert!(!text.contains(live), "{live} posted live in {text}");
        }
        checked += 1;
    }
    assert!(checked > 20, "{checked} messages");
}

/// The PUTs of the slash commands that Discord took.
fn registrations(calls: &[fake::Call]) -> usize {
    calls
        .iter()
        .filter(|c| c.method == "PUT" && c.path.ends_with("/commands") && !c.response.is_null())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_registration_refused_once_is_retried_and_the_bot_answers_meanwhile() {
    let fake = FakeDiscord::start().await;
    fake.refuse("PUT", "/commands", "500 Internal Server Error", 1);
    let mut h = Harness::start_on(fake, &[], |_| {}).await;
    let customer = zoe_in_a_dm();
    h.thread = 800_000_000_000_000_003;
    let menu = h.say(&customer, "hello").await;
    button(&menu, "Port numbers in");
    h.fake
        .wait_for("the commands registered on a second try", |calls| {
            (registrations(calls) == 1).then_some(())
        })
        .await;
    let max = User::customer(700_000_000_000_000_003, "max");
    assert_eq!(step(&h.open(&max).await), "-");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_registration_refused_for_good_leaves_the_bot_serving_typed_messages() {
    let fake = FakeDiscord::start().await;
    fake.refuse("PUT", "/commands", "403 Forbidden", usize::MAX);
    let mut h = Harness::start_on(fake, &[], |_| {}).await;
    let customer = zoe_in_a_dm();
    h.thread = 800_000_000_000_000_004;
    let menu = h.say(&customer, "hello").await;
    button(&menu, "Port numbers in");
    // Trying again cannot fix a refusal: one try, then the bot carries on without commands.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let calls = h.fake.calls();
    let tries = calls
        .iter()
        .filter(|c| c.method == "PUT" && c.path.ends_with("/commands"))
        .count();
    assert_eq!((tries, registrations(&calls)), (1, 0));
}

/// The POSTs that created a thread.
fn threads_created(h: &Harness) -> Vec<u64> {
    h.fake
        .calls()
        .iter()
        .filter(|c| c.method == "POST" && c.path.ends_with("/threads"))
        .map(|c| c.response["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_open_makes_no_thread_past_the_conversation_limit_and_reuses_the_open_one() {
    let fake = FakeDiscord::start().await;
    let limit = [("PORTBOT_MAX_CONVERSATIONS_PER_DAY", "1")];
    let mut h = Harness::start_on(fake, &limit, |_| {}).await;
    let zoe = zoe();
    h.open(&zoe).await;
    let first = h.thread;

    // Again while it is open: the same thread, and she is added to it again (she may have left).
    let since = h.fake.calls().len();
    let again = port_command(&h, &zoe, INTAKE, "open").await;
    assert!(again.contains(&first.to_string()), "{again}");
    let member = format!("/api/v10/channels/{first}/thread-members/{}", zoe.id);
    assert!(
        h.fake.calls()[since..]
            .iter()
            .any(|c| c.method == "PUT" && c.path == member),
        "re-added to her thread"
    );

    assert_eq!(step(&h.next_question().await), "-", "the menu, asked again");

    // Cancelled, the day's one conversation is used up: no new thread, a clear answer.
    h.say(&zoe, "cancel").await;
    let since = h.fake.calls().len();
    h.fake.message(&zoe, first, "yes", Vec::new());
    wait_posted(&h, since, "cancelled").await;
    let refused = port_command(&h, &zoe, INTAKE, "open").await;
    assert!(refused.contains("conversations"), "{refused}");
    assert_eq!(threads_created(&h), [first]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_the_customer_could_not_be_added_to_is_deleted() {
    let fake = FakeDiscord::start().await;
    fake.refuse(
        "PUT",
        &format!("/thread-members/{}", zoe().id),
        "403 Forbidden",
        1,
    );
    let h = Harness::start_on(fake, &[], |_| {}).await;
    let zoe = zoe();
    let token = h.fake.slash(&zoe, INTAKE, "port", "open", json!([]));
    let reply = answer_to(&h, &token).await;
    assert!(
        reply["content"].as_str().unwrap().contains("went wrong"),
        "{reply}"
    );
    let created = threads_created(&h);
    assert_eq!(created.len(), 1);
    let deleted = format!("/api/v10/channels/{}", created[0]);
    assert!(
        h.fake
            .calls()
            .iter()
            .any(|c| c.method == "DELETE" && c.path == deleted),
        "the orphan thread is deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_and_a_quick_answer_after_it_are_taken_in_the_order_they_were_sent() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let menu = h.open(&zoe).await;
    h.fake.press(&zoe, &menu, &button(&menu, "Port numbers in"));
    let keep = h.next_question().await;
    h.fake.press(&zoe, &keep, &button(&keep, "Yes, both"));
    assert_eq!(step(&h.next_question().await), "bill_copy");
    // The file takes a while to fetch; the answer to the next question is typed meanwhile.
    h.fake.slow_attachments(Duration::from_millis(500));
    let attachment = h.fake.attachment("bill.pdf", BILL.to_vec());
    h.fake.message(&zoe, h.thread, "", vec![attachment]);
    h.fake.message(&zoe, h.thread, "Nov 10", Vec::new());
    assert_eq!(step(&h.next_question().await), "bill_date");
    assert_eq!(step(&h.next_question().await), "pin_required");
}

/// The downloads of attachments the bot made.
fn downloads(h: &Harness) -> usize {
    h.fake
        .calls()
        .iter()
        .filter(|c| c.path.starts_with("/attachments/"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_no_question_asks_for_or_too_large_by_discords_word_is_refused_unread() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let menu = h.open(&zoe).await;
    h.fake.press(&zoe, &menu, &button(&menu, "Port numbers in"));
    let keep = h.next_question().await;
    assert_eq!(step(&keep), "checklist");
    let since = h.fake.calls().len();
    let bill = h.fake.attachment("bill.pdf", BILL.to_vec());
    h.fake.message(&zoe, h.thread, "", vec![bill]);
    assert_eq!(step(&h.next_question().await), "checklist");
    wait_posted(&h, since, "I wasn't expecting a file here").await;

    h.fake.press(&zoe, &keep, &button(&keep, "Yes, both"));
    assert_eq!(step(&h.next_question().await), "bill_copy");
    // Twice the limit, Discord says: refused by that alone.
    let since = h.fake.calls().len();
    let mut big = h.fake.attachment("big.pdf", BILL.to_vec());
    big["size"] = json!(2 * 10_485_760);
    h.fake.message(&zoe, h.thread, "", vec![big]);
    assert_eq!(step(&h.next_question().await), "bill_copy");
    wait_posted(&h, since, "over the 10 MB limit").await;
    assert_eq!(downloads(&h), 0, "nothing was fetched");

    // The file the question asks for is fetched.
    let bill = h.fake.attachment("bill.pdf", BILL.to_vec());
    h.fake.message(&zoe, h.thread, "", vec![bill]);
    assert_eq!(step(&h.next_question().await), "bill_date");
    assert_eq!(downloads(&h), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_discord_refused_is_posted_again_and_a_question_never_posted_is_asked_again() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let menu = h.open(&zoe).await;
    // Refused once: posted on the next try, and the rest of the turn's replies after it.
    h.fake
        .refuse("POST", "/messages", "500 Internal Server Error", 1);
    h.fake.press(&zoe, &menu, &button(&menu, "Port numbers in"));
    let keep = h.next_question().await;
    assert_eq!(step(&keep), "checklist");

    // Refused every time: the customer's next message is not taken as an answer to the
    // question they never saw; it is asked again.
    h.fake
        .refuse("POST", "/messages", "503 Service Unavailable", 3);
    h.fake.press(&zoe, &keep, &button(&keep, "Yes, both"));
    h.fake
        .wait_for("three refused tries", |calls| {
            let refused = calls
                .iter()
                .filter(|c| c.path.ends_with("/messages") && c.response.is_null())
                .count();
            (refused == 4).then_some(())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = h.say(&zoe, "skip").await;
    assert_eq!(step(&again), "bill_copy");
    let service = h.service().await;
    let customer = Customer {
        platform: "discord".into(),
        id: zoe.id.to_string(),
        channel_id: None,
    };
    let conversation = service.conversation_of(&customer).await.unwrap().unwrap();
    assert_eq!(conversation.step.as_deref(), Some("bill_copy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_commands_are_hidden_from_members_and_a_secret_modal_opens_only_for_its_owner() {
    let mut h = Harness::start().await;
    let registered = h
        .fake
        .calls()
        .into_iter()
        .find(|c| c.method == "PUT" && c.path.ends_with("/commands"))
        .unwrap()
        .json;
    let permissions = |name: &str| {
        registered
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {registered}"))["default_member_permissions"]
            .clone()
    };
    // Manage Threads, 1 << 34.
    assert_eq!(permissions("ticket"), json!("17179869184"));
    assert_eq!(permissions("Start port request"), json!("17179869184"));
    assert!(permissions("port").is_null(), "customers use /port open");

    let zoe = zoe();
    let pin = up_to_the_pin(&mut h, &zoe).await;
    let ana = User::agent(700_000_000_000_000_002, "ana");
    let token = h.fake.press(&ana, &pin, &button(&pin, "Enter privately"));
    let reply = answer_to(&h, &token).await;
    assert!(ephemeral(&reply), "{reply}");
    assert!(
        reply["content"]
            .as_str()
            .unwrap()
            .contains("someone else's conversation"),
        "{reply}"
    );
}

/// The first answer the bot gave the interaction with `token`: its callback's type.
async fn first_callback(h: &Harness, token: &str) -> u64 {
    let callback = format!("/{token}/callback");
    h.fake
        .wait_for("the interaction's callback", |calls| {
            calls
                .iter()
                .find(|c| c.path.ends_with(&callback))
                .and_then(|c| c.json["type"].as_u64())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_ups_are_acknowledged_before_the_database_and_the_list_holds_open_tickets_only() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    let ana = User::agent(700_000_000_000_000_002, "ana");
    let number = port_in(&mut h, &zoe).await;
    let lookups = [
        (&ana, "ticket", "list", json!([])),
        (&ana, "ticket", "show", json!([number_option(&number)])),
        (&ana, "ticket", "history", json!([number_option(&number)])),
        (
            &ana,
            "ticket",
            "transcript",
            json!([number_option(&number)]),
        ),
        (&zoe, "port", "status", json!([])),
    ];
    for (user, command, sub, options) in lookups {
        let token = h.fake.slash(user, INTAKE, command, sub, options);
        // 5: "thinking", answered later.
        assert_eq!(first_callback(&h, &token).await, 5, "/{command} {sub}");
        let reply = answer_to(&h, &token).await;
        assert!(ephemeral(&reply), "{reply}");
    }
    let token = h.fake.slash(&ana, INTAKE, "ticket", "list", json!([]));
    assert!(
        answer_to(&h, &token).await["content"]
            .as_str()
            .unwrap()
            .contains(&number)
    );

    let service = h.service().await;
    service
        .act(
            &number,
            "cli:ana",
            AgentAction::Cancel {
                reason: "the customer withdrew".into(),
            },
        )
        .await
        .unwrap();
    let token = h.fake.slash(&ana, INTAKE, "ticket", "list", json!([]));
    let said = answer_to(&h, &token).await["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(said, "No open tickets.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_typed_over_the_message_limit_is_deleted_and_the_customer_told_it_was_not_saved() {
    let fake = FakeDiscord::start().await;
    // Five turns reach the PIN question; the PIN is the sixth message in the minute.
    let limit = [("PORTBOT_MAX_MESSAGES_PER_MINUTE", "5")];
    let mut h = Harness::start_on(fake, &limit, |_| {}).await;
    let zoe = zoe();
    up_to_the_pin(&mut h, &zoe).await;
    let since = h.fake.calls().len();
    let message = h.fake.message(&zoe, h.thread, "4821", Vec::new());
    let note = wait_posted(&h, since, "couldn't save it").await;
    assert!(note.contains("deleted your message"), "{note}");
    let deleted = format!("/api/v10/channels/{}/messages/{message}", h.thread);
    assert!(
        h.fake
            .calls()
            .iter()
            .any(|c| c.method == "DELETE" && c.path == deleted)
    );
    // Told about the limit once, not once per message.
    h.fake.message(&zoe, h.thread, "hello?", Vec::new());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let said = posted_in(&h, h.thread, since);
    assert!(said.iter().all(|t| !t.contains("I saved that")), "{said:?}");
    let told = said.iter().filter(|t| t.contains("faster than")).count();
    assert_eq!(told, 1, "{said:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_the_bot_lacks_in_the_intake_channel_stops_start_up_naming_it() {
    let fake = FakeDiscord::start().await;
    let create_private_threads = 1 << 36;
    fake.bot_permissions(fake::BOT_PERMISSIONS & !create_private_threads);
    let dir = tempfile::tempdir().unwrap();
    let (service, words) = start(config(dir.path())).await.unwrap();
    let discord = discord_config(&fake, fake::AGENT_ROLE);
    // A bot that starts anyway runs until stopped: give it a few seconds.
    let run = portbot::discord::run(service, words, discord, std::future::pending());
    let error = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("start-up stops")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("PORTBOT_DISCORD_INTAKE_CHANNEL_ID:")
            && error.contains("Create Private Threads"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_made_in_a_dm_is_announced_as_in_a_dm_not_with_a_link_agents_cannot_open() {
    let mut h = Harness::start().await;
    let customer = zoe_in_a_dm();
    h.thread = 800_000_000_000_000_005;
    for answer in ["hello", "port numbers in", "yes"] {
        h.say(&customer, answer).await;
    }
    let bill = h.fake.attachment("bill.pdf", BILL.to_vec());
    h.fake.message(&customer, h.thread, "", vec![bill]);
    assert_eq!(step(&h.next_question().await), "bill_date");
    h.say(&customer, "Nov 10").await;
    let pin = h.say(&customer, "yes").await;
    assert_eq!(step(&pin), "pin");
    let summary = from_the_pin_to_the_summary(&mut h, &customer, pin).await;
    let number = sign(&mut h, &customer, &summary).await;
    let agents = format!("/api/v10/channels/{AGENT_CHANNEL}/messages");
    let notice = h
        .fake
        .wait_for("the agent channel message", |calls| {
            calls
                .iter()
                .find(|c| c.path == agents)
                .map(|c| c.json["content"].as_str().unwrap().to_string())
        })
        .await;
    assert!(notice.contains(&number), "{notice}");
    assert!(notice.contains("in a DM with the bot"), "{notice}");
    assert!(!notice.contains("<#"), "{notice}");
}

/// What the customer's open conversation took in from them, in order.
async fn customer_lines(h: &Harness, customer: &User) -> Vec<String> {
    let service = h.service().await;
    let me = Customer {
        platform: "discord".into(),
        id: customer.id.to_string(),
        channel_id: None,
    };
    let conversation = service.conversation_of(&me).await.unwrap().unwrap();
    let transcript = h.store().await.transcript(conversation.id).await.unwrap();
    transcript
        .into_iter()
        .filter(|line| line.who == Speaker::Customer)
        .map(|line| line.text)
        .collect()
}

/// Waits for the questions the catch-up asks after the messages sent from call `since` on,
/// and checks their steps and that the customer's messages were each taken in once, in order.
async fn caught_up(h: &mut Harness, customer: &User, since: usize, steps: &[&str], sent: &[&str]) {
    for _ in 0..steps.len() {
        h.next_question().await;
    }
    assert_eq!(questions_in(h, h.thread, since), steps);
    let lines = customer_lines(h, customer).await;
    assert!(ends_with(&lines, sent), "{lines:?}");
}

/// Whether `lines` ends with `tail`.
fn ends_with(lines: &[String], tail: &[&str]) -> bool {
    lines.len() >= tail.len() && lines[lines.len() - tail.len()..] == *tail
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_sent_while_the_bot_was_down_or_reconnecting_are_taken_in_order_once() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    up_to_the_bill(&mut h, &zoe).await;

    // A deploy: the bot is down while the customer sends the bill and two answers.
    h.stop().await;
    let since = h.fake.calls().len();
    let bill = h.fake.attachment("bill.pdf", BILL.to_vec());
    h.fake.message(&zoe, h.thread, "", vec![bill]);
    h.fake.message(&zoe, h.thread, "Nov 10", vec![]);
    h.fake.message(&zoe, h.thread, "yes", vec![]);
    assert!(
        h.fake.calls()[since..].is_empty(),
        "nobody was there to answer"
    );
    h.start_bot().await;
    let mut asked = Vec::new();
    for _ in 0..3 {
        asked.push(step(&h.next_question().await));
    }
    assert_eq!(asked, ["bill_date", "pin_required", "pin"]);
    // The bill was fetched once, and each message was taken in once.
    let fetched = h.fake.calls()[since..]
        .iter()
        .filter(|c| c.path.starts_with("/attachments/"))
        .count();
    assert_eq!(fetched, 1);
    let lines = customer_lines(&h, &zoe).await;
    assert!(
        ends_with(&lines, &["[attached bill.pdf]", "Nov 10", "yes"]),
        "each message was taken in once, in order: {lines:?}"
    );

    // A network failure: the gateway drops and the session cannot be resumed. A PIN typed
    // meanwhile is still taken out of the chat, and the numbers after it are taken in.
    let sessions = h.fake.sessions();
    h.fake.drop_gateway();
    let since = h.fake.calls().len();
    let sent = [
        h.fake.message(&zoe, h.thread, "4821", vec![]),
        h.fake
            .message(&zoe, h.thread, "(312) 448-2915, 312.448.2916", vec![]),
    ];
    h.fake.wait_sessions(sessions + 1).await;
    h.seen = since;
    h.next_question().await;
    h.next_question().await;
    assert!(
        h.fake.calls().iter().any(|c| c.method == "DELETE"
            && c.path == format!("/api/v10/channels/{}/messages/{}", h.thread, sent[0])),
        "the typed PIN was deleted"
    );
    let lines = customer_lines(&h, &zoe).await;
    assert!(
        ends_with(
            &lines,
            &[
                "yes",
                "[hidden: sensitive answer]",
                "(312) 448-2915, 312.448.2916"
            ]
        ),
        "{lines:?}"
    );

    // Live again: the flow goes on from where the catch-up left it, and no question was ever
    // asked twice.
    let question = h.say(&zoe, "yes").await;
    assert_eq!(step(&question), "carrier");
    let all = questions_in(&h, h.thread, 0);
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(all, unique, "a question was posted twice: {all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_and_answers_sent_while_the_gateway_reconnects_are_taken_in_order_once() {
    let mut h = Harness::start().await;
    let zoe = zoe();
    up_to_the_bill(&mut h, &zoe).await;

    // The connection drops and Discord will not resume the session: nothing written until
    // the new session reaches the bot through the gateway.
    h.fake.drop_gateway();
    let since = h.fake.calls().len();
    let bill = h.fake.attachment("bill.pdf", BILL.to_vec());
    // Said with the file, "here you go" is not taken as an answer: the file is.
    h.fake.message(&zoe, h.thread, "here you go", vec![bill]);
    h.fake.message(&zoe, h.thread, "november 10th", vec![]);
    h.fake.message(&zoe, h.thread, "yep", vec![]);
    h.fake.wait_sessions(2).await;
    let sent = ["here you go", "[attached bill.pdf]", "november 10th", "yep"];
    caught_up(
        &mut h,
        &zoe,
        since,
        &["bill_date", "pin_required", "pin"],
        &sent,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_sent_in_a_dm_while_the_bot_was_down_are_answered_there_when_it_is_back() {
    let mut h = Harness::start().await;
    let customer = zoe_in_a_dm();
    h.thread = 800_000_000_000_000_003;
    h.say(&customer, "hello").await;
    h.stop().await;
    let since = h.fake.calls().len();
    for answer in ["port numbers in", "yes", "skip"] {
        h.fake.message(&customer, h.thread, answer, vec![]);
    }
    h.start_bot().await;
    let steps = ["checklist", "bill_copy", "pin_required"];
    let sent = ["port numbers in", "yes", "skip"];
    caught_up(&mut h, &customer, since, &steps, &sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bot_on_the_same_sqlite_database_says_so_and_stops() {
    let h = Harness::start().await;
    // The command line and the chat keep working beside the bot: the store opens.
    let (service, words) = start(config_with(h.dir.path(), &h.overrides))
        .await
        .unwrap();
    let error = portbot::discord::run(
        service,
        words,
        discord_config(&h.fake, AGENT_ROLE),
        std::future::pending(),
    )
    .await
    .expect_err("a second bot is refused");
    let error = format!("{error:#}");
    assert!(
        error.contains("already running on this SQLite database") && error.contains("PostgreSQL"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_number_no_ticket_has_is_answered_in_plain_words() {
    let h = Harness::start().await;
    let agent = User::agent(700_000_000_000_000_009, "sam");
    let token = h.fake.slash(
        &agent,
        AGENT_CHANNEL,
        "ticket",
        "show",
        json!([number_option("PB-99999")]),
    );
    let reply = answer_to(&h, &token).await;
    let text = reply["content"].as_str().unwrap_or_default();
    assert!(text.starts_with("There is no ticket PB-99999."), "{reply}");
    assert!(ephemeral(&reply));
}
