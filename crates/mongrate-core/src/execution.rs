//! One step as handed to a target, and the changelog records that describe its outcome.
//!
//! The records are built here, once, so every target writes the same thing.

use std::time::Duration;

use serde::Serialize;

use crate::host::AppliedBy;
use crate::lease_guard::LeaseWatch;
use crate::plan::{Direction, Step};
use crate::record::{HistoryAction, HistoryEntry, HistoryOutcome, MigrationRecord, MigrationStatus};
use crate::timestamp::now_rfc3339;

/// A step to run, with what the target needs to record it.
#[derive(Debug, Clone)]
pub struct StepExecution<'a> {
    pub step: &'a Step,
    pub batch: i64,
    pub applied_by: &'a AppliedBy,
    /// The lease owner: a target that can, checks inside the migration's transaction that the lease
    /// is still this runner's before committing (fencing).
    pub lease_owner: Option<&'a str>,
    pub lease_ttl: Duration,
    /// Reports a lease lost while the step runs (a long batch loop stops at its next batch).
    pub lease_watch: LeaseWatch,
}

/// What a statement or operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationReport {
    /// Line in the migration file where it starts.
    pub line: usize,
    /// A one-line summary: the statement's first line, or the operation.
    pub summary: String,
    /// Rows or documents touched, where the database says.
    pub affected: Option<u64>,
    /// Why it was not run (dry-run of something that cannot be previewed), or what a dry-run
    /// of a data loop found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A dry-run's examples of what a data transform would do: documents before and after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<Vec<DocumentSample>>,
}

/// One document as it is, and as a data transform would write it (MongoDB relaxed extended JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentSample {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub before: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub after: serde_json::Value,
}

/// A finished step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    pub elapsed: Duration,
    pub operations: Vec<OperationReport>,
}

/// What a failed step left in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureEffect {
    /// Its transaction was rolled back: nothing of it remains.
    RolledBack,
    /// It ran without a transaction and failed before it changed anything (its first operation
    /// failed, or it never started).
    NothingApplied,
    /// It ran without a transaction and may have changed part of what it meant to: such a
    /// failure blocks the next run until someone decides.
    Partial,
    /// It ran without a transaction, failed, and its backups were restored: the collections it
    /// changed are as they were before it, and it changed nothing else.
    Restored,
}

impl FailureEffect {
    /// Whether some of the step's changes may be in the database.
    pub fn is_partial(self) -> bool {
        self == FailureEffect::Partial
    }

    /// The effect of a step that ran without a transaction, by whether anything was done yet.
    pub fn without_transaction(changed_something: bool) -> Self {
        if changed_something { FailureEffect::Partial } else { FailureEffect::NothingApplied }
    }
}

/// A step that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    pub error: crate::error::Error,
    pub effect: FailureEffect,
}

impl StepFailure {
    pub fn new(error: crate::error::Error, effect: FailureEffect) -> Self {
        StepFailure { error, effect }
    }
}

impl StepExecution<'_> {
    fn base_record(&self) -> MigrationRecord {
        let migration = &self.step.migration;
        let now = now_rfc3339();
        let previous = self.step.previous.as_ref();
        MigrationRecord {
            version: migration.version(),
            name: migration.meta.name.clone(),
            description: migration.meta.description.clone(),
            status: match self.step.direction {
                Direction::Up => MigrationStatus::Running,
                Direction::Down => MigrationStatus::Reverting,
            },
            applied_at: previous.and_then(|p| p.applied_at.clone()),
            rolled_back_at: previous.and_then(|p| p.rolled_back_at.clone()),
            execution_time: previous.and_then(|p| p.execution_time),
            error: None,
            partial: false,
            reversible: migration.meta.reversible,
            checksum: migration.file.checksum.clone(),
            batch: match self.step.direction {
                Direction::Up => self.batch,
                Direction::Down => previous.map_or(self.batch, |p| p.batch),
            },
            applied_by: self.applied_by.clone(),
            checkpoint: previous.and_then(|p| p.checkpoint.clone()),
            metadata: previous.and_then(|p| p.metadata.clone()),
            created_at: previous.map_or_else(|| now.clone(), |p| p.created_at.clone()),
            updated_at: now,
        }
    }

    fn history(&self, status: HistoryOutcome, elapsed: Duration, error: Option<String>) -> HistoryEntry {
        let migration = &self.step.migration;
        HistoryEntry {
            id: 0,
            version: migration.version(),
            name: migration.meta.name.clone(),
            action: match self.step.direction {
                Direction::Up => HistoryAction::Up,
                Direction::Down => HistoryAction::Down,
            },
            status,
            at: now_rfc3339(),
            execution_time: Some(elapsed.as_millis() as i64),
            error,
            checksum: Some(migration.file.checksum.clone()),
            batch: Some(self.batch),
            applied_by: self.applied_by.clone(),
        }
    }

    /// The record written before a migration that runs outside a transaction starts.
    pub fn running_record(&self) -> MigrationRecord {
        self.base_record()
    }

    /// The record and history entry of a step that finished.
    pub fn completed(&self, elapsed: Duration) -> (MigrationRecord, HistoryEntry) {
        let mut record = self.base_record();
        record.execution_time = Some(elapsed.as_millis() as i64);
        // Finished: nothing is left to resume.
        record.checkpoint = None;
        match self.step.direction {
            Direction::Up => {
                record.status = MigrationStatus::Completed;
                record.applied_at = Some(record.updated_at.clone());
                record.rolled_back_at = None;
            }
            Direction::Down => {
                record.status = MigrationStatus::RolledBack;
                record.rolled_back_at = Some(record.updated_at.clone());
            }
        }
        (record, self.history(HistoryOutcome::Completed, elapsed, None))
    }

    /// The record (if it changes) and history entry of a step that failed.
    ///
    /// An `up` is recorded `failed`, with `partial` when some of it may remain. A `down` that
    /// changed nothing leaves the record as it was (the migration is still applied); one that may
    /// have reverted part of it is recorded `down-failed`: still applied, partly reverted, and
    /// never offered to `up --retry`.
    pub fn failed(&self, elapsed: Duration, failure: &StepFailure) -> (Option<MigrationRecord>, HistoryEntry) {
        let history = self.history(HistoryOutcome::Failed, elapsed, Some(failure.error.message.clone()));
        let partial = failure.effect.is_partial();
        if self.step.direction == Direction::Down && !partial {
            return (None, history);
        }
        let mut record = self.base_record();
        record.status = match self.step.direction {
            Direction::Up => MigrationStatus::Failed,
            Direction::Down => MigrationStatus::DownFailed,
        };
        record.error = Some(failure.error.message.clone());
        record.partial = partial;
        record.execution_time = Some(elapsed.as_millis() as i64);
        (Some(record), history)
    }
}
