//! Group commit: callers wait until their records are on disk, and one fsync serves everyone who queued behind it.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::bytes::Bytes;

/// Every append gets a ticket; `wait(ticket)` returns once an fsync that began after the
/// append finished has succeeded.
pub(crate) struct Durability {
    /// The log to sync (swapped when a new chain starts).
    file: Mutex<Bytes>,
    /// Highest ticket whose bytes were handed to the OS.
    written: AtomicU64,
    /// The ticket of a write holding a decision's seal to anchor once durable (0: none), so
    /// that waiting on other writes does not take the store's lock to look.
    to_anchor: AtomicU64,
    progress: Mutex<Progress>,
    synced: Condvar,
}

struct Progress {
    synced: u64,
    syncing: bool,
    failed: Option<String>,
    /// Callers inside `wait` right now.
    waiting: usize,
    /// How many callers the last sync released, and how long it took: when several writers
    /// were released together they are likely to be back in a moment, so the next leader
    /// gives them up to half a sync's time to queue their records behind it.
    released: usize,
    last_sync: Duration,
}

impl Durability {
    pub fn new(file: Bytes) -> Durability {
        Durability {
            file: Mutex::new(file),
            written: AtomicU64::new(0),
            to_anchor: AtomicU64::new(0),
            progress: Mutex::new(Progress {
                synced: 0,
                syncing: false,
                failed: None,
                waiting: 0,
                released: 0,
                last_sync: Duration::ZERO,
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

    /// The last ticket known durable.
    /// A write holding a decision's seal, to anchor once `ticket` is durable.
    pub fn anchor_after(&self, ticket: u64) {
        self.to_anchor.store(ticket, Ordering::Release);
    }

    /// Whether a decision's seal waits for its anchor and is durable now (the anchor taken).
    pub fn anchor_due(&self) -> bool {
        let ticket = self.to_anchor.load(Ordering::Acquire);
        ticket != 0
            && ticket <= self.synced()
            && self
                .to_anchor
                .compare_exchange(ticket, 0, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    pub fn synced(&self) -> u64 {
        self.progress.lock().synced
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
        progress.waiting += 1;
        let result = self.wait_locked(&mut progress, ticket);
        progress.waiting -= 1;
        result
    }

    fn wait_locked(
        &self,
        progress: &mut parking_lot::MutexGuard<'_, Progress>,
        ticket: u64,
    ) -> io::Result<()> {
        loop {
            if let Some(why) = &progress.failed {
                return Err(io::Error::other(why.clone()));
            }
            if progress.synced >= ticket {
                return Ok(());
            }
            if progress.syncing {
                self.synced.wait(progress);
                continue;
            }
            progress.syncing = true;
            let (expected, patience) = (progress.released, progress.last_sync / 2);
            let result = parking_lot::MutexGuard::unlocked(progress, || {
                self.gather(ticket, expected, patience);
                let target = self.written.load(Ordering::Acquire);
                let file = self.file.lock().clone();
                let began = Instant::now();
                file.sync_data().map(|()| (target, began.elapsed()))
            });
            progress.syncing = false;
            match result {
                Ok((target, took)) => {
                    progress.synced = progress.synced.max(target);
                    progress.released = progress.waiting;
                    progress.last_sync = took;
                }
                Err(e) => progress.failed = Some(format!("fsync failed: {e}")),
            }
            self.synced.notify_all();
        }
    }

    /// Before a sync: when the last one released several writers, lets them append (up to
    /// `patience`, half a sync) so one sync covers them too. A lone writer — the last
    /// sync released only itself — never waits.
    fn gather(&self, ticket: u64, expected: usize, patience: Duration) {
        if expected < 2 {
            return;
        }
        let want = ticket.saturating_add(expected as u64 - 1);
        let deadline = Instant::now() + patience;
        while self.written.load(Ordering::Acquire) < want && Instant::now() < deadline {
            std::thread::yield_now();
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

    #[test]
    fn a_lone_writer_never_waits_for_company() {
        let d = Durability::new(Bytes::memory(Vec::new()));
        let start = Instant::now();
        d.gather(1, 0, Duration::from_secs(30)); // the first sync: nobody released yet
        d.gather(1, 1, Duration::from_secs(30)); // the last sync released only this caller
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_leader_waits_for_the_writers_the_last_sync_released_then_syncs_them_together() {
        let d = Durability::new(Bytes::memory(Vec::new()));
        d.written(1);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(20));
                d.written(2);
                std::thread::sleep(Duration::from_millis(20));
                d.written(3);
            });
            // Three writers were released last time: the leader of ticket 1 waits for 2 and 3
            // (and no longer: its patience is far longer than that).
            let start = Instant::now();
            d.gather(1, 3, Duration::from_secs(30));
            assert_eq!(d.written.load(Ordering::Acquire), 3);
            assert!(start.elapsed() < Duration::from_secs(10));
        });
        // Patience runs out when they do not come.
        let start = Instant::now();
        d.gather(4, 3, Duration::from_millis(30));
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn a_sync_remembers_how_many_callers_it_released() {
        let d = Durability::new(Bytes::memory(Vec::new()));
        d.written(1);
        d.wait(1).unwrap();
        assert_eq!(d.progress.lock().released, 1, "a lone caller");
    }
}
