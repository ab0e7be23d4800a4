//! `portbot bench`: runs `portbot-bench`, the bench's own binary (built beside `portbot`, so the
//! library holds no bench code), with the same arguments; its exit code is this command's.

use std::ffi::OsString;

use anyhow::{Context, bail};

use super::Words;
use crate::template::fill;

pub fn bench(args: Vec<OsString>, words: &Words) -> anyhow::Result<()> {
    let name = format!("portbot-bench{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe()?.with_file_name(name);
    let path = [("path", exe.display().to_string())];
    if !exe.exists() {
        bail!(fill(&words.errors.bench_missing, &path));
    }
    let not_started = || fill(&words.errors.bench_not_started, &path);
    let mut command = std::process::Command::new(&exe);
    command.args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // The bench takes this process's place: its output, signals and exit code are ours.
        // `exec` returns only when it could not start.
        Err(command.exec()).with_context(not_started)
    }
    #[cfg(not(unix))]
    {
        let status = command.status().with_context(not_started)?;
        std::process::exit(status.code().unwrap_or(1))
    }
}
