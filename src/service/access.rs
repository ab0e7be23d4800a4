//! Who may act as an agent from the command line: the names in `PORTBOT_AGENTS` (when set). A
//! refused attempt on a ticket is written to that ticket's audit log, and logged.
//!
//! The terminal has no login: whoever runs `portbot` can read the database and the key anyway.
//! The list keeps agent names honest (a typo or a customer's name is refused, not recorded as
//! an agent) and makes every refusal visible. Discord checks the agent role instead.

use super::{Service, WorkflowError};
use crate::porting::Refusal;

impl Service {
    /// Refuses `agent` when an agent list is configured and the name is missing or not on it;
    /// `number` is the ticket acted on (its audit log gets the refusal), `action` the command.
    pub async fn authorize_agent(
        &self,
        agent: Option<&str>,
        number: Option<&str>,
        action: &str,
    ) -> Result<(), WorkflowError> {
        let listed = &self.config.agents;
        if listed.is_empty() {
            return Ok(());
        }
        let refusal = match agent.map(str::trim) {
            Some(name) if listed.iter().any(|a| a == name) => return Ok(()),
            Some(name) => Refusal::new("agent.not_listed").with("agent", name),
            None => Refusal::new("agent.missing"),
        };
        let actor = agent.unwrap_or("(no agent given)");
        tracing::warn!(
            actor,
            action,
            ticket = number,
            "agent action refused: not on PORTBOT_AGENTS"
        );
        if let Some(number) = number {
            self.store
                .record_refused(number, actor, action, self.now())
                .await?;
        }
        Err(self.refused(&refusal))
    }
}
