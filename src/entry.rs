//! What one log record says: its kind, the fields the rules need, and the public `AuditEntry` view of it.

use serde::{Deserialize, Serialize};

use crate::model::{Actor, Feature, GrantScope, OsPermission};

/// The kind of a log record. The numeric values are the on-disk encoding: never reuse one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum AuditKind {
    /// First record of a new store's chain.
    ChainStarted = 1,
    /// A person granted a feature.
    Granted = 2,
    /// A person or the app denied a feature.
    Denied = 3,
    /// A person or the app withdrew a grant.
    Revoked = 4,
    /// The feature's terms changed since it was granted: off until asked again.
    ReconsentRequired = 5,
    /// A single-use grant was used up when its session ended.
    GrantConsumed = 6,
    /// A use session began.
    SessionBegan = 7,
    /// A use session ended (the detail says why).
    SessionEnded = 8,
    /// A use was refused (the detail says why).
    SessionRefused = 9,
    /// The app reported a new OS permission.
    OsPermissionChanged = 10,
    /// The app moved to the foreground or background (detail `foreground` / `background`).
    ForegroundChanged = 11,
    /// The app's policy for a feature (purposes, terms revision) took effect.
    PolicyApplied = 12,
    /// A record torn by a crash was cut off the end of the log on open.
    TailRepaired = 13,
    /// A checkpoint: the detail is the digest of the state at this point.
    Checkpoint = 14,
    /// First record after the user erased all data.
    Erased = 15,
    /// First record of a chain started after the previous one failed its checks.
    Recovered = 16,
}

impl AuditKind {
    /// Every kind, in code order.
    pub const ALL: [AuditKind; 16] = [
        AuditKind::ChainStarted,
        AuditKind::Granted,
        AuditKind::Denied,
        AuditKind::Revoked,
        AuditKind::ReconsentRequired,
        AuditKind::GrantConsumed,
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
    ];

    /// Decodes the on-disk byte.
    pub(crate) fn from_code(code: u8) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| *k as u8 == code)
    }

    /// Kinds that may only start a chain.
    pub(crate) fn is_genesis(self) -> bool {
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
        }
    }
}

/// Why a use session ended.
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
    /// The process ended (crash or kill) with the session open; found on the next open.
    Interrupted,
}

impl SessionEndReason {
    /// Every reason.
    pub const ALL: [SessionEndReason; 9] = [
        SessionEndReason::Ended,
        SessionEndReason::Released,
        SessionEndReason::Revoked,
        SessionEndReason::Denied,
        SessionEndReason::ReconsentRequired,
        SessionEndReason::OsPermissionDenied,
        SessionEndReason::Background,
        SessionEndReason::StoreClosed,
        SessionEndReason::Interrupted,
    ];

    /// The code stored in the record's detail.
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
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<SessionEndReason> {
        SessionEndReason::ALL
            .into_iter()
            .find(|r| r.as_str() == code)
    }
}

/// One record's content, before the log gives it a sequence number, a time and hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub kind: AuditKind,
    pub feature: Option<Feature>,
    pub purpose: Option<String>,
    pub actor: Option<Actor>,
    pub scope: Option<GrantScope>,
    pub os_permission: Option<OsPermission>,
    pub terms_revision: u32,
    /// The session a record belongs to: the sequence number of its `SessionBegan`.
    pub session_id: u64,
    /// Time in use, from the monotonic clock (on `SessionEnded`).
    pub duration_ms: u64,
    /// A short machine-readable code or note; never personal data.
    pub detail: String,
}

impl Entry {
    pub fn new(kind: AuditKind) -> Entry {
        Entry {
            kind,
            feature: None,
            purpose: None,
            actor: None,
            scope: None,
            os_permission: None,
            terms_revision: 0,
            session_id: 0,
            duration_ms: 0,
            detail: String::new(),
        }
    }

    pub fn feature(mut self, feature: Feature) -> Entry {
        self.feature = Some(feature);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Entry {
        self.detail = detail.into();
        self
    }
}

/// One record of the audit log, as apps, exports and the CLI see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct AuditEntry {
    /// Position in the chain, from 1, gap-free; the only order of the log.
    pub seq: u64,
    /// Wall-clock time when appended (Unix milliseconds, as observed: may jump).
    pub time_ms: i64,
    /// What happened.
    pub kind: AuditKind,
    /// The feature concerned, if any.
    pub feature: Option<Feature>,
    /// The purpose of a use or refusal, if any.
    pub purpose: Option<String>,
    /// Who decided, for decisions.
    pub actor: Option<Actor>,
    /// Scope of a grant.
    pub scope: Option<GrantScope>,
    /// OS permission, for `OsPermissionChanged`.
    pub os_permission: Option<OsPermission>,
    /// Terms revision in force for the record (0 when not applicable).
    pub terms_revision: u32,
    /// Session id (the `seq` of the session's `SessionBegan`), 0 when not applicable.
    pub session_id: u64,
    /// Time in use for `SessionEnded`, from the monotonic clock.
    pub duration_ms: u64,
    /// Machine-readable reason or note.
    pub detail: String,
    /// Hex SHA-256 of the previous record.
    pub prev_hash: String,
    /// Hex SHA-256 of this record.
    pub hash: String,
}

/// Which records `audit_log` returns. Every field narrows; all `None` means everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct AuditFilter {
    /// Only records about this feature.
    #[uniffi(default = None)]
    pub feature: Option<Feature>,
    /// Only records at or after this time (Unix ms).
    #[uniffi(default = None)]
    pub since_ms: Option<i64>,
    /// Only records before this time (Unix ms).
    #[uniffi(default = None)]
    pub until_ms: Option<i64>,
    /// At most this many records, newest first.
    #[uniffi(default = None)]
    pub limit: Option<u32>,
}

impl AuditFilter {
    pub(crate) fn matches(&self, entry: &AuditEntry) -> bool {
        self.feature.is_none_or(|f| entry.feature == Some(f))
            && self.since_ms.is_none_or(|t| entry.time_ms >= t)
            && self.until_ms.is_none_or(|t| entry.time_ms < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_end_reasons_round_trip_through_their_codes() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::from_code(kind as u8), Some(kind));
        }
        assert_eq!(AuditKind::from_code(0), None);
        for reason in SessionEndReason::ALL {
            assert_eq!(SessionEndReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(SessionEndReason::parse("other"), None);
    }
}
