//! The agents' side of a ticket: claim, move it along, reject it back to the customer for a
//! fix, notes and messages, the audited PIN reveal. Each action is checked against the
//! lifecycle rules and written with its audit event and notifications in one transaction.

use chrono::NaiveDate;
use secrecy::SecretString;

use super::{Service, ServiceError, parse_state};
use crate::notify::{Notice, NoticeKind};
use crate::porting::dates::ClosedReason;
use crate::porting::lifecycle::check_transition;
use crate::porting::{Refusal, RejectionCode, TicketStatus, dates};
use crate::store::{ChangeOutcome, Reopen, Ticket, TicketChange, Visibility};
use crate::template::fill;

/// What an agent does to a ticket.
#[derive(Debug, Clone)]
pub enum AgentAction {
    Claim,
    Unclaim,
    SendToCarrier {
        carrier_status: Option<String>,
    },
    ConfirmFoc {
        date: NaiveDate,
        carrier_status: Option<String>,
    },
    Complete,
    Cancel {
        reason: String,
    },
    Reject {
        codes: Vec<RejectionCode>,
        note: Option<String>,
    },
    /// An internal note, never shown to the customer.
    Note {
        text: String,
    },
    /// A message to the customer, in their chat and by email.
    Message {
        text: String,
    },
}

/// Why an agent's action did not happen; the wording for agents is in `prompts/common.toml`.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("no ticket {0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    /// A chat member the platform does not vouch for as an agent; each adapter has its words.
    #[error("not an agent")]
    NotAgent,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for WorkflowError {
    fn from(e: crate::store::StoreError) -> Self {
        WorkflowError::Service(ServiceError::Store(e))
    }
}

/// Tries before giving up when the ticket or its conversation keeps moving under us.
const TRIES: u32 = 5;

impl Service {
    pub(super) fn refused(&self, refusal: &Refusal) -> WorkflowError {
        // Every code an agent's action can be refused with is checked at start-up
        // (`script::AGENT_CODES` and the lifecycle's); a code never shows as itself.
        let script = &self.prompts.script;
        let template = script
            .common
            .errors
            .get(refusal.code)
            .unwrap_or(&script.common.messages.internal_error);
        WorkflowError::Refused(fill(template, &refusal.args))
    }

    /// Does `action` on ticket `number` as `agent`; returns the ticket as it is afterwards.
    pub async fn act(
        &self,
        number: &str,
        agent: &str,
        action: AgentAction,
    ) -> Result<Ticket, WorkflowError> {
        for _ in 0..TRIES {
            let ticket = self
                .store
                .ticket(number)
                .await?
                .ok_or_else(|| WorkflowError::NotFound(number.to_string()))?;
            let change = self.plan(&ticket, agent, &action).await?;
            match self.store.change_ticket(change).await? {
                ChangeOutcome::Applied => {
                    return self
                        .store
                        .ticket(number)
                        .await?
                        .ok_or_else(|| WorkflowError::NotFound(number.to_string()));
                }
                ChangeOutcome::NotFound => return Err(WorkflowError::NotFound(number.to_string())),
                ChangeOutcome::Stale => continue,
            }
        }
        Err(ServiceError::TooManyConflicts(TRIES).into())
    }

    /// Turns an action into the change to write, refusing what the rules forbid.
    async fn plan(
        &self,
        ticket: &Ticket,
        agent: &str,
        action: &AgentAction,
    ) -> Result<TicketChange, WorkflowError> {
        let now = self.now();
        let moving = |to: TicketStatus| -> Result<(), WorkflowError> {
            check_transition(ticket.status, to).map_err(|r| self.refused(&r))
        };
        let mut change = TicketChange::new(&ticket.number, ticket.status, agent, "", now);
        let notify = |kind: NoticeKind, values: Vec<(&'static str, String)>| {
            self.notices(&ticket_notice(ticket, kind, values), false)
        };
        match action {
            AgentAction::Claim => self.claim(ticket, agent, &mut change)?,
            AgentAction::Unclaim => {
                change.action = "unclaimed".into();
                change.claimed_by = Some(None);
            }
            AgentAction::SendToCarrier { carrier_status } => {
                moving(TicketStatus::SentToCarrier)?;
                change.action = "sent_to_carrier".into();
                change.to_status = Some(TicketStatus::SentToCarrier);
                change.carrier_status = carrier_status.clone();
            }
            AgentAction::ConfirmFoc {
                date,
                carrier_status,
            } => {
                // A confirmed date can be confirmed again when the carrier moves it.
                if ticket.status != TicketStatus::FocConfirmed {
                    moving(TicketStatus::FocConfirmed)?;
                    change.to_status = Some(TicketStatus::FocConfirmed);
                }
                if let Some(refusal) = self.foc_refusal(*date, now) {
                    return Err(self.refused(&refusal));
                }
                confirm_foc(&mut change, *date, carrier_status);
                let values = vec![("date", dates::format_long(*date))];
                change.outbox = notify(NoticeKind::FocConfirmed, values);
            }
            AgentAction::Complete => {
                moving(TicketStatus::Completed)?;
                change.action = "completed".into();
                change.to_status = Some(TicketStatus::Completed);
                change.outbox = notify(NoticeKind::Completed, Vec::new());
            }
            AgentAction::Cancel { reason } => {
                moving(TicketStatus::Cancelled)?;
                change.action = "cancelled".into();
                change.to_status = Some(TicketStatus::Cancelled);
                change.note = Some(reason.clone());
                change.visibility = Some(Visibility::Customer);
                change.outbox = notify(NoticeKind::Cancelled, vec![("reason", reason.clone())]);
            }
            AgentAction::Reject { codes, note } => {
                if codes.is_empty() {
                    return Err(self.refused(&Refusal::new("reject.no_codes")));
                }
                moving(TicketStatus::NeedsInfo)?;
                self.reject(ticket, codes, note, &mut change).await?;
            }
            AgentAction::Note { text } => {
                change.action = "note".into();
                change.note = Some(text.clone());
                change.visibility = Some(Visibility::Internal);
            }
            AgentAction::Message { text } => {
                change.action = "message".into();
                change.note = Some(text.clone());
                change.visibility = Some(Visibility::Customer);
                change.outbox = notify(NoticeKind::AgentMessage, vec![("message", text.clone())]);
            }
        }
        Ok(change)
    }

    /// `agent` claims the ticket: refused while another agent has it, or once it is final.
    fn claim(
        &self,
        ticket: &Ticket,
        agent: &str,
        change: &mut TicketChange,
    ) -> Result<(), WorkflowError> {
        if let Some(other) = ticket.claimed_by.as_deref().filter(|o| *o != agent) {
            return Err(self.refused(&Refusal::new("ticket.claimed_by_other").with("agent", other)));
        }
        change.action = "claimed".into();
        change.claimed_by = Some(Some(agent.to_string()));
        if ticket.status == TicketStatus::Submitted {
            change.to_status = Some(TicketStatus::InReview);
        } else if ticket.status.is_final() {
            return Err(self.refused(
                &Refusal::new("transition.final")
                    .with("from", ticket.status.as_str())
                    .with("to", "in_review"),
            ));
        }
        Ok(())
    }

    /// Why `date` cannot be the confirmed port date: it is past, or no porting business day.
    fn foc_refusal(&self, date: NaiveDate, now: chrono::DateTime<chrono::Utc>) -> Option<Refusal> {
        let calendar = self.config.calendar();
        if date < crate::conversation::today(now) {
            return Some(Refusal::new("foc.past").with("date", dates::format_long(date)));
        }
        let reason = calendar.closed_reason(date)?;
        Some(
            Refusal::new("foc.closed")
                .with("date", dates::format_long(date))
                .with(
                    "reason",
                    match reason {
                        ClosedReason::Saturday => "a Saturday",
                        ClosedReason::Sunday => "a Sunday",
                        ClosedReason::FederalHoliday => "a US federal holiday",
                        ClosedReason::PortingHoliday => "a porting holiday",
                        ClosedReason::OutOfRange => "out of range",
                    },
                )
                .with(
                    "suggestion",
                    dates::format_long(calendar.next_business_day(date)),
                ),
        )
    }

    /// The ticket goes back to the customer for a fix: their conversation reopens on the fields
    /// the `codes` concern, and they are told why.
    async fn reject(
        &self,
        ticket: &Ticket,
        codes: &[RejectionCode],
        note: &Option<String>,
        change: &mut TicketChange,
    ) -> Result<(), WorkflowError> {
        let conversation = self
            .store
            .conversation(ticket.conversation_id)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("conversation of {}", ticket.number)))?;
        let state = parse_state(conversation.id, &conversation.state)?;
        let reopened = self.engine().reopen_for_fix(state, &ticket.number, codes);
        let fields = reopened
            .fix
            .as_ref()
            .map(|f| {
                f.fields
                    .iter()
                    .filter_map(|id| self.prompts.script.step(id).map(|s| s.label.clone()))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let reasons = codes
            .iter()
            // Every code has its words (checked at start-up); none shows as itself.
            .filter_map(|c| {
                self.prompts
                    .script
                    .common
                    .rejections
                    .get(c.as_str())
                    .cloned()
            })
            .chain(note.clone())
            .collect::<Vec<_>>()
            .join(" ");
        let code_list = codes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",");
        change.action = "rejected".into();
        change.to_status = Some(TicketStatus::NeedsInfo);
        change.rejection_code = Some(code_list);
        change.note = note.clone();
        change.visibility = Some(Visibility::Customer);
        let values = vec![("reason", reasons), ("fields", fields)];
        let notice = ticket_notice(ticket, NoticeKind::NeedsInfo, values);
        change.outbox = self.notices(&notice, false);
        change.reopen = Some(Reopen {
            conversation_id: conversation.id,
            expected_version: conversation.version,
            flow: "port_in".into(),
            step: reopened.step.clone(),
            state: reopened.to_json(),
        });
        Ok(())
    }

    /// The ticket's PIN for `agent`, written to the audit log.
    pub async fn reveal_pin(
        &self,
        number: &str,
        agent: &str,
    ) -> Result<Option<SecretString>, WorkflowError> {
        if self.store.ticket(number).await?.is_none() {
            return Err(WorkflowError::NotFound(number.to_string()));
        }
        Ok(self.store.reveal_pin(number, agent, self.now()).await?)
    }
}

/// The carrier's confirmed port date (FOC), which the customer sees.
fn confirm_foc(change: &mut TicketChange, date: NaiveDate, carrier_status: &Option<String>) {
    change.action = "foc_confirmed".into();
    change.note = Some(format!("FOC {}", date.format("%Y-%m-%d")));
    change.visibility = Some(Visibility::Customer);
    change.confirmed_foc = Some(date);
    change.carrier_status = carrier_status.clone();
}

/// A notice to the customer about `ticket`, naming it and its numbers before `values`.
fn ticket_notice(ticket: &Ticket, kind: NoticeKind, values: Vec<(&'static str, String)>) -> Notice {
    Notice {
        kind,
        ticket_number: Some(ticket.number.clone()),
        conversation_id: Some(ticket.conversation_id),
        customer_platform: ticket.customer_platform.clone(),
        customer_id: ticket.customer_id.clone(),
        email: Some(ticket.request.email.as_str().to_string()),
        values: [
            vec![
                ("number", ticket.number.clone()),
                (
                    "numbers",
                    crate::conversation::validators::join_national(&ticket.request.numbers),
                ),
            ],
            values,
        ]
        .concat(),
    }
}
