//! Backups around a step: taken before it runs, restored when it fails without a transaction
//! (recorded in the history as a `restore`), previewed with their sizes by a dry-run.

use std::time::Instant;

use mongrate_core::Result;
use mongrate_core::backup::{
    BackupInfo, RestoreAfterFailure, RestoreReport, hand_restore_entry, latest_for_version, merged,
};
use mongrate_core::execution::{OperationReport, StepExecution, StepFailure};
use mongrate_core::plan::Step;
use mongrate_core::target::DryRunStep;

use super::transaction::Work;
use super::{MongoTarget, operations_of};
use crate::operation::Operation;

impl MongoTarget {
    /// The collections to back up before `step`: its `backup` list, and with `[backup] auto`
    /// every collection its destructive declarative operations touch.
    pub(super) fn backup_collections(&self, step: &Step, work: &Work<'_>) -> Result<Vec<String>> {
        let operations: &[Operation] = match work {
            Work::Operations(operations) => operations,
            Work::Script(..) => &[],
        };
        let automatic = operations.iter().flat_map(Operation::destructive_collections);
        merged(&step.migration.meta.backup, automatic, self.backups.policy.auto)
    }

    /// Takes the step's backups, each followed by the retention of its collection.
    pub(super) async fn take_backups(&self, execution: &StepExecution<'_>, work: &Work<'_>) -> Result<Vec<BackupInfo>> {
        let migration = &execution.step.migration;
        let mut taken = Vec::new();
        for collection in self.backup_collections(execution.step, work)? {
            let backup = self.backups.take(&collection, Some((&migration.file.version, migration.name()))).await?;
            self.backups.apply_retention(&collection).await?;
            taken.push(backup);
        }
        Ok(taken)
    }

    /// A step that failed without a transaction after changing something: its backups are
    /// restored, the restore recorded, and the failure says so. When every collection it could
    /// have changed was restored, nothing of it remains.
    pub(super) async fn restore_after_failure(
        &self,
        execution: &StepExecution<'_>,
        failure: StepFailure,
        taken: &[BackupInfo],
        work: &Work<'_>,
    ) -> StepFailure {
        if taken.is_empty() || !failure.effect.is_partial() {
            return failure;
        }
        let mut restores = RestoreAfterFailure::start();
        for backup in taken {
            if !restores.note(self.backups.restore(&backup.name, None).await) {
                break;
            }
        }
        let recorded = self.changelog.append(&restores.history_entry(execution), None).await;
        let everything = changes_only(work, restores.restored());
        restores.failure(failure, taken, everything, recorded)
    }

    /// `up --restart`: before the migration starts over, the collections its stopped run
    /// changed are put back from the backups that run took (the newest of each collection taken
    /// for its version); the restore is recorded in the history. Nothing when it took none.
    pub(super) async fn restore_for_restart(&self, execution: &StepExecution<'_>) -> Result<()> {
        let version = execution.step.migration.version().to_string();
        let chosen = latest_for_version(&self.backups.list().await?, &version);
        if chosen.is_empty() {
            return Ok(());
        }
        let mut restores = RestoreAfterFailure::start();
        for backup in &chosen {
            if !restores.note(self.backups.restore(&backup.name, None).await) {
                break;
            }
        }
        self.changelog.append(&restores.history_entry(execution), None).await?;
        restores.into_result()
    }

    /// `mongrate backup restore`: restores and records it in the history.
    pub(super) async fn restore_by_hand(&self, name: &str, to: Option<&str>) -> Result<RestoreReport> {
        let backups = self.backups.list().await?;
        let started = Instant::now();
        let restored = self.backups.restore(name, to).await;
        let entry = hand_restore_entry(&backups, name, &restored, started.elapsed());
        let recorded = self.changelog.append(&entry, None).await;
        let report = restored?;
        recorded?;
        Ok(report)
    }

    /// A dry-run's lines for the backups a step would take, with their sizes.
    pub(super) async fn preview_backups(&self, step: &Step, report: &mut DryRunStep) -> Result<()> {
        let file = &step.migration.file;
        let operations = match self.script_engine(file) {
            Some(_) => Vec::new(),
            None => match self.parse(file).and_then(|parsed| operations_of(&parsed, step.direction, file)) {
                Ok(operations) => operations,
                // The operations' preview reports it.
                Err(_) => return Ok(()),
            },
        };
        let collections = match self.backup_collections(step, &Work::Operations(operations)) {
            Ok(collections) => collections,
            Err(error) => {
                report.error = Some(error.message);
                return Ok(());
            }
        };
        for collection in collections {
            let planned = self.backups.plan(&collection).await?;
            report.operations.push(OperationReport {
                line: 0,
                summary: planned.summary("document"),
                affected: planned.exists.then_some(planned.documents),
                note: None,
                samples: None,
            });
        }
        Ok(())
    }
}

/// Whether every collection the step could change is among `restored` (declarative operations
/// only: a program or a raw command may change anything).
fn changes_only(work: &Work<'_>, restored: &[String]) -> bool {
    match work {
        Work::Script(..) => false,
        Work::Operations(operations) => operations.iter().all(|operation| {
            operation.touched_collections().is_some_and(|touched| touched.iter().all(|c| restored.contains(c)))
        }),
    }
}
