//! The operator's commands: `migrate`, `retention`, `rekey`.

use std::path::Path;

use anyhow::{Context, bail};

use crate::config::Config;
use crate::console;
use crate::secrets::{Cipher, KEY_FILE};
use crate::service::Service;

/// `portbot migrate`: opening the service applies the migrations.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    crate::app::start_service(config).await?;
    println!("Database is up to date.");
    Ok(())
}

/// `portbot retention`: deletes the uploads of tickets finished long enough ago, and the
/// terminal chat's LOA copies as old.
pub async fn retention(service: &Service) -> anyhow::Result<()> {
    console::prune_loa_copies(&service.loa_dir(), service.retention_cutoff())?;
    let purged = service.apply_retention().await?;
    if purged.is_empty() {
        println!("Nothing to delete.");
    }
    for (number, files) in purged {
        println!("{number}: {files} upload(s) deleted");
    }
    Ok(())
}

/// `portbot rekey`: see the README, "The secret key".
pub async fn rekey(config: Config) -> anyhow::Result<()> {
    let key_file = config.data_dir.join(KEY_FILE);
    let from_file = config.secret_key.is_none();
    if from_file && !key_file.exists() {
        bail!(
            "there is no key to rotate: PORTBOT_SECRET_KEY is not set and {} does not exist",
            key_file.display()
        );
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
        bail!("the new key is the key in use now; give a different PORTBOT_NEW_SECRET_KEY");
    }
    let moved = service.rekey(&new).await?;
    println!(
        "Re-encrypted {} secret(s) and {} document(s) with the new key, and checked each.",
        moved.secrets, moved.documents
    );
    settle_new_key(from_file, given.is_some(), &new_file, &key_file)
}

/// After a rekey: moves a generated key into place, or says where the operator must put it.
fn settle_new_key(
    from_file: bool,
    given: bool,
    new_file: &Path,
    key_file: &Path,
) -> anyhow::Result<()> {
    match (from_file, given) {
        (true, false) => {
            std::fs::rename(new_file, key_file).with_context(|| {
                format!(
                    "the database now uses the key in {}: move it to {} by hand",
                    new_file.display(),
                    key_file.display()
                )
            })?;
            println!("{} now holds the new key.", key_file.display());
        }
        (true, true) => println!(
            "Start every process with PORTBOT_SECRET_KEY set to the new key (the value of \
             PORTBOT_NEW_SECRET_KEY), or put it in {}.",
            key_file.display()
        ),
        (false, false) => println!(
            "The new key is in {}: set PORTBOT_SECRET_KEY to its contents for every process, \
             then delete the file.",
            new_file.display()
        ),
        (false, true) => println!(
            "Set PORTBOT_SECRET_KEY to the new key (the value of PORTBOT_NEW_SECRET_KEY) for \
             every process."
        ),
    }
    Ok(())
}
