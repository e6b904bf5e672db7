//! The conditions the verbs decide by, and the one check replay applies to every record with them: a record the live rules could never have written at that point is damage.

use super::state::{OpenSession, State};
use super::Refusal;
use crate::entry::Entry;
use crate::kinds::{RefusalReason, SessionEndReason};
use crate::model::{
    is_valid_purpose, purpose_problem, Actor, ConsentStatus, Feature, GrantScope, NotInForce,
    OsPermission,
};
use crate::terms::feature_widenings;

/// `OsPermission::Limited` exists only for the photo library.
pub(crate) fn os_permission_refusal(feature: Feature, permission: OsPermission) -> Option<Refusal> {
    (permission == OsPermission::Limited && !feature.accepts_limited())
        .then_some(Refusal::LimitedNotApplicable(feature))
}

impl State {
    /// Why a grant is refused: only a person opens a door (rule 1), only through the app's
    /// UI, which is not on screen in the background (rule 7), not in basic mode (rule 5), and
    /// for a minor only by a guardian (rule 9). Ad personalisation has no single use: no
    /// session bounds it (ad SDKs read the choice whenever they serve an ad).
    pub(super) fn grant_refusal(
        &self,
        feature: Feature,
        scope: GrantScope,
        actor: Actor,
    ) -> Option<Refusal> {
        if actor == Actor::App {
            return Some(Refusal::AppCannotGrant);
        }
        if scope == GrantScope::Once && !feature.has_single_use() {
            return Some(Refusal::SingleUseNotApplicable(feature));
        }
        if !self.is_foreground() {
            return Some(Refusal::GrantInBackground(feature));
        }
        if self.basic_mode() {
            return Some(Refusal::PolicyNotAgreed(feature));
        }
        let hold = self.record(feature).guardian_hold;
        (self.needs_guardian_for(Some(actor)) || self.guardian_hold_stands(hold, actor))
            .then_some(Refusal::GuardianRequired(Some(feature)))
    }

    /// The purposes a grant of `scope` for `asked` (declared ones) by `actor` records: for a
    /// single use on top of a standing grant, what the standing grant does not cover, with
    /// the single uses the same person already gave; otherwise `asked`.
    pub(super) fn granted_purposes(
        &self,
        feature: Feature,
        asked: Vec<String>,
        scope: GrantScope,
        actor: Actor,
    ) -> Vec<String> {
        let record = self.record(feature);
        if scope != GrantScope::Once || !record.is_standing() {
            return asked;
        }
        let theirs = record.single_use_actor == Some(actor);
        self.terms(feature).in_declared_order(|p| {
            (asked.iter().any(|a| a == p) || (theirs && record.single_use.iter().any(|u| u == p)))
                && !record.purposes.iter().any(|s| s == p)
        })
    }

    /// Granting what is already granted, the same way, for the same purposes, under the
    /// same terms (for a single use on top of a standing grant: the same single uses), by the
    /// same person or over a guardian's grant. A guardian's grant over the person's own is a
    /// new decision: it is what counts once the person is a minor.
    pub(super) fn grant_changes_nothing(
        &self,
        feature: Feature,
        scope: GrantScope,
        actor: Actor,
        purposes: &[String],
    ) -> bool {
        let record = self.record(feature);
        if scope == GrantScope::Once && record.is_standing() {
            return record.single_use == purposes && record.single_use_actor == Some(actor);
        }
        record.status == ConsentStatus::Granted
            && record.scope == Some(scope)
            && record.terms_revision == self.terms(feature).terms_revision
            && record.purposes == purposes
            && (record.actor == Some(actor) || record.actor == Some(Actor::Guardian))
    }

    /// Whether the OS reporting `permission` for `feature` is news. Not knowing is not: an
    /// `Unknown` never lifts a refusal the OS reported before (rule 1, I5) — only the OS
    /// saying yes does.
    pub(super) fn os_permission_changes(&self, feature: Feature, permission: OsPermission) -> bool {
        let known = self.record(feature).os_permission;
        known != permission && !(permission == OsPermission::Unknown && known.is_denied())
    }

    /// A "no" to what is already "no" changes nothing (and the first "no" keeps its author) —
    /// but a guardian's "no" over another's is a decision of its own: it is the one that
    /// stands for a minor.
    pub(super) fn denial_changes_anything(&self, feature: Feature, actor: Actor) -> bool {
        let record = self.record(feature);
        let guardian_for_a_minor = self.is_minor() && !record.guardian_hold;
        record.status != ConsentStatus::Denied
            || (actor == Actor::Guardian
                && (record.actor != Some(Actor::Guardian) || guardian_for_a_minor))
    }

    /// There is something to withdraw: a grant, or one waiting for reconsent.
    pub(super) fn revocation_changes_anything(&self, feature: Feature) -> bool {
        matches!(
            self.record(feature).status,
            ConsentStatus::Granted | ConsentStatus::NeedsReconsent
        )
    }

    /// A single-use grant (or single uses on top of a standing one) with no session
    /// resting on it.
    pub(super) fn has_unused_once_grant(&self, feature: Feature) -> bool {
        let record = self.record(feature);
        let single = record.scope == Some(GrantScope::Once) || !record.single_use.is_empty();
        record.status == ConsentStatus::Granted
            && single
            && !self
                .sessions_of(feature)
                .any(|s| record.rests_on_single_use(&s.purpose))
    }

    /// Why `begin_use` says no (rules 2, 4, 5 and 7), in the order they are checked.
    /// Why the feature's standing grant does not count now, whatever the moment of use (I1,
    /// I6): the policy is not agreed (basic mode), or it is a minor's own. `None` when it
    /// counts, or when there is no grant.
    pub fn grant_not_counting(&self, feature: Feature) -> Option<RefusalReason> {
        let record = self.record(feature);
        if record.status != ConsentStatus::Granted {
            return None;
        }
        if self.basic_mode() {
            return Some(RefusalReason::PolicyNotAgreed);
        }
        self.needs_guardian_for(record.actor)
            .then_some(RefusalReason::GuardianRequired)
    }

    /// Why a grant is not in force now: it does not count (`grant_not_counting`), or it is
    /// ad personalisation for a minor, which no grant turns on.
    pub fn not_in_force(&self, feature: Feature) -> Option<NotInForce> {
        match self.grant_not_counting(feature) {
            Some(RefusalReason::PolicyNotAgreed) => Some(NotInForce::PolicyNotAgreed),
            Some(_) => Some(NotInForce::GuardianRequired),
            None if feature == Feature::AdPersonalization
                && self.record(feature).status == ConsentStatus::Granted
                && self.is_minor() =>
            {
                Some(NotInForce::Minor)
            }
            None => None,
        }
    }

    pub(super) fn use_refusal(&self, feature: Feature, purpose: &str) -> Option<RefusalReason> {
        let record = self.record(feature);
        let terms = self.terms(feature);
        if !is_valid_purpose(purpose) {
            return Some(RefusalReason::InvalidPurpose);
        }
        if !self.terms(feature).declares(purpose) {
            return Some(RefusalReason::UnknownPurpose);
        }
        if self.basic_mode() {
            return Some(RefusalReason::PolicyNotAgreed);
        }
        match record.status {
            ConsentStatus::NotAsked => Some(RefusalReason::ConsentRequired),
            ConsentStatus::Denied => Some(RefusalReason::Denied),
            ConsentStatus::NeedsReconsent => Some(RefusalReason::NeedsReconsent),
            ConsentStatus::Granted
                if self.grant_not_counting(feature).is_some()
                    || self.needs_guardian_for(record.deciding_actor(purpose)) =>
            {
                Some(RefusalReason::GuardianRequired)
            }
            ConsentStatus::Granted if record.os_permission.is_denied() => {
                Some(RefusalReason::OsPermissionDenied)
            }
            ConsentStatus::Granted if !self.is_foreground() && feature.ends_in_background() => {
                Some(RefusalReason::InBackground)
            }
            ConsentStatus::Granted if !record.covers(purpose) => {
                Some(RefusalReason::PurposeNotGranted)
            }
            ConsentStatus::Granted
                if record.rests_on_single_use(purpose)
                    && self
                        .sessions_of(feature)
                        .any(|s| record.rests_on_single_use(&s.purpose)) =>
            {
                Some(RefusalReason::SingleUseInProgress)
            }
            ConsentStatus::Granted
                if terms
                    .only_during
                    .is_some_and(|during| self.sessions_of(during).next().is_none()) =>
            {
                Some(RefusalReason::OnlyDuring)
            }
            ConsentStatus::Granted => None,
        }
    }

    /// Why the live rules could never have written `entry` in this state, if they could not.
    /// Replay applies it to every record, so a log edited into something the rules forbid (a
    /// grant by the app, a use without consent, a session that never began) is damage, like
    /// a bad hash. The conditions are the ones the verbs decide by.
    pub fn check(&self, entry: &Entry) -> Result<(), String> {
        let never = |what: &str| Err(format!("the rules never write {what}"));
        match entry {
            Entry::Granted {
                feature,
                actor,
                scope,
                terms_revision,
                purposes,
            } => {
                let terms = self.terms(*feature);
                if let Some(refusal) = self.grant_refusal(*feature, *scope, *actor) {
                    return never(&format!("a grant they refuse ({refusal:?})"));
                }
                if purposes.is_empty()
                    || self.grant_changes_nothing(*feature, *scope, *actor, purposes)
                {
                    return never("a grant that changes nothing");
                }
                let declared_in_order =
                    terms.in_declared_order(|p| purposes.iter().any(|c| c == p));
                if *terms_revision != terms.terms_revision
                    || *purposes != declared_in_order
                    || self.granted_purposes(*feature, purposes.clone(), *scope, *actor)
                        != *purposes
                {
                    return never("a grant under terms not in force, or for undeclared purposes");
                }
            }
            Entry::Denied {
                feature,
                actor,
                terms_revision,
            } => {
                if !self.denial_changes_anything(*feature, *actor) {
                    return never("a denial of what is denied");
                }
                self.check_revision(*feature, *terms_revision)?;
            }
            Entry::Revoked {
                feature,
                terms_revision,
                ..
            } => {
                if !self.revocation_changes_anything(*feature) {
                    return never("a revocation of what was never granted");
                }
                self.check_revision(*feature, *terms_revision)?;
            }
            Entry::ReconsentRequired {
                feature,
                terms_revision,
                widened,
            } => {
                let record = self.record(*feature);
                let computed = feature_widenings(
                    record.terms_revision,
                    record.granted_only_during,
                    self.terms(*feature),
                );
                if record.status != ConsentStatus::Granted
                    || widened.is_empty()
                    || *widened != computed
                {
                    return never("a reconsent for a grant whose terms did not widen");
                }
                self.check_revision(*feature, *terms_revision)?;
            }
            Entry::GrantConsumed { feature } | Entry::GrantLapsed { feature } => {
                if !self.has_unused_once_grant(*feature) {
                    return never("the end of a single-use grant that is not one, or in use");
                }
            }
            Entry::SessionBegan {
                feature,
                purpose,
                terms_revision,
            } => {
                if let Some(reason) = self.use_refusal(*feature, purpose) {
                    return never(&format!("a use they refuse ({})", reason.as_str()));
                }
                self.check_revision(*feature, *terms_revision)?;
            }
            Entry::SessionEnded {
                feature,
                session,
                reason,
                ..
            } => {
                let Some(open) = self
                    .sessions
                    .iter()
                    .find(|s| s.id == *session && s.feature == *feature)
                else {
                    return never("the end of a session that is not open");
                };
                if !self.may_end_for(open, *reason) {
                    return never(&format!("a session ended as {}", reason.as_str()));
                }
            }
            Entry::SessionRefused {
                feature,
                purpose,
                reason,
            } => {
                let logged_reason = match purpose {
                    Some(purpose) if self.terms(*feature).declares(purpose) => {
                        self.use_refusal(*feature, purpose)
                    }
                    Some(_) => return never("an undeclared purpose in writing"),
                    None => matches!(
                        reason,
                        RefusalReason::UnknownPurpose | RefusalReason::InvalidPurpose
                    )
                    .then_some(*reason),
                };
                if logged_reason != Some(*reason) {
                    return never("a refusal for another reason than theirs");
                }
            }
            Entry::OsPermissionChanged {
                feature,
                permission,
            } => {
                if os_permission_refusal(*feature, *permission).is_some()
                    || !self.os_permission_changes(*feature, *permission)
                {
                    return never("that OS permission change");
                }
            }
            Entry::ForegroundChanged { foreground } => {
                if self.foreground == *foreground {
                    return never("a foreground change that changes nothing");
                }
            }
            Entry::PolicyApplied { feature, terms } => {
                let invalid = terms.terms_revision == 0
                    || terms.purposes.is_empty()
                    || terms.purposes.iter().any(|p| purpose_problem(p).is_some())
                    || terms
                        .purposes
                        .iter()
                        .enumerate()
                        .any(|(i, p)| terms.purposes[..i].contains(p))
                    || terms.only_during == Some(*feature)
                    || terms.terms_revision < self.terms(*feature).terms_revision;
                if invalid || self.terms(*feature) == terms {
                    return never("terms no config could declare, or no change of terms");
                }
            }
            Entry::PolicyAgreed { .. }
            | Entry::PolicyDeclined { .. }
            | Entry::AppTermsApplied { .. }
            | Entry::SdkStarted { .. }
            | Entry::SdkRefused { .. }
            | Entry::PolicyReconsentRequired { .. }
            | Entry::AgeSignalSet(_) => self.check_app(entry)?,
            Entry::UnvouchedRecords {
                from_seq,
                through_seq,
            } => {
                if from_seq > through_seq {
                    return never("an empty range of unvouched records");
                }
            }
            Entry::Pruned { through_seq, .. } => {
                if *through_seq <= self.pruned_through {
                    return never("a retention cut behind an earlier one");
                }
            }
            Entry::ChainStarted(_)
            | Entry::Erased(_)
            | Entry::Recovered(_)
            | Entry::TailRepaired { .. }
            | Entry::Checkpoint { .. }
            | Entry::DerivedFileRebuilt { .. }
            | Entry::StorageFailed { .. }
            | Entry::Sealed { .. } => {}
        }
        Ok(())
    }

    fn check_revision(&self, feature: Feature, terms_revision: u32) -> Result<(), String> {
        if self.terms(feature).terms_revision == terms_revision {
            Ok(())
        } else {
            Err("the rules never write a decision under terms not in force".into())
        }
    }

    /// Whether `session` can end for `reason` now: a revocation ends sessions of a feature
    /// just revoked, the background those of features used only in the foreground, and so on.
    fn may_end_for(&self, session: &OpenSession, reason: SessionEndReason) -> bool {
        let feature = session.feature;
        let record = self.record(feature);
        match reason {
            SessionEndReason::Revoked | SessionEndReason::Denied => {
                record.status == ConsentStatus::Denied
            }
            SessionEndReason::ReconsentRequired => record.status == ConsentStatus::NeedsReconsent,
            SessionEndReason::OsPermissionDenied => record.os_permission.is_denied(),
            SessionEndReason::Background => !self.foreground && feature.ends_in_background(),
            SessionEndReason::PolicyDeclined => self.policy_declined(),
            SessionEndReason::GuardianRequired => self.minor_blocks(session),
            SessionEndReason::DependencyEnded => self
                .terms(feature)
                .only_during
                .is_some_and(|during| self.sessions_of(during).next().is_none()),
            SessionEndReason::Ended
            | SessionEndReason::Released
            | SessionEndReason::StoreClosed
            | SessionEndReason::Interrupted
            | SessionEndReason::Erased => true,
        }
    }
}
