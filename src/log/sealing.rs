//! The journal's seals (I7): every decision sealed as it is written and anchored once durable, a clean close anchored as closed, the records no seal vouches for, and the head's seal.

use std::io;
use std::sync::Arc;

use super::journal::{Journal, Unanchored};
use super::seal::{SealKeys, Sealer};
use super::unwritten::Unwritten;
use crate::entry::Entry;

impl Journal {
    /// Seals the chain from now on with `sealer`.
    pub fn set_sealer(&mut self, sealer: Option<Arc<dyn Sealer>>) {
        self.sealer = sealer;
        self.keys = match (&self.sealer, &self.owner) {
            (Some(sealer), Some((app_id, chain))) => {
                Some(SealKeys::new(sealer.clone(), app_id, *chain))
            }
            _ => None,
        };
    }

    /// The sealer, if the store has one.
    pub fn sealer(&self) -> Option<Arc<dyn Sealer>> {
        self.sealer.clone()
    }

    /// The "no"s of the decision whose seal waits for its anchor (the write `ticket`): kept
    /// like those the disk refused if the anchor cannot be kept.
    pub fn nos_to_anchor(&mut self, ticket: u64, nos: Vec<Unwritten>) {
        if let Some(unanchored) = self.unanchored.as_mut() {
            if unanchored.ticket == ticket {
                unanchored.nos = nos;
            }
        }
    }

    /// Keeps the anchor of the last decision's seal once the write that holds it is durable.
    /// When the sealer cannot keep it, the decision's "no"s are kept beside the log, as when
    /// the disk refuses them: a cut of the log back before them is not caught by the anchor,
    /// so the next open records them again.
    pub fn anchor_durable_seal(&mut self) {
        let Some(unanchored) = &self.unanchored else {
            return;
        };
        if unanchored.ticket > self.durability.synced() {
            return;
        }
        let Unanchored { anchor, nos, .. } = self.unanchored.take().expect("checked above");
        if let Err(e) = self.keep_anchor(anchor) {
            ::log::error!("consentkit: a decision's seal is not anchored ({e})");
            self.keep_unwritten(&nos);
        }
    }

    /// Seals the chain up to its last record on a clean close (unless it ends with a seal
    /// already), durably, and anchors that seal beside the key as closed: no record may
    /// follow it, so a tail appended without the key is damage, not history (I7).
    pub fn seal_now(&mut self, time_ms: i64) -> io::Result<()> {
        if let Some(anchor) = self.append_seal(time_ms, true)? {
            self.log.sync_data()?;
            self.durability.synced_up_to(self.ticket);
            self.keep_anchor(anchor)?;
        } else {
            self.anchor_last_seal(true)?;
        }
        Ok(())
    }

    /// Before this process writes: the anchor of a clean close says open again, so that the
    /// records it writes are not taken for a forger's. Nothing when it says open already.
    pub fn anchor_as_open(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.anchored_closed) {
            self.anchor_last_seal(false)?;
        }
        Ok(())
    }

    /// Anchors the last seal again, closed or open (with a sealer, when there is one).
    pub(super) fn anchor_last_seal(&mut self, closed: bool) -> io::Result<()> {
        let (Some((epoch, seq, hash)), Some(keys)) = (self.last_seal, self.keys.as_mut()) else {
            return Ok(());
        };
        let anchor = keys
            .anchor(epoch, seq, &hash, closed, self.nos_pending)
            .map_err(io::Error::other)?;
        self.keep_anchor(anchor)
    }

    /// The records after the last seal — or all, when the chain has none — with a sealer:
    /// found at open, they were written by a process that ended before sealing them, or by
    /// someone without the key. `(first, last)`.
    pub fn unvouched(&self) -> Option<(u64, u64)> {
        self.keys.as_ref()?;
        let head = self.chain.next_seq.checked_sub(1)?;
        let first = match self.last_seal {
            Some((_, seq, _)) => seq + 1,
            None => self.reader().first_seq(),
        };
        (first <= head).then_some((first, head))
    }

    /// Appends the seal of the last record, with the next epoch's key; returns the anchor to
    /// keep once it is durable (`closed` on a clean close). Nothing without a sealer, or when
    /// the last record is a seal.
    pub(super) fn append_seal(
        &mut self,
        time_ms: i64,
        closed: bool,
    ) -> io::Result<Option<Vec<u8>>> {
        let (head_seq, head_hash) = self.head();
        let Some(keys) = self.keys.as_mut() else {
            return Ok(None);
        };
        if self.last_is_seal {
            return Ok(None);
        }
        let epoch = self.seals;
        let tag = keys
            .seal(epoch, head_seq, &head_hash)
            .map_err(io::Error::other)?;
        let sealed = Entry::Sealed { epoch, tag };
        self.append(time_ms, std::slice::from_ref(&sealed), true)
            .map_err(|e| io::Error::other(e.to_string()))?;
        let (seq, hash) = self.head();
        let keys = self.keys.as_mut().expect("checked above");
        keys.anchor(epoch, seq, &hash, closed, self.nos_pending)
            .map(Some)
            .map_err(io::Error::other)
    }

    /// A seal of the head as it is now (for `head()` and exports), with the last sealed
    /// epoch's key: `(epoch, tag)`, or `None` without a sealer.
    pub fn seal_head(&mut self) -> io::Result<Option<(u64, [u8; 32])>> {
        let (seq, hash) = self.head();
        let epoch = self.seals.saturating_sub(1);
        match self.keys.as_mut() {
            Some(keys) => keys
                .seal_head(epoch, seq, &hash)
                .map(|tag| Some((epoch, tag)))
                .map_err(io::Error::other),
            None => Ok(None),
        }
    }

    /// Keeps `anchor`, the newest: a decision's seal not yet anchored is covered by it.
    pub(super) fn keep_anchor(&mut self, anchor: Vec<u8>) -> io::Result<()> {
        self.unanchored = None;
        match &self.keys {
            Some(keys) => keys.store_anchor(anchor).map_err(io::Error::other),
            None => Ok(()),
        }
    }
}
