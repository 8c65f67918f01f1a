//! The run: plan, take the lease, re-plan under it, execute step by step, release.

use std::time::Duration;

use serde::Serialize;
// tokio's clock, not std's: the same in production, and it follows paused time in tests.
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::execution::{FailureEffect, OperationReport, StepExecution, StepFailure, StepOutcome};
use crate::grouping::{DEFAULT_GROUP_SIZE, groups};
use crate::host::AppliedBy;
use crate::interrupt::{Interrupt, is_interrupted};
use crate::lease::LeaseClaim;
use crate::lease_guard::{Acquisition, LeaseGuard, acquire, try_acquire};
use crate::migration::Migration;
use crate::plan::{Direction, Plan, PlanRequest, Step, plan};
use crate::reporter::Reporter;
use crate::target::{DryRunStep, Target, execute_each};

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub lock_ttl: Duration,
    pub lock_timeout: Duration,
    pub lock_poll: Duration,
    pub dry_run: bool,
    /// Written on the lease, shown to runners that wait.
    pub reason: String,
    /// How many consecutive transactional migrations are committed together (1: each alone).
    pub group_size: usize,
    /// After a failed migration, go on with the next ones (each then commits alone, so one
    /// failure holds back no other); the run still fails, listing every failure.
    pub continue_on_error: bool,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            lock_ttl: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(120),
            lock_poll: Duration::from_millis(250),
            dry_run: false,
            reason: "mongrate".into(),
            group_size: DEFAULT_GROUP_SIZE,
            continue_on_error: false,
        }
    }
}

/// One step that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepReport {
    pub version: String,
    pub name: String,
    pub direction: Direction,
    /// Milliseconds.
    pub execution_time: i64,
    pub operations: Vec<OperationReport>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunReport {
    pub dry_run: bool,
    pub steps: Vec<StepReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preview: Vec<DryRunStep>,
    /// Every step that failed: one at most, unless the run continued on errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureReport>,
}

/// One step that failed, and what it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailureReport {
    pub version: String,
    pub name: String,
    pub direction: Direction,
    pub kind: ErrorKind,
    pub message: String,
}

/// Drives a target through a request.
pub struct Runner<'a> {
    pub target: &'a dyn Target,
    pub migrations: &'a [Migration],
    pub settings: &'a RunSettings,
    pub reporter: &'a dyn Reporter,
    /// Becomes `true` when the user asks to stop (Ctrl-C).
    pub interrupt: Option<Interrupt>,
}

impl Runner<'_> {
    /// Carries out `request`.
    pub async fn run(&self, request: PlanRequest) -> Result<RunReport> {
        if self.settings.dry_run {
            return self.preview(&request).await;
        }
        // A file that cannot be loaded and that the run needs refuses it before the changelog is made.
        if self.migrations.iter().any(|m| m.load_error.is_some()) {
            let records = if self.target.changelog_exists().await? { self.target.records().await? } else { Vec::new() };
            if let Err(error) = plan(self.migrations, &records, &request)
                && error.kind == ErrorKind::Validation
            {
                return Err(error);
            }
        }
        self.target.ensure_changelog().await?;
        let applied_by = AppliedBy::current();
        let claim = LeaseClaim {
            owner: crate::lease_guard::new_owner_id(),
            holder: applied_by.clone(),
            reason: self.settings.reason.clone(),
            ttl: self.settings.lock_ttl,
        };
        // The common case, nobody else running: take the lease at once and read the changelog
        // once, under it (on a server that reads the changelog slowly, half the time of a deploy).
        let guard = match try_acquire(self.target.lease_store(), &claim).await? {
            Some(guard) => guard,
            None => match self.wait_for_lease(&request, &claim).await? {
                Some(guard) => guard,
                None => return Ok(RunReport::default()),
            },
        };
        self.reporter.lock_acquired();
        let mut report = RunReport::default();
        let outcome = self.run_locked(&request, &guard, &applied_by, &mut report).await;
        let released = guard.release().await;
        let outcome = match (outcome, released) {
            (Err(error), Err(release)) => Err(error.map_message(|message| {
                format!("{message}\nThe lock could not be released either (it expires by itself): {release}")
            })),
            (Err(error), Ok(())) | (Ok(()), Err(error)) => Err(error),
            (Ok(()), Ok(())) => Ok(()),
        };
        // A failed run still says what it applied before the failure.
        outcome.map_err(|error| error.with_report(report.clone()))?;
        Ok(report)
    }

    /// Waits for the lease another runner holds; `None` when there is nothing to do (any more).
    async fn wait_for_lease(&self, request: &PlanRequest, claim: &LeaseClaim) -> Result<Option<LeaseGuard>> {
        // Refusals (drift, blocked, irreversible) surface before waiting for the lock. A migration
        // recorded `running` while another runner holds a live lease is that runner's work in
        // progress, not a crash: wait, and judge again under the lease.
        match self.plan(request).await {
            Ok(plan) if plan.is_empty() => return Ok(None),
            Ok(_) => {}
            Err(error) if error.kind == ErrorKind::Migration && self.lease_is_live().await? => {}
            Err(error) => return Err(error),
        }
        let acquisition = acquire(
            self.target.lease_store(),
            claim,
            self.settings.lock_timeout,
            self.settings.lock_poll,
            // Anything the plan refuses is reported once the lease is ours.
            || async move { Ok(self.plan(request).await.map_or(true, |plan| !plan.is_empty())) },
            |holder| self.reporter.waiting_for_lock(holder),
        )
        .await?;
        match acquisition {
            Acquisition::Acquired(guard) => Ok(Some(guard)),
            Acquisition::NoLongerNeeded => {
                self.reporter.notice("another runner applied the pending migrations");
                Ok(None)
            }
        }
    }

    /// Whether another runner holds an unexpired lease right now.
    async fn lease_is_live(&self) -> Result<bool> {
        Ok(self.target.lease_store().current().await?.is_some_and(|lease| !lease.expired))
    }

    async fn plan(&self, request: &PlanRequest) -> Result<Plan> {
        let records = self.target.records().await?;
        plan(self.migrations, &records, request)
    }

    async fn preview(&self, request: &PlanRequest) -> Result<RunReport> {
        let records = if self.target.changelog_exists().await? { self.target.records().await? } else { Vec::new() };
        let plan = plan(self.migrations, &records, request)?;
        let preview = self.target.dry_run(&plan.steps).await?;
        if let Some(failed) = preview.iter().find(|s| s.error.is_some()) {
            let why = failed.error.clone().unwrap_or_default();
            self.reporter.notice(&format!("dry-run: {} {} would fail: {why}", failed.version, failed.name));
        }
        Ok(RunReport { dry_run: true, preview, ..RunReport::default() })
    }

    /// Runs the plan's steps, a group at a time, adding each completed one to `report`.
    async fn run_locked(
        &self,
        request: &PlanRequest,
        guard: &LeaseGuard,
        applied_by: &AppliedBy,
        report: &mut RunReport,
    ) -> Result<()> {
        // Someone may have migrated while we waited: plan again under the lease.
        let plan = self.plan(request).await?;
        let group_size = if self.settings.continue_on_error { 1 } else { self.settings.group_size };
        for group in groups(&plan.steps, group_size) {
            guard.ensure_held().await?;
            self.interrupted_check()?;
            let steps = &plan.steps[group];
            let executions: Vec<StepExecution> = steps
                .iter()
                .map(|step| StepExecution {
                    step,
                    batch: plan.batch,
                    applied_by,
                    lease_owner: Some(guard.owner()),
                    lease_ttl: guard.ttl(),
                    lease_watch: guard.watch(),
                })
                .collect();
            for step in steps {
                self.reporter.step_started(step);
            }
            let started = Instant::now();
            let outcomes = self.run_group(&executions).await;
            let ran = outcomes.len();
            for (execution, outcome) in executions.iter().zip(outcomes) {
                let step = execution.step;
                match outcome {
                    Ok(outcome) => {
                        self.reporter.step_completed(step, &outcome);
                        report.steps.push(StepReport {
                            version: step.migration.version().to_string(),
                            name: step.migration.meta.name.clone(),
                            direction: step.direction,
                            execution_time: outcome.elapsed.as_millis() as i64,
                            operations: outcome.operations,
                        });
                    }
                    Err(failure) => {
                        self.reporter.step_failed(step, &failure);
                        let (record, history) = execution.failed(started.elapsed(), &failure);
                        let recorded = self.target.write_record(record.as_ref(), &history).await;
                        // Going on is for failures of a migration, not for Ctrl-C or a lost lease.
                        let went_on = self.settings.continue_on_error
                            && !matches!(failure.error.kind, ErrorKind::Interrupted | ErrorKind::LeaseLost);
                        let error = failure_error(step, &failure, recorded.err(), went_on);
                        report.failures.push(FailureReport {
                            version: step.migration.version().to_string(),
                            name: step.migration.meta.name.clone(),
                            direction: step.direction,
                            kind: error.kind,
                            message: error.message.clone(),
                        });
                        if !went_on {
                            return Err(error);
                        }
                    }
                }
            }
            // A group stops early only when interrupted between its steps.
            if ran < executions.len() {
                self.interrupted_check()?;
                return Err(Error::database("a group of migrations stopped before its end without a failure"));
            }
        }
        match report.failures.as_slice() {
            [] => Ok(()),
            [only] => Err(Error::migration(only.message.clone())),
            several => {
                let each: Vec<String> = several.iter().map(|f| f.message.clone()).collect();
                Err(Error::migration(format!(
                    "{} migrations failed (the run went on after each failure):\n{}",
                    several.len(),
                    each.join("\n")
                )))
            }
        }
    }

    /// One step through `execute`, several through `execute_group`; Ctrl-C stops the running one.
    async fn run_group(&self, executions: &[StepExecution<'_>]) -> Vec<Result<StepOutcome, StepFailure>> {
        match executions {
            [_] => execute_each(self.target, executions, self.interrupt.clone()).await,
            _ => self.target.execute_group(executions, self.interrupt.clone()).await,
        }
    }

    fn interrupted_check(&self) -> Result<()> {
        if is_interrupted(&self.interrupt) {
            return Err(Error::new(
                ErrorKind::Interrupted,
                "interrupted (Ctrl-C or a stop signal) before the next migration",
            ));
        }
        Ok(())
    }
}

fn failure_error(step: &Step, failure: &StepFailure, record_error: Option<Error>, went_on: bool) -> Error {
    let migration = &step.migration;
    let remains = what_remains(step.direction, failure.effect, went_on);
    let mut message = format!(
        "{} {} ({}) failed: {}\n{remains}",
        step.direction.as_str(),
        migration.version(),
        migration.file.file_name,
        failure.error.message,
    );
    if let Some(error) = record_error {
        message.push_str(&format!("\nThe failure could not be recorded either: {error}"));
    }
    let kind = match failure.error.kind {
        ErrorKind::Interrupted | ErrorKind::LeaseLost => failure.error.kind,
        _ => ErrorKind::Migration,
    };
    Error::new(kind, message)
}

/// What a failed step left, in true words: a rollback is named only where there was a
/// transaction, and the choices only where they are shown. `went_on`: the run continued after it
/// (`--continue-on-error`).
pub fn what_remains(direction: Direction, effect: FailureEffect, went_on: bool) -> String {
    let later = if went_on { "The run went on with the next migrations" } else { "Later migrations were not run" };
    match (direction, effect) {
        (Direction::Up, FailureEffect::RolledBack) => {
            format!("Its transaction was rolled back: nothing of it was applied. {later}.")
        }
        (Direction::Up, FailureEffect::NothingApplied) => format!(
            "It ran without a transaction and failed before changing anything: nothing of it was applied. {later}."
        ),
        (Direction::Up, FailureEffect::Partial) => format!(
            "It ran outside a transaction, so part of it may be applied. {later}; `mongrate status` shows the choices."
        ),
        (Direction::Up, FailureEffect::Restored) => format!("{later}."),
        (Direction::Down, FailureEffect::Restored) => "It is still applied.".to_owned(),
        (Direction::Down, FailureEffect::RolledBack) => {
            "Its transaction was rolled back: nothing of it was reverted, and it is still applied.".to_owned()
        }
        (Direction::Down, FailureEffect::NothingApplied) => {
            "It ran without a transaction and failed before changing anything: it is still applied.".to_owned()
        }
        (Direction::Down, FailureEffect::Partial) => "It ran outside a transaction, so part of it may be reverted; \
             it stays recorded as applied (down failed). `mongrate status` shows the choices."
            .to_owned(),
    }
}

#[cfg(test)]
mod tests;
