//! The conditions the verbs decide by, and the one check replay applies to every record with them: a record the live rules could never have written at that point is damage.

use super::{Refusal, State};
use crate::entry::{Entry, RefusalReason, SessionEndReason};
use crate::model::{
    is_valid_purpose, purpose_problem, Actor, ConsentStatus, Feature, GrantScope, OsPermission,
};

/// `OsPermission::Limited` exists only for the photo library.
pub(crate) fn os_permission_refusal(feature: Feature, permission: OsPermission) -> Option<Refusal> {
    (permission == OsPermission::Limited && !feature.accepts_limited())
        .then_some(Refusal::LimitedNotApplicable(feature))
}

impl State {
    /// Why a grant is refused: only a person opens a door (rule 1), only through the app's
    /// UI, which is not on screen in the background (rule 7), and not in basic mode (rule 5).
    pub(super) fn grant_refusal(&self, feature: Feature, actor: Actor) -> Option<Refusal> {
        if actor == Actor::App {
            return Some(Refusal::AppCannotGrant);
        }
        if !self.is_foreground() {
            return Some(Refusal::GrantInBackground(feature));
        }
        if self.basic_mode() {
            return Some(Refusal::PolicyNotAgreed(feature));
        }
        self.needs_guardian_for(Some(actor))
            .then_some(Refusal::GuardianRequired(Some(feature)))
    }

    /// Granting what is already granted, the same way, for the same purposes, under the
    /// same terms.
    pub(super) fn grant_changes_nothing(
        &self,
        feature: Feature,
        scope: GrantScope,
        purposes: &[String],
    ) -> bool {
        let record = self.record(feature);
        record.status == ConsentStatus::Granted
            && record.scope == Some(scope)
            && record.terms_revision == self.terms(feature).terms_revision
            && record.purposes == purposes
    }

    /// A "no" to what is already "no" changes nothing (and the first "no" keeps its author).
    pub(super) fn denial_changes_anything(&self, feature: Feature) -> bool {
        self.record(feature).status != ConsentStatus::Denied
    }

    /// There is something to withdraw: a grant, or one waiting for reconsent.
    pub(super) fn revocation_changes_anything(&self, feature: Feature) -> bool {
        matches!(
            self.record(feature).status,
            ConsentStatus::Granted | ConsentStatus::NeedsReconsent
        )
    }

    /// A single-use grant with no session open.
    pub(super) fn has_unused_once_grant(&self, feature: Feature) -> bool {
        let record = self.record(feature);
        record.status == ConsentStatus::Granted
            && record.scope == Some(GrantScope::Once)
            && self.sessions_of(feature).next().is_none()
    }

    /// Why `begin_use` says no (rules 2, 4, 5 and 7), in the order they are checked.
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
            ConsentStatus::Granted if self.needs_guardian_for(record.actor) => {
                Some(RefusalReason::GuardianRequired)
            }
            ConsentStatus::Granted if record.os_permission.is_denied() => {
                Some(RefusalReason::OsPermissionDenied)
            }
            ConsentStatus::Granted if !self.is_foreground() && feature.ends_in_background() => {
                Some(RefusalReason::InBackground)
            }
            ConsentStatus::Granted if !record.purposes.iter().any(|p| p == purpose) => {
                Some(RefusalReason::PurposeNotGranted)
            }
            ConsentStatus::Granted
                if record.scope == Some(GrantScope::Once)
                    && self.sessions_of(feature).next().is_some() =>
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
                if let Some(refusal) = self.grant_refusal(*feature, *actor) {
                    return never(&format!("a grant they refuse ({refusal:?})"));
                }
                if self.grant_changes_nothing(*feature, *scope, purposes) {
                    return never("a grant that changes nothing");
                }
                let declared_in_order =
                    terms.in_declared_order(|p| purposes.iter().any(|c| c == p));
                if *terms_revision != terms.terms_revision
                    || purposes.is_empty()
                    || *purposes != declared_in_order
                {
                    return never("a grant under terms not in force, or for undeclared purposes");
                }
            }
            Entry::Denied {
                feature,
                terms_revision,
                ..
            } => {
                if !self.denial_changes_anything(*feature) {
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
                granted_revision,
                terms_revision,
            } => {
                let record = self.record(*feature);
                if record.status != ConsentStatus::Granted
                    || record.terms_revision != *granted_revision
                    || granted_revision == terms_revision
                {
                    return never("a reconsent for a grant that is not under other terms");
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
                if !self
                    .sessions
                    .iter()
                    .any(|s| s.id == *session && s.feature == *feature)
                {
                    return never("the end of a session that is not open");
                }
                if !self.may_end_for(*feature, *reason) {
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
                    || self.record(*feature).os_permission == *permission
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
            | Entry::AppTermsApplied(_)
            | Entry::SdkStarted { .. }
            | Entry::SdkRefused { .. }
            | Entry::AgeSignalSet(_) => self.check_app(entry)?,
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

    /// Whether a session of `feature` can end for `reason` now: a revocation ends sessions
    /// of a feature just revoked, the background those of features used only in the
    /// foreground, and so on.
    fn may_end_for(&self, feature: Feature, reason: SessionEndReason) -> bool {
        let record = self.record(feature);
        match reason {
            SessionEndReason::Revoked | SessionEndReason::Denied => {
                record.status == ConsentStatus::Denied
            }
            SessionEndReason::ReconsentRequired => record.status == ConsentStatus::NeedsReconsent,
            SessionEndReason::OsPermissionDenied => record.os_permission.is_denied(),
            SessionEndReason::Background => !self.foreground && feature.ends_in_background(),
            SessionEndReason::PolicyDeclined => self.policy_declined(),
            SessionEndReason::GuardianRequired => self.minor_blocks(feature),
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
