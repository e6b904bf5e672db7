//! Model-based property test: random operation sequences against a plain reference model, compared after every step.

mod common;

use std::sync::Arc;

use common::*;
use consentkit::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Grant(Feature, GrantScope, Actor),
    Deny(Feature, Actor),
    Revoke(Feature, Actor),
    /// 0: a declared purpose, 1: well-formed but undeclared, 2: malformed.
    BeginUse(Feature, u8),
    End(usize),
    Release(usize),
    Foreground(bool),
    Os(Feature, OsPermission),
    Reopen,
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
        5 => (feature(), prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)])
            .prop_map(|(f, p)| Op::BeginUse(f, p)),
        2 => (0..4usize).prop_map(Op::End),
        1 => (0..4usize).prop_map(Op::Release),
        1 => any::<bool>().prop_map(Op::Foreground),
        1 => (feature(), prop_oneof![
                Just(OsPermission::Unknown), Just(OsPermission::Granted),
                Just(OsPermission::Limited), Just(OsPermission::Denied)])
            .prop_map(|(f, p)| Op::Os(f, p)),
        1 => Just(Op::Reopen),
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
}

impl Model {
    fn new() -> Model {
        Model {
            status: [ConsentStatus::NotAsked; 6],
            scope: [None; 6],
            os: [OsPermission::Unknown; 6],
            foreground: true,
            sessions: Vec::new(),
        }
    }

    fn allowed(&self, f: Feature) -> bool {
        self.status[f.index()] == ConsentStatus::Granted
            && self.os[f.index()] != OsPermission::Denied
            && self.sessions.contains(&f)
    }

    /// Ends session `i`; a single-use grant that still stands is used up once no session of
    /// its feature is left open.
    fn end(&mut self, i: usize, grant_stands: bool) {
        let f = self.sessions.remove(i);
        if grant_stands
            && self.status[f.index()] == ConsentStatus::Granted
            && self.scope[f.index()] == Some(GrantScope::Once)
            && !self.sessions.contains(&f)
        {
            self.status[f.index()] = ConsentStatus::NotAsked;
            self.scope[f.index()] = None;
        }
    }

    /// A single-use grant with no session open lapses (background, close).
    fn lapse_unused_once_grants(&mut self) {
        for f in Feature::ALL {
            if self.status[f.index()] == ConsentStatus::Granted
                && self.scope[f.index()] == Some(GrantScope::Once)
                && !self.sessions.contains(&f)
            {
                self.status[f.index()] = ConsentStatus::NotAsked;
                self.scope[f.index()] = None;
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
            _ => match self.status[i] {
                ConsentStatus::NotAsked => "consent_required",
                ConsentStatus::Denied => "denied",
                ConsentStatus::NeedsReconsent => "needs_reconsent",
                ConsentStatus::Granted if self.os[i] == OsPermission::Denied => "os_denied",
                ConsentStatus::Granted if !self.foreground && f.ends_in_background() => {
                    "background"
                }
                ConsentStatus::Granted
                    if self.scope[i] == Some(GrantScope::Once) && self.sessions.contains(&f) =>
                {
                    "single_use"
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
        other => panic!("unexpected error {other:?}"),
    }
}

fn purpose_for(f: Feature, choice: u8) -> String {
    match choice {
        0 => f.default_purposes()[0].to_string(),
        1 => "not_declared_anywhere".to_string(),
        _ => "Not A Purpose!".to_string(),
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let opts = checkpointing(&clock, 7);
    let mut store = ConsentStore::open_with(dir.path(), Some(config()), opts.clone()).unwrap();
    let mut model = Model::new();
    let mut handles: Vec<Arc<UseSession>> = Vec::new();

    for op in ops {
        clock.advance(10);
        match op.clone() {
            Op::Grant(f, scope, actor) => {
                let result = store.grant(f, scope, actor);
                if actor == Actor::App {
                    let refused = matches!(result, Err(ConsentError::NotPermitted { .. }));
                    prop_assert!(refused, "the app must not grant");
                } else if !model.foreground {
                    let refused = matches!(result, Err(ConsentError::InBackground { .. }));
                    prop_assert!(refused, "nobody is asked in the background");
                } else {
                    result.unwrap();
                    model.status[f.index()] = ConsentStatus::Granted;
                    model.scope[f.index()] = Some(scope);
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
                    model.status[f.index()] = ConsentStatus::Denied;
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
                    if p == OsPermission::Denied && model.os[f.index()] != p {
                        model.end_where(true, |g| g == f);
                    }
                    model.os[f.index()] = p;
                }
            }
            Op::Reopen => {
                store.close().unwrap();
                handles.clear();
                model.end_where(true, |_| true);
                model.lapse_unused_once_grants();
                store = ConsentStore::open_with(dir.path(), Some(config()), opts.clone()).unwrap();
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
    }
    prop_assert!(store.verify().unwrap().intact);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_store_behaves_like_the_reference_model(ops in prop::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
