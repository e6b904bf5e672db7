//! The time index: where a scan for records since a given time may safely start, so reports over a recent window do not read the whole history.
//!
//! Each checkpoint record carries `max_time_before`, the largest record time before it (wall
//! clocks jump, so not simply the previous record's time). Every record before a checkpoint
//! whose `max_time_before < since` is older than `since`. The index file only lists where the
//! checkpoints are, `(offset, seq)` pairs; the times are read from the checkpoint records
//! themselves, which the hash chain covers. So a damaged or edited index can at worst point at
//! another genuine checkpoint or at nothing, making a scan start earlier, never later.

use std::io;

use sha2::{Digest, Sha256};

use super::bytes::Bytes;
use super::record::{decode_frame, Decoded, MAX_FRAME};
use crate::entry::Entry;

/// `offset: u64 | seq: u64 | check: u64`, the check being the first 8 bytes of the SHA-256
/// of the other 16: a damaged entry is caught, an edited one can only name a real checkpoint.
const ENTRY_LEN: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    pub offset: u64,
    pub seq: u64,
}

impl IndexEntry {
    pub fn encode(&self) -> [u8; ENTRY_LEN] {
        let mut out = [0u8; ENTRY_LEN];
        out[..8].copy_from_slice(&self.offset.to_le_bytes());
        out[8..16].copy_from_slice(&self.seq.to_le_bytes());
        let check = Sha256::digest(&out[..16]);
        out[16..].copy_from_slice(&check[..8]);
        out
    }

    fn decode(bytes: &[u8]) -> Option<IndexEntry> {
        let check = Sha256::digest(&bytes[..16]);
        (check[..8] == bytes[16..24]).then(|| IndexEntry {
            offset: u64::from_le_bytes(bytes[..8].try_into().unwrap()),
            seq: u64::from_le_bytes(bytes[8..16].try_into().unwrap()),
        })
    }
}

/// Appends an entry; not fsynced, since losing the tail of a hint costs only time.
pub(crate) fn append(index: &Bytes, entry: &IndexEntry) -> io::Result<()> {
    index.append(&entry.encode())
}

/// Reads the entries of an index. A last entry cut short (the index is not synced) is left
/// out; an entry that fails its check makes the whole index unusable.
pub(crate) fn read(index: &Bytes) -> Result<Vec<IndexEntry>, String> {
    let len = index.len().map_err(|e| e.to_string())? as usize;
    let mut bytes = vec![0u8; len - len % ENTRY_LEN];
    let n = index.read_at(&mut bytes, 0).map_err(|e| e.to_string())?;
    bytes[..n]
        .chunks_exact(ENTRY_LEN)
        .map(|chunk| {
            IndexEntry::decode(chunk).ok_or_else(|| "an index entry fails its check".to_string())
        })
        .collect()
}

/// Whether an index agrees with the log: entries move forward, lie inside the log, and the
/// last one names a checkpoint record at its offset. (Each entry is checked again when used.)
pub(crate) fn check(entries: &[IndexEntry], end: u64, log: &Bytes) -> Result<(), String> {
    let mut last = (0, 0);
    for entry in entries {
        if entry.offset <= last.0 || entry.seq <= last.1 || entry.offset >= end {
            return Err("index entries are out of order or beyond the log".into());
        }
        last = (entry.offset, entry.seq);
    }
    match entries.last() {
        Some(entry) if checkpoint_time(log, entry, end).is_none() => {
            Err("the index names a record that is not a checkpoint".into())
        }
        _ => Ok(()),
    }
}

/// The whole index as bytes, for rewriting it after a rebuild.
pub(crate) fn encode_all(entries: &[IndexEntry]) -> Vec<u8> {
    entries.iter().flat_map(|e| e.encode()).collect()
}

/// The offset a scan for records at or after `since_ms` may start from, given the index
/// entries, the log's end, and the log's bytes.
pub(crate) fn start_offset(
    entries: &[IndexEntry],
    beginning: u64,
    end: u64,
    since_ms: i64,
    log: &Bytes,
) -> u64 {
    last_before(entries, beginning, end, since_ms, log).map_or(beginning, |e| e.offset)
}

/// The last checkpoint at or after `beginning` before which every record is older than
/// `since_ms`: where a scan of recent records may start, and where retention may cut.
pub(crate) fn last_before(
    entries: &[IndexEntry],
    beginning: u64,
    end: u64,
    since_ms: i64,
    log: &Bytes,
) -> Option<IndexEntry> {
    // `max_time_before` never decreases along the chain: binary search for the last
    // checkpoint older than the window, reading each probed checkpoint from the log. Entries
    // out of order only make the search land earlier than it could: whichever checkpoint it
    // settles on, its time comes from the record itself, so everything before it is older
    // than the window.
    let (mut lo, mut hi, mut best) = (0, entries.len(), None);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match checkpoint_time(log, &entries[mid], end) {
            Some(max_time_before) if max_time_before < since_ms => {
                if entries[mid].offset >= beginning {
                    best = Some(entries[mid]);
                }
                lo = mid + 1;
            }
            // Too recent, or not a checkpoint at all: look earlier.
            _ => hi = mid,
        }
    }
    best
}

/// The `max_time_before` of the checkpoint an entry names, if the frame there is that record.
fn checkpoint_time(log: &Bytes, entry: &IndexEntry, end: u64) -> Option<i64> {
    let len = end.checked_sub(entry.offset)?.min(MAX_FRAME as u64) as usize;
    let mut buf = vec![0u8; len];
    if log.read_at(&mut buf, entry.offset).ok()? != len {
        return None;
    }
    match decode_frame(&buf) {
        Decoded::Record(record, _) if record.seq == entry.seq => match record.entry {
            Entry::Checkpoint {
                max_time_before, ..
            } => Some(max_time_before),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::record::{encode_frame, GENESIS_PREV, MAGIC};

    #[test]
    fn a_damaged_entry_is_caught_and_a_cut_one_left_out() {
        let entries = [
            IndexEntry { offset: 8, seq: 1 },
            IndexEntry { offset: 90, seq: 5 },
        ];
        let bytes = encode_all(&entries);
        assert_eq!(read(&Bytes::memory(bytes.clone())), Ok(entries.to_vec()));
        assert_eq!(
            read(&Bytes::memory(bytes[..bytes.len() - 3].to_vec())),
            Ok(entries[..1].to_vec())
        );
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(read(&Bytes::memory(bad)).is_err(), "byte {i}");
        }
    }

    /// A log of six checkpoints at times 100..600, each noting the largest time before it.
    fn log() -> (Bytes, Vec<u64>) {
        let mut log = MAGIC.to_vec();
        let mut prev = GENESIS_PREV;
        let mut offsets = Vec::new();
        for seq in 1..=6u64 {
            offsets.push(log.len() as u64);
            let entry = Entry::Checkpoint {
                digest: [0; 32],
                max_time_before: (seq as i64 - 1) * 100,
            };
            prev = encode_frame(&mut log, &prev, seq, seq as i64 * 100, &entry);
        }
        (Bytes::memory(log), offsets)
    }

    #[test]
    fn a_scan_starts_at_the_last_checkpoint_older_than_the_window_and_only_there() {
        let (log, offsets) = log();
        let entry = |i: usize| IndexEntry {
            offset: offsets[i],
            seq: i as u64 + 1,
        };
        let entries = [entry(1), entry(3), entry(5)];
        let end = log.len().unwrap();
        let start = |entries: &[IndexEntry], end, since| {
            start_offset(entries, MAGIC.len() as u64, end, since, &log)
        };
        assert_eq!(start(&entries, end, 50), MAGIC.len() as u64);
        assert_eq!(start(&entries, end, 350), offsets[3]);
        assert_eq!(start(&entries, end, 10_000), offsets[5]);
        // An entry that does not name the record it claims is not trusted.
        let wrong = [IndexEntry {
            seq: 99,
            ..entry(3)
        }];
        assert_eq!(start(&wrong, end, 10_000), MAGIC.len() as u64);
        // Nor is one beyond the end of the log.
        assert_eq!(start(&entries, offsets[4], 10_000), offsets[3]);
        // Out of order, the search may land on any checkpoint older than the window.
        let shuffled = start(&[entry(3), entry(1), entry(5)], end, 350);
        assert!(
            [8, offsets[1], offsets[3]].contains(&shuffled),
            "{shuffled}"
        );
    }

    #[test]
    fn the_search_finds_the_last_checkpoint_older_than_any_window() {
        // Fifty checkpoints ten apart; every subset of the index, every window.
        let mut bytes = MAGIC.to_vec();
        let mut prev = GENESIS_PREV;
        let mut entries = Vec::new();
        for seq in 1..=50u64 {
            entries.push(IndexEntry {
                offset: bytes.len() as u64,
                seq,
            });
            let entry = Entry::Checkpoint {
                digest: [0; 32],
                max_time_before: seq as i64 * 10,
            };
            prev = encode_frame(&mut bytes, &prev, seq, seq as i64 * 10 + 5, &entry);
        }
        let end = bytes.len() as u64;
        let log = Bytes::memory(bytes);
        for keep in [1, 2, 3, 7, 16, 49, 50] {
            let index: Vec<_> = entries.iter().step_by(50 / keep).copied().collect();
            for since in [0, 9, 10, 11, 15, 99, 100, 101, 255, 499, 500, 501, 10_000] {
                let expected = index
                    .iter()
                    .rfind(|e| (e.seq as i64) * 10 < since)
                    .map_or(MAGIC.len() as u64, |e| e.offset);
                assert_eq!(
                    start_offset(&index, MAGIC.len() as u64, end, since, &log),
                    expected,
                    "{keep} entries, since {since}"
                );
            }
        }
        assert_eq!(
            start_offset(&[], MAGIC.len() as u64, end, 10_000, &log),
            MAGIC.len() as u64
        );
    }

    #[test]
    fn an_index_entry_never_moves_a_scan_later_than_the_records_allow() {
        // Whatever an index claims, a scan for `since` never starts after a record at or
        // after `since`: the times come from the checkpoint records, not from the index.
        let (log, offsets) = log();
        let end = log.len().unwrap();
        for since in [0, 150, 250, 450, 1_000] {
            for (i, &offset) in offsets.iter().enumerate() {
                for seq in [i as u64 + 1, i as u64 + 2] {
                    let start = start_offset(
                        &[IndexEntry { offset, seq }],
                        MAGIC.len() as u64,
                        end,
                        since,
                        &log,
                    );
                    let first_needed = offsets
                        .iter()
                        .zip(1..)
                        .find(|(_, seq)| *seq * 100 >= since)
                        .map_or(end, |(o, _)| *o);
                    assert!(start <= first_needed, "since {since}, entry {i}/{seq}");
                }
            }
        }
    }
}
