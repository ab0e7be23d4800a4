//! Customers' messages, button presses and modal answers, and what agents write in a
//! customer's thread (recorded as the agent, never taken as an answer).

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ActionRowComponent, Attachment, ButtonKind, ChannelId, ComponentInteraction,
    ComponentInteractionDataKind, Context as SerenityContext, CreateAttachment,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, Message, ModalInteraction, Nonce, UserId,
};

use super::lanes::lock;
use super::render::{self, Action, ComponentId};
use super::words::Messages;
use super::{Bot, Error};
use crate::conversation::script::Choice;
use crate::conversation::{Command, Input, Reply};
use crate::service::{Answer, ChatMessage, Customer, ServiceError, TurnResult, UploadCheck};
use crate::template::fill;

/// A message in a DM, or in a channel that holds a customer's conversation.
pub async fn on_message(bot: &Arc<Bot>, ctx: &SerenityContext, msg: &Message) -> Result<(), Error> {
    if msg.author.bot {
        return Ok(());
    }
    let place = bot.lanes.join(msg.author.id, msg.id.get());
    place.turn().await;
    let sent = Sent {
        dm: msg.guild_id.is_none(),
        agent: msg
            .member
            .as_ref()
            .is_some_and(|m| m.roles.contains(&bot.config.agent_role)),
    };
    handle_message(bot, ctx, msg, sent).await
}

/// Where a message was written and by whom, as the gateway says (a message read back from a
/// channel's history says neither).
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// In a DM with the bot.
    pub dm: bool,
    /// By a member with the agent role.
    pub agent: bool,
}

/// A message, in its turn: a customer's answers and files, or an agent's line in a customer's
/// thread; anything else is left alone.
pub async fn handle_message(
    bot: &Arc<Bot>,
    ctx: &SerenityContext,
    msg: &Message,
    sent: Sent,
) -> Result<(), Error> {
    let dm = sent.dm;
    let customer = bot.customer(msg.author.id, Some(msg.channel_id.to_string()));
    let missed = lock(&bot.missed).contains(&customer.id);
    let message = ChatMessage {
        author: customer.clone(),
        shared: !dm,
        agent: sent.agent.then(|| agent_name(msg.author.id)),
        id: msg.id.to_string(),
        text: msg.content.clone(),
        // Typed with a file, the text is what was said with it ("here's my bill").
        with_files: !msg.attachments.is_empty(),
        missed,
    };
    // Out of the chat as soon as the service knows the question asks for a secret, whatever
    // becomes of the turn: a secret must not stay there because saving it failed.
    let mut deleted = None;
    let taken = &mut deleted;
    let take_out = move || async move { *taken = Some(take_out_of_chat(ctx, msg, dm).await) };
    let Some(answer) = bot.service.chat_message(message, take_out).await? else {
        return Ok(());
    };
    lock(&bot.missed).remove(&customer.id);
    match answer {
        Answer::AskedAgain(replies) => {
            return post_replies(bot, ctx, msg.channel_id, &customer, &replies?).await;
        }
        Answer::Turn(result) => {
            // A secret where none was asked (a PIN typed at "do you have a PIN?"): the turn
            // found it, so it comes out of the chat now.
            let deleted = match deleted {
                None if result.as_ref().is_ok_and(|turn| turn.redacted) => {
                    Some(take_out_of_chat(ctx, msg, dm).await)
                }
                deleted => deleted,
            };
            let saved = match &result {
                Ok(turn) if turn.duplicate => None,
                Ok(turn) => Some(!turn.limited),
                Err(_) => Some(false),
            };
            if let (Some(deleted), Some(saved)) = (deleted, saved) {
                say(
                    ctx,
                    msg.channel_id,
                    deleted.note(saved, &bot.words.messages),
                )
                .await?;
            }
            post_turn(bot, ctx, msg.channel_id, dm, &customer, result).await?;
        }
        Answer::Files => {}
    }
    for (n, attachment) in msg.attachments.iter().enumerate() {
        // Each file is looked at when its turn comes: the answer before it may change the
        // question.
        let input = match attachment_input(bot, &customer, attachment).await {
            Ok(Attached::Input(input)) => input,
            Ok(Attached::Answered(replies)) => {
                post_replies(bot, ctx, msg.channel_id, &customer, &replies).await?;
                continue;
            }
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), file = %attachment.filename, "attachment download failed");
                say(ctx, msg.channel_id, &bot.words.messages.failed).await?;
                continue;
            }
        };
        let key = format!("{}:{n}", msg.id);
        let result = bot.service.turn(&customer, Some(key), input).await;
        post_turn(bot, ctx, msg.channel_id, dm, &customer, result).await?;
    }
    Ok(())
}

/// What became of a message with a typed secret.
#[derive(Debug, Clone, Copy)]
enum Deleted {
    Yes,
    /// The bot may not (it lacks Manage Messages).
    No,
    /// Discord lets no bot delete someone else's message in a DM.
    InDm,
}

impl Deleted {
    /// The note that tells the customer what happened to their message and their secret.
    fn note(self, saved: bool, messages: &Messages) -> &str {
        match (self, saved) {
            (Deleted::Yes, true) => &messages.typed_secret_deleted,
            (Deleted::No, true) => &messages.typed_secret_not_deleted,
            (Deleted::InDm, true) => &messages.typed_secret_in_dm,
            (Deleted::Yes, false) => &messages.typed_secret_deleted_not_saved,
            (Deleted::No | Deleted::InDm, false) => &messages.typed_secret_not_saved,
        }
    }
}

/// Deletes a message that holds a typed secret, where a bot may.
async fn take_out_of_chat(ctx: &SerenityContext, msg: &Message, dm: bool) -> Deleted {
    if dm {
        return Deleted::InDm;
    }
    match msg.delete(ctx).await {
        Ok(()) => Deleted::Yes,
        Err(error) => {
            tracing::warn!(%error, "could not delete a message with a typed secret");
            Deleted::No
        }
    }
}

/// A button or select. Modal buttons answer with the modal at once; everything else is
/// acknowledged first (Discord wants an answer within 3 seconds) and then run as a turn.
pub async fn on_component(
    bot: &Arc<Bot>,
    ctx: &SerenityContext,
    press: &ComponentInteraction,
) -> Result<(), Error> {
    let Some(id) = ComponentId::decode(&press.data.custom_id) else {
        return Ok(());
    };
    if id.action == Action::Modal {
        // Only the conversation's customer may type its secret or signature.
        let customer = bot.customer(press.user.id, Some(press.channel_id.to_string()));
        if let Some(refusal) = refusal(bot, &customer, &id).await? {
            let message = CreateInteractionResponseMessage::new()
                .content(refusal)
                .ephemeral(true);
            press
                .create_response(ctx, CreateInteractionResponse::Message(message))
                .await?;
            return Ok(());
        }
        let modal = render::modal(&id, &bot.words);
        press
            .create_response(ctx, CreateInteractionResponse::Modal(modal))
            .await?;
        return Ok(());
    }
    let place = bot.lanes.join(press.user.id, press.id.get());
    press
        .create_response(ctx, CreateInteractionResponse::Acknowledge)
        .await?;
    place.turn().await;
    let customer = bot.customer(press.user.id, Some(press.channel_id.to_string()));
    if let Some(refusal) = refusal(bot, &customer, &id).await? {
        press
            .create_followup(
                ctx,
                CreateInteractionResponseFollowup::new()
                    .content(refusal)
                    .ephemeral(true),
            )
            .await?;
        return Ok(());
    }
    // Buttons carry data, not words: a choice of a step is its value, a command is a command.
    // The menu and yes/no confirmations (no step) answer with their label, as typed.
    let step_choice = |pick: &dyn Fn(&Choice) -> bool| {
        id.step
            .as_deref()
            .and_then(|s| bot.service.words().script.step(s))
            .and_then(|s| s.choices.iter().find(|c| pick(c)))
            .map(|c| Input::Choice {
                step: id.step.clone(),
                value: c.value.clone(),
            })
    };
    let input = match &id.action {
        Action::Choice(n) => {
            let label = choice_label(press, *n);
            step_choice(&|c| Some(&c.label) == label.as_ref()).or(label.map(Input::Text))
        }
        Action::Pick => {
            let label = selected(press);
            step_choice(&|c| Some(&c.label) == label.as_ref()).or(label.map(Input::Text))
        }
        Action::Edit => selected(press).map(|step| Input::Command(Command::Change(step))),
        Action::Back => Some(Input::Command(Command::Back)),
        Action::Help => Some(Input::Command(Command::Help)),
        Action::Agent => Some(Input::Command(Command::Agent)),
        Action::Modal => None,
    };
    let Some(input) = input else {
        return Ok(());
    };
    answer(
        bot,
        ctx,
        press.channel_id,
        press.guild_id.is_none(),
        &customer,
        press.id.to_string(),
        input,
    )
    .await
}

/// A modal answer: a secret or the signature. Modal text is never posted in the channel.
pub async fn on_modal(
    bot: &Arc<Bot>,
    ctx: &SerenityContext,
    submit: &ModalInteraction,
) -> Result<(), Error> {
    let Some(id) = ComponentId::decode(&submit.data.custom_id) else {
        return Ok(());
    };
    let place = bot.lanes.join(submit.user.id, submit.id.get());
    submit
        .create_response(ctx, CreateInteractionResponse::Acknowledge)
        .await?;
    place.turn().await;
    let customer = bot.customer(submit.user.id, Some(submit.channel_id.to_string()));
    if let Some(refusal) = refusal(bot, &customer, &id).await? {
        submit
            .create_followup(
                ctx,
                CreateInteractionResponseFollowup::new()
                    .content(refusal)
                    .ephemeral(true),
            )
            .await?;
        return Ok(());
    }
    let value = submit
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|c| match c {
            ActionRowComponent::InputText(input) => input.value.clone(),
            _ => None,
        })
        .unwrap_or_default();
    answer(
        bot,
        ctx,
        submit.channel_id,
        submit.guild_id.is_none(),
        &customer,
        submit.id.to_string(),
        // Bound to the step the modal was opened for: it never answers another one.
        match id.step.clone() {
            Some(step) => Input::Answer { step, text: value },
            None => Input::Text(value),
        },
    )
    .await
}

/// A button, menu or modal answer as a turn (the interaction id is its key), posted in
/// `channel` (a DM when `dm`).
async fn answer(
    bot: &Bot,
    ctx: &SerenityContext,
    channel: ChannelId,
    dm: bool,
    customer: &Customer,
    key: String,
    input: Input,
) -> Result<(), Error> {
    let result = bot.service.turn(customer, Some(key), input).await;
    post_turn(bot, ctx, channel, dm, customer, result).await
}

/// Why a press is not taken: the buttons are someone else's, or the question moved on.
async fn refusal(
    bot: &Bot,
    customer: &Customer,
    id: &ComponentId,
) -> Result<Option<String>, ServiceError> {
    if let Some(owner) = bot.service.conversation(id.conversation).await?
        && owner.customer_id != customer.id
    {
        return Ok(Some(bot.words.messages.not_your_conversation.to_string()));
    }
    let Some(open) = bot.service.conversation_of(customer).await? else {
        // Nothing open (finished, or cancelled): the press starts afresh like a message.
        return Ok(None);
    };
    if open.id != id.conversation || open.step != id.step {
        return Ok(Some(bot.words.messages.question_moved_on.to_string()));
    }
    Ok(None)
}

/// The value chosen in a select menu.
fn selected(press: &ComponentInteraction) -> Option<String> {
    match &press.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => values.first().cloned(),
        _ => None,
    }
}

/// The label of choice button `n` on the pressed message.
fn choice_label(press: &ComponentInteraction, n: usize) -> Option<String> {
    let wanted = ComponentId {
        action: Action::Choice(n),
        ..ComponentId::decode(&press.data.custom_id)?
    }
    .encode();
    press
        .message
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|c| match c {
            ActionRowComponent::Button(b) => match &b.data {
                ButtonKind::NonLink { custom_id, .. } if *custom_id == wanted => b.label.clone(),
                _ => None,
            },
            _ => None,
        })
}

/// The most attachments fetched at once, all customers together.
pub const MAX_DOWNLOADS: usize = 4;
/// The longest one attachment may take to fetch.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// A file as the turn takes it, or the answer it already has.
enum Attached {
    Input(Input),
    Answered(Vec<Reply>),
}

/// A customer's file, fetched only when the pending question asks for one and the size Discord
/// reports and the conversation's uploads allow it; otherwise the turn refuses it by what Discord
/// says of it, without its bytes.
async fn attachment_input(
    bot: &Bot,
    customer: &Customer,
    attachment: &Attachment,
) -> anyhow::Result<Attached> {
    let size = attachment.size as usize;
    let unfetched = || {
        Attached::Input(Input::File {
            file_name: attachment.filename.clone(),
            size,
            bytes: Vec::new(),
        })
    };
    match bot.service.upload_check(customer, size).await? {
        UploadCheck::Skip => Ok(unfetched()),
        UploadCheck::Refused(replies) => Ok(Attached::Answered(replies)),
        UploadCheck::Fetch => {
            let limit = bot.service.config().max_upload_bytes;
            let bytes = fetch(bot, &attachment.url, limit).await?;
            Ok(Attached::Input(Input::File {
                file_name: attachment.filename.clone(),
                size: size.max(bytes.len()),
                bytes,
            }))
        }
    }
}

/// Fetches at most `limit + 1` bytes from `url` (one past the limit is enough to refuse a file
/// that was bigger than Discord said), within the timeout and the bound on fetches at once.
async fn fetch(bot: &Bot, url: &str, limit: usize) -> anyhow::Result<Vec<u8>> {
    let _slot = bot.downloads.acquire().await?;
    let download = async {
        let mut response = bot.files.get(url).send().await?.error_for_status()?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > limit {
                break;
            }
        }
        Ok::<_, reqwest::Error>(bytes)
    };
    match tokio::time::timeout(DOWNLOAD_TIMEOUT, download).await {
        // The URL is the customer's file: not for the log.
        Ok(result) => result.map_err(|e| anyhow::anyhow!(e.without_url())),
        Err(_) => anyhow::bail!("no answer within {DOWNLOAD_TIMEOUT:?}"),
    }
}

/// Posts a turn's replies in `channel` (a DM when `dm`), then the LOA of every ticket it
/// created, and tells the agent channel about each new ticket.
pub async fn post_turn(
    bot: &Bot,
    ctx: &SerenityContext,
    channel: ChannelId,
    dm: bool,
    customer: &Customer,
    result: Result<TurnResult, ServiceError>,
) -> Result<(), Error> {
    let result = match result {
        Ok(result) => result,
        Err(error) => return say(ctx, channel, bot.service.sorry(&error)).await,
    };
    // The replies name the LOA by its path on the server; here it is the file attached below.
    let mut replies = result.replies;
    for ticket in &result.tickets {
        for reply in &mut replies {
            reply.text = reply
                .text
                .replace(&ticket.loa_path, &loa_file_name(&ticket.number));
        }
    }
    let conversation = result.conversation.unwrap_or(0);
    let shown = (conversation, result.editable.as_slice());
    post_shown(bot, ctx, channel, customer, &replies, shown).await?;
    for ticket in result.tickets {
        let text = fill(
            &bot.words.messages.loa_attached,
            &[("number", ticket.number.clone())],
        );
        let file = CreateAttachment::bytes(ticket.loa, loa_file_name(&ticket.number));
        let message = CreateMessage::new()
            .content(text)
            .add_file(file)
            .allowed_mentions(render::customer_pings(&customer.id));
        send(ctx, channel, message).await?;
        let text = fill(
            &bot.words.messages.agent_ticket,
            &[
                ("number", ticket.number.clone()),
                ("kind", ticket.kind.replace('_', "-")),
                ("numbers", ticket.numbers.join(", ")),
                ("customer", customer.id.clone()),
                // Agents cannot open a customer's DM with the bot: no link to it.
                (
                    "thread",
                    if dm {
                        bot.words.messages.in_dm.to_string()
                    } else {
                        format!("<#{channel}>")
                    },
                ),
            ],
        );
        let message = CreateMessage::new()
            .content(text)
            .allowed_mentions(render::agent_pings(bot.config.agent_role));
        send(ctx, bot.config.agent_channel, message).await?;
    }
    Ok(())
}

fn loa_file_name(number: &str) -> String {
    format!("LOA-{number}.pdf")
}

/// Posts replies that are not a turn's with the buttons of the customer's open conversation,
/// looked up (a turn's result carries them).
pub async fn post_replies(
    bot: &Bot,
    ctx: &SerenityContext,
    channel: ChannelId,
    customer: &Customer,
    replies: &[Reply],
) -> Result<(), Error> {
    if replies.is_empty() {
        return Ok(());
    }
    let conversation = bot
        .service
        .conversation_of(customer)
        .await?
        .map(|c| c.id)
        .unwrap_or(0);
    let editable = if replies.iter().any(|r| r.step.as_deref() == Some("summary")) {
        bot.service.changeable_answers(customer).await?
    } else {
        Vec::new()
    };
    post_shown(
        bot,
        ctx,
        channel,
        customer,
        replies,
        (conversation, &editable),
    )
    .await
}

/// Posts replies with the buttons of conversation `shown.0` (0: none open), the summary with
/// the answers `shown.1` to change.
async fn post_shown(
    bot: &Bot,
    ctx: &SerenityContext,
    channel: ChannelId,
    customer: &Customer,
    replies: &[Reply],
    (conversation, editable): (i64, &[(String, String)]),
) -> Result<(), Error> {
    if replies.is_empty() {
        return Ok(());
    }
    let messages = render::messages(
        replies,
        conversation,
        &bot.service.words().script,
        &bot.words,
        editable,
    );
    for message in messages {
        let message = message.allowed_mentions(render::customer_pings(&customer.id));
        if let Err(error) = send(ctx, channel, message).await {
            lock(&bot.missed).insert(customer.id.clone());
            return Err(error.into());
        }
    }
    Ok(())
}

pub async fn say(ctx: &SerenityContext, channel: ChannelId, text: &str) -> Result<(), Error> {
    for piece in render::split(text, render::MAX_CONTENT) {
        send(ctx, channel, CreateMessage::new().content(piece)).await?;
    }
    Ok(())
}

/// Tries to post a message this many times when Discord answers 429 or 5xx, or not at all; the
/// waits between tries double from a quarter second.
const SEND_ATTEMPTS: u32 = 3;

/// Posts `message`, trying again when that may work. The nonce makes a retry after a post that
/// did land (the answer was lost) return that message instead of posting it twice.
async fn send(
    ctx: &SerenityContext,
    channel: ChannelId,
    message: CreateMessage,
) -> Result<(), serenity::Error> {
    let nonce = Nonce::Number(rand_nonce());
    let message = message.nonce(nonce).enforce_nonce(true);
    let mut wait = Duration::from_millis(250);
    for attempt in 1.. {
        match channel.send_message(ctx, message.clone()).await {
            Ok(_) => return Ok(()),
            Err(error) if attempt < SEND_ATTEMPTS && super::transient(&error) => {
                tracing::warn!(%error, attempt, "a message was not posted; trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(error) => return Err(error),
        }
    }
    unreachable!("the loop returns on the last attempt")
}

/// A message nonce: random, so no two posts share one.
fn rand_nonce() -> u64 {
    let mut bytes = [0u8; 8];
    // Without randomness the nonce is only less unique: still a valid post.
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// How agents are named in transcripts and audit events.
pub fn agent_name(user: UserId) -> String {
    format!("discord:{user}")
}
