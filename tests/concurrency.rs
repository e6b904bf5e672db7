//! Many threads on one store: gap-free sequence numbers, a chain that verifies, and every change delivered once, in order.

mod common;

use std::sync::Arc;
use std::thread;

use common::*;
use consentkit::*;

const THREADS: usize = 8;
const ROUNDS: usize = 60;

#[test]
fn eight_threads_mixing_decisions_and_sessions_leave_a_gap_free_verified_chain() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = on_screen(
        ConsentStore::open_with(dir.path(), Some(config()), checkpointing(&clock, 64)).unwrap(),
    );
    let recorder = Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());

    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            let clock = clock.clone();
            thread::spawn(move || {
                let feature = Feature::ALL[t % Feature::ALL.len()];
                let purpose = feature.default_purposes()[0].to_string();
                for round in 0..ROUNDS {
                    match (t + round) % 5 {
                        0 => store.revoke(feature, Actor::User).unwrap(),
                        1 => store
                            .set_os_permission(feature, OsPermission::Granted)
                            .unwrap(),
                        _ => store
                            .grant(feature, GrantScope::UntilRevoked, Actor::User)
                            .unwrap(),
                    }
                    // Another thread may revoke in between: both outcomes are fine, but an
                    // open session must always mean the feature is allowed or just closed.
                    if let Ok(session) = store.begin_use(feature, purpose.clone()) {
                        clock.advance(1);
                        let _ = store.is_allowed(feature);
                        session.end().unwrap();
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }

    let mut log = store.audit_log(AuditFilter::default()).unwrap();
    log.reverse();
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=store.head().seq).collect::<Vec<_>>(), "gap-free");
    assert!(
        log.windows(2).all(|w| w[1].prev_hash == w[0].hash),
        "linked"
    );
    assert!(log.iter().any(|e| e.kind == AuditKind::Checkpoint));
    assert!(store.verify().unwrap().intact);

    let changes = recorder.changes.lock().clone();
    let all: Vec<u64> = changes.iter().map(|c| c.seq).collect();
    assert!(
        all.windows(2).all(|w| w[0] <= w[1]),
        "delivered in log order"
    );
    // Ad personalisation changes the ad signals too: that change shares its record's seq.
    assert!(changes
        .iter()
        .all(|c| c.feature.is_some() || c.ad_signals.is_some()));
    let delivered: Vec<u64> = changes
        .iter()
        .filter(|c| c.feature.is_some())
        .map(|c| c.seq)
        .collect();
    assert!(
        delivered.windows(2).all(|w| w[0] < w[1]),
        "one feature change per record"
    );
    let expected: Vec<u64> = log
        .iter()
        .filter(|e| {
            e.feature.is_some()
                && !matches!(
                    e.kind,
                    AuditKind::SessionRefused | AuditKind::Checkpoint | AuditKind::ChainStarted
                )
        })
        .map(|e| e.seq)
        .collect();
    assert_eq!(delivered, expected, "every change delivered exactly once");

    let states = store.states();
    store.close().unwrap();
    let reopened = open(dir.path(), &clock);
    assert_eq!(reopened.states(), states);
}

#[test]
fn readers_on_other_threads_never_see_allowed_without_an_open_session() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, stop) = (store.clone(), stop.clone());
        thread::spawn(move || {
            let mut violations = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let state = store.state(Feature::Camera);
                if state.allowed
                    && (state.active_sessions == 0 || state.status != ConsentStatus::Granted)
                {
                    violations += 1;
                }
            }
            violations
        })
    };
    for _ in 0..500 {
        let session = store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .unwrap();
        store.revoke(Feature::Camera, Actor::User).unwrap();
        assert!(!session.is_active());
        grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(reader.join().unwrap(), 0);
}
