//! All file I/O of a store: its file names and modes, positional reads and writes, syncs, atomic replacement, quarantine and the directory lock.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

pub(crate) const LOG_FILE: &str = "consent.log";
pub(crate) const SNAPSHOT_FILE: &str = "consent.snapshot";
pub(crate) const INDEX_FILE: &str = "consent.index";
pub(crate) const LOCK_FILE: &str = "consent.lock";
pub(crate) const QUARANTINE_DIR: &str = "quarantine";

/// The files of the store a new chain replaces or a quarantine keeps aside.
const CHAIN_FILES: [&str; 3] = [LOG_FILE, SNAPSHOT_FILE, INDEX_FILE];

/// The store's directory. Consent history is private: the directory is `0700` and its
/// files `0600` on unix, whoever created them first.
#[derive(Clone, Debug)]
pub(crate) struct StoreDir {
    path: PathBuf,
}

impl StoreDir {
    /// Creates the directory (and its parents) if needed and makes it private.
    pub fn create(path: &Path) -> io::Result<StoreDir> {
        create_private_dir(path)?;
        Ok(StoreDir {
            path: path.to_path_buf(),
        })
    }

    fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn exists(&self, name: &str) -> bool {
        self.join(name).exists()
    }

    /// Locks the directory for this handle; `None` when another holds it.
    pub fn lock(&self) -> io::Result<Option<DirLock>> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        owner_only(&mut options);
        let file = options.open(self.join(LOCK_FILE))?;
        Ok(try_lock(&file).then_some(DirLock { _file: file }))
    }

    /// The log for reading and positional writing, if there is one.
    pub fn open_log(&self) -> io::Result<Option<Bytes>> {
        let mut options = OpenOptions::new();
        options.read(true).write(true);
        owner_only(&mut options);
        match options.open(self.join(LOG_FILE)) {
            Ok(file) => Ok(Some(Bytes::Disk(Arc::new(file)))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the log with `bytes` atomically (a crash leaves the old log or the new one,
    /// never a partial one) and opens it for writing.
    pub fn replace_log(&self, bytes: &[u8]) -> io::Result<Bytes> {
        self.replace(LOG_FILE, bytes)?;
        self.open_log()?
            .ok_or_else(|| io::Error::other("the new log vanished after it was written"))
    }

    /// The whole content of a file, if it exists.
    pub fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match File::open(self.join(name)) {
            Ok(mut file) => {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes)?;
                Ok(Some(bytes))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces a file atomically: temp file, fsync, rename, fsync of the directory.
    pub fn replace(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let tmp = self.join(&format!("{name}.tmp"));
        let mut options = OpenOptions::new();
        options.create(true).write(true).truncate(true);
        owner_only(&mut options);
        let file = options.open(&tmp)?;
        write_all_at(&file, bytes, 0)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, self.join(name))?;
        self.sync()
    }

    /// A file opened for appending (the time index), created if missing.
    pub fn open_append(&self, name: &str) -> io::Result<Bytes> {
        let mut options = OpenOptions::new();
        options.create(true).read(true).append(true);
        owner_only(&mut options);
        Ok(Bytes::Disk(Arc::new(options.open(self.join(name))?)))
    }

    pub fn remove(&self, name: &str) -> io::Result<()> {
        match fs::remove_file(self.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Makes renames and new files in the directory durable.
    pub fn sync(&self) -> io::Result<()> {
        #[cfg(unix)]
        File::open(&self.path)?.sync_all()?;
        Ok(())
    }

    /// Moves the chain's files aside into `quarantine/<time>/`, never deleting them (damaged
    /// files are evidence), and returns that folder relative to the store directory.
    pub fn quarantine(&self, time_ms: i64) -> io::Result<String> {
        let parent = self.join(QUARANTINE_DIR);
        create_private_dir(&parent)?;
        let mut name = format!("{QUARANTINE_DIR}/{time_ms}");
        let mut n = 1;
        while self.join(&name).exists() {
            n += 1;
            name = format!("{QUARANTINE_DIR}/{time_ms}-{n}");
        }
        let target = self.join(&name);
        create_private_dir(&target)?;
        for file in CHAIN_FILES {
            match fs::rename(self.join(file), target.join(file)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        File::open(&target)?.sync_all()?;
        File::open(&parent)?.sync_all()?;
        self.sync()?;
        Ok(name)
    }

    /// Deletes everything kept aside (the right to erasure covers damaged copies too).
    pub fn erase_quarantine(&self) -> io::Result<()> {
        match fs::remove_dir_all(self.join(QUARANTINE_DIR)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Held for as long as the store is open; the OS releases it when the file closes, including
/// when the process dies.
pub(crate) struct DirLock {
    _file: File,
}

/// `flock`, not `std::fs::File::try_lock`: the standard library does not support it on
/// Android, and flock is what Android's own databases rely on.
#[cfg(unix)]
fn try_lock(file: &File) -> bool {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a valid, open descriptor has no memory-safety preconditions.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn try_lock(file: &File) -> bool {
    file.try_lock().is_ok()
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        // An existing directory keeps its mode through `create`: tighten it.
        let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

fn owner_only(options: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = options;
}

/// The bytes of a log or index: a file read and written by position, or a buffer for
/// in-memory stores. Clones share the same bytes.
#[derive(Clone)]
pub(crate) enum Bytes {
    Memory(Arc<RwLock<Vec<u8>>>),
    Disk(Arc<File>),
}

impl Bytes {
    pub fn memory(initial: Vec<u8>) -> Bytes {
        Bytes::Memory(Arc::new(RwLock::new(initial)))
    }

    pub fn len(&self) -> io::Result<u64> {
        match self {
            Bytes::Memory(buf) => Ok(buf.read().len() as u64),
            Bytes::Disk(file) => Ok(file.metadata()?.len()),
        }
    }

    /// Fills `buf` from `offset` as far as the bytes go; returns how much was read.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            Bytes::Memory(bytes) => {
                let bytes = bytes.read();
                let start = (offset.min(bytes.len() as u64)) as usize;
                let n = buf.len().min(bytes.len() - start);
                buf[..n].copy_from_slice(&bytes[start..start + n]);
                Ok(n)
            }
            Bytes::Disk(file) => {
                let mut filled = 0;
                while filled < buf.len() {
                    match read_at(file, &mut buf[filled..], offset + filled as u64)? {
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
            Bytes::Disk(file) => write_all_at(file, buf, offset),
        }
    }

    /// Appends at the end (files opened for appending, or buffers).
    pub fn append(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            Bytes::Memory(bytes) => {
                bytes.write().extend_from_slice(buf);
                Ok(())
            }
            Bytes::Disk(file) => io::Write::write_all(&mut &**file, buf),
        }
    }

    pub fn set_len(&self, len: u64) -> io::Result<()> {
        match self {
            Bytes::Memory(bytes) => {
                bytes.write().truncate(len as usize);
                Ok(())
            }
            Bytes::Disk(file) => file.set_len(len),
        }
    }

    /// Makes written data durable (not the file's size: see `sync_all`).
    pub fn sync_data(&self) -> io::Result<()> {
        match self {
            Bytes::Memory(_) => Ok(()),
            Bytes::Disk(file) => file.sync_data(),
        }
    }

    /// Makes data and metadata (the size) durable.
    pub fn sync_all(&self) -> io::Result<()> {
        match self {
            Bytes::Memory(_) => Ok(()),
            Bytes::Disk(file) => file.sync_all(),
        }
    }

    /// Extends with zeros from `from` to `to` and makes that durable, size included.
    pub fn zero_fill(&self, from: u64, to: u64) -> io::Result<()> {
        let zeros = vec![0u8; 64 * 1024];
        let mut at = from;
        while at < to {
            let n = (to - at).min(zeros.len() as u64) as usize;
            self.write_at(&zeros[..n], at)?;
            at += n as u64;
        }
        self.sync_all()
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
            Bytes::Disk(file) => read_at(file, buf, self.pos)?,
            memory => memory.read_at(buf, self.pos)?,
        };
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
