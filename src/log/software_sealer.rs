//! The software sealer: a key held in memory, its anchor in memory or in a file of its owner's only — for tests, Linux and the command-line tool.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::seal::{Sealer, SealerError};

type HmacSha256 = Hmac<Sha256>;

/// A sealer whose key is held in memory (and its anchor in memory, or in a file): for tests,
/// Linux and the command-line tool. A key in memory can be read by anyone who can read the
/// process, so it proves less than a platform key; see the README.
pub(crate) struct SoftwareSealer {
    key: Vec<u8>,
    anchor: parking_lot::Mutex<Option<Vec<u8>>>,
    anchor_file: Option<std::path::PathBuf>,
}

impl Sealer for SoftwareSealer {
    /// Plain HMAC-SHA256, as the platforms compute it: a key shared with a Kotlin or Swift
    /// sealer seals and verifies the same.
    fn mac(&self, message: Vec<u8>) -> Result<Vec<u8>, SealerError> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(&message);
        Ok(mac.finalize().into_bytes().to_vec())
    }

    fn load_anchor(&self) -> Result<Option<Vec<u8>>, SealerError> {
        let failed = |e: std::io::Error| SealerError::Failed {
            reason: e.to_string(),
        };
        match &self.anchor_file {
            None => Ok(self.anchor.lock().clone()),
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(failed(e)),
            },
        }
    }

    fn store_anchor(&self, anchor: Vec<u8>) -> Result<(), SealerError> {
        match &self.anchor_file {
            None => {
                *self.anchor.lock() = Some(anchor);
                Ok(())
            }
            Some(path) => write_anchor_file(path, &anchor).map_err(|e| SealerError::Failed {
                reason: e.to_string(),
            }),
        }
    }
}

/// Replaces the anchor file: readable by its owner only, durable before it takes the old
/// one's place.
fn write_anchor_file(path: &std::path::Path, anchor: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(anchor)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// A sealer with its key in memory (at least 16 bytes), keeping its anchor in memory or, with
/// `anchor_file`, in that file. For tests, Linux and tools; apps use the platform's keystore.
#[uniffi::export]
pub fn software_sealer(
    key: Vec<u8>,
    anchor_file: Option<String>,
) -> Result<Arc<dyn Sealer>, SealerError> {
    if key.len() < 16 {
        return Err(SealerError::Failed {
            reason: "a sealing key has at least 16 bytes".into(),
        });
    }
    Ok(Arc::new(SoftwareSealer {
        key,
        anchor: parking_lot::Mutex::new(None),
        anchor_file: anchor_file.map(Into::into),
    }))
}
