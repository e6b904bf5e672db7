//! `--seal-key FILE`: a software sealing key for QA and black-box tests, kept in a file (created on first use) with the anchor beside it in `FILE.anchor`.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use consentkit::{software_sealer, Sealer};

/// The sealer for a key file: the key's 32 bytes as hex, created from the system's random
/// source if the file does not exist yet.
pub fn sealer(path: &Path) -> Result<Arc<dyn Sealer>, String> {
    let key = match std::fs::read_to_string(path) {
        Ok(text) => {
            hex::decode(text.trim()).map_err(|_| format!("{}: not a hex key", path.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut random| random.read_exact(&mut key))
                .map_err(|e| format!("no random source for a new key: {e}"))?;
            write_private(path, &hex::encode(&key))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("consentkit: created a sealing key in {}", path.display());
            key
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let anchor = format!("{}.anchor", path.display());
    software_sealer(key, Some(anchor)).map_err(|e| e.to_string())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}
