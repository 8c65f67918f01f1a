//! Running a migration's statements: inside a transaction with its changelog update, or one at
//! a time outside any transaction with `running` recorded around them.

use std::time::Instant;

use futures_util::StreamExt;
use mongrate_core::execution::{FailureEffect, OperationReport, StepExecution, StepFailure, StepOutcome};
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
    match direction {
        Direction::Up => Ok(&parsed.up),
        Direction::Down => parsed
            .down
            .as_deref()
            .ok_or_else(|| Error::refused(format!("{file} has no down section: it cannot be reverted"))),
    }
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
    /// A statement (or the guard's opening) failed inside the transaction.
    Statement(Error),
    /// A statement ended the transaction: what ran before it may be committed.
    TransactionEnded(Error),
}

/// Sends all statements in one round trip between the opening and the release of the
/// [transaction guard](crate::transaction_guard), and still reports each one: the database
/// answers with one result per statement, so the number of results before an error says which
/// one failed, and a failing release says a statement ended the transaction.
pub async fn run_guarded_batch(
    conn: &mut AnyConnection,
    statements: &[Statement],
    file: &str,
) -> Result<Vec<OperationReport>, BatchFailure> {
    // A newline before each `;`, so a statement ending in a `--` comment stays closed.
    let script = std::iter::once(transaction_guard::OPEN)
        .chain(statements.iter().map(|s| s.sql.as_str()))
        .chain(std::iter::once(transaction_guard::CLOSE))
        .collect::<Vec<_>>()
        .join("\n;\n");
    // Results seen so far: the guard's opening, then one per statement, then its release.
    let mut seen = 0usize;
    let mut reports = Vec::with_capacity(statements.len());
    let mut failed = None;
    {
        let mut results = sqlx::raw_sql(AssertSqlSafe(script)).fetch_many(&mut *conn);
        while let Some(item) = results.next().await {
            match item {
                Ok(Either::Left(done)) => {
                    if let Some(statement) = seen.checked_sub(1).and_then(|i| statements.get(i)) {
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
    match seen.checked_sub(1).map(|i| statements.get(i)) {
        None => Err(BatchFailure::Statement(Error::database(format!("opening a savepoint: {}", describe(&error))))),
        Some(None) => Err(BatchFailure::TransactionEnded(transaction_guard::transaction_ended(file, None))),
        Some(Some(statement)) => {
            let error = statement_error(statement, file, &error);
            // A statement that failed after an unnoticed COMMIT must not be reported as rolled back.
            if transaction_guard::still_open_after_error(conn).await {
                Err(BatchFailure::Statement(error))
            } else {
                let ended = transaction_guard::transaction_ended(file, None);
                Err(BatchFailure::TransactionEnded(ended.map_message(|m| format!("{}\n{m}", error.message))))
            }
        }
    }
}

/// Runs the step in one transaction together with its changelog update: a group of one.
pub async fn in_transaction(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    execution: &StepExecution<'_>,
    statements: &[Statement],
) -> Result<StepOutcome, StepFailure> {
    let mut outcomes = group_in_transaction(conn, changelog, std::slice::from_ref(execution), &[statements]).await;
    outcomes.pop().unwrap_or_else(|| {
        Err(StepFailure::new(Error::database("the migration did not run"), FailureEffect::NothingApplied))
    })
}

/// Runs a group of steps in one transaction with their changelog updates (group commit, see
/// `mongrate_core::grouping`). Each step's statements run between the opening and the release
/// of a savepoint, so a failing step is rolled back to its own start: the steps before it are
/// recorded and committed, it is reported rolled back, and the later ones do not run. The lease
/// is renewed inside the same transaction right before the commit: if another runner took it
/// over, the whole group is rolled back instead of committed twice.
pub async fn group_in_transaction(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    executions: &[StepExecution<'_>],
    statements: &[&[Statement]],
) -> Vec<Result<StepOutcome, StepFailure>> {
    let rolled_back = |error| vec![Err(StepFailure::new(error, FailureEffect::RolledBack))];
    let mut tx = match conn.begin_with(changelog.dialect.begin()).await {
        Ok(tx) => tx,
        Err(e) => {
            let error = Error::database(format!("starting a transaction: {}", describe(&e)));
            return vec![Err(StepFailure::new(error, FailureEffect::NothingApplied))];
        }
    };
    let mut completed = Vec::with_capacity(executions.len());
    let mut failure = None;
    for (execution, statements) in executions.iter().zip(statements) {
        let started = Instant::now();
        let file = execution.step.migration.file.path.display().to_string();
        match run_guarded_batch(&mut tx, statements, &file).await {
            Ok(operations) => completed.push(StepOutcome { elapsed: started.elapsed(), operations }),
            Err(BatchFailure::Statement(error)) => {
                failure = Some(StepFailure::new(error, FailureEffect::RolledBack));
                break;
            }
            Err(BatchFailure::TransactionEnded(error)) => {
                // What ran before the statement that ended the transaction was committed by it,
                // the steps before this one included: record those as they are.
                drop(tx);
                let mut outcomes = record_outside(conn, changelog, executions, completed).await;
                outcomes.push(Err(StepFailure::new(error, FailureEffect::Partial)));
                return outcomes;
            }
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
        return rolled_back(Error::database(format!("committing: {}", describe(&e))));
    }
    completed.into_iter().map(Ok).chain(failure.map(Err)).collect()
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
    let file = execution.step.migration.file.path.display().to_string();
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
