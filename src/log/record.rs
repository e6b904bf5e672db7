//! The on-disk record format: framing, field encoding and the SHA-256 hash chain.
//!
//! A log file is an 8-byte magic followed by frames:
//!
//! ```text
//! len: u32 LE | !len: u32 LE | payload: len bytes | sha256(payload): 32 bytes
//! payload = prev_hash[32] seq:u64 time_ms:i64 kind:u8 feature:u8 actor:u8 scope:u8
//!           os_permission:u8 terms_revision:u32 session_id:u64 duration_ms:u64
//!           purpose_len:u8 purpose detail_len:u16 detail
//! ```
//!
//! The inverted length lets a reader tell a frame cut short by a crash (the file simply ends)
//! from a damaged one (the header disagrees with itself). Optional bytes use 0xFF for "none".

use sha2::{Digest, Sha256};

use crate::entry::{AuditEntry, AuditKind, Entry};
use crate::model::{Actor, Feature, GrantScope, OsPermission, MAX_PURPOSE_LEN};

/// First bytes of every log file.
pub(crate) const MAGIC: &[u8; 8] = b"CKLOG01\n";
/// A hash of 32 zero bytes stands before the first record of a chain.
pub(crate) const GENESIS_PREV: [u8; 32] = [0; 32];
pub(crate) const HEADER_LEN: usize = 8;
pub(crate) const HASH_LEN: usize = 32;
/// Longest detail accepted; details are codes and short notes.
pub(crate) const MAX_DETAIL_LEN: usize = 2048;
const FIXED_PAYLOAD: usize = 32 + 8 + 8 + 5 + 4 + 8 + 8 + 1 + 2;
pub(crate) const MAX_PAYLOAD: usize = FIXED_PAYLOAD + MAX_PURPOSE_LEN + MAX_DETAIL_LEN;
const NONE: u8 = 0xFF;

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

impl Record {
    pub fn to_audit(&self) -> AuditEntry {
        let e = &self.entry;
        AuditEntry {
            seq: self.seq,
            time_ms: self.time_ms,
            kind: e.kind,
            feature: e.feature,
            purpose: e.purpose.clone(),
            actor: e.actor,
            scope: e.scope,
            os_permission: e.os_permission,
            terms_revision: e.terms_revision,
            session_id: e.session_id,
            duration_ms: e.duration_ms,
            detail: e.detail.clone(),
            prev_hash: hex::encode(self.prev_hash),
            hash: hex::encode(self.hash),
        }
    }
}

/// Appends one frame to `out` and returns the record's hash.
pub(crate) fn encode_frame(
    out: &mut Vec<u8>,
    prev_hash: &Hash,
    seq: u64,
    time_ms: i64,
    entry: &Entry,
) -> Hash {
    let purpose = entry.purpose.as_deref().unwrap_or("").as_bytes();
    let detail = entry.detail.as_bytes();
    // The store validates purposes and bounds details before they get here.
    debug_assert!(purpose.len() <= MAX_PURPOSE_LEN && detail.len() <= MAX_DETAIL_LEN);
    let purpose = &purpose[..purpose.len().min(MAX_PURPOSE_LEN)];
    let detail = &detail[..detail.len().min(MAX_DETAIL_LEN)];

    let len = FIXED_PAYLOAD + purpose.len() + detail.len();
    out.reserve(HEADER_LEN + len + HASH_LEN);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&(!(len as u32)).to_le_bytes());
    let start = out.len();
    out.extend_from_slice(prev_hash);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&time_ms.to_le_bytes());
    out.push(entry.kind as u8);
    out.push(entry.feature.map_or(NONE, |f| f.index() as u8));
    out.push(entry.actor.map_or(NONE, actor_code));
    out.push(entry.scope.map_or(NONE, scope_code));
    out.push(entry.os_permission.map_or(NONE, os_code));
    out.extend_from_slice(&entry.terms_revision.to_le_bytes());
    out.extend_from_slice(&entry.session_id.to_le_bytes());
    out.extend_from_slice(&entry.duration_ms.to_le_bytes());
    out.push(purpose.len() as u8);
    out.extend_from_slice(purpose);
    out.extend_from_slice(&(detail.len() as u16).to_le_bytes());
    out.extend_from_slice(detail);
    let hash: Hash = Sha256::digest(&out[start..]).into();
    out.extend_from_slice(&hash);
    hash
}

/// What the bytes at a position hold.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// A whole, self-consistent frame of this many bytes.
    Record(Box<Record>, usize),
    /// The bytes end inside a frame whose header is sound (or only zeros follow): a torn append.
    Torn,
    /// Anything else.
    Corrupt(String),
}

/// Reads the frame header at the start of `buf`: the payload length, if the header is sound.
pub(crate) fn frame_len(header: &[u8; HEADER_LEN]) -> Option<usize> {
    let len = u32::from_le_bytes(header[0..4].try_into().unwrap());
    let check = u32::from_le_bytes(header[4..8].try_into().unwrap());
    (check == !len && (len as usize) <= MAX_PAYLOAD).then_some(len as usize)
}

/// Decodes the frame at the start of `buf`, where `buf` runs to the end of the file.
pub(crate) fn decode_frame(buf: &[u8]) -> Decoded {
    if buf.len() < HEADER_LEN {
        return Decoded::Torn;
    }
    let Some(len) = frame_len(buf[..HEADER_LEN].try_into().unwrap()) else {
        if buf.iter().all(|&b| b == 0) {
            return Decoded::Torn;
        }
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
    let mut r = Reader { buf: p, pos: 0 };
    let prev_hash: Hash = r.take(32)?.try_into().unwrap();
    let seq = u64::from_le_bytes(r.take(8)?.try_into().unwrap());
    let time_ms = i64::from_le_bytes(r.take(8)?.try_into().unwrap());
    let kind = r.byte()?;
    let kind = AuditKind::from_code(kind).ok_or(format!("unknown record kind {kind}"))?;
    let feature = r.optional(|c| Feature::from_index(c as usize), "feature")?;
    let actor = r.optional(actor_from, "actor")?;
    let scope = r.optional(scope_from, "scope")?;
    let os_permission = r.optional(os_from, "os permission")?;
    let terms_revision = u32::from_le_bytes(r.take(4)?.try_into().unwrap());
    let session_id = u64::from_le_bytes(r.take(8)?.try_into().unwrap());
    let duration_ms = u64::from_le_bytes(r.take(8)?.try_into().unwrap());
    let purpose_len = r.byte()? as usize;
    let purpose = r.text(purpose_len)?;
    let detail_len = u16::from_le_bytes(r.take(2)?.try_into().unwrap()) as usize;
    let detail = r.text(detail_len)?;
    if r.pos != p.len() {
        return Err("record has trailing bytes".into());
    }
    Ok(Record {
        seq,
        time_ms,
        entry: Entry {
            kind,
            feature,
            purpose: (!purpose.is_empty()).then_some(purpose),
            actor,
            scope,
            os_permission,
            terms_revision,
            session_id,
            duration_ms,
            detail,
        },
        prev_hash,
        hash,
    })
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos + n;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or("record is shorter than its fields")?;
        self.pos = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn optional<T>(
        &mut self,
        decode: impl Fn(u8) -> Option<T>,
        what: &str,
    ) -> Result<Option<T>, String> {
        match self.byte()? {
            NONE => Ok(None),
            code => decode(code)
                .map(Some)
                .ok_or(format!("unknown {what} code {code}")),
        }
    }

    fn text(&mut self, n: usize) -> Result<String, String> {
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "record text is not UTF-8".into())
    }
}

fn actor_code(a: Actor) -> u8 {
    match a {
        Actor::User => 0,
        Actor::Guardian => 1,
        Actor::App => 2,
    }
}

fn actor_from(c: u8) -> Option<Actor> {
    [Actor::User, Actor::Guardian, Actor::App]
        .into_iter()
        .find(|a| actor_code(*a) == c)
}

fn scope_code(s: GrantScope) -> u8 {
    match s {
        GrantScope::UntilRevoked => 0,
        GrantScope::Once => 1,
    }
}

fn scope_from(c: u8) -> Option<GrantScope> {
    [GrantScope::UntilRevoked, GrantScope::Once]
        .into_iter()
        .find(|s| scope_code(*s) == c)
}

fn os_code(o: OsPermission) -> u8 {
    match o {
        OsPermission::Unknown => 0,
        OsPermission::Granted => 1,
        OsPermission::Limited => 2,
        OsPermission::Denied => 3,
    }
}

fn os_from(c: u8) -> Option<OsPermission> {
    [
        OsPermission::Unknown,
        OsPermission::Granted,
        OsPermission::Limited,
        OsPermission::Denied,
    ]
    .into_iter()
    .find(|o| os_code(*o) == c)
}

/// Checks that records follow each other: gap-free sequence numbers and linked hashes.
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
        if (record.seq == 1) != record.entry.kind.is_genesis() {
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

    fn sample() -> Entry {
        let mut e = Entry::new(AuditKind::SessionBegan).feature(Feature::Camera);
        e.purpose = Some("shoot_photo".into());
        e.actor = Some(Actor::Guardian);
        e.scope = Some(GrantScope::Once);
        e.os_permission = Some(OsPermission::Limited);
        e.terms_revision = 7;
        e.session_id = 42;
        e.duration_ms = 1234;
        e.detail = "note".into();
        e
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
    fn a_cut_frame_is_torn_and_a_flipped_byte_is_corrupt() {
        let mut buf = Vec::new();
        encode_frame(&mut buf, &GENESIS_PREV, 1, 0, &sample());
        for cut in 0..buf.len() {
            assert!(
                matches!(decode_frame(&buf[..cut]), Decoded::Torn),
                "cut at {cut}"
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
    fn the_chain_check_rejects_gaps_and_broken_links() {
        let mut buf = Vec::new();
        let h1 = encode_frame(
            &mut buf,
            &GENESIS_PREV,
            1,
            0,
            &Entry::new(AuditKind::ChainStarted),
        );
        let at = buf.len();
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
        assert!(at > 0 && gap.accept(&records[2]).is_err());
    }
}
