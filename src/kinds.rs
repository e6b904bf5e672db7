//! The public vocabulary of records: `AuditKind`, `SessionEndReason`, `RefusalReason`, `DerivedFile` and `RecoveryNotice`, each with its stable name.

use serde::{Deserialize, Serialize};

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
