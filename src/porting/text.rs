//! Small answers: yes/no, names, carrier, title, account number and PIN, and the cleaning every
//! customer line gets first.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::Refusal;

/// Every code this module can return.
pub const REFUSAL_CODES: &[&str] = &[
    "name.empty",
    "name.too_long",
    "name.no_letters",
    "name.has_digits",
    "name.one_letter",
    "name.bad_characters",
    "business_name.empty",
    "business_name.too_long",
    "business_name.no_letters",
    "business_name.bad_characters",
    "carrier.empty",
    "carrier.too_short",
    "carrier.too_long",
    "carrier.no_letters",
    "carrier.bad_characters",
    "title.too_long",
    "title.no_letters",
    "title.bad_characters",
    "account_number.empty",
    "account_number.too_short",
    "account_number.too_long",
    "account_number.bad_characters",
    "pin.empty",
    "pin.too_short",
    "pin.too_long",
    "pin.bad_characters",
];

/// What the engine keeps of one customer line, in characters.
pub const MAX_INPUT_CHARS: usize = 2000;
pub const MAX_PERSON_NAME_CHARS: usize = 100;
pub const MAX_BUSINESS_NAME_CHARS: usize = 150;
pub const CARRIER_CHARS: std::ops::RangeInclusive<usize> = 2..=80;
pub const MAX_TITLE_CHARS: usize = 80;
/// Letters and digits in an account number (dashes and spaces not counted).
pub const ACCOUNT_NUMBER_CHARS: std::ops::RangeInclusive<usize> = 4..=30;
pub const PIN_CHARS: std::ops::RangeInclusive<usize> = 4..=15;

/// Bidirectional formatting characters: they can make text display differently from what it
/// is (a name that reads backwards on the LOA), so they never get in.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What the engine does to every customer line first: control characters (C0, DEL, C1), bidi
/// controls and byte-order marks are removed; tabs and line breaks become spaces (so a list typed
/// on several lines stays several numbers); the result is trimmed and cut at 2,000 characters.
pub fn clean_input(input: &str) -> String {
    let mut out = String::with_capacity(input.len().min(MAX_INPUT_CHARS * 4));
    let mut kept = 0;
    for c in input.chars() {
        if kept == MAX_INPUT_CHARS {
            break;
        }
        let c = match c {
            '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => ' ',
            c if c.is_control() || is_bidi_control(c) || c == '\u{FEFF}' => continue,
            c => c,
        };
        if kept == 0 && c.is_whitespace() {
            continue;
        }
        out.push(c);
        kept += 1;
    }
    out.truncate(out.trim_end().len());
    out
}

/// Reads a yes or no: `yes`, `y`, `yeah`, `sure`, `ok`, `correct`, `I agree`... and `no`, `n`,
/// `nope`, `not yet`... in any case, with any punctuation. `None` when it is neither, or both.
pub fn parse_yes_no(input: &str) -> Option<bool> {
    const YES: &[&str] = &[
        "yes",
        "y",
        "yeah",
        "no problem",
        "not a problem",
        "yea",
        "ya",
        "yep",
        "yup",
        "yes please",
        "sure",
        "ok",
        "okay",
        "k",
        "correct",
        "right",
        "thats right",
        "that is right",
        "thats correct",
        "that is correct",
        "i agree",
        "agree",
        "agreed",
        "i do",
        "i confirm",
        "confirm",
        "confirmed",
        "affirmative",
        "of course",
        "absolutely",
        "definitely",
        "certainly",
        "sounds good",
        "go ahead",
        "true",
        "yes i do",
        "yes i agree",
        "yes it is",
        "it is",
        "i have",
        "i have it",
        "done",
        "ready",
        "im ready",
        "i am ready",
        "👍",
        "✅",
    ];
    const NO: &[&str] = &[
        "no",
        "n",
        "nope",
        "nah",
        "no thanks",
        "no thank you",
        "not yet",
        "negative",
        "incorrect",
        "wrong",
        "not correct",
        "thats wrong",
        "that is wrong",
        "i dont",
        "i do not",
        "dont",
        "i disagree",
        "disagree",
        "not really",
        "false",
        "never",
        "not now",
        "no i dont",
        "i dont have it",
        "i do not have it",
        "not ready",
        "im not ready",
        "i am not ready",
        "👎",
        "❌",
    ];
    let words = match_words(input);
    if words.len() > 30 {
        return None;
    }
    let phrase = words.join(" ");
    if YES.contains(&phrase.as_str()) {
        return Some(true);
    }
    if NO.contains(&phrase.as_str()) {
        return Some(false);
    }
    // `yes, I have it ready`, `no, we use another carrier`: the first word decides unless a word
    // of the other side follows.
    const STRONG_YES: &[&str] = &["yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct"];
    const STRONG_NO: &[&str] = &["no", "nope", "nah", "not", "dont", "never"];
    let first = words.first()?;
    let rest = &words[1..];
    let any_of = |list: &[&str]| rest.iter().any(|w| list.contains(&w.as_str()));
    if STRONG_YES.contains(&first.as_str()) && !any_of(STRONG_NO) && !any_of(&["but"]) {
        return Some(true);
    }
    if STRONG_NO.contains(&first.as_str()) && first != "not" && !any_of(STRONG_YES) {
        return Some(false);
    }
    None
}

/// A message as phrases are matched against it: lower-case words, apostrophes dropped (`don't`
/// -> `dont`), other punctuation as spaces; emoji stay as words of their own.
pub fn match_words(input: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in input.chars().take(200) {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if matches!(c, '\'' | '\u{2019}' | '\u{2018}') {
            continue;
        } else {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() && !c.is_ascii_punctuation() && !is_emoji_modifier(c) {
                words.push(c.to_string());
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Skin tones and variation selectors that follow an emoji.
fn is_emoji_modifier(c: char) -> bool {
    matches!(
        c,
        '\u{FE0E}' | '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{200D}'
    )
}

/// A name as stored and printed: Unicode NFC, trimmed, runs of whitespace as one space.
pub fn normalize_name(input: &str) -> String {
    let composed: String = input
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .nfc()
        .collect();
    composed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether two typed names are the same name, as a person would judge a signature: ignores
/// case, spacing, accents and other diacritics (`Jose Nunez` is `José Núñez`, `Lukasiewicz` is
/// `Łukasiewicz`: not every keyboard has them), hyphens, apostrophes and full stops
/// (`OConnor Smith` is `O'Connor-Smith`). The letters themselves still count: another person's
/// name never matches.
pub fn names_match(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    // An apostrophe typed as a space ("kevin o malley" for O'Malley): a one-letter word joins
    // the word after it.
    a == b || glue_initials(&a) == glue_initials(&b)
}

fn glue_initials(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut glue = false;
    for word in key.split(' ') {
        if !out.is_empty() && !glue {
            out.push(' ');
        }
        out.push_str(word);
        glue = word.chars().count() == 1;
    }
    out
}

fn name_key(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    // Decomposed, so an accent is a mark of its own that is dropped.
    for c in name.nfkd().flat_map(char::to_lowercase).nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            // Apostrophes and full stops join: "O'Brien" is "OBrien", "J.R." is "JR".
            '\'' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' | '.' => {}
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | ',' => folded.push(' '),
            // Letters with a stroke or ligatures, which do not decompose.
            'ł' => folded.push('l'),
            'ø' => folded.push('o'),
            'đ' | 'ð' => folded.push('d'),
            'ħ' => folded.push('h'),
            'ı' => folded.push('i'),
            'ŧ' => folded.push('t'),
            'ß' => folded.push_str("ss"),
            'æ' => folded.push_str("ae"),
            'œ' => folded.push_str("oe"),
            'þ' => folded.push_str("th"),
            c => folded.push(c),
        }
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// The first character not allowed, for the refusal's `character` argument.
fn first_bad(name: &str, allowed: impl Fn(char) -> bool) -> Option<char> {
    name.chars().find(|&c| !allowed(c))
}

/// The full name of a person (the authorized person, an account holder, a signature), in any
/// script: `Zoë Łukasiewicz`, `Renée O'Connor-Smith`, `Дмитрий Иванов`. Letters, combining
/// marks, spaces, apostrophes, hyphens, periods and commas (`Martin Luther King, Jr.`).
pub fn parse_person_name(input: &str) -> Result<String, Refusal> {
    let name = normalize_name(input);
    if name.is_empty() {
        return Err(Refusal::new("name.empty"));
    }
    if name.chars().count() > MAX_PERSON_NAME_CHARS {
        return Err(Refusal::new("name.too_long").with("limit", MAX_PERSON_NAME_CHARS.to_string()));
    }
    if name.chars().any(char::is_numeric) {
        return Err(Refusal::new("name.has_digits"));
    }
    let allowed = |c: char| {
        c.is_alphabetic()
            || is_combining_mark(c)
            || c == ' '
            || c == '.'
            || c == ','
            || is_apostrophe(c)
            || is_hyphen(c)
    };
    if let Some(bad) = first_bad(&name, allowed) {
        return Err(Refusal::new("name.bad_characters").with("character", bad.to_string()));
    }
    match name.chars().filter(|c| c.is_alphabetic()).count() {
        0 => Err(Refusal::new("name.no_letters")),
        1 => Err(Refusal::new("name.one_letter")),
        _ => Ok(name),
    }
}

/// A business name exactly as on the carrier account: digits and the punctuation of company
/// names are fine (`3M Company`, `AT&T`, `Smith & Sons, LLC`, `1-800-Flowers.com, Inc.`).
pub fn parse_business_name(input: &str) -> Result<String, Refusal> {
    let name = normalize_name(input);
    if name.is_empty() {
        return Err(Refusal::new("business_name.empty"));
    }
    if name.chars().count() > MAX_BUSINESS_NAME_CHARS {
        return Err(Refusal::new("business_name.too_long")
            .with("limit", MAX_BUSINESS_NAME_CHARS.to_string()));
    }
    if let Some(bad) = first_bad(&name, is_organization_char) {
        return Err(Refusal::new("business_name.bad_characters").with("character", bad.to_string()));
    }
    if !name.chars().any(char::is_alphabetic) {
        return Err(Refusal::new("business_name.no_letters"));
    }
    Ok(name)
}

/// Characters in the names of companies and carriers.
fn is_organization_char(c: char) -> bool {
    c.is_alphanumeric()
        || is_combining_mark(c)
        || is_apostrophe(c)
        || is_hyphen(c)
        || " .,&+/()!@#:'\"*".contains(c)
}

/// The losing carrier, as the customer names it (`AT&T`, `T-Mobile`, `8x8`).
pub fn parse_carrier(input: &str) -> Result<String, Refusal> {
    let name = normalize_name(input);
    let len = name.chars().count();
    let limits = |r: Refusal| {
        r.with("min", CARRIER_CHARS.start().to_string())
            .with("max", CARRIER_CHARS.end().to_string())
    };
    if name.is_empty() {
        return Err(Refusal::new("carrier.empty"));
    }
    if len < *CARRIER_CHARS.start() {
        return Err(limits(Refusal::new("carrier.too_short")));
    }
    if len > *CARRIER_CHARS.end() {
        return Err(limits(Refusal::new("carrier.too_long")));
    }
    if let Some(bad) = first_bad(&name, is_organization_char) {
        return Err(Refusal::new("carrier.bad_characters").with("character", bad.to_string()));
    }
    if !name.chars().any(char::is_alphabetic) {
        return Err(Refusal::new("carrier.no_letters"));
    }
    Ok(name)
}

/// The authorized person's job title, which is optional: an empty answer, `none`, `n/a` or `-`
/// gives `None`.
pub fn parse_title(input: &str) -> Result<Option<String>, Refusal> {
    let title = normalize_name(input);
    let lower = title.to_lowercase();
    if matches!(
        lower.trim_end_matches('.'),
        "" | "-" | "none" | "n/a" | "na" | "no title" | "no" | "nothing"
    ) {
        return Ok(None);
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(Refusal::new("title.too_long").with("limit", MAX_TITLE_CHARS.to_string()));
    }
    if let Some(bad) = first_bad(&title, is_organization_char) {
        return Err(Refusal::new("title.bad_characters").with("character", bad.to_string()));
    }
    if !title.chars().any(char::is_alphabetic) {
        return Err(Refusal::new("title.no_letters"));
    }
    Ok(Some(title))
}

/// A label customers paste along with a secret (`Account #: 1234`, `PIN: 1234`).
fn strip_label<'a>(text: &'a str, labels: &[&str]) -> &'a str {
    let lower = text.to_ascii_lowercase();
    for label in labels {
        // The label must end at a word boundary: `pineapple` is a passcode, not `pin eapple`.
        if lower.starts_with(label) && text.is_char_boundary(label.len()) {
            let after = &text[label.len()..];
            let rest = after.trim_start_matches([' ', ':', '#', '.', '-']);
            if rest.len() < after.len() && rest.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return rest;
            }
        }
    }
    text
}

/// Full-width digits and letters become ASCII; nothing else changes.
fn compatibility_ascii(input: &str) -> String {
    input.trim().chars().take(200).nfkc().collect()
}

/// The carrier account number, a secret: no refusal ever echoes it. Letters, digits, spaces and
/// dashes may be typed; it is stored without the spaces (statements print them as grouping) but
/// with the dashes (some carriers' numbers contain them), case kept. 4 to 30 letters and digits.
pub fn parse_account_number(input: &str) -> Result<String, Refusal> {
    let text = compatibility_ascii(input);
    let text = strip_label(
        &text,
        &[
            "account number",
            "account no",
            "account",
            "acct no",
            "acct",
            "acc",
        ],
    );
    let limits = |r: Refusal| {
        r.with("min", ACCOUNT_NUMBER_CHARS.start().to_string())
            .with("max", ACCOUNT_NUMBER_CHARS.end().to_string())
    };
    let stored: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let stored = stored.trim_matches('-');
    if stored.is_empty() {
        return Err(Refusal::new("account_number.empty"));
    }
    if stored
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(Refusal::new("account_number.bad_characters"));
    }
    let significant = stored.chars().filter(char::is_ascii_alphanumeric).count();
    if significant < *ACCOUNT_NUMBER_CHARS.start() {
        return Err(limits(Refusal::new("account_number.too_short")));
    }
    if significant > *ACCOUNT_NUMBER_CHARS.end() {
        return Err(limits(Refusal::new("account_number.too_long")));
    }
    Ok(stored.to_string())
}

/// The port-out PIN or passcode, a secret: no refusal ever echoes it. Usually 4 to 10 digits;
/// some carriers allow letters. 4 to 15 letters and digits; spaces typed between them are dropped.
pub fn parse_pin(input: &str) -> Result<String, Refusal> {
    let text = compatibility_ascii(input);
    let text = strip_label(&text, &["pin", "passcode", "password", "code"]);
    let limits = |r: Refusal| {
        r.with("min", PIN_CHARS.start().to_string())
            .with("max", PIN_CHARS.end().to_string())
    };
    let pin: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if pin.is_empty() {
        return Err(Refusal::new("pin.empty"));
    }
    if !pin.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Refusal::new("pin.bad_characters"));
    }
    let len = pin.chars().count();
    if len < *PIN_CHARS.start() {
        return Err(limits(Refusal::new("pin.too_short")));
    }
    if len > *PIN_CHARS.end() {
        return Err(limits(Refusal::new("pin.too_long")));
    }
    Ok(pin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(r: Refusal) -> Refusal {
        assert!(REFUSAL_CODES.contains(&r.code), "{}", r.code);
        r
    }

    fn hostile() -> Vec<String> {
        vec![
            "a".repeat(100_000),
            "1".repeat(100_000),
            "😀".repeat(100_000),
            "\u{0}\u{1}\u{7f}\u{85}\u{202e}\u{2066}".repeat(1000),
            String::new(),
            " ".to_string(),
            "e\u{301}".repeat(50_000),
        ]
    }

    #[test]
    fn yes_answers_are_understood_in_any_case_and_punctuation() {
        for input in [
            "yes",
            "Y",
            "YES!",
            "yeah",
            "yep",
            "sure",
            "ok",
            "OK.",
            "okay",
            "correct",
            "I agree",
            "i agree.",
            "Yes, I agree",
            "yes please",
            "Sure thing",
            "that's right",
            "That’s correct",
            "👍",
            "no problem",
            "absolutely",
        ] {
            assert_eq!(parse_yes_no(input), Some(true), "{input}");
        }
    }

    #[test]
    fn no_answers_are_understood_in_any_case_and_punctuation() {
        for input in [
            "no",
            "N",
            "No.",
            "nope",
            "nah",
            "not yet",
            "Not yet!",
            "no thanks",
            "I don't",
            "incorrect",
            "No, we use another carrier",
            "👎",
        ] {
            assert_eq!(parse_yes_no(input), Some(false), "{input}");
        }
    }

    #[test]
    fn unclear_answers_are_neither_yes_nor_no() {
        for input in [
            "",
            "maybe",
            "not sure",
            "yes no",
            "no, yes",
            "ok but not yet",
            "what?",
            "312-448-2915",
        ] {
            assert_eq!(parse_yes_no(input), None, "{input}");
        }
    }

    #[test]
    fn a_name_is_composed_trimmed_and_its_spaces_collapsed() {
        assert_eq!(
            normalize_name("  Zoe\u{308}   Łukasiewicz \t"),
            "Zoë Łukasiewicz"
        );
        assert_eq!(normalize_name("Zoe\u{308}"), "Zo\u{eb}");
    }

    #[test]
    fn names_match_ignoring_case_spaces_and_normalization_form() {
        assert!(names_match("Zoë Łukasiewicz", "zoe\u{308}  łukasiewicz"));
        assert!(names_match("JOSÉ NÚÑEZ", "José Núñez"));
        assert!(names_match("Renée O'Connor-Smith", "renée o’connor‐smith"));
        assert!(names_match("Дмитрий Иванов", "ДМИТРИЙ ИВАНОВ"));
        assert!(names_match("ﬁona", "fiona"));
    }

    #[test]
    fn names_that_differ_do_not_match() {
        assert!(!names_match("Alice Smith", "Alice Smyth"));
        assert!(!names_match("Alice Smith", "AliceSmith"));
        assert!(!names_match("José Núñez", "Josefa Núñez"));
        assert!(!names_match("Zoë Łukasiewicz", "Zoe Lukas"));
    }

    #[test]
    fn a_name_typed_without_accents_hyphens_or_apostrophes_is_the_same_name() {
        assert!(names_match("Jose Nunez", "José Núñez"));
        assert!(names_match("zoe lukasiewicz", "Zoë Łukasiewicz"));
        assert!(names_match("Renee OConnor Smith", "Renée O'Connor-Smith"));
        assert!(names_match("Soren Ostergaard", "Søren Østergaard"));
        assert!(names_match(
            "Martin Luther King Jr",
            "Martin Luther King, Jr."
        ));
    }

    #[test]
    fn person_names_beyond_ascii_are_accepted() {
        for name in [
            "Zoë Łukasiewicz",
            "José Núñez",
            "Renée O'Connor-Smith",
            "Ŝtefan Ĉapek",
            "Дмитрий Иванов",
            "Ελένη",
            "Martin Luther King, Jr.",
            "J. R. R. Tolkien",
            "李小龍",
        ] {
            assert_eq!(parse_person_name(name), Ok(name.to_string()), "{name}");
        }
        assert_eq!(
            parse_person_name("  Zoe\u{308}  Smith "),
            Ok("Zoë Smith".to_string())
        );
    }

    #[test]
    fn each_bad_person_name_has_its_own_refusal() {
        let code = |input: &str| known(parse_person_name(input).unwrap_err()).code;
        assert_eq!(code(""), "name.empty");
        assert_eq!(code("   "), "name.empty");
        assert_eq!(code(&"a".repeat(101)), "name.too_long");
        assert_eq!(code("..."), "name.no_letters");
        assert_eq!(code("R2D2"), "name.has_digits");
        assert_eq!(code("J"), "name.one_letter");
        assert_eq!(code("J."), "name.one_letter");
        assert_eq!(code("Alice 😀"), "name.bad_characters");
        let r = parse_person_name("alice@example.com").unwrap_err();
        assert_eq!(r.arg("character"), Some("@"));
        assert_eq!(
            parse_person_name(&"a".repeat(101))
                .unwrap_err()
                .arg("limit"),
            Some("100")
        );
    }

    #[test]
    fn business_names_may_have_digits_and_company_punctuation() {
        for name in [
            "3M Company",
            "AT&T",
            "Smith & Sons, LLC",
            "1-800-Flowers.com, Inc.",
            "Café Zoë (Downtown)",
        ] {
            assert_eq!(parse_business_name(name), Ok(name.to_string()), "{name}");
        }
    }

    #[test]
    fn each_bad_business_name_has_its_own_refusal() {
        let code = |input: &str| known(parse_business_name(input).unwrap_err()).code;
        assert_eq!(code(""), "business_name.empty");
        assert_eq!(code(&"a".repeat(151)), "business_name.too_long");
        assert_eq!(code("12345"), "business_name.no_letters");
        assert_eq!(code("Acme 😀"), "business_name.bad_characters");
    }

    #[test]
    fn carriers_are_named_with_2_to_80_characters() {
        for name in [
            "AT&T",
            "T-Mobile",
            "Verizon",
            "8x8",
            "RingCentral, Inc.",
            "US",
        ] {
            assert_eq!(parse_carrier(name), Ok(name.to_string()), "{name}");
        }
        let code = |input: &str| known(parse_carrier(input).unwrap_err()).code;
        assert_eq!(code(""), "carrier.empty");
        assert_eq!(code("V"), "carrier.too_short");
        assert_eq!(code(&"a".repeat(81)), "carrier.too_long");
        assert_eq!(code("123"), "carrier.no_letters");
        assert_eq!(code("Verizon 📱"), "carrier.bad_characters");
        assert_eq!(parse_carrier("V").unwrap_err().arg("min"), Some("2"));
    }

    #[test]
    fn a_title_is_optional() {
        assert_eq!(
            parse_title("  Office   Manager "),
            Ok(Some("Office Manager".into()))
        );
        assert_eq!(
            parse_title("VP, IT & Telecom"),
            Ok(Some("VP, IT & Telecom".into()))
        );
        for none in ["", "none", "N/A", "-", "no title"] {
            assert_eq!(parse_title(none), Ok(None), "{none}");
        }
        let code = |input: &str| known(parse_title(input).unwrap_err()).code;
        assert_eq!(code(&"a".repeat(81)), "title.too_long");
        assert_eq!(code("123"), "title.no_letters");
        assert_eq!(code("Boss 👑"), "title.bad_characters");
    }

    #[test]
    fn an_account_number_keeps_dashes_and_drops_spaces() {
        assert_eq!(
            parse_account_number("1234 5678 9012"),
            Ok("123456789012".into())
        );
        assert_eq!(
            parse_account_number("123-456-789-0001"),
            Ok("123-456-789-0001".into())
        );
        assert_eq!(
            parse_account_number("Acct #: ab12cd34"),
            Ok("ab12cd34".into())
        );
        assert_eq!(
            parse_account_number("Account number 98765"),
            Ok("98765".into())
        );
        assert_eq!(parse_account_number("１２３４５"), Ok("12345".into()));
    }

    #[test]
    fn each_bad_account_number_has_its_own_refusal_and_never_echoes_it() {
        let refusal = |input: &str| known(parse_account_number(input).unwrap_err());
        assert_eq!(refusal("").code, "account_number.empty");
        assert_eq!(refusal("--").code, "account_number.empty");
        assert_eq!(refusal("123").code, "account_number.too_short");
        assert_eq!(refusal("1-2-3").code, "account_number.too_short");
        assert_eq!(refusal(&"9".repeat(31)).code, "account_number.too_long");
        assert_eq!(refusal("1234/5678").code, "account_number.bad_characters");
        let r = refusal("1234/5678");
        assert!(r.args.iter().all(|(_, v)| !v.contains("1234")));
        assert_eq!(refusal("123").arg("min"), Some("4"));
        assert_eq!(refusal("123").arg("max"), Some("30"));
    }

    #[test]
    fn a_pin_is_4_to_15_letters_and_digits() {
        assert_eq!(parse_pin("1234"), Ok("1234".into()));
        assert_eq!(parse_pin(" 12 34 56 "), Ok("123456".into()));
        assert_eq!(parse_pin("PIN: 9876"), Ok("9876".into()));
        assert_eq!(parse_pin("pineapple12"), Ok("pineapple12".into()));
        assert_eq!(parse_pin("AbC123"), Ok("AbC123".into()));
    }

    #[test]
    fn each_bad_pin_has_its_own_refusal_and_never_echoes_it() {
        let refusal = |input: &str| known(parse_pin(input).unwrap_err());
        assert_eq!(refusal("").code, "pin.empty");
        assert_eq!(refusal("123").code, "pin.too_short");
        assert_eq!(refusal(&"9".repeat(16)).code, "pin.too_long");
        assert_eq!(refusal("12-34").code, "pin.bad_characters");
        assert_eq!(refusal("12#34").code, "pin.bad_characters");
        assert!(refusal("12#34").args.iter().all(|(_, v)| !v.contains("12")));
        assert_eq!(refusal("123").arg("max"), Some("15"));
    }

    #[test]
    fn clean_input_removes_control_and_bidi_characters_and_trims() {
        assert_eq!(
            clean_input("  hello\u{0} world\u{7f}\u{85}\u{9f}  "),
            "hello world"
        );
        assert_eq!(
            clean_input("\u{202e}evil\u{202c} \u{2066}x\u{2069}\u{200f}"),
            "evil x"
        );
        assert_eq!(clean_input("\u{feff}yes"), "yes");
        assert_eq!(
            clean_input("312-448-2915\n312-448-2916"),
            "312-448-2915 312-448-2916"
        );
        assert_eq!(clean_input("a\tb"), "a b");
        assert_eq!(clean_input("Zoë 😀 ok"), "Zoë 😀 ok");
        assert!(clean_input("\u{1}\u{2}\u{3}").is_empty());
    }

    #[test]
    fn clean_input_caps_length_on_a_character_boundary() {
        let cleaned = clean_input(&"é".repeat(5000));
        assert_eq!(cleaned.chars().count(), MAX_INPUT_CHARS);
        let cleaned = clean_input(&"😀".repeat(100_000));
        assert_eq!(cleaned.chars().count(), MAX_INPUT_CHARS);
    }

    #[test]
    fn hostile_text_input_never_panics() {
        for input in hostile() {
            let _ = clean_input(&input);
            let _ = parse_yes_no(&input);
            let _ = normalize_name(&input);
            let _ = names_match(&input, &input);
            let _ = parse_person_name(&input);
            let _ = parse_business_name(&input);
            let _ = parse_carrier(&input);
            let _ = parse_title(&input);
            let _ = parse_account_number(&input);
            let _ = parse_pin(&input);
        }
    }

    #[test]
    fn every_module_lists_distinct_refusal_codes() {
        let codes: Vec<&str> = crate::porting::all_refusal_codes().collect();
        let unique: std::collections::HashSet<&str> = codes.iter().copied().collect();
        assert_eq!(codes.len(), unique.len());
        assert!(codes.iter().all(|c| c.contains('.')));
    }
}
