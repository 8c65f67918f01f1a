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
    pub fn version(&self) -> &Version {
        match self {
            Drift::Changed { version, .. } | Drift::Missing { version, .. } => version,
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
/// been edited to fix it, so only a vanished file counts there. A repeatable migration never
/// drifts: a change is what makes it run again.
pub fn find_drift(migrations: &[Migration], records: &[MigrationRecord]) -> Vec<Drift> {
    let files: BTreeMap<&Version, &Migration> = migrations.iter().map(|m| (&m.file.version, m)).collect();
    let mut drift = Vec::new();
    for record in records {
        if !record.is_in_database() || record.version.is_repeatable() {
            continue;
        }
        match files.get(&record.version) {
            None => drift.push(Drift::Missing { version: record.version.clone(), name: record.name.clone() }),
            Some(migration) => {
                if record.status == MigrationStatus::Completed && migration.file.checksum != record.checksum {
                    drift.push(Drift::Changed {
                        version: record.version.clone(),
                        file_name: migration.file.file_name.clone(),
                        recorded: record.checksum.clone(),
                        current: migration.file.checksum.clone(),
                    });
                }
            }
        }
    }
    drift.sort_by(|a, b| a.version().cmp(b.version()));
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
        message.push_str(&format!("  - {} ({}) {}\n", record.version, record.name, what_happened(record)));
    }
    if let Some(first) = blocking.iter().min_by(|a, b| a.version.cmp(&b.version)) {
        message.push_str(&choices_text(first, records));
    }
    message
}

/// What went wrong with a blocking record, in words.
pub fn what_happened(record: &MigrationRecord) -> String {
    let error = record.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
    match record.status {
        MigrationStatus::Running => "was interrupted while running (outside a transaction)".to_owned(),
        MigrationStatus::Reverting => {
            "was interrupted while its down ran (outside a transaction); it is still applied".to_owned()
        }
        MigrationStatus::DownFailed => format!("down failed{error}; it is still applied"),
        _ => format!("failed{error}"),
    }
}

/// One way out of a blocking record: a command and what it means.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Choice {
    pub command: String,
    pub meaning: &'static str,
}

/// The commands that resolve a blocking record: for an unfinished `up`, revert it, mark it, or
/// run it again; for an unfinished `down`, run the down again or mark it, never its `up` again.
pub fn choices(record: &MigrationRecord, records: &[MigrationRecord]) -> Vec<Choice> {
    let version = &record.version;
    let mark = |flag: &str, meaning| Choice { command: format!("mongrate mark {version} --{flag}"), meaning };
    if version.is_repeatable() {
        // `down` does not revert a repeatable: it is finished by hand, or run again.
        return vec![
            mark("applied", "you finished it by hand"),
            mark("pending", "nothing of it is in the database"),
            Choice { command: "mongrate up --retry".to_owned(), meaning: "run it again" },
        ];
    }
    if record.is_unfinished_down() {
        let newer_in_database = records.iter().any(|r| r.version > *version && r.is_in_database());
        let retry = if newer_in_database {
            format!("mongrate down --to {} --retry", newest_below(records, version, MigrationRecord::is_in_database))
        } else {
            "mongrate down --retry".to_owned()
        };
        vec![
            Choice { command: retry, meaning: "run its down section again" },
            mark("applied", "its changes are all in the database (nothing was reverted, or you restored it)"),
            mark("pending", "you finished reverting it by hand"),
        ]
    } else if record.is_resumable() {
        let before = newest_below(records, version, |r| r.status == MigrationStatus::Completed);
        vec![
            Choice {
                command: "mongrate up".to_owned(),
                meaning: "resume it: its batch loops go on where they stopped",
            },
            Choice {
                command: format!("mongrate up --restart {version}"),
                meaning: "run it from the beginning (what it changed stays)",
            },
            Choice { command: format!("mongrate down --to {before}"), meaning: "revert it with its down section" },
            mark("pending", "nothing of it is in the database"),
        ]
    } else {
        let before = newest_below(records, version, |r| r.status == MigrationStatus::Completed);
        vec![
            Choice { command: format!("mongrate down --to {before}"), meaning: "revert it with its down section" },
            mark("applied", "you finished it by hand"),
            mark("pending", "nothing of it is in the database"),
            Choice { command: "mongrate up --retry".to_owned(), meaning: "run it again" },
        ]
    }
}

/// The newest version below `version` whose record matches, or 0.
fn newest_below(records: &[MigrationRecord], version: &Version, matches: impl Fn(&MigrationRecord) -> bool) -> Version {
    records
        .iter()
        .filter(|r| r.version < *version && matches(r))
        .map(|r| r.version.clone())
        .max()
        .unwrap_or_else(Version::zero)
}

/// The choices for a blocking record as lines of text.
pub fn choices_text(record: &MigrationRecord, records: &[MigrationRecord]) -> String {
    let intro = if record.is_unfinished_down() {
        format!("{}'s down did not finish, so part of it may be reverted. Choose one:", record.version)
    } else {
        "Its changes may be partly in the database. Choose one:".to_owned()
    };
    let lines: Vec<String> = choice_lines(&choices(record, records)).iter().map(|l| format!("  {l}")).collect();
    format!("{intro}\n{}", lines.join("\n"))
}

/// Choices as aligned lines: the command, then what it means.
pub fn choice_lines(options: &[Choice]) -> Vec<String> {
    let width = options.iter().map(|c| c.command.len()).max().unwrap_or(0);
    options.iter().map(|c| format!("{:width$}    {}", c.command, c.meaning, width = width)).collect()
}
