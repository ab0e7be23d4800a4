//! Turns laid-out pages into PDF bytes with printpdf, then finishes the document with lopdf
//! (the version printpdf itself uses): a trailer `/ID` derived from the signed content instead
//! of printpdf's random one, and stream compression at a level chosen for speed.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{LazyLock, Mutex};

use chrono::{DateTime, Utc};
use lopdf::{Object, StringFormat};
use printpdf::{
    FontId, OffsetDateTime, Op, ParsedFont, PdfDocument, PdfFont, PdfPage, PdfParseErrorSeverity,
    PdfSaveOptions, Pt, Rect,
};

use super::LoaError;
use super::canvas::{Canvas, PAGE_HEIGHT, PAGE_WIDTH};
use super::fonts::{self, Face};

/// Page contents are deflated for every LOA: the fast level costs a few hundred bytes a page
/// and saves most of the time.
const PAGE_LEVEL: flate2::Compression = flate2::Compression::fast();
/// Everything else is deflated once and cached. Level 9 would save about 20 bytes an LOA.
const SHARED_LEVEL: flate2::Compression = flate2::Compression::new(6);

pub(crate) struct Meta<'a> {
    pub title: &'a str,
    pub signed_at: DateTime<Utc>,
    /// Hex; the first 16 bytes become the document's `/ID`.
    pub content_sha256: &'a str,
}

pub(crate) fn write(canvas: Canvas, meta: &Meta<'_>) -> Result<Vec<u8>, LoaError> {
    let mut doc = PdfDocument::new(meta.title);
    let info = &mut doc.metadata.info;
    let when = OffsetDateTime::from_unix_timestamp(meta.signed_at.timestamp())
        .map_err(|e| LoaError::Pdf(e.to_string()))?;
    info.creation_date = when;
    info.modification_date = when;
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
            PdfFont::new(ParsedFont::clone(&subset)),
        );
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
    compress(&mut pdf);
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

/// Deflates every stream. Page contents differ from LOA to LOA and are deflated quickly; the
/// rest (font programs, ToUnicode maps) repeat from one LOA to the next, so they are deflated
/// once and reused.
fn compress(pdf: &mut lopdf::Document) {
    let contents: HashSet<lopdf::ObjectId> = pdf
        .get_pages()
        .values()
        .filter_map(|page| pdf.get_dictionary(*page).ok())
        .filter_map(|page| page.get(b"Contents").and_then(Object::as_reference).ok())
        .collect();
    for (id, object) in pdf.objects.iter_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if stream.dict.has(b"Filter") {
            continue;
        }
        let deflated = if contents.contains(id) {
            deflate(&stream.content, PAGE_LEVEL)
        } else {
            shared_deflate(&stream.content)
        };
        if deflated.len() < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(deflated);
        }
    }
}

static DEFLATED: LazyLock<Mutex<HashMap<Vec<u8>, Vec<u8>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Bounds the cache; one LOA adds at most six entries (three fonts, three ToUnicode maps).
const MAX_DEFLATED: usize = 600;

fn shared_deflate(content: &[u8]) -> Vec<u8> {
    // A panic while holding the lock leaves only a cache behind: keep using it.
    let lock = || DEFLATED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = lock().get(content) {
        return hit.clone();
    }
    let deflated = deflate(content, SHARED_LEVEL);
    let mut cache = lock();
    if cache.len() >= MAX_DEFLATED {
        cache.clear();
    }
    cache.insert(content.to_vec(), deflated.clone());
    deflated
}

fn deflate(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::with_capacity(bytes.len() / 2), level);
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}
