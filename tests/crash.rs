//! Crash test: a child process appends decisions and acknowledges each; the parent kills it with SIGKILL at random moments and checks nothing acknowledged is lost.
#![cfg(unix)]

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use consentkit::*;

const CHILD_ENV: &str = "CONSENTKIT_CRASH_CHILD_DIR";
const KILLS: usize = 200;

fn store_options() -> StoreOptions {
    // Frequent checkpoints, so kills also land while snapshots are written.
    StoreOptions {
        checkpoint_every: 16,
        ..StoreOptions::default()
    }
}

/// The child process of the crash test; the parent runs it with `--ignored --exact`.
#[test]
#[ignore = "child process of acknowledged_decisions_survive_sigkill_at_random_moments"]
fn crash_child() {
    let dir = std::env::var_os(CHILD_ENV).expect("run by the crash test, which sets the store dir");
    let store = on_screen(
        ConsentStore::open_with(Path::new(&dir), Some(config()), store_options()).unwrap(),
    );
    let mut out = std::io::stdout().lock();
    let mut open_sessions = Vec::new();
    for i in 0u64.. {
        let feature = Feature::ALL[(i % 6) as usize];
        match i % 4 {
            0 | 1 => store
                .grant(feature, GrantScope::UntilRevoked, Actor::User)
                .unwrap(),
            2 => {
                // Left open on purpose: a kill now leaves sessions for the next open to close.
                if let Ok(session) = store.begin_use(feature, feature.default_purposes()[0].into())
                {
                    open_sessions.push(session);
                }
                if open_sessions.len() > 3 {
                    open_sessions.remove(0).end().unwrap();
                }
            }
            _ => store.deny(feature, Actor::User).unwrap(),
        }
        let head = store.head();
        writeln!(out, "ack {} {}", head.seq, head.hash).unwrap();
        out.flush().unwrap();
    }
}

/// A small deterministic generator; the seed is printed so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn acknowledged_decisions_survive_sigkill_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("crash test seed: {seed} (rerun with CRASH_SEED={seed})");
    let mut rng = XorShift(seed);
    let mut acked: HashMap<u64, String> = HashMap::new();
    let mut interrupted_seen = 0;

    for kill in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut output = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut output)
            .unwrap();
        for line in output.lines().filter_map(|l| l.strip_prefix("ack ")) {
            let (seq, hash) = line.split_once(' ').unwrap();
            acked.insert(seq.parse().unwrap(), hash.to_string());
        }

        let store = ConsentStore::open_with(dir.path(), Some(config()), store_options())
            .unwrap_or_else(|e| panic!("kill {kill}: store does not open: {e}"));
        let report = store.verify().unwrap();
        assert!(report.intact, "kill {kill}: {:?}", report.problem);
        assert!(store.states().iter().all(|s| s.active_sessions == 0));
        let log: HashMap<u64, AuditEntry> = store
            .audit_log(AuditFilter::default())
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e))
            .collect();
        for (seq, hash) in &acked {
            let entry = log
                .get(seq)
                .unwrap_or_else(|| panic!("kill {kill}: acknowledged record {seq} lost"));
            assert_eq!(
                &entry.hash, hash,
                "kill {kill}: acknowledged record {seq} changed"
            );
        }
        interrupted_seen += log
            .values()
            .filter(|e| e.end_reason == Some(SessionEndReason::Interrupted))
            .count();
        store.close().unwrap();
    }
    println!("{} records acknowledged across {KILLS} kills", acked.len());
    assert!(
        acked.len() > KILLS,
        "the child acknowledged only {} records",
        acked.len()
    );
    assert!(
        interrupted_seen > 0,
        "no kill ever interrupted an open session"
    );
    std::io::stdout().flush().unwrap();
}
