//! The words the engine publishes for reads without a lock — a store's allowed features (a bit per feature) and a session's "active" — and their publishing, under the write lock before a decision returns.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::{Core, Engine};
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

impl Engine {
    /// Publishes what is allowed now, and clears the words of sessions that ended or can no
    /// longer be used. Call with the write lock held, after every change.
    pub(super) fn refresh_allowed(&self, core: &Core) {
        let may = core.may_allow();
        self.allowed
            .publish(|feature| may && core.state.is_allowed(feature));
        let usable = core.usable().is_ok();
        self.session_words
            .lock()
            .retain(|(id, word)| match word.upgrade() {
                Some(word) if !(usable && core.state.has_session(*id)) => {
                    word.set(0);
                    false
                }
                Some(_) => true,
                None => false,
            });
    }

    /// The word that says whether session `id` is active, from now until it ends, registered
    /// so that whatever ends the session clears it. Call with the write lock held.
    pub(super) fn session_word(&self, core: &Core, id: u64) -> Arc<HotWord> {
        let active = core.usable().is_ok() && core.state.has_session(id);
        let word = Arc::new(HotWord::new(u32::from(active)));
        if active {
            self.session_words.lock().push((id, Arc::downgrade(&word)));
        }
        word
    }
}
