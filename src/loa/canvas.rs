//! Pages of printpdf operations, drawn in points from the bottom left of a US Letter page, and
//! the text measuring and wrapping the layout needs.

use std::collections::BTreeSet;

use printpdf::{
    Color, FontId, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect, Rgb, TextItem,
    TextMatrix,
};

use super::fonts::{self, Face};

pub(crate) const PAGE_WIDTH: f32 = 612.0;
pub(crate) const PAGE_HEIGHT: f32 = 792.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ink(pub f32, pub f32, pub f32);

pub(crate) const BLACK: Ink = Ink(0.1, 0.1, 0.12);
pub(crate) const GRAY: Ink = Ink(0.38, 0.4, 0.44);
pub(crate) const RULE: Ink = Ink(0.72, 0.74, 0.78);
pub(crate) const NAVY: Ink = Ink(0.1, 0.22, 0.42);
/// Blue-black, like a pen.
pub(crate) const PEN: Ink = Ink(0.08, 0.16, 0.45);

impl Ink {
    fn color(self) -> Color {
        Color::Rgb(Rgb {
            r: self.0,
            g: self.1,
            b: self.2,
            icc_profile: None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub face: Face,
    pub size: f32,
    pub ink: Ink,
}

impl Style {
    pub(crate) const fn new(face: Face, size: f32, ink: Ink) -> Self {
        Style { face, size, ink }
    }

    pub(crate) fn width(&self, text: &str) -> f32 {
        fonts::text_width(self.face, self.size, text)
    }

    pub(crate) fn sized(self, size: f32) -> Self {
        Style { size, ..self }
    }
}

/// One page: graphics first, then one text object, so no path is ever built inside `BT`/`ET`.
#[derive(Default)]
struct Page {
    graphics: Vec<Op>,
    text: Vec<Op>,
    font: Option<(Face, f32)>,
    fill: Option<Ink>,
    stroke: Option<(Ink, f32)>,
}

#[derive(Default)]
pub(crate) struct Canvas {
    pages: Vec<Page>,
    /// Every character drawn, per face: what each font subset must hold.
    pub(crate) chars: [BTreeSet<char>; 3],
}

impl Canvas {
    pub(crate) fn new_page(&mut self) {
        self.pages.push(Page::default());
    }

    pub(crate) fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.new_page();
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Draws `text` with its baseline starting at (`x`, `y`) on page `page`.
    pub(crate) fn text_on(&mut self, page: usize, style: Style, x: f32, y: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.chars[style.face.index()].extend(text.chars());
        let p = &mut self.pages[page];
        if p.font != Some((style.face, style.size)) {
            p.text.push(Op::SetFont {
                font: PdfFontHandle::External(FontId(style.face.resource().to_string())),
                size: Pt(style.size),
            });
            p.font = Some((style.face, style.size));
        }
        if p.fill != Some(style.ink) {
            p.text.push(Op::SetFillColor {
                col: style.ink.color(),
            });
            p.fill = Some(style.ink);
        }
        p.text.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(round(x)), Pt(round(y))),
        });
        p.text.push(Op::ShowText {
            items: vec![TextItem::Text(text.to_string())],
        });
    }

    /// Draws `text` so that it ends at `right`.
    pub(crate) fn text_right_on(
        &mut self,
        page: usize,
        style: Style,
        right: f32,
        y: f32,
        text: &str,
    ) {
        let x = right - style.width(text);
        self.text_on(page, style, x, y, text);
    }

    fn set_stroke(&mut self, ink: Ink, width: f32) {
        let p = self.page();
        if p.stroke != Some((ink, width)) {
            p.graphics.push(Op::SetOutlineColor { col: ink.color() });
            p.graphics.push(Op::SetOutlineThickness { pt: Pt(width) });
            p.stroke = Some((ink, width));
        }
    }

    /// A stroked rectangle; `top` is its upper edge.
    pub(crate) fn frame(&mut self, x: f32, top: f32, width: f32, height: f32, ink: Ink, line: f32) {
        self.set_stroke(ink, line);
        self.page().graphics.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(round(x)),
                y: Pt(round(top - height)),
                width: Pt(round(width)),
                height: Pt(round(height)),
                mode: Some(PaintMode::Stroke),
                winding_order: None,
            },
        });
    }

    pub(crate) fn hline(&mut self, x1: f32, x2: f32, y: f32, ink: Ink, width: f32) {
        self.line(x1, y, x2, y, ink, width);
    }

    pub(crate) fn vline(&mut self, x: f32, top: f32, bottom: f32, ink: Ink, width: f32) {
        self.line(x, top, x, bottom, ink, width);
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, ink: Ink, width: f32) {
        self.set_stroke(ink, width);
        let point = |x: f32, y: f32| LinePoint {
            p: Point {
                x: Pt(round(x)),
                y: Pt(round(y)),
            },
            bezier: false,
        };
        self.page().graphics.push(Op::DrawLine {
            line: Line {
                points: vec![point(x1, y1), point(x2, y2)],
                is_closed: false,
            },
        });
    }

    /// The finished pages' operations.
    pub(crate) fn into_pages(self) -> Vec<Vec<Op>> {
        self.pages
            .into_iter()
            .map(|p| {
                let mut ops = p.graphics;
                ops.reserve(p.text.len() + 2);
                ops.push(Op::StartTextSection);
                ops.extend(p.text);
                ops.push(Op::EndTextSection);
                ops
            })
            .collect()
    }
}

/// Two decimals are plenty at 1/72 inch and keep the content streams short.
fn round(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

/// Breaks `text` into lines no wider than `width`, at spaces where it can and inside a word
/// only when a word alone is too wide. Each line but the last keeps its trailing space, so
/// joining the drawn lines gives back the text exactly (text extraction depends on it).
pub(crate) fn wrap(style: Style, width: f32, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0.0;
    for word in text.split_inclusive(' ') {
        let word_width = style.width(word);
        let visible = style.width(word.trim_end());
        if !line.is_empty() && line_width + visible > width {
            lines.push(std::mem::take(&mut line));
            line_width = 0.0;
        }
        if line.is_empty() && visible > width {
            // Too wide alone (an email address, say): break after punctuation, else anywhere.
            for piece in word.split_inclusive(['@', '.', '-', '/', '_']) {
                let piece_width = style.width(piece.trim_end());
                if !line.is_empty() && line_width + piece_width > width {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                if piece_width <= width {
                    line.push_str(piece);
                    line_width += style.width(piece);
                    continue;
                }
                for c in piece.chars() {
                    let w = style.width(c.encode_utf8(&mut [0; 4]));
                    if !line.is_empty() && line_width + w > width && c != ' ' {
                        lines.push(std::mem::take(&mut line));
                        line_width = 0.0;
                    }
                    line.push(c);
                    line_width += w;
                }
            }
            continue;
        }
        line.push_str(word);
        line_width += word_width;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The largest size from `style.size` down to `min` at which `text` fits on one line of `width`.
pub(crate) fn fit(style: Style, min: f32, width: f32, text: &str) -> Style {
    let natural = style.width(text);
    if natural <= width {
        return style;
    }
    style.sized((style.size * width / natural).max(min).floor())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: Style = Style::new(Face::Regular, 10.0, BLACK);

    #[test]
    fn wrapped_lines_join_back_to_the_text() {
        let text = "1847 North Milwaukee Avenue, Suite 300, Chicago, IL 60647-4410, United States";
        let lines = wrap(BODY, 120.0, text);
        assert!(lines.len() > 2);
        assert_eq!(lines.concat(), text);
        for line in &lines {
            assert!(BODY.width(line.trim_end()) <= 120.0, "{line:?}");
        }
    }

    #[test]
    fn a_word_wider_than_the_line_is_broken_inside() {
        let text = "a".repeat(200);
        let lines = wrap(BODY, 100.0, &text);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), text);
        assert!(lines.iter().all(|l| BODY.width(l) <= 100.0));
    }

    #[test]
    fn a_long_email_breaks_after_punctuation() {
        let text = "jose.nunez@lukasiewicz-studio.example";
        let lines = wrap(BODY, 120.0, text);
        assert_eq!(lines.concat(), text);
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| l.ends_with(['@', '.', '-']) || l == lines.last().unwrap())
        );
    }

    #[test]
    fn empty_text_is_one_empty_line() {
        assert_eq!(wrap(BODY, 100.0, ""), vec![String::new()]);
    }
}
