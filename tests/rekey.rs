//! Key rotation through the real binary: `portbot rekey` re-encrypts every PIN, account number
//! and document; afterwards the old values read with the new key and not with the old one, and a
//! wrong current key is refused before anything changes.

mod binary;

use base64::Engine;
use binary::{BUSINESS, Sandbox};

fn key(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

/// One finished request (PIN 4821, a bill, an LOA) and one conversation stopped just after its
/// PIN; returns the ticket number.
fn fill(sandbox: &Sandbox) -> String {
    let mut chat = sandbox.chat("finished");
    chat.read_turn();
    let mut last = Vec::new();
    for answer in BUSINESS {
        last = chat.say(answer);
    }
    chat.close();
    let mut chat = sandbox.chat("halfway");
    chat.read_turn();
    for answer in &BUSINESS[..6] {
        chat.say(answer);
    }
    chat.close();
    last.last().unwrap()["tickets"][0]["number"]
        .as_str()
        .unwrap()
        .to_string()
}

fn fails_with(sandbox: &Sandbox, args: &[&str], words: &str) {
    let output = sandbox.command(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} succeeded");
    assert!(stderr.contains(words), "{args:?}: {stderr}");
}

fn loa(sandbox: &Sandbox, number: &str) -> Vec<u8> {
    let out = sandbox.data_dir().join("check.pdf");
    sandbox.run(&["tickets", "loa", number, "--out", out.to_str().unwrap()]);
    std::fs::read(out).unwrap()
}

/// Finishes the halfway conversation: the PIN it gave before the rotation goes on its ticket.
fn finish_halfway(sandbox: &Sandbox) -> String {
    let mut chat = sandbox.chat("halfway");
    chat.read_turn();
    let mut last = Vec::new();
    for answer in &BUSINESS[6..] {
        last = chat.say(answer);
    }
    chat.close();
    last.last().unwrap()["tickets"][0]["number"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn rekey_moves_every_secret_to_the_new_key_and_the_old_key_stops_working() {
    let mut sandbox = Sandbox::new();
    sandbox.set("PORTBOT_SECRET_KEY", &key(1));
    let number = fill(&sandbox);
    let pdf = loa(&sandbox, &number);

    // A wrong current key is refused before anything changes.
    sandbox.set("PORTBOT_SECRET_KEY", &key(3));
    sandbox.set("PORTBOT_NEW_SECRET_KEY", &key(2));
    fails_with(&sandbox, &["rekey"], "does not match");
    sandbox.set("PORTBOT_SECRET_KEY", &key(1));
    let pin = sandbox.run(&["tickets", "reveal-pin", &number, "--agent", "alice"]);
    assert_eq!(pin.trim(), "4821");

    // The new key must differ and be a key.
    sandbox.set("PORTBOT_NEW_SECRET_KEY", &key(1));
    fails_with(&sandbox, &["rekey"], "the key in use now");
    sandbox.set("PORTBOT_NEW_SECRET_KEY", "too short");
    fails_with(&sandbox, &["rekey"], "PORTBOT_NEW_SECRET_KEY");

    sandbox.set("PORTBOT_NEW_SECRET_KEY", &key(2));
    let said = sandbox.run(&["rekey"]);
    // At least the ticket's PIN and account number and the open conversation's PIN; both bills
    // and the LOA.
    let counts: Vec<u64> = said
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(
        counts.len() >= 2 && counts[0] >= 3 && counts[1] >= 3,
        "{said}"
    );

    // The old key no longer opens anything.
    fails_with(&sandbox, &["tickets", "show", &number], "does not match");

    sandbox.set("PORTBOT_SECRET_KEY", &key(2));
    let pin = sandbox.run(&["tickets", "reveal-pin", &number, "--agent", "alice"]);
    assert_eq!(pin.trim(), "4821");
    assert_eq!(loa(&sandbox, &number), pdf, "the LOA reads back unchanged");
    let second = finish_halfway(&sandbox);
    let pin = sandbox.run(&["tickets", "reveal-pin", &second, "--agent", "alice"]);
    assert_eq!(pin.trim(), "4821", "the open conversation's PIN survived");
}

#[test]
fn rekey_with_the_key_file_generates_a_new_one_and_replaces_the_file() {
    let sandbox = Sandbox::new();
    let number = fill(&sandbox);
    let key_file = sandbox.data_dir().join("secret.key");
    let old = std::fs::read_to_string(&key_file).unwrap();

    let said = sandbox.run(&["rekey"]);
    assert!(said.contains("now holds the new key"), "{said}");
    let new = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(old.trim(), new.trim());
    assert!(!sandbox.data_dir().join("secret.key.new").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let pin = sandbox.run(&["tickets", "reveal-pin", &number, "--agent", "alice"]);
    assert_eq!(pin.trim(), "4821");

    let mut old_key = Sandbox::new();
    old_key.env = sandbox.env.clone();
    old_key.set("PORTBOT_SECRET_KEY", old.trim());
    fails_with(&old_key, &["tickets", "show", &number], "does not match");
}

#[test]
fn rekey_without_any_key_says_there_is_nothing_to_rotate() {
    let sandbox = Sandbox::new();
    fails_with(&sandbox, &["rekey"], "no key to rotate");
    assert!(!sandbox.data_dir().join("secret.key").exists());
}
