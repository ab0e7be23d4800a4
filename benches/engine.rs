//! The conversation engine on its own (no database): one answer, a whole request from the menu
//! to the summary, a help request, and the state's JSON round trip that every turn pays.

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_group, criterion_main};
use portbot::bench::SCRIPT;
use portbot::conversation::{Engine, Input, State};
use portbot::porting::{PortCalendar, PortDateRules};
use portbot::prompts::Prompts;

fn bench(c: &mut Criterion) {
    let prompts = Prompts::builtin().expect("built-in prompts load");
    let calendar = PortCalendar::new([]);
    let engine = Engine {
        prompts: &prompts,
        calendar: &calendar,
        rules: PortDateRules::default(),
        max_upload_bytes: 10 * 1024 * 1024,
        provider_name: "Example Voice Co.",
        unprintable: portbot::loa::unprintable,
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap();
    let answer = |state: State, text: &str| engine.step(state, Input::Text(text.into()), now).state;

    // The state just before the service address, and the state at the summary.
    let (mut at_address, _) = engine.start();
    let address_index = SCRIPT
        .iter()
        .position(|a| a.contains("Madison"))
        .expect("the script has an address");
    for text in &SCRIPT[..address_index] {
        at_address = answer(at_address, text);
    }
    let at_summary = SCRIPT[address_index..]
        .iter()
        .fold(at_address.clone(), |state, text| answer(state, text));
    assert_eq!(
        at_summary.step.as_deref(),
        Some("summary"),
        "script reaches the summary"
    );

    let mut group = c.benchmark_group("engine");
    group.bench_function("one answer (service address)", |b| {
        b.iter_batched(
            || at_address.clone(),
            |state| {
                engine.step(
                    state,
                    Input::Text(black_box(SCRIPT[address_index]).into()),
                    now,
                )
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("help at the service address", |b| {
        b.iter_batched(
            || at_address.clone(),
            |state| engine.step(state, Input::Text(black_box("help").into()), now),
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(SCRIPT.len() as u64));
    group.bench_function("whole request, menu to summary", |b| {
        b.iter(|| {
            let (state, _) = engine.start();
            SCRIPT
                .iter()
                .fold(state, |state, text| answer(state, black_box(text)))
        })
    });
    group.throughput(Throughput::Elements(1));
    let json = at_summary.to_json();
    println!("state JSON at the summary: {} bytes", json.len());
    group.bench_function("state to JSON and back, at the summary", |b| {
        b.iter(|| State::from_json(&black_box(&at_summary).to_json()).expect("round trip"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
