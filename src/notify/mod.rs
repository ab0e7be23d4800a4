//! Notifications: what to tell customers and agents when a ticket changes.

use crate::store::NewOutboxItem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Submitted,
    NeedsInfo,
    FocConfirmed,
    Completed,
    Cancelled,
    AgentMessage,
    Reminder,
    Expired,
    Handoff,
}

/// A change someone must be told about.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NoticeKind,
    pub ticket_number: Option<String>,
    pub conversation_id: Option<i64>,
    pub customer_platform: String,
    pub customer_id: String,
    pub email: Option<String>,
    pub values: Vec<(&'static str, String)>,
}

#[derive(Debug)]
pub struct NotificationWording {}

impl NotificationWording {
    pub fn parse(_toml_text: &str) -> Result<NotificationWording, String> {
        Ok(NotificationWording {})
    }
}

pub fn compose(_notice: &Notice, _wording: &NotificationWording) -> Vec<NewOutboxItem> {
    Vec::new()
}
