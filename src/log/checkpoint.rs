//! Checkpoints: the digest of the state every so many records and at each day's turn, made durable, with the snapshot and the time index bound to it.

use std::io;

use super::index::{self, IndexEntry};
use super::journal::{Journal, Place};
use super::replay::ReplayMachine;
use super::snapshot::Snapshot;
use crate::entry::Entry;

/// One day, in milliseconds: the grain of retention's cut points.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Journal {
    pub fn checkpoint_due(&self) -> bool {
        self.since_checkpoint >= self.checkpoint_every
    }

    /// Whether records since the last checkpoint were written on an earlier (UTC) day than
    /// `now_ms`. A checkpoint then, before the new day's first record, gives retention a cut
    /// point at each day's end however few records there are (rule 12: history goes within
    /// about a day of ageing out, whatever the volume).
    pub fn day_turned(&self, now_ms: i64) -> bool {
        self.since_checkpoint > 0 && self.last_time.div_euclid(DAY_MS) < now_ms.div_euclid(DAY_MS)
    }

    /// Appends a checkpoint carrying the machine's digest, makes it durable, then writes the
    /// snapshot bound to it. A failed index or snapshot write only costs time later (both are
    /// checked and rebuilt on open); a failed append or sync is a storage failure.
    pub fn checkpoint<M: ReplayMachine>(&mut self, machine: &M, time_ms: i64) -> io::Result<()> {
        let offset = self.end;
        let max_time_before = self.max_time;
        let checkpoint = Entry::Checkpoint {
            digest: machine.digest(),
            max_time_before,
        };
        let appended = self
            .append(time_ms, std::slice::from_ref(&checkpoint), false)
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.since_checkpoint = 0;
        let hint = IndexEntry {
            offset,
            seq: appended.first_seq,
        };
        let checkpoint_hash = self.chain.last_hash;
        let seals_before = self.seals;
        let sealed = self.append_seal(time_ms, false)?;
        if let Err(e) = index::append(&self.index, &hint) {
            ::log::warn!("consentkit: time index not extended ({e}); reports scan more");
        }
        if let Place::Disk { dir, .. } = &self.place {
            self.log.sync_data()?;
            self.durability.synced_up_to(self.ticket);
            let (app_id, chain) = self.owner.clone().unwrap_or_default();
            let snapshot = Snapshot {
                seq: appended.first_seq,
                offset,
                hash: checkpoint_hash,
                max_time: self.max_time,
                last_time: time_ms,
                app_id,
                chain,
                seals: seals_before,
                state: machine.encode(),
            };
            if let Err(e) = snapshot.write(dir) {
                ::log::warn!("consentkit: snapshot not written ({e}); the next open replays more");
            }
        }
        if let Some(anchor) = sealed {
            self.keep_anchor(anchor)?;
        }
        Ok(())
    }
}
