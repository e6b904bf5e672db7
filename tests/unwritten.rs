//! A "no" outlives the process (I4): a revoke, deny, decline or minor age signal the disk refused is in force after a relaunch — in the same process, and after the process ends — and is recorded, at the time it was made, as soon as the log takes writes.
//!
//! Over 400 lines: one test per way a "no" could be lost (a refused write, sync, file, key, erasure), each short.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use common::*;
use consentkit::*;

const CHILD_ENV: &str = "CONSENTKIT_UNWRITTEN_CHILD";

/// A child forked while another test closes its store holds that store's lock until it execs:
/// the tests that reopen stores do not run beside the one that forks.
static ONE_AT_A_TIME: parking_lot::Mutex<()> = parking_lot::Mutex::new(());
const EIO: i32 = 5;

/// Which writes fail.
#[derive(Default)]
struct Disk(AtomicU8);

const HEALTHY: u8 = 0;
/// Every write and sync, of every file.
const ALL_WRITES: u8 = 1;
/// The log's writes and syncs only: the file beside it can still be written.
const LOG_WRITES: u8 = 2;
/// The log's syncs only: its writes land, but are not durable.
const LOG_SYNCS: u8 = 3;
/// Removing the file of kept "no"s only.
const KEPT_REMOVE: u8 = 4;

impl IoFaults for Disk {
    fn before(&self, op: &IoOp) -> std::io::Result<()> {
        let write = matches!(op.kind, IoKind::Write | IoKind::SyncData | IoKind::SyncAll);
        let sync = matches!(op.kind, IoKind::SyncData | IoKind::SyncAll);
        let log = op.file == "consent.log";
        let fails = match self.0.load(Ordering::SeqCst) {
            ALL_WRITES => write,
            LOG_WRITES => write && log,
            LOG_SYNCS => sync && log,
            KEPT_REMOVE => op.kind == IoKind::Remove && op.file == "consent.unwritten",
            _ => false,
        };
        if fails {
            Err(std::io::Error::from_raw_os_error(EIO))
        } else {
            Ok(())
        }
    }
}

fn cn_config() -> ConsentConfig {
    ConsentConfig {
        policy_revision: Some(1),
        jurisdiction: Some("CN".into()),
        ..config()
    }
}

/// A directory for a store, a clock, and the disk under it, healthy until told otherwise.
fn on_a_disk() -> (tempfile::TempDir, Arc<FakeClock>, Arc<Disk>) {
    (
        tempfile::tempdir().unwrap(),
        clock(),
        Arc::new(Disk::default()),
    )
}

fn open_on(dir: &Path, clock: &Arc<FakeClock>, disk: &Arc<Disk>) -> Arc<ConsentStore> {
    open_sealed_on(dir, clock, disk, None)
}

/// `open_on`, sealed by `sealer` when there is one.
fn open_sealed_on(
    dir: &Path,
    clock: &Arc<FakeClock>,
    disk: &Arc<Disk>,
    sealer: Option<Arc<dyn Sealer>>,
) -> Arc<ConsentStore> {
    let options = StoreOptions {
        io_faults: Some(disk.clone()),
        sealer,
        ..options(clock)
    };
    on_screen(ConsentStore::open_with(dir, Some(cn_config()), options).unwrap())
}

/// The sealer of the child and its parent: one key, its anchor in `anchor` ("-": unsealed).
fn child_sealer(anchor: &str) -> Option<Arc<dyn Sealer>> {
    (anchor != "-").then(|| software_sealer(vec![7; 32], Some(anchor.into())).unwrap())
}

/// A store with the policy agreed, the camera and the ads choice granted, and a camera
/// session open.
fn granted(store: &ConsentStore) -> Arc<UseSession> {
    store.agree_to_policy(Actor::User).unwrap();
    camera_granted(store);
    grant(store, Feature::AdPersonalization, GrantScope::UntilRevoked);
    store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap()
}

/// Each "no" the verbs can say, and what it turns off.
#[derive(Clone, Copy, Debug, PartialEq)]
enum No {
    Revoke,
    Deny,
    Decline,
    MinorAge,
    Erase,
}

const NOS: [No; 5] = [No::Revoke, No::Deny, No::Decline, No::MinorAge, No::Erase];

fn say(store: &ConsentStore, no: No) -> Result<(), ConsentError> {
    match no {
        No::Revoke => store.revoke(Feature::Camera, Actor::User),
        No::Deny => store.deny(Feature::Camera, Actor::User),
        No::Decline => store.decline_policy(Actor::User),
        No::MinorAge => store.set_age_signal(age_range(10, Some(12))),
        No::Erase => store.erase_all(),
    }
}

/// What must hold once `no` was said, in any process after it.
fn in_force(store: &ConsentStore, no: No, what: &str) {
    let used = store.begin_use(Feature::Camera, "shoot_photo".into());
    assert!(used.is_err(), "{what}: {no:?} forgotten, the camera opens");
    match no {
        No::Revoke | No::Deny => assert_eq!(
            store.state(Feature::Camera).status,
            ConsentStatus::Denied,
            "{what}"
        ),
        No::Decline => assert_eq!(
            store.policy_state().status,
            PolicyStatus::Declined,
            "{what}"
        ),
        No::MinorAge => {
            assert_eq!(store.age_signal(), Some(age_range(10, Some(12))), "{what}");
            assert!(!store.ad_signals().personalized_ads, "{what}");
        }
        // Everything withdrawn at once: nothing asked yet (in a new chain once recorded).
        No::Erase => {
            for feature in [Feature::Camera, Feature::AdPersonalization] {
                assert_eq!(
                    store.state(feature).status,
                    ConsentStatus::NotAsked,
                    "{what}"
                );
            }
            assert_eq!(
                store.policy_state().status,
                PolicyStatus::NotAsked,
                "{what}"
            );
        }
    }
}

fn kind_of(no: No) -> AuditKind {
    match no {
        No::Revoke => AuditKind::Revoked,
        No::Deny => AuditKind::Denied,
        No::Decline => AuditKind::PolicyDeclined,
        No::MinorAge => AuditKind::AgeSignalSet,
        No::Erase => AuditKind::Erased,
    }
}

#[test]
fn a_no_the_disk_refused_stands_after_a_relaunch_and_is_recorded_when_it_was_said() {
    let _alone = ONE_AT_A_TIME.lock();
    for (mode, name) in [
        (ALL_WRITES, "every write fails"),
        (LOG_SYNCS, "the log's syncs fail"),
    ] {
        for no in NOS {
            let what = format!("{name}, {no:?}");
            let dir = tempfile::tempdir().unwrap();
            let clock = clock();
            let disk = Arc::new(Disk::default());
            let store = open_on(dir.path(), &clock, &disk);
            let session = granted(&store);
            clock.advance(60_000);
            let said_at = clock.now_ms();
            disk.0.store(mode, Ordering::SeqCst);
            let result = say(&store, no);
            assert!(
                matches!(result, Err(ConsentError::Storage { .. })),
                "{what}: {result:?}"
            );
            // In this process: off at once, and shown as said.
            assert!(!session.is_active(), "{what}");
            assert!(Feature::ALL.iter().all(|f| !store.is_allowed(*f)), "{what}");
            in_force(&store, no, &format!("{what}, in the same process"));
            drop(session);
            let _ = store.close();
            drop(store);

            disk.0.store(HEALTHY, Ordering::SeqCst);
            clock.advance(3_600_000);
            let store = open_on(dir.path(), &clock, &disk);
            in_force(&store, no, &what);
            let recorded = store
                .audit_log(AuditFilter::default())
                .unwrap()
                .into_iter()
                .find(|e| e.kind == kind_of(no))
                .unwrap_or_else(|| panic!("{what}: the no was never recorded"));
            assert_eq!(
                recorded.time_ms, said_at,
                "{what}: recorded with its own time"
            );
            assert!(store.verify().unwrap().intact, "{what}");
            assert!(
                !dir.path().join("consent.unwritten").exists(),
                "{what}: kept no longer than needed"
            );
            // And once more: it stays recorded, nothing is recorded twice.
            store.close().unwrap();
            let store = open_on(dir.path(), &clock, &disk);
            in_force(&store, no, &what);
            let times = store
                .audit_log(AuditFilter::default())
                .unwrap()
                .into_iter()
                .filter(|e| e.kind == kind_of(no))
                .count();
            assert_eq!(times, 1, "{what}");
        }
    }
}

/// The child: grants, then says no while the log refuses writes (or syncs), and ends the
/// process at once — no close, nothing left in memory.
#[test]
#[ignore = "child process of a_no_the_log_refused_outlives_the_process"]
fn unwritten_child() {
    let spec = std::env::var(CHILD_ENV).expect("run by its parent, which sets the spec");
    let [dir, mode, no, anchor] = spec.split('|').collect::<Vec<_>>()[..] else {
        panic!("{spec}")
    };
    let no = NOS[no.parse::<usize>().unwrap()];
    let clock = clock();
    let disk = Arc::new(Disk::default());
    let store = open_sealed_on(Path::new(dir), &clock, &disk, child_sealer(anchor));
    let _session = granted(&store);
    disk.0.store(mode.parse().unwrap(), Ordering::SeqCst);
    let result = say(&store, no);
    assert!(matches!(result, Err(ConsentError::Storage { .. })));
    std::process::exit(0);
}

#[test]
fn a_no_the_log_refused_outlives_the_process() {
    let _alone = ONE_AT_A_TIME.lock();
    let keys = tempfile::tempdir().unwrap();
    for (sealed, mode) in [(false, LOG_WRITES), (false, LOG_SYNCS), (true, LOG_WRITES)] {
        for (i, no) in NOS.into_iter().enumerate() {
            let what = format!("sealed {sealed}, mode {mode}, {no:?}");
            let dir = tempfile::tempdir().unwrap();
            let anchor = match sealed {
                true => keys
                    .path()
                    .join(format!("anchor-{i}"))
                    .display()
                    .to_string(),
                false => "-".into(),
            };
            let status = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "unwritten_child",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(
                    CHILD_ENV,
                    format!("{}|{mode}|{i}|{anchor}", dir.path().display()),
                )
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "{what}: the child failed");
            assert!(
                dir.path().join("consent.unwritten").exists(),
                "{what}: kept beside the log"
            );
            let clock = clock();
            let disk = Arc::new(Disk::default());
            let store = open_sealed_on(dir.path(), &clock, &disk, child_sealer(&anchor));
            in_force(&store, no, &what);
            // Read back as it was kept (the file the key's anchor names): nothing assumed.
            let assumed = store
                .audit_log(AuditFilter::default())
                .unwrap()
                .into_iter()
                .find(|e| e.rebuilt == Some(DerivedFile::Unwritten));
            assert_eq!(assumed.map(|e| e.problem), None, "{what}");
            assert!(store.verify().unwrap().intact, "{what}");
        }
    }
}

#[test]
fn an_unreadable_unwritten_file_is_kept_aside_and_every_no_it_could_hold_is_assumed() {
    let _alone = ONE_AT_A_TIME.lock();
    let (dir, clock, disk) = on_a_disk();
    let store = open_on(dir.path(), &clock, &disk);
    let _session = granted(&store);
    store.close().unwrap();
    drop(store);
    let planted = b"CKUNWR05 garbage".to_vec();
    std::fs::write(dir.path().join("consent.unwritten"), &planted).unwrap();
    let store = open_on(dir.path(), &clock, &disk);
    // What it held cannot be known, and it could only have held "no"s: when in doubt, off.
    for feature in [Feature::Camera, Feature::AdPersonalization] {
        let state = store.state(feature);
        assert_eq!(state.status, ConsentStatus::Denied, "{feature:?}");
        assert_eq!(state.decided_by, Some(Actor::App), "{feature:?}");
    }
    assert_eq!(store.policy_state().status, PolicyStatus::Declined);
    // The app's own "no": nobody's quiet period, the person can be asked again at once.
    assert_eq!(store.policy_prompt_advice(), PromptAdvice::Ask);
    let why = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.rebuilt == Some(DerivedFile::Unwritten))
        .expect("the log says why");
    assert!(why.problem.unwrap().contains("unreadable"));
    assert!(store.verify().unwrap().intact);
    assert!(!dir.path().join("consent.unwritten").exists());
    assert_eq!(
        std::fs::read(dir.path().join("consent.unwritten.damaged")).unwrap(),
        planted,
        "kept aside, never thrown away"
    );
}

/// Every "no" the unreadable file could hold is in force, assumed by the app.
fn every_no_assumed(store: &ConsentStore, what: &str) {
    assert_eq!(
        store.policy_state().status,
        PolicyStatus::Declined,
        "{what}"
    );
    assert!(Feature::ALL.iter().all(|f| !store.is_allowed(*f)), "{what}");
}

#[test]
fn an_unwritten_file_cut_short_at_any_length_is_kept_aside_and_never_read() {
    let _alone = ONE_AT_A_TIME.lock();
    let (dir, clock, disk) = on_a_disk();
    let store = open_on(dir.path(), &clock, &disk);
    drop(granted(&store));
    store.close().unwrap();
    drop(store);
    let file = dir.path().join("consent.unwritten");
    let aside = dir.path().join("consent.unwritten.damaged");
    // Its header, a length that promises more than there is, and zeros: every length up to
    // past the smallest whole file.
    let mut whole = b"CKUNWR05".to_vec();
    whole.extend_from_slice(&200u32.to_le_bytes());
    whole.resize(80, 0);
    for len in 0..=whole.len() {
        let what = format!("a file of {len} bytes");
        std::fs::write(&file, &whole[..len]).unwrap();
        let store = ConsentStore::open_with(
            dir.path(),
            Some(cn_config()),
            StoreOptions {
                io_faults: Some(disk.clone()),
                ..options(&clock)
            },
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        every_no_assumed(&store, &what);
        assert_eq!(std::fs::read(&aside).unwrap(), &whole[..len], "{what}");
        assert!(!file.exists(), "{what}");
        // Why, as the log says it: shorter than a header (12 bytes) and a trailer (32) is no
        // file of this format; longer, one whose length is not its header's.
        let problem = store
            .audit_log(AuditFilter::default())
            .unwrap()
            .into_iter()
            .find(|e| e.rebuilt == Some(DerivedFile::Unwritten))
            .and_then(|e| e.problem)
            .unwrap_or_else(|| panic!("{what}: the log says why"));
        let why = match len < 12 + 32 {
            true => "not a consentkit file of this format",
            false => "its length does not match its header",
        };
        assert!(problem.contains(why), "{what}: {problem}");
        // Agreed and granted again, for the next file to withdraw.
        store.set_foreground(true).unwrap();
        drop(granted(&store));
        store.close().unwrap();
        drop(store);
        std::fs::remove_file(&aside).unwrap();
    }
}

#[test]
fn a_sealed_store_reads_only_an_unwritten_file_its_key_wrote() {
    let _alone = ONE_AT_A_TIME.lock();
    // An unsealed store of the same app leaves a well-formed file (a revoke the disk refused).
    let unsealed = tempfile::tempdir().unwrap();
    let clock = clock();
    let disk = Arc::new(Disk::default());
    let store = open_on(unsealed.path(), &clock, &disk);
    let _session = granted(&store);
    disk.0.store(LOG_WRITES, Ordering::SeqCst);
    assert!(store.revoke(Feature::Camera, Actor::User).is_err());
    drop(_session);
    drop(store);
    let planted = std::fs::read(unsealed.path().join("consent.unwritten")).unwrap();

    // Copied beside a sealed store's log, it is not the key's: kept aside, every no assumed.
    let sealed = tempfile::tempdir().unwrap();
    let sealer = software_sealer(vec![9; 32], None).unwrap();
    let open_sealed = || {
        on_screen(
            ConsentStore::open_with(
                sealed.path(),
                Some(cn_config()),
                StoreOptions {
                    sealer: Some(sealer.clone()),
                    ..options(&clock)
                },
            )
            .unwrap(),
        )
    };
    let store = open_sealed();
    let _session = granted(&store);
    drop(_session);
    store.close().unwrap();
    drop(store);
    std::fs::write(sealed.path().join("consent.unwritten"), &planted).unwrap();
    let store = open_sealed();
    every_no_assumed(&store, "a file the key did not write");
    assert_eq!(
        std::fs::read(sealed.path().join("consent.unwritten.damaged")).unwrap(),
        planted
    );
}

#[test]
fn each_store_keeps_its_own_nos_and_every_no_a_process_could_not_write() {
    let _alone = ONE_AT_A_TIME.lock();
    let clock = clock();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (disk_a, disk_b) = (Arc::new(Disk::default()), Arc::new(Disk::default()));
    let store_b = open_on(b.path(), &clock, &disk_b);
    drop(granted(&store_b));
    grant(&store_b, Feature::Microphone, GrantScope::UntilRevoked);
    // Store B keeps a "no" of its own, beside its log.
    disk_b.0.store(LOG_WRITES, Ordering::SeqCst);
    assert!(store_b.revoke(Feature::Microphone, Actor::User).is_err());
    drop(store_b);
    // Store A: nothing can be written, not even the file beside its log; two nos in a row.
    let store_a = open_on(a.path(), &clock, &disk_a);
    drop(granted(&store_a));
    disk_a.0.store(ALL_WRITES, Ordering::SeqCst);
    assert!(store_a.revoke(Feature::Camera, Actor::User).is_err());
    assert!(store_a
        .revoke(Feature::AdPersonalization, Actor::User)
        .is_err());
    assert!(!a.path().join("consent.unwritten").exists());
    drop(store_a);

    // Store B, opened in the same process, records its own "no" and forgets it — and hears
    // nothing of A's, nor forgets them.
    disk_b.0.store(HEALTHY, Ordering::SeqCst);
    let store_b = open_on(b.path(), &clock, &disk_b);
    assert_eq!(
        store_b.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
    assert!(!b.path().join("consent.unwritten").exists());
    for feature in [Feature::Camera, Feature::AdPersonalization] {
        assert_eq!(
            store_b.state(feature).status,
            ConsentStatus::Granted,
            "{feature:?}"
        );
    }
    // Store A has both.
    disk_a.0.store(HEALTHY, Ordering::SeqCst);
    let store_a = open_on(a.path(), &clock, &disk_a);
    for feature in [Feature::Camera, Feature::AdPersonalization] {
        assert_eq!(
            store_a.state(feature).status,
            ConsentStatus::Denied,
            "{feature:?}"
        );
    }
}

#[test]
fn a_no_already_durable_is_never_recorded_again_when_a_later_write_fails() {
    let _alone = ONE_AT_A_TIME.lock();
    // The revoke synced (by its own sync, or by the checkpoint that follows it in the same
    // write); then a grant whose sync fails, right after it or one decision later.
    for (decisions_before, decisions_between, checkpoint_every) in
        [(0, 0, 1024), (0, 1, 1024), (1, 0, 1)]
    {
        let what = format!(
            "{decisions_before} decisions before, {decisions_between} between, a checkpoint every {checkpoint_every}"
        );
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let disk = Arc::new(Disk::default());
        let options = StoreOptions {
            io_faults: Some(disk.clone()),
            ..checkpointing(&clock, checkpoint_every)
        };
        let store =
            on_screen(ConsentStore::open_with(dir.path(), Some(cn_config()), options).unwrap());
        drop(granted(&store));
        for _ in 0..decisions_before {
            grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
        }
        store.revoke(Feature::Camera, Actor::User).unwrap();
        for _ in 0..decisions_between {
            grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
        }
        disk.0.store(LOG_SYNCS, Ordering::SeqCst);
        let late = store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User);
        assert!(late.is_err(), "{what}");
        // Nothing to keep: a failed grant is no "no", and the revoke was durable.
        assert!(
            !dir.path().join("consent.unwritten").exists(),
            "{what}: a durable no kept again"
        );
        drop(store);
        disk.0.store(HEALTHY, Ordering::SeqCst);
        let store = open_on(dir.path(), &clock, &disk);
        let revokes = store
            .audit_log(AuditFilter {
                feature: Some(Feature::Camera),
                ..AuditFilter::default()
            })
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == AuditKind::Revoked)
            .count();
        assert_eq!(revokes, 1, "{what}: the old no was recorded again");
        // The grant reached the file (only its sync failed), and nothing undid it.
        assert_eq!(
            store.state(Feature::Camera).status,
            ConsentStatus::Granted,
            "{what}"
        );
    }
}

/// An inspector shows each "no" an earlier process could not write as the next open will
/// record it — the app's own read-only view, its export — and changes nothing (I6). Also
/// for a sealed store opened without its key, and when the file is unreadable.
#[test]
fn an_inspector_shows_the_nos_the_log_has_not_taken_yet() {
    let _alone = ONE_AT_A_TIME.lock();
    for sealed in [false, true] {
        for no in NOS {
            let what = format!("sealed {sealed}, {no:?}");
            let dir = tempfile::tempdir().unwrap();
            let clock = clock();
            let disk = Arc::new(Disk::default());
            let sealer = software_sealer(vec![3; 32], None).unwrap();
            let options = StoreOptions {
                io_faults: Some(disk.clone()),
                sealer: sealed.then(|| sealer.clone()),
                ..options(&clock)
            };
            let store =
                on_screen(ConsentStore::open_with(dir.path(), Some(cn_config()), options).unwrap());
            drop(granted(&store));
            disk.0.store(LOG_WRITES, Ordering::SeqCst);
            assert!(say(&store, no).is_err(), "{what}");
            drop(store);
            let file = dir.path().join("consent.unwritten");
            let kept = std::fs::read(&file).unwrap();
            let inspector =
                ConsentStore::open_read_only_with(dir.path(), StoreOptions::default()).unwrap();
            in_force(&inspector, no, &format!("{what}, inspected"));
            let export: serde_json::Value =
                serde_json::from_str(&inspector.export_json().unwrap()).unwrap();
            let camera = export["consent_records"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["feature"] == "camera")
                .cloned()
                .unwrap_or_default();
            if matches!(no, No::Revoke | No::Deny | No::Erase) {
                assert_ne!(camera["status"], "granted", "{what}: the export");
            }
            assert_eq!(std::fs::read(&file).unwrap(), kept, "{what}: left in place");
        }
    }
    // Unreadable: every "no" it could hold.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open_on(dir.path(), &clock, &Arc::new(Disk::default()));
    drop(granted(&store));
    store.close().unwrap();
    drop(store);
    std::fs::write(dir.path().join("consent.unwritten"), b"CKUNWR05 garbage").unwrap();
    let inspector = ConsentStore::open_read_only_with(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(
        inspector.state(Feature::Camera).status,
        ConsentStatus::Denied
    );
    assert_eq!(inspector.policy_state().status, PolicyStatus::Declined);
    assert!(
        dir.path().join("consent.unwritten").exists(),
        "left in place"
    );
}

/// A kept "no" put back after a later process recorded it — and the person granted again —
/// is stale: not recorded over the later grant (it stands "until a person decides again").
#[test]
fn a_kept_no_put_back_after_the_log_went_on_is_not_recorded_again() {
    let _alone = ONE_AT_A_TIME.lock();
    for sealed in [false, true] {
        let what = format!("sealed {sealed}");
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let disk = Arc::new(Disk::default());
        let sealer = software_sealer(vec![5; 32], None).unwrap();
        let open = || {
            let options = StoreOptions {
                io_faults: Some(disk.clone()),
                sealer: sealed.then(|| sealer.clone()),
                ..options(&clock)
            };
            on_screen(ConsentStore::open_with(dir.path(), Some(cn_config()), options).unwrap())
        };
        let store = open();
        drop(granted(&store));
        disk.0.store(LOG_WRITES, Ordering::SeqCst);
        assert!(store.revoke(Feature::Camera, Actor::User).is_err());
        drop(store);
        let file = dir.path().join("consent.unwritten");
        let kept = std::fs::read(&file).unwrap();
        disk.0.store(HEALTHY, Ordering::SeqCst);
        clock.advance(60_000);
        let store = open();
        assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Denied);
        clock.advance(3 * 24 * 60 * 60 * 1000);
        camera_granted(&store);
        store.close().unwrap();
        drop(store);

        std::fs::write(&file, &kept).unwrap();
        // An inspector shows what the next open will record: not the stale revoke.
        let inspector = ConsentStore::open_read_only_with(
            dir.path(),
            StoreOptions {
                sealer: sealed.then(|| sealer.clone()),
                ..options(&clock)
            },
        )
        .unwrap();
        let shown = inspector.state(Feature::Camera).status;
        drop(inspector);
        let store = open();
        assert_eq!(
            store.state(Feature::Camera).status,
            ConsentStatus::Granted,
            "{what}: the later grant stands"
        );
        assert_eq!(
            shown,
            ConsentStatus::Granted,
            "{what}: as the inspector showed"
        );
        let revokes = store
            .audit_log(AuditFilter::default())
            .unwrap()
            .iter()
            .filter(|e| e.kind == AuditKind::Revoked)
            .count();
        assert_eq!(revokes, 1, "{what}");
        assert!(!file.exists(), "{what}: forgotten");
    }
}

#[test]
fn a_sealed_stores_kept_nos_deleted_or_replaced_before_the_next_open_are_all_assumed() {
    let _alone = ONE_AT_A_TIME.lock();
    let clock = clock();
    // The key, and the anchor kept beside it, outlive every process.
    let sealer = software_sealer(vec![9; 32], None).unwrap();
    let open_sealed = |dir: &Path, disk: &Arc<Disk>| {
        let options = StoreOptions {
            io_faults: Some(disk.clone()),
            sealer: Some(sealer.clone()),
            ..options(&clock)
        };
        on_screen(ConsentStore::open_with(dir, Some(cn_config()), options).unwrap())
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("consent.unwritten");
    let disk = Arc::new(Disk::default());
    let store = open_sealed(dir.path(), &disk);
    let session = granted(&store);
    // The log refuses two nos in a row; the file beside it takes each, the second time whole.
    disk.0.store(LOG_WRITES, Ordering::SeqCst);
    assert!(store.deny(Feature::Microphone, Actor::User).is_err());
    let older = std::fs::read(&file).unwrap();
    assert!(store.revoke(Feature::Camera, Actor::User).is_err());
    drop(session);
    drop(store);
    disk.0.store(HEALTHY, Ordering::SeqCst);
    let newer = std::fs::read(&file).unwrap();
    assert_ne!(older, newer);
    // Each copy below starts from the key's anchor as that process left it.
    let anchor = sealer
        .load_anchor()
        .unwrap()
        .expect("a sealed store keeps an anchor");

    for (what, edit) in [
        ("an older copy the key wrote put back", Some(&older)),
        ("deleted", None),
    ] {
        sealer.store_anchor(anchor.clone()).unwrap();
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(
            dir.path().join("consent.log"),
            copy.path().join("consent.log"),
        )
        .unwrap();
        if let Some(bytes) = edit {
            std::fs::write(copy.path().join("consent.unwritten"), bytes).unwrap();
        }
        // An inspector with the key shows what the next open will take.
        let options = StoreOptions {
            sealer: Some(sealer.clone()),
            ..options(&clock)
        };
        let inspector = ConsentStore::open_read_only_with(copy.path(), options).unwrap();
        every_no_assumed(&inspector, what);
        drop(inspector);
        let store = open_sealed(copy.path(), &disk);
        assert_ne!(
            store.state(Feature::Camera).status,
            ConsentStatus::Granted,
            "{what}: the revoke is lost"
        );
        every_no_assumed(&store, what);
        // Recorded: the next open finds nothing waiting, and nothing missing.
        store.close().unwrap();
        drop(store);
        let store = open_sealed(copy.path(), &disk);
        every_no_assumed(&store, what);
        assert!(store.recovery_notice().is_none(), "{what}");
        assert!(store.verify().unwrap().intact, "{what}");
        store.close().unwrap();
    }

    // Untouched, the file is read as written: just the two nos, nothing assumed.
    sealer.store_anchor(anchor).unwrap();
    let store = open_sealed(dir.path(), &disk);
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Denied);
    assert_eq!(store.policy_state().status, PolicyStatus::Agreed);
    assert_eq!(
        store.state(Feature::AdPersonalization).status,
        ConsentStatus::Granted,
        "nothing assumed"
    );
}

#[test]
fn an_open_whose_own_write_fails_fails_rather_than_hand_out_a_store_that_cannot_write() {
    // A full disk opens the store with everything off, so a "no" can still be said; any other
    // failure of what the open writes fails the open.
    let (dir, clock, disk) = on_a_disk();
    let store = open_on(dir.path(), &clock, &disk);
    granted(&store).end().unwrap();
    store.close().unwrap();
    drop(store);

    // The app ships new terms for the camera: the open records them, and that write fails.
    disk.0.store(LOG_WRITES, Ordering::SeqCst);
    let mut camera = FeaturePolicy::default_for(Feature::Camera);
    camera.terms_revision = 2;
    let options = StoreOptions {
        io_faults: Some(disk.clone()),
        ..options(&clock)
    };
    let opened =
        ConsentStore::open_with(dir.path(), Some(cn_config().with_policy(camera)), options);
    assert!(
        matches!(opened, Err(ConsentError::Storage { .. })),
        "{:?}",
        opened.map(|s| s.storage_failure())
    );
}

#[test]
fn an_erasure_carried_out_late_is_carried_out_once_even_when_its_file_outlives_the_open() {
    let (dir, clock, disk) = on_a_disk();
    let store = open_on(dir.path(), &clock, &disk);
    granted(&store).end().unwrap();
    let chain = store.head().chain;
    // The log refuses the erasure: it is taken at once and kept beside it.
    disk.0.store(LOG_WRITES, Ordering::SeqCst);
    assert!(store.erase_all().is_err());
    drop(store);
    assert!(dir.path().join("consent.unwritten").exists());

    // The next open carries it out, then cannot remove the file that kept it: it fails.
    disk.0.store(KEPT_REMOVE, Ordering::SeqCst);
    clock.advance(1_000);
    let options = StoreOptions {
        io_faults: Some(disk.clone()),
        ..options(&clock)
    };
    assert!(ConsentStore::open_with(dir.path(), Some(cn_config()), options).is_err());

    // The one after finds the erasure's chain already there: it is not erased a second time.
    disk.0.store(HEALTHY, Ordering::SeqCst);
    clock.advance(1_000);
    let store = open_on(dir.path(), &clock, &disk);
    assert_eq!(store.head().chain, chain + 1, "one erasure, one new chain");
    let erasures = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::Erased)
        .count();
    assert_eq!(erasures, 1);
    assert!(!dir.path().join("consent.unwritten").exists());
}

#[test]
fn an_erasure_the_disk_refused_is_carried_out_even_when_the_next_open_recovers_from_damage() {
    let (dir, clock, disk) = on_a_disk();
    let store = open_on(dir.path(), &clock, &disk);
    granted(&store).end().unwrap();
    disk.0.store(LOG_WRITES, Ordering::SeqCst);
    assert!(store.erase_all().is_err());
    drop(store);
    // Before the next open, the log is damaged: that open keeps it aside and starts anew.
    let log = dir.path().join("consent.log");
    let mut bytes = std::fs::read(&log).unwrap();
    // The last record's hash: the records before it are good, and say which chain it was.
    let end = records_end(&bytes);
    bytes[end - 1] ^= 0xFF;
    std::fs::write(&log, &bytes).unwrap();

    disk.0.store(HEALTHY, Ordering::SeqCst);
    clock.advance(1_000);
    let store = open_on(dir.path(), &clock, &disk);
    let kinds = kinds(&store);
    assert!(
        kinds.contains(&AuditKind::Erased),
        "the person's erasure is carried out after the recovery: {kinds:?}"
    );
    let kept_aside = std::fs::read_dir(dir.path().join("quarantine"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(
        kept_aside, 0,
        "the damaged copy of what the person erased goes too"
    );
    assert!(
        store.recovery_notice().is_none(),
        "erasing everything ends the notice too"
    );
}

/// Once armed, the next sync of the log waits until released, then fails (EIO).
#[derive(Default)]
struct HeldSync {
    armed: std::sync::atomic::AtomicBool,
    entered: parking_lot::Mutex<bool>,
    released: parking_lot::Mutex<bool>,
    changed: parking_lot::Condvar,
}

impl IoFaults for HeldSync {
    fn before(&self, op: &IoOp) -> std::io::Result<()> {
        let sync = matches!(op.kind, IoKind::SyncData | IoKind::SyncAll);
        if !(sync && op.file == "consent.log" && self.armed.swap(false, Ordering::SeqCst)) {
            return Ok(());
        }
        *self.entered.lock() = true;
        self.changed.notify_all();
        let mut released = self.released.lock();
        while !*released {
            self.changed.wait(&mut released);
        }
        Err(std::io::Error::from_raw_os_error(EIO))
    }
}

#[test]
fn a_no_waiting_for_a_sync_another_writer_joined_is_kept_when_that_sync_fails() {
    // Group commit: a revoke waits for its sync while another decision is written behind it.
    // The sync fails, and the kernel may have dropped both writes: each "no" must be kept.
    let _alone = ONE_AT_A_TIME.lock();
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let held = Arc::new(HeldSync::default());
    let options = StoreOptions {
        io_faults: Some(held.clone()),
        ..options(&clock)
    };
    let store = on_screen(ConsentStore::open_with(dir.path(), Some(config()), options).unwrap());
    camera_granted(&store);
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    let log = dir.path().join("consent.log");
    let bytes = std::fs::read(&log).unwrap();
    let before_the_nos = records_end(&bytes);

    held.armed.store(true, Ordering::SeqCst);
    let revoking = {
        let store = store.clone();
        std::thread::spawn(move || store.revoke(Feature::Camera, Actor::User))
    };
    {
        let mut entered = held.entered.lock();
        while !*entered {
            held.changed.wait(&mut entered);
        }
    }
    let denying = {
        let store = store.clone();
        std::thread::spawn(move || store.revoke(Feature::Microphone, Actor::User))
    };
    // The second revoke is written and waits behind the held sync.
    std::thread::sleep(std::time::Duration::from_millis(100));
    *held.released.lock() = true;
    held.changed.notify_all();
    assert!(revoking.join().unwrap().is_err());
    assert!(denying.join().unwrap().is_err());
    drop(store);

    // What the failed sync may have lost: both records.
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[before_the_nos..].fill(0);
    std::fs::write(&log, &bytes).unwrap();
    let store = open(dir.path(), &clock);
    assert_eq!(
        store.state(Feature::Camera).status,
        ConsentStatus::Denied,
        "the revoke whose sync another writer joined"
    );
    assert_eq!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
}

/// Once armed, the next allocation of room in the log fails with EIO (not a full disk).
#[derive(Default)]
struct FailAllocation(std::sync::atomic::AtomicBool);

impl IoFaults for FailAllocation {
    fn before(&self, op: &IoOp) -> std::io::Result<()> {
        if op.kind == IoKind::Allocate
            && op.file == "consent.log"
            && self.0.swap(false, Ordering::SeqCst)
        {
            return Err(std::io::Error::from_raw_os_error(EIO));
        }
        Ok(())
    }
}

#[test]
fn an_io_error_while_the_log_grows_is_a_failed_write_not_a_full_disk() {
    // A full disk still takes closing decisions into the room kept for them; a failed write
    // takes nothing more, so the next open finds the log as the last good write left it.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let faults = Arc::new(FailAllocation::default());
    let options = StoreOptions {
        io_faults: Some(faults.clone()),
        ..options(&clock)
    };
    let store = on_screen(ConsentStore::open_with(dir.path(), Some(config()), options).unwrap());
    camera_granted(&store);
    // Erasing starts a new log with no room ahead: its next record must grow it, and that fails.
    faults.0.store(true, Ordering::SeqCst);
    let _ = store.erase_all();
    let failure = store
        .storage_failure()
        .expect("the failed growth stops the store");
    assert!(
        !failure.contains("no room"),
        "an I/O error is not a full disk: {failure}"
    );
    drop(store);

    let store = open(dir.path(), &clock);
    assert_eq!(
        store.recovery_notice(),
        None,
        "nothing was written after the failed write"
    );
    assert!(store.verify().unwrap().intact);
    assert_eq!(
        store.state(Feature::Camera).status,
        ConsentStatus::NotAsked,
        "the erasure stands"
    );
}

/// Only a "no" is taken when the disk refuses it: a failing disk never makes a child an adult,
/// in this process or the next.
#[test]
fn an_adult_age_signal_the_disk_refused_leaves_a_minor_a_minor() {
    let _alone = ONE_AT_A_TIME.lock();
    let (dir, clock, disk) = on_a_disk();
    let store = open_on(dir.path(), &clock, &disk);
    drop(granted(&store));
    let child = age_range(10, Some(12));
    store.set_age_signal(child).unwrap();
    disk.0.store(ALL_WRITES, Ordering::SeqCst);
    let adult = store.set_age_signal(age_range(18, None));
    assert!(
        matches!(adult, Err(ConsentError::Storage { .. })),
        "{adult:?}"
    );
    assert_eq!(store.age_signal(), Some(child), "in this process");
    drop(store);
    disk.0.store(HEALTHY, Ordering::SeqCst);
    let store = open_on(dir.path(), &clock, &disk);
    assert_eq!(store.age_signal(), Some(child), "after a relaunch");
}
