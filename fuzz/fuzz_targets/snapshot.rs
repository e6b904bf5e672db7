//! Fuzz target: arbitrary bytes through consentkit's snapshot parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentkit::testing::fuzzing::snapshot(data);
});
