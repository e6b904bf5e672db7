//! Retention cuts: removing the records before a checkpoint whose records all aged out, the state at that checkpoint kept as the log's base.

use std::io;

use super::base::{self, Base, Cut};
use super::bytes::Bytes;
use super::fs::{INDEX_FILE, SNAPSHOT_FILE};
use super::index::{self, IndexEntry};
use super::journal::{Journal, Place};
use super::record::{self, Hash, MAGIC};
use super::replay::{Replay, ReplayMachine};
use super::scan;
use crate::entry::Entry;

/// What a retention cut removed: every record up to a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pruned {
    /// The checkpoint the log now starts after, and its hash.
    pub through_seq: u64,
    pub through_hash: Hash,
    /// Records removed.
    pub records: u64,
}

impl Journal {
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
    pub(super) fn base_at<M: ReplayMachine>(
        &self,
        cut: IndexEntry,
    ) -> io::Result<Option<(Base, u64)>> {
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
}
