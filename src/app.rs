//! The composition root: how the long-running processes start and stop. Each builds the service
//! from the configuration, hands it to its adapter or loop, and runs until the shutdown signal.

use crate::config::Config;
use crate::discord::DiscordConfig;
use crate::notify::worker::PassReport;
use crate::prompts::Prompts;
use crate::service::Service;

/// The service, speaking with the words in `prompts/` (loaded and checked first): what every
/// command that needs the service starts with.
pub async fn start_service(config: Config) -> anyhow::Result<Service> {
    let (words, _) = Prompts::load(config.prompts_dir.as_deref())?.split();
    Service::start(config, words).await
}

/// `portbot worker`: with `once`, one pass and its report; otherwise passes every interval
/// until the shutdown signal (and None).
pub async fn worker(config: Config, once: bool) -> anyhow::Result<Option<PassReport>> {
    let service = start_service(config).await?;
    let worker = service.worker()?;
    if once {
        let report = worker.run_once().await?;
        tracing::info!(?report, "notification pass");
        return Ok(Some(report));
    }
    worker.run(shutdown_signal()).await;
    Ok(None)
}

/// `portbot discord`: the bot, until the shutdown signal.
pub async fn discord(config: Config) -> anyhow::Result<()> {
    // Checked before the database is touched, so a bad setting fails fast.
    let discord = DiscordConfig::from_env()?;
    let (words, discord_words) = Prompts::load(config.prompts_dir.as_deref())?.split();
    let service = Service::start(config, words).await?;
    crate::discord::run(service, discord_words, discord, shutdown_signal()).await
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what service managers send).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
