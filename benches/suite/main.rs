//! consentkit beside the baselines a mobile team would compare it with, side by side in one
//! run: a locked HashMap, a raw append+fsync, SQLite (WAL, synchronous=FULL). Prints Markdown
//! for BENCHMARKS.md (scripts/bench). `--rss-probe DIR` is the child process that measures
//! peak memory of opening a store and producing its report.
//!
//! One module per section of BENCHMARKS.md, run in section order (7 and 10–12 are measured by
//! scripts/bench itself). `BENCH_ONLY=read,durable` runs only the named groups: `read` (1),
//! `durable` (2), `concurrent` (3), `history` (4–6, building a 1-million-record store),
//! `sealing` (8), `retention` (9).

mod fixtures;
mod markdown;
mod measure;
mod s1_read_path;
mod s2_durable_decision;
mod s3_concurrent_sessions;
mod s4_open_time;
mod s5_privacy_report;
mod s6_peak_memory;
mod s8_sealing;
mod s9_retention;

use markdown::Report;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--rss-probe") {
        return s6_peak_memory::rss_probe(&args[i + 1]);
    }
    let mut out = Report(Vec::new());
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only.split(',').any(|o| o == name);
    if run("read") {
        s1_read_path::run(&mut out);
    }
    if run("durable") {
        s2_durable_decision::run(&mut out);
    }
    if run("concurrent") {
        s3_concurrent_sessions::run(&mut out);
    }
    if run("history") {
        // Sections 5 and 6 read the 1-million-record store section 4 built.
        let big = s4_open_time::run(&mut out);
        s5_privacy_report::run(&mut out, &big);
        s6_peak_memory::run(&mut out, &big);
    }
    if run("sealing") {
        s8_sealing::run(&mut out);
    }
    if run("retention") {
        s9_retention::run(&mut out);
    }
    println!("{}", out.0.join("\n"));
}
