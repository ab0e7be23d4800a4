//! The values the store reads and writes: conversations, turns, transcript lines, secrets,
//! documents and tickets.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;

pub use crate::porting::TicketStatus;
use crate::porting::{NumberKind, PhoneNumber, PortRequest, SignatureRecord};

/// Declares a fieldless enum stored as snake_case text, with `as_str`, `parse` and `ALL`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value whose [`as_str`](Self::as_str) is `text`, exactly.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Where a conversation stands. `active` and `paused_for_agent` are open: a new message from
    /// the customer resumes them.
    ConversationStatus {
        Active => "active",
        PausedForAgent => "paused_for_agent",
        Finished => "finished",
        Cancelled => "cancelled",
    }
);

impl ConversationStatus {
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ConversationStatus::Active | ConversationStatus::PausedForAgent
        )
    }
}

text_enum!(
    /// Who said a transcript line.
    Speaker {
        Customer => "customer",
        Bot => "bot",
        Agent => "agent",
    }
);

text_enum!(
    /// The secrets the store keeps encrypted.
    SecretKind {
        Pin => "pin",
        AccountNumber => "account_number",
    }
);

text_enum!(
    DocumentKind {
        Bill => "bill",
        Csr => "csr",
        Loa => "loa",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: i64,
    pub platform: String,
    pub channel_id: Option<String>,
    pub customer_id: String,
    pub flow: String,
    pub step: Option<String>,
    /// The engine's state as JSON; the store never looks inside.
    pub state: String,
    pub status: ConversationStatus,
    /// The optimistic lock: every applied turn adds one.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewConversation {
    pub platform: String,
    pub channel_id: Option<String>,
    pub customer_id: String,
    pub flow: String,
    pub step: Option<String>,
    pub state: String,
    pub now: DateTime<Utc>,
}

/// Everything one customer turn changes, written in one transaction by
/// [`Store::apply_turn`](super::Store::apply_turn).
#[derive(Debug, Clone)]
pub struct TurnWrite {
    pub conversation_id: i64,
    /// The version the caller read; the turn applies only if it is still current.
    pub expected_version: i64,
    pub flow: String,
    pub step: Option<String>,
    pub state: String,
    pub status: ConversationStatus,
    /// The incoming message's platform id: the idempotency key, unique per platform.
    pub incoming_message_id: Option<String>,
    /// Already redacted by the caller.
    pub transcript: Vec<NewTranscriptLine>,
    /// Set (insert or replace) for this conversation.
    pub secrets: Vec<(SecretKind, SecretString)>,
    /// Deleted for this conversation before `secrets` are set.
    pub clear_secrets: Vec<SecretKind>,
    /// Delete the conversation's bills and CSRs unless it made a ticket: the customer cancelled
    /// or started over and was told their answers are cleared.
    pub clear_uploads: bool,
    /// Uploads owned by this conversation.
    pub documents: Vec<NewDocument>,
    pub tickets: Vec<NewTicket>,
    /// A ticket fixed in this turn, going back to `submitted`.
    pub resubmit: Option<super::Resubmission>,
    /// Notifications caused by this turn.
    pub outbox: Vec<super::NewOutboxItem>,
    /// Chat notices shown to the customer in this turn's replies.
    pub delivered_outbox: Vec<i64>,
    /// A draft ticket an agent saved from this conversation.
    pub new_draft: Option<super::NewDraft>,
    /// The caller did not look for waiting chat notices (it used its cached copy of the
    /// conversation): the turn applies only if none are due (as
    /// [`Store::pending_chat_notices`](super::Store::pending_chat_notices) counts them), else it is a
    /// [`TurnOutcome::Conflict`] and the caller reloads, notices included.
    pub no_notices_seen: bool,
    pub now: DateTime<Utc>,
}

impl TurnWrite {
    /// A turn on `conversation` that keeps its flow, step, state and status and writes nothing
    /// else; callers set what their turn changes.
    pub fn new(conversation: &Conversation, now: DateTime<Utc>) -> TurnWrite {
        TurnWrite {
            conversation_id: conversation.id,
            expected_version: conversation.version,
            flow: conversation.flow.clone(),
            step: conversation.step.clone(),
            state: conversation.state.clone(),
            status: conversation.status,
            incoming_message_id: None,
            transcript: Vec::new(),
            secrets: Vec::new(),
            clear_secrets: Vec::new(),
            clear_uploads: false,
            documents: Vec::new(),
            tickets: Vec::new(),
            resubmit: None,
            outbox: Vec::new(),
            delivered_outbox: Vec::new(),
            new_draft: None,
            no_notices_seen: false,
            now,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOutcome {
    Applied {
        version: i64,
    },
    /// The conversation's version moved: nothing was written; reload and retry.
    Conflict,
    /// The incoming message was already processed: nothing was written.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTranscriptLine {
    pub who: Speaker,
    pub text: String,
    pub attachment: Option<String>,
    pub platform_message_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    pub who: Speaker,
    pub text: String,
    pub attachment: Option<String>,
    pub at: DateTime<Utc>,
}

/// A file to keep. The store computes its size and SHA-256 and encrypts the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub kind: DocumentKind,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

// Hand-written so a bill (which shows an account number) never lands in a log as bytes.
impl fmt::Debug for NewDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDocument")
            .field("kind", &self.kind)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("size", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    pub id: i64,
    pub kind: DocumentKind,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    /// Lower-case hex SHA-256 of the plaintext bytes.
    pub sha256: String,
    /// LOA version; `None` for uploads.
    pub version: Option<u32>,
    /// Decrypted.
    pub bytes: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("sha256", &self.sha256)
            .field("version", &self.version)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A ticket to create with a turn. `request.account_number` and `pin` are stored encrypted,
/// owned by the ticket; `loa_pdf` becomes the ticket's LOA document, version
/// `signature.loa_version`.
#[derive(Clone)]
pub struct NewTicket {
    pub number: String,
    pub request: PortRequest,
    pub signature: SignatureRecord,
    pub pin: Option<SecretString>,
    pub loa_pdf: Vec<u8>,
    pub status: TicketStatus,
}

// Hand-written: `PortRequest`'s own Debug shows the account number.
impl fmt::Debug for NewTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewTicket")
            .field("number", &self.number)
            .field("kind", &self.request.kind)
            .field("numbers", &self.request.numbers)
            .field("status", &self.status)
            .field("signature", &self.signature)
            .field("has_pin", &self.pin.is_some())
            .field("loa_pdf_size", &self.loa_pdf.len())
            .finish_non_exhaustive()
    }
}

/// What a customer's `/port status` shows of a ticket ([`crate::store::Store::ticket_lines`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLine {
    pub number: String,
    pub kind: NumberKind,
    pub status: TicketStatus,
    pub numbers: Vec<PhoneNumber>,
    pub requested_port_date: NaiveDate,
    pub confirmed_foc: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub number: String,
    pub conversation_id: i64,
    pub customer_platform: String,
    pub customer_id: String,
    pub status: TicketStatus,
    /// `account_number` is always `None` here: read it with
    /// [`Store::ticket_secret`](super::Store::ticket_secret).
    pub request: PortRequest,
    pub signature: SignatureRecord,
    pub loa_version: u32,
    pub has_pin: bool,
    pub has_account_number: bool,
    pub claimed_by: Option<String>,
    /// Comma-separated rejection codes while `needs_info`.
    pub rejection_code: Option<String>,
    /// The carrier's own status text, as an agent recorded it.
    pub carrier_status: Option<String>,
    pub confirmed_foc: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    pub status: Option<TicketStatus>,
    /// `(platform, customer id)`.
    pub customer: Option<(String, String)>,
    /// Only tickets that can still change (not completed or cancelled).
    pub open_only: bool,
    /// At most this many, after skipping `offset` (newest first).
    pub limit: Option<u32>,
    pub offset: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_word_parses_back_to_its_value() {
        for status in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(status.as_str()), Some(*status));
        }
        for status in ConversationStatus::ALL {
            assert_eq!(ConversationStatus::parse(status.as_str()), Some(*status));
        }
        for who in Speaker::ALL {
            assert_eq!(Speaker::parse(who.as_str()), Some(*who));
        }
        for kind in SecretKind::ALL {
            assert_eq!(SecretKind::parse(kind.as_str()), Some(*kind));
        }
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(
            TicketStatus::parse("foc_confirmed"),
            Some(TicketStatus::FocConfirmed)
        );
        assert_eq!(TicketStatus::parse("Submitted"), None);
    }

    #[test]
    fn debug_output_of_a_document_leaves_out_its_bytes() {
        let document = NewDocument {
            kind: DocumentKind::Bill,
            file_name: "bill.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"account 12345678".to_vec(),
        };
        let shown = format!("{document:?}");
        assert!(shown.contains("bill.pdf"));
        assert!(!shown.contains("12345678") && !shown.contains("97, 99"));
    }
}
