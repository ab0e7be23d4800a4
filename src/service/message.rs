//! A message typed in a chat, as one call from one read: whose conversation it belongs to (the
//! writer's own; a customer's, where an agent's line is recorded; or nobody's), a typed secret
//! taken out of the chat before anything is saved, the pending question asked again when the
//! customer never saw it, and the turn.

use std::future::Future;

use super::{Customer, Service, ServiceError, TurnResult, limits};
use crate::conversation::{Input, Reply};
use crate::store::{Conversation, TurnLookup};

/// A message typed in a chat, as an adapter hands it over.
#[derive(Debug, Clone)]
pub struct ChatMessage {
    /// Who wrote it, and in which channel.
    pub author: Customer,
    /// The channel is one others write in too (a guild thread): the conversation it holds says
    /// whose the message is. In a DM it is the writer's.
    pub shared: bool,
    /// How the writer is named in a transcript when they hold the agent role: what they write
    /// in a customer's conversation is recorded as their line. `None`: no agent.
    pub agent: Option<String>,
    /// The platform's id for the message: a message handled before is not handled twice.
    pub id: String,
    /// What was typed; empty when only files came.
    pub text: String,
    /// Files came with it: the text is what was said with them.
    pub with_files: bool,
    /// The writer may not have seen their pending question (posting it failed): unless the
    /// text is the secret it asks for, the question is asked again and the text is not taken.
    pub missed: bool,
}

/// What became of a message in the writer's own conversation. The errors here came once the
/// message was known to be theirs; the call's own error, before.
#[derive(Debug)]
pub enum Answer {
    /// The text, taken as a turn.
    Turn(Result<TurnResult, ServiceError>),
    /// Their pending question, asked again; nothing of the text was taken.
    AskedAgain(Result<Vec<Reply>, ServiceError>),
    /// No text: only files, each a turn of its own.
    Files,
}

impl Service {
    /// A message typed in a chat, in one call that reads the conversation once (only a question
    /// asked again, for a customer who missed it, reads it again through [`Service::open`]).
    ///
    /// `take_out` runs as soon as that read shows the pending question asks for a secret (PIN,
    /// account number) and the message has text: before the turn, so the secret leaves the chat
    /// even when the turn then fails. A secret the turn finds where none was asked is flagged
    /// in its result instead ([`TurnResult::redacted`]).
    ///
    /// `None`: not the writer's conversation (another customer's, where an agent's line is
    /// recorded, or none).
    pub async fn chat_message<F, Fut>(
        &self,
        message: ChatMessage,
        take_out: F,
    ) -> Result<Option<Answer>, ServiceError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ()>,
    {
        let typed = !message.text.trim().is_empty();
        // Read from the database, never from this process's cached copy: the question may have
        // moved since this process last wrote it (an agent's hand-back or draft, another
        // process), and what it asks decides whether the text leaves the chat. Under the
        // database time limit, as the turn is.
        let read = if message.shared {
            match self.within(self.whose(&message, typed)).await? {
                Some(read) => Some(read),
                None => return Ok(None),
            }
        } else if typed {
            let author = &message.author;
            let since = self.now() - limits::DAY;
            let id = Some(message.id.as_str());
            let read = self.within(async {
                let lookup =
                    self.store
                        .lookup_for_turn(&author.platform, &author.id, id, since, None);
                Ok(lookup.await?)
            });
            Some(read.await?)
        } else {
            None
        };
        let secret = typed
            && read
                .as_ref()
                .and_then(|read| read.open.as_ref())
                .is_some_and(|open| self.asks_secret(open));
        if secret {
            take_out().await;
        }
        if message.missed && !secret {
            // They never saw the question, so this cannot be its answer.
            return Ok(Some(Answer::AskedAgain(self.open(&message.author).await)));
        }
        let Some(read) = read.filter(|_| typed) else {
            return Ok(Some(Answer::Files));
        };
        let input = if message.with_files {
            Input::Caption(message.text)
        } else {
            Input::Text(message.text)
        };
        let turn = self.turn_unlimited(&message.author, Some(message.id), input, Some(read));
        Ok(Some(Answer::Turn(self.within(turn).await)))
    }

    /// The read for the writer's turn when the shared channel holds their conversation; else
    /// `None`, after recording an agent's line in the customer's conversation there.
    async fn whose(
        &self,
        message: &ChatMessage,
        typed: bool,
    ) -> Result<Option<TurnLookup>, ServiceError> {
        let author = &message.author;
        let Some(channel) = author.channel_id.as_deref() else {
            return Ok(None);
        };
        let since = self.now() - limits::DAY;
        let found = self
            .store
            .lookup_in_channel(&author.platform, channel, Some(&message.id), since)
            .await?;
        match found.owner {
            Some(owner) if owner == author.id => Ok(Some(found.lookup)),
            Some(owner) => {
                if let Some(agent) = message.agent.as_deref().filter(|_| typed) {
                    let customer = Customer {
                        platform: author.platform.clone(),
                        id: owner,
                        channel_id: Some(channel.to_string()),
                    };
                    let (text, id) = (&message.text, message.id.clone());
                    self.record_agent_line(&customer, found.lookup.open, agent, text, id)
                        .await?;
                }
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Whether `conversation`'s pending question takes a secret (PIN, account number), so a
    /// platform can keep a typed answer out of the chat.
    fn asks_secret(&self, conversation: &Conversation) -> bool {
        conversation.flow == "port_in"
            && conversation
                .step
                .as_deref()
                .and_then(|s| self.prompts.script.step(s))
                .is_some_and(|s| s.secret)
    }
}
