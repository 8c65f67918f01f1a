//! Comparing the files with the changelog: drift and blocking entries, as pure functions.

use std::collections::BTreeMap;
use std::fmt;

use crate::migration::Migration;
use crate::record::{MigrationRecord, MigrationStatus};
use crate::version::Version;

/// An applied migration whose file no longer matches what was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The file changed after it was applied.
    Changed { version: Version, file_name: String, recorded: String, current: String },
    /// The file of an applied migration is gone.
    Missing { version: Version, name: String },
}

impl Drift {
    pub fn version(&self) -> Version {
        match self {
            Drift::Changed { version, .. } | Drift::Missing { version, .. } => *version,
        }
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Changed { version, file_name, recorded, current } => write!(
                f,
                "{file_name} (version {version}) changed after it was applied (checksum {} recorded, {} now)",
                short(recorded),
                short(current)
            ),
            Drift::Missing { version, name } => {
                write!(f, "version {version} ({name}) is applied but its file is missing")
            }
        }
    }
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// Drift of every applied (completed) migration. A failed or running one may legitimately have
/// been edited to fix it, so only a vanished file counts there.
pub fn find_drift(migrations: &[Migration], records: &[MigrationRecord]) -> Vec<Drift> {
    let files: BTreeMap<Version, &Migration> = migrations.iter().map(|m| (m.version(), m)).collect();
    let mut drift = Vec::new();
    for record in records {
        if !record.is_in_database() {
            continue;
        }
        match files.get(&record.version) {
            None => drift.push(Drift::Missing { version: record.version, name: record.name.clone() }),
            Some(migration) => {
                if record.status == MigrationStatus::Completed && migration.file.checksum != record.checksum {
                    drift.push(Drift::Changed {
                        version: record.version,
                        file_name: migration.file.file_name.clone(),
                        recorded: record.checksum.clone(),
                        current: migration.file.checksum.clone(),
                    });
                }
            }
        }
    }
    drift.sort_by_key(Drift::version);
    drift
}

/// The message shown when drift stops a run.
pub fn drift_message(drift: &[Drift]) -> String {
    let mut message = String::from("applied migrations do not match their files:\n");
    for item in drift {
        message.push_str(&format!("  - {item}\n"));
    }
    message.push_str(
        "Restore the files as they were applied. If a change was intended, `mongrate repair` records the new checksums; \
         for a file removed on purpose, `mongrate mark <version> --pending` forgets it.",
    );
    message
}

/// Failed or interrupted entries that stop `up`.
pub fn blocking_records(records: &[MigrationRecord]) -> Vec<&MigrationRecord> {
    records.iter().filter(|r| r.is_blocking()).collect()
}

/// The message that lists the ways out of a failed or interrupted migration.
pub fn blocked_message(blocking: &[&MigrationRecord], records: &[MigrationRecord]) -> String {
    let mut message = String::from("a previous run did not finish cleanly:\n");
    for record in blocking {
        let why = match (&record.status, &record.error) {
            (MigrationStatus::Running, _) => "was interrupted while running (outside a transaction)".to_owned(),
            (_, Some(error)) => format!("failed: {error}"),
            _ => "failed".to_owned(),
        };
        message.push_str(&format!("  - {} ({}) {why}\n", record.version, record.name));
    }
    let oldest = blocking.iter().map(|r| r.version).min().unwrap_or(Version(0));
    let before = records
        .iter()
        .filter(|r| r.status == MigrationStatus::Completed && r.version < oldest)
        .map(|r| r.version)
        .max()
        .unwrap_or(Version(0));
    message.push_str(&format!(
        "Its changes may be partly in the database. Choose one:\n  \
         mongrate down --to {before}    revert it with its down section\n  \
         mongrate mark {oldest} --applied    you finished it by hand\n  \
         mongrate mark {oldest} --pending    nothing of it is in the database\n  \
         mongrate up --retry    run it again"
    ));
    message
}
