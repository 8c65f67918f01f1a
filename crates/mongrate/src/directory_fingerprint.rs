//! What a directory holds, cheaply: each file's name, size and modification time, so a long-lived
//! migrator can tell that its migrations changed without reading them.

use std::path::Path;
use std::time::SystemTime;

/// Names, sizes and modification times of a directory's entries, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryFingerprint(Vec<(std::ffi::OsString, u64, Option<SystemTime>)>);

impl DirectoryFingerprint {
    /// `None` when the directory cannot be listed (then it is always read again).
    pub fn read(dir: &Path) -> Option<DirectoryFingerprint> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(dir).ok()? {
            let entry = entry.ok()?;
            // Follows symbolic links, as reading the migrations does.
            let meta = std::fs::metadata(entry.path()).ok();
            let size = meta.as_ref().map_or(0, |m| m.len());
            entries.push((entry.file_name(), size, meta.and_then(|m| m.modified().ok())));
        }
        entries.sort();
        Some(DirectoryFingerprint(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_or_changing_a_file_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let empty = DirectoryFingerprint::read(dir.path()).unwrap();
        std::fs::write(dir.path().join("1_a.sql"), "select 1;").unwrap();
        let one = DirectoryFingerprint::read(dir.path()).unwrap();
        assert_ne!(empty, one);
        assert_eq!(one, DirectoryFingerprint::read(dir.path()).unwrap());
        std::fs::write(dir.path().join("1_a.sql"), "select 12;").unwrap();
        assert_ne!(one, DirectoryFingerprint::read(dir.path()).unwrap());
        assert_eq!(DirectoryFingerprint::read(&dir.path().join("absent")), None);
    }
}
