//! The base of a compacted log: the state at the checkpoint where retention cut the history, written right after the header, from which the kept records replay.
//!
//! Block: `CKBASE04` | body length: u32 LE | postcard(Base) | sha256(body). The checkpoint's
//! own fields are kept, so its hash — which the first kept record links to — is recomputed,
//! and the state must carry the digest that checkpoint carried: the base is bound to the chain.

use std::io;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::bytes::Bytes;
use super::record::Damage;
use super::record::{encode_frame, Hash, Record, MAGIC};
use super::replay::{Replay, ReplayMachine};
use crate::entry::Entry;

const MARK: &[u8; 8] = b"CKBASE04";
/// Largest base body accepted: the rules' state is bounded well below it.
const MAX_BODY: usize = 1 << 20;

/// The checkpoint retention cut the history at, as it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cut {
    pub seq: u64,
    pub time_ms: i64,
    pub prev_hash: Hash,
    pub digest: Hash,
    pub max_time_before: i64,
}

impl Cut {
    /// The checkpoint record, rebuilt from its fields (its hash recomputed).
    pub fn record(&self) -> Record {
        let entry = Entry::Checkpoint {
            digest: self.digest,
            max_time_before: self.max_time_before,
        };
        let hash = encode_frame(
            &mut Vec::new(),
            &self.prev_hash,
            self.seq,
            self.time_ms,
            &entry,
        );
        Record {
            seq: self.seq,
            time_ms: self.time_ms,
            entry,
            prev_hash: self.prev_hash,
            hash,
        }
    }
}

/// What replay needs to resume at the cut.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Base {
    pub cut: Cut,
    /// Whose chain it is, and its number.
    pub app_id: String,
    pub chain: u64,
    /// Seals in the chain up to the cut.
    pub seals: u64,
    /// Largest record time up to the cut.
    pub max_time: i64,
    /// The machine's state at the cut (its snapshot bytes).
    pub state: Vec<u8>,
}

impl Base {
    /// The block as written after the header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = postcard::to_allocvec(self).expect("bases always encode");
        let mut out = Vec::with_capacity(MARK.len() + 4 + body.len() + 32);
        out.extend_from_slice(MARK);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&Sha256::digest(&body));
        out
    }

    /// A replay resumed at the cut, once the state is shown to be the one the checkpoint's
    /// digest names.
    pub fn resume<M: ReplayMachine>(&self) -> Result<Replay<M>, Damage> {
        let damage = |problem: String| Damage {
            first_bad_seq: self.cut.seq,
            problem,
        };
        let machine = M::decode(&self.state).map_err(damage)?;
        if machine.digest() != self.cut.digest {
            return Err(damage(
                "the compacted log's base state does not match its checkpoint".into(),
            ));
        }
        let owner = (self.app_id.clone(), self.chain);
        Ok(Replay::resumed(
            machine,
            &self.cut.record(),
            owner,
            self.seals,
            self.max_time,
        ))
    }
}

/// Where the log's first frame is, and its base if it was compacted; `Err` for a base that
/// fails its own checks (damage: the records after it cannot be replayed without it).
pub(crate) fn read(log: &Bytes) -> io::Result<Result<(u64, Option<Base>), String>> {
    let start = MAGIC.len() as u64;
    let mut head = [0u8; 12];
    let n = log.read_at(&mut head, start)?;
    if n < MARK.len() || head[..MARK.len()] != MARK[..] {
        return Ok(Ok((start, None)));
    }
    let bad = |why: &str| {
        Ok(Err(format!(
            "the compacted log's base is unreadable: {why}"
        )))
    };
    if n < head.len() {
        return bad("it is cut short");
    }
    let len = u32::from_le_bytes(head[8..12].try_into().unwrap()) as usize;
    if len > MAX_BODY {
        return bad("its length is out of bounds");
    }
    let mut block = vec![0u8; len + 32];
    if log.read_at(&mut block, start + 12)? != block.len() {
        return bad("it is cut short");
    }
    let (body, hash) = block.split_at(len);
    if Sha256::digest(body)[..] != hash[..] {
        return bad("its checksum does not match");
    }
    match postcard::from_bytes::<Base>(body) {
        Ok(base) => Ok(Ok((start + 12 + len as u64 + 32, Some(base)))),
        Err(e) => bad(&e.to_string()),
    }
}

/// The offset of the first frame: after the header, and after the base of a compacted log
/// (a base that fails its checks is left to the opener; here the scan starts after the header).
pub(crate) fn first_frame(log: &Bytes) -> io::Result<u64> {
    Ok(match read(log)? {
        Ok((start, _)) => start,
        Err(_) => MAGIC.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Base {
        Base {
            cut: Cut {
                seq: 9,
                time_ms: 5,
                prev_hash: [3; 32],
                digest: [4; 32],
                max_time_before: 4,
            },
            app_id: "a".into(),
            chain: 1,
            seals: 2,
            max_time: 5,
            state: vec![1, 2, 3],
        }
    }

    #[test]
    fn a_base_round_trips_and_any_flipped_byte_is_caught() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(base().to_bytes());
        let end = bytes.len() as u64;
        assert_eq!(
            read(&Bytes::memory(bytes.clone())).unwrap(),
            Ok((end, Some(base())))
        );
        for i in MAGIC.len()..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x40;
            let read = read(&Bytes::memory(flipped)).unwrap();
            assert!(matches!(read, Err(_) | Ok((8, None))), "byte {i}: {read:?}");
        }
    }

    #[test]
    fn a_log_without_a_base_starts_after_its_header() {
        let bytes = MAGIC.to_vec();
        assert_eq!(
            read(&Bytes::memory(bytes)).unwrap(),
            Ok((MAGIC.len() as u64, None))
        );
    }

    #[test]
    fn the_cut_checkpoint_hashes_as_it_was_written() {
        let cut = base().cut;
        let mut frame = Vec::new();
        let entry = Entry::Checkpoint {
            digest: cut.digest,
            max_time_before: cut.max_time_before,
        };
        let written = encode_frame(&mut frame, &cut.prev_hash, cut.seq, cut.time_ms, &entry);
        assert_eq!(cut.record().hash, written);
    }
}
