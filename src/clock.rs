//! Time sources: wall-clock time for records, a monotonic clock for durations, and a fake for tests.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Where the store gets time. Records carry `now_ms` as observed; durations come from
/// `monotonic_ms`, so a wall clock that jumps never yields a negative time in use.
pub trait Clock: Send + Sync {
    /// Wall-clock time, Unix milliseconds.
    fn now_ms(&self) -> i64;
    /// Milliseconds from an arbitrary origin; never goes backwards.
    fn monotonic_ms(&self) -> u64;
}

/// The real clocks.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_millis() as i64,
            Err(before) => -(before.duration().as_millis() as i64),
        }
    }

    fn monotonic_ms(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }
}

/// A clock tests move by hand: `advance` moves both clocks, `set_wall` jumps the wall clock only.
#[derive(Debug, Default)]
pub struct FakeClock {
    wall: AtomicI64,
    mono: AtomicU64,
}

impl FakeClock {
    /// Starts at the given wall time.
    pub fn new(now_ms: i64) -> FakeClock {
        FakeClock {
            wall: AtomicI64::new(now_ms),
            mono: AtomicU64::new(0),
        }
    }

    /// Time passes: both clocks move forward.
    pub fn advance(&self, ms: u64) {
        self.wall.fetch_add(ms as i64, Ordering::SeqCst);
        self.mono.fetch_add(ms, Ordering::SeqCst);
    }

    /// The wall clock is set (forwards or backwards); the monotonic clock does not move.
    pub fn set_wall(&self, now_ms: i64) {
        self.wall.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> i64 {
        self.wall.load(Ordering::SeqCst)
    }

    fn monotonic_ms(&self) -> u64 {
        self.mono.load(Ordering::SeqCst)
    }
}
