//! Section 9, a year of heavy use on disk, with and without retention.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use consentkit::{
    AuditFilter, Clock, ConsentConfig, ConsentStore, FakeClock, StoreOptions, SystemClock,
};

use crate::fixtures::{config, APP, DAY_MS};
use crate::markdown::{fmt_ns, Report};

pub fn run(out: &mut Report) {
    // 200 photos a day, a session begun and ended for each: 400 records a day.
    const RECORDS: u64 = 365 * 200 * 2;
    let now = SystemClock::default().now_ms();
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    out.section(
        "9. A year of heavy use on disk (146,000 records: about 200 photos a day)",
        &[
            "retention",
            "records kept",
            "log file",
            "snapshot + index",
            "export_json",
            "first open (cut included)",
        ],
    );
    for days in [0u32, 180, 30] {
        let dir = tempfile::tempdir().unwrap();
        {
            let options = StoreOptions {
                clock: Arc::new(FakeClock::new(now - 366 * DAY_MS)),
                ..StoreOptions::default()
            };
            let store = ConsentStore::open_with(dir.path(), Some(config()), options).unwrap();
            consentkit::testing::bench::append_synthetic_history(
                &store,
                RECORDS,
                now - 365 * DAY_MS,
                now,
            )
            .unwrap();
        }
        let retaining = ConsentConfig {
            retention_days: days,
            ..ConsentConfig::new(APP)
        };
        let start = Instant::now();
        let store =
            ConsentStore::open_with(dir.path(), Some(retaining), StoreOptions::default()).unwrap();
        let first_open = start.elapsed().as_nanos() as f64;
        let log = store.audit_log(AuditFilter::default()).unwrap();
        let export = store.export_json().unwrap().len() as u64;
        drop(store);
        let file = |name: &str| size(&dir.path().join(name));
        out.row(&[
            if days == 0 {
                "none (keep everything)".into()
            } else {
                format!("{days} days{}", if days == 180 { " (default)" } else { "" })
            },
            log.len().to_string(),
            format!("{:.1} MiB", file("consent.log") as f64 / 1_048_576.0),
            format!(
                "{:.0} KiB",
                (file("consent.snapshot") + file("consent.index")) as f64 / 1024.0
            ),
            format!("{:.1} MB", export as f64 / 1e6),
            fmt_ns(first_open),
        ]);
    }
    out.note(
        "The log file grows in 1 MiB preallocated steps, so its size is rounded up. The cut \
         happens once, on the first open after a checkpoint interval's worth of history left the \
         window (or on compact()); later opens read the snapshot as before. Decisions in force \
         stay in the log's base whatever their age.",
    );
}
