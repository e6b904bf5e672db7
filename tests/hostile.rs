//! Hostile and odd files in the store's directory: planted links, a deleted lock file, edited derived files, huge tails. Each is caught or harmless, and nothing turns a feature on.
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use common::*;
use consentkit::*;

/// A store with the camera granted and a little history, closed.
fn store_with_history(dir: &Path, checkpoint_every: u64) {
    let clock = clock();
    let store = on_screen(
        ConsentStore::open_with(dir, Some(config()), checkpointing(&clock, checkpoint_every))
            .unwrap(),
    );
    camera_granted(&store);
    for _ in 0..12 {
        clock.advance(60_000);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    store.close().unwrap();
}

fn damage_the_log(dir: &Path) {
    let log = dir.join("consent.log");
    let mut bytes = fs::read(&log).unwrap();
    bytes[100] ^= 0x08;
    fs::write(&log, bytes).unwrap();
    let _ = fs::remove_file(dir.join("consent.snapshot"));
}

#[test]
fn deleting_or_replacing_the_lock_file_does_not_let_a_second_writer_in() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let app = open(dir.path(), &clock);
    for planted in ["delete", "replace"] {
        let lock = dir.path().join("consent.lock");
        let _ = fs::remove_file(&lock);
        if planted == "replace" {
            fs::write(&lock, b"").unwrap();
        }
        let second = ConsentStore::open_with(dir.path(), Some(config()), options(&clock));
        assert!(
            matches!(second, Err(ConsentError::StoreLocked { .. })),
            "after the lock file was {planted}d: {:?}",
            second.map(|_| ())
        );
    }
    camera_granted(&app);
    assert!(app.verify().unwrap().intact);
}

#[test]
fn a_planted_temp_file_link_cannot_make_a_recovery_write_outside_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    fs::write(&victim, b"precious").unwrap();
    store_with_history(dir.path(), 10_000);
    damage_the_log(dir.path());
    symlink(&victim, dir.path().join("consent.log.tmp")).unwrap();
    symlink(&victim, dir.path().join("consent.snapshot.tmp")).unwrap();
    let store = open(dir.path(), &clock());
    assert!(store.recovery_notice().is_some(), "the damage was found");
    assert!(all_off(&store));
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    let log = fs::symlink_metadata(dir.path().join("consent.log")).unwrap();
    assert!(
        log.file_type().is_file(),
        "the log is a plain file inside the store"
    );
    assert!(!dir.path().join("consent.log.tmp").exists());
}

#[test]
fn a_dangling_lock_link_creates_nothing_outside_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("created-by-consentkit");
    symlink(&target, dir.path().join("consent.lock")).unwrap();
    let store = open(dir.path(), &clock());
    camera_granted(&store);
    store.close().unwrap();
    assert!(!target.exists(), "a link was followed out of the store");
}

#[test]
fn a_log_replaced_by_a_link_is_damage_kept_aside_and_everything_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 10_000);
    let elsewhere = outside.path().join("consent.log");
    fs::rename(dir.path().join("consent.log"), &elsewhere).unwrap();
    symlink(&elsewhere, dir.path().join("consent.log")).unwrap();
    let before = fs::read(&elsewhere).unwrap();
    let store = open(dir.path(), &clock());
    let notice = store.recovery_notice().expect("kept aside as damage");
    assert!(
        notice.problem.contains("symbolic link"),
        "{}",
        notice.problem
    );
    assert!(all_off(&store));
    camera_granted(&store);
    assert_eq!(
        fs::read(&elsewhere).unwrap(),
        before,
        "the link's target is untouched"
    );
}

#[test]
fn a_snapshot_claiming_the_largest_offset_opens_as_damage_and_the_store_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 4);
    let path = dir.path().join("consent.snapshot");
    let bytes = fs::read(&path).unwrap();
    // `CKSNAP04` | body length u32 | body | sha256(body); the body starts with the checkpoint's
    // sequence number and offset as postcard varints. Rewrite the offset to u64::MAX.
    let body = &bytes[12..bytes.len() - 32];
    let varint_len = |b: &[u8]| b.iter().position(|x| x & 0x80 == 0).unwrap() + 1;
    let seq_len = varint_len(body);
    let offset_len = varint_len(&body[seq_len..]);
    let mut forged_body = body[..seq_len].to_vec();
    forged_body.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
    forged_body.extend_from_slice(&body[seq_len + offset_len..]);
    let mut forged = b"CKSNAP04".to_vec();
    forged.extend_from_slice(&(forged_body.len() as u32).to_le_bytes());
    forged.extend_from_slice(&forged_body);
    forged.extend_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(&forged_body));
    fs::write(&path, forged).unwrap();

    let store = ConsentStore::open_with(dir.path(), Some(config()), options(&clock()))
        .expect("the store opens");
    assert!(all_off(&store));
    assert!(store.recovery_notice().is_some());
    store.erase_all().unwrap();
    store.close().unwrap();
    let store = open(dir.path(), &clock());
    assert!(store.verify().unwrap().intact);
}

#[test]
fn no_edit_of_the_time_index_hides_a_use_from_a_report_or_a_log_query() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = on_screen(
        ConsentStore::open_with(dir.path(), Some(config()), checkpointing(&clock, 4)).unwrap(),
    );
    camera_granted(&store);
    // A week of uses, one an hour, and checkpoints throughout.
    for _ in 0..7 * 24 {
        clock.advance(3_600_000);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    let now = clock.now_ms();
    let since = now - 3 * 86_400_000;
    let truth = store.privacy_report(since, now + 1).unwrap();
    let truth_log = store
        .audit_log(AuditFilter {
            since_ms: Some(since),
            ..Default::default()
        })
        .unwrap();
    store.close().unwrap();
    let index = fs::read(dir.path().join("consent.index")).unwrap();
    assert!(index.len() > 24 * 10, "the index has entries");
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for round in 0..1_500 {
        let mut edited = index.clone();
        for _ in 0..1 + next() % 3 {
            let at = (next() % edited.len() as u64) as usize;
            edited[at] ^= 1 << (next() % 8);
        }
        fs::write(dir.path().join("consent.index"), &edited).unwrap();
        let store = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
        assert_eq!(
            store.privacy_report(since, now + 1).unwrap(),
            truth,
            "edit {round}"
        );
        let log = store
            .audit_log(AuditFilter {
                since_ms: Some(since),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(log.len(), truth_log.len(), "edit {round}");
    }
}

#[test]
fn a_damaged_index_is_rebuilt_from_the_log_and_the_rebuild_recorded() {
    let dir = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 4);
    let path = dir.path().join("consent.index");
    let mut index = fs::read(&path).unwrap();
    index[3] ^= 0x40;
    fs::write(&path, &index).unwrap();
    let store = open(dir.path(), &clock());
    let rebuilt = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.kind == AuditKind::DerivedFileRebuilt)
        .expect("the rebuild is recorded");
    assert_eq!(rebuilt.rebuilt, Some(DerivedFile::Index));
    assert!(store.recovery_notice().is_none());
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
}

#[test]
fn a_huge_zero_tail_opens_in_bounded_time_and_is_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 10_000);
    let log = dir.path().join("consent.log");
    // A sparse gigabyte of zeros after the records: costs no disk, and must cost no memory.
    fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let store = open(dir.path(), &clock());
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    assert!(store.verify().unwrap().intact);
    let len = fs::metadata(&log).unwrap().len();
    assert!(
        len <= 2 << 20,
        "the tail beyond the log's own space was cut: {len} bytes"
    );
}

#[test]
fn garbage_right_after_the_records_is_damage_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 10_000);
    let log = dir.path().join("consent.log");
    let bytes = fs::read(&log).unwrap();
    let end = bytes.iter().rposition(|&b| b != 0).unwrap() + 1;
    let mut garbage = bytes[..end].to_vec();
    garbage.extend((0..8 << 20).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1));
    fs::write(&log, &garbage).unwrap();
    let store = open(dir.path(), &clock());
    assert!(store.recovery_notice().is_some());
    assert!(all_off(&store));
}

#[test]
fn leftover_temp_files_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 4);
    for name in [
        "consent.log.tmp",
        "consent.snapshot.tmp",
        "consent.index.tmp",
    ] {
        fs::write(dir.path().join(name), b"half written").unwrap();
    }
    let store = open(dir.path(), &clock());
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    for name in [
        "consent.log.tmp",
        "consent.snapshot.tmp",
        "consent.index.tmp",
    ] {
        assert!(!dir.path().join(name).exists(), "{name}");
    }
}

/// An index entry as the store writes it: offset, sequence number, and a check of the two.
fn index_entry(offset: u64, seq: u64) -> Vec<u8> {
    let mut entry = offset.to_le_bytes().to_vec();
    entry.extend_from_slice(&seq.to_le_bytes());
    let check = <sha2::Sha256 as sha2::Digest>::digest(&entry);
    entry.extend_from_slice(&check[..8]);
    entry
}

#[test]
fn a_well_formed_index_that_disagrees_with_the_log_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 4);
    let path = dir.path().join("consent.index");
    let good = fs::read(&path).unwrap();
    let last = good.len() - 24;
    let (offset, seq) = (
        u64::from_le_bytes(good[last..last + 8].try_into().unwrap()),
        u64::from_le_bytes(good[last + 8..last + 16].try_into().unwrap()),
    );
    let disagreeing = [
        // Names the genesis record, which is no checkpoint.
        index_entry(8, 1),
        // Goes backwards.
        [good[24..48].to_vec(), good[..24].to_vec()].concat(),
        // Offsets go backwards while sequence numbers go forward, and the other way round,
        // before a genuine last checkpoint.
        [index_entry(offset + 1, 1), good[last..].to_vec()].concat(),
        [index_entry(9, seq + 1), good[last..].to_vec()].concat(),
        // Points past the end of the log.
        index_entry(u64::MAX - 7, 2),
    ];
    for (case, index) in disagreeing.iter().enumerate() {
        fs::write(&path, index).unwrap();
        let store = open(dir.path(), &clock());
        let rebuilds = store
            .audit_log(AuditFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.rebuilt == Some(DerivedFile::Index))
            .count();
        assert_eq!(rebuilds, case + 1, "case {case}");
        store.close().unwrap();
        assert_eq!(
            fs::read(&path).unwrap()[..24],
            good[..24],
            "rebuilt as it was"
        );
    }
}

/// Runs `body` on its own thread; fails if it has not finished in ten seconds (a hang).
fn within_seconds<T: Send + 'static>(what: &str, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || send.send(body()));
    receive
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what} hangs"))
}

#[test]
fn a_fifo_planted_for_a_store_file_never_hangs_an_open_or_an_inspector() {
    use std::os::unix::ffi::OsStrExt;
    let mkfifo = |path: &Path| {
        let path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    };
    // The app's texts: words, not consent — shown as the built-in ones, and the store opens.
    let dir = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 1024);
    fs::remove_file(dir.path().join("consent.texts")).unwrap();
    mkfifo(&dir.path().join("consent.texts"));
    let path = dir.path().to_path_buf();
    let texts = within_seconds("an inspector over a FIFO of texts", move || {
        let inspector = ConsentStore::open_read_only_with(&path, StoreOptions::default()).unwrap();
        let export: serde_json::Value =
            serde_json::from_str(&inspector.export_json().unwrap()).unwrap();
        export["texts"].clone()
    });
    assert_eq!(texts["from"], "built_in");
    assert!(
        texts["problem"]
            .as_str()
            .unwrap()
            .contains("not a plain file"),
        "{texts}"
    );
    let path = dir.path().to_path_buf();
    within_seconds("the app's open over a FIFO of texts", move || {
        ConsentStore::open_with(&path, Some(config()), StoreOptions::default()).map(|_| ())
    })
    .unwrap();
    // The log itself: damage, kept aside, everything off — promptly.
    let dir = tempfile::tempdir().unwrap();
    store_with_history(dir.path(), 1024);
    fs::remove_file(dir.path().join("consent.log")).unwrap();
    mkfifo(&dir.path().join("consent.log"));
    let path = dir.path().to_path_buf();
    let damage = within_seconds("an inspector over a FIFO log", move || {
        ConsentStore::open_read_only_with(&path, StoreOptions::default())
            .map(|inspector| inspector.damage())
    });
    assert!(matches!(damage, Ok(Some(_)) | Err(_)), "{damage:?}");
}
