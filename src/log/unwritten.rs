//! Closing decisions the log could not take (a failed write or sync): kept beside it and in the process until the next open records them, with the time they were made (invariant I4).
//!
//! File: `CKUNWR05` | body length: u32 LE | postcard(Vec<Unwritten>) | trailer, the trailer an
//! HMAC-SHA256 of the body under a key derived from the platform key when the store is sealed
//! (only this app's sealer writes a file the store reads), its SHA-256 otherwise. Writing it is
//! best effort — the disk that refused the log may refuse it too — so the same decisions are
//! also kept in this process, for a store reopened before the process ends. Whatever it holds,
//! the next open records only "no"s from it (`State::may_redecide`). A sealed store's anchor
//! names the file's digest before it is written, until what it holds is in the log: a file
//! deleted, replaced by an older one, or never written reads as unreadable.

use std::path::PathBuf;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fs::{StoreDir, UNWRITTEN_FILE};
use super::sidefile::{FileKey, Frame};
use crate::entry::Entry;

const FRAME: Frame = Frame {
    magic: b"CKUNWR05",
    domain: b"consentkit/unwritten/1\0",
};

/// A record a closing decision made, not (or not surely) in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Unwritten {
    pub time_ms: i64,
    pub entry: Entry,
    /// Where the log stood: its chain and last record when the "no" was said (with its own
    /// records, when they were written but not made durable). A log that has gone on since
    /// was written by a later process — the person may have decided again — so the "no" is
    /// not recorded over it.
    pub chain: u64,
    pub after_seq: u64,
}

/// This process's unwritten decisions, by store directory.
static IN_PROCESS: Mutex<Vec<(PathBuf, Vec<Unwritten>)>> = Mutex::new(Vec::new());

/// Keeps `items` for the store in `dir` in this process, and returns the file's bytes to hold
/// them after what the file holds (`None` for no items): for `write`.
pub(crate) fn add(
    dir: &StoreDir,
    items: &[Unwritten],
    file_key: Option<&FileKey>,
) -> Option<Vec<u8>> {
    if items.is_empty() {
        return None;
    }
    let key = dir.key();
    let all = {
        let mut kept = IN_PROCESS.lock();
        let list = match kept.iter().position(|(k, _)| *k == key) {
            Some(i) => &mut kept[i].1,
            None => {
                kept.push((key, Vec::new()));
                &mut kept.last_mut().expect("just pushed").1
            }
        };
        list.extend(items.iter().cloned());
        list.clone()
    };
    let merged = merge(read(dir, file_key).unwrap_or_default(), all);
    Some(file_bytes(&merged, file_key))
}

/// The file holding `items`. A sealer that fails cannot vouch for it: written unvouched, it
/// reads as unreadable at the next open, where every "no" it could hold is assumed — off,
/// never a "no" lost.
fn file_bytes(items: &[Unwritten], file_key: Option<&FileKey>) -> Vec<u8> {
    to_bytes(items, file_key).unwrap_or_else(|e| {
        ::log::error!("consentkit: the key cannot vouch for the closing decisions kept ({e})");
        to_bytes(items, None).expect("a checksum needs no key")
    })
}

/// Writes the file `add` or `restate` made, if the disk lets us (this process remembers them
/// either way).
pub(crate) fn write(dir: &StoreDir, bytes: &[u8]) {
    if let Err(e) = dir.replace(UNWRITTEN_FILE, bytes) {
        ::log::error!(
            "consentkit: a closing decision could not be kept on disk either ({e}); this process remembers it"
        );
    }
}

/// The digest a sealed store's anchor names the file by.
pub(crate) fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The decisions this process kept for the store in `dir`, said again after `(chain,
/// after_seq)`: the log took records after them, and they still stand. Returns the file's
/// bytes to hold just them (what the file held before is this process's too), for `write`.
pub(crate) fn restate(
    dir: &StoreDir,
    chain: u64,
    after_seq: u64,
    file_key: Option<&FileKey>,
) -> Option<Vec<u8>> {
    let key = dir.key();
    let advanced = {
        let mut kept = IN_PROCESS.lock();
        let (_, list) = kept
            .iter_mut()
            .find(|(k, list)| *k == key && !list.is_empty())?;
        for item in list.iter_mut() {
            item.chain = chain;
            item.after_seq = after_seq;
        }
        list.clone()
    };
    Some(file_bytes(&advanced, file_key))
}

/// What was kept for a store: the decisions, oldest first, and — when the file was there but
/// unreadable — why (what it held cannot be known; it can only have held "no"s).
pub(crate) struct Kept {
    pub items: Vec<Unwritten>,
    pub unreadable: Option<String>,
}

/// Everything kept for the store in `dir`. An unreadable file is kept aside (renamed to
/// `consent.unwritten.damaged`, never deleted) and reported. `anchored`: the digest a sealed
/// store's anchor names the file by, while it holds decisions not yet in the log.
pub(crate) fn take(dir: &StoreDir, file_key: Option<&FileKey>, anchored: Option<[u8; 32]>) -> Kept {
    let kept = peek(dir, file_key, true, anchored);
    if let Some(problem) = &kept.unreadable {
        ::log::error!("consentkit: {problem}");
        let aside = match dir.exists(UNWRITTEN_FILE) {
            true => dir.set_damaged_aside(UNWRITTEN_FILE),
            false => Ok(()),
        };
        if let Err(e) = aside {
            ::log::error!("consentkit: keeping the unreadable file aside failed ({e})");
        }
    }
    kept
}

/// What `take` would return, changing nothing: for inspectors. Without `checked`, a file the
/// key would vouch for is read without the key (an inspector may have none): only its "no"s
/// are ever applied, so an unvouched one can only turn things off.
pub(crate) fn peek(
    dir: &StoreDir,
    file_key: Option<&FileKey>,
    checked: bool,
    anchored: Option<[u8; 32]>,
) -> Kept {
    let key = dir.key();
    let in_process = IN_PROCESS
        .lock()
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, list)| list.clone())
        .unwrap_or_default();
    let read = match dir.read(UNWRITTEN_FILE) {
        // This process knows all it kept, when the disk refused the file too.
        Ok(None) if anchored.is_some() && in_process.is_empty() => Err(
            "the closing decisions the key's anchor says are waiting are gone: their file was deleted, or never written"
                .to_string(),
        ),
        Ok(None) => Ok(Vec::new()),
        Ok(Some(bytes)) => match anchored {
            Some(anchored) if digest(&bytes) != anchored && in_process.is_empty() => Err(
                "the file of closing decisions is not the one the key's anchor names: replaced, or an older copy"
                    .to_string(),
            ),
            _ => from_bytes(&bytes, file_key, checked),
        },
        Err(e) => Err(format!("the unwritten decisions are unreadable ({e})")),
    };
    let (on_disk, unreadable) = match read {
        Ok(items) => (items, None),
        Err(problem) => (Vec::new(), Some(problem)),
    };
    Kept {
        items: merge(on_disk, in_process),
        unreadable,
    }
}

/// Forgets what `take` returned, once it is in the log: the file first, so a failure to
/// remove it leaves both (recording the same "no" again changes nothing).
pub(crate) fn clear(dir: &StoreDir) -> std::io::Result<()> {
    dir.remove(UNWRITTEN_FILE)?;
    let key = dir.key();
    IN_PROCESS.lock().retain(|(k, _)| *k != key);
    Ok(())
}

/// `first`, then what `then` adds to it, in order.
fn merge(mut first: Vec<Unwritten>, then: Vec<Unwritten>) -> Vec<Unwritten> {
    for item in then {
        if !first.contains(&item) {
            first.push(item);
        }
    }
    first
}

fn read(dir: &StoreDir, key: Option<&FileKey>) -> Result<Vec<Unwritten>, String> {
    match dir.read(UNWRITTEN_FILE) {
        Ok(None) => Ok(Vec::new()),
        Ok(Some(bytes)) => from_bytes(&bytes, key, true),
        Err(e) => Err(format!("the unwritten decisions are unreadable ({e})")),
    }
}

fn to_bytes(items: &[Unwritten], key: Option<&FileKey>) -> Result<Vec<u8>, String> {
    FRAME.to_bytes(
        &postcard::to_allocvec(items).expect("records always encode"),
        key,
    )
}

fn from_bytes(
    bytes: &[u8],
    key: Option<&FileKey>,
    checked: bool,
) -> Result<Vec<Unwritten>, String> {
    let unreadable = |why: String| format!("the unwritten decisions are unreadable: {why}");
    let body = FRAME.body(bytes, key, checked).map_err(unreadable)?;
    postcard::from_bytes(body).map_err(|e| unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Actor, Feature};

    fn revoked(time_ms: i64) -> Unwritten {
        Unwritten {
            chain: 1,
            after_seq: 7,
            time_ms,
            entry: Entry::Revoked {
                feature: Feature::Camera,
                actor: Actor::User,
                terms_revision: 1,
            },
        }
    }

    #[test]
    fn the_file_round_trips_and_refuses_edits() {
        let bytes = to_bytes(&[revoked(1), revoked(2)], None).unwrap();
        assert_eq!(
            from_bytes(&bytes, None, true).unwrap(),
            [revoked(1), revoked(2)]
        );
        let mut edited = bytes.clone();
        edited[14] ^= 1;
        assert!(from_bytes(&edited, None, true)
            .unwrap_err()
            .contains("checksum"));
        assert!(from_bytes(&bytes[..20], None, true).is_err());
    }

    #[test]
    fn a_sealed_stores_file_is_read_only_with_its_key() {
        let key = |k: u8| FileKey {
            sealer: crate::log::software_sealer(vec![k; 32], None).unwrap(),
            app_id: "com.example".into(),
        };
        let sealed = to_bytes(&[revoked(1)], Some(&key(7))).unwrap();
        assert_eq!(
            from_bytes(&sealed, Some(&key(7)), true).unwrap(),
            [revoked(1)]
        );
        let problem = from_bytes(&sealed, Some(&key(8)), true).unwrap_err();
        assert!(
            problem.contains("not written with this store's key"),
            "{problem}"
        );
        let checksummed = to_bytes(&[revoked(1)], None).unwrap();
        assert!(
            from_bytes(&checksummed, Some(&key(7)), true).is_err(),
            "a planted checksum is no key"
        );
    }

    #[test]
    fn what_the_process_kept_is_merged_after_the_file_without_repeats() {
        assert_eq!(
            merge(vec![revoked(1), revoked(2)], vec![revoked(2), revoked(3)]),
            [revoked(1), revoked(2), revoked(3)]
        );
    }
}
