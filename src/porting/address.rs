//! US service addresses, parsed from one line as a customer types them.
//!
//! The carrier compares the address with its own record, so the customer's words are kept;
//! only whitespace is tidied, the state becomes its USPS code, the city is put in proper case
//! (`SPRINGFIELD` -> `Springfield`) and the unit is split out. Without commas, the street and
//! city are split only where the split is certain; otherwise the customer is asked for commas.

use serde::{Deserialize, Serialize};

use super::Refusal;

/// Every code [`UsAddress::parse`] can return.
pub const REFUSAL_CODES: &[&str] = &[
    "address.empty",
    "address.too_long",
    "address.po_box",
    "address.private_mailbox",
    "address.no_zip",
    "address.bad_zip",
    "address.no_state",
    "address.unknown_state",
    "address.no_city",
    "address.needs_commas",
    "address.no_street",
    "address.no_house_number",
];

/// Longer than any real one-line address.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// USPS codes and names of the states, DC and the inhabited territories. Military (AA, AE, AP)
/// and freely associated states are not service addresses for a US port.
const STATES: [(&str, &str); 56] = [
    ("AL", "alabama"),
    ("AK", "alaska"),
    ("AZ", "arizona"),
    ("AR", "arkansas"),
    ("CA", "california"),
    ("CO", "colorado"),
    ("CT", "connecticut"),
    ("DE", "delaware"),
    ("FL", "florida"),
    ("GA", "georgia"),
    ("HI", "hawaii"),
    ("ID", "idaho"),
    ("IL", "illinois"),
    ("IN", "indiana"),
    ("IA", "iowa"),
    ("KS", "kansas"),
    ("KY", "kentucky"),
    ("LA", "louisiana"),
    ("ME", "maine"),
    ("MD", "maryland"),
    ("MA", "massachusetts"),
    ("MI", "michigan"),
    ("MN", "minnesota"),
    ("MS", "mississippi"),
    ("MO", "missouri"),
    ("MT", "montana"),
    ("NE", "nebraska"),
    ("NV", "nevada"),
    ("NH", "new hampshire"),
    ("NJ", "new jersey"),
    ("NM", "new mexico"),
    ("NY", "new york"),
    ("NC", "north carolina"),
    ("ND", "north dakota"),
    ("OH", "ohio"),
    ("OK", "oklahoma"),
    ("OR", "oregon"),
    ("PA", "pennsylvania"),
    ("RI", "rhode island"),
    ("SC", "south carolina"),
    ("SD", "south dakota"),
    ("TN", "tennessee"),
    ("TX", "texas"),
    ("UT", "utah"),
    ("VT", "vermont"),
    ("VA", "virginia"),
    ("WA", "washington"),
    ("WV", "west virginia"),
    ("WI", "wisconsin"),
    ("WY", "wyoming"),
    ("DC", "district of columbia"),
    ("PR", "puerto rico"),
    ("VI", "virgin islands"),
    ("GU", "guam"),
    ("AS", "american samoa"),
    ("MP", "northern mariana islands"),
];

/// Other names customers use: traditional abbreviations (`Ill.`, `Calif.`) and long forms.
const STATE_ALIASES: [(&str, &str); 39] = [
    ("AL", "ala"),
    ("AZ", "ariz"),
    ("AR", "ark"),
    ("CA", "calif"),
    ("CA", "cal"),
    ("CO", "colo"),
    ("CT", "conn"),
    ("DE", "del"),
    ("FL", "fla"),
    ("IL", "ill"),
    ("IN", "ind"),
    ("KS", "kan"),
    ("KS", "kans"),
    ("MA", "mass"),
    ("MI", "mich"),
    ("MN", "minn"),
    ("MS", "miss"),
    ("MT", "mont"),
    ("NE", "neb"),
    ("NE", "nebr"),
    ("NV", "nev"),
    ("OK", "okla"),
    ("OR", "ore"),
    ("OR", "oreg"),
    ("PA", "penn"),
    ("PA", "penna"),
    ("TN", "tenn"),
    ("TX", "tex"),
    ("WA", "wash"),
    ("WV", "w va"),
    ("WV", "wva"),
    ("WI", "wis"),
    ("WI", "wisc"),
    ("WY", "wyo"),
    ("DC", "d c"),
    ("VI", "us virgin islands"),
    ("VI", "u s virgin islands"),
    ("VI", "united states virgin islands"),
    ("MP", "northern marianas"),
];

/// Street suffixes that end the street when a customer types no comma before the city. Only
/// common ones: rarer suffixes (`Park`, `Shore`, `Lake`) are too often part of a name.
const STREET_SUFFIXES: [&str; 46] = [
    "st",
    "street",
    "ave",
    "av",
    "avenue",
    "rd",
    "road",
    "blvd",
    "boulevard",
    "dr",
    "drive",
    "ln",
    "lane",
    "ct",
    "court",
    "pl",
    "place",
    "way",
    "pkwy",
    "parkway",
    "cir",
    "circle",
    "ter",
    "terrace",
    "hwy",
    "highway",
    "sq",
    "square",
    "trl",
    "trail",
    "loop",
    "row",
    "aly",
    "alley",
    "plz",
    "plaza",
    "pike",
    "path",
    "walk",
    "xing",
    "crossing",
    "expy",
    "expressway",
    "fwy",
    "freeway",
    "tpke",
];

const DIRECTIONS: [&str; 8] = ["n", "s", "e", "w", "ne", "nw", "se", "sw"];

const UNIT_DESIGNATORS: [&str; 20] = [
    "apt",
    "apartment",
    "suite",
    "ste",
    "unit",
    "#",
    "fl",
    "floor",
    "rm",
    "room",
    "bldg",
    "building",
    "lot",
    "spc",
    "space",
    "dept",
    "department",
    "trlr",
    "hngr",
    "pier",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsAddress {
    pub street: String,
    pub unit: Option<String>,
    pub city: String,
    /// Two-letter USPS code, upper case.
    pub state: String,
    /// `62704` or `62704-1234`, exactly as given (ZIP vs ZIP+4 must match the carrier's record);
    /// nine digits typed without the dash are written `62704-1234`.
    pub zip: String,
}

/// A word of the address as typed, and whether a comma (or line break) followed it.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    comma_after: bool,
}

impl<'a> Token<'a> {
    /// Lower case without dots, for comparing with the tables (`P.O.` -> `po`, `St.` -> `st`).
    fn key(&self) -> String {
        self.text
            .chars()
            .filter(|c| *c != '.')
            .flat_map(char::to_lowercase)
            .collect()
    }
}

impl UsAddress {
    /// Reads a one-line address: `123 Main St, Apt 4B, Springfield, IL 62704`,
    /// `500 W Madison St Ste 1200, Chicago IL 60661`, with the state as a code or a name.
    pub fn parse(input: &str) -> Result<Self, Refusal> {
        let input = input.trim();
        if input.is_empty() {
            return Err(Refusal::new("address.empty"));
        }
        if input.chars().count() > MAX_ADDRESS_CHARS {
            return Err(
                Refusal::new("address.too_long").with("limit", MAX_ADDRESS_CHARS.to_string())
            );
        }
        let mut tokens = tokenize(input);
        if is_private_mailbox(&tokens) {
            return Err(Refusal::new("address.private_mailbox"));
        }
        if is_po_box(&tokens) {
            return Err(Refusal::new("address.po_box"));
        }
        drop_country(&mut tokens);
        let zip = take_zip(&mut tokens)?;
        let state = take_state(&mut tokens)?;
        // Puerto Rico addresses often put the number after the street (`Calle Loíza 1955`).
        let number_after_street = state == "PR";
        let rural_route = rural_route_len(&tokens);
        let (street_tokens, unit_tokens, city_tokens) = match rural_route {
            Some(len) => split_rural_route(&tokens, len),
            None => split_street_and_city(&tokens, number_after_street)?,
        };
        let street = join(&street_tokens);
        let city = proper_case(&city_tokens);
        if city.is_empty() {
            return Err(Refusal::new("address.no_city"));
        }
        if street.is_empty() {
            return Err(Refusal::new("address.no_street"));
        }
        let has_number = |t: &Token| t.text.chars().any(|c| c.is_ascii_digit());
        let numbered = has_number(&street_tokens[0])
            || (number_after_street && street_tokens.last().is_some_and(has_number))
            || rural_route.is_some();
        if !numbered {
            return Err(Refusal::new("address.no_house_number"));
        }
        if street_tokens.len() < 2 {
            return Err(Refusal::new("address.no_street"));
        }
        let unit = (!unit_tokens.is_empty()).then(|| join(&unit_tokens));
        Ok(UsAddress {
            street,
            unit,
            city,
            state: state.to_string(),
            zip,
        })
    }

    /// A rural-route or highway-contract address (`RR 2 Box 45`, `HC 1 Box 22`): a real service
    /// location, but one the carrier's record must match exactly, which the customer is told.
    pub fn is_rural_route(&self) -> bool {
        let tokens = tokenize(&self.street);
        rural_route_len(&tokens).is_some()
    }

    /// `123 Main St, Apt 4, Springfield, IL 62704`
    pub fn one_line(&self) -> String {
        format!("{}, {}", self.street_line(), self.city_line())
    }

    /// `123 Main St, Apt 4B`
    pub fn street_line(&self) -> String {
        match &self.unit {
            Some(unit) => format!("{}, {}", self.street, unit),
            None => self.street.clone(),
        }
    }

    /// `Springfield, IL 62704`
    pub fn city_line(&self) -> String {
        format!("{}, {} {}", self.city, self.state, self.zip)
    }
}

/// Words split at whitespace; commas, semicolons and line breaks mark where a part ends.
fn tokenize(input: &str) -> Vec<Token<'_>> {
    let mut tokens: Vec<Token> = Vec::new();
    for line in input.split(['\n', '\r']) {
        let mut start = None;
        let ends = line
            .char_indices()
            .chain(std::iter::once((line.len(), ' ')));
        for (i, c) in ends {
            let comma = c == ',' || c == ';';
            if comma || c.is_whitespace() || c.is_control() {
                if let Some(s) = start.take() {
                    tokens.push(Token {
                        text: &line[s..i],
                        comma_after: false,
                    });
                }
                if comma && let Some(last) = tokens.last_mut() {
                    last.comma_after = true;
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(last) = tokens.last_mut() {
            last.comma_after = true;
        }
    }
    if let Some(last) = tokens.last_mut() {
        last.comma_after = false;
    }
    tokens
}

fn join(tokens: &[Token]) -> String {
    let words: Vec<&str> = tokens.iter().map(|t| t.text).collect();
    words.join(" ")
}

/// `PO Box 12`, `P.O. Box 12`, `Post Office Box 12`, `POB 12`, `Box 12`, `PO12`; not
/// `Boxwood Ln` or `Box Elder Rd`.
fn is_po_box(tokens: &[Token]) -> bool {
    // `RR 2 Box 45`: the box of a rural route is where the service is.
    let tokens = &tokens[rural_route_len(tokens).unwrap_or(0)..];
    let keys: Vec<String> = tokens.iter().map(Token::key).collect();
    let numberish = |i: usize| {
        keys.get(i).is_some_and(|k| {
            k.trim_start_matches('#')
                .starts_with(|c: char| c.is_ascii_digit())
        })
    };
    let is = |i: usize, word: &str| keys.get(i).is_some_and(|k| k == word);
    keys.iter().enumerate().any(|(i, key)| match key.as_str() {
        "box" | "pob" | "pobox" => numberish(i + 1),
        "po" => is(i + 1, "box"),
        "p" => is(i + 1, "o") && is(i + 2, "box"),
        "post" => is(i + 1, "office") && is(i + 2, "box"),
        // Glued: `POBox12`, `POB12`, `Box#12`.
        k => ["pobox", "pob", "box"].iter().any(|prefix| {
            k.strip_prefix(prefix).is_some_and(|rest| {
                rest.trim_start_matches('#')
                    .starts_with(|c: char| c.is_ascii_digit())
            })
        }),
    })
}

/// `PMB 45`, `P.M.B. 45`, `Private Mailbox 45`, `Private Mail Box 45`: a box at a mail store,
/// a mail drop like a PO box.
fn is_private_mailbox(tokens: &[Token]) -> bool {
    let keys: Vec<String> = tokens.iter().map(Token::key).collect();
    let is = |i: usize, word: &str| keys.get(i).is_some_and(|k| k == word);
    (0..keys.len()).any(|i| {
        is(i, "pmb")
            || keys[i].strip_prefix("pmb").is_some_and(|rest| {
                rest.trim_start_matches('#')
                    .starts_with(|c: char| c.is_ascii_digit())
            })
            || (is(i, "p") && is(i + 1, "m") && is(i + 2, "b"))
            || (is(i, "private")
                && (is(i + 1, "mailbox") || (is(i + 1, "mail") && is(i + 2, "box"))))
    })
}

/// `RR 2 Box 45`, `R.R. 2 Box 45`, `Rural Route 2 Box 45`, `HC 1 Box 22`, `HCR 1 Box 22`,
/// `Highway Contract 1 Box 22`, `Star Route 1 Box 22`: how many tokens the route, its number
/// and its box take at the start of the address.
fn rural_route_len(tokens: &[Token]) -> Option<usize> {
    const ROUTES: [&[&str]; 10] = [
        &["rural", "route"],
        &["highway", "contract", "route"],
        &["highway", "contract"],
        &["star", "route"],
        &["r", "r"],
        &["rr"],
        &["rfd"],
        &["hc"],
        &["hcr"],
        &["hwy", "contract"],
    ];
    let keys: Vec<String> = tokens.iter().take(6).map(Token::key).collect();
    let numberish = |i: usize| {
        keys.get(i).is_some_and(|k| {
            k.trim_start_matches('#')
                .starts_with(|c: char| c.is_ascii_digit())
        })
    };
    let route = ROUTES.iter().find(|words| {
        keys.len() > words.len() && keys.iter().zip(words.iter()).all(|(k, w)| k == w)
    })?;
    let n = route.len();
    (numberish(n) && keys.get(n + 1).is_some_and(|k| k == "box") && numberish(n + 2))
        .then_some(n + 3)
}

/// A rural-route address: the route and box are the street, then an optional unit, then the
/// city (`RR 2 Box 45, Springfield`, `HC 1 Box 22 Lot 3 Fort Davis`).
fn split_rural_route<'a>(tokens: &[Token<'a>], len: usize) -> Parts<'a> {
    let street = tokens[..len].to_vec();
    let rest = &tokens[len..];
    let mut unit_end = 0;
    while unit_end < rest.len() && is_unit_at(rest, unit_end) {
        unit_end += if is_glued_unit(&rest[unit_end]) { 1 } else { 2 };
    }
    let unit_end = unit_end.min(rest.len());
    (street, rest[..unit_end].to_vec(), rest[unit_end..].to_vec())
}

/// The city in proper case: `SPRINGFIELD` and `springfield` become `Springfield`, and a word the
/// customer capitalized on purpose (`McAllen`, `DeKalb`) is kept as typed.
fn proper_case(tokens: &[Token]) -> String {
    let word = |text: &str| -> String {
        let mixed = text.chars().any(char::is_uppercase) && text.chars().any(char::is_lowercase);
        if mixed {
            return text.to_string();
        }
        let capitalized = |part: &str| -> String {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.as_str().to_lowercase().chars())
                    .collect(),
                None => String::new(),
            }
        };
        // `Winston-Salem`: each part of a hyphenated name; `O'Fallon`, `D'Iberville`: a letter
        // and an apostrophe start a name.
        text.split('-')
            .map(|part| match part.split_once('\'') {
                Some((letter, rest)) if letter.chars().count() == 1 => {
                    format!("{}'{}", capitalized(letter), capitalized(rest))
                }
                _ => capitalized(part),
            })
            .collect::<Vec<String>>()
            .join("-")
    };
    let words: Vec<String> = tokens.iter().map(|t| word(t.text)).collect();
    words.join(" ")
}

fn drop_country(tokens: &mut Vec<Token>) {
    for country in [
        &["united", "states", "of", "america"][..],
        &["united", "states"],
        &["usa"],
        &["us"],
    ] {
        let n = country.len();
        if tokens.len() > n
            && tokens[tokens.len() - n..]
                .iter()
                .zip(country)
                .all(|(t, c)| t.key() == *c)
        {
            tokens.truncate(tokens.len() - n);
            return;
        }
    }
}

fn take_zip(tokens: &mut Vec<Token>) -> Result<String, Refusal> {
    let last = tokens
        .last()
        .ok_or_else(|| Refusal::new("address.no_zip"))?;
    let text = last.text.trim_end_matches('.');
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(Refusal::new("address.no_zip"));
    }
    // `NY 10118 1234`: ZIP+4 typed with a space instead of the dash.
    let is_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if is_digits(text, 4)
        && let Some(five) = tokens.len().checked_sub(2).map(|i| tokens[i])
        && is_digits(five.text, 5)
        && !five.comma_after
        && let Some(zip) = normalize_zip(&format!("{}-{text}", five.text))
    {
        tokens.truncate(tokens.len() - 2);
        return Ok(zip);
    }
    let zip =
        normalize_zip(text).ok_or_else(|| Refusal::new("address.bad_zip").with("zip", text))?;
    tokens.pop();
    Ok(zip)
}

/// `62704` and `62704-1234` as typed; `627041234` gets its dash. `00000` is no ZIP.
fn normalize_zip(text: &str) -> Option<String> {
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let zip = match text.split_once('-') {
        None if text.len() == 5 && all_digits(text) => text.to_string(),
        None if text.len() == 9 && all_digits(text) => format!("{}-{}", &text[..5], &text[5..]),
        Some((five, four))
            if five.len() == 5 && four.len() == 4 && all_digits(five) && all_digits(four) =>
        {
            text.to_string()
        }
        _ => return None,
    };
    (!zip.starts_with("00000")).then_some(zip)
}

/// The state named by the last `words` tokens, if there is something before them.
fn state_name_at_end(tokens: &[Token], words: usize) -> Option<&'static str> {
    if tokens.len() <= words {
        return None;
    }
    let tail = &tokens[tokens.len() - words..];
    if tail[..words - 1].iter().any(|t| t.comma_after) {
        return None;
    }
    let name: Vec<String> = tail.iter().map(Token::key).collect();
    let name = name.join(" ");
    STATES
        .iter()
        .chain(STATE_ALIASES.iter())
        .find(|(_, n)| *n == name)
        .map(|(c, _)| *c)
}

fn take_state(tokens: &mut Vec<Token>) -> Result<&'static str, Refusal> {
    let Some(&last) = tokens.last() else {
        return Err(Refusal::new("address.no_state"));
    };
    // Names of up to four words first, longest first (`West Virginia` before `Virginia`,
    // `W. Va.` before `VA`), then two-letter codes, then one-word names.
    for words in (2..=4).rev() {
        if let Some(code) = state_name_at_end(tokens, words) {
            tokens.truncate(tokens.len() - words);
            return Ok(code);
        }
    }
    let key = last.key();
    if key.len() == 2 && key.chars().all(|c| c.is_ascii_alphabetic()) {
        let code = key.to_ascii_uppercase();
        return match STATES.iter().find(|(c, _)| *c == code) {
            Some((c, _)) => {
                tokens.pop();
                Ok(c)
            }
            None => Err(Refusal::new("address.unknown_state").with("state", last.text)),
        };
    }
    if let Some(code) = state_name_at_end(tokens, 1) {
        tokens.pop();
        return Ok(code);
    }
    // A lone word after its own comma, where a state belongs: a state we do not know.
    let before = tokens.len().checked_sub(2).map(|i| tokens[i]);
    let commas = tokens.iter().filter(|t| t.comma_after).count();
    if before.is_some_and(|t| t.comma_after) && commas >= 2 {
        return Err(Refusal::new("address.unknown_state").with("state", last.text));
    }
    Err(Refusal::new("address.no_state"))
}

/// Splits what is left (street, unit, city) into its three parts.
type Parts<'a> = (Vec<Token<'a>>, Vec<Token<'a>>, Vec<Token<'a>>);

fn split_street_and_city<'a>(
    tokens: &[Token<'a>],
    number_after_street: bool,
) -> Result<Parts<'a>, Refusal> {
    if tokens.is_empty() {
        return Err(Refusal::new("address.no_street"));
    }
    let mut segments: Vec<Vec<Token>> = vec![Vec::new()];
    for token in tokens {
        if let Some(segment) = segments.last_mut() {
            segment.push(*token);
        }
        if token.comma_after {
            segments.push(Vec::new());
        }
    }
    segments.retain(|s| !s.is_empty());
    if segments.len() >= 2 {
        let city = segments.pop().unwrap_or_default();
        // The segment that starts with a house number is the street; the others are unit parts
        // (`Apt 4B, 123 Main St` happens too).
        let street_at = segments
            .iter()
            .position(|s| s[0].text.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(0);
        let street_segment = segments.remove(street_at);
        let (street, mut unit) = split_unit(&street_segment);
        for segment in segments {
            unit.extend(segment);
        }
        return Ok((street, unit, city));
    }
    let line = &segments[0];
    if number_after_street && !line[0].text.contains(|c: char| c.is_ascii_digit()) {
        // `Calle Loíza 1955 San Juan`: the street runs to its number, then a unit may follow.
        let number_at = (1..line.len())
            .find(|&i| line[i].text.starts_with(|c: char| c.is_ascii_digit()))
            .ok_or_else(|| Refusal::new("address.needs_commas"))?;
        let mut end = number_at + 1;
        while end < line.len() && is_unit_at(line, end) {
            end += if is_glued_unit(&line[end]) { 1 } else { 2 };
        }
        let end = end.min(line.len());
        let (street, unit) = (
            line[..=number_at].to_vec(),
            line[number_at + 1..end].to_vec(),
        );
        return certain_city(street, unit, line[end..].to_vec());
    }
    if !line[0].text.contains(|c: char| c.is_ascii_digit()) {
        // `Springfield, IL 62704`: a city alone, set off by its comma.
        let city_only = tokens.last().is_some_and(|t| t.comma_after);
        let code = if city_only {
            "address.no_street"
        } else {
            "address.no_house_number"
        };
        return Err(Refusal::new(code));
    }
    let end = street_end(line).ok_or_else(|| Refusal::new("address.needs_commas"))?;
    let (street, unit) = split_unit(&line[..end]);
    certain_city(street, unit, line[end..].to_vec())
}

/// A split made without commas stands only if what is left for the city reads as a city: no
/// digits (`12 Apt 4B Fort Lauderdale` is not a city) and no unit. Otherwise the customer is
/// asked to put commas between the parts rather than a wrong address going on the LOA.
fn certain_city<'a>(
    street: Vec<Token<'a>>,
    unit: Vec<Token<'a>>,
    city: Vec<Token<'a>>,
) -> Result<Parts<'a>, Refusal> {
    let has_digit = city
        .iter()
        .any(|t| t.text.contains(|c: char| c.is_ascii_digit()));
    let has_unit = (0..city.len()).any(|i| is_unit_at(&city, i));
    if has_digit || has_unit {
        return Err(Refusal::new("address.needs_commas"));
    }
    Ok((street, unit, city))
}

/// `#4B`: designator and identifier in one word.
fn is_glued_unit(token: &Token) -> bool {
    token.text.starts_with('#') && token.text.len() > 1
}

/// A unit designator followed by something that identifies a unit (`Apt 4B`, `Suite A`), so
/// that `Old Pier Rd` is not read as a unit.
fn is_unit_at(line: &[Token], i: usize) -> bool {
    if is_glued_unit(&line[i]) {
        return true;
    }
    let identifies = line.get(i + 1).is_some_and(|next| {
        next.text.contains(|c: char| c.is_ascii_digit())
            || next.text.trim_start_matches('#').chars().count() == 1
    });
    identifies && UNIT_DESIGNATORS.contains(&line[i].key().as_str())
}

/// `Apt 4B`, `# 4B`, `#4B`, `3rd Floor`: where the unit starts in a street segment, after at
/// least a house number and one word of street name.
fn split_unit<'a>(segment: &[Token<'a>]) -> (Vec<Token<'a>>, Vec<Token<'a>>) {
    let ordinal_floor = |i: usize| i >= 3 && is_floor(&segment[i]) && is_ordinal(&segment[i - 1]);
    let start = (2..segment.len()).find_map(|i| {
        if ordinal_floor(i) {
            Some(i - 1)
        } else {
            is_unit_at(segment, i).then_some(i)
        }
    });
    match start {
        Some(i) => (segment[..i].to_vec(), segment[i..].to_vec()),
        None => (segment.to_vec(), Vec::new()),
    }
}

fn is_floor(token: &Token) -> bool {
    matches!(token.key().as_str(), "fl" | "floor")
}

fn is_ordinal(token: &Token) -> bool {
    let key = token.key();
    key.starts_with(|c: char| c.is_ascii_digit())
        && ["st", "nd", "rd", "th"].iter().any(|s| key.ends_with(s))
}

/// With no comma between street and city: the street runs to the first common suffix (plus a
/// directional like `NW`) or unit (`Apt 4B`) after the house number and a name word.
fn street_end(line: &[Token]) -> Option<usize> {
    let is_suffix = |t: &Token| STREET_SUFFIXES.contains(&t.key().as_str());
    let is_direction = |t: &Token| DIRECTIONS.contains(&t.key().as_str());
    let mut i = (2..line.len()).find(|&i| is_suffix(&line[i]) || is_unit_at(line, i))?;
    if is_suffix(&line[i]) {
        i += 1;
        // `9 Oak Ln St Louis`: a second suffix may start the city (`St` for Saint) or end the
        // street (`1 Park Lane Ave`); only commas can tell.
        if line.get(i).is_some_and(is_suffix) {
            return None;
        }
    }
    while i < line.len() && i > 2 && is_direction(&line[i]) {
        i += 1;
    }
    // `County Road 12`, `Highway 101`: the road's number is part of the street.
    if i < line.len() && is_numbered_road(&line[i - 1]) && is_road_number(&line[i]) {
        i += 1;
    }
    // Units: a designator and its identifier, as many as there are (`Bldg 2 Apt 4`, `5th Floor`).
    loop {
        if i < line.len() && is_unit_at(line, i) {
            i += if is_glued_unit(&line[i]) { 1 } else { 2 };
        } else if i + 1 < line.len() && is_ordinal(&line[i]) && is_floor(&line[i + 1]) {
            i += 2;
        } else {
            break;
        }
    }
    Some(i.min(line.len()))
}

/// Roads known by a number: `County Road 12`, `Highway 101`, `State Route 9`.
fn is_numbered_road(token: &Token) -> bool {
    matches!(
        token.key().as_str(),
        "road" | "rd" | "highway" | "hwy" | "route" | "rte"
    )
}

/// `12`, `12A`, `101B`.
fn is_road_number(token: &Token) -> bool {
    let key = token.key();
    key.starts_with(|c: char| c.is_ascii_digit())
        && key.len() <= 5
        && key.chars().all(|c| c.is_ascii_alphanumeric())
        && !is_ordinal(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> UsAddress {
        UsAddress::parse(input).unwrap_or_else(|r| panic!("{input:?}: {r:?}"))
    }

    fn refused(input: &str) -> Refusal {
        let r = UsAddress::parse(input).expect_err(input);
        assert!(REFUSAL_CODES.contains(&r.code), "{}", r.code);
        r
    }

    fn parts(a: &UsAddress) -> (&str, Option<&str>, &str, &str, &str) {
        (&a.street, a.unit.as_deref(), &a.city, &a.state, &a.zip)
    }

    #[test]
    fn a_full_address_with_commas_is_split_into_its_parts() {
        let a = parse("123 Main St, Apt 4B, Springfield, IL 62704");
        assert_eq!(
            parts(&a),
            ("123 Main St", Some("Apt 4B"), "Springfield", "IL", "62704")
        );
        assert_eq!(a.one_line(), "123 Main St, Apt 4B, Springfield, IL 62704");
        assert_eq!(a.street_line(), "123 Main St, Apt 4B");
        assert_eq!(a.city_line(), "Springfield, IL 62704");
    }

    #[test]
    fn a_unit_in_the_street_part_and_a_state_name_are_understood() {
        let a = parse("123 Main St Apt 4B, Springfield, Illinois 62704-1234");
        assert_eq!(
            parts(&a),
            (
                "123 Main St",
                Some("Apt 4B"),
                "Springfield",
                "IL",
                "62704-1234"
            )
        );
    }

    #[test]
    fn a_suite_with_no_comma_before_the_state() {
        let a = parse("500 W Madison St Ste 1200, Chicago IL 60661");
        assert_eq!(
            parts(&a),
            (
                "500 W Madison St",
                Some("Ste 1200"),
                "Chicago",
                "IL",
                "60661"
            )
        );
    }

    #[test]
    fn an_address_with_no_commas_at_all_is_split_at_the_street_suffix() {
        let a = parse("123 Main St Springfield IL 62704");
        assert_eq!(
            parts(&a),
            ("123 Main St", None, "Springfield", "IL", "62704")
        );
        let a = parse("500 W Madison St Ste 1200 Chicago IL 60661");
        assert_eq!(
            parts(&a),
            (
                "500 W Madison St",
                Some("Ste 1200"),
                "Chicago",
                "IL",
                "60661"
            )
        );
        let a = parse("1600 Pennsylvania Ave NW Washington DC 20500");
        assert_eq!(
            parts(&a),
            (
                "1600 Pennsylvania Ave NW",
                None,
                "Washington",
                "DC",
                "20500"
            )
        );
        let a = parse("123 Lake Shore Dr Lake Forest IL 60045");
        assert_eq!(
            parts(&a),
            ("123 Lake Shore Dr", None, "Lake Forest", "IL", "60045")
        );
    }

    #[test]
    fn without_commas_or_a_known_suffix_the_customer_is_asked_for_commas() {
        assert_eq!(
            refused("350 Broadway New York NY 10013").code,
            "address.needs_commas"
        );
        let a = parse("350 Broadway, New York, NY 10013");
        assert_eq!(parts(&a), ("350 Broadway", None, "New York", "NY", "10013"));
    }

    #[test]
    fn every_unit_designator_is_split_into_the_unit() {
        for unit in [
            "Apt 4B",
            "Apartment 4",
            "Suite 200",
            "Ste 200",
            "Unit 7",
            "# 7",
            "#7",
            "Fl 3",
            "Floor 3",
            "Rm 101",
            "Room 101",
            "Bldg 2",
            "Lot 14",
            "Spc 9",
            "Dept 42",
        ] {
            let a = parse(&format!("123 Main St {unit}, Springfield, IL 62704"));
            assert_eq!(a.street, "123 Main St", "{unit}");
            assert_eq!(a.unit.as_deref(), Some(unit));
            let a = parse(&format!("123 Main St {unit} Springfield IL 62704"));
            assert_eq!(a.unit.as_deref(), Some(unit), "no commas: {unit}");
            assert_eq!(a.city, "Springfield", "no commas: {unit}");
        }
        let a = parse("100 Main St, 3rd Floor, Springfield, IL 62704");
        assert_eq!(a.unit.as_deref(), Some("3rd Floor"));
        let a = parse("100 Main St Bldg 2 Apt 4, Springfield, IL 62704");
        assert_eq!(a.unit.as_deref(), Some("Bldg 2 Apt 4"));
    }

    #[test]
    fn a_street_named_like_a_unit_is_not_split() {
        let a = parse("12 Old Pier Rd, Springfield, IL 62704");
        assert_eq!(a.street, "12 Old Pier Rd");
        assert_eq!(a.unit, None);
    }

    #[test]
    fn the_customers_words_are_kept_the_state_is_its_code_and_the_city_in_proper_case() {
        let a = parse("123 main ST, apt 4b, SPRINGFIELD, il 62704");
        assert_eq!(
            parts(&a),
            ("123 main ST", Some("apt 4b"), "Springfield", "IL", "62704")
        );
        assert_eq!(parse("1 Main St, new york, ny 10001").city, "New York");
        assert_eq!(
            parse("1 Main St, winston-salem, NC 27101").city,
            "Winston-Salem"
        );
        assert_eq!(parse("1 Main St, McAllen, Texas 78501").city, "McAllen");
        assert_eq!(parse("1 Main St, DeKalb, IL 60115").city, "DeKalb");
        assert_eq!(parse("1 Main St, O'FALLON, MO 63366").city, "O'Fallon");
        assert_eq!(
            parse("1 Main St, Coeur d'Alene, ID 83814").city,
            "Coeur d'Alene"
        );
    }

    #[test]
    fn without_commas_a_floor_after_the_street_is_the_unit_not_the_city() {
        let a = parse("15 W 42nd St 5th Floor New York NY 10036");
        assert_eq!(
            parts(&a),
            ("15 W 42nd St", Some("5th Floor"), "New York", "NY", "10036")
        );
    }

    #[test]
    fn without_commas_a_numbered_road_keeps_its_number() {
        let a = parse("43175 County Road 12 Apt 4B Fort Lauderdale Florida 33301");
        assert_eq!(
            parts(&a),
            (
                "43175 County Road 12",
                Some("Apt 4B"),
                "Fort Lauderdale",
                "FL",
                "33301"
            )
        );
    }

    #[test]
    fn without_commas_a_city_with_digits_is_not_guessed_but_commas_are_asked_for() {
        for input in [
            "12 Main St 4 Springfield IL 62704",
            "100 Oak Ave Bldg Springfield 2 IL 62704",
            "7 Elm St Springfield Apt 4 IL 62704",
            "9 Oak Ln St Louis MO 63101",
            "1 Park Lane Ave Springfield IL 62704",
        ] {
            assert_eq!(refused(input).code, "address.needs_commas", "{input}");
        }
    }

    #[test]
    fn a_zip_plus_4_typed_with_a_space_is_read_as_zip_plus_4() {
        let a = parse("350 5th Ave, New York, NY 10118 1234");
        assert_eq!((a.state.as_str(), a.zip.as_str()), ("NY", "10118-1234"));
        // After a comma the four digits are not part of the ZIP.
        assert_eq!(
            refused("350 5th Ave, New York, NY 10118, 1234").code,
            "address.bad_zip"
        );
    }

    #[test]
    fn a_private_mailbox_is_refused_like_a_po_box() {
        for input in [
            "123 Main St PMB 45, Springfield, IL 62704",
            "123 Main St, P.M.B. 45, Springfield, IL 62704",
            "123 Main St Ste 5 PMB45, Springfield, IL 62704",
            "123 Main St, Private Mailbox 45, Springfield, IL 62704",
            "123 Main St, Private Mail Box 45, Springfield, IL 62704",
        ] {
            assert_eq!(refused(input).code, "address.private_mailbox", "{input}");
        }
    }

    #[test]
    fn rural_route_and_highway_contract_addresses_are_accepted_and_marked() {
        for (input, street, city) in [
            (
                "RR 2 Box 45, Springfield, IL 62704",
                "RR 2 Box 45",
                "Springfield",
            ),
            (
                "R.R. 2 Box 45 Springfield IL 62704",
                "R.R. 2 Box 45",
                "Springfield",
            ),
            (
                "Rural Route 2 Box 45, Hope, AR 71801",
                "Rural Route 2 Box 45",
                "Hope",
            ),
            (
                "HC 1 Box 22, Fort Davis, TX 79734",
                "HC 1 Box 22",
                "Fort Davis",
            ),
            (
                "HCR 1 Box 22 Fort Davis TX 79734",
                "HCR 1 Box 22",
                "Fort Davis",
            ),
        ] {
            let a = parse(input);
            assert_eq!(
                (a.street.as_str(), a.city.as_str()),
                (street, city),
                "{input}"
            );
            assert!(a.is_rural_route(), "{input}");
        }
        let a = parse("HC 1 Box 22 Lot 3, Fort Davis, TX 79734");
        assert_eq!(a.unit.as_deref(), Some("Lot 3"));
        assert!(!parse("123 Main St, Springfield, IL 62704").is_rural_route());
        // Without its route, a box is still a PO box.
        assert_eq!(
            refused("Box 45, Springfield, IL 62704").code,
            "address.po_box"
        );
    }

    #[test]
    fn a_puerto_rico_address_with_the_number_after_the_street_is_accepted() {
        let a = parse("Calle Loíza 1955, San Juan, PR 00911");
        assert_eq!(
            parts(&a),
            ("Calle Loíza 1955", None, "San Juan", "PR", "00911")
        );
        let a = parse("Calle Loíza 1955 Apt 3 San Juan PR 00911");
        assert_eq!(
            parts(&a),
            ("Calle Loíza 1955", Some("Apt 3"), "San Juan", "PR", "00911")
        );
        // Elsewhere a street still starts with its house number.
        assert_eq!(
            refused("Main St 1955, Springfield, IL 62704").code,
            "address.no_house_number"
        );
    }

    #[test]
    fn whitespace_and_line_breaks_are_normalized() {
        let a = parse("  123   Main St\n Apt 4B \n Springfield,   IL    62704 ");
        assert_eq!(
            parts(&a),
            ("123 Main St", Some("Apt 4B"), "Springfield", "IL", "62704")
        );
    }

    #[test]
    fn states_are_read_as_codes_names_and_abbreviations_in_any_case() {
        for (state, code) in [
            ("IL", "IL"),
            ("il", "IL"),
            ("Illinois", "IL"),
            ("ILLINOIS", "IL"),
            ("Ill.", "IL"),
            ("New York", "NY"),
            ("N.Y.", "NY"),
            ("West Virginia", "WV"),
            ("W. Va.", "WV"),
            ("Virginia", "VA"),
            ("North Carolina", "NC"),
            ("District of Columbia", "DC"),
            ("D.C.", "DC"),
            ("Puerto Rico", "PR"),
            ("Guam", "GU"),
            ("U.S. Virgin Islands", "VI"),
            ("Northern Mariana Islands", "MP"),
            ("American Samoa", "AS"),
        ] {
            let a = parse(&format!("123 Main St, Springfield, {state} 62704"));
            assert_eq!(a.state, code, "{state}");
            assert_eq!(a.city, "Springfield", "{state}");
        }
        let a = parse("123 Main St, Kansas City, Missouri 64105");
        assert_eq!((a.city.as_str(), a.state.as_str()), ("Kansas City", "MO"));
        let a = parse("1 Main St, New York, New York 10001");
        assert_eq!((a.city.as_str(), a.state.as_str()), ("New York", "NY"));
        let a = parse("1 Main St, Washington, DC 20001");
        assert_eq!((a.city.as_str(), a.state.as_str()), ("Washington", "DC"));
    }

    #[test]
    fn all_fifty_states_dc_and_territories_are_known() {
        assert_eq!(STATES.len(), 56);
        for (code, name) in STATES {
            assert_eq!(parse(&format!("1 Main St, Town, {code} 62704")).state, code);
            assert_eq!(parse(&format!("1 Main St, Town, {name} 62704")).state, code);
        }
    }

    #[test]
    fn a_trailing_country_is_dropped() {
        let a = parse("123 Main St, Springfield, IL 62704, USA");
        assert_eq!(a.zip, "62704");
        let a = parse("123 Main St, Springfield, IL 62704 United States");
        assert_eq!(a.state, "IL");
    }

    #[test]
    fn a_zip_is_kept_as_given_and_nine_digits_get_their_dash() {
        assert_eq!(parse("1 Main St, Boston, MA 02134").zip, "02134");
        assert_eq!(parse("1 Main St, Boston, MA 02134-1234").zip, "02134-1234");
        assert_eq!(parse("1 Main St, Boston, MA 021341234").zip, "02134-1234");
    }

    #[test]
    fn po_boxes_are_refused() {
        for input in [
            "PO Box 123, Springfield, IL 62704",
            "P.O. Box 123, Springfield, IL 62704",
            "P. O. Box 123, Springfield, IL 62704",
            "Post Office Box 123, Springfield, IL 62704",
            "POB 123, Springfield, IL 62704",
            "Box 12, Springfield, IL 62704",
            "pobox 12, Springfield, IL 62704",
            "POBox12, Springfield, IL 62704",
            "123 Main St, Box 5, Springfield, IL 62704",
        ] {
            assert_eq!(refused(input).code, "address.po_box", "{input}");
        }
    }

    #[test]
    fn streets_that_only_sound_like_po_boxes_are_fine() {
        assert_eq!(
            parse("12 Boxwood Ln, Springfield, IL 62704").street,
            "12 Boxwood Ln"
        );
        assert_eq!(
            parse("12 Box Elder Rd, Springfield, IL 62704").street,
            "12 Box Elder Rd"
        );
        assert_eq!(
            parse("12 Post Rd, Springfield, IL 62704").street,
            "12 Post Rd"
        );
    }

    #[test]
    fn each_missing_part_has_its_own_refusal() {
        assert_eq!(refused("").code, "address.empty");
        assert_eq!(refused("   ").code, "address.empty");
        assert_eq!(
            refused("123 Main St, Springfield, IL").code,
            "address.no_zip"
        );
        assert_eq!(
            refused("123 Main St, Springfield 62704").code,
            "address.no_state"
        );
        assert_eq!(refused("62704").code, "address.no_state");
        assert_eq!(refused("IL 62704").code, "address.no_street");
        assert_eq!(refused("Springfield, IL 62704").code, "address.no_street");
        assert_eq!(refused("123 Main St, IL 62704").code, "address.no_city");
        assert_eq!(
            refused("123 Main St Apt 4, IL 62704").code,
            "address.no_city"
        );
        assert_eq!(
            refused("123, Springfield, IL 62704").code,
            "address.no_street"
        );
        assert_eq!(
            refused("Main St, Springfield, IL 62704").code,
            "address.no_house_number"
        );
        assert_eq!(
            refused("Main St Springfield IL 62704").code,
            "address.no_house_number"
        );
    }

    #[test]
    fn a_malformed_zip_is_refused_with_what_was_typed() {
        for zip in ["6270", "627041", "62704-12", "00000", "62704-12345"] {
            let r = refused(&format!("123 Main St, Springfield, IL {zip}"));
            assert_eq!(r.code, "address.bad_zip", "{zip}");
            assert_eq!(r.arg("zip"), Some(zip));
        }
    }

    #[test]
    fn an_unknown_state_is_refused_naming_it() {
        let r = refused("123 Main St, Springfield, ZZ 62704");
        assert_eq!(r.code, "address.unknown_state");
        assert_eq!(r.arg("state"), Some("ZZ"));
        let r = refused("123 Main St, Springfield, Illinoiss 62704");
        assert_eq!(r.code, "address.unknown_state");
        assert_eq!(r.arg("state"), Some("Illinoiss"));
    }

    #[test]
    fn a_very_long_address_is_refused() {
        let r = refused(&format!(
            "123 {} St, Springfield, IL 62704",
            "Long".repeat(60)
        ));
        assert_eq!(r.code, "address.too_long");
        assert_eq!(r.arg("limit"), Some("200"));
    }

    #[test]
    fn house_numbers_with_letters_and_fractions_are_kept() {
        assert_eq!(
            parse("123A Main St, Springfield, IL 62704").street,
            "123A Main St"
        );
        assert_eq!(
            parse("123 1/2 Main St, Springfield, IL 62704").street,
            "123 1/2 Main St"
        );
        assert_eq!(
            parse("N123W456 Main St, Mequon, WI 53092").street,
            "N123W456 Main St"
        );
    }

    #[test]
    fn hostile_address_input_never_panics() {
        for input in [
            "a".repeat(100_000),
            "😀".repeat(150),
            ",".repeat(150),
            "\u{0}\u{1}\u{202e}123 Main St, Springfield, IL 62704".to_string(),
            "# # # # IL 62704".to_string(),
            "#, IL 62704".to_string(),
            "Apt 4, IL 62704".to_string(),
            "1 , , , IL 62704".to_string(),
            "1 Main St #".to_string(),
            "1 Main St Apt".to_string(),
            "box".to_string(),
            "PO".to_string(),
            "1 2 3 4 5 6".to_string(),
        ] {
            let _ = UsAddress::parse(&input);
        }
    }

    #[test]
    fn control_characters_do_not_end_up_in_the_address() {
        let a = parse("123 Main\u{0}St, Springfield, IL 62704");
        assert_eq!(a.street, "123 Main St");
    }
}
