//! The one trait a database implements. The runner never names a database.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use crate::backup::{BackupInfo, RestoreReport};
use crate::error::{Error, Result};
use crate::execution::{OperationReport, StepExecution, StepFailure, StepOutcome};
use crate::interrupt::{Interrupt, interrupted, is_interrupted, wait_for_interrupt};
use crate::lease::{LeaseInfo, LeaseStore};
use crate::lint::{LintOptions, LintReport};
use crate::migration::{Migration, MigrationFile, MigrationMeta};
use crate::plan::{Direction, Step};
use crate::record::{HistoryEntry, HistoryQuery, MigrationRecord};

/// Which kind of database a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Sqlite,
    Postgres,
    Mongodb,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Sqlite => "sqlite",
            TargetKind::Postgres => "postgres",
            TargetKind::Mongodb => "mongodb",
        }
    }

    /// What a count of affected things counts: rows or documents.
    pub fn unit(self) -> &'static str {
        match self {
            TargetKind::Sqlite | TargetKind::Postgres => "row",
            TargetKind::Mongodb => "document",
        }
    }
}

impl std::fmt::Display for TargetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the server is and can do, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub kind: TargetKind,
    pub version: String,
    /// Whether a migration can run in one transaction with its changelog record.
    pub transactions: bool,
    /// What a MongoDB-wire server is and lacks.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub document_server: Option<DocumentServerInfo>,
}

/// The features of a MongoDB-wire server that change how migrations run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentServerInfo {
    pub ferretdb: bool,
    /// Update pipelines (`updateMany` with a list of stages).
    pub update_pipelines: bool,
}

/// What `status` reads from the database: the changelog, the lock and the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub records: Vec<MigrationRecord>,
    pub lock: Option<LeaseInfo>,
    pub server: ServerInfo,
}

/// A snapshot read piece by piece: what [`Target::snapshot`] does unless a target can do better.
pub async fn snapshot_by_parts(target: &(impl Target + ?Sized)) -> Result<Snapshot> {
    Ok(Snapshot {
        records: target.records().await?,
        lock: target.lease_store().current().await?,
        server: target.server_info().await?,
    })
}

/// Runs steps one at a time until one fails; Ctrl-C stops the running one. What
/// [`Target::execute_group`] does unless a target can do better.
pub async fn execute_each(
    target: &(impl Target + ?Sized),
    executions: &[StepExecution<'_>],
    interrupt: Option<Interrupt>,
) -> Vec<Result<StepOutcome, StepFailure>> {
    let mut outcomes = Vec::with_capacity(executions.len());
    for execution in executions {
        if is_interrupted(&interrupt) {
            break;
        }
        let outcome = tokio::select! {
            outcome = target.execute(execution) => outcome,
            _ = wait_for_interrupt(interrupt.clone()) => {
                // The step's future is dropped by now; its statement may still run on the server.
                target.cancel_running().await;
                Err(interrupted(execution.step))
            }
        };
        let failed = outcome.is_err();
        outcomes.push(outcome);
        if failed {
            break;
        }
    }
    outcomes
}

/// What a dry-run found for one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRunStep {
    pub version: String,
    pub name: String,
    pub direction: Direction,
    pub operations: Vec<OperationReport>,
    /// The error the step would fail with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A database that mongrate migrates.
#[async_trait]
pub trait Target: Send + Sync {
    /// Which kind of database this is.
    fn kind(&self) -> TargetKind;

    /// The URL with any password hidden, for output.
    fn display_url(&self) -> String;

    /// Parses a migration file of a format this target runs; a clear error naming the file and
    /// line otherwise. Runs before anything touches the database.
    fn inspect(&self, file: &MigrationFile) -> Result<MigrationMeta>;

    /// What the server is and can do, for `status`.
    async fn server_info(&self) -> Result<ServerInfo>;

    /// The changelog records, the lock and the server, in as few round trips as the database
    /// allows (`status`).
    async fn snapshot(&self) -> Result<Snapshot> {
        snapshot_by_parts(self).await
    }

    /// Whether the changelog tables exist (a dry-run must not create them).
    async fn changelog_exists(&self) -> Result<bool>;

    /// Creates the changelog, history and lock tables and their indexes if missing.
    async fn ensure_changelog(&self) -> Result<()>;

    /// Every changelog record, by version; empty when the changelog does not exist.
    async fn records(&self) -> Result<Vec<MigrationRecord>>;

    /// A page of history, newest first; empty when the changelog does not exist.
    async fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>>;

    /// Writes a record (insert or replace by version) and appends a history entry, together.
    async fn write_record(&self, record: Option<&MigrationRecord>, history: &HistoryEntry) -> Result<()>;

    /// Runs one step and records its completion: inside one transaction with the migration where
    /// the migration is transactional, else with `running` recorded first.
    async fn execute(&self, execution: &StepExecution<'_>) -> Result<StepOutcome, StepFailure>;

    /// Runs consecutive steps that each run in a transaction as one group (see
    /// [`crate::grouping`]) and returns the outcome of each step that ran, in order. When every
    /// entry is `Ok`, all of them are applied. Otherwise the last entry is the failure, pinned
    /// to its step: the steps before it are applied, it left what its `FailureEffect` says, and
    /// the later steps did not run. `interrupt` (Ctrl-C) stops the running step the same way.
    /// The default runs them one at a time.
    async fn execute_group(
        &self,
        executions: &[StepExecution<'_>],
        interrupt: Option<Interrupt>,
    ) -> Vec<Result<StepOutcome, StepFailure>> {
        execute_each(self, executions, interrupt).await
    }

    /// Runs the steps without keeping anything, and reports what they would do.
    async fn dry_run(&self, steps: &[Step]) -> Result<Vec<DryRunStep>>;

    /// Lints migrations, in version order, before they run (see [`crate::lint`]): their text,
    /// and where a rule needs it the database as it is now, read without taking the lock or
    /// writing anything. An unknown rule in a `lint-ignore` is an error naming file and line.
    /// The default finds nothing.
    async fn lint(&self, migrations: &[Migration], _options: &LintOptions) -> Result<LintReport> {
        Ok(LintReport { migrations: migrations.len(), ..LintReport::default() })
    }

    /// The lease lock operations.
    fn lease_store(&self) -> Arc<dyn LeaseStore>;

    /// Asks the server to stop the statement a step that was just interrupted left running, so
    /// recording the interrupt does not wait for it to end. Where a server cannot, nothing.
    async fn cancel_running(&self) {}

    /// Every recorded backup, oldest first.
    async fn backups(&self) -> Result<Vec<BackupInfo>> {
        Err(no_backups(self.kind()))
    }

    /// Backs up one collection (table) now, outside any migration.
    async fn create_backup(&self, _collection: &str) -> Result<BackupInfo> {
        Err(no_backups(self.kind()))
    }

    /// Replaces `to` (default: the backup's own collection) with the backup: its documents,
    /// indexes and options as they were; records the restore in the history.
    async fn restore_backup(&self, _name: &str, _to: Option<&str>) -> Result<RestoreReport> {
        Err(no_backups(self.kind()))
    }

    /// Drops a backup and its record.
    async fn drop_backup(&self, _name: &str) -> Result<BackupInfo> {
        Err(no_backups(self.kind()))
    }

    /// Drops all but the newest `keep` backups of each collection; returns those dropped.
    async fn prune_backups(&self, keep: usize) -> Result<Vec<BackupInfo>> {
        let pruned = crate::backup::beyond_retention(&self.backups().await?, keep);
        for backup in &pruned {
            self.drop_backup(&backup.name).await?;
        }
        Ok(pruned)
    }
}

/// The error of a database kind without backups.
pub fn no_backups(kind: TargetKind) -> Error {
    Error::config(format!("backups are taken on MongoDB and PostgreSQL; this is a {kind} database"))
}
