//! Kept only as long as necessary (rule 12): old use history is cut off the log on open and by `compact()`, the decisions in force stay as proof, and the chain still verifies from its new start — also when a crash or a failed write interrupts the cut.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::faults::{Fault, FaultPlan};
use common::*;
use consentkit::*;

const DAY: u64 = 24 * 60 * 60 * 1000;

fn retaining(days: u32) -> ConsentConfig {
    ConsentConfig {
        retention_days: days,
        ..config()
    }
}

fn opts(clock: &Arc<FakeClock>) -> StoreOptions {
    checkpointing(clock, 64)
}

fn reopen(dir: &Path, clock: &Arc<FakeClock>, config: ConsentConfig) -> Arc<ConsentStore> {
    on_screen(ConsentStore::open_with(dir, Some(config), opts(clock)).unwrap())
}

/// `days` of a camera app: the camera granted on day 0, the microphone denied on day 5, the
/// clipboard granted and revoked on day 9, then three photos a day.
fn history(dir: &Path, clock: &Arc<FakeClock>, config: ConsentConfig, days: u64) {
    let store = reopen(dir, clock, config);
    camera_granted(&store);
    for day in 0..days {
        if day == 5 {
            store.deny(Feature::Microphone, Actor::User).unwrap();
        }
        if day == 9 {
            grant(&store, Feature::Clipboard, GrantScope::UntilRevoked);
            store.revoke(Feature::Clipboard, Actor::User).unwrap();
        }
        for _ in 0..3 {
            clock.advance(60_000);
            use_once(&store, Feature::Camera, "shoot_photo");
        }
        clock.advance(DAY - 3 * 60_000);
    }
    store.close().unwrap();
}

/// Sixty days of history cut to thirty: the log's path and bytes, which begin with its base.
fn cut_log(dir: &Path, clock: &Arc<FakeClock>) -> (std::path::PathBuf, Vec<u8>) {
    history(dir, clock, retaining(0), 60);
    reopen(dir, clock, retaining(30)).close().unwrap();
    let log = dir.join("consent.log");
    let bytes = std::fs::read(&log).unwrap();
    assert_eq!(&bytes[8..16], b"CKBASE04");
    (log, bytes)
}

fn log_of(store: &ConsentStore) -> Vec<AuditEntry> {
    let mut log = store.audit_log(AuditFilter::default()).unwrap();
    log.reverse();
    log
}

fn log_size(dir: &Path) -> u64 {
    // The used part: the log is preallocated in 1 MiB steps.
    std::fs::metadata(dir.join("consent.log")).unwrap().len()
}

#[test]
fn a_year_of_use_keeps_half_a_year_of_history_and_every_decision_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    history(dir.path(), &clock, retaining(0), 365);
    let kept_everything = reopen(dir.path(), &clock, retaining(0));
    let states = kept_everything.states();
    let camera_decided = states[0].decided_at_ms;
    let all = log_of(&kept_everything).len();
    let export_before = kept_everything.export_json().unwrap().len();
    kept_everything.close().unwrap();

    let store = reopen(dir.path(), &clock, retaining(180));
    assert_eq!(store.states(), states, "pruning changes no decision");
    let log = log_of(&store);
    let cutoff = clock.now_ms() - 180 * DAY as i64;
    let older: Vec<_> = log.iter().filter(|e| e.time_ms < cutoff).collect();
    assert!(
        older.len() <= 64,
        "at most one checkpoint interval older than the window: {}",
        older.len()
    );
    assert!(
        log.len() < all / 2 + 100,
        "{} of {all} records kept",
        log.len()
    );
    let pruned = log.iter().find(|e| e.kind == AuditKind::Pruned).unwrap();
    assert_eq!(
        pruned.pruned_through.unwrap() + 1,
        log[0].seq,
        "names the cut"
    );
    assert_eq!(pruned.pruned_records, Some(log[0].seq - 1));
    assert!(store.verify().unwrap().intact);

    // The proof of consent stays: the camera grant of day 0, the microphone "no" of day 5.
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    let camera = &export["consent_records"][0];
    assert_eq!(camera["status"], "granted");
    assert_eq!(camera["decided_at"], iso8601(camera_decided.unwrap()));
    assert!(camera["record_id"].is_string());
    assert_eq!(export["consent_records"][1]["status"], "denied");
    // Each record id resolves: the day-0 grant and the day-5 "no" are in the base that
    // replaced the records cut off, which the export names.
    let through = export["base"]["through_seq"].as_u64().unwrap();
    assert_eq!(through + 1, log[0].seq);
    assert_eq!(export["base"]["through_hash"].as_str().unwrap().len(), 64);
    for record in &export["consent_records"].as_array().unwrap()[..2] {
        let id = record["record_id"].as_str().unwrap();
        let seq: u64 = id.rsplit('/').next().unwrap().parse().unwrap();
        assert!(seq <= through, "{id}");
        assert_eq!(record["recorded_in"], "base", "{id}");
    }
    // What a cut-off decision was: a grant was a consent given, whatever else was cut; the
    // base does not keep whether a "no" was a refusal or a withdrawal, so it says neither.
    assert_eq!(export["consent_records"][0]["event"], "given");
    assert!(export["consent_records"][1].get("event").is_none());
    let export_after = store.export_json().unwrap().len();
    assert!(
        export_after < export_before * 6 / 10,
        "{export_after} of {export_before}"
    );
    // Recent reports are whole: three photos a day.
    let now = clock.now_ms();
    let week = store.privacy_report(now - 7 * DAY as i64, now).unwrap();
    assert_eq!(week.features[0].uses, 21);
    store.close().unwrap();

    // From the log alone (no snapshot, no index), the base and the kept records replay.
    std::fs::remove_file(dir.path().join("consent.snapshot")).unwrap();
    std::fs::remove_file(dir.path().join("consent.index")).unwrap();
    let store = reopen(dir.path(), &clock, retaining(180));
    assert!(store.recovery_notice().is_none());
    assert_eq!(store.states(), states);
    assert!(store.verify().unwrap().intact);
}

#[test]
fn retention_zero_keeps_everything_and_compact_cuts_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    history(dir.path(), &clock, retaining(0), 40);
    let store = reopen(dir.path(), &clock, retaining(0));
    assert_eq!(store.compact().unwrap(), 0);
    assert_eq!(log_of(&store)[0].seq, 1);
    store.close().unwrap();
    // 30 days: opening cuts once there is a checkpoint interval's worth; compact() any time.
    let store = reopen(dir.path(), &clock, retaining(30));
    let first = log_of(&store)[0].seq;
    assert!(first > 1, "opening cut the old history");
    clock.advance(20 * DAY);
    assert!(store.compact().unwrap() > 0);
    assert!(log_of(&store)[0].seq > first);
    assert_eq!(store.compact().unwrap(), 0, "nothing more to cut");
    assert!(store.verify().unwrap().intact);
}

#[test]
fn a_sealed_log_still_verifies_after_a_cut_and_saved_heads_say_what_they_can() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let sealer = software_sealer(b"a platform key, never exported..".to_vec(), None).unwrap();
    let sealed = |config: ConsentConfig| {
        let options = StoreOptions {
            sealer: Some(sealer.clone()),
            ..opts(&clock)
        };
        on_screen(ConsentStore::open_with(dir.path(), Some(config), options).unwrap())
    };
    let store = sealed(retaining(0));
    let early = store.head();
    // A day of a camera app's use (a sealed store is written only with its key).
    camera_granted(&store);
    for _ in 0..3 {
        clock.advance(60_000);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    store.close().unwrap();
    drop(sealed(retaining(0)));
    let store = sealed(retaining(0));
    camera_granted(&store);
    for _ in 0..200 {
        clock.advance(DAY / 2);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    let late = store.head();
    clock.advance(DAY);
    store.close().unwrap();

    let store = sealed(retaining(30));
    assert!(log_of(&store)[0].seq > 1);
    let report = store.verify().unwrap();
    assert!(
        report.intact && report.sealed_through.is_some(),
        "{report:?}"
    );
    assert!(store.verify_extends(late).unwrap().extends);
    let gone = store.verify_extends(early).unwrap();
    assert!(!gone.extends);
    assert!(gone.problem.unwrap().contains("retention"));
    store.close().unwrap();
    // The anchor kept with the key still matches after the cut.
    let store = sealed(retaining(30));
    assert!(store.recovery_notice().is_none());
}

#[test]
fn a_damaged_base_is_damage_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (log, mut bytes) = cut_log(dir.path(), &clock);
    bytes[40] ^= 0x01;
    std::fs::write(&log, bytes).unwrap();
    let store = reopen(dir.path(), &clock, retaining(30));
    let notice = store.recovery_notice().expect("damage");
    assert!(notice.problem.contains("base"), "{}", notice.problem);
    assert!(all_off(&store));
}

#[test]
fn a_base_rewritten_to_grant_what_was_denied_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    history(dir.path(), &clock, retaining(0), 60);
    reopen(dir.path(), &clock, retaining(30)).close().unwrap();
    consentkit::testing::forge::grant_in_base(dir.path(), Feature::Microphone);
    let store = reopen(dir.path(), &clock, retaining(30));
    let notice = store
        .recovery_notice()
        .expect("the base is bound to its checkpoint");
    assert!(
        notice.problem.contains("does not match"),
        "{}",
        notice.problem
    );
    assert_ne!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Granted
    );
}

#[test]
fn erasing_a_compacted_store_starts_an_ordinary_chain() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    history(dir.path(), &clock, retaining(0), 60);
    let store = reopen(dir.path(), &clock, retaining(30));
    store.erase_all().unwrap();
    assert_eq!(log_of(&store)[0].seq, 1);
    store.close().unwrap();
    let store = reopen(dir.path(), &clock, retaining(30));
    assert!(store.verify().unwrap().intact);
    assert!(log_size(dir.path()) > 0);
}

/// Every disk operation of a cut, made to fail or to crash: the store opens afterwards with
/// its decisions unchanged and its chain intact — cut or not, never damaged.
#[test]
fn a_cut_interrupted_at_any_operation_loses_nothing() {
    let mut faults = 0;
    for fault in [Fault::Fail(5), Fault::CrashAfter] {
        for at in 1.. {
            let dir = tempfile::tempdir().unwrap();
            let clock = clock();
            history(dir.path(), &clock, retaining(0), 60);
            let before = reopen(dir.path(), &clock, retaining(0)).states();
            let plan = Arc::new(FaultPlan::new(dir.path(), at, fault));
            let options = StoreOptions {
                io_faults: Some(plan.clone()),
                ..opts(&clock)
            };
            match ConsentStore::open_with(dir.path(), Some(retaining(30)), options) {
                Ok(store) => {
                    let _ = store.close();
                }
                Err(ConsentError::Storage { .. }) => {}
                Err(other) => panic!("{fault:?} at {at}: {other:?}"),
            }
            if !plan.fired() {
                break;
            }
            faults += 1;
            if fault == Fault::CrashAfter {
                plan.power_cut();
            }
            let store = reopen(dir.path(), &clock, retaining(0));
            let what = format!("{fault:?} at operation {at}");
            assert!(store.recovery_notice().is_none(), "{what}: damaged");
            assert_eq!(store.states(), before, "{what}");
            assert!(store.verify().unwrap().intact, "{what}");
        }
    }
    assert!(faults > 20, "only {faults} operations");
    println!("faults injected into a retention cut: {faults}");
}

/// An app opened day after day and never used adds nothing to its log: the day's checkpoint
/// ends a day that had records, and a day without any needs none.
#[test]
fn an_idle_store_opened_day_after_day_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    history(dir.path(), &clock, config(), 3);
    let launch = || {
        clock.advance(DAY);
        let store = ConsentStore::open_with(dir.path(), Some(config()), opts(&clock)).unwrap();
        let head = store.head();
        store.close().unwrap();
        head
    };
    let first = launch();
    for day in 2..6 {
        let head = launch();
        assert_eq!(
            (head.seq, &head.hash),
            (first.seq, &first.hash),
            "launch on day {day} wrote to an idle store's log"
        );
    }
}

#[test]
fn an_inspector_of_a_cut_log_damaged_at_its_first_kept_record_shows_what_the_base_says() {
    // What the records before the damage say is the state at the cut: the decisions in force
    // then, shown with the damage beside them (I6) — not an empty store.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (log, mut bytes) = cut_log(dir.path(), &clock);
    let body = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    let first_frame = 20 + body + 32;
    bytes[first_frame + 8 + 40] ^= 0x01; // inside the first kept record's payload
    std::fs::write(&log, bytes).unwrap();
    // Without the snapshot the records are read from the base on.
    std::fs::remove_file(dir.path().join("consent.snapshot")).unwrap();

    let inspector = ConsentStore::open_read_only_with(dir.path(), opts(&clock)).unwrap();
    assert!(inspector.damage().is_some(), "the damage is shown");
    assert_eq!(
        inspector.state(Feature::Microphone).status,
        ConsentStatus::Denied,
        "the microphone's denial, from the base"
    );
    assert_eq!(
        inspector.state(Feature::Camera).status,
        ConsentStatus::Granted
    );
    assert!(
        inspector
            .states()
            .iter()
            .all(|s| !s.allowed && !inspector.is_allowed(s.feature)),
        "shown, never allowed"
    );
}

#[test]
fn a_use_whose_start_was_cut_off_is_not_counted_by_halves() {
    // A recording left running for days: its start goes with the days retention cuts, its end
    // is recent. The report counts what is still there — not the time of a use whose start
    // it no longer holds.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = reopen(dir.path(), &clock, retaining(1));
    camera_granted(&store);
    let recording = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    clock.advance(DAY);
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    clock.advance(2 * DAY);
    recording.end().unwrap();
    clock.advance(60_000);
    use_once(&store, Feature::Camera, "shoot_photo");
    // Cut after the day's first write (compact() would cut the same).
    store.compact().unwrap();
    let log = log_of(&store);
    assert!(
        log.iter().any(|e| e.kind == AuditKind::Pruned),
        "the first days are cut"
    );
    assert_eq!(
        log[0].kind,
        AuditKind::SessionEnded,
        "the recording's end is kept"
    );
    assert!(
        !log.iter()
            .any(|e| e.kind == AuditKind::SessionBegan
                && e.purpose.as_deref() == Some("record_video"))
    );
    let now = clock.now_ms();
    let report = store.privacy_report(now - 7 * DAY as i64, now + 1).unwrap();
    let camera = &report.features[Feature::Camera.index()];
    assert_eq!((camera.uses, camera.time_in_use_ms), (1, 0), "{camera:?}");
    assert!(
        report.intervals.iter().all(|i| i.purpose.is_some()),
        "{:?}",
        report.intervals
    );
    // Nor does the access export make an interval of it.
    let access = store.export_access_ndjson().unwrap();
    for kind in ["intervalBegin", "intervalEnd"] {
        assert_eq!(access.matches(kind).count(), 1, "{kind} in\n{access}");
    }
}
