//! The durable, hash-chained audit log: appending with group commit, checkpoints and snapshots, and new chains. It knows nothing of the rules.

mod durability;
mod fs;
mod index;
mod open;
mod reader;
pub(crate) mod record;
mod replay;
mod scan;
mod snapshot;

use std::io;
use std::sync::Arc;

pub(crate) use durability::Durability;
pub(crate) use fs::LOG_FILE;
use fs::{Bytes, DirLock, StoreDir, INDEX_FILE, SNAPSHOT_FILE};
use index::IndexEntry;
pub(crate) use open::{open_dir, open_memory, Found, OpenError};
pub(crate) use reader::LogReader;
use record::{encode_frame, ChainCheck, MAGIC};
pub(crate) use record::{Hash, Record};
pub(crate) use replay::{Damage, ReplayMachine};
use snapshot::Snapshot;

use crate::entry::Entry;

/// The log grows by this much at a time, zero-filled and synced, so that appending a record
/// overwrites space that already exists and its fsync has no file size to commit.
const PREALLOCATE: u64 = 1 << 20;

/// Where the chain lives.
enum Place {
    /// Previews and tests: the same frames, in a buffer. A new chain gets a new buffer, so
    /// readers holding the old one are never confused.
    Memory,
    Disk {
        dir: StoreDir,
        _lock: DirLock,
    },
}

/// Where an append went: the first sequence number, and the ticket to wait on for durability.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Appended {
    pub first_seq: u64,
    pub ticket: u64,
}

/// The open log: where the next record goes and what it links to.
pub(crate) struct Journal {
    place: Place,
    log: Bytes,
    index: Bytes,
    chain: ChainCheck,
    /// Bytes in the log; everything before this is whole frames.
    end: u64,
    /// Length of the log file: the zeroed space past `end` is free for appends.
    allocated: u64,
    since_checkpoint: u64,
    checkpoint_every: u64,
    /// Largest record time so far (wall clocks jump: not the last record's time).
    max_time: i64,
    /// The last record's time.
    last_time: i64,
    ticket: u64,
    durability: Arc<Durability>,
    scratch: Vec<u8>,
}

impl Journal {
    /// A journal with no chain yet: `start_chain` gives it one.
    fn new(place: Place, log: Bytes, index: Bytes, checkpoint_every: u64) -> Journal {
        Journal {
            place,
            durability: Arc::new(Durability::new(log.clone())),
            log,
            index,
            chain: ChainCheck::new(),
            end: 0,
            allocated: 0,
            since_checkpoint: 0,
            checkpoint_every: checkpoint_every.max(2),
            max_time: i64::MIN,
            last_time: i64::MIN,
            ticket: 0,
            scratch: Vec::new(),
        }
    }

    pub fn durability(&self) -> Arc<Durability> {
        self.durability.clone()
    }

    /// Sequence number and hash of the last record.
    pub fn head(&self) -> (u64, Hash) {
        (self.chain.next_seq - 1, self.chain.last_hash)
    }

    /// The last record's time: the last moment the store is known to have been alive.
    pub fn last_time(&self) -> i64 {
        self.last_time
    }

    /// Writes `entries` as consecutive records (one write) at `time_ms`. On failure nothing
    /// is appended.
    pub fn append(&mut self, time_ms: i64, entries: &[Entry]) -> io::Result<Appended> {
        if self.chain.next_seq == 1 && !entries.first().is_some_and(|e| e.kind().is_genesis()) {
            return Err(io::Error::other("the log has no chain to append to"));
        }
        let first_seq = self.chain.next_seq;
        let mut chain = self.chain.clone();
        self.scratch.clear();
        for entry in entries {
            chain.last_hash = encode_frame(
                &mut self.scratch,
                &chain.last_hash,
                chain.next_seq,
                time_ms,
                entry,
            );
            chain.next_seq += 1;
        }
        let needed = self.end + self.scratch.len() as u64;
        if matches!(self.place, Place::Disk { .. }) && needed > self.allocated {
            let grown = needed.div_ceil(PREALLOCATE) * PREALLOCATE;
            self.log.zero_fill(self.allocated, grown)?;
            self.allocated = grown;
        }
        if let Err(e) = self.log.write_at(&self.scratch, self.end) {
            // Zero any partial frame so the next append starts on a boundary.
            let _ = self.log.write_at(&vec![0; self.scratch.len()], self.end);
            return Err(e);
        }
        self.chain = chain;
        self.max_time = self.max_time.max(time_ms);
        self.last_time = time_ms;
        self.end = needed;
        self.since_checkpoint += entries.len() as u64;
        self.ticket += 1;
        self.durability.written(self.ticket);
        Ok(Appended {
            first_seq,
            ticket: self.ticket,
        })
    }

    pub fn checkpoint_due(&self) -> bool {
        self.since_checkpoint >= self.checkpoint_every
    }

    /// Appends a checkpoint carrying the machine's digest, makes it durable, then writes the
    /// snapshot bound to it. A failed index or snapshot write only costs time later.
    pub fn checkpoint<M: ReplayMachine>(&mut self, machine: &M, time_ms: i64) -> io::Result<()> {
        let offset = self.end;
        let max_time_before = self.max_time;
        let checkpoint = Entry::Checkpoint {
            digest: machine.digest(),
            max_time_before,
        };
        let appended = self.append(time_ms, std::slice::from_ref(&checkpoint))?;
        self.since_checkpoint = 0;
        let hint = IndexEntry {
            offset,
            seq: appended.first_seq,
        };
        if let Err(e) = index::append(&self.index, &hint) {
            ::log::warn!("consentkit: time index not extended ({e}); reports scan more");
        }
        if let Place::Disk { dir, .. } = &self.place {
            self.log.sync_data()?;
            self.durability.synced_up_to(appended.ticket);
            let snapshot = Snapshot {
                seq: appended.first_seq,
                offset,
                hash: self.chain.last_hash,
                max_time: self.max_time,
                last_time: time_ms,
                state: machine.encode(),
            };
            if let Err(e) = snapshot.write(dir) {
                ::log::warn!("consentkit: snapshot not written ({e}); the next open replays more");
            }
        }
        Ok(())
    }

    /// Replaces the chain with a new one that starts with `genesis`. The old chain's files
    /// must already be kept aside or meant to go (an erasure); its unsynced records are
    /// synced first, so nobody waiting on them is told a lie.
    pub fn start_chain(&mut self, genesis: &Entry, time_ms: i64) -> io::Result<()> {
        debug_assert!(genesis.kind().is_genesis());
        let mut bytes = MAGIC.to_vec();
        let mut chain = ChainCheck::new();
        chain.last_hash = encode_frame(&mut bytes, &chain.last_hash, 1, time_ms, genesis);
        chain.next_seq = 2;
        let (log, index) = match &self.place {
            Place::Memory => (Bytes::memory(bytes.clone()), Bytes::memory(Vec::new())),
            Place::Disk { dir, .. } => {
                self.log.sync_data()?;
                // The snapshot goes first: a crash then leaves the old log to replay in full.
                dir.remove(SNAPSHOT_FILE)?;
                let log = dir.replace_log(&bytes)?;
                dir.remove(INDEX_FILE)?;
                (log, dir.open_append(INDEX_FILE)?)
            }
        };
        self.durability.replace_file(log.clone());
        self.durability.synced_up_to(self.ticket);
        self.log = log;
        self.index = index;
        self.chain = chain;
        self.end = bytes.len() as u64;
        self.allocated = self.end;
        self.max_time = time_ms;
        self.last_time = time_ms;
        self.since_checkpoint = 0;
        Ok(())
    }

    /// Moves the chain's files aside into `quarantine/`, returning the folder's name relative
    /// to the store directory. Memory stores keep nothing aside.
    pub fn quarantine(&self, time_ms: i64) -> io::Result<String> {
        match &self.place {
            Place::Disk { dir, .. } => {
                if self.chain.next_seq > 1 {
                    self.log.sync_data()?;
                }
                dir.quarantine(time_ms)
            }
            Place::Memory => Ok(String::from("(memory store: nothing kept)")),
        }
    }

    /// Deletes the damaged copies kept aside (part of erasing everything).
    pub fn erase_kept_aside(&self) -> io::Result<()> {
        match &self.place {
            Place::Disk { dir, .. } => dir.erase_quarantine(),
            Place::Memory => Ok(()),
        }
    }

    /// A reader of the chain as it is now.
    pub fn reader(&self) -> LogReader {
        LogReader::new(self.log.clone(), self.index.clone(), self.end, self.head())
    }
}
