//! Which steps apply, in which order, and moving between them (a fix of a rejected request
//! included).

use super::state::{self, Answer, Flow, State};
use super::validators;
use super::{Engine, FINAL_STEPS, normalize};
use crate::porting::PhoneNumber;

impl<'a> Engine<'a> {
    /// Starts (or continues) the port-in flow on an agent's behalf, with numbers the agent found
    /// in the customer's message already filled in when none were given yet.
    pub fn start_port_in(&self, mut state: State, numbers: Vec<PhoneNumber>) -> State {
        if matches!(state.flow, Flow::Done | Flow::Cancelled) {
            state = State::new();
        }
        if !numbers.is_empty() && !state.answers.contains_key("numbers") {
            state
                .answers
                .insert("numbers".into(), Answer::Numbers(numbers));
        }
        state.flow = Flow::PortIn;
        state.paused = false;
        state.pending = None;
        state.step = self.next_step(&state);
        state
    }

    /// The steps that apply and have no answer yet (the end of the flow left out).
    pub fn missing_fields(&self, state: &State) -> Vec<String> {
        self.applicable_steps(state)
            .into_iter()
            .filter(|id| !FINAL_STEPS.contains(id) && !state.answers.contains_key(*id))
            // A question that asks two fields at once is not a field of its own.
            .filter(|id| {
                !self.prompts.port_in.steps[*id]
                    .choices
                    .iter()
                    .any(|c| !c.sets.is_empty())
            })
            .map(str::to_string)
            .collect()
    }

    /// Puts a finished conversation back to work on a rejected ticket: the fields the rejection
    /// names are asked again (the rest is kept), then the summary and, when the LOA changes, a
    /// new signature.
    pub fn reopen_for_fix(
        &self,
        mut state: State,
        ticket: &str,
        codes: &[crate::porting::RejectionCode],
    ) -> State {
        let residential = state.choice("customer_type") == Some("residential");
        let mut wanted: Vec<&str> = Vec::new();
        for code in codes {
            for field in code.fields() {
                let field = match *field {
                    "business_name" if residential => "account_holder",
                    other => other,
                };
                if !wanted.contains(&field) {
                    wanted.push(field);
                }
            }
        }
        // In flow order, so the customer is asked as in the first pass.
        let fields: Vec<String> = self
            .prompts
            .port_in
            .order
            .iter()
            .filter(|id| wanted.contains(&id.as_str()))
            .cloned()
            .collect();
        let mut before = std::collections::BTreeMap::new();
        for field in &fields {
            if let Some(answer) = state.answers.remove(field) {
                before.insert(field.clone(), answer);
            }
        }
        for final_step in FINAL_STEPS {
            state.answers.remove(final_step);
        }
        state.fix = Some(state::Fix {
            ticket: ticket.to_string(),
            codes: codes.iter().map(|c| c.as_str().to_string()).collect(),
            fields,
            before,
            force_signature: codes.iter().any(|c| c.needs_new_signature()),
        });
        state.flow = Flow::PortIn;
        state.paused = false;
        state.pending = None;
        state.failures = 0;
        state.step = self.next_step(&state);
        state
    }

    pub(super) fn applies(&self, state: &State, id: &str) -> bool {
        let forced = state
            .fix
            .as_ref()
            .is_some_and(|f| f.fields.iter().any(|x| x == id));
        forced
            || self
                .prompts
                .step(id)
                .is_some_and(|s| validators::condition(&s.when, state))
    }

    pub(super) fn applicable_steps(&self, state: &State) -> Vec<&str> {
        self.prompts
            .port_in
            .order
            .iter()
            .map(String::as_str)
            .filter(|id| self.applies(state, id))
            .collect()
    }

    pub(super) fn next_step(&self, state: &State) -> Option<String> {
        self.applicable_steps(state)
            .into_iter()
            .find(|id| !state.answers.contains_key(*id))
            .map(str::to_string)
    }

    pub(super) fn previous_step(&self, state: &State, current: &str) -> Option<String> {
        let applicable = self.applicable_steps(state);
        let index = applicable.iter().position(|id| *id == current)?;
        applicable[..index]
            .iter()
            .rev()
            .find(|id| !FINAL_STEPS.contains(id))
            .map(|id| id.to_string())
    }

    pub(super) fn find_field(&self, state: &State, field: &str) -> Option<String> {
        let field = normalize(field);
        let wanted = field.replace([' ', '-'], "_");
        self.applicable_steps(state)
            .into_iter()
            .filter(|id| !FINAL_STEPS.contains(id))
            .find(|id| {
                let step = &self.prompts.port_in.steps[*id];
                *id == wanted
                    || normalize(&step.label) == field
                    || step.aliases.iter().any(|a| normalize(a) == field)
            })
            .map(str::to_string)
    }

    /// The steps whose answer the customer can change now (`change <step>`), in flow order.
    pub fn changeable_steps(&self, state: &State) -> Vec<&str> {
        self.applicable_steps(state)
            .into_iter()
            .filter(|id| !FINAL_STEPS.contains(id) && state.answers.contains_key(*id))
            .collect()
    }

    pub(super) fn changeable_fields(&self, state: &State) -> String {
        self.changeable_steps(state)
            .into_iter()
            // Every step but the final ones has an alias (checked at start-up); an id is never
            // shown in its place.
            .filter_map(|id| self.prompts.port_in.steps[id].aliases.first().cloned())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether a fix changed anything the LOA shows. Secret answers (the account number) cannot be
/// compared, so a re-entered one counts as a change; the PIN is never on the LOA.
pub(super) fn fix_changes_loa(state: &State, fix: &state::Fix) -> bool {
    fix.force_signature
        || fix
            .fields
            .iter()
            .filter(|f| !matches!(f.as_str(), "pin" | "mobile_pin" | "order_cleared"))
            .any(|f| {
                let now = state.answers.get(f);
                now != fix.before.get(f) || matches!(now, Some(Answer::Secret { .. }))
            })
}
