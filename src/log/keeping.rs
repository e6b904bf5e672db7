//! The journal's side of the "no"s the log could not take (I4): kept beside it and in the process, named by the anchor with a key, taken and cleared by the next open.

use std::io;

use super::journal::{Journal, Place};
use super::sidefile::FileKey;
use super::unwritten::{self, Kept, Unwritten};

impl Journal {
    /// Keeps closing records that could not be written (or made durable), for the next open
    /// to record (I4): beside the log and in this process. Memory stores keep nothing.
    pub fn keep_unwritten(&mut self, items: &[Unwritten]) {
        if let Place::Disk { dir, .. } = &self.place {
            let bytes = unwritten::add(dir, items, self.file_key().as_ref());
            self.write_unwritten(bytes);
        }
    }

    /// "No"s kept by this process still stand after the records a failed store took since:
    /// they are kept again as said after `(chain, after_seq)`.
    pub fn advance_unwritten(&mut self, chain: u64, after_seq: u64) {
        if let Place::Disk { dir, .. } = &self.place {
            let bytes = unwritten::restate(dir, chain, after_seq, self.file_key().as_ref());
            self.write_unwritten(bytes);
        }
    }

    /// Writes the file of unwritten decisions — with a sealer, once the anchor names it: a
    /// file deleted or replaced before the next open then reads as unreadable, and every
    /// "no" it could hold is assumed. Best effort, like the file: the process keeps them too.
    pub(super) fn write_unwritten(&mut self, bytes: Option<Vec<u8>>) {
        let Some(bytes) = bytes else {
            return;
        };
        if self.keys.is_some() {
            self.nos_pending = Some(unwritten::digest(&bytes));
            if let Err(e) = self.anchor_last_seal(self.anchored_closed) {
                ::log::error!(
                    "consentkit: the anchor cannot name the closing decisions kept ({e})"
                );
            }
        }
        if let Place::Disk { dir, .. } = &self.place {
            unwritten::write(dir, &bytes);
        }
    }

    /// The key of the unwritten decisions' file: the sealer's, for the store's app.
    pub(super) fn file_key(&self) -> Option<FileKey> {
        let (sealer, (app_id, _)) = (self.sealer.clone()?, self.owner.clone()?);
        Some(FileKey { sealer, app_id })
    }

    /// What `keep_unwritten` kept for this store, oldest first.
    pub fn take_unwritten(&self) -> Kept {
        match &self.place {
            Place::Disk { dir, .. } => {
                unwritten::take(dir, self.file_key().as_ref(), self.nos_pending)
            }
            Place::Memory | Place::ReadOnly => Kept {
                items: Vec::new(),
                unreadable: None,
            },
        }
    }

    /// What a read-only open found kept for the next open to record (once).
    pub fn take_pending_view(&mut self) -> Option<Kept> {
        self.pending_view.take()
    }

    /// Forgets what `take_unwritten` returned, now that the log holds it: the anchor first
    /// stops naming the file (a failure leaves both: recording the same "no" again changes
    /// nothing), then the file goes.
    pub fn clear_unwritten(&mut self) -> io::Result<()> {
        if self.nos_pending.take().is_some() {
            self.anchor_last_seal(self.anchored_closed)?;
        }
        match &self.place {
            Place::Disk { dir, .. } => unwritten::clear(dir),
            Place::Memory | Place::ReadOnly => Ok(()),
        }
    }
}
