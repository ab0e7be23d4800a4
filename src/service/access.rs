//! Who may act as an agent: the one check every agent command passes, on the command line and in
//! Discord. A refused attempt on a ticket is written to that ticket's audit log, and logged.
//!
//! The terminal has no login: whoever runs `portbot` can read the database and the key anyway.
//! The names in `PORTBOT_AGENTS` (when set) keep agent names honest (a typo or a customer's name
//! is refused, not recorded as an agent) and make every refusal visible. In a chat the platform
//! vouches for its members instead (Discord: the agent role).

use super::{Service, WorkflowError};
use crate::porting::Refusal;

/// Who asks to act as an agent, as the adapter knows them.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// The command line's `--agent` name, if one was given.
    Terminal(Option<&'a str>),
    /// A chat member, and whether the platform vouches for them as an agent.
    Member { name: &'a str, agent: bool },
}

impl Service {
    /// Refuses `caller` unless they are an agent: a terminal name must be on the agent list when
    /// one is configured, a chat member must be vouched for (refused with
    /// [`WorkflowError::NotAgent`], which the adapter words). `number` is the ticket acted on
    /// (its audit log gets the refusal), `action` the command.
    pub async fn authorize_agent(
        &self,
        caller: Caller<'_>,
        number: Option<&str>,
        action: &str,
    ) -> Result<(), WorkflowError> {
        let (actor, refusal, reason) = match caller {
            Caller::Member { agent: true, .. } => return Ok(()),
            Caller::Member { name, .. } => (name, None, "not vouched for as an agent"),
            Caller::Terminal(agent) => {
                let listed = &self.config.agents;
                let refusal = match agent.map(str::trim) {
                    _ if listed.is_empty() => return Ok(()),
                    Some(name) if listed.iter().any(|a| a == name) => return Ok(()),
                    Some(name) => Refusal::new("agent.not_listed").with("agent", name),
                    None => Refusal::new("agent.missing"),
                };
                let actor = agent.unwrap_or("(no agent given)");
                (actor, Some(refusal), "not on PORTBOT_AGENTS")
            }
        };
        tracing::warn!(
            actor,
            action,
            ticket = number,
            reason,
            "agent action refused"
        );
        if let Some(number) = number {
            self.store
                .record_refused(number, actor, action, self.now())
                .await?;
        }
        Err(match refusal {
            Some(refusal) => self.refused(&refusal),
            None => WorkflowError::NotAgent,
        })
    }
}
