//! `mongrate create` in another tool's layout: the files that tool's own command would write
//! (`migrate create -ext sql -seq`, `sqlx migrate add`, `dbmate new`, `diesel migration
//! generate`; Flyway has no such command), so the directory stays the tool's own.
//!
//! The names and contents were checked against golang-migrate 4.20, sqlx-cli 0.9, dbmate 2.28
//! and diesel_cli 2.3. Where a tool numbers by sorting file names as text (golang-migrate takes
//! `6_x` for the newest beside `10_x`), the newest version by number is followed instead.

use std::path::{Path, PathBuf};

use mongrate_core::discovery::is_script_companion;
use mongrate_core::layout::{Fits, Layout, detect};
use mongrate_core::name_shape::{FlywayKind, NameShape, file_shape, folder_shape};
use mongrate_core::timestamp::compact_utc;
use mongrate_core::{Error, Result, Version};

use super::CreatedMigration;

/// A migration already in the directory, as its name shows it.
#[derive(Debug, Clone)]
pub(super) struct Existing {
    shape: NameShape,
    /// The version as written in the name: `000007`, `2024-01-15-103000`.
    written: String,
}

/// The directory's layout (`configured`, else the one its files show) and its migrations of that
/// layout. A missing directory is empty.
pub(super) fn layout_of(dir: &Path, configured: Option<Layout>) -> Result<(Layout, Vec<Existing>)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((configured.unwrap_or_default(), Vec::new()));
        }
        Err(e) => return Err(Error::config(format!("cannot read {}: {e}", dir.display()))),
    };
    let mut found: Vec<(String, Existing, Fits)> = Vec::new();
    for entry in entries.filter_map(|entry| entry.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with('.') {
            continue;
        }
        let (shape, content) = if path.is_dir() {
            (folder_shape(&name), String::new())
        } else {
            let companion = name
                .rsplit_once('.')
                .is_some_and(|(stem, extension)| is_script_companion(stem, &extension.to_ascii_lowercase()));
            if companion {
                continue;
            }
            // An unreadable file still takes its version: it counts with no content.
            (file_shape(&name), std::fs::read_to_string(&path).unwrap_or_default())
        };
        // A name that fits no layout is not a migration to number after.
        let Some(Ok(shape)) = shape else { continue };
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_else(|| "sql".into());
        let fits = shape.fits(&extension, &content);
        let written = written_version(&shape, &name);
        found.push((name, Existing { shape, written }, fits));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let layout = match configured {
        Some(layout) => layout,
        None => {
            let fits: Vec<(String, Fits)> = found.iter().map(|(name, _, fits)| (name.clone(), *fits)).collect();
            detect(&fits).map_err(|mixed| {
                Error::config(format!("cannot tell which layout to write the new migration in: {mixed}"))
            })?
        }
    };
    let existing = found.into_iter().filter(|(_, _, fits)| fits.contains(layout)).map(|(_, e, _)| e).collect();
    Ok((layout, existing))
}

/// The version as the name writes it: the digits before the first `_` or `-`, a diesel
/// folder's date and time with their dashes (Flyway's are not needed).
fn written_version(shape: &NameShape, name: &str) -> String {
    let prefix = match shape {
        NameShape::DieselFolder { .. } => name.split('_').next(),
        NameShape::Flyway { .. } => None,
        _ => name.split(['_', '-']).next(),
    };
    prefix.unwrap_or_default().to_owned()
}

/// What to write: an optional folder, then files (relative to the directory) and their content.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Plan {
    /// The migration's name as its layout's listing shows it: the up file's, a diesel folder's.
    name: String,
    folder: Option<String>,
    files: Vec<(String, &'static str)>,
}

/// The files `layout`'s own command would write for a migration called `name` at `now_millis`.
pub(super) fn plan(layout: Layout, existing: &[Existing], name: &str, now_millis: i64) -> Result<Plan> {
    let word = file_word(name)?;
    let versions: Vec<Version> = existing.iter().filter_map(|e| version_of(&e.shape)).collect();
    let newest = existing.iter().filter(|e| version_of(&e.shape).is_some()).max_by_key(|e| version_of(&e.shape));
    let newest_number = versions.iter().max().and_then(Version::as_integer);
    let pair = |prefix: String, up: &'static str, down: &'static str| Plan {
        name: format!("{prefix}_{word}.up.sql"),
        folder: None,
        files: vec![(format!("{prefix}_{word}.up.sql"), up), (format!("{prefix}_{word}.down.sql"), down)],
    };
    let single = |prefix: String, body: &'static str| Plan {
        name: format!("{prefix}_{word}.sql"),
        folder: None,
        files: vec![(format!("{prefix}_{word}.sql"), body)],
    };
    Ok(match layout {
        Layout::Mongrate => return Err(Error::config("a mongrate migration is written by create_migration itself")),
        Layout::GolangMigrate => {
            let written = newest.map(|e| e.written.as_str()).unwrap_or_default();
            let prefix = if written.len() >= TIMESTAMP_DIGITS {
                next_timestamp(now_millis, newest_number)?.to_string()
            } else {
                // `-seq` pads to 6 digits; a directory padded to another width keeps its width.
                let width = if written.len() > 1 && written.starts_with('0') { written.len() } else { 6 };
                format!("{:0width$}", following(newest_number)?)
            };
            pair(prefix, "", "")
        }
        Layout::Sqlx => {
            let reversible = newest.is_some_and(|e| matches!(e.shape, NameShape::Pair { .. }));
            let prefix = match sqlx_sequence(&versions) {
                Some(next) => format!("{next:04}"),
                None => next_timestamp(now_millis, newest_number)?.to_string(),
            };
            if reversible {
                pair(prefix, "-- Add up migration script here\n", "-- Add down migration script here\n")
            } else {
                single(prefix, "-- Add migration script here\n")
            }
        }
        Layout::Dbmate => {
            single(next_timestamp(now_millis, newest_number)?.to_string(), "-- migrate:up\n\n\n-- migrate:down\n\n")
        }
        Layout::Flyway => {
            let first = versions.iter().filter(|v| !v.is_repeatable()).max().map(first_number).transpose()?;
            let next = first.map_or(Ok(1), |n| n.checked_add(1).ok_or_else(no_next_version))?;
            single_flyway(next, &word)
        }
        Layout::Diesel => {
            // diesel 2.3 writes `YYYY-MM-DD-HHMMSS-NNNN` (a counter for one second); a directory
            // of the older `YYYY-MM-DD-HHMMSS` folders keeps that form, so both order alike.
            let short = newest.is_some_and(|e| e.written.matches('-').count() == 3);
            // The newest folder's digits as written: a counter folder's version has two parts.
            let newest_digits = newest
                .and_then(|e| e.written.chars().filter(char::is_ascii_digit).collect::<String>().parse::<i64>().ok());
            let version = if short {
                next_timestamp(now_millis, newest_digits)?
            } else {
                let now = compact_utc(now_millis).parse::<i64>().map_err(|_| no_next_version())? * 10_000;
                match newest_digits {
                    Some(newest) if newest >= now => newest.checked_add(1).ok_or_else(no_next_version)?,
                    _ => now,
                }
            };
            let folder = format!("{}_{word}", diesel_version(version));
            Plan {
                name: folder.clone(),
                files: vec![
                    (format!("{folder}/up.sql"), "-- Your SQL goes here\n"),
                    (format!("{folder}/down.sql"), "-- This file should undo anything in `up.sql`\n"),
                ],
                folder: Some(folder),
            }
        }
    })
}

/// Digits in a `YYYYMMDDHHMMSS` version.
const TIMESTAMP_DIGITS: usize = 14;

fn single_flyway(next: u64, word: &str) -> Plan {
    let file = format!("V{next}__{word}.sql");
    Plan { name: file.clone(), folder: None, files: vec![(file, "-- Add migration script here\n")] }
}

/// The version a file's name carries; a repeatable and an undo file give none of their own.
fn version_of(shape: &NameShape) -> Option<Version> {
    match shape {
        NameShape::Single { version, .. }
        | NameShape::Pair { version, .. }
        | NameShape::DieselFolder { version, .. } => Some(version.clone()),
        NameShape::Flyway { kind: FlywayKind::Versioned, version, .. } => version.clone(),
        NameShape::Flyway { .. } => None,
    }
}

/// sqlx's rule (`sqlx migrate add --help`): sequential numbering when the newest two migrations'
/// versions differ by exactly one, or the only one is 0 or 1; `None` for a timestamp.
fn sqlx_sequence(versions: &[Version]) -> Option<i64> {
    let mut numbers: Vec<i64> = versions.iter().filter_map(Version::as_integer).collect();
    numbers.sort_unstable();
    numbers.dedup();
    match numbers.as_slice() {
        [latest @ (0 | 1)] => Some(latest + 1),
        [.., previous, latest] if latest - previous == 1 => latest.checked_add(1),
        _ => None,
    }
}

/// The number after the newest (1 in an empty directory).
fn following(newest: Option<i64>) -> Result<i64> {
    newest.map_or(Ok(1), |n| n.checked_add(1).ok_or_else(no_next_version))
}

/// `YYYYMMDDHHMMSS` now in UTC, or the newest version plus one when that is not newer (two
/// migrations in one second, a clock behind).
fn next_timestamp(now_millis: i64, newest: Option<i64>) -> Result<i64> {
    let now = compact_utc(now_millis).parse::<i64>().map_err(|_| no_next_version())?;
    match newest {
        Some(newest) if newest >= now => newest.checked_add(1).ok_or_else(no_next_version),
        _ => Ok(now),
    }
}

/// `20240115103000` → `2024-01-15-103000`; 18 digits also get the counter: `…-103000-0001`.
fn diesel_version(version: i64) -> String {
    let digits = format!("{version:014}");
    let (date, counter) = digits.split_at(TIMESTAMP_DIGITS.min(digits.len()));
    let mut text = format!("{}-{}-{}-{}", &date[..4], &date[4..6], &date[6..8], &date[8..]);
    if !counter.is_empty() {
        text.push('-');
        text.push_str(counter);
    }
    text
}

/// The first number of a version: `2024` of `2024.01.15.1`.
fn first_number(version: &Version) -> Result<u64> {
    let key = version.key_text();
    key.split('.').next().and_then(|n| n.parse().ok()).ok_or_else(no_next_version)
}

fn no_next_version() -> Error {
    Error::config("the newest migration has the largest version there is: no version can follow it")
}

/// `Add user index!` → `Add_user_index`: letters and digits as typed (the tools keep the case),
/// anything else one `_`, as `sqlx migrate add` does with spaces.
fn file_word(name: &str) -> Result<String> {
    let mut word = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() && !word.ends_with('_') {
            word.push('_');
        }
    }
    let word = word.trim_end_matches('_').to_owned();
    if word.is_empty() {
        return Err(Error::config(format!(
            "'{name}' gives an empty file name: use letters or digits, e.g. mongrate create add_user_index"
        )));
    }
    Ok(word)
}

/// Writes the plan's folder and files into `dir`, never over an existing one; on failure what
/// was written is removed again.
pub(super) fn write(dir: &Path, plan: Plan) -> Result<CreatedMigration> {
    std::fs::create_dir_all(dir).map_err(|e| Error::config(format!("cannot create {}: {e}", dir.display())))?;
    let already = |path: &Path| {
        Error::refused(format!("{} already exists; wait a second or choose another name", path.display()))
    };
    if let Some(folder) = &plan.folder {
        let path = dir.join(folder);
        std::fs::create_dir(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => already(&path),
            _ => Error::config(format!("cannot create {}: {e}", path.display())),
        })?;
    }
    let mut written: Vec<PathBuf> = Vec::new();
    for (file, body) in &plan.files {
        let path = dir.join(file);
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut out| std::io::Write::write_all(&mut out, body.as_bytes()));
        if let Err(e) = result {
            for done in &written {
                let _ = std::fs::remove_file(done);
            }
            if let Some(folder) = &plan.folder {
                let _ = std::fs::remove_dir(dir.join(folder));
            }
            return Err(match e.kind() {
                std::io::ErrorKind::AlreadyExists => already(&path),
                _ => Error::config(format!("cannot write {}: {e}", path.display())),
            });
        }
        written.push(path);
    }
    Ok(CreatedMigration { file: written[0].clone(), name: plan.name, files: written })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-22 09:30:00.250 UTC.
    const NOW: i64 = 1_795_339_800_250;

    fn existing(names: &[&str]) -> Vec<Existing> {
        names
            .iter()
            .map(|name| {
                let shape = if name.ends_with(".sql") { file_shape(name) } else { folder_shape(name) };
                let shape = shape.unwrap().unwrap();
                Existing { written: written_version(&shape, name), shape }
            })
            .collect()
    }

    fn files(layout: Layout, names: &[&str], name: &str) -> Vec<String> {
        plan(layout, &existing(names), name, NOW).unwrap().files.into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn golang_migrate_numbers_by_value_and_keeps_timestamps() {
        assert_eq!(files(Layout::GolangMigrate, &[], "add x"), ["000001_add_x.up.sql", "000001_add_x.down.sql"]);
        // Not 7, as `migrate create -seq` would take from sorting `6_vacuum` after `10_…`.
        let unpadded = ["1_a.up.sql", "6_vacuum.up.sql", "10_b.up.sql", "10_b.down.sql"];
        assert_eq!(files(Layout::GolangMigrate, &unpadded, "c")[0], "000011_c.up.sql");
        assert_eq!(files(Layout::GolangMigrate, &["0007_a.up.sql"], "c")[0], "0008_c.up.sql");
        let stamped = ["20240101000001_a.up.sql", "20240101000001_a.down.sql"];
        assert_eq!(files(Layout::GolangMigrate, &stamped, "c")[0], "20261122093000_c.up.sql");
        let future = ["20300101000000_a.up.sql"];
        assert_eq!(files(Layout::GolangMigrate, &future, "c")[0], "20300101000001_c.up.sql");
    }

    #[test]
    fn sqlx_follows_its_sequence_rule_and_the_newest_files_kind() {
        assert_eq!(files(Layout::Sqlx, &["1_a.sql", "2_b.sql", "3_c.sql"], "Add Thing"), ["0004_Add_Thing.sql"]);
        assert_eq!(files(Layout::Sqlx, &["1_a.sql"], "d"), ["0002_d.sql"]);
        assert_eq!(files(Layout::Sqlx, &[], "d"), ["20261122093000_d.sql"]);
        assert_eq!(files(Layout::Sqlx, &["5_a.sql", "7_b.sql"], "d"), ["20261122093000_d.sql"]);
        let reversible = ["20240101000001_a.up.sql", "20240101000001_a.down.sql", "20240101000009_b.up.sql"];
        assert_eq!(files(Layout::Sqlx, &reversible, "d"), ["20261122093000_d.up.sql", "20261122093000_d.down.sql"]);
        let planned = plan(Layout::Sqlx, &existing(&reversible), "d", NOW).unwrap();
        assert_eq!(planned.files[0].1, "-- Add up migration script here\n");
    }

    #[test]
    fn dbmate_writes_both_sections() {
        let planned = plan(Layout::Dbmate, &existing(&["20240101000004_x.sql"]), "add posts", NOW).unwrap();
        assert_eq!(
            planned.files,
            [("20261122093000_add_posts.sql".to_owned(), "-- migrate:up\n\n\n-- migrate:down\n\n")]
        );
    }

    #[test]
    fn flyway_takes_the_first_number_after_the_newest_version() {
        let names = ["V1__a.sql", "V1.10__b.sql", "V2__c.sql", "U2__c.sql", "R__views.sql"];
        assert_eq!(files(Layout::Flyway, &names, "add email"), ["V3__add_email.sql"]);
        assert_eq!(files(Layout::Flyway, &["V1.2__a.sql", "V2024.01.15.1__b.sql"], "x"), ["V2025__x.sql"]);
        assert_eq!(files(Layout::Flyway, &["R__views.sql"], "x"), ["V1__x.sql"]);
    }

    #[test]
    fn diesel_keeps_the_directorys_folder_form() {
        let old = ["00000000000000_diesel_initial_setup", "2024-01-15-103000_create_users"];
        assert_eq!(
            files(Layout::Diesel, &old, "add posts"),
            ["2026-11-22-093000_add_posts/up.sql", "2026-11-22-093000_add_posts/down.sql"]
        );
        let planned = plan(Layout::Diesel, &existing(&["00000000000000_diesel_initial_setup"]), "x", NOW).unwrap();
        assert_eq!(planned.folder.as_deref(), Some("2026-11-22-093000-0000_x"));
        let same_second = ["2026-11-22-093000-0000_x"];
        assert_eq!(files(Layout::Diesel, &same_second, "y")[0], "2026-11-22-093000-0001_y/up.sql");
    }

    #[test]
    fn names_keep_letters_and_digits() {
        assert_eq!(file_word("Add user index!").unwrap(), "Add_user_index");
        assert_eq!(file_word("  add--email ").unwrap(), "add_email");
        assert!(file_word("!!").unwrap_err().message.contains("empty file name"));
    }
}
