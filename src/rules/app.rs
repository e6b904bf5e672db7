//! The app-wide rules: agreement to the privacy policy and basic mode (rule 5), the age signal, the third-party SDK gate (rule 10) and the ad signals derived from them.
//!
//! Over 400 lines: four app-wide rules whose conditions meet (the policy, the age signal, the SDK gate, the ad signals) kept side by side, each verb a short function.

use super::state::{OpenSession, State};
use super::{Decision, Now, Refusal};
use crate::ads::{AdInputs, AdSignals};
use crate::age::AgeSignal;
use crate::entry::Entry;
use crate::kinds::SessionEndReason;
use crate::model::{Actor, ConsentStatus, Feature};
use crate::policy::{PolicyState, PolicyStatus};
use crate::sdk::{is_valid_sdk_id, SdkBlock, SdkStatus, MAX_SDK_ID_LEN};
use crate::terms::{catalogue_widenings, AppTerms, Widening};

impl State {
    /// Where agreement to the policy stands. A decision about another revision than the
    /// current one is never carried over: an earlier agreement asks again, an earlier
    /// decline leaves the new revision unasked. An agreement covers the catalogue it was
    /// given to (I3): a wider one under the same revision asks again.
    pub fn policy_status(&self) -> PolicyStatus {
        let Some(current) = self.app.policy_revision else {
            return PolicyStatus::NotRequired;
        };
        match &self.policy {
            None => PolicyStatus::NotAsked,
            // A minor's own agreement does not count: a guardian's is needed.
            Some(last) if last.agreed && self.needs_guardian_for(Some(last.actor)) => {
                PolicyStatus::NeedsReconsent
            }
            Some(last) if last.agreed && self.agreement_widened().is_empty() => {
                PolicyStatus::Agreed
            }
            Some(last) if last.agreed => PolicyStatus::NeedsReconsent,
            Some(last) if last.revision == current => PolicyStatus::Declined,
            Some(_) => PolicyStatus::NotAsked,
        }
    }

    /// What the app's terms now widen against the last agreement to the policy (nothing
    /// when there is none, or no policy step).
    pub(super) fn agreement_widened(&self) -> Vec<Widening> {
        let (Some(current), Some(last)) = (self.app.policy_revision, &self.policy) else {
            return Vec::new();
        };
        if !last.agreed {
            return Vec::new();
        }
        let mut widened = Vec::new();
        if last.revision != current {
            widened.push(Widening::Revision {
                from: last.revision,
                to: current,
            });
        }
        widened.extend(catalogue_widenings(&last.sdks, &self.app.sdks));
        widened
    }

    /// Basic mode: the app asks for agreement to its policy and the current revision is not
    /// agreed to. No feature can be used or granted and no SDK may start.
    pub fn basic_mode(&self) -> bool {
        !matches!(
            self.policy_status(),
            PolicyStatus::NotRequired | PolicyStatus::Agreed
        )
    }

    pub fn policy_state(&self) -> PolicyState {
        PolicyState {
            status: self.policy_status(),
            revision: self.app.policy_revision,
            agreed_revision: self.agreed_revision,
            decided_by: self.policy.as_ref().map(|p| p.actor),
            decided_at_ms: self.policy.as_ref().map(|p| p.at_ms),
            basic_mode: self.basic_mode(),
        }
    }

    /// Whether a decision made by `actor` needs a guardian's now (rule 9): the person is a
    /// minor and it was not a guardian who decided.
    pub(super) fn needs_guardian_for(&self, actor: Option<Actor>) -> bool {
        actor != Some(Actor::Guardian) && self.is_minor()
    }

    /// Whether the person being a minor stops `session`: the grant it rests on, or the
    /// agreement to the policy, was not a guardian's.
    pub(super) fn minor_blocks(&self, session: &OpenSession) -> bool {
        let record = self.record(session.feature);
        self.is_minor()
            && (self.needs_guardian_for(record.actor)
                || self.needs_guardian_for(record.deciding_actor(&session.purpose))
                || self.basic_mode())
    }

    /// Whether a guardian's "no" for a minor (`hold`) still stands against `actor`: until a
    /// guardian decides again, or a signal of a guardian's standing (a guardian's, the OS's)
    /// arrives saying the person is an adult, which lifts every hold (I2). A change of the
    /// app's config that makes fewer people minors lifts none.
    pub(super) fn guardian_hold_stands(&self, hold: bool, actor: Actor) -> bool {
        hold && actor != Actor::Guardian
    }

    /// Whether the person counts as a minor: any part of the signalled range below the age
    /// of consent, or — with no signal — as the app's config says.
    pub fn is_minor(&self) -> bool {
        match &self.age {
            Some(signal) => signal.may_be_below(self.app.age_of_consent),
            None => self.app.unknown_age_is_minor,
        }
    }

    /// Why the SDK `id` may not start now (rule 10), in the order the reasons are checked.
    pub fn sdk_block(&self, id: &str) -> Option<SdkBlock> {
        let Some(sdk) = self.app.sdk(id) else {
            return Some(SdkBlock::UnknownSdk);
        };
        if self.basic_mode() {
            return Some(SdkBlock::PolicyNotAgreed);
        }
        let needs_personalization = sdk.requires.contains(&Feature::AdPersonalization);
        if self.is_minor() && (sdk.not_for_minors || needs_personalization) {
            return Some(SdkBlock::Minor);
        }
        sdk.requires
            .iter()
            .find(|&&feature| !self.consented(feature))
            .map(|&feature| SdkBlock::FeatureNotGranted { feature })
    }

    /// Consent is granted, counts (given by someone with standing: a minor's own grant does
    /// not), and the OS does not deny it: what an SDK needs of a feature, and the
    /// ad-personalisation choice (the OS side of which is App Tracking Transparency).
    fn consented(&self, feature: Feature) -> bool {
        let record = self.record(feature);
        record.status == ConsentStatus::Granted
            && self.grant_not_counting(feature).is_none()
            && !record.os_permission.is_denied()
    }

    /// The SDK's status; `healthy` is false when the store cannot record a start.
    pub fn sdk_status(&self, id: &str, healthy: bool) -> SdkStatus {
        let blocked_by = match self.sdk_block(id) {
            None if !healthy => Some(SdkBlock::StoreUnavailable),
            block => block,
        };
        let starts = self.sdk_starts.iter().find(|s| s.id == id);
        SdkStatus {
            id: id.to_string(),
            may_start: blocked_by.is_none(),
            blocked_by,
            personalized_ads: self.ad_signals(healthy).personalized_ads,
            first_started_ms: starts.map(|s| s.first_ms),
            last_started_ms: starts.map(|s| s.last_ms),
        }
    }

    pub fn ad_signals(&self, healthy: bool) -> AdSignals {
        AdSignals::from_inputs(AdInputs {
            healthy,
            policy_agreed: self.policy_status() == PolicyStatus::Agreed,
            basic_mode: self.basic_mode(),
            personalization_granted: self.consented(Feature::AdPersonalization),
            minor: self.is_minor(),
        })
    }

    /// Why agreeing is refused: only a person agrees, in the app's dialog (so not from the
    /// background), and only to a policy the app asks agreement to.
    fn agreement_refusal(&self, actor: Actor) -> Option<Refusal> {
        if self.app.policy_revision.is_none() {
            return Some(Refusal::NoPolicyStep);
        }
        if actor == Actor::App {
            return Some(Refusal::AppCannotAgree);
        }
        if !self.is_foreground() {
            return Some(Refusal::PolicyInBackground);
        }
        let hold = self.policy.as_ref().is_some_and(|p| p.guardian_hold);
        (self.needs_guardian_for(Some(actor)) || self.guardian_hold_stands(hold, actor))
            .then_some(Refusal::GuardianRequired(None))
    }

    /// A person agrees to the current revision. Agreeing turns no feature on by itself.
    pub fn agree_to_policy(&self, actor: Actor) -> Decision {
        if let Some(refusal) = self.agreement_refusal(actor) {
            return Decision::refused(refusal);
        }
        match self.app.policy_revision {
            Some(revision) if self.policy_status() != PolicyStatus::Agreed => {
                Decision::records(vec![Entry::PolicyAgreed { revision, actor }])
            }
            _ => Decision::nothing(),
        }
    }

    /// A person (or the app) declines the current revision: basic mode, and every open
    /// session ends at once. Grants are kept, unusable, until the policy is agreed again.
    pub fn decline_policy(&self, actor: Actor, now: Now) -> Decision {
        let Some(revision) = self.app.policy_revision else {
            return Decision::refused(Refusal::NoPolicyStep);
        };
        if self.policy_status() == PolicyStatus::Declined {
            return Decision::nothing();
        }
        let mut entries = vec![Entry::PolicyDeclined { revision, actor }];
        entries.extend(self.end_sessions(
            |_| true,
            SessionEndReason::PolicyDeclined,
            super::decide::Ending::At(now),
        ));
        Decision::records(entries)
    }

    /// The app starts (or is about to start) the SDK `id`: recorded when it may, refused
    /// and recorded with the reason when it may not, so the log shows every start.
    pub fn sdk_started(&self, id: &str) -> Decision {
        let Some(block) = self.sdk_block(id) else {
            return Decision::records(vec![Entry::SdkStarted {
                sdk: id.to_string(),
            }]);
        };
        // An undeclared id is the app's own text: it is returned, never written.
        let declared = block != SdkBlock::UnknownSdk;
        Decision {
            entries: vec![Entry::SdkRefused {
                sdk: declared.then(|| id.to_string()),
                reason: block,
            }],
            outcome: Err(Refusal::Sdk {
                sdk: id.chars().take(MAX_SDK_ID_LEN).collect(),
                block,
            }),
            foreground: None,
        }
    }

    /// The app reports how old the person is, as a range and its source. A signal from a
    /// source of equal or higher standing than the one in force replaces it; a weaker one
    /// (the person's own word over a guardian's or the OS's range) is taken only when it
    /// says younger (I2). When it makes the person a minor, uses resting on consent that was
    /// not a guardian's end at once (rule 9).
    pub fn set_age_signal(&self, signal: AgeSignal, now: Now) -> Decision {
        if let Some(problem) = signal.problem() {
            return Decision::refused(Refusal::InvalidAgeSignal(problem));
        }
        if let Some(refusal) = self.age_refusal(&signal) {
            return Decision::refused(refusal);
        }
        if self.age == Some(signal) {
            return Decision::nothing();
        }
        let set = Entry::AgeSignalSet(signal);
        let mut after = self.clone();
        after.apply(0, now.wall_ms, &set, None);
        let mut entries = vec![set];
        entries.extend(self.end_sessions(
            |s| after.minor_blocks(s),
            SessionEndReason::GuardianRequired,
            super::decide::Ending::At(now),
        ));
        Decision::records(entries)
    }

    /// Why an age signal may not be taken: it comes from a weaker source than the signal
    /// standing, and does not say the person is younger than the signal in force.
    fn age_refusal(&self, signal: &AgeSignal) -> Option<Refusal> {
        let standing = self.age_standing?;
        let in_force = self.age.unwrap_or(standing);
        if signal.source.rank() >= standing.source.rank() || signal.lower < in_force.lower {
            return None;
        }
        Some(Refusal::AgeSignalOutranked(format!(
            "a {} age ({}) cannot loosen the {} one in force ({}); only a younger age is taken from it",
            signal.source.as_str(),
            signal.range_text(),
            standing.source.as_str(),
            in_force.range_text()
        )))
    }

    /// On open: the app's policy revision, SDKs and age of consent take effect. A policy
    /// revision lower than the one in force is a configuration error (so is dropping the
    /// policy step: it would lower the revision to none). When the new terms widen past an
    /// agreement that covered the old ones, the log says what widened (I3).
    pub fn apply_app_terms(&self, terms: &AppTerms) -> Decision {
        if self.app == *terms {
            return Decision::nothing();
        }
        if let Some(problem) = self.lowered_policy(terms) {
            return Decision::refused(Refusal::RevisionLowered(problem));
        }
        let applied = Entry::AppTermsApplied {
            terms: terms.clone(),
            loosened: minors_loosened(&self.app, terms),
        };
        let mut after = self.clone();
        after.apply(0, 0, &applied, None);
        let mut entries = vec![applied];
        let widened = after.agreement_widened();
        if self.agreement_widened().is_empty() && !widened.is_empty() {
            entries.push(Entry::PolicyReconsentRequired {
                revision: terms.policy_revision.unwrap_or_default(),
                widened,
            });
        }
        Decision::records(entries)
    }

    fn lowered_policy(&self, terms: &AppTerms) -> Option<String> {
        match (self.app.policy_revision, terms.policy_revision) {
            (Some(current), Some(new)) if new < current => Some(format!(
                "policy_revision {new} is lower than {current}, already in force in this store; revisions only go forward"
            )),
            (Some(current), None) => Some(format!(
                "policy_revision is unset, but this store asks for agreement to revision {current}: a config cannot drop the policy step (revisions only go forward)"
            )),
            _ => None,
        }
    }

    /// Replay's check of the app-wide records: could the live rules have written `entry` now?
    pub(super) fn check_app(&self, entry: &Entry) -> Result<(), String> {
        let (possible, what) = match entry {
            Entry::PolicyAgreed { revision, actor } => (
                self.agreement_refusal(*actor).is_none()
                    && self.app.policy_revision == Some(*revision)
                    && self.policy_status() != PolicyStatus::Agreed,
                "that agreement to the policy".to_string(),
            ),
            Entry::PolicyDeclined { revision, .. } => (
                self.app.policy_revision == Some(*revision)
                    && self.policy_status() != PolicyStatus::Declined,
                "that decline of the policy".to_string(),
            ),
            Entry::AppTermsApplied { terms, loosened } => (
                *terms != self.app
                    && app_terms_valid(terms)
                    && self.lowered_policy(terms).is_none()
                    && *loosened == minors_loosened(&self.app, terms),
                "app terms no config could declare, or no change of them".to_string(),
            ),
            Entry::SdkStarted { sdk } => {
                let block = self.sdk_block(sdk);
                (
                    block.is_none(),
                    format!(
                        "the start of an SDK that may not ({})",
                        block.map_or("", SdkBlock::as_str)
                    ),
                )
            }
            Entry::SdkRefused { sdk, reason } => {
                let theirs = match sdk {
                    Some(id) if self.app.sdk(id).is_some() => self.sdk_block(id),
                    // An undeclared id is never written; a declared one always is.
                    Some(_) => None,
                    None => Some(SdkBlock::UnknownSdk),
                };
                (
                    theirs == Some(*reason),
                    "an SDK refusal for another reason than theirs".to_string(),
                )
            }
            Entry::AgeSignalSet(signal) => (
                signal.problem().is_none()
                    && self.age != Some(*signal)
                    && self.age_refusal(signal).is_none(),
                "that age signal".to_string(),
            ),
            Entry::PolicyReconsentRequired { revision, widened } => (
                self.app.policy_revision == Some(*revision)
                    && !widened.is_empty()
                    && *widened == self.agreement_widened(),
                "a reconsent to the policy whose terms did not widen".to_string(),
            ),
            _ => (true, String::new()),
        };
        if possible {
            Ok(())
        } else {
            Err(format!("the rules never write {what}"))
        }
    }

    /// Whether a session may end because the policy was declined.
    pub(super) fn policy_declined(&self) -> bool {
        self.policy_status() == PolicyStatus::Declined
    }
}

/// How the new terms make fewer people minors: a lower age of digital consent, an unknown age
/// no longer counted as a minor's. Not a reason to ask again (the law decides who is a minor,
/// and a guardian's "no" still stands until a signal of a guardian's standing says adult), but
/// the record says so. A chain's first terms (over the built-in ones) loosen nothing.
fn minors_loosened(then: &AppTerms, now: &AppTerms) -> Vec<Widening> {
    let mut loosened = Vec::new();
    if *then == AppTerms::default() {
        return loosened;
    }
    if now.age_of_consent < then.age_of_consent {
        loosened.push(Widening::AgeOfConsentLowered {
            from: then.age_of_consent,
            to: now.age_of_consent,
        });
    }
    if then.unknown_age_is_minor && !now.unknown_age_is_minor {
        loosened.push(Widening::UnknownAgeNotMinor);
    }
    loosened
}

/// What `resolve` would accept.
fn app_terms_valid(terms: &AppTerms) -> bool {
    terms.policy_revision != Some(0)
        && (1..=crate::age::MAX_AGE).contains(&terms.age_of_consent)
        && terms.sdks.len() <= crate::sdk::MAX_SDKS
        && terms.sdks.iter().enumerate().all(|(i, sdk)| {
            is_valid_sdk_id(&sdk.id)
                && !terms.sdks[..i].iter().any(|s| s.id == sdk.id)
                && sdk
                    .requires
                    .iter()
                    .enumerate()
                    .all(|(j, f)| !sdk.requires[..j].contains(f))
        })
}
