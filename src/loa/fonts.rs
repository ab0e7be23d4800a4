//! The three embedded faces (DejaVu, see `assets/fonts/`), their metrics, and subsetting.
//!
//! printpdf 0.12 only subsets fonts with its `text_layout` feature (azul's layout engine, a long
//! build). Without it, it embeds the whole font, about 350 KB per face once compressed. So the
//! LOA subsets each face itself with allsorts (already a printpdf dependency) and hands printpdf
//! a small font whose glyph ids are the subset's. Each face is parsed once; a subset is cached
//! by its glyph set, because most LOAs use the same few dozen letters.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile};
use printpdf::ParsedFont;

use super::LoaError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Face {
    Regular,
    Bold,
    /// The typed name shown as a signature.
    Signature,
}

impl Face {
    pub(crate) const ALL: [Face; 3] = [Face::Regular, Face::Bold, Face::Signature];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The PDF resource name, fixed so that output is byte-identical run to run.
    pub(crate) fn resource(self) -> &'static str {
        ["F1", "F2", "F3"][self.index()]
    }

    fn postscript_name(self) -> &'static str {
        ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSerif-Italic"][self.index()]
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Face::Regular => include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
            Face::Bold => include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
            Face::Signature => include_bytes!("../../assets/fonts/DejaVuSerif-Italic.ttf"),
        }
    }
}

/// A whole face, parsed once.
struct Loaded {
    font: ParsedFont,
    /// Glyph id and advance (1/1000 em) of every character below [`TABLE_END`]: Latin, Greek
    /// and Cyrillic, the text of nearly every LOA. Glyph 0 means the face has none.
    table: Vec<(u16, f32)>,
    /// Advance widths in 1/1000 em, by glyph id, for the characters past the table.
    advances: Vec<f32>,
}

const TABLE_END: u32 = 0x600;

static FACES: LazyLock<[Loaded; 3]> = LazyLock::new(|| Face::ALL.map(load));

fn load(face: Face) -> Loaded {
    let font = ParsedFont::from_bytes(face.bytes(), 0, &mut Vec::new())
        .unwrap_or_else(|| panic!("the bundled font {} does not parse", face.postscript_name()));
    let scale = 1000.0 / f32::from(font.units_per_em.max(1));
    let glyphs = font
        .glyph_widths
        .keys()
        .next_back()
        .map_or(0, |g| *g as usize + 1);
    let mut advances = vec![0.0; glyphs];
    for (gid, width) in &font.glyph_widths {
        advances[*gid as usize] = f32::from(*width) * scale;
    }
    let table = (0..TABLE_END)
        .map(|c| match font.lookup_glyph_index(c) {
            Some(gid) => (gid, advances.get(gid as usize).copied().unwrap_or(0.0)),
            None => (0, 0.0),
        })
        .collect();
    Loaded {
        font,
        table,
        advances,
    }
}

/// The glyph for `c` and its advance in 1/1000 em, if the face has one.
fn metrics(face: Face, c: char) -> Option<(u16, f32)> {
    let f = &FACES[face.index()];
    let code = c as u32;
    if code < TABLE_END {
        let (gid, advance) = f.table[code as usize];
        return (gid != 0).then_some((gid, advance));
    }
    let gid = f.font.lookup_glyph_index(code)?;
    Some((gid, f.advances.get(gid as usize).copied().unwrap_or(0.0)))
}

/// The glyph for `c`, if the face has one.
pub(crate) fn glyph(face: Face, c: char) -> Option<u16> {
    metrics(face, c).map(|(gid, _)| gid)
}

/// The width of `text` set in `face` at `size` points. Characters without a glyph count as
/// nothing: `render` refuses them before any layout.
pub(crate) fn text_width(face: Face, size: f32, text: &str) -> f32 {
    let em: f32 = text
        .chars()
        .filter_map(|c| metrics(face, c))
        .map(|(_, advance)| advance)
        .sum();
    em * size / 1000.0
}

type SubsetKey = (Face, Vec<u16>);

/// Faces cut down to the characters one LOA uses.
static SUBSETS: LazyLock<Mutex<HashMap<SubsetKey, Arc<ParsedFont>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Bounds the cache: distinct glyph sets are few in practice (names add a letter or two).
const MAX_CACHED_SUBSETS: usize = 256;

/// The subset of `face` holding every character in `chars`.
pub(crate) fn subset(face: Face, chars: &BTreeSet<char>) -> Result<Arc<ParsedFont>, LoaError> {
    let whole = &FACES[face.index()];
    let mut by_char = BTreeMap::new();
    for &c in chars {
        if let Some(gid) = glyph(face, c) {
            by_char.insert(c, gid);
        }
    }
    // allsorts wants .notdef first and no duplicates; it numbers the subset's glyphs in this
    // order, so a glyph's new id is its position here.
    let mut ids: Vec<u16> = by_char.values().copied().filter(|g| *g != 0).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.insert(0, 0);

    let key = (face, ids);
    if let Some(hit) = lock_subsets().get(&key) {
        return Ok(Arc::clone(hit));
    }
    let ids = &key.1;
    let program = subset_program(face, ids)?;
    let new_id: HashMap<u16, u16> = ids
        .iter()
        .enumerate()
        .map(|(i, gid)| (*gid, i as u16))
        .collect();
    let mut font = shell(&whole.font);
    font.font_name = Some(format!("{}+{}", subset_tag(ids), face.postscript_name()));
    for (c, gid) in by_char {
        font.codepoint_to_glyph.insert(c as u32, new_id[&gid]);
    }
    for (new, old) in ids.iter().enumerate() {
        if let Some(w) = whole.font.glyph_widths.get(old) {
            font.glyph_widths.insert(new as u16, *w);
        }
    }
    font.original_bytes = program;
    let subset = Arc::new(font);

    let mut cache = lock_subsets();
    if cache.len() >= MAX_CACHED_SUBSETS {
        cache.clear();
    }
    cache.insert(key, Arc::clone(&subset));
    Ok(subset)
}

fn lock_subsets() -> std::sync::MutexGuard<'static, HashMap<SubsetKey, Arc<ParsedFont>>> {
    // A panic while holding the lock leaves only a cache behind: keep using it.
    SUBSETS.lock().unwrap_or_else(|e| e.into_inner())
}

fn subset_program(face: Face, ids: &[u16]) -> Result<Vec<u8>, LoaError> {
    let fail =
        |e: &dyn std::fmt::Display| LoaError::Font(format!("{}: {e}", face.postscript_name()));
    let data = ReadScope::new(face.bytes())
        .read::<FontData<'_>>()
        .map_err(|e| fail(&e))?;
    let provider = data.table_provider(0).map_err(|e| fail(&e))?;
    allsorts::subset::subset(&provider, ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| fail(&e))
}

/// The six capital letters that mark a subset font's name (ISO 32000-1, 9.6.4), derived from
/// the glyph set so that it is stable.
fn subset_tag(ids: &[u16]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for id in ids {
        for b in id.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 8)) % 26) as u8))
        .collect()
}

/// `font`'s metrics with no glyph data, ready to describe a subset of it.
fn shell(font: &ParsedFont) -> ParsedFont {
    ParsedFont {
        original_bytes: Vec::new(),
        font_index: 0,
        font_name: None,
        codepoint_to_glyph: BTreeMap::new(),
        glyph_widths: BTreeMap::new(),
        units_per_em: font.units_per_em,
        font_metrics: font.font_metrics.clone(),
        font_type: font.font_type,
        pdf_font_metrics: font.pdf_font_metrics.clone(),
    }
}
