//! How the command line shows what the service returns: tables, JSON, CSV and text for the
//! terminal. Customer text passes through [`printable`] first.

use serde::Serialize;
use serde_json::json;

use super::words::{Operator, Outbox, TicketText, Tickets};
use crate::service::TicketList;
use crate::store::{Draft, OutboxEntry, Ticket, TicketEvent, TranscriptLine};
use crate::template::fill;

/// Prints `value` as indented JSON.
pub fn json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A ticket after an agent's action: its status, and who has it.
pub fn report(words: &Tickets, ticket: &Ticket) -> String {
    let number = ("number", ticket.number.clone());
    let status = ("status", ticket.status.as_str().to_string());
    match &ticket.claimed_by {
        Some(agent) => fill(
            &words.report_claimed,
            &[number, status, ("agent", agent.clone())],
        ),
        None => fill(&words.report, &[number, status]),
    }
}

/// The drafts, one line each, then the tickets as a table.
pub fn ticket_list(words: &Tickets, list: &TicketList) {
    let TicketList { drafts, tickets } = list;
    if tickets.is_empty() && drafts.is_empty() {
        println!("{}", words.none);
        return;
    }
    for d in drafts {
        let values = [
            ("number", format!("{:<10}", d.number)),
            (
                "customer",
                format!("{}:{}", d.customer_platform, d.customer_id),
            ),
            ("missing", d.missing.join(", ")),
        ];
        println!("{}", fill(&words.draft_line, &values));
    }
    let [number, kind, status, port_date, numbers, customer] = &words.columns;
    println!("{number:<10} {kind:<9} {status:<15} {port_date:<12} {numbers:>7}  {customer}");
    for t in tickets {
        println!(
            "{:<10} {:<9} {:<15} {:<12} {:>7}  {}",
            t.number,
            t.request.kind.as_str(),
            t.status.as_str(),
            t.request.requested_port_date.format("%Y-%m-%d"),
            t.request.numbers.len(),
            t.request.customer_name
        );
    }
}

/// The drafts, then the tickets, as one JSON list.
pub fn ticket_list_json(list: &TicketList) -> Vec<serde_json::Value> {
    let drafts = list.drafts.iter().map(draft_json);
    drafts.chain(list.tickets.iter().map(ticket_json)).collect()
}

pub fn draft_text(words: &Tickets, draft: &Draft) -> String {
    let values = [
        ("number", draft.number.clone()),
        ("status", draft.status.clone()),
        (
            "customer",
            format!("{}:{}", draft.customer_platform, draft.customer_id),
        ),
        ("agent", draft.created_by.clone()),
        ("missing", draft.missing.join(", ")),
        ("summary", printable(&draft.summary)),
    ];
    fill(&words.draft, &values)
}

/// One audit event: when, who, what, the status it moved and its note.
pub fn history_line(words: &Tickets, e: &TicketEvent) -> String {
    let moved = match (e.from_status, e.to_status) {
        (Some(a), Some(b)) if a != b => format!(" [{a} -> {b}]"),
        (None, Some(b)) => format!(" [-> {b}]"),
        _ => String::new(),
    };
    let note = e
        .note
        .as_deref()
        .map(|n| format!(" ({}: {n})", e.visibility.as_deref().unwrap_or(&words.note)))
        .unwrap_or_default();
    format!(
        "{}  {:<22} {}{}{}",
        e.at.format("%Y-%m-%d %H:%M:%S UTC"),
        e.actor,
        e.action,
        moved,
        note
    )
}

pub fn history_json(events: &[TicketEvent]) -> Vec<serde_json::Value> {
    events
        .iter()
        .map(|e| {
            json!({
                "at": e.at.to_rfc3339(),
                "actor": e.actor,
                "action": e.action,
                "from": e.from_status.map(|s| s.as_str()),
                "to": e.to_status.map(|s| s.as_str()),
                "note": e.note,
                "visibility": e.visibility,
            })
        })
        .collect()
}

/// One line of a conversation, its continuation lines indented under the text.
pub fn transcript_line(line: &TranscriptLine) -> String {
    format!(
        "{} {:<8} {}",
        line.at.format("%Y-%m-%d %H:%M:%S"),
        line.who.as_str(),
        printable(&line.text).replace('\n', "\n                             ")
    )
}

/// Customer text as the terminal should show it: control characters (escape sequences that set
/// the title, clear the screen or fake coloured lines) and the bidirectional overrides that
/// reorder what is shown are written as visible escapes (`\u{1b}`); line breaks and tabs stay.
pub fn printable(text: &str) -> String {
    let hidden = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    text.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The ticket list as CSV: one row per ticket, numbers joined with spaces, never secrets.
pub fn tickets_csv(tickets: &[Ticket]) -> String {
    fn field(value: &str) -> String {
        // A spreadsheet runs a cell that starts like a formula: `=HYPERLINK(..)` typed as a
        // business name, and even the numbers (`+13124482915 +13124482916` would be summed).
        // A leading apostrophe is how spreadsheets mark a cell as text.
        let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_string()
        };
        if value.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value
        }
    }
    let mut out = String::from(
        "number,kind,status,numbers,requested_port_date,confirmed_foc,carrier,customer_type,customer_name,service_address,authorized_name,email,claimed_by,loa_version,created_at\n",
    );
    for t in tickets {
        let r = &t.request;
        let numbers: Vec<&str> = r.numbers.iter().map(|n| n.e164()).collect();
        let row = [
            t.number.clone(),
            r.kind.as_str().to_string(),
            t.status.as_str().to_string(),
            numbers.join(" "),
            r.requested_port_date.format("%Y-%m-%d").to_string(),
            t.confirmed_foc
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            r.carrier.clone(),
            r.customer_type.as_str().to_string(),
            r.customer_name.clone(),
            r.service_address.one_line(),
            r.authorized_name.clone(),
            r.email.as_str().to_string(),
            t.claimed_by.clone().unwrap_or_default(),
            t.loa_version.to_string(),
            t.created_at.to_rfc3339(),
        ];
        let cells: Vec<String> = row.iter().map(|c| field(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

pub fn draft_json(d: &Draft) -> serde_json::Value {
    json!({
        "number": d.number,
        "status": "draft",
        "draft_status": d.status,
        "missing": d.missing,
        "summary": d.summary,
        "customer": format!("{}:{}", d.customer_platform, d.customer_id),
        "created_by": d.created_by,
        "created_at": d.created_at.to_rfc3339(),
    })
}

/// A ticket for export: every request field, never the PIN or account number.
pub fn ticket_json(t: &Ticket) -> serde_json::Value {
    let r = &t.request;
    json!({
        "number": t.number,
        "kind": r.kind.as_str(),
        "status": t.status.as_str(),
        "numbers": r.numbers.iter().map(|n| n.e164()).collect::<Vec<_>>(),
        "requested_port_date": r.requested_port_date.format("%Y-%m-%d").to_string(),
        "confirmed_foc": t.confirmed_foc.map(|d| d.format("%Y-%m-%d").to_string()),
        "email": r.email.as_str(),
        "customer_type": r.customer_type.as_str(),
        "customer_name": r.customer_name,
        "carrier": r.carrier,
        "number_type": r.number_type.as_str(),
        "service_address": r.service_address,
        "authorized_name": r.authorized_name,
        "authorized_title": r.authorized_title,
        "btn": r.btn.as_ref().map(|n| n.e164()),
        "partial_port": r.partial_port,
        "new_btn": r.new_btn.as_ref().map(|n| n.e164()),
        "has_pin": t.has_pin,
        "has_account_number": t.has_account_number,
        "claimed_by": t.claimed_by,
        "rejection_codes": t.rejection_code.as_deref().map(|c| c.split(',').collect::<Vec<_>>()),
        "carrier_status": t.carrier_status,
        "loa_version": t.loa_version,
        "signature": {
            "signer_name": t.signature.signer_name,
            "signer_id": t.signature.signer_id,
            "signed_at": t.signature.signed_at.to_rfc3339(),
            "content_sha256": t.signature.content_sha256,
        },
        "customer": format!("{}:{}", t.customer_platform, t.customer_id),
        "created_at": t.created_at.to_rfc3339(),
        "updated_at": t.updated_at.to_rfc3339(),
    })
}

/// A ticket for `tickets show`, a line each, every line ending in a line break.
pub fn ticket_text(words: &TicketText, t: &Ticket) -> String {
    let mut lines = request_lines(words, t);
    lines.extend(progress_lines(words, t));
    lines.iter().map(|line| format!("{line}\n")).collect()
}

fn yes_no(words: &TicketText, b: bool) -> String {
    if b { &words.yes } else { &words.no }.clone()
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The ticket's heading and what the customer asked for.
fn request_lines(words: &TicketText, t: &Ticket) -> Vec<String> {
    let r = &t.request;
    let mut lines = vec![
        fill(
            &words.heading,
            &[
                ("number", t.number.clone()),
                ("kind", r.kind.as_str().to_string()),
                ("status", t.status.as_str().to_string()),
            ],
        ),
        fill(&words.numbers, &[("count", r.numbers.len().to_string())]),
    ];
    lines.extend(r.numbers.iter().map(|n| format!("  {}", n.national())));
    lines.push(fill(
        &words.carrier,
        &[
            ("carrier", r.carrier.clone()),
            ("number_type", r.number_type.as_str().to_string()),
        ],
    ));
    lines.push(fill(
        &words.customer,
        &[
            ("name", r.customer_name.clone()),
            ("customer_type", r.customer_type.as_str().to_string()),
        ],
    ));
    let address = [("address", r.service_address.one_line())];
    lines.push(fill(&words.service_address, &address));
    let name = ("name", r.authorized_name.clone());
    lines.push(match &r.authorized_title {
        Some(title) => fill(
            &words.authorized_with_title,
            &[name, ("title", title.clone())],
        ),
        None => fill(&words.authorized, &[name]),
    });
    if let Some(btn) = &r.btn {
        lines.push(fill(&words.btn, &[("btn", btn.national())]));
    }
    let answer = ("answer", yes_no(words, r.partial_port));
    lines.push(match &r.new_btn {
        Some(btn) => fill(
            &words.partial_port_new_btn,
            &[answer, ("btn", btn.national())],
        ),
        None => fill(&words.partial_port, &[answer]),
    });
    let port_date = [("date", date(r.requested_port_date))];
    lines.push(fill(&words.port_date, &port_date));
    lines
}

/// Where the ticket stands: who has it, what the carrier said, what is on file, the signature.
fn progress_lines(words: &TicketText, t: &Ticket) -> Vec<String> {
    let mut lines = Vec::new();
    let optional = [
        (&words.claimed_by, "agent", t.claimed_by.clone()),
        (&words.rejected, "codes", t.rejection_code.clone()),
        (&words.carrier_status, "status", t.carrier_status.clone()),
        (&words.confirmed_foc, "date", t.confirmed_foc.map(date)),
    ];
    for (template, name, value) in optional {
        if let Some(value) = value {
            lines.push(fill(template, &[(name, value)]));
        }
    }
    let email = [("email", t.request.email.as_str().to_string())];
    lines.push(fill(&words.email, &email));
    lines.push(fill(
        &words.on_file,
        &[
            ("pin", yes_no(words, t.has_pin)),
            ("account_number", yes_no(words, t.has_account_number)),
        ],
    ));
    lines.push(fill(
        &words.signed,
        &[
            ("name", t.signature.signer_name.clone()),
            ("id", t.signature.signer_id.clone()),
            ("at", t.signature.signed_at.to_rfc3339()),
            ("version", t.loa_version.to_string()),
            ("sha256", t.signature.content_sha256.clone()),
        ],
    ));
    lines
}

/// The undelivered notifications as a table (a line when there are none).
pub fn outbox(words: &Outbox, entries: &[OutboxEntry], failed_only: bool) {
    if entries.is_empty() {
        let none = if failed_only {
            &words.none_failed
        } else {
            &words.none
        };
        println!("{none}");
        return;
    }
    let [id, channel, ticket, attempts, next, to, last_error] = &words.columns;
    println!("{id:>6} {channel:<7} {ticket:<10} {attempts:>8}  {next:<25} {to:<30} {last_error}");
    for e in entries {
        let next = if e.given_up() {
            words.given_up.clone()
        } else {
            e.next_attempt_at.to_rfc3339()
        };
        println!(
            "{:>6} {:<7} {:<10} {:>8}  {:<25} {:<30} {}",
            e.id,
            e.item.channel.as_str(),
            e.item.ticket_number.as_deref().unwrap_or("-"),
            e.attempts,
            next,
            recipient(e),
            e.last_error.as_deref().unwrap_or("")
        );
    }
}

pub fn outbox_json(entries: &[OutboxEntry]) -> Vec<serde_json::Value> {
    entries.iter().map(outbox_entry_json).collect()
}

/// The email address, or the customer or agents a chat message is for.
fn recipient(e: &OutboxEntry) -> String {
    match &e.item.recipient {
        Some(address) => address.clone(),
        None => format!("{}:{}", e.item.customer_platform, e.item.customer_id),
    }
}

fn outbox_entry_json(e: &OutboxEntry) -> serde_json::Value {
    json!({
        "id": e.id,
        "channel": e.item.channel.as_str(),
        "ticket": e.item.ticket_number,
        "conversation_id": e.item.conversation_id,
        "customer": format!("{}:{}", e.item.customer_platform, e.item.customer_id),
        "recipient": e.item.recipient,
        "subject": e.item.subject,
        "body": e.item.body,
        "attempts": e.attempts,
        "given_up": e.given_up(),
        "next_attempt_at": e.next_attempt_at.to_rfc3339(),
        "delivered_at": e.delivered_at.map(|t| t.to_rfc3339()),
        "last_error": e.last_error,
        "created_at": e.created_at.to_rfc3339(),
    })
}

/// What one `portbot worker --once` pass did.
pub fn pass_report(words: &Operator, report: &crate::notify::worker::PassReport) {
    let counts = [
        ("sent", report.sent),
        ("failed", report.failed),
        ("given_up", report.given_up),
        ("reminded", report.reminded),
        ("expired", report.expired),
        ("purged", report.purged),
    ]
    .map(|(name, count)| (name, count.to_string()));
    println!("{}", fill(&words.pass, &counts));
    if report.purged > 0 {
        println!("{}", fill(&words.purged, &counts));
    }
}
