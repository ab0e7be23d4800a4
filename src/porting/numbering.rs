//! The numbering data: which NANP area codes are in service, which country each belongs to,
//! what kind of numbers it holds, and the names of countries.
//!
//! New area codes open every year, faster than the `phonenumber` crate bundles new
//! libphonenumber metadata, so the NANP facts come from `assets/numbering/`, regenerated from the
//! current libphonenumber release by `scripts/refresh-numbering.py` (see the README). The files
//! are compiled in: reading them needs no network and no file at run time.

use std::collections::HashMap;
use std::sync::LazyLock;

const NANP: &str = include_str!("../../assets/numbering/nanp.tsv");
const COUNTRIES: &str = include_str!("../../assets/numbering/countries.tsv");

/// What the numbers of an area code are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaKind {
    /// Landlines and mobiles tied to a rate center: what a local port moves.
    Geographic,
    TollFree,
    Premium,
    /// 5XX personal-communication codes, not tied to a rate center.
    NonGeographic,
    /// Another country's code holding several kinds; refused as foreign whatever the kind.
    Mixed,
}

/// One area code (NPA) of the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaCode {
    /// libphonenumber's region code (`US`, `PR`, `CA`, `JM`...).
    pub region: &'static str,
    /// The country in words (`Canada`, `Jamaica`).
    pub country: &'static str,
    pub kind: AreaKind,
    /// Inclusive ranges of the exchanges (NXX) in service.
    exchanges: Vec<(u16, u16)>,
}

impl AreaCode {
    /// Whether the data lists the exchange (the three digits after the area code) as in service.
    pub fn has_exchange(&self, nxx: &str) -> bool {
        nxx.parse::<u16>().is_ok_and(|n| {
            self.exchanges
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&n))
        })
    }
}

struct Data {
    area_codes: HashMap<&'static str, AreaCode>,
    /// Calling code -> regions sharing it, main region first.
    calling_codes: HashMap<&'static str, Vec<&'static str>>,
    country_names: HashMap<&'static str, &'static str>,
}

static DATA: LazyLock<Data> = LazyLock::new(|| {
    load().unwrap_or_else(|line| panic!("assets/numbering: cannot read line {line:?}"))
});

/// The data's lines without comments, each split at tabs.
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

/// Reads both files; a line that does not read is returned, so the tests name it.
fn load() -> Result<Data, &'static str> {
    let mut area_codes = HashMap::new();
    for row in rows(NANP) {
        let [npa, region, country, kind, exchanges, _place] = row[..] else {
            return Err(row.first().copied().unwrap_or_default());
        };
        let kind = match kind {
            "geographic" => AreaKind::Geographic,
            "toll_free" => AreaKind::TollFree,
            "premium" => AreaKind::Premium,
            "non_geographic" => AreaKind::NonGeographic,
            "mixed" => AreaKind::Mixed,
            _ => return Err(npa),
        };
        let exchanges = parse_ranges(exchanges).ok_or(npa)?;
        let valid_npa = npa.len() == 3 && npa.bytes().all(|b| b.is_ascii_digit());
        if !valid_npa || country.is_empty() {
            return Err(npa);
        }
        area_codes.insert(
            npa,
            AreaCode {
                region,
                country,
                kind,
                exchanges,
            },
        );
    }
    let mut calling_codes: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut country_names = HashMap::new();
    for row in rows(COUNTRIES) {
        let [code, region, name] = row[..] else {
            return Err(row.first().copied().unwrap_or_default());
        };
        calling_codes.entry(code).or_default().push(region);
        country_names.insert(region, name);
    }
    Ok(Data {
        area_codes,
        calling_codes,
        country_names,
    })
}

/// `all`, or `200-208,210,212-299`.
fn parse_ranges(text: &str) -> Option<Vec<(u16, u16)>> {
    if text == "all" {
        return Some(vec![(200, 999)]);
    }
    text.split(',')
        .map(|part| {
            let (lo, hi) = part.split_once('-').unwrap_or((part, part));
            let (lo, hi) = (lo.parse().ok()?, hi.parse().ok()?);
            (lo <= hi).then_some((lo, hi))
        })
        .collect()
}

/// The data's facts about an area code, or `None` when the data does not know it.
pub fn area_code(npa: &str) -> Option<&'static AreaCode> {
    DATA.area_codes.get(npa)
}

/// The English name of a libphonenumber region (`IT` -> `Italy`).
pub fn country_name(region: &str) -> Option<&'static str> {
    DATA.country_names.get(region).copied()
}

/// For the digits of an international number (after `+`, `00` or `011`): its calling code's main
/// region (`44 7911 123456` -> `GB`), or `None` when no country uses the calling code.
pub fn main_region(digits: &str) -> Option<&'static str> {
    (1..=3)
        .filter_map(|n| digits.get(..n))
        .find_map(|code| DATA.calling_codes.get(code))
        .and_then(|regions| regions.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_numbering_data_reads() {
        let data = load().unwrap_or_else(|line| panic!("line {line:?} does not read"));
        assert!(data.area_codes.len() > 400, "{}", data.area_codes.len());
        assert!(data.country_names.len() > 200);
    }

    #[test]
    fn area_codes_name_their_country_in_words() {
        assert_eq!(area_code("416").unwrap().country, "Canada");
        assert_eq!(area_code("876").unwrap().country, "Jamaica");
        assert_eq!(area_code("212").unwrap().region, "US");
        assert_eq!(area_code("787").unwrap().region, "PR");
        assert!(area_code("999").is_none());
    }

    #[test]
    fn the_kind_of_each_area_code_comes_from_the_data() {
        assert_eq!(area_code("212").unwrap().kind, AreaKind::Geographic);
        assert_eq!(area_code("800").unwrap().kind, AreaKind::TollFree);
        assert_eq!(area_code("900").unwrap().kind, AreaKind::Premium);
        assert_eq!(area_code("500").unwrap().kind, AreaKind::NonGeographic);
        assert_eq!(area_code("501").unwrap().kind, AreaKind::Geographic);
    }

    #[test]
    fn an_area_code_with_listed_exchanges_knows_only_those() {
        let guam = area_code("671").unwrap();
        assert!(guam.has_exchange("472"));
        assert!(!guam.has_exchange("301"));
        assert!(!guam.has_exchange("x"));
        assert!(area_code("212").unwrap().has_exchange("736"));
    }

    #[test]
    fn exchange_ranges_are_read_and_backwards_ones_refused() {
        assert_eq!(parse_ranges("all"), Some(vec![(200, 999)]));
        assert_eq!(
            parse_ranges("200-208,210"),
            Some(vec![(200, 208), (210, 210)])
        );
        assert_eq!(parse_ranges("208-200"), None);
        assert_eq!(parse_ranges("2x0"), None);
    }

    #[test]
    fn a_calling_code_names_its_main_country() {
        assert_eq!(main_region("447911123456"), Some("GB"));
        assert_eq!(main_region("390612345678"), Some("IT"));
        assert_eq!(main_region("74951234567"), Some("RU"));
        assert_eq!(country_name("GB"), Some("United Kingdom"));
        assert_eq!(main_region("999"), None);
        assert_eq!(main_region(""), None);
    }
}
