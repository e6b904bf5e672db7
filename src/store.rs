//! `ConsentStore`: the one exported object, joining the rules, the log, sessions and observers.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::clock::{Clock, SystemClock};
use crate::entry::{AuditKind, Entry, SessionEndReason};
use crate::error::ConsentError;
use crate::log::{self, Durability, Journal, OpenError, Opened};
use crate::model::{
    is_valid_app_id, is_valid_purpose, Actor, ConsentConfig, Feature, FeaturePolicy, FeatureState,
    GrantScope, OsPermission,
};
use crate::observer::{change_kind, ConsentChange, ConsentObserver, Notifier, Subscription};
use crate::rules::{Genesis, RecoveryNotice, State};
use crate::session::UseSession;

/// Most purposes one feature may declare.
pub const MAX_PURPOSES: usize = 16;

/// Options for Rust callers and tests; apps use `open` / `open_in_memory`.
#[derive(Clone)]
pub struct StoreOptions {
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Records between checkpoints (bounds the replay on open).
    pub checkpoint_every: u64,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            clock: Arc::new(SystemClock::default()),
            checkpoint_every: log::DEFAULT_CHECKPOINT_EVERY,
        }
    }
}

/// The consent store of one app: decisions, use sessions, and the audit log that proves them.
///
/// Safe to share across threads. Every change is on disk before the call returns.
#[derive(uniffi::Object)]
pub struct ConsentStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub core: RwLock<Core>,
    /// `is_allowed` answers from here without a lock; refreshed under the write lock.
    allowed: [AtomicBool; 6],
    durability: Arc<Durability>,
    pub notifier: Arc<Notifier>,
    pub clock: Arc<dyn Clock>,
}

pub(crate) struct Core {
    pub state: State,
    /// `None` once the store is closed.
    pub journal: Option<Journal>,
    /// Set when a write or fsync failed: from then on everything is off.
    pub failed: Option<String>,
    /// Bumped whenever a new chain replaces the current one.
    pub chain_epoch: u64,
}

impl Core {
    pub fn journal(&self) -> Result<&Journal, ConsentError> {
        self.journal.as_ref().ok_or(ConsentError::Closed)
    }

    fn usable(&self) -> Result<(), ConsentError> {
        self.journal()?;
        match &self.failed {
            Some(why) => Err(ConsentError::storage(format!(
                "the store failed earlier: {why}"
            ))),
            None => Ok(()),
        }
    }

    pub fn feature_state(&self, feature: Feature) -> FeatureState {
        let mut state = self.state.feature_state(feature);
        state.allowed &= self.failed.is_none();
        state
    }
}

#[uniffi::export]
impl ConsentStore {
    /// Opens (or creates) the durable store in `dir`, a directory the app owns.
    #[uniffi::constructor]
    pub fn open(dir: String, config: ConsentConfig) -> Result<Arc<ConsentStore>, ConsentError> {
        ConsentStore::open_with(Path::new(&dir), Some(config), StoreOptions::default())
    }

    /// A store that keeps everything in memory, for previews and tests.
    #[uniffi::constructor]
    pub fn open_in_memory(config: ConsentConfig) -> Result<Arc<ConsentStore>, ConsentError> {
        ConsentStore::open_in_memory_with(config, StoreOptions::default())
    }

    /// The state of one feature.
    pub fn state(&self, feature: Feature) -> FeatureState {
        self.inner.core.read().feature_state(feature)
    }

    /// The state of every feature, in [`Feature::ALL`] order.
    pub fn states(&self) -> Vec<FeatureState> {
        let core = self.inner.core.read();
        Feature::ALL
            .into_iter()
            .map(|f| core.feature_state(f))
            .collect()
    }

    /// A person grants a feature. `Actor::App` is refused: only people open doors.
    pub fn grant(
        &self,
        feature: Feature,
        scope: GrantScope,
        actor: Actor,
    ) -> Result<(), ConsentError> {
        self.inner
            .mutate(|state, _| {
                let entries = state.decide_grant(feature, scope, actor).map_err(|_| {
                    ConsentError::NotPermitted {
                        reason: "only the user or a guardian can grant consent".into(),
                    }
                })?;
                Ok((entries, ()))
            })
            .map(|_| ())
    }

    /// Denies a feature; ends its open sessions.
    pub fn deny(&self, feature: Feature, actor: Actor) -> Result<(), ConsentError> {
        self.inner
            .run(|state, mono| state.decide_close(feature, actor, AuditKind::Denied, Some(mono)))
    }

    /// Withdraws consent; ends the feature's open sessions at once and tells observers.
    pub fn revoke(&self, feature: Feature, actor: Actor) -> Result<(), ConsentError> {
        self.inner
            .run(|state, mono| state.decide_close(feature, actor, AuditKind::Revoked, Some(mono)))
    }

    /// Opens a use session at the moment the user invokes the feature, or says why not.
    /// Refusals are logged too.
    pub fn begin_use(
        &self,
        feature: Feature,
        purpose: String,
    ) -> Result<Arc<UseSession>, ConsentError> {
        let outcome =
            self.inner
                .mutate(|state, _| match state.decide_begin_use(feature, &purpose) {
                    Ok(began) => Ok((vec![began], Ok(()))),
                    Err(refusal) => Ok((
                        vec![state.refusal_entry(feature, &purpose, refusal)],
                        Err(ConsentError::refused(feature, refusal, &purpose)),
                    )),
                });
        let session_id = match outcome {
            Ok((first_seq, Ok(()))) => first_seq,
            Ok((_, Err(refused))) => return Err(refused),
            Err(e) => return Err(e),
        };
        Ok(Arc::new(UseSession::new(
            self.inner.clone(),
            session_id,
            feature,
            purpose,
        )))
    }

    /// True only while a use session of the feature is open, consent is granted and the OS
    /// permission is not denied.
    pub fn is_allowed(&self, feature: Feature) -> bool {
        self.inner.allowed[feature.index()].load(Ordering::Acquire)
    }

    /// Records what the OS says; `Denied` ends the feature's sessions.
    pub fn set_os_permission(
        &self,
        feature: Feature,
        permission: OsPermission,
    ) -> Result<(), ConsentError> {
        self.inner
            .run(|state, mono| state.decide_os_permission(feature, permission, Some(mono)))
    }

    /// The app moved to the foreground (`true`) or background (`false`); background ends
    /// camera, microphone, clipboard and motion-sensor sessions.
    pub fn set_foreground(&self, foreground: bool) -> Result<(), ConsentError> {
        self.inner
            .run(|state, mono| state.decide_foreground(foreground, Some(mono)))
    }

    /// Registers an observer until the returned subscription is closed or dropped.
    pub fn subscribe(&self, observer: Arc<dyn ConsentObserver>) -> Arc<Subscription> {
        Arc::new(self.inner.notifier.subscribe(observer))
    }

    /// Why the store restarted its log after finding damage, if it did since the last erase.
    pub fn recovery_notice(&self) -> Option<RecoveryNotice> {
        self.inner.core.read().state.recovery.clone()
    }

    /// The right to deletion: removes all history (and damaged copies kept aside) and
    /// starts a new log with an erasure record, everything off.
    pub fn erase_all(&self) -> Result<(), ConsentError> {
        self.inner.restart_chain(None, None).map(|_| ())
    }
}

impl ConsentStore {
    /// Ends open sessions, then releases the directory; idempotent. Later calls fail with
    /// `Closed`. Dropping the store does the same, which is how Kotlin's `close()` / `use {}`
    /// and Swift's release close it.
    pub fn close(&self) -> Result<(), ConsentError> {
        let result = self
            .inner
            .run(|state, mono| state.decide_end_all(SessionEndReason::StoreClosed, Some(mono)));
        let mut core = self.inner.core.write();
        core.journal = None;
        self.inner.refresh_allowed(&core);
        match result {
            Err(ConsentError::Closed) => Ok(()),
            other => other,
        }
    }
    /// Opens a durable store with options. `config: None` uses the configuration stored in
    /// an existing store (for tools that must not change it) and fails when there is none.
    pub fn open_with(
        dir: &Path,
        config: Option<ConsentConfig>,
        options: StoreOptions,
    ) -> Result<Arc<ConsentStore>, ConsentError> {
        let policies = config.as_ref().map(resolve_policies).transpose()?;
        if config.is_none() && !dir.join(log::LOG_FILE).exists() {
            return Err(ConsentError::invalid(format!(
                "no consentkit store in {}",
                dir.display()
            )));
        }
        let app_id = config.as_ref().map_or("", |c| c.app_id.as_str());
        let now = options.clock.now_ms();
        let opened =
            log::open_dir(dir, app_id, options.checkpoint_every, now).map_err(|e| match e {
                OpenError::Locked => ConsentError::StoreLocked {
                    reason: format!("{} is open in another process or handle", dir.display()),
                },
                OpenError::Io(e) => {
                    ConsentError::storage(format!("opening {}: {e}", dir.display()))
                }
            })?;
        ConsentStore::start(opened, config.map(|c| c.app_id), policies, options.clock)
    }

    /// An in-memory store with options.
    pub fn open_in_memory_with(
        config: ConsentConfig,
        options: StoreOptions,
    ) -> Result<Arc<ConsentStore>, ConsentError> {
        let policies = resolve_policies(&config)?;
        let opened = log::open_memory(
            &config.app_id,
            options.checkpoint_every,
            options.clock.now_ms(),
        );
        ConsentStore::start(opened, Some(config.app_id), Some(policies), options.clock)
    }

    /// Finishes opening: closes sessions a dead process left open, records a repaired tail,
    /// applies the app's policies (rule 5).
    fn start(
        opened: Opened,
        app_id: Option<String>,
        policies: Option<Vec<FeaturePolicy>>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<ConsentStore>, ConsentError> {
        let Opened {
            journal,
            state,
            repaired,
        } = opened;
        if let Some(app_id) = &app_id {
            if *app_id != state.app_id {
                return Err(ConsentError::invalid(format!(
                    "this store belongs to {:?}, not {app_id:?}",
                    state.app_id
                )));
            }
        }
        let inner = Arc::new(Inner {
            allowed: Default::default(),
            durability: journal.durability(),
            notifier: Arc::default(),
            clock,
            core: RwLock::new(Core {
                state,
                journal: Some(journal),
                failed: None,
                chain_epoch: 0,
            }),
        });
        inner.mutate(|state, _| {
            let mut entries = Vec::new();
            if let Some(what) = repaired {
                entries.push(Entry::new(AuditKind::TailRepaired).detail(what));
            }
            entries.extend(state.decide_end_all(SessionEndReason::Interrupted, None));
            Ok((entries, ()))
        })?;
        if let Some(policies) = policies {
            inner.mutate(|state, _| Ok((state.decide_policies(&policies), ())))?;
        }
        Ok(Arc::new(ConsentStore { inner }))
    }
}

impl Inner {
    /// `mutate` for verbs whose only outcome is the records they append.
    pub fn run(&self, decide: impl FnOnce(&State, u64) -> Vec<Entry>) -> Result<(), ConsentError> {
        self.mutate(|state, mono| Ok((decide(state, mono), ())))
            .map(|_| ())
    }

    /// The one path by which anything changes: decide under the write lock, append and
    /// apply, then wait for the fsync and tell observers with no lock held. Returns the
    /// first appended sequence number with the decision's outcome.
    pub fn mutate<T>(
        &self,
        decide: impl FnOnce(&State, u64) -> Result<(Vec<Entry>, T), ConsentError>,
    ) -> Result<(u64, T), ConsentError> {
        let (ticket, first_seq, out) = {
            let mut core = self.core.write();
            core.usable()?;
            let mono = self.clock.monotonic_ms();
            let (entries, out) = decide(&core.state, mono)?;
            if entries.is_empty() {
                return Ok((0, out));
            }
            let (first_seq, ticket) = self.commit(&mut core, entries, mono)?;
            (ticket, first_seq, out)
        };
        self.wait_durable(ticket)?;
        self.notifier.deliver();
        Ok((first_seq, out))
    }

    /// Appends and applies `entries` and queues their changes. Call with the write lock held.
    pub fn commit(
        &self,
        core: &mut Core,
        entries: Vec<Entry>,
        mono: u64,
    ) -> Result<(u64, u64), ConsentError> {
        self.commit_at(core, entries, self.clock.now_ms(), mono)
    }

    /// `commit` with the records' wall-clock time given.
    pub fn commit_at(
        &self,
        core: &mut Core,
        mut entries: Vec<Entry>,
        now: i64,
        mono: u64,
    ) -> Result<(u64, u64), ConsentError> {
        let journal = core.journal.as_mut().ok_or(ConsentError::Closed)?;
        let (first_seq, ticket) = journal.append(now, &mut entries)?;
        for (seq, entry) in (first_seq..).zip(&entries) {
            core.state.apply(seq, now, entry, Some(mono));
        }
        if journal.checkpoint_due() {
            if let Err(e) = journal.checkpoint(&core.state, now) {
                ::log::warn!("consentkit: checkpoint failed: {e}");
            }
        }
        self.refresh_allowed(core);
        if !self.notifier.has_observers() {
            return Ok((first_seq, ticket));
        }
        let changes = (first_seq..)
            .zip(&entries)
            .filter(|(_, e)| change_kind(e.kind));
        self.notifier.enqueue(changes.filter_map(|(seq, e)| {
            let feature = e.feature?;
            Some(ConsentChange {
                seq,
                feature,
                kind: e.kind,
                end_reason: SessionEndReason::parse(&e.detail)
                    .filter(|_| e.kind == AuditKind::SessionEnded),
                state: core.feature_state(feature),
            })
        }));
        Ok((first_seq, ticket))
    }

    /// Waits for the fsync that covers `ticket`; a failure turns everything off for good.
    pub fn wait_durable(&self, ticket: u64) -> Result<(), ConsentError> {
        self.durability.wait(ticket).map_err(|e| {
            self.fail(e.to_string());
            ConsentError::storage(e)
        })
    }

    pub fn refresh_allowed(&self, core: &Core) {
        let open = core.journal.is_some() && core.failed.is_none();
        for feature in Feature::ALL {
            self.allowed[feature.index()]
                .store(open && core.state.is_allowed(feature), Ordering::Release);
        }
    }

    /// A write or fsync failed: everything is off from now on, and observers hear of it.
    fn fail(&self, why: String) {
        ::log::error!("consentkit: storage failed, every feature is off: {why}");
        {
            let mut core = self.core.write();
            core.failed.get_or_insert(why);
            self.refresh_allowed(&core);
            let seq = core.journal.as_ref().map_or(0, |j| j.head().0);
            self.notifier
                .enqueue(every_feature_changed(&core, seq, AuditKind::Recovered));
        }
        self.notifier.deliver();
    }

    /// Replaces the chain: for an erasure (`damage: None`), or after damage (first bad
    /// sequence number, problem) was found, keeping the old files aside. The app's policies,
    /// OS permissions and foreground state carry over; consent and history do not. `epoch`
    /// makes it a no-op when another restart happened since the damage was found.
    pub fn restart_chain(
        &self,
        damage: Option<(u64, String)>,
        epoch: Option<u64>,
    ) -> Result<Option<RecoveryNotice>, ConsentError> {
        let (ticket, notice) = {
            let mut guard = self.core.write();
            let core = &mut *guard;
            core.usable()?;
            if epoch.is_some_and(|e| e != core.chain_epoch) {
                return Ok(None);
            }
            let now = self.clock.now_ms();
            let mono = self.clock.monotonic_ms();
            let journal = core.journal.as_mut().expect("usable");
            let (kind, recovery) = match damage {
                None => (AuditKind::Erased, None),
                Some((first_bad_seq, problem)) => {
                    let quarantined_as = journal.quarantine(now)?;
                    ::log::warn!("consentkit: log failed verification ({problem}); kept aside as {quarantined_as}");
                    let notice = RecoveryNotice {
                        found_at_ms: now,
                        first_bad_seq,
                        problem,
                        quarantined_as,
                    };
                    (AuditKind::Recovered, Some(notice))
                }
            };
            let genesis = Genesis {
                app_id: core.state.app_id.clone(),
                recovery: recovery.clone(),
            }
            .entry(kind);
            let restarted = journal.restart(genesis, now, kind == AuditKind::Erased);
            let old = std::mem::replace(&mut core.state, State::new(""));
            core.state = match restarted {
                Ok(state) => state,
                Err(e) => {
                    core.state = old;
                    drop(guard);
                    self.fail(e.to_string());
                    return Err(ConsentError::storage(e));
                }
            };
            core.chain_epoch += 1;
            let mut carried = core.state.decide_policies(&old.policies);
            for feature in Feature::ALL {
                let permission = old.record(feature).os_permission;
                if permission != OsPermission::Unknown {
                    carried.extend(core.state.decide_os_permission(feature, permission, None));
                }
            }
            carried.extend(core.state.decide_foreground(old.foreground, None));
            self.notifier.enqueue(every_feature_changed(core, 1, kind));
            let ticket = if carried.is_empty() {
                0
            } else {
                self.commit(core, carried, mono)?.1
            };
            self.refresh_allowed(core);
            (ticket, recovery)
        };
        self.wait_durable(ticket)?;
        self.notifier.deliver();
        Ok(notice)
    }
}

/// One change per feature, for events that touch them all (erasure, recovery, failure).
fn every_feature_changed(core: &Core, seq: u64, kind: AuditKind) -> Vec<ConsentChange> {
    Feature::ALL
        .into_iter()
        .map(|feature| ConsentChange {
            seq,
            feature,
            kind,
            end_reason: None,
            state: core.feature_state(feature),
        })
        .collect()
}

/// Validates the app's config and fills in built-in policies, in [`Feature::ALL`] order.
fn resolve_policies(config: &ConsentConfig) -> Result<Vec<FeaturePolicy>, ConsentError> {
    if !is_valid_app_id(&config.app_id) {
        return Err(ConsentError::invalid(
            "app_id must be 1 to 255 characters of [A-Za-z0-9._-]",
        ));
    }
    let mut resolved: Vec<FeaturePolicy> = Feature::ALL
        .into_iter()
        .map(FeaturePolicy::default_for)
        .collect();
    let mut seen = [false; 6];
    for policy in &config.policies {
        let i = policy.feature.index();
        if std::mem::replace(&mut seen[i], true) {
            return Err(ConsentError::invalid(format!(
                "{:?} has two policies",
                policy.feature
            )));
        }
        if policy.purposes.len() > MAX_PURPOSES {
            return Err(ConsentError::invalid(format!(
                "{:?} declares more than {MAX_PURPOSES} purposes",
                policy.feature
            )));
        }
        if let Some(bad) = policy.purposes.iter().find(|p| !is_valid_purpose(p)) {
            return Err(ConsentError::invalid(format!(
                "{:?}: purpose {:?} is not 1 to 64 characters of [a-z0-9_]",
                policy.feature,
                bad.chars().take(80).collect::<String>()
            )));
        }
        let mut purposes = Vec::new();
        for purpose in &policy.purposes {
            if !purposes.contains(purpose) {
                purposes.push(purpose.clone());
            }
        }
        resolved[i] = FeaturePolicy {
            feature: policy.feature,
            purposes,
            terms_revision: policy.terms_revision,
        };
    }
    Ok(resolved)
}

impl Drop for ConsentStore {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            ::log::warn!("consentkit: closing the store on release failed: {e}");
        }
    }
}

impl std::fmt::Debug for ConsentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head = self.head();
        f.debug_struct("ConsentStore")
            .field("head_seq", &head.seq)
            .finish_non_exhaustive()
    }
}
