//! What a failing disk must not lose (I4): a decision's "no"s kept aside until a sync (and the seal's anchor) confirms them, a closing decision taken in memory and kept for the next open, a failed sync that turns everything off.

use super::changes::{self, AppView};
use super::{Core, Engine};
use crate::entry::Entry;
use crate::error::Error;
use crate::log::{Appended, Unwritten};
use crate::rules::Now;

impl Engine {
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

    /// A decision's "no"s, kept aside until a sync confirms them (and, with a sealer, until
    /// its seal is anchored), in case either fails (I4).
    pub(super) fn keep_nos_until_durable(
        &self,
        core: &mut Core,
        entries: &[Entry],
        now: Now,
        appended: &Appended,
    ) {
        let Some(journal) = core.journal.as_mut() else {
            return;
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
    }
}
