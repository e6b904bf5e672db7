//! Replay: the one path from records to state, for opening and for verification alike. The log knows nothing of the rules: it folds records into whatever machine it is given.

use std::io::Read;

use super::record::{ChainCheck, Hash, Record};
use super::scan::{ScanStop, Scanner};
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

/// Where and why a chain failed its checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Damage {
    pub first_bad_seq: u64,
    pub problem: String,
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
}

/// Why a replay stopped: damage, or an I/O error reading the log.
pub(crate) enum ReplayStop {
    Damage(Damage),
    Io(std::io::Error),
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
        }
    }

    /// Checks one record against the chain and, for a checkpoint, against the state folded so
    /// far, then folds it in.
    pub fn accept(&mut self, record: &Record) -> Result<(), Damage> {
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
    pub fn run<R: Read>(&mut self, scanner: &mut Scanner<R>) -> Result<Option<u64>, ReplayStop> {
        loop {
            match scanner.next_record() {
                Ok(None) => return Ok(None),
                Ok(Some(record)) => self.accept(&record).map_err(ReplayStop::Damage)?,
                Err(ScanStop::Torn { offset }) => return Ok(Some(offset)),
                Err(ScanStop::Corrupt { reason, .. }) => {
                    return Err(ReplayStop::Damage(Damage {
                        first_bad_seq: self.chain.next_seq,
                        problem: reason,
                    }))
                }
                Err(ScanStop::Io(e)) => return Err(ReplayStop::Io(e)),
            }
        }
    }
}
