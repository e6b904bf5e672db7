//! The app-wide consent: agreement to the privacy policy and basic mode, the third-party SDK gate and catalogue, ad signals and the age signal — in the store, in its log and for observers.
//!
//! Over 400 lines: one test per rule of the policy agreement, the SDK gate and the ad signals, each short.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use consentkit::testing::forge::Forger;
use consentkit::*;

fn sdk(id: &str, requires: &[Feature], not_for_minors: bool) -> SdkPolicy {
    SdkPolicy {
        id: id.into(),
        name: format!("{id} SDK"),
        vendor: "Example Ltd.".into(),
        purpose: "Testing".into(),
        data_collected: vec!["Device model".into()],
        requires: requires.to_vec(),
        privacy_policy_url: format!("https://{id}.example.com/privacy"),
        not_for_minors,
    }
}

/// A Chinese camera app: policy revision 1 to agree to, users in China (age of consent 14),
/// an ad SDK not for minors, an AR SDK that needs the camera, and a push SDK.
fn chinese_app(policy_revision: u32) -> ConsentConfig {
    let mut config = ConsentConfig::new(APP)
        .with_policy_revision(policy_revision)
        .with_sdk(sdk("ads", &[], true))
        .with_sdk(sdk("ar_filters", &[Feature::Camera], false))
        .with_sdk(sdk("push", &[], false));
    config.jurisdiction = Some("CN".into());
    config
}

fn open_app(dir: &Path, clock: &Arc<FakeClock>, config: ConsentConfig) -> Arc<ConsentStore> {
    open_with_config(dir, clock, config)
}

fn agreed(store: &ConsentStore) {
    store.agree_to_policy(Actor::User).unwrap();
}

/// For a person who is (or may become) a minor, a guardian decides.
fn agreed_by_guardian(store: &ConsentStore) {
    store.agree_to_policy(Actor::Guardian).unwrap();
}

fn blocked(store: &ConsentStore, id: &str) -> Option<SdkBlock> {
    store.sdk_status(id.into()).blocked_by
}

fn log_of(store: &ConsentStore) -> Vec<AuditEntry> {
    let mut log = store.audit_log(AuditFilter::default()).unwrap();
    log.reverse();
    log
}

#[test]
fn a_store_never_agreed_to_refuses_every_use_grant_and_sdk_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_app(dir.path(), &clock(), chinese_app(1));
    let policy = store.policy_state();
    assert_eq!(policy.status, PolicyStatus::NotAsked);
    assert!(policy.basic_mode);
    assert_eq!(policy.revision, Some(1));
    for feature in Feature::ALL {
        let grant = store.grant(feature, GrantScope::UntilRevoked, Actor::User);
        assert_eq!(grant, Err(ConsentError::PolicyNotAgreed { feature }));
        let purpose = feature.default_purposes()[0].to_string();
        let used = store.begin_use(feature, purpose).unwrap_err();
        assert_eq!(used, ConsentError::PolicyNotAgreed { feature });
        assert!(used.is_refusal() && used.needs_policy_agreement() && !used.should_ask());
        assert!(!store.is_allowed(feature));
    }
    for id in ["ads", "ar_filters", "push"] {
        assert_eq!(blocked(&store, id), Some(SdkBlock::PolicyNotAgreed));
        let started = store.sdk_started(id.into()).unwrap_err();
        assert!(started.needs_policy_agreement(), "{started:?}");
    }
    assert_eq!(store.ad_signals(), AdSignals::denied());
    // The log proves it: six refused uses, three refused starts, no start and no grant.
    let log = log_of(&store);
    let count = |kind| log.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count(AuditKind::SessionRefused), 6);
    assert_eq!(count(AuditKind::SdkRefused), 3);
    assert_eq!(count(AuditKind::SdkStarted) + count(AuditKind::Granted), 0);
    assert!(log
        .iter()
        .filter(|e| e.kind == AuditKind::SessionRefused)
        .all(|e| e.refusal == Some(RefusalReason::PolicyNotAgreed)));
}

#[test]
fn only_a_person_agrees_and_not_from_the_background() {
    let store = on_screen(ConsentStore::open_in_memory(chinese_app(1)).unwrap());
    assert!(matches!(
        store.agree_to_policy(Actor::App),
        Err(ConsentError::NotPermitted { .. })
    ));
    store.set_foreground(false).unwrap();
    assert!(matches!(
        store.agree_to_policy(Actor::User),
        Err(ConsentError::NotPermitted { .. })
    ));
    store.set_foreground(true).unwrap();
    store.agree_to_policy(Actor::Guardian).unwrap();
    let policy = store.policy_state();
    assert_eq!(policy.status, PolicyStatus::Agreed);
    assert_eq!(policy.decided_by, Some(Actor::Guardian));
    assert_eq!(policy.agreed_revision, Some(1));
    // Agreeing again changes nothing and writes nothing.
    let head = store.head().seq;
    agreed(&store);
    assert_eq!(store.head().seq, head);
}

#[test]
fn agreeing_turns_no_feature_on_and_lets_features_be_asked_for() {
    let store = on_screen(ConsentStore::open_in_memory(chinese_app(1)).unwrap());
    agreed(&store);
    assert!(store
        .states()
        .iter()
        .all(|s| s.status == ConsentStatus::NotAsked && !s.allowed));
    let asked = store.begin_use(Feature::Camera, "shoot_photo".into());
    assert!(matches!(asked, Err(ConsentError::ConsentRequired { .. })));
    camera_granted(&store);
    use_once(&store, Feature::Camera, "shoot_photo");
}

#[test]
fn declining_is_basic_mode_ending_every_use_and_keeping_decisions_for_later() {
    let store = on_screen(ConsentStore::open_in_memory(chinese_app(1)).unwrap());
    agreed(&store);
    camera_granted(&store);
    let recording = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    let recorder = Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    store.decline_policy(Actor::User).unwrap();
    assert!(
        !recording.is_active(),
        "basic mode stops the camera at once"
    );
    assert!(!store.is_allowed(Feature::Camera));
    let changes = recorder.changes.lock().clone();
    assert!(changes
        .iter()
        .any(|c| c.end_reason == Some(SessionEndReason::PolicyDeclined)));
    let policy = changes.iter().find_map(|c| c.policy.clone()).unwrap();
    assert_eq!(
        (policy.status, policy.basic_mode),
        (PolicyStatus::Declined, true)
    );
    // The camera grant is kept, unusable: the person never withdrew it.
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    let refused = store.begin_use(Feature::Camera, "shoot_photo".into());
    assert!(matches!(refused, Err(ConsentError::PolicyNotAgreed { .. })));
    // Declining again changes nothing; the app may decline too (an account closed).
    let head = store.head().seq;
    store.decline_policy(Actor::App).unwrap();
    assert_eq!(store.head().seq, head);
    agreed(&store);
    use_once(&store, Feature::Camera, "shoot_photo");
}

#[test]
fn a_new_policy_revision_is_basic_mode_again_and_grants_return_only_where_their_terms_did_not_change(
) {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open_app(dir.path(), &clock, chinese_app(1));
    agreed(&store);
    camera_granted(&store);
    grant(&store, Feature::PhotoLibrary, GrantScope::UntilRevoked);
    store.close().unwrap();

    let mut library = FeaturePolicy::default_for(Feature::PhotoLibrary);
    library.terms_revision = 2;
    let store = open_app(
        dir.path(),
        &clock,
        chinese_app(2).with_policy(library.clone()),
    );
    let policy = store.policy_state();
    assert_eq!(policy.status, PolicyStatus::NeedsReconsent);
    assert_eq!(
        (policy.revision, policy.agreed_revision),
        (Some(2), Some(1))
    );
    assert!(policy.basic_mode);
    let refused = store.begin_use(Feature::Camera, "shoot_photo".into());
    assert!(matches!(refused, Err(ConsentError::PolicyNotAgreed { .. })));
    assert_eq!(blocked(&store, "push"), Some(SdkBlock::PolicyNotAgreed));

    agreed(&store);
    use_once(&store, Feature::Camera, "shoot_photo");
    let refused = store.begin_use(Feature::PhotoLibrary, "save_media".into());
    assert!(matches!(refused, Err(ConsentError::NeedsReconsent { .. })));
    // Revisions only go forward: going back to revision 1 is a configuration error.
    store.close().unwrap();
    let back = ConsentStore::open_with(
        dir.path(),
        Some(chinese_app(1).with_policy(library.clone())),
        options(&clock),
    );
    match back {
        Err(ConsentError::InvalidConfig { reason }) => {
            assert!(
                reason.contains("policy_revision 1 is lower than 2"),
                "{reason}"
            )
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
    let store = open_app(dir.path(), &clock, chinese_app(2).with_policy(library));
    assert_eq!(store.policy_state().status, PolicyStatus::Agreed);
}

#[test]
fn a_decline_of_an_old_revision_leaves_the_new_one_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open_app(dir.path(), &clock, chinese_app(1));
    store.decline_policy(Actor::User).unwrap();
    store.close().unwrap();
    let store = open_app(dir.path(), &clock, chinese_app(2));
    assert_eq!(store.policy_state().status, PolicyStatus::NotAsked);
    assert!(store.policy_state().basic_mode);
}

#[test]
fn an_sdk_requiring_the_camera_waits_for_it_and_is_blocked_again_on_revoke() {
    let store = on_screen(ConsentStore::open_in_memory(chinese_app(1)).unwrap());
    let recorder = Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    agreed(&store);
    let camera = SdkBlock::FeatureNotGranted {
        feature: Feature::Camera,
    };
    assert_eq!(blocked(&store, "ar_filters"), Some(camera));
    assert_eq!(blocked(&store, "push"), None);
    let refused = store.sdk_started("ar_filters".into()).unwrap_err();
    assert_eq!(refused.feature(), Some(Feature::Camera));

    camera_granted(&store);
    let sdk_changes = |kind: AuditKind| -> Vec<SdkStatus> {
        recorder
            .changes
            .lock()
            .iter()
            .filter(|c| c.kind == kind)
            .filter_map(|c| c.sdk.clone())
            .filter(|s| s.id == "ar_filters")
            .collect()
    };
    let unblocked = sdk_changes(AuditKind::Granted);
    assert_eq!(unblocked.len(), 1, "observers hear the SDK may start");
    assert!(unblocked[0].may_start);
    store.sdk_started("ar_filters".into()).unwrap();
    let status = store.sdk_status("ar_filters".into());
    assert!(status.first_started_ms.is_some());

    store.revoke(Feature::Camera, Actor::User).unwrap();
    let stopped = sdk_changes(AuditKind::Revoked);
    assert_eq!(stopped.len(), 1, "the revocation says it blocks the SDK");
    assert_eq!(stopped[0].blocked_by, Some(camera));
    assert!(store.sdk_started("ar_filters".into()).is_err());
    // The OS denying the camera blocks it too.
    camera_granted(&store);
    store
        .set_os_permission(Feature::Camera, OsPermission::Denied)
        .unwrap();
    assert_eq!(blocked(&store, "ar_filters"), Some(camera));
}

#[test]
fn a_minor_never_yields_personalised_ad_signals() {
    let store = on_screen(ConsentStore::open_in_memory(chinese_app(1)).unwrap());
    agreed_by_guardian(&store);
    guardian_grants(&store, Feature::AdPersonalization);
    assert!(store.ad_signals().personalized_ads, "not a minor (yet)");
    let recorder = Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    // Google Play's Age Signals answer 13–15: in China (14) part of that range is a minor.
    let teen = age_range(13, Some(15));
    store.set_age_signal(teen).unwrap();
    let ads = store.ad_signals();
    assert!(!ads.personalized_ads);
    for signal in [ads.ad_personalization, ads.ad_user_data, ads.ad_storage] {
        assert_eq!(signal, ConsentSignal::Denied);
    }
    assert_eq!(blocked(&store, "ads"), Some(SdkBlock::Minor));
    assert_eq!(blocked(&store, "push"), None);
    let heard = recorder.changes.lock().iter().find_map(|c| c.ad_signals);
    assert_eq!(heard, Some(ads), "observers hear the signals change");
    assert_eq!(store.age_signal(), Some(teen));

    store.set_age_signal(age_range(16, Some(17))).unwrap();
    assert!(store.ad_signals().personalized_ads);
    assert_eq!(blocked(&store, "ads"), None);
}

#[test]
fn an_unknown_age_is_adult_unless_the_config_says_otherwise() {
    let mut config = chinese_app(1);
    config.unknown_age_is_minor = true;
    let store = on_screen(ConsentStore::open_in_memory(config).unwrap());
    agreed_by_guardian(&store);
    guardian_grants(&store, Feature::AdPersonalization);
    assert!(!store.ad_signals().personalized_ads);
    assert_eq!(blocked(&store, "ads"), Some(SdkBlock::Minor));
    let adult = AgeSignal {
        lower: 18,
        upper: None,
        source: AgeSource::Declared,
    };
    store.set_age_signal(adult).unwrap();
    assert!(store.ad_signals().personalized_ads);
    let empty = AgeSignal {
        lower: 15,
        upper: Some(13),
        source: AgeSource::Declared,
    };
    assert!(matches!(
        store.set_age_signal(empty),
        Err(ConsentError::InvalidArgument { .. })
    ));
}

#[test]
fn the_ad_toggle_changes_the_signals_and_tells_observers_at_once() {
    let store = on_screen(ConsentStore::open_in_memory(chinese_app(1)).unwrap());
    agreed(&store);
    let recorder = Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    grant(&store, Feature::AdPersonalization, GrantScope::UntilRevoked);
    store
        .revoke(Feature::AdPersonalization, Actor::User)
        .unwrap();
    let heard: Vec<(AuditKind, bool)> = recorder
        .changes
        .lock()
        .iter()
        .filter_map(|c| c.ad_signals.map(|a| (c.kind, a.personalized_ads)))
        .collect();
    assert_eq!(
        heard,
        vec![(AuditKind::Granted, true), (AuditKind::Revoked, false)]
    );
    let ads = store.ad_signals();
    assert_eq!(ads.ad_storage, ConsentSignal::Granted, "the agreed policy");
    assert_eq!(ads.analytics_storage, ConsentSignal::Granted);
    assert_eq!(ads.ad_personalization, ConsentSignal::Denied);
}

#[test]
fn without_a_policy_step_the_per_feature_rules_alone_apply() {
    let config = ConsentConfig::new(APP).with_sdk(sdk("push", &[], false));
    let store = on_screen(ConsentStore::open_in_memory(config).unwrap());
    assert_eq!(store.policy_state().status, PolicyStatus::NotRequired);
    assert!(!store.policy_state().basic_mode);
    assert!(matches!(
        store.agree_to_policy(Actor::User),
        Err(ConsentError::InvalidArgument { .. })
    ));
    camera_granted(&store);
    use_once(&store, Feature::Camera, "shoot_photo");
    store.sdk_started("push".into()).unwrap();
    grant(&store, Feature::AdPersonalization, GrantScope::UntilRevoked);
    let ads = store.ad_signals();
    assert!(ads.personalized_ads);
    // No policy step: the store holds no consent to analytics.
    assert_eq!(ads.analytics_storage, ConsentSignal::Denied);
}

#[test]
fn an_undeclared_sdk_is_refused_and_its_id_never_written() {
    let store = on_screen(ConsentStore::open_in_memory(chinese_app(1)).unwrap());
    agreed(&store);
    let name = "jane.doe@example.com";
    let refused = store.sdk_started(name.into()).unwrap_err();
    assert!(matches!(
        refused,
        ConsentError::SdkBlocked {
            reason: SdkBlock::UnknownSdk,
            ..
        }
    ));
    assert!(!store.export_json().unwrap().contains(name));
    let last = store
        .audit_log(AuditFilter {
            limit: Some(1),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(
        (last[0].kind, last[0].sdk.clone(), last[0].sdk_block),
        (AuditKind::SdkRefused, None, Some(SdkBlock::UnknownSdk))
    );
    assert_eq!(
        store.sdk_status("nope".into()).blocked_by,
        Some(SdkBlock::UnknownSdk)
    );
}

#[test]
fn the_catalogue_lists_each_sdk_with_its_status_and_first_start_and_the_export_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open_app(dir.path(), &clock, chinese_app(1));
    agreed(&store);
    clock.advance(1_000);
    store.sdk_started("push".into()).unwrap();
    let first = clock.now_ms();
    clock.advance(1_000);
    store.sdk_started("push".into()).unwrap();
    let catalog = store.sdk_catalog();
    let ids: Vec<&str> = catalog.iter().map(|e| e.sdk.id.as_str()).collect();
    assert_eq!(ids, ["ads", "ar_filters", "push"]);
    let push = &catalog[2];
    assert_eq!(push.sdk.vendor, "Example Ltd.");
    assert_eq!(push.status.first_started_ms, Some(first));
    assert_eq!(push.status.last_started_ms, Some(first + 1_000));
    let export: serde_json::Value = serde_json::from_str(&store.export_json().unwrap()).unwrap();
    assert_eq!(export["policy"]["status"], "agreed");
    assert_eq!(export["sdks"][2]["sdk"]["id"], "push");
    assert_eq!(export["sdks"][2]["status"]["first_started_ms"], first);
    assert_eq!(export["ad_signals"]["analytics_storage"], "granted");
    store.close().unwrap();

    // Reopened — or inspected without the app's config — the catalogue survives.
    let inspected = ConsentStore::open_read_only(dir.path().display().to_string()).unwrap();
    let catalog = inspected.sdk_catalog();
    assert_eq!(catalog[2].status.first_started_ms, Some(first));
    assert_eq!(catalog[1].sdk.requires, [Feature::Camera]);
    assert_eq!(inspected.policy_state().status, PolicyStatus::Agreed);
    assert!(
        catalog[2].status.may_start,
        "what the app's store would answer"
    );
    assert!(matches!(
        inspected.sdk_started("push".into()),
        Err(ConsentError::NotPermitted { .. })
    ));
}

#[test]
fn erasing_asks_for_the_policy_again_and_keeps_the_age_signal() {
    let store = on_screen(ConsentStore::open_in_memory(chinese_app(1)).unwrap());
    agreed_by_guardian(&store);
    let teen = AgeSignal {
        lower: 13,
        upper: Some(15),
        source: AgeSource::Guardian,
    };
    store.set_age_signal(teen).unwrap();
    store.sdk_started("push".into()).unwrap();
    store.erase_all().unwrap();
    assert_eq!(store.policy_state().status, PolicyStatus::NotAsked);
    assert_eq!(
        store.age_signal(),
        Some(teen),
        "erasing cannot make a minor an adult"
    );
    assert_eq!(store.sdk_status("push".into()).first_started_ms, None);
    assert_eq!(store.sdk_catalog().len(), 3);
}

#[test]
fn doubtful_app_configs_are_refused_saying_what_is_wrong() {
    let refused = |config: ConsentConfig| match ConsentStore::open_in_memory(config) {
        Err(ConsentError::InvalidConfig { reason }) => reason,
        other => panic!("expected InvalidConfig, got {other:?}"),
    };
    assert!(refused(ConsentConfig::new(APP).with_policy_revision(0)).contains("policy_revision"));
    let twice = ConsentConfig {
        sdks: vec![sdk("ads", &[], false), sdk("ads", &[], true)],
        ..ConsentConfig::new(APP)
    };
    assert!(refused(twice).contains("twice"));
    assert!(
        refused(ConsentConfig::new(APP).with_sdk(sdk("Bad Id", &[], false))).contains("SDK id")
    );
    let mut far = ConsentConfig::new(APP);
    far.jurisdiction = Some("China".into());
    assert!(refused(far).contains("ISO 3166"));
    let mut age = ConsentConfig::new(APP);
    age.age_of_digital_consent = Some(0);
    assert!(refused(age).contains("age_of_digital_consent"));
}

#[test]
fn the_app_overrides_the_age_of_digital_consent() {
    let mut config = chinese_app(1);
    config.age_of_digital_consent = Some(18);
    let store = on_screen(ConsentStore::open_in_memory(config).unwrap());
    agreed_by_guardian(&store);
    store.set_age_signal(age_range(16, Some(17))).unwrap();
    assert_eq!(blocked(&store, "ads"), Some(SdkBlock::Minor));
}

#[test]
fn replay_holds_policy_and_sdk_records_to_the_rules() {
    for forge in [
        Forger::refused_sdk_to_started as fn(&mut Forger),
        Forger::decline_to_agreement_by_app,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let store = open_app(dir.path(), &clock, chinese_app(1));
        let _ = store.sdk_started("push".into());
        store.decline_policy(Actor::User).unwrap();
        store.close().unwrap();
        let mut forger = Forger::load(dir.path());
        forge(&mut forger);
        forger.save();
        let store = open_app(dir.path(), &clock, chinese_app(1));
        let notice = store.recovery_notice().expect("the forgery is damage");
        assert!(notice.problem.contains("never write"), "{}", notice.problem);
        assert_eq!(store.policy_state().status, PolicyStatus::NotAsked);
    }
}

#[test]
fn policy_and_sdk_state_survive_a_reopen_and_a_rebuilt_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = on_screen(
        ConsentStore::open_with(dir.path(), Some(chinese_app(1)), checkpointing(&clock, 4))
            .unwrap(),
    );
    agreed(&store);
    store.sdk_started("push".into()).unwrap();
    store.set_age_signal(age_range(18, None)).unwrap();
    let before = (
        store.policy_state(),
        store.sdk_catalog(),
        store.ad_signals(),
    );
    store.close().unwrap();
    std::fs::remove_file(dir.path().join("consent.snapshot")).unwrap();
    let store = open_app(dir.path(), &clock, chinese_app(1));
    assert_eq!(
        (
            store.policy_state(),
            store.sdk_catalog(),
            store.ad_signals()
        ),
        before
    );
    assert!(store.verify().unwrap().intact);
}

#[test]
fn a_failed_disk_blocks_every_sdk_and_denies_every_signal() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let faults = Arc::new(FailWrites::default());
    let options = StoreOptions {
        io_faults: Some(faults.clone()),
        ..options(&clock)
    };
    let store =
        on_screen(ConsentStore::open_with(dir.path(), Some(chinese_app(1)), options).unwrap());
    agreed(&store);
    grant(&store, Feature::AdPersonalization, GrantScope::UntilRevoked);
    let recorder = Arc::new(Recorder::default());
    let _subscription = store.subscribe(recorder.clone());
    faults.0.store(true, Ordering::SeqCst);
    assert!(store.sdk_started("push".into()).is_err());
    assert_eq!(blocked(&store, "push"), Some(SdkBlock::StoreUnavailable));
    assert_eq!(store.ad_signals(), AdSignals::denied());
    let heard = recorder.changes.lock().clone();
    assert!(heard
        .iter()
        .any(|c| c.kind == AuditKind::StorageFailed && c.ad_signals == Some(AdSignals::denied())));
    assert!(heard.iter().any(|c| c.kind == AuditKind::StorageFailed
        && c.sdk
            .as_ref()
            .is_some_and(|s| s.id == "push" && !s.may_start)));
}

/// Once armed, every write to the disk fails (EIO).
#[derive(Default)]
struct FailWrites(AtomicBool);

impl IoFaults for FailWrites {
    fn before(&self, op: &IoOp) -> std::io::Result<()> {
        if self.0.load(Ordering::SeqCst) && op.kind == IoKind::Write {
            return Err(std::io::Error::from_raw_os_error(libc_eio()));
        }
        Ok(())
    }
}

fn libc_eio() -> i32 {
    5
}
