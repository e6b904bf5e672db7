//! What the sections share: the benchmarks' app and its stores, the SQLite baseline's table, and
//! a year of synthetic history in both.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use consentkit::{
    Actor, AuditFilter, Clock, ConsentConfig, ConsentStore, FakeClock, Feature, GrantScope,
    StoreOptions, SystemClock,
};
use rusqlite::{params, Connection};

pub const DAY_MS: i64 = 86_400_000;
pub const APP: &str = "com.example.bench";

/// The benchmarks' app keeps its whole history, so each size below is the log that is opened;
/// section 9 measures retention itself.
pub fn config() -> ConsentConfig {
    ConsentConfig {
        retention_days: 0,
        ..ConsentConfig::new(APP)
    }
}

/// A store as the app opens it while on screen (a store is in the background until told).
pub fn open(dir: &Path) -> Arc<ConsentStore> {
    on_screen(
        ConsentStore::open_with(dir, Some(config()), StoreOptions::default()).expect("store opens"),
    )
}

pub fn on_screen(store: Arc<ConsentStore>) -> Arc<ConsentStore> {
    store
        .set_foreground(true)
        .expect("the app says it is on screen");
    store
}

/// One durable decision that always changes something: the camera granted on even calls,
/// revoked on odd ones.
pub fn flip_camera(store: &ConsentStore, i: usize) {
    if i % 2 == 0 {
        store
            .grant(Feature::Camera, GrantScope::UntilRevoked, Actor::User)
            .unwrap();
    } else {
        store.revoke(Feature::Camera, Actor::User).unwrap();
    }
}

pub fn sqlite(path: &Path) -> Connection {
    let db = Connection::open(path).unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    db.pragma_update(None, "synchronous", "FULL").unwrap();
    db.busy_timeout(Duration::from_secs(30)).unwrap();
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind INTEGER NOT NULL,
           feature INTEGER, purpose TEXT, actor INTEGER, scope INTEGER, terms INTEGER, session INTEGER,
           duration INTEGER, detail TEXT);
         CREATE INDEX IF NOT EXISTS log_time ON log(time);",
    )
    .unwrap();
    db
}

pub fn insert(
    db: &Connection,
    time: i64,
    kind: i64,
    feature: i64,
    purpose: Option<&str>,
    duration: i64,
) {
    db.execute(
        "INSERT INTO log (time, kind, feature, purpose, actor, scope, terms, session, duration, detail)
         VALUES (?1, ?2, ?3, ?4, 0, 0, 1, 0, ?5, '')",
        params![time, kind, feature, purpose, duration],
    )
    .unwrap();
}

/// A store with `records` records over the last year, and the same rows in SQLite.
pub fn history(dir: &Path, records: u64, with_sqlite: bool) -> Option<Connection> {
    let now = SystemClock::default().now_ms();
    // The store is created when its history starts, as a real app's would be.
    let options = StoreOptions {
        clock: Arc::new(FakeClock::new(now - 366 * DAY_MS)),
        ..StoreOptions::default()
    };
    let store = ConsentStore::open_with(dir, Some(config()), options).expect("store opens");
    consentkit::testing::bench::append_synthetic_history(&store, records, now - 365 * DAY_MS, now)
        .unwrap();
    let db = with_sqlite.then(|| {
        let mut db = sqlite(&dir.join("sqlite.db"));
        db.pragma_update(None, "synchronous", "OFF").unwrap(); // bulk load; the query is what is measured
        let tx = db.transaction().unwrap();
        let mut since = now - 366 * DAY_MS;
        while since < now + 1 {
            let until = since + 30 * DAY_MS;
            let chunk = store
                .audit_log(AuditFilter { since_ms: Some(since), until_ms: Some(until), ..Default::default() })
                .unwrap();
            for e in chunk {
                tx.execute(
                    "INSERT INTO log (seq, time, kind, feature, purpose, actor, scope, terms, session, duration, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, ?7, ?8, ?9)",
                    params![
                        e.seq as i64,
                        e.time_ms,
                        e.kind as i64,
                        e.feature.map(|f| f.index() as i64),
                        e.purpose,
                        e.terms_revision,
                        e.session_id.map(|s| s as i64),
                        e.duration_ms.map(|d| d as i64),
                        e.end_reason
                            .map(|r| r.as_str())
                            .or(e.refusal.map(|r| r.as_str()))
                    ],
                )
                .unwrap();
            }
            since = until;
        }
        tx.commit().unwrap();
        db.pragma_update(None, "synchronous", "FULL").unwrap();
        db
    });
    store.close().unwrap();
    db
}
