//! The on-disk record format: the file header with its format version, framing, the SHA-256 hash chain, and what a check of a chain finds (damage, the seals it met).
//!
//! Over 400 lines only with its tests (170 of them): the format, its checks and the attacks on it read together.
//!
//! A log file is an 8-byte header `CKLOG` + two-digit format version + `\n`, then frames:
//!
//! ```text
//! len: u32 LE | !len: u32 LE | payload: len bytes | sha256(payload): 32 bytes
//! payload = prev_hash[32] | seq: u64 LE | time_ms: i64 LE | postcard(Entry)
//! ```
//!
//! The inverted length lets a reader tell a frame cut short by a crash (the file simply ends)
//! from a damaged one (the header disagrees with itself). The entry is typed and encoded with
//! postcard; an entry that does not decode, or leaves bytes over, is damage.

use sha2::{Digest, Sha256};

use crate::entry::Entry;

/// The format this build writes and reads. A log of any other version is kept aside as
/// damage, never read as garbage.
pub(crate) const FORMAT_VERSION: u8 = 4;
/// First bytes of every log file: `CKLOG04\n` (04: terms as their content — the grant's
/// dependency, the agreed SDK catalogue, what widened —, single uses on top of standing
/// grants, ranked age signals, OS refusal times; a log of an earlier format is another format
/// version, kept aside).
pub(crate) const MAGIC: &[u8; 8] = b"CKLOG04\n";
const MAGIC_PREFIX: &[u8; 5] = b"CKLOG";
/// A hash of 32 zero bytes stands before the first record of a chain.
pub(crate) const GENESIS_PREV: [u8; 32] = [0; 32];
pub(crate) const HEADER_LEN: usize = 8;
pub(crate) const HASH_LEN: usize = 32;
const FIXED_PAYLOAD: usize = 32 + 8 + 8;
/// Largest payload accepted. Entries are bounded well below it (purposes, app ids and
/// problem texts have maximum lengths); a header claiming more is damage.
pub(crate) const MAX_PAYLOAD: usize = 4096;
/// Largest frame, header and hash included.
pub(crate) const MAX_FRAME: usize = HEADER_LEN + MAX_PAYLOAD + HASH_LEN;

pub(crate) type Hash = [u8; 32];

/// A record as stored: the entry plus its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub seq: u64,
    pub time_ms: i64,
    pub entry: Entry,
    pub prev_hash: Hash,
    pub hash: Hash,
}

/// What the first bytes of a log say about its format.
pub(crate) fn check_magic(header: &[u8]) -> Result<(), String> {
    if header.len() < MAGIC.len() || &header[..5] != MAGIC_PREFIX || header[7] != b'\n' {
        return Err("the log does not start with the consentkit header".into());
    }
    if header[..MAGIC.len()] != MAGIC[..] {
        let version = String::from_utf8_lossy(&header[5..7]);
        return Err(format!(
            "the log is in format version {version}, which this build (version {FORMAT_VERSION:02}) cannot read"
        ));
    }
    Ok(())
}

/// Appends one frame to `out` and returns the record's hash.
pub(crate) fn encode_frame(
    out: &mut Vec<u8>,
    prev_hash: &Hash,
    seq: u64,
    time_ms: i64,
    entry: &Entry,
) -> Hash {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER_LEN]);
    out.extend_from_slice(prev_hash);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&time_ms.to_le_bytes());
    let mut payload = std::mem::take(out);
    payload = postcard::to_extend(entry, payload).expect("entries always encode");
    *out = payload;
    let len = out.len() - start - HEADER_LEN;
    // Every field of an entry is bounded before it gets here.
    assert!(
        len <= MAX_PAYLOAD,
        "record of {len} bytes exceeds the format's limit"
    );
    out[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&(!(len as u32)).to_le_bytes());
    let hash: Hash = Sha256::digest(&out[start + HEADER_LEN..]).into();
    out.extend_from_slice(&hash);
    hash
}

/// What the bytes at a position hold.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// A whole, self-consistent frame of this many bytes.
    Record(Box<Record>, usize),
    /// The bytes end inside a frame whose header is sound: a torn append.
    Torn,
    /// Anything else.
    Corrupt(String),
}

/// The payload length a frame header announces, if the header is sound.
pub(crate) fn frame_len(header: &[u8; HEADER_LEN]) -> Option<usize> {
    let len = u32::from_le_bytes(header[0..4].try_into().unwrap());
    let check = u32::from_le_bytes(header[4..8].try_into().unwrap());
    (check == !len && (len as usize) <= MAX_PAYLOAD && len as usize >= FIXED_PAYLOAD)
        .then_some(len as usize)
}

/// Decodes the frame at the start of `buf`, where `buf` runs to the end of the readable bytes.
pub(crate) fn decode_frame(buf: &[u8]) -> Decoded {
    if buf.len() < HEADER_LEN {
        return Decoded::Torn;
    }
    let Some(len) = frame_len(buf[..HEADER_LEN].try_into().unwrap()) else {
        return Decoded::Corrupt("frame header is inconsistent".into());
    };
    let total = HEADER_LEN + len + HASH_LEN;
    if buf.len() < total {
        return Decoded::Torn;
    }
    let payload = &buf[HEADER_LEN..HEADER_LEN + len];
    let stored: Hash = buf[HEADER_LEN + len..total].try_into().unwrap();
    let hash: Hash = Sha256::digest(payload).into();
    if hash != stored {
        return Decoded::Corrupt("record hash does not match its content".into());
    }
    match decode_payload(payload, hash) {
        Ok(record) => Decoded::Record(Box::new(record), total),
        Err(why) => Decoded::Corrupt(why),
    }
}

fn decode_payload(p: &[u8], hash: Hash) -> Result<Record, String> {
    let prev_hash: Hash = p[..32].try_into().unwrap();
    let seq = u64::from_le_bytes(p[32..40].try_into().unwrap());
    let time_ms = i64::from_le_bytes(p[40..48].try_into().unwrap());
    let (entry, rest) = postcard::take_from_bytes::<Entry>(&p[FIXED_PAYLOAD..])
        .map_err(|e| format!("record content is not a known entry ({e})"))?;
    if !rest.is_empty() {
        return Err("record has trailing bytes".into());
    }
    Ok(Record {
        seq,
        time_ms,
        entry,
        prev_hash,
        hash,
    })
}

/// Where and why a chain failed its checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Damage {
    pub first_bad_seq: u64,
    pub problem: String,
}

/// Why reading a chain stopped before its end — the scanner's reasons and the replay's, one
/// type for both.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The bytes from `offset` to the end are an incomplete append: safe to cut.
    Torn { offset: u64 },
    /// The frame at `offset` is damaged (the scanner's finding: replay names its record).
    Corrupt { offset: u64, reason: String },
    /// The chain failed replay's checks.
    Damage(Damage),
    /// Reading the log failed.
    Io(std::io::Error),
    /// The sealer could not check a seal: not damage, the keystore may be locked a moment.
    Sealer(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Torn { offset } => write!(f, "the log ends inside a record at byte {offset}"),
            Stop::Corrupt { offset, reason } => {
                write!(f, "damaged record at byte {offset}: {reason}")
            }
            Stop::Damage(damage) => {
                write!(f, "record {}: {}", damage.first_bad_seq, damage.problem)
            }
            Stop::Io(e) => write!(f, "{e}"),
            Stop::Sealer(e) => write!(f, "the seals could not be checked: {e}"),
        }
    }
}

/// A seal record as replay met it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SealSeen {
    pub epoch: u64,
    pub tag: [u8; 32],
    /// The record it seals.
    pub covers: (u64, Hash),
    /// The seal record itself.
    pub at: (u64, Hash),
}

/// Checks that records follow each other: gap-free sequence numbers, linked hashes, and a
/// genesis record first and only first.
#[derive(Clone, Debug)]
pub(crate) struct ChainCheck {
    pub next_seq: u64,
    pub last_hash: Hash,
}

impl ChainCheck {
    pub fn new() -> ChainCheck {
        ChainCheck {
            next_seq: 1,
            last_hash: GENESIS_PREV,
        }
    }

    pub fn accept(&mut self, record: &Record) -> Result<(), String> {
        if record.seq != self.next_seq {
            return Err(format!(
                "expected record {} but found {}",
                self.next_seq, record.seq
            ));
        }
        if record.prev_hash != self.last_hash {
            return Err("record does not link to the previous record's hash".into());
        }
        if (record.seq == 1) != record.entry.kind().is_genesis() {
            return Err("a chain must start with exactly one genesis record".into());
        }
        self.next_seq += 1;
        self.last_hash = record.hash;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Genesis;
    use crate::kinds::RefusalReason;
    use crate::model::{Actor, Feature, GrantScope};

    fn sample() -> Entry {
        Entry::Granted {
            feature: Feature::Clipboard,
            actor: Actor::Guardian,
            scope: GrantScope::Once,
            terms_revision: 7,
            purposes: vec!["login".into(), "share_code".into()],
        }
    }

    fn genesis() -> Entry {
        Entry::ChainStarted(Genesis {
            app_id: "com.example".into(),
            chain: 1,
            recovery: None,
        })
    }

    #[test]
    fn a_frame_round_trips_every_field() {
        let mut buf = Vec::new();
        let hash = encode_frame(&mut buf, &[9; 32], 5, -3, &sample());
        match decode_frame(&buf) {
            Decoded::Record(r, n) => {
                assert_eq!(n, buf.len());
                assert_eq!(r.entry, sample());
                assert_eq!(
                    (r.seq, r.time_ms, r.prev_hash, r.hash),
                    (5, -3, [9; 32], hash)
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_frame_length_limits_are_exact() {
        let header = |len: u32| {
            let mut h = [0u8; HEADER_LEN];
            h[..4].copy_from_slice(&len.to_le_bytes());
            h[4..].copy_from_slice(&(!len).to_le_bytes());
            h
        };
        assert_eq!(frame_len(&header(MAX_PAYLOAD as u32)), Some(MAX_PAYLOAD));
        assert_eq!(frame_len(&header(MAX_PAYLOAD as u32 + 1)), None);
        assert_eq!(
            frame_len(&header(FIXED_PAYLOAD as u32)),
            Some(FIXED_PAYLOAD)
        );
        assert_eq!(frame_len(&header(FIXED_PAYLOAD as u32 - 1)), None);
        let mut inconsistent = header(100);
        inconsistent[5] ^= 1;
        assert_eq!(frame_len(&inconsistent), None);
    }

    #[test]
    fn a_cut_frame_is_torn_and_a_flipped_byte_is_corrupt() {
        let mut buf = Vec::new();
        encode_frame(&mut buf, &GENESIS_PREV, 1, 0, &sample());
        for cut in 0..buf.len() {
            let decoded = decode_frame(&buf[..cut]);
            assert!(
                matches!(decoded, Decoded::Torn),
                "cut at {cut}: {decoded:?}"
            );
        }
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x01;
            assert!(
                matches!(decode_frame(&bad), Decoded::Corrupt(_)),
                "flip at {i}"
            );
        }
    }

    #[test]
    fn an_unknown_entry_or_trailing_bytes_are_damage() {
        let mut frame = Vec::new();
        encode_frame(
            &mut frame,
            &GENESIS_PREV,
            1,
            0,
            &Entry::SessionRefused {
                feature: Feature::Camera,
                purpose: None,
                reason: RefusalReason::Denied,
            },
        );
        // Rewrite the payload with an entry variant this build does not know, rehashed.
        let rehash = |mut payload: Vec<u8>| {
            let mut out = Vec::new();
            out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            out.extend_from_slice(&(!(payload.len() as u32)).to_le_bytes());
            let hash: Hash = Sha256::digest(&payload).into();
            out.append(&mut payload);
            out.extend_from_slice(&hash);
            out
        };
        let payload = frame[HEADER_LEN..frame.len() - HASH_LEN].to_vec();
        let mut unknown = payload.clone();
        unknown[FIXED_PAYLOAD] = 120;
        assert!(matches!(
            decode_frame(&rehash(unknown)),
            Decoded::Corrupt(_)
        ));
        let mut trailing = payload;
        trailing.push(0);
        assert!(matches!(
            decode_frame(&rehash(trailing)),
            Decoded::Corrupt(_)
        ));
    }

    #[test]
    fn other_format_versions_are_named_not_misread() {
        assert!(check_magic(MAGIC).is_ok());
        assert!(check_magic(b"CKLOG01\n")
            .unwrap_err()
            .contains("version 01"));
        let previous = check_magic(b"CKLOG03\n").unwrap_err();
        assert!(
            previous.contains("version 03") && previous.contains("(version 04)"),
            "{previous}"
        );
        assert_eq!(MAGIC[5..7], *format!("{FORMAT_VERSION:02}").as_bytes());
        assert!(check_magic(b"SQLite f").unwrap_err().contains("header"));
        assert!(check_magic(b"CKL").is_err());
        assert!(check_magic(b"CKLOG01X").unwrap_err().contains("header"));
        // A header and nothing else: inconsistent is damage, whatever follows.
        assert!(matches!(
            decode_frame(&[1, 2, 3, 4, 5, 6, 7, 8]),
            Decoded::Corrupt(_)
        ));
    }

    #[test]
    fn the_chain_check_rejects_gaps_and_broken_links() {
        let mut buf = Vec::new();
        let h1 = encode_frame(&mut buf, &GENESIS_PREV, 1, 0, &genesis());
        encode_frame(&mut buf, &h1, 2, 0, &sample());
        encode_frame(&mut buf, &[1; 32], 3, 0, &sample());
        let mut records = Vec::new();
        let mut pos = 0;
        while let Decoded::Record(r, n) = decode_frame(&buf[pos..]) {
            records.push(*r);
            pos += n;
        }
        let mut chain = ChainCheck::new();
        chain.accept(&records[0]).unwrap();
        chain.accept(&records[1]).unwrap();
        assert!(chain.accept(&records[2]).is_err());
        let mut gap = ChainCheck::new();
        gap.accept(&records[0]).unwrap();
        assert!(gap.accept(&records[2]).is_err());
        let mut no_genesis = ChainCheck::new();
        let mut second_first = records[1].clone();
        second_first.seq = 1;
        second_first.prev_hash = GENESIS_PREV;
        assert!(no_genesis.accept(&second_first).is_err());
    }
}
