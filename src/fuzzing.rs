//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing` only): each feeds arbitrary bytes to one parser, which must never panic, hang or allocate without bound.

use crate::config::{resolve, ConsentConfig, FeaturePolicy};
use crate::log::fs::Bytes;
use crate::log::index;
use crate::log::record::{decode_frame, MAGIC};
use crate::log::replay::{Replay, ReplayMachine};
use crate::log::scan::Scanner;
use crate::log::snapshot::Snapshot;
use crate::model::Feature;
use crate::rules::State;

/// One frame, decoded.
pub fn record(bytes: &[u8]) {
    let _ = decode_frame(bytes);
}

/// A whole log, scanned and replayed into the rules' state as opening does.
pub fn log(bytes: &[u8]) {
    let start = (MAGIC.len() as u64).min(bytes.len() as u64);
    let mut scanner = Scanner::new(&bytes[start as usize..], start, bytes.len() as u64);
    let mut replay = Replay::<State>::from_start();
    let _ = replay.run(&mut scanner);
}

/// A snapshot file, and the state inside it.
pub fn snapshot(bytes: &[u8]) {
    if let Ok(snapshot) = Snapshot::from_bytes(bytes) {
        if let Ok(state) = <State as ReplayMachine>::decode(&snapshot.state) {
            let _ = state.digest();
        }
    }
}

/// An index file against a log, and where a scan since `since_ms` would start.
pub fn index(index_bytes: &[u8], log_bytes: &[u8], since_ms: i64) {
    let index_file = Bytes::memory(index_bytes.to_vec());
    let log = Bytes::memory(log_bytes.to_vec());
    let end = log_bytes.len() as u64;
    if let Ok(entries) = index::read(&index_file) {
        let _ = index::check(&entries, end, &log);
        let start = index::start_offset(&entries, end, since_ms, &log);
        assert!(
            start <= end.max(MAGIC.len() as u64),
            "a scan starts inside the log"
        );
    }
}

/// A config built from arbitrary text: app id, then per feature purposes and a revision.
pub fn config(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut parts = text.split('\n');
    let app_id = parts.next().unwrap_or_default().to_string();
    let features = Feature::ALL
        .into_iter()
        .zip(parts)
        .map(|(feature, line)| {
            let mut fields = line.split(',');
            let revision = fields.next().and_then(|r| r.parse().ok()).unwrap_or(1);
            FeaturePolicy {
                feature,
                purposes: fields.map(str::to_string).collect(),
                terms_revision: revision,
                how_to_withdraw: None,
            }
        })
        .collect();
    let _ = resolve(&ConsentConfig { app_id, features });
}

/// The command-line tool's `--since` argument.
#[cfg(feature = "cli")]
pub fn since(text: &str) {
    let _ = crate::timespec::parse_since(text, 1_790_000_000_000);
}
