//! Where every migration stands: the files and the changelog side by side.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checkpoint::Progress;
use crate::lease::LeaseInfo;
use crate::migration::Migration;
use crate::phase::Phase;
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
    /// A repeatable migration applied, whose file changed since: the next `up` applies it again.
    Outdated,
}

/// The states that need someone to decide before the next run.
const NEEDS_ATTENTION: &[State] = &[State::Failed, State::Running, State::DownFailed, State::Reverting];

/// The states the next `up` applies.
const PENDING: &[State] = &[State::Pending, State::Outdated];

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
            State::Outdated => "outdated",
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
    /// The phase its file declares; `None` when the file is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// A repeatable migration: applied again whenever its file changes, never reverted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeatable: bool,
    /// Why its file cannot be loaded (a run that needs it fails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_error: Option<String>,
}

/// Which deploy phase the database is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeployState {
    /// Migrations before the first pending contract one are pending: `up --phase expand`.
    ExpandPending,
    /// Only contract migrations (and what follows them) are pending: deploy, then `up`.
    ContractPending,
    /// Nothing pending.
    Complete,
}

/// The deploy phase with the versions behind it and what to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployPhase {
    pub state: DeployState,
    /// Pending versions `up --phase expand` applies.
    pub pending_before_contract: Vec<String>,
    /// Pending contract versions (each waits for the code that no longer needs what it removes).
    pub pending_contract: Vec<String>,
    pub advice: String,
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
        let records_by_version: BTreeMap<&Version, &MigrationRecord> =
            records.iter().map(|r| (&r.version, r)).collect();
        let files: BTreeMap<&Version, &Migration> = migrations.iter().map(|m| (&m.file.version, m)).collect();
        let mut versions: Vec<&Version> = files.keys().chain(records_by_version.keys()).copied().collect();
        versions.sort();
        versions.dedup();
        let mut entries = Vec::new();
        for version in versions {
            let file = files.get(version);
            let record = records_by_version.get(version);
            let drifted = drift.iter().find(|d| d.version() == version);
            let repeatable = version.is_repeatable();
            let state = match (drifted, record.map(|r| r.status)) {
                (Some(Drift::Missing { .. }), _) => State::Missing,
                (Some(Drift::Changed { .. }), _) => State::Changed,
                (None, Some(MigrationStatus::Completed)) if repeatable => match file {
                    None => State::Missing,
                    Some(m) if record.is_some_and(|r| r.checksum != m.file.checksum) => State::Outdated,
                    Some(_) => State::Applied,
                },
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
                // A file that cannot be loaded says nothing: the changelog's word, if any, is taken.
                reversible: file
                    .filter(|m| m.load_error.is_none() || record.is_none())
                    .map(|m| m.meta.reversible)
                    .or_else(|| record.map(|r| r.reversible))
                    .unwrap_or(false),
                applied_at: record
                    .filter(|r| r.status == MigrationStatus::Completed || r.is_unfinished_down())
                    .and_then(|r| r.applied_at.clone()),
                execution_time: record
                    .filter(|_| matches!(state, State::Applied | State::Failed | State::Changed | State::Outdated))
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
                phase: file.map(|m| m.meta.phase),
                repeatable,
                load_error: file.and_then(|m| m.load_error.clone()),
            });
        }
        StatusReport { entries, drift, lock }
    }

    /// Where the database stands in expand → migrate → contract, and what to run next.
    pub fn deploy_phase(&self) -> DeployPhase {
        let pending: Vec<&StatusEntry> = self.entries.iter().filter(|e| PENDING.contains(&e.state)).collect();
        let first_contract = pending.iter().position(|e| e.phase == Some(Phase::Contract)).unwrap_or(pending.len());
        let versions = |entries: &[&StatusEntry]| entries.iter().map(|e| e.version.clone()).collect::<Vec<_>>();
        let before = &pending[..first_contract];
        let contract: Vec<&StatusEntry> =
            pending[first_contract..].iter().filter(|e| e.phase == Some(Phase::Contract)).copied().collect();
        let (state, advice) = if !before.is_empty() {
            (
                DeployState::ExpandPending,
                "expand migrations pending: run `mongrate up --phase expand` before rolling out the code that needs them"
                    .to_owned(),
            )
        } else if let Some(first) = contract.first() {
            let what = first.description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
            (
                DeployState::ContractPending,
                format!(
                    "contract migrations pending, starting with {} {}{what}: deploy the code that no longer reads what \
                     they remove first, then run `mongrate up`",
                    first.version, first.name
                ),
            )
        } else if !pending.is_empty() {
            (DeployState::ExpandPending, "migrations pending: run `mongrate up`".to_owned())
        } else {
            (DeployState::Complete, "every phase applied".to_owned())
        };
        DeployPhase { state, pending_before_contract: versions(before), pending_contract: versions(&contract), advice }
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
            pending: self.count(PENDING),
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
                .map(|e| (e, match e.state {
                    State::Pending | State::Outdated => serde_json::json!({
                        "version": e.version, "name": e.name, "description": e.description, "file": e.file,
                        "reversible": e.reversible, "phase": e.phase,
                    }),
                    State::Failed | State::Running | State::DownFailed | State::Reverting => serde_json::json!({
                        "version": e.version, "name": e.name, "file": e.file, "status": e.state.as_str(),
                        "direction": if matches!(e.state, State::DownFailed | State::Reverting) { "down" } else { "up" },
                        "error": e.error, "choices": e.choices, "progress": e.progress, "phase": e.phase,
                    }),
                    _ => serde_json::json!({
                        "version": e.version, "name": e.name, "description": e.description, "file": e.file,
                        "appliedAt": e.applied_at,
                        "executionTime": e.execution_time, "batch": e.batch, "reversible": e.reversible,
                        "phase": e.phase,
                    }),
                }))
                .map(|(e, mut json)| {
                    // A repeatable says so, and one that changed since it was applied says that too.
                    if e.repeatable {
                        json["repeatable"] = true.into();
                        json["state"] = e.state.as_str().into();
                    }
                    if let Some(why) = &e.load_error {
                        json["loadError"] = serde_json::json!(why);
                    }
                    json
                })
                .collect()
        };
        serde_json::json!({
            "applied": pick(&[State::Applied, State::Changed, State::Missing]),
            "pending": pick(PENDING),
            "failed": pick(NEEDS_ATTENTION),
            "drift": self.drift.iter().map(|d| serde_json::json!({"version": d.version().to_string(), "problem": d.to_string()})).collect::<Vec<_>>(),
            "locked": self.lock,
            "phase": self.deploy_phase(),
            "summary": self.summary(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::AppliedBy;
    use crate::record::MigrationStatus;
    use crate::testing::migration;

    fn applied(version: i64) -> MigrationRecord {
        MigrationRecord {
            version: Version::number(version),
            name: "step".into(),
            description: None,
            status: MigrationStatus::Completed,
            applied_at: Some("2026-12-02T00:00:00Z".into()),
            rolled_back_at: None,
            execution_time: Some(1),
            error: None,
            partial: false,
            reversible: true,
            checksum: format!("sum{version}"),
            batch: 1,
            applied_by: AppliedBy::default(),
            checkpoint: None,
            metadata: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn phased(version: i64, phase: Phase, description: &str) -> Migration {
        let mut m = migration(version, true);
        m.meta.phase = phase;
        m.meta.description = Some(description.into());
        m
    }

    #[test]
    fn the_deploy_phase_follows_the_first_pending_contract_migration() {
        let files = [
            phased(1, Phase::Expand, "add email_address"),
            phased(2, Phase::Migrate, "copy email"),
            phased(3, Phase::Contract, "remove email"),
        ];
        let phase = |records: &[MigrationRecord]| StatusReport::build(&files, records, None).deploy_phase();

        let fresh = phase(&[]);
        assert_eq!(fresh.state, DeployState::ExpandPending);
        assert_eq!(fresh.pending_before_contract, ["1", "2"]);
        assert_eq!(fresh.pending_contract, ["3"]);
        assert!(fresh.advice.contains("--phase expand"), "{}", fresh.advice);

        let expanded = phase(&[applied(1), applied(2)]);
        assert_eq!(expanded.state, DeployState::ContractPending);
        assert!(expanded.pending_before_contract.is_empty());
        assert!(expanded.advice.contains("3 step (remove email)"), "{}", expanded.advice);
        assert!(expanded.advice.contains("deploy the code that no longer reads"), "{}", expanded.advice);

        let done = phase(&[applied(1), applied(2), applied(3)]);
        assert_eq!(done.state, DeployState::Complete);
        let entries = StatusReport::build(&files, &[], None).entries;
        assert_eq!(
            entries.iter().map(|e| e.phase).collect::<Vec<_>>(),
            [Some(Phase::Expand), Some(Phase::Migrate), Some(Phase::Contract)]
        );
    }

    #[test]
    fn repeatables_show_applied_outdated_or_pending_and_never_drift() {
        let repeatable = |name: &str, sum: &str| {
            let mut m = migration(1, true);
            m.file.version = Version::repeatable(name);
            m.file.checksum = sum.into();
            m.meta.repeatable = true;
            m
        };
        let applied_as = |name: &str, sum: &str| {
            let mut r = applied(1);
            r.version = Version::repeatable(name);
            r.checksum = sum.into();
            r
        };
        let files =
            [migration(1, true), repeatable("functions", "f1"), repeatable("views", "v2"), repeatable("new", "n1")];
        let records = [applied(1), applied_as("functions", "f1"), applied_as("views", "v1"), applied_as("gone", "g1")];
        let report = StatusReport::build(&files, &records, None);
        let states: Vec<(String, State, bool)> =
            report.entries.iter().map(|e| (e.version.clone(), e.state, e.repeatable)).collect();
        assert_eq!(
            states,
            [
                ("1".to_owned(), State::Applied, false),
                ("R__functions".to_owned(), State::Applied, true),
                ("R__gone".to_owned(), State::Missing, true),
                ("R__new".to_owned(), State::Pending, true),
                ("R__views".to_owned(), State::Outdated, true),
            ]
        );
        assert!(report.drift.is_empty(), "{:?}", report.drift);
        let summary = report.summary();
        assert_eq!((summary.pending, summary.drift), (2, 0));
        let json = report.to_json();
        assert_eq!(json["pending"][1]["version"], "R__views");
        assert_eq!(json["pending"][1]["state"], "outdated");
        assert_eq!(json["pending"][1]["repeatable"], true);
        assert!(json["applied"][0].get("repeatable").is_none(), "only repeatables say so");
    }
}
