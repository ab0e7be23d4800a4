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
    /// Most bills and CSRs one conversation may upload (re-uploads count).
    pub max_uploads_per_conversation: u32,
    /// Most conversations a customer may start in 24 hours; 0: no limit.
    pub max_conversations_per_day: u32,
    /// Most messages a customer may send in a minute (per process); 0: no limit.
    pub max_messages_per_minute: u32,
    /// Agent names allowed to act from the command line; empty: any name (no list configured).
    pub agents: Vec<String>,
    pub provider: ProviderInfo,
    /// True when the provider details are the built-in placeholders.
    pub provider_is_placeholder: bool,
    /// Days after a ticket is completed or cancelled before its bill and CSR are deleted.
    pub retention_days: u32,
    /// Where notification email goes (`smtp://`, `smtp://...?tls=required`, `smtps://`). Unset:
    /// emails stay queued. Secret: it may hold a password.
    pub smtp_url: Option<SecretString>,
    /// The From of notification email, checked.
    pub email_from: String,
    /// True when `email_from` is the built-in placeholder.
    pub email_from_is_placeholder: bool,
    /// Remind a customer whose unfinished conversation has been quiet this long; `None`: never.
    pub reminder_after: Option<chrono::Duration>,
    /// Close an unfinished conversation quiet this long.
    pub expire_after: chrono::Duration,
    /// How long the worker waits between passes.
    pub worker_interval: std::time::Duration,
    /// Longest a customer waits for the database in one message before being told to try again.
    pub db_timeout: std::time::Duration,
}

impl Config {
    /// What the notification loops take from these settings.
    pub fn worker_settings(&self) -> crate::notify::worker::Settings {
        crate::notify::worker::Settings {
            smtp_url: self.smtp_url.clone(),
            email_from: self.email_from.clone(),
            email_from_is_placeholder: self.email_from_is_placeholder,
            reminder_after: self.reminder_after,
            expire_after: self.expire_after,
            retention: chrono::TimeDelta::days(i64::from(self.retention_days)),
            interval: self.worker_interval,
            now: self.now,
        }
    }

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
        let max_uploads_per_conversation = number("PORTBOT_MAX_UPLOADS_PER_CONVERSATION", 10)?;
        if max_uploads_per_conversation == 0 || max_uploads_per_conversation > 1000 {
            return Err(ConfigError {
                var: "PORTBOT_MAX_UPLOADS_PER_CONVERSATION",
                value: max_uploads_per_conversation.to_string(),
                problem: "must be from 1 to 1000".into(),
            });
        }
        let max_conversations_per_day = number("PORTBOT_MAX_CONVERSATIONS_PER_DAY", 10)?;
        let max_messages_per_minute = number("PORTBOT_MAX_MESSAGES_PER_MINUTE", 30)?;
        for (var, value) in [
            (
                "PORTBOT_MAX_CONVERSATIONS_PER_DAY",
                max_conversations_per_day,
            ),
            ("PORTBOT_MAX_MESSAGES_PER_MINUTE", max_messages_per_minute),
        ] {
            if value > 100_000 {
                return Err(ConfigError {
                    var,
                    value: value.to_string(),
                    problem: "must be at most 100000 (0 turns the limit off)".into(),
                });
            }
        }
        let agents = parse_agents(get("PORTBOT_AGENTS").as_deref())?;
        let provider_name = get("PORTBOT_PROVIDER_NAME");
        let provider_is_placeholder = provider_name.is_none();
        let provider = ProviderInfo {
            name: provider_name.unwrap_or_else(|| "Example Voice Co.".into()),
            address: get("PORTBOT_PROVIDER_ADDRESS")
                .unwrap_or_else(|| "100 Example Ave, Suite 200, Chicago, IL 60601".into()),
            contact: get("PORTBOT_PROVIDER_CONTACT")
                .unwrap_or_else(|| "porting@example.com, (312) 448-2900".into()),
        };
        let smtp_url = get("PORTBOT_SMTP_URL");
        if let Some(url) = &smtp_url {
            crate::notify::mail::check_url(url).map_err(|problem| ConfigError {
                var: "PORTBOT_SMTP_URL",
                // It may hold a password.
                value: "(not shown)".into(),
                problem: format!(
                    "{problem}; use smtp://host:port, smtp://user:pass@host:587?tls=required \
                     or smtps://user:pass@host:465"
                ),
            })?;
        }
        let email_from_given = get("PORTBOT_EMAIL_FROM");
        let email_from_is_placeholder = email_from_given.is_none();
        let email_from = email_from_given.unwrap_or_else(|| "portbot@example.com".into());
        crate::notify::mail::parse_from(&email_from).map_err(|problem| ConfigError {
            var: "PORTBOT_EMAIL_FROM",
            value: email_from.clone(),
            problem: format!("not an email address ({problem})"),
        })?;
        let reminder_hours = number("PORTBOT_REMINDER_HOURS", 24)?;
        let expire_days = number("PORTBOT_EXPIRE_DAYS", 7)?;
        if expire_days == 0 || expire_days > 365 {
            return Err(ConfigError {
                var: "PORTBOT_EXPIRE_DAYS",
                value: expire_days.to_string(),
                problem: "must be from 1 to 365".into(),
            });
        }
        if reminder_hours >= expire_days * 24 {
            return Err(ConfigError {
                var: "PORTBOT_REMINDER_HOURS",
                value: reminder_hours.to_string(),
                problem: format!(
                    "must be below PORTBOT_EXPIRE_DAYS ({expire_days}) in hours; 0 turns reminders off"
                ),
            });
        }
        let worker_interval = number("PORTBOT_WORKER_INTERVAL_SECS", 10)?;
        if worker_interval == 0 {
            return Err(ConfigError {
                var: "PORTBOT_WORKER_INTERVAL_SECS",
                value: "0".into(),
                problem: "must be at least 1".into(),
            });
        }
        let db_timeout = number("PORTBOT_DB_TIMEOUT_SECS", 15)?;
        if db_timeout == 0 || db_timeout > 3600 {
            return Err(ConfigError {
                var: "PORTBOT_DB_TIMEOUT_SECS",
                value: db_timeout.to_string(),
                problem: "must be from 1 to 3600".into(),
            });
        }
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
            max_uploads_per_conversation: max_uploads_per_conversation as u32,
            max_conversations_per_day: max_conversations_per_day as u32,
            max_messages_per_minute: max_messages_per_minute as u32,
            agents,
            provider,
            provider_is_placeholder,
            retention_days: number("PORTBOT_RETENTION_DAYS", 90)? as u32,
            smtp_url: smtp_url.map(SecretString::from),
            email_from,
            email_from_is_placeholder,
            reminder_after: (reminder_hours > 0)
                .then(|| chrono::Duration::hours(reminder_hours as i64)),
            expire_after: chrono::Duration::days(expire_days as i64),
            worker_interval: std::time::Duration::from_secs(worker_interval),
            db_timeout: std::time::Duration::from_secs(db_timeout),
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

/// `PORTBOT_AGENTS`: names separated by commas, each letters, digits, `.`, `_`, `-` or `@`.
fn parse_agents(list: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let mut agents = Vec::new();
    for name in list.unwrap_or_default().split(',').map(str::trim) {
        if name.is_empty() {
            continue;
        }
        if name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(ConfigError {
                var: "PORTBOT_AGENTS",
                value: name.to_string(),
                problem: "agent names are letters, digits, . _ - or @ (at most 64), separated \
                          by commas, like alice,bob"
                    .into(),
            });
        }
        if !agents.iter().any(|a: &String| a == name) {
            agents.push(name.to_string());
        }
    }
    Ok(agents)
}
