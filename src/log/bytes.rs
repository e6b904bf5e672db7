//! An open file of a store (or an in-memory stand-in): positional reads and writes, syncs, zero-filling — each change reported to the fault injector.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

use parking_lot::RwLock;

use super::faults::{Faults, IoKind};

/// The bytes of a log or index: a file read and written by position, or a buffer for
/// in-memory stores. Clones share the same bytes.
#[derive(Clone)]
pub(crate) enum Bytes {
    Memory(Arc<RwLock<Vec<u8>>>),
    Disk(Arc<DiskFile>),
}

pub(crate) struct DiskFile {
    file: File,
    name: String,
    faults: Faults,
}

impl Bytes {
    pub fn memory(initial: Vec<u8>) -> Bytes {
        Bytes::Memory(Arc::new(RwLock::new(initial)))
    }

    pub(super) fn disk(file: File, name: &str, faults: Faults) -> Bytes {
        Bytes::Disk(Arc::new(DiskFile {
            file,
            name: name.to_string(),
            faults,
        }))
    }

    fn run<T>(&self, kind: IoKind, f: impl FnOnce(&File) -> io::Result<T>) -> io::Result<T> {
        match self {
            Bytes::Disk(disk) => disk.faults.run(kind, &disk.name, || f(&disk.file)),
            Bytes::Memory(_) => unreachable!("memory bytes do no file I/O"),
        }
    }

    pub fn len(&self) -> io::Result<u64> {
        match self {
            Bytes::Memory(buf) => Ok(buf.read().len() as u64),
            Bytes::Disk(disk) => Ok(disk.file.metadata()?.len()),
        }
    }

    /// Fills `buf` from `offset` as far as the bytes go; returns how much was read.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            Bytes::Memory(bytes) => {
                let bytes = bytes.read();
                let start = offset.min(bytes.len() as u64) as usize;
                let n = buf.len().min(bytes.len() - start);
                buf[..n].copy_from_slice(&bytes[start..start + n]);
                Ok(n)
            }
            Bytes::Disk(disk) => {
                let mut filled = 0;
                while filled < buf.len() {
                    let at = offset + filled as u64;
                    match std::os::unix::fs::FileExt::read_at(&disk.file, &mut buf[filled..], at)? {
                        0 => break,
                        n => filled += n,
                    }
                }
                Ok(filled)
            }
        }
    }

    pub fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        match self {
            Bytes::Memory(bytes) => {
                let mut bytes = bytes.write();
                let end = offset as usize + buf.len();
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                bytes[offset as usize..end].copy_from_slice(buf);
                Ok(())
            }
            Bytes::Disk(_) => self.run(IoKind::Write, |file| {
                std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
            }),
        }
    }

    /// Appends at the end (files opened for appending, or buffers).
    pub fn append(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            Bytes::Memory(bytes) => {
                bytes.write().extend_from_slice(buf);
                Ok(())
            }
            Bytes::Disk(_) => {
                self.run(IoKind::Write, |file| io::Write::write_all(&mut &*file, buf))
            }
        }
    }

    /// Cuts the bytes at `len`, without syncing: what is cut was never part of the chain.
    pub fn set_len(&self, len: u64) -> io::Result<()> {
        match self {
            Bytes::Memory(bytes) => {
                bytes.write().truncate(len as usize);
                Ok(())
            }
            Bytes::Disk(_) => self.run(IoKind::Truncate, |file| file.set_len(len)),
        }
    }

    /// Makes written data durable (not the file's size: see `sync_all`).
    pub fn sync_data(&self) -> io::Result<()> {
        match self {
            Bytes::Memory(_) => Ok(()),
            Bytes::Disk(_) => self.run(IoKind::SyncData, File::sync_data),
        }
    }

    /// Makes data and metadata (the size) durable.
    pub fn sync_all(&self) -> io::Result<()> {
        match self {
            Bytes::Memory(_) => Ok(()),
            Bytes::Disk(_) => self.run(IoKind::SyncAll, File::sync_all),
        }
    }

    /// Extends with zeros from `from` to `to` and makes that durable, size included: space
    /// reserved ahead of need, so appending into it needs no new blocks and commits no size.
    pub fn zero_fill(&self, from: u64, to: u64) -> io::Result<()> {
        if from >= to {
            return Ok(());
        }
        match self {
            Bytes::Memory(bytes) => {
                bytes.write().resize(to as usize, 0);
                Ok(())
            }
            Bytes::Disk(_) => self.run(IoKind::Allocate, |file| {
                let zeros = vec![0u8; 64 * 1024];
                let mut at = from;
                while at < to {
                    let n = (to - at).min(zeros.len() as u64) as usize;
                    std::os::unix::fs::FileExt::write_all_at(file, &zeros[..n], at)?;
                    at += n as u64;
                }
                file.sync_all()
            }),
        }
    }

    /// Overwrites `[from, to)` — inside the file — with zeros, synced: no new room is needed.
    pub fn zero_fill_within(&self, from: u64, to: u64) -> io::Result<()> {
        let to = to.min(self.len()?);
        self.zero_fill(from, to)
    }

    /// A reader from `offset` that never shares a file cursor with the writer.
    pub fn reader_at(&self, offset: u64) -> PositionalReader {
        PositionalReader {
            bytes: self.clone(),
            pos: offset,
        }
    }
}

/// Reads by position from shared bytes.
pub(crate) struct PositionalReader {
    bytes: Bytes,
    pos: u64,
}

impl Read for PositionalReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &self.bytes {
            Bytes::Disk(disk) => std::os::unix::fs::FileExt::read_at(&disk.file, buf, self.pos)?,
            memory => memory.read_at(buf, self.pos)?,
        };
        self.pos += n as u64;
        Ok(n)
    }
}
