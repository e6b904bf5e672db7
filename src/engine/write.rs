//! The one write path — decide under the lock, append, apply, wait for durability, notify — and what happens when the disk fails: everything off, closing decisions still taking effect.

use super::changes::{self, AppView};
use super::{Core, Engine, Failure};
use crate::entry::{AuditKind, Entry, MAX_PROBLEM_LEN};
use crate::error::Error;
use crate::log::{AppendError, Appended, Unwritten};
use crate::model::Feature;
use crate::observer::ConsentChange;
use crate::rules::{Decision, Now, Refusal, State};
use std::sync::atomic::Ordering;

/// What the locked half of a decision produced.
type Decided = (Option<Appended>, Result<(), Refusal>);

/// A verb as the non-generic write path calls it: once, under the lock, its outcome's value
/// kept aside in `value`. (The write path is compiled once, not once per verb: every verb's
/// copy of it is what made the shipped library grow.)
type DynVerb<'a> = dyn FnMut(&State, Now) -> Decision + 'a;

/// `verb` as a [`DynVerb`] that leaves its outcome's value in `value`.
fn erased<'a, T>(
    verb: impl FnOnce(&State, Now) -> Decision<T> + 'a,
    value: &'a mut Option<T>,
) -> impl FnMut(&State, Now) -> Decision + 'a {
    let mut verb = Some(verb);
    move |state, now| {
        let verb = verb.take().expect("a verb decides once");
        let Decision {
            entries,
            outcome,
            foreground,
        } = verb(state, now);
        Decision {
            entries,
            outcome: outcome.map(|t| *value = Some(t)),
            foreground,
        }
    }
}

impl Engine {
    /// The one path by which anything changes: decide under the write lock, append and
    /// apply, then wait for the fsync and tell observers with no lock held. Returns the
    /// first appended sequence number (0 when nothing was written) with the outcome.
    pub fn decide<T>(
        &self,
        verb: impl FnOnce(&State, Now) -> Decision<T>,
    ) -> Result<(u64, T), Error> {
        let mut value = None;
        let first_seq = self.decide_dyn(&mut erased(verb, &mut value))?;
        Ok((
            first_seq,
            value.expect("an accepted decision has its value"),
        ))
    }

    /// `decide`, compiled once.
    fn decide_dyn(&self, verb: &mut DynVerb<'_>) -> Result<u64, Error> {
        let decided = self.decide_at(None, verb);
        let waited = match &decided {
            Ok((Some(appended), _)) => self.wait_durable(appended.ticket),
            _ => Ok(()),
        };
        self.notifier.deliver();
        if self.retention_due.swap(false, Ordering::AcqRel) {
            // A failed cut is a storage failure of its own, which the store reports from now
            // on; the decision itself stands.
            if let Err(e) = self.compact() {
                ::log::warn!("consentkit: retention after a new day's checkpoint failed: {e}");
            }
        }
        let (appended, outcome) = decided?;
        waited?;
        outcome.map_err(Error::Refused)?;
        Ok(appended.map_or(0, |a| a.first_seq))
    }

    /// The locked half of `decide`: at `at` (the clocks' time when `None`), up to the append.
    ///
    /// After a storage failure only closing decisions (those that can only turn things off)
    /// are taken: written into the room kept for them when the disk is full, or — when
    /// writing itself failed — applied in memory, so a revoke takes effect at once even when
    /// it cannot be recorded. Either way the caller hears of the failure.
    pub(super) fn decide_at(
        &self,
        at: Option<Now>,
        verb: &mut DynVerb<'_>,
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
                    Err(refusal) if entries.is_empty() => Ok((None, Err(refusal))),
                    _ => Err(Error::Failed(failure.why)),
                };
            }
            if !failure.out_of_room {
                self.apply_unrecorded(&mut core, &entries, now);
                return Err(Error::Failed(failure.why));
            }
        }
        if entries.is_empty() {
            return Ok((None, outcome));
        }
        let mut appended = self.commit(&mut core, &entries, now, closing)?;
        // Callers learn the sequence number of the verb's own first record (a new session's
        // id), after any switch written for context.
        appended.first_seq += (entries.len() - own) as u64;
        Ok((Some(appended), outcome))
    }

    /// Appends `entries` at `now`, applies them one by one, queues each record's changes with
    /// the state right after it, and checkpoints when due. Call with the write lock held.
    pub(super) fn commit(
        &self,
        core: &mut Core,
        entries: &[Entry],
        now: Now,
        closing: bool,
    ) -> Result<Appended, Error> {
        let healthy = core.answers();
        let journal = core.journal.as_mut().ok_or(Error::Closed)?;
        // A new day's first record: the records before it get their checkpoint first, the
        // cut point retention needs. (For closing records only while the log has room without
        // growing: the room kept for them is theirs, and the next record writes it.)
        if journal.day_turned(now.wall_ms) && (!closing || journal.has_room_to_spare()) {
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
        let appended = match journal.append_decision(now.wall_ms, entries, closing) {
            Ok(appended) => appended,
            Err(AppendError::ReadOnly) => return Err(Error::ReadOnly),
            Err(e) => {
                let out_of_room = matches!(e, AppendError::NoRoom(_));
                if closing {
                    self.apply_unrecorded(core, entries, now);
                }
                let why = e.to_string();
                self.fail_locked(core, out_of_room, why.clone());
                return Err(Error::Failed(why));
            }
        };
        // A "no" is kept aside until a sync confirms it, in case the sync fails (I4).
        let synced = self.durability.synced();
        core.unconfirmed.retain(|(ticket, _)| *ticket > synced);
        // A failed store took this closing record after "no"s it had to keep: they still stand,
        // now after it.
        if core.failed.is_some() {
            journal.advance_unwritten(core.state.chain, journal.head().0);
        }
        let (chain, after_seq) = (core.state.chain, journal.head().0);
        let nos: Vec<(u64, Unwritten)> = entries
            .iter()
            .filter(|e| core.state.may_redecide(e))
            .map(|entry| {
                let kept = Unwritten {
                    time_ms: now.wall_ms,
                    entry: entry.clone(),
                    chain,
                    after_seq,
                };
                (appended.ticket, kept)
            })
            .collect();
        // With a sealer, a "no" its seal or anchor does not cover is kept as one the disk
        // refused: a log cut back before it is then not the end of it.
        let kept: Vec<Unwritten> = nos.iter().map(|(_, kept)| kept.clone()).collect();
        if appended.unsealed {
            journal.keep_unwritten(&kept);
        } else if !kept.is_empty() {
            journal.nos_to_anchor(appended.ticket, kept);
        }
        core.unconfirmed.extend(nos);
        let mut seen = self
            .notifier
            .has_observers()
            .then(|| AppView::of(&core.state, healthy));
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
        } else if journal.checkpoint_due() {
            if let Err(e) = journal.checkpoint(&core.state, now.wall_ms) {
                self.fail_locked(core, false, format!("writing a checkpoint failed: {e}"));
            }
        }
        self.refresh_allowed(core);
        Ok(appended)
    }

    /// A closing decision that could not be recorded still takes effect in this process, and
    /// its "no"s are kept for the next open to record (I4).
    pub(super) fn apply_unrecorded(&self, core: &mut Core, entries: &[Entry], now: Now) {
        if let Some(journal) = core.journal.as_mut() {
            let (chain, after_seq) = (core.state.chain, journal.head().0);
            let nos: Vec<Unwritten> = entries
                .iter()
                .filter(|e| core.state.may_redecide(e))
                .map(|entry| Unwritten {
                    time_ms: now.wall_ms,
                    entry: entry.clone(),
                    chain,
                    after_seq,
                })
                .collect();
            journal.keep_unwritten(&nos);
        }
        let head = core.journal.as_ref().map_or(0, |j| j.head().0);
        let healthy = core.answers();
        let mut seen = AppView::of(&core.state, healthy);
        let mut changes = Vec::new();
        for entry in entries {
            // Not a record of the log: no sequence number of its own, no decision id.
            core.state.apply(0, now.wall_ms, entry, None);
            changes.extend(changes::changes_of(
                &core.state,
                head,
                entry,
                &mut seen,
                healthy,
            ));
        }
        self.notifier.enqueue(changes);
        self.refresh_allowed(core);
    }

    /// Waits for the fsync that covers `ticket`; a failure turns everything off for good, and
    /// the "no"s no sync confirmed are kept for the next open to record (I4).
    pub(super) fn wait_durable(&self, ticket: u64) -> Result<(), Error> {
        self.durability.wait(ticket).map_err(|e| {
            let why = format!("making the log durable failed ({e})");
            let mut core = self.core.write();
            self.fail_locked(&mut core, false, why.clone());
            let unconfirmed: Vec<Unwritten> = std::mem::take(&mut core.unconfirmed)
                .into_iter()
                .map(|(_, kept)| kept)
                .collect();
            if let Some(journal) = core.journal.as_mut() {
                journal.keep_unwritten(&unconfirmed);
            }
            Error::Failed(why)
        })?;
        // A decision's seal, durable now, is anchored beside the key.
        if self.durability.anchor_due() {
            if let Some(journal) = self.core.write().journal.as_mut() {
                journal.anchor_durable_seal();
            }
        }
        Ok(())
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

    pub(super) fn refresh_allowed(&self, core: &Core) {
        let may = core.may_allow();
        self.allowed
            .publish(|feature| may && core.state.is_allowed(feature));
        let usable = core.usable().is_ok();
        self.session_words
            .lock()
            .retain(|(id, word)| match word.upgrade() {
                Some(word) if !(usable && core.state.has_session(*id)) => {
                    word.set(0);
                    false
                }
                Some(_) => true,
                None => false,
            });
    }

    /// Benchmarks only: `decide` at a given time, without waiting for durability.
    #[cfg(feature = "bench-support")]
    pub fn decide_unsynced(
        &self,
        at: Now,
        verb: impl FnOnce(&State, Now) -> Decision,
    ) -> Result<Option<Appended>, Error> {
        let mut value = None;
        let (appended, _) = self.decide_at(Some(at), &mut erased(verb, &mut value))?;
        self.notifier.deliver();
        Ok(appended)
    }

    /// Benchmarks only: waits until everything appended so far is durable.
    #[cfg(feature = "bench-support")]
    pub fn sync_through(&self, appended: Appended) -> Result<(), Error> {
        self.wait_durable(appended.ticket)
    }
}
