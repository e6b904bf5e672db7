//! Faults at every step: each disk operation of a camera app's life — decisions, sessions, checkpoints and snapshots, erasure, quarantine and recovery — made to fail (EIO, ENOSPC) or to crash, one at a time.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::faults::{Fault, FaultPlan};
use common::*;
use consentkit::*;

/// A store's head after a call that was acknowledged: it must survive.
#[derive(Clone, Debug)]
struct Ack {
    chain: u64,
    seq: u64,
    hash: String,
}

/// A scratch directory on tmpfs where there is one (the plan simulates what syncs keep, so
/// real fsyncs only cost time).
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

fn options(plan: &Arc<FaultPlan>) -> StoreOptions {
    StoreOptions {
        checkpoint_every: 5,
        io_faults: Some(plan.clone()),
        ..StoreOptions::default()
    }
}

/// What a run of the app's steps left: the acknowledged records, and the features whose last
/// decision said was a "no" (done, or taken with a storage error): a "no" outlives the process
/// (I4), so none of them may read granted after a relaunch.
struct Said {
    acks: Vec<Ack>,
    nos: Vec<Feature>,
}

/// Runs the app's steps against the store, checking every call: it succeeded (and is
/// remembered as acknowledged) or failed with a storage error, after which every feature is
/// off in this process and stays off.
fn steps(store: &ConsentStore, script: &[Step]) -> Said {
    let mut nos: Vec<Feature> = Vec::new();
    let mut acks = Vec::new();
    let mut failed = false;
    let mut held: Vec<Arc<UseSession>> = Vec::new();
    for step in script {
        let result = match step {
            Step::Grant(feature, scope) => store.grant(*feature, *scope, Actor::User),
            Step::Deny(feature) => store.deny(*feature, Actor::User),
            Step::Revoke(feature) => store.revoke(*feature, Actor::User),
            Step::Hold(feature) => store
                .begin_use(*feature, feature.default_purposes()[0].into())
                .map(|s| held.push(s)),
            Step::UseOnce(feature) => store
                .begin_use(*feature, feature.default_purposes()[0].into())
                .and_then(|s| s.end()),
            Step::Os(feature, permission) => store.set_os_permission(*feature, *permission),
            Step::Background => store.set_foreground(false),
            Step::Foreground => store.set_foreground(true),
            Step::Erase => store.erase_all(),
        };
        // A "no" stands once said; a "yes" met by the failure may or may not have been kept,
        // one said after it was refused in memory and never kept.
        let said = matches!(&result, Ok(()) | Err(ConsentError::Storage { .. }));
        let maybe_kept = result.is_ok() || (said && !failed);
        match step {
            Step::Revoke(feature) | Step::Deny(feature) if said => nos.push(*feature),
            Step::Grant(feature, _) if maybe_kept => nos.retain(|f| f != feature),
            // Erasing withdraws everything, done or refused by the disk.
            Step::Erase if said => nos = Feature::ALL.to_vec(),
            _ => {}
        }
        match result {
            Ok(()) => {
                // Out of room, closing decisions still go into the room kept for them.
                assert!(
                    !failed || !step.opens(),
                    "{step:?} succeeded after a storage failure"
                );
                let head = store.head();
                acks.push(Ack {
                    chain: head.chain,
                    seq: head.seq,
                    hash: head.hash,
                });
            }
            Err(ConsentError::Storage { .. }) => failed = true,
            Err(refused) if refused.is_refusal() => {}
            Err(other) => panic!("{step:?}: {other:?}"),
        }
        if failed {
            let allowed: Vec<_> = Feature::ALL
                .into_iter()
                .filter(|f| store.is_allowed(*f) || store.state(*f).allowed)
                .collect();
            assert!(
                allowed.is_empty(),
                "{step:?}: {allowed:?} still allowed after a failure"
            );
            assert!(store.storage_failure().is_some());
            assert!(held.iter().all(|s| !s.is_active()));
        }
        if let (Step::Revoke(feature), true) = (step, failed) {
            // Took effect in this process, recorded or not.
            assert_ne!(store.state(*feature).status, ConsentStatus::Granted);
        }
    }
    Said { acks, nos }
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Grant(Feature, GrantScope),
    Deny(Feature),
    Revoke(Feature),
    Hold(Feature),
    UseOnce(Feature),
    Os(Feature, OsPermission),
    Background,
    Foreground,
    Erase,
}

impl Step {
    /// Whether the step could turn something on.
    fn opens(&self) -> bool {
        matches!(
            self,
            Step::Grant(..) | Step::Hold(_) | Step::UseOnce(_) | Step::Foreground | Step::Erase
        )
    }
}

/// A camera app's life: decisions, uses, a single use, a revocation while in use, enough
/// records for several checkpoints and snapshots, then an erasure and a new grant.
const LIFE: &[Step] = &[
    // The app is on screen: it says so first (a store starts in the background).
    Step::Foreground,
    Step::Grant(Feature::Camera, GrantScope::UntilRevoked),
    Step::UseOnce(Feature::Camera),
    Step::Grant(Feature::Clipboard, GrantScope::Once),
    Step::UseOnce(Feature::Clipboard),
    Step::Os(Feature::Camera, OsPermission::Granted),
    Step::Hold(Feature::Camera),
    Step::Revoke(Feature::Camera),
    Step::Grant(Feature::Microphone, GrantScope::UntilRevoked),
    Step::Hold(Feature::Microphone),
    Step::Background,
    Step::Foreground,
    Step::Deny(Feature::PhotoLibrary),
    Step::Grant(Feature::Camera, GrantScope::UntilRevoked),
    Step::Erase,
    Step::Grant(Feature::Camera, GrantScope::UntilRevoked),
    Step::Hold(Feature::Camera),
];

/// After the fault (and a power cut, for a crash): the store opens, keeps every acknowledged
/// record of its current chain (and never goes back to an older chain), verifies, and is
/// flagged damaged only when it was.
fn check_reopened(dir: &Path, said: &Said, was_damaged: bool, what: &str) -> Arc<ConsentStore> {
    let acks = &said.acks;
    let store = ConsentStore::open_with(dir, Some(config()), StoreOptions::default())
        .unwrap_or_else(|e| panic!("{what}: does not reopen: {e}"));
    let head = store.head();
    let log = store.audit_log(AuditFilter::default()).unwrap();
    for ack in acks {
        assert!(
            ack.chain <= head.chain,
            "{what}: an acknowledged new chain ({ack:?}) was lost"
        );
        if ack.chain == head.chain {
            let entry = log
                .iter()
                .find(|e| e.seq == ack.seq)
                .unwrap_or_else(|| panic!("{what}: acknowledged record {ack:?} lost"));
            assert_eq!(entry.hash, ack.hash, "{what}: acknowledged record changed");
        }
    }
    match (was_damaged, store.recovery_notice()) {
        (false, Some(notice)) => panic!("{what}: a healthy log was quarantined: {notice:?}"),
        (true, None) => panic!("{what}: the damage was forgotten"),
        _ => {}
    }
    assert_eq!(store.verify().unwrap().intact, !was_damaged, "{what}");
    for feature in &said.nos {
        assert_ne!(
            store.state(*feature).status,
            ConsentStatus::Granted,
            "{what}: the no to {feature:?} was forgotten at the relaunch"
        );
    }
    store
}

/// Runs `scenario` with the fault at every operation it performs, until one run finishes
/// without reaching the fault. Returns how many faults were injected.
fn at_every_operation(fault: Fault, prepare: impl Fn(&Path) -> bool, script: &[Step]) -> u64 {
    for at in 1.. {
        let dir = scratch();
        let damaged = prepare(dir.path());
        let plan = Arc::new(FaultPlan::new(dir.path(), at, fault));
        let what = format!("{fault:?} at operation {at}");
        let (said, reported) =
            match ConsentStore::open_with(dir.path(), Some(config()), options(&plan)) {
                Ok(store) => {
                    let said = steps(&store, script);
                    let _ = store.close();
                    (said, store.storage_failure().is_some())
                }
                Err(ConsentError::Storage { .. }) => (
                    Said {
                        acks: Vec::new(),
                        nos: Vec::new(),
                    },
                    true,
                ),
                Err(other) => panic!("{what}: opening failed with {other:?}"),
            };
        if !plan.fired() {
            return at - 1;
        }
        if let Fault::Fail(_) = fault {
            // A failed write or sync of the log is never shrugged off; only the derived
            // files (snapshot, index), rebuilt from the log when needed, and the app's texts
            // (words, not consent: written again at the next open) may fail quietly.
            let seen = plan.seen.lock().clone();
            let failed = &seen[at as usize - 1];
            let quiet = |file: &str| {
                file.starts_with("consent.snapshot") || file.starts_with("consent.texts")
            };
            let derived = quiet(&failed.file)
                || (failed.file == "consent.index" && failed.kind == IoKind::Write)
                || (failed.kind == IoKind::DirSync
                    && seen
                        .get(at as usize - 2)
                        .is_some_and(|op| op.kind == IoKind::Rename && quiet(&op.file)));
            // A growth step the full disk refused is tried again smaller (only the records
            // and the reserve): when that fits, nothing failed.
            let grown_smaller = fault == Fault::Fail(ENOSPC)
                && failed.kind == IoKind::Allocate
                && seen
                    .get(at as usize)
                    .is_some_and(|next| next.kind == IoKind::Allocate && next.file == failed.file);
            assert!(
                derived || reported || grown_smaller,
                "{what}: {failed:?} failed and nobody was told"
            );
        }
        if fault == Fault::CrashAfter {
            plan.power_cut();
        }
        let last = plan.seen.lock().last().cloned();
        check_reopened(dir.path(), &said, damaged, &format!("{what} ({last:?})"));
    }
    unreachable!()
}

fn fresh(_: &Path) -> bool {
    false
}

/// A store with history whose log is damaged in the middle: opening it quarantines it.
fn damaged(dir: &Path) -> bool {
    let store = ConsentStore::open_with(
        dir,
        Some(config()),
        StoreOptions {
            checkpoint_every: 5,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    steps(&store, &LIFE[..8]);
    store.close().unwrap();
    let log = dir.join("consent.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[300] ^= 0x20;
    std::fs::write(&log, bytes).unwrap();
    // Without the snapshot, opening replays the damaged records (with it, only `verify` would).
    std::fs::remove_file(dir.join("consent.snapshot")).unwrap();
    true
}

const EIO: i32 = 5;
const ENOSPC: i32 = 28;

#[test]
fn every_operation_of_an_apps_life_may_fail_and_nothing_acknowledged_is_lost() {
    let mut total = 0;
    for fault in [Fault::Fail(EIO), Fault::Fail(ENOSPC), Fault::CrashAfter] {
        let n = at_every_operation(fault, fresh, LIFE);
        assert!(n > 40, "{fault:?}: only {n} operations");
        total += n;
    }
    println!("faults injected into an app's life: {total}");
}

#[test]
fn every_operation_of_a_recovery_may_fail_and_the_damage_is_never_forgotten() {
    let mut total = 0;
    for fault in [Fault::Fail(EIO), Fault::Fail(ENOSPC), Fault::CrashAfter] {
        let n = at_every_operation(fault, damaged, &LIFE[..3]);
        assert!(n > 10, "{fault:?}: only {n} operations");
        total += n;
    }
    println!("faults injected into a recovery: {total}");
}
