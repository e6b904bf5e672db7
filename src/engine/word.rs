//! The words the engine publishes for reads without a lock: a store's allowed features (a bit per feature) and a session's "active", written under the write lock before a decision returns.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::model::Feature;

/// One word read without a lock. For a store: bit `i` is set while `Feature::ALL[i]` is
/// allowed (a use session open, consent granted, the OS not denying, the store healthy). For a
/// session: 1 while it is active; once 0 it stays 0.
#[derive(Debug, Default)]
pub(crate) struct HotWord(AtomicU32);

impl HotWord {
    /// A word holding `value`.
    pub(crate) fn new(value: u32) -> HotWord {
        HotWord(AtomicU32::new(value))
    }

    /// Sets the word.
    pub(crate) fn set(&self, value: u32) {
        self.0.store(value, Ordering::Release);
    }

    /// Whether `feature` is allowed now.
    pub(crate) fn get(&self, feature: Feature) -> bool {
        self.0.load(Ordering::Acquire) & (1 << feature.index()) != 0
    }

    /// Publishes the allowed features, all at once.
    pub(crate) fn publish(&self, allowed: impl Fn(Feature) -> bool) {
        let bits = Feature::ALL
            .into_iter()
            .filter(|&f| allowed(f))
            .fold(0u32, |bits, f| bits | 1 << f.index());
        self.0.store(bits, Ordering::Release);
    }

    /// All the bits at once.
    pub(crate) fn load(&self) -> u32 {
        self.0.load(Ordering::Acquire)
    }

    /// A counted reference for the foreign side, as an integer (read and released by the C functions in `hot.rs`).
    pub(crate) fn into_handle(this: Arc<HotWord>) -> u64 {
        Arc::into_raw(this) as usize as u64
    }
}
