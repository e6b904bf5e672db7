//! The generated histories: every verb by every actor, age signals from every source, relaunches with the foreground reported or not, config changes that widen or narrow, clock jumps both ways, and faults followed by a relaunch.

use consentkit::*;
use proptest::prelude::*;

use crate::model::{sdk, AppConfig, DAY, HOUR, JURISDICTIONS, SDK_IDS};

/// The purposes a history may name: each feature's built-in ones, one a config may add, one
/// never declared, and one that is not a purpose at all.
pub const ADDED: &str = "added_later";

pub fn purpose(f: Feature, choice: u8) -> String {
    let builtin = f.default_purposes();
    match choice {
        0 | 1 => builtin[(choice as usize).min(builtin.len() - 1)].to_string(),
        2 => ADDED.to_string(),
        3 => "not_declared_anywhere".to_string(),
        _ => "Not A Purpose!".to_string(),
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Every write fails (EIO): nothing reaches the log.
    Write,
    /// Writes land, syncs fail (EIO).
    Sync,
}

#[derive(Clone, Debug)]
pub enum Op {
    Grant(Feature, GrantScope, Actor),
    /// A grant for the purposes picked by the bits of the mask (of those declared now).
    GrantPurposes(Feature, u8, GrantScope, Actor),
    Deny(Feature, Actor),
    Revoke(Feature, Actor),
    BeginUse(Feature, u8),
    End(usize),
    Release(usize),
    Foreground(bool),
    Os(Feature, OsPermission),
    AgreeToPolicy(Actor),
    DeclinePolicy(Actor),
    /// An index into `SDK_IDS`, or past it: an undeclared SDK.
    SdkStarted(usize),
    Age(AgeSignal),
    /// The person erases everything.
    Erase,
    /// Time passes (both clocks).
    Wait(u64),
    /// The wall clock jumps (the monotonic one does not).
    ClockJump(i64),
    Compact,
    /// The process ends and the app launches again, saying it is in the foreground or not.
    Relaunch {
        report_foreground: bool,
    },
    /// The app launches again with a changed config.
    Reconfigure(Change, bool),
    /// The disk fails during `op`; then the app launches again on a healthy disk.
    Faulted(Fault, Box<Op>),
}

impl Op {
    /// Whether the step erases everything (on a healthy or a failing disk).
    pub fn erases(&self) -> bool {
        match self {
            Op::Erase => true,
            Op::Faulted(_, op) => op.erases(),
            _ => false,
        }
    }
}

/// One change of the app's config between launches: widening, narrowing or invalid.
#[derive(Clone, Debug)]
pub enum Change {
    RevisionUp(Feature),
    /// Lowering a revision: a configuration error, refused with nothing changed.
    RevisionDown(Feature),
    AddPurpose(Feature),
    RemovePurpose(Feature),
    /// The motion sensors used only during this feature's sessions, or at any time.
    SensorsDuring(Option<Feature>),
    PolicyUp,
    PolicyStep(bool),
    AddSdk(usize),
    RemoveSdk(usize),
    SdkRequires(usize, Feature, bool),
    SdkForMinors(usize, bool),
    Jurisdiction(usize),
    UnknownAgeIsMinor(bool),
    Reprompt(u64),
}

impl Change {
    /// `cfg` with the change made (a change that cannot apply leaves it as it is).
    pub fn apply(&self, mut cfg: AppConfig) -> AppConfig {
        match *self {
            Change::RevisionUp(f) => cfg.terms[f.index()].revision += 1,
            Change::RevisionDown(f) => {
                let t = &mut cfg.terms[f.index()];
                t.revision = t.revision.saturating_sub(1).max(1);
            }
            Change::AddPurpose(f) => {
                let t = &mut cfg.terms[f.index()];
                if !t.purposes.iter().any(|p| p == ADDED) {
                    t.purposes.push(ADDED.into());
                }
            }
            Change::RemovePurpose(f) => {
                let t = &mut cfg.terms[f.index()];
                if t.purposes.len() > 1 {
                    t.purposes.remove(0);
                }
            }
            Change::SensorsDuring(during) => {
                cfg.terms[Feature::MotionSensors.index()].only_during = during
            }
            Change::PolicyUp => {
                if let Some(r) = cfg.policy_revision.as_mut() {
                    *r += 1;
                }
            }
            Change::PolicyStep(on) => match (on, cfg.policy_revision) {
                (true, None) => cfg.policy_revision = Some(1),
                (false, _) => cfg.policy_revision = None,
                _ => {}
            },
            Change::AddSdk(i) => {
                let id = SDK_IDS[i];
                if cfg.sdk(id).is_none() {
                    cfg.sdks.push(sdk(id, &[], false));
                }
            }
            Change::RemoveSdk(i) => cfg.sdks.retain(|s| s.id != SDK_IDS[i]),
            Change::SdkRequires(i, f, add) => {
                if let Some(s) = cfg.sdks.iter_mut().find(|s| s.id == SDK_IDS[i]) {
                    s.requires.retain(|g| *g != f);
                    if add {
                        s.requires.push(f);
                    }
                }
            }
            Change::SdkForMinors(i, not_for_minors) => {
                if let Some(s) = cfg.sdks.iter_mut().find(|s| s.id == SDK_IDS[i]) {
                    s.not_for_minors = not_for_minors;
                }
            }
            Change::Jurisdiction(i) => cfg.jurisdiction = i,
            Change::UnknownAgeIsMinor(minor) => cfg.unknown_age_is_minor = minor,
            Change::Reprompt(ms) => cfg.reprompt_after_ms = ms,
        }
        cfg
    }
}

fn feature() -> impl Strategy<Value = Feature> {
    (0..6usize).prop_map(|i| Feature::ALL[i])
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![Just(Actor::User), Just(Actor::Guardian), Just(Actor::App)]
}

fn scope() -> impl Strategy<Value = GrantScope> {
    prop_oneof![Just(GrantScope::UntilRevoked), Just(GrantScope::Once)]
}

fn age_signal() -> impl Strategy<Value = AgeSignal> {
    let ranges = [
        (0, Some(12)),
        (10, Some(12)),
        (13, Some(15)),
        (16, Some(17)),
        (18, None),
    ];
    let source = prop_oneof![
        Just(AgeSource::Declared),
        Just(AgeSource::Guardian),
        Just(AgeSource::OsAgeRange)
    ];
    (0..ranges.len(), source).prop_map(move |(i, source)| AgeSignal {
        lower: ranges[i].0,
        upper: ranges[i].1,
        source,
    })
}

fn change() -> impl Strategy<Value = Change> {
    let sdk = 0..SDK_IDS.len();
    prop_oneof![
        2 => feature().prop_map(Change::RevisionUp),
        1 => feature().prop_map(Change::RevisionDown),
        2 => feature().prop_map(Change::AddPurpose),
        1 => feature().prop_map(Change::RemovePurpose),
        2 => prop_oneof![Just(None), Just(Some(Feature::Camera)), Just(Some(Feature::Microphone))]
            .prop_map(Change::SensorsDuring),
        1 => Just(Change::PolicyUp),
        1 => any::<bool>().prop_map(Change::PolicyStep),
        // Mostly the one SDK the app does not embed yet: adding a declared one changes nothing.
        2 => prop_oneof![3 => Just(SDK_IDS.len() - 1), 1 => sdk.clone()].prop_map(Change::AddSdk),
        1 => sdk.clone().prop_map(Change::RemoveSdk),
        2 => (sdk.clone(), feature(), any::<bool>()).prop_map(|(i, f, add)| Change::SdkRequires(i, f, add)),
        1 => (sdk, any::<bool>()).prop_map(|(i, b)| Change::SdkForMinors(i, b)),
        1 => (0..JURISDICTIONS.len()).prop_map(Change::Jurisdiction),
        1 => any::<bool>().prop_map(Change::UnknownAgeIsMinor),
        1 => prop_oneof![Just(48 * HOUR), Just(HOUR), Just(0)].prop_map(Change::Reprompt),
    ]
}

/// An operation that can meet a failing disk.
fn writing_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (feature(), scope(), actor()).prop_map(|(f, s, a)| Op::Grant(f, s, a)),
        2 => (feature(), actor()).prop_map(|(f, a)| Op::Revoke(f, a)),
        2 => (feature(), actor()).prop_map(|(f, a)| Op::Deny(f, a)),
        2 => (feature(), 0..3u8).prop_map(|(f, p)| Op::BeginUse(f, p)),
        1 => (0..4usize).prop_map(Op::End),
        1 => any::<bool>().prop_map(Op::Foreground),
        1 => (feature(), prop_oneof![Just(OsPermission::Granted), Just(OsPermission::Denied)])
            .prop_map(|(f, p)| Op::Os(f, p)),
        1 => actor().prop_map(Op::AgreeToPolicy),
        1 => actor().prop_map(Op::DeclinePolicy),
        1 => age_signal().prop_map(Op::Age),
        1 => (0..SDK_IDS.len()).prop_map(Op::SdkStarted),
        1 => Just(Op::Erase),
    ]
}

pub fn op() -> impl Strategy<Value = Op> {
    let fault = prop_oneof![Just(Fault::Write), Just(Fault::Sync)];
    prop_oneof![
        6 => (feature(), scope(), actor()).prop_map(|(f, s, a)| Op::Grant(f, s, a)),
        3 => (feature(), 1..16u8, scope(), actor())
            .prop_map(|(f, m, s, a)| Op::GrantPurposes(f, m, s, a)),
        2 => (feature(), actor()).prop_map(|(f, a)| Op::Deny(f, a)),
        2 => (feature(), actor()).prop_map(|(f, a)| Op::Revoke(f, a)),
        8 => (feature(), prop_oneof![6 => Just(0u8), 3 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8), 1 => Just(4u8)])
            .prop_map(|(f, p)| Op::BeginUse(f, p)),
        3 => (0..4usize).prop_map(Op::End),
        1 => (0..4usize).prop_map(Op::Release),
        2 => any::<bool>().prop_map(Op::Foreground),
        2 => (feature(), prop_oneof![
                Just(OsPermission::Unknown), Just(OsPermission::Granted),
                Just(OsPermission::Limited), Just(OsPermission::Denied),
                Just(OsPermission::DeniedPermanently)])
            .prop_map(|(f, p)| Op::Os(f, p)),
        3 => actor().prop_map(Op::AgreeToPolicy),
        1 => actor().prop_map(Op::DeclinePolicy),
        2 => (0..SDK_IDS.len() + 1).prop_map(Op::SdkStarted),
        3 => age_signal().prop_map(Op::Age),
        1 => Just(Op::Erase),
        2 => prop_oneof![Just(10_000u64), Just(HOUR), Just(DAY), Just(3 * DAY)].prop_map(Op::Wait),
        1 => prop_oneof![Just(-(3 * DAY as i64)), Just(-(HOUR as i64)), Just(2 * DAY as i64)]
            .prop_map(Op::ClockJump),
        1 => Just(Op::Compact),
        2 => prop_oneof![3 => Just(true), 1 => Just(false)]
            .prop_map(|report_foreground| Op::Relaunch { report_foreground }),
        3 => (change(), prop_oneof![3 => Just(true), 1 => Just(false)])
            .prop_map(|(c, fg)| Op::Reconfigure(c, fg)),
        2 => (fault, writing_op()).prop_map(|(fault, op)| Op::Faulted(fault, Box::new(op))),
    ]
}
