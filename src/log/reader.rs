//! Reading the log back without holding the store's lock: scans for queries and exports, and full verification by replay.

use std::io::BufReader;
use std::ops::ControlFlow;

use super::base;
use super::bytes::Bytes;
use super::index;
use super::record::{Damage, Stop};
use super::record::{Hash, Record};
use super::replay::{Replay, ReplayMachine};
use super::scan::Scanner;
use super::seal::{check_chain, Sealer};
use std::sync::Arc;

/// A view of the log as it was when taken: the same bytes (even if a new chain replaces them
/// later) up to the same end.
pub(crate) struct LogReader {
    log: Bytes,
    index: Bytes,
    /// Where the first frame is (after the base of a compacted log).
    start: u64,
    end: u64,
    head: (u64, Hash),
}

/// What a verification found: the records checked, and the last one a sound seal covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verified {
    pub records: u64,
    pub sealed_through: Option<u64>,
    /// The last seal record.
    pub last_seal_at: Option<u64>,
}

/// Where and why a chain failed verification, and how far it verified.
#[derive(Debug, Clone)]
pub(crate) struct VerifyFailure {
    pub damage: Damage,
    pub records_checked: u64,
}

impl LogReader {
    pub(super) fn new(
        log: Bytes,
        index: Bytes,
        start: u64,
        end: u64,
        head: (u64, Hash),
    ) -> LogReader {
        LogReader {
            log,
            index,
            start,
            end,
            head,
        }
    }

    /// The record a retention cut removed the log up to, with its hash, if one did.
    pub fn cut(&self) -> Option<(u64, Hash)> {
        match base::read(&self.log) {
            Ok(Ok((_, Some(base)))) => Some((base.cut.seq, base.cut.record().hash)),
            _ => None,
        }
    }

    /// The first sequence number the log still holds (after a retention cut, the one after it).
    pub fn first_seq(&self) -> u64 {
        self.cut().map_or(1, |(seq, _)| seq + 1)
    }

    /// Visits every record in order until `visit` breaks. Stops with an error at damage.
    pub fn for_each(&self, visit: impl FnMut(Record) -> ControlFlow<()>) -> Result<(), Stop> {
        self.for_each_from(self.start, visit)
    }

    /// Visits, in order, every record that may have a time at or after `since_ms` (and
    /// possibly some older ones): the time index lets the scan skip older history.
    pub fn for_each_since(
        &self,
        since_ms: i64,
        visit: impl FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), Stop> {
        // An index that fails its checks is ignored here (and rebuilt on the next open).
        let entries = index::read(&self.index).unwrap_or_default();
        let start = index::start_offset(&entries, self.start, self.end, since_ms, &self.log);
        self.for_each_from(start, visit)
    }

    fn scanner(&self, start: u64) -> Scanner<BufReader<super::bytes::PositionalReader>> {
        let reader = BufReader::with_capacity(64 * 1024, self.log.reader_at(start));
        Scanner::new(reader, start, self.end)
    }

    /// Visits the records from byte `start` (a frame boundary) to the end.
    fn for_each_from(
        &self,
        start: u64,
        mut visit: impl FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), Stop> {
        let mut scanner = self.scanner(start);
        while let Some(record) = scanner.next_record()? {
            if visit(record).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Checks the whole chain by replaying it into a fresh `M`: framing, hashes, links,
    /// gap-free sequence numbers, every record against the rules, every checkpoint against
    /// the state replayed up to it, and that it ends at the head. Returns the records checked.
    pub fn verify<M: ReplayMachine>(
        &self,
        sealer: Option<Arc<dyn Sealer>>,
    ) -> Result<Verified, VerifyFailure> {
        let unreadable = |problem: String| VerifyFailure {
            damage: Damage {
                first_bad_seq: 1,
                problem,
            },
            records_checked: 0,
        };
        let base = base::read(&self.log)
            .map_err(|e| unreadable(e.to_string()))?
            .map_err(unreadable)?
            .1;
        let mut replay = match &base {
            Some(base) => base.resume::<M>().map_err(|damage| VerifyFailure {
                damage,
                records_checked: 0,
            })?,
            None => Replay::<M>::from_start(),
        };
        let first = replay.chain.next_seq;
        replay.check_seals = sealer.clone();
        let mut scanner = self.scanner(self.start);
        let outcome = replay.run(&mut scanner);
        let checked = replay.chain.next_seq - first;
        let last_seq = replay.chain.next_seq - 1;
        let fail = |first_bad_seq: u64, problem: String| VerifyFailure {
            damage: Damage {
                first_bad_seq,
                problem,
            },
            records_checked: checked,
        };
        match outcome {
            Ok(None) => {}
            Ok(Some(offset)) => {
                return Err(fail(
                    last_seq + 1,
                    format!("the log ends inside a record at byte {offset}"),
                ))
            }
            Err(Stop::Damage(damage)) => {
                return Err(VerifyFailure {
                    damage,
                    records_checked: checked,
                })
            }
            Err(stop) => return Err(fail(last_seq + 1, stop.to_string())),
        }
        if (last_seq, replay.chain.last_hash) != self.head {
            return Err(fail(
                last_seq + 1,
                "the log on disk ends before the records the store wrote".into(),
            ));
        }
        let mut sealed_through = None;
        let mut last_seal_at = None;
        if let (Some(sealer), Some(owner)) = (&sealer, &replay.owner) {
            let seals = (replay.seen_seals.as_slice(), replay.seals);
            match check_chain(sealer, owner, seals, last_seq, first) {
                Ok(Ok(_)) if replay.unsealed_opening().is_some() => {
                    return Err(VerifyFailure {
                        damage: replay.unsealed_opening().expect("checked"),
                        records_checked: checked,
                    });
                }
                Ok(Ok(status)) => {
                    sealed_through = status.sealed_through;
                    last_seal_at = status.last_seal_at;
                }
                Ok(Err(damage)) => {
                    return Err(VerifyFailure {
                        damage,
                        records_checked: checked,
                    })
                }
                Err(e) => {
                    return Err(fail(
                        last_seq + 1,
                        format!("the seals could not be checked: {e}"),
                    ))
                }
            }
        }
        Ok(Verified {
            records: checked,
            sealed_through,
            last_seal_at,
        })
    }
}
