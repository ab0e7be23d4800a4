//! Notifications: turning a change the customer (or an agent) must hear about into outbox items,
//! and delivering them.
//!
//! A [`Notice`] is composed into items with the words in `prompts/notifications.toml`
//! ([`NotificationWording`]); the store writes them in the same transaction as the change
//! ([`crate::store::NewOutboxItem`]). The [`worker`] sends the emails with retries and backoff,
//! reminds idle customers and closes abandoned conversations. Chat notices are shown by the
//! adapters with the customer's next turn (or posted by the Discord bot).

pub mod mail;
pub mod worker;

use std::collections::BTreeMap;

use crate::prompts::{fill, placeholders};
use crate::store::{NewOutboxItem, OutboxChannel, OutboxEntry};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    Submitted,
    NeedsInfo,
    FocConfirmed,
    Completed,
    Cancelled,
    AgentMessage,
    /// The customer left a conversation unfinished.
    Reminder,
    /// An abandoned conversation was closed.
    Expired,
    /// The customer asked for an agent: goes to the agents, not the customer.
    Handoff,
    /// After submitting, the customer asked to cancel a request or change its date: goes to
    /// the agents, who decide.
    CustomerRequest,
}

impl NoticeKind {
    pub const ALL: &'static [NoticeKind] = &[
        NoticeKind::Submitted,
        NoticeKind::NeedsInfo,
        NoticeKind::FocConfirmed,
        NoticeKind::Completed,
        NoticeKind::Cancelled,
        NoticeKind::AgentMessage,
        NoticeKind::Reminder,
        NoticeKind::Expired,
        NoticeKind::Handoff,
        NoticeKind::CustomerRequest,
    ];

    /// The table in `notifications.toml`.
    pub fn as_str(self) -> &'static str {
        self.spec().table
    }

    /// The [`Notice::values`] its wording may use; pass all of them.
    pub fn placeholders(self) -> &'static [&'static str] {
        self.spec().placeholders
    }

    /// Whether a notice of this kind is also emailed when the notice has an address. Reminders
    /// and expiry happen before there is a ticket (and an address) to write to.
    pub fn emails(self) -> bool {
        self.spec().keys == CUSTOMER_KEYS
    }

    fn spec(self) -> &'static TableSpec {
        let table = match self {
            NoticeKind::Submitted => "submitted",
            NoticeKind::NeedsInfo => "needs_info",
            NoticeKind::FocConfirmed => "foc_confirmed",
            NoticeKind::Completed => "completed",
            NoticeKind::Cancelled => "cancelled",
            NoticeKind::AgentMessage => "agent_message",
            NoticeKind::Reminder => "reminder",
            NoticeKind::Expired => "expired",
            NoticeKind::Handoff => "handoff",
            NoticeKind::CustomerRequest => "customer_request",
        };
        TABLES
            .iter()
            .find(|t| t.table == table)
            .expect("every notice kind has a table spec")
    }
}

/// A change someone must be told about.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NoticeKind,
    pub ticket_number: Option<String>,
    pub conversation_id: Option<i64>,
    pub customer_platform: String,
    pub customer_id: String,
    /// The ticket's notification address.
    pub email: Option<String>,
    /// For the wording, named as in [`NoticeKind::placeholders`]: `number` (ticket), `numbers`
    /// (national format, comma-separated), `date` (long form), `reason` (a plain sentence),
    /// `fields` (the fields to correct, plain words), `message`, `summary`, ... Never a PIN or an
    /// account number.
    pub values: Vec<(&'static str, String)>,
}

/// The keys of a table, and the placeholders its texts may use.
struct TableSpec {
    table: &'static str,
    keys: &'static [&'static str],
    placeholders: &'static [&'static str],
}

const CUSTOMER_KEYS: &[&str] = &["subject", "chat", "email"];
const CHAT_KEYS: &[&str] = &["subject", "chat"];
const AGENT_KEYS: &[&str] = &["subject", "agents"];

const TABLES: &[TableSpec] = &[
    TableSpec {
        table: "submitted",
        keys: CUSTOMER_KEYS,
        placeholders: &["number", "numbers", "date"],
    },
    TableSpec {
        table: "needs_info",
        keys: CUSTOMER_KEYS,
        placeholders: &["number", "numbers", "reason", "fields"],
    },
    TableSpec {
        table: "foc_confirmed",
        keys: CUSTOMER_KEYS,
        placeholders: &["number", "numbers", "date"],
    },
    TableSpec {
        table: "completed",
        keys: CUSTOMER_KEYS,
        placeholders: &["number", "numbers"],
    },
    TableSpec {
        table: "cancelled",
        keys: CUSTOMER_KEYS,
        placeholders: &["number", "numbers", "reason"],
    },
    TableSpec {
        table: "agent_message",
        keys: CUSTOMER_KEYS,
        placeholders: &["number", "numbers", "message"],
    },
    TableSpec {
        table: "reminder",
        keys: CHAT_KEYS,
        placeholders: &["days"],
    },
    TableSpec {
        table: "expired",
        keys: CHAT_KEYS,
        placeholders: &["days"],
    },
    TableSpec {
        table: "handoff",
        keys: AGENT_KEYS,
        placeholders: &["customer", "conversation", "summary"],
    },
    TableSpec {
        table: "customer_request",
        keys: AGENT_KEYS,
        placeholders: &["customer", "number", "wish", "words"],
    },
    TableSpec {
        table: "delivery_failed",
        keys: AGENT_KEYS,
        placeholders: &["id", "channel", "number", "recipient", "attempts", "error"],
    },
    TableSpec {
        table: "email",
        keys: &["footer"],
        placeholders: &[],
    },
];

/// The words of every notification, from `prompts/notifications.toml`, checked when loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationWording {
    /// Table, then key; every table and key of [`TABLES`] is present.
    texts: BTreeMap<String, BTreeMap<String, String>>,
}

impl NotificationWording {
    /// Parses and checks a `notifications.toml`: a missing table or text, an unknown table or
    /// key, an empty text or an unknown `{placeholder}` is an error naming the key.
    pub fn parse(toml_text: &str) -> Result<NotificationWording, String> {
        let texts: BTreeMap<String, BTreeMap<String, String>> =
            toml::from_str(toml_text).map_err(|e| format!("notifications.toml: {e}"))?;
        for (table, keys) in &texts {
            let spec = TABLES
                .iter()
                .find(|t| t.table == table)
                .ok_or_else(|| format!("notifications.toml: unknown table [{table}]"))?;
            for (key, text) in keys {
                if !spec.keys.contains(&key.as_str()) {
                    return Err(format!(
                        "notifications.toml: unknown key `{table}.{key}` (expected: {})",
                        spec.keys.join(", ")
                    ));
                }
                if text.trim().is_empty() {
                    return Err(format!("notifications.toml: `{table}.{key}` is empty"));
                }
                if let Some(name) = placeholders(text).find(|p| !spec.placeholders.contains(p)) {
                    let allowed: Vec<String> = spec
                        .placeholders
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect();
                    return Err(format!(
                        "notifications.toml: `{table}.{key}` uses {{{name}}}, which is not one \
                         of: {}",
                        if allowed.is_empty() {
                            "(none)".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ));
                }
            }
        }
        for spec in TABLES {
            for key in spec.keys {
                if !texts.get(spec.table).is_some_and(|t| t.contains_key(*key)) {
                    return Err(format!(
                        "notifications.toml: `{}.{key}` is missing",
                        spec.table
                    ));
                }
            }
        }
        Ok(NotificationWording { texts })
    }

    /// A text checked at load time.
    fn text(&self, table: &str, key: &str) -> &str {
        self.texts
            .get(table)
            .and_then(|t| t.get(key))
            .map_or("", String::as_str)
    }

    /// An email body: the kind's text, then the common footer.
    fn email_body(&self, table: &str, values: &[(&str, String)]) -> String {
        format!(
            "{}\n\n{}\n",
            fill(self.text(table, "email"), values).trim_end(),
            self.text("email", "footer").trim_end()
        )
    }
}

/// The outbox items for a notice: a chat message to the customer (for a handoff, a message to
/// the agents with the summary instead), plus an email when the notice has an address and its
/// kind is emailed ([`NoticeKind::emails`]).
pub fn compose(notice: &Notice, wording: &NotificationWording) -> Vec<NewOutboxItem> {
    let table = notice.kind.as_str();
    let values: Vec<(&str, String)> = notice
        .values
        .iter()
        .map(|(name, value)| (*name, value.clone()))
        .collect();
    let subject = fill(wording.text(table, "subject"), &values);
    let item = |channel, recipient, subject: String, body: String| NewOutboxItem {
        channel,
        ticket_number: notice.ticket_number.clone(),
        conversation_id: notice.conversation_id,
        customer_platform: notice.customer_platform.clone(),
        customer_id: notice.customer_id.clone(),
        recipient,
        subject,
        body,
    };
    if matches!(
        notice.kind,
        NoticeKind::Handoff | NoticeKind::CustomerRequest
    ) {
        let body = fill(wording.text(table, "agents"), &values);
        return vec![item(OutboxChannel::Agents, None, subject, body)];
    }
    let chat = fill(wording.text(table, "chat"), &values);
    let mut items = vec![item(OutboxChannel::Chat, None, subject.clone(), chat)];
    if let Some(address) = notice.email.as_ref().filter(|_| notice.kind.emails()) {
        let body = wording.email_body(table, &values);
        items.push(item(
            OutboxChannel::Email,
            Some(address.clone()),
            subject,
            body,
        ));
    }
    items
}

/// The message that tells agents a delivery was given up after every retry.
pub fn delivery_failed(entry: &OutboxEntry, wording: &NotificationWording) -> NewOutboxItem {
    let item = &entry.item;
    let values = [
        ("id", entry.id.to_string()),
        ("channel", item.channel.as_str().to_string()),
        (
            "number",
            item.ticket_number.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "recipient",
            item.recipient
                .clone()
                .unwrap_or_else(|| format!("{}:{}", item.customer_platform, item.customer_id)),
        ),
        ("attempts", entry.attempts.to_string()),
        ("error", entry.last_error.clone().unwrap_or_default()),
    ];
    NewOutboxItem {
        channel: OutboxChannel::Agents,
        ticket_number: item.ticket_number.clone(),
        conversation_id: item.conversation_id,
        customer_platform: item.customer_platform.clone(),
        customer_id: item.customer_id.clone(),
        recipient: None,
        subject: fill(wording.text("delivery_failed", "subject"), &values),
        body: fill(wording.text("delivery_failed", "agents"), &values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILTIN: &str = include_str!("../../prompts/notifications.toml");

    fn wording() -> NotificationWording {
        NotificationWording::parse(BUILTIN).expect("built-in notifications.toml is valid")
    }

    fn notice(kind: NoticeKind, email: Option<&str>) -> Notice {
        let values = kind
            .placeholders()
            .iter()
            .map(|name| (*name, format!("<{name}>")))
            .collect();
        Notice {
            kind,
            ticket_number: Some("PB-10001".into()),
            conversation_id: Some(7),
            customer_platform: "discord".into(),
            customer_id: "42".into(),
            email: email.map(str::to_string),
            values,
        }
    }

    fn without(text: &str, key: &str) -> String {
        text.lines()
            .filter(|line| !line.starts_with(&format!("{key} =")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn every_kind_fills_every_placeholder_it_uses() {
        let wording = wording();
        for kind in NoticeKind::ALL {
            for item in compose(&notice(*kind, Some("alice@example.com")), &wording) {
                for text in [&item.subject, &item.body] {
                    assert!(
                        !text.contains('{') && !text.contains('}'),
                        "{kind:?} {}: unfilled placeholder in {text:?}",
                        item.channel
                    );
                }
            }
        }
    }

    #[test]
    fn a_status_change_with_an_address_is_a_chat_message_and_an_email() {
        let items = compose(
            &notice(NoticeKind::FocConfirmed, Some("alice@example.com")),
            &wording(),
        );
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].channel, OutboxChannel::Chat);
        assert_eq!(items[0].recipient, None);
        assert_eq!(items[1].channel, OutboxChannel::Email);
        assert_eq!(items[1].recipient.as_deref(), Some("alice@example.com"));
        for item in &items {
            assert_eq!(item.ticket_number.as_deref(), Some("PB-10001"));
            assert_eq!(item.conversation_id, Some(7));
            assert_eq!(
                (item.customer_platform.as_str(), item.customer_id.as_str()),
                ("discord", "42")
            );
        }
        let email = &items[1];
        assert!(email.subject.contains("<date>") && email.subject.contains("<number>"));
        assert!(email.body.contains("<numbers>"), "{}", email.body);
        assert!(email.body.contains("11:30 AM Eastern"), "{}", email.body);
    }

    #[test]
    fn an_email_says_which_request_and_what_to_do() {
        let wording = wording();
        let email = |kind| {
            compose(&notice(kind, Some("a@example.com")), &wording)
                .pop()
                .unwrap()
        };
        let needs_info = email(NoticeKind::NeedsInfo);
        for part in ["<number>", "<numbers>", "<reason>", "<fields>", "chat"] {
            assert!(
                needs_info.body.contains(part),
                "{part}: {}",
                needs_info.body
            );
        }
        let completed = email(NoticeKind::Completed);
        assert!(
            completed.body.contains("cancel the old service"),
            "{}",
            completed.body
        );
        let submitted = email(NoticeKind::Submitted);
        assert!(submitted.body.contains("<number>") && submitted.body.contains("<numbers>"));
    }

    #[test]
    fn without_an_address_only_the_chat_message_is_queued() {
        let items = compose(&notice(NoticeKind::Completed, None), &wording());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].channel, OutboxChannel::Chat);
    }

    #[test]
    fn reminders_and_expiry_go_to_the_chat_only() {
        for kind in [NoticeKind::Reminder, NoticeKind::Expired] {
            let items = compose(&notice(kind, Some("alice@example.com")), &wording());
            assert_eq!(items.len(), 1, "{kind:?}");
            assert_eq!(items[0].channel, OutboxChannel::Chat);
        }
    }

    #[test]
    fn a_handoff_goes_to_the_agents_with_the_summary() {
        let items = compose(
            &notice(NoticeKind::Handoff, Some("alice@example.com")),
            &wording(),
        );
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].channel, OutboxChannel::Agents);
        assert!(items[0].body.contains("<summary>"));
    }

    #[test]
    fn a_missing_text_is_an_error_naming_its_key() {
        let broken = BUILTIN.replacen("\nchat =", "\nnot_chat_anymore =", 1);
        let err = NotificationWording::parse(&without(&broken, "not_chat_anymore")).unwrap_err();
        assert!(err.contains("submitted.chat"), "{err}");
    }

    #[test]
    fn an_unknown_placeholder_is_an_error_naming_its_key() {
        let broken = BUILTIN.replacen("What happened: {reason}", "What happened: {pin}", 1);
        let err = NotificationWording::parse(&broken).unwrap_err();
        assert!(
            err.contains("needs_info.") && err.contains("{pin}"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_key_or_table_is_an_error() {
        let err = NotificationWording::parse(&format!("{BUILTIN}\n[shipped]\nchat = \"x\"\n"))
            .unwrap_err();
        assert!(err.contains("[shipped]"), "{err}");
        let err =
            NotificationWording::parse(&BUILTIN.replacen("\nchat =", "\nchta =", 1)).unwrap_err();
        assert!(err.contains("submitted.chta"), "{err}");
    }

    #[test]
    fn no_wording_asks_for_or_shows_a_pin_or_account_number() {
        for name in NoticeKind::ALL.iter().flat_map(|k| k.placeholders()) {
            assert!(!name.contains("pin") && !name.contains("account"), "{name}");
        }
    }
}
