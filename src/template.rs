//! Filling `{name}` placeholders in the bot's words. A leaf: it imports nothing from the crate,
//! so every owner of wording (the conversation script, the LOA, notifications, Discord) and the
//! loader that composes them can use it. It also holds the two things every owner's checks
//! share: [`Invalid`], a wording file's error naming the file and the key, and [`from_toml`],
//! which reads a file into its owner's typed words and names the key serde stopped at.

/// Fills `{name}` placeholders with values; unknown placeholders are left as they are. Values
/// are inserted as they are, so a value containing braces is never expanded again.
pub fn fill<V: AsRef<str>>(template: &str, args: &[(&str, V)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.split_once('}') {
            Some((name, tail)) => {
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value.as_ref()),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = tail;
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders in `text`, for the start-up checks of wording files.
pub fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

/// A wording file that fails its owner's checks: the file, and what is wrong (naming the key).
#[derive(Debug, thiserror::Error)]
#[error("prompts/{file}: {message}")]
pub struct Invalid {
    pub file: String,
    pub message: String,
}

impl Invalid {
    pub fn new(file: &str, message: impl Into<String>) -> Invalid {
        Invalid {
            file: file.to_string(),
            message: message.into(),
        }
    }
}

/// Reads `text`, the wording file `file`, into its owner's typed words. serde names only the
/// last part of a missing or unknown key; the error names the whole key (`table.key`), from the
/// table header above where the parser stopped.
pub fn from_toml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, Invalid> {
    toml::from_str(text).map_err(|e| {
        let key = e
            .span()
            .and_then(|span| key_at(text, span.start, e.message()));
        let message = match key {
            Some(key) => format!("`{key}`: {e}"),
            None => e.to_string(),
        };
        Invalid::new(file, message)
    })
}

/// The whole key a serde message ("missing field `x`", "unknown field `x`") is about, when the
/// parser stopped at byte `at`: the last table header at or above that line, then the field; or
/// the header itself when it is the unknown (or missing) table.
fn key_at(text: &str, at: usize, message: &str) -> Option<String> {
    let field = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field)?;
    let stop = text.get(..at)?.matches('\n').count();
    let header = text
        .lines()
        .take(stop + 1)
        .map(str::trim)
        .filter(|line| line.starts_with('[') && line.ends_with(']'))
        .last()
        .map(|line| line.trim_matches(|c| c == '[' || c == ']').trim());
    Some(match header {
        Some(table) if table == field || table.ends_with(&format!(".{field}")) => table.into(),
        Some(table) => format!("{table}.{field}"),
        None => field.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_placeholders_and_keeps_unknown_ones() {
        let text = fill("Hi {name}, {unknown} {name}", &[("name", "Zoë")]);
        assert_eq!(text, "Hi Zoë, {unknown} Zoë");
    }

    #[test]
    fn fill_replaces_known_names_only_once() {
        assert_eq!(
            fill("a {x} b {y} {z}", &[("x", "{y}"), ("y", "2")]),
            "a {y} b 2 {z}"
        );
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Table {
        a: String,
        b: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct File {
        first: Table,
    }

    #[test]
    fn a_missing_or_unknown_key_is_named_in_full() {
        let missing = from_toml::<File>("x.toml", "[first]\na = \"1\"\n").unwrap_err();
        assert!(missing.to_string().contains("`first.b`"), "{missing}");
        assert!(
            missing.to_string().starts_with("prompts/x.toml: "),
            "{missing}"
        );
        let unknown =
            from_toml::<File>("x.toml", "[first]\na = \"1\"\nb = \"2\"\nc = \"3\"\n").unwrap_err();
        assert!(unknown.to_string().contains("`first.c`"), "{unknown}");
        let table =
            from_toml::<File>("x.toml", "[first]\na = \"1\"\nb = \"2\"\n[second]\n").unwrap_err();
        assert!(table.to_string().contains("`second`:"), "{table}");
    }
}
