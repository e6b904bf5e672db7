//! Unit tests of the rules: verbs decide records, `apply` folds them, no store involved.
//!
//! Over 400 lines: tests only, one per rule.

use super::*;
use crate::kinds::SessionEndReason;
use crate::model::{Actor, ConsentStatus, Feature, GrantScope, OsPermission};
use crate::terms::FeatureTerms;

const NOW: Now = Now {
    wall_ms: 1_000,
    mono_ms: 0,
};

/// A new chain's state once the app said it is in the foreground (a store starts in the
/// background, I5).
fn on_screen(app_id: &str) -> State {
    let state = State::new(app_id);
    let shown = state.set_foreground(true, NOW);
    assert_eq!(
        shown.entries,
        [Entry::ForegroundChanged { foreground: true }]
    );
    apply(state, shown, &mut 0, 0)
}

/// Applies a decision's records as the engine would, from sequence number `*seq + 1`.
fn apply(mut state: State, decision: Decision, seq: &mut u64, mono: u64) -> State {
    for entry in &decision.entries {
        *seq += 1;
        state.apply(*seq, 1_000, entry, Some(mono));
    }
    state
}

fn granted(feature: Feature, scope: GrantScope) -> (State, u64) {
    let state = on_screen("com.example.camera");
    let mut seq = 0;
    let grant = state.grant(feature, scope, Actor::User);
    (apply(state, grant, &mut seq, 0), seq)
}

fn refusal(decision: Decision) -> RefusalReason {
    match decision.outcome {
        Err(Refusal::Use { reason, .. }) => reason,
        other => panic!("expected a refused use, got {other:?}"),
    }
}

fn at(mono_ms: u64) -> Now {
    Now {
        wall_ms: 1_000,
        mono_ms,
    }
}

#[test]
fn every_feature_starts_not_asked_and_off() {
    let state = State::new("a");
    for feature in Feature::ALL {
        let s = state.feature_state(feature);
        assert_eq!(s.status, ConsentStatus::NotAsked);
        assert!(!s.allowed);
    }
}

#[test]
fn a_new_state_is_in_the_background_until_told() {
    let state = State::new("a");
    assert!(!state.is_foreground());
    assert_eq!(
        state
            .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
            .outcome,
        Err(Refusal::GrantInBackground(Feature::Camera))
    );
}

#[test]
fn the_app_can_never_grant() {
    let state = on_screen("a");
    let app = state.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::App);
    assert_eq!(app.outcome, Err(Refusal::AppCannotGrant));
    assert!(app.entries.is_empty());
    let guardian = state.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::Guardian);
    assert!(guardian.outcome.is_ok());
    assert_eq!(guardian.entries.len(), 1);
}

#[test]
fn consent_alone_does_not_allow_use_a_session_does() {
    let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    assert!(!state.is_allowed(Feature::Camera));
    let began = state.begin_use(Feature::Camera, "shoot_photo");
    assert!(began.outcome.is_ok());
    let state = apply(state, began, &mut seq, 10);
    assert!(state.is_allowed(Feature::Camera));
    assert!(!state.is_allowed(Feature::Microphone));
}

#[test]
fn refusals_say_why_in_rule_order_and_are_recorded() {
    let state = on_screen("a");
    let refused = state.begin_use(Feature::Camera, "Bad Purpose");
    assert_eq!(refused.entries.len(), 1, "a refusal is a record too");
    assert_eq!(refusal(refused), RefusalReason::InvalidPurpose);
    assert_eq!(
        refusal(state.begin_use(Feature::Camera, "login")),
        RefusalReason::UnknownPurpose
    );
    assert_eq!(
        refusal(state.begin_use(Feature::Camera, "shoot_photo")),
        RefusalReason::ConsentRequired
    );
    let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let os = state.set_os_permission(Feature::Camera, OsPermission::Denied, NOW);
    let state = apply(state, os, &mut seq, 0);
    assert_eq!(
        refusal(state.begin_use(Feature::Camera, "shoot_photo")),
        RefusalReason::OsPermissionDenied
    );
}

#[test]
fn an_undeclared_purpose_is_recorded_without_its_text() {
    let state = on_screen("a");
    let refused = state.begin_use(Feature::Camera, "user_13800138000");
    assert_eq!(
        refused.entries,
        vec![Entry::SessionRefused {
            feature: Feature::Camera,
            purpose: None,
            reason: RefusalReason::UnknownPurpose,
        }]
    );
}

#[test]
fn revoking_ends_open_sessions_of_that_feature_only() {
    let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let mic = state.grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User);
    let state = apply(state, mic, &mut seq, 0);
    let cam = state.begin_use(Feature::Camera, "record_video");
    let state = apply(state, cam, &mut seq, 0);
    let mic = state.begin_use(Feature::Microphone, "record_video");
    let state = apply(state, mic, &mut seq, 0);
    let revoke = state.revoke(Feature::Camera, Actor::User, at(9));
    assert_eq!(revoke.entries.len(), 2);
    assert!(matches!(
        revoke.entries[1],
        Entry::SessionEnded {
            reason: SessionEndReason::Revoked,
            duration_ms: 9,
            ..
        }
    ));
    let state = apply(state, revoke, &mut seq, 9);
    assert!(!state.is_allowed(Feature::Camera));
    assert!(state.is_allowed(Feature::Microphone));
    assert_eq!(state.record(Feature::Camera).status, ConsentStatus::Denied);
}

#[test]
fn a_single_use_grant_is_consumed_when_its_session_ends() {
    let (state, mut seq) = granted(Feature::Clipboard, GrantScope::Once);
    let began = state.begin_use(Feature::Clipboard, "share_code");
    let state = apply(state, began, &mut seq, 5);
    assert_eq!(
        refusal(state.begin_use(Feature::Clipboard, "share_code")),
        RefusalReason::SingleUseInProgress
    );
    let end = state.end_session(seq, SessionEndReason::Ended, at(30));
    assert!(matches!(
        end.entries[0],
        Entry::SessionEnded {
            duration_ms: 25,
            ..
        }
    ));
    assert!(matches!(end.entries[1], Entry::GrantConsumed { .. }));
    let state = apply(state, end, &mut seq, 30);
    let record = state.record(Feature::Clipboard);
    assert_eq!(record.status, ConsentStatus::NotAsked);
    assert_eq!((record.actor, record.decided_at_ms), (None, None));
}

#[test]
fn revoking_a_single_use_grant_in_use_leaves_it_denied_not_consumed() {
    let (state, mut seq) = granted(Feature::Clipboard, GrantScope::Once);
    let began = state.begin_use(Feature::Clipboard, "share_code");
    let state = apply(state, began, &mut seq, 5);
    let revoke = state.revoke(Feature::Clipboard, Actor::User, at(6));
    assert!(revoke
        .entries
        .iter()
        .all(|e| !matches!(e, Entry::GrantConsumed { .. })));
    let state = apply(state, revoke, &mut seq, 6);
    assert_eq!(
        state.record(Feature::Clipboard).status,
        ConsentStatus::Denied
    );
}

#[test]
fn background_ends_camera_but_not_photo_library_sessions() {
    let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let grant = state.grant(Feature::PhotoLibrary, GrantScope::UntilRevoked, Actor::User);
    let state = apply(state, grant, &mut seq, 0);
    let cam = state.begin_use(Feature::Camera, "shoot_photo");
    let state = apply(state, cam, &mut seq, 0);
    let lib = state.begin_use(Feature::PhotoLibrary, "save_media");
    let state = apply(state, lib, &mut seq, 0);
    let bg = state.set_foreground(false, at(1));
    let state = apply(state, bg, &mut seq, 1);
    assert!(!state.is_allowed(Feature::Camera));
    assert!(state.is_allowed(Feature::PhotoLibrary));
    assert_eq!(
        refusal(state.begin_use(Feature::Camera, "shoot_photo")),
        RefusalReason::InBackground
    );
    assert_eq!(
        state
            .grant(Feature::Microphone, GrantScope::Once, Actor::User)
            .outcome,
        Err(Refusal::GrantInBackground(Feature::Microphone))
    );
}

#[test]
fn a_terms_change_asks_again_only_for_that_feature() {
    let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let grant = state.grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User);
    let state = apply(state, grant, &mut seq, 0);
    let mut terms: Vec<FeatureTerms> = Feature::ALL
        .into_iter()
        .map(FeatureTerms::default_for)
        .collect();
    terms[0].terms_revision = 2;
    let applied = state.apply_terms(&terms);
    assert_eq!(applied.entries.len(), 2, "the new terms, and the reconsent");
    let state = apply(state, applied, &mut seq, 0);
    assert_eq!(
        state.record(Feature::Camera).status,
        ConsentStatus::NeedsReconsent
    );
    assert_eq!(
        state.record(Feature::Microphone).status,
        ConsentStatus::Granted
    );
    assert_eq!(state.terms(Feature::Camera).terms_revision, 2);
    assert!(state.apply_terms(&terms).entries.is_empty(), "applied once");
}

#[test]
fn replay_takes_a_reconsent_only_for_a_grant_whose_terms_widened_as_it_says() {
    let mut terms: Vec<FeatureTerms> = Feature::ALL
        .into_iter()
        .map(FeatureTerms::default_for)
        .collect();
    terms[0].terms_revision = 2;
    let (granted, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let applied = granted.apply_terms(&terms);
    let [new_terms, reconsent] = &applied.entries[..] else {
        panic!("{:?}", applied.entries)
    };
    let mut state = granted.clone();
    state.apply(seq + 1, 1_000, new_terms, None);
    assert_eq!(state.check(reconsent), Ok(()));
    // The same widening said of another list: forged.
    let Entry::ReconsentRequired {
        feature,
        terms_revision,
        ..
    } = reconsent.clone()
    else {
        panic!("{reconsent:?}")
    };
    let misstated = Entry::ReconsentRequired {
        feature,
        terms_revision,
        widened: vec![crate::terms::Widening::Revision { from: 0, to: 2 }],
    };
    assert!(state.check(&misstated).is_err());
    // The widening as computed, of a grant already withdrawn: forged too.
    let revoke = granted.revoke(Feature::Camera, Actor::User, NOW);
    let mut withdrawn = apply(granted, revoke, &mut seq, 0);
    withdrawn.apply(seq + 1, 1_000, new_terms, None);
    assert!(withdrawn.check(reconsent).is_err());
}

#[test]
fn replay_ends_only_a_session_open_for_the_feature_it_names_for_a_reason_that_holds() {
    let (mut state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let grant = state.grant(Feature::Microphone, GrantScope::UntilRevoked, Actor::User);
    state = apply(state, grant, &mut seq, 0);
    let began = state.begin_use(Feature::Camera, "record_video");
    state = apply(state, began, &mut seq, 0);
    let ended_for = |feature, session, reason| Entry::SessionEnded {
        feature,
        session,
        reason,
        duration_ms: 0,
    };
    let ended = |feature, session| ended_for(feature, session, SessionEndReason::Ended);
    assert_eq!(state.check(&ended(Feature::Camera, seq)), Ok(()));
    assert!(state.check(&ended(Feature::Camera, seq + 7)).is_err());
    assert!(state.check(&ended(Feature::Microphone, seq)).is_err());
    // Ended by a "no" nobody said: the camera is still granted, the app on screen.
    for reason in [SessionEndReason::Revoked, SessionEndReason::Background] {
        let forged = ended_for(Feature::Camera, seq, reason);
        assert!(state.check(&forged).is_err(), "{reason:?}");
    }
}

#[test]
fn an_unknown_os_permission_is_no_news_after_a_refusal_live_or_in_replay() {
    let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let refused = state.set_os_permission(Feature::Camera, OsPermission::Denied, NOW);
    let state = apply(state, refused, &mut seq, 0);
    let unknown = state.set_os_permission(Feature::Camera, OsPermission::Unknown, NOW);
    assert!(unknown.entries.is_empty(), "{:?}", unknown.entries);
    let forged = Entry::OsPermissionChanged {
        feature: Feature::Camera,
        permission: OsPermission::Unknown,
    };
    assert!(state.check(&forged).is_err());
    let granted = Entry::OsPermissionChanged {
        feature: Feature::Camera,
        permission: OsPermission::Granted,
    };
    assert_eq!(state.check(&granted), Ok(()));
}

#[test]
fn replay_takes_a_grant_only_under_the_terms_in_force_for_what_the_live_rules_cover() {
    let state = on_screen("com.example.camera");
    let mut seq = 0;
    let photo = state.grant_purposes(
        Feature::Camera,
        &["shoot_photo".into()],
        GrantScope::UntilRevoked,
        Actor::User,
    );
    let state = apply(state, photo, &mut seq, 0);
    let grant_for = |scope, terms_revision, purposes: &[&str]| Entry::Granted {
        feature: Feature::Camera,
        actor: Actor::User,
        scope,
        terms_revision,
        purposes: purposes.iter().map(|p| p.to_string()).collect(),
    };
    let grant = |terms_revision, purposes: &[&str]| {
        grant_for(GrantScope::UntilRevoked, terms_revision, purposes)
    };
    // Video added to the photos the person already allowed: the live rules write both.
    assert_eq!(
        state.check(&grant(1, &["shoot_photo", "record_video"])),
        Ok(())
    );
    assert!(
        state
            .check(&grant(2, &["shoot_photo", "record_video"]))
            .is_err(),
        "terms not in force"
    );
    assert!(
        state
            .check(&grant(1, &["record_video", "shoot_photo"]))
            .is_err(),
        "not in the declared order"
    );
    // A single use on top of the photos records only what the standing grant does not cover.
    let once = |purposes| grant_for(GrantScope::Once, 1, purposes);
    assert_eq!(state.check(&once(&["record_video"])), Ok(()));
    assert!(
        state
            .check(&once(&["shoot_photo", "record_video"]))
            .is_err(),
        "more than the live rules record"
    );
}

#[test]
fn sessions_left_by_a_dead_process_end_when_it_was_last_seen() {
    let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let began = state.begin_use(Feature::Camera, "record_video");
    seq += 1;
    let mut state = state;
    state.apply(seq, 10_000, &began.entries[0], None);
    let reopened = state.reopened(14_500);
    assert!(matches!(
        reopened.entries[..],
        [Entry::SessionEnded {
            reason: SessionEndReason::Interrupted,
            duration_ms: 4_500,
            ..
        }]
    ));
    // A clock set back before the session began gives no time at all, never negative.
    assert!(matches!(
        state.reopened(9_000).entries[..],
        [Entry::SessionEnded { duration_ms: 0, .. }]
    ));
}

#[test]
fn digest_changes_with_state_and_survives_a_snapshot() {
    let (state, _) = granted(Feature::Camera, GrantScope::UntilRevoked);
    assert_ne!(state.digest(), State::new("com.example.camera").digest());
    let decoded = State::decode(&state.encode()).unwrap();
    assert_eq!(decoded.digest(), state.digest());
}

#[test]
fn new_terms_ask_again_only_for_a_grant_under_another_revision() {
    let default_terms = || -> Vec<FeatureTerms> {
        Feature::ALL
            .into_iter()
            .map(FeatureTerms::default_for)
            .collect()
    };
    let (state, _) = granted(Feature::Camera, GrantScope::UntilRevoked);
    // A feature never granted takes new terms without any reconsent.
    let mut terms = default_terms();
    terms[Feature::Microphone.index()].terms_revision = 3;
    let applied = state.apply_terms(&terms);
    assert_eq!(applied.entries.len(), 1);
    assert!(matches!(applied.entries[0], Entry::PolicyApplied { .. }));
    // A granted feature whose purposes change under the same revision: the terms apply.
    let mut terms = default_terms();
    terms[0].purposes.push("scan_code".into());
    let applied = state.apply_terms(&terms);
    assert!(applied
        .entries
        .iter()
        .all(|e| !matches!(e, Entry::ReconsentRequired { .. })));
}

/// A state whose app asks for agreement to policy revision `revision`, with one SDK that
/// needs the camera and one not for minors, in China (age of consent 14).
fn with_policy(revision: u32) -> (State, u64) {
    let state = on_screen("a");
    let terms = crate::terms::AppTerms {
        policy_revision: Some(revision),
        sdks: vec![
            crate::terms::SdkTerms {
                id: "ar".into(),
                requires: vec![Feature::Camera],
                not_for_minors: false,
                ..Default::default()
            },
            crate::terms::SdkTerms {
                id: "ads".into(),
                requires: vec![],
                not_for_minors: true,
                ..Default::default()
            },
        ],
        age_of_consent: 14,
        unknown_age_is_minor: false,
    };
    let mut seq = 0;
    let applied = state.apply_app_terms(&terms);
    (apply(state, applied, &mut seq, 0), seq)
}

#[test]
fn the_policy_is_agreed_per_revision_and_never_carried_over() {
    use crate::policy::PolicyStatus;
    let (state, mut seq) = with_policy(1);
    assert_eq!(state.policy_status(), PolicyStatus::NotAsked);
    let agree = state.agree_to_policy(Actor::User);
    let state = apply(state, agree, &mut seq, 0);
    assert_eq!(state.policy_status(), PolicyStatus::Agreed);
    let mut terms = state.app.clone();
    terms.policy_revision = Some(2);
    let next = state.apply_app_terms(&terms);
    let state = apply(state, next, &mut seq, 0);
    assert_eq!(state.policy_status(), PolicyStatus::NeedsReconsent);
    assert!(state.basic_mode());
    let decline = state.decline_policy(Actor::User, NOW);
    let state = apply(state, decline, &mut seq, 0);
    assert_eq!(state.policy_status(), PolicyStatus::Declined);
    assert_eq!(state.policy_state().agreed_revision, Some(1));
    assert_eq!(
        state.agree_to_policy(Actor::App).outcome,
        Err(Refusal::AppCannotAgree)
    );
}

#[test]
fn an_sdk_is_held_by_the_first_reason_in_rule_order() {
    use crate::age::{AgeSignal, AgeSource};
    use crate::sdk::SdkBlock;
    let (state, mut seq) = with_policy(1);
    assert_eq!(state.sdk_block("ar"), Some(SdkBlock::PolicyNotAgreed));
    assert_eq!(state.sdk_block("other"), Some(SdkBlock::UnknownSdk));
    // A guardian agrees: the minor signal below does not undo it.
    let agree = state.agree_to_policy(Actor::Guardian);
    let state = apply(state, agree, &mut seq, 0);
    assert_eq!(
        state.sdk_block("ar"),
        Some(SdkBlock::FeatureNotGranted {
            feature: Feature::Camera
        })
    );
    assert_eq!(state.sdk_block("ads"), None);
    let teen = state.set_age_signal(
        AgeSignal {
            lower: 13,
            upper: Some(15),
            source: AgeSource::OsAgeRange,
        },
        NOW,
    );
    let state = apply(state, teen, &mut seq, 0);
    assert!(state.is_minor());
    assert_eq!(state.sdk_block("ads"), Some(SdkBlock::Minor));
    // A refused start is recorded with its reason; replay accepts exactly that.
    let refused = state.sdk_started("ads");
    assert_eq!(state.check(&refused.entries[0]), Ok(()));
    let forged = Entry::SdkStarted { sdk: "ads".into() };
    assert!(state.check(&forged).unwrap_err().contains("never write"));
}

#[test]
fn replay_takes_app_wide_records_only_as_the_live_rules_write_them() {
    let (state, _) = with_policy(2);
    let declined = |revision| Entry::PolicyDeclined {
        revision,
        actor: Actor::User,
    };
    assert_eq!(state.check(&declined(2)), Ok(()));
    assert!(state.check(&declined(3)).is_err(), "another revision's");
    let applied = |terms: crate::terms::AppTerms| Entry::AppTermsApplied {
        loosened: Vec::new(),
        terms,
    };
    let mut stricter = state.app.clone();
    stricter.age_of_consent = 16;
    assert_eq!(state.check(&applied(stricter.clone())), Ok(()));
    assert!(
        state.check(&applied(state.app.clone())).is_err(),
        "no change"
    );
    let mut invalid = stricter.clone();
    invalid.age_of_consent = 0;
    assert!(
        state.check(&applied(invalid)).is_err(),
        "no config could say it"
    );
    let mut lowered = stricter.clone();
    lowered.policy_revision = Some(1);
    assert!(
        state.check(&applied(lowered)).is_err(),
        "a revision gone back"
    );
    let mut looser = state.app.clone();
    looser.age_of_consent = 13;
    assert!(
        state.check(&applied(looser)).is_err(),
        "fewer minors, not said"
    );
}

#[test]
fn a_grant_covers_only_the_purposes_it_names() {
    let state = on_screen("a");
    let mut seq = 0;
    let login = vec!["login".to_string()];
    let grant = state.grant_purposes(
        Feature::Clipboard,
        &login,
        GrantScope::UntilRevoked,
        Actor::User,
    );
    let state = apply(state, grant, &mut seq, 0);
    assert!(state.begin_use(Feature::Clipboard, "login").outcome.is_ok());
    let other = state.begin_use(Feature::Clipboard, "channel_stats");
    assert_eq!(refusal(other), RefusalReason::PurposeNotGranted);
}

#[test]
fn a_dependent_session_ends_with_the_last_session_it_depends_on() {
    let (state, mut seq) = granted(Feature::Camera, GrantScope::UntilRevoked);
    let sensors = state.grant(
        Feature::MotionSensors,
        GrantScope::UntilRevoked,
        Actor::User,
    );
    let state = apply(state, sensors, &mut seq, 0);
    assert_eq!(
        refusal(state.begin_use(Feature::MotionSensors, "orientation")),
        RefusalReason::OnlyDuring
    );
    let camera = state.begin_use(Feature::Camera, "shoot_photo");
    let state = apply(state, camera, &mut seq, 0);
    let camera_session = seq;
    let orientation = state.begin_use(Feature::MotionSensors, "orientation");
    let state = apply(state, orientation, &mut seq, 0);
    let ended = state.end_session(camera_session, SessionEndReason::Ended, at(5));
    let reasons: Vec<_> = ended
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::SessionEnded { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [SessionEndReason::Ended, SessionEndReason::DependencyEnded]
    );
    let state = apply(state, ended, &mut seq, 5);
    assert!(state.sessions.is_empty());
}

#[test]
fn after_a_persons_no_the_advice_waits_and_a_minor_needs_a_guardian() {
    use crate::advice::PromptAdvice;
    use crate::age::{AgeSignal, AgeSource};
    let state = on_screen("a");
    let mut seq = 0;
    let deny = state.deny(Feature::Camera, Actor::User, NOW);
    let state = apply(state, deny, &mut seq, 0);
    assert_eq!(
        state.prompt_advice(Feature::Camera, 1_500, 1_000),
        PromptAdvice::NotNow { until_ms: 2_000 }
    );
    assert_eq!(
        state.prompt_advice(Feature::Camera, 2_000, 1_000),
        PromptAdvice::Ask
    );
    let teen = state.set_age_signal(
        AgeSignal {
            lower: 10,
            upper: Some(12),
            source: AgeSource::Guardian,
        },
        NOW,
    );
    let state = apply(state, teen, &mut seq, 0);
    assert_eq!(
        state.prompt_advice(Feature::Camera, 2_000, 1_000),
        PromptAdvice::AskGuardian
    );
    assert_eq!(
        state
            .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
            .outcome,
        Err(Refusal::GuardianRequired(Some(Feature::Camera)))
    );
    let by_guardian = state.grant(Feature::Camera, GrantScope::UntilRevoked, Actor::Guardian);
    assert!(by_guardian.outcome.is_ok());
}
