//! The snapshot: the state at a checkpoint record, so opening reads the snapshot and a short tail instead of the whole history.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::rules::State;

const FORMAT: u32 = 1;

/// Bound to one `Checkpoint` record: its position, sequence number and hash, and the state
/// whose digest that record carries. A snapshot that disagrees with its record is damage.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    pub format: u32,
    pub seq: u64,
    /// Byte offset of the checkpoint frame in the log.
    pub offset: u64,
    pub hash: String,
    /// Largest record time up to the checkpoint, for the time index.
    #[serde(default = "min_time")]
    pub max_time: i64,
    pub state: State,
}

fn min_time() -> i64 {
    i64::MIN
}

impl Snapshot {
    pub fn new(seq: u64, offset: u64, hash: &[u8; 32], max_time: i64, state: &State) -> Snapshot {
        Snapshot {
            format: FORMAT,
            seq,
            offset,
            hash: hex::encode(hash),
            max_time,
            state: state.clone(),
        }
    }

    /// Replaces the snapshot atomically: temp file, fsync, rename, fsync of the directory.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let tmp = dir.join(format!("{}.tmp", super::SNAPSHOT_FILE));
        let mut options = fs::OpenOptions::new();
        options.create(true).write(true).truncate(true);
        super::owner_only(&mut options);
        let mut file = options.open(&tmp)?;
        file.write_all(&serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
        file.sync_all()?;
        fs::rename(&tmp, dir.join(super::SNAPSHOT_FILE))?;
        super::sync_dir(dir)
    }

    /// `Ok(None)` when there is no snapshot; `Err` when there is one that cannot be read.
    pub fn read(dir: &Path) -> Result<Option<Snapshot>, String> {
        let bytes = match fs::read(dir.join(super::SNAPSHOT_FILE)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("snapshot unreadable: {e}")),
        };
        let snapshot: Snapshot =
            serde_json::from_slice(&bytes).map_err(|e| format!("snapshot unreadable: {e}"))?;
        if snapshot.format != FORMAT {
            return Err(format!("snapshot format {} is unknown", snapshot.format));
        }
        Ok(Some(snapshot))
    }
}
