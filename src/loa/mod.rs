//! The Letter of Authorization PDF: one port request and its e-signature record, rendered into
//! the document the losing carrier receives (porting-rules.md, section 7).
//!
//! - [`render`] lays the LOA out on US Letter pages: the request in labelled boxes, every number
//!   on its own line (in columns, continuing onto further pages), the authorization statement
//!   (RespOrg wording for toll-free requests) and the signature block. Every page repeats the
//!   header and carries the audit footer: who signed, when (UTC and Eastern), the request and
//!   LOA version, and the SHA-256 of the signed content.
//! - Every word comes from `prompts/loa.toml` ([`LoaWording`]).
//! - Text is set in DejaVu (`assets/fonts/`, Bitstream Vera licence), embedded as a subset, so
//!   names in Latin, Greek and Cyrillic scripts print and extract exactly.
//! - The same inputs give the same bytes: no random ids, no clock; the document's dates are
//!   the signature's.
//! - The PIN is not part of a request, so it cannot reach the LOA.

mod canvas;
mod fonts;
mod layout;
mod pdf;
mod sample;
mod wording;

use sha2::{Digest, Sha256};

pub use sample::sample_request;
pub use wording::{
    DocumentWording, FooterWording, FormatWording, LabelWording, LoaWording, SectionWording,
    SignatureWording, StatementWording, ValueWording,
};

use crate::porting::{PortRequest, ProviderInfo, SignatureRecord};
use fonts::Face;
use layout::clean;

/// The longest value printed in one box. Real names and addresses are far shorter; the limit
/// keeps any single box within a page.
pub const MAX_VALUE_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum LoaError {
    #[error("the port request lists no telephone numbers")]
    NoNumbers,
    #[error(
        "the signature record does not match this request: it was signed over content with \
         SHA-256 {signed}, but this request gives {actual}"
    )]
    SignatureMismatch { signed: String, actual: String },
    #[error("{field} contains {character:?} (U+{code:04X}), which the LOA font cannot print", code = u32::from(*.character))]
    UnsupportedCharacter {
        field: &'static str,
        character: char,
    },
    #[error("{field} is {length} characters long; the LOA prints at most {max}", max = MAX_VALUE_CHARS)]
    ValueTooLong { field: &'static str, length: usize },
    #[error("font subsetting failed: {0}")]
    Font(String),
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
}

/// The first character of `text` that the LOA fonts cannot print, if any. The conversation uses
/// it to refuse such an answer when it is given, rather than at signing.
pub fn unprintable(text: &str) -> Option<char> {
    text.chars().filter(|c| !c.is_whitespace()).find(|c| {
        Face::ALL
            .iter()
            .any(|face| fonts::glyph(*face, *c).is_none())
    })
}

/// Renders the LOA for `request`, signed as `signature` records, naming `provider` as the
/// customer's agent.
pub fn render(
    request: &PortRequest,
    signature: &SignatureRecord,
    provider: &ProviderInfo,
    wording: &LoaWording,
) -> Result<Vec<u8>, LoaError> {
    check(request, signature, provider)?;
    let canvas = layout::lay_out(request, signature, provider, wording);
    for face in Face::ALL {
        if let Some(&character) = canvas.chars[face.index()]
            .iter()
            .find(|c| fonts::glyph(face, **c).is_none())
        {
            return Err(LoaError::UnsupportedCharacter {
                field: "the LOA wording",
                character,
            });
        }
    }
    let title = crate::template::fill(
        &wording.document.pdf_title,
        &[("request_id", &clean(&signature.request_id))],
    );
    pdf::write(
        canvas,
        &pdf::Meta {
            title: &title,
            signed_at: signature.signed_at,
            content_sha256: &signature.content_sha256,
        },
    )
}

/// The LOA for [`sample_request`]: lets an operator check the provider details and wording
/// without a conversation.
pub fn preview_pdf(
    toll_free: bool,
    numbers: usize,
    provider: &ProviderInfo,
    wording: &LoaWording,
) -> Result<Vec<u8>, LoaError> {
    let (request, signature) = sample_request(toll_free, numbers);
    render(&request, &signature, provider, wording)
}

/// Refuses what would make a wrong or broken LOA, naming the field.
fn check(
    request: &PortRequest,
    signature: &SignatureRecord,
    provider: &ProviderInfo,
) -> Result<(), LoaError> {
    if request.numbers.is_empty() {
        return Err(LoaError::NoNumbers);
    }
    // The footer's hash must be the hash of what this LOA shows.
    let actual: String = Sha256::digest(signature.signed_content(request).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != signature.content_sha256 {
        return Err(LoaError::SignatureMismatch {
            signed: signature.content_sha256.clone(),
            actual,
        });
    }
    let address = request.service_address.one_line();
    let fields: [(&'static str, Option<&str>, Face); 12] = [
        ("customer name", Some(&request.customer_name), Face::Regular),
        ("service address", Some(&address), Face::Regular),
        ("carrier", Some(&request.carrier), Face::Regular),
        (
            "authorized name",
            Some(&request.authorized_name),
            Face::Regular,
        ),
        (
            "authorized title",
            request.authorized_title.as_deref(),
            Face::Regular,
        ),
        (
            "account number",
            request.account_number.as_deref(),
            Face::Regular,
        ),
        ("email", Some(request.email.as_str()), Face::Regular),
        ("signer id", Some(&signature.signer_id), Face::Regular),
        ("request id", Some(&signature.request_id), Face::Regular),
        ("provider name", Some(&provider.name), Face::Bold),
        ("provider address", Some(&provider.address), Face::Regular),
        ("provider contact", Some(&provider.contact), Face::Regular),
    ];
    let signer = [(
        "signer name",
        Some(signature.signer_name.as_str()),
        Face::Regular,
    )];
    for (field, value, face) in fields.into_iter().chain(signer) {
        let Some(value) = value else { continue };
        let value = clean(value);
        let length = value.chars().count();
        if length > MAX_VALUE_CHARS {
            return Err(LoaError::ValueTooLong { field, length });
        }
        // The provider name is also printed in the regular face, in the boxes.
        for face in [face, Face::Regular] {
            if let Some(character) = value.chars().find(|c| fonts::glyph(face, *c).is_none()) {
                return Err(LoaError::UnsupportedCharacter { field, character });
            }
        }
    }
    Ok(())
}
