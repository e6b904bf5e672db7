// The hot read path of libconsentkit (src/hot.rs): the store's allowed-features bits, read
// without a UniFFI call. Written by hand, not generated: these two functions are plain C ABI.
#pragma once
#include <stdint.h>

// The word behind a handle from hotReadHandle(): a store's allowed-features bits (bit i:
// Feature::ALL[i]) or a session's 1 while active; 0 for handle 0.
uint32_t consentkit_hot_word(uint64_t handle);
// Releases a handle from hotReadHandle(); 0 is ignored.
void consentkit_hot_word_release(uint64_t handle);
// The bits of the store behind a live UniFFI ConsentStore handle; 0 for handle 0.
uint32_t consentkit_store_allowed_bits(uint64_t store);
// 1 while the session behind a live UniFFI UseSession handle is active; 0 for handle 0.
uint32_t consentkit_session_active(uint64_t session);
