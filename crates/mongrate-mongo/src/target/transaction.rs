//! Migrations in MongoDB transactions: one alone, or a group committed together.
//!
//! Each migration that runs in a transaction commits with its changelog record and a lease
//! fence. A group of them (group commit, see `mongrate_core::grouping`) shares one transaction,
//! one fence and one command each for the records and the history entries. MongoDB has no
//! savepoints, so when anything in a group fails the transaction is aborted and the group runs
//! again one migration at a time: the failure is pinned to its migration, the ones before it are
//! applied and the ones after it do not run. Ctrl-C during a group aborts it and applies the
//! migrations before the interrupted one the same way.

use std::time::Instant;

use mongodb::ClientSession;
use mongrate_core::ErrorKind;
use mongrate_core::execution::{OperationReport, StepExecution, StepFailure, StepOutcome};
use mongrate_core::interrupt::{Interrupt, interrupted, is_interrupted, wait_for_interrupt};
use mongrate_core::record::MigrationStatus;
use mongrate_core::target::execute_each;
use mongrate_core::{Error, MigrationFile, Result};

use super::{MongoTarget, not_started, rolled_back};
use crate::errors::server;
use crate::executor::Executor;
use crate::operation::Operation;
use crate::script::{ScriptEngine, ScriptOutcome};

/// What a migration runs: declarative operations, or a program and the engine that runs it.
pub(super) enum Work<'a> {
    Operations(Vec<Operation>),
    Script(&'a MigrationFile, &'a dyn ScriptEngine),
}

/// How a group's steps ended inside its transaction.
enum Stop {
    /// Every step ran.
    Done,
    /// Ctrl-C before the step at this index started, or (`true`) while it ran.
    Interrupted(usize, bool),
    /// The step at this index failed.
    Failed(usize, StepFailure),
}

impl MongoTarget {
    /// Runs `executions` in one transaction with their changelog records (see the module doc).
    pub(super) async fn run_in_transaction(
        &self,
        executions: &[StepExecution<'_>],
        works: Vec<Work<'_>>,
        interrupt: Option<Interrupt>,
    ) -> Vec<Result<StepOutcome, StepFailure>> {
        let begin = async {
            let mut session = self.db.client().start_session().await?;
            session.start_transaction().await?;
            Ok::<_, mongodb::error::Error>(session)
        };
        let mut session = match begin.await {
            Ok(session) => Some(session),
            Err(e) => return vec![Err(not_started(server("starting a transaction", &e)))],
        };
        let mut completed = Vec::with_capacity(executions.len());
        let mut stop = Stop::Done;
        for (index, (execution, work)) in executions.iter().zip(works).enumerate() {
            if is_interrupted(&interrupt) {
                stop = Stop::Interrupted(index, false);
                break;
            }
            let Some(open) = session.take() else { break };
            let started = Instant::now();
            let ran = tokio::select! {
                ran = self.run_work(execution, work, open) => Some(ran),
                _ = wait_for_interrupt(interrupt.clone()) => None,
            };
            let Some(ran) = ran else {
                stop = Stop::Interrupted(index, true);
                break;
            };
            match ran {
                (Ok(operations), open) => {
                    session = open;
                    completed.push(StepOutcome { elapsed: started.elapsed(), operations });
                }
                (Err(failure), open) => {
                    session = open;
                    stop = Stop::Failed(index, failure);
                    break;
                }
            }
        }
        let outcome = match (stop, session) {
            (Stop::Done, Some(mut session)) => match self.finish(executions, &completed, &mut session).await {
                Ok(()) => return completed.into_iter().map(Ok).collect(),
                Err(error) => {
                    let _ = session.abort_transaction().await;
                    Err((error, session))
                }
            },
            (Stop::Done, None) => {
                return vec![Err(rolled_back(Error::migration(
                    "the script engine did not hand back the migration's transaction",
                )))];
            }
            (stop, Some(mut session)) => {
                // Aborting is best effort: the server aborts an abandoned transaction anyway.
                let _ = session.abort_transaction().await;
                Ok(stop)
            }
            (stop, None) => Ok(stop),
        };
        match outcome {
            // A group that could not commit: nothing of it is applied; never again under a lost lease.
            Err((error, _)) if error.kind == ErrorKind::LeaseLost || executions.len() == 1 => {
                vec![Err(rolled_back(error))]
            }
            Err(_) => execute_each(self, executions, interrupt).await,
            Ok(Stop::Failed(_, failure)) if executions.len() == 1 => vec![Err(rolled_back(failure.error))],
            Ok(Stop::Failed(index, _)) => execute_each(self, &executions[..=index], interrupt).await,
            Ok(Stop::Interrupted(index, running)) => {
                let mut outcomes = execute_each(self, &executions[..index], None).await;
                if running && outcomes.iter().all(Result::is_ok) {
                    outcomes.push(Err(interrupted(executions[index].step)));
                }
                outcomes
            }
            Ok(Stop::Done) => Vec::new(),
        }
    }

    /// Runs one step's work in the transaction; hands the session back when it still has it.
    async fn run_work(
        &self,
        execution: &StepExecution<'_>,
        work: Work<'_>,
        mut session: ClientSession,
    ) -> (Result<Vec<OperationReport>, StepFailure>, Option<ClientSession>) {
        match work {
            Work::Operations(operations) => {
                let ran = {
                    let executor = Executor {
                        db: &self.db,
                        capabilities: &self.capabilities,
                        session: Some(tokio::sync::Mutex::new(&mut session)),
                    };
                    self.run_operations(execution, &operations, &executor, None).await
                };
                (ran.map_err(|failure| rolled_back(failure.error)), Some(session))
            }
            Work::Script(file, engine) => {
                let mut run = self.script_run(file, execution.step.direction, false);
                run.transaction = Some(session);
                match engine.run(run).await {
                    Ok(ScriptOutcome { operations, transaction }) => (Ok(operations), transaction),
                    Err(failure) => (Err(rolled_back(failure.error)), None),
                }
            }
        }
    }

    /// Fences the lease, records the completed steps and commits, all in the transaction.
    async fn finish(
        &self,
        executions: &[StepExecution<'_>],
        completed: &[StepOutcome],
        session: &mut ClientSession,
    ) -> Result<()> {
        let first = &executions[0];
        if let Some(owner) = first.lease_owner
            && !self.lease.renew_in(owner, first.lease_ttl, session).await?
        {
            return Err(Error::new(
                ErrorKind::LeaseLost,
                "the migration lock was taken over by another runner; the transaction was not committed",
            ));
        }
        let (records, history): (Vec<_>, Vec<_>) =
            executions.iter().zip(completed).map(|(execution, outcome)| execution.completed(outcome.elapsed)).unzip();
        match (records.as_slice(), history.as_slice()) {
            ([record], [entry]) => {
                self.changelog.upsert(record, Some(&mut *session)).await?;
                self.changelog.append(entry, Some(&mut *session)).await?;
            }
            _ => {
                self.changelog.upsert_all(&records, session).await?;
                self.changelog.append_all(&history, session).await?;
            }
        }
        commit(session).await?;
        // The running marker of an interrupted earlier attempt is superseded (best effort: a marker
        // older than the record is ignored anyway).
        for execution in executions {
            if execution.step.previous.as_ref().is_some_and(|p| p.status == MigrationStatus::Running) {
                let _ = self.changelog.clear_running(&execution.step.migration.file.version).await;
            }
        }
        Ok(())
    }
}

/// Commits, retrying while the outcome is unknown (the driver's advice for that label).
async fn commit(session: &mut ClientSession) -> Result<()> {
    let mut attempts = 0;
    loop {
        match session.commit_transaction().await {
            Ok(()) => return Ok(()),
            Err(error) if error.contains_label("UnknownTransactionCommitResult") && attempts < 3 => attempts += 1,
            Err(error) => return Err(server("committing the transaction", &error)),
        }
    }
}
