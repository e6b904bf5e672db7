//! `consentkit report --html FILE`: writes the library's self-contained HTML report for its owner only.

/// Writes `page` to `path` for its owner only (0600, as the store's own files are): the
/// report says what the person used and when. An existing file is replaced, its mode too.
pub fn write(path: &std::path::Path, page: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(page.as_bytes())
}
