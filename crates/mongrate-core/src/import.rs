//! Adopting another tool's changelog (migrate-mongo's): which of its applied files become
//! mongrate records, so nothing applied is applied again. Pure; the caller writes the edits under
//! the lease.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::host::AppliedBy;
use crate::maintenance::{Edit, history};
use crate::migration::Migration;
use crate::plan::next_batch;
use crate::record::{HistoryAction, MigrationRecord, MigrationStatus};
use crate::timestamp::now_rfc3339;

/// One applied migration in the other tool's changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignEntry {
    pub file_name: String,
    pub applied_at: Option<String>,
    /// migrate-mongo's `migrationBlock`: the migrations one `up` applied share it.
    pub block: Option<i64>,
    /// migrate-mongo's `fileHash` (SHA-256 of the file as applied), when it kept one.
    pub file_hash: Option<String>,
}

/// What an import does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub edits: Vec<Edit>,
    /// Already applied in mongrate's changelog: left as they are.
    pub already_applied: Vec<String>,
    /// In the other changelog but with no file here (migrate-mongo's status does not show them either).
    pub without_file: Vec<String>,
    /// Imported, but the file changed since it was applied (its hash differs).
    pub changed_since: Vec<String>,
}

fn sha256_hex(content: &[u8]) -> String {
    Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect()
}

/// Plans the import of `entries`. Each of migrate-mongo's blocks becomes one mongrate batch, in
/// order, after the batches mongrate already has.
pub fn import_applied(
    migrations: &[Migration],
    records: &[MigrationRecord],
    entries: &[ForeignEntry],
    by: &AppliedBy,
) -> Result<ImportPlan> {
    let mut plan = ImportPlan::default();
    let first_batch = next_batch(records)?;
    let blocks: Vec<i64> = entries.iter().filter_map(|e| e.block).collect::<BTreeSet<_>>().into_iter().collect();
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
    for entry in entries {
        let Some(migration) = migrations.iter().find(|m| m.file.file_name == entry.file_name) else {
            plan.without_file.push(entry.file_name.clone());
            continue;
        };
        let previous = records.iter().find(|r| r.version == migration.version());
        if previous.is_some_and(|r| r.status == MigrationStatus::Completed) {
            plan.already_applied.push(entry.file_name.clone());
            continue;
        }
        if plan.edits.iter().any(|(r, _): &Edit| r.version == migration.version()) {
            continue;
        }
        if entry.file_hash.as_ref().is_some_and(|hash| *hash != sha256_hex(migration.file.content.as_bytes())) {
            plan.changed_since.push(entry.file_name.clone());
        }
        let record = MigrationRecord {
            version: migration.version(),
            name: migration.meta.name.clone(),
            description: migration.meta.description.clone(),
            status: MigrationStatus::Completed,
            applied_at: Some(entry.applied_at.clone().unwrap_or_else(|| now.clone())),
            rolled_back_at: None,
            execution_time: None,
            error: None,
            partial: false,
            reversible: migration.meta.reversible,
            checksum: migration.file.checksum.clone(),
            batch: batch_of(entry),
            applied_by: by.clone(),
            checkpoint: None,
            metadata: previous.and_then(|p| p.metadata.clone()),
            created_at: previous.map_or_else(|| now.clone(), |p| p.created_at.clone()),
            updated_at: now.clone(),
        };
        let entry = history(&record, HistoryAction::Import);
        plan.edits.push((record, entry));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{MigrationFile, MigrationMeta};
    use crate::version::Version;

    fn migration(version: u64, file_name: &str, content: &str) -> Migration {
        Migration {
            file: MigrationFile {
                version: Version::parse(&version.to_string()).unwrap(),
                file_name: file_name.to_owned(),
                slug: "x".to_owned(),
                extension: "js".to_owned(),
                path: file_name.into(),
                content: content.to_owned(),
                checksum: crate::checksum::checksum(content.as_bytes()),
            },
            meta: MigrationMeta {
                name: file_name.to_owned(),
                description: None,
                reversible: true,
                transactional: false,
                backup: Vec::new(),
                phase: Default::default(),
            },
            load_error: None,
        }
    }

    fn entry(file_name: &str, block: i64, hash: Option<&str>) -> ForeignEntry {
        ForeignEntry {
            file_name: file_name.to_owned(),
            applied_at: Some("2024-01-01T00:00:00.000Z".to_owned()),
            block: Some(block),
            file_hash: hash.map(str::to_owned),
        }
    }

    #[test]
    fn blocks_become_batches_and_files_are_matched_by_name() {
        let migrations = [migration(1, "1-a.js", "a"), migration(2, "2-b.js", "b"), migration(3, "3-c.js", "c")];
        let entries = [
            entry("1-a.js", 1700, None),
            entry("2-b.js", 1700, None),
            entry("3-c.js", 1800, Some("beef")),
            entry("9-gone.js", 1800, None),
        ];
        let by = AppliedBy::current();
        let plan = import_applied(&migrations, &[], &entries, &by).unwrap();
        let batches: Vec<(String, i64)> = plan.edits.iter().map(|(r, _)| (r.version.to_string(), r.batch)).collect();
        assert_eq!(batches, vec![("1".into(), 1), ("2".into(), 1), ("3".into(), 2)]);
        assert_eq!(plan.edits[0].0.applied_at.as_deref(), Some("2024-01-01T00:00:00.000Z"));
        assert_eq!(plan.edits[0].1.action, HistoryAction::Import);
        assert_eq!(plan.without_file, vec!["9-gone.js".to_owned()]);
        assert_eq!(plan.changed_since, vec!["3-c.js".to_owned()], "its hash is not the file's");
    }

    #[test]
    fn what_mongrate_has_applied_stays() {
        let migrations = [migration(1, "1-a.js", "a")];
        let by = AppliedBy::current();
        let first = import_applied(&migrations, &[], &[entry("1-a.js", 5, Some(&sha256_hex(b"a")))], &by).unwrap();
        assert!(first.changed_since.is_empty(), "the same content has the same hash");
        let records: Vec<MigrationRecord> = first.edits.into_iter().map(|(r, _)| r).collect();
        let again = import_applied(&migrations, &records, &[entry("1-a.js", 5, None)], &by).unwrap();
        assert!(again.edits.is_empty());
        assert_eq!(again.already_applied, vec!["1-a.js".to_owned()]);
    }
}
