//! The notification email address.

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};

use super::{Refusal, echo};

/// Every code [`Email::parse`] can return.
pub const REFUSAL_CODES: &[&str] = &[
    "email.empty",
    "email.no_at",
    "email.no_domain",
    "email.has_spaces",
    "email.invalid",
];

/// The longest address mail servers accept (RFC 5321 path limit).
const MAX_EMAIL_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Accepts `name@example.com` (also typed as `<name@example.com>` or `mailto:...`). The
    /// domain is lower-cased; the part before `@` is kept as typed, since some servers treat
    /// it case-sensitively.
    pub fn parse(input: &str) -> Result<Self, Refusal> {
        let trimmed = input.trim();
        let refuse = |code| Refusal::new(code).with("input", echo(trimmed));
        if trimmed.is_empty() {
            return Err(Refusal::new("email.empty"));
        }
        let mut address = trimmed;
        if address
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
        {
            address = &address[7..];
        }
        if let Some(inner) = address.strip_prefix('<').and_then(|a| a.strip_suffix('>')) {
            address = inner;
        }
        let address = address.trim().trim_end_matches('.');
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(refuse("email.no_at"));
        };
        if address.chars().any(char::is_whitespace) {
            return Err(refuse("email.has_spaces"));
        }
        if address.chars().count() > MAX_EMAIL_CHARS || local.is_empty() {
            return Err(refuse("email.invalid"));
        }
        let domain = domain.to_lowercase();
        if !domain_looks_real(&domain) {
            return Err(refuse("email.no_domain"));
        }
        let email = format!("{local}@{domain}");
        let options = Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        if EmailAddress::parse_with_options(&email, options).is_err() {
            return Err(refuse("email.invalid"));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `example.com`, `mail.example.co.uk`, `bücher.de`: dot-separated labels of letters, digits and
/// inner hyphens, ending in a top-level domain of letters (or an `xn--` one).
fn domain_looks_real(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let good_label = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = labels.last().is_some_and(|tld| {
        tld.starts_with("xn--")
            || (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
    });
    labels.len() >= 2 && labels.iter().all(good_label) && tld_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        Email::parse(input)
            .unwrap_or_else(|r| panic!("{input:?}: {r:?}"))
            .as_str()
            .to_string()
    }

    fn code(input: &str) -> &'static str {
        let r = Email::parse(input).expect_err(input);
        assert!(REFUSAL_CODES.contains(&r.code), "{}", r.code);
        r.code
    }

    #[test]
    fn an_address_is_trimmed_and_only_its_domain_lower_cased() {
        assert_eq!(ok("  Alice.Smith@Example.COM "), "Alice.Smith@example.com");
        assert_eq!(
            ok("ops+porting@mail.example.co.uk"),
            "ops+porting@mail.example.co.uk"
        );
    }

    #[test]
    fn brackets_mailto_and_a_final_period_are_tolerated() {
        assert_eq!(ok("<alice@example.com>"), "alice@example.com");
        assert_eq!(ok("mailto:alice@example.com"), "alice@example.com");
        assert_eq!(ok("alice@example.com."), "alice@example.com");
    }

    #[test]
    fn an_international_domain_is_accepted() {
        assert_eq!(ok("anna@bücher.de"), "anna@bücher.de");
    }

    #[test]
    fn an_empty_answer_is_refused_as_empty() {
        assert_eq!(code(""), "email.empty");
    }

    #[test]
    fn an_address_without_at_is_refused() {
        assert_eq!(code("alice.example.com"), "email.no_at");
        let r = Email::parse("alice").unwrap_err();
        assert_eq!(r.arg("input"), Some("alice"));
    }

    #[test]
    fn a_domain_without_a_dot_or_with_bad_labels_is_refused() {
        assert_eq!(code("alice@localhost"), "email.no_domain");
        assert_eq!(code("alice@"), "email.no_domain");
        assert_eq!(code("alice@example."), "email.no_domain");
        assert_eq!(code("alice@-example.com"), "email.no_domain");
        assert_eq!(code("alice@example..com"), "email.no_domain");
        assert_eq!(code("alice@[127.0.0.1]"), "email.no_domain");
        assert_eq!(code("alice@example.c0m"), "email.no_domain");
    }

    #[test]
    fn spaces_inside_an_address_are_refused() {
        assert_eq!(code("alice smith@example.com"), "email.has_spaces");
        assert_eq!(code("alice@example .com"), "email.has_spaces");
    }

    #[test]
    fn other_malformed_addresses_are_invalid() {
        assert_eq!(code("@example.com"), "email.invalid");
        assert_eq!(code("alice@@example.com"), "email.invalid");
        assert_eq!(code(".alice@example.com"), "email.invalid");
        assert_eq!(
            code(&format!("{}@example.com", "a".repeat(300))),
            "email.invalid"
        );
    }

    #[test]
    fn hostile_email_input_never_panics() {
        for input in [
            "@".repeat(100_000),
            "a".repeat(100_000),
            "😀@😀.😀".to_string(),
            "mailto:".to_string(),
            "<>".to_string(),
            "\u{0}a@b.com".to_string(),
        ] {
            let _ = Email::parse(&input);
        }
    }
}
