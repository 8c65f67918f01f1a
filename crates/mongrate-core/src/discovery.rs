//! Finding migration files in a directory.

use std::collections::BTreeMap;
use std::path::Path;

use crate::checksum::checksum;
use crate::error::{Error, Result};
use crate::migration::MigrationFile;
use crate::version::Version;

/// Extensions mongrate reads as migrations; other files (READMEs, helpers) are left alone.
pub const MIGRATION_EXTENSIONS: &[&str] = &["sql", "js", "mjs", "cjs", "ts", "mts", "cts", "yaml", "yml", "json"];

/// Reads every migration file in `dir`, sorted by version; any problem with a file is an error
/// that lists them all.
pub fn discover(dir: &Path) -> Result<Vec<MigrationFile>> {
    let (files, problems) = scan(dir)?;
    if !problems.is_empty() {
        return Err(Error::validation(problems.join("\n")));
    }
    Ok(files)
}

/// Reads the migration files in `dir`, sorted by version, and describes every file that could
/// not be read as a migration (a name without a version, two files with one version, unreadable
/// or non-UTF-8 content), so that one run shows all problems. Only an unreadable directory is an
/// error.
pub fn scan(dir: &Path) -> Result<(Vec<MigrationFile>, Vec<String>)> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::config(format!(
            "cannot read the migrations directory {}: {e}. Create it (mongrate init) or point --migrations-dir at it.",
            dir.display()
        ))
    })?;
    let mut problems = Vec::new();
    let mut by_version: BTreeMap<Version, MigrationFile> = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::config(format!("cannot list {}: {e}", dir.display())))?;
        let path = entry.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        // The directory entry's type needs no extra system call; a symlink is followed.
        let is_file = match entry.file_type() {
            Ok(kind) if kind.is_symlink() => path.is_file(),
            Ok(kind) => kind.is_file(),
            Err(_) => false,
        };
        if file_name.starts_with('.') || !is_file {
            continue;
        }
        let Some((stem, extension)) = file_name.rsplit_once('.') else {
            continue;
        };
        let extension = extension.to_ascii_lowercase();
        if !MIGRATION_EXTENSIONS.contains(&extension.as_str()) || is_script_companion(stem, &extension) {
            continue;
        }
        let (version, slug) = match Version::from_file_stem(stem) {
            Ok(found) => found,
            Err(why) => {
                problems.push(format!(
                    "{}: {why}. Migration files are named <version>-<name>.{extension}, e.g. 20261122093000-add-index.{extension}; rename it or move it out of the migrations directory.",
                    path.display()
                ));
                continue;
            }
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                problems.push(format!("{}: cannot read: {e}", path.display()));
                continue;
            }
        };
        let content = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                problems.push(format!("{}: not UTF-8 text", path.display()));
                continue;
            }
        };
        let file = MigrationFile {
            version,
            slug: slug.to_owned(),
            extension,
            checksum: checksum(content.as_bytes()),
            content,
            file_name,
            path,
        };
        if let Some(existing) = by_version.get(&version) {
            let (first, second) = ordered(&existing.file_name, &file.file_name);
            problems.push(format!(
                "version {version} is used by two files: {first} and {second} in {}; give one of them a new version",
                dir.display()
            ));
            continue;
        }
        by_version.insert(version, file);
    }
    problems.sort();
    Ok((by_version.into_values().collect(), problems))
}

/// A script that lives beside the migrations without being one: a test (`001_x.test.ts`,
/// `x.spec.js`) or a helper module without a version (`runner.ts`, `db.js`) that migrations
/// import, as seed 004's layout keeps them. Files of the other formats must be migrations.
pub fn is_script_companion(stem: &str, extension: &str) -> bool {
    const SCRIPT: &[&str] = &["js", "mjs", "cjs", "ts", "mts", "cts"];
    if !SCRIPT.contains(&extension) {
        return false;
    }
    let is_test = [".test", ".spec"].iter().any(|suffix| stem.to_ascii_lowercase().ends_with(suffix));
    is_test || !stem.starts_with(|c: char| c.is_ascii_digit())
}

fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) {
        std::fs::write(dir.join(name), body).unwrap();
    }

    #[test]
    fn finds_sorted_migrations_and_skips_other_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "10_b.sql", "b");
        write(dir.path(), "9_a.sql", "a");
        write(dir.path(), "2024-01-15T10-30-00_c.sql", "c");
        write(dir.path(), "README.md", "notes");
        write(dir.path(), ".hidden.sql", "x");
        let files = discover(dir.path()).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.file_name.as_str()).collect();
        assert_eq!(names, ["9_a.sql", "10_b.sql", "2024-01-15T10-30-00_c.sql"]);
        assert_eq!(files[0].slug, "a");
        assert_eq!(files[2].version, Version(20240115103000));
    }

    #[test]
    fn tests_and_helper_modules_beside_script_migrations_are_not_migrations() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "001_add_preferences.ts", "export const migration = {};");
        write(dir.path(), "001_add_preferences.test.ts", "test('x', () => {});");
        write(dir.path(), "002_b.spec.js", "");
        write(dir.path(), "runner.ts", "export {};");
        write(dir.path(), "connection.js", "module.exports = {};");
        let names: Vec<_> = discover(dir.path()).unwrap().into_iter().map(|f| f.file_name).collect();
        assert_eq!(names, ["001_add_preferences.ts"]);
        // A SQL or YAML file without a version is still a mistake to point out.
        write(dir.path(), "add-index.sql", "-- mongrate:up\nSELECT 1;");
        let err = discover(dir.path()).unwrap_err();
        assert!(
            err.message.contains("add-index.sql: the name does not start with a version number"),
            "{}",
            err.message
        );
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "001_a.sql", "a");
        write(dir.path(), "1_b.sql", "b");
        let err = discover(dir.path()).unwrap_err();
        assert!(err.message.contains("001_a.sql and 1_b.sql"), "{}", err.message);
    }

    #[test]
    fn unversioned_migration_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "init.sql", "a");
        let err = discover(dir.path()).unwrap_err();
        assert!(err.message.contains("init.sql"), "{}", err.message);
        assert_eq!(err.kind, crate::ErrorKind::Validation);
    }

    #[test]
    fn missing_directory_is_a_config_error() {
        let err = discover(Path::new("/nonexistent/mongrate")).unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::Config);
    }
}
