//! Logging: the operator's `RUST_LOG` filter, under caps that keep secrets out of the log.
//!
//! Some dependencies log what they carry. serenity's REST client records each request (its body,
//! its files, the URL with an interaction's token) as fields of its `#[instrument]` spans, and any
//! event inside such a span prints them (hyper's connection-pool lines at debug); its gateway
//! spans record whole events (a typed PIN, a modal's value), and it warns with the text of an
//! event it cannot read. hyper, h2, reqwest and tungstenite dump headers and frames at debug and
//! trace. So whatever `RUST_LOG` says, these targets stay capped: the caps are a second filter
//! that every span and event must also pass, not directives that the operator's own (a more
//! specific `serenity::http::client=trace`) could override. A disabled span records no fields.

use tracing::Subscriber;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The most each payload-carrying target may log. A target matches by prefix (`hyper` covers
/// `hyper_util`); the longest match wins.
const CAPS: &[(&str, LevelFilter)] = &[
    // Every `#[instrument]` span in serenity is INFO and records its arguments.
    ("serenity", LevelFilter::WARN),
    // Warns name the route of a request, and an interaction's route holds its token.
    ("serenity::http", LevelFilter::ERROR),
    // Warns with the text of a gateway event it could not decode.
    ("serenity::gateway::ws", LevelFilter::ERROR),
    ("hyper", LevelFilter::WARN),
    ("h2", LevelFilter::WARN),
    ("reqwest", LevelFilter::WARN),
    ("rustls", LevelFilter::WARN),
    ("tokio_rustls", LevelFilter::WARN),
    ("tungstenite", LevelFilter::WARN),
    ("tokio_tungstenite", LevelFilter::WARN),
];

/// `user` (the operator's filter) with the caps after it: a span or event is kept only when both
/// keep it.
pub fn filter<S>(user: EnvFilter) -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let caps = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(CAPS.iter().copied());
    user.and_then(caps)
}

/// Logs to stderr (stdout stays the chat and its JSON) at `RUST_LOG`, `warn` when it is unset or
/// unreadable, under the caps.
pub fn init() {
    let user = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::registry()
        .with(filter(user))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false),
        )
        .init();
}
