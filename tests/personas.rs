//! Customers typing the way people type, each replayed through the real `portbot chat --json`
//! on a fresh database and graded on outcomes rather than on the bot's wording: the ticket's
//! fields (`portbot tickets show --json`), the LOA's text, where the conversation ends, and what
//! was never stored. Every persona also gets the checks that hold for all: no reply shows a raw
//! `{placeholder}`, no question is asked five times in a row (never stuck), and no name-like
//! field of a ticket holds a sentence, a question or a pronoun.
//!
//! Most personas change a few answers of one plain request ([`PLAIN`]): `with("auth",
//! &["me", "Tom Becker"])` sends those lines where the plain request answers the authorized
//! person.

mod binary;

use binary::Sandbox;
use serde_json::Value;

/// A plain business landline request with short answers, one step a line, from the menu on.
const PLAIN: &[(&str, &str)] = &[
    ("menu", "1"),
    ("checklist", "yes"),
    ("bill", "skip"),
    ("pin", "no"),
    ("csr", "skip"),
    ("numbers", "212-736-4100"),
    ("carrier", "AT&T"),
    ("line", "business landline"),
    ("business", "Acme Plumbing LLC"),
    ("address", "15 W 42nd St, New York, NY 10036"),
    ("auth", "Maria Garcia"),
    ("account", "skip"),
    ("partial", "no"),
    ("date", "ok"),
    ("email", "maria@acmeplumbing.com"),
    ("sign", "Maria Garcia"),
];

/// The plain request with some steps answered by other lines (several lines for one step are
/// sent in order).
fn with(changes: &[(&str, &[&str])]) -> Vec<String> {
    for (step, _) in changes {
        assert!(
            PLAIN.iter().any(|(s, _)| s == step),
            "no step {step} in PLAIN"
        );
    }
    PLAIN
        .iter()
        .flat_map(
            |(step, line)| match changes.iter().find(|(s, _)| s == step) {
                Some((_, lines)) => lines.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
                None => vec![line.to_string()],
            },
        )
        .collect()
}

fn lines(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| l.to_string()).collect()
}

/// What happened: every line with the bot's turn after it, and the first ticket, if any.
struct Outcome {
    sandbox: Sandbox,
    turns: Vec<(String, Vec<Value>)>,
    ticket: Option<Value>,
}

impl Outcome {
    /// Every bot message's text, in order.
    fn said(&self) -> Vec<String> {
        self.turns
            .iter()
            .flat_map(|(_, turn)| turn.iter())
            .filter_map(|m| m["text"].as_str().map(str::to_string))
            .collect()
    }

    /// The bot's texts after the last time the customer sent `line`.
    fn reply_to(&self, line: &str) -> String {
        let (_, turn) = self
            .turns
            .iter()
            .rev()
            .find(|(l, _)| l == line)
            .unwrap_or_else(|| panic!("no line {line:?}"));
        turn.iter()
            .filter_map(|m| m["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn heard(&self, words: &str) -> bool {
        self.said().iter().any(|t| t.contains(words))
    }

    /// The step the conversation waits at after the last line.
    fn waits_at(&self) -> Option<String> {
        self.turns
            .last()
            .and_then(|(_, turn)| turn.last())
            .and_then(|m| m["step"].as_str().map(str::to_string))
    }

    fn ticket(&self) -> &Value {
        self.ticket.as_ref().expect("a ticket was created")
    }

    fn field(&self, name: &str) -> String {
        match &self.ticket()[name] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    fn history(&self) -> String {
        self.sandbox
            .run(&["tickets", "history", "PB-10001", "--agent", "test"])
    }
}

/// Replays `lines` as `user`, then applies the checks every persona gets.
fn replay(user: &str, lines: Vec<String>) -> Outcome {
    let sandbox = Sandbox::new();
    let mut chat = sandbox.chat(user);
    let mut turns = vec![(String::new(), chat.read_turn())];
    for line in &lines {
        let turn = chat.say(line);
        turns.push((line.clone(), turn));
    }
    chat.close();
    let shown = sandbox
        .command(&["tickets", "show", "PB-10001", "--json"])
        .output()
        .expect("run portbot");
    let ticket = shown
        .status
        .success()
        .then(|| serde_json::from_slice(&shown.stdout).expect("ticket JSON"));
    let outcome = Outcome {
        sandbox,
        turns,
        ticket,
    };
    for text in outcome.said() {
        let raw = text
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .find(|name| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            });
        assert!(raw.is_none(), "{user}: a raw placeholder in {text:?}");
    }
    let mut run = 0;
    let mut last = None;
    for (_, turn) in &outcome.turns {
        let step = turn.last().and_then(|m| m["step"].as_str());
        run = if step.is_some() && step == last {
            run + 1
        } else {
            1
        };
        last = step;
        assert!(run < 5, "{user}: stuck at {step:?}");
    }
    if let Some(ticket) = &outcome.ticket {
        const NOT_A_VALUE: &[&str] = &[
            "me", "wrong", "talk", "idk", "whoever", "wtf", "meant", "typed", "person", "what",
        ];
        for field in [
            "authorized_name",
            "authorized_title",
            "customer_name",
            "carrier",
        ] {
            let value = ticket[field].as_str().unwrap_or_default().to_lowercase();
            let words: Vec<&str> = value
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            assert!(
                !value.contains('?')
                    && !value.contains("same as")
                    && !words.iter().any(|w| NOT_A_VALUE.contains(w)),
                "{user}: {field} holds a non-answer: {value:?}"
            );
        }
    }
    outcome
}

/// The LOA's text, read back with poppler's `pdftotext` where it is installed.
fn loa_text(outcome: &Outcome) -> Option<String> {
    let path = outcome
        .turns
        .iter()
        .flat_map(|(_, turn)| turn.iter())
        .find_map(|m| m["tickets"][0]["loa_path"].as_str().map(str::to_string))?;
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", &path, "-"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

// ---- Openers and the menu ----

#[test]
fn a_bare_greeting_gets_the_greeting_and_the_menu_and_nothing_else() {
    let o = replay("hi", lines(&["hi"]));
    let said = o.said();
    assert!(!said.iter().any(|t| t.contains("didn't catch")), "{said:?}");
    assert!(said.last().unwrap().contains("What would you like to do?"));
}

#[test]
fn bring_my_home_phone_number_over_starts_a_port_in_that_knows_it_is_a_landline() {
    let o = replay(
        "home-phone",
        with(&[
            ("menu", &["hey, I want to bring my home phone number over"]),
            ("line", &["it's a personal account"]),
            ("business", &["Linda Park"]),
            ("auth", &["yes"]),
            ("sign", &["Linda Park"]),
        ]),
    );
    assert_eq!(o.field("number_type"), "landline");
    assert_eq!(o.field("customer_type"), "residential");
    assert_eq!(o.field("authorized_name"), "Linda Park");
}

#[test]
fn port_two_numbers_from_att_to_you_guys_keeps_the_carrier() {
    let o = replay(
        "two-from-att",
        with(&[
            ("menu", &["I need to port 2 numbers from AT&T to you guys"]),
            (
                "numbers",
                &["212-736-4100 and 212-736-4101", "yeah same bill"],
            ),
            ("carrier", &[]),
        ]),
    );
    assert_eq!(o.field("carrier"), "AT&T");
    assert_eq!(o.ticket()["numbers"].as_array().unwrap().len(), 2);
}

#[test]
fn switching_to_verizon_gets_the_port_out_guide_and_port_out_fees() {
    let o = replay(
        "leaving",
        lines(&[
            "I'm switching to Verizon, how do I move my number out?",
            "how much does it cost?",
        ]),
    );
    assert!(
        o.reply_to("I'm switching to Verizon, how do I move my number out?")
            .contains("new provider starts the port")
    );
    let fees = o.reply_to("how much does it cost?");
    assert!(fees.contains("port-out fee"), "{fees}");
    assert!(
        !fees.contains("We don't charge you to move numbers in"),
        "{fees}"
    );
}

#[test]
fn what_is_a_port_out_pin_is_about_the_pin_not_the_port_out_guide() {
    let o = replay("pin-question", lines(&["what's a port out pin?"]));
    let reply = o.reply_to("what's a port out pin?");
    assert!(
        reply.contains("code your current carrier gives you"),
        "{reply}"
    );
    assert!(!reply.contains("new provider starts the port"), "{reply}");
}

#[test]
fn checking_on_a_request_from_the_menu_in_words_shows_the_status() {
    let o = replay("status-words", lines(&["hi, any update on my request?"]));
    assert!(o.heard("You don't have any port requests with us yet."));
}

#[test]
fn an_opener_with_numbers_carrier_and_types_fills_them_all_in() {
    let o = replay(
        "opener-all",
        with(&[
            (
                "menu",
                &[
                    "hi, I need to port 212-736-4100 and 4101 to you, both on the same AT&T bill, business landlines",
                ],
            ),
            ("numbers", &[]),
            ("carrier", &[]),
            ("line", &[]),
        ]),
    );
    assert_eq!(o.field("carrier"), "AT&T");
    assert_eq!(o.field("number_type"), "landline");
    assert_eq!(
        o.ticket()["numbers"],
        serde_json::json!(["+12127364100", "+12127364101"])
    );
}

// ---- Several answers in one message ----

#[test]
fn landline_its_a_business_account_answers_both_questions() {
    let o = replay(
        "two-in-one",
        with(&[("line", &["landline, it's a business account"])]),
    );
    assert_eq!(o.field("number_type"), "landline");
    assert_eq!(o.field("customer_type"), "business");
    assert!(o.heard("Noted: Number type: Landline · Account type: Business."));
}

#[test]
fn yes_the_pin_is_7731_keeps_the_pin_and_hides_the_message() {
    let o = replay("pin-inline", with(&[("pin", &["yes, the PIN is 7731"])]));
    assert_eq!(o.ticket()["has_pin"], true);
    let transcript = o
        .sandbox
        .run(&["tickets", "transcript", "PB-10001", "--agent", "test"]);
    assert!(!transcript.contains("7731"), "{transcript}");
}

#[test]
fn the_pin_typed_at_do_you_have_a_pin_is_taken_as_the_pin() {
    let o = replay("pin-typed", with(&[("pin", &["4821"])]));
    assert_eq!(o.ticket()["has_pin"], true);
}

#[test]
fn numbers_with_a_shorthand_and_the_carrier_in_one_message() {
    let o = replay(
        "shorthand",
        with(&[
            ("numbers", &["212-736-4100 and 4101, both on AT&T", "yep"]),
            ("carrier", &[]),
        ]),
    );
    assert_eq!(
        o.ticket()["numbers"],
        serde_json::json!(["+12127364100", "+12127364101"])
    );
    assert_eq!(o.field("carrier"), "AT&T");
}

#[test]
fn a_range_of_numbers_is_expanded() {
    let o = replay(
        "range",
        with(&[(
            "numbers",
            &["212-736-4100 through 4103", "yes they're all on one bill"],
        )]),
    );
    assert_eq!(o.ticket()["numbers"].as_array().unwrap().len(), 4);
}

#[test]
fn name_and_title_in_one_answer_are_split() {
    let o = replay(
        "priya",
        with(&[
            ("auth", &["Priya Sharma, Owner"]),
            ("sign", &["priya sharma"]),
        ]),
    );
    assert_eq!(o.field("authorized_name"), "Priya Sharma");
    assert_eq!(o.field("authorized_title"), "Owner");
    if let Some(text) = loa_text(&o) {
        assert!(text.contains("Priya Sharma"), "{text}");
        assert!(text.contains("Owner"), "{text}");
    }
}

#[test]
fn account_number_and_btn_in_one_answer() {
    let o = replay(
        "acct-btn",
        with(&[("account", &["acct # 8472 1193 0045, btn is 212-736-4199"])]),
    );
    assert_eq!(o.field("btn"), "+12127364199");
    assert_eq!(o.ticket()["has_account_number"], true);
}

#[test]
fn a_date_and_an_email_in_one_answer() {
    let o = replay(
        "date-email",
        with(&[
            (
                "date",
                &["asap, and send updates to maria@acmeplumbing.com"],
            ),
            ("email", &[]),
        ]),
    );
    assert_eq!(o.field("requested_port_date"), "2026-11-30");
    assert_eq!(o.field("email"), "maria@acmeplumbing.com");
}

// ---- Corrections ----

#[test]
fn oh_i_meant_a_name_corrects_the_authorized_person_not_the_next_answer() {
    let o = replay(
        "dave",
        with(&[
            ("auth", &["Dave Obrian"]),
            ("account", &["oh I meant Dave O'Brien", "skip"]),
            ("sign", &["Dave O'Brien"]),
        ]),
    );
    assert_eq!(o.field("authorized_name"), "Dave O'Brien");
    assert!(o.heard("Updated. Authorized person: Dave O'Brien."));
}

#[test]
fn i_typed_the_wrong_zip_goes_back_to_the_address_and_stores_nothing_else() {
    let o = replay(
        "wrong-zip",
        with(&[(
            "auth",
            &[
                "wait, I typed the wrong zip",
                "15 W 42nd St, New York, NY 10018",
                "Maria Garcia",
            ],
        )]),
    );
    assert_eq!(o.ticket()["service_address"]["zip"], "10018");
    assert_eq!(o.field("authorized_name"), "Maria Garcia");
}

#[test]
fn actually_its_verizon_changes_the_carrier_and_comes_back() {
    let o = replay(
        "actually-verizon",
        with(&[("line", &["actually it's Verizon", "business landline"])]),
    );
    assert_eq!(o.field("carrier"), "Verizon");
    assert_eq!(o.field("number_type"), "landline");
}

#[test]
fn the_second_number_is_4102_replaces_that_number() {
    let o = replay(
        "second-number",
        with(&[
            ("numbers", &["212-736-4100, 212-736-4101", "yes"]),
            ("carrier", &["the second number is 4102", "yes", "AT&T"]),
        ]),
    );
    assert_eq!(
        o.ticket()["numbers"],
        serde_json::json!(["+12127364100", "+12127364102"])
    );
}

#[test]
fn a_corrected_list_sent_again_replaces_the_list() {
    let o = replay(
        "resent-list",
        with(&[(
            "numbers",
            &[
                "212-736-4100, 212-555-01",
                "212-736-4100, 212-736-4105",
                "yes",
            ],
        )]),
    );
    assert!(!o.heard("more than once"));
    assert_eq!(
        o.ticket()["numbers"],
        serde_json::json!(["+12127364100", "+12127364105"])
    );
}

#[test]
fn after_a_partly_refused_list_no_is_not_taken_as_done() {
    let o = replay(
        "draft-no",
        with(&[(
            "numbers",
            &["212-736-4100, 911-555-1234", "no thanks", "what?", "done"],
        )]),
    );
    assert_eq!(o.ticket()["numbers"], serde_json::json!(["+12127364100"]));
    let after_no = o.reply_to("no thanks");
    assert!(after_no.contains("didn't see a phone number"), "{after_no}");
}

// ---- Questions are never answers ----

#[test]
fn a_question_at_the_email_step_is_answered_and_not_stored() {
    let o = replay(
        "email-question",
        with(&[(
            "email",
            &[
                "Actually how do I port a number out?",
                "maria@acmeplumbing.com",
            ],
        )]),
    );
    assert!(
        o.reply_to("Actually how do I port a number out?")
            .contains("new provider starts the port")
    );
    assert_eq!(o.field("email"), "maria@acmeplumbing.com");
}

#[test]
fn will_i_lose_service_is_answered_at_the_checklist() {
    let o = replay(
        "lose-service",
        with(&[("checklist", &["will I lose service?", "yes"])]),
    );
    assert!(
        o.reply_to("will I lose service?")
            .contains("11:30 AM Eastern")
    );
    assert_eq!(o.ticket()["status"], "submitted");
}

#[test]
fn what_does_partial_port_mean_is_answered_then_the_question_again() {
    let o = replay(
        "partial-question",
        with(&[("partial", &["what does partial port mean?", "no"])]),
    );
    assert!(
        o.reply_to("what does partial port mean?")
            .contains("only some of the numbers")
    );
    assert_eq!(o.ticket()["partial_port"], false);
}

#[test]
fn where_do_i_find_that_at_the_account_number_is_about_the_bill() {
    let o = replay(
        "where-find",
        with(&[("account", &["where do I find that?", "8472 1193 0045"])]),
    );
    assert!(
        o.reply_to("where do I find that?")
            .contains("top of your bill")
    );
    assert_eq!(o.ticket()["has_account_number"], true);
}

#[test]
fn whats_that_at_the_csr_question_is_about_the_csr() {
    let o = replay("csr-what", with(&[("csr", &["what's that?", "nope"])]));
    assert!(o.reply_to("what's that?").contains("carrier's own record"));
}

#[test]
fn a_carrier_question_is_not_stored_as_the_carrier() {
    let o = replay(
        "carrier-question",
        with(&[(
            "carrier",
            &[
                "wtf is a carrier",
                "idk, whoever my phone company is",
                "verizon",
            ],
        )]),
    );
    assert_eq!(o.field("carrier"), "Verizon");
}

#[test]
fn a_question_the_bot_cannot_answer_offers_a_person_and_asks_again() {
    let o = replay(
        "unknown-question",
        with(&[(
            "business",
            &["do you guys sell fax machines?", "Acme Plumbing LLC"],
        )]),
    );
    assert!(
        o.reply_to("do you guys sell fax machines?")
            .contains("agent")
    );
    assert_eq!(o.field("customer_name"), "Acme Plumbing LLC");
}

#[test]
fn how_long_and_guarantees_are_answered_mid_flow() {
    let o = replay(
        "how-long",
        with(&[(
            "date",
            &[
                "how long does the whole thing take?",
                "is the date guaranteed?",
                "what time of day does it happen?",
                "ok",
            ],
        )]),
    );
    assert!(
        o.reply_to("how long does the whole thing take?")
            .contains("1 to 3 weeks")
    );
    assert!(
        o.reply_to("is the date guaranteed?")
            .contains("No port date is guaranteed")
    );
    assert!(
        o.reply_to("what time of day does it happen?")
            .contains("11:30 AM Eastern")
    );
}

// ---- Plausible values only ----

#[test]
fn me_for_the_authorized_person_of_a_residential_account_is_the_account_holder() {
    let o = replay(
        "me-residential",
        with(&[
            ("line", &["personal landline"]),
            ("business", &["Linda Park"]),
            ("auth", &["it's me"]),
            ("sign", &["Linda Park"]),
        ]),
    );
    assert_eq!(o.field("authorized_name"), "Linda Park");
    assert!(o.heard("I've put Linda Park as the authorized person."));
    if let Some(text) = loa_text(&o) {
        assert!(!text.contains("you are me"), "{text}");
    }
}

#[test]
fn me_for_a_business_account_asks_for_the_name_itself() {
    let o = replay(
        "me-business",
        with(&[("auth", &["me", "Tom Becker"]), ("sign", &["Tom Becker"])]),
    );
    assert_eq!(o.field("authorized_name"), "Tom Becker");
}

#[test]
fn a_request_for_a_person_is_never_a_name() {
    let o = replay(
        "real-person",
        with(&[(
            "auth",
            &["can I talk to a real person", "resume", "Maria Garcia"],
        )]),
    );
    assert!(o.heard("I've asked an agent to join."));
    assert_eq!(o.field("authorized_name"), "Maria Garcia");
}

#[test]
fn same_as_my_name_is_not_a_business_name() {
    let o = replay(
        "same-as-name",
        with(&[("business", &["same as my name", "Garcia Plumbing"])]),
    );
    assert_eq!(o.field("customer_name"), "Garcia Plumbing");
}

#[test]
fn carriers_are_stored_with_their_proper_spelling() {
    for (typed, proper) in [
        ("att", "AT&T"),
        ("at and t", "AT&T"),
        ("tmobile", "T-Mobile"),
        ("comcast business", "Comcast Business"),
    ] {
        let o = replay("carrier-alias", with(&[("carrier", &[typed])]));
        assert_eq!(o.field("carrier"), proper, "{typed}");
    }
}

#[test]
fn a_misspelled_carrier_gets_did_you_mean() {
    let o = replay("verizn", with(&[("carrier", &["verizn", "yes"])]));
    assert!(o.heard("Did you mean Verizon?"));
    assert_eq!(o.field("carrier"), "Verizon");
}

#[test]
fn an_unknown_carrier_is_taken_after_the_customer_confirms_it() {
    let o = replay(
        "co-op",
        with(&[("carrier", &["Smalltown Telephone Co-op", "yes that's it"])]),
    );
    assert_eq!(o.field("carrier"), "Smalltown Telephone Co-op");
}

// ---- Yes, no and not sure in everyday words ----

#[test]
fn everyday_yes_and_no_are_understood() {
    let o = replay(
        "everyday",
        with(&[
            ("checklist", &["ugh fine yes"]),
            ("pin", &["nah"]),
            ("csr", &["don't have it"]),
            ("numbers", &["212-736-4100, 212-736-4101", "yep sure"]),
            ("partial", &["nope"]),
        ]),
    );
    assert_eq!(o.ticket()["partial_port"], false);
    assert_eq!(o.ticket()["numbers"].as_array().unwrap().len(), 2);
}

#[test]
fn i_think_so_is_a_yes() {
    let o = replay("think-so", with(&[("checklist", &["I think so"])]));
    assert_eq!(o.ticket()["status"], "submitted");
}

#[test]
fn idk_explains_why_the_question_matters_and_asks_again() {
    let o = replay("idk", with(&[("partial", &["idk", "no"])]));
    let reply = o.reply_to("idk");
    assert!(reply.contains("why I ask"), "{reply}");
    assert_eq!(o.ticket()["partial_port"], false);
}

#[test]
fn home_phone_and_cell_are_understood_as_line_types() {
    let home = replay(
        "home",
        with(&[
            ("line", &["home phone"]),
            ("business", &["Linda Park"]),
            ("auth", &["yes"]),
            ("sign", &["Linda Park"]),
        ]),
    );
    assert_eq!(home.field("number_type"), "landline");
    let cell = replay(
        "cell",
        with(&[
            ("line", &["my iPhone, business account"]),
            ("account", &["8472 1193 0045"]),
            ("partial", &["4821", "no"]),
        ]),
    );
    assert_eq!(cell.field("number_type"), "mobile");
}

#[test]
fn ill_get_it_later_skips_an_optional_question_and_is_refused_where_required() {
    let o = replay(
        "later",
        with(&[
            ("pin", &["yes", "I'll get it later"]),
            ("line", &["business mobile"]),
            ("account", &["don't have it", "8472 1193 0045"]),
            ("partial", &["4821", "no"]),
        ]),
    );
    assert!(o.heard("Mobile carriers always need the account number"));
    assert_eq!(o.ticket()["has_account_number"], true);
}

#[test]
fn i_already_cancelled_it_gets_the_restore_warning() {
    let o = replay(
        "cancelled",
        with(&[
            (
                "checklist",
                &[
                    "I already cancelled it last week",
                    "ok I called them and it's back on, yes",
                ],
            ),
            ("csr", &["skip", "yes we're ready"]),
        ]),
    );
    assert!(o.heard("restore a cancelled number"));
    assert_eq!(o.ticket()["status"], "submitted");
}

// ---- Dates in spoken forms ----

fn port_date(user: &str, said: &[&str]) -> String {
    replay(user, with(&[("date", said)])).field("requested_port_date")
}

#[test]
fn next_friday_in_two_weeks_and_the_30th_are_read() {
    // Today is Monday, November 23, 2026.
    assert_eq!(port_date("next-friday", &["next Friday"]), "2026-12-04");
    assert_eq!(port_date("two-weeks", &["in two weeks"]), "2026-12-07");
    assert_eq!(port_date("the-30th", &["the 30th"]), "2026-11-30");
    assert_eq!(
        port_date("december-first", &["December first"]),
        "2026-12-01"
    );
    assert_eq!(
        port_date("after-thanksgiving", &["the Monday after Thanksgiving"]),
        "2026-11-30"
    );
    assert_eq!(port_date("asap", &["asap please"]), "2026-11-30");
}

#[test]
fn sure_after_a_suggested_date_takes_that_date() {
    let o = replay("suggested", with(&[("date", &["Saturday Dec 5", "sure"])]));
    assert!(o.heard("How about Monday, December 7, 2026?"));
    assert_eq!(o.field("requested_port_date"), "2026-12-07");
}

#[test]
fn a_holiday_by_name_is_refused_with_the_next_valid_date() {
    let o = replay("holiday", with(&[("date", &["thanksgiving", "ok"])]));
    assert!(o.heard("Thursday, November 26, 2026"));
    assert_eq!(o.field("requested_port_date"), "2026-11-30");
}

// ---- Signature ----

#[test]
fn a_name_typed_without_accents_signs_for_the_accented_name() {
    let o = replay(
        "jose",
        with(&[
            ("line", &["personal landline"]),
            ("business", &["José Núñez"]),
            ("auth", &["yes"]),
            ("sign", &["Jose Nunez"]),
        ]),
    );
    assert_eq!(o.field("authorized_name"), "José Núñez");
    if let Some(text) = loa_text(&o) {
        assert!(text.contains("José Núñez"), "{text}");
    }
}

#[test]
fn another_persons_name_does_not_sign() {
    let o = replay(
        "not-me",
        with(&[("sign", &["Mario Garcia", "Maria Garcia"])]),
    );
    assert!(
        o.reply_to("Mario Garcia")
            .contains("must be the authorized person's name")
    );
    assert_eq!(o.ticket()["signature"]["signer_name"], "Maria Garcia");
}

// ---- After submitting ----

#[test]
fn cancel_after_submitting_is_a_request_to_the_agents_not_a_cancellation() {
    let mut script = with(&[]);
    script.push("cancel".into());
    let o = replay("cancel-after", script);
    let reply = o.reply_to("cancel");
    assert!(
        reply.contains("asked our porting team to cancel PB-10001"),
        "{reply}"
    );
    assert!(
        !reply.contains("Nothing was sent to any carrier"),
        "{reply}"
    );
    assert_eq!(o.ticket()["status"], "submitted");
    assert!(o.history().contains("cancel_requested"), "{}", o.history());
}

#[test]
fn change_the_port_date_of_a_ticket_is_recorded_for_the_agents() {
    let mut script = with(&[]);
    script.push("can you change the port date of PB-10001 to Dec 10?".into());
    let o = replay("date-after", script);
    assert!(
        o.history().contains("date_change_requested"),
        "{}",
        o.history()
    );
    assert_eq!(o.field("requested_port_date"), "2026-11-30");
}

#[test]
fn did_it_go_through_and_thanks_bye_get_proper_answers() {
    let mut script = with(&[]);
    script.push("did it go through?".into());
    script.push("thanks, bye".into());
    let o = replay("after", script);
    let status = o.reply_to("did it go through?");
    assert!(status.contains("PB-10001 (local): submitted"), "{status}");
    assert!(!status.contains("I'm portbot"), "{status}");
    assert!(o.reply_to("thanks, bye").contains("You're welcome"));
}

// ---- Frustration and tone ----

#[test]
fn frustration_gets_a_calm_answer_a_person_and_the_question_again() {
    let o = replay(
        "frustrated",
        with(&[(
            "address",
            &["this is stupid", "15 W 42nd St, New York, NY 10036"],
        )]),
    );
    let reply = o.reply_to("this is stupid");
    assert!(reply.contains("agent"), "{reply}");
    assert_eq!(o.waits_at(), None);
    assert_eq!(o.ticket()["service_address"]["street"], "15 W 42nd St");
}

#[test]
fn status_mid_flow_does_not_repeat_the_greeting() {
    let o = replay(
        "status-mid",
        with(&[("address", &["status", "15 W 42nd St, New York, NY 10036"])]),
    );
    assert!(!o.reply_to("status").contains("I'm portbot"));
}

// ---- Fewer turns ----

#[test]
fn a_plain_request_with_short_answers_takes_sixteen_answers_after_the_menu() {
    let o = replay("plain", with(&[]));
    assert_eq!(o.ticket()["status"], "submitted");
    assert!(PLAIN.len() - 1 <= 16, "{} answers", PLAIN.len() - 1);
}

#[test]
fn a_request_with_several_answers_per_message_takes_twelve_messages() {
    let script = lines(&[
        "hi, I need to port 212-736-4100 and 4101 to you, both on the same AT&T bill, business landlines",
        "yes",
        "/attach tests/fixtures/bill.pdf",
        "Nov 10",
        "yes, the PIN is 4821",
        "Acme Plumbing LLC",
        "15 W 42nd St, New York, NY 10036",
        "Maria Garcia, Office Manager",
        "8472 1193 0045, BTN 212-736-4199",
        "no",
        "asap, maria@acmeplumbing.com",
        "maria garcia",
    ]);
    assert!(script.len() <= 12);
    let o = replay("several", script);
    assert_eq!(o.ticket()["status"], "submitted");
    assert_eq!(o.field("authorized_title"), "Office Manager");
    assert_eq!(o.field("btn"), "+12127364199");
    assert_eq!(o.ticket()["has_pin"], true);
}

// ---- From a review with other people's wordings ----

#[test]
fn numbers_with_words_between_them_are_all_kept() {
    let o = replay(
        "main-and-fax",
        with(&[(
            "numbers",
            &[
                "212-736-4100 (main) and 212-736-4101 (fax)",
                "yes both on one bill",
            ],
        )]),
    );
    assert_eq!(
        o.ticket()["numbers"],
        serde_json::json!(["+12127364100", "+12127364101"])
    );
}

#[test]
fn a_number_taken_back_in_the_same_message_is_left_out() {
    let o = replay(
        "wait-no",
        with(&[
            (
                "menu",
                &[
                    "we want to move our main line 617-555-3300 wait no 617-720-3300 and fax 617-720-3301 to you, business landlines",
                ],
            ),
            ("numbers", &["yes"]),
            ("line", &[]),
        ]),
    );
    assert_eq!(
        o.ticket()["numbers"],
        serde_json::json!(["+16177203300", "+16177203301"])
    );
}

#[test]
fn words_that_are_not_names_are_refused_where_a_name_is_asked() {
    let o = replay(
        "not-names",
        with(&[(
            "auth",
            &[
                "one sec",
                "hang on",
                "tomorrow",
                "the owner",
                "Office Manager",
                "Maria Garcia",
            ],
        )]),
    );
    assert!(o.heard("No rush, take your time."));
    assert_eq!(o.field("authorized_name"), "Maria Garcia");
    let o = replay(
        "not-business",
        with(&[("business", &["december first", "AT&T", "Acme Plumbing LLC"])]),
    );
    assert_eq!(o.field("customer_name"), "Acme Plumbing LLC");
}

#[test]
fn words_are_not_taken_as_a_pin() {
    let o = replay(
        "pin-words",
        with(&[("pin", &["yes", "hang on", "verizon", "the 30th", "4821"])]),
    );
    assert_eq!(o.ticket()["has_pin"], true);
    assert!(o.heard("\"verizon\" doesn't look like a PIN"));
}

#[test]
fn no_pin_in_a_first_message_is_no_pin() {
    let o = replay(
        "no-pin-first",
        with(&[
            (
                "menu",
                &[
                    "Hi, we want to port our business landline 305-371-2200 from Comcast Business. No PIN.",
                ],
            ),
            ("pin", &[]),
            ("numbers", &[]),
            ("carrier", &[]),
            ("line", &["business landline"]),
        ]),
    );
    assert_eq!(o.ticket()["has_pin"], false);
    assert_eq!(o.field("carrier"), "Comcast Business");
}

#[test]
fn bringing_a_house_phone_to_your_company_is_not_a_business_account() {
    let o = replay(
        "your-company",
        with(&[
            (
                "menu",
                &["Hello. I would like to bring my house phone number to your company please."],
            ),
            ("line", &["personal"]),
            ("business", &["Jürgen Müller"]),
            ("auth", &["yes"]),
            ("sign", &["Jurgen Muller"]),
        ]),
    );
    assert_eq!(o.field("customer_type"), "residential");
    assert_eq!(o.field("number_type"), "landline");
}

#[test]
fn yes_all_of_them_are_moving_is_not_a_partial_port() {
    let o = replay(
        "all-moving",
        with(&[("partial", &["yes all of them are moving"])]),
    );
    assert_eq!(o.ticket()["partial_port"], false);
}

#[test]
fn titles_in_other_words_and_without_a_comma_are_split_from_the_name() {
    let o = replay(
        "dueno",
        with(&[
            ("auth", &["Pedro Alvarez, dueño"]),
            ("sign", &["Pedro Alvarez"]),
        ]),
    );
    assert_eq!(o.field("authorized_name"), "Pedro Alvarez");
    let o = replay(
        "owner-no-comma",
        with(&[("auth", &["Tom Becker owner"]), ("sign", &["Tom Becker"])]),
    );
    assert_eq!(o.field("authorized_name"), "Tom Becker");
    assert_eq!(o.field("authorized_title"), "Owner");
}

#[test]
fn after_submitting_cancel_my_port_and_a_correction_go_to_the_agents() {
    let mut script = with(&[]);
    script.push("i need to cancel my port".into());
    script.push("wait, i typed my email wrong, it's maria.g@acmeplumbing.com".into());
    let o = replay("after-more", script);
    let history = o.history();
    assert!(history.contains("cancel_requested"), "{history}");
    assert!(history.contains("change_requested"), "{history}");
    assert_eq!(o.field("email"), "maria@acmeplumbing.com");
    assert!(
        !o.reply_to("i need to cancel my port")
            .contains("Two things before we start")
    );
}

#[test]
fn a_bill_date_in_a_sentence_is_read() {
    let o = replay(
        "bill-sentence",
        with(&[(
            "bill",
            &[
                "/attach tests/fixtures/bill.pdf",
                "the bill is from november 2nd",
            ],
        )]),
    );
    assert!(!o.heard("Please attach the bill as a file"));
    assert_eq!(o.ticket()["status"], "submitted");
}

#[test]
fn a_bill_date_with_more_said_after_it_is_read_and_two_dates_are_not_guessed_between() {
    let said = "nov 10, and yeah i have the csr too";
    let o = replay(
        "bill-then-more",
        with(&[("bill", &["/attach tests/fixtures/bill.pdf", said])]),
    );
    assert!(o.reply_to(said).contains("port-out PIN"), "{}", o.reply_to(said));
    assert_eq!(o.ticket()["status"], "submitted");

    let two = "it came 11/10 and i paid it 11/20";
    let o = replay(
        "bill-two-dates",
        with(&[("bill", &["/attach tests/fixtures/bill.pdf", two, "11/10"])]),
    );
    assert!(o.reply_to(two).contains("as a date"), "{}", o.reply_to(two));
    assert!(o.reply_to("11/10").contains("port-out PIN"));
    assert_eq!(o.ticket()["status"], "submitted");
}

#[test]
fn generic_or_hedged_carrier_answers() {
    let o = replay(
        "hedged",
        with(&[(
            "carrier",
            &["the phone company", "umm its spectrum i think?", "yes"],
        )]),
    );
    assert_eq!(o.field("carrier"), "Spectrum");
    let o = replay("fi", with(&[("carrier", &["google fi"])]));
    assert_eq!(o.field("carrier"), "Google Fi");
}

#[test]
fn an_apostrophe_typed_as_a_space_still_signs() {
    let o = replay(
        "omalley",
        with(&[("auth", &["Kevin O'Malley"]), ("sign", &["kevin o malley"])]),
    );
    assert_eq!(o.field("authorized_name"), "Kevin O'Malley");
}

#[test]
fn no_my_husband_names_the_authorized_person() {
    let o = replay(
        "husband",
        with(&[
            ("line", &["personal landline"]),
            ("business", &["Thảo Nguyễn"]),
            ("auth", &["no, my husband Minh Nguyen is on the account"]),
            ("sign", &["Minh Nguyen"]),
        ]),
    );
    assert_eq!(o.field("authorized_name"), "Minh Nguyen");
}

#[test]
fn questions_get_the_topic_they_ask_about() {
    let o = replay(
        "topics",
        with(&[
            (
                "business",
                &[
                    "what do you mean exactly as on the account?",
                    "Acme Plumbing LLC",
                ],
            ),
            (
                "address",
                &[
                    "is that the same as on the bill?",
                    "15 W 42nd St, New York, NY 10036",
                ],
            ),
        ]),
    );
    assert!(
        o.reply_to("what do you mean exactly as on the account?")
            .contains("doesn't match the carrier's record")
    );
    assert!(
        o.reply_to("is that the same as on the bill?")
            .contains("where the service is")
    );
    let o = replay(
        "menu-topics",
        lines(&["my numbers are on 2 different carriers, what do i do"]),
    );
    assert!(o.heard("one request each"));
    let o = replay("menu-status", lines(&["whats the status of my port"]));
    assert!(o.heard("You don't have any port requests with us yet."));
}

#[test]
fn i_dont_have_it_is_understood_at_the_bill_and_the_pin() {
    let o = replay(
        "dont-have",
        with(&[
            ("bill", &["i dont have the bill with me"]),
            ("pin", &["I don't have it"]),
        ]),
    );
    assert!(o.heard("OK, skipped \"Bill copy\"."));
    assert!(!o.heard("We can't skip \"Port-out PIN\""));
    assert_eq!(o.ticket()["status"], "submitted");
}

#[test]
fn a_pin_given_in_words_is_kept() {
    let o = replay(
        "pin-words-ok",
        with(&[("pin", &["ok i called them, its 88213"])]),
    );
    assert_eq!(o.ticket()["has_pin"], true);
}

#[test]
fn change_a_field_to_a_value_at_the_summary() {
    let o = replay(
        "change-to",
        with(&[(
            "sign",
            &["change email to maria.g@acmeplumbing.com", "Maria Garcia"],
        )]),
    );
    assert_eq!(o.field("email"), "maria.g@acmeplumbing.com");
}

#[test]
fn frustration_at_an_upload_question_is_acknowledged() {
    let o = replay(
        "upload-frustrated",
        with(&[(
            "bill",
            &["this is taking forever, why so many questions", "skip"],
        )]),
    );
    assert!(
        o.reply_to("this is taking forever, why so many questions")
            .contains("agent")
    );
}

#[test]
fn the_zip_should_be_corrects_only_the_zip() {
    let o = replay(
        "zip-fix",
        with(&[("auth", &["oops the zip should be 10018", "Maria Garcia"])]),
    );
    assert_eq!(o.ticket()["service_address"]["zip"], "10018");
    assert_eq!(o.ticket()["service_address"]["street"], "15 W 42nd St");
}

#[test]
fn a_first_name_alone_is_asked_again_and_taken_when_typed_again() {
    let o = replay(
        "bob",
        with(&[("auth", &["Bob", "Bob Lee"]), ("sign", &["Bob Lee"])]),
    );
    assert!(o.heard("Please type the full name, first and last"));
    assert_eq!(o.field("authorized_name"), "Bob Lee");
    let o = replay(
        "mononym",
        with(&[("auth", &["Teller", "Teller"]), ("sign", &["Teller"])]),
    );
    assert_eq!(o.field("authorized_name"), "Teller");
}

#[test]
fn a_number_with_letters_for_digits_is_questioned_not_dropped() {
    let o = replay(
        "look-alike",
        with(&[(
            "numbers",
            &[
                "212-736-4100, 212-736-41O1",
                "212-736-4100, 212-736-4101",
                "yes",
            ],
        )]),
    );
    assert!(o.heard("Did you mean (212) 736-4101?"));
    assert_eq!(o.ticket()["numbers"].as_array().unwrap().len(), 2);
}

// ---- From a second review ----

#[test]
fn a_question_about_cancelling_the_old_service_is_answered_not_logged() {
    let mut script = with(&[]);
    script.push("do I need to cancel my AT&T service now?".into());
    let o = replay("old-service", script);
    assert!(!o.history().contains("cancel_requested"), "{}", o.history());
    assert!(
        o.reply_to("do I need to cancel my AT&T service now?")
            .contains("active")
    );
}

#[test]
fn sentences_about_who_is_authorized_are_not_names() {
    for said in [
        "I'm the owner",
        "let me check with my boss",
        "the guy who owns it",
    ] {
        let o = replay("who", with(&[("auth", &[said, "Maria Garcia"])]));
        assert_eq!(o.field("authorized_name"), "Maria Garcia", "{said}");
        assert_ne!(o.field("authorized_title"), "It", "{said}");
    }
}

#[test]
fn its_me_and_a_name_is_that_name() {
    let o = replay("its-me-name", with(&[("auth", &["It's me! Maria Garcia"])]));
    assert_eq!(o.field("authorized_name"), "Maria Garcia");
    let o = replay(
        "im-name-title",
        with(&[("auth", &["I'm Maria Garcia, the office manager"])]),
    );
    assert_eq!(o.field("authorized_name"), "Maria Garcia");
    assert_eq!(o.field("authorized_title"), "Office Manager");
}

#[test]
fn non_answers_are_not_business_names_and_a_label_is_not_part_of_one() {
    let o = replay(
        "biz-non-answers",
        with(&[(
            "business",
            &[
                "dunno",
                "good question",
                "the company",
                "Business name: Acme Plumbing LLC",
            ],
        )]),
    );
    assert_eq!(o.field("customer_name"), "Acme Plumbing LLC");
}

#[test]
fn a_business_name_with_the_address_after_it_gives_both() {
    let o = replay(
        "biz-address",
        with(&[
            (
                "business",
                &["Globex Corp, 200 Park Ave, New York, NY 10166"],
            ),
            ("address", &[]),
        ]),
    );
    assert_eq!(o.field("customer_name"), "Globex Corp");
    assert_eq!(o.ticket()["service_address"]["zip"], "10166");
}

#[test]
fn two_carriers_named_at_once_are_not_an_answer() {
    let o = replay(
        "two-carriers",
        with(&[("carrier", &["Verizon or AT&T", "AT&T"])]),
    );
    assert!(o.heard("You named two carriers"));
    assert_eq!(o.field("carrier"), "AT&T");
}

#[test]
fn continue_after_the_menu_picks_up_the_request() {
    let o = replay(
        "menu-continue",
        with(&[("carrier", &["menu", "let's continue", "AT&T"])]),
    );
    assert_eq!(o.field("carrier"), "AT&T");
}

#[test]
fn start_over_confirmed_with_the_choice_number() {
    let o = replay(
        "start-over-1",
        with(&[(
            "address",
            &["start over", "2", "15 W 42nd St, New York, NY 10036"],
        )]),
    );
    assert!(o.heard("OK, nothing changed."));
    assert_eq!(o.ticket()["service_address"]["zip"], "10036");
}
