//! portbot: a guided number-porting assistant for a telephone provider's support chat.
//!
//! A customer talks to the bot (in Discord, or in the terminal with `portbot chat`); the bot
//! walks them through the porting checklist, checks every answer against the porting rules, and
//! creates port tickets, each with a signed Letter of Authorization (LOA) PDF.
//!
//! # Layout
//!
//! Data flows down the list, never back up.
//!
//! - [`cli`]: the `portbot` command line: its arguments (clap), one function per command, and
//!   the printing of what the service returns, in its own words (`cli.toml`, which it reads
//!   through the loader). It calls the service only. `portbot bench` runs `portbot-bench`
//!   (`src/bin/portbot-bench/`), the bench's own binary on this library's public API.
//! - [`app`]: the composition root: starts the long-running processes (`portbot discord`,
//!   `portbot worker`) from the configuration, and stops them on the shutdown signal.
//! - [`prompts`]: the loader: reads `prompts/*.toml` (built in, or from `PORTBOT_PROMPTS_DIR`),
//!   has each owner check its words, and composes them; every error names the file and the key.
//! - [`console`]: the terminal adapter: stdin/stdout, plain, interactive or `--json`.
//! - [`discord`]: the Discord adapter (serenity and poise): private threads, buttons, modals,
//!   agent commands; its own words (`discord.toml`).
//! - [`service`]: one entry point per use case (a customer turn, an agent's action on a ticket,
//!   the agents' views of tickets, look-ups) and the one agent access check; owns the
//!   transaction around each and carries out the engine's effects.
//! - [`config`]: typed configuration from the environment.
//! - [`conversation`]: the pure conversation engine: `step(state, input, now) -> (state, replies,
//!   effects)`. Each typed message is first understood in the context of the pending question
//!   (a command, a question, a correction, small talk, or answers); every value then passes its
//!   validator. It never sends or stores anything. Its script (questions, help, errors, order,
//!   how customers talk) is typed and checked in `conversation::script`.
//! - [`loa`]: renders a port request and its e-signature record into the LOA PDF, in the words
//!   of `loa.toml`.
//! - [`notify`]: notifications: composes outbox items from its words in `notifications.toml`, and
//!   the worker that emails them (retries, backoff), reminds quiet customers and closes abandoned
//!   conversations.
//! - [`template`]: `fill` and `placeholders` for every owner of words; imports nothing else.
//! - [`store`]: sqlx over SQLite (default) or PostgreSQL, one code path; migrations per backend.
//! - [`secrets`]: encryption at rest for PINs, account numbers and documents.
//! - [`porting`]: the pure porting rules: phone numbers, dates and the business-day calendar,
//!   addresses, names, emails, and the shape of a port request.
//! - [`logging`]: the `RUST_LOG` filter under caps that keep dependencies' payload dumps (and
//!   the secrets in them) out of the log.

pub mod app;
pub mod cli;
pub mod config;
pub mod console;
pub mod conversation;
pub mod discord;
pub mod loa;
pub mod logging;
pub mod notify;
pub mod porting;
pub mod prompts;
pub mod secrets;
pub mod service;
pub mod store;
pub mod template;
