//! Fuzz target: arbitrary text through the command-line tool's `--since` parser (its own file,
//! built here as it is in the tool).
#![no_main]

#[path = "../../src/bin/consentkit/timespec.rs"]
mod timespec;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = timespec::parse_since(text, 1_790_000_000_000);
    }
});
