//! `portbot loa`: Letter of Authorization tools.

use std::path::Path;

use anyhow::{Context, bail};

use crate::config::Config;
use crate::loa;
use crate::prompts::Prompts;

/// `loa preview`: an LOA from sample data, to check the branding.
pub fn preview(config: &Config, out: &Path, toll_free: bool, numbers: usize) -> anyhow::Result<()> {
    if numbers == 0 {
        bail!("--numbers must be at least 1");
    }
    let prompts = Prompts::load(config.prompts_dir.as_deref())?;
    let pdf = loa::preview_pdf(toll_free, numbers, &config.provider, &prompts.loa)?;
    std::fs::write(out, &pdf).with_context(|| format!("writing {}", out.display()))?;
    println!("Wrote {} ({} bytes).", out.display(), pdf.len());
    Ok(())
}
