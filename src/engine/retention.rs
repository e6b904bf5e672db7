//! Retention: use history older than the app's window is cut off the log on open and on `compact()`, the decisions in force kept in the log's base.

use super::Engine;
use crate::entry::Entry;
use crate::error::Error;
use crate::rules::State;

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
            let journal = core.journal.as_mut().ok_or(Error::Closed)?;
            // What was written since the last checkpoint, on an earlier day, gets its cut point.
            let checkpointed = if journal.day_turned(now.wall_ms) {
                journal.checkpoint(&core.state, now.wall_ms)
            } else {
                Ok(())
            };
            let pruned = match checkpointed.and_then(|()| journal.compact::<State>(cutoff)) {
                Ok(Some(pruned)) => pruned,
                Ok(None) => return Ok(0),
                Err(e) => {
                    let why = format!("cutting old history off the log failed ({e})");
                    self.fail_locked(core, false, why.clone());
                    drop(guard);
                    self.notifier.deliver();
                    return Err(Error::Failed(why));
                }
            };
            let record = Entry::Pruned {
                through_seq: pruned.through_seq,
                through_hash: pruned.through_hash,
                records: pruned.records,
            };
            let appended = self.commit(core, &[record], now, false)?;
            (appended, pruned.records)
        };
        self.wait_durable(appended.0.ticket)?;
        self.notifier.deliver();
        self.checkpoint_now()?;
        Ok(appended.1)
    }
}
