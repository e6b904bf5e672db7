//! Observers and subscriptions: changes are delivered in log order, outside every lock, and observers may call back into the store.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::ads::AdSignals;
use crate::kinds::{AuditKind, SessionEndReason};
use crate::model::{Feature, FeatureState};
use crate::policy::PolicyState;
use crate::sdk::SdkStatus;

/// One change, as observers hear of it: to a feature (`feature` and `state`), to the privacy
/// policy (`policy`), to an SDK's status (`sdk`) or to the ad signals (`ad_signals`). Exactly
/// one of `state`, `policy`, `sdk` and `ad_signals` is set.
///
/// Changes arrive in `(chain, seq)` order, which never goes backwards. `seq` restarts at 1
/// only with a new `chain`, whose first change is an `Erased` or `Recovered` one per feature.
/// A record may change several things (a revocation ends a session and blocks an SDK): each
/// change carries that record's `seq` and `kind`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ConsentChange {
    /// Which chain of the store the record belongs to: 1 for a store's first, one more after
    /// each erasure or recovery.
    pub chain: u64,
    /// Sequence number of the record behind the change (one record may change several
    /// features, and then several changes share it).
    pub seq: u64,
    /// What happened (the kind of the log record).
    pub kind: AuditKind,
    /// The feature that changed, for a change of a feature.
    pub feature: Option<Feature>,
    /// For `SessionEnded`: why.
    pub end_reason: Option<SessionEndReason>,
    /// The feature's state right after this record (not after the whole call).
    pub state: Option<FeatureState>,
    /// The privacy policy's state right after this record, when it changed.
    pub policy: Option<PolicyState>,
    /// An SDK's status right after this record, when it changed: start or stop the SDK.
    pub sdk: Option<SdkStatus>,
    /// The ad signals right after this record, when they changed: pass them to ad SDKs.
    pub ad_signals: Option<AdSignals>,
}

impl ConsentChange {
    /// A change of nothing yet, caused by record `seq` of `kind`.
    pub(crate) fn new(chain: u64, seq: u64, kind: AuditKind) -> ConsentChange {
        ConsentChange {
            chain,
            seq,
            kind,
            feature: None,
            end_reason: None,
            state: None,
            policy: None,
            sdk: None,
            ad_signals: None,
        }
    }
}

/// Implemented by the app (in Rust, Kotlin or Swift) to hear of every change.
///
/// Called on whichever thread made the change, never while the store holds a lock, so it
/// may call back into the store; keep it short and hand UI work to the main thread.
#[uniffi::export(with_foreign)]
pub trait ConsentObserver: Send + Sync {
    /// A feature changed.
    fn on_change(&self, change: ConsentChange);
}

/// Keeps an observer registered. Dropping (releasing) it or calling `cancel()` unsubscribes.
#[derive(uniffi::Object)]
pub struct Subscription {
    notifier: Weak<Notifier>,
    id: u64,
}

#[uniffi::export]
impl Subscription {
    /// Unsubscribes now; idempotent. Changes already being delivered may still arrive.
    pub fn cancel(&self) {
        if let Some(notifier) = self.notifier.upgrade() {
            notifier.observers.lock().retain(|(id, _)| *id != self.id);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Queues changes in log order and delivers them from one thread at a time.
///
/// Changes are queued under the store's write lock (so the queue is in log order) and
/// delivered after it is released. Whoever finds nobody delivering delivers everything
/// queued, including changes queued by observers calling back into the store; those calls
/// return at once instead of recursing or deadlocking.
#[derive(Default)]
pub(crate) struct Notifier {
    observers: Mutex<Vec<(u64, Arc<dyn ConsentObserver>)>>,
    queue: Mutex<Delivery>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Delivery {
    pending: VecDeque<ConsentChange>,
    delivering: bool,
}

impl Notifier {
    pub fn subscribe(self: &Arc<Self>, observer: Arc<dyn ConsentObserver>) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.observers.lock().push((id, observer));
        Subscription {
            notifier: Arc::downgrade(self),
            id,
        }
    }

    /// Whether anyone listens; when not, changes need not even be built.
    pub fn has_observers(&self) -> bool {
        !self.observers.lock().is_empty()
    }

    /// Adds changes to the queue; call with the store's write lock held.
    pub fn enqueue(&self, changes: impl IntoIterator<Item = ConsentChange>) {
        self.queue.lock().pending.extend(changes);
    }

    /// Delivers everything queued, unless another call is already doing so. Call with no lock held.
    pub fn deliver(&self) {
        {
            let mut queue = self.queue.lock();
            if queue.delivering || queue.pending.is_empty() {
                return;
            }
            queue.delivering = true;
        }
        loop {
            let change = {
                let mut queue = self.queue.lock();
                match queue.pending.pop_front() {
                    Some(change) => change,
                    None => {
                        queue.delivering = false;
                        return;
                    }
                }
            };
            let observers: Vec<_> = self
                .observers
                .lock()
                .iter()
                .map(|(_, o)| o.clone())
                .collect();
            for observer in observers {
                // One failing observer must not stop the others, nor poison the store.
                if catch_unwind(AssertUnwindSafe(|| observer.on_change(change.clone()))).is_err() {
                    ::log::error!("consentkit: an observer panicked on {:?}", change.kind);
                }
            }
        }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}
