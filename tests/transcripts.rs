//! Whole conversations replayed from readable transcript files in `tests/transcripts/`.
//!
//! Each file is what the customer would see: `you: ...` lines are what the customer typed
//! (`/attach PATH` uploads a file), `bot[step]: ...` lines are the bot's messages, `-- kill --`
//! kills the process with SIGKILL and starts it again with the same user, and `# ...` lines are
//! comments (`# user: NAME` picks the chat user). The test replays the customer's lines through
//! the real `portbot chat --json` on a fresh database and compares what the bot said with the
//! file, so a change to the flow shows up as a readable diff. `UPDATE_TRANSCRIPTS=1 cargo test
//! --test transcripts` rewrites the files; read the diff before committing it.

mod binary;

use binary::{Sandbox, manifest_path, render_turn};

fn replay(name: &str) {
    let path = manifest_path(&format!("tests/transcripts/{name}.txt"));
    let original =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sandbox = Sandbox::new();
    let mut user = name.to_string();
    let mut header = Vec::new();
    let mut script = Vec::new();
    for line in original.lines() {
        if let Some(comment) = line.strip_prefix('#') {
            if script.is_empty() {
                header.push(line.to_string());
            }
            if let Some(u) = comment.trim().strip_prefix("user:") {
                user = u.trim().to_string();
            }
        } else if let Some(input) = line.strip_prefix("you: ") {
            script.push(Some(input.to_string()));
        } else if line == "you:" {
            script.push(Some(String::new()));
        } else if line.trim() == "-- kill --" {
            script.push(None);
        }
    }

    let mut out = header;
    let mut chat = sandbox.chat(&user);
    out.extend(render_turn(&chat.read_turn(), sandbox.data_dir()));
    for step in &script {
        match step {
            Some(input) => {
                out.push(if input.is_empty() {
                    "you:".into()
                } else {
                    format!("you: {input}")
                });
                out.extend(render_turn(&chat.say(input), sandbox.data_dir()));
            }
            None => {
                chat.kill();
                out.push("-- kill --".into());
                chat = sandbox.chat(&user);
                out.extend(render_turn(&chat.read_turn(), sandbox.data_dir()));
            }
        }
    }
    chat.close();
    let actual = out.join("\n") + "\n";
    if actual != original {
        if std::env::var_os("UPDATE_TRANSCRIPTS").is_some() {
            std::fs::write(&path, &actual).expect("update transcript");
            return;
        }
        let diff = line_diff(&original, &actual);
        panic!(
            "{name}: the conversation differs from {} (set UPDATE_TRANSCRIPTS=1 to accept):\n{diff}",
            path.display()
        );
    }
}

/// The first differing lines, with a little context.
fn line_diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let first = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let from = first.saturating_sub(3);
    let mut out = String::new();
    for line in &e[from..e.len().min(first + 8)] {
        out.push_str(&format!("- {line}\n"));
    }
    for line in &a[from..a.len().min(first + 8)] {
        out.push_str(&format!("+ {line}\n"));
    }
    out
}

macro_rules! transcripts {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name));
            }
        )*
    };
}

transcripts! {
    business_landline_happy_path,
    residential_mobile_with_pin_and_account_number,
    mixed_local_and_toll_free_makes_two_tickets,
    wrong_answers_are_explained_and_asked_again,
    change_from_the_summary,
    back_goes_to_the_previous_question,
    help_explains_why_and_gives_examples,
    skip_is_refused_on_required_questions,
    resume_after_the_process_is_killed,
    port_out_question_mid_flow,
    agent_handoff_pauses_the_bot,
    cancel_and_start_over_ask_first,
}
