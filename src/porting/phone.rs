//! US phone numbers (NANP): parsing any common format, the porting rules on top of the
//! numbering data ([`super::numbering`]), and splitting a customer's list into numbers.

use std::borrow::Cow;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::numbering::{self, AreaKind};
use super::{Refusal, echo};

/// Every code [`PhoneNumber::parse`] can return.
pub const REFUSAL_CODES: &[&str] = &[
    "phone.empty",
    "phone.not_a_number",
    "phone.too_few_digits",
    "phone.too_many_digits",
    "phone.not_us",
    "phone.not_us_unnamed",
    "phone.look_alike",
    "phone.area_code",
    "phone.exchange",
    "phone.n11",
    "phone.fictional",
    "phone.premium",
    "phone.non_geographic",
    "phone.extension",
    "phone.invalid",
    "phone.range_backwards",
    "phone.range_too_long",
];

/// The most numbers one range (`212-736-4100 through 4199`) expands to: a typo in the last
/// number must not fill a request with thousands of numbers.
pub const MAX_RANGE: usize = 100;

const TOLL_FREE_NPAS: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

/// Regions of the numbering data whose numbers port through the US number portability
/// administration: the states and the US territories. Canada and the Caribbean countries share
/// country code 1 but are other countries.
const US_REGIONS: [&str; 6] = ["US", "PR", "VI", "GU", "AS", "MP"];

/// The longest number worth handing to libphonenumber to name a foreign country (E.164 allows 15
/// digits); beyond that it is just too long.
const MAX_INTERNATIONAL_DIGITS: usize = 15;

/// Local numbers port through the number portability administration; toll-free numbers move
/// RespOrg to RespOrg. The two are never mixed in one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    Local,
    TollFree,
}

impl NumberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberKind::Local => "local",
            NumberKind::TollFree => "toll_free",
        }
    }
}

/// A portable US number, stored as E.164 text (`+13124482915`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Reads one number in any common US format (`312-448-2915`, `(312) 448-2915`,
    /// `+1 312 448 2915`, `1-800-FLOWERS`...) and applies the NANP and porting rules.
    pub fn parse(input: &str) -> Result<Self, Refusal> {
        let trimmed = input.trim();
        let refuse = |code| Refusal::new(code).with("input", echo(trimmed));
        if trimmed.is_empty() {
            return Err(refuse("phone.empty"));
        }
        // Full-width digits and other compatibility forms become plain ASCII digits.
        let text: Cow<str> = if trimmed.is_ascii() {
            Cow::Borrowed(trimmed)
        } else {
            Cow::Owned(trimmed.nfkc().collect())
        };
        if let Some(main) = without_extension(&text) {
            // Only the main number ports; extensions live on the customer's phone system.
            let mut refusal = refuse("phone.extension");
            if let Ok(number) = parse_plain(main) {
                refusal = refusal.with("number", number.national());
            }
            return Err(refusal);
        }
        parse_plain(&text).map_err(|(code, extra)| {
            let mut refusal = refuse(code);
            refusal.args.extend(extra);
            refusal
        })
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    /// `(312) 448-2915`
    pub fn national(&self) -> String {
        let d = &self.0[2..];
        format!("({}) {}-{}", &d[0..3], &d[3..6], &d[6..10])
    }

    pub fn kind(&self) -> NumberKind {
        // 822 and 880-889 are set aside for the next toll-free codes: a number in one of them,
        // accepted unconfirmed, is toll-free whenever it opens.
        let npa = &self.0[2..5];
        let reserved_toll_free = npa == "822" || npa.starts_with("88");
        if TOLL_FREE_NPAS.contains(&npa) || reserved_toll_free {
            NumberKind::TollFree
        } else {
            NumberKind::Local
        }
    }

    /// Whether the numbering data knows this number's area code and exchange. A NANP-shaped
    /// number it does not know (an area code or exchange opened since the data was made) is
    /// accepted all the same: the customer is told it can't be confirmed and an agent checks it.
    pub fn is_confirmed(&self) -> bool {
        numbering::area_code(&self.0[2..5]).is_some_and(|area| area.has_exchange(&self.0[5..8]))
    }

    /// The same area code and exchange with other last four digits (`4101` for a list like
    /// `212-736-4100 and 4101`).
    fn with_line(&self, line: &str) -> Result<PhoneNumber, Refusal> {
        PhoneNumber::parse(&format!("{}{line}", &self.0[..8]))
    }
}

type Refused = (&'static str, Vec<(&'static str, String)>);

/// Parses a number that has no extension; the caller adds the `input` argument.
fn parse_plain(text: &str) -> Result<PhoneNumber, Refused> {
    let (digits, count) = digits_of(text)?;
    let international = text.trim_start().starts_with('+')
        || (count > 11 && (digits.starts_with("011") || digits.starts_with("00")));
    let count_arg = || vec![("digits", count.to_string())];
    let national = if international {
        let after_prefix = if text.trim_start().starts_with('+') {
            &digits[..]
        } else if let Some(rest) = digits.strip_prefix("011") {
            rest
        } else {
            &digits[2..]
        };
        if !after_prefix.starts_with('1') {
            return Err(foreign(after_prefix, count));
        }
        // The customer counts the digits after the country code: `+1 212 736 410` has 9.
        let prefix = digits.len() - after_prefix.len() + 1;
        let national_count = || vec![("digits", count.saturating_sub(prefix).to_string())];
        match count.cmp(&(prefix + 10)) {
            std::cmp::Ordering::Less => return Err(("phone.too_few_digits", national_count())),
            std::cmp::Ordering::Greater => {
                return Err(("phone.too_many_digits", national_count()));
            }
            std::cmp::Ordering::Equal => &after_prefix[1..],
        }
    } else {
        match count {
            0..=9 => return Err(("phone.too_few_digits", count_arg())),
            10 => &digits[..],
            11 if digits.starts_with('1') => &digits[1..],
            _ => return Err(("phone.too_many_digits", count_arg())),
        }
    };
    check_nanp(national)?;
    check_area_code(national)?;
    Ok(PhoneNumber(format!("+1{national}")))
}

/// The digits of a number as typed, and how many there are (only the first few dozen are kept:
/// nothing longer is a phone number). Refused when it is not a number at all: no digits, or
/// characters that are neither digits, separators nor a vanity spelling (`1-800-FLOWERS`), and
/// letters that only look like digits (`212-736-41OO`) get the number they look like.
fn digits_of(text: &str) -> Result<(String, usize), Refused> {
    let not_a_number = || ("phone.not_a_number", Vec::new());
    const KEEP: usize = 32;
    let mut digits = String::new();
    let mut count = 0;
    let mut letters = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            count += 1;
            if digits.len() < KEEP {
                digits.push(c);
            }
        } else if c.is_ascii_alphabetic() {
            letters = true;
        } else if !is_number_separator(c) {
            return Err(not_a_number());
        }
    }
    if letters {
        if let Some(d) = vanity_digits(text) {
            let n = d.len();
            return Ok((d, n));
        }
        return Err(look_alike(text).unwrap_or_else(not_a_number));
    }
    if count == 0 {
        return Err(not_a_number());
    }
    Ok((digits, count))
}

/// `212-736-41OO`, `212-736-4l00`: a few letters that look like digits are a typo, not a vanity
/// number, and dialling their keypad digits would port someone else's number. The refusal
/// offers the number the customer probably meant.
fn look_alike(text: &str) -> Option<Refused> {
    let fixed: String = text
        .chars()
        .map(|c| match c {
            'O' | 'o' => '0',
            'l' | 'I' => '1',
            other => other,
        })
        .collect();
    if fixed.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let number = parse_plain(&fixed).ok()?;
    Some(("phone.look_alike", vec![("suggestion", number.national())]))
}

/// Spelled numbers such as `1-800-FLOWERS`, `800-GOT-JUNK` or `(212) JKL-MNOP`: the whole
/// number in one piece, area code in digits, at least three letters (fewer are typos, see
/// [`look_alike`]), letters mapped as on a phone keypad.
fn vanity_digits(text: &str) -> Option<String> {
    let compact: Vec<char> = text
        .chars()
        .filter(|c| !is_number_separator(*c))
        .take(12)
        .collect();
    let area_code_at = usize::from(compact.first() == Some(&'1'));
    let complete = compact.len() == 10 + area_code_at;
    let letters = compact.iter().filter(|c| c.is_ascii_alphabetic()).count();
    if !complete
        || !compact[..area_code_at + 3].iter().all(char::is_ascii_digit)
        || !compact.iter().all(char::is_ascii_alphanumeric)
        || letters < 3
    {
        return None;
    }
    Some(compact.iter().map(|&c| keypad_digit(c)).collect())
}

fn keypad_digit(c: char) -> char {
    match c.to_ascii_uppercase() {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        'W'..='Z' => '9',
        other => other,
    }
}

/// Characters customers put between the digits of a number.
fn is_number_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '('
                | ')'
                | '+'
                | '/'
                | '['
                | ']'
                | '\''
                | '"'
                | ','
                | ';'
                | ':'
                | '_'
                | '*'
                | '\u{00B7}'
                | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// `312-448-2915 ext. 12`, `x12`, `#12`: the number before the extension, if there is one.
fn without_extension(text: &str) -> Option<&str> {
    let body = text.trim_end();
    let before_digits = body.trim_end_matches(|c: char| c.is_ascii_digit());
    if before_digits.len() == body.len() {
        return None;
    }
    let marker_end = before_digits.trim_end_matches([' ', ':', '.', '#']).len();
    let lower = before_digits[..marker_end].to_ascii_lowercase();
    let marker_len = ["extension", "ext", "x"]
        .iter()
        .find(|m| lower.ends_with(*m))
        .map(|m| m.len())
        .or_else(|| before_digits.trim_end().ends_with('#').then_some(0))?;
    let main = &before_digits[..marker_end - marker_len];
    // The marker must stand apart from a word (`fax 12` is not an extension) and follow a number.
    let standalone = !main.ends_with(|c: char| c.is_ascii_alphabetic());
    let main_digits = main.chars().filter(char::is_ascii_digit).count();
    (standalone && main_digits >= 7).then_some(main)
}

/// The NANP rules libphonenumber does not decide for us, with the most specific reason first.
fn check_nanp(national: &str) -> Result<(), Refused> {
    let (npa, nxx, line) = (&national[0..3], &national[3..6], &national[6..10]);
    let is_n11 = |code: &str| code.ends_with("11");
    if matches!(npa.as_bytes()[0], b'0' | b'1') {
        return Err(("phone.area_code", vec![("area_code", npa.to_string())]));
    }
    if is_n11(npa) {
        return Err(("phone.n11", vec![("code", npa.to_string())]));
    }
    if matches!(nxx.as_bytes()[0], b'0' | b'1') {
        return Err(("phone.exchange", vec![("exchange", nxx.to_string())]));
    }
    if is_n11(nxx) {
        return Err(("phone.n11", vec![("code", nxx.to_string())]));
    }
    if nxx == "555" && ("0100"..="0199").contains(&line) {
        return Err(("phone.fictional", Vec::new()));
    }
    if npa == "900" {
        return Err(("phone.premium", Vec::new()));
    }
    Ok(())
}

/// What the numbering data says about the area code. An area code it does not know is accepted
/// (see [`PhoneNumber::is_confirmed`]) unless the plan can never assign it.
fn check_area_code(national: &str) -> Result<(), Refused> {
    let npa = &national[0..3];
    let area_code = || vec![("area_code", npa.to_string())];
    let Some(area) = numbering::area_code(npa) else {
        return match npa.as_bytes() {
            // N9X codes are kept for expanding the plan, 37X and 96X for purposes not yet
            // known: none of them is an area code.
            [_, b'9', _] | [b'3', b'7', _] | [b'9', b'6', _] => Err(("phone.invalid", area_code())),
            // 52X, the 5NN codes (533, 544...) and the N00 codes (200, 700...) are set aside
            // for non-geographic services; the other 5XX codes open as ordinary overlays.
            [b'5', b'2', _] | [_, b'0', b'0'] => Err(("phone.non_geographic", area_code())),
            [b'5', x, y] if x == y => Err(("phone.non_geographic", area_code())),
            _ => Ok(()),
        };
    };
    if !US_REGIONS.contains(&area.region) {
        let mut args = vec![("country", area.country.to_string())];
        args.extend(area_code());
        return Err(("phone.not_us", args));
    }
    match area.kind {
        AreaKind::NonGeographic => Err(("phone.non_geographic", area_code())),
        AreaKind::Premium => Err(("phone.premium", Vec::new())),
        AreaKind::Geographic | AreaKind::TollFree | AreaKind::Mixed => Ok(()),
    }
}

/// An international number (digits after the `+`) outside the NANP, refused naming the country
/// in words when it can be named.
fn foreign(digits: &str, count: usize) -> Refused {
    let region = (count <= MAX_INTERNATIONAL_DIGITS + 3 && !digits.is_empty())
        .then(|| phonenumber::parse(None, format!("+{digits}")).ok())
        .flatten()
        .and_then(|n| n.country().id())
        .map(|id| id.as_ref().to_string());
    // libphonenumber names no region for numbers of a calling code that several share (Italy and
    // the Vatican, Russia and Kazakhstan, the UK and the Channel Islands) when the number is not
    // one it can place: the calling code's main country is the honest answer then.
    let name = region
        .as_deref()
        .and_then(numbering::country_name)
        .or_else(|| numbering::main_region(digits).and_then(numbering::country_name));
    match name {
        Some(name) => ("phone.not_us", vec![("country", name.to_string())]),
        None => ("phone.not_us_unnamed", Vec::new()),
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&value).map_err(|r| r.code.to_string())
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

/// A customer's list of numbers, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NumberList {
    /// Valid numbers, each once, in the order first given; shorthand (`212-736-4100 and 4101`,
    /// `4100 through 4103`) is expanded to the numbers it stands for.
    pub numbers: Vec<PhoneNumber>,
    /// Numbers that were given more than once (each listed once).
    pub duplicates: Vec<PhoneNumber>,
    /// Entries that are not portable numbers, as typed, with the reason.
    pub refused: Vec<(String, Refusal)>,
}

impl NumberList {
    /// The accepted numbers the numbering data cannot confirm (see
    /// [`PhoneNumber::is_confirmed`]): the customer is told, and an agent checks them.
    pub fn unconfirmed(&self) -> Vec<PhoneNumber> {
        self.numbers
            .iter()
            .filter(|n| !n.is_confirmed())
            .cloned()
            .collect()
    }
}

/// How a four-digit entry joins the number before it: `212-736-4100 and 4101` (another line
/// number of the same exchange) or `212-736-4100 through 4103` (every line number between).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shorthand {
    Also,
    Through,
}

/// The words between a number and a bare line number, read as shorthand.
fn shorthand(between: &str) -> Option<Shorthand> {
    let words = between.trim().to_lowercase();
    match words.as_str() {
        "and" | "&" | "," | ", and" | "/" | ";" | "+" => Some(Shorthand::Also),
        "-" | "\u{2013}" | "\u{2014}" | "to" | "through" | "thru" | "till" | "until" => {
            Some(Shorthand::Through)
        }
        _ => None,
    }
}

/// One entry of a list as read: what the customer typed, and the numbers it stands for.
type Entry = (String, Result<Vec<PhoneNumber>, Refusal>);

/// Reads a list of numbers as customers type them: separated by commas, semicolons, new lines,
/// `and`, `&`, slashes, or only spaces (`312 448 2915 312 448 2916` is two numbers), with
/// optional labels (`main: ...`, `... (fax)`) and shorthand for more numbers of the same exchange
/// (`212-736-4100 and 4101`, `212-736-4100 through 4103`, `4100-4103`). Anything that looks like a
/// number but is not a portable one is kept in `refused`, so no number the customer typed is
/// silently dropped.
pub fn parse_number_list(input: &str) -> NumberList {
    // Full-width digits (some phone keyboards type them) and other compatibility forms.
    let input: Cow<str> = if input.is_ascii() {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(input.nfkc().collect())
    };
    let mut entries: Vec<Entry> = Vec::new();
    // The number the last entry ended with, where that entry started and ended in the input,
    // and whether it was a range.
    let mut last: Option<(PhoneNumber, usize, usize, bool)> = None;
    for (start, end) in split_entries(&input) {
        let text = &input[start..end];
        let is_line_number = text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit());
        let joined =
            last.as_ref()
                .filter(|_| is_line_number)
                .and_then(|(number, from, to, ranged)| {
                    // `4100 through 4103 and 4105` goes on; `4100 through 4103 through 4110` is a typo.
                    shorthand(&input[*to..start])
                        .filter(|how| !(*ranged && *how == Shorthand::Through))
                        .map(|how| (number.clone(), *from, how))
                });
        last = None;
        match joined {
            Some((number, _, Shorthand::Also)) => {
                let result = number.with_line(text);
                if let Ok(n) = &result {
                    last = Some((n.clone(), start, end, false));
                }
                entries.push((echo(text), result.map(|n| vec![n])));
            }
            Some((number, from, Shorthand::Through)) => {
                // The range replaces the entry of its first number.
                entries.pop();
                let typed = echo(&input[from..end]);
                let range = expand_range(&number, text, &typed);
                if let Ok(numbers) = &range
                    && let Some(n) = numbers.last()
                {
                    last = Some((n.clone(), from, end, true));
                }
                entries.push((typed, range));
            }
            None => {
                let result = PhoneNumber::parse(text);
                if let Ok(n) = &result {
                    last = Some((n.clone(), start, end, false));
                }
                entries.push((echo(text), result.map(|n| vec![n])));
            }
        }
    }
    let mut list = NumberList::default();
    let mut seen = HashSet::new();
    let mut repeated = HashSet::new();
    for (typed, result) in entries {
        match result {
            Ok(numbers) => {
                for number in numbers {
                    if seen.insert(number.clone()) {
                        list.numbers.push(number);
                    } else if repeated.insert(number.clone()) {
                        list.duplicates.push(number);
                    }
                }
            }
            Err(refusal) => list.refused.push((typed, refusal)),
        }
    }
    list
}

/// `first` through the line number `last` of the same exchange, at most [`MAX_RANGE`] numbers;
/// `typed` is the range as the customer wrote it, for the refusal.
fn expand_range(first: &PhoneNumber, last: &str, typed: &str) -> Result<Vec<PhoneNumber>, Refusal> {
    let from = &first.e164()[8..];
    let (Ok(low), Ok(high)) = (from.parse::<usize>(), last.parse::<usize>()) else {
        return Err(Refusal::new("phone.not_a_number").with("input", last));
    };
    let to = first.with_line(last)?;
    let refuse = |code| {
        Refusal::new(code)
            .with("input", typed)
            .with("first", first.national())
            .with("last", to.national())
            .with("limit", MAX_RANGE.to_string())
    };
    if high < low {
        return Err(refuse("phone.range_backwards"));
    }
    if high - low >= MAX_RANGE {
        return Err(refuse("phone.range_too_long").with("count", (high - low + 1).to_string()));
    }
    (low..=high)
        .map(|line| first.with_line(&format!("{line:04}")))
        .collect()
}

/// Splits a typed list into where each entry starts and ends in `input`.
fn split_entries(input: &str) -> Vec<(usize, usize)> {
    let mut splitter = Splitter {
        input,
        entries: Vec::new(),
        acc: Acc::default(),
        last_entry_open: false,
        pending_extension: false,
    };
    for word in words(input) {
        match word {
            Word::Break => splitter.brk(),
            Word::Text(start, end) => splitter.word(start, end),
        }
    }
    splitter.brk();
    splitter.entries
}

enum Word {
    Text(usize, usize),
    Break,
}

/// Characters that always end an entry.
fn is_list_separator(c: char) -> bool {
    matches!(
        c,
        ',' | ';' | '&' | '/' | '|' | '\n' | '\r' | '\u{2022}' | '\u{2028}' | '\u{2029}'
    )
}

/// `917/555-2231`: a slash right after a three-digit area code separates the parts of one
/// number, not two numbers.
fn slash_after_area_code(input: &str, slash: usize) -> bool {
    let before = &input.as_bytes()[..slash];
    let digits = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let starts_entry = before
        .len()
        .checked_sub(4)
        .is_none_or(|i| !before[i].is_ascii_digit() && !matches!(before[i], b'-' | b'.'));
    let digit_follows = input[slash + 1..]
        .trim_start()
        .starts_with(|c: char| c.is_ascii_digit());
    digits == 3 && starts_entry && digit_follows
}

/// Whitespace-separated words (byte ranges), with list separators as breaks.
fn words(input: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in input.char_indices() {
        let separator = is_list_separator(c) && !(c == '/' && slash_after_area_code(input, i));
        if separator || c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push(Word::Text(s, i));
            }
            if separator {
                out.push(Word::Break);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(Word::Text(s, input.len()));
    }
    out
}

/// Digit groups collected towards one number.
#[derive(Default)]
struct Acc {
    /// (start, end) of each digit group in the input, and the word it came from.
    groups: Vec<(usize, usize, usize)>,
    digits: usize,
    plus: bool,
    first_digit: Option<u8>,
    starts_with_zero_zero: bool,
}

impl Acc {
    /// Only an area code so far (`212`, `1-800`), which a spelled number may complete.
    fn holds_area_code_only(&self) -> bool {
        !self.plus && (self.digits == 3 || (self.digits == 4 && self.first_digit == Some(b'1')))
    }

    /// How many digits complete the number; `None` for international numbers, whose length
    /// varies.
    fn target(&self) -> Option<usize> {
        match self.first_digit {
            Some(b'1') => Some(11),
            Some(b'0') => None,
            _ if self.plus || self.starts_with_zero_zero => None,
            _ => Some(10),
        }
    }
}

struct Splitter<'a> {
    input: &'a str,
    entries: Vec<(usize, usize)>,
    acc: Acc,
    /// The last entry may still take an extension (`312-448-2915 ext 12`).
    last_entry_open: bool,
    pending_extension: bool,
}

impl Splitter<'_> {
    fn brk(&mut self) {
        self.flush();
        self.last_entry_open = false;
        self.pending_extension = false;
    }

    fn flush(&mut self) {
        if let (Some(first), Some(last)) = (self.acc.groups.first(), self.acc.groups.last()) {
            let mut start = first.0;
            let before = &self.input[..start];
            if before.ends_with('+') || before.ends_with('(') {
                start -= 1;
            }
            self.entries.push((start, last.1));
            self.last_entry_open = true;
        }
        self.acc = Acc::default();
    }

    fn emit_word(&mut self, start: usize, end: usize) {
        self.flush();
        self.entries.push((start, end));
        self.last_entry_open = true;
    }

    fn word(&mut self, start: usize, end: usize) {
        let mut start = start;
        let mut text = &self.input[start..end];
        // A label glued to the number (`main:312-448-2915`) or standing alone (`main:`).
        if let Some(colon) = text.rfind(':') {
            if text[..colon].chars().any(char::is_alphabetic) {
                self.brk();
            }
            start += colon + 1;
            text = &self.input[start..end];
        }
        let end = start + strip_label_suffix(text).len();
        let text = &self.input[start..end];
        if self.acc.holds_area_code_only() && is_vanity_tail(text) {
            // `(212) JKL-MNOP`: the spelled part completes the area code before it.
            self.acc.groups.push((start, end, start));
            self.flush();
            return;
        }
        let has_digit = text.bytes().any(|b| b.is_ascii_digit());
        let has_letter = text.chars().any(char::is_alphabetic);
        if !has_digit {
            if is_extension_marker(text) {
                self.flush();
                self.pending_extension = self.last_entry_open;
            } else if has_letter {
                self.brk();
            }
            // Words of punctuation only (`-`, `(`) are noise between digit groups.
            return;
        }
        if has_letter || (self.pending_extension && self.last_entry_open) {
            self.word_with_letters(start, end);
            return;
        }
        self.digit_groups(start, end);
    }

    fn word_with_letters(&mut self, start: usize, end: usize) {
        let text = &self.input[start..end];
        let glued_extension = glued_extension(text);
        if (self.pending_extension || glued_extension)
            && self.acc.groups.is_empty()
            && let Some(last) = self.entries.last_mut().filter(|_| self.last_entry_open)
        {
            last.1 = end;
            self.pending_extension = false;
            self.last_entry_open = false;
            return;
        }
        if glued_extension {
            self.flush();
            if let Some(last) = self.entries.last_mut().filter(|_| self.last_entry_open) {
                last.1 = end;
            }
            self.last_entry_open = false;
            return;
        }
        self.pending_extension = false;
        if text.bytes().filter(u8::is_ascii_digit).count() < 3 {
            // `1st`, `2nd line`: words, not numbers.
            self.brk();
            return;
        }
        // A vanity number (`1-800-FLOWERS`) or something odd: either way it is one entry, and
        // parsing it says which.
        self.emit_word(start, end);
    }

    fn digit_groups(&mut self, start: usize, end: usize) {
        let word_index = start;
        let text = &self.input[start..end];
        if text.starts_with('+') {
            self.flush();
            self.acc.plus = true;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let group_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            self.group(start + group_start, start + i, word_index);
        }
    }

    fn group(&mut self, start: usize, end: usize, word: usize) {
        let len = end - start;
        if let Some(target) = self.acc.target() {
            let same_word = self.acc.groups.last().is_some_and(|g| g.2 == word);
            if self.acc.digits > 0 && self.acc.digits + len > target && !same_word {
                self.flush();
            }
        } else if self.acc.digits + len > MAX_INTERNATIONAL_DIGITS {
            self.flush();
        }
        if self.acc.groups.is_empty() {
            let digits = &self.input.as_bytes()[start..end];
            self.acc.first_digit = digits.first().copied();
            self.acc.starts_with_zero_zero = digits.starts_with(b"00");
        }
        self.acc.groups.push((start, end, word));
        self.acc.digits += len;
        if let Some(target) = self.acc.target() {
            let line_number_ends_it = len == 4 && self.acc.groups.len() > 1 && self.acc.digits >= 7;
            if self.acc.digits >= target || line_number_ends_it {
                self.flush();
            }
        }
    }
}

/// `JKL-MNOP`, `GOT-JUNK`: the last seven characters of a vanity number, with at least three
/// letters.
fn is_vanity_tail(text: &str) -> bool {
    let chars: Vec<char> = text.chars().filter(|c| !matches!(c, '-' | '.')).collect();
    let letters = chars.iter().filter(|c| c.is_ascii_alphabetic()).count();
    chars.len() == 7 && chars.iter().all(char::is_ascii_alphanumeric) && letters >= 3
}

/// `(fax)`, `(cell)` glued to the end of a number.
fn strip_label_suffix(text: &str) -> &str {
    if let Some(open) = text.rfind('(')
        && text.ends_with(')')
        && !text[open..].bytes().any(|b| b.is_ascii_digit())
    {
        return &text[..open];
    }
    text
}

fn is_extension_marker(text: &str) -> bool {
    let t = text.trim_end_matches(['.', ':', '#']).to_ascii_lowercase();
    matches!(t.as_str(), "x" | "ext" | "extension") || text == "#"
}

/// `x12`, `ext.12`, `#12`.
fn glued_extension(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let rest = ["extension", "ext", "x", "#"]
        .iter()
        .find_map(|m| lower.strip_prefix(m));
    rest.map(|r| r.trim_start_matches(['.', ':', '#']))
        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
}

/// Splits numbers into one group per kind, local first; empty groups are left out.
pub fn split_by_kind(numbers: &[PhoneNumber]) -> Vec<(NumberKind, Vec<PhoneNumber>)> {
    [NumberKind::Local, NumberKind::TollFree]
        .into_iter()
        .map(|kind| {
            let group: Vec<PhoneNumber> = numbers
                .iter()
                .filter(|n| n.kind() == kind)
                .cloned()
                .collect();
            (kind, group)
        })
        .filter(|(_, group)| !group.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(input: &str) -> String {
        match PhoneNumber::parse(input) {
            Ok(n) => n.e164().to_string(),
            Err(r) => panic!("{input:?} refused: {r:?}"),
        }
    }

    fn refused(input: &str) -> Refusal {
        let refusal = PhoneNumber::parse(input).expect_err(input);
        assert!(REFUSAL_CODES.contains(&refusal.code), "{}", refusal.code);
        refusal
    }

    fn code(input: &str) -> &'static str {
        refused(input).code
    }

    fn list(input: &str) -> (Vec<String>, Vec<String>, Vec<(String, &'static str)>) {
        let list = parse_number_list(input);
        (
            list.numbers.iter().map(|n| n.e164().to_string()).collect(),
            list.duplicates
                .iter()
                .map(|n| n.e164().to_string())
                .collect(),
            list.refused
                .iter()
                .map(|(t, r)| (t.clone(), r.code))
                .collect(),
        )
    }

    #[test]
    fn every_common_us_format_gives_the_same_number() {
        for input in [
            "3124482915",
            "312-448-2915",
            "(312) 448-2915",
            "(312)448-2915",
            "312.448.2915",
            "312 448 2915",
            "+1 312 448 2915",
            "1-312-448-2915",
            "+13124482915",
            "1 (312) 448-2915",
            "+1 (312) 448-2915",
            "  312-448-2915  ",
            "312–448–2915",
            "３１２４４８２９１５",
        ] {
            assert_eq!(e164(input), "+13124482915", "{input}");
        }
    }

    #[test]
    fn a_number_is_shown_in_national_format_and_stored_as_e164() {
        let n = PhoneNumber::parse("312.448.2915").unwrap();
        assert_eq!(n.national(), "(312) 448-2915");
        assert_eq!(n.e164(), "+13124482915");
        assert_eq!(n.kind(), NumberKind::Local);
    }

    #[test]
    fn toll_free_numbers_are_accepted_and_marked_toll_free() {
        for npa in TOLL_FREE_NPAS {
            let n = PhoneNumber::parse(&format!("{npa}-356-9377")).unwrap();
            assert_eq!(n.kind(), NumberKind::TollFree, "{npa}");
        }
    }

    #[test]
    fn a_vanity_number_is_read_from_its_letters() {
        assert_eq!(e164("1-800-FLOWERS"), "+18003569377");
        assert_eq!(e164("800-GOT-JUNK"), "+18004685865");
    }

    #[test]
    fn an_empty_answer_is_refused_as_empty() {
        assert_eq!(code(""), "phone.empty");
        assert_eq!(code("   "), "phone.empty");
    }

    #[test]
    fn words_are_not_a_number() {
        assert_eq!(code("my cell"), "phone.not_a_number");
        assert_eq!(code("312-448-2915 (fax)"), "phone.not_a_number");
        assert_eq!(code("📞📞📞"), "phone.not_a_number");
    }

    #[test]
    fn a_seven_digit_number_has_too_few_digits() {
        let r = refused("448-2915");
        assert_eq!(r.code, "phone.too_few_digits");
        assert_eq!(r.arg("digits"), Some("7"));
        assert_eq!(r.arg("input"), Some("448-2915"));
        assert_eq!(code("+1 312 448 291"), "phone.too_few_digits");
    }

    #[test]
    fn twelve_digits_are_too_many() {
        assert_eq!(code("312-448-29155"), "phone.too_many_digits");
        assert_eq!(code("23124482915"), "phone.too_many_digits");
        assert_eq!(code("+1 312 448 29155"), "phone.too_many_digits");
    }

    #[test]
    fn a_foreign_number_is_out_of_scope() {
        let r = refused("+44 20 7946 0958");
        assert_eq!(r.code, "phone.not_us");
        assert_eq!(r.arg("country"), Some("United Kingdom"));
        assert_eq!(code("+52 55 1234 5678"), "phone.not_us");
        assert_eq!(code("011 44 20 7946 0958"), "phone.not_us");
    }

    #[test]
    fn a_canadian_or_caribbean_area_code_is_not_us() {
        let r = refused("416-555-2671");
        assert_eq!(r.code, "phone.not_us");
        assert_eq!(r.arg("country"), Some("Canada"));
        assert_eq!(refused("(876) 927-1234").arg("country"), Some("Jamaica"));
    }

    #[test]
    fn a_foreign_number_names_its_country_in_words_even_when_a_calling_code_is_shared() {
        for (input, country) in [
            ("+39 347 123 4567", "Italy"),
            ("+7 495 123 45 67", "Russia"),
            ("+44 7700 900123", "United Kingdom"),
            ("+44 7911 123456", "Guernsey"),
            ("+52 55 1234 5678", "Mexico"),
            ("+1 416 555 2671", "Canada"),
        ] {
            let r = refused(input);
            assert_eq!(r.code, "phone.not_us", "{input}");
            assert_eq!(r.arg("country"), Some(country), "{input}");
        }
    }

    #[test]
    fn a_foreign_number_whose_country_cannot_be_named_is_refused_without_a_country() {
        let r = refused("+999 1234 5678");
        assert_eq!(r.code, "phone.not_us_unnamed");
        assert_eq!(r.arg("country"), None);
    }

    #[test]
    fn an_area_code_opened_after_the_crates_data_is_accepted() {
        // 472 (North Carolina) is only partly in libphonenumber 9.0.33, which the crate bundles.
        let n = PhoneNumber::parse("472-555-2231").unwrap();
        assert!(n.is_confirmed());
        assert_eq!(e164("(472) 222-0101"), "+14722220101");
    }

    #[test]
    fn a_nanp_shaped_number_in_an_area_code_the_data_does_not_know_is_kept_unconfirmed() {
        // 238 is not in service today: when it opens, the bot must not call its numbers invalid.
        let n = PhoneNumber::parse("238-448-2915").unwrap();
        assert!(!n.is_confirmed());
        assert_eq!(n.kind(), NumberKind::Local);
        let list = parse_number_list("312-448-2915, 238-448-2915");
        assert_eq!(list.numbers.len(), 2);
        assert_eq!(list.unconfirmed(), [n]);
    }

    #[test]
    fn an_exchange_the_data_does_not_list_is_kept_unconfirmed() {
        // Guam's exchanges are listed one by one, and 301 is not among them.
        let n = PhoneNumber::parse("671-301-1234").unwrap();
        assert!(!n.is_confirmed());
        assert!(PhoneNumber::parse("671-472-1234").unwrap().is_confirmed());
    }

    #[test]
    fn an_unknown_number_in_a_code_set_aside_for_toll_free_is_toll_free() {
        let n = PhoneNumber::parse("822-448-2915").unwrap();
        assert!(!n.is_confirmed());
        assert_eq!(n.kind(), NumberKind::TollFree);
        assert_eq!(
            PhoneNumber::parse("883-448-2915").unwrap().kind(),
            NumberKind::TollFree
        );
    }

    #[test]
    fn unknown_n00_codes_are_non_geographic() {
        for npa in ["200", "300", "400", "700"] {
            assert_eq!(
                code(&format!("{npa}-448-2915")),
                "phone.non_geographic",
                "{npa}"
            );
        }
    }

    #[test]
    fn non_geographic_5xx_numbers_are_refused_with_their_own_reason() {
        for npa in ["500", "521", "522", "533", "544", "566", "577", "588"] {
            let r = refused(&format!("{npa}-448-2915"));
            assert_eq!(r.code, "phone.non_geographic", "{npa}");
            assert_eq!(r.arg("area_code"), Some(npa));
        }
        // 555 and 599 are not in the data; 5NN is set aside for non-geographic services.
        assert_eq!(code("555-448-2915"), "phone.non_geographic");
    }

    #[test]
    fn geographic_5xx_area_codes_are_ordinary_us_numbers() {
        for npa in [
            "501", "502", "503", "505", "510", "520", "530", "540", "559", "585",
        ] {
            assert!(
                PhoneNumber::parse(&format!("{npa}-448-2915")).is_ok(),
                "{npa}"
            );
        }
        assert_eq!(refused("514-448-2915").arg("country"), Some("Canada"));
    }

    #[test]
    fn area_codes_reserved_for_expanding_the_plan_are_invalid() {
        for npa in ["290", "999", "370", "960"] {
            assert_eq!(code(&format!("{npa}-448-2915")), "phone.invalid", "{npa}");
        }
    }

    #[test]
    fn a_short_international_us_number_counts_the_digits_after_the_country_code() {
        let r = refused("+1 212 736 410");
        assert_eq!(r.code, "phone.too_few_digits");
        assert_eq!(r.arg("digits"), Some("9"));
        assert_eq!(refused("011 1 212 736 410").arg("digits"), Some("9"));
        assert_eq!(refused("+1 212 736 41000").arg("digits"), Some("11"));
    }

    #[test]
    fn a_slash_after_the_area_code_is_part_of_the_number() {
        assert_eq!(e164("917/555-2231"), "+19175552231");
        let (numbers, _, refused) = list("917/555-2231, 212/736-4100");
        assert_eq!(numbers, ["+19175552231", "+12127364100"]);
        assert!(refused.is_empty(), "{refused:?}");
        let (numbers, _, _) = list("312-448-2915/312-448-2916");
        assert_eq!(numbers, ["+13124482915", "+13124482916"]);
    }

    #[test]
    fn letters_that_look_like_digits_are_not_dialled_but_questioned() {
        for input in [
            "212-736-41OO",
            "212-736-4l00",
            "2I2-736-4100",
            "212-736-41oo",
        ] {
            let r = refused(input);
            assert_eq!(r.code, "phone.look_alike", "{input}");
            assert_eq!(r.arg("suggestion"), Some("(212) 736-4100"), "{input}");
        }
        let (numbers, _, refused) = list("212-736-41OO, 312-448-2915");
        assert_eq!(numbers, ["+13124482915"]);
        assert_eq!(refused, [("212-736-41OO".to_string(), "phone.look_alike")]);
    }

    #[test]
    fn two_letters_that_are_not_look_alikes_are_not_a_number() {
        assert_eq!(code("212-736-41AB"), "phone.not_a_number");
    }

    #[test]
    fn a_vanity_number_with_parentheses_is_read_like_the_others() {
        assert_eq!(e164("(212) JKL-MNOP"), "+12125556667");
        let (numbers, _, refused) = list("(212) JKL-MNOP and 1-800 FLOWERS");
        assert_eq!(numbers, ["+12125556667", "+18003569377"]);
        assert!(refused.is_empty(), "{refused:?}");
    }

    #[test]
    fn full_width_digits_in_a_list_are_digits() {
        let (numbers, _, refused) = list("３１２−４４８−２９１５、３１２ ４４８ ２９１６");
        assert_eq!(numbers, ["+13124482915", "+13124482916"]);
        assert!(refused.is_empty(), "{refused:?}");
    }

    #[test]
    fn a_last_four_digits_shorthand_adds_a_number_of_the_same_exchange() {
        for input in [
            "212-736-4100 and 4101",
            "212-736-4100 & 4101",
            "212-736-4100, 4101",
            "212-736-4100/4101",
        ] {
            let (numbers, _, refused) = list(input);
            assert_eq!(numbers, ["+12127364100", "+12127364101"], "{input}");
            assert!(refused.is_empty(), "{input}: {refused:?}");
        }
        let (numbers, _, _) = list("212-736-4100, 4101 and 4105");
        assert_eq!(numbers, ["+12127364100", "+12127364101", "+12127364105"]);
        let (numbers, _, refused) = list("212-736-4100 and 4101, both on AT&T");
        assert_eq!(numbers, ["+12127364100", "+12127364101"]);
        assert!(refused.is_empty(), "{refused:?}");
    }

    #[test]
    fn a_range_shorthand_expands_to_every_number_between() {
        let want = [
            "+12127364100",
            "+12127364101",
            "+12127364102",
            "+12127364103",
        ];
        for input in [
            "212-736-4100 through 4103",
            "212-736-4100 thru 4103",
            "212-736-4100-4103",
            "212-736-4100 - 4103",
            "212-736-4100 to 4103",
            "(212) 736-4100 \u{2013} 4103",
        ] {
            let (numbers, _, refused) = list(input);
            assert_eq!(numbers, want, "{input}");
            assert!(refused.is_empty(), "{input}: {refused:?}");
        }
        let (numbers, _, _) = list("312-448-2915 and 212-736-4100 to 4101");
        assert_eq!(numbers, ["+13124482915", "+12127364100", "+12127364101"]);
    }

    #[test]
    fn a_range_after_a_range_is_not_chained() {
        let (numbers, _, refused) = list("212-736-4100 through 4101 through 4103");
        assert_eq!(numbers, ["+12127364100", "+12127364101"]);
        assert_eq!(refused, [("4103".to_string(), "phone.too_few_digits")]);
        let (numbers, _, _) = list("212-736-4100 through 4101 and 4103");
        assert_eq!(numbers, ["+12127364100", "+12127364101", "+12127364103"]);
    }

    #[test]
    fn a_backwards_range_is_refused_whole_with_its_ends() {
        let list = parse_number_list("212-736-4103 through 4100, 312-448-2915");
        assert_eq!(list.numbers, [PhoneNumber::parse("312-448-2915").unwrap()]);
        let (typed, r) = &list.refused[0];
        assert_eq!(typed, "212-736-4103 through 4100");
        assert_eq!(r.code, "phone.range_backwards");
        assert_eq!(r.arg("first"), Some("(212) 736-4103"));
        assert_eq!(r.arg("last"), Some("(212) 736-4100"));
    }

    #[test]
    fn a_range_of_more_than_a_hundred_numbers_is_refused() {
        let list = parse_number_list("212-736-4100 through 4200");
        assert!(list.numbers.is_empty());
        let r = &list.refused[0].1;
        assert_eq!(r.code, "phone.range_too_long");
        assert_eq!(r.arg("count"), Some("101"));
        assert_eq!(r.arg("limit"), Some("100"));
        assert_eq!(list_len("212-736-4100 through 4199"), 100);
    }

    fn list_len(input: &str) -> usize {
        parse_number_list(input).numbers.len()
    }

    #[test]
    fn a_range_over_the_fictional_555_numbers_is_refused() {
        let list = parse_number_list("312-555-0198 through 0201");
        assert!(list.numbers.is_empty());
        assert_eq!(list.refused[0].1.code, "phone.fictional");
    }

    #[test]
    fn a_four_digit_entry_after_a_refused_number_is_not_shorthand() {
        let (numbers, _, refused) = list("312-555-0150 and 4101");
        assert!(numbers.is_empty());
        assert_eq!(refused[1], ("4101".to_string(), "phone.too_few_digits"));
    }

    #[test]
    fn us_territories_are_in_scope() {
        assert_eq!(e164("787-722-1234"), "+17877221234");
        assert_eq!(e164("671-472-1234"), "+16714721234");
    }

    #[test]
    fn an_area_code_starting_with_0_or_1_is_refused() {
        let r = refused("112-448-2915");
        assert_eq!(r.code, "phone.area_code");
        assert_eq!(r.arg("area_code"), Some("112"));
        assert_eq!(code("012-448-2915"), "phone.area_code");
    }

    #[test]
    fn an_exchange_starting_with_0_or_1_is_refused() {
        let r = refused("312-048-2915");
        assert_eq!(r.code, "phone.exchange");
        assert_eq!(r.arg("exchange"), Some("048"));
        assert_eq!(code("312-148-2915"), "phone.exchange");
    }

    #[test]
    fn an_n11_area_code_is_refused() {
        let r = refused("411-448-2915");
        assert_eq!(r.code, "phone.n11");
        assert_eq!(r.arg("code"), Some("411"));
    }

    #[test]
    fn a_number_with_an_n11_exchange_is_refused() {
        for nxx in ["211", "311", "411", "511", "611", "711", "811", "911"] {
            let r = refused(&format!("312-{nxx}-2915"));
            assert_eq!(r.code, "phone.n11");
            assert_eq!(r.arg("code"), Some(nxx));
        }
    }

    #[test]
    fn fictional_555_01xx_numbers_cannot_be_ported() {
        assert_eq!(code("312-555-0100"), "phone.fictional");
        assert_eq!(code("312-555-0150"), "phone.fictional");
        assert_eq!(code("312-555-0199"), "phone.fictional");
    }

    #[test]
    fn a_555_number_outside_the_fictional_range_is_not_refused_as_fictional() {
        if let Err(r) = PhoneNumber::parse("312-555-0200") {
            assert_ne!(r.code, "phone.fictional");
        }
    }

    #[test]
    fn premium_900_numbers_are_not_portable() {
        assert_eq!(code("900-448-2915"), "phone.premium");
    }

    #[test]
    fn an_unassigned_area_code_is_invalid() {
        let r = refused("999-448-2915");
        assert_eq!(r.code, "phone.invalid");
        assert_eq!(r.arg("area_code"), Some("999"));
    }

    #[test]
    fn a_number_with_an_extension_is_refused_naming_the_main_number() {
        for input in [
            "312-448-2915 ext 12",
            "312-448-2915 ext. 12",
            "312-448-2915 x12",
            "312-448-2915 #12",
            "(312) 448-2915 extension 4",
        ] {
            let r = refused(input);
            assert_eq!(r.code, "phone.extension", "{input}");
            assert_eq!(r.arg("number"), Some("(312) 448-2915"), "{input}");
        }
    }

    #[test]
    fn the_input_argument_is_trimmed_and_shortened() {
        let long = format!("  {}  ", "9".repeat(100));
        let r = refused(&long);
        assert_eq!(r.code, "phone.too_many_digits");
        assert!(r.arg("input").unwrap().chars().count() <= 41);
    }

    #[test]
    fn hostile_input_never_panics() {
        let inputs = [
            "9".repeat(100_000),
            "+".repeat(100_000),
            "x1".repeat(50_000),
            "1234567x1".repeat(10_000),
            "😀".repeat(100_000),
            "\u{0}\u{1}\u{7f}\u{202e}312-448-2915".to_string(),
            "+1".to_string(),
            "+".to_string(),
            "(".to_string(),
            "1-800-".to_string(),
            "ext 12".to_string(),
        ];
        for input in &inputs {
            let _ = PhoneNumber::parse(input);
            let _ = parse_number_list(input);
        }
    }

    #[test]
    fn serde_round_trips_through_e164_text() {
        let n = PhoneNumber::parse("312-448-2915").unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"+13124482915\"");
        assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), n);
        assert!(serde_json::from_str::<PhoneNumber>("\"+13125550123\"").is_err());
    }

    #[test]
    fn a_list_is_split_on_commas_semicolons_newlines_and_words() {
        let (numbers, _, refused) = list(
            "312-448-2915, 312-448-2916; 312-448-2917\n312-448-2918 and 312-448-2919 & \
             312-448-2920 / 312-448-2921 | 312-448-2922",
        );
        assert_eq!(numbers.len(), 8, "{numbers:?}");
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(numbers[0], "+13124482915");
        assert_eq!(numbers[7], "+13124482922");
    }

    #[test]
    fn numbers_separated_only_by_spaces_are_told_apart_by_their_digit_groups() {
        let (numbers, _, refused) = list("312 448 2915 312 448 2916");
        assert_eq!(numbers, ["+13124482915", "+13124482916"]);
        assert!(refused.is_empty());
        let (numbers, _, _) = list("3124482915 3124482916 +1 312 448 2917 1 312 448 2918");
        assert_eq!(
            numbers,
            [
                "+13124482915",
                "+13124482916",
                "+13124482917",
                "+13124482918"
            ]
        );
        let (numbers, _, _) = list("(312) 448-2915 (312) 448-2916");
        assert_eq!(numbers, ["+13124482915", "+13124482916"]);
    }

    #[test]
    fn duplicates_are_merged_and_reported_once() {
        let (numbers, duplicates, _) =
            list("312-448-2915, (312) 448-2915, +13124482915, 312-448-2916, 312.448.2916");
        assert_eq!(numbers, ["+13124482915", "+13124482916"]);
        assert_eq!(duplicates, ["+13124482915", "+13124482916"]);
    }

    #[test]
    fn invalid_entries_are_refused_with_their_reason_and_order_is_kept() {
        let (numbers, _, refused) =
            list("312-448-2915, 448-2916, 312-555-0123, 312-411-2915, 312-448-2917");
        assert_eq!(numbers, ["+13124482915", "+13124482917"]);
        assert_eq!(
            refused,
            [
                ("448-2916".to_string(), "phone.too_few_digits"),
                ("312-555-0123".to_string(), "phone.fictional"),
                ("312-411-2915".to_string(), "phone.n11"),
            ]
        );
    }

    #[test]
    fn a_seven_digit_number_among_spaced_numbers_is_not_glued_to_the_next() {
        let (numbers, _, refused) = list("448 2915 312 448 2916");
        assert_eq!(numbers, ["+13124482916"]);
        assert_eq!(refused, [("448 2915".to_string(), "phone.too_few_digits")]);
    }

    #[test]
    fn labels_before_and_after_a_number_are_ignored() {
        let (numbers, _, refused) = list(
            "main: 312-448-2915\nfax: (312) 448-2916\n312-448-2917 (fax)\n\
             Office line 312 448 2918, cell:312-448-2919",
        );
        assert_eq!(
            numbers,
            [
                "+13124482915",
                "+13124482916",
                "+13124482917",
                "+13124482918",
                "+13124482919"
            ]
        );
        assert!(refused.is_empty(), "{refused:?}");
    }

    #[test]
    fn a_number_with_an_extension_in_a_list_is_refused_not_lost() {
        let (numbers, _, refused) = list("312-448-2915 ext 12, 312-448-2916 x7, 312-448-2917");
        assert_eq!(numbers, ["+13124482917"]);
        assert_eq!(
            refused,
            [
                ("312-448-2915 ext 12".to_string(), "phone.extension"),
                ("312-448-2916 x7".to_string(), "phone.extension"),
            ]
        );
    }

    #[test]
    fn a_foreign_number_in_a_list_is_refused_as_one_entry() {
        let (numbers, _, refused) = list("+44 20 7946 0958, 312-448-2915");
        assert_eq!(numbers, ["+13124482915"]);
        assert_eq!(refused, [("+44 20 7946 0958".to_string(), "phone.not_us")]);
    }

    #[test]
    fn a_vanity_number_in_a_list_is_kept() {
        let (numbers, _, _) = list("1-800-FLOWERS and 312-448-2915");
        assert_eq!(numbers, ["+18003569377", "+13124482915"]);
    }

    #[test]
    fn a_typo_with_an_extra_digit_is_one_refused_entry() {
        let (numbers, _, refused) = list("312-448-29155 312-448-2916");
        assert_eq!(numbers, ["+13124482916"]);
        assert_eq!(
            refused,
            [("312-448-29155".to_string(), "phone.too_many_digits")]
        );
    }

    #[test]
    fn an_empty_list_has_nothing() {
        assert_eq!(parse_number_list(""), NumberList::default());
        assert_eq!(parse_number_list("none, and"), NumberList::default());
    }

    #[test]
    fn numbers_split_by_kind_local_first() {
        let list = parse_number_list("800-356-9377, 312-448-2915, 888-356-9377");
        let groups = split_by_kind(&list.numbers);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, NumberKind::Local);
        assert_eq!(groups[1].1.len(), 2);
    }
}
