//! Section 1, the read path: `is_allowed` and `state` against a `parking_lot::RwLock<HashMap>`
//! of the same data.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use consentkit::{Actor, Feature, FeatureState, GrantScope};
use parking_lot::RwLock;

use crate::fixtures::open;
use crate::markdown::{fmt_ns, verdict, Report};
use crate::measure::ns_per_op;

pub fn run(out: &mut Report) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
        .unwrap();
    let _session = store
        .begin_use(Feature::Camera, "shoot_photo".into())
        .unwrap();
    let map: RwLock<HashMap<Feature, FeatureState>> =
        RwLock::new(store.states().into_iter().map(|s| (s.feature, s)).collect());
    // The like-for-like structure for is_allowed: one shared atomic word, a bit per feature.
    let word = Arc::new(AtomicU32::new(1));
    let feature = |i: usize| Feature::ALL[i % 6];
    let (rounds, iters) = (11, 1_000_000);
    let word_allowed = ns_per_op(rounds, iters, |i| {
        black_box(black_box(&word).load(Ordering::Acquire) & (1 << (i % 6)) != 0);
    });
    let allowed = ns_per_op(rounds, iters, |i| {
        black_box(store.is_allowed(feature(i)));
    });
    let map_state = ns_per_op(rounds, iters / 4, |i| {
        black_box(map.read().get(&feature(i)).cloned());
    });
    let state = ns_per_op(rounds, iters / 4, |i| {
        black_box(store.state(feature(i)));
    });
    out.section(
        "1. Read path, against the like-for-like structure (target: ratio ≤ 1.5)",
        &["operation", "consentkit", "baseline", "ratio", "target"],
    );
    for (name, ours, baseline, theirs) in [
        (
            "is_allowed",
            allowed,
            "one `Arc<AtomicU32>`, a bit per feature",
            word_allowed,
        ),
        (
            "state (cloned record)",
            state,
            "`RwLock<HashMap>` get + clone",
            map_state,
        ),
    ] {
        out.row(&[
            name.into(),
            fmt_ns(ours),
            format!("{baseline}: {}", fmt_ns(theirs)),
            format!("{:.2}", ours / theirs),
            verdict(ours / theirs <= 1.5),
        ]);
    }
}
