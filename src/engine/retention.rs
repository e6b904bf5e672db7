//! Retention: when use history older than the app's window is cut off the log (on open, on `compact()`, after a day's first write); the cut itself is the write path's.

use super::Engine;
use crate::error::Error;

/// One day, in milliseconds.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Engine {
    /// Cuts the history older than the retention window (rule 12), on open, on `compact()`
    /// and after the first write of each day: records go within about a day of ageing out,
    /// whatever the volume, since a checkpoint ends each day's records (`Journal::day_turned`)
    /// and the log is rewritten at most once per new cut point. Returns how many records
    /// were removed. A failure while rewriting the log is a storage failure: everything off
    /// until reopened.
    pub fn compact(&self) -> Result<u64, Error> {
        let days = i64::from(self.config.retention_days);
        if days == 0 {
            return Ok(0);
        }
        let appended = {
            let mut guard = self.write();
            let core = &mut *guard;
            core.usable()?;
            let now = self.now();
            let cutoff = now.wall_ms.saturating_sub(days.saturating_mul(DAY_MS));
            match self.cut_history(core, now, cutoff) {
                Ok(Some(cut)) => cut,
                Ok(None) => return Ok(0),
                Err(e) => {
                    drop(guard);
                    self.notifier.deliver();
                    return Err(e);
                }
            }
        };
        self.wait_durable(appended.0.ticket)?;
        self.notifier.deliver();
        self.checkpoint_now()?;
        Ok(appended.1)
    }
}
