//! The notification email address.

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};

use super::{Refusal, echo};

/// Every code [`Email::parse`] can return.
pub const REFUSAL_CODES: &[&str] = &[
    "email.empty",
    "email.no_at",
    "email.no_domain",
    "email.bad_ending",
    "email.reserved_domain",
    "email.has_spaces",
    "email.invalid",
];

/// The longest address mail servers accept (RFC 5321 path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// Top-level domains reserved so that they never resolve on the internet (RFC 2606, RFC 6761,
/// RFC 6762, RFC 7686): mail sent there is lost, and every update about the port with it.
/// `example.com` is not among them: it is a real, if useless, domain that the docs use.
const RESERVED_TLDS: [&str; 6] = ["test", "invalid", "localhost", "local", "example", "onion"];

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
        match domain_shape(&domain) {
            DomainShape::Real => {}
            DomainShape::BadEnding(ending) => {
                return Err(refuse("email.bad_ending").with("ending", ending));
            }
            DomainShape::Malformed => return Err(refuse("email.no_domain")),
        }
        if let Some(tld) = domain
            .rsplit('.')
            .next()
            .filter(|t| RESERVED_TLDS.contains(t))
        {
            let tld = tld.to_string();
            return Err(refuse("email.reserved_domain").with("ending", tld));
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

enum DomainShape {
    Real,
    /// Well-formed labels, but an ending no top-level domain has (`example.c`, `example.c0m`).
    BadEnding(String),
    Malformed,
}

/// `example.com`, `mail.example.co.uk`, `bücher.de`: dot-separated labels of letters, digits and
/// inner hyphens, ending in a top-level domain of letters (or an `xn--` one).
fn domain_shape(domain: &str) -> DomainShape {
    let labels: Vec<&str> = domain.split('.').collect();
    let good_label = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(good_label) {
        return DomainShape::Malformed;
    }
    let tld = labels[labels.len() - 1];
    let tld_ok = tld.starts_with("xn--")
        || (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    if tld_ok {
        DomainShape::Real
    } else {
        DomainShape::BadEnding(tld.to_string())
    }
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
    }

    #[test]
    fn a_wrong_domain_ending_is_refused_as_a_wrong_ending() {
        let r = Email::parse("zoe@example.c").unwrap_err();
        assert_eq!(r.code, "email.bad_ending");
        assert_eq!(r.arg("ending"), Some("c"));
        assert_eq!(r.arg("input"), Some("zoe@example.c"));
        assert_eq!(code("alice@example.c0m"), "email.bad_ending");
        assert_eq!(code("alice@example.123"), "email.bad_ending");
    }

    #[test]
    fn domains_that_can_never_receive_mail_are_refused() {
        for tld in RESERVED_TLDS {
            let r = Email::parse(&format!("zoe@acmeplumbing.{tld}")).unwrap_err();
            assert_eq!(r.code, "email.reserved_domain", "{tld}");
            assert_eq!(r.arg("ending"), Some(tld));
        }
        assert_eq!(code("zoe@mail.ACME.Example"), "email.reserved_domain");
    }

    #[test]
    fn example_com_and_lookalike_endings_stay_accepted() {
        assert_eq!(ok("zoe@example.com"), "zoe@example.com");
        assert_eq!(ok("zoe@testing.tester"), "zoe@testing.tester");
        assert_eq!(ok("zoe@local.io"), "zoe@local.io");
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
