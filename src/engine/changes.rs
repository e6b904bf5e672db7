//! What a record means to observers: the changes it makes to features, the policy, SDK statuses and ad signals, each carrying the state right after that record.

use crate::ads::AdSignals;
use crate::entry::Entry;
use crate::kinds::AuditKind;
use crate::model::Feature;
use crate::observer::ConsentChange;
use crate::policy::PolicyState;
use crate::rules::State;
use crate::sdk::SdkStatus;

/// What observers last heard of the app-wide state: compared after each record, so a change
/// is reported whatever record caused it (a revocation that blocks an SDK, a new age signal
/// that stops personalised ads, a failed disk that stops everything).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AppView {
    policy: PolicyState,
    sdks: Vec<SdkStatus>,
    ads: AdSignals,
}

impl AppView {
    /// The app-wide state; `healthy` is false when the store cannot record or allow anything.
    pub fn of(state: &State, healthy: bool) -> AppView {
        AppView {
            policy: state.policy_state(),
            sdks: state
                .app
                .sdks
                .iter()
                .map(|sdk| state.sdk_status(&sdk.id, healthy))
                .collect(),
            ads: state.ad_signals(healthy),
        }
    }
}

/// The changes `entry` (just applied to `state` as record `seq`) makes: features first, in
/// feature order, then the policy, SDKs and ad signals that differ from `seen`, which is
/// brought up to date.
pub(crate) fn changes_of(
    state: &State,
    seq: u64,
    entry: &Entry,
    seen: &mut AppView,
    healthy: bool,
) -> Vec<ConsentChange> {
    let kind = entry.kind();
    let change = |feature: Feature| ConsentChange {
        end_reason: match entry {
            Entry::SessionEnded { reason, .. } => Some(*reason),
            _ => None,
        },
        feature: Some(feature),
        state: Some(state.feature_state(feature)),
        ..ConsentChange::new(state.chain, seq, kind)
    };
    let mut changes: Vec<ConsentChange> = if kind.is_genesis() {
        // A new chain resets every feature.
        Feature::ALL.into_iter().map(change).collect()
    } else {
        match (entry.feature(), notifies(kind)) {
            (Some(feature), true) => vec![change(feature)],
            _ => Vec::new(),
        }
    };
    changes.extend(app_changes(state, seq, kind, seen, healthy));
    changes
}

/// The app-wide changes since `seen` (then brought up to date), reported as caused by the
/// record `seq` of kind `kind`.
pub(crate) fn app_changes(
    state: &State,
    seq: u64,
    kind: AuditKind,
    seen: &mut AppView,
    healthy: bool,
) -> Vec<ConsentChange> {
    let now = AppView::of(state, healthy);
    if now == *seen {
        return Vec::new();
    }
    let base = || ConsentChange::new(state.chain, seq, kind);
    let mut changes = Vec::new();
    if now.policy != seen.policy {
        changes.push(ConsentChange {
            policy: Some(now.policy.clone()),
            ..base()
        });
    }
    for status in &now.sdks {
        if !seen.sdks.contains(status) {
            changes.push(ConsentChange {
                sdk: Some(status.clone()),
                ..base()
            });
        }
    }
    if now.ads != seen.ads {
        changes.push(ConsentChange {
            ad_signals: Some(now.ads),
            ..base()
        });
    }
    *seen = now;
    changes
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
