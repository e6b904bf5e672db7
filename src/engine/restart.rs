//! Starting a chain: a new store's first, the one after an erasure, and the one after damage was found — one path for all three.

use super::changes::{self, AppView};
use super::write::Write;
use super::Engine;
use crate::entry::{Entry, Genesis};
use crate::error::Error;
use crate::kinds::RecoveryNotice;
use crate::log::{Damage, Unwritten};
use crate::model::{Feature, OsPermission};
use crate::rules::{Decision, Now, State};

/// Why a chain starts.
pub(crate) enum ChainStart {
    /// A new store.
    First,
    /// The person erased everything.
    Erase,
    /// The chain failed its checks: keep its files aside. `seen_chain` is the chain the
    /// damage was found in; if another restart happened since, there is nothing to do.
    Recover {
        damage: Damage,
        seen_chain: Option<u64>,
    },
}

impl Engine {
    /// Replaces the chain. Consent and history do not carry over; the app's terms, the OS
    /// permissions and the foreground state do. Returns the recovery notice, if any.
    pub fn restart(&self, start: ChainStart) -> Result<Option<RecoveryNotice>, Error> {
        self.restart_at(start, self.now())
    }

    /// `restart` at `now`. An erasure is everyone's "no" at once: one the disk refused is kept
    /// for the next open to carry out, as a withdrawal is (I4).
    pub(super) fn restart_at(
        &self,
        start: ChainStart,
        now: Now,
    ) -> Result<Option<RecoveryNotice>, Error> {
        let erasing = matches!(start, ChainStart::Erase);
        let result = self.new_chain(start, now);
        if let (true, Err(Error::Failed(_) | Error::Io { .. })) = (erasing, &result) {
            self.keep_erasure(now);
        }
        result
    }

    /// An erasure the disk (or the key) refused: kept for the next open to carry out, and
    /// taken in this process.
    fn keep_erasure(&self, now: Now) {
        {
            let mut core = self.core.write();
            let chain = core.state.chain;
            let Some(journal) = core.journal.as_mut() else {
                return;
            };
            let after_seq = journal.head().0;
            journal.keep_unwritten(&[Unwritten {
                time_ms: now.wall_ms,
                entry: self.erased(chain),
                chain,
                after_seq,
            }]);
        }
        self.erase_in_memory(now);
    }

    /// The genesis of the chain after `chain`, as an erasure starts it.
    fn erased(&self, chain: u64) -> Entry {
        Entry::Erased(Genesis {
            app_id: self.config.app_id.clone(),
            chain: chain + 1,
            recovery: None,
        })
    }

    /// An erasure not (yet) in the log, taken in memory: what the store shows is the erasure
    /// (I6), on the chain the log is still at — until the next open carries it out.
    pub(super) fn erase_in_memory(&self, now: Now) {
        {
            let mut guard = self.write();
            let core = &mut *guard;
            let chain = core.state.chain;
            let genesis = self.erased(chain);
            let head = core.journal.as_ref().map_or(0, |j| j.head().0);
            let healthy = core.answers();
            let mut seen = AppView::of(&core.state, healthy);
            let prior = std::mem::replace(&mut core.state, State::new(""));
            core.state.apply(0, now.wall_ms, &genesis, None);
            for entry in self.carried_over(&core.state, &prior, now) {
                core.state.apply(0, now.wall_ms, &entry, None);
            }
            core.state.chain = chain;
            core.state.live_foreground = Some(prior.is_foreground());
            self.notifier.enqueue(changes::changes_of(
                &core.state,
                head,
                &genesis,
                &mut seen,
                healthy,
            ));
            self.refresh_allowed(core);
        }
        self.notifier.deliver();
    }

    fn new_chain(&self, start: ChainStart, now: Now) -> Result<Option<RecoveryNotice>, Error> {
        let (appended, notice) = {
            let mut guard = self.write();
            let core = &mut *guard;
            core.usable()?;
            if let ChainStart::Recover {
                seen_chain: Some(chain),
                ..
            } = &start
            {
                if *chain != core.state.chain {
                    return Ok(None);
                }
            }
            if let ChainStart::Erase = start {
                // Sessions end on the old chain first, so observers hear of each. Starting
                // the new chain syncs the old one, so these records are durable before they go.
                let Decision { entries, .. } = core.state.erasing(now);
                if !entries.is_empty() {
                    self.commit(core, &entries, now, Write::Append { closing: true })?;
                }
            }
            let journal = core.journal.as_mut().ok_or(Error::Closed)?;
            let next_chain = core.state.chain + 1;
            let genesis = |recovery| Genesis {
                app_id: self.config.app_id.clone(),
                chain: next_chain,
                recovery,
            };
            let (genesis, notice) = match start {
                ChainStart::First => (Entry::ChainStarted(genesis(None)), None),
                ChainStart::Erase => (Entry::Erased(genesis(None)), None),
                ChainStart::Recover { damage, .. } => {
                    let kept = journal
                        .quarantine(now.wall_ms)
                        .map_err(|e| Error::io("keeping the damaged log aside", e))?;
                    ::log::warn!(
                        "consentkit: the log failed its checks ({}); kept aside as {kept}",
                        damage.problem
                    );
                    let notice = RecoveryNotice::new(
                        now.wall_ms,
                        damage.first_bad_seq,
                        &damage.problem,
                        kept,
                    );
                    (
                        Entry::Recovered(genesis(Some(notice.clone()))),
                        Some(notice),
                    )
                }
            };
            let prior = core.state.clone();
            let is_erasure = matches!(genesis, Entry::Erased(_));
            if let Err(e) = self.commit(core, &[genesis], now, Write::NewChain) {
                drop(guard);
                self.notifier.deliver();
                return Err(e);
            }
            let journal = core.journal.as_mut().ok_or(Error::Closed)?;
            if is_erasure {
                journal
                    .erase_kept_aside()
                    .map_err(|e| Error::io("erasing damaged copies kept aside", e))?;
            }
            let carried = self.carried_over(&core.state, &prior, now);
            let appended = if carried.is_empty() {
                None
            } else {
                Some(self.commit(core, &carried, now, Write::Append { closing: false })?)
            };
            // Whether the app is in the foreground is carried even when it was never recorded.
            core.state.live_foreground = Some(prior.is_foreground());
            self.refresh_allowed(core);
            (appended, notice)
        };
        if let Some(appended) = appended {
            self.wait_durable(appended.ticket)?;
        }
        self.notifier.deliver();
        Ok(notice)
    }

    /// What a new chain keeps from the old one: the terms in force, what the OS says, the
    /// age signals and whether the app is in the foreground. None of it can turn anything
    /// on; the age signals are kept — the standing one, then a tighter one in force — so that
    /// erasing can neither make a minor an adult nor lower a signal's standing.
    fn carried_over(&self, state: &State, prior: &State, now: crate::rules::Now) -> Vec<Entry> {
        let terms = self.config.terms.as_ref().unwrap_or(&prior.terms);
        let app_terms = self.config.app_terms.as_ref().unwrap_or(&prior.app);
        let mut entries = state.apply_terms(terms).entries;
        entries.extend(state.apply_app_terms(app_terms).entries);
        entries.extend(prior.age_standing.map(Entry::AgeSignalSet));
        if prior.age != prior.age_standing {
            entries.extend(prior.age.map(Entry::AgeSignalSet));
        }
        for feature in Feature::ALL {
            let permission = prior.record(feature).os_permission;
            if permission != OsPermission::Unknown {
                entries.push(Entry::OsPermissionChanged {
                    feature,
                    permission,
                });
            }
        }
        entries.extend(state.set_foreground(prior.is_foreground(), now).entries);
        entries
    }
}

/// What a full check of the chain found.
pub(crate) struct Verification {
    pub records_checked: u64,
    /// The last record a sound seal covers (with a sealer).
    pub sealed_through: Option<u64>,
    /// The last seal record (with a sealer).
    pub last_seal_at: Option<u64>,
    /// Records opens found unsealed and marked as such, in the whole chain (also those whose
    /// marks retention has cut off).
    pub unvouched: u64,
    /// Why the chain was restarted: by this check, or by an earlier one since the last erasure
    /// (or, opened read-only, the damage found and left in place).
    pub notice: Option<RecoveryNotice>,
}

impl Engine {
    /// Replays the whole chain into a fresh state, checking every record against the rules
    /// and, with a sealer, every seal and the anchor. Damage turns every feature off, keeps
    /// the files aside and starts a new chain that names them (opened read-only: reports it).
    pub fn verify(&self) -> Result<Verification, Error> {
        let (reader, chain, unvouched, sealer, read_only) = {
            let core = self.core.read();
            let journal = core.journal.as_ref().ok_or(Error::Closed)?;
            (
                journal.reader(),
                core.state.chain,
                core.state.unvouched_records,
                journal.sealer(),
                journal.read_only(),
            )
        };
        match reader.verify::<State>(sealer) {
            Ok(verified) => Ok(Verification {
                records_checked: verified.records,
                sealed_through: verified.sealed_through,
                last_seal_at: verified.last_seal_at,
                // The state the replay just matched, up to the reader's head.
                unvouched,
                notice: self.recovery_notice(),
            }),
            Err(failure) if read_only => Ok(Verification {
                records_checked: failure.records_checked,
                sealed_through: None,
                last_seal_at: None,
                unvouched: 0,
                notice: Some(RecoveryNotice::new(
                    self.clock.now_ms(),
                    failure.damage.first_bad_seq,
                    &failure.damage.problem,
                    String::new(),
                )),
            }),
            Err(failure) => {
                let found = self.restart(ChainStart::Recover {
                    damage: failure.damage,
                    seen_chain: Some(chain),
                })?;
                Ok(Verification {
                    records_checked: failure.records_checked,
                    sealed_through: None,
                    last_seal_at: None,
                    unvouched: 0,
                    notice: found.or_else(|| self.recovery_notice()),
                })
            }
        }
    }
}
