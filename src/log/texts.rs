//! The file of the app's texts beside the log (`consent.texts`): an opaque body the log never reads, authenticated like the file of "no"s, written only when it changes.
//!
//! File: `CKTEXT01` | body length: u32 LE | body | trailer, the trailer an HMAC-SHA256 of the
//! body under a key derived from the platform key when the store is sealed, its SHA-256
//! otherwise. The texts are the app's words, not consent: the log keeps ids and digests, and
//! nothing the rules decide is read from here.

use std::io;

use sha2::{Digest, Sha256};

use super::fs::{StoreDir, TEXTS_FILE};
use super::journal::{Journal, Place};
use super::unwritten::FileKey;

const MAGIC: &[u8; 8] = b"CKTEXT01";
const DOMAIN: &[u8] = b"consentkit/texts/1\0";

/// The file's trailer for `body`: its HMAC under the store's key, or its SHA-256.
fn trailer(body: &[u8], key: Option<&FileKey>) -> Result<[u8; 32], String> {
    match key {
        Some(key) => key.tag_for(DOMAIN, body),
        None => Ok(Sha256::digest(body).into()),
    }
}

fn to_bytes(body: &[u8], key: Option<&FileKey>) -> Result<Vec<u8>, String> {
    let len = u32::try_from(body.len()).map_err(|_| "the texts are too large".to_string())?;
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + body.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&trailer(body, key)?);
    Ok(out)
}

/// The body of the file's `bytes`, checked with `key` (or, for a sealed store's file read by
/// someone without its key, `key: None, checked: false`: only its shape is checked).
fn body_of(bytes: &[u8], key: Option<&FileKey>, checked: bool) -> Result<Vec<u8>, String> {
    let bad = |why: &str| {
        Err(format!(
            "the app's texts beside the log are unreadable: {why}"
        ))
    };
    if bytes.len() < MAGIC.len() + 4 + 32 || &bytes[..MAGIC.len()] != MAGIC {
        return bad("not a consentkit file of this format");
    }
    let len = u32::from_le_bytes(bytes[8..12].try_into().expect("four bytes")) as usize;
    if bytes.len() != 12 + len + 32 {
        return bad("its length does not match its header");
    }
    let body = &bytes[12..12 + len];
    if checked && trailer(body, key)?[..] != bytes[12 + len..] {
        return bad(match key {
            Some(_) => "it was not written with this store's key",
            None => "its checksum does not match",
        });
    }
    Ok(body.to_vec())
}

/// The texts' body in `dir`, if there is a file: checked with the key when there is one.
pub(super) fn read(
    dir: &StoreDir,
    key: Option<&FileKey>,
    sealed: bool,
) -> Option<Result<Vec<u8>, String>> {
    match dir.read(TEXTS_FILE) {
        Ok(None) => None,
        Ok(Some(bytes)) => Some(body_of(&bytes, key, key.is_some() || !sealed)),
        Err(e) => Some(Err(format!(
            "the app's texts beside the log are unreadable ({e})"
        ))),
    }
}

impl Journal {
    /// Keeps the app's texts beside the log, replacing the file only when they changed (or
    /// it cannot be read back as this store's). Memory stores keep nothing.
    pub fn keep_texts(&self, body: &[u8]) -> io::Result<()> {
        let Place::Disk { dir, .. } = &self.place else {
            return Ok(());
        };
        let key = self.file_key();
        if let Some(Ok(kept)) = read(dir, key.as_ref(), self.sealer.is_some()) {
            if kept == body {
                return Ok(());
            }
        }
        let bytes = to_bytes(body, key.as_ref()).map_err(io::Error::other)?;
        dir.replace(TEXTS_FILE, &bytes)
    }

    /// The app's texts kept beside the log (`None`: no file), as a read-only open found
    /// them or as the directory holds them now.
    pub fn stored_texts(&self) -> Option<Result<Vec<u8>, String>> {
        match &self.place {
            Place::Disk { dir, .. } => read(dir, self.file_key().as_ref(), self.sealer.is_some()),
            Place::ReadOnly => self.texts_view.clone(),
            Place::Memory => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> FileKey {
        FileKey {
            sealer: crate::log::software_sealer(vec![byte; 32], None).unwrap(),
            app_id: "com.example".into(),
        }
    }

    #[test]
    fn the_file_holds_its_body_and_refuses_edits_and_other_keys() {
        let plain = to_bytes(b"{\"a\":1}", None).unwrap();
        assert_eq!(body_of(&plain, None, true).unwrap(), b"{\"a\":1}");
        let mut edited = plain.clone();
        edited[13] ^= 1;
        assert!(body_of(&edited, None, true)
            .unwrap_err()
            .contains("checksum"));
        let sealed = to_bytes(b"texts", Some(&key(1))).unwrap();
        assert_eq!(body_of(&sealed, Some(&key(1)), true).unwrap(), b"texts");
        assert!(body_of(&sealed, Some(&key(2)), true)
            .unwrap_err()
            .contains("key"));
        assert!(body_of(&sealed, None, true).is_err());
        assert!(body_of(&sealed[..20], None, false).is_err());
    }
}
