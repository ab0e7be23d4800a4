//! The port requests a finished conversation becomes.

use super::State;
use super::state::Answer;
use super::summaries::customer_name;
use crate::porting::{CustomerType, NumberType, PhoneNumber, PortRequest};

/// Builds the port requests (one per number kind) from a finished conversation. The account
/// number comes from the encrypted store, so the caller passes it in.
pub fn build_requests(
    state: &State,
    account_number: Option<String>,
) -> Result<Vec<PortRequest>, String> {
    let missing = |field: &str| format!("the answer for `{field}` is missing");
    let number_type = match state.choice("number_type") {
        Some("mobile") => NumberType::Mobile,
        Some("landline") => NumberType::Landline,
        _ => return Err(missing("number_type")),
    };
    let customer_type = match state.choice("customer_type") {
        Some("business") => CustomerType::Business,
        Some("residential") => CustomerType::Residential,
        _ => return Err(missing("customer_type")),
    };
    let customer_name =
        customer_name(state).ok_or_else(|| missing("business_name/account_holder"))?;
    let service_address = match state.answer("service_address") {
        Some(Answer::Address(a)) => a.clone(),
        _ => return Err(missing("service_address")),
    };
    let email = match state.answer("email") {
        Some(Answer::Email(e)) => e.clone(),
        _ => return Err(missing("email")),
    };
    let requested_port_date = match state.answer("port_date") {
        Some(Answer::Date(d)) => *d,
        _ => return Err(missing("port_date")),
    };
    let carrier = state
        .text("carrier")
        .ok_or_else(|| missing("carrier"))?
        .to_string();
    let authorized_name = state
        .text("authorized_name")
        .ok_or_else(|| missing("authorized_name"))?
        .to_string();
    let partial_port = state.bool("partial_port") == Some(true);
    let phone = |id: &str| -> Option<PhoneNumber> { state.phone(id).cloned() };
    let groups = crate::porting::phone::split_by_kind(state.numbers());
    if groups.is_empty() {
        return Err(missing("numbers"));
    }
    Ok(groups
        .into_iter()
        .map(|(kind, numbers)| PortRequest {
            kind,
            numbers,
            carrier: carrier.clone(),
            number_type,
            customer_type,
            customer_name: customer_name.clone(),
            service_address: service_address.clone(),
            authorized_name: authorized_name.clone(),
            authorized_title: state.text("authorized_title").map(str::to_string),
            btn: phone("btn"),
            account_number: account_number.clone(),
            partial_port,
            new_btn: if partial_port { phone("new_btn") } else { None },
            requested_port_date,
            email: email.clone(),
        })
        .collect())
}
