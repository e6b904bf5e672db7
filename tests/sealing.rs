//! The history cannot be quietly rewritten: replay holds every record to the rules, seals made with a platform key catch any rewrite, and the anchor kept beside the key catches cuts and restored old copies. Each forgery is made by a forger that knows the format but not the key.
//!
//! Over 400 lines: one test per forgery and per failing key, each short; the forgeries share their setup.

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use common::*;
use consentkit::testing::forge::{zero_last_record, Forger};
use consentkit::*;

fn sealer() -> Arc<dyn Sealer> {
    software_sealer(b"a platform key, never exported..".to_vec(), None).unwrap()
}

fn sealed_options(clock: &Arc<FakeClock>, sealer: &Arc<dyn Sealer>) -> StoreOptions {
    StoreOptions {
        sealer: Some(sealer.clone()),
        ..checkpointing(clock, 8)
    }
}

fn open_sealed(dir: &Path, clock: &Arc<FakeClock>, sealer: &Arc<dyn Sealer>) -> Arc<ConsentStore> {
    on_screen(ConsentStore::open_with(dir, Some(config()), sealed_options(clock, sealer)).unwrap())
}

/// A camera app's history over more than two checkpoints: the camera granted and used, a
/// revocation, the microphone granted; closed (and so sealed).
fn history(dir: &Path, clock: &Arc<FakeClock>, sealer: Option<&Arc<dyn Sealer>>) {
    let options = match sealer {
        Some(sealer) => sealed_options(clock, sealer),
        None => checkpointing(clock, 8),
    };
    let store = on_screen(ConsentStore::open_with(dir, Some(config()), options).unwrap());
    camera_granted(&store);
    for _ in 0..6 {
        clock.advance(60_000);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    let recording = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    clock.advance(5_000);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    drop(recording);
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    for _ in 0..6 {
        clock.advance(60_000);
        use_once(&store, Feature::Microphone, "voice_note");
    }
    store.close().unwrap();
}

/// Opening with the sealer finds the forgery: everything off, the damage recorded, the
/// files kept aside.
fn assert_caught_on_open(dir: &Path, sealer: &Arc<dyn Sealer>, what: &str) {
    let store = open_sealed(dir, &clock(), sealer);
    let notice = store
        .recovery_notice()
        .unwrap_or_else(|| panic!("{what}: the forgery passed"));
    assert!(all_off(&store), "{what}");
    assert!(
        dir.join(&notice.quarantined_as)
            .join("consent.log")
            .exists(),
        "{what}: kept aside"
    );
    println!("{what}: {}", notice.problem);
}

/// The store in `dir` opened read-only, with `sealer`'s key.
fn inspect_with(dir: &Path, sealer: &Arc<dyn Sealer>) -> Arc<ConsentStore> {
    let options = StoreOptions {
        sealer: Some(sealer.clone()),
        ..StoreOptions::default()
    };
    ConsentStore::open_read_only_with(dir, options).unwrap()
}

/// A sealed camera app's history, changed by `forge` without the key: caught on open.
fn assert_forgery_caught(what: &str, forge: impl FnOnce(&mut Forger)) {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    history(dir.path(), &clock(), Some(&sealer));
    let mut forger = Forger::load(dir.path());
    forge(&mut forger);
    forger.save();
    assert_caught_on_open(dir.path(), &sealer, what);
}

#[test]
fn the_forger_reproduces_an_untouched_store_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), &clock(), Some(&sealer()));
    let log = fs::read(dir.path().join("consent.log")).unwrap();
    let snapshot = fs::read(dir.path().join("consent.snapshot")).unwrap();
    Forger::load(dir.path()).save();
    assert_eq!(fs::read(dir.path().join("consent.log")).unwrap(), log);
    assert_eq!(
        fs::read(dir.path().join("consent.snapshot")).unwrap(),
        snapshot
    );
}

#[test]
fn seals_are_made_as_a_chain_starts_at_each_decision_each_checkpoint_and_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    history(dir.path(), &clock, Some(&sealer));
    let store = open_sealed(dir.path(), &clock, &sealer);
    let mut log = store.audit_log(AuditFilter::default()).unwrap();
    log.reverse();
    let count = |kinds: &[AuditKind]| log.iter().filter(|e| kinds.contains(&e.kind)).count();
    let checkpoints = count(&[AuditKind::Checkpoint]);
    let decisions = count(&[AuditKind::Granted, AuditKind::Denied, AuditKind::Revoked]);
    let seals: Vec<_> = log.iter().filter(|e| e.kind == AuditKind::Sealed).collect();
    assert!(
        checkpoints >= 2 && decisions >= 3,
        "{checkpoints} {decisions}"
    );
    assert_eq!(
        seals.len(),
        1 + decisions + checkpoints + 1,
        "one as the chain starts, one per decision, one per checkpoint, one on close"
    );
    for (i, entry) in log.iter().enumerate() {
        if matches!(entry.kind, AuditKind::Granted | AuditKind::Revoked) {
            // Sealed in the same write: after what the decision itself ends.
            let sealed = log[i + 1..]
                .iter()
                .take_while(|e| e.time_ms == entry.time_ms)
                .any(|e| e.kind == AuditKind::Sealed);
            assert!(sealed, "{entry:?} is sealed as made");
        }
    }
    let epochs: Vec<_> = seals.iter().map(|s| s.seal_epoch.unwrap()).collect();
    assert_eq!(epochs, (0..seals.len() as u64).collect::<Vec<_>>());
    // A use is not sealed as it is made; a grant is, with everything before it.
    use_once(&store, Feature::Microphone, "voice_note");
    let report = store.verify().unwrap();
    assert!(report.intact, "{:?}", report.problem);
    assert!(report.unsealed_records > 0, "{report:?}");
    grant(&store, Feature::Clipboard, GrantScope::UntilRevoked);
    let report = store.verify().unwrap();
    assert_eq!(report.sealed_through, Some(store.head().seq - 1));
    assert_eq!(
        report.unsealed_records, 0,
        "the grant's seal covers all before it"
    );
}

#[test]
fn a_grant_by_the_app_is_damage_even_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), &clock(), None);
    let mut forger = Forger::load(dir.path());
    forger.grant_by_app(Feature::Camera);
    forger.save();
    let store = open(dir.path(), &clock());
    let report = store.verify().unwrap();
    assert!(!report.intact);
    assert!(
        report.problem.unwrap().contains("grant"),
        "replay holds records to the rules"
    );
    assert!(all_off(&store));
}

/// A closed store without a key whose person a guardian said is 10–12.
fn a_minors_store(dir: &Path, policy_revision: Option<u32>) -> ConsentConfig {
    let config = ConsentConfig {
        policy_revision,
        jurisdiction: Some("CN".into()),
        ..config()
    };
    let clock = clock();
    let store = on_screen(
        ConsentStore::open_with(dir, Some(config.clone()), checkpointing(&clock, 8)).unwrap(),
    );
    if policy_revision.is_some() {
        store.agree_to_policy(Actor::Guardian).unwrap();
    }
    store
        .set_age_signal(AgeSignal {
            lower: 10,
            upper: Some(12),
            source: AgeSource::Guardian,
        })
        .unwrap();
    store.close().unwrap();
    config
}

#[test]
fn a_second_grant_of_what_is_granted_is_damage_even_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), &clock(), None);
    let mut forger = Forger::load(dir.path());
    forger.repeat_last_grant();
    forger.save();
    let store = open(dir.path(), &clock());
    let notice = store
        .recovery_notice()
        .expect("replay holds records to the rules");
    assert!(
        notice.problem.contains("changes nothing"),
        "{}",
        notice.problem
    );
    assert!(all_off(&store));
}

#[test]
fn a_childs_own_adult_age_forged_over_the_guardians_is_damage_even_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = a_minors_store(dir.path(), None);
    let mut forger = Forger::load(dir.path());
    forger.append_age_signal(18, None, AgeSource::Declared);
    forger.save();
    let store = ConsentStore::open_with(dir.path(), Some(config), options(&clock())).unwrap();
    let notice = store
        .recovery_notice()
        .expect("replay holds records to the rules");
    assert!(notice.problem.contains("age signal"), "{}", notice.problem);
    assert_eq!(
        store.age_signal().map(|a| (a.lower, a.source)),
        Some((10, AgeSource::Guardian)),
        "the guardian's range stands"
    );
}

#[test]
fn a_reconsent_to_a_policy_whose_terms_did_not_widen_is_damage_even_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = a_minors_store(dir.path(), Some(1));
    for revision in [1, 2] {
        let copy = tempfile::tempdir().unwrap();
        fs::copy(
            dir.path().join("consent.log"),
            copy.path().join("consent.log"),
        )
        .unwrap();
        let mut forger = Forger::load(copy.path());
        forger.append_policy_reconsent(revision);
        forger.save();
        let store =
            ConsentStore::open_with(copy.path(), Some(config.clone()), options(&clock())).unwrap();
        let notice = store
            .recovery_notice()
            .unwrap_or_else(|| panic!("revision {revision}: a record the rules never write"));
        assert!(notice.problem.contains("reconsent"), "{}", notice.problem);
    }
}

#[test]
fn a_revocation_turned_into_a_grant_is_caught_by_the_seal() {
    assert_forgery_caught("revoked into granted", |f| {
        f.revoke_to_grant(Feature::Camera)
    });
}

#[test]
fn a_removed_use_session_is_caught_by_the_seal() {
    assert_forgery_caught("a session removed", |f| f.remove_session(1));
}

#[test]
fn a_grant_by_the_app_is_caught_by_the_seal_on_open() {
    assert_forgery_caught("a grant by the app", |f| f.grant_by_app(Feature::Camera));
}

#[test]
fn a_zeroed_last_record_is_caught_by_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    {
        let store = open_sealed(dir.path(), &clock, &sealer);
        camera_granted(&store);
        store.revoke(Feature::Camera, Actor::User).unwrap();
    }
    // The close seal and then the revocation, zeroed as if never written.
    zero_last_record(dir.path());
    zero_last_record(dir.path());
    let store = open_sealed(dir.path(), &clock, &sealer);
    assert!(
        store.recovery_notice().is_some(),
        "the camera would be granted again"
    );
    assert!(all_off(&store));
}

#[test]
fn a_log_cut_short_without_its_snapshot_and_index_is_caught_by_the_anchor_and_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    history(dir.path(), &clock, Some(&sealer));
    let saved = open_sealed(dir.path(), &clock, &sealer).head();
    let mut forger = Forger::load(dir.path());
    forger.truncate(20);
    forger.save();
    let _ = fs::remove_file(dir.path().join("consent.snapshot"));
    // Without the key, the head saved elsewhere still says so.
    let unsealed = ConsentStore::open_read_only_with(dir.path(), StoreOptions::default()).unwrap();
    let check = unsealed.verify_extends(saved.clone()).unwrap();
    assert!(!check.extends);
    assert!(check.problem.unwrap().contains("ends before"));
    drop(unsealed);
    assert_caught_on_open(dir.path(), &sealer, "cut to 20 records");
}

#[test]
fn an_old_copy_of_the_store_restored_is_caught_by_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let copy = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    {
        let store = open_sealed(dir.path(), &clock, &sealer);
        camera_granted(&store);
    }
    for name in ["consent.log", "consent.snapshot", "consent.index"] {
        if dir.path().join(name).exists() {
            fs::copy(dir.path().join(name), copy.path().join(name)).unwrap();
        }
    }
    {
        let store = open_sealed(dir.path(), &clock, &sealer);
        store.revoke(Feature::Camera, Actor::User).unwrap();
    }
    for name in ["consent.log", "consent.snapshot", "consent.index"] {
        let _ = fs::remove_file(dir.path().join(name));
        if copy.path().join(name).exists() {
            fs::copy(copy.path().join(name), dir.path().join(name)).unwrap();
        }
    }
    let store = open_sealed(dir.path(), &clock, &sealer);
    let notice = store
        .recovery_notice()
        .expect("the camera would be granted again");
    assert!(notice.problem.contains("anchored"), "{}", notice.problem);
    assert!(all_off(&store));
}

#[test]
fn a_first_record_rewritten_to_hide_a_recovery_is_caught_by_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    history(dir.path(), &clock, Some(&sealer));
    // Damage, found and recorded: the new chain's first record says so.
    let log = dir.path().join("consent.log");
    let mut bytes = fs::read(&log).unwrap();
    bytes[60] ^= 0x01;
    fs::write(&log, bytes).unwrap();
    let _ = fs::remove_file(dir.path().join("consent.snapshot"));
    {
        let store = open_sealed(dir.path(), &clock, &sealer);
        assert!(store.recovery_notice().is_some());
        camera_granted(&store);
    }
    let mut forger = Forger::load(dir.path());
    forger.unrecover();
    forger.save();
    assert_caught_on_open(dir.path(), &sealer, "the recovery hidden");
}

#[test]
fn a_head_saved_elsewhere_proves_the_log_still_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    let store = open_sealed(dir.path(), &clock, &sealer);
    camera_granted(&store);
    let saved = store.head();
    assert!(saved.seal.is_some() && saved.seal_epoch.is_some());
    use_once(&store, Feature::Camera, "shoot_photo");
    assert!(store.verify_extends(saved.clone()).unwrap().extends);
    // A head this key never sealed, or one changed since, is not taken.
    let mut forged = saved.clone();
    forged.seal = Some("00".repeat(32));
    assert!(!store.verify_extends(forged).unwrap().extends);
    let mut other = saved.clone();
    other.hash = "11".repeat(32);
    assert!(!store.verify_extends(other).unwrap().extends);
    // The export carries the sealed head.
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    assert_eq!(export["head"]["seal"], serde_json::json!(store.head().seal));
    store.erase_all().unwrap();
    let check = store.verify_extends(saved).unwrap();
    assert!(!check.extends, "an erased history no longer holds it");
}

#[test]
fn a_revocation_removed_is_caught_by_the_seal_and_only_by_it() {
    // With the key: caught on open.
    assert_forgery_caught("a revocation removed", |f| {
        f.remove_revocation(Feature::Camera)
    });

    // Without it, what the unsealed log cannot prove (README, "What the log proves"): a
    // forger who knows the format rewrites the history consistently, and it verifies.
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), &clock(), None);
    let mut forger = Forger::load(dir.path());
    forger.remove_revocation(Feature::Camera);
    forger.save();
    let store = open(dir.path(), &clock());
    assert!(store.verify().unwrap().intact);
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
}

#[test]
fn a_naive_revocation_turned_into_a_grant_is_damage_even_without_a_key() {
    // The camera was granted when it was revoked: a second grant is one the rules never write.
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), &clock(), None);
    let mut forger = Forger::load(dir.path());
    forger.revoke_to_grant(Feature::Camera);
    forger.save();
    let store = open(dir.path(), &clock());
    assert!(!store.verify().unwrap().intact);
}

/// A sealer whose anchor lives in a file beside nothing of the store's: deleting it is what a
/// forger with the files (but not the key) can do to the anchor.
fn filed_sealer(anchor: &Path) -> Arc<dyn Sealer> {
    software_sealer(
        b"a platform key, never exported..".to_vec(),
        Some(anchor.display().to_string()),
    )
    .unwrap()
}

#[test]
fn a_grant_appended_after_a_clean_closes_seal_is_damage_not_history() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    history(dir.path(), &clock(), Some(&sealer));
    let mut forger = Forger::load(dir.path());
    forger.append_grant(Feature::Camera);
    forger.save();
    // Inspected with the key: damage, not unsealed records waiting for a seal.
    let inspector = inspect_with(dir.path(), &sealer);
    assert!(!inspector.verify().unwrap().intact);
    drop(inspector);
    assert_caught_on_open(dir.path(), &sealer, "a grant after the closing seal");
    // Opened and closed again by the app: the forged grant never becomes sealed history.
    let store = open_sealed(dir.path(), &clock(), &sealer);
    assert_ne!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    store.close().unwrap();
    let store = open_sealed(dir.path(), &clock(), &sealer);
    let report = store.verify().unwrap();
    assert!(
        report
            .problem
            .unwrap()
            .contains("follow the seal of a clean close"),
        "the recovery still names it, and nothing new was found"
    );
    assert_eq!(store.records_unvouched_marked(), 0);
    assert_ne!(store.state(Feature::Camera).status, ConsentStatus::Granted);
}

trait Marked {
    fn records_unvouched_marked(&self) -> usize;
}

impl Marked for ConsentStore {
    fn records_unvouched_marked(&self) -> usize {
        kinds(self)
            .iter()
            .filter(|k| **k == AuditKind::UnvouchedRecords)
            .count()
    }
}

#[test]
fn records_a_crashed_process_left_unsealed_are_marked_never_vouched_for() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    let store = open_sealed(dir.path(), &clock, &sealer);
    camera_granted(&store);
    use_once(&store, Feature::Camera, "shoot_photo");
    // The process dies here: no close, no seal over what it wrote.
    let copy = left_by_a_crash(store, dir.path());
    let store = open_sealed(copy.path(), &clock, &sealer);
    let marked = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.kind == AuditKind::UnvouchedRecords)
        .expect("the unsealed tail is marked");
    assert!(marked.problem.unwrap().contains("found unsealed"));
    let report = store.verify().unwrap();
    assert!(report.intact, "{:?}", report.problem);
    assert!(report.unvouched_records >= 2, "{report:?}");
}

/// Reopened after a clean close and killed before it wrote anything: no closed anchor guards
/// the tail any more.
fn killed_after_reopening(
    dir: &Path,
    clock: &Arc<FakeClock>,
    sealer: &Arc<dyn Sealer>,
) -> tempfile::TempDir {
    let store = open_sealed(dir, clock, sealer);
    left_by_a_crash(store, dir)
}

#[test]
fn a_grant_appended_after_the_app_was_killed_is_damage_not_history() {
    let dir = tempfile::tempdir().unwrap();
    let (sealer, clock) = (sealer(), clock());
    let store = open_sealed(dir.path(), &clock, &sealer);
    store.deny(Feature::Microphone, Actor::User).unwrap();
    store.close().unwrap();
    drop(store);
    let dir = killed_after_reopening(dir.path(), &clock, &sealer);
    let mut forger = Forger::load(dir.path());
    forger.append_grant(Feature::Microphone);
    forger.save();
    let inspector = inspect_with(dir.path(), &sealer);
    assert!(inspector.damage().is_some(), "an inspector with the key");
    assert!(!inspector.verify().unwrap().intact);
    drop(inspector);
    assert_caught_on_open(dir.path(), &sealer, "a grant after a kill");
    let store = open_sealed(dir.path(), &clock, &sealer);
    assert_ne!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Granted
    );
    assert!(store
        .begin_use(Feature::Microphone, "voice_note".into())
        .is_err());
}

#[test]
fn a_revoke_cut_off_after_the_app_was_killed_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    let (sealer, clock) = (sealer(), clock());
    let store = open_sealed(dir.path(), &clock, &sealer);
    camera_granted(&store);
    store.close().unwrap();
    drop(store);
    let store = open_sealed(dir.path(), &clock, &sealer);
    let before = Forger::load(dir.path()).len();
    store.revoke(Feature::Camera, Actor::User).unwrap();
    let dir = left_by_a_crash(store, dir.path());
    let mut forger = Forger::load(dir.path());
    forger.truncate(before);
    forger.save();
    // Where the damage starts: right after the records left, the last of them still shown.
    let report = inspect_with(dir.path(), &sealer).verify().unwrap();
    assert_eq!(report.first_bad_seq, Some(before as u64 + 1), "{report:?}");
    assert_caught_on_open(dir.path(), &sealer, "a revoke cut off");
    let store = open_sealed(dir.path(), &clock, &sealer);
    assert_ne!(store.state(Feature::Camera).status, ConsentStatus::Granted);
}

#[test]
fn a_sealed_store_whose_anchor_was_deleted_is_damage_not_a_fresh_start() {
    let keys = tempfile::tempdir().unwrap();
    let anchor = keys.path().join("anchor");
    let dir = tempfile::tempdir().unwrap();
    let sealer = filed_sealer(&anchor);
    let clock = clock();
    let store = open_sealed(dir.path(), &clock, &sealer);
    camera_granted(&store);
    store.close().unwrap();
    let old = tempfile::tempdir().unwrap();
    fs::copy(
        dir.path().join("consent.log"),
        old.path().join("consent.log"),
    )
    .unwrap();
    let store = open_sealed(dir.path(), &clock, &sealer);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    store.close().unwrap();
    // The revoked grant's old copy back, and the anchor that would reveal it gone.
    fs::copy(
        old.path().join("consent.log"),
        dir.path().join("consent.log"),
    )
    .unwrap();
    let _ = fs::remove_file(dir.path().join("consent.snapshot"));
    let _ = fs::remove_file(dir.path().join("consent.index"));
    fs::remove_file(&anchor).unwrap();
    let inspector = inspect_with(dir.path(), &sealer);
    let report = inspector.verify().unwrap();
    assert!(!report.intact, "{report:?}");
    let problem = report.problem.unwrap();
    assert!(
        problem.contains("anchor kept with the key is missing, though the log holds seals"),
        "{problem}"
    );
    drop(inspector);
    assert_caught_on_open(dir.path(), &sealer, "a rollback with the anchor deleted");
}

#[test]
fn an_unsealed_chain_above_the_anchored_one_is_damage() {
    assert_forgery_caught("an erasure forged without the key", |f| {
        f.replace_with_a_chain_above(Feature::Camera)
    });
}

#[test]
fn a_real_erasure_is_sealed_as_it_starts_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    history(dir.path(), &clock, Some(&sealer));
    let store = open_sealed(dir.path(), &clock, &sealer);
    store.erase_all().unwrap();
    let kinds: Vec<AuditKind> = kinds(&store);
    assert_eq!(
        kinds[..2],
        [AuditKind::Erased, AuditKind::Sealed],
        "{kinds:?}"
    );
    store.close().unwrap();
    let store = open_sealed(dir.path(), &clock, &sealer);
    assert!(store.recovery_notice().is_none());
    let report = store.verify().unwrap();
    assert!(report.intact, "{:?}", report.problem);
}

#[test]
fn a_sealed_store_is_written_only_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    history(dir.path(), &clock, Some(&sealer));
    let without = ConsentStore::open_with(dir.path(), Some(config()), options(&clock));
    assert!(
        matches!(&without, Err(ConsentError::NotPermitted { reason }) if reason.contains("sealed")),
        "{without:?}"
    );
    // Inspecting needs no key, and changes nothing.
    let inspector = ConsentStore::open_read_only_with(dir.path(), options(&clock)).unwrap();
    assert_eq!(
        inspector.state(Feature::Microphone).status,
        ConsentStatus::Granted
    );
}

#[test]
fn a_sealed_stores_deleted_files_are_damage_with_a_quiet_period() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    let store = open_sealed(dir.path(), &clock, &sealer);
    store.decline_policy(Actor::User).ok();
    store.deny(Feature::Camera, Actor::User).unwrap();
    store.close().unwrap();
    for name in ["consent.log", "consent.snapshot", "consent.index"] {
        let _ = fs::remove_file(dir.path().join(name));
    }
    // An inspector with the key shows the damage, not a healthy empty store (I6).
    let inspector = inspect_with(dir.path(), &sealer);
    let damage = inspector
        .damage()
        .expect("an inspector with the key finds the deletion");
    assert!(damage.problem.contains("missing"), "{}", damage.problem);
    drop(inspector);
    let store = open_sealed(dir.path(), &clock, &sealer);
    let notice = store.recovery_notice().expect("the deletion is found");
    assert!(notice.problem.contains("missing"), "{}", notice.problem);
    assert!(
        matches!(
            store.prompt_advice(Feature::Camera),
            PromptAdvice::NotNow { .. }
        ),
        "nobody is asked at once for what they may have refused"
    );
}

#[test]
fn a_cleanly_closed_store_has_no_unsealed_records() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    let clock = clock();
    history(dir.path(), &clock, Some(&sealer));
    let store = open_sealed(dir.path(), &clock, &sealer);
    let report = store.verify().unwrap();
    assert_eq!(report.unsealed_records, 0, "{report:?}");
    assert_eq!(report.unvouched_records, 0, "{report:?}");
}

/// A sealer over `inner` whose keystore can be locked: while `locked`, every MAC fails; while
/// `anchor_locked`, keeping an anchor fails.
struct Lockable {
    inner: Arc<dyn Sealer>,
    locked: std::sync::atomic::AtomicBool,
    anchor_locked: std::sync::atomic::AtomicBool,
}

impl Lockable {
    fn over(inner: Arc<dyn Sealer>) -> Arc<Lockable> {
        Arc::new(Lockable {
            inner,
            locked: false.into(),
            anchor_locked: false.into(),
        })
    }
}

impl Sealer for Lockable {
    fn mac(&self, message: Vec<u8>) -> Result<Vec<u8>, SealerError> {
        if self.locked.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(SealerError::Failed {
                reason: "keystore locked".into(),
            });
        }
        self.inner.mac(message)
    }
    fn load_anchor(&self) -> Result<Option<Vec<u8>>, SealerError> {
        self.inner.load_anchor()
    }
    fn store_anchor(&self, anchor: Vec<u8>) -> Result<(), SealerError> {
        if self.anchor_locked.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(SealerError::Failed {
                reason: "keystore locked".into(),
            });
        }
        self.inner.store_anchor(anchor)
    }
}

#[test]
fn an_erasure_the_key_refused_leaves_the_old_chain_as_it_was_and_is_carried_out_later() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let lockable = Lockable::over(filed_sealer(&keys.path().join("anchor")));
    let sealer: Arc<dyn Sealer> = lockable.clone();
    let clock = clock();
    history(dir.path(), &clock, Some(&sealer));
    let store = open_sealed(dir.path(), &clock, &sealer);
    let log = fs::read(dir.path().join("consent.log")).unwrap();
    clock.advance(60_000);
    let erased_at = clock.now_ms();
    lockable
        .locked
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let refused = store.erase_all();
    assert!(
        matches!(&refused, Err(ConsentError::Storage { reason }) if reason.contains("keystore locked")),
        "{refused:?}"
    );
    assert!(all_off(&store));
    // No chain was started without the key: the old one is as it was, its seals intact.
    assert_eq!(fs::read(dir.path().join("consent.log")).unwrap(), log);
    drop(store);
    assert!(
        ConsentStore::open_with(dir.path(), Some(config()), sealed_options(&clock, &sealer))
            .is_err()
    );

    // The key works again: the erasure the person asked for is carried out, at its own time.
    lockable
        .locked
        .store(false, std::sync::atomic::Ordering::SeqCst);
    clock.advance(3_600_000);
    let store = open_sealed(dir.path(), &clock, &sealer);
    assert!(store.recovery_notice().is_none());
    assert_eq!(
        store.state(Feature::Microphone).status,
        ConsentStatus::NotAsked
    );
    let log = store.audit_log(AuditFilter::default()).unwrap();
    let first = log
        .last()
        .expect("the new chain's first record (newest first)");
    assert_eq!(first.kind, AuditKind::Erased);
    assert_eq!(first.time_ms, erased_at);
    assert!(store.verify().unwrap().intact);
}

/// With the anchor deleted, a chain the key never started is still damage: a forged erasure
/// granting the camera, the log cut back to its first record (with or without a grant after
/// it), an unsealed store planted in its place (I7).
#[test]
fn a_chain_without_a_seal_is_damage_when_the_anchor_is_deleted_too() {
    type Forgery = fn(&Path);
    let forgeries: [(&str, Forgery); 4] = [
        ("a forged erasure granting the camera", |dir| {
            let mut forger = Forger::load(dir);
            forger.replace_with_a_chain_above(Feature::Camera);
            forger.save();
        }),
        ("the log cut to its first record", |dir| {
            let mut forger = Forger::load(dir);
            forger.truncate(1);
            forger.save();
        }),
        ("the log cut to its first record, a grant after it", |dir| {
            let mut forger = Forger::load(dir);
            forger.truncate(1);
            forger.append_grant(Feature::Camera);
            forger.save();
        }),
        ("an unsealed store planted", |dir| {
            for name in ["consent.log", "consent.snapshot", "consent.index"] {
                let _ = fs::remove_file(dir.join(name));
            }
            let store = open(dir, &clock());
            camera_granted(&store);
            store.close().unwrap();
        }),
    ];
    for (what, forge) in forgeries {
        let dir = tempfile::tempdir().unwrap();
        let keys = tempfile::tempdir().unwrap();
        let anchor = keys.path().join("anchor");
        let sealer = filed_sealer(&anchor);
        history(dir.path(), &clock(), Some(&sealer));
        forge(dir.path());
        let _ = fs::remove_file(dir.path().join("consent.snapshot"));
        fs::remove_file(&anchor).unwrap();
        let inspector = inspect_with(dir.path(), &sealer);
        assert!(
            inspector.damage().is_some(),
            "{what}: the inspector says damaged"
        );
        let report = inspector.verify().unwrap();
        assert!(!report.intact, "{what}");
        // Why, in words that tell it from a rollback: no seal at all, not a missing anchor.
        let problem = report.problem.unwrap();
        assert!(problem.contains("holds no seal"), "{what}: {problem}");
        drop(inspector);
        assert_caught_on_open(dir.path(), &sealer, what);
    }
}

/// An inspector shows what the records before the damage say and nothing after it, also when
/// the damage is found after reading them (a restored copy whose anchor was deleted: every
/// record is in doubt).
#[test]
fn an_inspector_shows_nothing_at_or_after_the_damage_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let anchor = keys.path().join("anchor");
    let sealer = filed_sealer(&anchor);
    let clock = clock();
    let store = open_sealed(dir.path(), &clock, &sealer);
    camera_granted(&store);
    store.close().unwrap();
    let copy = fs::read(dir.path().join("consent.log")).unwrap();
    let store = open_sealed(dir.path(), &clock, &sealer);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    store.close().unwrap();
    fs::write(dir.path().join("consent.log"), copy).unwrap();
    let _ = fs::remove_file(dir.path().join("consent.snapshot"));
    fs::remove_file(&anchor).unwrap();
    let inspector = inspect_with(dir.path(), &sealer);
    let damage = inspector.damage().expect("damaged");
    assert_eq!(damage.first_bad_seq, 1);
    assert_eq!(
        inspector.state(Feature::Camera).status,
        ConsentStatus::NotAsked,
        "the rolled-back grant is not shown"
    );
    assert!(inspector
        .audit_log(AuditFilter::default())
        .unwrap()
        .is_empty());
    let export: serde_json::Value =
        serde_json::from_str(&inspector.export_json().unwrap()).unwrap();
    assert!(export["damaged"].is_object());
}

#[test]
fn records_found_unvouched_stay_counted_after_retention_cuts_their_mark() {
    const DAY: u64 = 24 * 60 * 60 * 1000;
    let sealer = sealer();
    let clock = clock();
    let open = |dir: &Path| {
        let config = ConsentConfig {
            retention_days: 30,
            ..config()
        };
        on_screen(
            ConsentStore::open_with(dir, Some(config), sealed_options(&clock, &sealer)).unwrap(),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    camera_granted(&store);
    use_once(&store, Feature::Camera, "shoot_photo");
    use_once(&store, Feature::Camera, "shoot_photo");
    // The process dies with records no seal covers (uses: a decision is sealed as it is made).
    let dir = left_by_a_crash(store, dir.path());
    let store = open(dir.path());
    let found = store.verify().unwrap();
    assert!(found.intact, "{:?}", found.problem);
    assert!(found.unvouched_records >= 1, "{found:?}");
    for _ in 0..40 {
        clock.advance(DAY);
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    store.close().unwrap();
    // Retention has cut the record that marked them off the log; the count stays.
    let store = open(dir.path());
    assert!(
        !kinds(&store).contains(&AuditKind::UnvouchedRecords),
        "the mark was cut off the log"
    );
    let report = store.verify().unwrap();
    assert!(report.intact, "{:?}", report.problem);
    assert_eq!(
        report.unvouched_records, found.unvouched_records,
        "unvouched records are never laundered into the log's base"
    );
}

/// The store's files as its process left them when it died without closing (no seal over its
/// last records), in a directory of their own: the dead process's lock stays with it.
fn left_by_a_crash(store: Arc<ConsentStore>, dir: &Path) -> tempfile::TempDir {
    std::mem::forget(store);
    let copy = tempfile::tempdir().unwrap();
    let names = [
        "consent.log",
        "consent.snapshot",
        "consent.index",
        "consent.unwritten",
    ];
    for name in names {
        if dir.join(name).exists() {
            fs::copy(dir.join(name), copy.path().join(name)).unwrap();
        }
    }
    copy
}

#[test]
fn a_store_opened_with_another_key_is_damaged_from_its_first_seal() {
    // With its records as written, and with a damaged record after them (damage of its own
    // does not hide that no seal before it is this key's).
    for damaged_tail in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        history(dir.path(), &clock(), Some(&sealer()));
        if damaged_tail {
            let log = dir.path().join("consent.log");
            let mut bytes = fs::read(&log).unwrap();
            let end = records_end(&bytes);
            let len = 100u32;
            bytes[end..end + 4].copy_from_slice(&len.to_le_bytes());
            bytes[end + 4..end + 8].copy_from_slice(&(!len).to_le_bytes());
            bytes[end + 8..end + 8 + 100].fill(0x5A);
            bytes[end + 108..end + 140].fill(0x33);
            fs::write(&log, &bytes).unwrap();
        }
        let other = software_sealer(b"another app's key, or a guess....".to_vec(), None).unwrap();
        let inspector = inspect_with(dir.path(), &other);
        let damage = inspector.damage().expect("another key's seals fail");
        // The chain's first seal is its second record: nothing after the genesis is vouched for.
        assert_eq!(
            damage.first_bad_seq, 2,
            "damaged tail {damaged_tail}: {}",
            damage.problem
        );
        let report = inspector.verify().unwrap();
        assert!(!report.intact);
        assert!(all_off(&inspector));
    }
}

#[test]
fn a_no_said_while_the_key_was_away_and_then_cut_off_is_not_lost() {
    use std::sync::atomic::Ordering;
    for away in ["mac", "anchor"] {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let key = Lockable::over(sealer());
        let sealer: Arc<dyn Sealer> = key.clone();
        let store = open_sealed(dir.path(), &clock, &sealer);
        camera_granted(&store);
        let before = Forger::load(dir.path()).len();
        match away {
            "mac" => key.locked.store(true, Ordering::SeqCst),
            _ => key.anchor_locked.store(true, Ordering::SeqCst),
        }
        store.revoke(Feature::Camera, Actor::User).unwrap();
        assert!(!store.is_allowed(Feature::Camera));
        // The process ends with the key still away; someone cuts the no off the log.
        let dir = left_by_a_crash(store, dir.path());
        let mut forger = Forger::load(dir.path());
        forger.truncate(before);
        forger.save();
        key.locked.store(false, Ordering::SeqCst);
        key.anchor_locked.store(false, Ordering::SeqCst);
        let store = open_sealed(dir.path(), &clock, &sealer);
        assert_ne!(
            store.state(Feature::Camera).status,
            ConsentStatus::Granted,
            "the {away} was away: the revoke is lost"
        );
        assert!(store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .is_err());
    }
}

#[test]
fn an_os_permission_given_after_the_app_was_killed_is_damage_an_os_refusal_unsealed_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let (sealer, clock) = (sealer(), clock());
    let store = open_sealed(dir.path(), &clock, &sealer);
    store
        .set_os_permission(Feature::Camera, OsPermission::Denied)
        .unwrap();
    store.close().unwrap();
    drop(store);
    let dir = killed_after_reopening(dir.path(), &clock, &sealer);
    let mut forger = Forger::load(dir.path());
    forger.append_os_permission(Feature::Camera, OsPermission::Granted);
    forger.save();
    assert_caught_on_open(dir.path(), &sealer, "an OS permission given after a kill");

    // An OS refusal written while the key was away has no seal: still a "no", not damage.
    let dir = tempfile::tempdir().unwrap();
    let key = Lockable::over(crate::sealer());
    let away: Arc<dyn Sealer> = key.clone();
    let store = open_sealed(dir.path(), &clock, &away);
    camera_granted(&store);
    key.locked.store(true, std::sync::atomic::Ordering::SeqCst);
    store
        .set_os_permission(Feature::Camera, OsPermission::Denied)
        .unwrap();
    let dir = left_by_a_crash(store, dir.path());
    let _ = fs::remove_file(dir.path().join("consent.unwritten"));
    key.locked.store(false, std::sync::atomic::Ordering::SeqCst);
    let store = open_sealed(dir.path(), &clock, &away);
    assert!(
        store.recovery_notice().is_none(),
        "{:?}",
        store.recovery_notice()
    );
    assert_eq!(
        store.state(Feature::Camera).os_permission,
        OsPermission::Denied
    );
}

#[test]
fn a_grant_the_key_cannot_seal_is_refused_and_never_written() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let key = Lockable::over(sealer());
    let sealer: Arc<dyn Sealer> = key.clone();
    let store = open_sealed(dir.path(), &clock, &sealer);
    key.locked.store(true, Ordering::SeqCst);
    let granted = store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User);
    assert!(granted.is_err(), "a yes no seal covers: {granted:?}");
    assert_ne!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    key.locked.store(false, Ordering::SeqCst);
    drop(store);
    let store = open_sealed(dir.path(), &clock, &sealer);
    assert!(
        store.recovery_notice().is_none(),
        "{:?}",
        store.recovery_notice()
    );
    assert_ne!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    assert!(
        !kinds(&store).contains(&AuditKind::Granted),
        "never written"
    );
}

#[test]
fn a_close_right_after_a_decision_adds_no_second_seal() {
    let dir = tempfile::tempdir().unwrap();
    let (sealer, clock) = (sealer(), clock());
    let store = open_sealed(dir.path(), &clock, &sealer);
    camera_granted(&store);
    store.close().unwrap();
    drop(store);
    let store = open_sealed(dir.path(), &clock, &sealer);
    let mut log = store.audit_log(AuditFilter::default()).unwrap();
    log.reverse();
    let granted = log
        .iter()
        .position(|e| e.kind == AuditKind::Granted)
        .unwrap();
    let after: Vec<AuditKind> = log[granted + 1..].iter().map(|e| e.kind).collect();
    assert_eq!(
        after.iter().filter(|k| **k == AuditKind::Sealed).count(),
        1,
        "the grant's own seal is the closing one: {after:?}"
    );
    assert_eq!(store.verify().unwrap().unsealed_records, 0);
}

#[test]
fn uses_written_after_a_clean_close_and_a_crash_are_unvouched_not_damage() {
    let dir = tempfile::tempdir().unwrap();
    let (sealer, clock) = (sealer(), clock());
    let store = open_sealed(dir.path(), &clock, &sealer);
    camera_granted(&store);
    store.close().unwrap();
    drop(store);
    // Reopened (the anchor says open again before anything is written), used, killed.
    let store = open_sealed(dir.path(), &clock, &sealer);
    use_once(&store, Feature::Camera, "shoot_photo");
    let dir = left_by_a_crash(store, dir.path());
    let store = open_sealed(dir.path(), &clock, &sealer);
    assert!(
        store.recovery_notice().is_none(),
        "{:?}",
        store.recovery_notice()
    );
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    assert!(store.verify().unwrap().unvouched_records > 0);
}

#[test]
fn a_new_chain_starts_with_its_sealed_genesis_and_what_it_carries_over_never_a_checkpoint_between()
{
    // With a checkpoint due every two records, a sealed genesis and its seal are two: the
    // chain still goes on with what it carries over, and an erasure that lands says so.
    let dir = tempfile::tempdir().unwrap();
    let (sealer, clock) = (sealer(), clock());
    let options = StoreOptions {
        checkpoint_every: 2,
        ..sealed_options(&clock, &sealer)
    };
    let store = on_screen(ConsentStore::open_with(dir.path(), Some(config()), options).unwrap());
    camera_granted(&store);
    store.erase_all().unwrap();
    assert!(store.storage_failure().is_none());
    let kinds = kinds(&store);
    assert_eq!(
        kinds[..2],
        [AuditKind::Erased, AuditKind::Sealed],
        "{kinds:?}"
    );
    assert_ne!(kinds[2], AuditKind::Checkpoint, "{kinds:?}");
}

#[test]
fn a_record_changed_mid_chain_is_damage_from_the_first_seal_that_covers_it() {
    // The seals before the change still hold: what the store shows of the history before it
    // is vouched for, and the damage starts where the key stops vouching.
    let dir = tempfile::tempdir().unwrap();
    let sealer = sealer();
    history(dir.path(), &clock(), Some(&sealer));
    let mut forger = Forger::load(dir.path());
    let revoked_at = forger
        .kinds()
        .iter()
        .position(|k| *k == AuditKind::Revoked)
        .unwrap() as u64
        + 1;
    forger.revoke_to_grant(Feature::Camera);
    forger.save();
    let store = open_sealed(dir.path(), &clock(), &sealer);
    let notice = store.recovery_notice().expect("the change is caught");
    assert!(
        notice.first_bad_seq > revoked_at,
        "damage from #{}, the change at #{revoked_at}: {}",
        notice.first_bad_seq,
        notice.problem
    );
}

#[test]
fn an_erasure_whose_anchor_the_key_refused_opens_as_the_new_chain_it_started() {
    // The new chain was written and sealed; only its anchor did not land. The next open finds
    // the key's anchor on the chain before: the store's own newer chain, not damage.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let lockable = Lockable::over(sealer());
    let sealer: Arc<dyn Sealer> = lockable.clone();
    let store = open_sealed(dir.path(), &clock, &sealer);
    camera_granted(&store);
    lockable
        .anchor_locked
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(store.erase_all().is_err(), "the anchor could not be kept");
    drop(store);
    lockable
        .anchor_locked
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let store = open_sealed(dir.path(), &clock, &sealer);
    assert_eq!(store.recovery_notice(), None);
    assert_eq!(
        store.state(Feature::Camera).status,
        ConsentStatus::NotAsked,
        "the erasure stands"
    );
    let verified = store.verify().unwrap();
    assert!(verified.intact);
    // Opened as it is — not found damaged, recovered and erased again on later chains.
    assert_eq!(verified.head.chain, 2, "the erasure's own chain");
    assert!(!dir.path().join("quarantine").exists());
}
