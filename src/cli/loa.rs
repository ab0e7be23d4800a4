//! `portbot loa`: Letter of Authorization tools.

use std::path::Path;

use anyhow::{Context, bail};

use super::Words;
use crate::config::Config;
use crate::loa;
use crate::prompts::Prompts;
use crate::template::fill;

/// `loa preview`: an LOA from sample data, to check the branding.
pub fn preview(
    config: &Config,
    words: &Words,
    out: &Path,
    toll_free: bool,
    numbers: usize,
) -> anyhow::Result<()> {
    if numbers == 0 {
        bail!(words.errors.no_numbers.clone());
    }
    let prompts = Prompts::load(config.prompts_dir.as_deref())?;
    let pdf = loa::preview_pdf(toll_free, numbers, &config.provider, &prompts.loa)?;
    let path = out.display().to_string();
    std::fs::write(out, &pdf)
        .with_context(|| fill(&words.errors.cannot_write, &[("path", &path)]))?;
    let wrote = [("path", path), ("bytes", pdf.len().to_string())];
    println!("{}", fill(&words.tickets.wrote_pdf, &wrote));
    Ok(())
}
