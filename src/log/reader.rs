//! Reading the log back without holding the store's lock: scans for queries and exports, and full verification.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::ops::ControlFlow;
use std::sync::Arc;

use parking_lot::RwLock;

use super::record::{ChainCheck, Hash, Record, MAGIC};
use super::scan::{ScanStop, Scanner};
use super::{index, Storage, TimeIndex};
use crate::entry::AuditKind;
use crate::rules::State;

/// A view of the log as it was when taken: the same file (even if a new chain replaces it
/// later) up to the same end.
pub(crate) struct LogReader {
    source: Source,
    time_index: TimeIndex,
    end: u64,
    head: (u64, Hash),
}

enum Source {
    Memory(Arc<RwLock<Vec<u8>>>),
    Disk(Arc<File>, std::path::PathBuf),
}

/// Where and why a chain failed verification.
#[derive(Debug, Clone)]
pub(crate) struct VerifyFailure {
    pub first_bad_seq: u64,
    pub problem: String,
    pub records_checked: u64,
}

impl LogReader {
    pub(super) fn new(
        storage: &Storage,
        time_index: TimeIndex,
        end: u64,
        head: (u64, Hash),
    ) -> LogReader {
        let source = match storage {
            Storage::Memory(buf) => Source::Memory(buf.clone()),
            Storage::Disk { dir, file, .. } => Source::Disk(file.clone(), dir.clone()),
        };
        LogReader {
            source,
            time_index,
            end,
            head,
        }
    }

    /// Visits every record in order until `visit` breaks. Stops with an error at damage.
    pub fn for_each(&self, visit: impl FnMut(Record) -> ControlFlow<()>) -> Result<(), ScanStop> {
        self.for_each_from(MAGIC.len() as u64, visit)
    }

    /// Visits, in order, every record that may have a time at or after `since_ms` (and
    /// possibly some older ones): the time index lets the scan skip older history.
    pub fn for_each_since(
        &self,
        since_ms: i64,
        visit: impl FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), ScanStop> {
        let entries = match (&self.time_index, &self.source) {
            (TimeIndex::Memory(entries), _) => entries.read().clone(),
            (TimeIndex::Disk(_), Source::Disk(_, dir)) => index::read(dir),
            (TimeIndex::Disk(_), Source::Memory(_)) => Vec::new(),
        };
        let start = index::start_offset(&entries, self.end, since_ms, |offset, buf| {
            self.read_at(offset, buf)
        });
        self.for_each_from(start, visit)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match &self.source {
            Source::Memory(bytes) => {
                let bytes = bytes.read();
                let start = (offset as usize).min(bytes.len());
                let n = buf.len().min(bytes.len() - start);
                buf[..n].copy_from_slice(&bytes[start..start + n]);
                Ok(n)
            }
            Source::Disk(file, _) => read_full_at(file, buf, offset),
        }
    }

    /// Visits the records from byte `start` (a frame boundary) to the end.
    fn for_each_from(
        &self,
        start: u64,
        mut visit: impl FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), ScanStop> {
        match &self.source {
            Source::Memory(buf) => {
                let buf = buf.read();
                let bytes = &buf[..(self.end as usize).min(buf.len())];
                let mut cursor = Cursor::new(bytes);
                cursor.set_position(start);
                drive(Scanner::new(cursor, start, self.end), &mut visit)
            }
            Source::Disk(file, _) => {
                let reader = BufReader::with_capacity(
                    64 * 1024,
                    PositionalReader {
                        file: file.clone(),
                        pos: start,
                    },
                );
                drive(Scanner::new(reader, start, self.end), &mut visit)
            }
        }
    }

    /// Checks the whole chain: framing, hashes, links, gap-free sequence numbers, every
    /// checkpoint against the state replayed up to it, and that it ends at the head.
    pub fn verify(&self) -> Result<u64, VerifyFailure> {
        let mut chain = ChainCheck::new();
        let mut state = State::new("");
        let mut failure = None;
        let scanned = self.for_each(|record| {
            let problem = match chain.accept(&record) {
                Err(problem) => Some(problem),
                Ok(())
                    if record.entry.kind == AuditKind::Checkpoint
                        && record.entry.detail != state.digest() =>
                {
                    Some("a checkpoint disagrees with the records before it".to_string())
                }
                Ok(()) => None,
            };
            if let Some(problem) = problem {
                failure = Some((record.seq.min(chain.next_seq), problem));
                return ControlFlow::Break(());
            }
            state.apply(record.seq, record.time_ms, &record.entry, None);
            ControlFlow::Continue(())
        });
        let checked = chain.next_seq - 1;
        let fail = |seq: u64, problem: String| VerifyFailure {
            first_bad_seq: seq,
            problem,
            records_checked: checked,
        };
        if let Some((seq, problem)) = failure {
            return Err(fail(seq, problem));
        }
        match scanned {
            Ok(()) => {}
            Err(stop) => return Err(fail(chain.next_seq, stop.to_string())),
        }
        if (checked, chain.last_hash) != self.head {
            return Err(fail(
                checked + 1,
                "the log on disk ends before the records the store wrote".into(),
            ));
        }
        Ok(checked)
    }
}

fn drive<R: Read>(
    mut scanner: Scanner<R>,
    visit: &mut impl FnMut(Record) -> ControlFlow<()>,
) -> Result<(), ScanStop> {
    while let Some(record) = scanner.next_record()? {
        if visit(record).is_break() {
            break;
        }
    }
    Ok(())
}

fn read_full_at(file: &File, buf: &mut [u8], mut offset: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match read_at(file, &mut buf[filled..], offset)? {
            0 => break,
            n => {
                filled += n;
                offset += n as u64;
            }
        }
    }
    Ok(filled)
}

/// Reads by position, so it never shares a file cursor with the writer.
struct PositionalReader {
    file: Arc<File>,
    pos: u64,
}

impl Read for PositionalReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}
