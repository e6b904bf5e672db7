//! The engine: the state of one open store (`Core`: state, journal, failure) and read access to it; its write path, opening, restarts, retention, heads and published words each in a file of their own.

mod changes;
mod failure;
mod heads;
mod open;
mod restart;
mod retention;
mod word;
mod write;

use std::sync::Arc;

use parking_lot::{RwLock, RwLockWriteGuard};

use crate::ads::AdSignals;
use crate::clock::Clock;
use crate::config::Resolved;
use crate::error::Error;
use crate::kinds::RecoveryNotice;
use crate::log::{Durability, Hash, Journal, LogReader, Record, ReplayMachine};
use crate::model::{Feature, FeatureState};
use crate::observer::{ConsentObserver, Notifier, Subscription};
use crate::policy::PolicyState;
use crate::rules::{Now, State};
use crate::sdk::{SdkCatalogEntry, SdkPolicy, SdkStatus};

pub use heads::{HeadCheck, LogHead};
pub(crate) use restart::{ChainStart, Verification};
pub(crate) use word::HotWord;

/// The state of one open store. Shared by the exported store and its use sessions.
pub(crate) struct Engine {
    core: RwLock<Core>,
    /// `is_allowed` answers from here without a lock (and the bindings' hot path, through
    /// `hot_read_handle`); refreshed under the write lock.
    allowed: Arc<HotWord>,
    /// The words of open sessions, by id: cleared (for good) under the write lock once their
    /// session has ended or the store cannot be used.
    session_words: parking_lot::Mutex<Vec<(u64, std::sync::Weak<HotWord>)>>,
    /// A day's first write wrote a checkpoint: retention runs once the decision is done.
    retention_due: std::sync::atomic::AtomicBool,
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
    failed: Option<Failure>,
    /// Damage found by a read-only opener, which keeps nothing aside and answers off.
    unrecovered: Option<RecoveryNotice>,
    /// The "no"s appended and not yet known durable, by ticket: kept aside if the sync fails.
    unconfirmed: Vec<(u64, crate::log::Unwritten)>,
}

/// Why the store stopped writing, until it is reopened.
#[derive(Clone, Debug)]
struct Failure {
    /// No room could be reserved: closing decisions still go into the room kept for them.
    /// Otherwise writing failed, and nothing more is written.
    out_of_room: bool,
    why: String,
}

impl Core {
    /// The journal, if the store is open and nothing failed.
    fn usable(&self) -> Result<&Journal, Error> {
        let journal = self.journal.as_ref().ok_or(Error::Closed)?;
        match &self.failed {
            Some(failure) => Err(Error::Failed(failure.why.clone())),
            None => Ok(journal),
        }
    }

    /// Whether features may be allowed at all: open, writable, not failed, not damaged.
    fn may_allow(&self) -> bool {
        self.journal.as_ref().is_some_and(|j| !j.read_only())
            && self.failed.is_none()
            && self.unrecovered.is_none()
    }

    fn feature_state(&self, feature: Feature) -> FeatureState {
        let mut state = self.state.feature_state(feature);
        state.allowed &= self.may_allow();
        state
    }

    /// Whether the store's answers about SDKs and ads hold: open, not failed, not damaged.
    /// An inspector (read-only) answers what the app's store would, though it records
    /// nothing and starts nothing itself.
    fn answers(&self) -> bool {
        self.journal.is_some() && self.failed.is_none() && self.unrecovered.is_none()
    }

    fn ad_signals(&self) -> AdSignals {
        self.state.ad_signals(self.answers())
    }

    fn sdk_status(&self, id: &str) -> SdkStatus {
        self.state.sdk_status(id, self.answers())
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
    pub policy: PolicyState,
    pub sdks: Vec<SdkCatalogEntry>,
    pub ad_signals: AdSignals,
    pub age: Option<crate::age::AgeSignal>,
    pub minor: bool,
    /// Damage an inspector found and left in place: the view is of the records before it.
    pub damage: Option<RecoveryNotice>,
    /// Why the chain was restarted after damage, if it was.
    pub recovery: Option<RecoveryNotice>,
}

impl Engine {
    /// Ends every session and releases the directory; idempotent. A read-only store just
    /// lets go of its files.
    pub fn close(&self) -> Result<(), Error> {
        let read_only = self
            .core
            .read()
            .journal
            .as_ref()
            .is_some_and(|j| j.read_only());
        let result = if read_only {
            Ok(())
        } else {
            self.decide(|state, now| state.close(now)).map(|_| ())
        };
        let mut core = self.core.write();
        if result.is_ok() {
            self.seal_on_close(&mut core);
        }
        core.journal = None;
        self.refresh_allowed(&core);
        match result {
            Err(Error::Closed) => Ok(()),
            other => other,
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
        self.allowed.get(feature)
    }

    /// Every feature's `is_allowed` as bits (bit i: `Feature::ALL[i]`).
    pub fn allowed_bits(&self) -> u32 {
        self.allowed.load()
    }

    /// A counted reference to the allowed-features bits, for the bindings' hot path.
    pub fn hot_read_handle(&self) -> u64 {
        HotWord::into_handle(self.allowed.clone())
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

    /// Why the chain was restarted after damage (or, opened read-only, the damage found and
    /// left in place), until the person erases everything.
    pub fn recovery_notice(&self) -> Option<RecoveryNotice> {
        let core = self.core.read();
        core.unrecovered
            .clone()
            .or_else(|| core.state.recovery.clone())
    }

    /// Damage found by a read-only opener and left in place (not kept aside: an inspector
    /// writes nothing). What it shows is what the records before the damage say.
    pub fn damage(&self) -> Option<RecoveryNotice> {
        self.core.read().unrecovered.clone()
    }

    /// Why the store stopped writing, if it did.
    pub fn failure(&self) -> Option<String> {
        self.core.read().failed.as_ref().map(|f| f.why.clone())
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
            policy: core.state.policy_state(),
            sdks: self.catalog_of(&core),
            ad_signals: core.ad_signals(),
            age: core.state.age,
            minor: core.state.is_minor(),
            damage: core.unrecovered.clone(),
            recovery: core.state.recovery.clone(),
        }
    }

    pub fn policy_state(&self) -> PolicyState {
        self.core.read().state.policy_state()
    }

    pub fn sdk_status(&self, id: &str) -> SdkStatus {
        self.core.read().sdk_status(id)
    }

    pub fn sdk_catalog(&self) -> Vec<SdkCatalogEntry> {
        self.catalog_of(&self.core.read())
    }

    pub fn ad_signals(&self) -> AdSignals {
        self.core.read().ad_signals()
    }

    pub fn prompt_advice(&self, feature: Feature) -> crate::advice::PromptAdvice {
        let now_ms = self.clock.now_ms();
        let core = self.core.read();
        self.damaged_advice(&core, now_ms).unwrap_or_else(|| {
            core.state
                .prompt_advice(feature, now_ms, self.config.reprompt_after_ms)
        })
    }

    pub fn policy_prompt_advice(&self) -> crate::advice::PromptAdvice {
        let now_ms = self.clock.now_ms();
        let core = self.core.read();
        self.damaged_advice(&core, now_ms).unwrap_or_else(|| {
            core.state
                .policy_prompt_advice(now_ms, self.config.reprompt_after_ms)
        })
    }

    /// A damaged store, inspected: what the app will advise once it recovers — not now, for
    /// the quiet period after the damage was found (nobody knows who declined what).
    fn damaged_advice(&self, core: &Core, now_ms: i64) -> Option<crate::advice::PromptAdvice> {
        let notice = core.unrecovered.as_ref()?;
        let period = i64::try_from(self.config.reprompt_after_ms).unwrap_or(i64::MAX);
        let until_ms = notice.found_at_ms.min(now_ms).saturating_add(period);
        Some(if now_ms < until_ms {
            crate::advice::PromptAdvice::NotNow { until_ms }
        } else {
            crate::advice::PromptAdvice::Ask
        })
    }

    pub fn age_signal(&self) -> Option<crate::age::AgeSignal> {
        self.core.read().state.age
    }

    /// The SDKs in force, with the app's texts for them (or their ids, for a store opened
    /// without the app's config).
    fn catalog_of(&self, core: &Core) -> Vec<SdkCatalogEntry> {
        core.state
            .app
            .sdks
            .iter()
            .map(|terms| SdkCatalogEntry {
                sdk: self
                    .config
                    .texts
                    .sdks
                    .iter()
                    .find(|sdk| sdk.id == terms.id)
                    .cloned()
                    .unwrap_or_else(|| SdkPolicy::from_terms(terms)),
                status: core.sdk_status(&terms.id),
            })
            .collect()
    }

    /// The app's words: from its config, or kept beside the log for a store opened as it is.
    pub fn texts(&self) -> &crate::store_texts::StoreTexts {
        &self.config.texts
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

    /// Every record is checked against the rules before it is folded in: a log the live
    /// rules could never have written is damage.
    fn replay(&mut self, record: &Record) -> Result<(), String> {
        self.check(&record.entry)?;
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
    use crate::entry::{Entry, Genesis};
    use crate::kinds::RecoveryNotice;
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
                problem: "p".repeat(crate::kinds::MAX_PROBLEM_LEN),
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
