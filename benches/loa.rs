//! LOA rendering speed and size. Targets: at least 1,000 LOAs per second on one core in release,
//! at most 60 KB each.
//!
//! `render_10_numbers` is the usual case: font subsets (and their deflated programs) are cached
//! by glyph set, and most LOAs share one, since names add a letter or two to the wording's.
//! `render_10_numbers_new_glyphs` cycles through more glyph sets than the caches hold, so every
//! render subsets and deflates its fonts afresh: the worst case.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use portbot::loa::{render, sample_request};
use portbot::porting::{ProviderInfo, SignatureRecord};

fn provider() -> ProviderInfo {
    ProviderInfo {
        name: "Example Voice Co.".into(),
        address: "100 Example Ave, Suite 200, Chicago, IL 60601".into(),
        contact: "porting@example.com, (312) 448-2900".into(),
    }
}

fn bench(c: &mut Criterion) {
    let provider = provider();
    let prompts = portbot::prompts::Prompts::builtin().expect("the built-in words load");
    let wording = &prompts.loa;

    for (label, toll_free, numbers) in [
        ("10 local numbers", false, 10),
        ("10 toll-free numbers", true, 10),
        ("300 local numbers", false, 300),
    ] {
        let (request, signature) = sample_request(toll_free, numbers);
        let bytes = render(&request, &signature, &provider, wording).expect("renders");
        println!("LOA size, {label}: {} bytes", bytes.len());
    }

    let mut group = c.benchmark_group("loa");
    group.throughput(Throughput::Elements(1));

    let (request, signature) = sample_request(false, 10);
    group.bench_function("render_10_numbers", |b| {
        b.iter(|| render(black_box(&request), &signature, &provider, wording).expect("renders"))
    });

    // More distinct glyph sets than the font caches hold, so every render misses them.
    let extra: Vec<char> = ('\u{c0}'..'\u{17f}')
        .chain('\u{410}'..'\u{44f}')
        .chain('\u{3b1}'..'\u{3c9}')
        .collect();
    let variants: Vec<_> = (0..1000)
        .map(|i| {
            let (mut request, _) = sample_request(false, 10);
            request.customer_name.push(' ');
            request.customer_name.push(extra[i % extra.len()]);
            request
                .customer_name
                .push(extra[(i / extra.len() * 7 + i * 3 + 1) % extra.len()]);
            let signature = SignatureRecord::sign(
                &request,
                &request.authorized_name,
                "discord:418826015320457216",
                chrono::DateTime::UNIX_EPOCH,
                "PT-2026-00417",
                1,
            );
            (request, signature)
        })
        .collect();
    let mut next = 0;
    group.bench_function("render_10_numbers_new_glyphs", |b| {
        b.iter(|| {
            let (request, signature) = &variants[next % variants.len()];
            next += 1;
            render(request, signature, &provider, wording).expect("renders")
        })
    });

    let (request, signature) = sample_request(false, 300);
    group.bench_function("render_300_numbers", |b| {
        b.iter(|| render(&request, &signature, &provider, wording).expect("renders"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
