//! The LOA PDF, read back: the text is extracted with lopdf (pure Rust) and, when it is on the
//! PATH, with poppler's `pdftotext`, and every field, number and name must appear exactly.

use std::collections::BTreeMap;
use std::process::Command;

use chrono::{TimeZone, Utc};
use portbot::loa::{LoaError, LoaWording, preview_pdf, render, sample_request};
use portbot::porting::{PhoneNumber, PortRequest, ProviderInfo, SignatureRecord};

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;

const NAMES: [&str; 6] = [
    "Zoë Łukasiewicz",
    "José Núñez",
    "Ŝtefan Ĉapek",
    "Дмитрий Иванов",
    "Ελένη",
    "Renée O'Connor-Smith",
];

fn provider() -> ProviderInfo {
    ProviderInfo {
        name: "Example Voice Co.".into(),
        address: "100 Example Ave, Suite 200, Chicago, IL 60601".into(),
        contact: "porting@example.com, (312) 448-2900".into(),
    }
}

fn wording() -> &'static LoaWording {
    static WORDING: std::sync::LazyLock<LoaWording> =
        std::sync::LazyLock::new(|| portbot::prompts::Prompts::builtin().unwrap().loa);
    &WORDING
}

fn resign(request: &PortRequest, signer: &str) -> SignatureRecord {
    SignatureRecord::sign(
        request,
        signer,
        "discord:418826015320457216",
        Utc.with_ymd_and_hms(2026, 11, 23, 15, 4, 5).unwrap(),
        "PT-2026-00417",
        3,
    )
}

/// Any run of white space as one space, so that a value wrapped over two lines still matches.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of each page, as lopdf extracts it.
fn lopdf_pages(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).expect("lopdf reads the LOA");
    doc.get_pages()
        .keys()
        .map(|n| doc.extract_text(&[*n]).expect("lopdf extracts the text"))
        .collect()
}

fn pdftotext_available() -> bool {
    let found = Command::new("pdftotext").arg("-v").output().is_ok();
    if !found {
        eprintln!("note: pdftotext is not on PATH; checking with lopdf only");
    }
    found
}

fn pdftotext(pdf: &[u8], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("loa.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(args)
        .args(["-enc", "UTF-8"])
        .arg(&input)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("pdftotext writes UTF-8")
}

/// The whole text, squashed, from every extractor available.
fn extractions(pdf: &[u8]) -> Vec<(&'static str, String)> {
    let mut all = vec![("lopdf", squash(&lopdf_pages(pdf).concat()))];
    if pdftotext_available() {
        all.push(("pdftotext", squash(&pdftotext(pdf, &[]))));
    }
    all
}

fn assert_all_present(pdf: &[u8], expected: &[String]) {
    for (tool, text) in extractions(pdf) {
        for value in expected {
            assert!(
                text.contains(&squash(value)),
                "{tool} did not find {value:?} in:\n{text}"
            );
        }
    }
}

fn fields(request: &PortRequest, signature: &SignatureRecord) -> Vec<String> {
    let mut expected = vec![
        request.customer_name.clone(),
        request.service_address.one_line(),
        request.carrier.clone(),
        request.authorized_name.clone(),
        request.email.as_str().to_string(),
        "Business".into(),
        "Landline".into(),
        "On or after December 7, 2026".into(),
        signature.signer_name.clone(),
        signature.signer_id.clone(),
        signature.request_id.clone(),
        format!("LOA version {}", signature.loa_version),
        signature.content_sha256.clone(),
        "2026-11-23 15:04:05 UTC".into(),
        "2026-11-23 10:04:05 AM EST".into(),
        "Date signed".into(),
        "November 23, 2026".into(),
        "Example Voice Co.".into(),
        "100 Example Ave, Suite 200, Chicago, IL 60601".into(),
        "porting@example.com, (312) 448-2900".into(),
    ];
    expected.extend(request.authorized_title.clone());
    expected.extend(request.account_number.clone());
    expected.extend(request.btn.as_ref().map(PhoneNumber::national));
    expected.extend(request.new_btn.as_ref().map(PhoneNumber::national));
    expected.extend(request.numbers.iter().map(PhoneNumber::national));
    expected
}

#[test]
fn every_field_of_a_local_request_appears_in_the_text() {
    let (request, signature) = sample_request(false, 10);
    let pdf = render(&request, &signature, &provider(), wording()).unwrap();
    let mut expected = fields(&request, &signature);
    expected.push("Port of local telephone numbers".into());
    expected.push("No, all numbers are listed".into());
    expected.push(
        "I authorize Example Voice Co. to act as my agent to port the telephone numbers listed \
         above from Prairie State Telephone Company to Example Voice Co."
            .into(),
    );
    assert_all_present(&pdf, &expected);
}

#[test]
fn the_toll_free_loa_carries_the_resporg_wording_and_every_field() {
    let (request, signature) = sample_request(true, 10);
    let pdf = render(&request, &signature, &provider(), wording()).unwrap();
    let mut expected = fields(&request, &signature);
    expected.push("Change of RespOrg for toll-free numbers".into());
    expected.push("Yes, other numbers stay".into());
    expected
        .push("change the Responsible Organization (RespOrg) of these toll-free numbers".into());
    assert_all_present(&pdf, &expected);
    for (tool, text) in extractions(&pdf) {
        assert!(
            !text.contains("port the telephone numbers"),
            "{tool}: local wording on a toll-free LOA"
        );
    }
}

#[test]
fn each_non_ascii_name_prints_exactly_as_customer_signer_and_signature() {
    for name in NAMES {
        let (mut request, _) = sample_request(false, 3);
        request.customer_name = format!("{name} Holdings");
        request.authorized_name = name.to_string();
        let signature = resign(&request, name);
        let pdf = render(&request, &signature, &provider(), wording()).unwrap();
        for (tool, text) in extractions(&pdf) {
            assert!(
                text.contains(&format!("{name} Holdings")),
                "{tool} lost {name:?}: {text}"
            );
            // Printed name, signature, and the statement all carry it.
            assert!(
                text.matches(name).count() >= 3,
                "{tool}: {name:?} in {text}"
            );
        }
    }
}

#[test]
fn three_hundred_numbers_are_all_present_on_counted_pages() {
    let (request, signature) = sample_request(false, 300);
    let pdf = render(&request, &signature, &provider(), wording()).unwrap();
    let pages = lopdf_pages(&pdf);
    assert!(pages.len() > 1, "300 numbers need more than one page");
    let total = pages.len();
    for (i, page) in pages.iter().enumerate() {
        let squashed = squash(page);
        assert!(
            squashed.contains(&format!("Page {} of {total}", i + 1)),
            "page {} does not say it is page {} of {total}",
            i + 1,
            i + 1
        );
        // The header repeats on every page.
        assert!(squashed.contains("Letter of Authorization"));
        assert!(squashed.contains("Request PT-2026-00417 · LOA version 1"));
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let all = squash(&pages.concat());
    for number in &request.numbers {
        seen.insert(number.national(), all.matches(&number.national()).count());
    }
    // The BTN is printed once more, in its own box.
    let btn = request.btn.as_ref().unwrap().national();
    for (number, count) in &seen {
        let want = if *number == btn { 2 } else { 1 };
        assert_eq!(*count, want, "{number} appears {count} times");
    }
    assert_eq!(seen.len(), 300);
    if pdftotext_available() {
        let text = squash(&pdftotext(&pdf, &[]));
        for number in &request.numbers {
            assert!(
                text.contains(&number.national()),
                "pdftotext lost {}",
                number.national()
            );
        }
        assert!(text.contains(&format!("Page {total} of {total}")));
    }
}

/// Every text origin (`Tm`) in every content stream, by page.
fn text_origins(pdf: &[u8]) -> Vec<(u32, f32, f32)> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let mut origins = Vec::new();
    for (n, id) in doc.get_pages() {
        let content = doc.get_and_decode_page_content(id).unwrap();
        for op in content.operations {
            if op.operator == "Tm" || op.operator == "Td" {
                let k = op.operands.len();
                let x = op.operands[k - 2].as_float().unwrap();
                let y = op.operands[k - 1].as_float().unwrap();
                origins.push((n, x, y));
            }
        }
    }
    origins
}

/// Every word's box as pdftotext lays it out: (page, xMin, yMin, xMax, yMax, word).
fn word_boxes(pdf: &[u8]) -> Vec<(usize, f32, f32, f32, f32, String)> {
    let html = pdftotext(pdf, &["-bbox"]);
    let mut page = 0;
    let mut boxes = Vec::new();
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page") {
            page += 1;
        }
        if let Some(rest) = line.strip_prefix("<word ") {
            let attr = |name: &str| -> f32 {
                let start = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + rest[start..].find('"').unwrap();
                rest[start..end].parse().unwrap()
            };
            let word = rest[rest.find('>').unwrap() + 1..rest.find("</word>").unwrap()].to_string();
            boxes.push((
                page,
                attr("xMin"),
                attr("yMin"),
                attr("xMax"),
                attr("yMax"),
                word,
            ));
        }
    }
    boxes
}

fn assert_inside_the_page(pdf: &[u8]) {
    let origins = text_origins(pdf);
    assert!(!origins.is_empty());
    for (page, x, y) in origins {
        assert!(
            (MARGIN - 0.5..=PAGE_WIDTH - MARGIN).contains(&x)
                && (20.0..=PAGE_HEIGHT - 20.0).contains(&y),
            "text starts outside the page box on page {page}: ({x}, {y})"
        );
    }
    if pdftotext_available() {
        let boxes = word_boxes(pdf);
        assert!(!boxes.is_empty());
        for (page, x0, y0, x1, y1, word) in boxes {
            assert!(
                x0 >= MARGIN - 0.5
                    && x1 <= PAGE_WIDTH - MARGIN + 0.5
                    && y0 >= 20.0
                    && y1 <= PAGE_HEIGHT - 20.0,
                "{word:?} on page {page} is outside the margins: ({x0}, {y0}) - ({x1}, {y1})"
            );
        }
    }
}

#[test]
fn no_text_lies_outside_the_page_with_three_hundred_numbers() {
    let (request, signature) = sample_request(false, 300);
    let pdf = render(&request, &signature, &provider(), wording()).unwrap();
    assert_inside_the_page(&pdf);
}

#[test]
fn long_values_wrap_inside_their_boxes() {
    let (mut request, _) = sample_request(true, 40);
    request.customer_name =
        "Ŝtefan Ĉapek and Дмитрий Иванов International Freight Forwarding, Customs \
        Brokerage and Logistics Consolidated Holdings of North America, Incorporated"
            .into();
    request.carrier = "Consolidated Interstate Telecommunications and Long Distance Services of \
        the Great Lakes Region, d/b/a Lakes Telecom"
        .into();
    request.service_address.street =
        "12345 North Martin Luther King Junior Memorial Boulevard East \
        Frontage Road"
            .into();
    request.service_address.unit =
        Some("Building 7, Floor 14, Suite 1400-B, Receiving Dock 3".into());
    request.authorized_title =
        Some("Senior Vice President of Telecommunications and Facilities".into());
    request.account_number = Some("0012-3456-7890-1234-5678-9012-3456-7890".into());
    request.authorized_name =
        "Ελένη Παπαδοπούλου-Κωνσταντινίδου Alexandra Montgomery-Fitzgerald".into();
    let signature = resign(&request, &request.authorized_name.clone());
    let provider = ProviderInfo {
        name: "Example Voice Communications and Cloud Telephony Company of America, LLC".into(),
        address: "100 Example Avenue, Suite 2000, Attention: Number Porting Department, Chicago, IL 60601-1234".into(),
        contact: "number-porting-department@example-voice-communications.example, (312) 448-2900 extension 4".into(),
    };
    let pdf = render(&request, &signature, &provider, wording()).unwrap();
    assert_inside_the_page(&pdf);
    let text = squash(&lopdf_pages(&pdf).concat());
    for value in [
        &request.customer_name,
        &request.carrier,
        &request.service_address.one_line(),
        request.authorized_title.as_ref().unwrap(),
        request.account_number.as_ref().unwrap(),
        &request.authorized_name,
        &provider.name,
        &provider.address,
        &provider.contact,
    ] {
        assert!(
            text.contains(&squash(value)),
            "lopdf did not find {value:?}"
        );
    }
}

#[test]
fn the_same_inputs_give_byte_identical_output() {
    let (request, signature) = sample_request(false, 25);
    let first = render(&request, &signature, &provider(), wording()).unwrap();
    // Something else in between, in case any state leaks from one render into the next.
    preview_pdf(true, 300, &provider(), wording()).unwrap();
    let second = render(&request, &signature, &provider(), wording()).unwrap();
    assert!(first == second, "two renders of the same LOA differ");
}

#[test]
fn no_pin_or_passcode_is_printed() {
    for toll_free in [false, true] {
        let pdf = preview_pdf(toll_free, 10, &provider(), wording()).unwrap();
        for (tool, text) in extractions(&pdf) {
            let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
            assert!(!words.contains(&"PIN"), "{tool} found the word PIN");
            assert!(
                !text.to_lowercase().contains("passcode"),
                "{tool} found a passcode"
            );
        }
    }
}

#[test]
fn account_number_and_btn_are_left_out_when_not_given() {
    let (mut request, _) = sample_request(false, 10);
    request.account_number = None;
    request.btn = None;
    let signature = resign(&request, "José Núñez");
    let pdf = render(&request, &signature, &provider(), wording()).unwrap();
    for (tool, text) in extractions(&pdf) {
        assert!(!text.contains("Account number"), "{tool}");
        assert!(!text.contains("Billing telephone number"), "{tool}");
        assert!(text.contains("Prairie State Telephone Company"), "{tool}");
    }
}

#[test]
fn summer_signatures_show_eastern_daylight_time() {
    let (request, _) = sample_request(false, 2);
    let signature = SignatureRecord::sign(
        &request,
        "José Núñez",
        "console:jose",
        Utc.with_ymd_and_hms(2026, 7, 1, 3, 30, 0).unwrap(),
        "PT-2026-00100",
        1,
    );
    let pdf = render(&request, &signature, &provider(), wording()).unwrap();
    let text = squash(&lopdf_pages(&pdf).concat());
    assert!(text.contains("2026-07-01 03:30:00 UTC"), "{text}");
    assert!(text.contains("2026-06-30 11:30:00 PM EDT"), "{text}");
    // The date signed is the customer's (Eastern) date.
    assert!(text.contains("June 30, 2026"), "{text}");
}

#[test]
fn a_signature_over_other_content_is_refused() {
    let (mut request, signature) = sample_request(false, 10);
    request.customer_name.push_str(" Inc.");
    let err = render(&request, &signature, &provider(), wording()).unwrap_err();
    assert!(matches!(err, LoaError::SignatureMismatch { .. }), "{err}");
}

#[test]
fn a_character_the_font_lacks_is_refused_naming_the_field() {
    let (mut request, _) = sample_request(false, 2);
    request.customer_name = "田中商店".into();
    let signature = resign(&request, "José Núñez");
    let err = render(&request, &signature, &provider(), wording()).unwrap_err();
    assert!(
        matches!(
            err,
            LoaError::UnsupportedCharacter {
                field: "customer name",
                character: '田'
            }
        ),
        "{err}"
    );
}

#[test]
fn a_request_without_numbers_is_refused() {
    let err = preview_pdf(false, 0, &provider(), wording()).unwrap_err();
    assert!(matches!(err, LoaError::NoNumbers));
}

#[test]
fn an_loa_stays_under_sixty_kilobytes() {
    for (toll_free, numbers) in [(false, 10), (true, 10), (false, 300)] {
        let pdf = preview_pdf(toll_free, numbers, &provider(), wording()).unwrap();
        assert!(
            pdf.len() <= 60 * 1024,
            "{numbers} numbers: {} bytes",
            pdf.len()
        );
    }
}

#[test]
fn a_broken_wording_file_is_refused_naming_the_key() {
    let text = include_str!("../prompts/loa.toml").replace("date_signed = \"Date signed\"", "");
    let err = LoaWording::parse(&text).unwrap_err();
    assert!(err.contains("date_signed"), "{err}");
}

#[test]
fn the_fonts_are_embedded_as_subsets() {
    let pdf = preview_pdf(false, 10, &provider(), wording()).unwrap();
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let mut names = Vec::new();
    for object in doc.objects.values() {
        if let Ok(dict) = object.as_dict()
            && dict.has_type(b"FontDescriptor")
        {
            assert!(dict.has(b"FontFile2"), "every font is embedded");
            names.push(
                String::from_utf8_lossy(dict.get(b"FontName").unwrap().as_name().unwrap())
                    .to_string(),
            );
        }
    }
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in names {
        assert!(
            name.len() > 7 && name.as_bytes()[6] == b'+',
            "{name} is not marked as a subset"
        );
    }
}
