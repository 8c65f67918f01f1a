//! Listing the migrations directory: the files and folders of one folder, and every file below a
//! set of folders, any depth down (Flyway scans its locations recursively). Hidden entries are
//! left out; a name that is not UTF-8 is kept, shown with `�`, so that it can be reported rather
//! than skipped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One entry of a folder.
pub(super) struct Item {
    pub path: PathBuf,
    /// The name; with `�` for the bytes that are not UTF-8 when `utf8` is false.
    pub name: String,
    pub utf8: bool,
    pub is_file: bool,
    pub is_dir: bool,
}

/// The entries of `dir`, hidden ones (`.git`, `.DS_Store`) left out.
pub(super) fn items(dir: &Path) -> std::io::Result<Vec<Item>> {
    let mut items = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let raw = entry.file_name();
        let (name, utf8) = match raw.to_str() {
            Some(name) => (name.to_owned(), true),
            None => (raw.to_string_lossy().into_owned(), false),
        };
        if name.starts_with('.') {
            continue;
        }
        // The directory entry's type needs no extra system call; a symlink is followed.
        let (is_file, is_dir) = match entry.file_type() {
            Ok(kind) if kind.is_symlink() => (path.is_file(), path.is_dir()),
            Ok(kind) => (kind.is_file(), kind.is_dir()),
            Err(_) => (false, false),
        };
        items.push(Item { path, name, utf8, is_file, is_dir });
    }
    Ok(items)
}

/// Every file in `folders` and in their folders, any depth down; a folder that cannot be listed is
/// a problem naming it. A folder reached twice (through a symbolic link) is listed once.
pub(super) fn files_below(folders: &[PathBuf], problems: &mut Vec<String>) -> Vec<Item> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    let mut pending: Vec<PathBuf> = folders.to_vec();
    while let Some(folder) = pending.pop() {
        // A link back up the tree would otherwise be walked for ever.
        if !seen.insert(std::fs::canonicalize(&folder).unwrap_or_else(|_| folder.clone())) {
            continue;
        }
        match items(&folder) {
            Ok(items) => {
                for item in items {
                    if item.is_dir {
                        pending.push(item.path);
                    } else if item.is_file {
                        files.push(item);
                    }
                }
            }
            Err(e) => problems.push(format!(
                "{}: cannot read this folder of the migrations directory: {e}; make it readable or move it out",
                folder.display()
            )),
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_found_any_depth_down_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b/c")).unwrap();
        std::fs::create_dir_all(root.join(".hidden")).unwrap();
        std::fs::write(root.join("a/one.sql"), "").unwrap();
        std::fs::write(root.join("a/b/c/two.sql"), "").unwrap();
        std::fs::write(root.join(".hidden/three.sql"), "").unwrap();
        std::fs::write(root.join("a/.four.sql"), "").unwrap();
        // A link back up: walked once, not for ever.
        std::os::unix::fs::symlink(root.join("a"), root.join("a/b/up")).unwrap();
        let mut problems = Vec::new();
        let mut names: Vec<String> = files_below(&[root.join("a"), root.join(".hidden")], &mut problems)
            .into_iter()
            .map(|item| item.path.strip_prefix(root).unwrap().display().to_string())
            .collect();
        names.sort();
        // `.hidden` was passed in, so it is read; hidden entries inside a folder are not.
        assert_eq!(names, [".hidden/three.sql", "a/b/c/two.sql", "a/one.sql"]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_name_that_is_not_utf8_is_kept_and_shown_lossily() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"V2__caf\xe9.sql");
        std::fs::write(dir.path().join(name), "SELECT 1;").unwrap();
        let items = items(dir.path()).unwrap();
        assert_eq!(items.len(), 1);
        assert!(!items[0].utf8 && items[0].is_file);
        assert_eq!(items[0].name, "V2__caf\u{fffd}.sql");
    }
}
