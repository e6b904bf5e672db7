//! Model-based property test: random operation sequences against a plain reference model, compared after every step.

mod common;

use std::sync::Arc;

use common::*;
use consentkit::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Grant(Feature, GrantScope, Actor),
    /// A grant for the purposes picked by the bits of the mask (of the declared ones).
    GrantPurposes(Feature, u8, GrantScope, Actor),
    /// Closes the store and opens it with one more purpose declared for the feature, under
    /// the same terms revision.
    DeclarePurpose(Feature),
    Deny(Feature, Actor),
    Revoke(Feature, Actor),
    /// 0: the first declared purpose, 1: well-formed but undeclared, 2: malformed, 3: the
    /// purpose `DeclarePurpose` adds, 4: the second built-in purpose (if any).
    BeginUse(Feature, u8),
    End(usize),
    Release(usize),
    Foreground(bool),
    Os(Feature, OsPermission),
    Reopen,
    AgreeToPolicy(Actor),
    DeclinePolicy(Actor),
    /// Closes the store and opens it with the next policy revision.
    NewPolicyRevision,
    /// An index into [`SDKS`], or past it: an undeclared SDK.
    SdkStarted(usize),
    /// An index into [`AGES`].
    Age(usize),
    /// A day passes: quiet periods after a "no" run out, and history leaves the retention
    /// window (one day in this app).
    Wait,
    /// Retention now: cuts the history older than the window. Nothing the model knows changes.
    Compact,
}

/// The SDKs of the model's app: (id, requires, not for minors).
const SDKS: [(&str, &[Feature], bool); 4] = [
    ("ads", &[], true),
    ("ar_filters", &[Feature::Camera], false),
    ("push", &[], false),
    ("retargeting", &[Feature::AdPersonalization], false),
];

/// Age ranges as the OS services give them; in China (14), the first two are minors.
const AGES: [(u32, Option<u32>); 4] = [(10, Some(12)), (13, Some(15)), (16, Some(17)), (18, None)];

/// The purpose `DeclarePurpose` adds to a feature's built-in ones.
const ADDED: &str = "added_later";

/// The purposes the model's app declares for `f`.
fn declared(f: Feature, added: bool) -> Vec<String> {
    let mut purposes: Vec<String> = f.default_purposes().iter().map(|p| p.to_string()).collect();
    if added {
        purposes.push(ADDED.into());
    }
    purposes
}

fn app_config(policy_step: bool, revision: u32, added: &[bool; 6]) -> ConsentConfig {
    let mut config = config();
    config.retention_days = 1;
    for f in Feature::ALL {
        if added[f.index()] {
            config = config.with_policy(FeaturePolicy {
                purposes: declared(f, true),
                ..FeaturePolicy::default_for(f)
            });
        }
    }
    config.policy_revision = policy_step.then_some(revision);
    config.jurisdiction = Some("CN".into());
    config.sdks = SDKS
        .iter()
        .map(|(id, requires, not_for_minors)| SdkPolicy {
            id: id.to_string(),
            name: id.to_string(),
            vendor: "Example".into(),
            purpose: "Testing".into(),
            data_collected: vec![],
            requires: requires.to_vec(),
            privacy_policy_url: "https://example.com/privacy".into(),
            not_for_minors: *not_for_minors,
        })
        .collect();
    config
}

fn feature() -> impl Strategy<Value = Feature> {
    (0..6usize).prop_map(|i| Feature::ALL[i])
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![Just(Actor::User), Just(Actor::Guardian), Just(Actor::App)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (feature(), prop_oneof![Just(GrantScope::UntilRevoked), Just(GrantScope::Once)], actor())
            .prop_map(|(f, s, a)| Op::Grant(f, s, a)),
        1 => (feature(), actor()).prop_map(|(f, a)| Op::Deny(f, a)),
        1 => (feature(), actor()).prop_map(|(f, a)| Op::Revoke(f, a)),
        5 => (feature(), prop_oneof![
                8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 2 => Just(3u8), 3 => Just(4u8)])
            .prop_map(|(f, p)| Op::BeginUse(f, p)),
        2 => (feature(), 1..8u8, prop_oneof![Just(GrantScope::UntilRevoked), Just(GrantScope::Once)], actor())
            .prop_map(|(f, m, s, a)| Op::GrantPurposes(f, m, s, a)),
        1 => feature().prop_map(Op::DeclarePurpose),
        2 => (0..4usize).prop_map(Op::End),
        1 => (0..4usize).prop_map(Op::Release),
        1 => any::<bool>().prop_map(Op::Foreground),
        1 => (feature(), prop_oneof![
                Just(OsPermission::Unknown), Just(OsPermission::Granted),
                Just(OsPermission::Limited), Just(OsPermission::Denied),
                Just(OsPermission::DeniedPermanently)])
            .prop_map(|(f, p)| Op::Os(f, p)),
        1 => Just(Op::Reopen),
        2 => actor().prop_map(Op::AgreeToPolicy),
        1 => actor().prop_map(Op::DeclinePolicy),
        1 => Just(Op::NewPolicyRevision),
        2 => (0..SDKS.len() + 1).prop_map(Op::SdkStarted),
        1 => (0..AGES.len()).prop_map(Op::Age),
        1 => Just(Op::Wait),
        1 => Just(Op::Compact),
    ]
}

/// The rules written as plainly as possible.
#[derive(Clone, Debug)]
struct Model {
    status: [ConsentStatus; 6],
    scope: [Option<GrantScope>; 6],
    os: [OsPermission; 6],
    foreground: bool,
    /// Features of the open sessions, parallel to the real handles.
    sessions: Vec<Feature>,
    /// The purposes each feature's grant covers.
    covered: [Vec<String>; 6],
    /// Whether `DeclarePurpose` added a purpose to the feature.
    added: [bool; 6],
    /// Whether the app asks for agreement to its policy, and its current revision.
    policy_step: bool,
    revision: u32,
    /// The last decision about the policy: (agreed, revision, by whom, when).
    policy: Option<(bool, u32, Actor, i64)>,
    minor: bool,
    /// Who made each feature's last decision, and when (the wall clock).
    actor: [Option<Actor>; 6],
    decided_at: [Option<i64>; 6],
}

const QUIET_MS: i64 = 48 * 60 * 60 * 1000;

/// The OS refuses, for now or for good.
fn denied(p: OsPermission) -> bool {
    matches!(p, OsPermission::Denied | OsPermission::DeniedPermanently)
}

impl Model {
    fn new(policy_step: bool) -> Model {
        Model {
            status: [ConsentStatus::NotAsked; 6],
            scope: [None; 6],
            os: [OsPermission::Unknown; 6],
            foreground: true,
            sessions: Vec::new(),
            covered: Default::default(),
            added: [false; 6],
            policy_step,
            revision: 1,
            policy: None,
            minor: false,
            actor: [None; 6],
            decided_at: [None; 6],
        }
    }

    /// A decision by a minor (or about one, when unknown) that was not a guardian's.
    fn needs_guardian(&self, actor: Option<Actor>) -> bool {
        self.minor && actor != Some(Actor::Guardian)
    }

    fn minor_blocks(&self, f: Feature) -> bool {
        self.minor && (self.needs_guardian(self.actor[f.index()]) || self.basic_mode())
    }

    fn ask(&self) -> PromptAdvice {
        if self.minor {
            PromptAdvice::AskGuardian
        } else {
            PromptAdvice::Ask
        }
    }

    fn quiet(decided: Option<i64>, now: i64) -> Option<PromptAdvice> {
        let until = decided?.min(now) + QUIET_MS;
        (now < until).then_some(PromptAdvice::NotNow { until_ms: until })
    }

    fn advice(&self, f: Feature, now: i64) -> PromptAdvice {
        let i = f.index();
        if self.basic_mode() {
            return PromptAdvice::AgreeToPolicyFirst;
        }
        let by_person = matches!(self.actor[i], Some(Actor::User | Actor::Guardian));
        if self.status[i] == ConsentStatus::Denied && by_person {
            if let Some(quiet) = Model::quiet(self.decided_at[i], now) {
                return quiet;
            }
        }
        if self.os[i] == OsPermission::DeniedPermanently {
            return PromptAdvice::OpenSettings;
        }
        if self.status[i] == ConsentStatus::Granted && !self.needs_guardian(self.actor[i]) {
            return PromptAdvice::NoNeed;
        }
        self.ask()
    }

    fn policy_advice(&self, now: i64) -> PromptAdvice {
        match self.policy_status() {
            PolicyStatus::NotRequired | PolicyStatus::Agreed => PromptAdvice::NoNeed,
            PolicyStatus::Declined => match self.policy {
                Some((_, _, actor, at)) if actor != Actor::App => {
                    Model::quiet(Some(at), now).unwrap_or(self.ask())
                }
                _ => self.ask(),
            },
            _ => self.ask(),
        }
    }

    /// Why a grant by `actor` is refused, in the store's order.
    fn grant_refusal(&self, actor: Actor) -> Option<&'static str> {
        if actor == Actor::App {
            Some("not_permitted")
        } else if !self.foreground {
            Some("background")
        } else if self.basic_mode() {
            Some("policy_not_agreed")
        } else if self.needs_guardian(Some(actor)) {
            Some("guardian_required")
        } else {
            None
        }
    }

    /// A grant covering `covered`; granting what is granted the same way changes nothing
    /// (and keeps who decided, and when).
    fn granted(
        &mut self,
        f: Feature,
        scope: GrantScope,
        covered: Vec<String>,
        actor: Actor,
        now: i64,
    ) {
        let i = f.index();
        let same = self.status[i] == ConsentStatus::Granted
            && self.scope[i] == Some(scope)
            && self.covered[i] == covered;
        if !same {
            self.decided(f, ConsentStatus::Granted, actor, now);
            self.scope[i] = Some(scope);
            self.covered[i] = covered;
        }
    }

    /// A decision about `f` by `actor` at `now`.
    fn decided(&mut self, f: Feature, status: ConsentStatus, actor: Actor, now: i64) {
        self.status[f.index()] = status;
        self.actor[f.index()] = Some(actor);
        self.decided_at[f.index()] = Some(now);
    }

    /// A single-use grant used up or lapsed: never decided again.
    fn reset(&mut self, f: Feature) {
        self.status[f.index()] = ConsentStatus::NotAsked;
        self.scope[f.index()] = None;
        self.actor[f.index()] = None;
        self.decided_at[f.index()] = None;
    }

    fn policy_status(&self) -> PolicyStatus {
        match self.policy {
            _ if !self.policy_step => PolicyStatus::NotRequired,
            None => PolicyStatus::NotAsked,
            Some((true, _, actor, _)) if self.needs_guardian(Some(actor)) => {
                PolicyStatus::NeedsReconsent
            }
            Some((true, r, ..)) if r == self.revision => PolicyStatus::Agreed,
            Some((false, r, ..)) if r == self.revision => PolicyStatus::Declined,
            Some((true, ..)) => PolicyStatus::NeedsReconsent,
            Some((false, ..)) => PolicyStatus::NotAsked,
        }
    }

    fn basic_mode(&self) -> bool {
        !matches!(
            self.policy_status(),
            PolicyStatus::NotRequired | PolicyStatus::Agreed
        )
    }

    fn consented(&self, f: Feature) -> bool {
        self.status[f.index()] == ConsentStatus::Granted && !denied(self.os[f.index()])
    }

    fn sdk_block(&self, sdk: usize) -> Option<SdkBlock> {
        let Some((_, requires, not_for_minors)) = SDKS.get(sdk) else {
            return Some(SdkBlock::UnknownSdk);
        };
        if self.basic_mode() {
            return Some(SdkBlock::PolicyNotAgreed);
        }
        if self.minor && (*not_for_minors || requires.contains(&Feature::AdPersonalization)) {
            return Some(SdkBlock::Minor);
        }
        requires
            .iter()
            .find(|f| !self.consented(**f))
            .map(|&feature| SdkBlock::FeatureNotGranted { feature })
    }

    fn ad_signals(&self) -> (bool, bool, bool) {
        let personal =
            !self.basic_mode() && self.consented(Feature::AdPersonalization) && !self.minor;
        let agreed = self.policy_status() == PolicyStatus::Agreed;
        (personal, personal || (agreed && !self.minor), agreed)
    }

    fn allowed(&self, f: Feature) -> bool {
        self.status[f.index()] == ConsentStatus::Granted
            && !denied(self.os[f.index()])
            && !self.needs_guardian(self.actor[f.index()])
            && self.sessions.contains(&f)
    }

    /// Ends session `i`; a single-use grant that still stands is used up once no session of
    /// its feature is left open.
    fn end(&mut self, i: usize, grant_stands: bool) {
        let f = self.sessions.remove(i);
        // The motion sensors are used only while the camera shoots: its last session ends theirs.
        if f == Feature::Camera && !self.sessions.contains(&Feature::Camera) {
            self.end_where(true, |g| g == Feature::MotionSensors);
        }
        if grant_stands
            && self.status[f.index()] == ConsentStatus::Granted
            && self.scope[f.index()] == Some(GrantScope::Once)
            && !self.sessions.contains(&f)
        {
            self.reset(f);
        }
    }

    /// A single-use grant with no session open lapses (background, close).
    fn lapse_unused_once_grants(&mut self) {
        for f in Feature::ALL {
            if self.status[f.index()] == ConsentStatus::Granted
                && self.scope[f.index()] == Some(GrantScope::Once)
                && !self.sessions.contains(&f)
            {
                self.reset(f);
            }
        }
    }

    fn end_where(&mut self, grant_stands: bool, which: impl Fn(Feature) -> bool) {
        while let Some(i) = self.sessions.iter().position(|f| which(*f)) {
            self.end(i, grant_stands);
        }
    }

    fn expected_refusal(&self, f: Feature, purpose: u8) -> Option<&'static str> {
        let i = f.index();
        Some(match purpose {
            2 => "invalid",
            1 => "unknown_purpose",
            3 if !self.added[i] => "unknown_purpose",
            _ if self.basic_mode() => "policy_not_agreed",
            _ => match self.status[i] {
                ConsentStatus::NotAsked => "consent_required",
                ConsentStatus::Denied => "denied",
                ConsentStatus::NeedsReconsent => "needs_reconsent",
                ConsentStatus::Granted if self.needs_guardian(self.actor[i]) => "guardian_required",
                ConsentStatus::Granted if denied(self.os[i]) => "os_denied",
                ConsentStatus::Granted if !self.foreground && f.ends_in_background() => {
                    "background"
                }
                ConsentStatus::Granted
                    if !self.covered[i]
                        .iter()
                        .any(|p| *p == purpose_for(f, purpose)) =>
                {
                    "consent_required"
                }
                ConsentStatus::Granted
                    if self.scope[i] == Some(GrantScope::Once) && self.sessions.contains(&f) =>
                {
                    "single_use"
                }
                ConsentStatus::Granted
                    if f == Feature::MotionSensors && !self.sessions.contains(&Feature::Camera) =>
                {
                    "only_during"
                }
                ConsentStatus::Granted => return None,
            },
        })
    }
}

fn refusal_name(e: &ConsentError) -> &'static str {
    match e {
        ConsentError::InvalidArgument { .. } => "invalid",
        ConsentError::UnknownPurpose { .. } => "unknown_purpose",
        ConsentError::ConsentRequired { .. } => "consent_required",
        ConsentError::Denied { .. } => "denied",
        ConsentError::NeedsReconsent { .. } => "needs_reconsent",
        ConsentError::OsPermissionDenied { .. } => "os_denied",
        ConsentError::InBackground { .. } => "background",
        ConsentError::SingleUseInProgress { .. } => "single_use",
        ConsentError::PolicyNotAgreed { .. } => "policy_not_agreed",
        ConsentError::OnlyDuring { .. } => "only_during",
        ConsentError::GuardianRequired { .. } => "guardian_required",
        ConsentError::NotPermitted { .. } => "not_permitted",
        other => panic!("unexpected error {other:?}"),
    }
}

fn purpose_for(f: Feature, choice: u8) -> String {
    match choice {
        0 => f.default_purposes()[0].to_string(),
        1 => "not_declared_anywhere".to_string(),
        3 => ADDED.to_string(),
        4 => f
            .default_purposes()
            .get(1)
            .unwrap_or(&f.default_purposes()[0])
            .to_string(),
        _ => "Not A Purpose!".to_string(),
    }
}

fn run(policy_step: bool, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let opts = checkpointing(&clock, 7);
    let mut model = Model::new(policy_step);
    let open = |model: &Model| {
        let config = app_config(model.policy_step, model.revision, &model.added);
        ConsentStore::open_with(dir.path(), Some(config), opts.clone()).unwrap()
    };
    let mut store = open(&model);
    let mut handles: Vec<Arc<UseSession>> = Vec::new();

    for op in ops {
        clock.advance(10);
        match op.clone() {
            Op::Grant(f, scope, actor) => {
                let result = store.grant(f, scope, actor);
                if let Some(why) = model.grant_refusal(actor) {
                    prop_assert_eq!(result.err().as_ref().map(refusal_name), Some(why));
                } else {
                    result.unwrap();
                    let all = declared(f, model.added[f.index()]);
                    model.granted(f, scope, all, actor, clock.now_ms());
                }
            }
            Op::GrantPurposes(f, mask, scope, actor) => {
                let i = f.index();
                let all = declared(f, model.added[i]);
                let picked: Vec<String> = all
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| mask & (1 << bit) != 0)
                    .map(|(_, p)| p.clone())
                    .collect();
                let result = store.grant_purposes(f, picked.clone(), scope, actor);
                if picked.is_empty() {
                    let refused = matches!(result, Err(ConsentError::InvalidArgument { .. }));
                    prop_assert!(refused, "no purpose picked");
                } else if let Some(why) = model.grant_refusal(actor) {
                    prop_assert_eq!(result.err().as_ref().map(refusal_name), Some(why));
                } else {
                    result.unwrap();
                    let standing =
                        model.status[i] == ConsentStatus::Granted && model.scope[i] == Some(scope);
                    let before = if standing {
                        model.covered[i].clone()
                    } else {
                        Vec::new()
                    };
                    let covered = all
                        .into_iter()
                        .filter(|p| picked.contains(p) || before.contains(p))
                        .collect();
                    model.granted(f, scope, covered, actor, clock.now_ms());
                }
            }
            Op::Deny(f, actor) | Op::Revoke(f, actor) => {
                let deny = matches!(op, Op::Deny(..));
                let before = model.status[f.index()];
                if deny {
                    store.deny(f, actor).unwrap();
                } else {
                    store.revoke(f, actor).unwrap();
                }
                // A "no" to what is already "no", or withdrawing what was never given,
                // changes nothing.
                let changes = if deny {
                    before != ConsentStatus::Denied
                } else {
                    matches!(
                        before,
                        ConsentStatus::Granted | ConsentStatus::NeedsReconsent
                    )
                };
                if changes {
                    model.end_where(false, |g| g == f);
                    model.decided(f, ConsentStatus::Denied, actor, clock.now_ms());
                    model.scope[f.index()] = None;
                }
            }
            Op::BeginUse(f, choice) => {
                let expected = model.expected_refusal(f, choice);
                match store.begin_use(f, purpose_for(f, choice)) {
                    Ok(session) => {
                        prop_assert_eq!(expected, None, "{:?} should have been refused", op);
                        handles.push(session);
                        model.sessions.push(f);
                    }
                    Err(e) => prop_assert_eq!(Some(refusal_name(&e)), expected, "{:?}", op),
                }
            }
            Op::End(i) | Op::Release(i) => {
                if i < handles.len() {
                    let handle = handles.remove(i);
                    if matches!(op, Op::End(_)) {
                        handle.end().unwrap();
                    }
                    drop(handle);
                    model.end(i, true);
                }
            }
            Op::Foreground(fg) => {
                store.set_foreground(fg).unwrap();
                if !fg && model.foreground {
                    model.end_where(true, |f| f.ends_in_background());
                    model.lapse_unused_once_grants();
                }
                model.foreground = fg;
            }
            Op::Os(f, p) => {
                let result = store.set_os_permission(f, p);
                if p == OsPermission::Limited && f != Feature::PhotoLibrary {
                    let refused = matches!(result, Err(ConsentError::InvalidArgument { .. }));
                    prop_assert!(refused, "Limited applies only to the photo library");
                } else {
                    result.unwrap();
                    if denied(p) && !denied(model.os[f.index()]) {
                        model.end_where(true, |g| g == f);
                    }
                    model.os[f.index()] = p;
                }
            }
            Op::Reopen | Op::NewPolicyRevision | Op::DeclarePurpose(_) => {
                store.close().unwrap();
                handles.clear();
                model.end_where(true, |_| true);
                model.lapse_unused_once_grants();
                match op {
                    Op::NewPolicyRevision => model.revision += 1,
                    Op::DeclarePurpose(f) => model.added[f.index()] = true,
                    _ => {}
                }
                store = open(&model);
                // As an app does at launch: report whether it is in the foreground (an
                // unrecorded switch is not remembered across processes).
                store.set_foreground(model.foreground).unwrap();
            }
            Op::AgreeToPolicy(actor) => {
                let result = store.agree_to_policy(actor);
                if !model.policy_step {
                    let refused = matches!(result, Err(ConsentError::InvalidArgument { .. }));
                    prop_assert!(refused, "no policy to agree to");
                } else if actor == Actor::App || !model.foreground {
                    let refused = matches!(result, Err(ConsentError::NotPermitted { .. }));
                    prop_assert!(refused, "only a person agrees, in the app's dialog");
                } else if model.needs_guardian(Some(actor)) {
                    let refused = matches!(result, Err(ConsentError::GuardianRequired { .. }));
                    prop_assert!(refused, "only a guardian agrees for a minor");
                } else {
                    result.unwrap();
                    if model.policy_status() != PolicyStatus::Agreed {
                        model.policy = Some((true, model.revision, actor, clock.now_ms()));
                    }
                }
            }
            Op::DeclinePolicy(actor) => {
                let result = store.decline_policy(actor);
                if !model.policy_step {
                    let refused = matches!(result, Err(ConsentError::InvalidArgument { .. }));
                    prop_assert!(refused, "no policy to decline");
                } else {
                    result.unwrap();
                    if model.policy_status() != PolicyStatus::Declined {
                        model.policy = Some((false, model.revision, actor, clock.now_ms()));
                        model.end_where(true, |_| true);
                    }
                }
            }
            Op::SdkStarted(i) => {
                let id = SDKS.get(i).map_or("undeclared", |s| s.0);
                let expected = model.sdk_block(i);
                match store.sdk_started(id.into()) {
                    Ok(()) => prop_assert_eq!(expected, None, "{:?}", op),
                    Err(ConsentError::SdkBlocked { reason, .. }) => {
                        prop_assert_eq!(Some(reason), expected, "{:?}", op)
                    }
                    Err(other) => prop_assert!(false, "{:?}: {:?}", op, other),
                }
            }
            Op::Wait => clock.advance(24 * 60 * 60 * 1000),
            Op::Compact => {
                store.compact().unwrap();
            }
            Op::Age(i) => {
                let (lower, upper) = AGES[i];
                let signal = AgeSignal {
                    lower,
                    upper,
                    source: AgeSource::OsAgeRange,
                };
                store.set_age_signal(signal).unwrap();
                model.minor = lower < 14;
                // Uses resting on consent that was not a guardian's end at once.
                let blocked: Vec<Feature> = Feature::ALL
                    .into_iter()
                    .filter(|f| model.minor_blocks(*f))
                    .collect();
                model.end_where(true, |f| blocked.contains(&f));
            }
        }
        // Sessions the store ended by rule are gone from the model: exactly the handles
        // still active must remain, in the same order.
        handles.retain(|h| h.is_active());
        let open: Vec<Feature> = handles.iter().map(|h| h.feature()).collect();
        prop_assert_eq!(&open, &model.sessions, "after {:?}", op);
        for f in Feature::ALL {
            let state = store.state(f);
            prop_assert_eq!(
                state.status,
                model.status[f.index()],
                "{:?} after {:?}",
                f,
                op
            );
            prop_assert_eq!(
                state.scope,
                model.scope[f.index()],
                "{:?} after {:?}",
                f,
                op
            );
            prop_assert_eq!(state.os_permission, model.os[f.index()]);
            if state.status == ConsentStatus::Granted {
                prop_assert_eq!(
                    &state.granted_purposes,
                    &model.covered[f.index()],
                    "{:?} after {:?}",
                    f,
                    op
                );
            } else {
                prop_assert!(state.granted_purposes.is_empty());
            }
            prop_assert_eq!(
                store.is_allowed(f),
                model.allowed(f),
                "{:?} after {:?}",
                f,
                op
            );
            prop_assert_eq!(state.allowed, model.allowed(f));
            prop_assert_eq!(
                state.active_sessions as usize,
                model.sessions.iter().filter(|g| **g == f).count()
            );
        }
        compare_app_wide(&store, &model, &op, clock.now_ms())?;
    }
    prop_assert!(store.verify().unwrap().intact);
    Ok(())
}

/// The policy, every SDK's status and the ad signals, against the model.
fn compare_app_wide(
    store: &ConsentStore,
    model: &Model,
    op: &Op,
    now: i64,
) -> Result<(), TestCaseError> {
    for f in Feature::ALL {
        prop_assert_eq!(
            store.prompt_advice(f),
            model.advice(f, now),
            "{:?} after {:?}",
            f,
            op
        );
    }
    prop_assert_eq!(
        store.policy_prompt_advice(),
        model.policy_advice(now),
        "after {:?}",
        op
    );
    let policy = store.policy_state();
    prop_assert_eq!(policy.status, model.policy_status(), "after {:?}", op);
    prop_assert_eq!(policy.basic_mode, model.basic_mode());
    for (i, (id, ..)) in SDKS.iter().enumerate() {
        let status = store.sdk_status(id.to_string());
        prop_assert_eq!(
            status.blocked_by,
            model.sdk_block(i),
            "{} after {:?}",
            id,
            op
        );
    }
    let ads = store.ad_signals();
    let (personal, storage, analytics) = model.ad_signals();
    let granted = |s: ConsentSignal| s == ConsentSignal::Granted;
    prop_assert_eq!(ads.personalized_ads, personal, "after {:?}", op);
    prop_assert_eq!(granted(ads.ad_personalization), personal);
    prop_assert_eq!(granted(ads.ad_user_data), personal);
    prop_assert_eq!(granted(ads.ad_storage), storage, "after {:?}", op);
    prop_assert_eq!(granted(ads.analytics_storage), analytics);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn the_store_behaves_like_the_reference_model(
        policy_step in any::<bool>(),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        run(policy_step, ops)?;
    }
}
