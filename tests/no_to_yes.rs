//! Nothing turns a person's "no" into a "yes": the paths an audit found (issue 19), each as the app team drove it — age signals ranked by source, terms bound to their content, an OS refusal's quiet period, the background until told otherwise, a one-off on top of a standing grant, and retention by time.
//!
//! Over 400 lines: one test per path on which a "no" could become a "yes", each the audit's reproduction.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use consentkit::*;

const HOUR: u64 = 60 * 60 * 1000;
const DAY: u64 = 24 * HOUR;

fn signal(lower: u32, upper: Option<u32>, source: AgeSource) -> AgeSignal {
    AgeSignal {
        lower,
        upper,
        source,
    }
}

fn sdk(id: &str, requires: &[Feature], not_for_minors: bool) -> SdkPolicy {
    SdkPolicy {
        id: id.into(),
        name: id.into(),
        vendor: "Example Ltd.".into(),
        purpose: "Advertising".into(),
        data_collected: vec!["Device identifiers".into()],
        requires: requires.to_vec(),
        privacy_policy_url: "https://example.com/privacy".into(),
        not_for_minors,
    }
}

/// A Chinese camera app: its policy agreed to as a whole, an ad SDK that needs the
/// personalisation choice and is not for minors.
fn cn_config(policy_revision: u32) -> ConsentConfig {
    ConsentConfig {
        policy_revision: Some(policy_revision),
        jurisdiction: Some("CN".into()),
        sdks: vec![sdk("ads", &[Feature::AdPersonalization], true)],
        ..config()
    }
}

/// Opens the store as an app does at launch: the activity is on screen, so it says so.
fn launch(dir: &Path, clock: &Arc<FakeClock>, config: ConsentConfig) -> Arc<ConsentStore> {
    open_with_config(dir, clock, config)
}

/// A store in China whose person a guardian says is `lower`–`upper` years old.
fn minor_by_guardian(
    dir: &Path,
    clock: &Arc<FakeClock>,
    lower: u32,
    upper: u32,
) -> Arc<ConsentStore> {
    let store = launch(dir, clock, cn_config(1));
    store
        .set_age_signal(signal(lower, Some(upper), AgeSource::Guardian))
        .unwrap();
    store
}

fn all_ads_denied(store: &ConsentStore) -> bool {
    let ads = store.ad_signals();
    [
        ads.ad_storage,
        ads.ad_user_data,
        ads.ad_personalization,
        ads.analytics_storage,
    ]
    .into_iter()
    .all(|s| s == ConsentSignal::Denied)
        || !ads.personalized_ads
            && ads.ad_personalization == ConsentSignal::Denied
            && ads.ad_user_data == ConsentSignal::Denied
}

// ---- 1. A child's self-declared age never overrides the guardian's ----

#[test]
fn a_self_declared_adult_age_does_not_override_the_guardians_range() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, cn_config(1));
    store
        .set_age_signal(signal(10, Some(12), AgeSource::Guardian))
        .unwrap();
    store.agree_to_policy(Actor::Guardian).unwrap();
    store.deny(Feature::Camera, Actor::Guardian).unwrap();
    store
        .deny(Feature::AdPersonalization, Actor::Guardian)
        .unwrap();

    let loosened = store.set_age_signal(signal(18, None, AgeSource::Declared));
    assert!(
        matches!(loosened, Err(ConsentError::NotPermitted { .. })),
        "a weaker source never loosens a stronger one: {loosened:?}"
    );
    assert_eq!(
        store.age_signal(),
        Some(signal(10, Some(12), AgeSource::Guardian))
    );
    let grant = store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User);
    assert!(
        matches!(grant, Err(ConsentError::GuardianRequired { .. })),
        "{grant:?}"
    );
    let ads = store.grant(
        Feature::AdPersonalization,
        GrantScope::UntilRevoked,
        Actor::User,
    );
    assert!(
        matches!(ads, Err(ConsentError::GuardianRequired { .. })),
        "{ads:?}"
    );
    let ads = store.ad_signals();
    assert_eq!(ads.ad_personalization, ConsentSignal::Denied);
    assert_eq!(ads.ad_user_data, ConsentSignal::Denied);
    assert_eq!(ads.ad_storage, ConsentSignal::Denied);
    assert!(store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .is_err());

    // The same after a relaunch: replay holds the log to the same rule.
    store.close().unwrap();
    let store = launch(dir.path(), &clock, cn_config(1));
    assert!(store.state(Feature::Camera).status == ConsentStatus::Denied);
    assert!(store
        .set_age_signal(signal(18, None, AgeSource::Declared))
        .is_err());
    assert!(store.verify().unwrap().intact);
}

#[test]
fn after_an_os_range_under_the_age_of_consent_only_a_guardian_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, cn_config(1));
    store
        .set_age_signal(signal(0, Some(12), AgeSource::OsAgeRange))
        .unwrap();
    assert!(store
        .set_age_signal(signal(18, None, AgeSource::Declared))
        .is_err());
    let agreed = store.agree_to_policy(Actor::User);
    assert!(
        matches!(
            agreed,
            Err(ConsentError::GuardianRequired { feature: None })
        ),
        "{agreed:?}"
    );
    assert!(store.policy_state().basic_mode);
    assert!(all_ads_denied(&store));
}

#[test]
fn a_weaker_source_may_tighten_and_an_equal_one_may_loosen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, cn_config(1));
    store
        .set_age_signal(signal(18, None, AgeSource::OsAgeRange))
        .unwrap();
    store.agree_to_policy(Actor::User).unwrap();
    camera_granted(&store);
    let session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    // A self-declared child: tighter, so it counts, and the adult's use ends at once.
    store
        .set_age_signal(signal(10, Some(12), AgeSource::Declared))
        .unwrap();
    assert!(!session.is_active());
    // The adult's own agreement does not count for a child: the guardian is asked first.
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::AgreeToPolicyFirst
    );
    assert_eq!(store.policy_prompt_advice(), PromptAdvice::AskGuardian);
    // The child cannot take it back; only a source of the OS's standing can.
    assert!(store
        .set_age_signal(signal(18, None, AgeSource::Declared))
        .is_err());
    store
        .set_age_signal(signal(18, None, AgeSource::Guardian))
        .unwrap();
    assert!(store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .is_ok());
    let log = store.audit_log(AuditFilter::default()).unwrap();
    let sources: Vec<AgeSource> = log
        .iter()
        .rev()
        .filter_map(|e| e.age)
        .map(|a| a.source)
        .collect();
    assert_eq!(
        sources,
        [
            AgeSource::OsAgeRange,
            AgeSource::Declared,
            AgeSource::Guardian
        ],
        "each signal's source is in the log"
    );
}

// ---- 2. A widened SDK catalogue is not covered by the old agreement ----

fn agreed_store(dir: &Path, clock: &Arc<FakeClock>) {
    let store = launch(dir, clock, cn_config(2));
    store.agree_to_policy(Actor::User).unwrap();
    store.close().unwrap();
}

#[test]
fn a_new_sdk_under_the_same_policy_revision_asks_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    agreed_store(dir.path(), &clock);
    let widened = cn_config(2).with_sdk(sdk("tracker", &[], false));
    let store = launch(dir.path(), &clock, widened);
    let tracker = store.sdk_status("tracker".into());
    assert!(!tracker.may_start, "{tracker:?}");
    assert!(store.sdk_started("tracker".into()).is_err());
    assert_eq!(store.policy_state().status, PolicyStatus::NeedsReconsent);
    let changed = kinds(&store);
    assert!(
        changed.contains(&AuditKind::PolicyReconsentRequired),
        "the log says what changed: {changed:?}"
    );
    store.agree_to_policy(Actor::User).unwrap();
    assert!(store.sdk_started("tracker".into()).is_ok());
}

#[test]
fn an_sdk_whose_needs_loosened_under_the_same_revision_asks_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    agreed_store(dir.path(), &clock);
    let loosened = cn_config(2).with_sdk(sdk("ads", &[], false));
    let store = launch(dir.path(), &clock, loosened);
    assert!(!store.sdk_status("ads".into()).may_start);
    assert!(store.sdk_started("ads".into()).is_err());
    assert_eq!(store.policy_state().status, PolicyStatus::NeedsReconsent);
}

#[test]
fn an_sdk_with_another_vendor_purpose_or_more_data_under_the_same_revision_asks_again() {
    let with = |vendor: &str, data: &[&str]| {
        let mut config = cn_config(2);
        config.sdks[0].vendor = vendor.into();
        config.sdks[0].data_collected = data.iter().map(|d| d.to_string()).collect();
        config
    };
    for (what, widened, change) in [
        (
            "another vendor",
            with("DataBroker Inc", &["Device identifiers"]),
            "sdk ads sends to another vendor",
        ),
        (
            "another purpose",
            {
                let mut config = with("Example Ltd.", &["Device identifiers"]);
                config.sdks[0].purpose = "Advertising and sale of data to brokers".into();
                config
            },
            "sdk ads is for something else",
        ),
        (
            "more data",
            with(
                "Example Ltd.",
                &["Device identifiers", "Contacts", "Precise location"],
            ),
            "sdk ads collects 2 more",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        agreed_store(dir.path(), &clock);
        let store = launch(dir.path(), &clock, widened);
        assert_eq!(
            store.policy_state().status,
            PolicyStatus::NeedsReconsent,
            "{what}"
        );
        assert!(!store.sdk_status("ads".into()).may_start, "{what}");
        let log = store.audit_log(AuditFilter::default()).unwrap();
        let asked = log
            .iter()
            .find(|e| e.kind == AuditKind::PolicyReconsentRequired)
            .unwrap_or_else(|| panic!("{what}: the log says what changed"));
        assert!(
            asked.changes.iter().any(|c| c == change),
            "{:?}",
            asked.changes
        );
    }
    // Said differently (case, spacing), or collecting less: nothing widened.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    agreed_store(dir.path(), &clock);
    let store = launch(dir.path(), &clock, with("example  LTD.", &[]));
    assert_eq!(store.policy_state().status, PolicyStatus::Agreed);
}

#[test]
fn a_narrowed_catalogue_needs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    agreed_store(dir.path(), &clock);
    let mut narrowed = cn_config(2);
    narrowed.sdks = vec![sdk(
        "ads",
        &[Feature::AdPersonalization, Feature::Camera],
        true,
    )];
    let store = launch(dir.path(), &clock, narrowed.clone());
    assert_eq!(store.policy_state().status, PolicyStatus::Agreed);
    store.close().unwrap();
    narrowed.sdks.clear();
    let store = launch(dir.path(), &clock, narrowed);
    assert_eq!(store.policy_state().status, PolicyStatus::Agreed);
}

// ---- 3. Dropping `only_during` asks again ----

#[test]
fn dropping_a_dependency_under_the_same_revision_asks_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, config());
    grant(&store, Feature::MotionSensors, GrantScope::UntilRevoked);
    store.close().unwrap();
    let free = config().with_policy(FeaturePolicy {
        only_during: None,
        ..FeaturePolicy::default_for(Feature::MotionSensors)
    });
    let store = launch(dir.path(), &clock, free);
    let used = store.begin_use(Feature::MotionSensors, "orientation".into());
    assert!(
        matches!(used, Err(ConsentError::NeedsReconsent { .. })),
        "{used:?}"
    );
    assert_eq!(
        store.state(Feature::MotionSensors).status,
        ConsentStatus::NeedsReconsent
    );
    assert!(kinds(&store).contains(&AuditKind::ReconsentRequired));
}

#[test]
fn adding_a_dependency_needs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let free = config().with_policy(FeaturePolicy {
        only_during: None,
        ..FeaturePolicy::default_for(Feature::MotionSensors)
    });
    let store = launch(dir.path(), &clock, free);
    grant(&store, Feature::MotionSensors, GrantScope::UntilRevoked);
    store.close().unwrap();
    let store = launch(dir.path(), &clock, config());
    assert_eq!(
        store.state(Feature::MotionSensors).status,
        ConsentStatus::Granted
    );
}

// ---- 4. An OS refusal starts the quiet period ----

#[test]
fn an_os_refusal_starts_the_same_quiet_period_as_an_in_app_no() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, config());
    camera_granted(&store);
    store
        .set_os_permission(Feature::Camera, OsPermission::Denied)
        .unwrap();
    let until = clock.now_ms() + 48 * HOUR as i64;
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::NotNow { until_ms: until }
    );
    clock.advance(HOUR);
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::NotNow { until_ms: until }
    );
    clock.advance(48 * HOUR);
    assert_eq!(store.prompt_advice(Feature::Camera), PromptAdvice::Ask);
    store
        .set_os_permission(Feature::Camera, OsPermission::DeniedPermanently)
        .unwrap();
    clock.advance(48 * HOUR);
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::OpenSettings,
        "never NoNeed while the OS refuses"
    );
}

#[test]
fn an_os_permission_the_app_cannot_read_never_lifts_a_refusal_the_os_reported() {
    // Reported "unknown" after a refusal — in the same process, or after a relaunch (an
    // Android layer cannot always tell "never asked" from "denied"): the refusal and its quiet
    // period stand until the OS says yes.
    for relaunch in [false, true] {
        let what = format!("relaunch {relaunch}");
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let mut store = launch(dir.path(), &clock, config());
        camera_granted(&store);
        store
            .set_os_permission(Feature::Camera, OsPermission::Denied)
            .unwrap();
        let until = clock.now_ms() + 48 * HOUR as i64;
        clock.advance(HOUR);
        if relaunch {
            store.close().unwrap();
            drop(store);
            store = launch(dir.path(), &clock, config());
        }
        store
            .set_os_permission(Feature::Camera, OsPermission::Unknown)
            .unwrap();
        let state = store.state(Feature::Camera);
        assert_eq!(state.os_permission, OsPermission::Denied, "{what}");
        assert_eq!(
            store.prompt_advice(Feature::Camera),
            PromptAdvice::NotNow { until_ms: until },
            "{what}"
        );
        let used = store.begin_use(Feature::Camera, "shoot_photo".into());
        assert!(
            matches!(used, Err(ConsentError::OsPermissionDenied { .. })),
            "{what}: {used:?}"
        );
        // The OS saying yes lifts it.
        store
            .set_os_permission(Feature::Camera, OsPermission::Granted)
            .unwrap();
        use_once(&store, Feature::Camera, "shoot_photo");
        store.close().unwrap();
        drop(store);
        let store = launch(dir.path(), &clock, config());
        assert!(store.verify().unwrap().intact, "{what}");
    }
}

// ---- 5. A store is in the background until told otherwise ----

#[test]
fn a_store_opened_without_being_told_the_foreground_is_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, config());
    camera_granted(&store);
    // Nothing to end, so nothing is recorded of the switch.
    store.set_foreground(false).unwrap();
    store.close().unwrap();
    // A process started in the background (a push, a widget) opens the store.
    let store = ConsentStore::open_with(dir.path(), Some(config()), options(&clock)).unwrap();
    let used = store.begin_use(Feature::Camera, "shoot_photo".into());
    assert!(
        matches!(used, Err(ConsentError::InBackground { .. })),
        "{used:?}"
    );
    let grant = store.grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User);
    assert!(grant.is_err(), "nobody is asked in the background");
    store.set_foreground(true).unwrap();
    assert!(store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .is_ok());
}

#[test]
fn an_in_memory_store_is_in_the_background_until_told() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
    let grant = store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User);
    assert!(grant.is_err(), "{grant:?}");
    store.set_foreground(true).unwrap();
    camera_granted(&store);
}

// ---- 6. A single-use grant adds a use; the standing grant stays ----

fn purposes(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| p.to_string()).collect()
}

#[test]
fn a_single_use_grant_on_top_of_a_standing_one_adds_one_use() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, config());
    login_and_share_code_once(&store, Actor::User);
    let state = store.state(Feature::Clipboard);
    assert_eq!(state.scope, Some(GrantScope::UntilRevoked), "{state:?}");
    assert_eq!(state.granted_purposes, ["login"]);
    assert_eq!(state.single_use_purposes, ["share_code"]);
    use_once(&store, Feature::Clipboard, "share_code");
    let state = store.state(Feature::Clipboard);
    assert_eq!(state.status, ConsentStatus::Granted, "{state:?}");
    assert_eq!(state.granted_purposes, ["login"]);
    assert!(state.single_use_purposes.is_empty());
    let again = store.begin_use(Feature::Clipboard, "share_code".into());
    assert!(
        matches!(again, Err(ConsentError::ConsentRequired { .. })),
        "{again:?}"
    );
    use_once(&store, Feature::Clipboard, "login");
    store.close().unwrap();
    let store = launch(dir.path(), &clock, config());
    assert_eq!(
        store.state(Feature::Clipboard).granted_purposes,
        ["login"],
        "the standing grant survives a relaunch"
    );
}

#[test]
fn another_single_use_on_top_of_a_standing_grant_is_recorded_and_the_same_one_again_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, config());
    let clipboard = |list: &[&str], scope| {
        store
            .grant_purposes(Feature::Clipboard, purposes(list), scope, Actor::User)
            .unwrap()
    };
    let grants = || {
        store
            .audit_log(AuditFilter {
                feature: Some(Feature::Clipboard),
                ..AuditFilter::default()
            })
            .unwrap()
            .iter()
            .filter(|e| e.kind == AuditKind::Granted)
            .count()
    };
    clipboard(&["login"], GrantScope::UntilRevoked);
    clipboard(&["share_code"], GrantScope::Once);
    // The person's next one-off, for another purpose: a decision of its own.
    clipboard(&["channel_stats"], GrantScope::Once);
    assert_eq!(grants(), 3);
    let state = store.state(Feature::Clipboard);
    assert_eq!(state.granted_purposes, ["login"]);
    assert_eq!(state.single_use_purposes, ["share_code", "channel_stats"]);
    // The same one-off again changes nothing.
    clipboard(&["channel_stats"], GrantScope::Once);
    assert_eq!(grants(), 3);
    use_once(&store, Feature::Clipboard, "channel_stats");
    use_once(&store, Feature::Clipboard, "login");
}

#[test]
fn a_single_use_grant_of_what_a_standing_grant_covers_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, config());
    grant(&store, Feature::Clipboard, GrantScope::UntilRevoked);
    let before = store.state(Feature::Clipboard);
    grant(&store, Feature::Clipboard, GrantScope::Once);
    assert_eq!(store.state(Feature::Clipboard), before);
    use_once(&store, Feature::Clipboard, "login");
    assert_eq!(store.state(Feature::Clipboard), before);
}

#[test]
fn ad_personalisation_has_no_single_use() {
    let store = ConsentStore::open_in_memory(config()).unwrap();
    store.set_foreground(true).unwrap();
    let once = store.grant(Feature::AdPersonalization, GrantScope::Once, Actor::User);
    assert!(
        matches!(once, Err(ConsentError::InvalidArgument { .. })),
        "{once:?}"
    );
    assert_eq!(
        store.state(Feature::AdPersonalization).status,
        ConsentStatus::NotAsked
    );
}

// ---- 7. Retention follows time, not volume ----

fn uses_before(store: &ConsentStore, cutoff_ms: i64) -> usize {
    store
        .audit_log(AuditFilter::default())
        .unwrap()
        .iter()
        .filter(|e| {
            matches!(e.kind, AuditKind::SessionBegan | AuditKind::SessionEnded)
                && e.time_ms < cutoff_ms
        })
        .count()
}

#[test]
fn two_photos_a_week_for_two_years_keep_only_half_a_year() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, config());
    camera_granted(&store);
    for _ in 0..104 {
        use_once(&store, Feature::Camera, "shoot_photo");
        clock.advance(3 * DAY);
        use_once(&store, Feature::Camera, "shoot_photo");
        clock.advance(4 * DAY);
    }
    store.compact().unwrap();
    let window = clock.now_ms() - 181 * DAY as i64;
    assert_eq!(
        uses_before(&store, window),
        0,
        "use history out of the window"
    );
    assert!(
        uses_before(&store, clock.now_ms()) > 0,
        "recent use history kept"
    );
    assert_eq!(
        store.state(Feature::Camera).status,
        ConsentStatus::Granted,
        "the decision in force is kept"
    );
    assert!(store.verify().unwrap().intact);
}

#[test]
fn old_uses_go_on_open_and_on_compact_whatever_the_volume() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let one_day = ConsentConfig {
        retention_days: 1,
        ..config()
    };
    let store = launch(dir.path(), &clock, one_day.clone());
    camera_granted(&store);
    for _ in 0..10 {
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    clock.advance(30 * DAY);
    store.compact().unwrap();
    assert_eq!(uses_before(&store, clock.now_ms()), 0);
    for _ in 0..10 {
        use_once(&store, Feature::Camera, "shoot_photo");
    }
    store.close().unwrap();
    clock.advance(3 * DAY);
    let store = launch(dir.path(), &clock, one_day);
    assert_eq!(
        uses_before(&store, clock.now_ms()),
        0,
        "opening prunes too, however few records there are"
    );
    assert_eq!(store.state(Feature::Camera).status, ConsentStatus::Granted);
    assert!(store.verify().unwrap().intact);
}

// ---- Found by a black-box review of the fixes ----

/// A guardian's "no" for a minor stands until a guardian decides again, or a signal of a
/// guardian's standing arrives saying adult: not when the minor was one by their own word
/// (or by the config's default for an unknown age) and says otherwise.
#[test]
fn a_guardians_no_for_a_minor_stands_against_the_childs_own_word_and_a_config_change() {
    let declared = |lower, upper| signal(lower, upper, AgeSource::Declared);
    let minor_by = [
        Some(declared(10, Some(12))),
        None, // unknown age, counted as a minor's by the config
    ];
    for minor_by in minor_by {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let config = ConsentConfig {
            unknown_age_is_minor: minor_by.is_none(),
            ..cn_config(1)
        };
        let store = launch(dir.path(), &clock, config.clone());
        if let Some(child) = minor_by {
            store.set_age_signal(child).unwrap();
        }
        store.agree_to_policy(Actor::Guardian).unwrap();
        store.deny(Feature::Camera, Actor::Guardian).unwrap();
        store.set_age_signal(declared(18, None)).unwrap();
        let grant = store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User);
        assert!(
            matches!(grant, Err(ConsentError::GuardianRequired { .. })),
            "{minor_by:?}: {grant:?}"
        );
        assert_eq!(
            store.prompt_advice(Feature::Camera),
            PromptAdvice::NotNow {
                until_ms: clock.now_ms() + 48 * HOUR as i64
            }
        );
        clock.advance(49 * HOUR);
        assert_eq!(
            store.prompt_advice(Feature::Camera),
            PromptAdvice::AskGuardian
        );
        // A signal of a guardian's standing saying adult lifts it.
        store
            .set_age_signal(signal(18, None, AgeSource::OsAgeRange))
            .unwrap();
        store.close().unwrap();
        let store = launch(dir.path(), &clock, config);
        assert_eq!(store.prompt_advice(Feature::Camera), PromptAdvice::Ask);
        camera_granted(&store);
    }

    // The age of consent lowered by the config: the law changed, not the signal.
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let strict = ConsentConfig {
        age_of_digital_consent: Some(16),
        ..cn_config(1)
    };
    let store = launch(dir.path(), &clock, strict.clone());
    store
        .set_age_signal(signal(14, Some(15), AgeSource::Guardian))
        .unwrap();
    store.agree_to_policy(Actor::Guardian).unwrap();
    store.deny(Feature::Camera, Actor::Guardian).unwrap();
    store.close().unwrap();
    let lowered = ConsentConfig {
        age_of_digital_consent: Some(14),
        ..strict
    };
    let store = launch(dir.path(), &clock, lowered);
    let grant = store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User);
    assert!(
        matches!(grant, Err(ConsentError::GuardianRequired { .. })),
        "{grant:?}"
    );
    let applied = store
        .audit_log(AuditFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.kind == AuditKind::AppTermsApplied)
        .unwrap();
    assert_eq!(
        applied.changes,
        ["age_of_consent 16->14"],
        "the record says what loosened"
    );
}

/// The record of new app terms says what made fewer people minors, and only that: an age of
/// consent unchanged or raised, an unknown age counted as a minor's still or from now on, say
/// nothing loosened.
#[test]
fn new_app_terms_record_what_made_fewer_people_minors_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let cases: [(u32, bool, &[&str]); 5] = [
        (16, true, &[]),
        // The same age and unknown ages minors' still, with a new SDK: nothing loosened.
        (16, true, &[]),
        (18, true, &[]),
        (
            14,
            false,
            &["age_of_consent 18->14", "unknown age no longer a minor"],
        ),
        (14, true, &[]),
    ];
    let mut catalogue = Vec::new();
    for (i, (age, unknown_is_minor, expected)) in cases.into_iter().enumerate() {
        catalogue.push(sdk(&format!("sdk{i}"), &[], false));
        let config = ConsentConfig {
            age_of_digital_consent: Some(age),
            unknown_age_is_minor: unknown_is_minor,
            sdks: catalogue.clone(),
            ..cn_config(1)
        };
        let store = launch(dir.path(), &clock, config);
        let applied = store
            .audit_log(AuditFilter::default())
            .unwrap()
            .into_iter()
            .find(|e| e.kind == AuditKind::AppTermsApplied)
            .unwrap();
        assert_eq!(
            applied.changes, expected,
            "launch {i}: {age}, {unknown_is_minor}"
        );
        store.close().unwrap();
    }
}

/// What a process keeps after a failed write is read back as "no"s only: a planted file that
/// would loosen an age or lift an OS refusal is kept aside, and when in doubt, off.
#[test]
fn a_planted_unwritten_file_never_loosens_and_is_kept_aside() {
    use sha2::{Digest, Sha256};
    // `CKUNWR05` | len | postcard(Vec<(time, Entry, chain, after record)>) | sha256: one
    // record, as an attacker without the key can write it, said after everything in the log.
    // Entry 0x19 is `AgeSignalSet`, 0x0c `OsPermissionChanged`.
    let planted = |entry: &[u8]| {
        let mut body = vec![0x01, 0x80, 0xa0, 0xa4, 0x84, 0xce, 0x67];
        body.extend_from_slice(entry);
        body.extend_from_slice(&[0x01, 0x7f]);
        let mut file = b"CKUNWR05".to_vec();
        file.extend_from_slice(&(body.len() as u32).to_le_bytes());
        file.extend_from_slice(&body);
        file.extend_from_slice(&Sha256::digest(&body));
        file
    };
    let adult_by_guardian = [0x19, 18, 0x00, 0x01];
    let os_unknown = [0x0c, 0x00, 0x00];
    for (what, entry) in [
        ("an adult age", &adult_by_guardian[..]),
        ("an OS permission lifted", &os_unknown[..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let store = launch(dir.path(), &clock, cn_config(1));
        store
            .set_age_signal(signal(10, Some(12), AgeSource::Guardian))
            .unwrap();
        store.agree_to_policy(Actor::Guardian).unwrap();
        guardian_grants(&store, Feature::Camera);
        store
            .set_os_permission(Feature::Camera, OsPermission::Denied)
            .unwrap();
        store.close().unwrap();
        let file = planted(entry);
        std::fs::write(dir.path().join("consent.unwritten"), &file).unwrap();
        let store = launch(dir.path(), &clock, cn_config(1));
        assert_eq!(
            store.age_signal(),
            Some(signal(10, Some(12), AgeSource::Guardian)),
            "{what}"
        );
        assert_eq!(
            store.state(Feature::Camera).os_permission,
            OsPermission::Denied
        );
        assert_eq!(
            store.state(Feature::Camera).status,
            ConsentStatus::Denied,
            "{what}: off"
        );
        assert!(store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .is_err());
        assert_eq!(
            std::fs::read(dir.path().join("consent.unwritten.damaged")).unwrap(),
            file,
            "{what}: kept aside"
        );
        assert!(store.verify().unwrap().intact);
    }
}

// ---- Uses that stop when the person turns out to be a minor ----

/// The clipboard: a guardian's standing grant for logging in, and the person's own single use
/// for sharing a code.
fn guardians_login_and_own_share_code(store: &ConsentStore) {
    login_and_share_code_once(store, Actor::Guardian);
}

/// A minor's use stands only on a guardian's consent: a session resting on the person's own
/// single use ends when a signal says they are a minor, though a guardian's standing grant
/// covers other purposes of the same feature.
#[test]
fn a_use_resting_on_the_persons_own_single_use_ends_when_they_turn_out_a_minor() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, config());
    guardians_login_and_own_share_code(&store);
    let own = store
        .begin_use(Feature::Clipboard, "share_code".into())
        .unwrap();
    let guardians = store.begin_use(Feature::Clipboard, "login".into()).unwrap();
    store
        .set_age_signal(signal(10, Some(12), AgeSource::Guardian))
        .unwrap();
    assert!(
        !own.is_active(),
        "the child's own single use no longer counts"
    );
    assert!(guardians.is_active(), "the guardian's grant still does");

    // Nor does it open a new use, when the signal comes before it.
    let dir = tempfile::tempdir().unwrap();
    let store = launch(dir.path(), &clock, config());
    guardians_login_and_own_share_code(&store);
    store
        .set_age_signal(signal(10, Some(12), AgeSource::Guardian))
        .unwrap();
    let used = store.begin_use(Feature::Clipboard, "share_code".into());
    assert!(
        matches!(used, Err(ConsentError::GuardianRequired { .. })),
        "{used:?}"
    );
    use_once(&store, Feature::Clipboard, "login");

    // A guardian's single use for another purpose is the guardian's alone: it does not take
    // the child's own one-off under the guardian's word (the guardian's decision replaces it).
    store
        .grant_purposes(
            Feature::Clipboard,
            purposes(&["channel_stats"]),
            GrantScope::Once,
            Actor::Guardian,
        )
        .unwrap();
    let used = store.begin_use(Feature::Clipboard, "share_code".into());
    assert!(
        matches!(used, Err(ConsentError::ConsentRequired { .. })),
        "{used:?}"
    );
    use_once(&store, Feature::Clipboard, "channel_stats");
}

/// The policy a person agreed to before a signal said they are a minor needs a guardian's
/// agreement: basic mode, and every use ends — even one resting on a guardian's grant.
#[test]
fn every_use_ends_when_a_minors_own_agreement_to_the_policy_stops_counting() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = launch(dir.path(), &clock, cn_config(1));
    store.agree_to_policy(Actor::User).unwrap();
    store
        .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::Guardian)
        .unwrap();
    let session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    store
        .set_age_signal(signal(10, Some(12), AgeSource::Guardian))
        .unwrap();
    assert!(store.policy_state().basic_mode);
    assert!(!session.is_active(), "basic mode ends every use");
    assert!(!store.is_allowed(Feature::Camera));
}

#[test]
fn a_guardians_single_use_stands_beside_the_standing_grant_the_guardian_adds() {
    // A guardian lets a minor record one video and allows photos for good, in either order
    // (and the photos once more): the one video is still the guardian's to have allowed.
    let (once, standing) = (GrantScope::Once, GrantScope::UntilRevoked);
    for grants in [vec![once, standing], vec![standing, once, standing]] {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let store = minor_by_guardian(dir.path(), &clock, 10, 12);
        store.agree_to_policy(Actor::Guardian).unwrap();
        for scope in &grants {
            let purpose = if *scope == once {
                "record_video"
            } else {
                "shoot_photo"
            };
            store
                .grant_purposes(
                    Feature::Camera,
                    vec![purpose.into()],
                    *scope,
                    Actor::Guardian,
                )
                .unwrap();
        }
        store
            .begin_use(Feature::Camera, "record_video".into())
            .unwrap_or_else(|e| panic!("{grants:?}: the guardian's single use: {e:?}"))
            .end()
            .unwrap();
        assert!(
            store
                .begin_use(Feature::Camera, "record_video".into())
                .is_err(),
            "{grants:?}: used once"
        );
        store
            .begin_use(Feature::Camera, "shoot_photo".into())
            .expect("the guardian's standing grant")
            .end()
            .unwrap();
    }
}

#[test]
fn a_guardians_single_use_stands_when_the_guardian_widens_the_standing_grant() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = minor_by_guardian(dir.path(), &clock, 10, 12);
    store.agree_to_policy(Actor::Guardian).unwrap();
    let grant = |purposes: &[&str], scope| {
        let purposes = purposes.iter().map(|p| p.to_string()).collect();
        store
            .grant_purposes(Feature::Clipboard, purposes, scope, Actor::Guardian)
            .unwrap();
    };
    grant(&["login"], GrantScope::UntilRevoked);
    grant(&["share_code"], GrantScope::Once);
    grant(&["login", "channel_stats"], GrantScope::UntilRevoked);
    store
        .begin_use(Feature::Clipboard, "share_code".into())
        .expect("the guardian's single use, kept beside the wider standing grant")
        .end()
        .unwrap();
}

#[test]
fn a_guardians_decline_of_the_policy_stands_when_a_new_config_makes_the_person_no_minor() {
    // A 13-year-old in China (age of consent 14): the guardian declines the policy. The app
    // then ships a config for the US (13): the person is no minor there, but no guardian or
    // OS has said anything new — the guardian's "no" stands against the child's "yes".
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = minor_by_guardian(dir.path(), &clock, 13, 13);
    store.decline_policy(Actor::Guardian).unwrap();
    drop(store);
    let us = ConsentConfig {
        jurisdiction: Some("US".into()),
        ..cn_config(1)
    };
    let store = launch(dir.path(), &clock, us);
    assert!(
        store.agree_to_policy(Actor::User).is_err(),
        "the guardian's decline stands"
    );
    assert_ne!(store.policy_state().status, PolicyStatus::Agreed);
    store.agree_to_policy(Actor::Guardian).unwrap();
    assert_eq!(store.policy_state().status, PolicyStatus::Agreed);
}

#[test]
fn an_sdk_needing_a_feature_never_starts_on_a_minors_own_grant() {
    // An adult-by-default person grants the camera; then the OS says they are 10–12 in China.
    // The grant no longer counts (a guardian must decide), so an SDK that needs the camera
    // may not start on it either — until a guardian grants.
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let config = ConsentConfig {
        jurisdiction: Some("CN".into()),
        sdks: vec![sdk("ar_filters", &[Feature::Camera], false)],
        ..config()
    };
    let store = launch(dir.path(), &clock, config.clone());
    grant(&store, Feature::Camera, GrantScope::UntilRevoked);
    assert!(store.sdk_status("ar_filters".into()).may_start);
    store
        .set_age_signal(signal(10, Some(12), AgeSource::OsAgeRange))
        .unwrap();
    let blocked = Some(SdkBlock::FeatureNotGranted {
        feature: Feature::Camera,
    });
    assert_eq!(store.sdk_status("ar_filters".into()).blocked_by, blocked);
    assert!(store.sdk_started("ar_filters".into()).is_err());
    // Relaunched, the same.
    store.close().unwrap();
    let store = launch(dir.path(), &clock, config);
    assert_eq!(store.sdk_status("ar_filters".into()).blocked_by, blocked);
    guardian_grants(&store, Feature::Camera);
    assert!(store.sdk_status("ar_filters".into()).may_start);
}
