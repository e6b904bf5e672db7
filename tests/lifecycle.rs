//! The store's lifecycle as an app meets it: opening, locking, closing, reopening, erasing, and the files it leaves.

mod common;

use common::*;
use consentkit::*;

#[test]
fn a_second_opener_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let first = open(dir.path(), &clock);
    let second = ConsentStore::open_with(dir.path(), Some(config()), options(&clock));
    assert!(
        matches!(second, Err(ConsentError::StoreLocked { .. })),
        "{:?}",
        second.err()
    );
    first.close().unwrap();
    assert!(ConsentStore::open_with(dir.path(), Some(config()), options(&clock)).is_ok());
}

#[test]
fn a_lock_let_go_a_moment_later_is_waited_for() {
    // As when a child process another thread forked holds the lock until it execs.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let first = open(dir.path(), &clock);
    let closer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        first.close().unwrap();
    });
    let second = ConsentStore::open_with(dir.path(), Some(config()), options(&clock));
    closer.join().unwrap();
    assert!(second.is_ok(), "{:?}", second.err());
}

#[test]
fn a_store_belongs_to_one_app() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    open(dir.path(), &clock).close().unwrap();
    let other = ConsentStore::open_with(
        dir.path(),
        Some(ConsentConfig::new("org.other.app")),
        options(&clock),
    );
    match other {
        Err(ConsentError::WrongStore { reason }) => {
            assert!(
                reason.contains(APP) && reason.contains("org.other.app"),
                "{reason}"
            )
        }
        other => panic!("expected WrongStore, got {other:?}"),
    }
}

fn camera_policy(purposes: &[&str], terms_revision: u32) -> ConsentConfig {
    config().with_policy(FeaturePolicy {
        only_during: None,
        feature: Feature::Camera,
        purposes: purposes.iter().map(|p| p.to_string()).collect(),
        terms_revision,
        how_to_withdraw: None,
        name: None,
        purpose_texts: Vec::new(),
        pii_categories: Vec::new(),
    })
}

#[test]
fn doubtful_configs_are_refused_saying_what_is_wrong() {
    let two = ConsentConfig {
        features: vec![
            FeaturePolicy::default_for(Feature::Camera),
            FeaturePolicy::default_for(Feature::Camera),
        ],
        ..ConsentConfig::new(APP)
    };
    let cases = [
        (ConsentConfig::new(""), "app_id"),
        (ConsentConfig::new("has space"), "app_id"),
        (
            camera_policy(&["ShootPhoto"], 1),
            "capital letters are not allowed",
        ),
        (camera_policy(&["shoot photo"], 1), "spaces are not allowed"),
        (two, "two policies"),
        // Revision 0 is what "never decided" records: a policy starts at 1.
        (camera_policy(&["shoot_photo"], 0), "start at 1"),
        (camera_policy(&[], 1), "declares no purpose"),
        (camera_policy(&["shoot_photo", "shoot_photo"], 1), "twice"),
    ];
    for (config, says) in cases {
        match ConsentStore::open_in_memory(config) {
            Err(ConsentError::InvalidConfig { reason }) => {
                assert!(reason.contains(says), "{reason:?} should say {says:?}")
            }
            other => panic!("expected InvalidConfig saying {says:?}, got {other:?}"),
        }
    }
}

#[test]
fn erase_all_removes_history_and_starts_over_with_everything_off() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open(dir.path(), &clock);
    camera_granted(&store);
    let session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    store.erase_all().unwrap();
    assert!(!session.is_active());
    assert!(all_off(&store));
    // The new chain starts in the background, like every chain; the app is on screen.
    assert_eq!(
        kinds(&store),
        vec![AuditKind::Erased, AuditKind::ForegroundChanged]
    );
    assert_eq!(store.head().seq, 2);
    drop(session);
    store.close().unwrap();
    let store = open(dir.path(), &clock);
    assert!(all_off(&store));
    assert_eq!(
        kinds(&store),
        vec![AuditKind::Erased, AuditKind::ForegroundChanged]
    );
}

#[test]
fn closed_stores_refuse_work_and_answer_off() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    let session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    store.close().unwrap();
    assert!(!session.is_active());
    assert!(!store.is_allowed(Feature::Camera));
    assert_eq!(
        store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User),
        Err(ConsentError::Closed)
    );
}

#[cfg(unix)]
#[test]
fn store_files_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("consent");
    let store = on_screen(
        ConsentStore::open_with(
            &store_dir,
            Some(config()),
            StoreOptions {
                checkpoint_every: 2,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    camera_granted(&store);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store_dir), 0o700);
    for entry in std::fs::read_dir(&store_dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[test]
fn decisions_survive_reopening_and_sessions_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    {
        let store = open(dir.path(), &clock);
        camera_granted(&store);
        store.deny(Feature::Microphone, Actor::User).unwrap();
        store
            .set_os_permission(Feature::Camera, OsPermission::Granted)
            .unwrap();
        let session = store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .unwrap();
        std::mem::forget(session);
        store.close().unwrap();
    }
    let store = open(dir.path(), &clock);
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    assert_eq!(
        store.state(Feature::Camera).os_permission,
        OsPermission::Granted
    );
    assert_eq!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
    assert!(!store.is_allowed(Feature::Camera));
    assert_eq!(store.state(Feature::Camera).active_sessions, 0);
    assert!(store.verify().unwrap().intact);
}

#[test]
fn erasing_tells_observers_of_each_ended_session_then_of_a_new_chain() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let recorder = std::sync::Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    camera_granted(&store);
    let session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    store.erase_all().unwrap();
    assert!(!session.is_active());
    let changes = recorder.changes.lock().clone();
    let ended = changes
        .iter()
        .find(|c| c.kind == AuditKind::SessionEnded)
        .expect("the erased session's end is told");
    assert_eq!(ended.end_reason, Some(SessionEndReason::Erased));
    assert_eq!(ended.chain, 1);
    let erased: Vec<_> = changes
        .iter()
        .filter(|c| c.kind == AuditKind::Erased && c.feature.is_some())
        .collect();
    assert_eq!(
        erased.len(),
        Feature::ALL.len(),
        "one per feature, each reset"
    );
    assert!(erased.iter().all(|c| c.chain == 2
        && c.seq == 1
        && c.state.as_ref().unwrap().status == ConsentStatus::NotAsked));
    // (chain, seq) never goes backwards.
    let order: Vec<(u64, u64)> = changes.iter().map(|c| (c.chain, c.seq)).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    assert_eq!(store.head().chain, 2);
}

#[cfg(unix)]
#[test]
fn an_existing_store_directory_and_its_quarantine_are_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("consent");
    std::fs::create_dir(&store_dir).unwrap();
    std::fs::set_permissions(&store_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let clock = clock();
    open(&store_dir, &clock).close().unwrap();
    assert_eq!(mode(&store_dir), 0o700);
    // Damage the log so the next open keeps it aside.
    let log = store_dir.join("consent.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[20] ^= 0xFF;
    std::fs::write(&log, bytes).unwrap();
    let store = open(&store_dir, &clock);
    let kept = store.recovery_notice().unwrap().quarantined_as;
    assert_eq!(mode(&store_dir.join("quarantine")), 0o700);
    assert_eq!(mode(&store_dir.join(&kept)), 0o700);
    assert_eq!(mode(&store_dir.join(&kept).join("consent.log")), 0o600);
}

/// Every file under `dir` with its bytes, for checking that nothing was written.
fn snapshot_of(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn a_store_held_by_the_app_can_be_inspected_read_only_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let app = open(dir.path(), &clock);
    camera_granted(&app);
    let recording = app
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    let before = snapshot_of(dir.path());
    let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    assert_eq!(
        inspector.state(Feature::Camera).status,
        ConsentStatus::Granted
    );
    assert_eq!(
        inspector.state(Feature::Camera).active_sessions,
        1,
        "the app's session"
    );
    assert!(
        !inspector.is_allowed(Feature::Camera),
        "an inspector uses nothing"
    );
    assert!(!inspector.state(Feature::Camera).allowed);
    assert!(inspector.verify().unwrap().intact);
    assert_eq!(inspector.head(), app.head());
    assert!(matches!(
        inspector.grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User),
        Err(ConsentError::NotPermitted { .. })
    ));
    inspector.close().unwrap();
    drop(inspector);
    assert_eq!(
        snapshot_of(dir.path()),
        before,
        "the inspector wrote something"
    );
    // The app goes on, unaffected.
    assert!(recording.is_active());
    recording.end().unwrap();
}

#[test]
fn a_read_only_inspector_reads_the_consistent_prefix_while_the_app_writes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let app = open(dir.path(), &clock);
    camera_granted(&app);
    let writer = {
        let app = app.clone();
        std::thread::spawn(move || {
            for _ in 0..300 {
                use_once(&app, Feature::Camera, "shoot_photo");
            }
        })
    };
    let mut last = 0;
    while !writer.is_finished() {
        let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
        let head = inspector.head().seq;
        assert!(head >= last, "the prefix never shrinks");
        last = head;
        let log = inspector.audit_log(AuditFilter::default()).unwrap();
        assert_eq!(
            log.len() as u64,
            head,
            "gap-free up to the last complete record"
        );
        assert!(inspector.verify().unwrap().intact);
    }
    writer.join().unwrap();
}

#[test]
fn a_damaged_store_inspected_read_only_reports_the_damage_and_keeps_nothing_aside() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    {
        let store = open(dir.path(), &clock);
        camera_granted(&store);
    }
    let log = dir.path().join("consent.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[40] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
    let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    assert!(all_off(&inspector));
    let report = inspector.verify().unwrap();
    assert!(!report.intact);
    assert_eq!(report.quarantined_as, None);
    assert!(!dir.path().join("quarantine").exists());
    assert_eq!(std::fs::read(&log).unwrap(), bytes);
}
