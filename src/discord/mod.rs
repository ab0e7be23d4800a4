//! The Discord adapter: `portbot discord`. Customers talk to the bot in a private thread under
//! the intake channel (`/port open`) or in a DM; agents use `/ticket` and `/port` commands.
//!
//! Every customer message, button press and modal goes through [`Service::turn`] with the
//! platform's id as the idempotency key. Buttons name their conversation and step in their
//! `custom_id` and are handled by the global event handler, so they keep working after a
//! restart or in another process. The store is the only state: the bot keeps no cache.
//!
//! - [`config`]: the Discord settings, checked at start-up.
//! - [`render`]: replies into messages, buttons, selects, embeds and modals within Discord's
//!   limits.
//! - `customer`: messages, button presses and modals from customers (and agents in their thread).
//! - `commands`: the customers' commands (`/port open`, `/port status`) and the one place that
//!   decides what a user sees when a command fails.
//! - `agents`: the agents' commands (`/ticket ...`, `/port start|pause|resume|ticket`, the
//!   "Start port request" context menu), agent role only.
//! - `lanes`: one customer's events handled one at a time, in arrival order.
//! - `catchup`: on every new gateway session, the messages written while the bot was away.
//! - `outbox`: notifications from the outbox, posted in threads and in the agent channel.
//!
//! One process at a time holds a guild's gateway: the one holding its lease in the database
//! ([`run`]). Others started beside it stand by and take over when it stops.

pub mod config;
pub mod render;
pub mod words;

mod agents;
mod catchup;
mod commands;
mod customer;
mod lanes;
mod outbox;

use std::future::Future;
use std::sync::Arc;

use secrecy::ExposeSecret;
use serenity::all::{
    ChannelType, ClientBuilder, CreateCommand, FullEvent, GatewayIntents, GuildChannel, GuildId,
    Http, HttpBuilder, HttpError, Interaction, PermissionOverwriteType, Permissions, Role, RoleId,
    UserId,
};

pub use config::DiscordConfig;
use words::Words;

use crate::service::{Customer, Service};

/// Everything the handlers need; shared by every event.
pub struct Bot {
    pub service: Arc<Service>,
    pub config: DiscordConfig,
    pub words: Words,
    /// Each customer's events in turn.
    lanes: lanes::Lanes,
    /// Fetches customers' attachments, a few at a time.
    files: reqwest::Client,
    downloads: tokio::sync::Semaphore,
    /// Customers whose last question could not be posted: their next message gets it again.
    missed: std::sync::Mutex<std::collections::HashSet<String>>,
}

type Error = anyhow::Error;
type Context<'a> = poise::Context<'a, Arc<Bot>, Error>;

/// The platform name on conversations and tickets.
pub const PLATFORM: &str = "discord";

impl Bot {
    pub fn customer(&self, user: impl ToString, channel: Option<String>) -> Customer {
        Customer {
            platform: PLATFORM.into(),
            id: user.to_string(),
            channel_id: channel,
        }
    }
}

/// The gateway events the bot needs: guilds (threads and channels), guild and direct messages
/// (customers' answers and files), and message content (to read the answers at all).
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

/// How often a standby process tries to take the gateway lease.
pub const STANDBY_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// The lease of guild `guild`'s gateway.
pub fn lease_name(guild: GuildId) -> String {
    format!("discord-gateway-{guild}")
}

/// Runs the bot until `shutdown` completes: takes the guild's gateway lease (waiting as a
/// standby while another process holds it, on PostgreSQL; on SQLite a second bot is refused),
/// then connects. Settings Discord has to confirm (the token, the guild, channels and role) are
/// checked first, naming the bad one. A lease lost (its database connection failed) closes the
/// gateway at once and stands by again.
///
/// Await this future (as `main` does); it cannot be `tokio::spawn`ed: the outbox loop passes an
/// async closure to [`Worker::deliver`](crate::notify::worker::Worker::deliver), and the
/// compiler cannot yet prove such a future `Send` for every lifetime.
pub async fn run(
    service: Service,
    words: Words,
    config: DiscordConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    if let Some(warning) = config.warning() {
        tracing::warn!("{warning}");
    }
    let service = Arc::new(service);
    let name = lease_name(config.guild);
    tokio::pin!(shutdown);
    loop {
        let Some(mut lease) = take_lease(&service, &name, config.guild, &mut shutdown).await?
        else {
            return Ok(());
        };
        let stop = async {
            tokio::select! {
                () = &mut shutdown => None,
                error = lease.lost() => Some(error),
            }
        };
        let stopped = connect(Arc::clone(&service), config.clone(), words.clone(), stop).await;
        match stopped {
            Ok(Some(error)) => tracing::error!(
                %error,
                guild = %config.guild,
                "lost the gateway lease (its database connection failed): disconnected from \
                 Discord so that two processes never answer at once; standing by"
            ),
            Ok(None) => {
                lease.release().await;
                return Ok(());
            }
            Err(error) => {
                lease.release().await;
                return Err(error);
            }
        }
    }
}

/// Waits for the gateway lease; None when `shutdown` came first. On SQLite a lease held by
/// another process is an error: SQLite serves one bot.
async fn take_lease(
    service: &Service,
    name: &str,
    guild: GuildId,
    shutdown: &mut (impl Future<Output = ()> + Unpin),
) -> anyhow::Result<Option<crate::store::Lease>> {
    let mut said = false;
    loop {
        match service.try_lease(name).await {
            Ok(Some(lease)) => {
                tracing::info!(%guild, ?lease, "holding the Discord gateway lease; connecting");
                return Ok(Some(lease));
            }
            Ok(None) if !service.allows_standby() => {
                anyhow::bail!(
                    "another `portbot discord` is already running on this SQLite database for \
                     guild {guild}; SQLite serves one bot. Stop the other one first, or use \
                     PostgreSQL (DATABASE_URL=postgres://...) to run a standby beside it"
                );
            }
            Ok(None) => {
                if !said {
                    tracing::info!(
                        %guild,
                        "another portbot process holds the Discord gateway; standing by, \
                         trying every {} s",
                        STANDBY_POLL.as_secs()
                    );
                    said = true;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "could not ask the database for the gateway lease; trying again");
            }
        }
        tokio::select! {
            () = &mut *shutdown => return Ok(None),
            () = tokio::time::sleep(STANDBY_POLL) => {}
        }
    }
}

/// Connects to Discord and serves the guild until `stop` completes, with what it completed
/// with (a lost lease's error, or None on shutdown).
async fn connect<T>(
    service: Arc<Service>,
    config: DiscordConfig,
    words: Words,
    stop: impl Future<Output = Option<T>>,
) -> anyhow::Result<Option<T>> {
    let mut http =
        HttpBuilder::new(config.token.expose_secret()).default_allowed_mentions(render::no_pings());
    if let Some(url) = &config.api_url {
        // serenity only rewrites URLs to the proxy when its own rate limiter is off.
        http = http.proxy(url.as_str()).ratelimiter_disabled(true);
    }
    let http = http.build();
    check_settings(&http, &config).await?;

    let guild = config.guild;
    let bot = Arc::new(Bot {
        service,
        config,
        words,
        lanes: lanes::Lanes::default(),
        files: reqwest::Client::new(),
        downloads: tokio::sync::Semaphore::new(customer::MAX_DOWNLOADS),
        missed: Default::default(),
    });
    let data = Arc::clone(&bot);
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            event_handler: |ctx, event| Box::pin(on_event(ctx, event)),
            on_error: |error| Box::pin(commands::on_error(error)),
            // poise's default lets replies ping any member they name.
            allowed_mentions: Some(render::no_pings()),
            ..Default::default()
        })
        // No owner look-up: nothing here is owner-only, and it is one more call at start-up.
        .initialize_owners(false)
        // The commands are registered beside, never in, setup: poise handles no event until
        // setup returns, so a registration that failed there left the bot connected and deaf.
        .setup(move |ctx, _ready, framework| {
            let commands =
                poise::builtins::create_application_commands(&framework.options().commands);
            tokio::spawn(register_commands(Arc::clone(&ctx.http), guild, commands));
            Box::pin(async move { Ok(data) })
        })
        .build();
    let mut client = ClientBuilder::new_with_http(http, intents())
        .framework(framework)
        .await?;
    let shards = Arc::clone(&client.shard_manager);
    let http = Arc::clone(&client.http);
    let delivery = outbox::run(Arc::clone(&bot), http);
    tokio::select! {
        result = client.start() => result?,
        () = delivery => {}
        stopped = stop => {
            shards.shutdown_all().await;
            return Ok(stopped);
        }
    }
    Ok(None)
}

async fn on_event(
    ctx: poise::FrameworkContext<'_, Arc<Bot>, Error>,
    event: &FullEvent,
) -> Result<(), Error> {
    let bot = ctx.user_data;
    let serenity = ctx.serenity_context;
    match event {
        // A new gateway session (at start, or after a reconnect that could not resume): what
        // was written meanwhile was never sent to the bot.
        FullEvent::Ready { .. } => {
            catchup::run(bot, serenity).await;
            Ok(())
        }
        FullEvent::Message { new_message } => {
            customer::on_message(bot, serenity, new_message).await
        }
        FullEvent::InteractionCreate {
            interaction: Interaction::Component(press),
        } => customer::on_component(bot, serenity, press).await,
        FullEvent::InteractionCreate {
            interaction: Interaction::Modal(submit),
        } => customer::on_modal(bot, serenity, submit).await,
        _ => Ok(()),
    }
}

/// Tries to register the slash commands this many times when Discord answers 429 or 5xx, or not
/// at all; the waits between tries double from one second.
const REGISTER_ATTEMPTS: u32 = 5;

/// Registers the slash commands in the guild while the bot already serves typed messages in DMs
/// and threads. A refusal that trying again cannot fix (no `applications.commands` scope, a field
/// the server rejects) or one that outlasts the retries leaves the bot running without commands,
/// and says so at error level with Discord's reason and what to do.
async fn register_commands(http: Arc<Http>, guild: GuildId, commands: Vec<CreateCommand>) {
    let mut wait = std::time::Duration::from_secs(1);
    for attempt in 1..=REGISTER_ATTEMPTS {
        let error = match guild.set_commands(&http, commands.clone()).await {
            Ok(_) => return,
            Err(error) => error,
        };
        if transient(&error) && attempt < REGISTER_ATTEMPTS {
            tracing::warn!(%error, attempt, "Discord did not take the slash commands; trying again");
            tokio::time::sleep(wait).await;
            wait *= 2;
            continue;
        }
        tracing::error!(
            %error,
            %guild,
            "Discord refused the slash commands, so /port and /ticket do not exist in the server; \
             customers can still write in a DM or in an open thread. Check that the bot was \
             invited with the applications.commands scope, then restart it"
        );
        return;
    }
}

/// Whether trying a refused call again may work: Discord was busy (429, 5xx) or did not answer.
fn transient(error: &serenity::Error) -> bool {
    match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code;
            status.as_u16() == 429 || status.is_server_error()
        }
        serenity::Error::Http(HttpError::Request(_)) => true,
        _ => false,
    }
}

/// Asks Discord whether the token, guild, channels and role are what the settings say, and
/// whether the bot may do its work in the intake channel.
async fn check_settings(http: &Http, config: &DiscordConfig) -> anyhow::Result<()> {
    use config::{AGENT_CHANNEL, AGENT_ROLE, GUILD, INTAKE_CHANNEL, TOKEN};
    let me = http
        .get_current_user()
        .await
        .map_err(|e| anyhow::anyhow!("{TOKEN}: Discord did not accept the token ({e})"))?;
    let roles = http.get_guild_roles(config.guild).await.map_err(|e| {
        anyhow::anyhow!(
            "{GUILD}: the bot cannot see guild {} ({e}); invite it first",
            config.guild
        )
    })?;
    if !roles.iter().any(|r| r.id == config.agent_role) {
        anyhow::bail!(
            "{AGENT_ROLE}: guild {} has no role {}",
            config.guild,
            config.agent_role
        );
    }
    let mut intake = None;
    for (var, id) in [
        (INTAKE_CHANNEL, config.intake_channel),
        (AGENT_CHANNEL, config.agent_channel),
    ] {
        let channel = http
            .get_channel(id)
            .await
            .map_err(|e| anyhow::anyhow!("{var}: the bot cannot see channel {id} ({e})"))?
            .guild()
            .filter(|c| c.guild_id == config.guild && c.kind == ChannelType::Text);
        let Some(channel) = channel else {
            anyhow::bail!(
                "{var}: channel {id} is not a text channel of guild {}",
                config.guild
            );
        };
        if id == config.intake_channel {
            intake = Some(channel);
        }
    }
    let member = http
        .get_member(config.guild, me.id)
        .await
        .map_err(|e| anyhow::anyhow!("{GUILD}: the bot cannot see itself in the guild ({e})"))?;
    if let Some(intake) = intake {
        let allowed = permissions_in(&intake, &member.roles, me.id, &roles, config.guild);
        let missing = NEEDED - allowed;
        if !missing.is_empty() {
            anyhow::bail!(
                "{INTAKE_CHANNEL}: the bot lacks {} in channel {}; give its role these \
                 permissions there",
                missing.get_permission_names().join(", "),
                intake.id
            );
        }
        if !allowed.manage_messages() {
            tracing::warn!(
                "the bot lacks Manage Messages in channel {}: a PIN a customer types there \
                 stays in the chat until they delete it",
                intake.id
            );
        }
    }
    Ok(())
}

/// What the bot must be allowed in the intake channel: see it, open private threads, answer
/// in them, and attach the LOA.
const NEEDED: Permissions = Permissions::VIEW_CHANNEL
    .union(Permissions::CREATE_PRIVATE_THREADS)
    .union(Permissions::SEND_MESSAGES_IN_THREADS)
    .union(Permissions::ATTACH_FILES);

/// A member's permissions in `channel`, as Discord computes them: the guild's @everyone role
/// and the member's roles, then the channel's overwrites for @everyone, the roles and the member.
fn permissions_in(
    channel: &GuildChannel,
    member_roles: &[RoleId],
    user: UserId,
    roles: &[Role],
    guild: GuildId,
) -> Permissions {
    let everyone = RoleId::new(guild.get());
    let mut allowed = roles
        .iter()
        .filter(|r| r.id == everyone || member_roles.contains(&r.id))
        .fold(Permissions::empty(), |all, r| all | r.permissions);
    if allowed.administrator() {
        return Permissions::all();
    }
    let overwrite = |kind: &PermissionOverwriteType| {
        channel
            .permission_overwrites
            .iter()
            .filter(|o| &o.kind == kind)
            .fold((Permissions::empty(), Permissions::empty()), |(a, d), o| {
                (a | o.allow, d | o.deny)
            })
    };
    let (allow, deny) = overwrite(&PermissionOverwriteType::Role(everyone));
    allowed = (allowed - deny) | allow;
    let (allow, deny) = member_roles
        .iter()
        .map(|r| overwrite(&PermissionOverwriteType::Role(*r)))
        .fold(
            (Permissions::empty(), Permissions::empty()),
            |(a, d), (oa, od)| (a | oa, d | od),
        );
    allowed = (allowed - deny) | allow;
    let (allow, deny) = overwrite(&PermissionOverwriteType::Member(user));
    (allowed - deny) | allow
}
