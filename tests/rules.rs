//! The consent rules as an app meets them through `ConsentStore`, in memory and on disk.
//!
//! Over 400 lines: one test per consent rule, each short.

mod common;

use std::sync::Arc;

use common::*;
use consentkit::*;

#[test]
fn every_feature_is_off_and_not_asked_on_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &clock());
    assert_eq!(store.states().len(), 6);
    for state in store.states() {
        assert_eq!(state.status, ConsentStatus::NotAsked);
        assert!(!state.allowed);
        assert!(!store.is_allowed(state.feature));
    }
}

#[test]
fn the_app_cannot_grant_but_can_deny_and_revoke() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let err = store
        .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::App)
        .unwrap_err();
    assert!(matches!(err, ConsentError::NotPermitted { .. }));
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::NotAsked);
    camera_granted(&store);
    store.revoke(Feature::Camera, Actor::App).unwrap();
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Denied);
    store.deny(Feature::Microphone, Actor::App).unwrap();
    assert_eq!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
}

#[test]
fn access_is_allowed_only_inside_a_use_session() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let refused = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap_err();
    assert_eq!(
        refused,
        ConsentError::ConsentRequired {
            feature: Feature::Camera,
            purpose: Some("shoot_photo".into())
        }
    );
    camera_granted(&store);
    assert!(
        !store.is_allowed(Feature::Camera),
        "consent alone never opens the door"
    );
    let session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    assert!(session.is_active());
    assert_eq!(session.feature(), Feature::Camera);
    assert_eq!(session.purpose(), "shoot_photo");
    assert!(store.is_allowed(Feature::Camera));
    assert!(store.state(Feature::Camera).allowed);
    session.end().unwrap();
    session.end().unwrap();
    assert!(!session.is_active());
    assert!(!store.is_allowed(Feature::Camera));
}

#[test]
fn dropping_a_session_ends_it() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    {
        let _session = store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .unwrap();
        assert!(store.is_allowed(Feature::Camera));
    }
    assert!(!store.is_allowed(Feature::Camera));
    let log = store.audit_log(AuditFilter::default()).unwrap();
    assert_eq!(log[0].kind, AuditKind::SessionEnded);
    assert_eq!(log[0].end_reason, Some(SessionEndReason::Released));
}

#[test]
fn refusals_name_the_reason_and_are_logged() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let err = store
        .begin_use(Feature::Camera, "login".into())
        .unwrap_err();
    assert_eq!(
        err,
        ConsentError::UnknownPurpose {
            feature: Feature::Camera,
            purpose: "login".into()
        }
    );
    store.deny(Feature::Microphone, Actor::User).unwrap();
    let err = store
        .begin_use(Feature::Microphone, "voice_note".into())
        .unwrap_err();
    assert_eq!(
        err,
        ConsentError::Denied {
            feature: Feature::Microphone
        }
    );
    camera_granted(&store);
    store
        .set_os_permission(Feature::Camera, OsPermission::Denied)
        .unwrap();
    let err = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap_err();
    assert_eq!(
        err,
        ConsentError::OsPermissionDenied {
            feature: Feature::Camera
        }
    );

    let refusals: Vec<_> = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::SessionRefused)
        .map(|e| (e.feature, e.purpose, e.refusal))
        .collect();
    assert_eq!(
        refusals,
        vec![
            (
                Some(Feature::Camera),
                Some("shoot_photo".into()),
                Some(RefusalReason::OsPermissionDenied)
            ),
            (
                Some(Feature::Microphone),
                Some("voice_note".into()),
                Some(RefusalReason::Denied)
            ),
            // Declared for another feature, not this one: logged without its text.
            (
                Some(Feature::Camera),
                None,
                Some(RefusalReason::UnknownPurpose)
            ),
        ]
    );
}

#[test]
fn a_malformed_or_oversized_purpose_is_refused_and_never_logged() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    for purpose in [
        "Jane Doe <jane@example.com>".to_string(),
        "x".repeat(10_000),
        String::new(),
    ] {
        let err = store
            .begin_use(Feature::Camera, purpose.clone())
            .unwrap_err();
        assert!(
            matches!(err, ConsentError::InvalidArgument { .. }),
            "{err:?}"
        );
    }
    let log = store.audit_log(AuditFilter::default()).unwrap();
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.kind == AuditKind::SessionRefused)
        .collect();
    assert_eq!(refused.len(), 3);
    assert!(refused
        .iter()
        .all(|e| e.purpose.is_none() && e.refusal == Some(RefusalReason::InvalidPurpose)));
    assert!(!store.export_json().unwrap().contains("jane"));
}

#[test]
fn revoking_ends_sessions_in_use_and_observers_hear_it() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let recorder = Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    camera_granted(&store);
    let session = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    store.revoke(Feature::Camera, Actor::User).unwrap();
    assert!(!session.is_active());
    assert!(!store.is_allowed(Feature::Camera));
    assert_eq!(
        recorder.kinds(Feature::Camera),
        vec![
            AuditKind::Granted,
            AuditKind::SessionBegan,
            AuditKind::Revoked,
            AuditKind::SessionEnded
        ]
    );
    let last = recorder.changes.lock().last().cloned().unwrap();
    assert_eq!(last.end_reason, Some(SessionEndReason::Revoked));
    let state = last.state.unwrap();
    assert!(!state.allowed);
    assert_eq!(state.status, ConsentStatus::Denied);
}

#[test]
fn cancelling_or_dropping_a_subscription_unsubscribes() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let kept = Arc::new(Recorder::default());
    let closed = Arc::new(Recorder::default());
    let dropped = Arc::new(Recorder::default());
    let _keep = store.subscribe(kept.clone());
    store.subscribe(closed.clone()).cancel();
    drop(store.subscribe(dropped.clone()));
    camera_granted(&store);
    assert_eq!(kept.changes.lock().len(), 1);
    assert!(closed.changes.lock().is_empty());
    assert!(dropped.changes.lock().is_empty());
}

/// An observer that reacts to a revocation by calling back into the store.
struct Reentrant {
    store: Arc<ConsentStore>,
    seen: parking_lot::Mutex<Vec<(AuditKind, bool)>>,
}

impl ConsentObserver for Reentrant {
    fn on_change(&self, change: ConsentChange) {
        // Reads and writes from inside the callback: neither may deadlock.
        let feature = change.feature.unwrap();
        let allowed = self.store.is_allowed(feature);
        let _ = self.store.state(feature);
        if change.kind == AuditKind::Revoked && feature == Feature::Camera {
            self.store.revoke(Feature::Microphone, Actor::App).unwrap();
        }
        self.seen.lock().push((change.kind, allowed));
    }
}

#[test]
fn observers_may_call_back_into_the_store() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let observer = Arc::new(Reentrant {
        store: store.clone(),
        seen: Default::default(),
    });
    let _subscription = store.subscribe(observer.clone());
    camera_granted(&store);
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    assert_eq!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
    let seen: Vec<_> = observer.seen.lock().iter().map(|(k, _)| *k).collect();
    assert_eq!(
        seen,
        vec![
            AuditKind::Granted,
            AuditKind::Granted,
            AuditKind::Revoked,
            AuditKind::Revoked
        ]
    );
}

struct Panics;

impl ConsentObserver for Panics {
    fn on_change(&self, _change: ConsentChange) {
        panic!("an app's observer failed");
    }
}

#[test]
fn a_panicking_observer_neither_breaks_the_store_nor_silences_other_observers() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let _bad = store.subscribe(Arc::new(Panics));
    let recorder = Arc::new(Recorder::default());
    let _good = store.subscribe(recorder.clone());
    camera_granted(&store);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    assert_eq!(
        recorder.kinds(Feature::Camera),
        vec![AuditKind::Granted, AuditKind::Revoked]
    );
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Denied);
    assert!(store.verify().unwrap().intact);
}

#[test]
fn a_single_use_grant_is_consumed_when_its_session_ends() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    grant(&store, Feature::Clipboard, GrantScope::Once);
    let paste = store
        .begin_use(Feature::Clipboard, "share_code".into())
        .unwrap();
    assert_eq!(
        store
            .begin_use(Feature::Clipboard, "share_code".into())
            .unwrap_err(),
        ConsentError::SingleUseInProgress {
            feature: Feature::Clipboard
        }
    );
    paste.end().unwrap();
    assert_eq!(
        store.state(Feature::Clipboard).status,
        ConsentStatus::NotAsked
    );
    assert_eq!(
        store
            .begin_use(Feature::Clipboard, "share_code".into())
            .unwrap_err(),
        ConsentError::ConsentRequired {
            feature: Feature::Clipboard,
            purpose: Some("share_code".into())
        }
    );
}

#[test]
fn going_to_the_background_ends_camera_microphone_clipboard_and_sensor_sessions() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    for feature in Feature::ALL {
        store
            .grant(feature, GrantScope::UntilRevoked, Actor::User)
            .unwrap();
    }
    let purposes = [
        "shoot_photo",
        "voice_note",
        "save_media",
        "login",
        "orientation",
        "personalized_ads",
    ];
    let sessions: Vec<_> = Feature::ALL
        .into_iter()
        .zip(purposes)
        .map(|(f, p)| store.begin_use(f, p.into()).unwrap())
        .collect();
    store.set_foreground(false).unwrap();
    for session in &sessions {
        assert_eq!(
            session.is_active(),
            !session.feature().ends_in_background(),
            "{:?}",
            session.feature()
        );
    }
    assert_eq!(
        store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .unwrap_err(),
        ConsentError::InBackground {
            feature: Feature::Camera
        }
    );
    store.set_foreground(true).unwrap();
    assert!(store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .is_ok());
}

#[test]
fn an_os_denial_closes_the_door_whatever_the_consent() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    let session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    store
        .set_os_permission(Feature::Camera, OsPermission::Denied)
        .unwrap();
    assert!(!session.is_active());
    assert_eq!(
        store.state(Feature::Camera).os_permission,
        OsPermission::Denied
    );
    store
        .set_os_permission(Feature::Camera, OsPermission::Granted)
        .unwrap();
    assert!(store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .is_ok());
}

#[test]
fn a_terms_revision_bump_asks_again_for_that_feature_only() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    {
        let store = open(dir.path(), &clock);
        camera_granted(&store);
        grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    }
    let mut camera = FeaturePolicy::default_for(Feature::Camera);
    camera.terms_revision = 2;
    let store = open_with_config(dir.path(), &clock, config().with_policy(camera));
    let state = store.state(Feature::Camera);
    assert_eq!(state.status, ConsentStatus::NeedsReconsent);
    assert_eq!((state.decided_terms_revision, state.terms_revision), (1, 2));
    assert_eq!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Granted
    );
    assert_eq!(
        store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .unwrap_err(),
        ConsentError::NeedsReconsent {
            feature: Feature::Camera
        }
    );
    let log = store
        .audit_log(AuditFilter {
            feature: Some(Feature::Camera),
            ..Default::default()
        })
        .unwrap();
    assert!(log.iter().any(|e| e.kind == AuditKind::ReconsentRequired));
    camera_granted(&store);
    assert_eq!(store.state(Feature::Camera).decided_terms_revision, 2);
    assert!(store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .is_ok());
}

#[test]
fn an_undeclared_purpose_is_refused_but_never_written_down() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    // Well-formed, undeclared, and personal: a phone number in a purpose.
    let err = store
        .begin_use(Feature::Camera, "user_13800138000".into())
        .unwrap_err();
    assert_eq!(
        err,
        ConsentError::UnknownPurpose {
            feature: Feature::Camera,
            purpose: "user_13800138000".into()
        },
        "the caller is told which purpose"
    );
    let refused = &store.audit_log(AuditFilter::default()).unwrap()[0];
    assert_eq!(refused.refusal, Some(RefusalReason::UnknownPurpose));
    assert_eq!(refused.purpose, None);
    assert!(!store.export_json().unwrap().contains("13800138000"));
}

#[test]
fn an_unused_single_use_grant_lapses_when_the_app_leaves_the_foreground() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    grant(&store, Feature::Clipboard, GrantScope::Once);
    grant(&store, Feature::PhotoLibrary, GrantScope::Once);
    // In use when the app leaves: the photo library keeps its session (and its grant).
    let saving = store
        .begin_use(Feature::PhotoLibrary, "save_media".into())
        .unwrap();
    store.set_foreground(false).unwrap();
    assert_eq!(
        store.state(Feature::Clipboard).status,
        ConsentStatus::NotAsked
    );
    assert!(saving.is_active());
    assert_eq!(
        store.state(Feature::PhotoLibrary).status,
        ConsentStatus::Granted
    );
    store.set_foreground(true).unwrap();
    assert_eq!(
        store
            .begin_use(Feature::Clipboard, "share_code".into())
            .unwrap_err(),
        ConsentError::ConsentRequired {
            feature: Feature::Clipboard,
            purpose: Some("share_code".into())
        }
    );
    let lapsed = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::GrantLapsed)
        .count();
    assert_eq!(lapsed, 1);
}

#[test]
fn an_unused_single_use_grant_lapses_when_the_store_closes_or_its_process_dies() {
    let dir = tempfile::tempdir().unwrap();
    let crashed = tempfile::tempdir().unwrap();
    let clock = clock();
    {
        let store = open(dir.path(), &clock);
        grant(&store, Feature::Clipboard, GrantScope::Once);
        for name in ["consent.log", "consent.index"] {
            std::fs::copy(dir.path().join(name), crashed.path().join(name)).unwrap();
        }
        store.close().unwrap();
    }
    for dir in [dir.path(), crashed.path()] {
        let store = open(dir, &clock);
        assert_eq!(
            store.state(Feature::Clipboard).status,
            ConsentStatus::NotAsked,
            "{}",
            dir.display()
        );
    }
}

#[test]
fn each_change_carries_the_state_right_after_its_own_record() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let recorder = Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    camera_granted(&store);
    let _session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    store.revoke(Feature::Camera, Actor::User).unwrap();
    grant(&store, Feature::Clipboard, GrantScope::Once);
    use_once(&store, Feature::Clipboard, "share_code");
    let changes = recorder.changes.lock().clone();
    let at = |feature, kind| {
        changes
            .iter()
            .find(|c| c.feature == Some(feature) && c.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} change for {feature:?}"))
            .state
            .clone()
            .unwrap()
    };
    // The revocation comes first: the session it ends is still open right after it.
    let revoked = at(Feature::Camera, AuditKind::Revoked);
    assert_eq!(
        (revoked.status, revoked.active_sessions),
        (ConsentStatus::Denied, 1)
    );
    assert!(!revoked.allowed);
    let ended = at(Feature::Camera, AuditKind::SessionEnded);
    assert_eq!(ended.active_sessions, 0);
    // A single use ends, then its grant is used up: two records, two states.
    let used = at(Feature::Clipboard, AuditKind::SessionEnded);
    assert_eq!(
        (used.status, used.active_sessions),
        (ConsentStatus::Granted, 0)
    );
    let consumed = at(Feature::Clipboard, AuditKind::GrantConsumed);
    assert_eq!(consumed.status, ConsentStatus::NotAsked);
    let seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

#[test]
fn a_decision_that_changes_nothing_writes_nothing() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let written = |store: &ConsentStore| store.head().seq;
    // Nothing to withdraw from a feature never asked: it stays "not asked".
    let before = written(&store);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    assert_eq!(written(&store), before);
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::NotAsked);

    store.deny(Feature::Microphone, Actor::Guardian).unwrap();
    let denied = written(&store);
    store.deny(Feature::Microphone, Actor::User).unwrap();
    store.revoke(Feature::Microphone, Actor::User).unwrap();
    assert_eq!(written(&store), denied);
    // The first "no" keeps its author.
    assert_eq!(
        store.state(Feature::Microphone).decided_by,
        Some(Actor::Guardian)
    );

    grant(&store, Feature::Camera, GrantScope::Once);
    let once = written(&store);
    grant(&store, Feature::Camera, GrantScope::Once);
    assert_eq!(written(&store), once);
    camera_granted(&store);
    let granted = written(&store);
    assert_eq!(granted, once + 1, "a different scope is a new decision");
    camera_granted(&store);
    assert_eq!(written(&store), granted);
    grant(&store, Feature::Camera, GrantScope::Once);
    assert_eq!(
        written(&store),
        granted,
        "a single use of what a standing grant covers adds nothing"
    );

    store.set_foreground(true).unwrap();
    store
        .set_os_permission(Feature::Camera, OsPermission::Unknown)
        .unwrap();
    assert_eq!(written(&store), granted);
}

#[test]
fn nobody_is_asked_in_the_background() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    store.set_foreground(false).unwrap();
    for feature in [Feature::Camera, Feature::AdPersonalization] {
        assert_eq!(
            store.grant(feature, GrantScope::UntilRevoked, Actor::User),
            Err(ConsentError::InBackground { feature })
        );
        assert_eq!(store.state(feature).status, ConsentStatus::NotAsked);
    }
    // Saying no still works from anywhere.
    store.deny(Feature::Camera, Actor::App).unwrap();
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Denied);
}

#[test]
fn only_the_photo_library_can_be_granted_limited_by_the_os() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let err = store
        .set_os_permission(Feature::Camera, OsPermission::Limited)
        .unwrap_err();
    assert!(
        matches!(&err, ConsentError::InvalidArgument { reason } if reason.contains("photo_library")),
        "{err:?}"
    );
    assert_eq!(
        store.state(Feature::Camera).os_permission,
        OsPermission::Unknown
    );
    store
        .set_os_permission(Feature::PhotoLibrary, OsPermission::Limited)
        .unwrap();
    assert_eq!(
        store.state(Feature::PhotoLibrary).os_permission,
        OsPermission::Limited
    );
}

#[test]
fn a_malformed_purpose_says_what_is_wrong_with_it() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    let err = store
        .begin_use(Feature::Camera, "ShootPhoto".into())
        .unwrap_err();
    match err {
        ConsentError::InvalidArgument { reason } => {
            assert!(reason.contains("capital letters"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}
