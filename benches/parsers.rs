//! Each porting parser on a typical answer and on a harder one. These run on every customer
//! message, so they should cost microseconds, far below a database round trip.

use chrono::NaiveDate;
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use portbot::porting::dates::parse_date;
use portbot::porting::phone::parse_number_list;
use portbot::porting::text::{
    names_match, parse_account_number, parse_business_name, parse_person_name, parse_pin,
    parse_yes_no,
};
use portbot::porting::{Email, PortCalendar, PortDateRules, UsAddress, YearHint};

fn bench(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date");
    let calendar = PortCalendar::new([]);
    let rules = PortDateRules::default();
    let mut group = c.benchmark_group("parsers");

    group.bench_function("numbers: two", |b| {
        b.iter(|| parse_number_list(black_box("312-448-2915, 312-448-2916")))
    });
    let fifty: String = (0..50)
        .map(|i| format!("(312) 448-{:04}", 2000 + i))
        .collect::<Vec<_>>()
        .join("; ");
    group.bench_function("numbers: fifty, mixed punctuation", |b| {
        b.iter(|| parse_number_list(black_box(&fifty)))
    });
    group.bench_function("date: ISO", |b| {
        b.iter(|| parse_date(black_box("2026-12-08"), today, YearHint::Upcoming))
    });
    group.bench_function("date: month name", |b| {
        b.iter(|| parse_date(black_box("December 8th"), today, YearHint::Upcoming))
    });
    let date = NaiveDate::from_ymd_opt(2026, 12, 8).expect("valid date");
    group.bench_function("port date rules check", |b| {
        b.iter(|| rules.check(black_box(date), today, &calendar))
    });
    group.bench_function("address: suite", |b| {
        b.iter(|| UsAddress::parse(black_box("500 W Madison St, Suite 1200, Chicago, IL 60661")))
    });
    group.bench_function("address: state name, ZIP+4", |b| {
        b.iter(|| {
            UsAddress::parse(black_box(
                "1 Main Street Apt 4B, Springfield, Illinois 62701-1234",
            ))
        })
    });
    group.bench_function("email", |b| {
        b.iter(|| Email::parse(black_box("zoe@acmeplumbing.example.com")))
    });
    group.bench_function("yes/no", |b| {
        b.iter(|| parse_yes_no(black_box("Yep, that's right")))
    });
    group.bench_function("person name", |b| {
        b.iter(|| parse_person_name(black_box("Zoë Łukasiewicz")))
    });
    group.bench_function("business name", |b| {
        b.iter(|| parse_business_name(black_box("Acme Plumbing LLC")))
    });
    group.bench_function("names match (NFKC)", |b| {
        b.iter(|| names_match(black_box("Zoë Łukasiewicz"), black_box("ZOË  łukasiewicz")))
    });
    group.bench_function("account number", |b| {
        b.iter(|| parse_account_number(black_box("8472 1193 0045")))
    });
    group.bench_function("PIN", |b| b.iter(|| parse_pin(black_box("4821"))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
