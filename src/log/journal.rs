//! The journal: where the next record goes and what it links to — appending records (a decision sealed in the same write) with room reserved ahead, and the state every other job of the log works on.

use std::io;
use std::sync::Arc;

use super::bytes::Bytes;
use super::durability::Durability;
use super::fs::{DirLock, StoreDir};
use super::reader::LogReader;
use super::record::{encode_frame, ChainCheck, Hash, MAGIC};
use super::seal::{SealKeys, Sealer};
use super::unwritten::{Kept, Unwritten};
use crate::entry::Entry;

/// The log grows by this much at a time, zero-filled and synced, so that appending a record
/// overwrites space that already exists and its fsync has no file size to commit.
pub(super) const PREALLOCATE: u64 = 1 << 20;
/// Room kept zeroed ahead of the last record: hundreds of closing decisions (a revoke and the
/// sessions it ends) fit in it, so one always has room even when the disk is full.
pub(super) const RESERVE: u64 = 64 << 10;
/// A full disk or an exhausted quota.
fn is_out_of_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(code) if code == libc::ENOSPC || code == libc::EDQUOT)
}

/// Where the chain lives.
pub(super) enum Place {
    /// Previews and tests: the same frames, in a buffer. A new chain gets a new buffer, so
    /// readers holding the old one are never confused.
    Memory,
    Disk {
        dir: StoreDir,
        _lock: DirLock,
    },
    /// Inspection: read the consistent prefix, write nothing, take no lock.
    ReadOnly,
}

/// Where an append went: the first sequence number, and the ticket to wait on for durability.
#[derive(Clone, Debug)]
pub(crate) struct Appended {
    pub first_seq: u64,
    pub ticket: u64,
    /// Written into the reserved room, but no more room could be reserved after it.
    pub out_of_room: Option<String>,
    /// A closing decision written without its seal: the sealer failed.
    pub unsealed: bool,
}

/// A decision's seal waiting for its write to be durable before its anchor is kept.
pub(super) struct Unanchored {
    pub(super) ticket: u64,
    pub(super) anchor: Vec<u8>,
    /// The decision's "no"s, kept beside the log if the anchor cannot be.
    pub(super) nos: Vec<Unwritten>,
}

/// Why nothing was appended.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// No room could be reserved for the records (the disk is full).
    NoRoom(io::Error),
    /// Writing failed.
    Io(io::Error),
    /// The log was opened read-only.
    ReadOnly,
    /// The sealer could not seal a decision.
    Sealer(String),
}

impl std::fmt::Display for AppendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppendError::NoRoom(e) => write!(f, "no room left to record it ({e})"),
            AppendError::Sealer(e) => write!(f, "the key could not seal it ({e})"),
            AppendError::Io(e) => write!(f, "writing the log failed ({e})"),
            AppendError::ReadOnly => write!(f, "the store was opened read-only"),
        }
    }
}

/// The open log: where the next record goes and what it links to.
pub(crate) struct Journal {
    pub(super) place: Place,
    pub(super) log: Bytes,
    pub(super) index: Bytes,
    pub(super) chain: ChainCheck,
    /// Where the first frame is: after the header, and after the base of a compacted log.
    pub(super) start: u64,
    /// Bytes in the log; everything before this is whole frames.
    pub(super) end: u64,
    /// Bytes past `end` up to here are zeroed and synced: room for appends.
    pub(super) zeroed: u64,
    pub(super) since_checkpoint: u64,
    pub(super) checkpoint_every: u64,
    /// Largest record time so far (wall clocks jump: not the last record's time).
    pub(super) max_time: i64,
    /// The last record's time.
    pub(super) last_time: i64,
    pub(super) ticket: u64,
    pub(super) durability: Arc<Durability>,
    pub(super) scratch: Vec<u8>,
    /// Whose chain it is and its number (from its genesis record).
    pub(super) owner: Option<(String, u64)>,
    /// Seals in the chain so far: the next seal's epoch.
    pub(super) seals: u64,
    /// Whether the last record is a seal (nothing new to seal).
    pub(super) last_is_seal: bool,
    /// The last seal record: its epoch, sequence number and hash (what an anchor names).
    pub(super) last_seal: Option<(u64, u64, Hash)>,
    /// The anchor says the last process closed cleanly: it is anchored as open again before
    /// this one writes anything.
    pub(super) anchored_closed: bool,
    /// Opened read-only: the "no"s an earlier process could not write, read but left in place.
    pub(super) pending_view: Option<Kept>,
    /// The app's texts as a read-only open found them.
    pub(super) texts_view: Option<Result<(Vec<u8>, super::sidefile::Vouched), String>>,
    /// The digest of the file of unwritten decisions the anchor names (with a sealer), while
    /// what it holds is not in the log: every anchor kept names it.
    pub(super) nos_pending: Option<Hash>,
    /// The anchor of a decision's seal, kept once its write is durable.
    pub(super) unanchored: Option<Unanchored>,
    /// The platform's sealer, if the app gave one.
    pub(super) sealer: Option<Arc<dyn Sealer>>,
    /// The current chain's seal keys (with a sealer).
    pub(super) keys: Option<SealKeys>,
}

impl Journal {
    /// A journal with no chain yet: `start_chain` gives it one.
    pub(super) fn new(place: Place, log: Bytes, index: Bytes, checkpoint_every: u64) -> Journal {
        Journal {
            place,
            durability: Arc::new(Durability::new(log.clone())),
            log,
            index,
            chain: ChainCheck::new(),
            start: MAGIC.len() as u64,
            end: 0,
            zeroed: 0,
            since_checkpoint: 0,
            checkpoint_every: checkpoint_every.max(2),
            max_time: i64::MIN,
            last_time: i64::MIN,
            ticket: 0,
            scratch: Vec::new(),
            owner: None,
            seals: 0,
            last_is_seal: false,
            last_seal: None,
            anchored_closed: false,
            pending_view: None,
            texts_view: None,
            nos_pending: None,
            unanchored: None,
            sealer: None,
            keys: None,
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

    /// Whether records can be written at all.
    pub fn read_only(&self) -> bool {
        matches!(self.place, Place::ReadOnly)
    }

    /// A reader of the chain as it is now.
    pub fn reader(&self) -> LogReader {
        LogReader::new(
            self.log.clone(),
            self.index.clone(),
            self.start,
            self.end,
            self.head(),
        )
    }

    /// Writes `entries` as consecutive records (one write) at `time_ms`, keeping room reserved
    /// after them. When no more room can be reserved, `closing` records (which can only turn
    /// things off) still go into the room already reserved; others are refused. On failure
    /// nothing is appended.
    pub fn append(
        &mut self,
        time_ms: i64,
        entries: &[Entry],
        closing: bool,
    ) -> Result<Appended, AppendError> {
        self.append_then_seal(time_ms, entries, closing, false)
    }

    /// Appends a person's decision (`Entry::is_decision`) sealed in the same write, with a
    /// sealer: every decision is vouched for as it is made — a "yes" no seal covers was
    /// written without the key, or never confirmed (I7) — and its seal is anchored once it is
    /// durable (`anchor_durable_seal`), so cutting off a "no" is caught like any cut. A sealer
    /// that fails refuses a "yes"; a closing decision is written all the same.
    pub fn append_decision(
        &mut self,
        time_ms: i64,
        entries: &[Entry],
        closing: bool,
    ) -> Result<Appended, AppendError> {
        let seal = self.keys.is_some() && entries.iter().any(Entry::is_decision);
        match self.append_then_seal(time_ms, entries, closing, seal) {
            Err(AppendError::Sealer(e)) if closing => {
                ::log::error!("consentkit: a closing decision is written unsealed ({e})");
                let appended = self.append_then_seal(time_ms, entries, closing, false)?;
                Ok(Appended {
                    unsealed: true,
                    ..appended
                })
            }
            result => result,
        }
    }

    pub(super) fn append_then_seal(
        &mut self,
        time_ms: i64,
        entries: &[Entry],
        closing: bool,
        seal: bool,
    ) -> Result<Appended, AppendError> {
        if matches!(self.place, Place::ReadOnly) {
            return Err(AppendError::ReadOnly);
        }
        if self.chain.next_seq == 1 && !entries.first().is_some_and(|e| e.kind().is_genesis()) {
            return Err(AppendError::Io(io::Error::other(
                "the log has no chain to append to",
            )));
        }
        let first_seq = self.chain.next_seq;
        let mut chain = self.chain.clone();
        let mut last_seal = self.last_seal;
        self.scratch.clear();
        for entry in entries {
            chain.last_hash = encode_frame(
                &mut self.scratch,
                &chain.last_hash,
                chain.next_seq,
                time_ms,
                entry,
            );
            if let Entry::Sealed { epoch, .. } = entry {
                last_seal = Some((*epoch, chain.next_seq, chain.last_hash));
            }
            chain.next_seq += 1;
        }
        let mut anchor = None;
        if let (true, Some(keys)) = (seal, self.keys.as_mut()) {
            let epoch = self.seals;
            let head = chain.next_seq - 1;
            let sealed = keys
                .seal(epoch, head, &chain.last_hash)
                .map(|tag| Entry::Sealed { epoch, tag })
                .map_err(AppendError::Sealer)?;
            chain.last_hash = encode_frame(
                &mut self.scratch,
                &chain.last_hash,
                chain.next_seq,
                time_ms,
                &sealed,
            );
            last_seal = Some((epoch, chain.next_seq, chain.last_hash));
            anchor = Some(
                keys.anchor(
                    epoch,
                    chain.next_seq,
                    &chain.last_hash,
                    false,
                    self.nos_pending,
                )
                .map_err(AppendError::Sealer)?,
            );
            chain.next_seq += 1;
        }
        let needed = self.end + self.scratch.len() as u64;
        let mut out_of_room = None;
        if matches!(self.place, Place::Disk { .. }) && needed + RESERVE > self.zeroed {
            match self.grow(needed, closing) {
                Ok(()) => {}
                Err(AppendError::NoRoom(e)) if closing && needed <= self.zeroed => {
                    out_of_room = Some(format!("no room left to reserve in the log ({e})"));
                }
                Err(e) => return Err(e),
            }
        }
        if let Err(e) = self.log.write_at(&self.scratch, self.end) {
            // Zero any partial frame so the next append starts on a boundary.
            let _ = self.log.write_at(&vec![0; self.scratch.len()], self.end);
            return Err(AppendError::Io(e));
        }
        let sealed = entries
            .iter()
            .filter(|e| matches!(e, Entry::Sealed { .. }))
            .count()
            + usize::from(anchor.is_some());
        self.seals += sealed as u64;
        self.last_is_seal =
            anchor.is_some() || matches!(entries.last(), Some(Entry::Sealed { .. }));
        self.chain = chain;
        self.last_seal = last_seal;
        self.max_time = self.max_time.max(time_ms);
        self.last_time = time_ms;
        self.end = needed;
        self.since_checkpoint += (entries.len() + usize::from(anchor.is_some())) as u64;
        self.ticket += 1;
        self.durability.written(self.ticket);
        if let Some(anchor) = anchor {
            self.unanchored = Some(Unanchored {
                ticket: self.ticket,
                anchor,
                nos: Vec::new(),
            });
            self.durability.anchor_after(self.ticket);
        }
        Ok(Appended {
            first_seq,
            ticket: self.ticket,
            out_of_room,
            unsealed: false,
        })
    }

    /// Makes room for the log to reach `needed` bytes with the reserve kept after them: a
    /// whole growth step, or — when the disk has less — just the records and the reserve, or
    /// for a closing record just what it needs. Growth falls back to what is free, so a
    /// closing decision finds room whenever the disk has any (I4). `Err` when even the last
    /// fails; `NoRoom` with less than the reserve after `needed` when only the closing fallback
    /// fit. Only a full disk (or quota) is out of room: any other error is a failed write.
    pub(super) fn grow(&mut self, needed: u64, closing: bool) -> Result<(), AppendError> {
        let step = (needed + RESERVE).div_ceil(PREALLOCATE) * PREALLOCATE;
        let mut last = None;
        let mut targets = vec![step, needed + RESERVE];
        if closing {
            targets.push(needed);
        }
        for target in targets {
            if target <= self.zeroed {
                return Ok(());
            }
            match self.log.zero_fill(self.zeroed, target) {
                Ok(()) => {
                    self.zeroed = target;
                    if target < needed + RESERVE {
                        return Err(AppendError::NoRoom(io::Error::other(
                            "only room for a closing record left",
                        )));
                    }
                    return Ok(());
                }
                // Only a full disk (or quota) is worth a smaller try; any other error is one.
                Err(e) if is_out_of_space(&e) => last = Some(e),
                Err(e) => return Err(AppendError::Io(e)),
            }
        }
        Err(AppendError::NoRoom(
            last.unwrap_or_else(|| io::Error::other("no room")),
        ))
    }

    /// Whether a checkpoint (and its seal) fits the room already reserved, with the room kept
    /// for closing decisions to spare: the log need not grow for it.
    pub fn has_room_to_spare(&self) -> bool {
        !matches!(self.place, Place::Disk { .. }) || self.end + 1024 + RESERVE <= self.zeroed
    }
}
