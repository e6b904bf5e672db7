// The hot read path of libconsentkit (src/hot.rs): the store's allowed-features bits, read
// without a UniFFI call. Written by hand, not generated: these two functions are plain C ABI.
#pragma once
#include <stdint.h>

// Bit i is set while Feature::ALL[i] is allowed; 0 (all off) for handle 0.
uint32_t consentkit_allowed_bits(uint64_t handle);
// Releases a handle from ConsentStore.hotReadHandle(); 0 is ignored.
void consentkit_allowed_bits_release(uint64_t handle);
// The bits of the store behind a live UniFFI ConsentStore handle; 0 for handle 0.
uint32_t consentkit_store_allowed_bits(uint64_t store);
