//! One process (and one open handle) per store directory, through an advisory lock.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Held for as long as the store is open; the OS releases it when the file closes,
/// including when the process dies.
pub(crate) struct DirLock {
    _file: File,
}

/// The directory is locked by someone else.
pub(crate) struct Busy;

impl DirLock {
    pub fn acquire(dir: &Path) -> io::Result<Result<DirLock, Busy>> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        super::owner_only(&mut options);
        let file = options.open(dir.join(super::LOCK_FILE))?;
        Ok(try_lock(&file).map(|()| DirLock { _file: file }))
    }
}

/// `flock`, not `std::fs::File::try_lock`: the standard library does not support it on
/// Android, and flock is what Android's own databases rely on.
#[cfg(unix)]
fn try_lock(file: &File) -> Result<(), Busy> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a valid, open descriptor has no memory-safety preconditions.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(Busy)
    }
}

#[cfg(not(unix))]
fn try_lock(file: &File) -> Result<(), Busy> {
    file.try_lock().map_err(|_| Busy)
}
