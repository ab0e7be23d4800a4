//! What chat adapters with shared channels need beyond customer turns: find whose conversation
//! a channel holds, and record what an agent says there without taking it as an answer.

use super::{Customer, Service, ServiceError, agent_line, parse_state, turn_write};
use crate::conversation::{Reply, State, validators};
use crate::store::{Conversation, ConversationStatus, Lease, OpenChannel, TurnOutcome, TurnWrite};

impl Service {
    /// The customer whose conversation runs (or last ran) in `channel_id` on `platform`.
    pub async fn customer_in_channel(
        &self,
        platform: &str,
        channel_id: &str,
    ) -> Result<Option<Customer>, ServiceError> {
        Ok(self
            .store
            .customer_in_channel(platform, channel_id)
            .await?
            .map(|id| Customer {
                platform: platform.to_string(),
                id,
                channel_id: Some(channel_id.to_string()),
            }))
    }

    /// Up to `limit` open conversations on `platform` that run in a channel, the most recently
    /// active first, each with the last message it took in from there: where messages sent
    /// while no process listened may wait.
    pub async fn open_channels(
        &self,
        platform: &str,
        limit: u32,
    ) -> Result<Vec<OpenChannel>, ServiceError> {
        Ok(self.store.open_channels(platform, limit).await?)
    }

    /// The channel where `customer_id` on `platform` talks to the bot now: their open
    /// conversation's, else their newest conversation's.
    pub async fn customer_channel(
        &self,
        platform: &str,
        customer_id: &str,
    ) -> Result<Option<String>, ServiceError> {
        Ok(self.store.customer_channel(platform, customer_id).await?)
    }

    /// Takes lease `name` (one process at a time, such as the one holding a chat platform's
    /// gateway) if no other process holds it.
    pub async fn try_lease(&self, name: &str) -> Result<Option<Lease>, ServiceError> {
        Ok(self.store.try_lease(name).await?)
    }

    /// The customer's open conversation, if any.
    pub async fn conversation_of(
        &self,
        customer: &Customer,
    ) -> Result<Option<Conversation>, ServiceError> {
        Ok(self
            .store
            .open_conversation(&customer.platform, &customer.id)
            .await?)
    }

    /// Runs the customer's open conversation in `customer.channel_id` from now on (a new
    /// private thread); notifications follow it there.
    /// Why `customer` may not start a conversation now (the day's limit), before anything is
    /// made for one, such as a private thread.
    pub async fn new_conversation_refusal(
        &self,
        customer: &Customer,
    ) -> Result<Option<String>, ServiceError> {
        Ok(self
            .conversation_limit(customer, self.now())
            .await?
            .map(|reply| reply.text))
    }

    pub async fn move_to_channel(&self, customer: &Customer) -> Result<(), ServiceError> {
        if let (Some(conversation), Some(channel)) =
            (self.conversation_of(customer).await?, &customer.channel_id)
            && conversation.channel_id.as_ref() != Some(channel)
        {
            self.store
                .set_conversation_channel(conversation.id, channel)
                .await?;
        }
        Ok(())
    }

    /// The answers the customer can change from the summary, as (step, label) in flow order;
    /// `change <step>` asks that step again.
    pub async fn changeable_answers(
        &self,
        customer: &Customer,
    ) -> Result<Vec<(String, String)>, ServiceError> {
        let Some(conversation) = self.conversation_of(customer).await? else {
            return Ok(Vec::new());
        };
        let state = parse_state(conversation.id, &conversation.state)?;
        Ok(self.editable_answers(&state))
    }

    /// The answers of `state` the customer can change from the summary, as (step, label).
    pub(super) fn editable_answers(&self, state: &State) -> Vec<(String, String)> {
        self.engine()
            .changeable_steps(state)
            .into_iter()
            .filter_map(|id| {
                let step = self.prompts.script.step(id)?;
                Some((id.to_string(), step.label.clone()))
            })
            .collect()
    }

    /// Records an agent's message in the customer's conversation (`open`, as read), as the
    /// agent: the state and the pending question stay as they are. `message_id` makes a
    /// redelivered message count once. Returns false when the customer has no open
    /// conversation.
    pub(super) async fn record_agent_line(
        &self,
        customer: &Customer,
        open: Option<Conversation>,
        agent: &str,
        text: &str,
        message_id: String,
    ) -> Result<bool, ServiceError> {
        let text = format!("{agent}: {text}");
        self.change_from(customer, open, |conversation| {
            let line = agent_line(text.clone(), Some(message_id.clone()));
            let mut write = turn_write(conversation, None, line, self.now());
            write.incoming_message_id = Some(message_id.clone());
            Ok(Some(write))
        })
        .await
    }

    /// An agent takes the customer's conversation over: the bot stops asking until the agent
    /// hands it back ([`Service::hand_back`]). Returns false when nothing is open.
    pub async fn pause_for_agent(
        &self,
        customer: &Customer,
        agent: &str,
    ) -> Result<bool, ServiceError> {
        self.change_open(customer, |conversation| {
            let state = parse_state(conversation.id, &conversation.state)?;
            let Some(state) = self.engine().pause(state) else {
                return Ok(None);
            };
            let line = agent_line(format!("[{agent}: paused]"), None);
            Ok(Some(turn_write(
                conversation,
                Some(&state),
                line,
                self.now(),
            )))
        })
        .await
    }

    /// Writes what `change` makes of the customer's open conversation (`None`: nothing to
    /// write), reading it again while it moves under us. Returns false when nothing is open.
    async fn change_open(
        &self,
        customer: &Customer,
        change: impl Fn(&Conversation) -> Result<Option<TurnWrite>, ServiceError>,
    ) -> Result<bool, ServiceError> {
        let open = self.conversation_of(customer).await?;
        self.change_from(customer, open, change).await
    }

    /// [`Self::change_open`] from `open`, the customer's open conversation as read already.
    async fn change_from(
        &self,
        customer: &Customer,
        mut open: Option<Conversation>,
        change: impl Fn(&Conversation) -> Result<Option<TurnWrite>, ServiceError>,
    ) -> Result<bool, ServiceError> {
        for attempt in 0..5 {
            if attempt > 0 {
                open = self.conversation_of(customer).await?;
            }
            let Some(conversation) = open.take() else {
                return Ok(false);
            };
            let Some(write) = change(&conversation)? else {
                return Ok(true);
            };
            match self.store.apply_turn(write).await? {
                TurnOutcome::Applied { .. } | TurnOutcome::Duplicate => return Ok(true),
                TurnOutcome::Conflict => continue,
            }
        }
        Err(ServiceError::TooManyConflicts(5))
    }

    /// What to do with a file of `size` bytes that `customer` sent, decided before anyone
    /// fetches it: only a file the pending question asks for, within the size and upload
    /// limits, is worth its bytes.
    pub async fn upload_check(
        &self,
        customer: &Customer,
        size: usize,
    ) -> Result<UploadCheck, ServiceError> {
        if size > self.config.max_upload_bytes {
            return Ok(UploadCheck::Skip);
        }
        let Some(conversation) = self.conversation_of(customer).await? else {
            return Ok(UploadCheck::Skip);
        };
        let state = parse_state(conversation.id, &conversation.state)?;
        let wanted = !state.paused
            && conversation.status == ConversationStatus::Active
            && conversation
                .step
                .as_deref()
                .and_then(|step| self.prompts.script.step(step))
                .and_then(|step| validators::find(&step.validator))
                .is_some_and(|validator| validator.expects_upload());
        if !wanted {
            return Ok(UploadCheck::Skip);
        }
        if let Some(replies) = self
            .upload_limit(conversation.id, 1, &state, self.now())
            .await?
        {
            return Ok(UploadCheck::Refused(replies));
        }
        Ok(UploadCheck::Fetch)
    }
}

/// A file a customer sent, before it is fetched.
#[derive(Debug)]
pub enum UploadCheck {
    /// The pending question asks for it: fetch it and take it as the answer.
    Fetch,
    /// Not worth fetching: the turn refuses it by its size or because no question asks for a
    /// file now (or an agent has the conversation), which needs none of its bytes.
    Skip,
    /// The conversation has had all its uploads: this is the answer, without a turn.
    Refused(Vec<Reply>),
}
