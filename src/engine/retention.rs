//! Retention: use history older than the app's window is cut off the log on open and on `compact()`, the decisions in force kept in the log's base.

use super::Engine;
use crate::entry::Entry;
use crate::error::Error;
use crate::rules::State;

/// One day, in milliseconds.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Engine {
    /// Cuts the history older than the retention window, when that removes at least
    /// `min_records` records (opening asks for a checkpoint interval's worth, so a log is not
    /// rewritten on every launch). Returns how many records were removed. A failure while
    /// rewriting the log is a storage failure: everything off until reopened.
    pub fn compact(&self, min_records: u64) -> Result<u64, Error> {
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
            let pruned = match journal.compact::<State>(cutoff, min_records) {
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
