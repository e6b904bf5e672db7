//! The snapshot: the state at a checkpoint record, so opening reads the snapshot and a short tail instead of the whole history.
//!
//! File: `CKSNAP04` | body length: u32 LE | postcard(Snapshot) | sha256(body).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fs::{StoreDir, SNAPSHOT_FILE};
use super::record::Hash;

const MAGIC: &[u8; 8] = b"CKSNAP04";

/// Bound to one `Checkpoint` record: its position, sequence number and hash, and the state
/// whose digest that record carries. A snapshot that disagrees with its record is not used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    pub seq: u64,
    /// Byte offset of the checkpoint frame in the log.
    pub offset: u64,
    pub hash: Hash,
    /// Largest record time up to the checkpoint, for the time index.
    pub max_time: i64,
    /// The checkpoint record's own time.
    pub last_time: i64,
    /// Whose chain it is, and its number.
    pub app_id: String,
    pub chain: u64,
    /// Seals in the chain before the checkpoint.
    pub seals: u64,
    /// The state machine's snapshot bytes.
    pub state: Vec<u8>,
}

impl Snapshot {
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = postcard::to_allocvec(self).expect("snapshots always encode");
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + body.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&Sha256::digest(&body));
        out
    }

    /// Checks the file's own framing and checksum before decoding it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, String> {
        let unreadable = |why: &str| Err(format!("snapshot unreadable: {why}"));
        if bytes.len() < MAGIC.len() + 4 + 32 || &bytes[..MAGIC.len()] != MAGIC {
            return unreadable("not a consentkit snapshot of this format");
        }
        let len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
        if bytes.len() != 12 + len + 32 {
            return unreadable("its length does not match its header");
        }
        let body = &bytes[12..12 + len];
        if Sha256::digest(body)[..] != bytes[12 + len..] {
            return unreadable("its checksum does not match");
        }
        postcard::from_bytes(body).or_else(|e| unreadable(&e.to_string()))
    }

    /// Replaces the snapshot atomically.
    pub fn write(&self, dir: &StoreDir) -> std::io::Result<()> {
        dir.replace(SNAPSHOT_FILE, &self.to_bytes())
    }

    /// `Ok(None)` when there is no snapshot; `Err` when there is one that cannot be read.
    pub fn read(dir: &StoreDir) -> Result<Option<Snapshot>, String> {
        match dir.read(SNAPSHOT_FILE) {
            Ok(None) => Ok(None),
            Ok(Some(bytes)) => Snapshot::from_bytes(&bytes).map(Some),
            Err(e) => Err(format!("snapshot unreadable: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_round_trips_and_any_flipped_bit_is_caught() {
        let snapshot = Snapshot {
            seq: 9,
            offset: 1234,
            hash: [7; 32],
            max_time: 55,
            last_time: 50,
            app_id: "com.example".into(),
            chain: 2,
            seals: 4,
            state: vec![1, 2, 3],
        };
        let bytes = snapshot.to_bytes();
        assert_eq!(Snapshot::from_bytes(&bytes).unwrap(), snapshot);
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[i] ^= 1 << bit;
                assert!(Snapshot::from_bytes(&bad).is_err(), "byte {i} bit {bit}");
            }
        }
        assert!(Snapshot::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}
