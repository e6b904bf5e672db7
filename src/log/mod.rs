//! The durable, hash-chained audit log: appending with group commit, checkpoints and snapshots, and new chains. It knows nothing of the rules.

pub(crate) mod base;
mod durability;
pub(crate) mod fs;
pub(crate) mod index;
mod open;
mod reader;
pub(crate) mod record;
pub(crate) mod replay;
pub(crate) mod scan;
pub(crate) mod seal;
pub(crate) mod snapshot;
mod unwritten;

use std::io;
use std::sync::Arc;

use base::{Base, Cut};
pub(crate) use durability::Durability;
use fs::{Bytes, DirLock, StoreDir, INDEX_FILE, SNAPSHOT_FILE};
pub(crate) use fs::{Faults, LOG_FILE};
pub use fs::{IoFaults, IoKind, IoOp};
use index::IndexEntry;
pub(crate) use open::{open_dir, open_memory, open_read_only, Found, OpenError};
pub(crate) use reader::LogReader;
pub(crate) use record::Damage;
use record::{encode_frame, ChainCheck, MAGIC};
pub(crate) use record::{Hash, Record};
use replay::Replay;
pub(crate) use replay::ReplayMachine;
pub(crate) use seal::SealKeys as Keys;
use seal::SealKeys;
pub(crate) use seal::{anchor_for, anchored_app};
pub use seal::{software_sealer, Sealer, SealerError};
use snapshot::Snapshot;
use unwritten::FileKey;
pub(crate) use unwritten::{Kept, Unwritten};

use crate::entry::Entry;

/// The log grows by this much at a time, zero-filled and synced, so that appending a record
/// overwrites space that already exists and its fsync has no file size to commit.
const PREALLOCATE: u64 = 1 << 20;
/// Room kept zeroed ahead of the last record: hundreds of closing decisions (a revoke and the
/// sessions it ends) fit in it, so one always has room even when the disk is full.
const RESERVE: u64 = 64 << 10;
/// One day, in milliseconds: the grain of retention's cut points.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A full disk or an exhausted quota.
fn is_out_of_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(code) if code == libc::ENOSPC || code == libc::EDQUOT)
}

/// Where the chain lives.
enum Place {
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
struct Unanchored {
    ticket: u64,
    anchor: Vec<u8>,
    /// The decision's "no"s, kept beside the log if the anchor cannot be.
    nos: Vec<Unwritten>,
}

/// What a retention cut removed: every record up to a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pruned {
    /// The checkpoint the log now starts after, and its hash.
    pub through_seq: u64,
    pub through_hash: Hash,
    /// Records removed.
    pub records: u64,
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
    place: Place,
    log: Bytes,
    index: Bytes,
    chain: ChainCheck,
    /// Where the first frame is: after the header, and after the base of a compacted log.
    start: u64,
    /// Bytes in the log; everything before this is whole frames.
    end: u64,
    /// Bytes past `end` up to here are zeroed and synced: room for appends.
    zeroed: u64,
    since_checkpoint: u64,
    checkpoint_every: u64,
    /// Largest record time so far (wall clocks jump: not the last record's time).
    max_time: i64,
    /// The last record's time.
    last_time: i64,
    ticket: u64,
    durability: Arc<Durability>,
    scratch: Vec<u8>,
    /// Whose chain it is and its number (from its genesis record).
    owner: Option<(String, u64)>,
    /// Seals in the chain so far: the next seal's epoch.
    seals: u64,
    /// Whether the last record is a seal (nothing new to seal).
    last_is_seal: bool,
    /// The last seal record: its epoch, sequence number and hash (what an anchor names).
    last_seal: Option<(u64, u64, Hash)>,
    /// The anchor says the last process closed cleanly: it is anchored as open again before
    /// this one writes anything.
    anchored_closed: bool,
    /// Opened read-only: the "no"s an earlier process could not write, read but left in place.
    pending_view: Option<Kept>,
    /// The digest of the file of unwritten decisions the anchor names (with a sealer), while
    /// what it holds is not in the log: every anchor kept names it.
    nos_pending: Option<Hash>,
    /// The anchor of a decision's seal, kept once its write is durable.
    unanchored: Option<Unanchored>,
    /// The platform's sealer, if the app gave one.
    sealer: Option<Arc<dyn Sealer>>,
    /// The current chain's seal keys (with a sealer).
    keys: Option<SealKeys>,
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
            nos_pending: None,
            unanchored: None,
            sealer: None,
            keys: None,
        }
    }

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

    fn append_then_seal(
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
            if let Err(e) = self.grow(needed, closing) {
                if !(closing && needed <= self.zeroed) {
                    return Err(AppendError::NoRoom(e));
                }
                out_of_room = Some(format!("no room left to reserve in the log ({e})"));
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
    /// fails; `Ok` with less than the reserve after `needed` when only the closing fallback fit.
    fn grow(&mut self, needed: u64, closing: bool) -> io::Result<()> {
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
                        return Err(io::Error::other("only room for a closing record left"));
                    }
                    return Ok(());
                }
                // Only a full disk (or quota) is worth a smaller try; any other error is one.
                Err(e) if is_out_of_space(&e) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no room")))
    }

    pub fn checkpoint_due(&self) -> bool {
        self.since_checkpoint >= self.checkpoint_every
    }

    /// Whether a checkpoint (and its seal) fits the room already reserved, with the room kept
    /// for closing decisions to spare: the log need not grow for it.
    pub fn has_room_to_spare(&self) -> bool {
        !matches!(self.place, Place::Disk { .. }) || self.end + 1024 + RESERVE <= self.zeroed
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
    fn anchor_last_seal(&mut self, closed: bool) -> io::Result<()> {
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
    fn append_seal(&mut self, time_ms: i64, closed: bool) -> io::Result<Option<Vec<u8>>> {
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
    fn keep_anchor(&mut self, anchor: Vec<u8>) -> io::Result<()> {
        self.unanchored = None;
        match &self.keys {
            Some(keys) => keys.store_anchor(anchor).map_err(io::Error::other),
            None => Ok(()),
        }
    }

    /// Replaces the chain with a new one that starts with `genesis`. The old chain's files
    /// must already be kept aside or meant to go (an erasure); its unsynced records are
    /// synced first, so nobody waiting on them is told a lie. With a sealer, the new chain is
    /// sealed and anchored as it starts — a chain above the anchored one that holds no seal
    /// was started without the key (I7) — and the seal is made before any file changes: a
    /// sealer that fails leaves the old chain as it was.
    pub fn start_chain(&mut self, genesis: &Entry, time_ms: i64) -> io::Result<()> {
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
        match sealed {
            Some((_, anchor)) => self.keep_anchor(anchor),
            None => Ok(()),
        }
    }

    /// Retention: removes every record up to the last checkpoint before which all records
    /// are older than `cutoff_ms`, when that removes any. The state at that
    /// checkpoint becomes the log's base (bound to the checkpoint's digest and hash), and the
    /// records after it stay as they are — same sequence numbers, same hashes, same seals —
    /// so the chain still verifies from its new start. The log is replaced atomically; the
    /// snapshot goes first and the index is rewritten (both are checked on open anyway).
    pub fn compact<M: ReplayMachine>(&mut self, cutoff_ms: i64) -> io::Result<Option<Pruned>> {
        if matches!(self.place, Place::ReadOnly) {
            return Err(io::Error::other("the store was opened read-only"));
        }
        let entries = index::read(&self.index).unwrap_or_default();
        let Some(cut) = index::last_before(&entries, self.start, self.end, cutoff_ms, &self.log)
        else {
            return Ok(None);
        };
        let first_seq = self.reader().first_seq();
        let records = (cut.seq + 1).saturating_sub(first_seq);
        if records == 0 {
            return Ok(None);
        }
        let Some((base, kept_from)) = self.base_at::<M>(cut)? else {
            return Ok(None);
        };
        let through_hash = base.cut.record().hash;
        let mut bytes = MAGIC.to_vec();
        bytes.extend(base.to_bytes());
        let start = bytes.len() as u64;
        let mut kept = vec![0u8; (self.end - kept_from) as usize];
        self.log.read_at(&mut kept, kept_from)?;
        bytes.extend(kept);
        // The checkpoints kept move by the same amount.
        let moved: Vec<IndexEntry> = entries
            .iter()
            .filter(|e| e.seq > cut.seq && e.offset >= kept_from)
            .map(|e| IndexEntry {
                offset: e.offset - kept_from + start,
                seq: e.seq,
            })
            .collect();
        let (log, index) = match &self.place {
            Place::Memory => (
                Bytes::memory(bytes.clone()),
                Bytes::memory(index::encode_all(&moved)),
            ),
            Place::Disk { dir, .. } => {
                self.log.sync_data()?;
                dir.remove(SNAPSHOT_FILE)?;
                let log = dir.replace_log(&bytes)?;
                // From here the new log is the log. The index is only a hint: if it cannot
                // be rewritten, the next open rebuilds it.
                let index = dir
                    .remove(INDEX_FILE)
                    .and_then(|()| dir.replace(INDEX_FILE, &index::encode_all(&moved)))
                    .and_then(|()| dir.open_append(INDEX_FILE))
                    .unwrap_or_else(|e| {
                        ::log::warn!("consentkit: time index not rewritten ({e}); rebuilt on open");
                        Bytes::memory(Vec::new())
                    });
                (log, index)
            }
            Place::ReadOnly => unreachable!("refused above"),
        };
        self.durability.replace_file(log.clone());
        self.durability.synced_up_to(self.ticket);
        self.log = log;
        self.index = index;
        self.start = start;
        self.end = bytes.len() as u64;
        self.zeroed = self.end;
        Ok(Some(Pruned {
            through_seq: cut.seq,
            through_hash,
            records,
        }))
    }

    /// The base at the checkpoint `cut` names — the state replayed up to it — and where the
    /// records after it begin. `None` when the index entry does not name a checkpoint.
    fn base_at<M: ReplayMachine>(&self, cut: IndexEntry) -> io::Result<Option<(Base, u64)>> {
        let mut replay = match base::read(&self.log)? {
            Ok((_, Some(base))) => base
                .resume::<M>()
                .map_err(|d| io::Error::other(d.problem))?,
            Ok((_, None)) => Replay::<M>::from_start(),
            Err(problem) => return Err(io::Error::other(problem)),
        };
        let mut header = [0u8; record::HEADER_LEN];
        self.log.read_at(&mut header, cut.offset)?;
        let Some(len) = record::frame_len(&header) else {
            return Ok(None);
        };
        let kept_from = cut.offset + (record::HEADER_LEN + len + record::HASH_LEN) as u64;
        let reader = std::io::BufReader::with_capacity(64 * 1024, self.log.reader_at(self.start));
        let mut scanner = scan::Scanner::new(reader, self.start, kept_from);
        match replay.run(&mut scanner) {
            Ok(None) => {}
            _ => return Err(io::Error::other("the log could not be replayed to its cut")),
        }
        if replay.chain.next_seq != cut.seq + 1 {
            return Ok(None);
        }
        let mut buf = vec![0u8; kept_from as usize - cut.offset as usize];
        self.log.read_at(&mut buf, cut.offset)?;
        let record::Decoded::Record(checkpoint, _) = record::decode_frame(&buf) else {
            return Ok(None);
        };
        let Entry::Checkpoint {
            digest,
            max_time_before,
        } = checkpoint.entry
        else {
            return Ok(None);
        };
        let (app_id, chain) = replay.owner.clone().unwrap_or_default();
        let base = Base {
            cut: Cut {
                seq: checkpoint.seq,
                time_ms: checkpoint.time_ms,
                prev_hash: checkpoint.prev_hash,
                digest,
                max_time_before,
            },
            app_id,
            chain,
            seals: replay.seals,
            max_time: replay.max_time,
            state: replay.machine.encode(),
        };
        Ok(Some((base, kept_from)))
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
            Place::ReadOnly => Err(io::Error::other("the store was opened read-only")),
        }
    }

    /// Deletes the damaged copies kept aside (part of erasing everything).
    pub fn erase_kept_aside(&self) -> io::Result<()> {
        match &self.place {
            Place::Disk { dir, .. } => dir.erase_quarantine(),
            Place::Memory | Place::ReadOnly => Ok(()),
        }
    }

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
    fn write_unwritten(&mut self, bytes: Option<Vec<u8>>) {
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
    fn file_key(&self) -> Option<FileKey> {
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

    /// Keeps the unwritten decisions' file aside (`.damaged`), when it held what no process
    /// could have kept.
    pub fn set_unwritten_aside(&self) -> io::Result<()> {
        match &self.place {
            Place::Disk { dir, .. } if dir.exists(fs::UNWRITTEN_FILE) => {
                dir.set_damaged_aside(fs::UNWRITTEN_FILE)
            }
            _ => Ok(()),
        }
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
}
