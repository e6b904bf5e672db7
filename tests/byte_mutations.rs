//! Random byte mutations of a store's files (flips, cuts, insertions, overwrites of the log, snapshot and index): opening never panics or hangs, and never yields a grant the history did not hold — after detected damage, nothing at all.

mod common;

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use common::*;
use consentkit::*;
use proptest::prelude::*;

const FILES: [&str; 3] = ["consent.log", "consent.snapshot", "consent.index"];

/// A history that never withdraws anything: whatever prefix of it survives, only the camera
/// and the clipboard can be granted; the microphone was denied, the rest never asked.
fn original() -> &'static Vec<(String, Vec<u8>)> {
    static FILES_OF: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES_OF.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let store = on_screen(
            ConsentStore::open_with(dir.path(), Some(config()), checkpointing(&clock, 6)).unwrap(),
        );
        store.deny(Feature::Microphone, Actor::User).unwrap();
        camera_granted(&store);
        for _ in 0..10 {
            clock.advance(1_000);
            use_once(&store, Feature::Camera, "shoot_photo");
        }
        grant(&store, Feature::Clipboard, GrantScope::UntilRevoked);
        use_once(&store, Feature::Clipboard, "login");
        store.close().unwrap();
        FILES
            .iter()
            .filter_map(|name| Some((name.to_string(), fs::read(dir.path().join(name)).ok()?)))
            .collect()
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Cut { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Zero { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..8u8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        1 => any::<usize>().prop_map(|at| Mutation::Cut { at }),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<usize>(), 1..200usize).prop_map(|(at, len)| Mutation::Zero { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    // Mostly within the records, where damage matters, not the zeroed free space.
    let used = bytes.iter().rposition(|&b| b != 0).map_or(1, |p| p + 1);
    let pick = |at: usize| at % used;
    match m {
        Mutation::Flip { at, bit } => bytes[pick(*at)] ^= 1 << bit,
        Mutation::Set { at, byte } => bytes[pick(*at)] = *byte,
        Mutation::Cut { at } => bytes.truncate(pick(*at)),
        Mutation::Insert { at, bytes: new } => {
            let at = pick(*at);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Zero { at, len } => {
            let at = pick(*at);
            let end = (at + len).min(bytes.len());
            bytes[at..end].fill(0);
        }
    }
}

fn check(dir: &Path) -> Result<(), TestCaseError> {
    let store = match ConsentStore::open_with(dir, Some(config()), StoreOptions::default()) {
        Ok(store) => store,
        Err(ConsentError::Storage { .. }) => return Ok(()),
        Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
    };
    let granted: Vec<Feature> = store
        .states()
        .iter()
        .filter(|s| s.status == ConsentStatus::Granted)
        .map(|s| s.feature)
        .collect();
    if store.recovery_notice().is_some() {
        prop_assert!(granted.is_empty(), "granted after damage: {:?}", granted);
    }
    prop_assert!(
        granted
            .iter()
            .all(|f| matches!(f, Feature::Camera | Feature::Clipboard)),
        "a grant the history never held: {:?}",
        granted
    );
    prop_assert!(Feature::ALL.iter().all(|f| !store.is_allowed(*f)));
    // Reading it all back never panics either, and a second open agrees.
    let _ = store.verify();
    let _ = store.audit_log(AuditFilter::default());
    let _ = store.export_json();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_store_files_never_open_a_door(
        file in 0..3usize,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in original() {
            let mut bytes = bytes.clone();
            if *name == FILES[file] {
                for m in &mutations {
                    apply(&mut bytes, m);
                }
            }
            fs::write(dir.path().join(name), bytes).unwrap();
        }
        check(dir.path())?;
    }
}
