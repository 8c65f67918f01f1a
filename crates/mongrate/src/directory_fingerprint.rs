//! What a directory holds, cheaply: each file's name, size and modification time, so a long-lived
//! migrator can tell that its migrations changed without reading them. The files of its folders
//! count too (diesel keeps each migration in a folder, Flyway reads folders at any depth), down to
//! [`DEPTH`] levels; hidden folders and `node_modules` are not migrations and are left out.

use std::path::Path;
use std::time::SystemTime;

/// Names, sizes and modification times of a directory's entries, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryFingerprint(Vec<(std::ffi::OsString, u64, Option<SystemTime>)>);

impl DirectoryFingerprint {
    /// `None` when the directory cannot be listed (then it is always read again).
    pub fn read(dir: &Path) -> Option<DirectoryFingerprint> {
        let mut entries = Vec::new();
        read_into(dir, &std::ffi::OsString::new(), DEPTH, &mut entries)?;
        entries.sort();
        Some(DirectoryFingerprint(entries))
    }
}

type Entry = (std::ffi::OsString, u64, Option<SystemTime>);

/// How many folder levels down changes are noticed.
const DEPTH: usize = 8;

/// Adds the entries of `dir` under `prefix`, and those of its folders `depth` levels down.
fn read_into(dir: &Path, prefix: &std::ffi::OsStr, depth: usize, entries: &mut Vec<Entry>) -> Option<()> {
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        // Follows symbolic links, as reading the migrations does.
        let meta = std::fs::metadata(entry.path()).ok();
        let size = meta.as_ref().map_or(0, |m| m.len());
        let mut name = prefix.to_os_string();
        name.push(entry.file_name());
        let skipped = entry.file_name().to_str().is_some_and(|n| n.starts_with('.') || n == "node_modules");
        if depth > 0 && !skipped && meta.as_ref().is_some_and(|m| m.is_dir()) {
            let mut inner = name.clone();
            inner.push("/");
            // A folder that cannot be listed counts as it is.
            let _ = read_into(&entry.path(), &inner, depth - 1, entries);
        }
        entries.push((name, size, meta.and_then(|m| m.modified().ok())));
    }
    Some(())
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

    #[test]
    fn changing_a_file_in_a_folder_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("2024-01-15-103000_users")).unwrap();
        std::fs::write(dir.path().join("2024-01-15-103000_users/up.sql"), "select 1;").unwrap();
        let before = DirectoryFingerprint::read(dir.path()).unwrap();
        std::fs::write(dir.path().join("2024-01-15-103000_users/up.sql"), "select 12;").unwrap();
        assert_ne!(before, DirectoryFingerprint::read(dir.path()).unwrap());
        // Flyway's folders at any depth.
        std::fs::create_dir_all(dir.path().join("release2/views")).unwrap();
        std::fs::write(dir.path().join("release2/views/R__v.sql"), "select 1;").unwrap();
        let deep = DirectoryFingerprint::read(dir.path()).unwrap();
        std::fs::write(dir.path().join("release2/views/R__v.sql"), "select 12;").unwrap();
        assert_ne!(deep, DirectoryFingerprint::read(dir.path()).unwrap());
    }
}
