//! Dates: reading what customers type, the business-day calendar, and the port date (FOC) and
//! bill date rules.

use std::collections::BTreeSet;

use bdays::HolidayCalendar;
use bdays::calendars::us::USSettlement;
use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::{Refusal, echo};

/// Every code this module can return.
pub const REFUSAL_CODES: &[&str] = &[
    "date.unreadable",
    "date.no_such_day",
    "date.weekday_mismatch",
    "port_date.past",
    "port_date.too_soon",
    "port_date.too_far",
    "port_date.weekend",
    "port_date.federal_holiday",
    "port_date.porting_holiday",
    "bill_date.future",
    "bill_date.too_old",
];

/// Years the federal holiday rules are computed for. bdays builds holiday dates from the year
/// with `expect`, which fails at the ends of chrono's range; outside these years no day is a
/// business day.
const SANE_YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// How old a bill may be, in days.
pub const BILL_MAX_AGE_DAYS: i64 = 30;

/// Why no port happens on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClosedReason {
    Saturday,
    Sunday,
    /// A US federal holiday, on its observed date.
    FederalHoliday,
    /// A day configured as a porting holiday (for example a carrier freeze).
    PortingHoliday,
    /// A year the calendar does not cover (before 1900 or after 9999).
    OutOfRange,
}

/// Business days for ports: no weekends, US federal holidays (observed dates), or configured
/// porting holidays.
#[derive(Debug, Clone, Default)]
pub struct PortCalendar {
    porting_holidays: BTreeSet<NaiveDate>,
}

impl PortCalendar {
    pub fn new(porting_holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        PortCalendar {
            porting_holidays: porting_holidays.into_iter().collect(),
        }
    }

    /// Why no port happens on `date`, or `None` on a business day. A weekend day that is also a
    /// holiday is reported as the weekend day.
    pub fn closed_reason(&self, date: NaiveDate) -> Option<ClosedReason> {
        if !SANE_YEARS.contains(&date.year()) {
            return Some(ClosedReason::OutOfRange);
        }
        match date.weekday() {
            Weekday::Sat => Some(ClosedReason::Saturday),
            Weekday::Sun => Some(ClosedReason::Sunday),
            _ if USSettlement.is_holiday(date) => Some(ClosedReason::FederalHoliday),
            _ if self.porting_holidays.contains(&date) => Some(ClosedReason::PortingHoliday),
            _ => None,
        }
    }

    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        self.closed_reason(date).is_none()
    }

    /// The first business day on or after `date`. Outside the years the calendar covers there
    /// is none, and `date` is returned unchanged.
    pub fn next_business_day(&self, date: NaiveDate) -> NaiveDate {
        self.search(date, NaiveDate::succ_opt).unwrap_or(date)
    }

    /// The last business day on or before `date`. Outside the years the calendar covers there is
    /// none, and `date` is returned unchanged.
    pub fn previous_business_day(&self, date: NaiveDate) -> NaiveDate {
        self.search(date, NaiveDate::pred_opt).unwrap_or(date)
    }

    /// The `n`th business day after `date` (`date` itself need not be one); `n = 0` gives
    /// `date`. Stops at the last business day before the end of the calendar's years.
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        for _ in 0..n {
            match day
                .succ_opt()
                .and_then(|d| self.search(d, NaiveDate::succ_opt))
            {
                Some(next) => day = next,
                None => break,
            }
        }
        day
    }

    /// Steps from `date` until a business day. Terminates: porting holidays are finite, and the
    /// walk stops when it leaves the covered years.
    fn search(
        &self,
        date: NaiveDate,
        step: fn(&NaiveDate) -> Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        let mut day = date;
        loop {
            match self.closed_reason(day) {
                None => return Some(day),
                Some(ClosedReason::OutOfRange) => return None,
                Some(_) => day = step(&day)?,
            }
        }
    }
}

/// How near and how far a requested port date may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortDateRules {
    pub min_days: u32,
    pub max_days: u32,
}

impl Default for PortDateRules {
    fn default() -> Self {
        PortDateRules {
            min_days: 7,
            max_days: 30,
        }
    }
}

impl PortDateRules {
    /// The earliest date a port may be requested for, and the default: `min_days` after today,
    /// moved to the next business day.
    pub fn earliest(&self, today: NaiveDate, cal: &PortCalendar) -> NaiveDate {
        cal.next_business_day(add_days(today, self.min_days))
    }

    /// The last business day on or before `max_days` after today.
    pub fn latest(&self, today: NaiveDate, cal: &PortCalendar) -> NaiveDate {
        cal.previous_business_day(add_days(today, self.max_days))
    }

    /// Accepts a requested port date, or refuses it with the nearest valid date as `suggestion`.
    pub fn check(
        &self,
        requested: NaiveDate,
        today: NaiveDate,
        cal: &PortCalendar,
    ) -> Result<NaiveDate, Refusal> {
        let earliest = self.earliest(today, cal);
        let latest = self.latest(today, cal);
        let refuse = |code, suggestion: NaiveDate| {
            Refusal::new(code)
                .with("date", format_long(requested))
                .with("suggestion", format_long(suggestion))
                .with("suggestion_iso", suggestion.to_string())
                .with("earliest", format_long(earliest))
                .with("latest", format_long(latest))
        };
        if requested < today {
            return Err(refuse("port_date.past", earliest));
        }
        if requested < add_days(today, self.min_days) {
            return Err(refuse("port_date.too_soon", earliest));
        }
        if requested > add_days(today, self.max_days) {
            return Err(refuse("port_date.too_far", latest));
        }
        let code = match cal.closed_reason(requested) {
            None => return Ok(requested),
            Some(ClosedReason::Saturday | ClosedReason::Sunday) => "port_date.weekend",
            Some(ClosedReason::FederalHoliday) => "port_date.federal_holiday",
            Some(ClosedReason::PortingHoliday) => "port_date.porting_holiday",
            Some(ClosedReason::OutOfRange) => "port_date.too_far",
        };
        let next = cal.next_business_day(requested);
        let suggestion = if next <= latest {
            next
        } else {
            cal.previous_business_day(requested).max(earliest)
        };
        Err(refuse(code, suggestion))
    }
}

fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(days.into()))
        .unwrap_or(NaiveDate::MAX)
}

/// `Thursday, December 3, 2026`
pub fn format_long(date: NaiveDate) -> String {
    date.format("%A, %B %-d, %Y").to_string()
}

/// `Dec 3, 2026`
pub fn format_short(date: NaiveDate) -> String {
    date.format("%b %-d, %Y").to_string()
}

/// Accepts the issue date of a bill: not in the future, and at most 30 days old.
pub fn check_bill_date(issued: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Refusal> {
    if issued > today {
        return Err(Refusal::new("bill_date.future").with("date", format_long(issued)));
    }
    let days = (today - issued).num_days();
    if days > BILL_MAX_AGE_DAYS {
        return Err(Refusal::new("bill_date.too_old")
            .with("date", format_long(issued))
            .with("days", days.to_string()));
    }
    Ok(issued)
}

/// Which year a date typed without one means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearHint {
    /// The next such date on or after today (a port date).
    Upcoming,
    /// The latest such date on or before today (a bill date).
    Recent,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

/// Longer than any way of writing a date.
const MAX_DATE_INPUT: usize = 60;

/// Reads a date as customers type it: `2026-12-03`, `12/3/2026`, `12/3/26`, `12/3`,
/// `12-3-2026`, `Dec 3`, `dec 3rd`, `Dec. 3`, `December 3, 2026`, `3 December 2026`,
/// `Thursday, December 3, 2026`, `today`, `tomorrow`. Numeric dates are read the US way
/// (month first). Without a year, `hint` decides which year is meant.
pub fn parse_date(input: &str, today: NaiveDate, hint: YearHint) -> Result<NaiveDate, Refusal> {
    let trimmed = input.trim();
    let unreadable = || Refusal::new("date.unreadable").with("input", echo(trimmed));
    if trimmed.is_empty() || trimmed.chars().count() > MAX_DATE_INPUT {
        return Err(unreadable());
    }
    let lower = trimmed.to_lowercase();
    let relative = match lower.trim_end_matches(['.', '!']) {
        "today" => Some(0),
        "tomorrow" => Some(1),
        "yesterday" => Some(-1),
        _ => None,
    };
    if let Some(offset) = relative {
        return today
            .checked_add_signed(chrono::Duration::days(offset))
            .ok_or_else(unreadable);
    }
    let parts = read_parts(&lower).ok_or_else(unreadable)?;
    let no_such_day = || Refusal::new("date.no_such_day").with("input", echo(trimmed));
    if !(1..=12).contains(&parts.month) || !(1..=31).contains(&parts.day) {
        return Err(unreadable());
    }
    // Whether the month has that day at all, in a leap year.
    if NaiveDate::from_ymd_opt(2000, parts.month, parts.day).is_none() {
        return Err(no_such_day());
    }
    let date = match parts.year {
        Some(year) => {
            NaiveDate::from_ymd_opt(year, parts.month, parts.day).ok_or_else(no_such_day)?
        }
        None => year_for(parts.month, parts.day, today, hint).ok_or_else(no_such_day)?,
    };
    if let Some(weekday) = parts.weekday
        && weekday != date.weekday()
    {
        return Err(Refusal::new("date.weekday_mismatch")
            .with("input", echo(trimmed))
            .with("date", format_long(date)));
    }
    Ok(date)
}

struct DateParts {
    year: Option<i32>,
    month: u32,
    day: u32,
    weekday: Option<Weekday>,
}

fn read_parts(lower: &str) -> Option<DateParts> {
    let numeric = lower
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '/' | '-' | '.'));
    if numeric {
        read_numeric(lower)
    } else {
        read_words(lower)
    }
}

/// `2026-12-03`, `2026/12/03`, `12/3/2026`, `12-3-26`, `12.3.2026`, `12/3`.
fn read_numeric(text: &str) -> Option<DateParts> {
    let fields: Vec<&str> = text.split(['/', '-', '.']).collect();
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day) = match fields.as_slice() {
        [y, m, d] if y.len() == 4 => (Some(year_of(y)?), num(m)?, num(d)?),
        [m, d, y] if m.len() <= 2 && d.len() <= 2 => (Some(year_of(y)?), num(m)?, num(d)?),
        [m, d] if m.len() <= 2 && d.len() <= 2 => (None, num(m)?, num(d)?),
        _ => return None,
    };
    Some(DateParts {
        year,
        month,
        day,
        weekday: None,
    })
}

/// A year as typed: four digits, or two (`26` is 2026).
fn year_of(text: &str) -> Option<i32> {
    let text = text.strip_prefix('\'').unwrap_or(text);
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i32 = text.parse().ok()?;
    match text.len() {
        2 => Some(2000 + value),
        4 if SANE_YEARS.contains(&value) => Some(value),
        _ => None,
    }
}

/// `Dec 3`, `dec 3rd`, `Dec. 3`, `December 3, 2026`, `3 December 2026`, `the 3rd of December`,
/// `Thursday, December 3, 2026`.
fn read_words(text: &str) -> Option<DateParts> {
    let mut month = None;
    let mut day = None;
    let mut year = None;
    let mut weekday = None;
    for token in text.split(|c: char| c.is_whitespace() || c == ',') {
        let token = token.trim_end_matches('.');
        if token.is_empty() || token == "of" || token == "the" {
            continue;
        }
        if let Some(m) = month_of(token) {
            if month.replace(m).is_some() {
                return None;
            }
        } else if let Some(w) = weekday_of(token) {
            if weekday.replace(w).is_some() {
                return None;
            }
        } else if let Some(d) = day_of(token).filter(|_| day.is_none()) {
            day = Some(d);
        } else if let Some(y) = year_of(token).filter(|_| year.is_none() && day.is_some()) {
            year = Some(y);
        } else {
            return None;
        }
    }
    Some(DateParts {
        year,
        month: month?,
        day: day?,
        weekday,
    })
}

/// `dec`, `december`, `sept`: any prefix of at least three letters of a month's name.
fn month_of(token: &str) -> Option<u32> {
    if token.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(token))
        .map(|i| i as u32 + 1)
}

fn weekday_of(token: &str) -> Option<Weekday> {
    if token.len() < 3 {
        return None;
    }
    let alias = match token {
        "tues" => "tue",
        "thur" | "thurs" => "thu",
        other => other,
    };
    WEEKDAYS
        .iter()
        .find(|(name, _)| name.starts_with(alias))
        .map(|(_, w)| *w)
}

/// `3`, `03`, `3rd`, `21st`.
fn day_of(token: &str) -> Option<u32> {
    let digits = token
        .strip_suffix("st")
        .or_else(|| token.strip_suffix("nd"))
        .or_else(|| token.strip_suffix("rd"))
        .or_else(|| token.strip_suffix("th"))
        .unwrap_or(token);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The year a month and day typed without one means. Feb 29 can be up to eight years away.
fn year_for(month: u32, day: u32, today: NaiveDate, hint: YearHint) -> Option<NaiveDate> {
    (0..=8).find_map(|offset| {
        let year = match hint {
            YearHint::Upcoming => today.year().checked_add(offset)?,
            YearHint::Recent => today.year().checked_sub(offset)?,
        };
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        let fits = match hint {
            YearHint::Upcoming => date >= today,
            YearHint::Recent => date <= today,
        };
        fits.then_some(date)
    })
}

/// Dates said the way people say them, for a date ahead (a port date): `next Friday`,
/// `this friday`, `friday`, `in two weeks`, `in 10 days`, `two weeks from today`, `a week from
/// now`, `the 30th`, `December first`, `the first of December`, `Thanksgiving`, `the Monday
/// after Thanksgiving`, `the day after Christmas`. `None` when the words are none of these (the
/// caller then tries [`parse_date`]). A day that is not a business day is returned as said:
/// the port date rules refuse it with the next valid date.
pub fn parse_spoken_date(input: &str, today: NaiveDate) -> Option<NaiveDate> {
    if input.chars().count() > MAX_DATE_INPUT {
        return None;
    }
    let tokens = spoken_tokens(input);
    let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] => None,
        [w] | ["this", w] | ["coming", w] | ["this", "coming", w] if weekday_of(w).is_some() => {
            Some(next_weekday(today, weekday_of(w)?))
        }
        ["next", w] if weekday_of(w).is_some() => {
            let date = next_weekday(today, weekday_of(w)?);
            // "Next Friday" said early in the week means the Friday of next week.
            let same_week = date.iso_week() == today.iso_week();
            Some(if same_week { date + Days::new(7) } else { date })
        }
        ["in", n, unit] | [n, unit, "from", "now" | "today"] | [n, unit, "out"] => {
            add_spoken(today, n, unit)
        }
        [n, unit] if matches!(*unit, "week" | "weeks") => add_spoken(today, n, unit),
        [day] if day_of(day).is_some() => day_in_month_ahead(today, day_of(day)?),
        // "Friday the 4th": the next 4th that is a Friday.
        [w, day] if weekday_of(w).is_some() && day_of(day).is_some() => {
            let date = day_in_month_ahead(today, day_of(day)?)?;
            (date.weekday() == weekday_of(w)?).then_some(date)
        }
        // "mid December", "early January", "end of December", "first week of December".
        [n, "week", month] if day_of(n) == Some(1) => {
            year_for(month_of(month)?, 1, today, YearHint::Upcoming)
        }
        [
            part @ ("early" | "beginning" | "start" | "mid" | "middle" | "late" | "end"),
            month,
        ] => {
            let month = month_of(month)?;
            let day = match *part {
                "mid" | "middle" => 15,
                "late" | "end" => 28,
                _ => 1,
            };
            year_for(month, day, today, YearHint::Upcoming)
        }
        _ => spoken_holiday(&words, today).or_else(|| {
            // "December first": the same date with the day written in digits.
            let rewritten = words.join(" ");
            parse_date(&rewritten, today, YearHint::Upcoming).ok()
        }),
    }
}

/// Lower-case words without punctuation or noise ("on", "the", "please"), number and ordinal
/// words as digits (`two` -> `2`, `first` -> `1st`, `twenty first` -> `21st`).
fn spoken_tokens(input: &str) -> Vec<String> {
    const NOISE: &[&str] = &[
        "on", "the", "of", "please", "lets", "let", "us", "do", "how", "about", "maybe", "for",
        "by", "around", "say", "make", "it", "i", "want", "would", "like", "prefer", "we", "can",
        "could", "go", "with", "date", "port", "then", "ok", "okay", "um", "uh", "hmm", "well",
    ];
    const NUMBERS: &[&str] = &[
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    const ORDINALS: &[&str] = &[
        "",
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    ];
    let lower = input.to_lowercase().replace(['\'', '\u{2019}'], "");
    let raw: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let word = raw[i];
        let next = raw.get(i + 1).copied();
        let ordinal = |w: &str| ORDINALS.iter().position(|o| *o == w && !o.is_empty());
        if matches!(word, "twenty" | "thirty")
            && let Some(units) = next.and_then(ordinal).filter(|u| *u < 10)
        {
            let tens = if word == "twenty" { 20 } else { 30 };
            out.push(format!("{}th", tens + units));
            i += 2;
            continue;
        }
        if word == "thirtieth" {
            out.push("30th".into());
        } else if let Some(n) = ordinal(word) {
            out.push(format!("{n}th"));
        } else if let Some(n) = NUMBERS.iter().position(|w| *w == word) {
            out.push(n.to_string());
        } else if matches!(word, "a" | "an") && matches!(next, Some("week" | "day")) {
            out.push("1".into());
        } else if word == "couple" {
            out.push("2".into());
        } else if !NOISE.contains(&word) && word != "a" {
            out.push(word.to_string());
        }
        i += 1;
    }
    out
}

fn next_weekday(today: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today + Days::new(if ahead == 0 { 7 } else { ahead.into() })
}

fn add_spoken(today: NaiveDate, n: &str, unit: &str) -> Option<NaiveDate> {
    let n: u64 = n.parse().ok().filter(|n| *n <= 366)?;
    let days = match unit {
        "day" | "days" => n,
        "week" | "weeks" => n * 7,
        _ => return None,
    };
    today.checked_add_days(Days::new(days))
}

/// "The 30th": the next such day after today, this month or a later one.
fn day_in_month_ahead(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    let mut first = today.with_day(1)?;
    for _ in 0..3 {
        if let Some(date) = first.with_day(day).filter(|d| *d > today) {
            return Some(date);
        }
        first = first.checked_add_months(chrono::Months::new(1))?;
    }
    None
}

/// `thanksgiving`, `christmas`, `the monday after thanksgiving`, `the day after christmas`,
/// `the week after new years`.
fn spoken_holiday(words: &[&str], today: NaiveDate) -> Option<NaiveDate> {
    let (offset, rest): (Option<(&str, &str)>, &[&str]) = match words {
        [what, rel @ ("after" | "before"), rest @ ..] => (Some((what, rel)), rest),
        rest => (None, rest),
    };
    let holiday = holiday_ahead(&rest.join(" "), today)?;
    let Some((what, rel)) = offset else {
        return Some(holiday);
    };
    let after = rel == "after";
    let step = |date: NaiveDate, days: u64| {
        if after {
            date.checked_add_days(Days::new(days))
        } else {
            date.checked_sub_days(Days::new(days))
        }
    };
    match what {
        "day" => step(holiday, 1),
        "week" => step(holiday, 7),
        w => {
            let weekday = weekday_of(w)?;
            (1..=7)
                .filter_map(|n| step(holiday, n))
                .find(|d| d.weekday() == weekday)
        }
    }
}

/// The next date (today or later) of a holiday named in words.
fn holiday_ahead(name: &str, today: NaiveDate) -> Option<NaiveDate> {
    let on = |year: i32| -> Option<NaiveDate> {
        let nth = |month, weekday, n| NaiveDate::from_weekday_of_month_opt(year, month, weekday, n);
        let last_monday_of_may = || {
            (25..=31)
                .rev()
                .filter_map(|d| NaiveDate::from_ymd_opt(year, 5, d))
                .find(|d| d.weekday() == Weekday::Mon)
        };
        match name {
            "thanksgiving" | "thanksgiving day" => nth(11, Weekday::Thu, 4),
            "black friday" | "day after thanksgiving" => {
                nth(11, Weekday::Thu, 4).map(|d| d + Days::new(1))
            }
            "christmas" | "christmas day" | "xmas" => NaiveDate::from_ymd_opt(year, 12, 25),
            "christmas eve" | "xmas eve" => NaiveDate::from_ymd_opt(year, 12, 24),
            "new years" | "new year" | "new years day" | "new year day" => {
                NaiveDate::from_ymd_opt(year, 1, 1)
            }
            "new years eve" => NaiveDate::from_ymd_opt(year, 12, 31),
            "mlk day" | "mlk" | "martin luther king day" | "martin luther king jr day" => {
                nth(1, Weekday::Mon, 3)
            }
            "presidents day" | "washingtons birthday" => nth(2, Weekday::Mon, 3),
            "memorial day" => last_monday_of_may(),
            "juneteenth" => NaiveDate::from_ymd_opt(year, 6, 19),
            "independence day" | "4th july" | "july 4th" => NaiveDate::from_ymd_opt(year, 7, 4),
            "labor day" | "labour day" => nth(9, Weekday::Mon, 1),
            "columbus day" | "indigenous peoples day" => nth(10, Weekday::Mon, 2),
            "veterans day" => NaiveDate::from_ymd_opt(year, 11, 11),
            _ => None,
        }
    };
    (0..=1).find_map(|offset| on(today.year() + offset).filter(|d| *d >= today))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal() -> PortCalendar {
        PortCalendar::default()
    }

    fn known(r: Refusal) -> Refusal {
        assert!(REFUSAL_CODES.contains(&r.code), "{}", r.code);
        r
    }

    fn check(requested: NaiveDate, today: NaiveDate, cal: &PortCalendar) -> Refusal {
        known(
            PortDateRules::default()
                .check(requested, today, cal)
                .expect_err("refused"),
        )
    }

    fn parse(input: &str, today: NaiveDate, hint: YearHint) -> NaiveDate {
        parse_date(input, today, hint).unwrap_or_else(|r| panic!("{input:?}: {r:?}"))
    }

    #[test]
    fn federal_holidays_of_2026_are_closed_on_their_observed_dates() {
        let c = cal();
        for date in [
            d(2026, 1, 1),
            d(2026, 1, 19),
            d(2026, 2, 16),
            d(2026, 5, 25),
            d(2026, 6, 19),
            d(2026, 7, 3),
            d(2026, 9, 7),
            d(2026, 10, 12),
            d(2026, 11, 11),
            d(2026, 11, 26),
            d(2026, 12, 25),
        ] {
            assert_eq!(
                c.closed_reason(date),
                Some(ClosedReason::FederalHoliday),
                "{date}"
            );
        }
    }

    #[test]
    fn federal_holidays_of_2027_are_closed_on_their_observed_dates() {
        let c = cal();
        for date in [
            d(2027, 1, 1),
            d(2027, 1, 18),
            d(2027, 2, 15),
            d(2027, 5, 31),
            d(2027, 6, 18),
            d(2027, 7, 5),
            d(2027, 9, 6),
            d(2027, 10, 11),
            d(2027, 11, 11),
            d(2027, 11, 25),
            d(2027, 12, 24),
        ] {
            assert_eq!(
                c.closed_reason(date),
                Some(ClosedReason::FederalHoliday),
                "{date}"
            );
        }
    }

    #[test]
    fn july_4_2026_is_a_saturday_observed_on_friday_july_3() {
        let c = cal();
        assert_eq!(c.closed_reason(d(2026, 7, 4)), Some(ClosedReason::Saturday));
        assert_eq!(
            c.closed_reason(d(2026, 7, 3)),
            Some(ClosedReason::FederalHoliday)
        );
        assert!(c.is_business_day(d(2026, 7, 6)));
    }

    #[test]
    fn juneteenth_2027_is_observed_on_friday_june_18() {
        assert_eq!(
            cal().closed_reason(d(2027, 6, 18)),
            Some(ClosedReason::FederalHoliday)
        );
        assert_eq!(
            cal().closed_reason(d(2027, 6, 19)),
            Some(ClosedReason::Saturday)
        );
    }

    #[test]
    fn weekends_are_closed_and_ordinary_weekdays_are_open() {
        let c = cal();
        assert_eq!(
            c.closed_reason(d(2026, 12, 5)),
            Some(ClosedReason::Saturday)
        );
        assert_eq!(c.closed_reason(d(2026, 12, 6)), Some(ClosedReason::Sunday));
        assert_eq!(c.closed_reason(d(2026, 12, 3)), None);
        assert!(c.is_business_day(d(2026, 12, 3)));
    }

    #[test]
    fn configured_porting_holidays_are_closed() {
        let c = PortCalendar::new([d(2026, 12, 24), d(2026, 12, 31)]);
        assert_eq!(
            c.closed_reason(d(2026, 12, 24)),
            Some(ClosedReason::PortingHoliday)
        );
        assert_eq!(
            c.closed_reason(d(2026, 12, 31)),
            Some(ClosedReason::PortingHoliday)
        );
        assert_eq!(c.next_business_day(d(2026, 12, 24)), d(2026, 12, 28));
    }

    #[test]
    fn next_and_previous_business_days_skip_weekends_and_holidays() {
        let c = cal();
        // Thanksgiving Thursday -> Friday; Christmas Friday -> Monday.
        assert_eq!(c.next_business_day(d(2026, 11, 26)), d(2026, 11, 27));
        assert_eq!(c.next_business_day(d(2026, 12, 25)), d(2026, 12, 28));
        assert_eq!(c.previous_business_day(d(2026, 12, 27)), d(2026, 12, 24));
        // New Year 2027 is a Friday: the year's first business day is Monday Jan 4.
        assert_eq!(c.next_business_day(d(2026, 12, 31)), d(2026, 12, 31));
        assert_eq!(c.next_business_day(d(2027, 1, 1)), d(2027, 1, 4));
        assert_eq!(c.next_business_day(d(2026, 12, 3)), d(2026, 12, 3));
    }

    #[test]
    fn business_days_are_added_skipping_closed_days() {
        let c = cal();
        assert_eq!(c.add_business_days(d(2026, 11, 25), 1), d(2026, 11, 27));
        assert_eq!(c.add_business_days(d(2026, 12, 24), 2), d(2026, 12, 29));
        assert_eq!(c.add_business_days(d(2026, 12, 5), 1), d(2026, 12, 7));
        assert_eq!(c.add_business_days(d(2026, 12, 3), 0), d(2026, 12, 3));
    }

    #[test]
    fn dates_outside_the_calendar_years_never_panic_and_are_never_business_days() {
        let c = cal();
        for date in [
            NaiveDate::MIN,
            NaiveDate::MAX,
            d(1899, 12, 31),
            d(10000, 1, 1),
        ] {
            assert_eq!(c.closed_reason(date), Some(ClosedReason::OutOfRange));
            assert_eq!(c.next_business_day(date), date);
            assert_eq!(c.previous_business_day(date), date);
        }
        assert_eq!(c.add_business_days(NaiveDate::MAX, 3), NaiveDate::MAX);
        assert_eq!(c.add_business_days(d(9999, 12, 30), 3), d(9999, 12, 30));
        assert_eq!(c.add_business_days(d(1899, 12, 31), 1), d(1900, 1, 2));
        assert_eq!(c.next_business_day(d(9999, 12, 31)), d(9999, 12, 31));
        let rules = PortDateRules::default();
        let _ = rules.check(NaiveDate::MAX, NaiveDate::MAX, &c);
        let _ = rules.earliest(NaiveDate::MAX, &c);
        let _ = rules.latest(NaiveDate::MAX, &c);
    }

    #[test]
    fn the_default_port_date_is_a_week_out_moved_to_a_business_day() {
        let rules = PortDateRules::default();
        // Thu Nov 19 + 7 = Thanksgiving -> Friday Nov 27.
        assert_eq!(rules.earliest(d(2026, 11, 19), &cal()), d(2026, 11, 27));
        // Tue Dec 1 + 7 = Tue Dec 8.
        assert_eq!(rules.earliest(d(2026, 12, 1), &cal()), d(2026, 12, 8));
    }

    #[test]
    fn the_latest_port_date_is_the_last_business_day_within_30_days() {
        // Nov 25 + 30 = Christmas -> Thursday Dec 24.
        assert_eq!(
            PortDateRules::default().latest(d(2026, 11, 25), &cal()),
            d(2026, 12, 24)
        );
    }

    #[test]
    fn a_valid_port_date_is_accepted() {
        let rules = PortDateRules::default();
        assert_eq!(
            rules.check(d(2026, 12, 10), d(2026, 12, 1), &cal()),
            Ok(d(2026, 12, 10))
        );
    }

    #[test]
    fn a_date_in_the_past_is_refused_suggesting_the_earliest() {
        let r = check(d(2026, 11, 30), d(2026, 12, 1), &cal());
        assert_eq!(r.code, "port_date.past");
        assert_eq!(r.arg("suggestion"), Some("Tuesday, December 8, 2026"));
        assert_eq!(r.arg("date"), Some("Monday, November 30, 2026"));
    }

    #[test]
    fn a_date_less_than_a_week_out_is_too_soon() {
        let r = check(d(2026, 12, 4), d(2026, 12, 1), &cal());
        assert_eq!(r.code, "port_date.too_soon");
        assert_eq!(r.arg("suggestion"), Some("Tuesday, December 8, 2026"));
        assert_eq!(r.arg("earliest"), Some("Tuesday, December 8, 2026"));
        assert_eq!(r.arg("latest"), Some("Thursday, December 31, 2026"));
        assert_eq!(
            check(d(2026, 12, 1), d(2026, 12, 1), &cal()).code,
            "port_date.too_soon"
        );
    }

    #[test]
    fn a_date_more_than_30_days_out_is_too_far_and_suggests_the_latest() {
        let r = check(d(2027, 2, 1), d(2026, 12, 1), &cal());
        assert_eq!(r.code, "port_date.too_far");
        assert_eq!(r.arg("suggestion"), Some("Thursday, December 31, 2026"));
    }

    #[test]
    fn a_date_on_a_weekend_suggests_the_next_business_day() {
        let r = check(d(2026, 12, 12), d(2026, 12, 1), &cal());
        assert_eq!(r.code, "port_date.weekend");
        assert_eq!(r.arg("suggestion"), Some("Monday, December 14, 2026"));
    }

    #[test]
    fn a_date_on_thanksgiving_suggests_the_next_business_day() {
        let r = check(d(2026, 11, 26), d(2026, 11, 12), &cal());
        assert_eq!(r.code, "port_date.federal_holiday");
        assert_eq!(r.arg("suggestion"), Some("Friday, November 27, 2026"));
    }

    #[test]
    fn a_date_on_christmas_2026_suggests_monday_the_28th() {
        let r = check(d(2026, 12, 25), d(2026, 12, 10), &cal());
        assert_eq!(r.code, "port_date.federal_holiday");
        assert_eq!(r.arg("suggestion"), Some("Monday, December 28, 2026"));
    }

    #[test]
    fn a_closed_day_at_the_end_of_the_window_suggests_the_business_day_before() {
        // Today Nov 25: the window ends Christmas, so the next business day (Dec 28) is too far.
        let r = check(d(2026, 12, 25), d(2026, 11, 25), &cal());
        assert_eq!(r.code, "port_date.federal_holiday");
        assert_eq!(r.arg("suggestion"), Some("Thursday, December 24, 2026"));
    }

    #[test]
    fn new_year_2027_is_refused_as_a_federal_holiday() {
        let r = check(d(2027, 1, 1), d(2026, 12, 15), &cal());
        assert_eq!(r.code, "port_date.federal_holiday");
        assert_eq!(r.arg("suggestion"), Some("Monday, January 4, 2027"));
    }

    #[test]
    fn juneteenth_2027_is_refused_as_a_federal_holiday() {
        let r = check(d(2027, 6, 18), d(2027, 6, 1), &cal());
        assert_eq!(r.code, "port_date.federal_holiday");
        assert_eq!(r.arg("suggestion"), Some("Monday, June 21, 2027"));
    }

    #[test]
    fn a_porting_holiday_is_refused_with_its_own_code() {
        let c = PortCalendar::new([d(2026, 12, 10)]);
        let r = check(d(2026, 12, 10), d(2026, 12, 1), &c);
        assert_eq!(r.code, "port_date.porting_holiday");
        assert_eq!(r.arg("suggestion"), Some("Friday, December 11, 2026"));
    }

    #[test]
    fn dates_are_formatted_long_and_short() {
        assert_eq!(format_long(d(2026, 12, 3)), "Thursday, December 3, 2026");
        assert_eq!(format_short(d(2026, 12, 3)), "Dec 3, 2026");
    }

    #[test]
    fn every_accepted_date_format_reads_december_3_2026() {
        let today = d(2026, 11, 20);
        for input in [
            "2026-12-03",
            "2026/12/3",
            "12/3/2026",
            "12/03/2026",
            "12/3/26",
            "12/3",
            "12-3-2026",
            "12.3.2026",
            "Dec 3",
            "dec 3rd",
            "Dec. 3",
            "DEC 3",
            "December 3 2026",
            "December 3, 2026",
            "December 3rd, 2026",
            "3 December 2026",
            "3rd of December",
            "the 3rd of December 2026",
            "Thursday, December 3, 2026",
            "Thu Dec 3",
            "Dec 3 '26",
            "  december   3 ,  2026 ",
        ] {
            assert_eq!(
                parse(input, today, YearHint::Upcoming),
                d(2026, 12, 3),
                "{input}"
            );
        }
    }

    #[test]
    fn a_date_without_a_year_is_the_next_one_for_upcoming_and_the_last_one_for_recent() {
        let today = d(2026, 12, 10);
        assert_eq!(parse("Dec 3", today, YearHint::Upcoming), d(2027, 12, 3));
        assert_eq!(parse("Dec 3", today, YearHint::Recent), d(2026, 12, 3));
        assert_eq!(parse("Jan 5", today, YearHint::Upcoming), d(2027, 1, 5));
        assert_eq!(parse("Dec 15", today, YearHint::Recent), d(2025, 12, 15));
        assert_eq!(parse("Dec 10", today, YearHint::Upcoming), today);
        assert_eq!(parse("Dec 10", today, YearHint::Recent), today);
        assert_eq!(parse("2/29", today, YearHint::Upcoming), d(2028, 2, 29));
    }

    #[test]
    fn today_and_tomorrow_are_understood() {
        let today = d(2026, 12, 10);
        assert_eq!(parse("today", today, YearHint::Recent), today);
        assert_eq!(
            parse("Tomorrow", today, YearHint::Upcoming),
            d(2026, 12, 11)
        );
        assert_eq!(parse("yesterday", today, YearHint::Recent), d(2026, 12, 9));
    }

    #[test]
    fn a_day_the_month_does_not_have_is_refused() {
        let today = d(2026, 12, 10);
        for input in ["Feb 30", "2/30/2027", "April 31", "2027-02-29"] {
            let r = known(parse_date(input, today, YearHint::Upcoming).unwrap_err());
            assert_eq!(r.code, "date.no_such_day", "{input}");
            assert_eq!(r.arg("input"), Some(input));
        }
    }

    #[test]
    fn text_that_is_not_a_date_is_unreadable() {
        let today = d(2026, 12, 10);
        for input in [
            "",
            "next week",
            "13/5/2026",
            "12/32",
            "December",
            "2026",
            "Dec 3 Dec 4",
            "3/4/5/6",
            "Smarch 3",
            "12/3/202",
        ] {
            let r = known(parse_date(input, today, YearHint::Upcoming).unwrap_err());
            assert_eq!(r.code, "date.unreadable", "{input}");
        }
    }

    #[test]
    fn a_weekday_that_does_not_match_the_date_is_refused() {
        let r = known(
            parse_date(
                "Friday, December 3, 2026",
                d(2026, 11, 1),
                YearHint::Upcoming,
            )
            .unwrap_err(),
        );
        assert_eq!(r.code, "date.weekday_mismatch");
        assert_eq!(r.arg("date"), Some("Thursday, December 3, 2026"));
    }

    #[test]
    fn hostile_date_input_never_panics() {
        let today = d(2026, 12, 10);
        for input in [
            "1".repeat(100_000),
            "😀".repeat(100_000),
            "\u{0}\u{202e}12/3".to_string(),
            "//".to_string(),
            "-".to_string(),
            "99999/99999/99999".to_string(),
            "12/3/9999".to_string(),
            "Dec 31 9999".to_string(),
        ] {
            let _ = parse_date(&input, today, YearHint::Upcoming);
            let _ = parse_date(&input, NaiveDate::MAX, YearHint::Upcoming);
            let _ = parse_date(&input, NaiveDate::MIN, YearHint::Recent);
        }
    }

    #[test]
    fn a_bill_from_the_last_30_days_is_accepted() {
        let today = d(2026, 12, 10);
        assert_eq!(check_bill_date(today, today), Ok(today));
        assert_eq!(check_bill_date(d(2026, 11, 10), today), Ok(d(2026, 11, 10)));
    }

    #[test]
    fn a_bill_dated_in_the_future_is_refused() {
        let r = known(check_bill_date(d(2026, 12, 11), d(2026, 12, 10)).unwrap_err());
        assert_eq!(r.code, "bill_date.future");
        assert_eq!(r.arg("date"), Some("Friday, December 11, 2026"));
    }

    #[test]
    fn a_bill_older_than_30_days_is_too_old_and_says_how_old() {
        let r = known(check_bill_date(d(2026, 11, 9), d(2026, 12, 10)).unwrap_err());
        assert_eq!(r.code, "bill_date.too_old");
        assert_eq!(r.arg("days"), Some("31"));
        assert_eq!(r.arg("date"), Some("Monday, November 9, 2026"));
    }

    #[test]
    fn spoken_dates_are_read_from_a_monday() {
        // Monday, November 23, 2026.
        let today = d(2026, 11, 23);
        for (said, expected) in [
            ("next Friday", d(2026, 12, 4)),
            ("friday", d(2026, 11, 27)),
            ("this friday", d(2026, 11, 27)),
            ("on Monday", d(2026, 11, 30)),
            ("in two weeks", d(2026, 12, 7)),
            ("in 10 days", d(2026, 12, 3)),
            ("a week from now", d(2026, 11, 30)),
            ("two weeks from today", d(2026, 12, 7)),
            ("the 30th", d(2026, 11, 30)),
            ("the 2nd", d(2026, 12, 2)),
            ("December first", d(2026, 12, 1)),
            ("the first of December", d(2026, 12, 1)),
            ("December twenty first", d(2026, 12, 21)),
            ("Thanksgiving", d(2026, 11, 26)),
            ("the Monday after Thanksgiving", d(2026, 11, 30)),
            ("the day after Christmas", d(2026, 12, 26)),
            ("New Year's Day", d(2027, 1, 1)),
            ("Friday the 4th", d(2026, 12, 4)),
            ("mid December", d(2026, 12, 15)),
            ("early December", d(2026, 12, 1)),
            ("the first week of December", d(2026, 12, 1)),
            ("end of December", d(2026, 12, 28)),
        ] {
            assert_eq!(parse_spoken_date(said, today), Some(expected), "{said}");
        }
    }

    #[test]
    fn words_that_are_not_a_date_are_not_read_as_one() {
        let today = d(2026, 11, 23);
        for said in [
            "whenever",
            "Monday the 4th",
            "next-ish",
            "soon",
            "in a while",
            "the 45th",
            "blue",
        ] {
            assert_eq!(parse_spoken_date(said, today), None, "{said}");
        }
    }

    #[test]
    fn next_friday_said_on_a_saturday_is_the_coming_friday() {
        assert_eq!(
            parse_spoken_date("next friday", d(2026, 11, 28)),
            Some(d(2026, 12, 4))
        );
    }
}
