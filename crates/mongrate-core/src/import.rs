//! Adopting another tool's changelog (migrate-mongo's, golang-migrate's, sqlx's, dbmate's,
//! Flyway's, diesel's): which of the migrations it applied become mongrate records, so nothing
//! applied is applied again, and which it left failed. Every tool's entries go through
//! [`import_applied`]; the readers of each tool's table only say what the table holds. Pure; the
//! caller writes the edits under the lease.

mod foreign_checksum;

use std::collections::BTreeSet;

pub use foreign_checksum::{ForeignChecksum, flyway_checksum};

use crate::error::{Error, Result};
use crate::host::AppliedBy;
use crate::maintenance::{Edit, completed_record, history};
use crate::migration::Migration;
use crate::plan::next_batch;
use crate::record::{HistoryAction, HistoryOutcome, MigrationRecord, MigrationStatus};
use crate::timestamp::now_rfc3339;
use crate::version::Version;

/// What another tool's changelog says was applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignChangelog {
    /// One entry per migration the tool applied (or left failed), in the order it applied them.
    pub entries: Vec<ForeignEntry>,
    /// Every migration at or below this version is applied: golang-migrate keeps only its current
    /// version, and a Flyway baseline stands for the versions below it.
    pub up_to: Option<UpTo>,
    /// Rows of the tool's table that an import does not take, each with why.
    pub not_taken: Vec<String>,
}

impl ForeignChangelog {
    pub fn of_entries(entries: Vec<ForeignEntry>) -> ForeignChangelog {
        ForeignChangelog { entries, ..ForeignChangelog::default() }
    }
}

/// A version up to which everything is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpTo {
    /// As the tool wrote it.
    pub version: String,
    /// Set when the migration of exactly this version failed or was interrupted (golang-migrate's
    /// dirty flag): why, in words.
    pub failed: Option<String>,
}

/// One migration in the other tool's changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignEntry {
    /// The version as the tool wrote it (`20240101120000`, `1.2`); `None` when the tool keeps
    /// only a file name, which then gives the version (migrate-mongo).
    pub version: Option<String>,
    /// The name the tool recorded for the migration, when it keeps one.
    pub recorded: Option<RecordedName>,
    pub applied_at: Option<String>,
    /// migrate-mongo's `migrationBlock`: the migrations one `up` applied share it.
    pub block: Option<i64>,
    pub checksum: Option<ForeignChecksum>,
    /// Set when the tool recorded the migration as failed or unfinished: why, in words.
    pub failed: Option<String>,
}

impl ForeignEntry {
    /// An applied migration known by its version only.
    pub fn applied(version: impl Into<String>) -> ForeignEntry {
        ForeignEntry {
            version: Some(version.into()),
            recorded: None,
            applied_at: None,
            block: None,
            checksum: None,
            failed: None,
        }
    }

    /// How messages name it: its recorded name, else its version.
    pub fn label(&self) -> String {
        match (&self.recorded, &self.version) {
            (Some(RecordedName::File(name)), _) => name.clone(),
            (Some(RecordedName::Description(text)), Some(version)) => format!("{version} ({text})"),
            (_, Some(version)) => format!("version {version}"),
            (Some(RecordedName::Description(text)), None) => text.clone(),
            (None, None) => "an entry without a version".to_owned(),
        }
    }
}

/// What a tool remembers of a migration's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedName {
    /// The file name (migrate-mongo's `fileName`, Flyway's `script`).
    File(String),
    /// A description made from the file name (sqlx: `1_add_users.sql` → `add users`).
    Description(String),
}

/// A migration found under another name than the one the tool recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Renamed {
    pub version: Version,
    /// What the tool recorded.
    pub recorded: String,
    /// The file with that version now.
    pub file: String,
}

/// What an import does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub edits: Vec<Edit>,
    /// Already applied in mongrate's changelog: left as they are.
    pub already_applied: Vec<String>,
    /// In the other changelog but with no file of that version here (the tools do not show them
    /// as applied migrations either).
    pub without_file: Vec<String>,
    /// Imported, but the file changed since it was applied (its checksum differs).
    pub changed_since: Vec<String>,
    /// Repeatable migrations imported whose file changed since the tool last ran them: `up` runs
    /// them again.
    pub run_again: Vec<String>,
    /// Matched by version to a file whose name is not the recorded one.
    pub renamed: Vec<Renamed>,
    /// Failed or unfinished in the other tool: recorded as failed (their changes may be partly in
    /// the database), so `up` stops at them until someone decides. The versions, imported now or
    /// before.
    pub failed: Vec<Version>,
    /// Entries whose version mongrate does not read, with why.
    pub unreadable: Vec<String>,
    /// Rows the import does not take (the reader's [`ForeignChangelog::not_taken`]).
    pub not_taken: Vec<String>,
}

/// An entry matched to a migration of the directory.
struct Matched<'a> {
    migration: &'a Migration,
    entry: ForeignEntry,
}

/// Plans the import of `changelog`, whose tool is named `tool` in the records' history. Each of
/// migrate-mongo's blocks becomes one mongrate batch, in order, after the batches mongrate already
/// has; entries without a block share one batch after those.
pub fn import_applied(
    migrations: &[Migration],
    records: &[MigrationRecord],
    changelog: &ForeignChangelog,
    tool: &str,
    by: &AppliedBy,
) -> Result<ImportPlan> {
    let mut plan = ImportPlan { not_taken: changelog.not_taken.clone(), ..ImportPlan::default() };
    let matched = match_entries(migrations, changelog, &mut plan);
    let first_batch = next_batch(records)?;
    let blocks: Vec<i64> = matched.iter().filter_map(|m| m.entry.block).collect::<BTreeSet<_>>().into_iter().collect();
    // The last batch the import may give: when it fits, every other one does.
    if first_batch.checked_add(blocks.len() as i64).is_none() {
        return Err(Error::validation(format!(
            "the changelog's batch numbers reach {first_batch}: {} more do not fit; correct the batch column of the changelog",
            blocks.len() + 1
        )));
    }
    let batch_of = |entry: &ForeignEntry| match entry.block {
        Some(block) => first_batch + blocks.iter().position(|b| *b == block).unwrap_or(0) as i64,
        None => first_batch + blocks.len() as i64,
    };
    let now = now_rfc3339();
    for Matched { migration, entry } in matched {
        let version = migration.version();
        let file_name = &migration.file.file_name;
        if plan.edits.iter().any(|(r, _): &Edit| r.version == version) {
            continue;
        }
        let previous = records.iter().find(|r| r.version == version);
        if previous.is_some_and(|r| r.status == MigrationStatus::Completed) {
            plan.already_applied.push(file_name.clone());
            continue;
        }
        if let Some(why) = &entry.failed {
            plan.failed.push(version);
            // What mongrate knows of it already (its own failure, or an earlier import) stays.
            if previous.is_some_and(|r| r.status != MigrationStatus::Pending && r.status != MigrationStatus::RolledBack)
            {
                continue;
            }
            let record = MigrationRecord {
                status: MigrationStatus::Failed,
                applied_at: None,
                error: Some(why.clone()),
                partial: true,
                ..completed_record(migration, previous, batch_of(&entry), by, &now)
            };
            let mut entry = history(&record, HistoryAction::Import);
            entry.status = HistoryOutcome::Failed;
            entry.error = Some(format!("imported from {tool}: {why}"));
            plan.edits.push((record, entry));
            continue;
        }
        let mut record = MigrationRecord {
            status: MigrationStatus::Completed,
            applied_at: Some(entry.applied_at.clone().unwrap_or_else(|| now.clone())),
            ..completed_record(migration, previous, batch_of(&entry), by, &now)
        };
        if let Some(checksum) = entry.checksum.as_ref().filter(|checksum| !checksum.matches(&migration.file.content)) {
            if version.is_repeatable() {
                // The tool ran an older text of it: keep the tool's checksum, so the record does not
                // match the file and `up` runs it again, as the tool would.
                record.checksum = checksum.recorded_text();
                plan.run_again.push(file_name.clone());
            } else {
                plan.changed_since.push(file_name.clone());
            }
        }
        let history = history(&record, HistoryAction::Import);
        plan.edits.push((record, history));
    }
    Ok(plan)
}

/// Finds each entry's migration: by the recorded file name when a file has it, else by version
/// (a renamed file is noted); then everything at or below `up_to`. Entries that match nothing
/// are noted in the plan.
fn match_entries<'a>(
    migrations: &'a [Migration],
    changelog: &ForeignChangelog,
    plan: &mut ImportPlan,
) -> Vec<Matched<'a>> {
    let mut matched: Vec<Matched<'a>> = Vec::new();
    for entry in &changelog.entries {
        let by_name = match &entry.recorded {
            Some(RecordedName::File(name)) => migrations.iter().find(|m| m.file.file_name == *name),
            _ => None,
        };
        let migration = match by_name {
            Some(migration) => migration,
            None => {
                let version = match version_of(entry) {
                    Ok(Some(version)) => version,
                    Ok(None) => {
                        plan.without_file.push(entry.label());
                        continue;
                    }
                    Err(why) => {
                        plan.unreadable.push(format!("{}: {why}", entry.label()));
                        continue;
                    }
                };
                let Some(migration) = migrations.iter().find(|m| m.version() == version) else {
                    plan.without_file.push(entry.label());
                    continue;
                };
                if let Some(recorded) = renamed_from(entry.recorded.as_ref(), migration) {
                    plan.renamed.push(Renamed { version, recorded, file: migration.file.file_name.clone() });
                }
                migration
            }
        };
        matched.push(Matched { migration, entry: entry.clone() });
    }
    if let Some(up_to) = &changelog.up_to {
        let last = match Version::parse(&up_to.version) {
            Ok(version) => version,
            Err(why) => {
                plan.unreadable.push(format!("version {}: {why}", up_to.version));
                return matched;
            }
        };
        if !migrations.iter().any(|m| m.version() == last) {
            plan.without_file.push(format!("version {} (the current version)", up_to.version));
        }
        for migration in migrations.iter().filter(|m| m.version() <= last) {
            if matched.iter().any(|m| m.migration.version() == migration.version()) {
                continue;
            }
            let mut entry = ForeignEntry::applied(migration.version().to_string());
            if migration.version() == last {
                entry.failed = up_to.failed.clone();
            }
            matched.push(Matched { migration, entry });
        }
        matched.sort_by_key(|m| m.migration.version());
    }
    matched
}

/// The version an entry names: its own, else the one at the start of its recorded file name.
fn version_of(entry: &ForeignEntry) -> std::result::Result<Option<Version>, String> {
    if let Some(version) = &entry.version {
        return Version::parse(version).map(Some);
    }
    match &entry.recorded {
        Some(RecordedName::File(name)) => {
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem);
            Ok(Version::from_file_stem(stem).ok().map(|(version, _)| version))
        }
        _ => Ok(None),
    }
}

/// The recorded name, when the migration's file does not bear it.
fn renamed_from(recorded: Option<&RecordedName>, migration: &Migration) -> Option<String> {
    match recorded? {
        RecordedName::File(name) if *name != migration.file.file_name => Some(name.clone()),
        RecordedName::Description(text) if words(text) != words(&migration.file.slug) => Some(text.clone()),
        _ => None,
    }
}

/// `add_users`, `add-users` and `Add users` alike.
fn words(text: &str) -> String {
    text.split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{MigrationFile, MigrationMeta};

    fn migration(version: &str, file_name: &str, content: &str) -> Migration {
        let slug = file_name.split_once(['-', '_']).map_or("", |(_, rest)| rest);
        let slug = slug.rsplit_once('.').map_or(slug, |(stem, _)| stem);
        Migration {
            file: MigrationFile {
                version: Version::parse(version).unwrap(),
                file_name: file_name.to_owned(),
                slug: slug.to_owned(),
                extension: "js".to_owned(),
                path: file_name.into(),
                content: content.to_owned(),
                checksum: crate::checksum::checksum(content.as_bytes()),
                layout: Default::default(),
                down: None,
                settings: None,
            },
            meta: MigrationMeta {
                name: file_name.to_owned(),
                description: None,
                reversible: true,
                transactional: false,
                backup: Vec::new(),
                phase: Default::default(),
                repeatable: false,
            },
            load_error: None,
        }
    }

    fn file_entry(file_name: &str, block: i64, hash: Option<&str>) -> ForeignEntry {
        ForeignEntry {
            version: None,
            recorded: Some(RecordedName::File(file_name.to_owned())),
            applied_at: Some("2024-01-01T00:00:00.000Z".to_owned()),
            block: Some(block),
            checksum: hash.map(|h| ForeignChecksum::Sha256Hex(h.to_owned())),
            failed: None,
        }
    }

    fn sha256_hex(content: &[u8]) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect()
    }

    fn plan(migrations: &[Migration], records: &[MigrationRecord], changelog: &ForeignChangelog) -> ImportPlan {
        import_applied(migrations, records, changelog, "the tool", &AppliedBy::current()).unwrap()
    }

    fn versions(plan: &ImportPlan) -> Vec<(String, MigrationStatus)> {
        plan.edits.iter().map(|(r, _)| (r.version.to_string(), r.status)).collect()
    }

    #[test]
    fn blocks_become_batches_and_files_are_matched_by_name() {
        let migrations = [migration("1", "1-a.js", "a"), migration("2", "2-b.js", "b"), migration("3", "3-c.js", "c")];
        let entries = vec![
            file_entry("1-a.js", 1700, None),
            file_entry("2-b.js", 1700, None),
            file_entry("3-c.js", 1800, Some("beef")),
            file_entry("9-gone.js", 1800, None),
        ];
        let plan = plan(&migrations, &[], &ForeignChangelog::of_entries(entries));
        let batches: Vec<(String, i64)> = plan.edits.iter().map(|(r, _)| (r.version.to_string(), r.batch)).collect();
        assert_eq!(batches, vec![("1".into(), 1), ("2".into(), 1), ("3".into(), 2)]);
        assert_eq!(plan.edits[0].0.applied_at.as_deref(), Some("2024-01-01T00:00:00.000Z"));
        assert_eq!(plan.edits[0].1.action, HistoryAction::Import);
        assert_eq!(plan.without_file, vec!["9-gone.js".to_owned()]);
        assert_eq!(plan.changed_since, vec!["3-c.js".to_owned()], "its hash is not the file's");
        assert!(plan.renamed.is_empty());
    }

    #[test]
    fn what_mongrate_has_applied_stays() {
        let migrations = [migration("1", "1-a.js", "a")];
        let first = plan(
            &migrations,
            &[],
            &ForeignChangelog::of_entries(vec![file_entry("1-a.js", 5, Some(&sha256_hex(b"a")))]),
        );
        assert!(first.changed_since.is_empty(), "the same content has the same hash");
        let records: Vec<MigrationRecord> = first.edits.into_iter().map(|(r, _)| r).collect();
        let again = plan(&migrations, &records, &ForeignChangelog::of_entries(vec![file_entry("1-a.js", 5, None)]));
        assert!(again.edits.is_empty());
        assert_eq!(again.already_applied, vec!["1-a.js".to_owned()]);
    }

    #[test]
    fn a_renamed_file_is_matched_by_version_and_named() {
        let migrations = [migration("20240101", "20240101-a.cjs", "a")];
        let plan = plan(&migrations, &[], &ForeignChangelog::of_entries(vec![file_entry("20240101-a.js", 1, None)]));
        assert_eq!(versions(&plan), vec![("20240101".to_owned(), MigrationStatus::Completed)]);
        assert_eq!(
            plan.renamed,
            vec![Renamed {
                version: Version::parse("20240101").unwrap(),
                recorded: "20240101-a.js".into(),
                file: "20240101-a.cjs".into()
            }]
        );
    }

    #[test]
    fn descriptions_are_compared_as_words() {
        let migrations = [migration("1", "1_add_users.sql", "x"), migration("2", "2_add_orders.sql", "y")];
        let entry = |version: &str, text: &str| ForeignEntry {
            recorded: Some(RecordedName::Description(text.to_owned())),
            ..ForeignEntry::applied(version)
        };
        let plan = plan(
            &migrations,
            &[],
            &ForeignChangelog::of_entries(vec![entry("1", "add users"), entry("2", "create orders")]),
        );
        assert_eq!(plan.edits.len(), 2);
        assert_eq!(plan.renamed.len(), 1);
        assert_eq!(plan.renamed[0].recorded, "create orders");
    }

    #[test]
    fn up_to_applies_everything_at_or_below_it_and_a_dirty_version_is_failed() {
        let migrations = [
            migration("1", "1_a.sql", "a"),
            migration("2", "2_b.sql", "b"),
            migration("3", "3_c.sql", "c"),
            migration("4", "4_d.sql", "d"),
        ];
        let clean =
            ForeignChangelog { up_to: Some(UpTo { version: "2".into(), failed: None }), ..ForeignChangelog::default() };
        let applied = plan(&migrations, &[], &clean);
        assert_eq!(
            versions(&applied),
            vec![("1".into(), MigrationStatus::Completed), ("2".into(), MigrationStatus::Completed)]
        );
        assert!(applied.failed.is_empty() && applied.without_file.is_empty());

        let dirty = ForeignChangelog {
            up_to: Some(UpTo { version: "3".into(), failed: Some("left dirty".into()) }),
            ..ForeignChangelog::default()
        };
        let with_failure = plan(&migrations, &[], &dirty);
        assert_eq!(
            versions(&with_failure),
            vec![
                ("1".into(), MigrationStatus::Completed),
                ("2".into(), MigrationStatus::Completed),
                ("3".into(), MigrationStatus::Failed)
            ]
        );
        let (failed, history) = &with_failure.edits[2];
        assert!(failed.partial && failed.is_blocking(), "up stops at it until someone decides");
        assert_eq!(failed.applied_at, None);
        assert_eq!(failed.error.as_deref(), Some("left dirty"));
        assert_eq!(history.status, HistoryOutcome::Failed);
        assert_eq!(history.error.as_deref(), Some("imported from the tool: left dirty"));
        assert_eq!(with_failure.failed, vec![Version::parse("3").unwrap()]);

        // Imported again: nothing new, the failure still reported.
        let records: Vec<MigrationRecord> = with_failure.edits.into_iter().map(|(r, _)| r).collect();
        let again = plan(&migrations, &records, &dirty);
        assert!(again.edits.is_empty(), "{:?}", again.edits);
        assert_eq!(again.already_applied.len(), 2);
        assert_eq!(again.failed, vec![Version::parse("3").unwrap()]);

        // Resolved in the tool (forced to 3) and imported again: now applied.
        let forced =
            ForeignChangelog { up_to: Some(UpTo { version: "3".into(), failed: None }), ..ForeignChangelog::default() };
        let resolved = plan(&migrations, &records, &forced);
        assert_eq!(versions(&resolved), vec![("3".into(), MigrationStatus::Completed)]);
    }

    #[test]
    fn versions_without_files_and_unreadable_versions_are_reported() {
        let migrations = [migration("1", "1_a.sql", "a")];
        let changelog = ForeignChangelog {
            entries: vec![ForeignEntry::applied("7"), ForeignEntry::applied("1.x")],
            up_to: None,
            not_taken: vec!["R__views.sql: repeatable".into()],
        };
        let plan = plan(&migrations, &[], &changelog);
        assert!(plan.edits.is_empty());
        assert_eq!(plan.without_file, vec!["version 7".to_owned()]);
        assert_eq!(plan.unreadable.len(), 1, "{:?}", plan.unreadable);
        assert!(plan.unreadable[0].starts_with("version 1.x: "), "{:?}", plan.unreadable);
        assert_eq!(plan.not_taken, changelog.not_taken);

        let missing_current =
            ForeignChangelog { up_to: Some(UpTo { version: "5".into(), failed: None }), ..ForeignChangelog::default() };
        let plan = super::import_applied(&migrations, &[], &missing_current, "x", &AppliedBy::current()).unwrap();
        assert_eq!(plan.without_file, vec!["version 5 (the current version)".to_owned()]);
        assert_eq!(plan.edits.len(), 1, "what is below it and has a file is applied");
    }

    #[test]
    fn a_repeatable_changed_since_the_tool_ran_it_is_imported_to_run_again() {
        let (same, changed) = ("CREATE VIEW a AS SELECT 1;\n", "CREATE VIEW b AS SELECT 2;\n");
        let migrations = [migration("R__a", "R__a.sql", same), migration("R__b", "R__b.sql", changed)];
        let entry = |key: &str, crc: i32| ForeignEntry {
            recorded: Some(RecordedName::File(format!("{key}.sql"))),
            checksum: Some(ForeignChecksum::FlywayCrc32(crc)),
            ..ForeignEntry::applied(key)
        };
        let plan = plan(
            &migrations,
            &[],
            &ForeignChangelog::of_entries(vec![entry("R__a", flyway_checksum(same)), entry("R__b", 7)]),
        );
        assert_eq!(
            versions(&plan),
            [("R__a".into(), MigrationStatus::Completed), ("R__b".into(), MigrationStatus::Completed)]
        );
        assert_eq!(plan.edits[0].0.checksum, migrations[0].file.checksum, "the same text: not run again");
        assert_eq!(plan.edits[1].0.checksum, "flyway-crc32:7", "what the tool ran, which is not the file");
        assert_eq!(plan.run_again, ["R__b.sql".to_owned()]);
        assert!(plan.changed_since.is_empty(), "a changed repeatable is not drift");
    }

    #[test]
    fn checksums_of_other_tools_tell_changed_files() {
        let content = "CREATE TABLE a(id int);\n";
        let migrations =
            [migration("1", "V1__a.sql", content), migration("2", "V2__b.sql", "CREATE TABLE b(id int);\n")];
        let entry = |version: &str, crc: i32| ForeignEntry {
            checksum: Some(ForeignChecksum::FlywayCrc32(crc)),
            ..ForeignEntry::applied(version)
        };
        let plan = plan(
            &migrations,
            &[],
            &ForeignChangelog::of_entries(vec![entry("1", flyway_checksum(content)), entry("2", 12345)]),
        );
        assert_eq!(plan.changed_since, vec!["V2__b.sql".to_owned()]);
        assert_eq!(plan.edits.len(), 2, "a changed file is imported all the same");
    }
}
