//! Port tickets: numbering, creation (inside a turn), look-ups and lists.
//!
//! Every request field has its own column, except the account number, which lives in `secrets`
//! owned by the ticket. The numbers are rows of `ticket_numbers`, so "which ticket has this
//! number" is an indexed query.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::sealed::{self, Owner};
use super::{
    DocumentKind, NewDocument, NewTicket, SecretKind, Store, StoreError, Ticket, TicketFilter,
    TicketLine, TicketStatus, documents, normalize_number, read_date, read_enum, read_time,
    to_millis, write_date,
};
use crate::porting::{PhoneNumber, PortRequest, SignatureRecord, UsAddress};
use crate::secrets::Cipher;

/// Inserts one ticket with its numbers, secrets, LOA document and first event.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    conversation_id: i64,
    ticket: &NewTicket,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let number = normalize_number(&ticket.number);
    let request = &ticket.request;
    let signature = &ticket.signature;
    let query = sqlx::query_scalar(
        "INSERT INTO tickets (number, conversation_id, kind, status, carrier, number_type, \
         customer_type, customer_name, address_street, address_unit, address_city, \
         address_state, address_zip, authorized_name, authorized_title, btn, partial_port, \
         new_btn, requested_port_date, email, signer_name, signer_id, signed_at, \
         signature_request_id, content_sha256, loa_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) RETURNING id",
    )
    .bind(&number)
    .bind(conversation_id)
    .bind(request.kind.as_str())
    .bind(ticket.status.as_str());
    let id: i64 = bind_request(query, request)
        .bind(&signature.signer_name)
        .bind(&signature.signer_id)
        .bind(to_millis(signature.signed_at))
        .bind(&signature.request_id)
        .bind(&signature.content_sha256)
        .bind(i64::from(signature.loa_version))
        .bind(to_millis(now))
        .bind(to_millis(now))
        .fetch_one(&mut *conn)
        .await?;

    write_numbers(conn, id, &request.numbers).await?;
    let owner = Owner::Ticket {
        id,
        number: &number,
    };
    write_secrets(conn, cipher, owner, request, ticket.pin.as_ref(), now).await?;

    let loa = NewDocument {
        kind: DocumentKind::Loa,
        file_name: format!("{number}-loa-v{}.pdf", signature.loa_version),
        content_type: "application/pdf".into(),
        bytes: ticket.loa_pdf.clone(),
    };
    documents::insert(conn, cipher, owner, &loa, Some(signature.loa_version), now).await?;

    let action = match ticket.status {
        TicketStatus::Submitted => "submitted",
        _ => "created",
    };
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, actor, action, from_status, to_status, note, \
         visibility, at) VALUES ($1, $2, $3, NULL, $4, NULL, NULL, $5)",
    )
    .bind(id)
    .bind(&signature.signer_id)
    .bind(action)
    .bind(ticket.status.as_str())
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Binds the request's columns, carrier to email, in the order both the ticket insert and the
/// resubmission update list them.
pub(super) fn bind_request<'q, O>(
    query: sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    request: &'q PortRequest,
) -> sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    let address = &request.service_address;
    query
        .bind(&request.carrier)
        .bind(request.number_type.as_str())
        .bind(request.customer_type.as_str())
        .bind(&request.customer_name)
        .bind(&address.street)
        .bind(address.unit.as_deref())
        .bind(&address.city)
        .bind(&address.state)
        .bind(&address.zip)
        .bind(&request.authorized_name)
        .bind(request.authorized_title.as_deref())
        .bind(request.btn.as_ref().map(|n| n.e164()))
        .bind(i64::from(request.partial_port))
        .bind(request.new_btn.as_ref().map(|n| n.e164()))
        .bind(write_date(request.requested_port_date))
        .bind(request.email.as_str())
}

/// Replaces the ticket's numbers, in order.
pub(super) async fn write_numbers(
    conn: &mut AnyConnection,
    ticket_id: i64,
    numbers: &[crate::porting::PhoneNumber],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM ticket_numbers WHERE ticket_id = $1")
        .bind(ticket_id)
        .execute(&mut *conn)
        .await?;
    for (position, phone) in numbers.iter().enumerate() {
        sqlx::query("INSERT INTO ticket_numbers (ticket_id, e164, position) VALUES ($1, $2, $3)")
            .bind(ticket_id)
            .bind(phone.e164())
            .bind(position as i64)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Seals the request's account number and the PIN for the ticket, when given.
pub(super) async fn write_secrets(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    owner: Owner<'_>,
    request: &PortRequest,
    pin: Option<&secrecy::SecretString>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    if let Some(account) = &request.account_number {
        let account = secrecy::SecretString::from(account.clone());
        sealed::put(
            conn,
            cipher,
            owner,
            SecretKind::AccountNumber,
            &account,
            now,
        )
        .await?;
    }
    if let Some(pin) = pin {
        sealed::put(conn, cipher, owner, SecretKind::Pin, pin, now).await?;
    }
    Ok(())
}

/// Every column of a ticket but its numbers ([`NUMBERS`] follows), over `tickets t` joined to
/// `conversations c`. The PIN and account number are counted (one row at most per ticket and
/// kind), not looked up with EXISTS: PostgreSQL may answer an EXISTS for every row at once by
/// hashing all the secrets of that kind, the whole table, to show a page of twenty tickets.
const SELECT_TICKETS: &str = "SELECT t.id, t.number, t.conversation_id, c.platform, \
     c.customer_id, t.kind, t.status, t.carrier, t.number_type, t.customer_type, \
     t.customer_name, t.address_street, t.address_unit, t.address_city, t.address_state, \
     t.address_zip, t.authorized_name, t.authorized_title, t.btn, t.partial_port, t.new_btn, \
     t.requested_port_date, t.email, t.confirmed_foc, t.claimed_by, t.rejection_code, \
     t.carrier_status, t.signer_name, \
     t.signer_id, t.signed_at, t.signature_request_id, t.content_sha256, t.loa_version, \
     t.created_at, t.updated_at, \
     (SELECT COUNT(*) FROM secrets s WHERE s.ticket_id = t.id AND s.kind = 'pin') AS has_pin, \
     (SELECT COUNT(*) FROM secrets s WHERE s.ticket_id = t.id \
     AND s.kind = 'account_number') AS has_account_number, ";

/// A ticket's numbers in their order, joined with commas (E.164 numbers hold none), as the
/// column `numbers`: [`read_numbers`] reads it.
const NUMBERS: &str = "(SELECT string_agg(n.e164, ',' ORDER BY n.position) \
     FROM ticket_numbers n WHERE n.ticket_id = t.id) AS numbers";

/// Parses a text column through the type's serde form (E.164 numbers, emails, snake_case
/// enums), so the store never bypasses the porting types' own checks.
fn read_serde<T: DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    parse_serde(column, text)
}

fn read_serde_opt<T: DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> Result<Option<T>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| parse_serde(column, text))
        .transpose()
}

fn parse_serde<T: DeserializeOwned>(column: &str, text: String) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.clone()))
        .map_err(|e| StoreError::Corrupt(format!("{column} = {text:?}: {e}")))
}

fn read_u32(row: &AnyRow, column: &str) -> Result<u32, StoreError> {
    let value: i64 = row.try_get(column)?;
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column} = {value}")))
}

/// The [`NUMBERS`] column.
fn read_numbers(row: &AnyRow) -> Result<Vec<PhoneNumber>, StoreError> {
    row.try_get::<Option<String>, _>("numbers")?
        .unwrap_or_default()
        .split(',')
        .filter(|n| !n.is_empty())
        .map(|n| parse_serde("ticket_numbers.e164", n.to_string()))
        .collect()
}

fn read_port_date(row: &AnyRow) -> Result<NaiveDate, StoreError> {
    read_date(
        "requested_port_date",
        &row.try_get::<String, _>("requested_port_date")?,
    )
}

fn read_foc(row: &AnyRow) -> Result<Option<NaiveDate>, StoreError> {
    row.try_get::<Option<String>, _>("confirmed_foc")?
        .map(|text| read_date("confirmed_foc", &text))
        .transpose()
}

fn from_row(row: &AnyRow) -> Result<Ticket, StoreError> {
    let request = PortRequest {
        kind: read_serde(row, "kind")?,
        numbers: read_numbers(row)?,
        carrier: row.try_get("carrier")?,
        number_type: read_serde(row, "number_type")?,
        customer_type: read_serde(row, "customer_type")?,
        customer_name: row.try_get("customer_name")?,
        service_address: UsAddress {
            street: row.try_get("address_street")?,
            unit: row.try_get("address_unit")?,
            city: row.try_get("address_city")?,
            state: row.try_get("address_state")?,
            zip: row.try_get("address_zip")?,
        },
        authorized_name: row.try_get("authorized_name")?,
        authorized_title: row.try_get("authorized_title")?,
        btn: read_serde_opt(row, "btn")?,
        account_number: None,
        partial_port: row.try_get::<i64, _>("partial_port")? != 0,
        new_btn: read_serde_opt(row, "new_btn")?,
        requested_port_date: read_port_date(row)?,
        email: read_serde(row, "email")?,
    };
    let signature = SignatureRecord {
        signer_name: row.try_get("signer_name")?,
        signer_id: row.try_get("signer_id")?,
        signed_at: read_time(row, "signed_at")?,
        request_id: row.try_get("signature_request_id")?,
        loa_version: read_u32(row, "loa_version")?,
        content_sha256: row.try_get("content_sha256")?,
    };
    let confirmed_foc = read_foc(row)?;
    Ok(Ticket {
        number: row.try_get("number")?,
        conversation_id: row.try_get("conversation_id")?,
        customer_platform: row.try_get("platform")?,
        customer_id: row.try_get("customer_id")?,
        status: read_enum(row, "status", TicketStatus::parse)?,
        loa_version: signature.loa_version,
        request,
        signature,
        has_pin: row.try_get::<i64, _>("has_pin")? != 0,
        has_account_number: row.try_get::<i64, _>("has_account_number")? != 0,
        claimed_by: row.try_get("claimed_by")?,
        rejection_code: row.try_get("rejection_code")?,
        carrier_status: row.try_get("carrier_status")?,
        confirmed_foc,
        created_at: read_time(row, "created_at")?,
        updated_at: read_time(row, "updated_at")?,
    })
}

impl Store {
    /// The next ticket number, `PB-10001`, `PB-10002`, ...: one atomic increment of a counter
    /// row, so numbers never repeat across processes. A number taken by a turn that then fails
    /// is skipped, never reused.
    pub async fn next_ticket_number(&self) -> Result<String, StoreError> {
        let value: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + 1 WHERE name = 'ticket' RETURNING value",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(format!("PB-{value}"))
    }

    /// Tickets matching `filter`, newest first.
    pub async fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let mut conditions = Vec::new();
        let mut params: Vec<String> = Vec::new();
        if let Some(status) = filter.status {
            params.push(status.as_str().to_string());
            conditions.push(format!("t.status = ${}", params.len()));
        }
        if let Some((platform, customer_id)) = &filter.customer {
            params.push(platform.clone());
            conditions.push(format!("c.platform = ${}", params.len()));
            params.push(customer_id.clone());
            conditions.push(format!("c.customer_id = ${}", params.len()));
        }
        if filter.open_only {
            conditions.push("t.status NOT IN ('completed', 'cancelled')".to_string());
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let page = filter.limit.map(|limit| (limit, filter.offset));
        self.fetch_tickets(&filter_sql, params, page).await
    }

    /// The customer's newest `limit` tickets as `/port status` shows them, from the customer's
    /// conversations, the tickets' `tickets_by_conversation` index (which holds the columns
    /// shown) and the numbers' key: no ticket row, no secret.
    pub async fn ticket_lines(
        &self,
        platform: &str,
        customer_id: &str,
        limit: u32,
    ) -> Result<Vec<TicketLine>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT t.number, t.kind, t.status, t.requested_port_date, t.confirmed_foc, {NUMBERS} \
             FROM conversations c JOIN tickets t ON t.conversation_id = c.id \
             WHERE c.platform = $1 AND c.customer_id = $2 ORDER BY t.id DESC LIMIT $3"
        )))
        .bind(platform)
        .bind(customer_id)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TicketLine {
                    number: row.try_get("number")?,
                    kind: read_serde(row, "kind")?,
                    status: read_enum(row, "status", TicketStatus::parse)?,
                    numbers: read_numbers(row)?,
                    requested_port_date: read_port_date(row)?,
                    confirmed_foc: read_foc(row)?,
                })
            })
            .collect()
    }

    /// The ticket with this number, in any letter case.
    pub async fn ticket(&self, number: &str) -> Result<Option<Ticket>, StoreError> {
        Ok(self
            .fetch_tickets(" WHERE t.number = $1", vec![normalize_number(number)], None)
            .await?
            .pop())
    }

    /// The ticket's PIN or account number, decrypted. Callers that show a PIN audit it.
    pub async fn ticket_secret(
        &self,
        number: &str,
        kind: SecretKind,
    ) -> Result<Option<secrecy::SecretString>, StoreError> {
        let number = normalize_number(number);
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE number = $1")
            .bind(&number)
            .fetch_optional(&self.pool)
            .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        sealed::get(
            &self.pool,
            &self.cipher,
            Owner::Ticket {
                id,
                number: &number,
            },
            kind,
        )
        .await
    }

    /// Runs [`SELECT_TICKETS`] with `filter_sql` (a WHERE clause over `t` and `c` with text
    /// parameters `$1..`, or empty), newest first, `page` (limit, offset) of them when given.
    ///
    /// One statement whose text depends only on the filter's shape: it is prepared once per
    /// connection, and a page never pushes the turns' statements out of the connection's cache.
    /// It runs on a reader, so on SQLite an agent's list or `tickets show` never waits behind
    /// turns.
    async fn fetch_tickets(
        &self,
        filter_sql: &str,
        params: Vec<String>,
        page: Option<(u32, u32)>,
    ) -> Result<Vec<Ticket>, StoreError> {
        let paging = match page {
            Some(_) => format!(" LIMIT ${} OFFSET ${}", params.len() + 1, params.len() + 2),
            None => String::new(),
        };
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "{SELECT_TICKETS}{NUMBERS} FROM tickets t JOIN conversations c \
             ON c.id = t.conversation_id{filter_sql} ORDER BY t.id DESC{paging}"
        )));
        for param in params {
            query = query.bind(param);
        }
        if let Some((limit, offset)) = page {
            query = query.bind(i64::from(limit)).bind(i64::from(offset));
        }
        let rows = query.fetch_all(&self.reader).await?;

        rows.iter().map(from_row).collect()
    }
}
