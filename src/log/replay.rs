//! Replay: the one path from records to state, for opening and for verification alike. The log knows nothing of the rules: it folds records into whatever machine it is given.

use std::io::Read;

use super::record::{ChainCheck, Damage, Hash, Record, SealSeen, Stop};
use super::scan::Scanner;
use std::sync::Arc;

use super::seal::{SealKeys, Sealer};
use crate::entry::Entry;

/// A state machine the log can rebuild from records: the rules' state in the store, anything
/// else in tests.
pub(crate) trait ReplayMachine: Sized {
    /// The machine before a chain's first record.
    fn empty() -> Self;
    /// Folds in one record. An error means the record is one the live rules could never have
    /// written at this point: damage, exactly like a bad hash.
    fn replay(&mut self, record: &Record) -> Result<(), String>;
    /// A digest of the whole state, carried by checkpoint records.
    fn digest(&self) -> Hash;
    /// The state as snapshot bytes.
    fn encode(&self) -> Vec<u8>;
    /// A state from snapshot bytes (already checked against their checkpoint's digest).
    fn decode(bytes: &[u8]) -> Result<Self, String>;
}

/// A replay in progress: the machine, the chain check, and what the journal needs to resume.
pub(crate) struct Replay<M> {
    pub machine: M,
    pub chain: ChainCheck,
    /// Records since the last checkpoint.
    pub since_checkpoint: u64,
    /// Largest record time so far (wall clocks jump: not the last record's time).
    pub max_time: i64,
    /// The last record's time: the last moment the writing process was known alive.
    pub last_time: i64,
    /// Whose chain it is and its number, from its genesis record (or the snapshot).
    pub owner: Option<(String, u64)>,
    /// Seals so far in the chain: the next seal's epoch.
    pub seals: u64,
    /// The seal records seen in this replay: what each covers, and where it stands.
    pub seen_seals: Vec<SealSeen>,
    /// The first record after the last seal that may open a door (`Entry::may_open`): with a
    /// sealer every decision is sealed as it is made, so one no seal covers is not the
    /// store's.
    pub opens_unsealed: Option<u64>,
    /// With a sealer, every seal is checked as it comes (full verification); without, seals
    /// are only counted, and opening checks the last one.
    pub check_seals: Option<Arc<dyn Sealer>>,
    keys: Option<SealKeys>,
    /// The first record this replay read (those before came from a checked snapshot).
    pub started_at: u64,
    /// Where the records accepted so far end: the good prefix, when damage stops the replay.
    pub good_end: u64,
    /// A record number the replay stops before, as if the log ended there.
    pub stop_before: Option<u64>,
}

impl<M: ReplayMachine> Replay<M> {
    /// A replay from a chain's first record.
    pub fn from_start() -> Replay<M> {
        Replay {
            machine: M::empty(),
            chain: ChainCheck::new(),
            since_checkpoint: 0,
            max_time: i64::MIN,
            last_time: i64::MIN,
            owner: None,
            seals: 0,
            seen_seals: Vec::new(),
            opens_unsealed: None,
            check_seals: None,
            keys: None,
            started_at: 1,
            good_end: 0,
            stop_before: None,
        }
    }

    /// A replay resumed after a checkpoint whose state a snapshot holds.
    pub fn resumed(
        machine: M,
        after: &Record,
        owner: (String, u64),
        seals: u64,
        max_time: i64,
    ) -> Replay<M> {
        Replay {
            machine,
            chain: ChainCheck {
                next_seq: after.seq + 1,
                last_hash: after.hash,
            },
            max_time,
            last_time: after.time_ms,
            owner: Some(owner),
            seals,
            started_at: after.seq + 1,
            ..Replay::from_start()
        }
    }

    /// With a sealer: a record after the last seal that may open a door is damage (every
    /// decision is sealed as it is made).
    pub fn unsealed_opening(&self) -> Option<Damage> {
        let seq = self.opens_unsealed?;
        Some(Damage {
            first_bad_seq: seq,
            problem: format!(
                "record {seq} may open a door (a grant, an agreement, an age signal) and no seal covers it: every decision is sealed as it is made, so it was written without the key, or never confirmed"
            ),
        })
    }

    /// Checks one record against the chain, a checkpoint against the state folded so far, a
    /// seal against the count of seals before it (and its key, when checking seals), then
    /// folds it in.
    pub fn accept(&mut self, record: &Record) -> Result<(), Stop> {
        let damage = |problem: String| {
            Stop::Damage(Damage {
                first_bad_seq: record.seq,
                problem,
            })
        };
        if let Some(genesis) = record.entry.genesis() {
            self.owner = Some((genesis.app_id.clone(), genesis.chain));
            self.seals = 0;
            self.keys = self
                .check_seals
                .as_ref()
                .map(|sealer| SealKeys::new(sealer.clone(), &genesis.app_id, genesis.chain));
        }
        if let Entry::Sealed { epoch, tag } = &record.entry {
            if *epoch != self.seals {
                return Err(damage("a seal is missing or out of order".into()));
            }
            let seen = SealSeen {
                epoch: *epoch,
                tag: *tag,
                covers: (record.seq - 1, record.prev_hash),
                at: (record.seq, record.hash),
            };
            if let Some(keys) = &mut self.keys {
                let sound = keys
                    .check(seen.epoch, seen.covers.0, &seen.covers.1, &seen.tag)
                    .map_err(Stop::Sealer)?;
                if !sound {
                    return Err(damage(format!(
                        "the seal of record {} fails: the records it covers were changed, or it was not made with this store's key",
                        seen.covers.0
                    )));
                }
            }
            self.seals += 1;
            self.seen_seals.push(seen);
            self.opens_unsealed = None;
        }
        if record.entry.may_open() && self.opens_unsealed.is_none() {
            self.opens_unsealed = Some(record.seq);
        }
        self.fold(record).map_err(Stop::Damage)
    }

    /// The chain check, the checkpoint check, and the machine's own check and fold.
    fn fold(&mut self, record: &Record) -> Result<(), Damage> {
        let at = record.seq.min(self.chain.next_seq);
        self.chain.accept(record).map_err(|problem| Damage {
            first_bad_seq: at,
            problem,
        })?;
        self.since_checkpoint += 1;
        if let Entry::Checkpoint { digest, .. } = &record.entry {
            if *digest != self.machine.digest() {
                return Err(Damage {
                    first_bad_seq: record.seq,
                    problem: "a checkpoint disagrees with the records before it".into(),
                });
            }
            self.since_checkpoint = 0;
        }
        self.machine.replay(record).map_err(|problem| Damage {
            first_bad_seq: record.seq,
            problem,
        })?;
        self.max_time = self.max_time.max(record.time_ms);
        self.last_time = record.time_ms;
        Ok(())
    }

    /// Replays everything the scanner reads. Returns the offset of a torn tail, if the bytes
    /// end inside an incomplete record.
    pub fn run<R: Read>(&mut self, scanner: &mut Scanner<R>) -> Result<Option<u64>, Stop> {
        self.good_end = self.good_end.max(scanner.offset);
        loop {
            match scanner.next_record() {
                Ok(None) => return Ok(None),
                Ok(Some(record)) if self.stop_before.is_some_and(|stop| record.seq >= stop) => {
                    return Ok(None)
                }
                Ok(Some(record)) => {
                    self.accept(&record)?;
                    self.good_end = scanner.offset;
                }
                Err(Stop::Torn { offset }) => return Ok(Some(offset)),
                Err(Stop::Corrupt { reason, .. }) => {
                    return Err(Stop::Damage(Damage {
                        first_bad_seq: self.chain.next_seq,
                        problem: reason,
                    }))
                }
                Err(stop) => return Err(stop),
            }
        }
    }
}
