//! The operator's commands: `migrate`, `retention`, `rekey`.

use std::path::Path;

use anyhow::{Context, bail};

use super::Words;
use crate::config::Config;
use crate::console;
use crate::secrets::{Cipher, KEY_FILE};
use crate::service::Service;
use crate::template::fill;

/// `portbot migrate`: opening the service applies the migrations.
pub async fn migrate(config: Config, words: &Words) -> anyhow::Result<()> {
    crate::app::start_service(config).await?;
    println!("{}", words.operator.migrated);
    Ok(())
}

/// `portbot retention`: deletes the uploads of tickets finished long enough ago, and the
/// terminal chat's LOA copies as old.
pub async fn retention(service: &Service, words: &Words) -> anyhow::Result<()> {
    console::prune_loa_copies(&service.loa_dir(), service.retention_cutoff())?;
    let purged = service.apply_retention().await?;
    if purged.is_empty() {
        println!("{}", words.operator.nothing_to_delete);
    }
    for (number, files) in purged {
        let values = [("number", number), ("files", files.to_string())];
        println!("{}", fill(&words.operator.uploads_deleted, &values));
    }
    Ok(())
}

/// `portbot rekey`: see the README, "The secret key".
pub async fn rekey(config: Config, words: &Words) -> anyhow::Result<()> {
    let key_file = config.data_dir.join(KEY_FILE);
    let from_file = config.secret_key.is_none();
    if from_file && !key_file.exists() {
        let path = [("path", key_file.display().to_string())];
        bail!(fill(&words.errors.no_key_to_rotate, &path));
    }
    let new_file = config.data_dir.join(format!("{KEY_FILE}.new"));
    let given = std::env::var("PORTBOT_NEW_SECRET_KEY")
        .ok()
        .filter(|v| !v.trim().is_empty());
    // The new key is checked before the database is touched.
    let new = match &given {
        Some(text) => Cipher::from_base64(text).context("PORTBOT_NEW_SECRET_KEY")?,
        None => Cipher::load_or_create_file(&new_file)?.0,
    };
    // Opening the service proves the current key against the database (a wrong one stops here,
    // before anything changes).
    let service = crate::app::start_service(config).await?;
    let (current, _) = Cipher::load_or_create(
        service.config().secret_key.as_ref(),
        &service.config().data_dir,
    )?;
    if current.same_key(&new) {
        bail!(words.errors.same_key.clone());
    }
    let moved = service.rekey(&new).await?;
    let counts = [
        ("secrets", moved.secrets.to_string()),
        ("documents", moved.documents.to_string()),
    ];
    println!("{}", fill(&words.operator.rekeyed, &counts));
    settle_new_key(words, from_file, given.is_some(), &new_file, &key_file)
}

/// After a rekey: moves a generated key into place, or says where the operator must put it.
fn settle_new_key(
    words: &Words,
    from_file: bool,
    given: bool,
    new_file: &Path,
    key_file: &Path,
) -> anyhow::Result<()> {
    let w = &words.operator;
    let new = ("new", new_file.display().to_string());
    let path = ("path", key_file.display().to_string());
    let said = match (from_file, given) {
        (true, false) => {
            std::fs::rename(new_file, key_file)
                .with_context(|| fill(&words.errors.move_key_by_hand, &[new, path.clone()]))?;
            fill(&w.key_moved, &[path])
        }
        (true, true) => fill(&w.key_given_or_file, &[path]),
        (false, false) => fill(&w.key_in_new_file, &[("path", new.1)]),
        (false, true) => w.key_given.clone(),
    };
    println!("{said}");
    Ok(())
}
