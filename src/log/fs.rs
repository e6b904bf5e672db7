//! All file I/O of a store: file names and modes, positional reads and writes, syncs, atomic replacement, quarantine and the directory lock — each change to the disk reported to an optional fault injector.
//!
//! Files are opened relative to the store directory's descriptor and never through a
//! symbolic link, so a link planted inside the store cannot redirect a write elsewhere.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use rustix::fs::{self as rfs, AtFlags, FlockOperation, Mode, OFlags};

pub(crate) const LOG_FILE: &str = "consent.log";
pub(crate) const SNAPSHOT_FILE: &str = "consent.snapshot";
pub(crate) const INDEX_FILE: &str = "consent.index";
pub(crate) const QUARANTINE_DIR: &str = "quarantine";
/// Closing decisions the log could not take, until the next open records them.
pub(crate) const UNWRITTEN_FILE: &str = "consent.unwritten";

/// The files of a chain: what a quarantine keeps aside.
const CHAIN_FILES: [&str; 3] = [LOG_FILE, SNAPSHOT_FILE, INDEX_FILE];
/// Derived files are small; anything larger than this is not one of ours.
const MAX_DERIVED_FILE: u64 = 64 << 20;

/// A change to the disk, as a fault injector sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoKind {
    /// A file created (or opened for writing for the first time).
    Create,
    /// Bytes written into a file.
    Write,
    /// A file extended with zeros and synced: the log's preallocation.
    Allocate,
    /// A file's data made durable (`fdatasync`).
    SyncData,
    /// A file's data and size made durable (`fsync`).
    SyncAll,
    /// A file cut short.
    Truncate,
    /// A file renamed over another.
    Rename,
    /// A hard link made (a quarantine keeping a file aside).
    Link,
    /// A file removed.
    Remove,
    /// A directory created.
    MakeDir,
    /// A directory's entries made durable.
    DirSync,
}

/// One change to the disk: its kind, and the file (relative to the store directory; empty
/// for the directory itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoOp {
    /// What is done.
    pub kind: IoKind,
    /// To which file or directory, relative to the store directory.
    pub file: String,
}

/// Fault injection for tests: told of every change to the disk before and after it.
/// `before` returning an error fails the operation with it; `after` sees only successes.
pub trait IoFaults: Send + Sync {
    /// About to do `op`; an error makes it fail instead.
    fn before(&self, op: &IoOp) -> io::Result<()>;
    /// `op` succeeded.
    fn after(&self, op: &IoOp) {
        let _ = op;
    }
}

/// The fault injector of a store, if any. Without one, operations cost nothing extra.
#[derive(Clone, Default)]
pub(crate) struct Faults(pub Option<Arc<dyn IoFaults>>);

impl Faults {
    fn run<T>(&self, kind: IoKind, file: &str, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        let Some(hook) = &self.0 else { return f() };
        let op = IoOp {
            kind,
            file: file.to_string(),
        };
        hook.before(&op)?;
        let out = f()?;
        hook.after(&op);
        Ok(out)
    }
}

/// The store's directory, open. Consent history is private: the directory is `0700` and its
/// files `0600`, whoever created them first.
#[derive(Clone)]
pub(crate) struct StoreDir {
    fd: Arc<OwnedFd>,
    path: PathBuf,
    faults: Faults,
}

/// How many times (5 ms apart) a held directory lock is tried again before the store is
/// reported open elsewhere.
const LOCK_RETRIES: u32 = 20;

/// Held for as long as the store is open for writing: an exclusive `flock` on the store
/// directory itself, so no file inside can be deleted or replaced to let a second writer in.
/// The OS releases it when the descriptor closes, including when the process dies.
pub(crate) struct DirLock {
    _fd: OwnedFd,
}

impl StoreDir {
    /// Creates the directory (and its parents) if needed, makes it private, and opens it.
    pub fn create(path: &Path, faults: Faults) -> io::Result<StoreDir> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(path)?;
        let dir = StoreDir::open_existing(path, faults)?;
        // An existing directory keeps its mode through `create`: tighten it.
        if rfs::fstat(&*dir.fd)?.st_mode & 0o777 != 0o700 {
            rfs::fchmod(&*dir.fd, Mode::RWXU)?;
        }
        Ok(dir)
    }

    /// Opens an existing directory without changing anything (for read-only inspection).
    pub fn open_existing(path: &Path, faults: Faults) -> io::Result<StoreDir> {
        let fd = rfs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(StoreDir {
            fd: Arc::new(fd),
            path: path.to_path_buf(),
            faults,
        })
    }

    /// Locks the directory for this handle; `None` when another handle holds it. A lock
    /// held for a moment longer — by a child process another thread forked while the store
    /// was open, until it execs (its copy of the descriptor is close-on-exec) — is waited
    /// for briefly, so a store closed and reopened at once is not refused.
    pub fn lock(&self) -> io::Result<Option<DirLock>> {
        // A descriptor of its own, so two handles in one process exclude each other too.
        let fd = rfs::openat(
            &*self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        for attempt in 0..=LOCK_RETRIES {
            match rfs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Some(DirLock { _fd: fd })),
                Err(rustix::io::Errno::WOULDBLOCK) if attempt < LOCK_RETRIES => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(rustix::io::Errno::WOULDBLOCK) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// Which store this is, for what the process keeps about it: the directory's canonical
    /// path (or the path it was opened by, when that cannot be resolved).
    pub fn key(&self) -> PathBuf {
        std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone())
    }

    /// Whether `name` is present (as anything, a symbolic link included).
    pub fn exists(&self, name: &str) -> bool {
        rfs::statat(&*self.fd, name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
    }

    fn open_at(&self, name: &str, flags: OFlags) -> io::Result<Option<File>> {
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rfs::openat(&*self.fd, name, flags, Mode::RUSR | Mode::WUSR) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(rustix::io::Errno::LOOP) => Err(io::Error::other(format!(
                "{name} is a symbolic link; store files must be plain files"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// A file for reading (and, unless `read_only`, positional writing), if it exists.
    pub fn open_file(&self, name: &str, read_only: bool) -> io::Result<Option<Bytes>> {
        let flags = if read_only {
            OFlags::RDONLY
        } else {
            OFlags::RDWR
        };
        let file = self.open_at(name, flags)?;
        Ok(file.map(|file| Bytes::disk(file, name, self.faults.clone())))
    }

    /// The whole content of a small file, if it exists.
    pub fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(file) = self.open_at(name, OFlags::RDONLY)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(MAX_DERIVED_FILE + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_DERIVED_FILE {
            return Err(io::Error::other(format!(
                "{name} is larger than any file of ours"
            )));
        }
        Ok(Some(bytes))
    }

    /// Replaces a file atomically — temp file, fsync, rename, fsync of the directory — so a
    /// crash leaves the old file or the new one, never a partial one, and no temp file stays
    /// behind a failure.
    pub fn replace(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let tmp = format!("{name}.tmp");
        self.remove(&tmp)?;
        let written = self.write_new(&tmp, bytes).and_then(|()| {
            self.faults.run(IoKind::Rename, name, || {
                rfs::renameat(&*self.fd, tmp.as_str(), &*self.fd, name).map_err(Into::into)
            })
        });
        if let Err(e) = written {
            let _ = self.remove(&tmp);
            return Err(e);
        }
        self.sync()
    }

    /// Creates `name` (which must not exist: never a planted link) with `bytes`, synced.
    fn write_new(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let file = self.faults.run(IoKind::Create, name, || {
            self.open_at(name, OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL)?
                .ok_or_else(|| io::Error::other(format!("{name} vanished as it was created")))
        })?;
        let file = Bytes::disk(file, name, self.faults.clone());
        file.write_at(bytes, 0)?;
        file.sync_all()
    }

    /// Replaces the log with `bytes` atomically and opens it for writing.
    pub fn replace_log(&self, bytes: &[u8]) -> io::Result<Bytes> {
        self.replace(LOG_FILE, bytes)?;
        self.open_file(LOG_FILE, false)?
            .ok_or_else(|| io::Error::other("the new log vanished after it was written"))
    }

    /// A file opened for appending (the time index), created if missing.
    pub fn open_append(&self, name: &str) -> io::Result<Bytes> {
        let file = match self.open_at(name, OFlags::RDWR | OFlags::APPEND)? {
            Some(file) => file,
            None => self.faults.run(IoKind::Create, name, || {
                self.open_at(name, OFlags::RDWR | OFlags::APPEND | OFlags::CREATE)?
                    .ok_or_else(|| io::Error::other(format!("{name} vanished as it was created")))
            })?,
        };
        Ok(Bytes::disk(file, name, self.faults.clone()))
    }

    /// Keeps a file aside as `{name}.damaged` (replacing an earlier one): never thrown away.
    pub fn set_damaged_aside(&self, name: &str) -> io::Result<()> {
        let aside = format!("{name}.damaged");
        self.faults.run(IoKind::Rename, name, || {
            rfs::renameat(&*self.fd, name, &*self.fd, aside.as_str()).map_err(Into::into)
        })?;
        self.sync()
    }

    /// Removes a file (a link itself, never its target); nothing when it is not there.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        if !self.exists(name) {
            return Ok(());
        }
        self.faults.run(IoKind::Remove, name, || {
            match rfs::unlinkat(&*self.fd, name, AtFlags::empty()) {
                Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// Removes what an interrupted write may have left behind.
    pub fn remove_leftovers(&self) -> io::Result<()> {
        for name in [LOG_FILE, SNAPSHOT_FILE, INDEX_FILE, UNWRITTEN_FILE] {
            self.remove(&format!("{name}.tmp"))?;
        }
        Ok(())
    }

    /// Makes renames and new files in the directory durable.
    pub fn sync(&self) -> io::Result<()> {
        self.faults.run(IoKind::DirSync, "", || {
            rfs::fsync(&*self.fd).map_err(Into::into)
        })
    }

    fn sync_subdir(&self, name: &str) -> io::Result<()> {
        self.faults.run(IoKind::DirSync, name, || {
            let fd = rfs::openat(
                &*self.fd,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            rfs::fsync(&fd).map_err(Into::into)
        })
    }

    fn make_dir(&self, name: &str) -> io::Result<()> {
        self.faults.run(IoKind::MakeDir, name, || {
            match rfs::mkdirat(&*self.fd, name, Mode::RWXU) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// Keeps the chain's files aside in `quarantine/<time>/` — hard links, or copies where
    /// the filesystem has none — and returns that folder relative to the store directory.
    /// Nothing is moved or deleted: until a new chain replaces the log, the damage is still
    /// where the next open will find it again.
    pub fn quarantine(&self, time_ms: i64) -> io::Result<String> {
        self.make_dir(QUARANTINE_DIR)?;
        let mut name = format!("{QUARANTINE_DIR}/{time_ms}");
        let mut n = 1;
        while self.exists(&name) {
            n += 1;
            name = format!("{QUARANTINE_DIR}/{time_ms}-{n}");
        }
        self.make_dir(&name)?;
        for file in CHAIN_FILES {
            if self.exists(file) {
                self.keep_aside(file, &format!("{name}/{file}"))?;
            }
        }
        self.sync_subdir(&name)?;
        self.sync_subdir(QUARANTINE_DIR)?;
        self.sync()?;
        Ok(name)
    }

    fn keep_aside(&self, file: &str, kept: &str) -> io::Result<()> {
        let linked = self.faults.run(IoKind::Link, kept, || {
            rfs::linkat(&*self.fd, file, &*self.fd, kept, AtFlags::empty()).map_err(Into::into)
        });
        match linked {
            Ok(()) => Ok(()),
            // Filesystems without hard links (some FUSE and FAT ones): a synced copy.
            Err(e)
                if e.raw_os_error().is_some_and(|c| {
                    c == libc::EPERM || c == libc::EXDEV || c == libc::ENOTSUP
                }) =>
            {
                let bytes = self.read_whole(file)?;
                self.write_new(kept, &bytes)
            }
            Err(e) => Err(e),
        }
    }

    fn read_whole(&self, name: &str) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        if let Some(mut file) = self.open_at(name, OFlags::RDONLY)? {
            file.read_to_end(&mut bytes)?;
        }
        Ok(bytes)
    }

    /// Deletes everything kept aside (the right to erasure covers damaged copies too).
    pub fn erase_quarantine(&self) -> io::Result<()> {
        if !self.exists(QUARANTINE_DIR) {
            return Ok(());
        }
        self.faults.run(IoKind::Remove, QUARANTINE_DIR, || {
            std::fs::remove_dir_all(self.path.join(QUARANTINE_DIR))
        })?;
        self.sync()
    }
}

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

    fn disk(file: File, name: &str, faults: Faults) -> Bytes {
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
