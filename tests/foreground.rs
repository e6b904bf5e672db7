//! Foreground switches are recorded only when they shape a record: the log stays short while replay still knows what the live rules knew.

mod common;

use common::*;
use consentkit::*;

fn kinds_after(store: &ConsentStore, seq: u64) -> Vec<AuditKind> {
    let mut log = store.audit_log(AuditFilter::default()).unwrap();
    log.reverse();
    log.into_iter()
        .filter(|e| e.seq > seq)
        .map(|e| e.kind)
        .collect()
}

#[test]
fn switches_that_end_nothing_write_nothing() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    let head = store.head().seq;
    for _ in 0..100 {
        store.set_foreground(false).unwrap();
        store.set_foreground(true).unwrap();
    }
    assert_eq!(store.head().seq, head, "200 switches, no record");
    // Still enforced: nothing is used or granted in the background.
    store.set_foreground(false).unwrap();
    assert!(matches!(
        store.grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User),
        Err(ConsentError::InBackground { .. })
    ));
    assert_eq!(store.head().seq, head, "a refused grant writes nothing");
}

#[test]
fn a_switch_that_ends_a_session_is_recorded_and_so_is_the_return() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    let head = store.head().seq;
    let shooting = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    store.set_foreground(false).unwrap();
    assert!(!shooting.is_active());
    store.set_foreground(true).unwrap();
    assert_eq!(
        kinds_after(&store, head),
        [
            AuditKind::SessionBegan,
            AuditKind::ForegroundChanged,
            AuditKind::SessionEnded,
            AuditKind::ForegroundChanged
        ]
    );
}

#[test]
fn a_record_written_in_the_background_is_preceded_by_the_switch_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open(dir.path(), &clock);
    camera_granted(&store);
    store.set_foreground(false).unwrap();
    let head = store.head().seq;
    let refused = store.begin_use(Feature::Camera, "shoot_photo".into());
    assert!(matches!(refused, Err(ConsentError::InBackground { .. })));
    store.deny(Feature::Microphone, Actor::User).unwrap();
    assert_eq!(
        kinds_after(&store, head),
        [
            AuditKind::ForegroundChanged,
            AuditKind::SessionRefused,
            AuditKind::Denied
        ],
        "the switch is written once, before the first record it shaped"
    );
    store.close().unwrap();
    std::fs::remove_file(dir.path().join("consent.snapshot")).ok();
    let store = open(dir.path(), &clock);
    assert!(
        store.recovery_notice().is_none(),
        "replay agrees with the live rules"
    );
    assert!(store.verify().unwrap().intact);
}

#[test]
fn erasing_in_the_background_stays_in_the_background() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    store.set_foreground(false).unwrap();
    store.erase_all().unwrap();
    assert!(matches!(
        store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User),
        Err(ConsentError::InBackground { .. })
    ));
}

#[test]
fn a_session_begun_after_an_unrecorded_switch_is_the_one_it_names() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    grant(&store, Feature::PhotoLibrary, GrantScope::UntilRevoked);
    store.set_foreground(false).unwrap();
    // Saving to the library goes on in the background; the switch is written before it.
    let saving = store
        .begin_use(Feature::PhotoLibrary, "save_media".into())
        .unwrap();
    assert!(saving.is_active());
    assert!(store.is_allowed(Feature::PhotoLibrary));
    let log = store.audit_log(AuditFilter::default()).unwrap();
    assert_eq!(log[0].kind, AuditKind::SessionBegan);
    assert_eq!(saving.id(), log[0].seq);
    saving.end().unwrap();
    assert!(!store.is_allowed(Feature::PhotoLibrary));
}
