//! Handing a conversation between the bot and an agent: agents see who is waiting with a
//! summary of what was collected, hand the conversation back (the bot asks the pending question
//! again), or start the guided flow for a customer, with numbers pre-filled from their message.

use super::{Customer, Service, ServiceError, WorkflowError, agent_line, parse_state, turn_write};
use crate::conversation::{Reply, State};
use crate::porting::PhoneNumber;
use crate::porting::phone::parse_number_list;
use crate::store::{
    Conversation, ConversationStatus, NewDraft, NewOutboxItem, OutboxChannel, TurnOutcome,
};
use crate::template::fill;

/// A customer waiting for an agent.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub customer: Customer,
    pub since: chrono::DateTime<chrono::Utc>,
    pub summary: String,
}

/// What starting the flow for a customer did.
#[derive(Debug, Clone)]
pub struct Started {
    pub prefilled: Vec<PhoneNumber>,
    /// What the customer will be asked first.
    pub question: String,
}

impl Service {
    /// Conversations paused for an agent, newest first, each with what was collected.
    pub async fn waiting_for_agent(&self) -> Result<Vec<Waiting>, ServiceError> {
        let engine = self.engine();
        let mut out = Vec::new();
        for c in self
            .store
            .conversations_with_status(ConversationStatus::PausedForAgent)
            .await?
        {
            let state = parse_state(c.id, &c.state)?;
            out.push(Waiting {
                customer: Customer {
                    platform: c.platform.clone(),
                    id: c.customer_id.clone(),
                    channel_id: c.channel_id.clone(),
                },
                since: c.updated_at,
                summary: engine.handoff_summary(&state),
            });
        }
        Ok(out)
    }

    /// Hands a paused conversation back to the bot, which asks the pending question again.
    pub async fn hand_back(
        &self,
        customer: &Customer,
        agent: &str,
    ) -> Result<Vec<Reply>, WorkflowError> {
        let handed_back = &self.prompts.script.common.messages.handed_back;
        let action = ("handed_back", handed_back.as_str());
        self.agent_turn(customer, agent, action, None, |service, state| {
            service
                .engine()
                .hand_back(state)
                .map_err(|refusal| service.refused(&refusal))
        })
        .await
    }

    /// Starts the port-in flow for a customer on an agent's behalf, pre-filling the phone
    /// numbers found in `text` (for example the message that asked about porting).
    pub async fn start_for(
        &self,
        customer: &Customer,
        agent: &str,
        text: Option<&str>,
    ) -> Result<Started, WorkflowError> {
        let numbers = text
            .map(|t| parse_number_list(t).numbers)
            .unwrap_or_default();
        let prefilled = numbers.clone();
        let replies = self
            .agent_turn(
                customer,
                agent,
                (
                    "agent_started",
                    &self.prompts.script.common.messages.agent_started,
                ),
                None,
                move |service, state| Ok(service.engine().start_port_in(state, numbers.clone())),
            )
            .await?;
        Ok(Started {
            prefilled,
            question: replies.last().map(|r| r.text.clone()).unwrap_or_default(),
        })
    }

    /// Saves what a conversation collected as a draft ticket listing what is missing, and hands
    /// the conversation back so the customer can finish it; the ticket keeps the draft's number.
    pub async fn draft_ticket(
        &self,
        customer: &Customer,
        agent: &str,
    ) -> Result<NewDraft, WorkflowError> {
        let conversation = self
            .store
            .open_conversation(&customer.platform, &customer.id)
            .await?
            .ok_or_else(|| {
                self.refused(&crate::porting::Refusal::new("handoff.no_conversation"))
            })?;
        let state = parse_state(conversation.id, &conversation.state)?;
        let engine = self.engine();
        engine
            .can_draft(&state)
            .map_err(|refusal| self.refused(&refusal))?;
        let draft = NewDraft {
            number: self.store.next_ticket_number().await?,
            missing: engine.missing_fields(&engine.start_port_in(state.clone(), Vec::new())),
            summary: engine.handoff_summary(&state),
            created_by: agent.to_string(),
        };
        let number = draft.number.clone();
        self.agent_turn(
            customer,
            agent,
            (
                "draft_saved",
                &self.prompts.script.common.messages.draft_saved,
            ),
            Some(draft.clone()),
            move |service, state| Ok(service.engine().draft(state, number.clone())),
        )
        .await?;
        Ok(draft)
    }

    /// Changes a customer's conversation on an agent's behalf and tells the customer in their
    /// chat: `message` (a text of the prompts) and the question the bot now waits on. The
    /// transcript notes the agent's `action` by its name.
    async fn agent_turn(
        &self,
        customer: &Customer,
        agent: &str,
        (action, message): (&str, &str),
        draft: Option<NewDraft>,
        change: impl Fn(&Service, State) -> Result<State, WorkflowError>,
    ) -> Result<Vec<Reply>, WorkflowError> {
        let engine = self.engine();
        for _ in 0..5 {
            let now = self.now();
            let conversation: Conversation = match self
                .store
                .open_conversation(&customer.platform, &customer.id)
                .await?
            {
                Some(c) => c,
                None => {
                    let (state, _) = engine.start();
                    self.store
                        .create_conversation(super::new_conversation(customer, &state, now))
                        .await?
                }
            };
            let state = change(self, parse_state(conversation.id, &conversation.state)?)?;
            let number = draft.as_ref().map(|d| d.number.clone()).unwrap_or_default();
            let mut replies = vec![Reply::say(fill(
                message,
                &[("agent", agent.to_string()), ("number", number)],
            ))];
            // The chat gets the message; the question itself is asked when the customer is back.
            let body = replies[0].text.clone();
            replies.extend(engine.pending_question(&state, crate::conversation::today(now)));
            let line = agent_line(format!("[{agent}: {action}]"), None);
            let mut write = turn_write(&conversation, Some(&state), line, now);
            write.outbox.push(NewOutboxItem {
                channel: OutboxChannel::Chat,
                ticket_number: None,
                conversation_id: Some(conversation.id),
                customer_platform: customer.platform.clone(),
                customer_id: customer.id.clone(),
                recipient: None,
                subject: String::new(),
                body,
            });
            write.new_draft = draft.clone();
            match self.store.apply_turn(write).await? {
                TurnOutcome::Applied { .. } => return Ok(replies),
                TurnOutcome::Conflict => continue,
                TurnOutcome::Duplicate => return Ok(Vec::new()),
            }
        }
        Err(ServiceError::TooManyConflicts(5).into())
    }
}
