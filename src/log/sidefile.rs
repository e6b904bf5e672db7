//! The frame of the files kept beside the log (the "no"s it could not take, the app's texts): magic | body length | body | trailer, the trailer an HMAC under a key derived from the platform key for a sealed store, a SHA-256 otherwise.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::seal::Sealer;

/// The key that authenticates a file of a sealed store: the platform key, through its sealer,
/// for this app.
pub(crate) struct FileKey {
    pub sealer: Arc<dyn Sealer>,
    pub app_id: String,
}

impl FileKey {
    /// The HMAC of `body` under a key derived from the platform key for `domain` (one per
    /// kind of file, so one file's tag never vouches for another's body).
    fn tag(&self, domain: &[u8], body: &[u8]) -> Result<[u8; 32], String> {
        let message = [domain, self.app_id.as_bytes()].concat();
        let key = self.sealer.mac(message).map_err(|e| e.to_string())?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
        mac.update(body);
        Ok(mac.finalize().into_bytes().into())
    }
}

/// What vouches for a file read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Vouched {
    /// Checked with the store's key: written by this app's sealer.
    Key,
    /// Checked against its checksum: whole, but anyone with the directory could have written it.
    Checksum,
    /// Neither: a sealed store's file read without its key (or a file edited since).
    Nothing,
}

/// One kind of file beside the log: its magic, and the domain its key is derived for.
pub(super) struct Frame {
    pub magic: &'static [u8; 8],
    pub domain: &'static [u8],
}

impl Frame {
    /// The trailer of `body`: its HMAC under `key`, or its SHA-256.
    fn trailer(&self, body: &[u8], key: Option<&FileKey>) -> Result<[u8; 32], String> {
        match key {
            Some(key) => key.tag(self.domain, body),
            None => Ok(Sha256::digest(body).into()),
        }
    }

    /// The file holding `body`; fails only when the key cannot vouch for it.
    pub fn to_bytes(&self, body: &[u8], key: Option<&FileKey>) -> Result<Vec<u8>, String> {
        let len = u32::try_from(body.len()).map_err(|_| "too large a file".to_string())?;
        let mut out = Vec::with_capacity(self.magic.len() + 4 + body.len() + 32);
        out.extend_from_slice(self.magic);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&self.trailer(body, key)?);
        Ok(out)
    }

    /// The body of `bytes`, its trailer checked with `key` unless `checked` is false (a
    /// sealed store's file read by someone without the key: only its shape is checked).
    /// The error says why, for the caller to name the file.
    pub fn body<'a>(
        &self,
        bytes: &'a [u8],
        key: Option<&FileKey>,
        checked: bool,
    ) -> Result<&'a [u8], String> {
        let magic = self.magic.len();
        if bytes.len() < magic + 4 + 32 || &bytes[..magic] != self.magic {
            return Err("not a consentkit file of this format".into());
        }
        let len = u32::from_le_bytes(bytes[magic..magic + 4].try_into().expect("four bytes"));
        let start = magic + 4;
        if bytes.len() != start + len as usize + 32 {
            return Err("its length does not match its header".into());
        }
        let (body, trailer) = bytes[start..].split_at(len as usize);
        if checked && self.trailer(body, key)?[..] != trailer[..] {
            return Err(match key {
                Some(_) => "it was not written with this store's key".into(),
                None => "its checksum does not match".into(),
            });
        }
        Ok(body)
    }
}
