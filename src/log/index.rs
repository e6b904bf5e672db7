//! The time index: where a scan for records since a given time may safely start, so reports over a recent window do not read the whole history.
//!
//! At each checkpoint the log notes `(offset, seq, max_time_before)`: the checkpoint frame's
//! position, its sequence number, and the largest record time before it. Every record before
//! an entry whose `max_time_before < since` is older than `since`, even if the wall clock
//! jumped around, so a scan for `since` may start there. The index is a hint: a missing or
//! cut entry only makes a scan start earlier, and an entry is used only after the frame it
//! names is checked to be that record.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use super::record::{decode_frame, Decoded, MAGIC, MAX_PAYLOAD};

const ENTRY_LEN: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    pub offset: u64,
    pub seq: u64,
    pub max_time_before: i64,
}

impl IndexEntry {
    fn encode(&self) -> [u8; ENTRY_LEN] {
        let mut out = [0u8; ENTRY_LEN];
        out[..8].copy_from_slice(&self.offset.to_le_bytes());
        out[8..16].copy_from_slice(&self.seq.to_le_bytes());
        out[16..].copy_from_slice(&self.max_time_before.to_le_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> IndexEntry {
        IndexEntry {
            offset: u64::from_le_bytes(bytes[..8].try_into().unwrap()),
            seq: u64::from_le_bytes(bytes[8..16].try_into().unwrap()),
            max_time_before: i64::from_le_bytes(bytes[16..].try_into().unwrap()),
        }
    }
}

/// Appends entries; not fsynced, since losing the tail of a hint costs only time.
pub(crate) fn append(file: &File, entry: &IndexEntry) -> io::Result<()> {
    (&*file).write_all(&entry.encode())
}

pub(crate) fn open_for_append(dir: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    super::owner_only(&mut options);
    options.open(dir.join(super::INDEX_FILE))
}

/// Reads the entries of an index file; a torn last entry is ignored.
pub(crate) fn read(dir: &Path) -> Vec<IndexEntry> {
    let mut bytes = Vec::new();
    if File::open(dir.join(super::INDEX_FILE))
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .is_err()
    {
        return Vec::new();
    }
    bytes
        .chunks_exact(ENTRY_LEN)
        .map(IndexEntry::decode)
        .collect()
}

/// The offset a scan for records at or after `since_ms` may start from, given the index
/// entries, the log's end, and a way to read bytes of the log at an offset.
pub(crate) fn start_offset(
    entries: &[IndexEntry],
    end: u64,
    since_ms: i64,
    read_at: impl Fn(u64, &mut [u8]) -> io::Result<usize>,
) -> u64 {
    let beginning = MAGIC.len() as u64;
    let mut last_offset = 0;
    let mut best = None;
    for entry in entries {
        // Entries must move forward and lie inside the log; stop trusting at the first that does not.
        if entry.offset <= last_offset || entry.offset >= end {
            break;
        }
        last_offset = entry.offset;
        if entry.max_time_before < since_ms {
            best = Some(*entry);
        }
    }
    let Some(entry) = best else { return beginning };
    let len = (end - entry.offset).min(MAX_PAYLOAD as u64 + 64) as usize;
    let mut buf = vec![0u8; len];
    match read_at(entry.offset, &mut buf) {
        Ok(n) if n == len => match decode_frame(&buf) {
            Decoded::Record(record, _) if record.seq == entry.seq => entry.offset,
            _ => beginning,
        },
        _ => beginning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{AuditKind, Entry};
    use crate::log::record::{encode_frame, GENESIS_PREV};

    #[test]
    fn a_scan_starts_at_the_last_checkpoint_older_than_the_window_and_only_there() {
        let mut log = MAGIC.to_vec();
        let mut prev = GENESIS_PREV;
        let mut offsets = Vec::new();
        for seq in 1..=6u64 {
            offsets.push(log.len() as u64);
            prev = encode_frame(
                &mut log,
                &prev,
                seq,
                seq as i64 * 100,
                &Entry::new(AuditKind::Checkpoint),
            );
        }
        let read_at = |offset: u64, buf: &mut [u8]| {
            let start = offset as usize;
            let n = buf.len().min(log.len() - start);
            buf[..n].copy_from_slice(&log[start..start + n]);
            Ok(n)
        };
        let entry = |i: usize| IndexEntry {
            offset: offsets[i],
            seq: i as u64 + 1,
            max_time_before: i as i64 * 100,
        };
        let entries = [entry(1), entry(3), entry(5)];
        let end = log.len() as u64;
        assert_eq!(start_offset(&entries, end, 50, read_at), MAGIC.len() as u64);
        assert_eq!(start_offset(&entries, end, 350, read_at), offsets[3]);
        assert_eq!(start_offset(&entries, end, 10_000, read_at), offsets[5]);
        // An entry that does not name the record it claims is not trusted.
        let wrong = [IndexEntry {
            seq: 99,
            ..entry(3)
        }];
        assert_eq!(
            start_offset(&wrong, end, 10_000, read_at),
            MAGIC.len() as u64
        );
        // Nor is one beyond the end of the log.
        assert_eq!(
            start_offset(&entries, offsets[4], 10_000, read_at),
            offsets[3]
        );
    }
}
