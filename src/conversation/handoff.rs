//! What agents do to a conversation, as pure operations like [`Engine::step`]: take it over
//! (the bot only says so until it is handed back), hand it back, or save it as a draft ticket.
//! The service loads the state, calls one of these and saves what it returns.

use super::{Engine, Flow, State};
use crate::porting::Refusal;

impl Engine<'_> {
    /// An agent takes the conversation over; `None` when one already has it (nothing changes).
    pub fn pause(&self, state: State) -> Option<State> {
        (!state.paused).then_some(State {
            paused: true,
            ..state
        })
    }

    /// The agent hands the conversation back to the bot, which asks the pending question again.
    pub fn hand_back(&self, state: State) -> Result<State, Refusal> {
        if !state.paused {
            return Err(Refusal::new("handoff.not_paused"));
        }
        Ok(State {
            paused: false,
            ..state
        })
    }

    /// Whether an agent may save the conversation as a draft ticket: not twice.
    pub fn can_draft(&self, state: &State) -> Result<(), Refusal> {
        match &state.draft {
            Some(number) => {
                Err(Refusal::new("handoff.already_draft").with("number", number.clone()))
            }
            None => Ok(()),
        }
    }

    /// The conversation saved as draft ticket `number`: the port-in flow goes on from what it
    /// has, and the first ticket it creates takes that number.
    pub fn draft(&self, state: State, number: String) -> State {
        State {
            draft: Some(number),
            ..self.start_port_in(state, Vec::new())
        }
    }

    /// Whether the question the conversation waits on takes a secret (a PIN, an account
    /// number), which a chat should keep out of sight.
    pub fn awaits_secret(&self, state: &State) -> bool {
        state.flow == Flow::PortIn
            && state
                .step
                .as_deref()
                .and_then(|s| self.prompts.step(s))
                .is_some_and(|s| s.secret)
    }
}
