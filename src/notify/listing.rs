//! `portbot tickets outbox`: what agents see of notification delivery, above all the deliveries
//! that keep failing.

use serde_json::json;

use crate::store::{OutboxEntry, Store, StoreError};

/// Prints the undelivered notifications (only the given-up ones with `failed_only`), as a table
/// or as JSON.
pub async fn print_outbox(store: &Store, failed_only: bool, json: bool) -> Result<(), StoreError> {
    let entries = if failed_only {
        store.failed_outbox().await?
    } else {
        store.undelivered_outbox().await?
    };
    if json {
        let list: Vec<_> = entries.iter().map(outbox_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).expect("JSON values always serialize")
        );
    } else if entries.is_empty() {
        println!(
            "{}",
            if failed_only {
                "No failed notifications."
            } else {
                "No notifications waiting."
            }
        );
    } else {
        println!(
            "{:>6} {:<7} {:<10} {:>8}  {:<25} {:<30} last error",
            "id", "channel", "ticket", "attempts", "next attempt", "to"
        );
        for e in &entries {
            let next = if e.given_up() {
                "given up".to_string()
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
    Ok(())
}

/// The email address, or the customer or agents a chat message is for.
fn recipient(e: &OutboxEntry) -> String {
    match &e.item.recipient {
        Some(address) => address.clone(),
        None => format!("{}:{}", e.item.customer_platform, e.item.customer_id),
    }
}

pub fn outbox_json(e: &OutboxEntry) -> serde_json::Value {
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
