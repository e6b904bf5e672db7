//! What one log record says, as typed fields: the record bodies the rules decide and the log encodes.

use serde::{Deserialize, Serialize};

use crate::age::AgeSignal;
use crate::model::{Actor, Feature, GrantScope, OsPermission};
use crate::sdk::SdkBlock;
use crate::terms::{AppTerms, FeatureTerms, Widening};

/// The content of one record, before the log gives it a sequence number, a time and hashes.
///
/// Encoded with postcard, which writes the variant's position: append new variants at the end
/// and never reorder or remove one, or old logs would read as other records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Entry {
    /// First record of a store's first chain.
    ChainStarted(Genesis),
    /// First record after the person erased everything.
    Erased(Genesis),
    /// First record of a chain started after the previous one failed its checks.
    Recovered(Genesis),
    Granted {
        feature: Feature,
        actor: Actor,
        scope: GrantScope,
        terms_revision: u32,
        /// The purposes the grant covers.
        purposes: Vec<String>,
    },
    Denied {
        feature: Feature,
        actor: Actor,
        terms_revision: u32,
    },
    Revoked {
        feature: Feature,
        actor: Actor,
        terms_revision: u32,
    },
    /// A grant given under narrower terms than the app now ships (I3): off until asked again.
    ReconsentRequired {
        feature: Feature,
        terms_revision: u32,
        /// What widened against the terms the grant was given under.
        widened: Vec<Widening>,
    },
    /// A single-use grant was used up when its session ended.
    GrantConsumed {
        feature: Feature,
    },
    /// A single-use grant lapsed unused: the app left the foreground or the store closed.
    GrantLapsed {
        feature: Feature,
    },
    SessionBegan {
        feature: Feature,
        purpose: String,
        terms_revision: u32,
    },
    SessionEnded {
        feature: Feature,
        /// The sequence number of the session's `SessionBegan`.
        session: u64,
        reason: SessionEndReason,
        /// Time in use: from the monotonic clock, or for an interrupted session, up to the
        /// last record its process wrote.
        duration_ms: u64,
    },
    SessionRefused {
        feature: Feature,
        /// Only a declared purpose is kept: anything else could be personal data.
        purpose: Option<String>,
        reason: RefusalReason,
    },
    OsPermissionChanged {
        feature: Feature,
        permission: OsPermission,
    },
    ForegroundChanged {
        foreground: bool,
    },
    /// The app's terms for a feature took effect.
    PolicyApplied {
        feature: Feature,
        terms: FeatureTerms,
    },
    /// A record torn by a crash was cut off the end of the log on open.
    TailRepaired {
        cut_at: u64,
        bytes_cut: u64,
    },
    /// The digest of the state at this point (a snapshot is bound to it), and the largest
    /// record time before it, which the time index relies on.
    Checkpoint {
        digest: [u8; 32],
        max_time_before: i64,
    },
    /// A derived file failed its checks on open and was rebuilt from the log.
    DerivedFileRebuilt {
        file: DerivedFile,
        problem: String,
    },
    /// The store could not reserve room or write: everything is off until it is reopened.
    StorageFailed {
        problem: String,
    },
    /// A seal over the record before it, made with the key of its epoch (the count of seals
    /// before it in the chain).
    Sealed {
        epoch: u64,
        tag: [u8; 32],
    },
    /// A person agreed to the privacy policy's revision `revision`.
    PolicyAgreed {
        revision: u32,
        actor: Actor,
    },
    /// A person (or the app) declined the privacy policy's revision `revision`: basic mode.
    PolicyDeclined {
        revision: u32,
        actor: Actor,
    },
    /// The app's terms as a whole (policy revision, SDKs, age of consent) took effect.
    AppTermsApplied {
        terms: AppTerms,
        /// Who counts as a minor changed towards fewer: the record says so.
        loosened: Vec<Widening>,
    },
    /// A declared SDK started, when it was allowed to.
    SdkStarted {
        sdk: String,
    },
    /// An SDK's start was refused. Only a declared SDK's id is written.
    SdkRefused {
        sdk: Option<String>,
        reason: SdkBlock,
    },
    /// The app reported how old the person is, as a range.
    AgeSignalSet(AgeSignal),
    /// The app's terms as a whole widened past what the person agreed to (I3): the policy
    /// must be agreed to again (basic mode until then).
    PolicyReconsentRequired {
        revision: u32,
        /// What widened against the agreement.
        widened: Vec<Widening>,
    },
    /// Records an open found that no seal covers — written by a process that ended before
    /// sealing them, or by someone without the key: the seals after this record do not vouch
    /// for them (I7).
    UnvouchedRecords {
        from_seq: u64,
        through_seq: u64,
    },
    /// Retention removed every record up to the checkpoint `through_seq` (whose hash the log's
    /// base still proves): `records` of use history. The decisions in force are in the base.
    Pruned {
        through_seq: u64,
        through_hash: [u8; 32],
        records: u64,
    },
}

/// What a chain's first record says: whose store it is, which chain of the store, and why it
/// was restarted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Genesis {
    pub app_id: String,
    /// 1 for a store's first chain; each erasure or recovery starts the next.
    pub chain: u64,
    pub recovery: Option<RecoveryNotice>,
}

impl Entry {
    pub fn kind(&self) -> AuditKind {
        match self {
            Entry::ChainStarted(_) => AuditKind::ChainStarted,
            Entry::Erased(_) => AuditKind::Erased,
            Entry::Recovered(_) => AuditKind::Recovered,
            Entry::Granted { .. } => AuditKind::Granted,
            Entry::Denied { .. } => AuditKind::Denied,
            Entry::Revoked { .. } => AuditKind::Revoked,
            Entry::ReconsentRequired { .. } => AuditKind::ReconsentRequired,
            Entry::GrantConsumed { .. } => AuditKind::GrantConsumed,
            Entry::GrantLapsed { .. } => AuditKind::GrantLapsed,
            Entry::SessionBegan { .. } => AuditKind::SessionBegan,
            Entry::SessionEnded { .. } => AuditKind::SessionEnded,
            Entry::SessionRefused { .. } => AuditKind::SessionRefused,
            Entry::OsPermissionChanged { .. } => AuditKind::OsPermissionChanged,
            Entry::ForegroundChanged { .. } => AuditKind::ForegroundChanged,
            Entry::PolicyApplied { .. } => AuditKind::PolicyApplied,
            Entry::TailRepaired { .. } => AuditKind::TailRepaired,
            Entry::Checkpoint { .. } => AuditKind::Checkpoint,
            Entry::DerivedFileRebuilt { .. } => AuditKind::DerivedFileRebuilt,
            Entry::StorageFailed { .. } => AuditKind::StorageFailed,
            Entry::Sealed { .. } => AuditKind::Sealed,
            Entry::PolicyAgreed { .. } => AuditKind::PolicyAgreed,
            Entry::PolicyDeclined { .. } => AuditKind::PolicyDeclined,
            Entry::AppTermsApplied { .. } => AuditKind::AppTermsApplied,
            Entry::SdkStarted { .. } => AuditKind::SdkStarted,
            Entry::SdkRefused { .. } => AuditKind::SdkRefused,
            Entry::AgeSignalSet(_) => AuditKind::AgeSignalSet,
            Entry::Pruned { .. } => AuditKind::Pruned,
            Entry::PolicyReconsentRequired { .. } => AuditKind::PolicyReconsentRequired,
            Entry::UnvouchedRecords { .. } => AuditKind::UnvouchedRecords,
        }
    }

    /// The genesis facts of a chain's first record.
    pub fn genesis(&self) -> Option<&Genesis> {
        match self {
            Entry::ChainStarted(g) | Entry::Erased(g) | Entry::Recovered(g) => Some(g),
            _ => None,
        }
    }

    /// Whether the record can only turn things off (or record what happened). When the disk
    /// is full, these still go into the room kept for them; nothing else is written.
    pub fn is_closing(&self) -> bool {
        match self {
            Entry::Denied { .. }
            | Entry::Revoked { .. }
            | Entry::ReconsentRequired { .. }
            | Entry::GrantConsumed { .. }
            | Entry::GrantLapsed { .. }
            | Entry::SessionEnded { .. }
            | Entry::SessionRefused { .. }
            | Entry::TailRepaired { .. }
            | Entry::DerivedFileRebuilt { .. }
            | Entry::StorageFailed { .. }
            | Entry::Sealed { .. }
            | Entry::PolicyDeclined { .. }
            | Entry::PolicyReconsentRequired { .. }
            | Entry::UnvouchedRecords { .. }
            | Entry::SdkRefused { .. } => true,
            Entry::OsPermissionChanged { permission, .. } => permission.is_denied(),
            Entry::ForegroundChanged { foreground } => !foreground,
            _ => false,
        }
    }

    /// Whether the record says "no" to something: the decisions a failed write must not lose
    /// (I4). Kept aside when the log cannot take them, and recorded at the next open.
    /// A person's decision (or the OS's), sealed as it is made with a sealer: no record of
    /// one may sit after the last seal.
    pub fn is_decision(&self) -> bool {
        matches!(
            self,
            Entry::Granted { .. }
                | Entry::Denied { .. }
                | Entry::Revoked { .. }
                | Entry::PolicyAgreed { .. }
                | Entry::PolicyDeclined { .. }
                | Entry::AgeSignalSet(_)
                | Entry::OsPermissionChanged { .. }
        )
    }

    /// A decision that may open a door: a grant, an agreement, an age signal (one may lift a
    /// guardian's hold), an OS permission given. One found where no seal covers it was
    /// written without the key, or never confirmed to the person (I7).
    pub fn may_open(&self) -> bool {
        match self {
            Entry::Granted { .. } | Entry::PolicyAgreed { .. } | Entry::AgeSignalSet(_) => true,
            Entry::OsPermissionChanged { permission, .. } => !permission.is_denied(),
            _ => false,
        }
    }

    pub fn says_no(&self) -> bool {
        match self {
            Entry::Denied { .. }
            | Entry::Revoked { .. }
            | Entry::PolicyDeclined { .. }
            | Entry::AgeSignalSet(_) => true,
            Entry::OsPermissionChanged { permission, .. } => permission.is_denied(),
            _ => false,
        }
    }

    /// The feature the record is about, if any.
    pub fn feature(&self) -> Option<Feature> {
        match self {
            Entry::Granted { feature, .. }
            | Entry::Denied { feature, .. }
            | Entry::Revoked { feature, .. }
            | Entry::ReconsentRequired { feature, .. }
            | Entry::GrantConsumed { feature }
            | Entry::GrantLapsed { feature }
            | Entry::SessionBegan { feature, .. }
            | Entry::SessionEnded { feature, .. }
            | Entry::SessionRefused { feature, .. }
            | Entry::OsPermissionChanged { feature, .. }
            | Entry::PolicyApplied { feature, .. } => Some(*feature),
            _ => None,
        }
    }
}

/// The kind of a log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// First record of a new store's chain.
    ChainStarted,
    /// A person granted a feature.
    Granted,
    /// A person or the app denied a feature.
    Denied,
    /// A person or the app withdrew a grant.
    Revoked,
    /// The feature's terms changed since it was granted: off until asked again.
    ReconsentRequired,
    /// A single-use grant was used up when its session ended.
    GrantConsumed,
    /// A single-use grant lapsed unused (the app left the foreground or the store closed).
    GrantLapsed,
    /// A use session began.
    SessionBegan,
    /// A use session ended (`end_reason` says why).
    SessionEnded,
    /// A use was refused (`refusal` says why).
    SessionRefused,
    /// The app reported a new OS permission.
    OsPermissionChanged,
    /// The app moved to the foreground or background.
    ForegroundChanged,
    /// The app's policy for a feature (purposes, terms revision) took effect.
    PolicyApplied,
    /// A record torn by a crash was cut off the end of the log on open.
    TailRepaired,
    /// A checkpoint: the digest of the state at this point.
    Checkpoint,
    /// First record after the person erased all data.
    Erased,
    /// First record of a chain started after the previous one failed its checks.
    Recovered,
    /// A derived file (snapshot or time index) failed its checks and was rebuilt from the log.
    DerivedFileRebuilt,
    /// The store could not reserve room or write, and turned every feature off until it is
    /// reopened. Written when there was room to; observers hear of it either way.
    StorageFailed,
    /// A seal over the chain up to here, with a key the platform holds.
    Sealed,
    /// A person agreed to the privacy policy (`policy_revision` says which revision).
    PolicyAgreed,
    /// The privacy policy was declined: basic mode.
    PolicyDeclined,
    /// The app's policy revision, SDK list or age of consent took effect.
    AppTermsApplied,
    /// A third-party SDK started (`sdk` says which).
    SdkStarted,
    /// A third-party SDK's start was refused (`sdk_block` says why).
    SdkRefused,
    /// The app reported the person's age range (`age`).
    AgeSignalSet,
    /// Retention removed old use history (`pruned_records` records, through `pruned_through`).
    Pruned,
    /// The app's terms widened past what the person agreed to (`changes` says how): the
    /// privacy policy must be agreed to again.
    PolicyReconsentRequired,
    /// Records an open found that no seal covers (`problem` says which): written by a
    /// process that ended before sealing them, or by someone without the key.
    UnvouchedRecords,
}

impl AuditKind {
    /// Every kind.
    pub const ALL: [AuditKind; 29] = [
        AuditKind::ChainStarted,
        AuditKind::Granted,
        AuditKind::Denied,
        AuditKind::Revoked,
        AuditKind::ReconsentRequired,
        AuditKind::GrantConsumed,
        AuditKind::GrantLapsed,
        AuditKind::SessionBegan,
        AuditKind::SessionEnded,
        AuditKind::SessionRefused,
        AuditKind::OsPermissionChanged,
        AuditKind::ForegroundChanged,
        AuditKind::PolicyApplied,
        AuditKind::TailRepaired,
        AuditKind::Checkpoint,
        AuditKind::Erased,
        AuditKind::Recovered,
        AuditKind::DerivedFileRebuilt,
        AuditKind::StorageFailed,
        AuditKind::Sealed,
        AuditKind::PolicyAgreed,
        AuditKind::PolicyDeclined,
        AuditKind::AppTermsApplied,
        AuditKind::SdkStarted,
        AuditKind::SdkRefused,
        AuditKind::AgeSignalSet,
        AuditKind::Pruned,
        AuditKind::PolicyReconsentRequired,
        AuditKind::UnvouchedRecords,
    ];

    /// Kinds that may only start a chain.
    pub fn is_genesis(self) -> bool {
        matches!(
            self,
            AuditKind::ChainStarted | AuditKind::Erased | AuditKind::Recovered
        )
    }

    /// The stable snake_case name used in exports and the CLI.
    pub fn as_str(self) -> &'static str {
        use AuditKind::*;
        match self {
            ChainStarted => "chain_started",
            Granted => "granted",
            Denied => "denied",
            Revoked => "revoked",
            ReconsentRequired => "reconsent_required",
            GrantConsumed => "grant_consumed",
            GrantLapsed => "grant_lapsed",
            SessionBegan => "session_began",
            SessionEnded => "session_ended",
            SessionRefused => "session_refused",
            OsPermissionChanged => "os_permission_changed",
            ForegroundChanged => "foreground_changed",
            PolicyApplied => "policy_applied",
            TailRepaired => "tail_repaired",
            Checkpoint => "checkpoint",
            Erased => "erased",
            Recovered => "recovered",
            DerivedFileRebuilt => "derived_file_rebuilt",
            StorageFailed => "storage_failed",
            Sealed => "sealed",
            PolicyAgreed => "policy_agreed",
            PolicyDeclined => "policy_declined",
            AppTermsApplied => "app_terms_applied",
            SdkStarted => "sdk_started",
            SdkRefused => "sdk_refused",
            AgeSignalSet => "age_signal_set",
            Pruned => "pruned",
            PolicyReconsentRequired => "policy_reconsent_required",
            UnvouchedRecords => "unvouched_records",
        }
    }
}

/// A file derived from the log: checked against it on open, rebuilt from it when it fails.
/// Stored by position: append new files at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum DerivedFile {
    /// The state at the last checkpoint.
    Snapshot,
    /// Where the checkpoints are, for reports over recent windows.
    Index,
    /// The "no"s kept beside the log after a failed write (`consent.unwritten`): when it is
    /// unreadable, what it held is assumed — every grant withdrawn, the policy declined — and
    /// the file is kept aside as `consent.unwritten.damaged`.
    Unwritten,
}

/// Why a use session ended. Stored by position: append new reasons at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum SessionEndReason {
    /// The app called `end()`.
    Ended,
    /// The session object was dropped / closed / released by the app.
    Released,
    /// Consent was revoked while in use.
    Revoked,
    /// Consent was denied while in use.
    Denied,
    /// The terms changed while in use.
    ReconsentRequired,
    /// The OS permission was denied while in use.
    OsPermissionDenied,
    /// The app went to the background.
    Background,
    /// The store was closed.
    StoreClosed,
    /// The process ended (crash or kill) with the session open; found on the next open. Its
    /// time in use runs to the last record that process wrote, never to the reopening.
    Interrupted,
    /// The person erased all data while the session was open.
    Erased,
    /// The privacy policy was declined while in use: basic mode.
    PolicyDeclined,
    /// The session of the feature this one is only used during ended (the camera stopped,
    /// so the motion sensors stop too).
    DependencyEnded,
    /// An age signal said the person is a minor, and the consent behind the session was not a
    /// guardian's.
    GuardianRequired,
}

impl SessionEndReason {
    /// Every reason.
    pub const ALL: [SessionEndReason; 13] = [
        SessionEndReason::Ended,
        SessionEndReason::Released,
        SessionEndReason::Revoked,
        SessionEndReason::Denied,
        SessionEndReason::ReconsentRequired,
        SessionEndReason::OsPermissionDenied,
        SessionEndReason::Background,
        SessionEndReason::StoreClosed,
        SessionEndReason::Interrupted,
        SessionEndReason::Erased,
        SessionEndReason::PolicyDeclined,
        SessionEndReason::DependencyEnded,
        SessionEndReason::GuardianRequired,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        use SessionEndReason::*;
        match self {
            Ended => "ended",
            Released => "released",
            Revoked => "revoked",
            Denied => "denied",
            ReconsentRequired => "reconsent_required",
            OsPermissionDenied => "os_permission_denied",
            Background => "background",
            StoreClosed => "store_closed",
            Interrupted => "interrupted",
            Erased => "erased",
            PolicyDeclined => "policy_declined",
            DependencyEnded => "dependency_ended",
            GuardianRequired => "guardian_required",
        }
    }

    /// Whether the grant that allowed the session still stands after it: not when the same
    /// decision takes the grant away (revoke, deny, new terms), which has the last word.
    pub(crate) fn grant_stands(self) -> bool {
        !matches!(
            self,
            SessionEndReason::Revoked
                | SessionEndReason::Denied
                | SessionEndReason::ReconsentRequired
        )
    }
}

/// Why a use was refused, as the log records it. Stored by position: append at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// Never asked (or a single-use grant was used up): the app's cue to ask now.
    ConsentRequired,
    /// A person (or the app) said no or withdrew consent.
    Denied,
    /// The terms changed since consent was given.
    NeedsReconsent,
    /// The OS permission is denied.
    OsPermissionDenied,
    /// A well-formed purpose the feature does not declare (its text is not logged).
    UnknownPurpose,
    /// A malformed purpose (its text is not logged).
    InvalidPurpose,
    /// The app is in the background.
    InBackground,
    /// The single-use grant is already in use.
    SingleUseInProgress,
    /// The app is in basic mode: the current privacy policy is not agreed to.
    PolicyNotAgreed,
    /// The feature is granted, but not for this purpose: ask for it on its own.
    PurposeNotGranted,
    /// The feature is only used during another feature's session, and none is open.
    OnlyDuring,
    /// The person is a minor and the grant was not a guardian's.
    GuardianRequired,
}

impl RefusalReason {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        use RefusalReason::*;
        match self {
            ConsentRequired => "consent_required",
            Denied => "denied",
            NeedsReconsent => "needs_reconsent",
            OsPermissionDenied => "os_permission_denied",
            UnknownPurpose => "unknown_purpose",
            InvalidPurpose => "invalid_purpose",
            InBackground => "in_background",
            SingleUseInProgress => "single_use_in_progress",
            PolicyNotAgreed => "policy_not_agreed",
            PurposeNotGranted => "purpose_not_granted",
            OnlyDuring => "only_during",
            GuardianRequired => "guardian_required",
        }
    }

    /// True when no person or OS said no: the feature simply needs asking.
    pub fn needs_asking(self) -> bool {
        matches!(
            self,
            RefusalReason::ConsentRequired
                | RefusalReason::NeedsReconsent
                | RefusalReason::PurposeNotGranted
        )
    }
}

/// Longest problem description kept in a recovery notice, in bytes.
pub(crate) const MAX_PROBLEM_LEN: usize = 400;

/// Why the chain was restarted, kept until the person erases everything.
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

impl RecoveryNotice {
    /// A notice whose problem text is cut to [`MAX_PROBLEM_LEN`] bytes, so it fits a record.
    pub(crate) fn new(
        found_at_ms: i64,
        first_bad_seq: u64,
        problem: &str,
        quarantined_as: String,
    ) -> RecoveryNotice {
        let mut end = problem.len().min(MAX_PROBLEM_LEN);
        while !problem.is_char_boundary(end) {
            end -= 1;
        }
        RecoveryNotice {
            found_at_ms,
            first_bad_seq,
            problem: problem[..end].to_string(),
            quarantined_as,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_name() {
        let mut names: Vec<_> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AuditKind::ALL.len());
        let mut reasons: Vec<_> = SessionEndReason::ALL.iter().map(|r| r.as_str()).collect();
        reasons.dedup();
        assert_eq!(reasons.len(), SessionEndReason::ALL.len());
    }
}
