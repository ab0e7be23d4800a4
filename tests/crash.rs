//! "Nothing lost": scripted conversations through the real `portbot` binary, killed with SIGKILL
//! at random turns, restarted and finished. Every answer the bot acknowledged survives the
//! kill, every conversation ends with exactly one ticket, and an answer in flight at the kill is
//! applied once or not at all. A replayed incoming message (same platform message id, as a
//! platform redelivers after a crash) is never answered twice.
//!
//! `PORTBOT_CRASH_CONVERSATIONS` (default 200) and `PORTBOT_CRASH_SEED` (default: the clock,
//! printed) reproduce a run.

mod binary;

use std::collections::BTreeMap;
use std::time::Duration;

use binary::{BUSINESS, Sandbox};
use serde_json::Value;

/// xorshift64*: enough randomness for kill points, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn waiting_step(turn: &[Value]) -> Option<String> {
    turn.last()?["step"].as_str().map(String::from)
}

/// The step each answer of the script is given at: `steps[i]` waits for `BUSINESS[i]`.
fn reference_steps() -> Vec<Option<String>> {
    let sandbox = Sandbox::new();
    let mut chat = sandbox.chat("reference");
    let mut steps = vec![waiting_step(&chat.read_turn())];
    for answer in BUSINESS {
        steps.push(waiting_step(&chat.say(answer)));
    }
    chat.close();
    steps
}

#[derive(Default, Debug)]
struct Tally {
    kills_after_reply: u32,
    kills_mid_turn: u32,
    mid_turn_applied: u32,
}

/// One conversation, killed once at a random answer, then resumed and finished.
fn crash_and_finish(
    sandbox: &Sandbox,
    user: &str,
    steps: &[Option<String>],
    rng: &mut Rng,
    tally: &mut Tally,
) {
    let kill_at = rng.below(BUSINESS.len() as u64) as usize;
    let mid_turn = rng.below(2) == 0;
    let mut chat = sandbox.chat(user);
    chat.read_turn();
    for answer in &BUSINESS[..kill_at] {
        chat.say(answer);
    }
    // Where the resumed run may legitimately be: the last acknowledged step, or (mid-turn) the
    // one after the answer in flight.
    let mut allowed = vec![kill_at];
    if mid_turn {
        chat.send(BUSINESS[kill_at]);
        std::thread::sleep(Duration::from_millis(rng.below(40)));
        allowed.push(kill_at + 1);
        tally.kills_mid_turn += 1;
    } else {
        tally.kills_after_reply += 1;
    }
    chat.kill();

    let mut chat = sandbox.chat(user);
    let opening = chat.read_turn();
    let resumed = waiting_step(&opening);
    let at = allowed
        .iter()
        .rev()
        .copied()
        .find(|&i| steps[i] == resumed)
        .unwrap_or_else(|| {
            panic!(
                "{user}: killed at answer {kill_at} (mid-turn: {mid_turn}); resumed at {resumed:?}, \
                 expected one of {:?}: an acknowledged answer was lost. Opening: {opening:?}",
                allowed.iter().map(|&i| &steps[i]).collect::<Vec<_>>()
            )
        });
    if at > kill_at {
        tally.mid_turn_applied += 1;
    }
    let mut last = opening;
    for answer in &BUSINESS[at..] {
        last = chat.say(answer);
    }
    chat.close();
    if at < BUSINESS.len() {
        let tickets = last.last().unwrap()["tickets"].as_array().cloned();
        assert_eq!(
            tickets.map(|t| t.len()),
            Some(1),
            "{user}: the last answer creates one ticket: {last:?}"
        );
    }
}

#[test]
fn killed_conversations_resume_where_they_were_and_make_exactly_one_ticket_each() {
    let total: usize = std::env::var("PORTBOT_CRASH_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("PORTBOT_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test: {total} conversations, PORTBOT_CRASH_SEED={seed}");
    let steps = reference_steps();
    // Two workers (the machine has two cores), each with its own data folder.
    let workers = 2;
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let steps = steps.clone();
            std::thread::spawn(move || {
                let mut rng = Rng(seed.wrapping_add(w as u64 * 0x9e37_79b9_7f4a_7c15) | 1);
                let sandbox = Sandbox::new();
                let mut tally = Tally::default();
                let users: Vec<String> = (w..total)
                    .step_by(workers)
                    .map(|i| format!("crash-{i}"))
                    .collect();
                for user in &users {
                    crash_and_finish(&sandbox, user, &steps, &mut rng, &mut tally);
                }
                let listed: Value =
                    serde_json::from_str(&sandbox.run(&["tickets", "list", "--json"])).unwrap();
                let mut per_customer: BTreeMap<String, u32> = BTreeMap::new();
                let mut numbers = std::collections::BTreeSet::new();
                for ticket in listed.as_array().unwrap() {
                    *per_customer
                        .entry(ticket["customer"].as_str().unwrap().to_string())
                        .or_default() += 1;
                    assert!(
                        numbers.insert(ticket["number"].as_str().unwrap().to_string()),
                        "a ticket number given twice"
                    );
                }
                for user in &users {
                    assert_eq!(
                        per_customer.get(&format!("console:{user}")),
                        Some(&1),
                        "{user} has exactly one ticket"
                    );
                }
                assert_eq!(per_customer.len(), users.len(), "no stray tickets");
                tally
            })
        })
        .collect();
    let mut all = Tally::default();
    for handle in handles {
        let tally = handle.join().expect("a worker failed");
        all.kills_after_reply += tally.kills_after_reply;
        all.kills_mid_turn += tally.kills_mid_turn;
        all.mid_turn_applied += tally.mid_turn_applied;
    }
    eprintln!(
        "crash test: {} SIGKILL/restart cycles ({} after a reply, {} mid-turn, of which {} had \
         already applied the answer in flight)",
        all.kills_after_reply + all.kills_mid_turn,
        all.kills_after_reply,
        all.kills_mid_turn,
        all.mid_turn_applied
    );
    assert_eq!((all.kills_after_reply + all.kills_mid_turn) as usize, total);
}

/// What a platform does after a crash: it delivers the same message (same id) again. Every
/// message of a whole conversation is delivered twice, the second time by a restarted service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_message_is_answered_once_and_makes_no_second_ticket() {
    use portbot::config::Config;
    use portbot::conversation::Input;
    use portbot::service::{Customer, Service};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let config = || {
        Config::from_lookup(|name| match name {
            "PORTBOT_NOW" => Some(binary::NOW.into()),
            "PORTBOT_DATA_DIR" => Some(data.clone()),
            _ => None,
        })
        .unwrap()
    };
    let customer = Customer::console("replay");
    let words = || portbot::prompts::Prompts::builtin().unwrap().split().0;
    let mut service = Service::start(config(), words()).await.unwrap();
    service.open(&customer).await.unwrap();
    let mut tickets = 0;
    for (i, answer) in BUSINESS.iter().enumerate() {
        let input = match answer.strip_prefix("/attach ") {
            Some(path) => {
                let bytes = std::fs::read(binary::manifest_path(path)).unwrap();
                Input::File {
                    file_name: "bill.pdf".into(),
                    size: bytes.len(),
                    bytes,
                }
            }
            None => Input::Text(answer.to_string()),
        };
        let id = Some(format!("msg-{i}"));
        let first = service
            .turn(&customer, id.clone(), input.clone())
            .await
            .unwrap();
        assert!(!first.duplicate && !first.replies.is_empty(), "answer {i}");
        tickets += first.tickets.len();
        // A restart between the delivery and the redelivery.
        service = Service::start(config(), words()).await.unwrap();
        let again = service.turn(&customer, id, input).await.unwrap();
        assert!(again.duplicate, "answer {i} replayed is recognised");
        assert!(
            again.replies.is_empty(),
            "no reply sent twice: {:?}",
            again.replies
        );
        assert!(again.tickets.is_empty());
    }
    assert_eq!(tickets, 1);
    let listed = service.tickets(None).await.unwrap().tickets;
    assert_eq!(listed.len(), 1, "no ticket created twice");
}
