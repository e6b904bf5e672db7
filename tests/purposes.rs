//! Consent that fits the use: grants that cover chosen purposes, features used only during another's session, and revisions that only go forward.

mod common;

use common::*;
use consentkit::*;

fn clipboard_for(store: &ConsentStore, purposes: &[&str], scope: GrantScope) {
    let purposes = purposes.iter().map(|p| p.to_string()).collect();
    store
        .grant_purposes(Feature::Clipboard, purposes, scope, Actor::User)
        .unwrap();
}

fn asked_for(result: Result<std::sync::Arc<UseSession>, ConsentError>) -> Option<String> {
    match result {
        Err(ConsentError::ConsentRequired { purpose, .. }) => purpose,
        other => panic!("expected ConsentRequired, got {other:?}"),
    }
}

#[test]
fn a_grant_for_some_purposes_covers_only_those_and_the_rest_are_asked_for_on_their_own() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    clipboard_for(&store, &["login"], GrantScope::UntilRevoked);
    let state = store.state(Feature::Clipboard);
    assert_eq!(state.granted_purposes, ["login"]);
    assert_eq!(state.purposes, ["login", "share_code", "channel_stats"]);
    use_once(&store, Feature::Clipboard, "login");
    let refused = store.begin_use(Feature::Clipboard, "channel_stats".into());
    assert_eq!(asked_for(refused).as_deref(), Some("channel_stats"));
    // The refusal is recorded as such, naming the declared purpose.
    let last = &store
        .audit_log(AuditFilter {
            limit: Some(1),
            ..AuditFilter::default()
        })
        .unwrap()[0];
    assert_eq!(last.refusal, Some(RefusalReason::PurposeNotGranted));
    assert_eq!(last.purpose.as_deref(), Some("channel_stats"));

    // Asking for the one purpose adds it to the standing grant, in declared order.
    clipboard_for(&store, &["channel_stats"], GrantScope::UntilRevoked);
    assert_eq!(
        store.state(Feature::Clipboard).granted_purposes,
        ["login", "channel_stats"]
    );
    use_once(&store, Feature::Clipboard, "channel_stats");
    // Granting again what is covered writes nothing.
    let head = store.head().seq;
    clipboard_for(&store, &["login"], GrantScope::UntilRevoked);
    assert_eq!(store.head().seq, head);
    // A grant of the whole feature covers every declared purpose.
    grant(&store, Feature::Clipboard, GrantScope::UntilRevoked);
    assert_eq!(store.state(Feature::Clipboard).granted_purposes.len(), 3);
}

#[test]
fn a_purpose_added_to_the_policy_later_is_not_covered_by_the_old_grant() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open(dir.path(), &clock);
    camera_granted(&store);
    store.close().unwrap();
    // The app adds face scanning to the camera's purposes without a new terms revision.
    let mut camera = FeaturePolicy::default_for(Feature::Camera);
    camera.purposes.push("face_scan".into());
    let store = open_with_config(dir.path(), &clock, config().with_policy(camera));
    use_once(&store, Feature::Camera, "shoot_photo");
    let refused = store.begin_use(Feature::Camera, "face_scan".into());
    assert_eq!(asked_for(refused).as_deref(), Some("face_scan"));
    assert!(refused_should_ask(&store, "face_scan"));
    store
        .grant_purposes(
            Feature::Camera,
            vec!["face_scan".into()],
            GrantScope::UntilRevoked,
            Actor::User,
        )
        .unwrap();
    use_once(&store, Feature::Camera, "face_scan");
    store.close().unwrap();
    // Replayed from the log alone, the grant still covers exactly these purposes.
    std::fs::remove_file(dir.path().join("consent.snapshot")).ok();
    let camera = FeaturePolicy {
        purposes: vec![
            "shoot_photo".into(),
            "record_video".into(),
            "face_scan".into(),
        ],
        ..FeaturePolicy::default_for(Feature::Camera)
    };
    let store = open_with_config(dir.path(), &clock, config().with_policy(camera));
    assert_eq!(
        store.state(Feature::Camera).granted_purposes,
        ["shoot_photo", "record_video", "face_scan"]
    );
    assert!(store.verify().unwrap().intact);
}

fn refused_should_ask(store: &ConsentStore, purpose: &str) -> bool {
    store
        .begin_use(Feature::Camera, purpose.into())
        .unwrap_err()
        .should_ask()
}

#[test]
fn grant_purposes_refuses_what_is_not_declared_or_not_a_purpose() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    let grant = |purposes: &[&str]| {
        store.grant_purposes(
            Feature::Clipboard,
            purposes.iter().map(|p| p.to_string()).collect(),
            GrantScope::UntilRevoked,
            Actor::User,
        )
    };
    assert!(matches!(
        grant(&[]),
        Err(ConsentError::InvalidArgument { .. })
    ));
    assert!(matches!(
        grant(&["Login"]),
        Err(ConsentError::InvalidArgument { .. })
    ));
    assert_eq!(
        grant(&["login", "contacts"]),
        Err(ConsentError::UnknownPurpose {
            feature: Feature::Clipboard,
            purpose: "contacts".into()
        })
    );
    assert_eq!(
        store.state(Feature::Clipboard).status,
        ConsentStatus::NotAsked
    );
}

#[test]
fn motion_sensors_are_used_only_while_the_camera_shoots() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    grant(&store, Feature::MotionSensors, GrantScope::UntilRevoked);
    assert_eq!(
        store.state(Feature::MotionSensors).only_during,
        Some(Feature::Camera)
    );
    let alone = store.begin_use(Feature::MotionSensors, "orientation".into());
    assert_eq!(
        alone.unwrap_err(),
        ConsentError::OnlyDuring {
            feature: Feature::MotionSensors,
            during: Feature::Camera
        }
    );
    let recorder = std::sync::Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    let shooting = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    let second = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    let sensors = store
        .begin_use(Feature::MotionSensors, "orientation".into())
        .unwrap();
    assert!(store.is_allowed(Feature::MotionSensors));
    shooting.end().unwrap();
    assert!(sensors.is_active(), "another camera session is still open");
    second.end().unwrap();
    assert!(
        !sensors.is_active(),
        "the camera's last session ended theirs"
    );
    assert!(!store.is_allowed(Feature::MotionSensors));
    let ended: Vec<SessionEndReason> = recorder
        .changes
        .lock()
        .iter()
        .filter(|c| c.feature == Some(Feature::MotionSensors))
        .filter_map(|c| c.end_reason)
        .collect();
    assert_eq!(ended, [SessionEndReason::DependencyEnded]);
}

#[test]
fn revoking_the_camera_ends_the_sensors_it_carried_and_a_single_use_is_consumed() {
    let store = on_screen(ConsentStore::open_in_memory(config()).unwrap());
    camera_granted(&store);
    grant(&store, Feature::MotionSensors, GrantScope::Once);
    let _camera = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    let sensors = store
        .begin_use(Feature::MotionSensors, "orientation".into())
        .unwrap();
    store.revoke(Feature::Camera, Actor::User).unwrap();
    assert!(!sensors.is_active());
    assert_eq!(
        store.state(Feature::MotionSensors).status,
        ConsentStatus::NotAsked,
        "the single use was used"
    );
    assert!(store.verify().unwrap().intact);
}

#[test]
fn an_app_may_drop_or_change_the_dependency_but_not_make_it_circular() {
    let independent = FeaturePolicy {
        only_during: None,
        ..FeaturePolicy::default_for(Feature::MotionSensors)
    };
    let store = on_screen(ConsentStore::open_in_memory(config().with_policy(independent)).unwrap());
    grant(&store, Feature::MotionSensors, GrantScope::UntilRevoked);
    use_once(&store, Feature::MotionSensors, "orientation");

    let refused = |config: ConsentConfig| match ConsentStore::open_in_memory(config) {
        Err(ConsentError::InvalidConfig { reason }) => reason,
        other => panic!("expected InvalidConfig, got {other:?}"),
    };
    let on_itself = FeaturePolicy {
        only_during: Some(Feature::MotionSensors),
        ..FeaturePolicy::default_for(Feature::MotionSensors)
    };
    assert!(refused(config().with_policy(on_itself)).contains("its own"));
    let camera_on_sensors = FeaturePolicy {
        only_during: Some(Feature::MotionSensors),
        ..FeaturePolicy::default_for(Feature::Camera)
    };
    assert!(refused(config().with_policy(camera_on_sensors)).contains("one level"));
}

#[test]
fn lowering_a_terms_revision_is_a_configuration_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let two = FeaturePolicy {
        terms_revision: 2,
        ..FeaturePolicy::default_for(Feature::Camera)
    };
    let store = open_with_config(dir.path(), &clock, config().with_policy(two.clone()));
    camera_granted(&store);
    store.close().unwrap();
    let lowered = ConsentStore::open_with(dir.path(), Some(config()), options(&clock));
    match lowered {
        Err(ConsentError::InvalidConfig { reason }) => {
            assert!(
                reason.contains("camera: terms_revision 1 is lower than 2"),
                "{reason}"
            )
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
    // Back to the right config, nothing is stuck: the grant stands.
    let store = open_with_config(dir.path(), &clock, config().with_policy(two));
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    use_once(&store, Feature::Camera, "shoot_photo");
}
