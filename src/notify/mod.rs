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

use serde::Deserialize;

use crate::store::{NewOutboxItem, OutboxChannel, OutboxEntry};
use crate::template::{fill, from_toml, placeholders};

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

    /// The [`Notice::values`] its wording may use; pass all of them.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            NoticeKind::Submitted | NoticeKind::FocConfirmed => &["number", "numbers", "date"],
            NoticeKind::NeedsInfo => &["number", "numbers", "reason", "fields"],
            NoticeKind::Completed => &["number", "numbers"],
            NoticeKind::Cancelled => &["number", "numbers", "reason"],
            NoticeKind::AgentMessage => &["number", "numbers", "message"],
            NoticeKind::Reminder | NoticeKind::Expired => &["days"],
            NoticeKind::Handoff => &["customer", "conversation", "summary"],
            NoticeKind::CustomerRequest => &["customer", "number", "wish", "words"],
        }
    }

    /// Whether a notice of this kind is also emailed when the notice has an address. Reminders
    /// and expiry happen before there is a ticket (and an address) to write to.
    pub fn emails(self) -> bool {
        matches!(
            self,
            NoticeKind::Submitted
                | NoticeKind::NeedsInfo
                | NoticeKind::FocConfirmed
                | NoticeKind::Completed
                | NoticeKind::Cancelled
                | NoticeKind::AgentMessage
        )
    }

    /// Its table in `notifications.toml`, for errors.
    fn table(self) -> &'static str {
        match self {
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
        }
    }

    /// Its words in `notifications.toml`.
    fn texts(self, w: &NotificationWording) -> Texts<'_> {
        match self {
            NoticeKind::Submitted => Texts::Customer(&w.submitted),
            NoticeKind::NeedsInfo => Texts::Customer(&w.needs_info),
            NoticeKind::FocConfirmed => Texts::Customer(&w.foc_confirmed),
            NoticeKind::Completed => Texts::Customer(&w.completed),
            NoticeKind::Cancelled => Texts::Customer(&w.cancelled),
            NoticeKind::AgentMessage => Texts::Customer(&w.agent_message),
            NoticeKind::Reminder => Texts::Chat(&w.reminder),
            NoticeKind::Expired => Texts::Chat(&w.expired),
            NoticeKind::Handoff => Texts::Agents(&w.handoff),
            NoticeKind::CustomerRequest => Texts::Agents(&w.customer_request),
        }
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

/// The words of every notification, from `prompts/notifications.toml`, checked when loaded:
/// one table per kind of notice, each with the texts its recipients get.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationWording {
    pub submitted: CustomerTexts,
    pub needs_info: CustomerTexts,
    pub foc_confirmed: CustomerTexts,
    pub completed: CustomerTexts,
    pub cancelled: CustomerTexts,
    pub agent_message: CustomerTexts,
    pub reminder: ChatTexts,
    pub expired: ChatTexts,
    pub handoff: AgentTexts,
    pub customer_request: AgentTexts,
    pub delivery_failed: AgentTexts,
    pub email: EmailTexts,
}

/// A notice the customer hears in their chat and, when there is an address, by email.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerTexts {
    pub subject: String,
    pub chat: String,
    pub email: String,
}

/// A notice for the customer's chat only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatTexts {
    pub subject: String,
    pub chat: String,
}

/// A message for the agents.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentTexts {
    pub subject: String,
    pub agents: String,
}

/// What every email ends with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailTexts {
    pub footer: String,
}

/// A kind's table.
enum Texts<'a> {
    Customer(&'a CustomerTexts),
    Chat(&'a ChatTexts),
    Agents(&'a AgentTexts),
}

impl<'a> Texts<'a> {
    fn subject(&self) -> &'a str {
        match self {
            Texts::Customer(t) => &t.subject,
            Texts::Chat(t) => &t.subject,
            Texts::Agents(t) => &t.subject,
        }
    }
}

/// The placeholders the message to agents about a failed delivery may use.
const DELIVERY_FAILED: &[&str] = &["id", "channel", "number", "recipient", "attempts", "error"];

impl NotificationWording {
    /// Parses and checks a `notifications.toml`: a missing table or text, an unknown table or
    /// key, an empty text or an unknown `{placeholder}` is an error naming the key.
    pub fn parse(toml_text: &str) -> Result<NotificationWording, String> {
        let wording: NotificationWording = from_toml("notifications.toml", toml_text)
            .map_err(|e| format!("notifications.toml: {}", e.message))?;
        for (table, key, text, allowed) in wording.texts() {
            if text.trim().is_empty() {
                return Err(format!("notifications.toml: `{table}.{key}` is empty"));
            }
            if let Some(name) = placeholders(text).find(|p| !allowed.contains(p)) {
                let allowed: Vec<String> = allowed.iter().map(|p| format!("{{{p}}}")).collect();
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
        Ok(wording)
    }

    /// Every text: its table, its key, the text and the placeholders it may use.
    fn texts(&self) -> Vec<(&'static str, &'static str, &str, &'static [&'static str])> {
        let mut all = Vec::new();
        let tables = NoticeKind::ALL
            .iter()
            .map(|kind| (kind.table(), kind.texts(self), kind.placeholders()))
            .chain([(
                "delivery_failed",
                Texts::Agents(&self.delivery_failed),
                DELIVERY_FAILED,
            )]);
        for (table, texts, allowed) in tables {
            all.push((table, "subject", texts.subject(), allowed));
            match texts {
                Texts::Customer(t) => {
                    all.push((table, "chat", t.chat.as_str(), allowed));
                    all.push((table, "email", t.email.as_str(), allowed));
                }
                Texts::Chat(t) => all.push((table, "chat", t.chat.as_str(), allowed)),
                Texts::Agents(t) => all.push((table, "agents", t.agents.as_str(), allowed)),
            }
        }
        all.push(("email", "footer", self.email.footer.as_str(), &[]));
        all
    }

    /// An email body: the kind's text, then the common footer.
    fn email_body(&self, text: &str, values: &[(&str, String)]) -> String {
        format!(
            "{}\n\n{}\n",
            fill(text, values).trim_end(),
            self.email.footer.trim_end()
        )
    }
}

/// The outbox items for a notice: a chat message to the customer (for a handoff, a message to
/// the agents with the summary instead), plus an email when the notice has an address and its
/// kind is emailed ([`NoticeKind::emails`]).
pub fn compose(notice: &Notice, wording: &NotificationWording) -> Vec<NewOutboxItem> {
    let values: Vec<(&str, String)> = notice
        .values
        .iter()
        .map(|(name, value)| (*name, value.clone()))
        .collect();
    let texts = notice.kind.texts(wording);
    let subject = fill(texts.subject(), &values);
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
    let (chat, email) = match texts {
        Texts::Agents(t) => {
            let body = fill(&t.agents, &values);
            return vec![item(OutboxChannel::Agents, None, subject, body)];
        }
        Texts::Chat(t) => (&t.chat, None),
        Texts::Customer(t) => (&t.chat, Some(&t.email)),
    };
    let chat = fill(chat, &values);
    let mut items = vec![item(OutboxChannel::Chat, None, subject.clone(), chat)];
    if let (Some(address), Some(email)) = (notice.email.as_ref(), email) {
        let body = wording.email_body(email, &values);
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
        subject: fill(&wording.delivery_failed.subject, &values),
        body: fill(&wording.delivery_failed.agents, &values),
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
