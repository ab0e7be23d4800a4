//! Fictional but realistic requests, for the preview command, the tests and the benchmark.
//! Names are deliberately not ASCII; numbers avoid 555-01xx, which cannot be ported.

use chrono::{NaiveDate, TimeZone, Utc};

use crate::porting::{
    CustomerType, Email, NumberKind, NumberType, PhoneNumber, PortRequest, SignatureRecord,
    UsAddress,
};

/// A signed sample request with `numbers` numbers (local or toll-free), and its signature.
pub fn sample_request(toll_free: bool, numbers: usize) -> (PortRequest, SignatureRecord) {
    let area_codes: &[&str] = if toll_free {
        &["833", "844", "855"]
    } else {
        &["312", "773", "872"]
    };
    let list: Vec<PhoneNumber> = (0..numbers)
        .map(|i| {
            let area = area_codes[(i / 8000) % area_codes.len()];
            number(&format!("{area}448{:04}", 2000 + i % 8000))
        })
        .collect();
    let btn = list.first().cloned();
    let signed_at = Utc
        .with_ymd_and_hms(2026, 11, 23, 15, 4, 5)
        .single()
        .expect("a valid fixed time");
    let port_date = NaiveDate::from_ymd_opt(2026, 12, 7).expect("a valid fixed date");

    let (request, signer_id, request_id) = if toll_free {
        let request = PortRequest {
            kind: NumberKind::TollFree,
            numbers: list,
            carrier: "Summit Toll-Free Services (RespOrg SMT01)".into(),
            number_type: NumberType::Landline,
            customer_type: CustomerType::Business,
            customer_name: "Ελένη Imports & Distribution Inc.".into(),
            service_address: UsAddress {
                street: "400 West Market Street".into(),
                unit: Some("Floor 12".into()),
                city: "Louisville".into(),
                state: "KY".into(),
                zip: "40202".into(),
            },
            authorized_name: "Ŝtefan Ĉapek".into(),
            authorized_title: Some("Director of Operations".into()),
            btn,
            account_number: Some("TF-0098-2231".into()),
            partial_port: true,
            new_btn: Some(number("8334481990")),
            requested_port_date: port_date,
            email: email("stefan.capek@eleni-imports.example.com"),
        };
        (request, "console:stefan.capek", "PT-2026-00418")
    } else {
        let request = PortRequest {
            kind: NumberKind::Local,
            numbers: list,
            carrier: "Prairie State Telephone Company".into(),
            number_type: NumberType::Landline,
            customer_type: CustomerType::Business,
            customer_name: "Zoë Łukasiewicz Design Studio LLC".into(),
            service_address: UsAddress {
                street: "1847 North Milwaukee Avenue".into(),
                unit: Some("Suite 300".into()),
                city: "Chicago".into(),
                state: "IL".into(),
                zip: "60647-4410".into(),
            },
            authorized_name: "José Núñez".into(),
            authorized_title: Some("Office Manager".into()),
            btn,
            account_number: Some("8830 2291 0457".into()),
            partial_port: false,
            new_btn: None,
            requested_port_date: port_date,
            email: email("jose.nunez@lukasiewicz-studio.com"),
        };
        (request, "discord:418826015320457216", "PT-2026-00417")
    };
    let signature = SignatureRecord::sign(
        &request,
        &request.authorized_name,
        signer_id,
        signed_at,
        request_id,
        1,
    );
    (request, signature)
}

fn number(digits: &str) -> PhoneNumber {
    PhoneNumber::parse(digits).expect("sample numbers are valid")
}

fn email(address: &str) -> Email {
    Email::parse(address).expect("sample emails are valid")
}
