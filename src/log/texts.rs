//! The file of the app's texts beside the log (`consent.texts`): an opaque body the log never reads, authenticated like the file of "no"s, written only when it changes.
//!
//! File: `CKTEXT01` | body length: u32 LE | body | trailer, the trailer an HMAC-SHA256 of the
//! body under a key derived from the platform key when the store is sealed, its SHA-256
//! otherwise. The texts are the app's words, not consent: the log keeps ids and digests, and
//! nothing the rules decide is read from here.

use std::io;

use super::fs::{StoreDir, TEXTS_FILE};
use super::journal::{Journal, Place};
use super::sidefile::{FileKey, Frame, Vouched};

const FRAME: Frame = Frame {
    magic: b"CKTEXT01",
    domain: b"consentkit/texts/1\0",
};

/// The body of the file's `bytes`, checked with `key` (or only its shape, `checked: false`).
fn body_of(bytes: &[u8], key: Option<&FileKey>, checked: bool) -> Result<Vec<u8>, String> {
    FRAME
        .body(bytes, key, checked)
        .map(<[u8]>::to_vec)
        .map_err(|why| format!("the app's texts beside the log are unreadable: {why}"))
}

/// The texts' body in `dir`, if there is a file, and what vouches for it: the key when there
/// is one (a file it does not vouch for is refused); without a key, its checksum, or — for a
/// sealed store's file, whose trailer only the key checks — nothing.
pub(super) fn read(
    dir: &StoreDir,
    key: Option<&FileKey>,
) -> Option<Result<(Vec<u8>, Vouched), String>> {
    let bytes = match dir.read(TEXTS_FILE) {
        Ok(None) => return None,
        Ok(Some(bytes)) => bytes,
        Err(e) => {
            return Some(Err(format!(
                "the app's texts beside the log are unreadable ({e})"
            )))
        }
    };
    Some(match key {
        Some(_) => body_of(&bytes, key, true).map(|body| (body, Vouched::Key)),
        None => body_of(&bytes, None, true)
            .map(|body| (body, Vouched::Checksum))
            .or_else(|_| body_of(&bytes, None, false).map(|body| (body, Vouched::Nothing))),
    })
}

impl Journal {
    /// Writes the app's texts beside the log (the opener writes them only when they changed,
    /// or the file is not this store's). Memory stores keep nothing.
    pub fn keep_texts(&self, body: &[u8]) -> io::Result<()> {
        let Place::Disk { dir, .. } = &self.place else {
            return Ok(());
        };
        let key = self.file_key();
        let bytes = FRAME
            .to_bytes(body, key.as_ref())
            .map_err(io::Error::other)?;
        dir.replace(TEXTS_FILE, &bytes)
    }

    /// The app's texts kept beside the log (`None`: no file), as a read-only open found
    /// them or as the directory holds them now.
    pub fn stored_texts(&self) -> Option<Result<(Vec<u8>, Vouched), String>> {
        match &self.place {
            Place::Disk { dir, .. } => read(dir, self.file_key().as_ref()),
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
        let plain = FRAME.to_bytes(b"{\"a\":1}", None).unwrap();
        assert_eq!(body_of(&plain, None, true).unwrap(), b"{\"a\":1}");
        let mut edited = plain.clone();
        edited[13] ^= 1;
        assert!(body_of(&edited, None, true)
            .unwrap_err()
            .contains("checksum"));
        let sealed = FRAME.to_bytes(b"texts", Some(&key(1))).unwrap();
        assert_eq!(body_of(&sealed, Some(&key(1)), true).unwrap(), b"texts");
        assert!(body_of(&sealed, Some(&key(2)), true)
            .unwrap_err()
            .contains("key"));
        assert!(body_of(&sealed, None, true).is_err());
        assert!(body_of(&sealed[..20], None, false).is_err());
    }
}
