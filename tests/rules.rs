//! The consent rules as an app meets them through `ConsentStore`, in memory and on disk.

mod common;

use std::sync::Arc;

use common::*;
use consentkit::*;

fn camera_granted(store: &ConsentStore) {
    store
        .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
        .unwrap();
}

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
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
    let store = ConsentStore::open_in_memory(config()).unwrap();
    let refused = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap_err();
    assert_eq!(
        refused,
        ConsentError::ConsentRequired {
            feature: Feature::Camera
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
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
    assert_eq!(log[0].detail, "released");
}

#[test]
fn refusals_name_the_reason_and_are_logged() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
        .map(|e| (e.feature, e.purpose, e.detail))
        .collect();
    assert_eq!(
        refusals,
        vec![
            (
                Some(Feature::Camera),
                Some("shoot_photo".into()),
                "os_permission_denied".into()
            ),
            (
                Some(Feature::Microphone),
                Some("voice_note".into()),
                "denied".into()
            ),
            (
                Some(Feature::Camera),
                Some("login".into()),
                "unknown_purpose".into()
            ),
        ]
    );
}

#[test]
fn a_malformed_or_oversized_purpose_is_refused_and_never_logged() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
        .all(|e| e.purpose.is_none() && e.detail == "invalid_purpose"));
    assert!(!store.export_json().unwrap().contains("jane"));
}

#[test]
fn revoking_ends_sessions_in_use_and_observers_hear_it() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
    assert!(!last.state.allowed);
    assert_eq!(last.state.status, ConsentStatus::Denied);
}

#[test]
fn cancelling_or_dropping_a_subscription_unsubscribes() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
        let allowed = self.store.is_allowed(change.feature);
        let _ = self.store.state(change.feature);
        if change.kind == AuditKind::Revoked && change.feature == Feature::Camera {
            self.store.revoke(Feature::Microphone, Actor::App).unwrap();
        }
        self.seen.lock().push((change.kind, allowed));
    }
}

#[test]
fn observers_may_call_back_into_the_store() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
    let observer = Arc::new(Reentrant {
        store: store.clone(),
        seen: Default::default(),
    });
    let _subscription = store.subscribe(observer.clone());
    camera_granted(&store);
    store
        .grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User)
        .unwrap();
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
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
    let store = ConsentStore::open_in_memory(config()).unwrap();
    store
        .grant(Feature::Clipboard, GrantScope::Once, Actor::User)
        .unwrap();
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
            feature: Feature::Clipboard
        }
    );
}

#[test]
fn going_to_the_background_ends_camera_microphone_clipboard_and_sensor_sessions() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
        .set_os_permission(Feature::Camera, OsPermission::Limited)
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
        store
            .grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User)
            .unwrap();
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
fn a_store_belongs_to_one_app() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    open(dir.path(), &clock).close().unwrap();
    let other = ConsentStore::open_with(
        dir.path(),
        Some(ConsentConfig::new("org.other.app")),
        options(&clock),
    );
    assert!(matches!(other, Err(ConsentError::InvalidArgument { .. })));
}

#[test]
fn bad_configs_are_refused_with_a_clear_error() {
    let bad_purpose = config().with_policy(FeaturePolicy {
        feature: Feature::Camera,
        purposes: vec!["Shoot Photo".into()],
        terms_revision: 1,
    });
    let two = ConsentConfig {
        app_id: APP.into(),
        policies: vec![
            FeaturePolicy::default_for(Feature::Camera),
            FeaturePolicy::default_for(Feature::Camera),
        ],
    };
    for config in [
        ConsentConfig::new(""),
        ConsentConfig::new("has space"),
        bad_purpose,
        two,
    ] {
        let err = ConsentStore::open_in_memory(config).err().unwrap();
        assert!(
            matches!(err, ConsentError::InvalidArgument { .. }),
            "{err:?}"
        );
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
    assert_eq!(kinds(&store), vec![AuditKind::Erased]);
    assert_eq!(store.head().seq, 1);
    drop(session);
    store.close().unwrap();
    let store = open(dir.path(), &clock);
    assert!(all_off(&store));
    assert_eq!(kinds(&store), vec![AuditKind::Erased]);
}

#[test]
fn closed_stores_refuse_work_and_answer_off() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
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
    let store = ConsentStore::open_with(
        &store_dir,
        Some(config()),
        StoreOptions {
            checkpoint_every: 2,
            ..Default::default()
        },
    )
    .unwrap();
    camera_granted(&store);
    store.revoke(Feature::Camera, Actor::User).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store_dir), 0o700);
    for entry in std::fs::read_dir(&store_dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}
