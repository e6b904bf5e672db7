//! Asking at the right moment and not too often (rule 8), and minors whose consent only a guardian gives (rule 9).

mod common;

use std::sync::Arc;

use common::*;
use consentkit::*;

const HOUR: i64 = 60 * 60 * 1000;

fn in_memory(clock: &Arc<FakeClock>, config: ConsentConfig) -> Arc<ConsentStore> {
    on_screen(ConsentStore::open_in_memory_with(config, options(clock)).unwrap())
}

fn teen() -> AgeSignal {
    age_range(13, Some(15))
}

fn in_china() -> ConsentConfig {
    let mut config = config();
    config.jurisdiction = Some("CN".into());
    config
}

#[test]
fn after_a_no_the_advice_is_not_now_for_48_hours_then_ask() {
    let clock = clock();
    let store = in_memory(&clock, config());
    assert_eq!(store.prompt_advice(Feature::Microphone), PromptAdvice::Ask);
    store.deny(Feature::Microphone, Actor::User).unwrap();
    let until_ms = T0 + 48 * HOUR;
    assert_eq!(
        store.prompt_advice(Feature::Microphone),
        PromptAdvice::NotNow { until_ms }
    );
    // begin_use still refuses as before; the advice only says whether to show the prompt.
    let refused = store.begin_use(Feature::Microphone, "voice_note".into());
    assert!(matches!(refused, Err(ConsentError::Denied { .. })));
    clock.advance(48 * HOUR as u64 - 1);
    assert_eq!(
        store.prompt_advice(Feature::Microphone),
        PromptAdvice::NotNow { until_ms }
    );
    clock.advance(1);
    assert_eq!(store.prompt_advice(Feature::Microphone), PromptAdvice::Ask);
    // Granted: nothing to ask.
    grant(&store, Feature::Microphone, GrantScope::UntilRevoked);
    assert_eq!(
        store.prompt_advice(Feature::Microphone),
        PromptAdvice::NoNeed
    );
}

#[test]
fn the_quiet_period_is_configurable_and_zero_turns_it_off() {
    let clock = clock();
    let store = in_memory(
        &clock,
        ConsentConfig {
            reprompt_after_ms: 0,
            ..config()
        },
    );
    store.deny(Feature::Camera, Actor::User).unwrap();
    assert_eq!(store.prompt_advice(Feature::Camera), PromptAdvice::Ask);
    // The app's own "no" (an account closed) never silences asking the person.
    let store = in_memory(&clock, config());
    store.deny(Feature::Camera, Actor::App).unwrap();
    assert_eq!(store.prompt_advice(Feature::Camera), PromptAdvice::Ask);
}

#[test]
fn a_clock_set_back_never_stretches_the_quiet_period() {
    let clock = clock();
    let store = in_memory(&clock, config());
    store.deny(Feature::Camera, Actor::User).unwrap();
    clock.set_wall(T0 - 365 * 24 * HOUR);
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::NotNow {
            until_ms: T0 - 365 * 24 * HOUR + 48 * HOUR
        }
    );
}

#[test]
fn when_the_os_will_not_ask_again_the_advice_is_to_open_settings() {
    let clock = clock();
    let store = in_memory(&clock, config());
    store
        .set_os_permission(Feature::Camera, OsPermission::DeniedPermanently)
        .unwrap();
    // The OS's "no" is a "no": the quiet period first (I5), then Settings.
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::NotNow {
            until_ms: T0 + 48 * HOUR
        }
    );
    clock.advance(48 * HOUR as u64);
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::OpenSettings
    );
    camera_granted(&store);
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::OpenSettings
    );
    let refused = store.begin_use(Feature::Camera, "shoot_photo".into());
    assert!(matches!(
        refused,
        Err(ConsentError::OsPermissionDenied { .. })
    ));
    // A fresh "no" by the person still comes first: not now, then Settings.
    store.deny(Feature::Camera, Actor::User).unwrap();
    assert!(matches!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::NotNow { .. }
    ));
    clock.advance(48 * HOUR as u64);
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::OpenSettings
    );
}

#[test]
fn basic_mode_advises_the_policy_first_and_a_declined_policy_waits_too() {
    let clock = clock();
    let store = in_memory(&clock, config().with_policy_revision(1));
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::AgreeToPolicyFirst
    );
    assert_eq!(store.policy_prompt_advice(), PromptAdvice::Ask);
    store.decline_policy(Actor::User).unwrap();
    assert_eq!(
        store.policy_prompt_advice(),
        PromptAdvice::NotNow {
            until_ms: T0 + 48 * HOUR
        }
    );
    clock.advance(48 * HOUR as u64);
    assert_eq!(store.policy_prompt_advice(), PromptAdvice::Ask);
    store.agree_to_policy(Actor::User).unwrap();
    assert_eq!(store.policy_prompt_advice(), PromptAdvice::NoNeed);
    assert_eq!(store.prompt_advice(Feature::Camera), PromptAdvice::Ask);
    let without = in_memory(&clock, config());
    assert_eq!(without.policy_prompt_advice(), PromptAdvice::NoNeed);
}

/// A store recovered from damage knows nothing of earlier "no"s: it does not prompt everyone
/// for everything at once, but stays quiet for the quiet period after the recovery.
#[test]
fn a_store_recovered_from_damage_waits_before_asking_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = open_with_config(dir.path(), &clock, config().with_policy_revision(1));
    store.agree_to_policy(Actor::User).unwrap();
    store.deny(Feature::Camera, Actor::User).unwrap();
    store.close().unwrap();
    let log = dir.path().join("consent.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[40] ^= 0xFF;
    std::fs::write(&log, bytes).unwrap();
    clock.advance(HOUR as u64);
    let recovered_at = clock.now_ms();
    let store = open_with_config(dir.path(), &clock, config().with_policy_revision(1));
    assert!(store.recovery_notice().is_some());
    let quiet = PromptAdvice::NotNow {
        until_ms: recovered_at + 48 * HOUR,
    };
    assert_eq!(store.policy_prompt_advice(), quiet);
    store.agree_to_policy(Actor::User).unwrap();
    for feature in Feature::ALL {
        assert_eq!(store.prompt_advice(feature), quiet, "{feature:?}");
    }
    // The person can still turn a feature on from Settings, and then nothing is to ask.
    camera_granted(&store);
    assert_eq!(store.prompt_advice(Feature::Camera), PromptAdvice::NoNeed);
    clock.advance(48 * HOUR as u64);
    assert_eq!(store.prompt_advice(Feature::Microphone), PromptAdvice::Ask);
}

#[test]
fn only_a_guardian_grants_or_agrees_for_a_minor() {
    let clock = clock();
    let store = in_memory(&clock, in_china().with_policy_revision(1));
    store.set_age_signal(teen()).unwrap();
    assert_eq!(store.policy_prompt_advice(), PromptAdvice::AskGuardian);
    let by_minor = store.agree_to_policy(Actor::User).unwrap_err();
    assert_eq!(by_minor, ConsentError::GuardianRequired { feature: None });
    assert!(by_minor.needs_guardian() && by_minor.is_refusal());
    store.agree_to_policy(Actor::Guardian).unwrap();
    assert_eq!(store.policy_state().status, PolicyStatus::Agreed);
    assert_eq!(
        store.prompt_advice(Feature::Camera),
        PromptAdvice::AskGuardian
    );
    assert_eq!(
        store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User),
        Err(ConsentError::GuardianRequired {
            feature: Some(Feature::Camera)
        })
    );
    guardian_grants(&store, Feature::Camera);
    use_once(&store, Feature::Camera, "shoot_photo");
    // The minor may always say no, and cannot undo a guardian's no.
    store.revoke(Feature::Camera, Actor::User).unwrap();
    store.deny(Feature::Microphone, Actor::Guardian).unwrap();
    let undo = store.grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User);
    assert!(matches!(undo, Err(ConsentError::GuardianRequired { .. })));
    assert_eq!(
        store.state(Feature::Microphone).status,
        ConsentStatus::Denied
    );
}

#[test]
fn a_minor_signal_ends_uses_resting_on_a_minors_own_consent() {
    let clock = clock();
    let store = in_memory(&clock, in_china().with_policy_revision(1));
    store.agree_to_policy(Actor::User).unwrap();
    camera_granted(&store);
    let recording = store
        .begin_use(Feature::Camera, "record_video".into())
        .unwrap();
    store.set_age_signal(teen()).unwrap();
    assert!(!recording.is_active(), "the camera stops at once");
    assert_eq!(
        store.policy_state().status,
        PolicyStatus::NeedsReconsent,
        "a minor's own agreement does not count"
    );
    assert!(store.policy_state().basic_mode);
    let log = store.audit_log(AuditFilter::default()).unwrap();
    assert!(log
        .iter()
        .any(|e| e.end_reason == Some(SessionEndReason::GuardianRequired)));
    store.agree_to_policy(Actor::Guardian).unwrap();
    let refused = store.begin_use(Feature::Camera, "shoot_photo".into());
    assert_eq!(
        refused.unwrap_err(),
        ConsentError::GuardianRequired {
            feature: Some(Feature::Camera)
        }
    );
    // Signalled an adult after all, the person's own consent counts again.
    store.set_age_signal(age_range(18, None)).unwrap();
    use_once(&store, Feature::Camera, "shoot_photo");
    assert!(store.verify().unwrap().intact);
}

#[test]
fn an_unknown_age_follows_the_config() {
    let clock = clock();
    let strict = ConsentConfig {
        unknown_age_is_minor: true,
        ..in_china()
    };
    let store = in_memory(&clock, strict);
    assert!(matches!(
        store.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User),
        Err(ConsentError::GuardianRequired { .. })
    ));
    let store = in_memory(&clock, in_china());
    camera_granted(&store);
}
