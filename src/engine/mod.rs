//! The engine: the one write path (decide under the lock → append → apply → wait for durability → notify), storage failures and chain restarts, and read access for the rest.

mod changes;
mod open;
mod restart;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{RwLock, RwLockWriteGuard};

use crate::clock::Clock;
use crate::config::Resolved;
use crate::entry::{Entry, RecoveryNotice};
use crate::error::Error;
use crate::log::{Appended, Durability, Hash, Journal, LogReader, Record, ReplayMachine};
use crate::model::{Feature, FeatureState};
use crate::observer::{ConsentChange, ConsentObserver, Notifier, Subscription};
use crate::rules::{Decision, Now, State};

pub(crate) use restart::{ChainStart, Verification};

/// The state of one open store. Shared by the exported store and its use sessions.
pub(crate) struct Engine {
    core: RwLock<Core>,
    /// `is_allowed` answers from here without a lock; refreshed under the write lock.
    allowed: [AtomicBool; Feature::ALL.len()],
    durability: Arc<Durability>,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
    config: Resolved,
}

struct Core {
    state: State,
    /// `None` once the store is closed.
    journal: Option<Journal>,
    /// Set when a write or fsync failed: from then on everything is off.
    failed: Option<String>,
}

impl Core {
    fn usable(&self) -> Result<&Journal, Error> {
        let journal = self.journal.as_ref().ok_or(Error::Closed)?;
        match &self.failed {
            Some(why) => Err(Error::Failed(why.clone())),
            None => Ok(journal),
        }
    }

    fn feature_state(&self, feature: Feature) -> FeatureState {
        let mut state = self.state.feature_state(feature);
        state.allowed &= self.failed.is_none() && self.journal.is_some();
        state
    }
}

/// What reports and exports read: the state as one consistent view.
pub(crate) struct StateView {
    pub app_id: String,
    pub chain: u64,
    pub chain_started_ms: i64,
    pub states: Vec<FeatureState>,
    /// Per feature, the sequence number of the record that decided it (0: never decided).
    pub decisions: Vec<u64>,
    pub head: (u64, Hash),
}

impl Engine {
    /// The one path by which anything changes: decide under the write lock, append and
    /// apply, then wait for the fsync and tell observers with no lock held. Returns the
    /// first appended sequence number (0 when nothing was written) with the outcome.
    pub fn decide<T>(
        &self,
        verb: impl FnOnce(&State, Now) -> Decision<T>,
    ) -> Result<(u64, T), Error> {
        let (appended, outcome) = self.decide_at(None, verb)?;
        if let Some(appended) = appended {
            self.wait_durable(appended.ticket)?;
        }
        self.notifier.deliver();
        let first_seq = appended.map_or(0, |a| a.first_seq);
        outcome.map(|t| (first_seq, t)).map_err(Error::Refused)
    }

    /// The locked half of `decide`: at `at` (the clocks' time when `None`), up to the append.
    fn decide_at<T>(
        &self,
        at: Option<Now>,
        verb: impl FnOnce(&State, Now) -> Decision<T>,
    ) -> Result<(Option<Appended>, Result<T, crate::rules::Refusal>), Error> {
        let mut core = self.core.write();
        core.usable()?;
        let now = at.unwrap_or_else(|| self.now());
        let Decision { entries, outcome } = verb(&core.state, now);
        let appended = if entries.is_empty() {
            None
        } else {
            Some(self.commit(&mut core, &entries, now)?)
        };
        Ok((appended, outcome))
    }

    /// Benchmarks only: `decide` at a given time, without waiting for durability.
    #[cfg(feature = "bench-support")]
    pub fn decide_unsynced(
        &self,
        at: Now,
        verb: impl FnOnce(&State, Now) -> Decision,
    ) -> Result<Option<Appended>, Error> {
        let (appended, _) = self.decide_at(Some(at), verb)?;
        self.notifier.deliver();
        Ok(appended)
    }

    /// Benchmarks only: waits until everything appended so far is durable.
    #[cfg(feature = "bench-support")]
    pub fn sync_through(&self, appended: Appended) -> Result<(), Error> {
        self.wait_durable(appended.ticket)
    }

    /// Appends `entries` at `now`, applies them one by one, queues each record's changes with
    /// the state right after it, and checkpoints when due. Call with the write lock held.
    fn commit(&self, core: &mut Core, entries: &[Entry], now: Now) -> Result<Appended, Error> {
        let journal = core.journal.as_mut().ok_or(Error::Closed)?;
        let appended = journal
            .append(now.wall_ms, entries)
            .map_err(|e| Error::io("appending to the log", e))?;
        let listening = self.notifier.has_observers();
        let mut changes = Vec::new();
        for (seq, entry) in (appended.first_seq..).zip(entries) {
            core.state.apply(seq, now.wall_ms, entry, Some(now.mono_ms));
            if listening {
                changes.extend(changes::changes_of(&core.state, seq, entry));
            }
        }
        if journal.checkpoint_due() {
            if let Err(e) = journal.checkpoint(&core.state, now.wall_ms) {
                ::log::warn!("consentkit: checkpoint failed: {e}");
            }
        }
        self.refresh_allowed(core);
        self.notifier.enqueue(changes);
        Ok(appended)
    }

    /// Waits for the fsync that covers `ticket`; a failure turns everything off for good.
    fn wait_durable(&self, ticket: u64) -> Result<(), Error> {
        self.durability.wait(ticket).map_err(|e| {
            self.fail(e.to_string());
            Error::io("making the log durable", e)
        })
    }

    fn refresh_allowed(&self, core: &Core) {
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
            let changes = Feature::ALL.into_iter().map(|feature| ConsentChange {
                chain: core.state.chain,
                seq,
                feature,
                kind: crate::entry::AuditKind::Recovered,
                end_reason: None,
                state: core.feature_state(feature),
            });
            self.notifier.enqueue(changes);
        }
        self.notifier.deliver();
    }

    /// Ends every session and releases the directory; idempotent.
    pub fn close(&self) -> Result<(), Error> {
        let result = self.decide(|state, now| state.close(now));
        let mut core = self.core.write();
        core.journal = None;
        self.refresh_allowed(&core);
        match result {
            Err(Error::Closed) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    fn now(&self) -> Now {
        Now {
            wall_ms: self.clock.now_ms(),
            mono_ms: self.clock.monotonic_ms(),
        }
    }

    fn write(&self) -> RwLockWriteGuard<'_, Core> {
        self.core.write()
    }

    // ---- reads ----

    pub fn is_allowed(&self, feature: Feature) -> bool {
        self.allowed[feature.index()].load(Ordering::Acquire)
    }

    pub fn feature_state(&self, feature: Feature) -> FeatureState {
        self.core.read().feature_state(feature)
    }

    pub fn states(&self) -> Vec<FeatureState> {
        let core = self.core.read();
        Feature::ALL
            .into_iter()
            .map(|f| core.feature_state(f))
            .collect()
    }

    /// Whether session `id` is still open (and the store can still be used).
    pub fn session_active(&self, id: u64) -> bool {
        let core = self.core.read();
        core.usable().is_ok() && core.state.has_session(id)
    }

    pub fn recovery_notice(&self) -> Option<RecoveryNotice> {
        self.core.read().state.recovery.clone()
    }

    pub fn head(&self) -> (u64, Hash) {
        let core = self.core.read();
        core.journal.as_ref().map_or((0, [0; 32]), |j| j.head())
    }

    /// A reader of the log as it is now, and the chain it belongs to.
    pub fn reader(&self) -> Result<(LogReader, u64), Error> {
        let core = self.core.read();
        let journal = core.journal.as_ref().ok_or(Error::Closed)?;
        Ok((journal.reader(), core.state.chain))
    }

    /// The state as reports and exports need it, read at one moment.
    pub fn view(&self) -> StateView {
        let core = self.core.read();
        StateView {
            app_id: core.state.app_id.clone(),
            chain: core.state.chain,
            chain_started_ms: core.state.chain_started_ms,
            states: Feature::ALL
                .into_iter()
                .map(|f| core.feature_state(f))
                .collect(),
            decisions: Feature::ALL
                .into_iter()
                .map(|f| core.state.record(f).decision_seq)
                .collect(),
            head: core.journal.as_ref().map_or((0, [0; 32]), |j| j.head()),
        }
    }

    pub fn how_to_withdraw(&self, feature: Feature) -> &str {
        self.config.how_to_withdraw(feature)
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn subscribe(&self, observer: Arc<dyn ConsentObserver>) -> Subscription {
        self.notifier.subscribe(observer)
    }
}

/// The log rebuilds the rules' state through this; it never sees the rules themselves.
impl ReplayMachine for State {
    fn empty() -> State {
        State::new("")
    }

    fn replay(&mut self, record: &Record) -> Result<(), String> {
        self.apply(record.seq, record.time_ms, &record.entry, None);
        Ok(())
    }

    fn digest(&self) -> Hash {
        State::digest(self)
    }

    fn encode(&self) -> Vec<u8> {
        State::encode(self)
    }

    fn decode(bytes: &[u8]) -> Result<State, String> {
        State::decode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use crate::entry::{Entry, Genesis, RecoveryNotice};
    use crate::model::{Actor, Feature, GrantScope};

    #[test]
    /// The config's limits and the log's format meet here: the largest entry a valid
    /// config can produce must fit a frame.
    fn the_largest_entries_fit_the_format() {
        let mut buf = Vec::new();
        let purposes = (0..crate::config::MAX_PURPOSES)
            .map(|i| format!("{i:0>64}"))
            .collect();
        let entry = Entry::Granted {
            feature: Feature::Camera,
            actor: Actor::User,
            scope: GrantScope::UntilRevoked,
            terms_revision: u32::MAX,
            purposes,
        };
        crate::log::record::encode_frame(&mut buf, &[0; 32], u64::MAX, i64::MIN, &entry);
        let recovered = Entry::Recovered(Genesis {
            app_id: "a".repeat(crate::model::MAX_APP_ID_LEN),
            chain: u64::MAX,
            recovery: Some(RecoveryNotice {
                found_at_ms: i64::MAX,
                first_bad_seq: u64::MAX,
                problem: "p".repeat(crate::entry::MAX_PROBLEM_LEN),
                quarantined_as: format!("quarantine/{}-{}", i64::MIN, u64::MAX),
            }),
        });
        crate::log::record::encode_frame(&mut buf, &[0; 32], 1, 0, &recovered);
        assert!(matches!(
            crate::log::record::decode_frame(&buf),
            crate::log::record::Decoded::Record(..)
        ));
    }
}
