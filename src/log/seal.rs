//! Sealing the chain with a key the platform holds: per-epoch keys derived from it and forgotten when their epoch ends, seal records that bind each head to its epoch, and the anchor kept beside the key that reveals a rolled-back or cut log.
//!
//! Over 400 lines only with its tests (100 of them): the keys, the seal records and the anchor are one scheme and are checked together.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::record::{Damage, Hash, SealSeen};

/// A keyed MAC by a key the platform holds and never exports — an HMAC-SHA256 key in the
/// Android Keystore, a key in the iOS Keychain — and a place beside it for the store's
/// anchor. Implemented by the app (Kotlin, Swift) or by `software_sealer`.
///
/// Called while the store holds its lock, at most twice per checkpoint (every 1024 records)
/// and on close: never once per decision. It must not call back into the store.
#[uniffi::export(with_foreign)]
pub trait Sealer: Send + Sync {
    /// HMAC-SHA256 of `message` under the platform key: 32 bytes.
    fn mac(&self, message: Vec<u8>) -> Result<Vec<u8>, SealerError>;
    /// The anchor the store kept last, if any.
    fn load_anchor(&self) -> Result<Option<Vec<u8>>, SealerError>;
    /// Keeps `anchor`, replacing the previous one, where the key is kept (not in the store's
    /// directory: restoring an old copy of the directory must not restore it too).
    fn store_anchor(&self, anchor: Vec<u8>) -> Result<(), SealerError>;
}

/// A sealer could not do its work (the key is gone, the keystore is locked, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SealerError {
    /// What went wrong, in the platform's words.
    #[error("sealer failed: {reason}")]
    Failed {
        /// Why.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SealerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> SealerError {
        SealerError::Failed { reason: e.reason }
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(&(part.len() as u32).to_le_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The keys of one chain's seals. Epoch `e`'s key is derived from the platform key and kept
/// only while `e` is the epoch being sealed: someone who reads the app's memory learns that
/// one key, and cannot seal any other epoch — every seal is checked with its own epoch's key.
pub(crate) struct SealKeys {
    sealer: Arc<dyn Sealer>,
    app_id: String,
    chain: u64,
    current: Option<(u64, [u8; 32])>,
}

impl SealKeys {
    pub fn new(sealer: Arc<dyn Sealer>, app_id: &str, chain: u64) -> SealKeys {
        SealKeys {
            sealer,
            app_id: app_id.to_string(),
            chain,
            current: None,
        }
    }

    /// The key of `epoch`: from memory if it is the current one, else from the platform.
    /// `keep` makes it the current one, forgetting the previous.
    fn key(&mut self, epoch: u64, keep: bool) -> Result<[u8; 32], String> {
        if let Some((e, key)) = self.current {
            if e == epoch {
                return Ok(key);
            }
        }
        let message = [
            b"consentkit/epoch-key/1\0".as_slice(),
            self.app_id.as_bytes(),
            &[0],
            &self.chain.to_le_bytes(),
            &epoch.to_le_bytes(),
        ]
        .concat();
        let derived = self.sealer.mac(message).map_err(|e| e.to_string())?;
        let key: [u8; 32] = derived
            .try_into()
            .map_err(|_| "the sealer's MAC is not 32 bytes (HMAC-SHA256)".to_string())?;
        if keep {
            self.current = Some((epoch, key));
        }
        Ok(key)
    }

    fn tag(
        &mut self,
        purpose: &[u8],
        epoch: u64,
        seq: u64,
        hash: &Hash,
        keep: bool,
    ) -> Result<[u8; 32], String> {
        let key = self.key(epoch, keep)?;
        Ok(hmac(
            &key,
            &[
                purpose,
                self.app_id.as_bytes(),
                &self.chain.to_le_bytes(),
                &epoch.to_le_bytes(),
                &seq.to_le_bytes(),
                hash,
            ],
        ))
    }

    /// The seal of epoch `epoch` over the record `seq` with `hash`, made with that epoch's
    /// key, which becomes the current one.
    pub fn seal(&mut self, epoch: u64, seq: u64, hash: &Hash) -> Result<[u8; 32], String> {
        self.tag(b"consentkit/seal/1", epoch, seq, hash, true)
    }

    /// Whether `tag` is epoch `epoch`'s seal over record `seq` with `hash`.
    pub fn check(
        &mut self,
        epoch: u64,
        seq: u64,
        hash: &Hash,
        tag: &[u8; 32],
    ) -> Result<bool, String> {
        Ok(self.tag(b"consentkit/seal/1", epoch, seq, hash, false)? == *tag)
    }

    /// A seal of any head, for `head()` and the exports: with the current epoch's key.
    pub fn seal_head(&mut self, epoch: u64, seq: u64, hash: &Hash) -> Result<[u8; 32], String> {
        self.tag(b"consentkit/head/1", epoch, seq, hash, false)
    }

    pub fn check_head(
        &mut self,
        epoch: u64,
        seq: u64,
        hash: &Hash,
        tag: &[u8; 32],
    ) -> Result<bool, String> {
        Ok(self.seal_head(epoch, seq, hash)? == *tag)
    }

    /// The anchor for the seal record `seq` with `hash`, sealed, as bytes for the sealer.
    /// `closed`: the store closed cleanly after it — no record may follow it. `nos_pending`:
    /// the digest of the file of closing decisions waiting to be recorded, if there is one.
    pub fn anchor(
        &mut self,
        epoch: u64,
        seq: u64,
        hash: &Hash,
        closed: bool,
        nos_pending: Option<Hash>,
    ) -> Result<Vec<u8>, String> {
        let tag = self.anchor_tag(epoch, seq, hash, closed, nos_pending)?;
        let anchor = Anchor {
            app_id: self.app_id.clone(),
            chain: self.chain,
            epoch,
            seq,
            hash: *hash,
            closed,
            nos_pending,
            tag,
        };
        Ok(postcard::to_allocvec(&anchor).expect("anchors always encode"))
    }

    fn anchor_tag(
        &mut self,
        epoch: u64,
        seq: u64,
        hash: &Hash,
        closed: bool,
        nos_pending: Option<Hash>,
    ) -> Result<[u8; 32], String> {
        let mut purpose = if closed {
            b"consentkit/anchor-closed/1".to_vec()
        } else {
            b"consentkit/anchor/1".to_vec()
        };
        if let Some(digest) = nos_pending {
            purpose.extend_from_slice(b"\0nos-pending\0");
            purpose.extend_from_slice(&digest);
        }
        self.tag(&purpose, epoch, seq, hash, false)
    }

    /// The anchor the sealer kept, checked: `Ok(None)` when there is none or it belongs to
    /// another app's store, `Ok(Err(problem))` when it is unreadable or fails its seal, `Err`
    /// when the sealer failed.
    pub fn load_anchor(&mut self) -> Result<Result<Option<Anchor>, String>, String> {
        let Some(bytes) = self.sealer.load_anchor().map_err(|e| e.to_string())? else {
            return Ok(Ok(None));
        };
        let Ok(anchor) = postcard::from_bytes::<Anchor>(&bytes) else {
            return Ok(Err("the anchor kept with the key is unreadable".into()));
        };
        if anchor.app_id != self.app_id {
            return Ok(Ok(None));
        }
        let mut keys = SealKeys::new(self.sealer.clone(), &self.app_id, anchor.chain);
        let expected = keys.anchor_tag(
            anchor.epoch,
            anchor.seq,
            &anchor.hash,
            anchor.closed,
            anchor.nos_pending,
        )?;
        if expected != anchor.tag {
            return Ok(Err("the anchor kept with the key fails its seal".into()));
        }
        Ok(Ok(Some(anchor)))
    }

    pub fn store_anchor(&self, anchor: Vec<u8>) -> Result<(), String> {
        self.sealer.store_anchor(anchor).map_err(|e| e.to_string())
    }
}

/// What the seals of a chain say, once checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SealStatus {
    /// The last record a sound seal covers.
    pub sealed_through: Option<u64>,
    /// The last seal record.
    pub last_seal_at: Option<u64>,
    /// The anchor says the store closed cleanly at its seal.
    pub anchored_closed: bool,
    /// The anchor says closing decisions wait to be recorded, in a file with this digest.
    pub nos_pending: Option<Hash>,
}

/// The anchor the sealer keeps for `app_id`'s store, checked: what a store with no log must
/// not have (its files were deleted). `Ok(Err(problem))` for an anchor that fails its
/// checks; `Err` when the sealer failed.
#[allow(clippy::type_complexity)]
pub(crate) fn anchor_for(
    sealer: &Arc<dyn Sealer>,
    app_id: &str,
) -> Result<Result<Option<Anchor>, String>, String> {
    SealKeys::new(sealer.clone(), app_id, 0).load_anchor()
}

/// The app whose store the sealer keeps an anchor for, read but not checked (the anchor's
/// seal is keyed by the app: check it with `anchor_for`). `Err` when the sealer failed.
pub(crate) fn anchored_app(sealer: &Arc<dyn Sealer>) -> Result<Option<String>, String> {
    let Some(bytes) = sealer.load_anchor().map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    Ok(Some(
        postcard::from_bytes::<Anchor>(&bytes).map_or_else(|_| String::new(), |a| a.app_id),
    ))
}

/// Checks a chain's seals as read — the last one (each earlier one was checked as it was
/// read, or is covered by the last through the hash chain) — and the anchor kept with the
/// key (I7): the log must still hold the seal it names, nothing may follow a seal a clean
/// close anchored, a chain holding seals must have its anchor, and a chain newer than the
/// anchored one must be sealed (every chain is sealed as it starts). `seal_count` is the
/// chain's seals in all, `started_at` the first record read (records before it came from a
/// checked snapshot). `Err` when the sealer failed.
pub(crate) fn check_chain(
    sealer: &Arc<dyn Sealer>,
    owner: &(String, u64),
    (seals, seal_count): (&[SealSeen], u64),
    head_seq: u64,
    started_at: u64,
) -> Result<Result<SealStatus, Damage>, String> {
    let damage = |first_bad_seq: u64, problem: String| {
        Ok(Err(Damage {
            first_bad_seq,
            problem,
        }))
    };
    let (app_id, chain) = owner;
    let mut keys = SealKeys::new(sealer.clone(), app_id, *chain);
    let mut status = SealStatus::default();
    if let Some(last) = seals.last() {
        if !keys.check(last.epoch, last.covers.0, &last.covers.1, &last.tag)? {
            // Where the damage starts: the first seal read that fails (another key fails
            // them all), not just the last.
            let mut first_bad = last;
            for seal in seals {
                if !keys.check(seal.epoch, seal.covers.0, &seal.covers.1, &seal.tag)? {
                    first_bad = seal;
                    break;
                }
            }
            return damage(
                first_bad.at.0,
                format!(
                    "the seal of record {} fails: the records it covers were changed, or it was not made with this store's key",
                    first_bad.covers.0
                ),
            );
        }
        status.sealed_through = Some(last.covers.0);
        status.last_seal_at = Some(last.at.0);
    }
    let anchor = match keys.load_anchor()? {
        Ok(Some(anchor)) => anchor,
        Ok(None) if seal_count > 0 => {
            return damage(
                1,
                "the anchor kept with the key is missing, though the log holds seals: a rollback or a cut could not be told apart".into(),
            )
        }
        // With a key, every chain is sealed as it starts: one without a seal was never the
        // store's (a forged chain, a cut to its first record, an unsealed store planted), and
        // with no anchor either, nothing else could tell (I7).
        Ok(None) => {
            return damage(
                1,
                format!(
                    "chain {chain} holds no seal, and the key keeps no anchor: a chain the store's key never started"
                ),
            )
        }
        Err(problem) => return damage(1, problem),
    };
    status.nos_pending = anchor.nos_pending;
    if anchor.chain > *chain {
        return damage(
            1,
            format!(
                "an older copy of the store was restored: the key's anchor is on chain {}, the log on chain {chain}",
                anchor.chain
            ),
        );
    }
    if anchor.chain < *chain {
        // The store started a new chain since (erasure, recovery), sealed as it started.
        if seal_count == 0 {
            return damage(
                1,
                format!(
                    "chain {chain} holds no seal, though the key's anchor is on chain {}: a chain started without the key",
                    anchor.chain
                ),
            );
        }
        return Ok(Ok(status));
    }
    if anchor.seq > head_seq {
        return damage(
            head_seq + 1,
            format!(
                "the log ends at record {head_seq}, before the seal anchored with the key (record {}): records were cut off, or an older copy restored",
                anchor.seq
            ),
        );
    }
    if anchor.closed && head_seq > anchor.seq {
        return damage(
            anchor.seq + 1,
            format!(
                "records follow the seal of a clean close (record {}): written without the key",
                anchor.seq
            ),
        );
    }
    status.anchored_closed = anchor.closed;
    if anchor.seq >= started_at {
        match seals.iter().find(|s| s.at.0 == anchor.seq) {
            Some(seal) if seal.at.1 == anchor.hash => {}
            _ => {
                return damage(
                    anchor.seq,
                    format!(
                        "record {} is no longer the seal anchored with the key",
                        anchor.seq
                    ),
                )
            }
        }
    }
    Ok(Ok(status))
}

/// The last sealed head, kept where the key is kept: the log must still hold it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Anchor {
    pub app_id: String,
    pub chain: u64,
    pub epoch: u64,
    /// The seal record's sequence number and hash.
    pub seq: u64,
    pub hash: Hash,
    /// The store closed cleanly at this seal: no record may follow it.
    pub closed: bool,
    /// The SHA-256 of the file of closing decisions the log could not take (I4), while one
    /// waits to be recorded: deleting or replacing the file cannot lose them unnoticed.
    pub nos_pending: Option<Hash>,
    pub tag: [u8; 32],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::software_sealer::software_sealer;

    fn keys() -> SealKeys {
        SealKeys::new(
            software_sealer(vec![7; 32], None).unwrap(),
            "com.example",
            1,
        )
    }

    #[test]
    fn the_software_sealer_is_plain_hmac_sha256() {
        // RFC 4231, test case 2.
        let sealer = software_sealer(b"Jefe".repeat(4), None).unwrap();
        let key = b"Jefe".to_vec();
        let mut mac = HmacSha256::new_from_slice(&key).unwrap();
        mac.update(b"what do ya want for nothing?");
        let expected = mac.finalize().into_bytes().to_vec();
        assert_eq!(
            hex::encode(&expected),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let ours = sealer
            .mac(b"what do ya want for nothing?".to_vec())
            .unwrap();
        assert_eq!(ours.len(), 32);
        let same_key = software_sealer(b"Jefe".repeat(4), None).unwrap();
        assert_eq!(
            same_key.mac(b"x".to_vec()).unwrap(),
            sealer.mac(b"x".to_vec()).unwrap()
        );
    }

    #[test]
    fn a_seal_checks_only_with_its_own_epoch_and_head() {
        let mut keys = keys();
        let tag = keys.seal(3, 10, &[1; 32]).unwrap();
        assert!(keys.check(3, 10, &[1; 32], &tag).unwrap());
        assert!(
            !keys.check(4, 10, &[1; 32], &tag).unwrap(),
            "another epoch's key"
        );
        assert!(!keys.check(3, 11, &[1; 32], &tag).unwrap());
        assert!(!keys.check(3, 10, &[2; 32], &tag).unwrap());
        let other = SealKeys::new(
            software_sealer(vec![8; 32], None).unwrap(),
            "com.example",
            1,
        )
        .seal(3, 10, &[1; 32])
        .unwrap();
        assert_ne!(tag, other, "another key");
    }

    #[test]
    fn only_the_current_epochs_key_stays_in_memory() {
        let mut keys = keys();
        keys.seal(0, 5, &[1; 32]).unwrap();
        keys.seal(1, 9, &[1; 32]).unwrap();
        assert_eq!(keys.current.map(|(e, _)| e), Some(1));
        // Checking an old epoch derives its key again and does not keep it.
        keys.check(0, 5, &[1; 32], &[0; 32]).unwrap();
        assert_eq!(keys.current.map(|(e, _)| e), Some(1));
    }

    #[test]
    fn an_anchor_round_trips_and_an_edited_one_fails() {
        let mut keys = keys();
        let anchor = keys.anchor(2, 40, &[5; 32], true, Some([6; 32])).unwrap();
        keys.store_anchor(anchor.clone()).unwrap();
        let loaded = keys.load_anchor().unwrap().unwrap().unwrap();
        assert_eq!(
            (loaded.chain, loaded.epoch, loaded.seq, loaded.closed),
            (1, 2, 40, true)
        );
        assert_eq!(loaded.nos_pending, Some([6; 32]));
        // The decisions it says are waiting cannot be dropped from it.
        let mut dropped = loaded.clone();
        dropped.nos_pending = None;
        keys.store_anchor(postcard::to_allocvec(&dropped).unwrap())
            .unwrap();
        assert!(keys.load_anchor().unwrap().is_err());
        let mut edited = anchor;
        let last = edited.len() - 1;
        edited[last] ^= 1;
        keys.store_anchor(edited).unwrap();
        assert!(keys.load_anchor().unwrap().is_err());
    }

    #[cfg(unix)]
    #[test]
    fn an_anchor_file_is_its_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.anchor");
        let sealer = software_sealer(vec![7; 32], Some(path.display().to_string())).unwrap();
        sealer.store_anchor(vec![1, 2, 3]).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(sealer.load_anchor().unwrap(), Some(vec![1, 2, 3]));
    }
}
