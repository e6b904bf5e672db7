//! Rule 8, asking at the right moment and not too often: prompt advice from the state, the time and the quiet period after a "no".

use super::state::State;
use crate::advice::PromptAdvice;
use crate::model::{Actor, ConsentStatus, Feature, OsPermission};
use crate::policy::PolicyStatus;

impl State {
    /// Whether the app should show its prompt for `feature` at `now_ms`.
    pub fn prompt_advice(
        &self,
        feature: Feature,
        now_ms: i64,
        reprompt_after_ms: u64,
    ) -> PromptAdvice {
        if self.basic_mode() {
            return PromptAdvice::AgreeToPolicyFirst;
        }
        let record = self.record(feature);
        let by_a_person = matches!(record.actor, Some(Actor::User | Actor::Guardian));
        if record.status == ConsentStatus::Denied && by_a_person {
            if let Some(until_ms) = quiet_until(record.decided_at_ms, now_ms, reprompt_after_ms) {
                return PromptAdvice::NotNow { until_ms };
            }
        }
        // An OS refusal is a "no" too (I5): the same quiet period, and never `NoNeed` while
        // the OS refuses.
        if record.os_permission.is_denied() {
            if let Some(until_ms) = quiet_until(record.os_refused_at_ms, now_ms, reprompt_after_ms)
            {
                return PromptAdvice::NotNow { until_ms };
            }
            if record.os_permission == OsPermission::DeniedPermanently {
                return PromptAdvice::OpenSettings;
            }
            return self.ask(record.guardian_hold);
        }
        match record.status {
            ConsentStatus::Granted if !self.needs_guardian_for(record.actor) => {
                PromptAdvice::NoNeed
            }
            ConsentStatus::NotAsked => {
                match self.recovered_quiet_until(now_ms, reprompt_after_ms) {
                    Some(until_ms) => PromptAdvice::NotNow { until_ms },
                    None => self.ask(false),
                }
            }
            _ => self.ask(record.guardian_hold),
        }
    }

    /// Whether the app should show its privacy-policy dialog at `now_ms`.
    pub fn policy_prompt_advice(&self, now_ms: i64, reprompt_after_ms: u64) -> PromptAdvice {
        let last = self.policy.as_ref();
        match self.policy_status() {
            PolicyStatus::NotRequired => PromptAdvice::NoNeed,
            PolicyStatus::Agreed if !self.needs_guardian_for(last.map(|p| p.actor)) => {
                PromptAdvice::NoNeed
            }
            PolicyStatus::Declined if last.is_some_and(|p| p.actor != Actor::App) => {
                match quiet_until(last.map(|p| p.at_ms), now_ms, reprompt_after_ms) {
                    Some(until_ms) => PromptAdvice::NotNow { until_ms },
                    None => self.ask(last.is_some_and(|p| p.guardian_hold)),
                }
            }
            PolicyStatus::NotAsked => match self.recovered_quiet_until(now_ms, reprompt_after_ms) {
                Some(until_ms) => PromptAdvice::NotNow { until_ms },
                None => self.ask(false),
            },
            _ => self.ask(last.is_some_and(|p| p.guardian_hold)),
        }
    }

    /// Ask — the guardian, when the person is a minor or a guardian's "no" (`hold`) stands.
    fn ask(&self, hold: bool) -> PromptAdvice {
        if self.is_minor() || self.guardian_hold_stands(hold, Actor::User) {
            PromptAdvice::AskGuardian
        } else {
            PromptAdvice::Ask
        }
    }

    /// A store recovered from damage cannot know who declined what: it stays quiet for the
    /// quiet period after the recovery instead of prompting everyone for everything at once.
    fn recovered_quiet_until(&self, now_ms: i64, reprompt_after_ms: u64) -> Option<i64> {
        self.recovery.as_ref()?;
        quiet_until(Some(self.chain_started_ms), now_ms, reprompt_after_ms)
    }
}

/// The end of the quiet period after a "no" at `decided_at_ms`, if it is still running. A
/// "no" dated after now (the clock was set back) counts from now, so a jumping clock never
/// silences asking for longer than the period itself.
fn quiet_until(decided_at_ms: Option<i64>, now_ms: i64, reprompt_after_ms: u64) -> Option<i64> {
    let decided = decided_at_ms?.min(now_ms);
    let until = decided.saturating_add(i64::try_from(reprompt_after_ms).unwrap_or(i64::MAX));
    (reprompt_after_ms > 0 && now_ms < until).then_some(until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quiet_period_runs_from_the_no_and_a_clock_set_back_cannot_stretch_it() {
        assert_eq!(quiet_until(Some(1_000), 1_500, 1_000), Some(2_000));
        assert_eq!(quiet_until(Some(1_000), 2_000, 1_000), None);
        assert_eq!(quiet_until(Some(1_000), 1_500, 0), None, "0 turns it off");
        assert_eq!(quiet_until(None, 1_500, 1_000), None);
        assert_eq!(
            quiet_until(Some(9_000_000), 1_500, 1_000),
            Some(2_500),
            "a no from the future counts from now"
        );
    }
}
