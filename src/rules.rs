//! The consent rules as a pure state machine: each verb decides the records to append, and `apply` folds a record into state. No I/O, no clock.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::entry::{AuditKind, Entry, SessionEndReason};
use crate::model::{
    is_valid_purpose, Actor, ConsentStatus, Feature, FeaturePolicy, FeatureState, GrantScope,
    OsPermission,
};

/// Why `begin_use` said no. Each is logged as a `SessionRefused` record with [`Refusal::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    ConsentRequired,
    Denied,
    NeedsReconsent,
    OsPermissionDenied,
    UnknownPurpose,
    InvalidPurpose,
    InBackground,
    SingleUseInProgress,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::ConsentRequired => "consent_required",
            Refusal::Denied => "denied",
            Refusal::NeedsReconsent => "needs_reconsent",
            Refusal::OsPermissionDenied => "os_permission_denied",
            Refusal::UnknownPurpose => "unknown_purpose",
            Refusal::InvalidPurpose => "invalid_purpose",
            Refusal::InBackground => "in_background",
            Refusal::SingleUseInProgress => "single_use_in_progress",
        }
    }
}

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
    pub os_permission: OsPermission,
}

impl FeatureRecord {
    fn not_asked() -> FeatureRecord {
        FeatureRecord {
            status: ConsentStatus::NotAsked,
            scope: None,
            actor: None,
            decided_at_ms: None,
            decision_seq: 0,
            terms_revision: 0,
            os_permission: OsPermission::Unknown,
        }
    }
}

/// A use session that is open right now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OpenSession {
    pub id: u64,
    pub feature: Feature,
    pub purpose: String,
    /// Monotonic start, for durations; unknown for sessions found in the log on open.
    #[serde(skip)]
    pub began_mono_ms: Option<u64>,
}

/// Why the chain was restarted, kept until the user erases everything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct RecoveryNotice {
    /// When the damage was found (Unix ms).
    pub found_at_ms: i64,
    /// First sequence number of the damaged chain that failed its checks.
    pub first_bad_seq: u64,
    /// What was wrong.
    pub problem: String,
    /// Where the damaged files were kept aside, relative to the store directory.
    pub quarantined_as: String,
}

/// Everything the rules know. Serialised into snapshots; its digest is stored in checkpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    pub app_id: String,
    pub chain_started_ms: i64,
    pub policies: Vec<FeaturePolicy>,
    pub features: Vec<FeatureRecord>,
    pub foreground: bool,
    pub sessions: Vec<OpenSession>,
    pub recovery: Option<RecoveryNotice>,
}

impl State {
    /// The state before a chain's first record: everything off, built-in policies.
    pub fn new(app_id: &str) -> State {
        State {
            app_id: app_id.to_string(),
            chain_started_ms: 0,
            policies: Feature::ALL
                .into_iter()
                .map(FeaturePolicy::default_for)
                .collect(),
            features: Feature::ALL
                .iter()
                .map(|_| FeatureRecord::not_asked())
                .collect(),
            foreground: true,
            sessions: Vec::new(),
            recovery: None,
        }
    }

    pub fn record(&self, feature: Feature) -> &FeatureRecord {
        &self.features[feature.index()]
    }

    pub fn policy(&self, feature: Feature) -> &FeaturePolicy {
        &self.policies[feature.index()]
    }

    pub fn sessions_of(&self, feature: Feature) -> impl Iterator<Item = &OpenSession> {
        self.sessions.iter().filter(move |s| s.feature == feature)
    }

    /// Rule 2: a feature is usable only inside an open session, with consent and no OS denial.
    pub fn is_allowed(&self, feature: Feature) -> bool {
        let record = self.record(feature);
        record.status == ConsentStatus::Granted
            && record.os_permission != OsPermission::Denied
            && self.sessions_of(feature).next().is_some()
    }

    pub fn feature_state(&self, feature: Feature) -> FeatureState {
        let record = self.record(feature);
        let policy = self.policy(feature);
        FeatureState {
            feature,
            status: record.status,
            scope: record.scope,
            decided_by: record.actor,
            decided_at_ms: record.decided_at_ms,
            decided_terms_revision: record.terms_revision,
            terms_revision: policy.terms_revision,
            purposes: policy.purposes.clone(),
            os_permission: record.os_permission,
            active_sessions: self.sessions_of(feature).count() as u32,
            allowed: self.is_allowed(feature),
        }
    }

    /// Hex SHA-256 of the canonical serialisation; checkpoints carry it.
    pub fn digest(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("state serialises");
        hex::encode(Sha256::digest(bytes))
    }

    // ---- decisions: each returns the records to append, or why not ----

    /// Only a person can open a door (rule 1).
    pub fn decide_grant(
        &self,
        feature: Feature,
        scope: GrantScope,
        actor: Actor,
    ) -> Result<Vec<Entry>, GrantRefused> {
        if actor == Actor::App {
            return Err(GrantRefused);
        }
        let mut entry = Entry::new(AuditKind::Granted).feature(feature);
        entry.actor = Some(actor);
        entry.scope = Some(scope);
        entry.terms_revision = self.policy(feature).terms_revision;
        Ok(vec![entry])
    }

    /// Deny or revoke: the decision, then the end of every open session of the feature (rule 3).
    pub fn decide_close(
        &self,
        feature: Feature,
        actor: Actor,
        kind: AuditKind,
        now_mono_ms: Option<u64>,
    ) -> Vec<Entry> {
        let mut entry = Entry::new(kind).feature(feature);
        entry.actor = Some(actor);
        entry.terms_revision = self.policy(feature).terms_revision;
        let reason = if kind == AuditKind::Denied {
            SessionEndReason::Denied
        } else {
            SessionEndReason::Revoked
        };
        let mut entries = vec![entry];
        entries.extend(self.end_sessions(|s| s.feature == feature, reason, now_mono_ms));
        entries
    }

    /// Rules 2, 4, 5 and 7 at the moment of use.
    pub fn decide_begin_use(&self, feature: Feature, purpose: &str) -> Result<Entry, Refusal> {
        let policy = self.policy(feature);
        let record = self.record(feature);
        let refusal = if !is_valid_purpose(purpose) {
            Some(Refusal::InvalidPurpose)
        } else if !policy.purposes.iter().any(|p| p == purpose) {
            Some(Refusal::UnknownPurpose)
        } else {
            match record.status {
                ConsentStatus::NotAsked => Some(Refusal::ConsentRequired),
                ConsentStatus::Denied => Some(Refusal::Denied),
                ConsentStatus::NeedsReconsent => Some(Refusal::NeedsReconsent),
                ConsentStatus::Granted if record.os_permission == OsPermission::Denied => {
                    Some(Refusal::OsPermissionDenied)
                }
                ConsentStatus::Granted if !self.foreground && feature.ends_in_background() => {
                    Some(Refusal::InBackground)
                }
                ConsentStatus::Granted
                    if record.scope == Some(GrantScope::Once)
                        && self.sessions_of(feature).next().is_some() =>
                {
                    Some(Refusal::SingleUseInProgress)
                }
                ConsentStatus::Granted => None,
            }
        };
        match refusal {
            None => {
                let mut entry = Entry::new(AuditKind::SessionBegan).feature(feature);
                entry.purpose = Some(purpose.to_string());
                entry.terms_revision = policy.terms_revision;
                Ok(entry)
            }
            Some(refusal) => Err(refusal),
        }
    }

    /// The record of a refusal. A malformed purpose is not logged: it could be anything.
    pub fn refusal_entry(&self, feature: Feature, purpose: &str, refusal: Refusal) -> Entry {
        let mut entry = Entry::new(AuditKind::SessionRefused)
            .feature(feature)
            .detail(refusal.code());
        if refusal != Refusal::InvalidPurpose {
            entry.purpose = Some(purpose.to_string());
        }
        entry.terms_revision = self.policy(feature).terms_revision;
        entry
    }

    /// Ends one session (idempotent: nothing when it is not open).
    pub fn decide_end(
        &self,
        session_id: u64,
        reason: SessionEndReason,
        now_mono_ms: Option<u64>,
    ) -> Vec<Entry> {
        self.end_sessions(|s| s.id == session_id, reason, now_mono_ms)
    }

    pub fn decide_os_permission(
        &self,
        feature: Feature,
        permission: OsPermission,
        now_mono_ms: Option<u64>,
    ) -> Vec<Entry> {
        if self.record(feature).os_permission == permission {
            return Vec::new();
        }
        let mut entry = Entry::new(AuditKind::OsPermissionChanged).feature(feature);
        entry.os_permission = Some(permission);
        let mut entries = vec![entry];
        if permission == OsPermission::Denied {
            entries.extend(self.end_sessions(
                |s| s.feature == feature,
                SessionEndReason::OsPermissionDenied,
                now_mono_ms,
            ));
        }
        entries
    }

    pub fn decide_foreground(&self, foreground: bool, now_mono_ms: Option<u64>) -> Vec<Entry> {
        if self.foreground == foreground {
            return Vec::new();
        }
        let label = if foreground {
            "foreground"
        } else {
            "background"
        };
        let mut entries = vec![Entry::new(AuditKind::ForegroundChanged).detail(label)];
        if !foreground {
            entries.extend(self.end_sessions(
                |s| s.feature.ends_in_background(),
                SessionEndReason::Background,
                now_mono_ms,
            ));
        }
        entries
    }

    /// Rule 5 on open: apply the app's policies; grants under other terms need asking again.
    pub fn decide_policies(&self, policies: &[FeaturePolicy]) -> Vec<Entry> {
        let mut entries = Vec::new();
        for policy in policies {
            let feature = policy.feature;
            if self.policy(feature) == policy {
                continue;
            }
            let mut applied = Entry::new(AuditKind::PolicyApplied)
                .feature(feature)
                .detail(policy.purposes.join(","));
            applied.terms_revision = policy.terms_revision;
            entries.push(applied);
            let record = self.record(feature);
            if record.status == ConsentStatus::Granted
                && record.terms_revision != policy.terms_revision
            {
                let mut reset = Entry::new(AuditKind::ReconsentRequired)
                    .feature(feature)
                    .detail(format!(
                        "granted under revision {}, terms now at {}",
                        record.terms_revision, policy.terms_revision
                    ));
                reset.terms_revision = policy.terms_revision;
                entries.push(reset);
                entries.extend(self.end_sessions(
                    |s| s.feature == feature,
                    SessionEndReason::ReconsentRequired,
                    None,
                ));
            }
        }
        entries
    }

    /// Ends every open session (store closing, or sessions left open by a dead process).
    pub fn decide_end_all(&self, reason: SessionEndReason, now_mono_ms: Option<u64>) -> Vec<Entry> {
        self.end_sessions(|_| true, reason, now_mono_ms)
    }

    /// `SessionEnded` for each matching session, and `GrantConsumed` where a single-use grant ends (rule 6).
    fn end_sessions(
        &self,
        matches: impl Fn(&OpenSession) -> bool,
        reason: SessionEndReason,
        now_mono_ms: Option<u64>,
    ) -> Vec<Entry> {
        let mut entries = Vec::new();
        for session in self.sessions.iter().filter(|s| matches(s)) {
            let mut ended = Entry::new(AuditKind::SessionEnded)
                .feature(session.feature)
                .detail(reason.as_str());
            ended.purpose = Some(session.purpose.clone());
            ended.session_id = session.id;
            ended.terms_revision = self.policy(session.feature).terms_revision;
            ended.duration_ms = match (now_mono_ms, session.began_mono_ms) {
                (Some(now), Some(began)) => now.saturating_sub(began),
                _ => 0,
            };
            entries.push(ended);
            // A single-use grant is used up by its session, unless the same decision takes
            // the grant away anyway (revoke, deny, new terms): that decision has the last word.
            let grant_stands = !matches!(
                reason,
                SessionEndReason::Revoked
                    | SessionEndReason::Denied
                    | SessionEndReason::ReconsentRequired
            );
            let record = self.record(session.feature);
            if grant_stands
                && record.status == ConsentStatus::Granted
                && record.scope == Some(GrantScope::Once)
            {
                entries.push(Entry::new(AuditKind::GrantConsumed).feature(session.feature));
            }
        }
        entries
    }

    // ---- the one fold from records to state ----

    /// Folds one record into the state. Live calls, replay on open and `verify()` all use this.
    pub fn apply(&mut self, seq: u64, time_ms: i64, entry: &Entry, began_mono_ms: Option<u64>) {
        let feature = entry.feature;
        match entry.kind {
            AuditKind::ChainStarted | AuditKind::Erased | AuditKind::Recovered => {
                let genesis: Genesis = serde_json::from_str(&entry.detail).unwrap_or_default();
                *self = State::new(&genesis.app_id);
                self.chain_started_ms = time_ms;
                self.recovery = genesis.recovery;
            }
            AuditKind::Granted | AuditKind::Denied | AuditKind::Revoked => {
                let Some(feature) = feature else { return };
                let record = &mut self.features[feature.index()];
                record.status = match entry.kind {
                    AuditKind::Granted => ConsentStatus::Granted,
                    _ => ConsentStatus::Denied,
                };
                record.scope = entry.scope.filter(|_| entry.kind == AuditKind::Granted);
                record.actor = entry.actor;
                record.decided_at_ms = Some(time_ms);
                record.decision_seq = seq;
                record.terms_revision = entry.terms_revision;
            }
            AuditKind::ReconsentRequired => {
                if let Some(feature) = feature {
                    self.features[feature.index()].status = ConsentStatus::NeedsReconsent;
                }
            }
            AuditKind::GrantConsumed => {
                if let Some(feature) = feature {
                    let record = &mut self.features[feature.index()];
                    record.status = ConsentStatus::NotAsked;
                    record.scope = None;
                }
            }
            AuditKind::SessionBegan => {
                if let Some(feature) = feature {
                    self.sessions.push(OpenSession {
                        id: seq,
                        feature,
                        purpose: entry.purpose.clone().unwrap_or_default(),
                        began_mono_ms,
                    });
                }
            }
            AuditKind::SessionEnded => self.sessions.retain(|s| s.id != entry.session_id),
            AuditKind::OsPermissionChanged => {
                if let (Some(feature), Some(permission)) = (feature, entry.os_permission) {
                    self.features[feature.index()].os_permission = permission;
                }
            }
            AuditKind::ForegroundChanged => self.foreground = entry.detail == "foreground",
            AuditKind::PolicyApplied => {
                if let Some(feature) = feature {
                    self.policies[feature.index()] = FeaturePolicy {
                        feature,
                        purposes: entry
                            .detail
                            .split(',')
                            .filter(|p| !p.is_empty())
                            .map(str::to_string)
                            .collect(),
                        terms_revision: entry.terms_revision,
                    };
                }
            }
            AuditKind::SessionRefused | AuditKind::TailRepaired | AuditKind::Checkpoint => {}
        }
    }
}

/// The detail of a chain's first record: whose store it is, and why the chain was restarted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Genesis {
    pub app_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoveryNotice>,
}

impl Genesis {
    pub fn entry(self, kind: AuditKind) -> Entry {
        Entry::new(kind).detail(serde_json::to_string(&self).expect("genesis serialises"))
    }
}

/// Only `User` and `Guardian` may grant.
#[derive(Debug)]
pub(crate) struct GrantRefused;

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(mut state: State, entries: &[Entry], seq: &mut u64, mono: u64) -> State {
        for entry in entries {
            *seq += 1;
            state.apply(*seq, 1_000, entry, Some(mono));
        }
        state
    }

    fn granted(feature: Feature, scope: GrantScope) -> (State, u64) {
        let state = State::new("com.example.camera");
        let mut seq = 0;
        let grant = state.decide_grant(feature, scope, Actor::User).unwrap();
        (applied(state, &grant, &mut seq, 0), seq)
    }

    #[test]
    fn every_feature_starts_not_asked_and_off() {
        let state = State::new("a");
        for feature in Feature::ALL {
            let s = state.feature_state(feature);
            assert_eq!(s.status, ConsentStatus::NotAsked);
            assert!(!s.allowed);
        }
    }

    #[test]
    fn the_app_can_never_grant() {
        let state = State::new("a");
        assert!(state
            .decide_grant(Feature::Camera, GrantScope::UntilRevoked, Actor::App)
            .is_err());
        assert!(state
            .decide_grant(Feature::Camera, GrantScope::UntilRevoked, Actor::Guardian)
            .is_ok());
    }

    #[test]
    fn consent_alone_does_not_allow_use_a_session_does() {
        let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
        assert!(!state.is_allowed(Feature::Camera));
        let began = state
            .decide_begin_use(Feature::Camera, "shoot_photo")
            .unwrap();
        let state = applied(state, &[began], &mut seq, 10);
        assert!(state.is_allowed(Feature::Camera));
        assert!(!state.is_allowed(Feature::Microphone));
    }

    #[test]
    fn refusals_say_why_in_rule_order() {
        let state = State::new("a");
        let refuse = |s: &State, f, p| s.decide_begin_use(f, p).unwrap_err();
        assert_eq!(
            refuse(&state, Feature::Camera, "Bad Purpose"),
            Refusal::InvalidPurpose
        );
        assert_eq!(
            refuse(&state, Feature::Camera, "login"),
            Refusal::UnknownPurpose
        );
        assert_eq!(
            refuse(&state, Feature::Camera, "shoot_photo"),
            Refusal::ConsentRequired
        );
        let (mut state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
        let os = state.decide_os_permission(Feature::Camera, OsPermission::Denied, None);
        state = applied(state, &os, &mut seq, 0);
        assert_eq!(
            refuse(&state, Feature::Camera, "shoot_photo"),
            Refusal::OsPermissionDenied
        );
    }

    #[test]
    fn revoking_ends_open_sessions_of_that_feature_only() {
        let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
        let state = applied(
            state.clone(),
            &state
                .decide_grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User)
                .unwrap(),
            &mut seq,
            0,
        );
        let cam = state
            .decide_begin_use(Feature::Camera, "record_video")
            .unwrap();
        let state = applied(state, &[cam], &mut seq, 0);
        let mic = state
            .decide_begin_use(Feature::Microphone, "record_video")
            .unwrap();
        let state = applied(state, &[mic], &mut seq, 0);
        let revoke = state.decide_close(Feature::Camera, Actor::User, AuditKind::Revoked, Some(9));
        assert_eq!(revoke.len(), 2);
        assert_eq!(revoke[1].detail, "revoked");
        let state = applied(state, &revoke, &mut seq, 0);
        assert!(!state.is_allowed(Feature::Camera));
        assert!(state.is_allowed(Feature::Microphone));
        assert_eq!(state.record(Feature::Camera).status, ConsentStatus::Denied);
    }

    #[test]
    fn a_single_use_grant_is_consumed_when_its_session_ends() {
        let (state, mut seq) = granted(Feature::Clipboard, GrantScope::Once);
        let began = state
            .decide_begin_use(Feature::Clipboard, "share_code")
            .unwrap();
        let state = applied(state, &[began], &mut seq, 5);
        assert_eq!(
            state
                .decide_begin_use(Feature::Clipboard, "share_code")
                .unwrap_err(),
            Refusal::SingleUseInProgress
        );
        let end = state.decide_end(seq, SessionEndReason::Ended, Some(30));
        assert_eq!(end[0].duration_ms, 25);
        assert_eq!(end[1].kind, AuditKind::GrantConsumed);
        let state = applied(state, &end, &mut seq, 30);
        assert_eq!(
            state.record(Feature::Clipboard).status,
            ConsentStatus::NotAsked
        );
    }

    #[test]
    fn revoking_a_single_use_grant_in_use_leaves_it_denied_not_consumed() {
        let (state, mut seq) = granted(Feature::Clipboard, GrantScope::Once);
        let began = state
            .decide_begin_use(Feature::Clipboard, "share_code")
            .unwrap();
        let state = applied(state, &[began], &mut seq, 5);
        let revoke = state.decide_close(Feature::Clipboard, Actor::User, AuditKind::Revoked, None);
        assert!(revoke.iter().all(|e| e.kind != AuditKind::GrantConsumed));
        let state = applied(state, &revoke, &mut seq, 6);
        assert_eq!(
            state.record(Feature::Clipboard).status,
            ConsentStatus::Denied
        );
    }

    #[test]
    fn background_ends_camera_but_not_photo_library_sessions() {
        let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
        let grant = state
            .decide_grant(Feature::PhotoLibrary, GrantScope::UntilRevoked, Actor::User)
            .unwrap();
        let state = applied(state, &grant, &mut seq, 0);
        let cam = state
            .decide_begin_use(Feature::Camera, "shoot_photo")
            .unwrap();
        let state = applied(state, &[cam], &mut seq, 0);
        let lib = state
            .decide_begin_use(Feature::PhotoLibrary, "save_media")
            .unwrap();
        let state = applied(state, &[lib], &mut seq, 0);
        let bg = state.decide_foreground(false, Some(1));
        let state = applied(state, &bg, &mut seq, 1);
        assert!(!state.is_allowed(Feature::Camera));
        assert!(state.is_allowed(Feature::PhotoLibrary));
        assert_eq!(
            state
                .decide_begin_use(Feature::Camera, "shoot_photo")
                .unwrap_err(),
            Refusal::InBackground
        );
    }

    #[test]
    fn a_terms_change_asks_again_only_for_that_feature() {
        let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
        let grant = state
            .decide_grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User)
            .unwrap();
        let state = applied(state, &grant, &mut seq, 0);
        let mut camera = FeaturePolicy::default_for(Feature::Camera);
        camera.terms_revision = 2;
        let entries =
            state.decide_policies(&[camera, FeaturePolicy::default_for(Feature::Microphone)]);
        let state = applied(state, &entries, &mut seq, 0);
        assert_eq!(
            state.record(Feature::Camera).status,
            ConsentStatus::NeedsReconsent
        );
        assert_eq!(
            state.record(Feature::Microphone).status,
            ConsentStatus::Granted
        );
        assert_eq!(state.policy(Feature::Camera).terms_revision, 2);
    }

    #[test]
    fn digest_changes_with_state() {
        let (state, _) = granted(Feature::Camera, GrantScope::UntilRevoked);
        assert_ne!(state.digest(), State::new("com.example.camera").digest());
    }
}
