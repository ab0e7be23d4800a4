//! A catalogue of malformed answers across the steps, each with the exact answer expected: the
//! same question asked again, after the wording of one named refusal (from `prompts/`). Driven
//! through the engine itself, so the whole catalogue runs in well under a second.

mod binary;

use chrono::{DateTime, Utc};
use portbot::conversation::{Engine, Input, Reply, State};
use portbot::porting::{PortCalendar, PortDateRules};
use portbot::prompts::Prompts;

/// Uploads in the catalogue are judged against this limit.
const MAX_UPLOAD: usize = 64 * 1024;

enum Given {
    Text(String),
    File(&'static str, Vec<u8>),
}

fn t(s: &str) -> Given {
    Given::Text(s.to_string())
}

/// (step, malformed answer, refusal code or common message key that must be told)
fn catalogue() -> Vec<(&'static str, Given, &'static str)> {
    let file = |name, bytes: &[u8]| Given::File(name, bytes.to_vec());
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(MAX_UPLOAD + 1, b' ');
    vec![
        ("keep_active", t("kinda"), "answer.yes_no"),
        ("keep_active", t("perhaps later"), "answer.yes_no"),
        ("keep_active", t("I already cancelled it"), "keep_active.no"),
        (
            "keep_active",
            file("bill.pdf", b"%PDF-1.4\n"),
            "attachment_not_expected",
        ),
        ("keep_active", t("   "), "empty"),
        ("bill_copy", t("here it is"), "upload.text_instead"),
        ("bill_copy", file("bill.pdf", b""), "upload.empty"),
        (
            "bill_copy",
            Given::File("bill.pdf", big),
            "upload.too_large",
        ),
        (
            "bill_copy",
            file("bill.pdf", b"this is just text, not a PDF\n"),
            "upload.unrecognized",
        ),
        (
            "bill_copy",
            file("bill.pdf", b"PK\x03\x04\x14\x00\x00\x00zipzipzip"),
            "upload.unsupported",
        ),
        ("bill_date", t("sometime"), "date.unreadable"),
        ("bill_date", t("Feb 30"), "date.no_such_day"),
        ("bill_date", t("Dec 25 2026"), "bill_date.future"),
        ("bill_date", t("Jan 5 2025"), "bill_date.too_old"),
        ("pin_required", t("purple"), "answer.choice"),
        ("pin", t("12"), "pin.too_short"),
        ("pin", t("1234567890123456789"), "pin.too_long"),
        ("pin", t("12-34!"), "pin.bad_characters"),
        ("csr", t("the dog ate it"), "upload.text_instead"),
        ("ready", t("kinda"), "answer.yes_no"),
        ("ready", t("not yet"), "ready.no"),
        ("numbers", t("my office line"), "numbers.none"),
        ("numbers", t("312 448"), "phone.too_few_digits"),
        ("numbers", t("312448291551"), "phone.too_many_digits"),
        ("numbers", t("+44 20 7946 0958"), "phone.not_us"),
        ("numbers", t("(112) 448-2915"), "phone.area_code"),
        ("numbers", t("(312) 048-2915"), "phone.exchange"),
        ("numbers", t("(312) 911-2915"), "phone.n11"),
        ("numbers", t("(312) 555-0123"), "phone.fictional"),
        ("numbers", t("(900) 448-2915"), "phone.premium"),
        ("same_bill", t("kinda"), "answer.yes_no"),
        ("same_bill", t("no"), "same_bill.no"),
        ("carrier", t("1234"), "carrier.no_letters"),
        ("carrier", t("A"), "carrier.too_short"),
        ("carrier", Given::Text("x".repeat(200)), "carrier.too_long"),
        ("carrier", t(""), "empty"),
        ("number_type", t("satellite"), "answer.choice"),
        ("customer_type", t("government"), "answer.choice"),
        ("business_name", t("12345"), "business_name.no_letters"),
        (
            "business_name",
            Given::Text("B".repeat(300)),
            "business_name.too_long",
        ),
        (
            "service_address",
            t("PO Box 12, Chicago, IL 60601"),
            "address.po_box",
        ),
        (
            "service_address",
            t("500 W Madison St, Chicago, IL"),
            "address.no_zip",
        ),
        (
            "service_address",
            t("500 W Madison St, Chicago, ZZ 60661"),
            "address.unknown_state",
        ),
        (
            "service_address",
            t("W Madison St, Chicago, IL 60661"),
            "address.no_house_number",
        ),
        (
            "service_address",
            t("500 W Madison St, Chicago, IL 6066"),
            "address.bad_zip",
        ),
        ("authorized_name", t("Zoe 2"), "name.has_digits"),
        ("authorized_name", t("!!!"), "name.bad_characters"),
        ("authorized_name", t("yes"), "name.me"),
        ("authorized_name", t("山田太郎"), "text.unprintable"),
        ("authorized_title", t("!!!!"), "title.no_letters"),
        (
            "authorized_title",
            Given::Text("T".repeat(300)),
            "title.too_long",
        ),
        ("btn", t("the main one"), "phone.not_a_number"),
        ("btn", t("(312) 555-0150"), "phone.fictional"),
        ("account_number", t("12"), "account_number.too_short"),
        (
            "account_number",
            Given::Text("1".repeat(40)),
            "account_number.too_long",
        ),
        (
            "account_number",
            t("12#34$56"),
            "account_number.bad_characters",
        ),
        ("partial_port", t("half of them"), "answer.yes_no"),
        ("port_date", t("someday-ish"), "date.unreadable"),
        ("port_date", t("Nov 24"), "port_date.too_soon"),
        ("port_date", t("Feb 30"), "date.no_such_day"),
        ("port_date", t("Dec 5"), "port_date.weekend"),
        ("port_date", t("Dec 25"), "port_date.too_far"),
        ("port_date", t("Nov 1 2026"), "port_date.past"),
        ("email", t("zoe"), "email.no_at"),
        ("email", t("zoe@"), "email.no_domain"),
        ("email", t("zoe @acme.example"), "email.has_spaces"),
        ("summary", t("maybe"), "summary.choose"),
        ("consent", t("no"), "consent.no"),
        ("signature", t("Someone Else"), "signature.mismatch"),
    ]
}

fn input(given: &Given) -> Input {
    match given {
        Given::Text(s) => Input::Text(s.clone()),
        Given::File(name, bytes) => Input::File {
            file_name: name.to_string(),
            size: bytes.len(),
            bytes: bytes.clone(),
        },
    }
}

fn now() -> DateTime<Utc> {
    binary::NOW.parse().unwrap()
}

fn waiting(replies: &[Reply]) -> Option<&str> {
    replies.last()?.step.as_deref()
}

/// The longest fixed part of a wording: what every filled-in version of it contains.
fn fixed_part(template: &str) -> String {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        parts.push(&rest[..start]);
        rest = rest[start..]
            .find('}')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    parts.push(rest);
    parts
        .into_iter()
        .max_by_key(|p| p.len())
        .unwrap()
        .to_string()
}

#[test]
fn every_malformed_answer_is_refused_with_its_own_explanation_and_asked_again() {
    let prompts = Prompts::load(None).unwrap().script;
    let calendar = PortCalendar::new([]);
    let engine = Engine {
        prompts: &prompts,
        calendar: &calendar,
        rules: PortDateRules {
            min_days: 7,
            max_days: 30,
        },
        max_upload_bytes: MAX_UPLOAD,
        provider_name: "Example Voice Co.",
        unprintable: portbot::loa::unprintable,
    };
    // The state waiting at each step of the business script, and of one that asks the
    // questions the business script answers two at a time (or offers), one at a time.
    const ONE_AT_A_TIME: &[&str] = &[
        "1",
        "ask me one at a time",
        "yes",
        "skip",
        "no",
        "skip",
        "yes",
        "312-448-2915",
        "AT&T",
        "landline",
        "business",
        "change number type",
        "landline",
        "Acme Plumbing LLC",
        "500 W Madison St, Chicago, IL 60661",
        "Zoë Łukasiewicz",
        "change title",
        "Office Manager",
        "change btn",
        "(312) 448-2900",
    ];
    let mut at: Vec<(String, State)> = Vec::new();
    for script in [binary::BUSINESS, ONE_AT_A_TIME] {
        let (mut state, mut replies) = engine.start();
        for answer in script {
            if let Some(step) = waiting(&replies)
                && !at.iter().any(|(s, _)| s == step)
            {
                at.push((step.to_string(), state.clone()));
            }
            let given = match answer.strip_prefix("/attach ") {
                Some(path) => Given::File(
                    "bill.pdf",
                    std::fs::read(binary::manifest_path(path)).unwrap(),
                ),
                None => t(answer),
            };
            let turn = engine.step(state, input(&given), now());
            state = turn.state;
            replies = turn.replies;
        }
    }

    let catalogue = catalogue();
    let mut failures = Vec::new();
    for (step, given, code) in &catalogue {
        let (_, before) = at
            .iter()
            .find(|(s, _)| s == step)
            .unwrap_or_else(|| panic!("the script never reaches {step}"));
        // A refusal's wording (the step's own, else the common one), or a common message.
        let wordings: Vec<&str> = prompts
            .step(step)
            .and_then(|s| prompts.error_text(s, code))
            .into_iter()
            .chain(match *code {
                "empty" => Some(prompts.common.messages.empty.as_str()),
                "attachment_not_expected" => {
                    Some(prompts.common.messages.attachment_not_expected.as_str())
                }
                _ => None,
            })
            .collect();
        assert!(!wordings.is_empty(), "{code} has no wording");
        let turn = engine.step(before.clone(), input(given), now());
        let text: Vec<&str> = turn.replies.iter().map(|r| r.text.as_str()).collect();
        let text = text.join("\n");
        let told = wordings.iter().any(|w| text.contains(&fixed_part(w)));
        let asked_again = waiting(&turn.replies) == Some(step) && turn.effects.is_empty();
        if !(told && asked_again) {
            failures.push(format!(
                "{step} <- {:?}: expected {code} and the same question; got (at {:?}):\n{text}",
                match given {
                    Given::Text(s) => s.chars().take(40).collect::<String>(),
                    Given::File(n, b) => format!("file {n} ({} bytes)", b.len()),
                },
                waiting(&turn.replies)
            ));
        }
    }
    eprintln!("malformed catalogue: {} inputs", catalogue.len());
    assert!(catalogue.len() >= 60);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
