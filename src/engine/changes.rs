//! What a record means to observers: the changes it makes, each carrying the state right after that record.

use crate::entry::{AuditKind, Entry};
use crate::model::Feature;
use crate::observer::ConsentChange;
use crate::rules::State;

/// The changes `entry` (just applied to `state` as record `seq`) makes, in feature order.
pub(crate) fn changes_of(state: &State, seq: u64, entry: &Entry) -> Vec<ConsentChange> {
    let kind = entry.kind();
    let change = |feature: Feature| ConsentChange {
        chain: state.chain,
        seq,
        feature,
        kind,
        end_reason: match entry {
            Entry::SessionEnded { reason, .. } => Some(*reason),
            _ => None,
        },
        state: state.feature_state(feature),
    };
    if kind.is_genesis() {
        // A new chain resets every feature.
        return Feature::ALL.into_iter().map(change).collect();
    }
    match (entry.feature(), notifies(kind)) {
        (Some(feature), true) => vec![change(feature)],
        _ => Vec::new(),
    }
}

/// Record kinds that change what a feature's state says. Refusals, foreground switches
/// (whose ended sessions have changes of their own) and bookkeeping records do not.
fn notifies(kind: AuditKind) -> bool {
    matches!(
        kind,
        AuditKind::Granted
            | AuditKind::Denied
            | AuditKind::Revoked
            | AuditKind::ReconsentRequired
            | AuditKind::GrantConsumed
            | AuditKind::GrantLapsed
            | AuditKind::SessionBegan
            | AuditKind::SessionEnded
            | AuditKind::OsPermissionChanged
            | AuditKind::PolicyApplied
    )
}
