//! Questions, at any step, and what a customer says after the request is submitted.

use chrono::NaiveDate;

use super::state::State;
use super::understand::{Intent, SmallTalk, Topic, contains};
use super::{Effect, Engine, Reply, TicketRequestKind, Turn};
use crate::porting::text::match_words;
use crate::template::fill;

impl Engine<'_> {
    /// The answer to a question, then the pending question again. A question is never an
    /// answer: nothing is stored.
    pub(super) fn answer_question(
        &self,
        state: State,
        topic: &Topic,
        today: NaiveDate,
        secret: bool,
    ) -> Turn {
        let mut replies = Vec::new();
        match topic {
            Topic::Faq(id) => {
                replies.push(Reply::say(self.faq_answer(id)));
                replies.push(Reply::say(&self.prompts.faq.back_to_question));
            }
            Topic::Pending => match state.step.as_deref().and_then(|id| self.prompts.step(id)) {
                Some(step) => {
                    let args = self.question_args(&state, today);
                    replies.push(Reply::say(fill(&step.help, &args)));
                }
                None => replies.push(Reply::say(&self.prompts.common.messages.unknown_question)),
            },
            Topic::Step(id) => match self.prompts.step(id) {
                Some(step) => {
                    let args = self.question_args(&state, today);
                    replies.push(Reply::say(fill(&step.help, &args)));
                }
                None => replies.push(Reply::say(&self.prompts.common.messages.unknown_question)),
            },
            Topic::Unknown => {
                replies.push(Reply::say(&self.prompts.common.messages.unknown_question))
            }
        }
        replies.extend(self.pending_question(&state, today));
        self.finish(state, replies, Vec::new(), secret)
    }

    pub(super) fn faq_answer(&self, id: &str) -> String {
        self.prompts
            .faq
            .entries
            .iter()
            .find(|e| e.id == id)
            .map(|e| fill(&e.answer, &[("provider", self.provider_name.to_string())]))
            .unwrap_or_default()
    }

    /// A message after the request was submitted. Cancelling or changing the date is a request
    /// to the porting team, recorded on the ticket; "did it go through?" shows the tickets;
    /// thanks and goodbyes get an answer. Anything else (`None`) starts something new.
    pub(super) fn after_submit(
        &self,
        state: &State,
        text: &str,
        said: &str,
        today: NaiveDate,
        only_requests: bool,
    ) -> Option<Turn> {
        let u = &self.prompts.understanding;
        let words = match_words(text);
        let ticket = ticket_named(text);
        let intent = self.understand(text, said, state);
        // "when should I cancel my old service?", "do I need to cancel my AT&T service now?"
        // are questions, not requests; "can you cancel my port" is a request.
        let asks_us = [
            "can you",
            "could you",
            "please",
            "pls",
            "i want",
            "i need",
            "id like",
        ]
        .iter()
        .any(|p| words.join(" ").contains(p));
        let question = matches!(intent, Intent::Question(_)) && ticket.is_none() && !asks_us;
        // Cancelling the old carrier's service is not cancelling the port.
        let old_service = self.carrier_in(&words, false).is_some()
            || ["service", "internet", "account", "cable", "old"]
                .iter()
                .any(|w| words.iter().any(|x| x == w));
        let corrects = contains(&words, &u.corrections.wrong)
            || contains(&words, &u.corrections.markers) && self.names_a_field(&words);
        let kind = if contains(&words, &u.after_submit.change_date) {
            Some(TicketRequestKind::ChangeDate)
        } else if contains(&words, &u.after_submit.cancel) && !old_service {
            Some(TicketRequestKind::Cancel)
        } else if (corrects || contains(&words, &u.after_submit.add_or_change))
            && self.names_a_field(&words)
        {
            Some(TicketRequestKind::Correct)
        } else {
            None
        };
        let state = state.clone();
        if let Some(kind) = kind.filter(|_| !question) {
            let effects = vec![Effect::TicketRequest {
                kind,
                ticket,
                words: text.to_string(),
            }];
            // The service says which tickets it passed on, before this question.
            let replies = self.pending_question(&state, today);
            return Some(self.finish(state, replies, effects, false));
        }
        if only_requests {
            return None;
        }
        match intent {
            Intent::SmallTalk(SmallTalk::Thanks | SmallTalk::Goodbye) => {
                let replies = vec![Reply::say(&self.prompts.common.messages.goodbye_done)];
                Some(self.finish(state, replies, Vec::new(), false))
            }
            Intent::Question(Topic::Faq(id)) => {
                let replies = vec![
                    Reply::say(self.faq_answer(&id)),
                    Reply::say(&self.prompts.common.messages.finished),
                ];
                Some(self.finish(state, replies, Vec::new(), false))
            }
            _ if matches!(self.opener(text), Some(super::understand::Opener::Status))
                || matches!(self.command(said), Some(super::Command::Status)) =>
            {
                let replies = vec![Reply::say(&self.prompts.common.messages.finished)];
                Some(self.finish(state, replies, vec![Effect::ShowStatus], false))
            }
            _ => None,
        }
    }
}

impl Engine<'_> {
    /// Whether the words name a field of the request ("my email", "the zip").
    fn names_a_field(&self, words: &[String]) -> bool {
        let words: Vec<String> = words
            .iter()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .cloned()
            .collect();
        self.prompts
            .port_in
            .steps
            .values()
            .any(|step| super::understand::contains(&words, &step.alias_phrases))
    }
}

/// A ticket number in the customer's words: `PB-10001`, `pb 10001`, `#10001`.
fn ticket_named(text: &str) -> Option<String> {
    let upper = text.to_uppercase();
    let at = upper.find("PB")?;
    let digits: String = upper[at + 2..]
        .trim_start_matches(['-', ' ', '#'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("PB-{digits}"))
}
