//! The audit log as apps, exports and the CLI see it: `AuditEntry`, one flat record per log record, and the `AuditFilter` that narrows a query.

use serde::Serialize;

use crate::age::AgeSignal;
use crate::entry::Entry;
use crate::kinds::{AuditKind, DerivedFile, RecoveryNotice, RefusalReason, SessionEndReason};
use crate::log::Record;
use crate::model::{Actor, Feature, GrantScope, OsPermission};
use crate::sdk::SdkBlock;

/// One record of the audit log. Fields that do not apply to its kind are empty (and left out
/// of its JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct AuditEntry {
    /// Position in the chain, from 1, gap-free; the only order of the log.
    pub seq: u64,
    /// Wall-clock time when appended (Unix milliseconds, as observed: may jump).
    pub time_ms: i64,
    /// What happened.
    pub kind: AuditKind,
    /// The feature concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<Feature>,
    /// The purpose of a use (or of a refused use, when it was a declared one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The purposes a grant covers, or a policy declares.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
    /// Who decided, for decisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// Scope of a grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<GrantScope>,
    /// What the OS says, for `OsPermissionChanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_permission: Option<OsPermission>,
    /// The app's new state, for `ForegroundChanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreground: Option<bool>,
    /// Terms revision in force for the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_revision: Option<u32>,
    /// The session (the `seq` of its `SessionBegan`), for session records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<u64>,
    /// Time in use, for `SessionEnded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Why a session ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<SessionEndReason>,
    /// Why a use was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<RefusalReason>,
    /// For a chain's first record: the chain's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<u64>,
    /// For a `Recovered` record: what was wrong with the previous chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoveryNotice>,
    /// For `DerivedFileRebuilt`: which file, and (in `problem`) what was wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuilt: Option<DerivedFile>,
    /// What was wrong, for `DerivedFileRebuilt` and `StorageFailed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// For `Sealed`: the epoch whose key made the seal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal_epoch: Option<u64>,
    /// The privacy policy's revision, for `PolicyAgreed`, `PolicyDeclined` and
    /// `AppTermsApplied` (none there: no agreement asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_revision: Option<u32>,
    /// The SDK, for `SdkStarted` and `SdkRefused` (none for an undeclared one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<String>,
    /// Why an SDK's start was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_block: Option<SdkBlock>,
    /// For `AppTermsApplied`: the declared SDKs' ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sdks: Vec<String>,
    /// For `AgeSignalSet`: the range reported, and its source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<AgeSignal>,
    /// For `ReconsentRequired` and `PolicyReconsentRequired`: what widened past the terms
    /// the person agreed to (`revision 1->2`, `only_during camera dropped`, `sdk tracker
    /// added`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    /// For `Pruned`: the last record removed (the checkpoint the log now starts after).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pruned_through: Option<u64>,
    /// For `Pruned`: how many records were removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pruned_records: Option<u64>,
    /// Hex SHA-256 of the previous record.
    pub prev_hash: String,
    /// Hex SHA-256 of this record.
    pub hash: String,
}

impl AuditEntry {
    pub(crate) fn from_record(record: &Record) -> AuditEntry {
        let entry = &record.entry;
        let mut out = AuditEntry {
            seq: record.seq,
            time_ms: record.time_ms,
            kind: entry.kind(),
            feature: entry.feature(),
            purpose: None,
            purposes: Vec::new(),
            actor: None,
            scope: None,
            os_permission: None,
            foreground: None,
            terms_revision: None,
            session_id: None,
            duration_ms: None,
            end_reason: None,
            refusal: None,
            chain: None,
            recovery: None,
            rebuilt: None,
            problem: None,
            seal_epoch: None,
            policy_revision: None,
            sdk: None,
            sdk_block: None,
            sdks: Vec::new(),
            age: None,
            changes: Vec::new(),
            pruned_through: None,
            pruned_records: None,
            prev_hash: hex::encode(record.prev_hash),
            hash: hex::encode(record.hash),
        };
        match entry {
            Entry::ChainStarted(g) | Entry::Erased(g) | Entry::Recovered(g) => {
                out.chain = Some(g.chain);
                out.recovery = g.recovery.clone();
            }
            Entry::Granted {
                actor,
                scope,
                terms_revision,
                purposes,
                ..
            } => {
                out.actor = Some(*actor);
                out.scope = Some(*scope);
                out.terms_revision = Some(*terms_revision);
                out.purposes = purposes.clone();
            }
            Entry::Denied {
                actor,
                terms_revision,
                ..
            }
            | Entry::Revoked {
                actor,
                terms_revision,
                ..
            } => {
                out.actor = Some(*actor);
                out.terms_revision = Some(*terms_revision);
            }
            Entry::ReconsentRequired {
                terms_revision,
                widened,
                ..
            } => {
                out.terms_revision = Some(*terms_revision);
                out.changes = widened.iter().map(|w| w.describe()).collect();
            }
            Entry::UnvouchedRecords {
                from_seq,
                through_seq,
            } => {
                out.problem = Some(format!(
                    "records {from_seq}-{through_seq} were found unsealed on open: no seal vouches for them"
                ));
            }
            Entry::PolicyReconsentRequired { revision, widened } => {
                out.policy_revision = Some(*revision);
                out.changes = widened.iter().map(|w| w.describe()).collect();
            }
            Entry::GrantConsumed { .. } | Entry::GrantLapsed { .. } => {}
            Entry::SessionBegan {
                purpose,
                terms_revision,
                ..
            } => {
                out.purpose = Some(purpose.clone());
                out.terms_revision = Some(*terms_revision);
                out.session_id = Some(record.seq);
            }
            Entry::SessionEnded {
                session,
                reason,
                duration_ms,
                ..
            } => {
                out.session_id = Some(*session);
                out.end_reason = Some(*reason);
                out.duration_ms = Some(*duration_ms);
            }
            Entry::SessionRefused {
                purpose, reason, ..
            } => {
                out.purpose = purpose.clone();
                out.refusal = Some(*reason);
            }
            Entry::OsPermissionChanged { permission, .. } => out.os_permission = Some(*permission),
            Entry::ForegroundChanged { foreground } => out.foreground = Some(*foreground),
            Entry::PolicyApplied { terms, .. } => {
                out.purposes = terms.purposes.clone();
                out.terms_revision = Some(terms.terms_revision);
            }
            Entry::DerivedFileRebuilt { file, problem } => {
                out.rebuilt = Some(*file);
                out.problem = Some(problem.clone());
            }
            Entry::StorageFailed { problem } => out.problem = Some(problem.clone()),
            Entry::Sealed { epoch, .. } => out.seal_epoch = Some(*epoch),
            Entry::PolicyAgreed { revision, actor } | Entry::PolicyDeclined { revision, actor } => {
                out.policy_revision = Some(*revision);
                out.actor = Some(*actor);
            }
            Entry::AppTermsApplied { terms, loosened } => {
                out.changes = loosened.iter().map(|w| w.describe()).collect();
                out.policy_revision = terms.policy_revision;
                out.sdks = terms.sdks.iter().map(|s| s.id.clone()).collect();
            }
            Entry::SdkStarted { sdk } => out.sdk = Some(sdk.clone()),
            Entry::SdkRefused { sdk, reason } => {
                out.sdk = sdk.clone();
                out.sdk_block = Some(*reason);
            }
            Entry::AgeSignalSet(signal) => out.age = Some(*signal),
            Entry::Pruned {
                through_seq,
                records,
                ..
            } => {
                out.pruned_through = Some(*through_seq);
                out.pruned_records = Some(*records);
            }
            Entry::TailRepaired { .. } | Entry::Checkpoint { .. } => {}
        }
        out
    }
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
    /// At most this many records, newest first (0: none).
    #[uniffi(default = None)]
    pub limit: Option<u32>,
}

impl AuditFilter {
    pub(crate) fn matches(&self, record: &Record) -> bool {
        self.feature
            .is_none_or(|f| record.entry.feature() == Some(f))
            && self.since_ms.is_none_or(|t| record.time_ms >= t)
            && self.until_ms.is_none_or(|t| record.time_ms < t)
    }
}
