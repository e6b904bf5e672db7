//! Helpers shared by the integration tests: stores in temp dirs with a fake clock, and an observer that records.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use consentkit::*;
use parking_lot::Mutex;

#[cfg(unix)]
pub mod faults;

pub const APP: &str = "com.example.camera";
pub const T0: i64 = 1_790_000_000_000;

pub fn config() -> ConsentConfig {
    ConsentConfig::new(APP)
}

pub fn options(clock: &Arc<FakeClock>) -> StoreOptions {
    StoreOptions {
        clock: clock.clone(),
        ..StoreOptions::default()
    }
}

/// Options with frequent checkpoints, so tests cross snapshots and the time index.
pub fn checkpointing(clock: &Arc<FakeClock>, checkpoint_every: u64) -> StoreOptions {
    StoreOptions {
        checkpoint_every,
        ..options(clock)
    }
}

/// Opens the store as an app does at launch, on screen: a store is in the background until
/// the app says otherwise.
pub fn open(dir: &Path, clock: &Arc<FakeClock>) -> Arc<ConsentStore> {
    open_with_config(dir, clock, config())
}

/// `open` with the app's config.
pub fn open_with_config(
    dir: &Path,
    clock: &Arc<FakeClock>,
    config: ConsentConfig,
) -> Arc<ConsentStore> {
    on_screen(ConsentStore::open_with(dir, Some(config), options(clock)).expect("store opens"))
}

/// The app reports it is in the foreground, as its first activity does.
pub fn on_screen(store: Arc<ConsentStore>) -> Arc<ConsentStore> {
    store
        .set_foreground(true)
        .expect("the foreground is reported");
    store
}

pub fn clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(T0))
}

/// A person grants `feature`.
pub fn grant(store: &ConsentStore, feature: Feature, scope: GrantScope) {
    store.grant(feature, scope, Actor::User).unwrap();
}

/// The usual test grant: the camera, until revoked.
pub fn camera_granted(store: &ConsentStore) {
    grant(store, Feature::Camera, GrantScope::UntilRevoked);
}

/// Opens a use session and ends it at once.
pub fn use_once(store: &ConsentStore, feature: Feature, purpose: &str) {
    store
        .begin_use(feature, purpose.into())
        .unwrap()
        .end()
        .unwrap();
}

pub fn all_off(store: &ConsentStore) -> bool {
    store
        .states()
        .iter()
        .all(|s| !s.allowed && s.status != ConsentStatus::Granted && !store.is_allowed(s.feature))
}

/// Records every change it hears of.
#[derive(Default)]
pub struct Recorder {
    pub changes: Mutex<Vec<ConsentChange>>,
}

impl ConsentObserver for Recorder {
    fn on_change(&self, change: ConsentChange) {
        self.changes.lock().push(change);
    }
}

impl Recorder {
    pub fn kinds(&self, feature: Feature) -> Vec<AuditKind> {
        self.changes
            .lock()
            .iter()
            .filter(|c| c.feature == Some(feature))
            .map(|c| c.kind)
            .collect()
    }
}

pub fn kinds(store: &ConsentStore) -> Vec<AuditKind> {
    let mut log = store.audit_log(AuditFilter::default()).unwrap();
    log.reverse();
    log.into_iter().map(|e| e.kind).collect()
}

/// An age range as an OS age-range service reports it.
pub fn age_range(lower: u32, upper: Option<u32>) -> AgeSignal {
    AgeSignal {
        lower,
        upper,
        source: AgeSource::OsAgeRange,
    }
}

/// A guardian grants `feature`, until revoked.
pub fn guardian_grants(store: &ConsentStore, feature: Feature) {
    store
        .grant(feature, GrantScope::UntilRevoked, Actor::Guardian)
        .unwrap();
}

/// Where the last whole record of a log file ends (after the 8-byte header, frames `len | !len
/// | payload | sha256`, up to the zeroed room the log keeps ahead).
pub fn records_end(bytes: &[u8]) -> usize {
    let mut pos = 8;
    while pos + 8 <= bytes.len() && bytes[pos..pos + 8].iter().any(|&b| b != 0) {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        pos += 8 + len + 32;
    }
    pos
}

/// The clipboard granted for logging in until revoked, by `standing`, and for sharing a code
/// once, by the user.
pub fn login_and_share_code_once(store: &ConsentStore, standing: Actor) {
    store
        .grant_purposes(
            Feature::Clipboard,
            vec!["login".into()],
            GrantScope::UntilRevoked,
            standing,
        )
        .unwrap();
    store
        .grant_purposes(
            Feature::Clipboard,
            vec!["share_code".into()],
            GrantScope::Once,
            Actor::User,
        )
        .unwrap();
}
