//! New chains: replacing the log with one that starts with a genesis record, sealed and anchored as it starts.

use std::io;

use super::bytes::Bytes;
use super::fs::{INDEX_FILE, SNAPSHOT_FILE};
use super::journal::{Appended, Journal, Place};
use super::record::{encode_frame, ChainCheck, MAGIC};
use super::seal::SealKeys;
use crate::entry::Entry;

impl Journal {
    /// Replaces the chain with a new one that starts with `genesis`. The old chain's files
    /// must already be kept aside or meant to go (an erasure); its unsynced records are
    /// synced first, so nobody waiting on them is told a lie. With a sealer, the new chain is
    /// sealed and anchored as it starts — a chain above the anchored one that holds no seal
    /// was started without the key (I7) — and the seal is made before any file changes: a
    /// sealer that fails leaves the old chain as it was.
    pub fn start_chain(&mut self, genesis: &Entry, time_ms: i64) -> io::Result<Appended> {
        debug_assert!(genesis.kind().is_genesis());
        let owner = genesis.genesis().map(|g| (g.app_id.clone(), g.chain));
        let mut keys = match (&self.sealer, &owner) {
            (Some(sealer), Some((app_id, chain))) => {
                Some(SealKeys::new(sealer.clone(), app_id, *chain))
            }
            _ => None,
        };
        let mut bytes = MAGIC.to_vec();
        let mut chain = ChainCheck::new();
        chain.last_hash = encode_frame(&mut bytes, &chain.last_hash, 1, time_ms, genesis);
        chain.next_seq = 2;
        let mut sealed = None;
        if let Some(keys) = keys.as_mut() {
            let tag = keys
                .seal(0, 1, &chain.last_hash)
                .map_err(io::Error::other)?;
            let seal = Entry::Sealed { epoch: 0, tag };
            chain.last_hash = encode_frame(&mut bytes, &chain.last_hash, 2, time_ms, &seal);
            chain.next_seq = 3;
            let anchor = keys
                .anchor(0, 2, &chain.last_hash, false, self.nos_pending)
                .map_err(io::Error::other)?;
            sealed = Some(((0, 2, chain.last_hash), anchor));
        }
        let (log, index) = match &self.place {
            Place::Memory => (Bytes::memory(bytes.clone()), Bytes::memory(Vec::new())),
            Place::Disk { dir, .. } => {
                if self.chain.next_seq > 1 {
                    self.log.sync_data()?;
                }
                // The snapshot goes first: a crash then leaves the old log to replay in full,
                // never a new log beside a snapshot of the old one.
                dir.remove(SNAPSHOT_FILE)?;
                let log = dir.replace_log(&bytes)?;
                dir.remove(INDEX_FILE)?;
                (log, dir.open_append(INDEX_FILE)?)
            }
            Place::ReadOnly => return Err(io::Error::other("the store was opened read-only")),
        };
        self.durability.replace_file(log.clone());
        self.durability.synced_up_to(self.ticket);
        self.log = log;
        self.index = index;
        self.chain = chain;
        self.start = MAGIC.len() as u64;
        self.end = bytes.len() as u64;
        self.zeroed = self.end;
        self.max_time = time_ms;
        self.last_time = time_ms;
        // The genesis record and its seal count, as replay counts them.
        self.since_checkpoint = 1 + u64::from(sealed.is_some());
        self.owner = owner;
        self.keys = keys;
        self.seals = u64::from(sealed.is_some());
        self.last_is_seal = sealed.is_some();
        self.last_seal = sealed.as_ref().map(|(seal, _)| *seal);
        self.anchored_closed = false;
        if let Some((_, anchor)) = sealed {
            self.keep_anchor(anchor)?;
        }
        // Written durably by `replace_log`: nothing to wait for.
        Ok(Appended {
            first_seq: 1,
            ticket: self.ticket,
            out_of_room: None,
            unsealed: false,
        })
    }
}
