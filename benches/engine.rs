//! The conversation engine on its own (no database): one answer, a whole request from the menu
//! to the summary, a help request, messages the understanding step works hardest on (several
//! answers at once, a question, a correction), and the state's JSON round trip that every turn
//! pays. Before criterion's figures it prints the p50 and p99 of single steps, timed one by one,
//! against the 50 µs budget of a step with understanding.

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_group, criterion_main};
use portbot::conversation::{Engine, Input, State};
use portbot::porting::{PortCalendar, PortDateRules};
use portbot::prompts::Prompts;

#[path = "../src/bin/portbot-bench/script.rs"]
mod script;
use script::SCRIPT;

fn bench(c: &mut Criterion) {
    let prompts = Prompts::builtin().expect("built-in prompts load");
    let calendar = PortCalendar::new([]);
    let engine = Engine {
        prompts: &prompts.script,
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

    // Messages that go through every part of the understanding step.
    let at_numbers = SCRIPT
        .iter()
        .take_while(|a| !a.contains("312-448"))
        .fold(engine.start().0, |state, text| answer(state, text));
    assert_eq!(at_numbers.step.as_deref(), Some("numbers"));
    let hard: [(&str, &State, &str); 5] = [
        (
            "one answer (service address)",
            &at_address,
            SCRIPT[address_index],
        ),
        (
            "several answers in one message",
            &at_numbers,
            "212-736-4100 and 4101, both on the same AT&T bill, business landlines",
        ),
        (
            "a question at a free-text step",
            &at_address,
            "wait, where do I find that?",
        ),
        (
            "a correction of an earlier answer",
            &at_address,
            "actually it's Verizon",
        ),
        (
            "a sentence where a name is asked",
            &at_address,
            "can I talk to a real person",
        ),
    ];
    for (name, state, text) in hard {
        let mut times: Vec<std::time::Duration> = (0..20_000)
            .map(|_| {
                let state = state.clone();
                let started = std::time::Instant::now();
                black_box(engine.step(state, Input::Text(text.into()), now));
                started.elapsed()
            })
            .collect();
        times.sort();
        let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!(
            "engine step, {name}: p50 {:.1} µs, p99 {:.1} µs (budget: p99 under 50 µs)",
            p(0.50).as_secs_f64() * 1e6,
            p(0.99).as_secs_f64() * 1e6
        );
    }

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
    group.bench_function("several answers in one message", |b| {
        b.iter_batched(
            || at_numbers.clone(),
            |state| {
                engine.step(
                    state,
                    Input::Text(
                        black_box(
                            "212-736-4100 and 4101, both on the same AT&T bill, business landlines",
                        )
                        .into(),
                    ),
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
