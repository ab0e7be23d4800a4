//! Corrections of earlier answers: "actually it's Verizon", "the second number is 4102", "I
//! typed the wrong zip". The new value goes through the field's own reading and validator,
//! then the customer is back at the question they were on.

use chrono::NaiveDate;

use super::reading::{Read, plain};
use super::state::{Answer, State};
use super::understand::Correction;
use super::validators::{self, Outcome};
use super::{Engine, Input, Reply, Turn};
use crate::porting::text::match_words;
use crate::template::fill;

impl Engine<'_> {
    /// A correction of an earlier answer ("actually it's Verizon", "the second number is
    /// 4102", "I typed the wrong zip"): the new value is checked and kept, then the customer is
    /// back at the question they were on. Without a value, that question is asked again.
    pub(super) fn correct(
        &self,
        mut state: State,
        correction: Correction,
        today: NaiveDate,
        secret: bool,
    ) -> Turn {
        let pending = state.step.clone();
        let Some(value) = correction.value.clone() else {
            let Some(field) = correction.field else {
                let text = String::new();
                return self.answer_step(state, Input::Text(text), None, today, secret);
            };
            let label = self
                .prompts
                .step(&field)
                .map(|s| s.label.clone())
                .unwrap_or_default();
            state.step = Some(field);
            state.pending = None;
            state.failures = 0;
            let mut replies = vec![Reply::say(fill(
                &self.prompts.common.messages.fix_field,
                &[("label", label.to_lowercase())],
            ))];
            replies.extend(self.pending_question(&state, today));
            return self.finish(state, replies, Vec::new(), secret);
        };
        let target = match correction.field.clone() {
            // "the bill is from November 2nd" names the bill but answers the bill date.
            Some(field)
                if correction.restated
                    && correction.ordinal.is_none()
                    && !self.accepts(&state, &field, &value, today) =>
            {
                let text = correction.text.clone();
                return self.answer_step(
                    state,
                    Input::Text(text.clone()),
                    Some(text),
                    today,
                    secret,
                );
            }
            Some(field) => Some(field),
            None => self.correction_target(&state, &value, today),
        };
        let Some(target) = target.filter(|t| Some(t) != pending.as_ref()) else {
            // A new try at the pending question.
            return self.answer_step(
                state,
                Input::Text(value.clone()),
                Some(value),
                today,
                secret,
            );
        };
        let value = match correction.ordinal {
            Some(n) if target == "numbers" => match self.number_replaced(&state, n, &value) {
                Some(list) => list,
                None => value,
            },
            _ => self.zip_replaced(&state, &target, &value).unwrap_or(value),
        };
        let before = state.answers.get(&target).cloned();
        state.step = Some(target.clone());
        state.pending = None;
        state.failures = 0;
        let turn = self.answer_step(
            state,
            Input::Text(value.clone()),
            Some(value),
            today,
            secret,
        );
        let changed = turn.state.answers.get(&target) != before.as_ref()
            && turn.state.answers.contains_key(&target);
        if !changed {
            return turn;
        }
        let mut turn = turn;
        let label = self
            .prompts
            .step(&target)
            .map(|s| s.label.clone())
            .unwrap_or_default();
        let shown = turn
            .state
            .answers
            .get(&target)
            .map(|a| self.display(&target, a))
            .unwrap_or_default();
        turn.replies.insert(
            0,
            Reply::say(fill(
                &self.prompts.common.messages.updated,
                &[("label", label), ("answer", shown)],
            )),
        );
        turn
    }

    /// Which earlier answer a correction without a field name is about: a known carrier is the
    /// carrier, an email address the email; otherwise the answer just given, if the value fits
    /// it (after a refused answer, the question being asked comes first).
    pub(super) fn correction_target(
        &self,
        state: &State,
        value: &str,
        today: NaiveDate,
    ) -> Option<String> {
        let words = plain(match_words(value));
        if state.answers.contains_key("carrier") && self.carrier_in(&words, true).is_some() {
            return Some("carrier".into());
        }
        if state.answers.contains_key("email") && value.contains('@') {
            return Some("email".into());
        }
        let pending = state.step.clone()?;
        // The last answer the customer gave themselves (not one skipped along the way).
        let applicable = self.applicable_steps(state);
        let before = applicable
            .iter()
            .position(|id| *id == pending)
            .unwrap_or(applicable.len());
        let previous = applicable[..before]
            .iter()
            .rev()
            .find(|id| {
                !super::FINAL_STEPS.contains(id)
                    && state
                        .answers
                        .get(**id)
                        .is_some_and(|a| *a != Answer::Skipped)
            })
            .map(|id| id.to_string());
        let order: Vec<String> = if state.failures > 0 {
            [Some(pending.clone()), previous]
                .into_iter()
                .flatten()
                .collect()
        } else {
            [previous, Some(pending.clone())]
                .into_iter()
                .flatten()
                .collect()
        };
        order
            .into_iter()
            .find(|id| self.accepts(state, id, value, today))
    }

    /// Whether `value` would be accepted as the answer to step `id`.
    pub(super) fn accepts(&self, state: &State, id: &str, text: &str, today: NaiveDate) -> bool {
        let Some(step) = self.prompts.step(id) else {
            return false;
        };
        let Some(validator) = validators::find(&step.validator) else {
            return false;
        };
        let Read::Value { text, .. } = self.read_answer(state, id, step, validator, text, today)
        else {
            return false;
        };
        matches!(
            self.check_text(state, id, &text, today),
            Some(Outcome::Accept { .. })
        )
    }

    /// "the zip should be 62703": the address given, with that ZIP.
    pub(super) fn zip_replaced(&self, state: &State, target: &str, value: &str) -> Option<String> {
        let zip = value
            .split_whitespace()
            .map(|t| t.trim_matches(|c: char| !c.is_ascii_digit() && c != '-'))
            .find(|t| {
                let digits: String = t.chars().filter(char::is_ascii_digit).collect();
                matches!(digits.len(), 5 | 9) && t.chars().all(|c| c.is_ascii_digit() || c == '-')
            })?;
        let Some(Answer::Address(address)) = state.answers.get(target) else {
            return None;
        };
        let line = address.one_line();
        let (street, old_zip) = line.rsplit_once(' ')?;
        old_zip
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-')
            .then(|| format!("{street} {zip}"))
    }

    /// "The second number is 4102": the list with that number's last digits replaced.
    pub(super) fn number_replaced(&self, state: &State, n: usize, value: &str) -> Option<String> {
        let numbers = state.numbers();
        let index = if n == usize::MAX {
            numbers.len().checked_sub(1)?
        } else {
            n
        };
        // "the second number is ..." when only one was given: it is added.
        let old = numbers
            .get(index)
            .or_else(|| numbers.last().filter(|_| index == numbers.len()))?;
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        let national: String = old.e164().chars().skip(2).collect();
        let new = match digits.len() {
            4 => format!("{}{digits}", &national[..6]),
            7 => format!("{}{digits}", &national[..3]),
            10 => digits,
            11 if digits.starts_with('1') => digits[1..].to_string(),
            _ => return None,
        };
        let mut list: Vec<String> = numbers
            .iter()
            .enumerate()
            .map(|(i, n)| {
                if i == index {
                    new.clone()
                } else {
                    n.e164().to_string()
                }
            })
            .collect();
        if index == numbers.len() {
            list.push(new);
        }
        Some(list.join(", "))
    }
}
