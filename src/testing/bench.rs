//! Benchmark support: builds long histories fast through the normal rules and write path (feature `testing` only).

use crate::error::ConsentError;
use crate::kinds::SessionEndReason;
use crate::model::{Actor, ConsentStatus, Feature, GrantScope};
use crate::rules::{Decision, Now};
use crate::store::ConsentStore;

/// Appends about `records` records of a camera app's life — grants, uses with their
/// durations, refusals — from `first_ms` to `last_ms`, through the rules and the one write
/// path (with checkpoints). Shaped like real use: six bursts of shooting a day between
/// 08:00 and 22:00, idle nights, the camera dominating (60% of uses; then the video's
/// microphone, the clipboard, the photo library). Records are not synced one by one: one
/// fsync at the end makes them all durable.
pub fn append_synthetic_history(
    store: &ConsentStore,
    records: u64,
    first_ms: i64,
    last_ms: i64,
) -> Result<u64, ConsentError> {
    // A camera app shoots on screen (a store is in the background until told).
    store.set_foreground(true)?;
    let engine = &store.engine;
    const DAY_MS: i64 = 86_400_000;
    let days = ((last_ms - first_ms) / DAY_MS).max(1);
    let per_day = (records as i64 / days).max(1);
    // Record k's time: its day, then one of six 20-minute bursts spread over 08:00–22:00.
    let time_of = |k: u64| -> i64 {
        let (day, slot) = (k as i64 / per_day, k as i64 % per_day);
        let position = slot * 6_000 / per_day; // 0..6000 across the day's records
        let (burst, within) = (position / 1_000, position % 1_000);
        let time_of_day = 8 * 3_600_000 + burst * 8_400_000 + within * 1_200;
        (first_ms + day * DAY_MS + time_of_day).min(last_ms)
    };
    let mut written = 0u64;
    let mut last = None;
    let mut round = 0u64;
    while written < records {
        let (feature, purpose) = [
            (Feature::Camera, "shoot_photo"),
            (Feature::Camera, "shoot_photo"),
            (Feature::Camera, "record_video"),
            (Feature::Microphone, "record_video"),
            (Feature::Camera, "shoot_photo"),
            (Feature::Clipboard, "share_code"),
            (Feature::Camera, "shoot_photo"),
            (Feature::PhotoLibrary, "save_media"),
            (Feature::Camera, "shoot_photo"),
            (Feature::Microphone, "record_video"),
        ][(round % 10) as usize];
        round += 1;
        let now = Now {
            wall_ms: time_of(written),
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
