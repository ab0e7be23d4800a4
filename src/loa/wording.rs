//! The words on the LOA, read from `prompts/loa.toml` and checked when loaded: a missing text, an
//! unknown key, an unknown `{placeholder}` or a bad date format is an error naming the key.

use chrono::format::{Item, StrftimeItems};
use serde::Deserialize;

use crate::template::{from_toml, placeholders};

/// Every sentence and label printed on the LOA.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoaWording {
    pub document: DocumentWording,
    pub sections: SectionWording,
    pub labels: LabelWording,
    pub values: ValueWording,
    pub statement: StatementWording,
    pub signature: SignatureWording,
    pub footer: FooterWording,
    pub formats: FormatWording,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentWording {
    pub title: String,
    pub subtitle_local: String,
    pub subtitle_toll_free: String,
    pub reference: String,
    pub pdf_title: String,
    pub continued: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionWording {
    pub customer: String,
    pub current_service: String,
    pub provider: String,
    pub numbers_local: String,
    pub numbers_toll_free: String,
    pub authorization: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelWording {
    pub business_name: String,
    pub account_holder: String,
    pub customer_type: String,
    pub service_address: String,
    pub authorized_person: String,
    pub authorized_title: String,
    pub email: String,
    pub losing_carrier: String,
    pub losing_carrier_toll_free: String,
    pub account_number: String,
    pub btn: String,
    pub number_type: String,
    pub partial_port: String,
    pub new_btn: String,
    pub requested_port_date: String,
    pub provider_name: String,
    pub provider_address: String,
    pub provider_contact: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueWording {
    pub business: String,
    pub residential: String,
    pub landline: String,
    pub mobile: String,
    pub partial_yes: String,
    pub partial_no: String,
    pub port_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementWording {
    pub local: String,
    pub toll_free: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureWording {
    pub signature: String,
    pub printed_name: String,
    pub title: String,
    pub date_signed: String,
    pub no_title: String,
    pub electronic: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FooterWording {
    pub signed: String,
    pub request: String,
    pub hash: String,
    pub page: String,
}

/// chrono `strftime` formats.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatWording {
    pub date: String,
    pub time_utc: String,
    pub time_eastern: String,
}

impl LoaWording {
    /// Parses and checks a `loa.toml`; the loader ([`crate::prompts`]) finds the file. The error
    /// names the key that is missing or wrong.
    pub fn parse(toml_text: &str) -> Result<LoaWording, String> {
        let wording: LoaWording =
            from_toml("loa.toml", toml_text).map_err(|e| format!("loa.toml: {}", e.message))?;
        wording.check()?;
        Ok(wording)
    }

    fn check(&self) -> Result<(), String> {
        let d = &self.document;
        let v = &self.values;
        let s = &self.statement;
        let f = &self.footer;
        let request = &["request_id", "loa_version"][..];
        let statement = &["customer", "provider", "carrier"][..];
        let templates: [(&str, &str, &[&str]); 11] = [
            ("document.reference", &d.reference, request),
            ("document.pdf_title", &d.pdf_title, &["request_id"]),
            (
                "sections.numbers_local",
                &self.sections.numbers_local,
                &["count"],
            ),
            (
                "sections.numbers_toll_free",
                &self.sections.numbers_toll_free,
                &["count"],
            ),
            ("values.port_date", &v.port_date, &["date"]),
            ("statement.local", &s.local, statement),
            ("statement.toll_free", &s.toll_free, statement),
            ("footer.signed", &f.signed, &["signer_id", "utc", "eastern"]),
            ("footer.request", &f.request, request),
            ("footer.hash", &f.hash, &["sha256"]),
            ("footer.page", &f.page, &["page", "pages"]),
        ];
        for (key, text, allowed) in templates {
            for name in placeholders(text) {
                if !allowed.contains(&name) {
                    return Err(format!(
                        "loa.toml: `{key}` uses {{{name}}}, which is not one of: {}",
                        allowed
                            .iter()
                            .map(|a| format!("{{{a}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
        for (key, name) in [
            ("footer.hash", "sha256"),
            ("footer.page", "page"),
            ("footer.page", "pages"),
            ("footer.signed", "signer_id"),
        ] {
            let text = templates.iter().find(|t| t.0 == key).map_or("", |t| t.1);
            if !placeholders(text).any(|p| p == name) {
                return Err(format!(
                    "loa.toml: `{key}` must contain {{{name}}}: the audit footer needs it"
                ));
            }
        }
        let formats = [
            ("formats.date", &self.formats.date),
            ("formats.time_utc", &self.formats.time_utc),
            ("formats.time_eastern", &self.formats.time_eastern),
        ];
        for (key, format) in formats {
            if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
                return Err(format!(
                    "loa.toml: `{key}` is not a valid strftime format: {format:?}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_wording_loads() {
        let w = LoaWording::parse(include_str!("../../prompts/loa.toml")).unwrap();
        assert!(w.statement.local.contains("{provider}"));
        assert!(!w.statement.local.contains('\n'));
    }

    #[test]
    fn a_missing_text_is_named() {
        let text = include_str!("../../prompts/loa.toml").replace("no_title = \"Not given\"", "");
        let err = LoaWording::parse(&text).unwrap_err();
        assert!(err.contains("no_title"), "{err}");
    }

    #[test]
    fn an_unknown_placeholder_is_named() {
        let text = include_str!("../../prompts/loa.toml")
            .replace("Page {page} of {pages}", "Page {page} of {total}");
        let err = LoaWording::parse(&text).unwrap_err();
        assert!(
            err.contains("footer.page") && err.contains("{total}"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_date_format_is_named() {
        let text = include_str!("../../prompts/loa.toml")
            .replace("date = \"%B %-d, %Y\"", "date = \"%Q\"");
        let err = LoaWording::parse(&text).unwrap_err();
        assert!(err.contains("formats.date"), "{err}");
    }
}
