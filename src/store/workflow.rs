//! Ticket changes after creation: agent actions (claim, status moves, rejections, notes,
//! messages), the customer's resubmission after a fix, the audit log and the audited PIN
//! reveal. Every change is one transaction with its audit event and its notifications.

use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::normalize_number;
use super::outbox::{self, NewOutboxItem};
use super::sealed::Owner;
use super::tickets;
use super::{
    DocumentKind, NewDocument, SecretKind, Store, StoreError, TicketStatus, documents, read_enum,
    read_time, to_millis, write_date,
};
use crate::porting::{PortRequest, SignatureRecord};
use crate::secrets::Cipher;

/// Who may read an event's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Internal,
    Customer,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Visibility::Internal => "internal",
            Visibility::Customer => "customer",
        }
    }
}

/// A conversation put back to work on a fix, written with the ticket change.
#[derive(Debug, Clone)]
pub struct Reopen {
    pub conversation_id: i64,
    pub expected_version: i64,
    pub flow: String,
    pub step: Option<String>,
    pub state: String,
}

/// One change to a ticket. Fields left `None` are not touched.
#[derive(Debug, Clone)]
pub struct TicketChange {
    pub number: String,
    /// The status the caller decided from; the change applies only if it still is.
    pub expected_status: TicketStatus,
    pub to_status: Option<TicketStatus>,
    pub actor: String,
    /// The audit log's verb: `claimed`, `status`, `rejected`, `note`, `message`...
    pub action: String,
    pub note: Option<String>,
    pub visibility: Option<Visibility>,
    /// `Some(None)` unclaims.
    pub claimed_by: Option<Option<String>>,
    pub confirmed_foc: Option<NaiveDate>,
    pub carrier_status: Option<String>,
    /// Comma-separated rejection codes; set with `needs_info`, cleared on resubmission.
    pub rejection_code: Option<String>,
    pub reopen: Option<Reopen>,
    pub outbox: Vec<NewOutboxItem>,
    pub now: DateTime<Utc>,
}

impl TicketChange {
    /// A change that only records an event (a note) unless fields are set.
    pub fn new(
        number: &str,
        expected_status: TicketStatus,
        actor: &str,
        action: &str,
        now: DateTime<Utc>,
    ) -> Self {
        TicketChange {
            number: number.to_string(),
            expected_status,
            to_status: None,
            actor: actor.to_string(),
            action: action.to_string(),
            note: None,
            visibility: None,
            claimed_by: None,
            confirmed_foc: None,
            carrier_status: None,
            rejection_code: None,
            reopen: None,
            outbox: Vec::new(),
            now,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    Applied,
    /// The ticket's status is no longer the expected one (someone else moved it first), or the
    /// conversation to reopen moved on: nothing was written.
    Stale,
    NotFound,
}

/// A line of a ticket's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub actor: String,
    pub action: String,
    pub from_status: Option<TicketStatus>,
    pub to_status: Option<TicketStatus>,
    pub note: Option<String>,
    /// `internal` or `customer`.
    pub visibility: Option<String>,
    pub at: DateTime<Utc>,
}

/// The customer's fixed request, written in their turn: the ticket goes back to `submitted`.
/// A new LOA version comes with a new signature, when the signed content changed.
#[derive(Clone)]
pub struct Resubmission {
    pub number: String,
    pub request: PortRequest,
    pub signed: Option<(SignatureRecord, Vec<u8>)>,
    pub pin: Option<SecretString>,
    pub actor: String,
}

impl std::fmt::Debug for Resubmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resubmission")
            .field("number", &self.number)
            .field(
                "new_loa_version",
                &self.signed.as_ref().map(|(s, _)| s.loa_version),
            )
            .field("has_pin", &self.pin.is_some())
            .finish_non_exhaustive()
    }
}

/// One audit-log row to write.
struct Event<'a> {
    ticket_id: i64,
    actor: &'a str,
    action: &'a str,
    from: Option<TicketStatus>,
    to: Option<TicketStatus>,
    note: Option<&'a str>,
    visibility: Option<Visibility>,
    now: DateTime<Utc>,
}

async fn insert_event(conn: &mut AnyConnection, event: Event<'_>) -> Result<(), StoreError> {
    let Event {
        ticket_id,
        actor,
        action,
        from,
        to,
        note,
        visibility,
        now,
    } = event;
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, actor, action, from_status, to_status, note, \
         visibility, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ticket_id)
    .bind(actor)
    .bind(action)
    .bind(from.map(TicketStatus::as_str))
    .bind(to.map(TicketStatus::as_str))
    .bind(note)
    .bind(visibility.map(Visibility::as_str))
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a resubmission inside the customer's turn. Returns false (write nothing more) when
/// the ticket is no longer waiting for a fix.
pub(super) async fn resubmit(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    fix: &Resubmission,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let number = normalize_number(&fix.number);
    let request = &fix.request;
    let query = sqlx::query_scalar(
        "UPDATE tickets SET status = 'submitted', carrier = $1, number_type = $2, \
         customer_type = $3, customer_name = $4, address_street = $5, address_unit = $6, \
         address_city = $7, address_state = $8, address_zip = $9, authorized_name = $10, \
         authorized_title = $11, btn = $12, partial_port = $13, new_btn = $14, \
         requested_port_date = $15, email = $16, rejection_code = NULL, updated_at = $17 \
         WHERE number = $18 AND status = 'needs_info' RETURNING id",
    );
    let id: Option<i64> = tickets::bind_request(query, request)
        .bind(to_millis(now))
        .bind(&number)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(id) = id else {
        return Ok(false);
    };

    tickets::write_numbers(conn, id, &request.numbers).await?;
    let owner = Owner::Ticket {
        id,
        number: &number,
    };
    tickets::write_secrets(conn, cipher, owner, request, fix.pin.as_ref(), now).await?;
    if let Some((signature, pdf)) = &fix.signed {
        sqlx::query(
            "UPDATE tickets SET signer_name = $1, signer_id = $2, signed_at = $3, \
             signature_request_id = $4, content_sha256 = $5, loa_version = $6 WHERE id = $7",
        )
        .bind(&signature.signer_name)
        .bind(&signature.signer_id)
        .bind(to_millis(signature.signed_at))
        .bind(&signature.request_id)
        .bind(&signature.content_sha256)
        .bind(i64::from(signature.loa_version))
        .bind(id)
        .execute(&mut *conn)
        .await?;
        let loa = NewDocument {
            kind: DocumentKind::Loa,
            file_name: format!("{number}-loa-v{}.pdf", signature.loa_version),
            content_type: "application/pdf".into(),
            bytes: pdf.clone(),
        };
        documents::insert(conn, cipher, owner, &loa, Some(signature.loa_version), now).await?;
    }
    let note = fix
        .signed
        .as_ref()
        .map(|(s, _)| format!("LOA version {} signed", s.loa_version));
    insert_event(
        conn,
        Event {
            ticket_id: id,
            actor: &fix.actor,
            action: "resubmitted",
            from: Some(TicketStatus::NeedsInfo),
            to: Some(TicketStatus::Submitted),
            note: note.as_deref(),
            visibility: Some(Visibility::Internal),
            now,
        },
    )
    .await?;
    Ok(true)
}

impl Store {
    /// Applies one ticket change with its audit event, notifications and (for a rejection) the
    /// reopened conversation, all or nothing.
    pub async fn change_ticket(&self, change: TicketChange) -> Result<ChangeOutcome, StoreError> {
        let number = normalize_number(&change.number);
        let mut tx = self.pool.begin().await?;
        let mut sets = vec!["updated_at = $1".to_string()];
        let mut texts: Vec<Option<String>> = Vec::new();
        let mut push = |sets: &mut Vec<String>, column: &str, value: Option<String>| {
            texts.push(value);
            sets.push(format!("{column} = ${}", texts.len() + 1));
        };
        if let Some(to) = change.to_status {
            push(&mut sets, "status", Some(to.as_str().to_string()));
        }
        if let Some(claimed) = &change.claimed_by {
            push(&mut sets, "claimed_by", claimed.clone());
        }
        if let Some(date) = change.confirmed_foc {
            push(&mut sets, "confirmed_foc", Some(write_date(date)));
        }
        if let Some(status) = &change.carrier_status {
            push(&mut sets, "carrier_status", Some(status.clone()));
        }
        if let Some(codes) = &change.rejection_code {
            push(&mut sets, "rejection_code", Some(codes.clone()));
        }
        let n = texts.len();
        let sql = format!(
            "UPDATE tickets SET {} WHERE number = ${} AND status = ${} RETURNING id",
            sets.join(", "),
            n + 2,
            n + 3
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(to_millis(change.now));
        for text in texts {
            query = query.bind(text);
        }
        let row = query
            .bind(&number)
            .bind(change.expected_status.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM tickets WHERE number = $1")
                    .bind(&number)
                    .fetch_optional(&self.pool)
                    .await?;
            return Ok(if exists.is_some() {
                ChangeOutcome::Stale
            } else {
                ChangeOutcome::NotFound
            });
        };
        let id: i64 = row.try_get("id")?;
        insert_event(
            &mut tx,
            Event {
                ticket_id: id,
                actor: &change.actor,
                action: &change.action,
                from: Some(change.expected_status),
                to: change.to_status.or(Some(change.expected_status)),
                note: change.note.as_deref(),
                visibility: change.visibility,
                now: change.now,
            },
        )
        .await?;
        if let Some(reopen) = &change.reopen {
            let updated = sqlx::query(
                "UPDATE conversations SET flow = $1, step = $2, state = $3, status = 'active', \
                 updated_at = $4, version = version + 1 WHERE id = $5 AND version = $6",
            )
            .bind(&reopen.flow)
            .bind(reopen.step.as_deref())
            .bind(&reopen.state)
            .bind(to_millis(change.now))
            .bind(reopen.conversation_id)
            .bind(reopen.expected_version)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(ChangeOutcome::Stale);
            }
        }
        outbox::enqueue(&mut tx, &change.outbox, change.now).await?;
        tx.commit().await?;
        Ok(ChangeOutcome::Applied)
    }

    /// The ticket's audit log, oldest first.
    pub async fn ticket_events(&self, number: &str) -> Result<Vec<TicketEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.actor, e.action, e.from_status, e.to_status, e.note, e.visibility, e.at \
             FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
             WHERE t.number = $1 ORDER BY e.id",
        )
        .bind(normalize_number(number))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let status = |column: &str| -> Result<Option<TicketStatus>, StoreError> {
                    let text: Option<String> = row.try_get(column)?;
                    match text {
                        None => Ok(None),
                        Some(_) => read_enum(row, column, TicketStatus::parse).map(Some),
                    }
                };
                Ok(TicketEvent {
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    from_status: status("from_status")?,
                    to_status: status("to_status")?,
                    note: row.try_get("note")?,
                    visibility: row.try_get("visibility")?,
                    at: read_time(row, "at")?,
                })
            })
            .collect()
    }

    /// Writes a refused attempt on a ticket to its audit log (internal). Nothing when there is
    /// no such ticket.
    pub async fn record_refused(
        &self,
        number: &str,
        actor: &str,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let number = normalize_number(number);
        let row = sqlx::query("SELECT id, status FROM tickets WHERE number = $1")
            .bind(&number)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(());
        };
        let status = read_enum(&row, "status", TicketStatus::parse)?;
        let note = format!("{action}: not on the agent list");
        let mut conn = self.pool.acquire().await?;
        insert_event(
            &mut conn,
            Event {
                ticket_id: row.try_get("id")?,
                actor,
                action: "refused",
                from: Some(status),
                to: Some(status),
                note: Some(&note),
                visibility: Some(Visibility::Internal),
                now,
            },
        )
        .await
    }

    /// The ticket's PIN for an agent, with the reveal written to the audit log first.
    pub async fn reveal_pin(
        &self,
        number: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SecretString>, StoreError> {
        let number = normalize_number(number);
        let row = sqlx::query("SELECT id, status FROM tickets WHERE number = $1")
            .bind(&number)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let status = read_enum(&row, "status", TicketStatus::parse)?;
        let mut tx = self.pool.begin().await?;
        insert_event(
            &mut tx,
            Event {
                ticket_id: id,
                actor,
                action: "pin_revealed",
                from: Some(status),
                to: Some(status),
                note: None,
                visibility: Some(Visibility::Internal),
                now,
            },
        )
        .await?;
        tx.commit().await?;
        self.ticket_secret(&number, SecretKind::Pin).await
    }
}
