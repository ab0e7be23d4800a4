//! Turns laid-out pages into PDF bytes with printpdf, then finishes the document with lopdf
//! (the version printpdf itself uses): a trailer `/ID` derived from the signed content instead
//! of printpdf's random one, and stream compression at a level chosen for speed.

use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use lopdf::{Object, StringFormat};
use printpdf::{
    FontId, OffsetDateTime, Op, PdfDocument, PdfFont, PdfPage, PdfParseErrorSeverity,
    PdfSaveOptions, Pt, Rect,
};

use super::LoaError;
use super::canvas::{Canvas, PAGE_HEIGHT, PAGE_WIDTH};
use super::fonts::{self, Face, Subset};

/// zlib level 6: within a few percent of level 9 on these streams, at a fraction of the time.
const LEVEL: flate2::Compression = flate2::Compression::new(6);

pub(crate) struct Meta<'a> {
    pub title: &'a str,
    pub signed_at: DateTime<Utc>,
    /// Hex; the first 16 bytes become the document's `/ID`.
    pub content_sha256: &'a str,
}

pub(crate) fn write(canvas: Canvas, meta: &Meta<'_>) -> Result<Vec<u8>, LoaError> {
    let mut subsets: Vec<Arc<Subset>> = Vec::new();
    let mut doc = PdfDocument::new(meta.title);
    let info = &mut doc.metadata.info;
    let when = OffsetDateTime::from_unix_timestamp(meta.signed_at.timestamp())
        .map_err(|e| LoaError::Pdf(e.to_string()))?;
    info.creation_date = when.clone();
    info.modification_date = when.clone();
    info.metadata_date = when;
    info.creator = "portbot".into();
    info.producer = "portbot (printpdf)".into();

    for face in Face::ALL {
        let chars = &canvas.chars[face.index()];
        if chars.is_empty() {
            continue;
        }
        let subset = fonts::subset(face, chars)?;
        doc.resources.fonts.map.insert(
            FontId(face.resource().to_string()),
            PdfFont::new(subset.font.clone()),
        );
        subsets.push(subset);
    }
    doc.pages = canvas.into_pages().into_iter().map(letter).collect();

    let options = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut pdf = doc.to_lopdf_document(&options, &mut warnings);
    if let Some(error) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(LoaError::Pdf(error.msg.clone()));
    }
    compress(&mut pdf, &subsets);
    tidy_info(&mut pdf);

    let id: Vec<u8> = (0..16)
        .filter_map(|i| meta.content_sha256.get(2 * i..2 * i + 2))
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .collect();
    let id = Object::String(id, StringFormat::Hexadecimal);
    pdf.trailer.set("ID", Object::Array(vec![id.clone(), id]));

    let mut out = Vec::with_capacity(32 * 1024);
    pdf.save_to(&mut out)
        .map_err(|e| LoaError::Pdf(e.to_string()))?;
    Ok(out)
}

/// printpdf always writes `/GTS_PDFXVersion` (so readers take the file for PDF/X, which it is
/// not) and empty entries; keep only what says something.
fn tidy_info(pdf: &mut lopdf::Document) {
    let Ok(id) = pdf.trailer.get(b"Info").and_then(Object::as_reference) else {
        return;
    };
    if let Ok(info) = pdf.get_dictionary_mut(id) {
        info.remove(b"GTS_PDFXVersion");
        let empty: Vec<Vec<u8>> = info
            .iter()
            .filter(|(_, v)| is_empty_text(v))
            .map(|(k, _)| k.clone())
            .collect();
        for key in empty {
            info.remove(&key);
        }
    }
}

/// An empty string, also as UTF-16 with only a byte-order mark.
fn is_empty_text(value: &Object) -> bool {
    matches!(value, Object::String(bytes, _) if bytes.is_empty() || bytes == &[0xfe, 0xff])
}

fn letter(ops: Vec<Op>) -> PdfPage {
    let page = Rect::from_wh(Pt(PAGE_WIDTH), Pt(PAGE_HEIGHT));
    PdfPage {
        media_box: page.clone(),
        trim_box: page.clone(),
        crop_box: page,
        ops,
    }
}

/// Deflates every stream. A font program is deflated once per subset and reused.
fn compress(pdf: &mut lopdf::Document, subsets: &[Arc<Subset>]) {
    for object in pdf.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if stream.dict.has(b"Filter") {
            continue;
        }
        let cached = subsets
            .iter()
            .find(|s| s.font.original_bytes == stream.content)
            .map(|s| s.deflated.clone());
        let deflated = cached.unwrap_or_else(|| deflate(&stream.content));
        if deflated.len() < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(deflated);
        }
    }
}

pub(crate) fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::with_capacity(bytes.len() / 2), LEVEL);
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}
