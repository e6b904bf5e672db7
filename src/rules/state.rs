//! What the rules know — each feature's decision, the terms in force, open sessions — and the one fold from records to that state.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::age::AgeSignal;
use crate::entry::Entry;
use crate::kinds::RecoveryNotice;
use crate::model::{Actor, ConsentStatus, Feature, FeatureState};
use crate::terms::{AppTerms, FeatureTerms, SdkTerms};

use super::feature::FeatureRecord;

/// The last decision about the privacy policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PolicyDecision {
    pub agreed: bool,
    pub revision: u32,
    pub actor: Actor,
    pub at_ms: i64,
    /// A guardian's decline for a minor: it stands as `FeatureRecord::guardian_hold` does.
    pub guardian_hold: bool,
    /// The SDK catalogue in force when the decision was made: an agreement covers the
    /// catalogue's content, not only the policy's revision (I3).
    pub sdks: Vec<SdkTerms>,
}

/// When a third-party SDK started, in this chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SdkStarts {
    pub id: String,
    pub first_ms: i64,
    pub last_ms: i64,
}

/// A use session that is open right now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OpenSession {
    pub id: u64,
    pub feature: Feature,
    pub purpose: String,
    /// Wall-clock start, as recorded.
    pub began_ms: i64,
    /// Monotonic start, for durations; unknown for sessions found in the log on open.
    #[serde(skip)]
    pub began_mono_ms: Option<u64>,
}

/// Everything the rules know. Snapshots hold it; checkpoints carry its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    pub app_id: String,
    /// Which chain of the store this is (1 for the first; each erasure or recovery adds one).
    pub chain: u64,
    pub chain_started_ms: i64,
    pub terms: Vec<FeatureTerms>,
    pub features: Vec<FeatureRecord>,
    /// Whether the app is in the foreground, as last recorded.
    pub foreground: bool,
    /// Whether it is, as the app last reported in this process: a switch that shapes no
    /// record is not written (see `set_foreground`). Not part of snapshots or digests.
    #[serde(skip)]
    pub live_foreground: Option<bool>,
    pub sessions: Vec<OpenSession>,
    pub recovery: Option<RecoveryNotice>,
    /// The policy revision, SDKs and age of consent in force.
    pub app: AppTerms,
    /// The last decision about the privacy policy.
    pub policy: Option<PolicyDecision>,
    /// The revision last agreed to (a later decline leaves it named here).
    pub agreed_revision: Option<u32>,
    /// How old the person is, when the app said: the signal in force.
    pub age: Option<AgeSignal>,
    /// The last signal from the highest-ranking source so far: a weaker source may tighten
    /// what is in force but never loosen past it (I2).
    pub age_standing: Option<AgeSignal>,
    /// Which SDKs started, and when.
    pub sdk_starts: Vec<SdkStarts>,
    /// The last record retention removed (0: none).
    pub pruned_through: u64,
    /// Records opens found that no seal covered (`UnvouchedRecords`), in the whole chain: the
    /// count outlives the records that marked them when retention cuts those off (I7).
    pub unvouched_records: u64,
}

impl State {
    /// The state before a chain's first record: everything off, built-in terms.
    pub fn new(app_id: &str) -> State {
        State {
            app_id: app_id.to_string(),
            chain: 0,
            chain_started_ms: 0,
            terms: Feature::ALL
                .into_iter()
                .map(FeatureTerms::default_for)
                .collect(),
            features: Feature::ALL
                .iter()
                .map(|_| FeatureRecord::not_asked())
                .collect(),
            // Unknown context is the restrictive one (I5): background until the app says.
            foreground: false,
            live_foreground: None,
            sessions: Vec::new(),
            recovery: None,
            app: AppTerms::default(),
            policy: None,
            agreed_revision: None,
            age: None,
            age_standing: None,
            sdk_starts: Vec::new(),
            pruned_through: 0,
            unvouched_records: 0,
        }
    }

    /// Whether the app is in the foreground now: as reported in this process, or as recorded.
    pub fn is_foreground(&self) -> bool {
        self.live_foreground.unwrap_or(self.foreground)
    }

    pub fn record(&self, feature: Feature) -> &FeatureRecord {
        &self.features[feature.index()]
    }

    pub fn terms(&self, feature: Feature) -> &FeatureTerms {
        &self.terms[feature.index()]
    }

    pub fn sessions_of(&self, feature: Feature) -> impl Iterator<Item = &OpenSession> {
        self.sessions.iter().filter(move |s| s.feature == feature)
    }

    pub fn has_session(&self, id: u64) -> bool {
        self.sessions.iter().any(|s| s.id == id)
    }

    /// Rule 2 and I1: a feature is usable only inside an open session whose purpose a grant
    /// covers, by a person with standing, with no OS denial.
    pub fn is_allowed(&self, feature: Feature) -> bool {
        self.sessions_of(feature).any(|s| self.session_counts(s))
    }

    /// Whether an open session still rests on consent that counts now.
    pub fn session_counts(&self, session: &OpenSession) -> bool {
        let record = self.record(session.feature);
        record.covers(&session.purpose)
            && !record.os_permission.is_denied()
            && !self.needs_guardian_for(record.deciding_actor(&session.purpose))
    }

    pub fn feature_state(&self, feature: Feature) -> FeatureState {
        let record = self.record(feature);
        let terms = self.terms(feature);
        FeatureState {
            feature,
            status: record.status,
            scope: record.scope,
            decided_by: record.actor,
            decided_at_ms: record.decided_at_ms,
            decided_terms_revision: record.terms_revision,
            terms_revision: terms.terms_revision,
            purposes: terms.purposes.clone(),
            granted_purposes: if record.status == ConsentStatus::Granted {
                record.purposes.clone()
            } else {
                Vec::new()
            },
            single_use_purposes: record.single_use.clone(),
            only_during: terms.only_during,
            os_permission: record.os_permission,
            active_sessions: self.sessions_of(feature).count() as u32,
            allowed: self.is_allowed(feature),
            not_in_force: self.not_in_force(feature),
        }
    }

    /// Folds one record into the state. Live calls, replay on open and `verify()` all use
    /// this. `began_mono_ms` is the monotonic time of a live `SessionBegan`.
    pub fn apply(&mut self, seq: u64, time_ms: i64, entry: &Entry, began_mono_ms: Option<u64>) {
        match entry {
            Entry::ChainStarted(genesis) | Entry::Erased(genesis) | Entry::Recovered(genesis) => {
                *self = State::new(&genesis.app_id);
                self.chain = genesis.chain;
                self.chain_started_ms = time_ms;
                self.recovery = genesis.recovery.clone();
            }
            Entry::Granted {
                feature,
                actor,
                scope,
                terms_revision,
                purposes,
            } => {
                let only_during = self.terms[feature.index()].only_during;
                self.features[feature.index()].granted(
                    (seq, time_ms),
                    *actor,
                    *scope,
                    *terms_revision,
                    purposes,
                    only_during,
                );
            }
            Entry::Denied {
                feature,
                actor,
                terms_revision,
            }
            | Entry::Revoked {
                feature,
                actor,
                terms_revision,
            } => {
                let hold = *actor == Actor::Guardian && self.is_minor();
                self.features[feature.index()].closed((seq, time_ms), *actor, *terms_revision, hold)
            }
            Entry::ReconsentRequired { feature, .. } => {
                let record = &mut self.features[feature.index()];
                record.status = ConsentStatus::NeedsReconsent;
                record.single_use.clear();
                record.single_use_actor = None;
            }
            Entry::GrantConsumed { feature } | Entry::GrantLapsed { feature } => {
                let record = &mut self.features[feature.index()];
                if record.is_standing() {
                    record.single_use.clear();
                    record.single_use_actor = None;
                } else {
                    record.reset();
                }
            }
            Entry::SessionBegan {
                feature, purpose, ..
            } => self.sessions.push(OpenSession {
                id: seq,
                feature: *feature,
                purpose: purpose.clone(),
                began_ms: time_ms,
                began_mono_ms,
            }),
            Entry::SessionEnded { session, .. } => self.sessions.retain(|s| s.id != *session),
            Entry::OsPermissionChanged {
                feature,
                permission,
            } => {
                let record = &mut self.features[feature.index()];
                if permission.is_denied() {
                    record.os_refused_at_ms = Some(time_ms);
                }
                record.os_permission = *permission;
            }
            Entry::ForegroundChanged { foreground } => self.foreground = *foreground,
            Entry::PolicyApplied { feature, terms } => self.terms[feature.index()] = terms.clone(),
            Entry::PolicyAgreed { revision, actor } | Entry::PolicyDeclined { revision, actor } => {
                let agreed = matches!(entry, Entry::PolicyAgreed { .. });
                let guardian_hold = !agreed && *actor == Actor::Guardian && self.is_minor();
                self.policy = Some(PolicyDecision {
                    agreed,
                    revision: *revision,
                    actor: *actor,
                    at_ms: time_ms,
                    guardian_hold,
                    sdks: self.app.sdks.clone(),
                });
                if agreed {
                    self.agreed_revision = Some(*revision);
                }
            }
            Entry::AppTermsApplied { terms, .. } => self.app = terms.clone(),
            Entry::SdkStarted { sdk } => match self.sdk_starts.iter_mut().find(|s| s.id == *sdk) {
                Some(starts) => starts.last_ms = time_ms,
                None => self.sdk_starts.push(SdkStarts {
                    id: sdk.clone(),
                    first_ms: time_ms,
                    last_ms: time_ms,
                }),
            },
            Entry::AgeSignalSet(signal) => {
                let outranks = self
                    .age_standing
                    .is_none_or(|standing| signal.source.rank() >= standing.source.rank());
                if outranks {
                    self.age_standing = Some(*signal);
                }
                self.age = Some(*signal);
                // A signal of a guardian's standing saying adult lifts guardians' "no"s.
                let guardian_rank = crate::age::AgeSource::Guardian.rank();
                if signal.source.rank() >= guardian_rank
                    && !signal.may_be_below(self.app.age_of_consent)
                {
                    self.features
                        .iter_mut()
                        .for_each(|r| r.guardian_hold = false);
                    if let Some(policy) = self.policy.as_mut() {
                        policy.guardian_hold = false;
                    }
                }
            }
            Entry::Pruned { through_seq, .. } => self.pruned_through = *through_seq,
            Entry::UnvouchedRecords {
                from_seq,
                through_seq,
            } => {
                let marked = through_seq.saturating_sub(*from_seq).saturating_add(1);
                self.unvouched_records = self.unvouched_records.saturating_add(marked);
            }
            Entry::SdkRefused { .. }
            | Entry::PolicyReconsentRequired { .. }
            | Entry::SessionRefused { .. }
            | Entry::TailRepaired { .. }
            | Entry::Checkpoint { .. }
            | Entry::DerivedFileRebuilt { .. }
            | Entry::StorageFailed { .. }
            | Entry::Sealed { .. } => {}
        }
    }
}

/// What snapshots and checkpoints need: a canonical encoding and its digest.
impl State {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("the state always encodes")
    }

    pub fn decode(bytes: &[u8]) -> Result<State, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("the snapshot's state is unreadable ({e})"))
    }

    /// SHA-256 of the canonical encoding.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.encode()).into()
    }
}
