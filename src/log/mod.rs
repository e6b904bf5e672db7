//! The durable, hash-chained audit log: appending with group commit, checkpoints and snapshots, and starting a new chain.

mod dirlock;
mod durability;
mod index;
mod open;
mod reader;
pub(crate) mod record;
mod scan;
mod snapshot;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::entry::{AuditKind, Entry};
use crate::rules::State;
pub(crate) use dirlock::DirLock;
pub(crate) use durability::Durability;
use index::IndexEntry;
pub(crate) use open::{open_dir, open_memory, OpenError, Opened};
pub(crate) use reader::{LogReader, VerifyFailure};
pub(crate) use record::Record;
use record::{encode_frame, ChainCheck, Hash, MAGIC};
use snapshot::Snapshot;

pub(crate) const LOG_FILE: &str = "consent.log";
pub(crate) const SNAPSHOT_FILE: &str = "consent.snapshot";
pub(crate) const LOCK_FILE: &str = "consent.lock";
pub(crate) const INDEX_FILE: &str = "consent.index";
pub(crate) const QUARANTINE_DIR: &str = "quarantine";

/// Records between checkpoints: bounds the tail replayed on open.
pub(crate) const DEFAULT_CHECKPOINT_EVERY: u64 = 1024;

/// The log grows by this much at a time, zero-filled and synced, so that appending a record
/// overwrites space that already exists and its fsync has no file size to commit.
const PREALLOCATE: u64 = 1 << 20;

/// Files hold consent history: owner-only on unix.
pub(crate) fn owner_only(options: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = options;
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub(crate) enum Storage {
    /// Previews and tests: the same frames, in a buffer. A new chain gets a new buffer so
    /// readers holding the old one are never confused.
    Memory(Arc<RwLock<Vec<u8>>>),
    Disk {
        dir: PathBuf,
        file: Arc<File>,
        _lock: DirLock,
    },
}

/// Where the time index lives: beside the log on disk, or in memory.
#[derive(Clone)]
pub(crate) enum TimeIndex {
    Memory(Arc<RwLock<Vec<IndexEntry>>>),
    Disk(Arc<File>),
}

impl TimeIndex {
    fn fresh(storage: &Storage) -> io::Result<TimeIndex> {
        Ok(match storage {
            Storage::Memory(_) => TimeIndex::Memory(Arc::default()),
            Storage::Disk { dir, .. } => {
                remove_if_present(&dir.join(INDEX_FILE))?;
                TimeIndex::Disk(Arc::new(index::open_for_append(dir)?))
            }
        })
    }
}

/// The open log: where the next record goes and what it links to.
pub(crate) struct Journal {
    storage: Storage,
    time_index: TimeIndex,
    /// Largest record time so far (wall clocks jump: not the last record's time).
    max_time: i64,
    chain: ChainCheck,
    /// Bytes in the log; everything before this is whole frames.
    end: u64,
    since_checkpoint: u64,
    checkpoint_every: u64,
    ticket: u64,
    durability: Arc<Durability>,
    scratch: Vec<u8>,
    /// Length of the log file: the zeroed space past `end` is free for appends.
    allocated: u64,
}

impl Journal {
    fn new(
        storage: Storage,
        time_index: TimeIndex,
        chain: ChainCheck,
        end: u64,
        checkpoint_every: u64,
    ) -> Journal {
        let file = match &storage {
            Storage::Disk { file, .. } => Some(file.clone()),
            Storage::Memory(_) => None,
        };
        Journal {
            storage,
            time_index,
            max_time: i64::MIN,
            chain,
            end,
            since_checkpoint: 0,
            checkpoint_every: checkpoint_every.max(2),
            ticket: 0,
            durability: Arc::new(Durability::new(file)),
            scratch: Vec::new(),
            allocated: end,
        }
    }

    pub fn durability(&self) -> Arc<Durability> {
        self.durability.clone()
    }

    /// Sequence number and hash of the last record.
    pub fn head(&self) -> (u64, Hash) {
        (self.chain.next_seq - 1, self.chain.last_hash)
    }

    /// Writes `entries` as consecutive records (one write) and returns the first sequence
    /// number and the ticket to wait on for durability. A `SessionBegan` gets its own
    /// sequence number as session id. On failure nothing is appended.
    pub fn append(&mut self, time_ms: i64, entries: &mut [Entry]) -> io::Result<(u64, u64)> {
        let first_seq = self.chain.next_seq;
        let mut chain = self.chain.clone();
        self.scratch.clear();
        for entry in entries.iter_mut() {
            if entry.kind == AuditKind::SessionBegan {
                entry.session_id = chain.next_seq;
            }
            chain.last_hash = encode_frame(
                &mut self.scratch,
                &chain.last_hash,
                chain.next_seq,
                time_ms,
                entry,
            );
            chain.next_seq += 1;
        }
        match &self.storage {
            Storage::Memory(buf) => buf.write().extend_from_slice(&self.scratch),
            Storage::Disk { file, .. } => {
                let needed = self.end + self.scratch.len() as u64;
                if needed > self.allocated {
                    let grown = needed.div_ceil(PREALLOCATE) * PREALLOCATE;
                    zero_fill(file, self.allocated, grown)?;
                    self.allocated = grown;
                }
                if let Err(e) = write_all_at(file, &self.scratch, self.end) {
                    // Zero any partial frame so the next append starts on a boundary.
                    let _ = write_all_at(file, &vec![0; self.scratch.len()], self.end);
                    return Err(e);
                }
            }
        }
        self.chain = chain;
        self.max_time = self.max_time.max(time_ms);
        self.end += self.scratch.len() as u64;
        self.since_checkpoint += entries.len() as u64;
        self.ticket += 1;
        self.durability.written(self.ticket);
        Ok((first_seq, self.ticket))
    }

    pub fn checkpoint_due(&self) -> bool {
        self.since_checkpoint >= self.checkpoint_every
    }

    /// Appends a checkpoint carrying the state's digest, makes it durable, then writes the
    /// snapshot bound to it. A failed snapshot write only costs a longer replay next time.
    pub fn checkpoint(&mut self, state: &State, time_ms: i64) -> io::Result<()> {
        let offset = self.end;
        let hint = IndexEntry {
            offset,
            seq: self.chain.next_seq,
            max_time_before: self.max_time,
        };
        let mut entry = [Entry::new(AuditKind::Checkpoint).detail(state.digest())];
        let (seq, ticket) = self.append(time_ms, &mut entry)?;
        self.since_checkpoint = 0;
        match &self.time_index {
            TimeIndex::Memory(entries) => entries.write().push(hint),
            TimeIndex::Disk(file) => {
                if let Err(e) = index::append(file, &hint) {
                    ::log::warn!("consentkit: time index not extended ({e}); reports scan more");
                }
            }
        }
        if let Storage::Disk { dir, file, .. } = &self.storage {
            file.sync_data()?;
            self.durability.synced_up_to(ticket);
            let snapshot = Snapshot::new(seq, offset, &self.chain.last_hash, self.max_time, state);
            if let Err(e) = snapshot.write(dir) {
                ::log::warn!("consentkit: snapshot not written ({e}); the next open replays more");
            }
        }
        Ok(())
    }

    /// Replaces the chain with a new one that starts with `genesis`, returning the state it
    /// starts in. `erase` deletes history (and kept-aside damage); otherwise the caller has
    /// already moved the old files into quarantine.
    pub fn restart(&mut self, genesis: Entry, time_ms: i64, erase: bool) -> io::Result<State> {
        let (storage, chain, end) = match &self.storage {
            Storage::Memory(_) => {
                let (buf, chain) = new_chain_bytes(&genesis, time_ms);
                let end = buf.len() as u64;
                (Storage::Memory(Arc::new(RwLock::new(buf))), chain, end)
            }
            Storage::Disk { dir, file, .. } => {
                let dir = dir.clone();
                file.sync_data()?;
                if erase {
                    remove_if_present(&dir.join(SNAPSHOT_FILE))?;
                }
                let (file, chain, end) = create_chain_file(&dir, &genesis, time_ms)?;
                if erase {
                    match fs::remove_dir_all(dir.join(QUARANTINE_DIR)) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    }
                }
                let Storage::Disk { _lock, .. } =
                    std::mem::replace(&mut self.storage, Storage::Memory(Arc::default()))
                else {
                    unreachable!("matched Disk above")
                };
                (Storage::Disk { dir, file, _lock }, chain, end)
            }
        };
        if let Storage::Disk { file, .. } = &storage {
            self.durability.replace_file(Some(file.clone()));
        }
        self.durability.synced_up_to(self.ticket);
        self.time_index = TimeIndex::fresh(&storage)?;
        self.storage = storage;
        self.chain = chain;
        self.end = end;
        self.allocated = end;
        self.max_time = time_ms;
        self.since_checkpoint = 0;
        let mut state = State::new("");
        state.apply(1, time_ms, &genesis, None);
        Ok(state)
    }

    /// Moves the log and snapshot aside into `quarantine/`, returning the folder's name
    /// relative to the store directory. Memory stores keep nothing aside.
    pub fn quarantine(&self, time_ms: i64) -> io::Result<String> {
        match &self.storage {
            Storage::Disk { dir, file, .. } => {
                file.sync_data()?;
                quarantine_files(dir, time_ms)
            }
            Storage::Memory(_) => Ok(String::from("(memory store: nothing kept)")),
        }
    }

    pub fn reader(&self) -> LogReader {
        LogReader::new(
            &self.storage,
            self.time_index.clone(),
            self.end,
            self.head(),
        )
    }
}

/// A whole new chain in memory: the magic and its genesis record.
fn new_chain_bytes(genesis: &Entry, time_ms: i64) -> (Vec<u8>, ChainCheck) {
    let mut buf = MAGIC.to_vec();
    let mut chain = ChainCheck::new();
    chain.last_hash = encode_frame(&mut buf, &chain.last_hash, 1, time_ms, genesis);
    chain.next_seq = 2;
    (buf, chain)
}

/// Writes a new chain to a temp file and renames it over the log, so a crash leaves either
/// the old log or the new one, never a log without its genesis record.
fn create_chain_file(
    dir: &Path,
    genesis: &Entry,
    time_ms: i64,
) -> io::Result<(Arc<File>, ChainCheck, u64)> {
    let (bytes, chain) = new_chain_bytes(genesis, time_ms);
    let tmp = dir.join(format!("{LOG_FILE}.tmp"));
    let mut options = OpenOptions::new();
    options.create(true).write(true).truncate(true);
    owner_only(&mut options);
    let mut file = options.open(&tmp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, dir.join(LOG_FILE))?;
    sync_dir(dir)?;
    let file = open_log_for_writing(dir)?;
    Ok((Arc::new(file), chain, bytes.len() as u64))
}

/// Read and positional write: records go at the logical end, inside preallocated space.
fn open_log_for_writing(dir: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    owner_only(&mut options);
    options.open(dir.join(LOG_FILE))
}

/// Extends the log with zeros from `from` to `to` and makes that durable, size included.
fn zero_fill(file: &File, from: u64, to: u64) -> io::Result<()> {
    let zeros = vec![0u8; 64 * 1024];
    let mut at = from;
    while at < to {
        let n = (to - at).min(zeros.len() as u64) as usize;
        write_all_at(file, &zeros[..n], at)?;
        at += n as u64;
    }
    file.sync_all()
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, buf, offset)?;
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Never deletes: damaged files are evidence.
fn quarantine_files(dir: &Path, time_ms: i64) -> io::Result<String> {
    let parent = dir.join(QUARANTINE_DIR);
    fs::create_dir_all(&parent)?;
    let mut name = format!("{QUARANTINE_DIR}/{time_ms}");
    let mut n = 1;
    while dir.join(&name).exists() {
        n += 1;
        name = format!("{QUARANTINE_DIR}/{time_ms}-{n}");
    }
    let target = dir.join(&name);
    fs::create_dir(&target)?;
    for file in [LOG_FILE, SNAPSHOT_FILE, INDEX_FILE] {
        match fs::rename(dir.join(file), target.join(file)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    sync_dir(&target)?;
    sync_dir(&parent)?;
    sync_dir(dir)?;
    Ok(name)
}
