//! What the rules know of one feature (`FeatureRecord`): the decision last made about it, by whom and under which terms, and what it covers.

use serde::{Deserialize, Serialize};

use crate::model::{Actor, ConsentStatus, Feature, GrantScope, OsPermission};

/// The decision a person (or the app) last made about one feature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FeatureRecord {
    pub status: ConsentStatus,
    pub scope: Option<GrantScope>,
    pub actor: Option<Actor>,
    pub decided_at_ms: Option<i64>,
    /// Sequence number of the deciding record; the consent record's id in exports.
    pub decision_seq: u64,
    pub terms_revision: u32,
    /// The purposes a grant covers.
    pub purposes: Vec<String>,
    /// The feature a grant may only be used during, as its terms said when it was given: a
    /// grant covers its terms' content, not only their number (I3).
    pub granted_only_during: Option<Feature>,
    /// Purposes granted for one use on top of a standing grant (rule 6: a one-off adds a
    /// use, it never replaces the standing grant), and who granted it.
    pub single_use: Vec<String>,
    pub single_use_actor: Option<Actor>,
    pub os_permission: OsPermission,
    /// When the OS last refused: an OS refusal starts the same quiet period as a person's
    /// "no" in the app (I5).
    pub os_refused_at_ms: Option<i64>,
    /// The "no" is a guardian's, for a minor: it stands until a guardian decides again, or the
    /// person, once a signal of a guardian's standing says they are an adult (I2).
    pub guardian_hold: bool,
}

impl FeatureRecord {
    pub(super) fn not_asked() -> FeatureRecord {
        FeatureRecord {
            status: ConsentStatus::NotAsked,
            scope: None,
            actor: None,
            decided_at_ms: None,
            decision_seq: 0,
            terms_revision: 0,
            purposes: Vec::new(),
            granted_only_during: None,
            single_use: Vec::new(),
            single_use_actor: None,
            os_permission: OsPermission::Unknown,
            os_refused_at_ms: None,
            guardian_hold: false,
        }
    }

    /// Back to "never decided" (a single-use grant used up or lapsed), keeping what the OS says.
    pub(super) fn reset(&mut self) {
        *self = FeatureRecord {
            os_permission: self.os_permission,
            os_refused_at_ms: self.os_refused_at_ms,
            ..FeatureRecord::not_asked()
        };
    }

    /// A grant until revoked (which single uses may be added to).
    pub fn is_standing(&self) -> bool {
        self.status == ConsentStatus::Granted && self.scope == Some(GrantScope::UntilRevoked)
    }

    /// Whether the grant covers `purpose`, standing or for a single use.
    pub fn covers(&self, purpose: &str) -> bool {
        self.status == ConsentStatus::Granted
            && (self.purposes.iter().any(|p| p == purpose)
                || self.single_use.iter().any(|p| p == purpose))
    }

    /// Whether a use for `purpose` rests on a single-use grant (and uses it up): every use
    /// under a single-use grant, and a use under a standing one for a purpose only a single
    /// use added.
    pub fn rests_on_single_use(&self, purpose: &str) -> bool {
        self.status == ConsentStatus::Granted
            && (self.scope == Some(GrantScope::Once)
                || (!self.purposes.iter().any(|p| p == purpose)
                    && self.single_use.iter().any(|p| p == purpose)))
    }

    /// Whose decision a use for `purpose` rests on.
    pub fn deciding_actor(&self, purpose: &str) -> Option<Actor> {
        if self.scope == Some(GrantScope::UntilRevoked) && self.rests_on_single_use(purpose) {
            self.single_use_actor
        } else {
            self.actor
        }
    }

    /// A "no" (a denial, a withdrawal) by `actor`.
    pub(super) fn closed(
        &mut self,
        (seq, time_ms): (u64, i64),
        actor: Actor,
        terms_revision: u32,
        guardian_hold: bool,
    ) {
        *self = FeatureRecord {
            status: ConsentStatus::Denied,
            actor: Some(actor),
            decided_at_ms: Some(time_ms),
            decision_seq: seq,
            terms_revision,
            guardian_hold,
            os_permission: self.os_permission,
            os_refused_at_ms: self.os_refused_at_ms,
            ..FeatureRecord::not_asked()
        };
    }

    /// A grant by `actor`, record `seq` at `time_ms`. A single use on top of a standing grant
    /// is added to it; a standing grant keeps the single uses it does not cover.
    pub(super) fn granted(
        &mut self,
        (seq, time_ms): (u64, i64),
        actor: Actor,
        scope: GrantScope,
        terms_revision: u32,
        purposes: &[String],
        only_during: Option<Feature>,
    ) {
        if scope == GrantScope::Once && self.is_standing() {
            self.single_use = purposes.to_vec();
            self.single_use_actor = Some(actor);
            return;
        }
        let (pending, pending_actor) = match (self.status, self.scope) {
            (ConsentStatus::Granted, Some(GrantScope::Once)) => (&self.purposes, self.actor),
            (ConsentStatus::Granted, _) => (&self.single_use, self.single_use_actor),
            _ => (&self.single_use, None),
        };
        let kept: Vec<String> = match scope {
            GrantScope::UntilRevoked => pending
                .iter()
                .filter(|p| !purposes.contains(p))
                .cloned()
                .collect(),
            GrantScope::Once => Vec::new(),
        };
        *self = FeatureRecord {
            status: ConsentStatus::Granted,
            scope: Some(scope),
            actor: Some(actor),
            decided_at_ms: Some(time_ms),
            decision_seq: seq,
            terms_revision,
            purposes: purposes.to_vec(),
            granted_only_during: only_during,
            single_use_actor: pending_actor.filter(|_| !kept.is_empty()),
            single_use: kept,
            os_permission: self.os_permission,
            os_refused_at_ms: self.os_refused_at_ms,
            guardian_hold: false,
        };
    }
}
