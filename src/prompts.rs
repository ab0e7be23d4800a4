//! The loader: reads the bot's words from `prompts/*.toml`, has each owner check its own, and
//! composes them.
//!
//! Each owner keeps its typed words and their checks beside its code: the conversation script
//! ([`crate::conversation::script`]: `common.toml`, `port_in.toml`, `port_out.toml`, `faq.toml`,
//! `understanding.toml`), the LOA ([`crate::loa::LoaWording`]: `loa.toml`), notifications
//! ([`crate::notify::NotificationWording`]: `notifications.toml`) and the Discord adapter
//! ([`crate::discord::words::Words`]: `discord.toml`). The owners import only
//! [`crate::template`]; this module sits above them all and imports them. The command line,
//! which sits above this module, reads its own (`cli.toml`, [`crate::cli::Words`]) with
//! [`read_file`]. The copy built into the binary is used unless `PORTBOT_PROMPTS_DIR` names a
//! folder, so editing wording never needs a recompile.
//!
//! Every error names the file and the key: a missing or unknown key, a placeholder that does not
//! belong, a step that names an unknown validator or condition, a refusal code without wording.
//! No key ever falls back to showing itself.

use std::path::Path;

use crate::conversation::script::Script;
use crate::discord::words::Words as DiscordWords;
use crate::loa::LoaWording;
use crate::notify::NotificationWording;
use crate::service;
use crate::template::{Invalid, from_toml};

const BUILTIN: [(&str, &str); 9] = [
    ("common.toml", include_str!("../prompts/common.toml")),
    ("port_in.toml", include_str!("../prompts/port_in.toml")),
    ("port_out.toml", include_str!("../prompts/port_out.toml")),
    ("faq.toml", include_str!("../prompts/faq.toml")),
    (
        "understanding.toml",
        include_str!("../prompts/understanding.toml"),
    ),
    ("loa.toml", include_str!("../prompts/loa.toml")),
    (
        "notifications.toml",
        include_str!("../prompts/notifications.toml"),
    ),
    ("discord.toml", include_str!("../prompts/discord.toml")),
    ("cli.toml", include_str!("../prompts/cli.toml")),
];

/// Read from the built-in copy when `PORTBOT_PROMPTS_DIR` does not hold them, as the Discord
/// adapter did when it loaded its words itself: a folder made before they existed still works.
const OPTIONAL_IN_DIR: &[&str] = &["discord.toml", "cli.toml"];

#[derive(Debug, thiserror::Error)]
pub enum PromptsError {
    #[error("prompts/{file}: cannot read it: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("prompts/{file}: {message}")]
    Invalid { file: String, message: String },
}

impl From<Invalid> for PromptsError {
    fn from(e: Invalid) -> PromptsError {
        PromptsError::Invalid {
            file: e.file,
            message: e.message,
        }
    }
}

/// All the words, checked.
#[derive(Debug)]
pub struct Prompts {
    pub script: Script,
    pub loa: LoaWording,
    pub notifications: NotificationWording,
    pub discord: DiscordWords,
}

fn builtin_text(file: &str) -> Result<String, PromptsError> {
    BUILTIN
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, text)| text.to_string())
        .ok_or_else(|| PromptsError::Read {
            file: file.into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })
}

impl Prompts {
    /// The words built into the binary.
    pub fn builtin() -> Result<Prompts, PromptsError> {
        Prompts::from_sources(builtin_text)
    }

    /// The words in `dir`, which must hold every file (but `discord.toml`).
    pub fn from_dir(dir: &Path) -> Result<Prompts, PromptsError> {
        Prompts::from_sources(|file| read_file(Some(dir), file))
    }

    /// Loads `PORTBOT_PROMPTS_DIR` when given, otherwise the built-in copy.
    pub fn load(dir: Option<&Path>) -> Result<Prompts, PromptsError> {
        match dir {
            Some(dir) => Prompts::from_dir(dir),
            None => Prompts::builtin(),
        }
    }

    /// The words the service speaks with, and the Discord adapter's own.
    pub fn split(self) -> (service::Words, DiscordWords) {
        let words = service::Words {
            script: self.script,
            loa: self.loa,
            notifications: self.notifications,
        };
        (words, self.discord)
    }

    fn from_sources(
        read: impl Fn(&str) -> Result<String, PromptsError>,
    ) -> Result<Prompts, PromptsError> {
        fn parse<T: serde::de::DeserializeOwned>(
            read: &impl Fn(&str) -> Result<String, PromptsError>,
            file: &str,
        ) -> Result<T, PromptsError> {
            Ok(from_toml(file, &read(file)?)?)
        }
        let mut script = Script {
            common: parse(&read, "common.toml")?,
            port_in: parse(&read, "port_in.toml")?,
            port_out: parse(&read, "port_out.toml")?,
            faq: parse(&read, "faq.toml")?,
            understanding: parse(&read, "understanding.toml")?,
        };
        script.read_phrases();
        script.check()?;
        Ok(Prompts {
            script,
            loa: LoaWording::parse(&read("loa.toml")?).map_err(|e| invalid("loa.toml", e))?,
            notifications: NotificationWording::parse(&read("notifications.toml")?)
                .map_err(|e| invalid("notifications.toml", e))?,
            discord: DiscordWords::parse(&read("discord.toml")?)?,
        })
    }
}

/// The text of wording file `file`: from `dir` (`PORTBOT_PROMPTS_DIR`) when given, otherwise
/// the copy built into the binary. For the owners that read their words themselves.
pub fn read_file(dir: Option<&Path>, file: &str) -> Result<String, PromptsError> {
    let Some(dir) = dir else {
        return builtin_text(file);
    };
    let path = dir.join(file);
    if OPTIONAL_IN_DIR.contains(&file) && !path.exists() {
        return builtin_text(file);
    }
    std::fs::read_to_string(path).map_err(|source| PromptsError::Read {
        file: file.into(),
        source,
    })
}

fn invalid(file: &str, message: String) -> PromptsError {
    PromptsError::Invalid {
        file: file.into(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_prompts_load_and_pass_every_check() {
        Prompts::builtin().expect("built-in prompts are valid");
    }

    fn with_file(name: &str, text: String) -> Result<Prompts, PromptsError> {
        Prompts::from_sources(|file| {
            if file == name {
                Ok(text.clone())
            } else {
                Ok(BUILTIN
                    .iter()
                    .find(|(n, _)| *n == file)
                    .unwrap()
                    .1
                    .to_string())
            }
        })
    }

    #[test]
    fn a_choice_value_the_engine_reads_is_checked_at_start_up() {
        let port_in = BUILTIN
            .iter()
            .find(|(n, _)| *n == "port_in.toml")
            .unwrap()
            .1;
        let broken = port_in.replace("value = \"unsure\"", "value = \"dunno\"");
        let err = with_file("port_in.toml", broken).unwrap_err().to_string();
        assert!(err.contains("port_in.toml"), "{err}");
        assert!(
            err.contains("`pin_required`") && err.contains("`unsure`"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_list_of_phrases_is_a_start_up_error_naming_the_file_and_key() {
        let understanding = BUILTIN
            .iter()
            .find(|(n, _)| *n == "understanding.toml")
            .unwrap()
            .1;
        let broken = understanding.replace("frustration_strong = ", "frustration_loud = ");
        let err = with_file("understanding.toml", broken)
            .unwrap_err()
            .to_string();
        assert!(err.contains("understanding.toml"), "{err}");
        assert!(err.contains("frustration"), "{err}");
    }

    #[test]
    fn a_step_with_an_unknown_validator_is_a_start_up_error_naming_the_step() {
        let broken = BUILTIN[1]
            .1
            .replace("validator = \"carrier\"", "validator = \"no_such\"");
        let err = with_file("port_in.toml", broken).unwrap_err().to_string();
        assert!(err.contains("port_in.toml"), "{err}");
        assert!(err.contains("step `carrier`"), "{err}");
        assert!(err.contains("no_such"), "{err}");
    }

    /// Every file's words, from the built-in copy.
    fn builtin(file: &str) -> String {
        builtin_text(file).unwrap()
    }

    /// The text without the line that starts with `key =` (the first one after `table`).
    fn without(text: &str, table: &str, key: &str) -> String {
        let at = text.find(table).unwrap();
        let line = text[at..].find(&format!("\n{key} =")).unwrap() + at + 1;
        let end = text[line..].find('\n').unwrap() + line + 1;
        format!("{}{}", &text[..line], &text[end..])
    }

    #[test]
    fn a_missing_message_is_a_start_up_error_naming_the_file_and_key_never_the_key_itself() {
        for (file, table, key) in [
            ("common.toml", "[messages]", "internal_error"),
            ("port_in.toml", "[messages]", "split_requests"),
            ("discord.toml", "[messages]", "not_in_thread"),
        ] {
            let err = with_file(file, without(&builtin(file), table, key))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("prompts/{file}: ")), "{err}");
            assert!(err.contains(&format!("`messages.{key}`")), "{err}");
        }
    }

    #[test]
    fn an_unknown_message_is_a_start_up_error_naming_the_file_and_key() {
        let common = builtin("common.toml").replacen("\nempty =", "\nempty = \"x\"\nemtpy =", 1);
        let err = with_file("common.toml", common).unwrap_err().to_string();
        assert!(
            err.contains("common.toml") && err.contains("`messages.emtpy`"),
            "{err}"
        );
    }

    /// The error for the built-in `file` without its first line that starts with `start`.
    fn without_line(file: &str, start: &str) -> String {
        let text = builtin(file);
        let line = text.lines().find(|l| l.starts_with(start)).unwrap();
        with_file(file, text.replace(line, ""))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_rural_route_note_without_words_is_a_start_up_error() {
        let err = without_line("common.toml", "\"address.rural_route\" =");
        assert!(
            err.contains("common.toml") && err.contains("address.rural_route"),
            "{err}"
        );
    }

    #[test]
    fn a_step_the_customer_can_change_without_an_alias_is_a_start_up_error() {
        let err = without_line("port_in.toml", "aliases = [\"carrier\"");
        assert!(
            err.contains("port_in.toml") && err.contains("step `carrier`"),
            "{err}"
        );
        assert!(err.contains("aliases"), "{err}");
    }
}
