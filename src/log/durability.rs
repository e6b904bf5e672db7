//! Group commit: callers wait until their records are on disk, and one fsync serves everyone who queued behind it.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};

use super::fs::Bytes;

/// Every append gets a ticket; `wait(ticket)` returns once an fsync that began after the
/// append finished has succeeded.
pub(crate) struct Durability {
    /// The log to sync (swapped when a new chain starts).
    file: Mutex<Bytes>,
    /// Highest ticket whose bytes were handed to the OS.
    written: AtomicU64,
    progress: Mutex<Progress>,
    synced: Condvar,
}

struct Progress {
    synced: u64,
    syncing: bool,
    failed: Option<String>,
}

impl Durability {
    pub fn new(file: Bytes) -> Durability {
        Durability {
            file: Mutex::new(file),
            written: AtomicU64::new(0),
            progress: Mutex::new(Progress {
                synced: 0,
                syncing: false,
                failed: None,
            }),
            synced: Condvar::new(),
        }
    }

    /// Called (under the store's lock) once the bytes of `ticket` are written.
    pub fn written(&self, ticket: u64) {
        self.written.store(ticket, Ordering::Release);
    }

    /// Points future syncs at a new file. Call with everything written so far already synced.
    pub fn replace_file(&self, file: Bytes) {
        *self.file.lock() = file;
    }

    /// Marks everything up to `ticket` durable (after a direct fsync by the writer).
    pub fn synced_up_to(&self, ticket: u64) {
        let mut progress = self.progress.lock();
        progress.synced = progress.synced.max(ticket);
        self.synced.notify_all();
    }

    /// Blocks until `ticket` is durable. Once an fsync has failed, every later wait fails too:
    /// after a failed fsync the kernel may have dropped the pages, so nothing is trusted.
    pub fn wait(&self, ticket: u64) -> io::Result<()> {
        let mut progress = self.progress.lock();
        loop {
            if let Some(why) = &progress.failed {
                return Err(io::Error::other(why.clone()));
            }
            if progress.synced >= ticket {
                return Ok(());
            }
            if progress.syncing {
                self.synced.wait(&mut progress);
                continue;
            }
            progress.syncing = true;
            let target = self.written.load(Ordering::Acquire);
            let file = self.file.lock().clone();
            let result = parking_lot::MutexGuard::unlocked(&mut progress, || file.sync_data());
            progress.syncing = false;
            match result {
                Ok(()) => progress.synced = progress.synced.max(target),
                Err(e) => progress.failed = Some(format!("fsync failed: {e}")),
            }
            self.synced.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sync_covers_every_ticket_written_before_it() {
        let d = Durability::new(Bytes::memory(Vec::new()));
        d.written(3);
        d.wait(1).unwrap();
        // Tickets 2 and 3 were written before the sync for 1 began: no new sync needed.
        assert_eq!(d.progress.lock().synced, 3);
        d.wait(3).unwrap();
    }
}
