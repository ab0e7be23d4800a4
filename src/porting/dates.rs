//! Dates: reading what customers type, the business-day calendar, and the port date (FOC) and
//! bill date rules.

use chrono::NaiveDate;

use super::Refusal;

/// Business days for ports: no weekends, US federal holidays (observed dates), or configured
/// porting holidays.
#[derive(Debug, Clone, Default)]
pub struct PortCalendar {}

impl PortCalendar {
    pub fn new(_porting_holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        PortCalendar {}
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

pub fn _unused(_: Refusal) {}
