//! Finding migration files in a directory, in its layout (mongrate's own or another tool's; see
//! [`crate::layout`]): each migration read, its up and down files paired, and checksummed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checksum::checksum_with_down;
use crate::error::{Error, Result};
use crate::layout::{Fits, Layout, detect};
use crate::migration::{MigrationFile, SideFile};
use crate::name_shape::{FlywayKind, NameShape, file_shape, folder_shape};
use crate::version::Version;

mod listing;

pub use crate::name_shape::MIGRATION_EXTENSIONS;

/// Reads every migration in `dir`, sorted by version; any problem with a file is an error that
/// lists them all. `layout`: the configured layout, `None` to detect it from the files.
pub fn discover(dir: &Path, layout: Option<Layout>) -> Result<Vec<MigrationFile>> {
    let (files, problems) = scan(dir, layout)?;
    if !problems.is_empty() {
        return Err(Error::validation(problems.join("\n")));
    }
    Ok(files)
}

/// Reads the migrations in `dir`, sorted by version, and describes every file that could not be
/// read as a migration (a name without a version or not UTF-8, two files with one version, a down
/// file without its up file, unreadable or non-UTF-8 content, layouts mixed), so that one run
/// shows all problems. Only an unreadable directory is an error.
///
/// Folders are diesel migrations, except in Flyway's layout (configured, or detected from the
/// files), where the migrations of subfolders, any depth down, are read too, as Flyway reads them.
pub fn scan(dir: &Path, layout: Option<Layout>) -> Result<(Vec<MigrationFile>, Vec<String>)> {
    let items = listing::items(dir).map_err(|e| {
        Error::config(format!(
            "cannot read the migrations directory {}: {e}. Create it (mongrate init) or point --migrations-dir at it.",
            dir.display()
        ))
    })?;
    let mut top = Found::default();
    let mut subfolders = Vec::new();
    for item in items {
        if item.is_file {
            top.add_file(dir, item);
        } else if item.is_dir {
            match top.add_folder(item) {
                Ok(()) => {}
                Err(subfolder) => subfolders.push(subfolder),
            }
        }
    }
    // Flyway's subfolders: read when the layout is Flyway's, or may be (no file of the top level
    // says otherwise); they count when they hold a Flyway migration or the top level is Flyway's.
    let top_fits_flyway = top.entries.iter().all(|e| e.fits().contains(Layout::Flyway));
    let mut nested = Found::default();
    if layout.map_or(top_fits_flyway, |l| l == Layout::Flyway) {
        let folders: Vec<PathBuf> = subfolders.iter().map(|s| s.path.clone()).collect();
        for item in listing::files_below(&folders, &mut nested.problems) {
            nested.add_file(dir, item);
        }
    }
    let nested_count = layout == Some(Layout::Flyway)
        || (layout.is_none()
            && top_fits_flyway
            && (!top.entries.is_empty() || nested.entries.iter().any(|e| matches!(e.shape, NameShape::Flyway { .. }))));
    let Found { entries: mut found, mut misnamed, mut problems } = top;
    if nested_count {
        found.extend(nested.entries);
        misnamed.extend(nested.misnamed);
        problems.extend(nested.problems);
    }
    found.sort_by(|a, b| a.shown.cmp(&b.shown));
    let fits: Vec<(String, Fits)> = found.iter().map(|e| (e.shown.clone(), e.fits())).collect();
    let layout = match layout {
        Some(layout) => {
            for (entry, (_, fits)) in found.iter().zip(&fits) {
                if !fits.contains(layout) {
                    problems.push(format!(
                        "{}: a {} migration, but the layout is {layout} (`layout` in mongrate.toml); move it out of the migrations directory",
                        entry.path.display(),
                        fits.describe()
                    ));
                }
            }
            layout
        }
        None => match detect(&fits) {
            Ok(layout) => layout,
            Err(mixed) => {
                problems.push(format!("{}: {mixed}", dir.display()));
                problems.extend(misnamed.iter().map(|(path, why)| misnamed_problem(path, why, Layout::Mongrate)));
                if !nested_count {
                    problems.extend(subfolders.iter().filter_map(|s| s.problem(Layout::Mongrate)));
                }
                problems.sort();
                return Ok((Vec::new(), problems));
            }
        },
    };
    // In Flyway's layout a folder is only a folder: no diesel migration is missing its up.sql.
    if layout != Layout::Flyway {
        problems.extend(subfolders.iter().filter_map(|s| s.problem(layout)));
    }
    problems.extend(misnamed.iter().map(|(path, why)| misnamed_problem(path, why, layout)));
    let found: Vec<Entry> =
        found.into_iter().zip(&fits).filter(|(_, (_, fits))| fits.contains(layout)).map(|(e, _)| e).collect();
    let files = assemble(dir, layout, found, &mut problems);
    problems.sort();
    Ok((files, problems))
}

/// Why a name that is not UTF-8 is refused: the changelog records names as text.
const NOT_UTF8: &str = "the name is not valid UTF-8 (shown here with \u{fffd} for the bytes that are not)";

/// The entries read so far, the names that fit no layout and the files that could not be read.
#[derive(Default)]
struct Found {
    entries: Vec<Entry>,
    misnamed: Vec<(PathBuf, String)>,
    problems: Vec<String>,
}

impl Found {
    /// A file of the directory or of one of its folders (shown by its path from `dir`).
    fn add_file(&mut self, dir: &Path, item: listing::Item) {
        if is_companion_file(&item.name) {
            return;
        }
        match file_shape(&item.name) {
            None => {}
            Some(_) if !item.utf8 => self.misnamed.push((item.path, NOT_UTF8.into())),
            Some(Err(why)) => self.misnamed.push((item.path, why)),
            Some(Ok(shape)) => {
                let shown = item.path.strip_prefix(dir).unwrap_or(&item.path).to_string_lossy().into_owned();
                match read_entry(&item.path, item.name, shown, shape) {
                    Ok(entry) => self.entries.push(entry),
                    Err(problem) => self.problems.push(problem),
                }
            }
        }
    }

    /// A folder of the directory: a diesel migration when it has the name and the `up.sql` of one;
    /// any other folder is handed back.
    fn add_folder(&mut self, item: listing::Item) -> std::result::Result<(), Subfolder> {
        let diesel = match folder_shape(&item.name) {
            None => None,
            Some(_) if !item.utf8 => Some(Err(NOT_UTF8.to_owned())),
            Some(Err(why)) => Some(Err(why)),
            Some(Ok(shape)) if item.path.join("up.sql").is_file() => {
                let shown = item.name.clone();
                match read_entry(&item.path, item.name, shown, shape) {
                    Ok(entry) => self.entries.push(entry),
                    Err(problem) => self.problems.push(problem),
                }
                return Ok(());
            }
            Some(Ok(_)) => Some(Ok(())),
        };
        Err(Subfolder { path: item.path, diesel })
    }
}

/// A folder of the migrations directory that is not a diesel migration.
struct Subfolder {
    path: PathBuf,
    /// Named like a diesel migration: `Ok` when it lacks only its `up.sql`, `Err` when the name is
    /// wrong (why).
    diesel: Option<std::result::Result<(), String>>,
}

impl Subfolder {
    /// What is wrong with it as a diesel migration, in the words of `layout`.
    fn problem(&self, layout: Layout) -> Option<String> {
        match self.diesel.as_ref()? {
            Ok(()) => Some(format!(
                "{}: a diesel migration folder without up.sql; add one, or move the folder out of the migrations directory",
                self.path.display()
            )),
            Err(why) => Some(misnamed_problem(&self.path, why, layout)),
        }
    }
}

/// Whether a file's name is that of a script companion (see [`is_script_companion`]).
fn is_companion_file(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(stem, extension)| is_script_companion(stem, &extension.to_ascii_lowercase()))
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

/// The problem with a name that fits no layout, in the words of the directory's layout.
fn misnamed_problem(path: &Path, why: &str, layout: Layout) -> String {
    let path = path.display();
    let extension = path.to_string().rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match layout {
        Layout::Mongrate => format!(
            "{path}: {why}. Migration files are named <version>-<name>.{extension}, e.g. 20261122093000-add-index.{extension}; rename it or move it out of the migrations directory."
        ),
        Layout::Flyway => format!(
            "{path}: {why}. Flyway migrations are named V<version>__<name>.sql, U<version>__<name>.sql or R__<name>.sql; \
             mongrate runs no Flyway callbacks (beforeMigrate.sql, afterMigrate.sql, …): rename it or move it out of the migrations directory."
        ),
        other => format!(
            "{path}: {why}. A {other} migration is named {}; rename it or move it out of the migrations directory.",
            pattern(other)
        ),
    }
}

fn pattern(layout: Layout) -> &'static str {
    match layout {
        Layout::Mongrate => "<version>-<name>.sql",
        Layout::GolangMigrate => "<version>_<name>.up.sql with <version>_<name>.down.sql",
        Layout::Sqlx => "<version>_<name>.sql, or <version>_<name>.up.sql with <version>_<name>.down.sql",
        Layout::Dbmate => "<version>_<name>.sql",
        Layout::Flyway => "V<version>__<name>.sql",
        Layout::Diesel => "a folder <YYYY-MM-DD-HHMMSS>_<name> with up.sql and down.sql",
    }
}

/// One directory entry that is (part of) a migration, read.
struct Entry {
    name: String,
    /// The path from the migrations directory, as messages name the file: its name at the top
    /// level, `release2/V2__b.sql` in a folder.
    shown: String,
    path: PathBuf,
    shape: NameShape,
    extension: String,
    /// The file's text; a diesel folder's `up.sql`.
    content: String,
    /// A diesel folder's `down.sql`.
    down: Option<SideFile>,
    /// A diesel folder's `metadata.toml`, a Flyway file's `<name>.sql.conf`.
    settings: Option<SideFile>,
}

impl Entry {
    fn fits(&self) -> Fits {
        self.shape.fits(&self.extension, &self.content)
    }
}

/// Reads a file, or a diesel folder's files (it has an `up.sql`).
fn read_entry(path: &Path, name: String, shown: String, shape: NameShape) -> std::result::Result<Entry, String> {
    if let NameShape::DieselFolder { .. } = shape {
        let up = path.join("up.sql");
        return Ok(Entry {
            name,
            shown,
            shape,
            extension: "sql".into(),
            content: read_text(&up)?,
            down: read_side(&path.join("down.sql"))?,
            settings: read_side(&path.join("metadata.toml"))?,
            path: up,
        });
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let settings = match shape {
        NameShape::Flyway { .. } => read_side(&path.with_file_name(format!("{name}.conf")))?,
        _ => None,
    };
    Ok(Entry {
        content: read_text(path)?,
        path: path.to_path_buf(),
        name,
        shown,
        shape,
        extension,
        down: None,
        settings,
    })
}

fn read_text(path: &Path) -> std::result::Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))
}

/// A file beside a migration, when it exists.
fn read_side(path: &Path) -> std::result::Result<Option<SideFile>, String> {
    if !path.is_file() {
        return Ok(None);
    }
    Ok(Some(SideFile { path: path.to_path_buf(), content: read_text(path)? }))
}

/// Turns the entries of one layout into migrations, one per version: pairs an up file with its
/// down file, and names every file that has no place (two with one version, a down file alone).
fn assemble(dir: &Path, layout: Layout, entries: Vec<Entry>, problems: &mut Vec<String>) -> Vec<MigrationFile> {
    let mut ups: BTreeMap<Version, Entry> = BTreeMap::new();
    let mut downs: BTreeMap<Version, Entry> = BTreeMap::new();
    for entry in entries {
        let (version, down) = match &entry.shape {
            NameShape::Single { version, .. }
            | NameShape::DieselFolder { version, .. }
            | NameShape::Flyway { version: Some(version), .. } => (version.clone(), is_undo(&entry.shape)),
            NameShape::Pair { version, down, .. } => (version.clone(), *down),
            // A repeatable has no version: its name is its key.
            NameShape::Flyway { version: None, slug, .. } => (Version::repeatable(slug), false),
        };
        let slot = if down { &mut downs } else { &mut ups };
        if let Some(existing) = slot.get(&version) {
            let (first, second) = ordered(&existing.shown, &entry.shown);
            problems.push(format!(
                "version {version} is used by two files: {first} and {second} in {}; give one of them a new version",
                dir.display()
            ));
            continue;
        }
        slot.insert(version, entry);
    }
    let alone: Vec<Version> = downs.keys().filter(|v| !ups.contains_key(*v)).cloned().collect();
    for version in alone {
        if layout == Layout::GolangMigrate {
            // golang-migrate reads a missing up file as an empty one: the down file is a migration.
            if let Some(down) = downs.remove(&version) {
                let up = Entry {
                    content: String::new(),
                    down: Some(SideFile { path: down.path.clone(), content: down.content }),
                    ..down
                };
                ups.insert(version, up);
            }
        } else if let Some(down) = downs.get(&version) {
            problems.push(format!(
                "{}: a down file without an up file of version {version}; add the up file or remove this one",
                down.path.display()
            ));
        }
    }
    ups.into_iter()
        .map(|(version, up)| {
            let down = downs.remove(&version).map(|d| SideFile { path: d.path, content: d.content }).or(up.down);
            let slug = match up.shape {
                NameShape::Single { slug, .. }
                | NameShape::Pair { slug, .. }
                | NameShape::Flyway { slug, .. }
                | NameShape::DieselFolder { slug, .. } => slug,
            };
            MigrationFile {
                version,
                checksum: checksum_with_down(up.content.as_bytes(), down.as_ref().map(|d| d.content.as_bytes())),
                file_name: up.name,
                slug,
                extension: up.extension,
                path: up.path,
                content: up.content,
                layout,
                down,
                settings: up.settings,
            }
        })
        .collect()
}

fn is_undo(shape: &NameShape) -> bool {
    matches!(shape, NameShape::Flyway { kind: FlywayKind::Undo, .. })
}

fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) {
        if let Some(parent) = dir.join(name).parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(dir.join(name), body).unwrap();
    }

    fn names(files: &[MigrationFile]) -> Vec<&str> {
        files.iter().map(|f| f.file_name.as_str()).collect()
    }

    #[test]
    fn finds_sorted_migrations_and_skips_other_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "10_b.sql", "-- mongrate:up\nb");
        write(dir.path(), "9_a.sql", "-- mongrate:up\na");
        write(dir.path(), "2024-01-15T10-30-00_c.sql", "-- mongrate:up\nc");
        write(dir.path(), "README.md", "notes");
        write(dir.path(), ".hidden.sql", "x");
        write(dir.path(), "lib/helpers.js", "module.exports = {}");
        let files = discover(dir.path(), None).unwrap();
        assert_eq!(names(&files), ["9_a.sql", "10_b.sql", "2024-01-15T10-30-00_c.sql"]);
        assert_eq!(files[0].slug, "a");
        assert_eq!(files[2].version, Version::number(20240115103000));
        assert!(files.iter().all(|f| f.layout == Layout::Mongrate && f.down.is_none()));
    }

    #[test]
    fn tests_and_helper_modules_beside_script_migrations_are_not_migrations() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "001_add_preferences.ts", "export const migration = {};");
        write(dir.path(), "001_add_preferences.test.ts", "test('x', () => {});");
        write(dir.path(), "002_b.spec.js", "");
        write(dir.path(), "runner.ts", "export {};");
        write(dir.path(), "connection.js", "module.exports = {};");
        let names: Vec<_> = discover(dir.path(), None).unwrap().into_iter().map(|f| f.file_name).collect();
        assert_eq!(names, ["001_add_preferences.ts"]);
        // A SQL or YAML file without a version is still a mistake to point out.
        write(dir.path(), "add-index.sql", "-- mongrate:up\nSELECT 1;");
        let err = discover(dir.path(), None).unwrap_err();
        assert!(
            err.message.contains("add-index.sql: the name does not start with a version number"),
            "{}",
            err.message
        );
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "001_a.sql", "-- mongrate:up\na");
        write(dir.path(), "1_b.sql", "-- mongrate:up\nb");
        let err = discover(dir.path(), None).unwrap_err();
        assert!(err.message.contains("001_a.sql and 1_b.sql"), "{}", err.message);
    }

    #[test]
    fn unversioned_migration_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "init.sql", "a");
        let err = discover(dir.path(), None).unwrap_err();
        assert!(err.message.contains("init.sql"), "{}", err.message);
        assert_eq!(err.kind, crate::ErrorKind::Validation);
    }

    #[test]
    fn missing_directory_is_a_config_error() {
        let err = discover(Path::new("/nonexistent/mongrate"), None).unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::Config);
    }

    #[test]
    fn golang_migrate_pairs_are_one_migration_whose_checksum_covers_both() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1_create_users.up.sql", "CREATE TABLE users (id int);");
        write(dir.path(), "1_create_user_table.down.sql", "DROP TABLE users;");
        write(dir.path(), "2_seed.up.sql", "INSERT INTO users VALUES (1);");
        let files = discover(dir.path(), None).unwrap();
        assert_eq!(names(&files), ["1_create_users.up.sql", "2_seed.up.sql"]);
        assert_eq!(files[0].layout, Layout::GolangMigrate);
        assert_eq!(files[0].slug, "create_users");
        let down = files[0].down.as_ref().expect("the down file");
        assert_eq!(down.content, "DROP TABLE users;");
        assert_eq!(files[0].source(crate::plan::Direction::Down), down.path);
        assert_ne!(files[0].checksum, crate::checksum::checksum(b"CREATE TABLE users (id int);"));
        assert!(files[1].down.is_none());
        assert_eq!(files[1].checksum, crate::checksum::checksum(b"INSERT INTO users VALUES (1);"));
    }

    #[test]
    fn a_down_file_alone_is_named_except_by_golang_migrate_which_reads_an_empty_up() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1_a.up.sql", "SELECT 1;");
        write(dir.path(), "2_b.down.sql", "SELECT 2;");
        let err = discover(dir.path(), Some(Layout::Sqlx)).unwrap_err();
        assert!(err.message.contains("2_b.down.sql: a down file without an up file of version 2"), "{}", err.message);
        let files = discover(dir.path(), None).unwrap();
        assert_eq!(files[0].layout, Layout::GolangMigrate);
        assert_eq!((files[1].file_name.as_str(), files[1].content.as_str()), ("2_b.down.sql", ""));
        assert_eq!(files[1].down.as_ref().unwrap().content, "SELECT 2;");
    }

    #[test]
    fn sqlx_dbmate_flyway_and_diesel_are_detected() {
        let layout_of = |files: &[(&str, &str)]| {
            let dir = tempfile::tempdir().unwrap();
            for (name, body) in files {
                write(dir.path(), name, body);
            }
            discover(dir.path(), None).map(|found| (found[0].layout, found.len()))
        };
        assert_eq!(layout_of(&[("1_a.sql", "CREATE TABLE a (id int);")]), Ok((Layout::Sqlx, 1)));
        assert_eq!(
            layout_of(&[("1_a.sql", "SELECT 1;"), ("2_b.up.sql", "SELECT 2;"), ("2_b.down.sql", "")]),
            Ok((Layout::Sqlx, 2))
        );
        assert_eq!(layout_of(&[("20240101_a.sql", "-- migrate:up\nSELECT 1;\n")]), Ok((Layout::Dbmate, 1)));
        assert_eq!(
            layout_of(&[("V1__a.sql", "SELECT 1;"), ("U1__a.sql", "SELECT 2;"), ("V2__b.sql", "SELECT 3;")]),
            Ok((Layout::Flyway, 2))
        );
        assert_eq!(
            layout_of(&[
                ("2024-01-15-103000_create_users/up.sql", "CREATE TABLE users (id int);"),
                ("2024-01-15-103000_create_users/down.sql", "DROP TABLE users;"),
                ("00000000000000_diesel_initial_setup/up.sql", "SELECT 1;"),
            ]),
            Ok((Layout::Diesel, 2))
        );
    }

    #[test]
    fn a_diesel_folder_is_read_with_its_down_and_settings() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "2024-01-15-103000_index/up.sql", "CREATE INDEX CONCURRENTLY i ON t (x);");
        write(dir.path(), "2024-01-15-103000_index/down.sql", "-- This file should undo anything in `up.sql`");
        write(dir.path(), "2024-01-15-103000_index/metadata.toml", "run_in_transaction = false\n");
        let files = discover(dir.path(), None).unwrap();
        assert_eq!(files[0].version, Version::number(20240115103000));
        assert_eq!(files[0].file_name, "2024-01-15-103000_index");
        assert_eq!(files[0].slug, "index");
        assert!(files[0].path.ends_with("up.sql"));
        assert!(files[0].down.is_some());
        assert_eq!(files[0].settings.as_ref().unwrap().content, "run_in_transaction = false\n");
        write(dir.path(), "2024-02-01-000000_empty/notes.txt", "");
        let err = discover(dir.path(), None).unwrap_err();
        assert!(
            err.message.contains("2024-02-01-000000_empty: a diesel migration folder without up.sql"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_mixed_directory_is_an_error_naming_two_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1_a.up.sql", "SELECT 1;");
        write(dir.path(), "V2__b.sql", "SELECT 2;");
        let err = discover(dir.path(), None).unwrap_err();
        assert!(err.message.contains("mixes layouts"), "{}", err.message);
        assert!(err.message.contains("1_a.up.sql is a golang-migrate or sqlx migration"), "{}", err.message);
        assert!(err.message.contains("V2__b.sql a flyway one"), "{}", err.message);
    }

    #[test]
    fn a_configured_layout_names_the_files_that_do_not_fit() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1_a.up.sql", "SELECT 1;");
        write(dir.path(), "2_b.sql", "-- mongrate:up\nSELECT 2;");
        write(dir.path(), "notes.sql", "SELECT 3;");
        let (files, problems) = scan(dir.path(), Some(Layout::GolangMigrate)).unwrap();
        assert_eq!(names(&files), ["1_a.up.sql"]);
        assert!(
            problems.iter().any(|p| p.contains("2_b.sql: a mongrate migration, but the layout is golang-migrate")),
            "{problems:?}"
        );
        assert!(problems.iter().any(|p| p.contains("notes.sql") && p.contains(".up.sql")), "{problems:?}");
    }

    #[test]
    fn flyway_migrations_in_folders_are_read_any_depth_down() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "V1__a.sql", "CREATE TABLE a (id int);");
        write(dir.path(), "2024_q1/V2__b.sql", "CREATE TABLE b (id int);");
        write(dir.path(), "2024_q1/V2__b.sql.conf", "executeInTransaction=false\n");
        write(dir.path(), "2024_q1/undo/U2__b.sql", "DROP TABLE b;");
        write(dir.path(), "release/3/R__view.sql", "SELECT 1;");
        write(dir.path(), "docs/README.md", "notes");
        for layout in [None, Some(Layout::Flyway)] {
            let files = discover(dir.path(), layout).unwrap();
            // Named as Flyway's changelog names them at the end of `script`: by the file's name.
            assert_eq!(names(&files), ["V1__a.sql", "V2__b.sql", "R__view.sql"], "{layout:?}");
            assert!(files.iter().all(|f| f.layout == Layout::Flyway));
            assert_eq!(files[1].path, dir.path().join("2024_q1/V2__b.sql"));
            assert_eq!(files[1].down.as_ref().unwrap().path, dir.path().join("2024_q1/undo/U2__b.sql"));
            assert_eq!(files[1].settings.as_ref().unwrap().content, "executeInTransaction=false\n");
            assert!(files[2].version.is_repeatable());
        }
        // Only folders: still Flyway's layout.
        std::fs::remove_file(dir.path().join("V1__a.sql")).unwrap();
        assert_eq!(names(&discover(dir.path(), None).unwrap()), ["V2__b.sql", "R__view.sql"]);
    }

    #[test]
    fn two_flyway_files_of_one_version_in_different_folders_are_named_by_their_paths() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "V1__a.sql", "SELECT 1;");
        write(dir.path(), "one/V2__b.sql", "SELECT 2;");
        write(dir.path(), "two/V2__c.sql", "SELECT 3;");
        write(dir.path(), "two/R__v.sql", "SELECT 4;");
        write(dir.path(), "three/R__v.sql", "SELECT 5;");
        write(dir.path(), "three/beforeMigrate.sql", "SELECT 6;");
        let err = discover(dir.path(), None).unwrap_err();
        assert!(
            err.message.contains("version 2 is used by two files: one/V2__b.sql and two/V2__c.sql"),
            "{}",
            err.message
        );
        assert!(err.message.contains("three/R__v.sql and two/R__v.sql"), "{}", err.message);
        // A Flyway callback deep down is named, as at the top.
        assert!(
            err.message.contains("three/beforeMigrate.sql: ") && err.message.contains("callbacks"),
            "{}",
            err.message
        );
    }

    #[test]
    fn folders_of_other_layouts_are_not_searched_for_flyway_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "001_a.sql", "-- mongrate:up\nSELECT 1;");
        write(dir.path(), "archive/V1__old.sql", "SELECT 1;");
        assert_eq!(names(&discover(dir.path(), None).unwrap()), ["001_a.sql"]);
        // Nor a folder without a Flyway file beside nothing else.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "lib/1_x.up.sql", "SELECT 1;");
        assert!(discover(dir.path(), None).unwrap().is_empty());
        // In any layout but Flyway's, a folder named like a diesel migration needs its up.sql.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1_a.up.sql", "SELECT 1;");
        write(dir.path(), "2024_q1/V2__b.sql", "SELECT 2;");
        let err = discover(dir.path(), None).unwrap_err();
        assert!(err.message.contains("2024_q1: a diesel migration folder without up.sql"), "{}", err.message);
        // A configured Flyway layout reads the folder and names the file that is not Flyway's.
        let (files, problems) = scan(dir.path(), Some(Layout::Flyway)).unwrap();
        assert_eq!(names(&files), ["V2__b.sql"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("1_a.up.sql: a golang-migrate or sqlx migration, but the layout is flyway"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_name_that_is_not_utf8_is_a_problem_naming_it() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "V1__a.sql", "SELECT 1;");
        std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(b"V2__caf\xe9.sql")), "SELECT 2;").unwrap();
        // Not a migration's extension: not a migration, whatever its name.
        std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt")), "").unwrap();
        let (files, problems) = scan(dir.path(), None).unwrap();
        assert_eq!(names(&files), ["V1__a.sql"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("V2__caf\u{fffd}.sql: the name is not valid UTF-8"), "{problems:?}");
        assert!(problems[0].contains("rename it"), "{problems:?}");
        // In a folder of a Flyway project, and as a diesel folder's name.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub").join(std::ffi::OsStr::from_bytes(b"V3__\xff.sql")), "").unwrap();
        let (_, problems) = scan(dir.path(), None).unwrap();
        assert!(
            problems.iter().any(|p| p.contains("sub/V3__\u{fffd}.sql: the name is not valid UTF-8")),
            "{problems:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "2024-01-15-103000_a/up.sql", "SELECT 1;");
        std::fs::create_dir(dir.path().join(std::ffi::OsStr::from_bytes(b"2024-01-16-103000_\xe9"))).unwrap();
        let err = discover(dir.path(), None).unwrap_err();
        assert!(err.message.contains("2024-01-16-103000_\u{fffd}: the name is not valid UTF-8"), "{}", err.message);
    }
}
