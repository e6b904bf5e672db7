//! Section 2, one durable decision: consentkit, a raw append+fsync, SQLite FULL.

use std::fs::OpenOptions;
use std::io::Write;

use crate::fixtures::{flip_camera, insert, open, sqlite};
use crate::markdown::{fmt_ns, verdict, Report};
use crate::measure::{median, ratio_of, side_by_side};

pub fn run(out: &mut Report) {
    use std::os::unix::fs::FileExt;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    let mut raw = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("raw.log"))
        .unwrap();
    let db = sqlite(&dir.path().join("sqlite.db"));
    let line = b"1790000000000 granted camera user until_revoked 1\n";
    // The floor: a write into a preallocated, zero-filled, synced file, then fdatasync — what
    // consentkit's log does, minus everything consentkit adds.
    let floor_file = {
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(dir.path().join("floor.log"))
            .unwrap();
        file.write_all_at(&vec![0u8; 8 << 20], 0).unwrap();
        file.sync_all().unwrap();
        file
    };
    let mut at = 0u64;
    let samples = side_by_side(
        9,
        100,
        &mut [
            &mut |i| flip_camera(&store, i),
            &mut |_| {
                floor_file.write_all_at(line, at).unwrap();
                at += line.len() as u64;
                floor_file.sync_data().unwrap();
            },
            &mut |_| {
                raw.write_all(line).unwrap();
                raw.sync_data().unwrap();
            },
            &mut |i| insert(&db, 1_790_000_000_000 + i as i64, 2, 0, None, 0),
        ],
    );
    let [ours, floor, raw, sqlite] = [0, 1, 2, 3].map(|k| samples[k].as_slice());
    let floor_ratio = ratio_of(ours, floor);
    let raw_ratio = ratio_of(ours, raw);
    let sqlite_ratio = ratio_of(sqlite, ours); // throughput: their time over ours
    let [ours_ns, floor, raw_ns, sqlite_ns] =
        [ours, floor, raw, sqlite].map(|s| median(s.to_vec()));
    out.section(
        "2. A durable decision (targets: ≤ 1.1× the preallocated write + fdatasync floor; ≥ SQLite's throughput)",
        &[
            "writer",
            "median per decision",
            "decisions/s",
            "consentkit ratio",
            "target",
        ],
    );
    out.row(&[
        "consentkit grant/revoke".into(),
        fmt_ns(ours_ns),
        format!("{:.0}", 1e9 / ours_ns),
        "1.00".into(),
        String::new(),
    ]);
    out.row(&[
        "floor: write into a preallocated file + fdatasync".into(),
        fmt_ns(floor),
        format!("{:.0}", 1e9 / floor),
        format!("{floor_ratio:.2}× the time"),
        verdict(floor_ratio <= 1.1),
    ]);
    out.row(&[
        "append to a growing file + fdatasync (for reference)".into(),
        fmt_ns(raw_ns),
        format!("{:.0}", 1e9 / raw_ns),
        format!("{raw_ratio:.2}× the time"),
        String::new(),
    ]);
    out.row(&[
        "SQLite WAL, synchronous=FULL".into(),
        fmt_ns(sqlite_ns),
        format!("{:.0}", 1e9 / sqlite_ns),
        format!("{sqlite_ratio:.2}× the throughput"),
        verdict(sqlite_ratio >= 1.0),
    ]);
}
