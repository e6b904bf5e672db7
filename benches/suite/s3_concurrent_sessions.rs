//! Section 3, concurrent sessions: eight threads opening and ending use sessions, against SQLite
//! FULL with eight threads.

use std::time::Instant;

use consentkit::{Actor, Feature, GrantScope};

use crate::fixtures::{insert, open, sqlite};
use crate::markdown::{verdict, Report};
use crate::measure::median;

pub fn run(out: &mut Report) {
    const THREADS: usize = 8;
    const PAIRS: usize = 60;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store"));
    store
        .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
        .unwrap();
    let db_path = dir.path().join("sqlite.db");
    drop(sqlite(&db_path));
    let run = |work: &(dyn Fn(usize) + Sync)| -> f64 {
        let start = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                scope.spawn(move || work(t));
            }
        });
        (THREADS * PAIRS) as f64 / start.elapsed().as_secs_f64()
    };
    let ours_once = || {
        run(&|_| {
            for _ in 0..PAIRS {
                store
                    .begin_use(Feature::Camera, "shoot_photo".into())
                    .unwrap()
                    .end()
                    .unwrap();
            }
        })
    };
    // The fair baseline: one connection, opened outside the timed region, shared behind a
    // mutex (no busy-sleeping between writers), as an app would hold its database.
    let shared = parking_lot::Mutex::new(sqlite(&db_path));
    let theirs_once = || {
        run(&|t| {
            for i in 0..PAIRS {
                let db = shared.lock();
                insert(&db, (t * PAIRS + i) as i64, 7, 0, Some("shoot_photo"), 0);
                drop(db);
                let db = shared.lock();
                insert(&db, (t * PAIRS + i) as i64, 8, 0, Some("shoot_photo"), 5);
            }
        })
    };
    // Rounds alternate between the two, so a burst of load on the machine hits both alike.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        ours.push(ours_once());
        theirs.push(theirs_once());
    }
    let ratio = median(ours.iter().zip(&theirs).map(|(o, t)| o / t).collect());
    let (ours, theirs) = (median(ours), median(theirs));
    let per_thread = median(
        (0..3)
            .map(|_| {
                run(&|t| {
                    let db = sqlite(&db_path);
                    for i in 0..PAIRS {
                        insert(&db, (t * PAIRS + i) as i64, 7, 0, Some("shoot_photo"), 0);
                        insert(&db, (t * PAIRS + i) as i64, 8, 0, Some("shoot_photo"), 5);
                    }
                })
            })
            .collect(),
    );
    out.section(
        "3. Concurrent use sessions, 8 threads (target: ≥ 5× SQLite with one shared connection)",
        &[
            "writer",
            "sessions/s (begin + end, durable)",
            "ratio",
            "target",
        ],
    );
    out.row(&[
        "consentkit (group commit)".into(),
        format!("{ours:.0}"),
        format!("{ratio:.2}×"),
        verdict(ratio >= 5.0),
    ]);
    out.row(&[
        "SQLite WAL FULL, one shared connection behind a mutex".into(),
        format!("{theirs:.0}"),
        "1.00×".into(),
        String::new(),
    ]);
    out.row(&[
        "SQLite WAL FULL, a connection per thread (busy-waits; for reference)".into(),
        format!("{per_thread:.0}"),
        format!("{:.2}×", per_thread / theirs),
        String::new(),
    ]);
}
