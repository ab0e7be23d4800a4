//! Email over SMTP with lettre: one pooled async transport, plain-text messages.
//!
//! `PORTBOT_SMTP_URL` takes lettre's connection URLs: `smtp://host:25` (plain, for a local relay
//! or a test server), `smtp://user:pass@host:587?tls=required` (STARTTLS, required),
//! `smtp://host:587?tls=opportunistic`, and `smtps://user:pass@host:465` (implicit TLS). TLS is
//! rustls with Mozilla's root certificates.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::store::OutboxEntry;

/// Why the mail settings cannot be used. Neither error repeats the SMTP URL (it may hold a
/// password).
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("PORTBOT_SMTP_URL: {0}")]
    Url(#[source] lettre::transport::smtp::Error),
    #[error("PORTBOT_EMAIL_FROM: {0}")]
    From(#[source] lettre::address::AddressError),
}

/// Why one email was not sent. Its text is kept on the outbox row as the last error, which the
/// agents' outbox list shows.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no recipient address")]
    NoRecipient,
    #[error("bad recipient address: {0}")]
    Recipient(#[source] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Message(#[source] lettre::error::Error),
    #[error("{0}")]
    Smtp(#[source] lettre::transport::smtp::Error),
}

/// How long one SMTP conversation may take before it counts as a failed attempt.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends notification emails.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    // The transport holds the SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Checks an SMTP URL without connecting. The error never repeats the URL (it may hold a
/// password).
pub fn check_url(url: &str) -> Result<(), lettre::transport::smtp::Error> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map(drop)
}

/// Why `url` (already checked) would send its password where others can read it: a user and
/// password over `smtp://` without `tls=required` go in plain text whenever the server offers
/// no STARTTLS (or someone in between removes the offer).
pub fn url_warning(url: &str) -> Option<&'static str> {
    let rest = url.strip_prefix("smtp://")?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let password = authority
        .rsplit_once('@')
        .is_some_and(|(user, _)| user.contains(':'));
    let tls_required = rest
        .split_once('?')
        .is_some_and(|(_, query)| query.split('&').any(|p| p == "tls=required"));
    (password && !tls_required).then_some(
        "PORTBOT_SMTP_URL sends a password over smtp:// without tls=required: it can travel in \
         plain text; use smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465",
    )
}

/// Checks a From address such as `portbot@example.com` or `Porting <porting@example.com>`.
pub fn parse_from(from: &str) -> Result<Mailbox, lettre::address::AddressError> {
    from.parse::<Mailbox>()
}

impl Mailer {
    /// A mailer for `url` (see the module doc), sending as `from`. Connects lazily.
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailSetupError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(MailSetupError::Url)?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer {
            transport,
            from: parse_from(from).map_err(MailSetupError::From)?,
        })
    }

    /// Sends one outbox email. The Message-ID is derived from the outbox row, so a resend after
    /// a crash carries the same id and mail clients can tell it is the same message.
    pub async fn send(&self, entry: &OutboxEntry) -> Result<(), MailError> {
        let item = &entry.item;
        let to: Mailbox = item
            .recipient
            .as_deref()
            .ok_or(MailError::NoRecipient)?
            .parse()
            .map_err(MailError::Recipient)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&item.subject)
            .message_id(Some(format!(
                "<portbot.outbox.{}.{}@{}>",
                entry.id,
                entry.created_at.timestamp_millis(),
                self.from.email.domain()
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(item.body.clone())
            .map_err(MailError::Message)?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(MailError::Smtp)
    }
}

#[cfg(test)]
mod tests {
    use super::url_warning;

    #[test]
    fn a_password_over_smtp_without_required_tls_is_warned_about() {
        for url in [
            "smtp://user:secret@mail.example:25",
            "smtp://user:secret@mail.example:587?tls=opportunistic",
        ] {
            assert!(url_warning(url).is_some(), "{url}");
        }
        for url in [
            "smtp://relay.internal:25",
            "smtp://user:secret@mail.example:587?tls=required",
            "smtps://user:secret@mail.example:465",
        ] {
            assert_eq!(url_warning(url), None, "{url}");
        }
        let warning = url_warning("smtp://user:secret@mail.example:25").unwrap();
        assert!(!warning.contains("secret"));
    }
}
