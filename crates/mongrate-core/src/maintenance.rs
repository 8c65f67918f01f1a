//! Changelog edits by hand: `mark` (baseline, manual fixes) and `repair` (accept changed files).
//! Pure functions that say what to write; the caller writes it under the lease.

use crate::error::{Error, Result};
use crate::host::AppliedBy;
use crate::migration::Migration;
use crate::plan::next_batch;
use crate::record::{HistoryAction, HistoryEntry, HistoryOutcome, MigrationRecord, MigrationStatus};
use crate::timestamp::now_rfc3339;
use crate::validation::{Drift, find_drift};
use crate::version::Version;

/// A record to write and the history entry that explains it.
pub type Edit = (MigrationRecord, HistoryEntry);

pub(crate) fn history(record: &MigrationRecord, action: HistoryAction) -> HistoryEntry {
    HistoryEntry {
        id: 0,
        version: record.version.clone(),
        name: record.name.clone(),
        action,
        status: HistoryOutcome::Completed,
        at: record.updated_at.clone(),
        execution_time: None,
        error: None,
        checksum: Some(record.checksum.clone()),
        batch: Some(record.batch),
        applied_by: record.applied_by.clone(),
    }
}

/// Records `version` (and with `through`, every not-applied migration below it) as applied
/// without running it.
pub fn mark_applied(
    migrations: &[Migration],
    records: &[MigrationRecord],
    version: Version,
    through: bool,
    by: &AppliedBy,
) -> Result<Vec<Edit>> {
    if !migrations.iter().any(|m| m.version() == version) {
        return Err(Error::config(format!(
            "no migration file has version {version}; `mongrate list` shows the versions"
        )));
    }
    let batch = next_batch(records)?;
    let now = now_rfc3339();
    let mut edits = Vec::new();
    for migration in migrations {
        let selected = migration.version() == version || (through && migration.version() < version);
        let previous = records.iter().find(|r| r.version == migration.version());
        if !selected || previous.is_some_and(|r| r.status == MigrationStatus::Completed) {
            continue;
        }
        let record =
            MigrationRecord { applied_at: Some(now.clone()), ..completed_record(migration, previous, batch, by, &now) };
        let entry = history(&record, HistoryAction::MarkApplied);
        edits.push((record, entry));
    }
    if edits.is_empty() {
        return Err(Error::refused(format!("version {version} is already applied")));
    }
    Ok(edits)
}

/// Records `version` as not applied, without running its down.
pub fn mark_pending(records: &[MigrationRecord], version: Version, by: &AppliedBy) -> Result<Vec<Edit>> {
    let Some(previous) = records.iter().find(|r| r.version == version) else {
        return Err(Error::refused(format!("version {version} has no changelog record: it is already pending")));
    };
    if matches!(previous.status, MigrationStatus::Pending | MigrationStatus::RolledBack) {
        return Err(Error::refused(format!("version {version} is already pending")));
    }
    let mut record = previous.clone();
    record.status = MigrationStatus::Pending;
    record.error = None;
    record.partial = false;
    record.checkpoint = None;
    record.applied_by = by.clone();
    record.updated_at = now_rfc3339();
    let entry = history(&record, HistoryAction::MarkPending);
    Ok(vec![(record, entry)])
}

/// New checksums for applied files that changed; the drift that repair cannot fix (missing files).
pub fn repair(migrations: &[Migration], records: &[MigrationRecord], by: &AppliedBy) -> (Vec<Edit>, Vec<Drift>) {
    let mut edits = Vec::new();
    let mut unfixable = Vec::new();
    for drift in find_drift(migrations, records) {
        match &drift {
            Drift::Changed { version, current, .. } => {
                let Some(previous) = records.iter().find(|r| r.version == *version) else {
                    continue;
                };
                let mut record = previous.clone();
                record.checksum = current.clone();
                record.updated_at = now_rfc3339();
                let mut entry = history(&record, HistoryAction::Repair);
                entry.applied_by = by.clone();
                edits.push((record, entry));
            }
            Drift::Missing { .. } => unfixable.push(drift),
        }
    }
    (edits, unfixable)
}

/// A completed record of `migration`, not yet applied at any time, keeping what `previous`
/// (its earlier record) had of metadata and creation time: the one place `mark` and `import`
/// build a record of a migration they did not run.
pub(crate) fn completed_record(
    migration: &Migration,
    previous: Option<&MigrationRecord>,
    batch: i64,
    by: &AppliedBy,
    now: &str,
) -> MigrationRecord {
    MigrationRecord {
        version: migration.version(),
        name: migration.meta.name.clone(),
        description: migration.meta.description.clone(),
        status: MigrationStatus::Completed,
        applied_at: None,
        rolled_back_at: None,
        execution_time: None,
        error: None,
        partial: false,
        reversible: migration.meta.reversible,
        checksum: migration.file.checksum.clone(),
        batch,
        applied_by: by.clone(),
        checkpoint: None,
        metadata: previous.and_then(|p| p.metadata.clone()),
        created_at: previous.map_or_else(|| now.to_owned(), |p| p.created_at.clone()),
        updated_at: now.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{MigrationFile, MigrationMeta};

    fn migration(version: i64) -> Migration {
        Migration {
            file: MigrationFile {
                version: Version::number(version),
                file_name: format!("{version}_m.sql"),
                slug: "m".into(),
                extension: "sql".into(),
                path: format!("{version}_m.sql").into(),
                content: String::new(),
                checksum: format!("new{version}"),
                layout: Default::default(),
                down: None,
                settings: None,
            },
            meta: MigrationMeta {
                name: "m".into(),
                description: None,
                reversible: true,
                transactional: true,
                backup: Vec::new(),
                phase: Default::default(),
                repeatable: false,
            },
            load_error: None,
        }
    }

    #[test]
    fn mark_applied_through_baselines_older_ones() {
        let files = [migration(1), migration(2), migration(3)];
        let by = AppliedBy::default();
        let edits = mark_applied(&files, &[], Version::number(2), true, &by).unwrap();
        let versions: Vec<_> = edits.iter().map(|(r, _)| r.version.as_integer().unwrap()).collect();
        assert_eq!(versions, [1, 2]);
        assert!(
            edits.iter().all(|(r, h)| r.status == MigrationStatus::Completed && h.action == HistoryAction::MarkApplied)
        );
        assert!(mark_applied(&files, &[], Version::number(9), false, &by).is_err());
        let only = mark_applied(&files, &[], Version::number(2), false, &by).unwrap();
        assert_eq!(only.len(), 1);
    }

    #[test]
    fn mark_pending_needs_a_record_and_repair_updates_checksums() {
        let by = AppliedBy::default();
        assert!(mark_pending(&[], Version::number(1), &by).is_err());
        let files = [migration(1)];
        let (mut record, _) = mark_applied(&files, &[], Version::number(1), false, &by).unwrap().remove(0);
        record.checksum = "old".into();
        let (edits, unfixable) = repair(&files, std::slice::from_ref(&record), &by);
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].0.checksum, "new1");
        assert_eq!(edits[0].1.action, HistoryAction::Repair);
        assert!(unfixable.is_empty());
        let (_, unfixable) = repair(&[], std::slice::from_ref(&record), &by);
        assert_eq!(unfixable.len(), 1);
        let pending = mark_pending(&[record], Version::number(1), &by).unwrap();
        assert_eq!(pending[0].0.status, MigrationStatus::Pending);
    }
}
