//! Section 4, open time by history length: 1 thousand, 100 thousand and 1 million records.

use std::path::Path;
use std::time::Instant;

use rusqlite::Connection;
use tempfile::TempDir;

use crate::fixtures::{history, open};
use crate::markdown::{fmt_ns, verdict, Report};
use crate::measure::median;

/// The 1-million-record store section 4 built, and the same rows in SQLite, for sections 5
/// and 6.
pub struct BigHistory {
    dir: TempDir,
    pub db: Connection,
}

impl BigHistory {
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

pub fn run(out: &mut Report) -> BigHistory {
    let sizes = [1_000u64, 100_000, 1_000_000];
    let mut opens = Vec::new();
    let mut big = None;
    for records in sizes {
        let dir = tempfile::tempdir().unwrap();
        let built = Instant::now();
        let db = history(dir.path(), records, records == 1_000_000);
        eprintln!(
            "built a {records}-record history in {:.1} s",
            built.elapsed().as_secs_f64()
        );
        drop(open(dir.path())); // the first open closes the synthetic history's open sessions
        let open_ns = median(
            (0..9)
                .map(|_| {
                    let start = Instant::now();
                    let store = open(dir.path());
                    let elapsed = start.elapsed().as_nanos() as f64;
                    drop(store);
                    elapsed
                })
                .collect(),
        );
        opens.push((records, open_ns));
        if let Some(db) = db {
            big = Some(BigHistory { dir, db });
        }
    }
    out.section(
        "4. Open time by history length (targets: 1 thousand and 1 million both ≤ 0.6 ms; 1 million within 2× of 1 thousand)",
        &["records", "median open", "vs 1 thousand", "target"],
    );
    let base = opens[0].1;
    for (records, ns) in &opens {
        let ok = *ns <= 600_000.0 && (*records < 1_000_000 || ns / base <= 2.0);
        out.row(&[
            format!("{records}"),
            fmt_ns(*ns),
            format!("{:.2}×", ns / base),
            if *records == 1_000 || *records == 1_000_000 {
                verdict(ok)
            } else {
                String::new()
            },
        ]);
    }
    big.expect("the 1 million store was built")
}
