//! Section 6, peak memory: the 1-million-record store opened, reported and verified, and stores
//! with a 1 GiB tail opened, each in a child process (`--rss-probe`) whose VmHWM is read.

use std::hint::black_box;
use std::path::Path;

use consentkit::{Clock, SystemClock};

use crate::fixtures::{history, open, DAY_MS};
use crate::markdown::{verdict, Report};
use crate::s4_open_time::BigHistory;

pub fn run(out: &mut Report, big: &BigHistory) {
    let dir = big.dir();
    let probe = |arg: &str| -> u64 {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--rss-probe", arg])
            .output()
            .unwrap();
        String::from_utf8(output.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap_or_else(|e| {
                panic!(
                    "the probe prints its peak RSS in KiB ({e}): {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            })
    };
    let baseline = probe("-");
    let peak = probe(dir.to_str().unwrap());
    out.section(
        "6. Peak memory (target: ≤ 16 MiB): the 1-million-record store opened, reported and verified; stores with huge tails opened",
        &["process", "peak RSS (VmHWM)", "target"],
    );
    out.row(&[
        "open + 7-day report + full verify".into(),
        format!("{:.1} MiB", peak as f64 / 1024.0),
        verdict(peak <= 16 * 1024),
    ]);
    for (what, tail) in [
        ("open a 1k-record store with a 1 GiB zero tail", Tail::Zeros),
        (
            "open a 1k-record store with a 1 GiB garbage tail",
            Tail::Garbage,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        history(dir.path(), 1_000, false);
        drop(open(dir.path()));
        with_tail(&dir.path().join("consent.log"), tail, 1 << 30);
        let peak = probe(dir.path().to_str().unwrap());
        out.row(&[
            what.into(),
            format!("{:.1} MiB", peak as f64 / 1024.0),
            verdict(peak <= 16 * 1024),
        ]);
    }
    out.row(&[
        "the same process doing nothing".into(),
        format!("{:.1} MiB", baseline as f64 / 1024.0),
        String::new(),
    ]);
    out.note(
        "A zero tail beyond the log's own preallocation is never read (only one frame's worth \
         after the last record is checked) and is cut; garbage right after the records is damage, \
         kept aside by hard link (nothing copied) before a new chain starts.",
    );
}

#[derive(Clone, Copy)]
enum Tail {
    Zeros,
    Garbage,
}

/// Extends the log at `path` to `len` bytes: sparse zeros, or pseudo-random garbage written
/// right after its last record.
fn with_tail(path: &Path, tail: Tail, len: u64) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    match tail {
        Tail::Zeros => file.set_len(len).unwrap(),
        Tail::Garbage => {
            use std::os::unix::fs::FileExt;
            let bytes = std::fs::read(path).unwrap();
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1) as u64;
            let mut state = 0x2545_F491_4F6C_DD1Du64;
            let mut chunk = vec![0u8; 1 << 20];
            let mut at = end;
            while at < len {
                for b in chunk.iter_mut() {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    *b = state as u8 | 1;
                }
                file.write_all_at(&chunk, at).unwrap();
                at += chunk.len() as u64;
            }
        }
    }
}

/// The child process: opens the store, runs the report and a full verification, prints VmHWM.
pub fn rss_probe(dir: &str) {
    if dir != "-" {
        let store = open(Path::new(dir));
        let now = SystemClock::default().now_ms();
        black_box(store.privacy_report(now - 7 * DAY_MS, now + 1).unwrap());
        let verified = store.verify().unwrap();
        // A garbage tail is damage, kept aside at open: then verify says so, as it should.
        if store.recovery_notice().is_none() {
            assert!(verified.intact, "{verified:?}");
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap();
    println!("{}", hwm.trim().trim_end_matches("kB").trim());
}
