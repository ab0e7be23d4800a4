//! Typed configuration, read once at start-up from the environment (see `.env.example`).
//! A bad value stops start-up with a message naming the variable.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;

use crate::porting::{PortCalendar, PortDateRules, ProviderInfo};

#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem} (got {value:?})")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub problem: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the SQLite file, the generated key and written LOAs live.
    pub data_dir: PathBuf,
    pub database_url: String,
    /// 32 bytes, base64. When unset, a key is generated once into `data_dir`.
    pub secret_key: Option<SecretString>,
    /// A fixed "now" for demos and tests; every date rule uses it.
    pub now: Option<DateTime<Utc>>,
    /// Read the words from this folder instead of the copy built into the binary.
    pub prompts_dir: Option<PathBuf>,
    pub port_date_rules: PortDateRules,
    pub porting_holidays: Vec<NaiveDate>,
    pub max_upload_bytes: usize,
    pub provider: ProviderInfo,
    /// True when the provider details are the built-in placeholders.
    pub provider_is_placeholder: bool,
    /// Days after a ticket is completed or cancelled before its bill and CSR are deleted.
    pub retention_days: u32,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads configuration through `get`, so tests can pass their own variables.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let data_dir =
            PathBuf::from(get("PORTBOT_DATA_DIR").unwrap_or_else(|| "./portbot-data".into()));
        let database_url = get("DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("portbot.db").display()
            )
        });
        let now = match get("PORTBOT_NOW") {
            None => None,
            Some(v) => Some(
                DateTime::parse_from_rfc3339(v.trim())
                    .map_err(|e| ConfigError {
                        var: "PORTBOT_NOW",
                        value: v.clone(),
                        problem: format!("not an RFC 3339 time like 2026-11-23T15:00:00Z ({e})"),
                    })?
                    .with_timezone(&Utc),
            ),
        };
        let number = |var: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().map_err(|_| ConfigError {
                    var,
                    value: v.clone(),
                    problem: "not a whole number".into(),
                }),
            }
        };
        let min_days = number("PORTBOT_PORT_MIN_DAYS", 7)?;
        let max_days = number("PORTBOT_PORT_MAX_DAYS", 30)?;
        if max_days < min_days {
            return Err(ConfigError {
                var: "PORTBOT_PORT_MAX_DAYS",
                value: max_days.to_string(),
                problem: format!("must not be below PORTBOT_PORT_MIN_DAYS ({min_days})"),
            });
        }
        let mut porting_holidays = Vec::new();
        if let Some(list) = get("PORTBOT_PORTING_HOLIDAYS") {
            for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let date =
                    NaiveDate::parse_from_str(item, "%Y-%m-%d").map_err(|_| ConfigError {
                        var: "PORTBOT_PORTING_HOLIDAYS",
                        value: item.to_string(),
                        problem: "dates must be YYYY-MM-DD, separated by commas".into(),
                    })?;
                porting_holidays.push(date);
            }
        }
        let max_upload_bytes = number("PORTBOT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)? as usize;
        let provider_name = get("PORTBOT_PROVIDER_NAME");
        let provider_is_placeholder = provider_name.is_none();
        let provider = ProviderInfo {
            name: provider_name.unwrap_or_else(|| "Example Voice Co.".into()),
            address: get("PORTBOT_PROVIDER_ADDRESS")
                .unwrap_or_else(|| "100 Example Ave, Suite 200, Chicago, IL 60601".into()),
            contact: get("PORTBOT_PROVIDER_CONTACT")
                .unwrap_or_else(|| "porting@example.com, (312) 448-2900".into()),
        };
        Ok(Config {
            data_dir,
            database_url,
            secret_key: get("PORTBOT_SECRET_KEY").map(SecretString::from),
            now,
            prompts_dir: get("PORTBOT_PROMPTS_DIR").map(PathBuf::from),
            port_date_rules: PortDateRules {
                min_days: min_days as u32,
                max_days: max_days as u32,
            },
            porting_holidays,
            max_upload_bytes,
            provider,
            provider_is_placeholder,
            retention_days: number("PORTBOT_RETENTION_DAYS", 90)? as u32,
        })
    }

    /// The current time: `PORTBOT_NOW` when set, otherwise the system clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    pub fn calendar(&self) -> PortCalendar {
        PortCalendar::new(self.porting_holidays.iter().copied())
    }
}
