//! Table-driven checks of the porting rules against readable files: every line of
//! `tests/fixtures/numbers.tsv` and `tests/fixtures/addresses.tsv` is an input and the verdict
//! the rules give it. A change to the rules or a refresh of the numbering data
//! (`scripts/refresh-numbering.py`) that changes a verdict fails here and shows as a diff of
//! those files: `UPDATE_FIXTURES=1 cargo test --test porting_table` rewrites them; read the diff
//! before committing it.

use portbot::porting::{PhoneNumber, Refusal, UsAddress};

/// `code (name=value, ...)`, leaving out the echo of the input.
fn refusal(r: &Refusal) -> String {
    let args: Vec<String> = r
        .args
        .iter()
        .filter(|(name, _)| *name != "input")
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    if args.is_empty() {
        format!("refused {}", r.code)
    } else {
        format!("refused {} ({})", r.code, args.join(", "))
    }
}

fn number_verdict(input: &str) -> String {
    match PhoneNumber::parse(input) {
        Ok(n) if n.is_confirmed() => n.e164().to_string(),
        Ok(n) => format!("{} unconfirmed", n.e164()),
        Err(r) => refusal(&r),
    }
}

fn address_verdict(input: &str) -> String {
    match UsAddress::parse(input) {
        Ok(a) => {
            let unit = a.unit.as_deref().unwrap_or("-");
            let rural = if a.is_rural_route() {
                " | rural route"
            } else {
                ""
            };
            format!(
                "{} | {unit} | {} | {} | {}{rural}",
                a.street, a.city, a.state, a.zip
            )
        }
        Err(r) => refusal(&r),
    }
}

/// Recomputes every verdict of `file` and compares the whole file, so one run shows every
/// changed line.
fn check(file: &str, verdict: fn(&str) -> String, at_least: usize) {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let original = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut rows = 0;
    let mut expected = String::new();
    for line in original.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            expected.push_str(line);
        } else {
            let input = line.split('\t').next().unwrap_or_default();
            expected.push_str(&format!("{input}\t{}", verdict(input)));
            rows += 1;
        }
        expected.push('\n');
    }
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &expected).unwrap_or_else(|e| panic!("{path}: {e}"));
        return;
    }
    assert!(rows >= at_least, "{file} has {rows} rows, want {at_least}");
    let changed: Vec<String> = original
        .lines()
        .zip(expected.lines())
        .filter(|(was, now)| was != now)
        .map(|(was, now)| format!("- {was}\n+ {now}"))
        .collect();
    assert!(
        changed.is_empty(),
        "{} verdicts in {file} changed (UPDATE_FIXTURES=1 rewrites the file):\n{}",
        changed.len(),
        changed.join("\n")
    );
}

#[test]
fn every_number_in_the_table_gets_its_recorded_verdict() {
    check("numbers.tsv", number_verdict, 200);
}

#[test]
fn every_address_in_the_table_gets_its_recorded_verdict() {
    check("addresses.tsv", address_verdict, 100);
}
