//! US phone numbers (NANP): parsing any common format, the porting rules on top of
//! libphonenumber, and splitting a customer's list into numbers.

use std::borrow::Cow;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::{Refusal, echo};

/// Every code [`PhoneNumber::parse`] can return.
pub const REFUSAL_CODES: &[&str] = &[
    "phone.empty",
    "phone.not_a_number",
    "phone.too_few_digits",
    "phone.too_many_digits",
    "phone.not_us",
    "phone.area_code",
    "phone.exchange",
    "phone.n11",
    "phone.fictional",
    "phone.premium",
    "phone.extension",
    "phone.invalid",
];

const TOLL_FREE_NPAS: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

/// Regions libphonenumber gives NANP numbers that port through the US number portability
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
        if TOLL_FREE_NPAS.contains(&&self.0[2..5]) {
            NumberKind::TollFree
        } else {
            NumberKind::Local
        }
    }
}

type Refused = (&'static str, Vec<(&'static str, String)>);

/// Parses a number that has no extension; the caller adds the `input` argument.
fn parse_plain(text: &str) -> Result<PhoneNumber, Refused> {
    let (digits, count) = digits_of(text).ok_or(("phone.not_a_number", Vec::new()))?;
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
            return Err(("phone.not_us", foreign_country(after_prefix, count)));
        }
        match count.cmp(&(digits.len() - after_prefix.len() + 11)) {
            std::cmp::Ordering::Less => return Err(("phone.too_few_digits", count_arg())),
            std::cmp::Ordering::Greater => return Err(("phone.too_many_digits", count_arg())),
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
    check_with_libphonenumber(national)?;
    Ok(PhoneNumber(format!("+1{national}")))
}

/// The digits of a number as typed, and how many there are (only the first few dozen are kept:
/// nothing longer is a phone number). `None` when it is not a number at all: no digits, or
/// characters that are neither digits, separators nor a vanity spelling (`1-800-FLOWERS`).
fn digits_of(text: &str) -> Option<(String, usize)> {
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
            return None;
        }
    }
    if letters {
        return vanity_digits(text).map(|d| {
            let n = d.len();
            (d, n)
        });
    }
    (count > 0).then_some((digits, count))
}

/// Spelled numbers such as `1-800-FLOWERS` or `800-GOT-JUNK`: the whole number in one piece,
/// area code in digits, letters mapped as on a phone keypad.
fn vanity_digits(text: &str) -> Option<String> {
    let compact: Vec<char> = text
        .chars()
        .filter(|c| !is_number_separator(*c))
        .take(12)
        .collect();
    let area_code_at = usize::from(compact.first() == Some(&'1'));
    let complete = compact.len() == 10 + area_code_at;
    if !complete
        || !compact[..area_code_at + 3].iter().all(char::is_ascii_digit)
        || !compact.iter().all(char::is_ascii_alphanumeric)
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

/// libphonenumber knows which area codes are in service and which country each belongs to.
fn check_with_libphonenumber(national: &str) -> Result<(), Refused> {
    let area_code = || ("area_code", national[0..3].to_string());
    let number = phonenumber::parse(None, format!("+1{national}"))
        .map_err(|_| ("phone.invalid", vec![area_code()]))?;
    if let Some(region) = number.country().id()
        && !US_REGIONS.contains(&region.as_ref())
    {
        return Err((
            "phone.not_us",
            vec![("country", region.as_ref().to_string()), area_code()],
        ));
    }
    if !number.is_valid() {
        return Err(("phone.invalid", vec![area_code()]));
    }
    Ok(())
}

/// For an international number (digits after the `+`): the country libphonenumber names, if any.
fn foreign_country(digits: &str, count: usize) -> Vec<(&'static str, String)> {
    if count > MAX_INTERNATIONAL_DIGITS + 3 || digits.is_empty() {
        return Vec::new();
    }
    phonenumber::parse(None, format!("+{digits}"))
        .ok()
        .and_then(|n| n.country().id())
        .map(|id| vec![("country", id.as_ref().to_string())])
        .unwrap_or_default()
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
    /// Valid numbers, each once, in the order first given.
    pub numbers: Vec<PhoneNumber>,
    /// Numbers that were given more than once (each listed once).
    pub duplicates: Vec<PhoneNumber>,
    /// Entries that are not portable numbers, as typed, with the reason.
    pub refused: Vec<(String, Refusal)>,
}

/// Reads a list of numbers as customers type them: separated by commas, semicolons, new lines,
/// `and`, `&`, slashes, or only spaces (`312 448 2915 312 448 2916` is two numbers), with
/// optional labels (`main: ...`, `... (fax)`). Anything that looks like a number but is not a
/// portable one is kept in `refused`, so no number the customer typed is silently dropped.
pub fn parse_number_list(input: &str) -> NumberList {
    let mut list = NumberList::default();
    let mut seen = HashSet::new();
    let mut repeated = HashSet::new();
    for entry in split_entries(input) {
        match PhoneNumber::parse(entry) {
            Ok(number) => {
                if seen.insert(number.clone()) {
                    list.numbers.push(number);
                } else if repeated.insert(number.clone()) {
                    list.duplicates.push(number);
                }
            }
            Err(refusal) => list.refused.push((echo(entry), refusal)),
        }
    }
    list
}

/// Splits a typed list into the text of each entry (slices of `input`).
fn split_entries(input: &str) -> Vec<&str> {
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
    splitter
        .entries
        .into_iter()
        .map(|(start, end)| &input[start..end])
        .collect()
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

/// Whitespace-separated words (byte ranges), with list separators as breaks.
fn words(input: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in input.char_indices() {
        let separator = is_list_separator(c);
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
        assert_eq!(r.arg("country"), Some("GB"));
        assert_eq!(code("+52 55 1234 5678"), "phone.not_us");
        assert_eq!(code("011 44 20 7946 0958"), "phone.not_us");
    }

    #[test]
    fn a_canadian_or_caribbean_area_code_is_not_us() {
        let r = refused("416-555-2671");
        assert_eq!(r.code, "phone.not_us");
        assert_eq!(r.arg("country"), Some("CA"));
        assert_eq!(refused("(876) 927-1234").arg("country"), Some("JM"));
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
