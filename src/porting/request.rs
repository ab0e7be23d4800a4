//! The shape of one port request, as the losing carrier will see it, and its e-signature record.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Email, NumberKind, PhoneNumber, UsAddress};

/// Landline or mobile: the digits do not tell, so the customer is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    Landline,
    Mobile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    Business,
    Residential,
}

impl NumberType {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::Landline => "landline",
            NumberType::Mobile => "mobile",
        }
    }
}

impl CustomerType {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerType::Business => "business",
            CustomerType::Residential => "residential",
        }
    }
}

/// One port request: numbers of one kind, on one carrier account and bill.
///
/// `account_number` is a secret: it is printed on the LOA (carriers need it) but stored only
/// encrypted, never in the tickets table, logs or exports (`Debug` masks it).
#[derive(Clone, PartialEq, Eq)]
pub struct PortRequest {
    pub kind: NumberKind,
    /// E.164 numbers, no duplicates, all of `kind`.
    pub numbers: Vec<PhoneNumber>,
    /// The losing carrier, as the customer named it.
    pub carrier: String,
    pub number_type: NumberType,
    pub customer_type: CustomerType,
    /// The business name (business) or account holder's name (residential), as on the account.
    pub customer_name: String,
    pub service_address: UsAddress,
    pub authorized_name: String,
    pub authorized_title: Option<String>,
    pub btn: Option<PhoneNumber>,
    pub account_number: Option<String>,
    pub partial_port: bool,
    pub new_btn: Option<PhoneNumber>,
    pub requested_port_date: NaiveDate,
    pub email: Email,
}

impl std::fmt::Debug for PortRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortRequest")
            .field("kind", &self.kind)
            .field("numbers", &self.numbers)
            .field("carrier", &self.carrier)
            .field("number_type", &self.number_type)
            .field("customer_type", &self.customer_type)
            .field("customer_name", &self.customer_name)
            .field("service_address", &self.service_address)
            .field("authorized_name", &self.authorized_name)
            .field("authorized_title", &self.authorized_title)
            .field("btn", &self.btn)
            .field(
                "account_number",
                &self.account_number.as_ref().map(|_| "[redacted]"),
            )
            .field("partial_port", &self.partial_port)
            .field("new_btn", &self.new_btn)
            .field("requested_port_date", &self.requested_port_date)
            .field("email", &self.email)
            .finish()
    }
}

impl PortRequest {
    /// The canonical text of what the customer signed: every field that appears on the LOA, in a
    /// fixed order, one `name: value` per line. Its SHA-256 is the signature's content hash.
    /// The PIN is not part of a request and never part of this text.
    pub fn canonical_content(&self) -> String {
        let numbers: Vec<&str> = self.numbers.iter().map(|n| n.e164()).collect();
        let opt = |v: Option<&str>| v.unwrap_or("").to_string();
        let lines = [
            ("kind", self.kind.as_str().to_string()),
            ("numbers", numbers.join(",")),
            ("carrier", self.carrier.clone()),
            ("number_type", self.number_type.as_str().to_string()),
            ("customer_type", self.customer_type.as_str().to_string()),
            ("customer_name", self.customer_name.clone()),
            ("service_address", self.service_address.one_line()),
            ("authorized_name", self.authorized_name.clone()),
            ("authorized_title", opt(self.authorized_title.as_deref())),
            ("btn", opt(self.btn.as_ref().map(|n| n.e164()))),
            ("account_number", opt(self.account_number.as_deref())),
            ("partial_port", self.partial_port.to_string()),
            ("new_btn", opt(self.new_btn.as_ref().map(|n| n.e164()))),
            (
                "requested_port_date",
                self.requested_port_date.format("%Y-%m-%d").to_string(),
            ),
            ("email", self.email.as_str().to_string()),
        ];
        let mut out = String::new();
        for (name, value) in lines {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(&value);
            out.push('\n');
        }
        out
    }
}

/// The electronic signature on one LOA version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureRecord {
    /// The full name exactly as the customer typed it.
    pub signer_name: String,
    /// Who signed: the chat platform and user id, e.g. `console:alice` or `discord:1234`.
    pub signer_id: String,
    pub signed_at: DateTime<Utc>,
    /// The ticket number the LOA belongs to.
    pub request_id: String,
    pub loa_version: u32,
    /// Lower-case hex SHA-256 of [`SignatureRecord::signed_content`].
    pub content_sha256: String,
}

impl SignatureRecord {
    /// Signs `request`: the hash covers the request's canonical content plus who signed, when,
    /// and which request and LOA version it is for.
    pub fn sign(
        request: &PortRequest,
        signer_name: &str,
        signer_id: &str,
        signed_at: DateTime<Utc>,
        request_id: &str,
        loa_version: u32,
    ) -> Self {
        let mut record = SignatureRecord {
            signer_name: signer_name.to_string(),
            signer_id: signer_id.to_string(),
            signed_at,
            request_id: request_id.to_string(),
            loa_version,
            content_sha256: String::new(),
        };
        let digest = Sha256::digest(record.signed_content(request).as_bytes());
        record.content_sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        record
    }

    /// The exact text the hash is taken over.
    pub fn signed_content(&self, request: &PortRequest) -> String {
        format!(
            "{}signer_name: {}\nsigner_id: {}\nsigned_at: {}\nrequest_id: {}\nloa_version: {}\n",
            request.canonical_content(),
            self.signer_name,
            self.signer_id,
            self.signed_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            self.request_id,
            self.loa_version
        )
    }
}

/// The provider we port to (the "new provider"), from configuration; printed on every LOA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    pub name: String,
    pub address: String,
    pub contact: String,
}
