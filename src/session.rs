//! `UseSession`: the window in which a feature may be used; ended explicitly, by release, or by the rules.

use std::sync::Arc;

use crate::engine::Engine;
use crate::engine::HotWord;
use crate::error::{ConsentError, Error};
use crate::kinds::SessionEndReason;
use crate::model::Feature;

/// An open use of a feature for one purpose. The feature is allowed while it is active.
///
/// Ends on `end()`, when released (dropped in Rust, `close()`/`use {}` in Kotlin, released
/// in Swift), or when the rules end it (revoke, OS denial, background, store closed).
#[derive(uniffi::Object)]
pub struct UseSession {
    engine: Arc<Engine>,
    id: u64,
    feature: Feature,
    purpose: String,
    /// 1 while active, 0 for good once ended: `is_active` without a lock.
    active: Arc<HotWord>,
}

impl UseSession {
    pub(crate) fn new(
        engine: Arc<Engine>,
        id: u64,
        active: Arc<HotWord>,
        feature: Feature,
        purpose: String,
    ) -> UseSession {
        UseSession {
            engine,
            id,
            feature,
            purpose,
            active,
        }
    }

    /// True until the session ends, for whatever reason. (Kotlin and Swift read the same word
    /// without a UniFFI call: see `hot_read_handle`.)
    pub fn is_active(&self) -> bool {
        self.active.load() != 0
    }

    pub(crate) fn hot_word(&self) -> &HotWord {
        &self.active
    }

    fn end_with(&self, reason: SessionEndReason) -> Result<(), Error> {
        let id = self.id;
        self.engine
            .decide(|state, now| state.end_session(id, reason, now))
            .map(|_| ())
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

    /// For the Kotlin layer's `isActive`: a counted reference to the session's word (1 while
    /// active), read with `consentkit_hot_word` and released with `consentkit_hot_word_release`.
    pub fn hot_read_handle(&self) -> u64 {
        HotWord::into_handle(self.active.clone())
    }

    /// Ends the session (idempotent) and records how long it lasted.
    pub fn end(&self) -> Result<(), ConsentError> {
        match self.end_with(SessionEndReason::Ended) {
            Err(Error::Closed) => Ok(()),
            other => other.map_err(ConsentError::from),
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
