//! The terminal adapter: `portbot chat`. The customer types on stdin and the bot answers on
//! stdout, so every conversation can be rehearsed and scripted.
//!
//! Three ways to print: interactive (a terminal on both ends: numbered choices, colour, a
//! prompt), plain (piped: the same text, no escape codes) and `--json` (one object per bot
//! message, the scripting interface). A line `/attach PATH` uploads that file. The LOA of each
//! ticket a turn signs is written where its replies say, `$PORTBOT_DATA_DIR/loa/`, and
//! `portbot retention` prunes those copies.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::conversation::{Input, Reply};
use crate::service::{CreatedTicket, Customer, Service, ServiceError, TurnResult};
use crate::template::fill;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Interactive,
    Plain,
    Json,
}

/// One bot message in `--json` mode.
#[derive(Serialize)]
struct JsonMessage<'a> {
    text: &'a str,
    choices: &'a [String],
    step: Option<&'a str>,
    waiting: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    tickets: Option<&'a [CreatedTicket]>,
    /// With `--message-ids`: the line's id was handled before, so nothing was done.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
}

/// Prints bot messages in the chosen mode.
pub struct Printer<W: Write> {
    pub mode: Mode,
    pub out: W,
}

impl<W: Write> Printer<W> {
    /// Prints one turn's messages; the last one is marked as waiting for the customer.
    pub fn turn(&mut self, replies: &[Reply], tickets: &[CreatedTicket]) -> std::io::Result<()> {
        for (i, reply) in replies.iter().enumerate() {
            let last = i + 1 == replies.len();
            match self.mode {
                Mode::Json => {
                    let message = JsonMessage {
                        text: &reply.text,
                        choices: &reply.choices,
                        step: reply.step.as_deref(),
                        waiting: last,
                        tickets: (last && !tickets.is_empty()).then_some(tickets),
                        duplicate: false,
                    };
                    let line = serde_json::to_string(&message).map_err(std::io::Error::other)?;
                    writeln!(self.out, "{line}")?;
                }
                Mode::Plain => {
                    writeln!(self.out, "{}", reply.text)?;
                    for (n, choice) in reply.choices.iter().enumerate() {
                        writeln!(self.out, "  {}. {}", n + 1, choice)?;
                    }
                }
                Mode::Interactive => {
                    writeln!(self.out, "\x1b[1;36m{}\x1b[0m", reply.text)?;
                    for (n, choice) in reply.choices.iter().enumerate() {
                        writeln!(self.out, "  \x1b[33m{}.\x1b[0m {}", n + 1, choice)?;
                    }
                }
            }
        }
        if self.mode == Mode::Interactive {
            write!(self.out, "\x1b[2m> \x1b[0m")?;
        } else if self.mode == Mode::Plain && !replies.is_empty() {
            writeln!(self.out)?;
        }
        self.out.flush()
    }
}

impl<W: Write> Printer<W> {
    /// Says that a replayed message was not handled again (only `--message-ids` replays).
    fn duplicate(&mut self) -> std::io::Result<()> {
        if self.mode != Mode::Json {
            return self.turn(&[], &[]);
        }
        let message = JsonMessage {
            text: "",
            choices: &[],
            step: None,
            waiting: true,
            tickets: None,
            duplicate: true,
        };
        let line = serde_json::to_string(&message).map_err(std::io::Error::other)?;
        writeln!(self.out, "{line}")?;
        self.out.flush()
    }
}

/// Reads `/attach PATH` into an upload. Files far over the limit are not read whole: the
/// engine only needs to see that they are too large.
async fn read_attachment(path: &str, limit: usize) -> Result<Input, std::io::Error> {
    let path = expand_home(path.trim());
    let file = tokio::fs::File::open(&path).await?;
    let size = file.metadata().await?.len() as usize;
    let mut bytes = Vec::new();
    let cap = if size > limit.saturating_mul(4) {
        limit + 1
    } else {
        size
    };
    file.take(cap as u64).read_to_end(&mut bytes).await?;
    let file_name = std::path::Path::new(&path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload".into());
    Ok(Input::File {
        file_name,
        bytes,
        size,
    })
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

/// Runs the chat until end of input. Every turn is saved before its replies are printed, so a
/// kill at any moment loses nothing the bot acknowledged.
///
/// With `message_ids`, each line starts with the platform's id for it (see `portbot chat
/// --message-ids`); a line whose id was handled before prints one `"duplicate": true` message.
pub async fn run(
    service: &Service,
    customer: &Customer,
    mode: Mode,
    message_ids: bool,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut printer = Printer {
        mode,
        out: stdout.lock(),
    };
    let opening = service.open(customer).await;
    match opening {
        Ok(replies) => printer.turn(&replies, &[])?,
        Err(error) => printer.turn(&[failure_reply(service, &error)], &[])?,
    }
    let mut stdin = BufReader::new(tokio::io::stdin());
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if stdin.read_until(b'\n', &mut raw).await? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\n', '\r']);
        let (message_id, line) = match line.split_once(' ') {
            Some((id, rest)) if message_ids => (Some(id.to_string()), rest),
            _ => (None, line),
        };
        let input = match line.strip_prefix("/attach ") {
            Some(path) => match read_attachment(path, service.config().max_upload_bytes).await {
                Ok(input) => input,
                Err(error) => {
                    let text = fill(
                        &service.words().script.common.messages.attach_unreadable,
                        &[
                            ("path", path.trim().to_string()),
                            ("reason", error.to_string()),
                        ],
                    );
                    printer.turn(&[Reply::say(text)], &[])?;
                    continue;
                }
            },
            None => Input::Text(line.to_string()),
        };
        match service.turn(customer, message_id, input).await {
            Ok(result) if result.duplicate => printer.duplicate()?,
            Ok(result) => match keep_loas(&result) {
                Ok(()) => printer.turn(&result.replies, &result.tickets)?,
                Err(error) => printer.turn(&[failure_reply(service, &error)], &[])?,
            },
            Err(error) => printer.turn(&[failure_reply(service, &error)], &[])?,
        }
    }
    if mode == Mode::Interactive {
        println!();
    }
    Ok(())
}

/// What the customer sees when a turn fails; the operator gets the cause in the log.
fn failure_reply(service: &Service, error: &ServiceError) -> Reply {
    tracing::error!(%error, "turn failed");
    let messages = &service.words().script.common.messages;
    Reply::say(match error {
        ServiceError::Store(_) | ServiceError::TimedOut(_) => &messages.store_unavailable,
        _ => &messages.internal_error,
    })
}

/// Writes the LOA of each ticket the turn signed at the path its replies name.
fn keep_loas(result: &TurnResult) -> Result<(), ServiceError> {
    for ticket in &result.tickets {
        write_loa_copy(Path::new(&ticket.loa_path), &ticket.loa)?;
    }
    Ok(())
}

/// Writes an LOA copy into its folder, which only the owner may enter (a folder made by an older
/// version with the usual 0755 is tightened).
fn write_loa_copy(path: &Path, bytes: &[u8]) -> Result<(), ServiceError> {
    let err = |source| ServiceError::WriteFile {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            builder.mode(0o700);
            builder.create(dir).map_err(err)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
        }
        #[cfg(not(unix))]
        builder.create(dir).map_err(err)?;
    }
    write_private(path, bytes).map_err(err)
}

/// Writes a file that holds personal data (an LOA, an export) so that only its owner may read
/// it (0600), atomically: a temporary file beside it, created owner-only, then a rename.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Deletes the LOA copies in `dir` written before `cutoff` (the LOAs stay in the database).
pub fn prune_loa_copies(dir: &Path, cutoff: DateTime<Utc>) -> Result<(), ServiceError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ServiceError::WriteFile { path, source }
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err(dir)(e)),
    };
    for entry in entries {
        let path = entry.map_err(err(dir))?.path();
        let written: DateTime<Utc> = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .map_err(err(&path))?
            .into();
        if written < cutoff {
            std::fs::remove_file(&path).map_err(err(&path))?;
        }
    }
    Ok(())
}
