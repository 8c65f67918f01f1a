//! Where every migration stands: the files and the changelog side by side.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checkpoint::Progress;
use crate::lease::LeaseInfo;
use crate::migration::Migration;
use crate::record::{MigrationRecord, MigrationStatus};
use crate::validation::{Choice, Drift, choices, find_drift};
use crate::version::Version;

/// The state of one version, as `list` and `status` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Applied,
    Pending,
    Failed,
    Running,
    /// A down failed outside a transaction: still applied, maybe partly reverted.
    DownFailed,
    /// A down was interrupted outside a transaction: still applied, maybe partly reverted.
    Reverting,
    /// Applied, but the file changed since.
    Changed,
    /// Applied, but the file is gone.
    Missing,
}

/// The states that need someone to decide before the next run.
const NEEDS_ATTENTION: &[State] = &[State::Failed, State::Running, State::DownFailed, State::Reverting];

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Failed => "failed",
            State::Running => "running",
            State::DownFailed => "down-failed",
            State::Reverting => "reverting",
            State::Changed => "changed",
            State::Missing => "missing",
        }
    }
}

/// One version with everything known about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusEntry {
    pub version: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub file: Option<String>,
    pub state: State,
    pub reversible: bool,
    pub applied_at: Option<String>,
    /// Milliseconds.
    pub execution_time: Option<i64>,
    pub batch: Option<i64>,
    pub error: Option<String>,
    /// For a migration that blocks the next run: the commands that resolve it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// For an unfinished migration whose batch loops checkpointed: how far they got (the next
    /// `up` resumes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

/// Counts, in the shape of the seed's status response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub total: usize,
    pub applied: usize,
    pub pending: usize,
    pub failed: usize,
    pub drift: usize,
}

/// Files and changelog compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub entries: Vec<StatusEntry>,
    pub drift: Vec<Drift>,
    pub lock: Option<LeaseInfo>,
}

impl StatusReport {
    pub fn build(migrations: &[Migration], records: &[MigrationRecord], lock: Option<LeaseInfo>) -> Self {
        let drift = find_drift(migrations, records);
        let records_by_version: BTreeMap<Version, &MigrationRecord> = records.iter().map(|r| (r.version, r)).collect();
        let files: BTreeMap<Version, &Migration> = migrations.iter().map(|m| (m.version(), m)).collect();
        let mut versions: Vec<Version> = files.keys().chain(records_by_version.keys()).copied().collect();
        versions.sort();
        versions.dedup();
        let mut entries = Vec::new();
        for version in versions {
            let file = files.get(&version);
            let record = records_by_version.get(&version);
            let drifted = drift.iter().find(|d| d.version() == version);
            let state = match (drifted, record.map(|r| r.status)) {
                (Some(Drift::Missing { .. }), _) => State::Missing,
                (Some(Drift::Changed { .. }), _) => State::Changed,
                (None, Some(MigrationStatus::Completed)) => State::Applied,
                (None, Some(MigrationStatus::Failed)) if file.is_some() || record.is_some_and(|r| r.partial) => {
                    State::Failed
                }
                (None, Some(MigrationStatus::Running)) => State::Running,
                (None, Some(MigrationStatus::DownFailed)) => State::DownFailed,
                (None, Some(MigrationStatus::Reverting)) => State::Reverting,
                _ if file.is_none() => continue, // rolled back and since deleted: nothing to show
                _ => State::Pending,
            };
            entries.push(StatusEntry {
                version: version.to_string(),
                name: file.map(|m| m.meta.name.clone()).or_else(|| record.map(|r| r.name.clone())).unwrap_or_default(),
                description: file
                    .and_then(|m| m.meta.description.clone())
                    .or_else(|| record.and_then(|r| r.description.clone())),
                file: file.map(|m| m.file.file_name.clone()),
                state,
                reversible: file.map(|m| m.meta.reversible).or_else(|| record.map(|r| r.reversible)).unwrap_or(false),
                applied_at: record
                    .filter(|r| r.status == MigrationStatus::Completed || r.is_unfinished_down())
                    .and_then(|r| r.applied_at.clone()),
                execution_time: record
                    .filter(|_| matches!(state, State::Applied | State::Failed | State::Changed))
                    .and_then(|r| r.execution_time),
                batch: record.filter(|r| r.is_in_database()).map(|r| r.batch),
                error: record
                    .filter(|r| matches!(r.status, MigrationStatus::Failed | MigrationStatus::DownFailed))
                    .and_then(|r| r.error.clone()),
                choices: record
                    .filter(|r| r.is_blocking() || r.is_resumable())
                    .map(|r| choices(r, records))
                    .unwrap_or_default(),
                progress: record.filter(|r| r.is_resumable()).and_then(|r| r.progress()),
            });
        }
        StatusReport { entries, drift, lock }
    }

    /// The entries that need someone to decide before the next run.
    pub fn needing_attention(&self) -> impl Iterator<Item = &StatusEntry> {
        self.entries.iter().filter(|e| NEEDS_ATTENTION.contains(&e.state))
    }

    pub fn count(&self, states: &[State]) -> usize {
        self.entries.iter().filter(|e| states.contains(&e.state)).count()
    }

    pub fn summary(&self) -> Summary {
        Summary {
            total: self.entries.len(),
            applied: self.count(&[State::Applied, State::Changed, State::Missing]),
            pending: self.count(&[State::Pending]),
            failed: self.count(NEEDS_ATTENTION),
            drift: self.drift.len(),
        }
    }

    /// The seed's status response: `applied`, `pending`, `failed`, `locked`, `summary`, plus `drift`.
    pub fn to_json(&self) -> serde_json::Value {
        let pick = |states: &[State]| -> Vec<serde_json::Value> {
            self.entries
                .iter()
                .filter(|e| states.contains(&e.state))
                .map(|e| match e.state {
                    State::Pending => serde_json::json!({
                        "version": e.version, "name": e.name, "description": e.description, "file": e.file,
                        "reversible": e.reversible,
                    }),
                    State::Failed | State::Running | State::DownFailed | State::Reverting => serde_json::json!({
                        "version": e.version, "name": e.name, "file": e.file, "status": e.state.as_str(),
                        "direction": if matches!(e.state, State::DownFailed | State::Reverting) { "down" } else { "up" },
                        "error": e.error, "choices": e.choices, "progress": e.progress,
                    }),
                    _ => serde_json::json!({
                        "version": e.version, "name": e.name, "description": e.description, "file": e.file,
                        "appliedAt": e.applied_at,
                        "executionTime": e.execution_time, "batch": e.batch, "reversible": e.reversible,
                    }),
                })
                .collect()
        };
        serde_json::json!({
            "applied": pick(&[State::Applied, State::Changed, State::Missing]),
            "pending": pick(&[State::Pending]),
            "failed": pick(NEEDS_ATTENTION),
            "drift": self.drift.iter().map(|d| serde_json::json!({"version": d.version().to_string(), "problem": d.to_string()})).collect::<Vec<_>>(),
            "locked": self.lock,
            "summary": self.summary(),
        })
    }
}
