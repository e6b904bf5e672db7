//! Crash and tamper behaviour of the on-disk log: torn tails are cut, anything else turns every feature off and is kept aside.
//!
//! Over 400 lines: one test per way a store's files are lost, cut or damaged, each short; splitting would scatter one subject.

mod common;

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use common::*;
use consentkit::*;
use sha2::Digest;

const LOG: &str = "consent.log";
const SNAPSHOT: &str = "consent.snapshot";
const MAGIC_LEN: usize = 8;

/// Byte ranges of the frames in a log file (header: len, !len; then payload and a 32-byte
/// hash), up to the zeroed space the log preallocates.
fn frames(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut pos = MAGIC_LEN;
    while pos + 8 <= bytes.len() && bytes[pos..pos + 8].iter().any(|&b| b != 0) {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        let end = pos + 8 + len + 32;
        out.push(pos..end);
        pos = end;
    }
    out
}

/// A store with a granted camera, a denied microphone and some use history, closed.
fn populated(dir: &Path, checkpoint_every: u64) {
    populated_for(dir, checkpoint_every, config());
}

fn populated_for(dir: &Path, checkpoint_every: u64, config: ConsentConfig) {
    let clock = clock();
    let store = on_screen(
        ConsentStore::open_with(dir, Some(config), checkpointing(&clock, checkpoint_every))
            .unwrap(),
    );
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    store.deny(Feature::Microphone, Actor::User).unwrap();
    grant(&store, Feature::PhotoLibrary, GrantScope::UntilRevoked);
    for _ in 0..6 {
        let session = store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .unwrap();
        clock.advance(1_000);
        session.end().unwrap();
    }
    store.close().unwrap();
}

/// A populated store whose last record is a clipboard grant, its clock, and its log's bytes.
fn populated_then_one_more_grant() -> (tempfile::TempDir, std::sync::Arc<FakeClock>, Vec<u8>) {
    let base = tempfile::tempdir().unwrap();
    populated(base.path(), 10_000);
    let clock = clock();
    let store = open(base.path(), &clock);
    grant(&store, Feature::Clipboard, GrantScope::UntilRevoked);
    store.close().unwrap();
    let bytes = fs::read(log_path(base.path())).unwrap();
    (base, clock, bytes)
}

fn copy_store(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for name in [LOG, SNAPSHOT] {
        if from.join(name).exists() {
            fs::copy(from.join(name), to.path().join(name)).unwrap();
        }
    }
    to
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join(LOG)
}

/// Opens a damaged copy and checks the promise: everything off, the damage reported with
/// the first bad record, the files kept aside, and a fresh chain that verifies from then on.
fn assert_recovers_all_off(dir: &Path, expected_bad_seq: Option<u64>) {
    let store = open(dir, &clock());
    let report = store.verify().unwrap();
    assert!(all_off(&store), "every feature must be off after damage");
    assert!(!report.intact);
    let first_bad = report.first_bad_seq.expect("first bad seq reported");
    if let Some(expected) = expected_bad_seq {
        assert_eq!(first_bad, expected, "{:?}", report.problem);
    }
    let kept = dir
        .join(report.quarantined_as.as_deref().unwrap())
        .join(LOG);
    assert!(kept.exists(), "damaged log kept at {}", kept.display());
    let notice = store.recovery_notice().expect("recovery notice");
    assert_eq!(notice.first_bad_seq, first_bad);
    let log = store.audit_log(AuditFilter::default()).unwrap();
    assert_eq!(log.last().unwrap().kind, AuditKind::Recovered);
    // Work continues on the new chain, and it stays flagged until the user erases.
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    assert!(!store.verify().unwrap().intact);
    store.erase_all().unwrap();
    assert!(store.verify().unwrap().intact);
    // The right to deletion covers the damaged copies kept aside too.
    assert!(
        !dir.join("quarantine").exists(),
        "erase removes quarantined copies"
    );
}

#[test]
fn a_log_in_another_format_version_is_kept_aside_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    assert_eq!(&bytes[..8], b"CKLOG04\n");
    bytes[5..7].copy_from_slice(b"01");
    fs::write(log_path(dir.path()), &bytes).unwrap();
    let store = open(dir.path(), &clock());
    let notice = store.recovery_notice().expect("kept aside as damage");
    assert!(notice.problem.contains("version 01"), "{}", notice.problem);
    drop(store);
    assert_recovers_all_off(dir.path(), Some(1));
}

#[test]
fn a_torn_last_record_is_cut_at_every_byte_offset() {
    let (base, clock, bytes) = populated_then_one_more_grant();
    let last = frames(&bytes).last().unwrap().clone();
    for cut in last.start..last.end {
        let dir = copy_store(base.path());
        fs::write(log_path(dir.path()), &bytes[..cut]).unwrap();
        // Opened as a process started in the background: nothing written after the repair.
        let store = ConsentStore::open_with(dir.path(), Some(config()), options(&clock)).unwrap();
        assert_eq!(
            store.state(Feature::Clipboard).status,
            ConsentStatus::NotAsked,
            "cut at {cut}"
        );
        assert_eq!(
            store.state(Feature::Camera).status,
            ConsentStatus::Granted,
            "cut at {cut}"
        );
        let newest = store
            .audit_log(AuditFilter {
                limit: Some(1),
                ..Default::default()
            })
            .unwrap();
        if cut > last.start {
            assert_eq!(newest[0].kind, AuditKind::TailRepaired, "cut at {cut}");
        } else {
            assert_ne!(newest[0].kind, AuditKind::TailRepaired);
        }
        let report = store.verify().unwrap();
        assert!(report.intact, "cut at {cut}: {:?}", report.problem);
    }
}

#[test]
fn a_record_cut_short_inside_preallocated_space_is_a_torn_tail() {
    let (base, clock, bytes) = populated_then_one_more_grant();
    assert!(
        bytes.len() > frames(&bytes).last().unwrap().end,
        "the log keeps zeroed space ahead"
    );
    let last = frames(&bytes).last().unwrap().clone();
    // A crash persisted only a prefix of the last record: the rest, hash included, is zero.
    for kept in [8, 20, last.len() - 33] {
        let mut torn = bytes.clone();
        torn[last.start + kept..last.end].fill(0);
        let dir = copy_store(base.path());
        fs::write(log_path(dir.path()), &torn).unwrap();
        let store = open(dir.path(), &clock);
        assert_eq!(
            store.state(Feature::Clipboard).status,
            ConsentStatus::NotAsked
        );
        assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
        assert!(store.verify().unwrap().intact);
    }
    // The same record with a real but wrong hash is damage, not a crash.
    let mut tampered = bytes.clone();
    tampered[last.start + 20] ^= 0x01;
    let dir = copy_store(base.path());
    fs::write(log_path(dir.path()), &tampered).unwrap();
    assert_recovers_all_off(dir.path(), None);
}

#[test]
fn zeros_after_the_last_record_are_a_torn_tail_too() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    bytes.extend_from_slice(&[0; 100]);
    fs::write(log_path(dir.path()), bytes).unwrap();
    let store = open(dir.path(), &clock());
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    assert!(store.verify().unwrap().intact);
}

#[test]
fn a_flipped_byte_turns_everything_off() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    let fifth = frames(&bytes)[4].clone();
    bytes[fifth.start + 20] ^= 0x40;
    fs::write(log_path(dir.path()), &bytes).unwrap();
    assert_recovers_all_off(dir.path(), Some(5));
}

#[test]
fn a_flipped_length_in_the_last_record_is_damage_not_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    let last = frames(&bytes).last().unwrap().clone();
    bytes[last.start] ^= 0x7F;
    fs::write(log_path(dir.path()), &bytes).unwrap();
    assert_recovers_all_off(dir.path(), None);
}

#[test]
fn a_deleted_record_turns_everything_off() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    let fifth = frames(&bytes)[4].clone();
    bytes.drain(fifth);
    fs::write(log_path(dir.path()), &bytes).unwrap();
    assert_recovers_all_off(dir.path(), Some(5));
}

#[test]
fn two_swapped_records_turn_everything_off() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let bytes = fs::read(log_path(dir.path())).unwrap();
    let f = frames(&bytes);
    let mut swapped = bytes[..f[4].start].to_vec();
    swapped.extend_from_slice(&bytes[f[5].clone()]);
    swapped.extend_from_slice(&bytes[f[4].clone()]);
    swapped.extend_from_slice(&bytes[f[5].end..]);
    assert_eq!(swapped.len(), bytes.len());
    fs::write(log_path(dir.path()), &swapped).unwrap();
    assert_recovers_all_off(dir.path(), Some(5));
}

#[test]
fn a_well_formed_record_spliced_in_from_another_log_turns_everything_off() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let other = tempfile::tempdir().unwrap();
    populated_for(other.path(), 10_000, ConsentConfig::new("org.other.app"));
    let ours = fs::read(log_path(dir.path())).unwrap();
    let theirs = fs::read(log_path(other.path())).unwrap();
    let (f, g) = (frames(&ours), frames(&theirs));
    // Same sequence number, valid hash of its own, but linked to another chain.
    let mut spliced = ours[..f[4].start].to_vec();
    spliced.extend_from_slice(&theirs[g[4].clone()]);
    spliced.extend_from_slice(&ours[f[4].end..]);
    fs::write(log_path(dir.path()), &spliced).unwrap();
    assert_recovers_all_off(dir.path(), Some(5));
}

#[test]
fn a_truncated_middle_turns_everything_off() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    let f = frames(&bytes);
    let cut = (f[4].start + 10)..(f[7].start + 10);
    bytes.drain(cut);
    fs::write(log_path(dir.path()), &bytes).unwrap();
    assert_recovers_all_off(dir.path(), Some(5));
}

#[test]
fn damage_behind_the_snapshot_is_caught_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 4);
    assert!(dir.path().join(SNAPSHOT).exists());
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    let third = frames(&bytes)[2].clone();
    bytes[third.start + 30] ^= 0x01;
    fs::write(log_path(dir.path()), &bytes).unwrap();
    // Opening reads the snapshot and the tail only, so it does not see record 3...
    let store = open(dir.path(), &clock());
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    // ...but a full verification does, and then everything is off.
    let report = store.verify().unwrap();
    assert!(!report.intact);
    assert_eq!(report.first_bad_seq, Some(3));
    assert!(all_off(&store));
    assert!(dir
        .path()
        .join(report.quarantined_as.unwrap())
        .join(LOG)
        .exists());
}

/// Opens a store whose derived `file` was damaged: the state is the log's (as if the file
/// were gone), the rebuild is recorded, nothing is turned off, and the next open finds the
/// file sound again.
fn assert_rebuilt_from_the_log(dir: &Path, file: DerivedFile, truth: &[FeatureState]) {
    let store = open(dir, &clock());
    assert_eq!(store.states(), truth);
    assert!(
        store.recovery_notice().is_none(),
        "a derived file is not damage to the log"
    );
    let rebuilt: Vec<_> = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::DerivedFileRebuilt)
        .collect();
    assert_eq!(rebuilt.len(), 1, "{rebuilt:?}");
    assert_eq!(rebuilt[0].rebuilt, Some(file));
    assert!(store.verify().unwrap().intact);
    store.close().unwrap();
    let store = open(dir, &clock());
    assert_eq!(store.states(), truth);
    let again = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .iter()
        .filter(|e| e.kind == AuditKind::DerivedFileRebuilt)
        .count();
    assert_eq!(again, 1, "rebuilt once, then believed");
}

/// The states a populated store's log says, and the store's directory.
fn populated_truth(checkpoint_every: u64) -> (tempfile::TempDir, Vec<FeatureState>) {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), checkpoint_every);
    let store = open(dir.path(), &clock());
    let states = store.states();
    store.close().unwrap();
    (dir, states)
}

#[test]
fn a_snapshot_that_disagrees_with_its_checkpoint_is_rebuilt_from_the_log() {
    let (dir, truth) = populated_truth(4);
    let snapshot = fs::read(dir.path().join(SNAPSHOT)).unwrap();
    // Someone edits the state in the snapshot and fixes up the file's own checksum
    // (`CKSNAP03` | body length | body | sha256(body)): only the checkpoint's digest disagrees.
    let mut forged = snapshot.clone();
    let body_end = forged.len() - 32;
    forged[body_end - 1] ^= 0x01;
    let checksum = sha2::Sha256::digest(&forged[12..body_end]);
    forged[body_end..].copy_from_slice(&checksum);
    fs::write(dir.path().join(SNAPSHOT), forged).unwrap();
    assert_rebuilt_from_the_log(dir.path(), DerivedFile::Snapshot, &truth);
}

#[test]
fn an_unreadable_snapshot_is_rebuilt_and_an_unreadable_log_header_is_damage() {
    let (dir, truth) = populated_truth(4);
    fs::write(dir.path().join(SNAPSHOT), b"{ not a snapshot").unwrap();
    assert_rebuilt_from_the_log(dir.path(), DerivedFile::Snapshot, &truth);

    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    bytes[0] = b'X';
    fs::write(log_path(dir.path()), &bytes).unwrap();
    assert_recovers_all_off(dir.path(), Some(1));
}

#[test]
fn a_log_cut_short_before_its_snapshot_turns_everything_off() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 4);
    let bytes = fs::read(log_path(dir.path())).unwrap();
    fs::write(log_path(dir.path()), &bytes[..frames(&bytes)[3].end]).unwrap();
    assert_recovers_all_off(dir.path(), None);
}

#[test]
fn a_lost_snapshot_is_rebuilt_from_the_log_alone() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 4);
    let before = {
        let store = open(dir.path(), &clock());
        let states = store.states();
        store.close().unwrap();
        states
    };
    fs::remove_file(dir.path().join(SNAPSHOT)).unwrap();
    let store = open(dir.path(), &clock());
    assert_eq!(store.states(), before);
    assert!(store.verify().unwrap().intact);
}

#[test]
fn the_head_anchors_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10_000);
    let store = open(dir.path(), &clock());
    let head = store.head();
    let newest = store
        .audit_log(AuditFilter {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (head.seq, head.hash.clone()),
        (newest[0].seq, newest[0].hash.clone())
    );
    grant(&store, Feature::Clipboard, GrantScope::Once);
    let next = store
        .audit_log(AuditFilter {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(next[0].prev_hash, head.hash);
}

#[test]
fn reports_over_a_recent_window_skip_old_history_through_the_time_index() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = on_screen(
        ConsentStore::open_with(dir.path(), Some(config()), checkpointing(&clock, 8)).unwrap(),
    );
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    for _ in 0..40 {
        clock.advance(3_600_000);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    // Record 3 (an hour-old use, 40 hours ago) is damaged in place, unseen by the open store.
    let mut bytes = fs::read(log_path(dir.path())).unwrap();
    let third = frames(&bytes)[2].clone();
    bytes[third.start + 40] ^= 0x01;
    fs::write(log_path(dir.path()), &bytes).unwrap();

    let now = clock.now_ms();
    let recent = store.privacy_report(now - 5 * 3_600_000, now + 1).unwrap();
    assert_eq!(
        recent.features[0].uses, 6,
        "the recent window is read from the index's start"
    );
    assert!(
        store.audit_log(AuditFilter::default()).is_err(),
        "a full read meets the damage"
    );
}

#[test]
fn checkpoints_keep_their_spacing_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let open_every_5 = || {
        on_screen(
            ConsentStore::open_with(dir.path(), Some(config()), checkpointing(&clock, 5)).unwrap(),
        )
    };
    let store = open_every_5();
    for feature in &Feature::ALL[..6] {
        grant(&store, *feature, GrantScope::UntilRevoked);
    }
    // A reopen between checkpoints must count the records since the last one.
    store.close().unwrap();
    let store = open_every_5();
    for feature in &Feature::ALL[..4] {
        store.deny(*feature, Actor::User).unwrap();
    }
    let checkpoints: Vec<u64> = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .iter()
        .rev()
        .filter(|e| e.kind == AuditKind::Checkpoint)
        .map(|e| e.seq)
        .collect();
    // The genesis and four grants, a checkpoint; five more records, a checkpoint.
    assert_eq!(checkpoints, vec![6, 12]);
}

/// A populated store with damage in the record after the microphone's denial (the fourth
/// after the genesis): the camera granted and the microphone denied before it.
fn populated_and_damaged_at_the_sixth_record(dir: &Path) {
    populated(dir, 10_000);
    let bytes = fs::read(log_path(dir)).unwrap();
    let frames = frames(&bytes);
    let mut damaged = bytes.clone();
    damaged[frames[5].start + 12] ^= 1;
    fs::write(log_path(dir), &damaged).unwrap();
}

#[test]
fn an_inspector_shows_a_damaged_store_as_damaged_with_what_its_good_records_say() {
    let dir = tempfile::tempdir().unwrap();
    populated_and_damaged_at_the_sixth_record(dir.path());
    let damaged = fs::read(log_path(dir.path())).unwrap();
    let inspector_clock = clock();
    let inspector =
        ConsentStore::open_read_only_with(dir.path(), options(&inspector_clock)).unwrap();
    let damage = inspector
        .damage()
        .expect("the inspector says it is damaged");
    assert_eq!(damage.first_bad_seq, 6);
    assert_eq!(inspector.recovery_notice(), Some(damage.clone()));
    // What the records before the damage say, with everything off.
    assert_eq!(
        inspector.state(Feature::Camera).status,
        ConsentStatus::Granted
    );
    assert_eq!(
        inspector.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
    assert!(Feature::ALL
        .iter()
        .all(|f| !inspector.is_allowed(*f) && !inspector.state(*f).allowed));
    assert_eq!(
        inspector.audit_log(AuditFilter::default()).unwrap().len(),
        5
    );
    assert!(matches!(
        inspector.prompt_advice(Feature::Camera),
        PromptAdvice::NotNow { .. }
    ));
    // The quiet period after the damage was found (48 hours) ends, for an inspector too.
    inspector_clock.advance(48 * 60 * 60 * 1000 - 1);
    assert!(matches!(
        inspector.prompt_advice(Feature::Camera),
        PromptAdvice::NotNow { .. }
    ));
    inspector_clock.advance(1);
    assert_eq!(inspector.prompt_advice(Feature::Camera), PromptAdvice::Ask);
    let export: serde_json::Value =
        serde_json::from_str(&inspector.export_json().unwrap()).unwrap();
    assert_eq!(export["damaged"]["first_bad_seq"], 6);
    let report = inspector.verify().unwrap();
    assert!(!report.intact);
    assert_eq!(report.records_checked, 5);
    // The inspector wrote nothing.
    assert_eq!(fs::read(log_path(dir.path())).unwrap(), damaged);
}

#[test]
fn a_log_whose_records_end_just_before_a_growth_step_opens_without_a_repair() {
    // The log grows a mebibyte at a time, with room kept ahead of its records: records ending
    // in the last stretch of a mebibyte make a file exactly one step longer — all of it the
    // log's own room, nothing to cut.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open(dir.path(), &clock);
    let log = dir.path().join("consent.log");
    let first_step = fs::metadata(&log).unwrap().len();
    assert_eq!(first_step, 1 << 20, "a whole growth step");
    while fs::metadata(&log).unwrap().len() == first_step {
        clock.advance(60_000);
        let now = clock.now_ms();
        consentkit::testing::bench::append_synthetic_history(&store, 100, now, now).unwrap();
    }
    assert_eq!(fs::metadata(&log).unwrap().len(), 2 * first_step);
    store.close().unwrap();
    drop(store);

    let truncations = std::sync::Arc::new(Counted::new(IoKind::Truncate));
    let options = StoreOptions {
        io_faults: Some(truncations.clone()),
        ..options(&clock)
    };
    let store = on_screen(ConsentStore::open_with(dir.path(), Some(config()), options).unwrap());
    let kinds = kinds(&store);
    assert!(
        !kinds.contains(&AuditKind::TailRepaired),
        "nothing was torn: {:?}",
        &kinds[..5]
    );
    assert_eq!(
        truncations.count(),
        0,
        "nothing cut, not even to its own length"
    );
    assert!(store.verify().unwrap().intact);
}

/// Counts one kind of change to the disk.
struct Counted(IoKind, std::sync::atomic::AtomicU64);

impl Counted {
    fn new(kind: IoKind) -> Counted {
        Counted(kind, std::sync::atomic::AtomicU64::new(0))
    }

    fn count(&self) -> u64 {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl IoFaults for Counted {
    fn before(&self, op: &IoOp) -> std::io::Result<()> {
        if op.kind == self.0 {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }
}

#[test]
fn decisions_within_the_room_kept_ahead_grow_nothing() {
    // A reopened log takes the room the last process reserved as its own: the decisions that
    // fit it write their records, and no zeros.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open(dir.path(), &clock);
    camera_granted(&store);
    store.close().unwrap();
    drop(store);
    // Each preallocation writes zeros over room the log grows into.
    let allocations = std::sync::Arc::new(Counted::new(IoKind::Allocate));
    let options = StoreOptions {
        io_faults: Some(allocations.clone()),
        ..options(&clock)
    };
    let store = on_screen(ConsentStore::open_with(dir.path(), Some(config()), options).unwrap());
    for _ in 0..5 {
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    store.revoke(Feature::Camera, Actor::User).unwrap();
    assert_eq!(allocations.count(), 0);
}

#[test]
fn records_that_fill_the_room_kept_ahead_to_its_last_byte_grow_nothing() {
    // A reopened log's room is its records' end, the reserve for closing decisions and 4 KiB:
    // records that end exactly there leave the reserve whole (nothing to grow); the next record
    // grows the log. Camera purposes of every length from 1 to 16 let the uses land on it.
    let purposes: Vec<String> = (0..16u8)
        .map(|i| ((b'a' + i) as char).to_string().repeat(usize::from(i) + 1))
        .collect();
    let config = || {
        config().with_policy(FeaturePolicy {
            purposes: purposes.clone(),
            ..FeaturePolicy::default_for(Feature::Camera)
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let log = dir.path().join("consent.log");
    let end = || records_end(&fs::read(&log).unwrap()) as i64;
    let store = open_with_config(dir.path(), &clock, config());
    camera_granted(&store);
    store.close().unwrap();
    drop(store);
    let end0 = end();
    let allocations = std::sync::Arc::new(Counted::new(IoKind::Allocate));
    let options = StoreOptions {
        io_faults: Some(allocations.clone()),
        ..options(&clock)
    };
    let store = on_screen(ConsentStore::open_with(dir.path(), Some(config()), options).unwrap());
    let room = 4096;
    // What a session's start costs beyond its purpose, and its end.
    let before = end();
    let session = store.begin_use(Feature::Camera, "a".into()).unwrap();
    let began = end() - before - 1;
    session.end().unwrap();
    let ended = end() - before - began - 1;
    // Uses of purposes of length 1–16 until a session's start can end the room exactly.
    let reachable = |left: i64| {
        let k = ((left - began - 16).max(0) + began + ended + 15) / (began + ended + 16);
        (k * (began + ended + 1) + began + 1..=k * (began + ended + 16) + began + 16)
            .contains(&left)
    };
    let last = loop {
        let left = room - (end() - end0);
        if (began + 1..=began + 16).contains(&left) {
            let last = &purposes[(left - began - 1) as usize];
            break store.begin_use(Feature::Camera, last.clone()).unwrap();
        }
        let len = (1..=16)
            .rev()
            .find(|len| reachable(left - began - ended - len))
            .unwrap_or_else(|| panic!("{left} bytes left cannot be filled"));
        use_once(&store, Feature::Camera, &purposes[len as usize - 1]);
    };
    assert_eq!(
        end() - end0,
        room,
        "the records fill the room to its last byte"
    );
    assert_eq!(
        allocations.count(),
        0,
        "the reserve is whole: nothing to grow"
    );
    last.end().unwrap();
    assert_eq!(allocations.count(), 1, "a byte more grows the log");
}

#[test]
fn a_damaged_stores_report_page_and_records_say_it_is_damaged_and_everything_is_off() {
    let dir = tempfile::tempdir().unwrap();
    populated_and_damaged_at_the_sixth_record(dir.path());
    let clock = clock();
    let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    let page = inspector
        .privacy_report_html(0, clock.now_ms(), Language::English)
        .unwrap();
    assert!(
        page.contains(r#"<p class="damage" role="alert">This record is damaged at entry 6"#),
        "{page}"
    );
    // The camera's grant before the damage is shown for what it was, never as allowed.
    let camera = &page[page.find(r#"data-feature="camera""#).unwrap()..];
    let camera = &camera[..camera.find("</article>").unwrap()];
    assert!(
        camera.contains(r#"<p class="status off">off: the record is damaged</p>"#),
        "{camera}"
    );
    let export: serde_json::Value =
        serde_json::from_str(&inspector.export_json().unwrap()).unwrap();
    let records = export["consent_records"].as_array().unwrap();
    assert_eq!(records[0]["status"], "granted");
    assert!(records.iter().all(|r| r["counts"] == false), "{records:?}");
    // Every other way out says so too: the report carries the damage, and the exports with
    // no room to say it are refused rather than looking like a healthy store's.
    let report = inspector.privacy_report(0, clock.now_ms()).unwrap();
    assert_eq!(report.damage.unwrap().first_bad_seq, 6);
    for export in [
        inspector.export_kantara_receipts(),
        inspector.export_access_ndjson(),
    ] {
        match export {
            Err(ConsentError::Storage { reason }) => {
                assert!(reason.contains("damaged at record 6"))
            }
            other => panic!("{other:?}"),
        }
    }
}
