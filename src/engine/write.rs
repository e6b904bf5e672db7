//! The one write path — decide under the lock, commit (append, apply, checkpoint), wait for durability, notify — and every other record the journal writes: a new chain's genesis, checkpoints, the close's seal, retention's cut, the storage failure.
//!
//! Over 400 lines on purpose: every record the log is given is written from this one file (the
//! architecture test allows the journal's appending methods here alone).

use super::changes::{self, AppView};
use super::word::HotWord;
use super::{Core, Engine, Failure};
use crate::entry::Entry;
use crate::error::Error;
use crate::kinds::{AuditKind, MAX_PROBLEM_LEN};
use crate::log::{AppendError, Appended};
use crate::model::Feature;
use crate::observer::ConsentChange;
use crate::rules::{Decision, Now, Refusal, State};
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What the locked half of a decision produced: what was appended, the outcome, and — for a
/// decision that opens a session — the session's word, made before the lock was released.
struct Decided {
    appended: Option<Appended>,
    outcome: Result<(), Refusal>,
    word: Option<Arc<HotWord>>,
}

/// How `commit` writes its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Write {
    /// Appended to the chain; `closing` when they can only turn things off (they may take the
    /// room kept for them, and are applied even when they cannot be written).
    Append { closing: bool },
    /// A genesis record that replaces the chain with a new one, sealed as it starts.
    NewChain,
}

/// A verb as the write path calls it: once, under the lock. (The write path is compiled once,
/// not once per verb: every verb's copy of it is what made the shipped library grow.)
type DynVerb<'a> = dyn FnMut(&State, Now) -> Decision + 'a;

impl Engine {
    /// The one path by which anything changes: decide under the write lock, append and
    /// apply, then wait for the fsync and tell observers with no lock held. Returns the
    /// first appended sequence number (0 when nothing was written).
    pub fn decide(&self, verb: impl FnOnce(&State, Now) -> Decision) -> Result<u64, Error> {
        self.decide_dyn(None, &mut once(verb), false)
            .map(|(first_seq, _)| first_seq)
    }

    /// `decide` as of `now` rather than the clocks' time: a "no" an earlier process could not
    /// write is recorded at the time it was said.
    pub(super) fn decide_as_of(
        &self,
        now: Now,
        verb: impl FnOnce(&State, Now) -> Decision,
    ) -> Result<u64, Error> {
        self.decide_dyn(Some(now), &mut once(verb), false)
            .map(|(first_seq, _)| first_seq)
    }

    /// `decide` for a verb that opens a use session: returns the session's id with its word,
    /// made and registered under the same lock as the decision, so no writer can end the
    /// session unseen between the two.
    pub fn open_session(
        &self,
        verb: impl FnOnce(&State, Now) -> Decision,
    ) -> Result<(u64, Arc<HotWord>), Error> {
        let (id, word) = self.decide_dyn(None, &mut once(verb), true)?;
        // An accepted decision that opens a session has its word; without one, the session
        // reads inactive (off), never a panic.
        Ok((id, word.unwrap_or_default()))
    }

    /// `decide`, compiled once.
    fn decide_dyn(
        &self,
        at: Option<Now>,
        verb: &mut DynVerb<'_>,
        opens_session: bool,
    ) -> Result<(u64, Option<Arc<HotWord>>), Error> {
        let decided = self.decide_at(at, verb, opens_session);
        let waited = match &decided {
            Ok(Decided {
                appended: Some(appended),
                ..
            }) => self.wait_durable(appended.ticket),
            _ => Ok(()),
        };
        self.notifier.deliver();
        // A decision as of an earlier time is an open's (a "no" recorded late): the open cuts
        // history once its own records are written, not in their midst.
        if at.is_none() && self.retention_due.swap(false, Ordering::AcqRel) {
            // A failed cut is a storage failure of its own, which the store reports from now
            // on; the decision itself stands.
            if let Err(e) = self.compact() {
                ::log::warn!("consentkit: retention after a new day's checkpoint failed: {e}");
            }
        }
        let Decided {
            appended,
            outcome,
            word,
        } = decided?;
        waited?;
        outcome.map_err(Error::Refused)?;
        Ok((appended.map_or(0, |a| a.first_seq), word))
    }

    /// The locked half of `decide`: at `at` (the clocks' time when `None`), up to the append.
    ///
    /// After a storage failure only closing decisions (those that can only turn things off)
    /// are taken: written into the room kept for them when the disk is full, or — when
    /// writing itself failed — applied in memory, so a revoke takes effect at once even when
    /// it cannot be recorded. Either way the caller hears of the failure.
    fn decide_at(
        &self,
        at: Option<Now>,
        verb: &mut DynVerb<'_>,
        opens_session: bool,
    ) -> Result<Decided, Error> {
        let mut core = self.core.write();
        let journal = core.journal.as_ref().ok_or(Error::Closed)?;
        if journal.read_only() {
            return Err(Error::ReadOnly);
        }
        let now = at.unwrap_or_else(|| self.now());
        let decision = verb(&core.state, now);
        // Whether the decision can only turn things off is the verb's own records' to say;
        // a foreground switch written before them for context does not change it.
        let closing = !decision.entries.is_empty() && core.state.only_turns_off(&decision.entries);
        let own = decision.entries.len();
        let Decision {
            entries,
            outcome,
            foreground,
        } = core.state.in_context(decision);
        if let Some(foreground) = foreground {
            // What the app reports is a fact, recorded or not, failed store or not.
            core.state.live_foreground = Some(foreground);
        }
        if let Some(failure) = core.failed.clone() {
            if !closing {
                // A refusal still says why; anything else is answered with the failure.
                return match outcome {
                    Err(refusal) if entries.is_empty() => Ok(Decided::nothing(Err(refusal))),
                    _ => Err(Error::Failed(failure.why)),
                };
            }
            if !failure.out_of_room {
                self.apply_unrecorded(&mut core, &entries, now);
                return Err(Error::Failed(failure.why));
            }
        }
        if entries.is_empty() {
            return Ok(Decided::nothing(outcome));
        }
        let mut appended = self.commit(&mut core, &entries, now, Write::Append { closing })?;
        // Callers learn the sequence number of the verb's own first record (a new session's
        // id), after any switch written for context.
        appended.first_seq += (entries.len() - own) as u64;
        let word = (opens_session && outcome.is_ok())
            .then(|| self.session_word(&core, appended.first_seq));
        Ok(Decided {
            appended: Some(appended),
            outcome,
            word,
        })
    }

    /// Appends `entries` at `now` (or, for `Write::NewChain`, replaces the chain with one that
    /// starts with the genesis record `entries` holds), applies them one by one, queues each
    /// record's changes with the state right after it, and checkpoints when due. Call with
    /// the write lock held. Every record of the log is written here.
    pub(super) fn commit(
        &self,
        core: &mut Core,
        entries: &[Entry],
        now: Now,
        how: Write,
    ) -> Result<Appended, Error> {
        let closing = matches!(how, Write::Append { closing: true });
        let healthy = core.answers();
        let mut seen = self
            .notifier
            .has_observers()
            .then(|| AppView::of(&core.state, healthy));
        let journal = core.journal.as_mut().ok_or(Error::Closed)?;
        // A new day's first record: the records before it get their checkpoint first, the
        // cut point retention needs. (For closing records only while the log has room without
        // growing: the room kept for them is theirs, and the next record writes it.)
        if matches!(how, Write::Append { .. })
            && journal.day_turned(now.wall_ms)
            && (!closing || journal.has_room_to_spare())
        {
            if let Err(e) = journal.checkpoint(&core.state, now.wall_ms) {
                if closing {
                    self.apply_unrecorded(core, entries, now);
                }
                let why = format!("writing a checkpoint failed: {e}");
                self.fail_locked(core, false, why.clone());
                return Err(Error::Failed(why));
            }
            self.retention_due.store(true, Ordering::Release);
        }
        let journal = core.journal.as_mut().ok_or(Error::Closed)?;
        // Why it failed, in the words the app hears: a new chain's own, or the append's.
        let written = match (how, entries) {
            (Write::Append { closing }, _) => journal
                .append_decision(now.wall_ms, entries, closing)
                .map_err(|e| (e.to_string(), e)),
            (Write::NewChain, [genesis]) => {
                journal.start_chain(genesis, now.wall_ms).map_err(|e| {
                    (
                        format!("starting a new log failed ({e})"),
                        AppendError::Io(e),
                    )
                })
            }
            (Write::NewChain, _) => {
                let e = io::Error::other("a new chain starts with one genesis record");
                Err((
                    format!("starting a new log failed ({e})"),
                    AppendError::Io(e),
                ))
            }
        };
        let appended = match written {
            Ok(appended) => appended,
            Err((_, AppendError::ReadOnly)) => return Err(Error::ReadOnly),
            Err((why, e)) => {
                let out_of_room = matches!(e, AppendError::NoRoom(_));
                if closing {
                    self.apply_unrecorded(core, entries, now);
                }
                self.fail_locked(core, out_of_room, why.clone());
                return Err(Error::Failed(why));
            }
        };
        if matches!(how, Write::NewChain) {
            // Consent and history do not carry over: the new chain's state starts empty.
            core.state = State::new("");
        }
        if matches!(how, Write::Append { .. }) {
            self.keep_nos_until_durable(core, entries, now, &appended);
        }
        let mut changes = Vec::new();
        for (seq, entry) in (appended.first_seq..).zip(entries) {
            // What replay will check, the live rules must have honoured.
            debug_assert_eq!(core.state.check(entry), Ok(()), "{entry:?}");
            core.state.apply(seq, now.wall_ms, entry, Some(now.mono_ms));
            if let Some(seen) = &mut seen {
                changes.extend(changes::changes_of(&core.state, seq, entry, seen, healthy));
            }
        }
        self.notifier.enqueue(changes);
        if let Some(why) = appended.out_of_room.clone() {
            self.fail_locked(core, true, why);
        } else if let Some(journal) = core
            .journal
            .as_mut()
            // A new chain's genesis (and its seal) never takes a checkpoint of its own: the
            // records carried over to the chain come first.
            .filter(|j| how != Write::NewChain && j.checkpoint_due())
        {
            if let Err(e) = journal.checkpoint(&core.state, now.wall_ms) {
                self.fail_locked(core, false, format!("writing a checkpoint failed: {e}"));
            }
        }
        self.refresh_allowed(core);
        Ok(appended)
    }

    /// Storage failed: every feature is off from now on, the failure is recorded when there
    /// is room to, and observers hear of it. Call with the write lock held.
    pub(super) fn fail_locked(&self, core: &mut Core, out_of_room: bool, why: String) {
        if core.failed.is_some() {
            return;
        }
        ::log::error!("consentkit: storage failed, every feature is off until reopened: {why}");
        let mut seen = AppView::of(&core.state, core.answers());
        core.failed = Some(Failure {
            out_of_room,
            why: why.clone(),
        });
        self.refresh_allowed(core);
        let mut seq = core.journal.as_ref().map_or(0, |j| j.head().0);
        // Out of room, the reserved room still takes the failure itself; after a failed
        // write, nothing more is written.
        if let (true, Some(journal)) = (out_of_room, core.journal.as_mut()) {
            let mut problem = why;
            problem.truncate(MAX_PROBLEM_LEN);
            let failed = [Entry::StorageFailed { problem }];
            if let Ok(appended) = journal.append(self.clock.now_ms(), &failed, true) {
                seq = appended.first_seq;
            }
        }
        let kind = AuditKind::StorageFailed;
        let mut changes: Vec<ConsentChange> = Feature::ALL
            .into_iter()
            .map(|feature| ConsentChange {
                feature: Some(feature),
                state: Some(core.feature_state(feature)),
                ..ConsentChange::new(core.state.chain, seq, kind)
            })
            .collect();
        changes.extend(changes::app_changes(
            &core.state,
            seq,
            kind,
            &mut seen,
            false,
        ));
        self.notifier.enqueue(changes);
    }

    /// Writes a checkpoint (and with it a fresh snapshot) now, rather than when one is due.
    pub(super) fn checkpoint_now(&self) -> Result<(), Error> {
        let mut core = self.core.write();
        let core = &mut *core;
        let journal = core.journal.as_mut().ok_or(Error::Closed)?;
        if let Err(e) = journal.checkpoint(&core.state, self.clock.now_ms()) {
            let why = format!("writing a checkpoint failed: {e}");
            self.fail_locked(core, false, why.clone());
            return Err(Error::Failed(why));
        }
        Ok(())
    }

    /// A clean close seals what this process wrote, so the key's anchor names the very last
    /// record (and says closed). Nothing for a failed or read-only store.
    pub(super) fn seal_on_close(&self, core: &mut Core) {
        if core.failed.is_some() {
            return;
        }
        if let Some(journal) = core.journal.as_mut().filter(|j| !j.read_only()) {
            if let Err(e) = journal.seal_now(self.clock.now_ms()) {
                ::log::warn!("consentkit: sealing on close failed: {e}");
            }
        }
    }

    /// Retention's cut: what was written since the last checkpoint on an earlier day gets its
    /// cut point, the records before the last checkpoint older than `cutoff_ms` go, and the
    /// cut is recorded. `(appended, records removed)`, or `None` when nothing goes. A failure
    /// while rewriting the log is a storage failure. Call with the write lock held.
    pub(super) fn cut_history(
        &self,
        core: &mut Core,
        now: Now,
        cutoff_ms: i64,
    ) -> Result<Option<(Appended, u64)>, Error> {
        let journal = core.journal.as_mut().ok_or(Error::Closed)?;
        let checkpointed = if journal.day_turned(now.wall_ms) {
            journal.checkpoint(&core.state, now.wall_ms)
        } else {
            Ok(())
        };
        let pruned = match checkpointed.and_then(|()| journal.compact::<State>(cutoff_ms)) {
            Ok(Some(pruned)) => pruned,
            Ok(None) => return Ok(None),
            Err(e) => {
                let why = format!("cutting old history off the log failed ({e})");
                self.fail_locked(core, false, why.clone());
                return Err(Error::Failed(why));
            }
        };
        let record = Entry::Pruned {
            through_seq: pruned.through_seq,
            through_hash: pruned.through_hash,
            records: pruned.records,
        };
        let appended = self.commit(core, &[record], now, Write::Append { closing: false })?;
        Ok(Some((appended, pruned.records)))
    }

    /// Benchmarks only: `decide` at a given time, without waiting for durability.
    #[cfg(feature = "testing")]
    pub fn decide_unsynced(
        &self,
        at: Now,
        verb: impl FnOnce(&State, Now) -> Decision,
    ) -> Result<Option<Appended>, Error> {
        let decided = self.decide_at(Some(at), &mut once(verb), false)?;
        self.notifier.deliver();
        Ok(decided.appended)
    }

    /// Benchmarks only: waits until everything appended so far is durable.
    #[cfg(feature = "testing")]
    pub fn sync_through(&self, appended: Appended) -> Result<(), Error> {
        self.wait_durable(appended.ticket)
    }
}

impl Decided {
    /// Nothing appended, with this outcome.
    fn nothing(outcome: Result<(), Refusal>) -> Decided {
        Decided {
            appended: None,
            outcome,
            word: None,
        }
    }
}

/// `verb` as a [`DynVerb`]: called once.
fn once<'a>(
    verb: impl FnOnce(&State, Now) -> Decision + 'a,
) -> impl FnMut(&State, Now) -> Decision + 'a {
    let mut verb = Some(verb);
    move |state, now| match verb.take() {
        Some(verb) => verb(state, now),
        // The write path calls a verb once; a second call decides nothing.
        None => Decision::nothing(),
    }
}
