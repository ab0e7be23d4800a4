//! The opening menu and buttons: a choice's number or name, what an opening message asks for
//! in the customer's own words, and a button pressed for an earlier question.

use chrono::NaiveDate;

use super::state::{Flow, State};
use super::understand::Opener;
use super::{Effect, Engine, Input, Intent, Reply, Turn};

impl Engine<'_> {
    /// A button or menu option: the choice's value, for the step it was shown with.
    pub(super) fn typed_choice(
        &self,
        state: State,
        step: Option<String>,
        value: String,
        today: NaiveDate,
    ) -> Turn {
        match step {
            None if state.flow != Flow::PortIn => self.menu_choice(state, &value, None, today),
            Some(id)
                if state.flow == Flow::PortIn && state.step.as_deref() == Some(id.as_str()) =>
            {
                let secret = self.prompts.step(&id).is_some_and(|s| s.secret);
                self.answer_step(
                    state,
                    Input::Choice {
                        step: Some(id),
                        value: value.clone(),
                    },
                    Some(value),
                    today,
                    secret,
                )
            }
            _ => {
                // A button from an earlier question: say so, and ask the pending one.
                let mut replies = vec![Reply::say(&self.prompts.common.messages.stale_choice)];
                replies.extend(self.pending_question(&state, today));
                self.finish(state, replies, Vec::new(), false)
            }
        }
    }

    /// The opening menu, read in words: a choice's number or name, or what the message asks
    /// for ("I want to bring my home phone number over").
    pub(super) fn menu(
        &self,
        mut state: State,
        text: Option<&str>,
        intent: Intent,
        today: NaiveDate,
    ) -> Turn {
        let mut replies = Vec::new();
        let Some(text) = text else {
            replies.push(Reply::say(
                &self.prompts.common.messages.attachment_not_expected,
            ));
            replies.push(self.menu_reply());
            return self.finish(state, replies, Vec::new(), false);
        };
        let said = super::normalize(text);
        let picked = self
            .pick_choice(&self.prompts.common.menu_choices, &said)
            .map(str::to_string);
        let opener = picked.clone().or_else(|| {
            self.opener(text).map(|o| {
                match o {
                    Opener::PortIn => "port_in",
                    Opener::PortOut => "port_out",
                    Opener::Status => "status",
                }
                .to_string()
            })
        });
        use super::understand::{SmallTalk, Topic};
        match intent {
            Intent::Question(Topic::Faq(id)) if id != "port_out" => {
                replies.push(Reply::say(self.faq_answer(&id)));
                replies.push(self.menu_reply());
                return self.finish(state, replies, Vec::new(), false);
            }
            Intent::Question(Topic::Faq(_)) => {
                return self.menu_choice(state, "port_out", Some(text), today);
            }
            Intent::SmallTalk(SmallTalk::Greeting) => {
                replies.push(self.menu_reply());
                return self.finish(state, replies, Vec::new(), false);
            }
            Intent::SmallTalk(SmallTalk::Hold) => {
                replies.push(Reply::say(&self.prompts.common.messages.take_your_time));
                return self.finish(state, replies, Vec::new(), false);
            }
            Intent::SmallTalk(_) => {
                replies.push(Reply::say(&self.prompts.common.messages.goodbye_menu));
                replies.push(self.menu_reply());
                return self.finish(state, replies, Vec::new(), false);
            }
            Intent::Frustration => {
                replies.push(Reply::say(&self.prompts.common.messages.frustration));
                replies.push(self.menu_reply());
                return self.finish(state, replies, Vec::new(), false);
            }
            Intent::Question(_) if opener.is_none() => {
                replies.push(Reply::say(&self.prompts.common.messages.unknown_question));
                replies.push(self.menu_reply());
                return self.finish(state, replies, Vec::new(), false);
            }
            _ => {}
        }
        match opener {
            Some(value) => {
                let words = if picked.is_some() { None } else { Some(text) };
                self.menu_choice(state, &value, words, today)
            }
            None => {
                state.failures = state.failures.saturating_add(1);
                replies.push(Reply::say(
                    &self.prompts.common.messages.not_understood_menu,
                ));
                replies.push(self.menu_reply());
                self.finish(state, replies, Vec::new(), false)
            }
        }
    }

    /// Carries out a menu choice. `words` is the customer's message when they said it in their
    /// own words: numbers, a carrier or a number type in it are kept for the request.
    pub(super) fn menu_choice(
        &self,
        mut state: State,
        value: &str,
        words: Option<&str>,
        today: NaiveDate,
    ) -> Turn {
        let mut replies = Vec::new();
        let mut effects = Vec::new();
        let mut secret = false;
        match value {
            "port_in" => {
                state.flow = Flow::PortIn;
                state.leaving = false;
                state.failures = 0;
                if let Some(text) = words {
                    let extras = self.extras(&state, "", text);
                    let kept = self.apply_extras(&mut state, extras, &mut effects, today);
                    secret = kept.secret;
                    replies.extend(self.extras_replies(&kept));
                }
                if state.step.is_none()
                    || state
                        .answers
                        .contains_key(state.step.as_deref().unwrap_or_default())
                {
                    state.step = self.next_step(&state);
                }
                replies.extend(self.pending_question(&state, today));
            }
            "port_out" => {
                state.leaving = true;
                replies.push(Reply::say(&self.prompts.port_out.guidance));
                replies.push(Reply::say(&self.prompts.port_out.follow_up));
                replies.push(self.menu_reply());
            }
            "status" => {
                effects.push(Effect::ShowStatus);
                replies.push(self.menu_reply());
            }
            "agent" => {
                state.paused = true;
                effects.push(Effect::Handoff {
                    summary: self.agent_summary(&state),
                });
                replies.push(Reply::say(&self.prompts.common.messages.paused_for_agent));
            }
            _ => {
                replies.push(Reply::say(
                    &self.prompts.common.messages.not_understood_menu,
                ));
                replies.push(self.menu_reply());
            }
        }
        self.finish(state, replies, effects, secret)
    }
}
