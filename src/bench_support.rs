//! Benchmark support: builds long histories fast. Compiled only with the `bench-support` feature.

use crate::entry::SessionEndReason;
use crate::error::ConsentError;
use crate::model::{Actor, Feature, GrantScope};
use crate::store::ConsentStore;

impl ConsentStore {
    /// Appends about `records` records of a camera app's life — grants, uses of camera,
    /// microphone and clipboard with their durations, refusals — timed evenly from
    /// `first_ms` to `last_ms`, through the normal rules and log (with checkpoints). Records
    /// are not synced one by one: one fsync at the end makes them all durable.
    #[doc(hidden)]
    pub fn append_synthetic_history(
        &self,
        records: u64,
        first_ms: i64,
        last_ms: i64,
    ) -> Result<u64, ConsentError> {
        let inner = &self.inner;
        let step = ((last_ms - first_ms) / records.max(1) as i64).max(1);
        let mut written = 0u64;
        let mut time = first_ms;
        let mut ticket = 0;
        let mut round = 0u64;
        while written < records {
            let mut core = inner.core.write();
            let state = &core.state;
            let (feature, purpose) = [
                (Feature::Camera, "shoot_photo"),
                (Feature::Camera, "record_video"),
                (Feature::Microphone, "record_video"),
                (Feature::Clipboard, "share_code"),
            ][(round % 4) as usize];
            round += 1;
            let mut entries = Vec::new();
            if state.record(feature).status != crate::model::ConsentStatus::Granted {
                if round % 7 == 0 {
                    entries.push(state.refusal_entry(
                        feature,
                        purpose,
                        crate::rules::Refusal::ConsentRequired,
                    ));
                } else {
                    entries.extend(
                        state
                            .decide_grant(feature, GrantScope::UntilRevoked, Actor::User)
                            .expect("a user may grant"),
                    );
                }
            } else if let Some(open) = state.sessions_of(feature).next() {
                entries.extend(state.decide_end(
                    open.id,
                    SessionEndReason::Ended,
                    Some(round * 1_500),
                ));
            } else if let Ok(began) = state.decide_begin_use(feature, purpose) {
                entries.push(began);
            }
            if round % 997 == 0 {
                entries.extend(state.decide_close(
                    feature,
                    Actor::User,
                    crate::entry::AuditKind::Revoked,
                    None,
                ));
            }
            written += entries.len() as u64;
            let (_, t) = inner.commit_at(&mut core, entries, time, round * 1_500)?;
            drop(core);
            inner.notifier.deliver();
            ticket = t;
            time += step;
        }
        inner.wait_durable(ticket)?;
        Ok(written)
    }
}
