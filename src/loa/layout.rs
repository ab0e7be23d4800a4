//! The LOA's layout: a header and an audit footer on every page, the request in labelled boxes,
//! the numbers in columns that continue onto further pages, then the authorization and the
//! signature block, kept together.

use chrono_tz::America::New_York;

use super::canvas::{
    BLACK, Canvas, GRAY, NAVY, PAGE_HEIGHT, PAGE_WIDTH, PEN, RULE, Style, fit, wrap,
};
use super::fonts::Face;
use super::wording::LoaWording;
use crate::porting::{
    CustomerType, NumberKind, NumberType, PortRequest, ProviderInfo, SignatureRecord,
};
use crate::template::fill;

const MARGIN_X: f32 = 54.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
const RIGHT: f32 = PAGE_WIDTH - MARGIN_X;
const TOP: f32 = PAGE_HEIGHT - 44.0;
const FOOTER_BASE: f32 = 40.0;

const PROVIDER: Style = Style::new(Face::Bold, 9.0, NAVY);
const REFERENCE: Style = Style::new(Face::Regular, 8.0, GRAY);
const TITLE: Style = Style::new(Face::Bold, 18.0, BLACK);
const SUBTITLE: Style = Style::new(Face::Regular, 10.5, GRAY);
const HEADING: Style = Style::new(Face::Bold, 10.0, NAVY);
const LABEL: Style = Style::new(Face::Regular, 7.0, GRAY);
const VALUE: Style = Style::new(Face::Regular, 10.0, BLACK);
const NUMBER: Style = Style::new(Face::Regular, 10.0, BLACK);
const BODY: Style = Style::new(Face::Regular, 9.0, BLACK);
const SIGNATURE: Style = Style::new(Face::Signature, 24.0, PEN);
const NOTE: Style = Style::new(Face::Regular, 7.5, GRAY);
const FOOTER: Style = Style::new(Face::Regular, 7.0, GRAY);
const PAGE_NUMBER: Style = Style::new(Face::Bold, 7.5, GRAY);

const VALUE_LEADING: f32 = 12.5;
const LABEL_LEADING: f32 = 8.5;
const NUMBER_LEADING: f32 = 14.0;
const BODY_LEADING: f32 = 12.5;
const FOOTER_LEADING: f32 = 9.0;
const CELL_PAD: f32 = 5.0;
const HEADING_HEIGHT: f32 = 22.0;
const SECTION_GAP: f32 = 9.0;

/// One labelled box in a row of the form; `weight` shares out the row's width.
struct Cell {
    label: String,
    value: String,
    weight: f32,
}

fn cell(label: &str, value: impl Into<String>, weight: f32) -> Cell {
    Cell {
        label: label.to_string(),
        value: value.into(),
        weight,
    }
}

/// Everything printed, as text, before any of it is placed.
struct Texts {
    provider: Vec<String>,
    reference: Vec<String>,
    title: String,
    subtitle: String,
    customer: Vec<Vec<Cell>>,
    service: Vec<Vec<Cell>>,
    provider_cells: Vec<Vec<Cell>>,
    numbers_heading: String,
    numbers: Vec<String>,
    authorization: String,
    statement: String,
    signer_name: String,
    printed_name: String,
    title_value: String,
    date_signed: String,
    footer: Vec<String>,
}

pub(crate) fn lay_out(
    request: &PortRequest,
    signature: &SignatureRecord,
    provider: &ProviderInfo,
    wording: &LoaWording,
) -> Canvas {
    let texts = texts(request, signature, provider, wording);
    let mut layout = Layout {
        canvas: Canvas::default(),
        y: 0.0,
        bottom: 0.0,
        texts: &texts,
        continued: &wording.document.continued,
    };
    layout.start_page();
    layout.section(&wording.sections.customer, &texts.customer);
    layout.section(&wording.sections.current_service, &texts.service);
    layout.section(&wording.sections.provider, &texts.provider_cells);
    layout.numbers();
    layout.authorization(wording);

    let pages = layout.canvas.page_count();
    for page in 0..pages {
        let label = fill(
            &wording.footer.page,
            &[
                ("page", &(page + 1).to_string()),
                ("pages", &pages.to_string()),
            ],
        );
        layout.canvas.text_right_on(
            page,
            PAGE_NUMBER,
            RIGHT,
            FOOTER_BASE + footer_height(&texts) - FOOTER_LEADING,
            &label,
        );
    }
    layout.canvas
}

fn texts(
    request: &PortRequest,
    signature: &SignatureRecord,
    provider: &ProviderInfo,
    wording: &LoaWording,
) -> Texts {
    let w = wording;
    let l = &w.labels;
    let v = &w.values;
    let toll_free = request.kind == NumberKind::TollFree;
    let customer_label = match request.customer_type {
        CustomerType::Business => &l.business_name,
        CustomerType::Residential => &l.account_holder,
    };
    let customer_type = match request.customer_type {
        CustomerType::Business => &v.business,
        CustomerType::Residential => &v.residential,
    };
    let number_type = match request.number_type {
        NumberType::Landline => &v.landline,
        NumberType::Mobile => &v.mobile,
    };
    let title_value = request
        .authorized_title
        .as_deref()
        .map(clean)
        .unwrap_or_else(|| w.signature.no_title.clone());
    let date = |d: chrono::NaiveDate| d.format(&w.formats.date).to_string();
    let eastern = signature.signed_at.with_timezone(&New_York);
    let request_values = [
        ("request_id", signature.request_id.as_str()),
        ("loa_version", &signature.loa_version.to_string()),
    ]
    .map(|(k, v)| (k, clean(v)));
    let request_values: Vec<(&str, &str)> = request_values
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();

    let customer = vec![
        vec![
            cell(customer_label, clean(&request.customer_name), 0.68),
            cell(&l.customer_type, customer_type.clone(), 0.32),
        ],
        vec![cell(
            &l.service_address,
            clean(&request.service_address.one_line()),
            1.0,
        )],
        vec![
            cell(&l.authorized_person, clean(&request.authorized_name), 0.28),
            cell(&l.authorized_title, title_value.clone(), 0.26),
            cell(&l.email, clean(request.email.as_str()), 0.46),
        ],
    ];

    let carrier_label = if toll_free {
        &l.losing_carrier_toll_free
    } else {
        &l.losing_carrier
    };
    let mut carrier_row = vec![cell(carrier_label, clean(&request.carrier), 0.5)];
    if let Some(account) = &request.account_number {
        carrier_row.push(cell(&l.account_number, clean(account), 0.25));
    }
    if let Some(btn) = &request.btn {
        carrier_row.push(cell(&l.btn, btn.national(), 0.25));
    }
    let port_date = fill(
        &v.port_date,
        &[("date", &date(request.requested_port_date))],
    );
    let partial = if request.partial_port {
        &v.partial_yes
    } else {
        &v.partial_no
    };
    let mut port_row = vec![
        cell(&l.number_type, number_type.clone(), 0.14),
        cell(&l.requested_port_date, port_date, 0.36),
        cell(&l.partial_port, partial.clone(), 0.5),
    ];
    if let Some(new_btn) = &request.new_btn {
        port_row[2].weight = 0.28;
        port_row.push(cell(&l.new_btn, new_btn.national(), 0.22));
    }
    let service = vec![carrier_row, port_row];
    let provider_cells = vec![vec![
        cell(&l.provider_name, clean(&provider.name), 0.3),
        cell(&l.provider_address, clean(&provider.address), 0.4),
        cell(&l.provider_contact, clean(&provider.contact), 0.3),
    ]];

    let count = request.numbers.len().to_string();
    let numbers_heading = if toll_free {
        fill(&w.sections.numbers_toll_free, &[("count", &count)])
    } else {
        fill(&w.sections.numbers_local, &[("count", &count)])
    };
    let statement_template = if toll_free {
        &w.statement.toll_free
    } else {
        &w.statement.local
    };
    let statement = fill(
        statement_template,
        &[
            ("customer", &clean(&request.customer_name)),
            ("provider", &clean(&provider.name)),
            ("carrier", &clean(&request.carrier)),
        ],
    );
    let subtitle = if toll_free {
        &w.document.subtitle_toll_free
    } else {
        &w.document.subtitle_local
    };
    let utc = signature.signed_at.format(&w.formats.time_utc).to_string();
    let eastern_text = eastern.format(&w.formats.time_eastern).to_string();
    let footer_width = CONTENT_WIDTH - 70.0;
    let mut footer = Vec::new();
    for line in [
        fill(
            &w.footer.signed,
            &[
                ("signer_id", &clean(&signature.signer_id)),
                ("utc", &utc),
                ("eastern", &eastern_text),
            ],
        ),
        fill(&w.footer.request, &request_values),
        fill(
            &w.footer.hash,
            &[("sha256", &clean(&signature.content_sha256))],
        ),
    ] {
        footer.extend(wrap(FOOTER, footer_width, &line));
    }

    Texts {
        provider: wrap(PROVIDER, CONTENT_WIDTH * 0.58, &clean(&provider.name)),
        reference: wrap(
            REFERENCE,
            CONTENT_WIDTH * 0.38,
            &fill(&w.document.reference, &request_values),
        ),
        title: w.document.title.clone(),
        subtitle: subtitle.clone(),
        customer,
        service,
        provider_cells,
        numbers_heading,
        numbers: request.numbers.iter().map(|n| n.national()).collect(),
        authorization: w.sections.authorization.clone(),
        statement,
        signer_name: clean(&signature.signer_name),
        printed_name: clean(&request.authorized_name),
        title_value,
        date_signed: eastern.date_naive().format(&w.formats.date).to_string(),
        footer,
    }
}

/// A value as printed: composed (NFC) so accents are one glyph, and with any run of spaces,
/// tabs or line breaks as one space.
pub(crate) fn clean(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.nfc());
    }
    out
}

fn footer_height(texts: &Texts) -> f32 {
    texts.footer.len() as f32 * FOOTER_LEADING
}

struct Layout<'a> {
    canvas: Canvas,
    /// The top of the free space on the current page.
    y: f32,
    /// The lowest point content may reach on the current page.
    bottom: f32,
    texts: &'a Texts,
    continued: &'a str,
}

impl Layout<'_> {
    fn start_page(&mut self) {
        self.canvas.new_page();
        let t = self.texts;
        let page = self.canvas.page_count() - 1;

        let top = TOP - 8.0;
        let mut y = top;
        for line in &t.reference {
            self.canvas
                .text_right_on(page, REFERENCE, RIGHT, y, line.trim_end());
            y -= 11.0;
        }
        let mut y2 = top;
        for line in &t.provider {
            self.canvas.text_on(page, PROVIDER, MARGIN_X, y2, line);
            y2 -= 11.0;
        }
        let mut y = y.min(y2);
        y -= 14.0;
        self.canvas.text_on(page, TITLE, MARGIN_X, y, &t.title);
        y -= 14.0;
        self.canvas
            .text_on(page, SUBTITLE, MARGIN_X, y, &t.subtitle);
        y -= 9.0;
        self.canvas.hline(MARGIN_X, RIGHT, y, NAVY, 1.5);
        self.y = y - 10.0;

        let mut line_y = FOOTER_BASE + footer_height(t) - FOOTER_LEADING;
        self.canvas
            .hline(MARGIN_X, RIGHT, line_y + FOOTER_LEADING + 2.0, RULE, 0.6);
        for line in &t.footer {
            self.canvas.text_on(page, FOOTER, MARGIN_X, line_y, line);
            line_y -= FOOTER_LEADING;
        }
        self.bottom = FOOTER_BASE + footer_height(t) + 14.0;
    }

    fn new_page(&mut self) {
        self.start_page();
    }

    fn heading(&mut self, text: &str) {
        let page = self.canvas.page_count() - 1;
        self.canvas
            .text_on(page, HEADING, MARGIN_X, self.y - 10.0, text);
        self.canvas.hline(MARGIN_X, RIGHT, self.y - 15.0, NAVY, 0.6);
        self.y -= HEADING_HEIGHT;
    }

    fn section(&mut self, title: &str, rows: &[Vec<Cell>]) {
        let laid: Vec<Vec<WrappedCell>> = rows.iter().map(|r| wrap_row(r)).collect();
        let heights: Vec<f32> = laid.iter().map(|r| row_height(r)).collect();
        let mut first = true;
        for (i, cells) in laid.iter().enumerate() {
            let needed = heights[i] + if first { HEADING_HEIGHT } else { 0.0 };
            if self.y - needed < self.bottom {
                self.new_page();
                first = true;
            }
            if first {
                let heading = if i == 0 {
                    title.to_string()
                } else {
                    format!("{title} {}", self.continued)
                };
                self.heading(&heading);
                first = false;
            }
            self.row(cells, heights[i]);
        }
        self.y -= SECTION_GAP;
    }

    fn row(&mut self, cells: &[WrappedCell], height: f32) {
        let page = self.canvas.page_count() - 1;
        let top = self.y;
        // Values start on the same line across the row, under the tallest label.
        let label_lines = cells.iter().map(|c| c.label.len()).max().unwrap_or(1);
        let mut x = MARGIN_X;
        for cell in cells {
            self.canvas.frame(x, top, cell.width, height, RULE, 0.5);
            let mut y = top - CELL_PAD - 6.0;
            for line in &cell.label {
                self.canvas.text_on(page, LABEL, x + CELL_PAD, y, line);
                y -= LABEL_LEADING;
            }
            let mut y =
                top - CELL_PAD - 6.0 - (label_lines - 1) as f32 * LABEL_LEADING - VALUE_LEADING;
            for line in &cell.value {
                self.canvas.text_on(page, VALUE, x + CELL_PAD, y, line);
                y -= VALUE_LEADING;
            }
            x += cell.width;
        }
        self.y -= height;
    }

    fn numbers(&mut self) {
        let t = self.texts;
        let count = t.numbers.len();
        let columns = match count {
            0..=6 => 1,
            7..=16 => 2,
            17..=36 => 3,
            _ => 4,
        };
        let column_width = CONTENT_WIDTH / columns as f32;
        let pad = 6.0;
        let mut rest = &t.numbers[..];
        let mut first = true;
        while !rest.is_empty() {
            let free = self.y - self.bottom - HEADING_HEIGHT - 2.0 * pad;
            let rows_fit = (free / NUMBER_LEADING).floor().max(0.0) as usize;
            // Never strand a heading with a single row under it.
            if rows_fit < 2.min(rest.len().div_ceil(columns)) || rows_fit == 0 {
                self.new_page();
                continue;
            }
            let chunk = rest.len().min(rows_fit * columns);
            let rows = chunk.div_ceil(columns);
            let heading = if first {
                t.numbers_heading.clone()
            } else {
                format!("{} {}", t.numbers_heading, self.continued)
            };
            self.heading(&heading);
            let top = self.y;
            let height = rows as f32 * NUMBER_LEADING + 2.0 * pad - 3.0;
            self.canvas
                .frame(MARGIN_X, top, CONTENT_WIDTH, height, RULE, 0.5);
            let used_columns = chunk.div_ceil(rows);
            for c in 1..used_columns {
                let x = MARGIN_X + c as f32 * column_width;
                self.canvas
                    .vline(x, top - 3.0, top - height + 3.0, RULE, 0.4);
            }
            let page = self.canvas.page_count() - 1;
            for (i, number) in rest[..chunk].iter().enumerate() {
                let x = MARGIN_X + (i / rows) as f32 * column_width + 10.0;
                let y = top - pad - 9.0 - (i % rows) as f32 * NUMBER_LEADING;
                self.canvas.text_on(page, NUMBER, x, y, number);
            }
            self.y = top - height - SECTION_GAP;
            rest = &rest[chunk..];
            first = false;
            if !rest.is_empty() {
                self.new_page();
            }
        }
    }

    fn authorization(&mut self, wording: &LoaWording) {
        let t = self.texts;
        let s = &wording.signature;
        let statement = wrap(BODY, CONTENT_WIDTH, &t.statement);
        let note = wrap(NOTE, CONTENT_WIDTH, &s.electronic);
        let left = CONTENT_WIDTH * 0.6;
        let gap = 24.0;
        let right = CONTENT_WIDTH - left - gap;

        let signature_style = if t
            .signer_name
            .chars()
            .all(|c| super::fonts::glyph(Face::Signature, c).is_some())
        {
            SIGNATURE
        } else {
            Style::new(Face::Regular, SIGNATURE.size, PEN)
        };
        let signature_style = fit(signature_style, 12.0, left, &t.signer_name);
        let signature_lines = wrap(signature_style, left, &t.signer_name);
        let date_lines = wrap(VALUE, right, &t.date_signed);
        let name_lines = wrap(VALUE, left, &t.printed_name);
        let title_lines = wrap(VALUE, right, &t.title_value);
        let signature_leading = signature_style.size * 1.15;
        let first_row = (signature_lines.len() as f32 * signature_leading + 4.0)
            .max(date_lines.len() as f32 * VALUE_LEADING + 4.0)
            + 14.0;
        let second_row = (name_lines.len().max(title_lines.len()) as f32) * VALUE_LEADING + 18.0;
        let height = HEADING_HEIGHT
            + statement.len() as f32 * BODY_LEADING
            + 6.0
            + first_row
            + second_row
            + 12.0
            + note.len() as f32 * 9.5;
        if self.y - height < self.bottom {
            self.new_page();
        }
        self.heading(&t.authorization);
        let page = self.canvas.page_count() - 1;
        let mut y = self.y - 10.0;
        for line in &statement {
            self.canvas.text_on(page, BODY, MARGIN_X, y, line);
            y -= BODY_LEADING;
        }
        y -= 6.0;

        // Row 1: the signature and the date signed, each over a rule with its label under it.
        let top = y;
        let line_y = top - first_row + 14.0;
        let mut sy = line_y + 6.0 + (signature_lines.len() - 1) as f32 * signature_leading;
        for line in &signature_lines {
            self.canvas
                .text_on(page, signature_style, MARGIN_X + 4.0, sy, line);
            sy -= signature_leading;
        }
        let date_x = MARGIN_X + left + gap;
        self.signed_field(page, date_x, right, line_y, &date_lines, &s.date_signed);
        self.canvas
            .hline(MARGIN_X, MARGIN_X + left, line_y, BLACK, 0.7);
        self.canvas
            .text_on(page, LABEL, MARGIN_X, line_y - 9.0, &s.signature);

        // Row 2: printed name and title.
        let line_y = line_y - second_row;
        self.signed_field(page, MARGIN_X, left, line_y, &name_lines, &s.printed_name);
        self.signed_field(page, date_x, right, line_y, &title_lines, &s.title);

        let mut y = line_y - 21.0;
        for line in &note {
            self.canvas.text_on(page, NOTE, MARGIN_X, y, line);
            y -= 9.5;
        }
        self.y = y;
    }

    /// Value lines sitting on a rule at `line_y`, with the label under the rule.
    fn signed_field(
        &mut self,
        page: usize,
        x: f32,
        width: f32,
        line_y: f32,
        lines: &[String],
        label: &str,
    ) {
        let mut y = line_y + 5.0 + (lines.len() - 1) as f32 * VALUE_LEADING;
        for line in lines {
            self.canvas.text_on(page, VALUE, x + 4.0, y, line);
            y -= VALUE_LEADING;
        }
        self.canvas.hline(x, x + width, line_y, BLACK, 0.7);
        self.canvas.text_on(page, LABEL, x, line_y - 9.0, label);
    }
}

struct WrappedCell {
    width: f32,
    label: Vec<String>,
    value: Vec<String>,
}

/// Each cell's width and its label and value broken into lines that fit it.
fn wrap_row(row: &[Cell]) -> Vec<WrappedCell> {
    let total: f32 = row.iter().map(|c| c.weight).sum();
    row.iter()
        .map(|c| {
            let width = CONTENT_WIDTH * c.weight / total;
            WrappedCell {
                width,
                label: wrap(LABEL, width - 2.0 * CELL_PAD, &c.label),
                value: wrap(VALUE, width - 2.0 * CELL_PAD, &c.value),
            }
        })
        .collect()
}

fn row_height(cells: &[WrappedCell]) -> f32 {
    let labels = cells.iter().map(|c| c.label.len()).max().unwrap_or(1);
    let values = cells.iter().map(|c| c.value.len()).max().unwrap_or(1);
    CELL_PAD
        + 6.0
        + (labels - 1) as f32 * LABEL_LEADING
        + values as f32 * VALUE_LEADING
        + CELL_PAD
        + 1.5
}
