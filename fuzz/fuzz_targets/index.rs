//! Fuzz target: an arbitrary index file against an arbitrary log, and the time a scan starts from.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let since = i64::from_le_bytes(data[..8].try_into().unwrap());
    let split = 8 + (data[8] as usize * 24).min(data.len() - 9);
    consentkit::testing::fuzzing::index(&data[9..split.max(9)], &data[split.max(9)..], since);
});
