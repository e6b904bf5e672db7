//! The bindings' hot read path: the allowed-features bits behind `is_allowed`, shared with Kotlin and Swift through two C functions that skip UniFFI's per-call machinery.
//!
//! `ConsentStore::hot_read_handle()` (an ordinary UniFFI call, made once per store) hands the
//! foreign side a counted reference to the store's [`AllowedBits`]; `consentkit_allowed_bits`
//! reads them with one acquire load, and `consentkit_allowed_bits_release` drops the reference.
//! The bits are written under the engine's write lock before a decision returns, so no answer
//! read after a revoke, deny, OS denial or background call has returned is stale.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::model::Feature;

/// Bit `i` is set while `Feature::ALL[i]` is allowed (a use session open, consent granted,
/// the OS not denying, the store healthy).
#[derive(Debug, Default)]
pub(crate) struct AllowedBits(AtomicU32);

impl AllowedBits {
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

    /// A counted reference for the foreign side, as an integer (see the module's docs).
    pub(crate) fn into_handle(this: Arc<AllowedBits>) -> u64 {
        Arc::into_raw(this) as usize as u64
    }
}

/// The allowed-features bits behind `handle` (bit `i`: `Feature::ALL[i]`); 0, everything
/// off, for a null handle.
///
/// # Safety
/// `handle` is 0 or was returned by `ConsentStore::hot_read_handle()` and not yet released.
#[no_mangle]
pub unsafe extern "C" fn consentkit_allowed_bits(handle: u64) -> u32 {
    let bits = handle as usize as *const AllowedBits;
    if bits.is_null() {
        return 0;
    }
    // SAFETY: the caller holds a counted reference (see above); a load cannot panic.
    unsafe { (*bits).0.load(Ordering::Acquire) }
}

/// Releases a handle from `ConsentStore::hot_read_handle()`; 0 is ignored.
///
/// # Safety
/// `handle` is 0 or an unreleased handle, and no read through it is in flight or follows.
#[no_mangle]
pub unsafe extern "C" fn consentkit_allowed_bits_release(handle: u64) {
    let bits = handle as usize as *const AllowedBits;
    if !bits.is_null() {
        // SAFETY: made by `Arc::into_raw` in `into_handle`, released once (see above).
        drop(unsafe { Arc::from_raw(bits) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bits_follow_what_is_published_and_handles_count_references() {
        let bits = Arc::new(AllowedBits::default());
        bits.publish(|f| f == Feature::Camera || f == Feature::Clipboard);
        assert!(bits.get(Feature::Camera) && bits.get(Feature::Clipboard));
        assert!(!bits.get(Feature::Microphone));
        let handle = AllowedBits::into_handle(bits.clone());
        assert_eq!(Arc::strong_count(&bits), 2);
        let read = unsafe { consentkit_allowed_bits(handle) };
        assert_eq!(
            read,
            1 << Feature::Camera.index() | 1 << Feature::Clipboard.index()
        );
        bits.publish(|_| false);
        assert_eq!(unsafe { consentkit_allowed_bits(handle) }, 0);
        unsafe { consentkit_allowed_bits_release(handle) };
        assert_eq!(Arc::strong_count(&bits), 1);
        assert_eq!(unsafe { consentkit_allowed_bits(0) }, 0);
        unsafe { consentkit_allowed_bits_release(0) };
    }
}
