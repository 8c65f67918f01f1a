//! Backups of collections (tables on SQL) taken before a migration runs: the policy from
//! `[backup]` in mongrate.toml, what is recorded of each backup, and the pure decisions about
//! them (names, which to prune, what a restore says). The copying is each target's.

use std::collections::BTreeMap;

use serde::Serialize;

use std::time::Instant;

use crate::error::{Error, Result};
use crate::execution::{FailureEffect, StepExecution, StepFailure};
use crate::host::AppliedBy;
use crate::record::{HistoryAction, HistoryEntry, HistoryOutcome};
use crate::timestamp::{compact_utc, now_rfc3339};
use crate::version::Version;

/// `[backup]` in mongrate.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupPolicy {
    /// Back up every collection a destructive declarative operation touches, without a `backup:`
    /// list in the file.
    pub auto: bool,
    /// Keep the newest N backups of each collection; older ones are dropped after a new one is
    /// taken. `None`: keep all.
    pub retain: Option<usize>,
}

/// How a backup was copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BackupMethod {
    /// On the server, by an aggregation ending in `$out`.
    #[serde(rename = "$out")]
    ServerSide,
    /// Read and written back in batches (servers without `$out`, such as FerretDB).
    Streamed,
    /// `CREATE TABLE … (LIKE … INCLUDING ALL)` and `INSERT … SELECT`.
    SqlCopy,
    /// The collection did not exist: restoring it drops what the migration created.
    Absent,
}

impl BackupMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupMethod::ServerSide => "$out",
            BackupMethod::Streamed => "streamed",
            BackupMethod::SqlCopy => "sql-copy",
            BackupMethod::Absent => "absent",
        }
    }

    pub fn parse(text: &str) -> BackupMethod {
        match text {
            "$out" => BackupMethod::ServerSide,
            "sql-copy" => BackupMethod::SqlCopy,
            "absent" => BackupMethod::Absent,
            _ => BackupMethod::Streamed,
        }
    }
}

/// One backup, as `mongrate_backups` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupInfo {
    /// The backup's own collection (table).
    pub name: String,
    /// The collection (table) it is a copy of.
    pub collection: String,
    /// The migration it was taken for; `None` for `backup create`.
    pub version: Option<String>,
    pub migration: Option<String>,
    /// RFC 3339 with milliseconds, so that the text orders as the time.
    pub created_at: String,
    pub documents: u64,
    /// Bytes of data (BSON on MongoDB), where the server says.
    pub size_bytes: Option<u64>,
    pub method: BackupMethod,
    /// When it was last restored.
    pub restored_at: Option<String>,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub backup: String,
    /// The collection (table) written.
    pub collection: String,
    pub documents: u64,
}

/// What a dry-run says of a backup a run would take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBackup {
    pub collection: String,
    pub exists: bool,
    pub documents: u64,
    pub size_bytes: Option<u64>,
}

impl PlannedBackup {
    /// `backup users (1200 documents, 96.0 kB)`.
    pub fn summary(&self, unit: &str) -> String {
        if !self.exists {
            return format!("backup {} (absent now: a failure would drop what the migration creates)", self.collection);
        }
        let plural = if self.documents == 1 { "" } else { "s" };
        match self.size_bytes {
            Some(bytes) => {
                format!("backup {} ({} {unit}{plural}, {})", self.collection, self.documents, human_size(bytes))
            }
            None => format!("backup {} ({} {unit}{plural})", self.collection, self.documents),
        }
    }
}

/// `96.0 kB`, `12 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The prefix of every backup's name: `mongrate_backup_<collection>_<UTC time>`.
pub const BACKUP_PREFIX: &str = "mongrate_backup_";

/// A new backup's name: `mongrate_backup_users_20261122093000123`, the collection part shortened
/// so the whole stays within `max_len` bytes (PostgreSQL cuts names at 63).
pub fn backup_name(collection: &str, millis: i64, max_len: usize) -> String {
    let stamp = format!("{}{:03}", compact_utc(millis), millis.rem_euclid(1000));
    let room = max_len.saturating_sub(BACKUP_PREFIX.len() + 1 + stamp.len());
    let mut part: String = collection.chars().map(|c| if c == '.' { '_' } else { c }).collect();
    while part.len() > room {
        part.pop();
    }
    format!("{BACKUP_PREFIX}{part}_{stamp}")
}

/// Collection names a backup list may hold: not empty, not mongrate's own.
pub fn check_backup_list(collections: &[String]) -> std::result::Result<(), String> {
    for name in collections {
        if name.trim().is_empty() {
            return Err("`backup` lists an empty name".to_owned());
        }
        if name.starts_with("mongrate_") {
            return Err(format!("`backup` lists {name}: mongrate's own collections and backups are not backed up"));
        }
    }
    Ok(())
}

/// The backups beyond the newest `keep` of each collection, oldest last.
pub fn beyond_retention(backups: &[BackupInfo], keep: usize) -> Vec<BackupInfo> {
    let mut by_collection: BTreeMap<&str, Vec<&BackupInfo>> = BTreeMap::new();
    for backup in backups {
        by_collection.entry(backup.collection.as_str()).or_default().push(backup);
    }
    let mut pruned = Vec::new();
    for (_, mut list) in by_collection {
        // Newest first; the name breaks ties (it ends with the time too).
        list.sort_by(|a, b| (&b.created_at, &b.name).cmp(&(&a.created_at, &a.name)));
        pruned.extend(list.into_iter().skip(keep).cloned());
    }
    pruned
}

/// The newest backup of each collection taken for `version`: what its stopped run found before
/// it changed anything (a resumed run takes none; a restarted one copies the restored state).
pub fn latest_for_version(backups: &[BackupInfo], version: &str) -> Vec<BackupInfo> {
    let mut newest: BTreeMap<&str, &BackupInfo> = BTreeMap::new();
    for backup in backups.iter().filter(|b| b.version.as_deref() == Some(version)) {
        let entry = newest.entry(backup.collection.as_str()).or_insert(backup);
        if (&backup.created_at, &backup.name) > (&entry.created_at, &entry.name) {
            *entry = backup;
        }
    }
    newest.into_values().cloned().collect()
}

/// The error for a backup name that is not recorded.
pub fn unknown_backup(name: &str) -> Error {
    Error::config(format!("there is no backup named {name}: `mongrate backup list` shows them"))
}

/// What a failure message adds after its backups were restored.
pub fn restored_sentence(collections: &[String], everything: bool) -> String {
    let names = collections.join(", ");
    if everything {
        format!(
            "Its backups of {names} were restored (documents, indexes and options as before the migration), \
             and it changed nothing else: nothing of it remains."
        )
    } else {
        format!(
            "Its backups of {names} were restored (documents, indexes and options as before the migration); \
             what it changed elsewhere may remain."
        )
    }
}

/// What a failure message adds when restoring its backups failed.
pub fn restore_failed_sentence(error: &Error, names: &[String]) -> String {
    format!(
        "Restoring its backups failed: {}. The backups are kept: `mongrate backup restore {}`.",
        error.message,
        names.join("` / `mongrate backup restore ")
    )
}

/// The restores after a failed step, one backup after the other until one fails: what was
/// restored, the history entry, and the failure's words. Each target does the copying.
pub struct RestoreAfterFailure {
    started: Instant,
    restored: Vec<String>,
    problem: Option<Error>,
}

impl RestoreAfterFailure {
    pub fn start() -> Self {
        RestoreAfterFailure { started: Instant::now(), restored: Vec::new(), problem: None }
    }

    /// Notes one restore; `false` when it failed and the rest are not to be tried.
    pub fn note(&mut self, outcome: Result<RestoreReport>) -> bool {
        match outcome {
            Ok(report) => {
                self.restored.push(report.collection);
                true
            }
            Err(error) => {
                self.problem = Some(error);
                false
            }
        }
    }

    /// `Ok` when every restore succeeded; else why one failed, the backups being kept.
    pub fn into_result(self) -> Result<()> {
        match self.problem {
            None => Ok(()),
            Some(error) => {
                Err(Error::migration(format!("restoring the backups of the stopped run failed: {}", error.message)))
            }
        }
    }

    /// The collections (tables) restored so far.
    pub fn restored(&self) -> &[String] {
        &self.restored
    }

    /// The history entry of these restores, under the failed step's version and name.
    pub fn history_entry(&self, execution: &StepExecution<'_>) -> HistoryEntry {
        let migration = &execution.step.migration;
        restore_entry(
            migration.version(),
            migration.name().to_owned(),
            self.started.elapsed().as_millis() as i64,
            self.problem.as_ref().map(|e| e.message.clone()),
            execution.applied_by.clone(),
        )
    }

    /// `failure` with what the restores did. `everything`: the step can have changed nothing but
    /// what was restored, so (when every restore succeeded) nothing of it remains.
    pub fn failure(
        self,
        failure: StepFailure,
        taken: &[BackupInfo],
        everything: bool,
        recorded: Result<()>,
    ) -> StepFailure {
        let (sentence, effect) = match &self.problem {
            None if everything => (restored_sentence(&self.restored, true), FailureEffect::Restored),
            None => (restored_sentence(&self.restored, false), FailureEffect::Partial),
            Some(error) => {
                let left: Vec<String> = taken[self.restored.len()..].iter().map(|b| b.name.clone()).collect();
                let sentence = restore_failed_sentence(error, &left);
                let sentence = if self.restored.is_empty() {
                    sentence
                } else {
                    format!("Its backups of {} were restored. {sentence}", self.restored.join(", "))
                };
                (sentence, FailureEffect::Partial)
            }
        };
        let sentence = match recorded {
            Ok(()) => sentence,
            Err(error) => format!("{sentence} The restore could not be recorded in the history: {}", error.message),
        };
        StepFailure::new(failure.error.map_message(|message| format!("{message}\n{sentence}")), effect)
    }
}

/// The history entry of `backup restore <name>` by hand: under the backup's version (0 for one
/// taken by `backup create`), named `backup <name> → <collection>`.
pub fn hand_restore_entry(
    backups: &[BackupInfo],
    name: &str,
    restored: &Result<RestoreReport>,
    elapsed: std::time::Duration,
) -> HistoryEntry {
    let version = backups
        .iter()
        .find(|b| b.name == name)
        .and_then(|b| b.version.as_deref())
        .and_then(|v| Version::parse(v).ok())
        .unwrap_or_else(Version::zero);
    let label = match restored {
        Ok(report) => format!("backup {name} → {}", report.collection),
        Err(_) => format!("backup {name}"),
    };
    let error = restored.as_ref().err().map(|e| e.message.clone());
    restore_entry(version, label, elapsed.as_millis() as i64, error, AppliedBy::current())
}

/// The history entry of a restore: after a failed migration (its version and name) or by hand
/// (the backup's version, or 0, and `backup <name> → <collection>`).
pub fn restore_entry(
    version: Version,
    name: String,
    elapsed_ms: i64,
    error: Option<String>,
    applied_by: AppliedBy,
) -> HistoryEntry {
    HistoryEntry {
        id: 0,
        version,
        name,
        action: HistoryAction::Restore,
        status: if error.is_some() { HistoryOutcome::Failed } else { HistoryOutcome::Completed },
        at: now_rfc3339(),
        execution_time: Some(elapsed_ms),
        error,
        checksum: None,
        batch: None,
        applied_by,
    }
}

/// The collections a policy and a declared list give, in order, each once.
pub fn merged(declared: &[String], automatic: impl IntoIterator<Item = String>, auto: bool) -> Result<Vec<String>> {
    check_backup_list(declared).map_err(Error::validation)?;
    let mut all: Vec<String> = Vec::new();
    let automatic: Vec<String> = if auto { automatic.into_iter().collect() } else { Vec::new() };
    for name in declared.iter().cloned().chain(automatic) {
        if !name.starts_with("mongrate_") && !all.contains(&name) {
            all.push(name);
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(collection: &str, created_at: &str) -> BackupInfo {
        BackupInfo {
            name: format!("{BACKUP_PREFIX}{collection}_{created_at}"),
            collection: collection.into(),
            version: None,
            migration: None,
            created_at: created_at.into(),
            documents: 0,
            size_bytes: None,
            method: BackupMethod::Streamed,
            restored_at: None,
        }
    }

    #[test]
    fn names_sort_by_time_and_fit() {
        let name = backup_name("users", 1_700_000_000_123, 255);
        assert_eq!(name, "mongrate_backup_users_20231114221320123");
        let long = backup_name(&"x".repeat(100), 1_700_000_000_123, 63);
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("_20231114221320123"));
        assert_eq!(backup_name("app.users", 0, 255), "mongrate_backup_app_users_19700101000000000");
    }

    #[test]
    fn retention_keeps_the_newest_of_each_collection() {
        let all = vec![
            info("users", "2026-01-01T00:00:00.000Z"),
            info("users", "2026-01-03T00:00:00.000Z"),
            info("orders", "2026-01-01T00:00:00.000Z"),
            info("users", "2026-01-02T00:00:00.000Z"),
        ];
        let pruned = beyond_retention(&all, 2);
        assert_eq!(pruned, vec![info("users", "2026-01-01T00:00:00.000Z")]);
        assert_eq!(beyond_retention(&all, 1).len(), 2);
        assert!(beyond_retention(&all, 3).is_empty());
    }

    #[test]
    fn a_restart_restores_the_newest_backup_of_each_collection_taken_for_its_version() {
        let of = |collection: &str, at: &str, version: Option<&str>| BackupInfo {
            version: version.map(str::to_owned),
            ..info(collection, at)
        };
        let all = vec![
            of("users", "2026-01-01T00:00:00.000Z", Some("7")),
            of("users", "2026-01-02T00:00:00.000Z", Some("7")),
            of("users", "2026-01-03T00:00:00.000Z", Some("8")),
            of("users", "2026-01-04T00:00:00.000Z", None),
            of("orders", "2026-01-01T00:00:00.000Z", Some("7")),
        ];
        let chosen = latest_for_version(&all, "7");
        assert_eq!(
            chosen,
            vec![
                of("orders", "2026-01-01T00:00:00.000Z", Some("7")),
                of("users", "2026-01-02T00:00:00.000Z", Some("7"))
            ]
        );
        assert!(latest_for_version(&all, "9").is_empty());
    }

    #[test]
    fn lists_merge_without_repeats_or_own_collections() {
        let declared = vec!["users".to_owned()];
        let auto = vec!["orders".to_owned(), "users".to_owned()];
        assert_eq!(merged(&declared, auto.clone(), true).unwrap(), ["users", "orders"]);
        assert_eq!(merged(&declared, auto, false).unwrap(), ["users"]);
        assert!(merged(&["mongrate_history".to_owned()], Vec::new(), false).is_err());
        assert!(merged(&[" ".to_owned()], Vec::new(), false).is_err());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(96_000), "96.0 kB");
        assert_eq!(human_size(3_400_000_000), "3.4 GB");
        let planned = PlannedBackup { collection: "users".into(), exists: true, documents: 1, size_bytes: Some(40) };
        assert_eq!(planned.summary("document"), "backup users (1 document, 40 B)");
    }
}
