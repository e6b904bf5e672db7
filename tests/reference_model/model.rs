//! The reference: the rules written as plainly as possible, over an app config that changes between launches.
//!
//! Over 400 lines: an independent model of every rule the store enforces, written apart from the library on purpose — one function per verb.

use consentkit::*;

pub const HOUR: u64 = 60 * 60 * 1000;
pub const DAY: u64 = 24 * HOUR;

/// A feature's terms as the app's config declares them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    pub purposes: Vec<String>,
    pub revision: u32,
    pub only_during: Option<Feature>,
}

/// An SDK as the app's config declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sdk {
    pub id: &'static str,
    pub requires: Vec<Feature>,
    pub not_for_minors: bool,
}

/// Every SDK id the generated configs may declare, in a fixed order.
pub const SDK_IDS: [&str; 5] = ["ads", "ar_filters", "push", "retargeting", "tracker"];

/// Jurisdictions the generated configs move between, with their age of digital consent.
pub const JURISDICTIONS: [(&str, u32); 3] = [("CN", 14), ("DE", 16), ("GB", 13)];

/// The app's config, as the generated histories change it between launches.
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub terms: Vec<Terms>,
    pub policy_revision: Option<u32>,
    pub sdks: Vec<Sdk>,
    pub jurisdiction: usize,
    pub unknown_age_is_minor: bool,
    pub reprompt_after_ms: u64,
    pub retention_days: u32,
}

impl AppConfig {
    /// A camera app in China: built-in terms, four SDKs, the policy step when asked for.
    pub fn new(policy_step: bool) -> AppConfig {
        AppConfig {
            terms: Feature::ALL
                .into_iter()
                .map(|f| Terms {
                    purposes: f.default_purposes().iter().map(|p| p.to_string()).collect(),
                    revision: 1,
                    only_during: (f == Feature::MotionSensors).then_some(Feature::Camera),
                })
                .collect(),
            policy_revision: policy_step.then_some(1),
            sdks: vec![
                sdk("ads", &[], true),
                sdk("ar_filters", &[Feature::Camera], false),
                sdk("push", &[], false),
                sdk("retargeting", &[Feature::AdPersonalization], false),
            ],
            jurisdiction: 0,
            unknown_age_is_minor: false,
            reprompt_after_ms: 48 * HOUR,
            retention_days: 1,
        }
    }

    pub fn terms(&self, f: Feature) -> &Terms {
        &self.terms[f.index()]
    }

    pub fn age_of_consent(&self) -> u32 {
        JURISDICTIONS[self.jurisdiction].1
    }

    pub fn sdk(&self, id: &str) -> Option<&Sdk> {
        self.sdks.iter().find(|s| s.id == id)
    }

    /// The store's config for this app.
    pub fn config(&self) -> ConsentConfig {
        let mut config = ConsentConfig::new("com.example.camera");
        for f in Feature::ALL {
            let t = self.terms(f);
            config = config.with_policy(FeaturePolicy {
                feature: f,
                purposes: t.purposes.clone(),
                terms_revision: t.revision,
                how_to_withdraw: None,
                only_during: t.only_during,
                name: None,
                purpose_texts: Vec::new(),
                pii_categories: Vec::new(),
            });
        }
        config.policy_revision = self.policy_revision;
        config.sdks = self
            .sdks
            .iter()
            .map(|s| SdkPolicy {
                id: s.id.into(),
                name: s.id.into(),
                vendor: "Example".into(),
                purpose: "Testing".into(),
                data_collected: vec![],
                requires: s.requires.clone(),
                privacy_policy_url: "https://example.com/privacy".into(),
                not_for_minors: s.not_for_minors,
            })
            .collect();
        config.jurisdiction = Some(JURISDICTIONS[self.jurisdiction].0.into());
        config.unknown_age_is_minor = self.unknown_age_is_minor;
        config.reprompt_after_ms = self.reprompt_after_ms;
        config.retention_days = self.retention_days;
        config
    }
}

pub fn sdk(id: &'static str, requires: &[Feature], not_for_minors: bool) -> Sdk {
    Sdk {
        id,
        requires: requires.to_vec(),
        not_for_minors,
    }
}

/// What a person (or the app) last decided about a feature.
#[derive(Clone, Debug, Default)]
pub struct Rec {
    pub status: Option<ConsentStatus>,
    pub scope: Option<GrantScope>,
    pub purposes: Vec<String>,
    pub actor: Option<Actor>,
    pub decided_at: Option<i64>,
    /// The terms the grant was given under.
    pub revision: u32,
    pub only_during: Option<Feature>,
    /// Single uses on top of a standing grant, and who gave them.
    pub single_use: Vec<String>,
    pub single_use_actor: Option<Actor>,
    /// A guardian's "no" for a minor.
    pub guardian_hold: bool,
}

impl Rec {
    pub fn status(&self) -> ConsentStatus {
        self.status.unwrap_or(ConsentStatus::NotAsked)
    }

    fn granted(&self) -> bool {
        self.status() == ConsentStatus::Granted
    }

    pub fn standing(&self) -> bool {
        self.granted() && self.scope == Some(GrantScope::UntilRevoked)
    }

    pub fn covers(&self, purpose: &str) -> bool {
        self.granted()
            && (self.purposes.iter().any(|p| p == purpose)
                || self.single_use.iter().any(|p| p == purpose))
    }

    pub fn rests_on_single_use(&self, purpose: &str) -> bool {
        self.granted()
            && (self.scope == Some(GrantScope::Once)
                || (!self.purposes.iter().any(|p| p == purpose)
                    && self.single_use.iter().any(|p| p == purpose)))
    }

    pub fn deciding_actor(&self, purpose: &str) -> Option<Actor> {
        if self.standing() && self.rests_on_single_use(purpose) {
            self.single_use_actor
        } else {
            self.actor
        }
    }

    fn has_single_use(&self) -> bool {
        self.granted() && (self.scope == Some(GrantScope::Once) || !self.single_use.is_empty())
    }

    /// A single use used up or lapsed.
    fn single_use_ends(&mut self) {
        if self.standing() {
            self.single_use.clear();
            self.single_use_actor = None;
        } else {
            *self = Rec::default();
        }
    }
}

/// The last decision about the privacy policy.
#[derive(Clone, Debug)]
pub struct PolicyRec {
    pub agreed: bool,
    pub revision: u32,
    pub actor: Actor,
    pub at: i64,
    pub sdks: Vec<Sdk>,
    /// A guardian's decline for a minor.
    pub guardian_hold: bool,
}

/// The rules written as plainly as possible.
#[derive(Clone, Debug)]
pub struct Model {
    pub cfg: AppConfig,
    pub rec: Vec<Rec>,
    pub os: [OsPermission; 6],
    pub os_refused_at: [Option<i64>; 6],
    /// Whether the app said, in this process, that it is in the foreground.
    pub foreground: bool,
    /// The open sessions, parallel to the test's handles.
    pub sessions: Vec<(Feature, String)>,
    pub policy: Option<PolicyRec>,
    pub age: Option<AgeSignal>,
    pub age_standing: Option<AgeSignal>,
}

pub fn rank(source: AgeSource) -> u8 {
    match source {
        AgeSource::Declared => 0,
        AgeSource::Guardian | AgeSource::OsAgeRange => 1,
    }
}

pub fn denied(p: OsPermission) -> bool {
    matches!(p, OsPermission::Denied | OsPermission::DeniedPermanently)
}

/// Refusals by name, as the test compares them.
pub type Outcome = Result<(), &'static str>;

impl Model {
    pub fn new(cfg: AppConfig) -> Model {
        Model {
            cfg,
            rec: vec![Rec::default(); 6],
            os: [OsPermission::Unknown; 6],
            os_refused_at: [None; 6],
            foreground: false,
            sessions: Vec::new(),
            policy: None,
            age: None,
            age_standing: None,
        }
    }

    pub fn rec(&self, f: Feature) -> &Rec {
        &self.rec[f.index()]
    }

    // ---- who may decide ----

    pub fn minor(&self) -> bool {
        match self.age {
            Some(signal) => signal.lower < self.cfg.age_of_consent(),
            None => self.cfg.unknown_age_is_minor,
        }
    }

    pub fn needs_guardian(&self, actor: Option<Actor>) -> bool {
        self.minor() && actor != Some(Actor::Guardian)
    }

    /// A guardian's "no" for a minor stands against `actor` until a guardian decides, or a
    /// signal of a guardian's standing arrives saying the person is an adult.
    pub fn hold_stands(&self, hold: bool, actor: Actor) -> bool {
        hold && actor != Actor::Guardian
    }

    // ---- the policy ----

    /// What the config now widens against the last agreement, if any.
    pub fn agreement_widened(&self) -> bool {
        match (&self.policy, self.cfg.policy_revision) {
            (Some(p), Some(current)) if p.agreed => {
                p.revision != current
                    || self.cfg.sdks.iter().any(|now| {
                        match p.sdks.iter().find(|a| a.id == now.id) {
                            None => true,
                            Some(then) => {
                                then.requires.iter().any(|f| !now.requires.contains(f))
                                    || (then.not_for_minors && !now.not_for_minors)
                            }
                        }
                    })
            }
            _ => false,
        }
    }

    pub fn policy_status(&self) -> PolicyStatus {
        let Some(current) = self.cfg.policy_revision else {
            return PolicyStatus::NotRequired;
        };
        match &self.policy {
            None => PolicyStatus::NotAsked,
            Some(p) if p.agreed && self.needs_guardian(Some(p.actor)) => {
                PolicyStatus::NeedsReconsent
            }
            Some(p) if p.agreed && !self.agreement_widened() => PolicyStatus::Agreed,
            Some(p) if p.agreed => PolicyStatus::NeedsReconsent,
            Some(p) if p.revision == current => PolicyStatus::Declined,
            Some(_) => PolicyStatus::NotAsked,
        }
    }

    pub fn basic_mode(&self) -> bool {
        !matches!(
            self.policy_status(),
            PolicyStatus::NotRequired | PolicyStatus::Agreed
        )
    }

    pub fn agree(&mut self, actor: Actor, now: i64) -> Outcome {
        let Some(revision) = self.cfg.policy_revision else {
            return Err("invalid");
        };
        if actor == Actor::App || !self.foreground {
            return Err("not_permitted");
        }
        let hold = self.policy.as_ref().is_some_and(|p| p.guardian_hold);
        if self.needs_guardian(Some(actor)) || self.hold_stands(hold, actor) {
            return Err("guardian_required");
        }
        if self.policy_status() != PolicyStatus::Agreed {
            self.policy = Some(PolicyRec {
                agreed: true,
                revision,
                actor,
                at: now,
                sdks: self.cfg.sdks.clone(),
                guardian_hold: false,
            });
        }
        Ok(())
    }

    pub fn decline(&mut self, actor: Actor, now: i64) -> Outcome {
        let Some(revision) = self.cfg.policy_revision else {
            return Err("invalid");
        };
        if self.policy_status() != PolicyStatus::Declined {
            self.policy = Some(PolicyRec {
                agreed: false,
                revision,
                actor,
                at: now,
                sdks: self.cfg.sdks.clone(),
                guardian_hold: actor == Actor::Guardian && self.minor(),
            });
            self.end_where(true, |_, _| true);
        }
        Ok(())
    }

    // ---- features ----

    fn grant_refusal(&self, f: Feature, scope: GrantScope, actor: Actor) -> Option<&'static str> {
        if actor == Actor::App {
            Some("not_permitted")
        } else if scope == GrantScope::Once && f == Feature::AdPersonalization {
            Some("invalid")
        } else if !self.foreground {
            Some("background")
        } else if self.basic_mode() {
            Some("policy_not_agreed")
        } else if self.needs_guardian(Some(actor))
            || self.hold_stands(self.rec(f).guardian_hold, actor)
        {
            Some("guardian_required")
        } else {
            None
        }
    }

    /// `grant_purposes` with the declared purposes `picked` (all of them for `grant`).
    pub fn grant(
        &mut self,
        f: Feature,
        picked: Vec<String>,
        scope: GrantScope,
        actor: Actor,
        now: i64,
    ) -> Outcome {
        if picked.is_empty() {
            return Err("invalid");
        }
        let terms = self.cfg.terms(f).clone();
        let rec = self.rec(f).clone();
        let adds = rec.granted()
            && rec.scope == Some(scope)
            && rec.actor == Some(actor)
            && rec.revision == terms.revision;
        let mut covered: Vec<String> = terms
            .purposes
            .iter()
            .filter(|p| picked.contains(p) || (adds && rec.purposes.contains(p)))
            .cloned()
            .collect();
        if let Some(why) = self.grant_refusal(f, scope, actor) {
            return Err(why);
        }
        let layered = scope == GrantScope::Once && rec.standing();
        if layered {
            covered = terms
                .purposes
                .iter()
                .filter(|p| {
                    let theirs = rec.single_use_actor == Some(actor) && rec.single_use.contains(p);
                    (covered.contains(p) || theirs) && !rec.purposes.contains(p)
                })
                .cloned()
                .collect();
            let same = covered == rec.single_use && rec.single_use_actor == Some(actor);
            if covered.is_empty() || same {
                return Ok(());
            }
            let rec = &mut self.rec[f.index()];
            rec.single_use = covered;
            rec.single_use_actor = Some(actor);
            return Ok(());
        }
        let same = rec.granted()
            && rec.scope == Some(scope)
            && rec.revision == terms.revision
            && rec.purposes == covered
            && (rec.actor == Some(actor) || rec.actor == Some(Actor::Guardian));
        if same {
            return Ok(());
        }
        let (pending, pending_actor) = match (rec.status(), rec.scope) {
            (ConsentStatus::Granted, Some(GrantScope::Once)) => (rec.purposes.clone(), rec.actor),
            (ConsentStatus::Granted, _) => (rec.single_use.clone(), rec.single_use_actor),
            _ => (Vec::new(), None),
        };
        let kept: Vec<String> = match scope {
            GrantScope::UntilRevoked => pending
                .into_iter()
                .filter(|p| !covered.contains(p))
                .collect(),
            GrantScope::Once => Vec::new(),
        };
        self.rec[f.index()] = Rec {
            status: Some(ConsentStatus::Granted),
            scope: Some(scope),
            purposes: covered,
            actor: Some(actor),
            decided_at: Some(now),
            revision: terms.revision,
            only_during: terms.only_during,
            single_use_actor: pending_actor.filter(|_| !kept.is_empty()),
            single_use: kept,
            guardian_hold: false,
        };
        Ok(())
    }

    /// A "no": a denial (`deny`) or a withdrawal. A guardian's denial over another's "no" is
    /// a decision of its own.
    pub fn no(&mut self, f: Feature, actor: Actor, deny: bool, now: i64) {
        let status = self.rec(f).status();
        let changes = if deny {
            let rec = self.rec(f);
            status != ConsentStatus::Denied
                || (actor == Actor::Guardian
                    && (rec.actor != Some(Actor::Guardian) || (self.minor() && !rec.guardian_hold)))
        } else {
            matches!(
                status,
                ConsentStatus::Granted | ConsentStatus::NeedsReconsent
            )
        };
        if changes {
            self.end_where(false, |g, _| g == f);
            self.rec[f.index()] = Rec {
                status: Some(ConsentStatus::Denied),
                actor: Some(actor),
                decided_at: Some(now),
                revision: self.cfg.terms(f).revision,
                guardian_hold: actor == Actor::Guardian && self.minor(),
                ..Rec::default()
            };
        }
    }

    pub fn use_refusal(&self, f: Feature, purpose: &str) -> Option<&'static str> {
        if !is_valid_purpose(purpose) {
            return Some("invalid");
        }
        let terms = self.cfg.terms(f);
        if !terms.purposes.iter().any(|p| p == purpose) {
            return Some("unknown_purpose");
        }
        if self.basic_mode() {
            return Some("policy_not_agreed");
        }
        let rec = self.rec(f);
        Some(match rec.status() {
            ConsentStatus::NotAsked => "consent_required",
            ConsentStatus::Denied => "denied",
            ConsentStatus::NeedsReconsent => "needs_reconsent",
            ConsentStatus::Granted
                if self.needs_guardian(rec.actor)
                    || self.needs_guardian(rec.deciding_actor(purpose)) =>
            {
                "guardian_required"
            }
            ConsentStatus::Granted if denied(self.os[f.index()]) => "os_denied",
            ConsentStatus::Granted if !self.foreground && f.ends_in_background() => "background",
            ConsentStatus::Granted if !rec.covers(purpose) => "consent_required",
            ConsentStatus::Granted
                if rec.rests_on_single_use(purpose)
                    && self
                        .sessions
                        .iter()
                        .any(|(g, p)| *g == f && rec.rests_on_single_use(p)) =>
            {
                "single_use"
            }
            ConsentStatus::Granted
                if terms
                    .only_during
                    .is_some_and(|d| !self.sessions.iter().any(|(g, _)| *g == d)) =>
            {
                "only_during"
            }
            ConsentStatus::Granted => return None,
        })
    }

    pub fn begin_use(&mut self, f: Feature, purpose: &str) -> Outcome {
        if let Some(why) = self.use_refusal(f, purpose) {
            return Err(why);
        }
        self.sessions.push((f, purpose.to_string()));
        Ok(())
    }

    /// Whether an open session still rests on consent that counts.
    pub fn session_counts(&self, f: Feature, purpose: &str) -> bool {
        let rec = self.rec(f);
        rec.covers(purpose)
            && !denied(self.os[f.index()])
            && !self.needs_guardian(rec.deciding_actor(purpose))
    }

    pub fn allowed(&self, f: Feature) -> bool {
        self.sessions
            .iter()
            .any(|(g, p)| *g == f && self.session_counts(f, p))
    }

    /// Ends session `i`, then those only used during a feature left with none; a single use
    /// that still stands is used up when no session resting on it is left.
    pub fn end(&mut self, i: usize, grant_stands: bool) {
        let (f, purpose) = self.sessions.remove(i);
        let rec = self.rec(f).clone();
        if grant_stands
            && rec.rests_on_single_use(&purpose)
            && !self
                .sessions
                .iter()
                .any(|(g, p)| *g == f && rec.rests_on_single_use(p))
        {
            self.rec[f.index()].single_use_ends();
        }
        self.end_dependents();
    }

    fn end_dependents(&mut self) {
        while let Some(i) = self.sessions.iter().position(|(g, _)| {
            self.cfg
                .terms(*g)
                .only_during
                .is_some_and(|d| !self.sessions.iter().any(|(h, _)| *h == d))
        }) {
            self.end(i, true);
        }
    }

    pub fn end_where(&mut self, grant_stands: bool, which: impl Fn(Feature, &str) -> bool) {
        while let Some(i) = self.sessions.iter().position(|(f, p)| which(*f, p)) {
            self.end(i, grant_stands);
        }
    }

    fn lapse_unused_single_uses(&mut self) {
        for f in Feature::ALL {
            let rec = self.rec(f).clone();
            let resting = self
                .sessions
                .iter()
                .any(|(g, p)| *g == f && rec.rests_on_single_use(p));
            if rec.has_single_use() && !resting {
                self.rec[f.index()].single_use_ends();
            }
        }
    }

    pub fn set_foreground(&mut self, foreground: bool) {
        if !foreground && self.foreground {
            self.end_where(true, |f, _| f.ends_in_background());
            self.lapse_unused_single_uses();
        }
        self.foreground = foreground;
    }

    pub fn set_os(&mut self, f: Feature, p: OsPermission, now: i64) -> Outcome {
        if p == OsPermission::Limited && f != Feature::PhotoLibrary {
            return Err("invalid");
        }
        let before = self.os[f.index()];
        // Not knowing never lifts a refusal the OS reported.
        if before == p || (p == OsPermission::Unknown && denied(before)) {
            return Ok(());
        }
        if denied(p) {
            self.os_refused_at[f.index()] = Some(now);
        }
        self.os[f.index()] = p;
        if denied(p) && !denied(before) {
            self.end_where(true, |g, _| g == f);
        }
        Ok(())
    }

    // ---- age ----

    pub fn set_age(&mut self, signal: AgeSignal) -> Outcome {
        if let Some(standing) = self.age_standing {
            let in_force = self.age.unwrap_or(standing);
            if rank(signal.source) < rank(standing.source) && signal.lower >= in_force.lower {
                return Err("not_permitted");
            }
        }
        if self.age == Some(signal) {
            return Ok(());
        }
        if self
            .age_standing
            .is_none_or(|s| rank(signal.source) >= rank(s.source))
        {
            self.age_standing = Some(signal);
        }
        self.age = Some(signal);
        if rank(signal.source) >= 1 && signal.lower >= self.cfg.age_of_consent() {
            self.rec.iter_mut().for_each(|r| r.guardian_hold = false);
            if let Some(p) = self.policy.as_mut() {
                p.guardian_hold = false;
            }
        }
        // Uses resting on consent that was not a guardian's end at once.
        let blocked: Vec<(Feature, String)> = self
            .sessions
            .iter()
            .filter(|(f, p)| {
                let rec = self.rec(*f);
                self.minor()
                    && (self.needs_guardian(rec.actor)
                        || self.needs_guardian(rec.deciding_actor(p))
                        || self.basic_mode())
            })
            .cloned()
            .collect();
        self.end_where(true, |f, p| blocked.iter().any(|(g, q)| *g == f && q == p));
        Ok(())
    }

    // ---- erasure ----

    /// Everything is withdrawn and forgotten: every session ends, every decision and the
    /// policy's go. What the OS says (a refusal as of `now`), the age signals, the foreground
    /// and the config carry over: none of them can turn anything on.
    pub fn erase(&mut self, now: i64) {
        self.sessions.clear();
        self.rec = vec![Rec::default(); 6];
        self.policy = None;
        for f in Feature::ALL {
            if denied(self.os[f.index()]) {
                self.os_refused_at[f.index()] = Some(now);
            }
        }
    }

    // ---- launches ----

    /// The store closes (or its process dies): every session ends, single uses go.
    pub fn close(&mut self) {
        self.end_where(true, |_, _| true);
        self.lapse_unused_single_uses();
        self.foreground = false;
    }

    /// Opens with `cfg`: a lowered revision (or a dropped policy step) is refused and changes
    /// nothing; otherwise grants whose terms widened need asking again.
    pub fn reconfigure(&mut self, cfg: AppConfig) -> Outcome {
        let lowered = Feature::ALL
            .into_iter()
            .any(|f| cfg.terms(f).revision < self.cfg.terms(f).revision)
            || match (self.cfg.policy_revision, cfg.policy_revision) {
                (Some(old), Some(new)) => new < old,
                (Some(_), None) => true,
                _ => false,
            };
        if lowered {
            return Err("invalid_config");
        }
        for f in Feature::ALL {
            let terms = cfg.terms(f);
            let rec = &mut self.rec[f.index()];
            let widened = rec.revision != terms.revision
                || rec
                    .only_during
                    .is_some_and(|d| terms.only_during != Some(d));
            if rec.status() == ConsentStatus::Granted && widened {
                rec.status = Some(ConsentStatus::NeedsReconsent);
                rec.single_use.clear();
                rec.single_use_actor = None;
            }
        }
        self.cfg = cfg;
        Ok(())
    }

    // ---- what the store advises and tells SDKs ----

    fn ask(&self, hold: bool) -> PromptAdvice {
        if self.minor() || self.hold_stands(hold, Actor::User) {
            PromptAdvice::AskGuardian
        } else {
            PromptAdvice::Ask
        }
    }

    fn quiet(&self, decided: Option<i64>, now: i64) -> Option<PromptAdvice> {
        let period = self.cfg.reprompt_after_ms as i64;
        let until = decided?.min(now) + period;
        (period > 0 && now < until).then_some(PromptAdvice::NotNow { until_ms: until })
    }

    pub fn advice(&self, f: Feature, now: i64) -> PromptAdvice {
        if self.basic_mode() {
            return PromptAdvice::AgreeToPolicyFirst;
        }
        let rec = self.rec(f);
        let by_person = matches!(rec.actor, Some(Actor::User | Actor::Guardian));
        if rec.status() == ConsentStatus::Denied && by_person {
            if let Some(quiet) = self.quiet(rec.decided_at, now) {
                return quiet;
            }
        }
        let os = self.os[f.index()];
        if denied(os) {
            if let Some(quiet) = self.quiet(self.os_refused_at[f.index()], now) {
                return quiet;
            }
            if os == OsPermission::DeniedPermanently {
                return PromptAdvice::OpenSettings;
            }
            return self.ask(rec.guardian_hold);
        }
        if rec.status() == ConsentStatus::Granted && !self.needs_guardian(rec.actor) {
            return PromptAdvice::NoNeed;
        }
        self.ask(rec.guardian_hold)
    }

    pub fn policy_advice(&self, now: i64) -> PromptAdvice {
        match self.policy_status() {
            PolicyStatus::NotRequired => PromptAdvice::NoNeed,
            PolicyStatus::Agreed if !self.needs_guardian(self.policy.as_ref().map(|p| p.actor)) => {
                PromptAdvice::NoNeed
            }
            PolicyStatus::Declined => match &self.policy {
                Some(p) if p.actor != Actor::App => self
                    .quiet(Some(p.at), now)
                    .unwrap_or(self.ask(p.guardian_hold)),
                _ => self.ask(self.policy.as_ref().is_some_and(|p| p.guardian_hold)),
            },
            PolicyStatus::NotAsked => self.ask(false),
            _ => self.ask(
                self.policy
                    .as_ref()
                    .is_some_and(|p| p.guardian_hold && !p.agreed),
            ),
        }
    }

    /// What an SDK needs of a feature: a grant that counts — by someone with standing for
    /// this person (a minor's own grant does not) — and no OS denial.
    fn consented(&self, f: Feature) -> bool {
        let rec = self.rec(f);
        rec.status() == ConsentStatus::Granted
            && !self.needs_guardian(rec.actor)
            && !denied(self.os[f.index()])
    }

    pub fn sdk_block(&self, id: &str) -> Option<SdkBlock> {
        let Some(sdk) = self.cfg.sdk(id) else {
            return Some(SdkBlock::UnknownSdk);
        };
        if self.basic_mode() {
            return Some(SdkBlock::PolicyNotAgreed);
        }
        if self.minor()
            && (sdk.not_for_minors || sdk.requires.contains(&Feature::AdPersonalization))
        {
            return Some(SdkBlock::Minor);
        }
        sdk.requires
            .iter()
            .find(|f| !self.consented(**f))
            .map(|&feature| SdkBlock::FeatureNotGranted { feature })
    }

    /// (personalised, ad storage, analytics storage)
    pub fn ad_signals(&self) -> (bool, bool, bool) {
        let personal =
            !self.basic_mode() && self.consented(Feature::AdPersonalization) && !self.minor();
        let agreed = self.policy_status() == PolicyStatus::Agreed;
        (personal, personal || (agreed && !self.minor()), agreed)
    }
}
