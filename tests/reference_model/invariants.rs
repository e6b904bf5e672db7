//! The safety invariants I1, I2, I3 and I5 as plain statements over the store's answers and what the test itself saw accepted — not over the model's transitions.

use consentkit::*;
use proptest::prelude::*;

use crate::model::{denied, rank, AppConfig, Sdk};

/// A decision about a feature the store accepted (or, for a "no", took in memory while its
/// record could not be written).
#[derive(Clone, Debug)]
pub struct Decided {
    pub yes: bool,
    pub actor: Actor,
    pub purposes: Vec<String>,
    /// The terms in force when it was made.
    pub revision: u32,
    pub only_during: Option<Feature>,
    /// A guardian's, while the store counted the person as a minor.
    pub guardian_for_a_minor: bool,
    /// When, in the history's order.
    pub at: usize,
}

/// An agreement to (or decline of) the policy the store accepted.
#[derive(Clone, Debug)]
pub struct PolicyEvent {
    pub agreed: bool,
    pub actor: Actor,
    pub revision: u32,
    pub sdks: Vec<Sdk>,
    /// A guardian's, while the store counted the person as a minor.
    pub guardian_for_a_minor: bool,
    /// When, in the history's order.
    pub at: usize,
}

/// What the test saw accepted, in order, in the current chain.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub decisions: Vec<Vec<Decided>>,
    pub policy: Vec<PolicyEvent>,
    pub ages: Vec<AgeSignal>,
    /// Whether the app said, in this process, that it is in the foreground.
    pub foreground: bool,
    pub os: Vec<OsPermission>,
    pub os_refused_at: Vec<Option<i64>>,
    /// Events so far: orders decisions and age signals.
    pub events: usize,
    /// When age signals of a guardian's standing saying adult were accepted.
    pub adult_by_standing: Vec<usize>,
}

impl History {
    pub fn new() -> History {
        History {
            decisions: vec![Vec::new(); 6],
            os: vec![OsPermission::Unknown; 6],
            os_refused_at: vec![None; 6],
            ..History::default()
        }
    }

    pub fn decided(
        &mut self,
        f: Feature,
        (yes, actor, minor): (bool, Actor, bool),
        purposes: Vec<String>,
        cfg: &AppConfig,
    ) {
        let terms = cfg.terms(f);
        let at = self.next();
        self.decisions[f.index()].push(Decided {
            yes,
            actor,
            purposes,
            revision: terms.revision,
            only_during: terms.only_during,
            guardian_for_a_minor: actor == Actor::Guardian && minor,
            at,
        });
    }

    /// The next event's place in the order.
    pub fn next(&mut self) -> usize {
        self.events += 1;
        self.events
    }

    /// An accepted age signal; `adult` when it says the person is an adult.
    pub fn age(&mut self, signal: AgeSignal, adult: bool) {
        self.ages.push(signal);
        let at = self.next();
        if adult && rank(signal.source) >= 1 {
            self.adult_by_standing.push(at);
        }
    }

    /// Whether `actor`'s decision may count over `no`: a guardian's "no" for a minor stands
    /// until a guardian decides again, or a signal of a guardian's standing arrives saying the
    /// person is an adult (I2).
    pub fn may_override(&self, no: Option<(bool, usize)>, actor: Actor) -> bool {
        match no {
            Some((true, at)) => {
                actor == Actor::Guardian || self.adult_by_standing.iter().any(|&a| a > at)
            }
            _ => true,
        }
    }

    /// An erasure: a new chain, where nothing was decided yet; what the OS says (refused as of
    /// `now`) and the age signals carry over.
    pub fn erased(&mut self, now: i64) {
        self.decisions = vec![Vec::new(); 6];
        self.policy.clear();
        for (p, at) in self.os.iter().zip(self.os_refused_at.iter_mut()) {
            if denied(*p) {
                *at = Some(now);
            }
        }
        self.next();
    }

    pub fn os_reported(&mut self, f: Feature, p: OsPermission, now: i64) {
        // An OS refusal stands until the OS says otherwise: "unknown" says nothing.
        if p == OsPermission::Unknown && denied(self.os[f.index()]) {
            return;
        }
        if p != self.os[f.index()] && denied(p) {
            self.os_refused_at[f.index()] = Some(now);
        }
        self.os[f.index()] = p;
    }

    /// The strongest age signal accepted: the last one from the highest-ranking source.
    pub fn strongest_age(&self) -> Option<AgeSignal> {
        let top = self.ages.iter().map(|a| rank(a.source)).max()?;
        self.ages
            .iter()
            .rev()
            .find(|a| rank(a.source) == top)
            .copied()
    }
}

/// Whether the catalogue `now` is within what was agreed to (`then`).
pub fn covered(then: &[Sdk], now: &[Sdk]) -> bool {
    now.iter().all(|sdk| covered_sdk(then, sdk))
}

pub fn covered_sdk(then: &[Sdk], sdk: &Sdk) -> bool {
    then.iter().any(|a| {
        a.id == sdk.id
            && a.requires.iter().all(|f| sdk.requires.contains(f))
            && (!a.not_for_minors || sdk.not_for_minors)
    })
}

/// Whether the store, by its own answers, treats the person as a minor.
pub fn minor_now(store: &ConsentStore, cfg: &AppConfig) -> bool {
    match store.age_signal() {
        Some(signal) => signal.lower < cfg.age_of_consent(),
        None => cfg.unknown_age_is_minor,
    }
}

/// I1 (with I3's content of terms and I5's foreground) for every feature the store allows;
/// I2 for the age signal in force; I5 for the advice while the OS refuses.
pub fn check(
    store: &ConsentStore,
    history: &History,
    cfg: &AppConfig,
    open_purposes: &[(Feature, String)],
    now: i64,
) -> Result<(), TestCaseError> {
    let minor = minor_now(store, cfg);
    // I3 by the store's own words: what it calls granted or agreed is covered as it is now.
    for f in Feature::ALL {
        let state = store.state(f);
        if state.status != ConsentStatus::Granted {
            continue;
        }
        let terms = cfg.terms(f);
        let decisions = &history.decisions[f.index()];
        let since_no = decisions.iter().rposition(|d| !d.yes).map_or(0, |i| i + 1);
        let under_these_terms = |p: &String| {
            decisions[since_no..].iter().any(|y| {
                y.purposes.contains(p)
                    && y.revision == terms.revision
                    && y.only_during.is_none_or(|d| terms.only_during == Some(d))
            })
        };
        prop_assert!(
            state
                .granted_purposes
                .iter()
                .chain(&state.single_use_purposes)
                .all(under_these_terms),
            "I3: {f:?} reads granted for {:?} + {:?}, not all covered by a yes under its terms now ({terms:?}): {decisions:?}",
            state.granted_purposes,
            state.single_use_purposes
        );
    }
    if let (Some(revision), PolicyStatus::Agreed) =
        (cfg.policy_revision, store.policy_state().status)
    {
        let last = history.policy.last();
        prop_assert!(
            last.is_some_and(|p| p.agreed && p.revision == revision && covered(&p.sdks, &cfg.sdks)),
            "I3: the policy reads agreed, but no agreement covers it as it is now: {last:?}, catalogue {:?}",
            cfg.sdks
        );
    }
    for f in Feature::ALL {
        if !store.is_allowed(f) {
            continue;
        }
        let terms = cfg.terms(f);
        prop_assert!(
            history.foreground || !f.ends_in_background(),
            "I5: {f:?} allowed in a process never told it is in the foreground"
        );
        prop_assert!(
            !denied(history.os[f.index()]),
            "{f:?} allowed while the OS refuses"
        );
        let state = store.state(f);
        prop_assert_eq!(state.status, ConsentStatus::Granted);
        prop_assert!(
            matches!(state.decided_by, Some(Actor::User | Actor::Guardian)),
            "I1: {f:?} allowed on a decision by {:?}",
            state.decided_by
        );
        let decisions = &history.decisions[f.index()];
        let since_no = decisions.iter().rposition(|d| !d.yes).map_or(0, |i| i + 1);
        let yeses = &decisions[since_no..];
        prop_assert!(
            !yeses.is_empty(),
            "I1: {f:?} allowed, but the last decision about it was a no: {decisions:?}"
        );
        let last_no = (since_no > 0).then(|| {
            let no = &decisions[since_no - 1];
            (no.guardian_for_a_minor, no.at)
        });
        // Some open session's purpose is covered by a yes, under these terms, by a person
        // with standing now.
        let covered_use = open_purposes.iter().filter(|(g, _)| *g == f).any(|(_, p)| {
            terms.purposes.contains(p)
                && yeses.iter().any(|y| {
                    y.purposes.contains(p)
                        && y.revision == terms.revision
                        && y.only_during.is_none_or(|d| terms.only_during == Some(d))
                        && (!minor || y.actor == Actor::Guardian)
                        && history.may_override(last_no, y.actor)
                })
        });
        prop_assert!(
            covered_use,
            "I1/I3: {f:?} allowed, but no open use is covered by a yes under these terms with standing: {yeses:?}, open {open_purposes:?}, terms {terms:?}, minor {minor}"
        );
        if let Some(revision) = cfg.policy_revision {
            let last = history.policy.last();
            let before = history.policy.iter().rev().nth(1);
            let last_no = before
                .filter(|p| !p.agreed)
                .map(|p| (p.guardian_for_a_minor, p.at));
            prop_assert!(
                last.is_some_and(|p| p.agreed
                    && p.revision == revision
                    && covered(&p.sdks, &cfg.sdks)
                    && (!minor || p.actor == Actor::Guardian)
                    && history.may_override(last_no, p.actor)),
                "I1/I2/I3: {f:?} allowed without an agreement to the policy in its current content, by someone with standing: {last:?} after {before:?}"
            );
        }
    }
    check_age(store, history)?;
    for f in Feature::ALL {
        if denied(history.os[f.index()]) {
            let advice = store.prompt_advice(f);
            prop_assert_ne!(
                advice,
                PromptAdvice::NoNeed,
                "I5: {:?} while the OS refuses",
                f
            );
            let period = cfg.reprompt_after_ms as i64;
            let quiet = history.os_refused_at[f.index()]
                .is_some_and(|at| period > 0 && now < at.min(now) + period);
            if quiet && advice != PromptAdvice::AgreeToPolicyFirst {
                prop_assert!(
                    matches!(advice, PromptAdvice::NotNow { .. }),
                    "I5: an OS refusal starts the quiet period, got {advice:?} for {f:?}"
                );
            }
        }
    }
    Ok(())
}

/// I2: the signal in force is never looser than the strongest-standing one accepted, and is
/// either that signal or a tighter one from a weaker source that came after it.
fn check_age(store: &ConsentStore, history: &History) -> Result<(), TestCaseError> {
    let in_force = store.age_signal();
    let Some(strongest) = history.strongest_age() else {
        prop_assert_eq!(in_force, None);
        return Ok(());
    };
    let Some(in_force) = in_force else {
        return Err(TestCaseError::fail(
            "I2: an accepted age signal was forgotten",
        ));
    };
    prop_assert!(
        in_force.lower <= strongest.lower,
        "I2: {in_force:?} in force is looser than {strongest:?}"
    );
    let after = history
        .ages
        .iter()
        .rposition(|a| *a == strongest)
        .map_or(0, |i| i + 1);
    prop_assert!(
        in_force == strongest
            || history.ages[after..]
                .iter()
                .any(|a| *a == in_force && rank(a.source) < rank(strongest.source)),
        "I2: {in_force:?} in force is neither the strongest signal {strongest:?} nor a weaker, tighter one after it: {:?}",
        history.ages
    );
    Ok(())
}

/// I2 at the call: a refused signal is one from a weaker source that would loosen.
pub fn check_age_refusal(
    history: &History,
    in_force: Option<AgeSignal>,
    signal: AgeSignal,
) -> Result<(), TestCaseError> {
    let strongest = history.strongest_age();
    prop_assert!(
        strongest.is_some_and(|s| rank(signal.source) < rank(s.source))
            && in_force.is_some_and(|a| signal.lower >= a.lower),
        "I2: {signal:?} refused, though it neither comes from a weaker source nor loosens ({strongest:?}, in force {in_force:?})"
    );
    Ok(())
}

/// I3 at an SDK's start: the agreement covers the SDK as declared now.
pub fn check_sdk_start(history: &History, cfg: &AppConfig, id: &str) -> Result<(), TestCaseError> {
    let Some(revision) = cfg.policy_revision else {
        return Ok(());
    };
    let declared = cfg.sdk(id).expect("only declared SDKs start");
    let last = history.policy.last();
    prop_assert!(
        last.is_some_and(|p| p.agreed && p.revision == revision && covered_sdk(&p.sdks, declared)),
        "I3: {id} started without an agreement covering it as declared now ({declared:?}): {last:?}"
    );
    Ok(())
}
