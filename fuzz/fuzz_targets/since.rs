//! Fuzz target: arbitrary text through the command-line tool's `--since` parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        consentkit::fuzzing::since(text);
    }
});
