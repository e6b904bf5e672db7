//! `UseSession`: the window in which a feature may be used; ended explicitly, by release, or by the rules.

use std::sync::Arc;

use crate::entry::SessionEndReason;
use crate::error::ConsentError;
use crate::model::Feature;
use crate::store::Inner;

/// An open use of a feature for one purpose. The feature is allowed while it is active.
///
/// Ends on `end()`, when released (dropped in Rust, `close()`/`use {}` in Kotlin, released
/// in Swift), or when the rules end it (revoke, OS denial, background, store closed).
#[derive(uniffi::Object)]
pub struct UseSession {
    store: Arc<Inner>,
    id: u64,
    feature: Feature,
    purpose: String,
}

impl UseSession {
    pub(crate) fn new(store: Arc<Inner>, id: u64, feature: Feature, purpose: String) -> UseSession {
        UseSession {
            store,
            id,
            feature,
            purpose,
        }
    }

    fn end_with(&self, reason: SessionEndReason) -> Result<(), ConsentError> {
        let mono = self.store.clock.monotonic_ms();
        self.store
            .run(|state, _| state.decide_end(self.id, reason, Some(mono)))
    }
}

#[uniffi::export]
impl UseSession {
    /// The feature in use.
    pub fn feature(&self) -> Feature {
        self.feature
    }

    /// The declared purpose of this use.
    pub fn purpose(&self) -> String {
        self.purpose.clone()
    }

    /// The session's id: the sequence number of its `SessionBegan` record.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// True until the session ends, for whatever reason.
    pub fn is_active(&self) -> bool {
        let core = self.store.core.read();
        core.journal.is_some()
            && core.failed.is_none()
            && core.state.sessions.iter().any(|s| s.id == self.id)
    }

    /// Ends the session (idempotent) and records how long it lasted.
    pub fn end(&self) -> Result<(), ConsentError> {
        match self.end_with(SessionEndReason::Ended) {
            Err(ConsentError::Closed) => Ok(()),
            other => other,
        }
    }
}

impl Drop for UseSession {
    fn drop(&mut self) {
        if self.is_active() {
            if let Err(e) = self.end_with(SessionEndReason::Released) {
                ::log::warn!("consentkit: ending a released session failed: {e}");
            }
        }
    }
}

impl std::fmt::Debug for UseSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UseSession")
            .field("id", &self.id)
            .field("feature", &self.feature)
            .field("purpose", &self.purpose)
            .finish()
    }
}
