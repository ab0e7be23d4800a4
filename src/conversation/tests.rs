//! The engine alone, without a store or an adapter.

use super::*;
use crate::porting::NumberKind;

struct Fixture {
    prompts: Prompts,
    calendar: PortCalendar,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            prompts: Prompts::builtin().expect("built-in prompts"),
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
    let offer = fixture.prompts.message("offer_agent");
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
