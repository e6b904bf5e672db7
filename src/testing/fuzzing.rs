//! Entry points for the fuzz targets in `fuzz/` (feature `testing` only): each feeds arbitrary bytes to one parser, which must never panic, hang or allocate without bound.

use crate::config::{resolve, ConsentConfig, FeaturePolicy};
use crate::log::bytes::Bytes;
use crate::log::index;
use crate::log::record::{decode_frame, MAGIC};
use crate::log::replay::{Replay, ReplayMachine};
use crate::log::scan::Scanner;
use crate::log::snapshot::Snapshot;
use crate::model::Feature;
use crate::rules::State;
use crate::sdk::SdkPolicy;

/// One frame, decoded.
pub fn record(bytes: &[u8]) {
    let _ = decode_frame(bytes);
}

/// A whole log, scanned and replayed into the rules' state as opening does.
pub fn log(bytes: &[u8]) {
    let (start, base) = match crate::log::base::read(&Bytes::memory(bytes.to_vec())) {
        Ok(Ok(found)) => found,
        _ => (MAGIC.len() as u64, None),
    };
    let start = start.min(bytes.len() as u64);
    let mut replay = match base.map(|base| base.resume::<State>()) {
        Some(Ok(replay)) => replay,
        Some(Err(_)) => return,
        None => Replay::<State>::from_start(),
    };
    let mut scanner = Scanner::new(&bytes[start as usize..], start, bytes.len() as u64);
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
        let start = index::start_offset(&entries, MAGIC.len() as u64, end, since_ms, &log);
        assert!(
            start <= end.max(MAGIC.len() as u64),
            "a scan starts inside the log"
        );
    }
}

/// A config built from arbitrary text: app id, then per feature purposes and a revision,
/// then app-wide lines: `policy,REVISION,JURISDICTION,AGE` and `sdk,ID,NAME,URL,FEATURE…`.
pub fn config(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut parts = text.split('\n');
    let app_id = parts.next().unwrap_or_default().to_string();
    let mut config = ConsentConfig::new(app_id);
    config.features = Feature::ALL
        .into_iter()
        .zip(parts.by_ref())
        .map(|(feature, line)| {
            let mut fields = line.split(',');
            let revision = fields.next().and_then(|r| r.parse().ok()).unwrap_or(1);
            FeaturePolicy {
                feature,
                purposes: fields.map(str::to_string).collect(),
                terms_revision: revision,
                how_to_withdraw: None,
                only_during: feature.default_only_during(),
                name: None,
                purpose_texts: Vec::new(),
                pii_categories: Vec::new(),
            }
        })
        .collect();
    for line in parts {
        let fields: Vec<&str> = line.split(',').collect();
        let field = |i: usize| fields.get(i).copied().unwrap_or_default();
        match field(0) {
            "policy" => {
                config.policy_revision = field(1).parse().ok();
                config.jurisdiction = Some(field(2).to_string()).filter(|j| !j.is_empty());
                config.age_of_digital_consent = field(3).parse().ok();
            }
            _ => config.sdks.push(SdkPolicy {
                id: field(1).into(),
                name: field(2).into(),
                vendor: field(2).into(),
                purpose: field(2).into(),
                data_collected: Vec::new(),
                requires: fields
                    .iter()
                    .skip(4)
                    .filter_map(|f| f.parse().ok().and_then(Feature::from_index))
                    .collect(),
                privacy_policy_url: field(3).into(),
                not_for_minors: false,
            }),
        }
    }
    if let Ok(resolved) = resolve(&config) {
        // Whatever a config resolves to, replay accepts as app terms.
        let terms = resolved.app_terms.expect("a resolved config has app terms");
        let state = State::new("a");
        if terms != state.app {
            let applied = crate::entry::Entry::AppTermsApplied {
                terms,
                loosened: Vec::new(),
            };
            assert_eq!(state.check(&applied), Ok(()), "{applied:?}");
        }
    }
}
