//! Section 8, what sealing costs: a durable decision and an open, with a sealer beside without.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use consentkit::{Clock, ConsentStore, FakeClock, StoreOptions, SystemClock};

use crate::fixtures::{config, flip_camera, on_screen, open, DAY_MS};
use crate::markdown::{fmt_ns, verdict, Report};
use crate::measure::{median, ratio_of, side_by_side};

pub fn run(out: &mut Report) {
    let sealer =
        consentkit::software_sealer(b"a platform key, never exported..".to_vec(), None).unwrap();
    let sealed_options = || StoreOptions {
        sealer: Some(sealer.clone()),
        ..StoreOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let plain = open(&dir.path().join("plain"));
    let sealed = on_screen(
        ConsentStore::open_with(&dir.path().join("sealed"), Some(config()), sealed_options())
            .unwrap(),
    );
    let samples = side_by_side(
        9,
        100,
        &mut [&mut |i| flip_camera(&plain, i), &mut |i| {
            flip_camera(&sealed, i)
        }],
    );
    let decision_ratio = ratio_of(&samples[1], &samples[0]);
    let [plain_ns, sealed_ns] = [0, 1].map(|k| median(samples[k].clone()));
    drop((plain, sealed));

    // The same 100k-record history written twice: unsealed, and sealed (a sealed store opens
    // only with its key).
    let history_with = |options: &dyn Fn() -> StoreOptions| {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            clock: Arc::new(FakeClock::new(
                SystemClock::default().now_ms() - 30 * DAY_MS,
            )),
            ..options()
        };
        let store = ConsentStore::open_with(dir.path(), Some(config()), options).unwrap();
        consentkit::testing::bench::append_synthetic_history(
            &store,
            100_000,
            SystemClock::default().now_ms() - 29 * DAY_MS,
            SystemClock::default().now_ms(),
        )
        .unwrap();
        dir
    };
    let open_with = |dir: &Path, options: &dyn Fn() -> StoreOptions| {
        drop(ConsentStore::open_with(dir, Some(config()), options()).unwrap());
        median(
            (0..15)
                .map(|_| {
                    let start = Instant::now();
                    let store = ConsentStore::open_with(dir, Some(config()), options()).unwrap();
                    let elapsed = start.elapsed().as_nanos() as f64;
                    drop(store);
                    elapsed
                })
                .collect(),
        )
    };
    let (plain_dir, sealed_dir) = (
        history_with(&StoreOptions::default),
        history_with(&sealed_options),
    );
    let open_plain = open_with(plain_dir.path(), &StoreOptions::default);
    let open_sealed = open_with(sealed_dir.path(), &sealed_options);
    out.section(
        "8. What sealing costs (targets: a decision within 1.1×, an open within 1.2× of the same without a sealer)",
        &["operation", "without a sealer", "with a sealer", "ratio", "target"],
    );
    out.row(&[
        "durable decision (grant/revoke)".into(),
        fmt_ns(plain_ns),
        fmt_ns(sealed_ns),
        format!("{decision_ratio:.2}×"),
        verdict(decision_ratio <= 1.1),
    ]);
    out.row(&[
        "open, 100k-record sealed store".into(),
        fmt_ns(open_plain),
        fmt_ns(open_sealed),
        format!("{:.2}×", open_sealed / open_plain),
        verdict(open_sealed / open_plain <= 1.2),
    ]);
    out.note(
        "A decision is sealed in its own write (the seal's MACs before the sync, its anchor \
         kept after it); uses are not, and are sealed at checkpoints (every 1024 records) and \
         on close. Opening checks the last seal and the anchor: two MACs by the platform key, \
         which the in-memory sealer here makes in microseconds and a phone's keystore in \
         milliseconds (so a decision there costs a few milliseconds more; a tap's, not a \
         use's).",
    );
}
