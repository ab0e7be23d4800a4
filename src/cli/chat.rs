//! `portbot chat`: a customer's conversation in the terminal.

use std::io::IsTerminal;

use crate::config::Config;
use crate::console::{self, Mode};
use crate::service::Customer;

/// Chats as `user` (else `$USER`, else "local"): JSON lines, an interactive terminal, or plain.
pub async fn chat(
    config: Config,
    user: Option<String>,
    json: bool,
    message_ids: bool,
) -> anyhow::Result<()> {
    let service = crate::app::start_service(config).await?;
    let id = user
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "local".into());
    let mode = if json {
        Mode::Json
    } else if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Mode::Interactive
    } else {
        Mode::Plain
    };
    console::run(&service, &Customer::console(&id), mode, message_ids).await
}
