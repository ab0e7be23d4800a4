//! The engine alone, without a store or an adapter.

use super::*;
use crate::porting::{NumberKind, PhoneNumber};

struct Fixture {
    prompts: Script,
    calendar: PortCalendar,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            prompts: crate::prompts::Prompts::builtin()
                .expect("built-in prompts")
                .script,
            calendar: PortCalendar::new([]),
        }
    }

    fn engine(&self) -> Engine<'_> {
        Engine {
            prompts: &self.prompts,
            calendar: &self.calendar,
            rules: PortDateRules::default(),
            max_upload_bytes: 1024,
            provider_name: "Example Voice Co.",
            unprintable: crate::loa::unprintable,
        }
    }
}

fn now() -> DateTime<Utc> {
    "2026-11-23T15:00:00Z".parse().unwrap()
}

/// Answers up to and including `answers`, returning the last turn.
fn run(engine: &Engine, answers: &[&str]) -> Turn {
    let (mut state, _) = engine.start();
    let mut last = None;
    for answer in answers {
        let turn = engine.step(state, Input::Text(answer.to_string()), now());
        state = turn.state.clone();
        last = Some(turn);
    }
    last.expect("at least one answer")
}

const TO_SUMMARY: &[&str] = &[
    "1",
    "yes",
    "skip",
    "yes",
    "4821",
    "skip",
    "312-448-2915, 800-736-4192",
    "yes",
    "AT&T",
    "business landline",
    "Acme Plumbing LLC",
    "500 W Madison St, Chicago, IL 60661",
    "Maria Garcia",
    "8472 1193 0045",
    "no",
    "ok",
    "maria@example.com",
];

#[test]
fn a_wrong_answer_changes_nothing_but_the_count_of_failures() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let before = run(&engine, &TO_SUMMARY[..7]).state;
    let after = engine
        .step(before.clone(), Input::Text("purple".into()), now())
        .state;
    assert_eq!(after.answers, before.answers);
    assert_eq!(after.step, before.step);
    assert_eq!(after.failures, before.failures + 1);
}

#[test]
fn the_third_wrong_answer_in_a_row_offers_an_agent() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let mut state = run(&engine, &TO_SUMMARY[..1]).state;
    let mut texts = Vec::new();
    for _ in 0..3 {
        let turn = engine.step(state, Input::Text("purple".into()), now());
        texts.push(turn.replies[0].text.clone());
        state = turn.state;
    }
    let offer = &fixture.prompts.common.messages.offer_agent;
    assert!(!texts[1].contains(offer));
    assert!(texts[2].contains(offer));
}

#[test]
fn the_saved_state_never_holds_the_pin_or_the_account_number() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = run(&engine, TO_SUMMARY);
    let json = turn.state.to_json();
    assert!(!json.contains("4821"), "{json}");
    assert!(!json.contains("847211930045"), "{json}");
    assert_eq!(turn.state.step.as_deref(), Some("summary"));
}

#[test]
fn a_secret_answer_is_an_effect_and_is_kept_out_of_the_transcript() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let before = run(&engine, &TO_SUMMARY[..4]).state;
    assert_eq!(before.step.as_deref(), Some("pin"));
    let turn = engine.step(before, Input::Text("4821".into()), now());
    assert!(turn.redact_input);
    assert!(
        turn.effects
            .iter()
            .any(|e| matches!(e, Effect::StoreSecret { step, .. } if step == "pin"))
    );
}

#[test]
fn changing_the_numbers_asks_again_whether_they_share_one_bill() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let state = run(&engine, &TO_SUMMARY[..8]).state;
    assert_eq!(state.bool("same_bill"), Some(true));
    let state = engine
        .step(state, Input::Text("change numbers".into()), now())
        .state;
    let turn = engine.step(
        state,
        Input::Text("312-448-2916, 312-448-2917".into()),
        now(),
    );
    assert_eq!(turn.state.bool("same_bill"), None);
    assert_eq!(turn.state.step.as_deref(), Some("same_bill"));
}

#[test]
fn a_mixed_list_becomes_one_request_per_kind_with_the_same_details() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let state = run(&engine, TO_SUMMARY).state;
    let requests = build_requests(&state, Some("847211930045".into())).unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].kind, NumberKind::Local);
    assert_eq!(requests[1].kind, NumberKind::TollFree);
    assert_eq!(requests[0].customer_name, "Acme Plumbing LLC");
    assert_eq!(requests[1].service_address, requests[0].service_address);
    assert_eq!(requests[0].requested_port_date.to_string(), "2026-11-30");
}

#[test]
fn a_name_the_loa_cannot_print_is_refused_when_given_and_cyrillic_is_accepted() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let state = run(&engine, &TO_SUMMARY[..10]).state;
    assert_eq!(state.step.as_deref(), Some("business_name"));
    let turn = engine.step(state.clone(), Input::Text("王氏贸易有限公司".into()), now());
    assert_eq!(turn.state.step.as_deref(), Some("business_name"));
    assert!(
        turn.replies[0].text.contains("can't print"),
        "{:?}",
        turn.replies
    );
    let turn = engine.step(state, Input::Text("ООО Дмитрий Иванов".into()), now());
    assert_eq!(turn.state.text("business_name"), Some("ООО Дмитрий Иванов"));
}

#[test]
fn no_input_at_any_step_panics_and_the_state_always_loads_back() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let long = "7".repeat(100_000);
    let hostile = [
        "",
        " ",
        "\u{0}\u{1b}[2J",
        "📞📞",
        long.as_str(),
        "back",
        "skip",
        "change",
        "change 💥",
        "help",
        "status",
        "cancel",
        "no",
        "1",
        "99",
        "-1",
        "+1",
        "12/32/2026",
        "Feb 29",
        "PO Box 1, X, ZZ 0",
        "@",
        "agent",
        "resume",
        "start over",
        "menu",
        "?",
    ];
    for depth in 1..=TO_SUMMARY.len() {
        let state = run(&engine, &TO_SUMMARY[..depth]).state;
        for input in hostile {
            let turn = engine.step(state.clone(), Input::Text(input.to_string()), now());
            assert!(
                !turn.replies.is_empty(),
                "no reply to {input:?} at depth {depth}"
            );
            let loaded = State::from_json(&turn.state.to_json()).expect("state loads back");
            assert_eq!(loaded, turn.state);
        }
        let file = Input::File {
            file_name: "x.pdf".into(),
            bytes: vec![0; 2048],
            size: 2048,
        };
        let turn = engine.step(state, file, now());
        assert!(!turn.replies.is_empty());
    }
}

/// The state waiting at `step`, reached with the plain answers of [`TO_SUMMARY`].
fn at(engine: &Engine, step: &str) -> State {
    let (mut state, _) = engine.start();
    for answer in TO_SUMMARY {
        if state.step.as_deref() == Some(step) {
            return state;
        }
        state = engine
            .step(state, Input::Text(answer.to_string()), now())
            .state;
    }
    assert_eq!(
        state.step.as_deref(),
        Some(step),
        "the script reaches {step}"
    );
    state
}

fn say(engine: &Engine, state: State, text: &str) -> Turn {
    engine.step(state, Input::Text(text.into()), now())
}

fn all_text(turn: &Turn) -> String {
    turn.replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_question_at_a_free_text_step_is_answered_and_never_stored() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    for question in [
        "Actually how do I port a number out?",
        "what's that?",
        "wtf is this for",
        "do you guys sell fax machines?",
    ] {
        let before = at(&engine, "email");
        let turn = say(&engine, before.clone(), question);
        assert_eq!(turn.state.answers, before.answers, "{question}");
        assert_eq!(turn.state.step.as_deref(), Some("email"), "{question}");
        assert_eq!(turn.state.failures, 0, "{question}");
    }
}

#[test]
fn whats_that_is_about_the_question_being_asked() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = say(&engine, at(&engine, "partial_port"), "what's that?");
    assert!(
        all_text(&turn).contains("the carrier must know"),
        "{}",
        all_text(&turn)
    );
}

#[test]
fn a_fee_question_after_the_port_out_guide_is_about_port_out_fees() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let (state, _) = engine.start();
    let state = say(&engine, state, "2").state;
    assert!(state.leaving);
    let turn = say(&engine, state, "are there any fees?");
    assert!(
        all_text(&turn).contains("port-out fee"),
        "{}",
        all_text(&turn)
    );
    let (fresh, _) = engine.start();
    let turn = say(&engine, fresh, "are there any fees?");
    assert!(all_text(&turn).contains("We don't charge you to move numbers in"));
}

#[test]
fn a_request_phrased_as_a_question_is_a_command() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = say(
        &engine,
        at(&engine, "authorized_name"),
        "can I talk to a real person",
    );
    assert!(turn.state.paused);
    assert!(
        turn.effects
            .iter()
            .any(|e| matches!(e, Effect::Handoff { .. }))
    );
    assert!(turn.state.text("authorized_name").is_none());
    let turn = say(&engine, at(&engine, "account_number"), "can I skip this?");
    assert_eq!(
        turn.state.answers.get("account_number"),
        Some(&Answer::Skipped)
    );
}

#[test]
fn a_sentence_a_pronoun_or_same_as_is_never_a_name() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    for (step, text) in [
        ("authorized_name", "me"),
        ("authorized_name", "the guy who pays the bill"),
        ("business_name", "same as my name"),
        ("carrier", "idk, whoever my phone company is"),
    ] {
        let turn = say(&engine, at(&engine, step), text);
        assert!(!turn.state.answers.contains_key(step), "{step} <- {text:?}");
        assert_eq!(turn.state.step.as_deref(), Some(step), "{step} <- {text:?}");
    }
}

#[test]
fn a_name_and_title_in_one_answer_are_split() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = say(
        &engine,
        at(&engine, "authorized_name"),
        "Priya Sharma, Owner",
    );
    assert_eq!(turn.state.text("authorized_name"), Some("Priya Sharma"));
    assert_eq!(turn.state.text("authorized_title"), Some("Owner"));
    let turn = say(
        &engine,
        at(&engine, "authorized_name"),
        "Martin Luther King, Jr.",
    );
    assert_eq!(
        turn.state.text("authorized_name"),
        Some("Martin Luther King, Jr.")
    );
}

#[test]
fn everyday_yes_no_and_not_sure_are_read() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    for (text, expected) in [
        ("yep", Some(understand::YesNo::Yes)),
        ("I think so", Some(understand::YesNo::Yes)),
        ("ugh fine yes", Some(understand::YesNo::Yes)),
        ("nah", Some(understand::YesNo::No)),
        ("nope, not yet", Some(understand::YesNo::No)),
        ("idk", Some(understand::YesNo::Unsure)),
        ("not sure tbh", Some(understand::YesNo::Unsure)),
        ("purple", None),
    ] {
        assert_eq!(engine.yes_no(text), expected, "{text}");
    }
}

#[test]
fn several_answers_in_one_message_are_each_checked_and_kept() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = say(
        &engine,
        at(&engine, "numbers"),
        "212-736-4100 and 4101, both on AT&T, they're landlines",
    );
    assert_eq!(turn.state.numbers().len(), 2);
    assert_eq!(turn.state.text("carrier"), Some("AT&T"));
    assert_eq!(turn.state.choice("number_type"), Some("landline"));
    assert!(all_text(&turn).contains("Noted: Current carrier: AT&T"));
}

#[test]
fn a_value_beside_the_answer_that_its_check_refuses_is_left_out() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    // An email on a domain that never receives mail is not kept as the email.
    let turn = say(
        &engine,
        at(&engine, "numbers"),
        "212-736-4100, email me at bob@shop.invalid",
    );
    assert_eq!(turn.state.numbers().len(), 1);
    assert!(!turn.state.answers.contains_key("email"));
}

#[test]
fn i_meant_corrects_the_last_answer_the_customer_gave() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let state = say(&engine, at(&engine, "authorized_name"), "Dave Obrian").state;
    assert_eq!(state.step.as_deref(), Some("account_number"));
    let turn = say(&engine, state, "oh I meant Dave O'Brien");
    assert_eq!(turn.state.text("authorized_name"), Some("Dave O'Brien"));
    assert_eq!(
        turn.state.answers.get("authorized_title"),
        Some(&Answer::Skipped)
    );
    assert_eq!(turn.state.step.as_deref(), Some("account_number"));
}

#[test]
fn a_wrong_answer_named_without_a_value_is_asked_again() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let before = at(&engine, "authorized_name");
    let turn = say(&engine, before.clone(), "wait, I typed the wrong zip");
    assert_eq!(turn.state.step.as_deref(), Some("service_address"));
    assert_eq!(turn.state.answers, before.answers);
}

#[test]
fn a_typed_choice_answers_its_own_step_and_a_stale_one_is_refused() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let state = at(&engine, "partial_port");
    let turn = engine.step(
        state.clone(),
        Input::Choice {
            step: Some("partial_port".into()),
            value: "no".into(),
        },
        now(),
    );
    assert_eq!(turn.state.bool("partial_port"), Some(false));
    let turn = engine.step(
        state,
        Input::Choice {
            step: Some("checklist".into()),
            value: "yes".into(),
        },
        now(),
    );
    assert!(!turn.state.answers.contains_key("partial_port"));
    assert!(all_text(&turn).contains("earlier question"));
}

#[test]
fn cancel_after_submitting_is_a_request_for_the_agents_not_a_cancellation() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let mut state = State::new();
    state.flow = Flow::Done;
    let turn = say(&engine, state, "please cancel PB-10001");
    assert_eq!(turn.state.flow, Flow::Done);
    assert!(turn.effects.iter().any(|e| matches!(
        e,
        Effect::TicketRequest { kind: TicketRequestKind::Cancel, ticket: Some(t), .. } if t == "PB-10001"
    )));
    assert!(!all_text(&turn).contains("cancelled"));
}

#[test]
fn sure_after_a_refused_date_takes_the_suggested_date() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = say(&engine, at(&engine, "port_date"), "Saturday Dec 5");
    assert!(all_text(&turn).contains("How about Monday, December 7, 2026?"));
    let turn = say(&engine, turn.state, "sure");
    assert_eq!(
        turn.state.answer("port_date"),
        Some(&Answer::Date(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        ))
    );
}

#[test]
fn an_account_number_then_the_btn_after_a_comma_are_both_kept() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = say(
        &engine,
        at(&engine, "account_number"),
        "8472 1193 0045, (312) 448-2900",
    );
    assert_eq!(
        turn.state.answers.get("account_number"),
        Some(&Answer::Secret { chars: 12 })
    );
    assert_eq!(
        turn.state
            .phone("btn")
            .map(|p| p.e164().to_string())
            .as_deref(),
        Some("+13124482900")
    );
    assert!(turn.redact_input);
}

#[test]
fn a_modal_answer_lands_only_on_the_step_it_was_opened_for() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let state = at(&engine, "account_number");
    let stale = engine.step(
        state.clone(),
        Input::Answer {
            step: "pin".into(),
            text: "4821".into(),
        },
        now(),
    );
    assert_eq!(stale.state.answers, state.answers);
    assert!(stale.effects.is_empty());
    assert!(stale.redact_input);
    let kept = engine.step(
        state,
        Input::Answer {
            step: "account_number".into(),
            text: "8472 1193 0045".into(),
        },
        now(),
    );
    assert!(
        kept.effects
            .iter()
            .any(|e| matches!(e, Effect::StoreSecret { step, .. } if step == "account_number"))
    );
}

#[test]
fn the_summary_for_agents_never_tells_a_secrets_length() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let state = at(&engine, "summary");
    let summary = engine.handoff_summary(&state);
    assert!(summary.contains("PIN: given (hidden)"), "{summary}");
    assert!(!summary.contains("characters"), "{summary}");
}

#[test]
fn what_is_typed_with_a_file_is_said_with_it_at_the_file_question_and_read_elsewhere() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let caption = |state: State, text: &str| engine.step(state, Input::Caption(text.into()), now());
    let bill = at(&engine, "bill_copy");
    for said in ["here you go", "here's my bill", "thanks!", ""] {
        let turn = caption(bill.clone(), said);
        assert!(turn.replies.is_empty(), "{said:?}: {:?}", turn.replies);
        assert_eq!(turn.state.step.as_deref(), Some("bill_copy"), "{said:?}");
    }
    // A question said with the file is still answered; a command still runs.
    let asked = caption(bill.clone(), "is a photo of it ok?");
    assert!(!asked.replies.is_empty());
    let skipped = caption(bill, "skip");
    assert_ne!(skipped.state.step.as_deref(), Some("bill_copy"));
    // Where no file is asked for, it is typed text.
    let carrier = at(&engine, "carrier");
    let turn = caption(carrier, "AT&T");
    assert_ne!(turn.state.step.as_deref(), Some("carrier"));
}

#[test]
fn a_yes_to_one_point_of_the_checklist_keeps_that_one_and_asks_the_other() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    // The other point is asked in its place in the flow: the readiness after the documents.
    for (typed, kept, other, next) in [
        ("yes its still active", "keep_active", "ready", "bill_copy"),
        (
            "yeah it's still active",
            "keep_active",
            "ready",
            "bill_copy",
        ),
        ("its still active", "keep_active", "ready", "bill_copy"),
        (
            "yes, our phone system is set up",
            "ready",
            "keep_active",
            "keep_active",
        ),
        ("we're ready to go", "ready", "keep_active", "keep_active"),
    ] {
        let turn = run(&engine, &["1", typed]);
        let text = all_text(&turn);
        assert_eq!(turn.state.bool(kept), Some(true), "{typed}");
        assert!(!turn.state.answers.contains_key(other), "{typed}");
        assert_eq!(turn.state.step.as_deref(), Some(next), "{typed}: {text}");
        assert!(text.starts_with("Noted: "), "{typed}: {text}");
    }
    let to_ready = ["1", "yes its still active", "skip", "no", "skip"];
    assert_eq!(run(&engine, &to_ready).state.step.as_deref(), Some("ready"));
}

#[test]
fn a_yes_to_both_or_to_all_of_the_checklist_answers_both() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    for typed in [
        "yes",
        "yes to both",
        "yes both are fine",
        "yep we're all set",
        "sure",
    ] {
        let turn = run(&engine, &["1", typed]);
        assert_eq!(turn.state.bool("keep_active"), Some(true), "{typed}");
        assert_eq!(turn.state.bool("ready"), Some(true), "{typed}");
    }
}

#[test]
fn not_set_up_yet_at_the_ready_question_is_a_no() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let to_ready = ["1", "yes its still active", "skip", "no", "skip"];
    for typed in ["not set up yet", "we're not all set up", "no not ready"] {
        let turn = run(&engine, &[&to_ready[..], &[typed]].concat());
        assert_eq!(turn.state.bool("ready"), None, "{typed}");
        assert_eq!(turn.state.step.as_deref(), Some("ready"), "{typed}");
    }
    for typed in ["yes all set up", "we're good to go"] {
        let turn = run(&engine, &[&to_ready[..], &[typed]].concat());
        assert_eq!(turn.state.bool("ready"), Some(true), "{typed}");
    }
}

#[test]
fn a_value_given_early_that_its_question_refuses_is_left_out_and_said_why() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = run(
        &engine,
        &["i want to port 312 555 0142, a cell with verizon"],
    );
    let text = all_text(&turn);
    assert!(!turn.state.answers.contains_key("numbers"), "{text}");
    assert_eq!(turn.state.choice("number_type"), Some("mobile"), "{text}");
    assert!(text.contains("Phone numbers"), "{text}");
    assert!(text.contains("555-0100 to 555-0199"), "{text}");
}

#[test]
fn a_yes_to_one_point_of_the_checklist_keeps_what_else_the_message_gives() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = run(
        &engine,
        &["1", "yes it's still active, it's a verizon cell"],
    );
    assert_eq!(turn.state.bool("keep_active"), Some(true));
    assert_eq!(
        turn.state.choice("number_type"),
        Some("mobile"),
        "{}",
        all_text(&turn)
    );
    assert_eq!(turn.state.step.as_deref(), Some("bill_copy"));
}

#[test]
fn the_good_numbers_given_early_are_kept_and_the_refused_ones_said() {
    let fixture = Fixture::new();
    let engine = fixture.engine();
    let turn = run(&engine, &["i want to port 312 448 2915 and 312 555 0142"]);
    let text = all_text(&turn);
    assert_eq!(
        turn.state.numbers(),
        vec![PhoneNumber::parse("312-448-2915").unwrap()],
        "{text}"
    );
    assert!(
        text.contains("Noted: Phone numbers: (312) 448-2915"),
        "{text}"
    );
    assert!(
        text.contains("\"312 555 0142\" is in the 555-0100"),
        "{text}"
    );
}
