//! The bindings' hot read path: the C functions through which Kotlin and Swift read the engine's words behind `is_allowed` and `UseSession::is_active`, skipping UniFFI's per-call machinery.
//!
//! `hot_read_handle()` on a store or a session (an ordinary UniFFI call, made once per object)
//! hands the foreign side a counted reference to its [`HotWord`]; `consentkit_hot_word` reads
//! it with one acquire load, and `consentkit_hot_word_release` drops the reference. Swift,
//! whose objects keep their UniFFI handle valid while a method of theirs runs, reads through
//! that handle instead (`consentkit_store_allowed_bits`, `consentkit_session_active`). The
//! words are written under the engine's write lock before a decision returns, so no answer
//! read after a revoke, deny, OS denial, background or end call has returned is stale.

use std::sync::Arc;

use crate::engine::HotWord;
use crate::session::UseSession;
use crate::store::ConsentStore;

/// The word behind `handle`: a store's allowed-features bits (bit `i`: `Feature::ALL[i]`) or
/// a session's 1 while active; 0, everything off, for a null handle.
///
/// # Safety
/// `handle` is 0 or was returned by a `hot_read_handle()` and not yet released.
#[no_mangle]
pub unsafe extern "C" fn consentkit_hot_word(handle: u64) -> u32 {
    // SAFETY: the caller holds a counted reference (see above).
    unsafe { read::<HotWord>(handle, HotWord::load) }
}

/// `word` of the object behind `handle` (a pointer as an integer); 0 for a null handle.
///
/// # Safety
/// `handle` is 0 or points to a live `T` for the whole call. `word` only reads atomics, so
/// nothing here can panic across the FFI.
unsafe fn read<T>(handle: u64, word: impl FnOnce(&T) -> u32) -> u32 {
    let object = handle as usize as *const T;
    if object.is_null() {
        return 0;
    }
    // SAFETY: see above.
    word(unsafe { &*object })
}

/// The allowed-features bits of the store behind a UniFFI object handle (what the generated
/// Swift `ConsentStore` holds: `Arc::into_raw` of the store, uniffi_core 0.32's `Handle`);
/// 0 for a null handle. For Swift, whose objects keep their handle valid while a method of
/// theirs runs; Kotlin's would need a handle clone per call, so Kotlin uses
/// `hot_read_handle` instead.
///
/// # Safety
/// `store` is 0 or the live UniFFI handle of a `ConsentStore`, valid for the whole call.
#[no_mangle]
pub unsafe extern "C" fn consentkit_store_allowed_bits(store: u64) -> u32 {
    // SAFETY: see above.
    unsafe { read::<ConsentStore>(store, ConsentStore::allowed_bits) }
}

/// The word of the session behind a live UniFFI `UseSession` handle: 1 while it is active;
/// 0 for a null handle.
///
/// # Safety
/// `session` is 0 or the live UniFFI handle of a `UseSession`, valid for the whole call.
#[no_mangle]
pub unsafe extern "C" fn consentkit_session_active(session: u64) -> u32 {
    // SAFETY: see above.
    unsafe { read::<UseSession>(session, |s| s.hot_word().load()) }
}

/// Releases a handle from `hot_read_handle()`; 0 is ignored.
///
/// # Safety
/// `handle` is 0 or an unreleased handle, and no read through it is in flight or follows.
#[no_mangle]
pub unsafe extern "C" fn consentkit_hot_word_release(handle: u64) {
    let bits = handle as usize as *const HotWord;
    if !bits.is_null() {
        // SAFETY: made by `Arc::into_raw` in `into_handle`, released once (see above).
        drop(unsafe { Arc::from_raw(bits) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Feature;
    use crate::{Actor, ConsentConfig, GrantScope};

    /// A store with camera consent, and a camera session open in it.
    fn camera_in_use() -> (Arc<ConsentStore>, Arc<UseSession>) {
        let store = ConsentStore::open_in_memory(ConsentConfig::new("com.example.camera")).unwrap();
        store.set_foreground(true).unwrap();
        store
            .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
            .unwrap();
        let session = store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .unwrap();
        (store, session)
    }

    /// `object`'s handle exactly as UniFFI lowers it for Swift.
    fn uniffi_handle<T>(object: &Arc<T>) -> u64
    where
        Arc<T>: uniffi::Lower<crate::UniFfiTag, FfiType = uniffi::Handle>,
    {
        <Arc<T> as uniffi::Lower<crate::UniFfiTag>>::lower(object.clone()).as_raw()
    }

    #[test]
    fn the_bits_follow_what_is_published_and_handles_count_references() {
        let bits = Arc::new(HotWord::default());
        bits.publish(|f| f == Feature::Camera || f == Feature::Clipboard);
        assert!(bits.get(Feature::Camera) && bits.get(Feature::Clipboard));
        assert!(!bits.get(Feature::Microphone));
        let handle = HotWord::into_handle(bits.clone());
        assert_eq!(Arc::strong_count(&bits), 2);
        let read = unsafe { consentkit_hot_word(handle) };
        assert_eq!(
            read,
            1 << Feature::Camera.index() | 1 << Feature::Clipboard.index()
        );
        bits.publish(|_| false);
        assert_eq!(unsafe { consentkit_hot_word(handle) }, 0);
        unsafe { consentkit_hot_word_release(handle) };
        assert_eq!(Arc::strong_count(&bits), 1);
        assert_eq!(unsafe { consentkit_hot_word(0) }, 0);
        unsafe { consentkit_hot_word_release(0) };
    }

    #[test]
    fn a_uniffi_handle_of_a_store_reads_its_bits() {
        let (store, session) = camera_in_use();
        let handle = uniffi_handle(&store);
        assert_eq!(
            unsafe { consentkit_store_allowed_bits(handle) },
            1 << Feature::Camera.index()
        );
        drop(session);
        assert_eq!(
            unsafe { consentkit_store_allowed_bits(handle) },
            0,
            "the session ended"
        );
        assert_eq!(unsafe { consentkit_store_allowed_bits(0) }, 0);
        // SAFETY: the handle owns one reference, given back here.
        drop(unsafe { Arc::from_raw(handle as usize as *const ConsentStore) });
    }

    #[test]
    fn a_session_reads_active_through_both_handles_until_it_ends() {
        let (store, session) = camera_in_use();
        let uniffi = uniffi_handle(&session);
        let counted = session.hot_read_handle();
        let read = || unsafe {
            (
                consentkit_session_active(uniffi),
                consentkit_hot_word(counted),
            )
        };
        assert_eq!(read(), (1, 1));
        store.revoke(Feature::Camera, Actor::User).unwrap();
        assert_eq!(read(), (0, 0), "ended by the revoke");
        store
            .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
            .unwrap();
        let _again = store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .unwrap();
        assert_eq!(read(), (0, 0), "an ended session stays ended");
        assert_eq!(unsafe { consentkit_session_active(0) }, 0);
        unsafe { consentkit_hot_word_release(counted) };
        // SAFETY: the UniFFI handle owns one reference, given back here.
        drop(unsafe { Arc::from_raw(uniffi as usize as *const UseSession) });
    }
}
