//! A real full disk: a small tmpfs filled to the brim while the app grants, revokes, checkpoints and recovers. Needs permission to mount; where that is missing, each test says why it did not run.
#![cfg(target_os = "linux")]

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use consentkit::*;

/// A child forked (to mount or unmount) while another test reopens its store holds that
/// store's directory lock until it execs: one test at a time mounts, runs and unmounts.
static ONE_AT_A_TIME: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// A small tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
    _alone: parking_lot::MutexGuard<'static, ()>,
}

impl Tmpfs {
    /// `None` (having said why) where this process may not mount.
    fn mount(size_kib: u64) -> Option<Tmpfs> {
        let alone = ONE_AT_A_TIME.lock();
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size_kib}k,mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Tmpfs { dir, _alone: alone }),
            Ok(out) => {
                println!(
                    "NOT RUN: mounting a tmpfs is not permitted here ({})",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                println!("NOT RUN: no mount command ({e})");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Frees what `fill` took. Truncated before it is removed: a process another test forks
    /// may hold the file open for a moment, and removing it alone would free nothing yet.
    fn free(filler: &Path) {
        fs::OpenOptions::new()
            .write(true)
            .open(filler)
            .unwrap()
            .set_len(0)
            .unwrap();
        fs::remove_file(filler).unwrap();
    }

    /// Writes a filler file until the filesystem is full; returns its path.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = fs::File::create(&filler).unwrap();
        let chunk = vec![0xA5u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn store_dir(disk: &Tmpfs) -> PathBuf {
    disk.path().join("consent")
}

#[test]
fn on_a_full_disk_grants_are_refused_everything_turns_off_and_a_revoke_still_lands() {
    let Some(disk) = Tmpfs::mount(3 * 1024) else {
        return;
    };
    let dir = store_dir(&disk);
    let clock = clock();
    let store = on_screen(
        ConsentStore::open_with(&dir, Some(config()), checkpointing(&clock, 16)).unwrap(),
    );
    camera_granted(&store);
    let recording = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    let filler = disk.fill();

    // Keep using the store (checkpoints included) until it can no longer reserve room.
    let mut refused = None;
    let mut shots = 0;
    for _ in 0..100_000 {
        clock.advance(1_000);
        match store.begin_use(Feature::Camera, "shoot_photo".into()) {
            Ok(shot) => {
                shots += 1;
                shot.end().unwrap_or(())
            }
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    println!("{shots} photos after the disk filled up, in space reserved before");
    assert!(shots > 100, "the log had room reserved ahead: {shots}");
    let refused = refused.expect("a full disk must stop the store eventually");
    assert!(
        matches!(refused, ConsentError::Storage { .. }),
        "{refused:?}"
    );
    assert!(all_features_off(&store));
    assert!(!recording.is_active(), "what was in use stopped");
    assert!(store.storage_failure().is_some());
    assert!(matches!(
        store.grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User),
        Err(ConsentError::Storage { .. })
    ));

    // The person withdraws consent, a day later: it lands in the room kept for it (the new
    // day's checkpoint, which would need more room than there is, waits).
    clock.advance(24 * 60 * 60 * 1000);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Denied);
    drop(recording);
    drop(store);

    Tmpfs::free(&filler);
    let store = open(&dir, &clock);
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Denied);
    let kinds = kinds(&store);
    assert!(
        kinds.contains(&AuditKind::StorageFailed),
        "the failure is on record"
    );
    assert!(store.verify().unwrap().intact);
}

#[test]
fn on_a_full_disk_damage_is_kept_until_there_is_room_to_recover() {
    let Some(disk) = Tmpfs::mount(3 * 1024) else {
        return;
    };
    let dir = store_dir(&disk);
    let clock = clock();
    {
        let store = open(&dir, &clock);
        camera_granted(&store);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    let log = dir.join("consent.log");
    let mut bytes = fs::read(&log).unwrap();
    bytes[120] ^= 0x04;
    fs::write(&log, &bytes).unwrap();
    let filler = disk.fill();

    let full = ConsentStore::open_with(&dir, Some(config()), options(&clock));
    match full {
        // No room for the new chain: nothing opens, and the damaged log is still there.
        Err(ConsentError::Storage { .. }) => {
            assert_eq!(
                fs::read(&log).unwrap(),
                bytes,
                "the damage is never forgotten"
            );
        }
        // Room enough (hard links and one small file): recovered, and it says so.
        Ok(store) => {
            assert!(store.recovery_notice().is_some());
            assert!(all_off(&store));
        }
        Err(other) => panic!("{other:?}"),
    }
    Tmpfs::free(&filler);
    let store = open(&dir, &clock);
    let notice = store
        .recovery_notice()
        .expect("recovered once there was room");
    assert!(dir
        .join(&notice.quarantined_as)
        .join("consent.log")
        .exists());
    assert!(all_off(&store));
}

#[test]
fn a_store_on_a_read_only_filesystem_can_be_inspected_and_verified() {
    let Some(disk) = Tmpfs::mount(4 * 1024) else {
        return;
    };
    let dir = store_dir(&disk);
    {
        let store = open(&dir, &clock());
        camera_granted(&store);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    let remount = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(disk.path())
        .status()
        .unwrap();
    assert!(remount.success());
    let store = ConsentStore::open_read_only_with(&dir, StoreOptions::default()).unwrap();
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    assert!(!store.is_allowed(Feature::Camera));
    assert!(store.verify().unwrap().intact);
    assert_eq!(
        store.privacy_report(0, i64::MAX).unwrap().features[0].uses,
        1
    );
    assert!(matches!(
        store.revoke(Feature::Camera, Actor::User),
        Err(ConsentError::NotPermitted { .. })
    ));
    // A writer cannot open it there, and says why.
    assert!(ConsentStore::open_with(&dir, Some(config()), StoreOptions::default()).is_err());
}

fn all_features_off(store: &ConsentStore) -> bool {
    Feature::ALL
        .into_iter()
        .all(|f| !store.is_allowed(f) && !store.state(f).allowed)
}

/// Leaves `free_kib` free on a full disk: fills it, then gives that much back.
fn leave_free(disk: &Tmpfs, free_kib: u64) -> PathBuf {
    let filler = disk.fill();
    let len = fs::metadata(&filler).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(len.saturating_sub(free_kib * 1024))
        .unwrap();
    filler
}

#[test]
fn after_a_torn_tail_is_repaired_on_a_nearly_full_disk_a_revoke_still_has_room() {
    // Less than a growth step of the log (1 MiB) but more than the reserve; then less than
    // the reserve (64 KiB) — the store opens out of room, everything off, and a revoke lands.
    for (truncated, free_kib) in [
        (false, 900),
        (true, 900),
        (false, 16),
        (true, 48),
        (true, 16),
    ] {
        let what = format!("truncated {truncated}, {free_kib} KiB free");
        let Some(disk) = Tmpfs::mount(4 * 1024) else {
            return;
        };
        let dir = store_dir(&disk);
        let clock = clock();
        let store = open(&dir, &clock);
        camera_granted(&store);
        store.close().unwrap();
        drop(store);
        // A crash tore the last append: a frame header and part of its payload, then zeros
        // (or, copied or cut short, nothing after the records at all).
        let log = dir.join("consent.log");
        let mut bytes = fs::read(&log).unwrap();
        let end = records_end(&bytes);
        if truncated {
            bytes.truncate(end + 20);
        }
        bytes[end..end + 4].copy_from_slice(&200u32.to_le_bytes());
        bytes[end + 4..end + 8].copy_from_slice(&(!200u32).to_le_bytes());
        bytes[end + 8..end + 20].fill(0xAB);
        fs::write(&log, &bytes).unwrap();
        let filler = leave_free(&disk, free_kib);

        let store = ConsentStore::open_with(&dir, Some(config()), options(&clock))
            .unwrap_or_else(|e| panic!("{what}: the store does not open: {e}"));
        let log_kinds = kinds(&store);
        assert!(
            log_kinds.contains(&AuditKind::TailRepaired),
            "{what}: the repair is recorded: {log_kinds:?}"
        );
        if free_kib < 64 {
            assert!(
                all_features_off(&store),
                "{what}: out of room, everything off"
            );
        } else {
            assert!(store.storage_failure().is_none(), "{what}");
        }
        store.revoke(Feature::Camera, Actor::User).unwrap();
        drop(store);
        Tmpfs::free(&filler);
        let store = open(&dir, &clock);
        assert_eq!(
            store.state(Feature::Camera).status,
            ConsentStatus::Denied,
            "{what}: the next process reads the revoke"
        );
        assert!(store.verify().unwrap().intact, "{what}");
        drop(store);
    }
}

#[test]
fn a_revoke_the_full_disk_refused_still_stands_after_a_smaller_no_is_written_behind_it() {
    let Some(disk) = Tmpfs::mount(4 * 1024) else {
        return;
    };
    let dir = store_dir(&disk);
    let clock = clock();
    let store = open(&dir, &clock);
    camera_granted(&store);
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    grant(&store, Feature::PhotoLibrary, GrantScope::UntilRevoked);
    // A thousand camera sessions open: revoking the camera ends each of them in the same
    // write, more than the room kept for closing decisions holds.
    let sessions: Vec<_> = (0..1_000)
        .map(|_| {
            store
                .begin_use(Feature::Camera, "shoot_photo".into())
                .unwrap()
        })
        .collect();
    let filler = disk.fill();
    while store.storage_failure().is_none() {
        clock.advance(1_000);
        if let Ok(take) = store.begin_use(Feature::Microphone, "record_video".into()) {
            take.end().unwrap_or(());
        }
    }

    // The camera's revoke does not fit: it takes effect at once and is kept for the next open.
    assert!(matches!(
        store.revoke(Feature::Camera, Actor::User),
        Err(ConsentError::Storage { .. })
    ));
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Denied);
    // A smaller "no" still fits the room kept, and is written after the record the kept
    // revoke was said after: the kept revoke must still count as said after it.
    store.revoke(Feature::Microphone, Actor::User).unwrap();
    drop(store);
    drop(sessions);

    Tmpfs::free(&filler);
    let store = open(&dir, &clock);
    assert_eq!(
        store.state(Feature::Camera).status,
        ConsentStatus::Denied,
        "the revoke the disk refused is recorded by the next open, not taken for one the log went past"
    );
    assert_eq!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
    // The kept revoke was read back as it was kept: no "no" assumed beyond what was said.
    assert_eq!(
        store.state(Feature::PhotoLibrary).status,
        ConsentStatus::Granted
    );
    assert!(store.verify().unwrap().intact);
}

/// Fails every write and sync while `0` is set: a disk that refuses a moment.
#[derive(Default)]
struct Refusing(std::sync::atomic::AtomicBool);

impl IoFaults for Refusing {
    fn before(&self, op: &IoOp) -> std::io::Result<()> {
        let write = matches!(op.kind, IoKind::Write | IoKind::SyncData | IoKind::SyncAll);
        match write && self.0.load(std::sync::atomic::Ordering::SeqCst) {
            true => Err(std::io::Error::from_raw_os_error(5)),
            false => Ok(()),
        }
    }
}

#[test]
fn a_full_stores_no_never_takes_another_stores_kept_no_for_its_own() {
    // Store B runs out of room; store A, in the same process, keeps a revoke its disk refused;
    // then B writes a "no" of its own into the room it kept. A's revoke stays A's — said after
    // A's records, recorded by A's next open — and B hears nothing of it.
    let Some(disk) = Tmpfs::mount(4 * 1024) else {
        return;
    };
    let clock = clock();
    let filler = leave_free(&disk, 160);
    let dir_b = store_dir(&disk);
    let store_b = open(&dir_b, &clock);
    camera_granted(&store_b);
    grant(&store_b, Feature::Microphone, GrantScope::UntilRevoked);
    while store_b.storage_failure().is_none() {
        clock.advance(1_000);
        if let Ok(take) = store_b.begin_use(Feature::Microphone, "record_video".into()) {
            take.end().unwrap_or(());
        }
    }
    let b_head = store_b.verify().unwrap().head.seq;

    // A's log goes further than B's before its disk refuses the revoke.
    let dir_a = tempfile::tempdir().unwrap();
    let refusing = std::sync::Arc::new(Refusing::default());
    let open_a = || {
        let options = StoreOptions {
            io_faults: Some(refusing.clone()),
            ..options(&clock)
        };
        on_screen(ConsentStore::open_with(dir_a.path(), Some(config()), options).unwrap())
    };
    let store_a = open_a();
    camera_granted(&store_a);
    while store_a.verify().unwrap().head.seq <= b_head + 4 {
        use_once(&store_a, Feature::Camera, "shoot_photo");
    }
    refusing.0.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(store_a.revoke(Feature::Camera, Actor::User).is_err());
    assert_eq!(store_a.state(Feature::Camera).status, ConsentStatus::Denied);
    drop(store_a);

    store_b.revoke(Feature::Microphone, Actor::User).unwrap();
    drop(store_b);
    Tmpfs::free(&filler);
    let store_b = open(&dir_b, &clock);
    assert_eq!(
        store_b.state(Feature::Camera).status,
        ConsentStatus::Granted,
        "store B took store A's revoke for its own"
    );
    assert_eq!(
        store_b.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
    drop(store_b);

    refusing.0.store(false, std::sync::atomic::Ordering::SeqCst);
    let store_a = open_a();
    assert_eq!(
        store_a.state(Feature::Camera).status,
        ConsentStatus::Denied,
        "store A's revoke was lost"
    );
    assert!(store_a.verify().unwrap().intact);
}
