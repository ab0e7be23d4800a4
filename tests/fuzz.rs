//! Property tests for every parser and for the conversation engine: random and hostile input
//! never panics, every refusal names wording that exists, what a parser accepts parses again to
//! the same value, and the engine's saved state always loads back to the same state.
//!
//! `cargo test --test fuzz` runs 2,000 cases per property. The million-case run:
//!
//! ```text
//! PROPTEST_CASES=91000 cargo test --test fuzz
//! ```
//!
//! (11 properties x 91,000 = 1,001,000 cases; the engine's each a sequence of up to 40
//! messages.)

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use portbot::conversation::{Engine, Input, State};
use portbot::porting::{
    self, Email, PhoneNumber, PortCalendar, PortDateRules, UsAddress, YearHint,
};
use portbot::porting::{dates, phone, text, upload};
use portbot::prompts::Prompts;
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Pieces of real answers and commands, so random input often gets deep into the parsers.
const FRAGMENTS: &[&str] = &[
    "1",
    "2",
    "3",
    "4",
    "yes",
    "no",
    "y",
    "n",
    "ok",
    "skip",
    "back",
    "help",
    "cancel",
    "start over",
    "agent",
    "status",
    "change",
    "change address",
    "change numbers",
    "confirm",
    "I agree",
    "not sure",
    "landline",
    "mobile",
    "business",
    "residential",
    "AT&T",
    "(312)",
    "448-2915",
    "312.448.2916",
    "+1",
    "800",
    "555",
    "911",
    "0",
    "00",
    "Nov",
    "December",
    "Dec 8",
    "2026",
    "12/8",
    "tomorrow",
    "next monday",
    "Chicago",
    "IL",
    "Illinois",
    "60661",
    "Apt 3",
    "500 W Madison St",
    ",",
    ";",
    "-",
    "/",
    ".",
    "#",
    "@",
    "zoe@acme.example",
    "Zoë",
    "Łukasiewicz",
    "José Núñez",
    "LLC",
    "Inc.",
    "4821",
    "8472 1193 0045",
    "/attach",
    "\u{0}",
    "\u{202e}",
    "\t",
    "\n",
    "📞",
    "ｆｕｌｌｗｉｄｔｈ",
    "１２３",
    "٣",
    "e\u{301}",
];

fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..8).prop_map(|v| v.join(" "))
}

/// Any text: plain random Unicode, runs of digits and punctuation, or real fragments.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop::sample::select(
                &[
                    '0', '1', '2', '3', '5', '8', '9', ' ', '-', '(', ')', '.', ',', '+', '/', 'x',
                    '@', 'a', 'Z', 'é', '\u{0}', '١', '\n'
                ][..]
            ),
            0..40
        )
        .prop_map(|v| v.into_iter().collect()),
        fragments(),
    ]
}

fn known(refusal: &porting::Refusal) {
    assert!(
        porting::all_refusal_codes().any(|c| c == refusal.code),
        "unknown refusal code {}",
        refusal.code
    );
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn number_lists_never_panic_and_their_numbers_parse_again(s in input()) {
        let list = phone::parse_number_list(&s);
        let mut seen = HashSet::new();
        for n in &list.numbers {
            prop_assert!(seen.insert(n.e164().to_string()), "each number once");
            prop_assert_eq!(&PhoneNumber::parse(n.e164()).unwrap(), n);
            prop_assert_eq!(&PhoneNumber::parse(&n.national()).unwrap(), n);
        }
        for (_, refusal) in &list.refused {
            known(refusal);
        }
    }

    #[test]
    fn phone_numbers_never_panic(s in input()) {
        if let Err(r) = PhoneNumber::parse(&s) { known(&r) }
    }

    #[test]
    fn dates_never_panic_and_stay_near_today(s in input(), upcoming in any::<bool>()) {
        let hint = if upcoming { YearHint::Upcoming } else { YearHint::Recent };
        match dates::parse_date(&s, today(), hint) {
            Ok(date) => {
                // A typed four-digit year is taken as typed (the date rules then refuse it);
                // a year that is guessed, or typed with two digits, stays within a century.
                use chrono::Datelike;
                let typed_year = s.as_bytes().windows(4).any(|w| w.iter().all(u8::is_ascii_digit));
                let years = (date - today()).num_days().abs() / 365;
                prop_assert!(
                    (1900..=9999).contains(&date.year()) && (typed_year || years <= 100),
                    "{s:?} gave {date}"
                );
                let _ = dates::check_bill_date(date, today());
                let rules = PortDateRules { min_days: 7, max_days: 30 };
                let _ = rules.check(date, today(), &PortCalendar::new([]));
            }
            Err(r) => known(&r),
        }
    }

    #[test]
    fn addresses_never_panic_and_parse_again(s in input()) {
        match UsAddress::parse(&s) {
            Ok(a) => prop_assert_eq!(UsAddress::parse(&a.one_line()).unwrap(), a),
            Err(r) => known(&r),
        }
    }

    #[test]
    fn emails_never_panic_and_parse_again(s in input()) {
        match Email::parse(&s) {
            Ok(e) => prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e),
            Err(r) => known(&r),
        }
    }

    #[test]
    fn yes_no_and_cleaning_never_panic(s in input()) {
        let _ = text::parse_yes_no(&s);
        let cleaned = text::clean_input(&s);
        prop_assert!(!cleaned.chars().any(|c| c.is_control() && c != '\n'));
        prop_assert!(text::names_match(&s, &s));
    }

    #[test]
    fn names_carriers_and_titles_never_panic(s in input()) {
        for result in [
            text::parse_person_name(&s),
            text::parse_business_name(&s),
            text::parse_carrier(&s),
        ] {
            match result {
                Ok(name) => prop_assert!(!name.trim().is_empty()),
                Err(r) => known(&r),
            }
        }
        if let Err(r) = text::parse_title(&s) { known(&r) }
    }

    #[test]
    fn pins_and_account_numbers_are_never_echoed_in_a_refusal(s in input()) {
        for result in [text::parse_pin(&s), text::parse_account_number(&s)] {
            match result {
                Ok(v) => prop_assert!(!v.is_empty()),
                Err(r) => {
                    known(&r);
                    prop_assert!(r.args.iter().all(|(n, _)| *n == "min" || *n == "max"));
                }
            }
        }
    }

    #[test]
    fn agent_commands_parse_or_refuse(s in input()) {
        let _ = porting::RejectionCode::parse(&s);
        let _ = porting::TicketStatus::parse(&s);
    }

    #[test]
    fn uploads_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), extra in 0usize..4096) {
        let mut bytes = bytes;
        if extra % 3 == 0 {
            let mut pdf = b"%PDF-1.4\n".to_vec();
            pdf.append(&mut bytes);
            bytes = pdf;
        }
        match upload::check_upload(&bytes, bytes.len() + extra % 7, 1024) {
            Ok(_) => prop_assert!(!bytes.is_empty() && bytes.len() <= 1024),
            Err(r) => known(&r),
        }
    }
}

/// One message for the engine: text, or now and then an upload.
fn message() -> impl Strategy<Value = Input> {
    prop_oneof![
        8 => input().prop_map(Input::Text),
        4 => fragments().prop_map(Input::Text),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|mut bytes| {
            if bytes.first() == Some(&0) {
                bytes.splice(0..0, b"%PDF-1.4\n".iter().copied());
            }
            Input::File { file_name: "bill.pdf".into(), size: bytes.len(), bytes }
        }),
    ]
}

fn now() -> DateTime<Utc> {
    "2026-11-23T15:00:00Z".parse().unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_engine_never_panics_and_its_saved_state_loads_back(
        messages in prop::collection::vec(message(), 1..40)
    ) {
        thread_local! {
            static PROMPTS: Prompts = Prompts::load(None).unwrap();
        }
        PROMPTS.with(|prompts| {
            let calendar = PortCalendar::new([]);
            let engine = Engine {
                prompts: &prompts.script,
                calendar: &calendar,
                rules: PortDateRules { min_days: 7, max_days: 30 },
                max_upload_bytes: 1024,
                provider_name: "Example Voice Co.",
                unprintable: portbot::loa::unprintable,
            };
            let (mut state, greeting) = engine.start();
            assert!(!greeting.is_empty());
            for message in messages {
                let turn = engine.step(state, message, now());
                assert!(!turn.replies.is_empty(), "every message gets an answer");
                let json = turn.state.to_json();
                let loaded = State::from_json(&json).expect("the saved state loads back");
                assert_eq!(loaded.to_json(), json, "and is the same state");
                let _ = engine.resume(&loaded, now());
                state = loaded;
            }
        });
    }
}
