//! A full disk, through the real binary: the SQLite data folder is a 1 MiB tmpfs, and uploads
//! fill it. The customer gets a clear answer (their answers are safe, try again), the operator
//! a log line naming the cause, the process keeps running, and everything acknowledged before
//! is still there. Needs root to mount the tmpfs; skipped (with a note) otherwise.

mod binary;

use std::path::{Path, PathBuf};
use std::process::Command;

use binary::Sandbox;
use serde_json::Value;

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path) -> Option<Tmpfs> {
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("note: cannot mount a tmpfs here (not root?); skipping the full-disk test");
            return None;
        }
        Some(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn text(turn: &[Value]) -> String {
    turn.iter()
        .filter_map(|m| m["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn waiting_step(turn: &[Value]) -> Option<String> {
    turn.last()?["step"].as_str().map(String::from)
}

#[test]
fn a_full_disk_is_reported_clearly_and_loses_nothing_acknowledged() {
    let sandbox = Sandbox::new();
    let Some(_tmpfs) = Tmpfs::mount(sandbox.data_dir()) else {
        return;
    };
    let outside = tempfile::tempdir().unwrap();
    // A 400 KB "PDF" that does not compress: a few of these fill 2 MiB (the schema and its
    // write-ahead log take some of it; with 1 MiB the first upload may not fit).
    let big = outside.path().join("big-bill.pdf");
    let mut bytes = b"%PDF-1.4\n".to_vec();
    let mut noise = vec![0u8; 400 * 1024];
    getrandom::fill(&mut noise).unwrap();
    bytes.extend(noise);
    std::fs::write(&big, bytes).unwrap();
    let log = outside.path().join("portbot.log");

    let mut chat = sandbox.chat_logged("filler", &log);
    chat.read_turn();
    chat.say("1");
    assert_eq!(waiting_step(&chat.say("yes")).as_deref(), Some("bill_copy"));
    let attach = format!("/attach {}", big.display());
    let mut full = None;
    // Where the last acknowledged turn left the conversation.
    let mut acknowledged = "bill_copy";
    for _ in 0..8 {
        let turn = chat.say(&attach);
        if text(&turn).contains("Everything you already told me is safe") {
            full = Some(turn);
            break;
        }
        assert_eq!(
            waiting_step(&turn).as_deref(),
            Some("bill_date"),
            "{turn:?}"
        );
        acknowledged = "bill_date";
        // The log is checkpointed in the background, so the disk may fill on this turn instead.
        let back = chat.say("back");
        if text(&back).contains("Everything you already told me is safe") {
            full = Some(back);
            break;
        }
        assert_eq!(waiting_step(&back).as_deref(), Some("bill_copy"));
        acknowledged = "bill_copy";
    }
    let full = full.expect("the disk never filled");
    assert!(text(&full).contains("try again"), "{full:?}");
    assert!(chat.child.try_wait().unwrap().is_none(), "the process died");
    // The same process goes on answering.
    let turn = chat.say("help");
    assert!(!turn.is_empty());
    chat.close();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("full"), "the log does not name the cause");

    // Everything acknowledged is still there: the conversation resumes where the last
    // acknowledged turn left it (the bill question, or its date after the last stored upload).
    let mut chat = sandbox.chat("filler");
    let resumed = chat.read_turn();
    assert_eq!(
        waiting_step(&resumed).as_deref(),
        Some(acknowledged),
        "{resumed:?}"
    );
    if acknowledged == "bill_copy" {
        assert!(text(&resumed).contains("big-bill.pdf"), "{resumed:?}");
    }
    chat.close();
}
