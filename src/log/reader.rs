//! Reading the log back without holding the store's lock: scans for queries and exports, and full verification.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::ops::ControlFlow;
use std::sync::Arc;

use parking_lot::RwLock;

use super::record::{ChainCheck, Hash, Record, MAGIC};
use super::scan::{ScanStop, Scanner};
use super::Storage;
use crate::entry::AuditKind;
use crate::rules::State;

/// A view of the log as it was when taken: the same file (even if a new chain replaces it
/// later) up to the same end.
pub(crate) struct LogReader {
    source: Source,
    end: u64,
    head: (u64, Hash),
}

enum Source {
    Memory(Arc<RwLock<Vec<u8>>>),
    Disk(Arc<File>),
}

/// Where and why a chain failed verification.
#[derive(Debug, Clone)]
pub(crate) struct VerifyFailure {
    pub first_bad_seq: u64,
    pub problem: String,
    pub records_checked: u64,
}

impl LogReader {
    pub(super) fn new(storage: &Storage, end: u64, head: (u64, Hash)) -> LogReader {
        let source = match storage {
            Storage::Memory(buf) => Source::Memory(buf.clone()),
            Storage::Disk { file, .. } => Source::Disk(file.clone()),
        };
        LogReader { source, end, head }
    }

    /// Visits every record in order until `visit` breaks. Stops with an error at damage.
    pub fn for_each(
        &self,
        mut visit: impl FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), ScanStop> {
        let start = MAGIC.len() as u64;
        match &self.source {
            Source::Memory(buf) => {
                let buf = buf.read();
                let bytes = &buf[..(self.end as usize).min(buf.len())];
                let mut cursor = Cursor::new(bytes);
                cursor.set_position(start);
                drive(Scanner::new(cursor, start, self.end), &mut visit)
            }
            Source::Disk(file) => {
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
