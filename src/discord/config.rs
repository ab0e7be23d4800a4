//! The Discord settings, read with the rest of the configuration. A missing or malformed
//! setting stops start-up naming the variable; settings that only Discord can check (the token,
//! whether the channels and role exist) are checked against Discord once connected.

use secrecy::SecretString;
use serenity::all::{ChannelId, GuildId, RoleId};

use crate::config::ConfigError;

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    pub token: SecretString,
    pub guild: GuildId,
    /// Customers' private threads are created under this text channel.
    pub intake_channel: ChannelId,
    pub agent_role: RoleId,
    /// New tickets and hand-offs are posted here.
    pub agent_channel: ChannelId,
    /// Send REST calls here instead of `https://discord.com` (an HTTP proxy such as
    /// twilight-http-proxy, or the tests' fake Discord).
    pub api_url: Option<String>,
}

/// The variables, in the order they are checked.
pub const TOKEN: &str = "DISCORD_TOKEN";
pub const GUILD: &str = "PORTBOT_DISCORD_GUILD_ID";
pub const INTAKE_CHANNEL: &str = "PORTBOT_DISCORD_INTAKE_CHANNEL_ID";
pub const AGENT_ROLE: &str = "PORTBOT_DISCORD_AGENT_ROLE_ID";
pub const AGENT_CHANNEL: &str = "PORTBOT_DISCORD_AGENT_CHANNEL_ID";
pub const API_URL: &str = "PORTBOT_DISCORD_API_URL";

impl DiscordConfig {
    pub fn from_env() -> Result<DiscordConfig, ConfigError> {
        DiscordConfig::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<DiscordConfig, ConfigError> {
        let token =
            get(TOKEN).ok_or_else(|| missing(TOKEN, "the bot token from the Developer Portal"))?;
        // A bot token is three base64url parts joined by dots; anything else (a client secret,
        // an application id, "Bot xyz") is a common mix-up worth naming before connecting.
        let token = token
            .trim()
            .strip_prefix("Bot ")
            .unwrap_or(token.trim())
            .to_string();
        let parts: Vec<&str> = token.split('.').collect();
        let base64url = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if parts.len() != 3 || !parts.iter().all(|p| base64url(p)) {
            return Err(ConfigError {
                var: TOKEN,
                value: "(not shown)".into(),
                problem: "not a bot token (three parts separated by dots); copy it from the \
                          Bot page of your application in the Developer Portal"
                    .into(),
            });
        }
        let api_url = get(API_URL).map(|u| u.trim().trim_end_matches('/').to_string());
        if let Some(url) = &api_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError {
                var: API_URL,
                value: url.clone(),
                problem: "must start with http:// or https://".into(),
            });
        }
        Ok(DiscordConfig {
            token: SecretString::from(token),
            guild: GuildId::new(snowflake(&get, GUILD)?),
            intake_channel: ChannelId::new(snowflake(&get, INTAKE_CHANNEL)?),
            agent_role: RoleId::new(snowflake(&get, AGENT_ROLE)?),
            agent_channel: ChannelId::new(snowflake(&get, AGENT_CHANNEL)?),
            api_url,
        })
    }
}

impl DiscordConfig {
    /// Why these settings are risky though valid: the bot token (and every customer's answers)
    /// would cross the network unencrypted to a proxy that is not on this machine.
    pub fn warning(&self) -> Option<String> {
        let url = self.api_url.as_deref()?;
        let rest = url.strip_prefix("http://")?;
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h),
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        (!loopback).then(|| {
            format!(
                "{API_URL} is plain http to {host}: the bot token and customers' answers cross \
                 the network unencrypted; use https, or a proxy on this machine"
            )
        })
    }
}

fn missing(var: &'static str, what: &str) -> ConfigError {
    ConfigError {
        var,
        value: String::new(),
        problem: format!("not set; it should hold {what}"),
    }
}

/// A Discord id (copy it with Developer Mode on: right-click, "Copy ID").
fn snowflake(get: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<u64, ConfigError> {
    let value = get(var)
        .ok_or_else(|| missing(var, "a Discord id (Developer Mode, right-click, Copy ID)"))?;
    match value.trim().parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ConfigError {
            var,
            value,
            problem: "not a Discord id: a number like 1045612345678901234".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(overrides: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut vars: Vec<(String, String)> = [
            (
                TOKEN,
                "MTA0NTYxMjM0NTY3ODkw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB",
            ),
            (GUILD, "1045612345678901234"),
            (INTAKE_CHANNEL, "1045612345678901235"),
            (AGENT_ROLE, "1045612345678901236"),
            (AGENT_CHANNEL, "1045612345678901237"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            vars.retain(|(name, _)| name != k);
            if !v.is_empty() {
                vars.push((k.to_string(), v.to_string()));
            }
        }
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn complete_settings_are_accepted() {
        let config = DiscordConfig::from_lookup(settings(&[])).unwrap();
        assert_eq!(config.guild.get(), 1045612345678901234);
        assert_eq!(config.api_url, None);
    }

    #[test]
    fn a_missing_setting_is_named() {
        for var in [TOKEN, GUILD, INTAKE_CHANNEL, AGENT_ROLE, AGENT_CHANNEL] {
            let error = DiscordConfig::from_lookup(settings(&[(var, "")])).unwrap_err();
            assert_eq!(error.var, var);
            assert!(error.to_string().contains("not set"), "{error}");
        }
    }

    #[test]
    fn plain_http_to_a_proxy_elsewhere_is_warned_about_and_a_local_one_is_not() {
        let warning = |url: &str| {
            DiscordConfig::from_lookup(settings(&[(API_URL, url)]))
                .unwrap()
                .warning()
        };
        assert!(warning("http://proxy.example:3000").is_some());
        assert!(warning("http://10.0.0.5:3000/").is_some());
        for url in [
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://[::1]:3000",
            "https://proxy.example",
        ] {
            assert_eq!(warning(url), None, "{url}");
        }
    }

    #[test]
    fn a_channel_name_instead_of_an_id_is_named() {
        let error = DiscordConfig::from_lookup(settings(&[(INTAKE_CHANNEL, "#port-requests")]))
            .unwrap_err();
        assert_eq!(error.var, INTAKE_CHANNEL);
    }

    #[test]
    fn a_client_secret_instead_of_a_token_is_refused_without_showing_it() {
        let error =
            DiscordConfig::from_lookup(settings(&[(TOKEN, "s3cr3t-client-secret")])).unwrap_err();
        assert_eq!(error.var, TOKEN);
        assert!(!error.to_string().contains("s3cr3t"));
    }
}
