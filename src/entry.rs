//! What one log record says, as typed fields: the record bodies the rules decide and the log encodes.

use serde::{Deserialize, Serialize};

use crate::age::AgeSignal;
use crate::kinds::{AuditKind, DerivedFile, RecoveryNotice, RefusalReason, SessionEndReason};
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
