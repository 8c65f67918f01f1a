//! Running a migration's statements: inside a transaction with its changelog update, or one at
//! a time outside any transaction with `running` recorded around them.

use std::time::Instant;

use futures_util::StreamExt;
use mongrate_core::execution::{FailureEffect, OperationReport, StepExecution, StepFailure, StepOutcome};
use mongrate_core::interrupt::{Interrupt, interrupted, is_interrupted, wait_for_interrupt};
use mongrate_core::plan::Direction;
use mongrate_core::record::{HistoryEntry, MigrationRecord};
use mongrate_core::{Error, ErrorKind, Result};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Either};

use crate::changelog::{Changelog, db_error};
use crate::errors::describe;
use crate::sql_file::SqlMigration;
use crate::statement_split::Statement;
use crate::transaction_guard;

/// The statements of a step's direction.
pub fn statements_of<'a>(parsed: &'a SqlMigration, direction: Direction, file: &str) -> Result<&'a [Statement]> {
    parsed
        .statements(direction)
        .ok_or_else(|| Error::refused(format!("{file} has no down section: it cannot be reverted")))
}

/// Only statements that change rows have a meaningful count: SQLite reports the previous
/// statement's count for DDL.
fn changes_rows(sql: &str) -> bool {
    let first = sql.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    matches!(first.as_str(), "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "REPLACE" | "UPSERT" | "WITH" | "COPY")
}

fn report(statement: &Statement, rows: u64) -> OperationReport {
    OperationReport {
        line: statement.line,
        summary: statement.summary(),
        affected: changes_rows(&statement.sql).then_some(rows),
        note: None,
        samples: None,
    }
}

fn statement_error(statement: &Statement, file: &str, error: &sqlx::Error) -> Error {
    Error::migration(format!("{file}:{}: {}", statement.line, describe(error)))
}

/// Runs one statement and reports it; an error names the file and line.
pub async fn run_statement(conn: &mut AnyConnection, statement: &Statement, file: &str) -> Result<OperationReport> {
    match sqlx::raw_sql(AssertSqlSafe(statement.sql.as_str())).execute(conn).await {
        Ok(done) => Ok(report(statement, done.rows_affected())),
        Err(e) => Err(statement_error(statement, file, &e)),
    }
}

/// How a guarded batch failed.
#[derive(Debug)]
pub enum BatchFailure {
    /// A statement failed inside the transaction: the step is rolled back to its savepoint.
    Statement(Error),
    /// A statement of this step ended the transaction: what ran before it may be committed.
    TransactionEnded(Error),
    /// The previous step's guard could not be released: a statement of that step ended the
    /// transaction, and nothing of this step ran.
    PreviousEndedTransaction,
}

/// Sends a step's statements in one round trip after opening its
/// [transaction guard](crate::transaction_guard) (and releasing the previous step's, with
/// `release_previous`), and still reports each statement: the database answers with one result
/// per statement, so the number of results before an error says which one failed. The guard
/// stays open, so the step can still be rolled back alone; [`release_guard`] closes the last one.
pub async fn run_guarded_batch(
    conn: &mut AnyConnection,
    statements: &[Statement],
    file: &str,
    release_previous: bool,
) -> Result<Vec<OperationReport>, BatchFailure> {
    let guard = if release_previous {
        &[transaction_guard::CLOSE, transaction_guard::OPEN][..]
    } else {
        &[transaction_guard::OPEN]
    };
    // A newline before each `;`, so a statement ending in a `--` comment stays closed.
    let script =
        guard.iter().copied().chain(statements.iter().map(|s| s.sql.as_str())).collect::<Vec<_>>().join("\n;\n");
    // Results seen so far: the guard's, then one per statement.
    let mut seen = 0usize;
    let mut reports = Vec::with_capacity(statements.len());
    let mut failed = None;
    {
        let mut results = sqlx::raw_sql(AssertSqlSafe(script)).fetch_many(&mut *conn);
        while let Some(item) = results.next().await {
            match item {
                Ok(Either::Left(done)) => {
                    if let Some(statement) = seen.checked_sub(guard.len()).and_then(|i| statements.get(i)) {
                        reports.push(report(statement, done.rows_affected()));
                    }
                    seen += 1;
                }
                Ok(Either::Right(_row)) => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
    }
    let Some(error) = failed else { return Ok(reports) };
    if release_previous && seen == 0 {
        return Err(BatchFailure::PreviousEndedTransaction);
    }
    let Some(statement) = seen.checked_sub(guard.len()).and_then(|i| statements.get(i)) else {
        return Err(BatchFailure::Statement(crate::errors::database("opening a savepoint", error)));
    };
    let error = statement_error(statement, file, &error);
    // A statement that failed after an unnoticed COMMIT must not be reported as rolled back.
    if transaction_guard::still_open_after_error(conn).await {
        Err(BatchFailure::Statement(error))
    } else {
        let ended = transaction_guard::transaction_ended(file, None);
        Err(BatchFailure::TransactionEnded(ended.map_message(|m| format!("{}\n{m}", error.message))))
    }
}

/// Releases the last step's guard: fails when a statement of that step ended the transaction.
pub async fn release_guard(conn: &mut AnyConnection, file: &str) -> Result<(), BatchFailure> {
    sqlx::raw_sql(transaction_guard::CLOSE)
        .execute(conn)
        .await
        .map(drop)
        .map_err(|_| BatchFailure::TransactionEnded(transaction_guard::transaction_ended(file, None)))
}

/// Runs the step in one transaction together with its changelog update: a group of one.
pub async fn in_transaction(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    execution: &StepExecution<'_>,
    statements: &[Statement],
) -> Result<StepOutcome, StepFailure> {
    let mut outcomes =
        group_in_transaction(conn, changelog, std::slice::from_ref(execution), &[statements], None).await;
    outcomes.pop().unwrap_or_else(|| {
        Err(StepFailure::new(Error::database("the migration did not run"), FailureEffect::NothingApplied))
    })
}

/// Runs a group of steps in one transaction with their changelog updates (group commit, see
/// `mongrate_core::grouping`). Each step's statements run between the opening and the release
/// of a savepoint, so a failing step is rolled back to its own start: the steps before it are
/// recorded and committed, it is reported rolled back, and the later ones do not run; Ctrl-C
/// (`interrupt`) stops the running step the same way. The lease is renewed inside the same
/// transaction right before the commit: if another runner took it over, the whole group is
/// rolled back instead of committed twice (and runs again under whoever holds the lease).
pub async fn group_in_transaction(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    executions: &[StepExecution<'_>],
    statements: &[&[Statement]],
    interrupt: Option<Interrupt>,
) -> Vec<Result<StepOutcome, StepFailure>> {
    let rolled_back = |error| vec![Err(StepFailure::new(error, FailureEffect::RolledBack))];
    let mut tx = match conn.begin_with(changelog.dialect.begin()).await {
        Ok(tx) => tx,
        Err(e) => {
            let error = crate::errors::database("starting a transaction", e);
            return vec![Err(StepFailure::new(error, FailureEffect::NothingApplied))];
        }
    };
    let mut completed = Vec::with_capacity(executions.len());
    let mut failure = None;
    for (index, (execution, statements)) in executions.iter().zip(statements).enumerate() {
        if is_interrupted(&interrupt) {
            // Stopped between steps: this one never started; the runner reports the interrupt.
            break;
        }
        let started = Instant::now();
        let file = path_of(execution);
        let (ran, stopped) = {
            let batch = run_guarded_batch(&mut tx, statements, &file, index > 0);
            tokio::pin!(batch);
            tokio::select! {
                ran = &mut batch => (ran, false),
                // The statements in flight cannot be stopped half way: let them end, then roll
                // this step back to its savepoint and keep the steps before it.
                _ = wait_for_interrupt(interrupt.clone()) => (batch.await, true),
            }
        };
        match ran {
            Ok(_) if stopped => {
                failure = Some(if transaction_guard::still_open_after_error(&mut tx).await {
                    interrupted(execution.step)
                } else {
                    StepFailure::new(transaction_guard::transaction_ended(&file, None), FailureEffect::Partial)
                });
                break;
            }
            Ok(operations) => completed.push(StepOutcome { elapsed: started.elapsed(), operations }),
            Err(BatchFailure::Statement(error)) => {
                failure = Some(StepFailure::new(error, FailureEffect::RolledBack));
                break;
            }
            Err(BatchFailure::TransactionEnded(error)) => {
                drop(tx);
                return ended_by(conn, changelog, executions, completed, error).await;
            }
            Err(BatchFailure::PreviousEndedTransaction) => {
                // The step before this one ended the transaction: that one failed part way.
                drop(tx);
                completed.pop();
                let error = transaction_guard::transaction_ended(&path_of(&executions[index - 1]), None);
                return ended_by(conn, changelog, executions, completed, error).await;
            }
        }
    }
    if failure.is_none() && !completed.is_empty() {
        let last = &executions[completed.len() - 1];
        if let Err(BatchFailure::TransactionEnded(error)) = release_guard(&mut tx, &path_of(last)).await {
            drop(tx);
            completed.pop();
            return ended_by(conn, changelog, executions, completed, error).await;
        }
    }
    if !completed.is_empty() {
        let (records, history): (Vec<_>, Vec<_>) =
            executions.iter().zip(&completed).map(|(execution, outcome)| execution.completed(outcome.elapsed)).unzip();
        let fence = executions[0].lease_owner.map(|owner| (owner, executions[0].lease_ttl));
        match changelog.record_completion(&mut tx, &records, &history, fence).await {
            Ok(true) => {}
            Ok(false) => {
                let _ = tx.rollback().await;
                return rolled_back(Error::new(
                    ErrorKind::LeaseLost,
                    "the migration lock was taken over by another runner; rolled back instead of committing",
                ));
            }
            Err(error) => {
                let _ = tx.rollback().await;
                return rolled_back(error);
            }
        }
    }
    if let Err(e) = tx.commit().await {
        return rolled_back(crate::errors::database("committing", e));
    }
    completed.into_iter().map(Ok).chain(failure.map(Err)).collect()
}

/// The migration file of a step (its down file, going down), as messages name it.
fn path_of(execution: &StepExecution<'_>) -> String {
    execution.step.migration.file.source(execution.step.direction).display().to_string()
}

/// The outcomes when a statement of the step after `completed` ended the transaction: what ran
/// before it was committed by that statement, the completed steps included, so they are
/// recorded as they are, and that step failed part way.
async fn ended_by(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    executions: &[StepExecution<'_>],
    completed: Vec<StepOutcome>,
    error: Error,
) -> Vec<Result<StepOutcome, StepFailure>> {
    let mut outcomes = record_outside(conn, changelog, executions, completed).await;
    if outcomes.iter().all(Result::is_ok) {
        outcomes.push(Err(StepFailure::new(error, FailureEffect::Partial)));
    }
    outcomes
}

/// Records steps whose statements were committed without their records, in a transaction of
/// their own; a failure to do so makes them partly applied.
async fn record_outside(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    executions: &[StepExecution<'_>],
    completed: Vec<StepOutcome>,
) -> Vec<Result<StepOutcome, StepFailure>> {
    if completed.is_empty() {
        return Vec::new();
    }
    let (records, history): (Vec<_>, Vec<_>) =
        executions.iter().zip(&completed).map(|(execution, outcome)| execution.completed(outcome.elapsed)).unzip();
    match record_in_own_transaction(conn, changelog, &records, &history).await {
        Ok(()) => completed.into_iter().map(Ok).collect(),
        Err(error) => vec![Err(StepFailure::new(error, FailureEffect::Partial))],
    }
}

/// Runs the statements one at a time, each committed on its own: for statements that cannot run
/// in a transaction. `running` is recorded first, so a crash leaves a visible trace.
pub async fn outside_transaction(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    execution: &StepExecution<'_>,
    statements: &[Statement],
) -> Result<StepOutcome, StepFailure> {
    let started = Instant::now();
    let file = path_of(execution);
    changelog
        .upsert(conn, &execution.running_record())
        .await
        .map_err(|e| StepFailure::new(e, FailureEffect::NothingApplied))?;
    let mut operations = Vec::with_capacity(statements.len());
    for statement in statements {
        match run_statement(conn, statement, &file).await {
            Ok(report) => operations.push(report),
            // Each statement commits on its own (and fails whole): the first failing changes nothing.
            Err(error) => {
                return Err(StepFailure::new(error, FailureEffect::without_transaction(!operations.is_empty())));
            }
        }
    }
    let (record, history) = execution.completed(started.elapsed());
    record_in_own_transaction(conn, changelog, &[record], &[history])
        .await
        .map_err(|e| StepFailure::new(e, FailureEffect::Partial))?;
    Ok(StepOutcome { elapsed: started.elapsed(), operations })
}

/// Writes records and history entries of steps that already took effect, together.
async fn record_in_own_transaction(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    records: &[MigrationRecord],
    history: &[HistoryEntry],
) -> Result<()> {
    let mut tx = conn.begin_with(changelog.dialect.begin()).await.map_err(db_error("recording the migration"))?;
    changelog.record_completion(&mut tx, records, history, None).await?;
    tx.commit().await.map_err(db_error("recording the migration"))
}
