//! Benchmark support: builds long histories fast through the normal rules and write path. Compiled only with the `bench-support` feature.

use crate::entry::SessionEndReason;
use crate::error::ConsentError;
use crate::model::{Actor, ConsentStatus, Feature, GrantScope};
use crate::rules::{Decision, Now};
use crate::store::ConsentStore;

impl ConsentStore {
    /// Appends about `records` records of a camera app's life — grants, uses of camera,
    /// microphone and clipboard with their durations, refusals — timed evenly from
    /// `first_ms` to `last_ms`, through the rules and the one write path (with checkpoints).
    /// Records are not synced one by one: one fsync at the end makes them all durable.
    #[doc(hidden)]
    pub fn append_synthetic_history(
        &self,
        records: u64,
        first_ms: i64,
        last_ms: i64,
    ) -> Result<u64, ConsentError> {
        let engine = self.engine();
        let step = ((last_ms - first_ms) / records.max(1) as i64).max(1);
        let mut written = 0u64;
        let mut last = None;
        let mut round = 0u64;
        while written < records {
            let (feature, purpose) = [
                (Feature::Camera, "shoot_photo"),
                (Feature::Camera, "record_video"),
                (Feature::Microphone, "record_video"),
                (Feature::Clipboard, "share_code"),
            ][(round % 4) as usize];
            round += 1;
            let now = Now {
                wall_ms: first_ms + step * written as i64,
                mono_ms: round * 1_500,
            };
            let mut count = 0;
            let appended = engine.decide_unsynced(now, |state, now| {
                let mut entries = Vec::new();
                if round % 997 == 0 {
                    entries.extend(state.revoke(feature, Actor::User, now).entries);
                } else if state.record(feature).status != ConsentStatus::Granted {
                    if round % 7 == 0 {
                        entries.extend(state.begin_use(feature, purpose).entries);
                    } else {
                        entries.extend(
                            state
                                .grant(feature, GrantScope::UntilRevoked, Actor::User)
                                .entries,
                        );
                    }
                } else if let Some(open) = state.sessions_of(feature).next() {
                    entries.extend(
                        state
                            .end_session(open.id, SessionEndReason::Ended, now)
                            .entries,
                    );
                } else {
                    entries.extend(state.begin_use(feature, purpose).entries);
                }
                count = entries.len() as u64;
                Decision::records(entries)
            })?;
            written += count;
            last = appended.or(last);
        }
        if let Some(appended) = last {
            engine.sync_through(appended)?;
        }
        Ok(written)
    }
}
