//! The store's directory: file names and modes, opening files (as `Bytes`), atomic replacement, quarantine and the directory lock — with `bytes.rs`, all file I/O of a store, each change to the disk reported to the optional fault injector (`faults.rs`).
//!
//! Files are opened relative to the store directory's descriptor and never through a
//! symbolic link, so a link planted inside the store cannot redirect a write elsewhere.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{self as rfs, AtFlags, FlockOperation, Mode, OFlags};

use super::bytes::Bytes;
use super::faults::{Faults, IoKind};

pub(crate) const LOG_FILE: &str = "consent.log";
pub(crate) const SNAPSHOT_FILE: &str = "consent.snapshot";
pub(crate) const INDEX_FILE: &str = "consent.index";
pub(crate) const QUARANTINE_DIR: &str = "quarantine";
/// Closing decisions the log could not take, until the next open records them.
pub(crate) const UNWRITTEN_FILE: &str = "consent.unwritten";
/// The app's texts (controller, notice, names, "why"s, the SDK catalogue): `log/texts.rs`.
pub(crate) const TEXTS_FILE: &str = "consent.texts";

/// The files of a chain: what a quarantine keeps aside.
const CHAIN_FILES: [&str; 3] = [LOG_FILE, SNAPSHOT_FILE, INDEX_FILE];
/// Derived files are small; anything larger than this is not one of ours.
const MAX_DERIVED_FILE: u64 = 64 << 20;

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
        for _ in 0..LOCK_RETRIES {
            if try_lock(&fd)? {
                return Ok(Some(DirLock { _fd: fd }));
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        Ok(try_lock(&fd)?.then_some(DirLock { _fd: fd }))
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
        // Never blocks on a planted FIFO or device: anything but a plain file is refused.
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        match rfs::openat(&*self.fd, name, flags, Mode::RUSR | Mode::WUSR) {
            Ok(fd) => {
                if rfs::FileType::from_raw_mode(rfs::fstat(&fd)?.st_mode)
                    != rfs::FileType::RegularFile
                {
                    return Err(io::Error::other(format!(
                        "{name} is not a plain file (a symbolic link, FIFO, device or directory); store files must be plain files"
                    )));
                }
                Ok(Some(File::from(fd)))
            }
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
        for name in [
            LOG_FILE,
            SNAPSHOT_FILE,
            INDEX_FILE,
            UNWRITTEN_FILE,
            TEXTS_FILE,
        ] {
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

/// Takes the directory's lock through `fd` if nobody holds it: whether it did.
fn try_lock(fd: &OwnedFd) -> io::Result<bool> {
    match rfs::flock(fd, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
