//! Running a migration's statements: inside a transaction with its changelog update, or one at
//! a time outside any transaction with `running` recorded around them.

use std::time::Instant;

use mongrate_core::execution::{OperationReport, StepExecution, StepFailure, StepOutcome};
use mongrate_core::plan::Direction;
use mongrate_core::{Error, ErrorKind, Result};
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

use crate::changelog::Changelog;
use crate::errors::describe;
use crate::lease_store::SqlLeaseStore;
use crate::sql_file::SqlMigration;
use crate::statement_split::Statement;

/// The statements of a step's direction.
pub fn statements_of<'a>(
    parsed: &'a SqlMigration,
    direction: Direction,
    file: &str,
) -> Result<&'a [Statement]> {
    match direction {
        Direction::Up => Ok(&parsed.up),
        Direction::Down => parsed.down.as_deref().ok_or_else(|| {
            Error::refused(format!("{file} has no down section: it cannot be reverted"))
        }),
    }
}

/// Runs one statement and reports it; an error names the file and line.
pub async fn run_statement(
    conn: &mut AnyConnection,
    statement: &Statement,
    file: &str,
) -> Result<OperationReport> {
    match sqlx::raw_sql(AssertSqlSafe(statement.sql.as_str()))
        .execute(conn)
        .await
    {
        Ok(done) => Ok(OperationReport {
            line: statement.line,
            summary: statement.summary(),
            affected: Some(done.rows_affected()),
            note: None,
        }),
        Err(e) => Err(Error::migration(format!(
            "{file}:{}: {}",
            statement.line,
            describe(&e)
        ))),
    }
}

fn failure(error: Error, partial: bool) -> StepFailure {
    StepFailure { error, partial }
}

/// Runs the step in one transaction together with its changelog update. Right before the
/// commit, the lease is renewed inside the transaction: if another runner took it over, the
/// migration is rolled back instead of committed twice.
pub async fn in_transaction(
    conn: &mut AnyConnection,
    changelog: &Changelog,
    lease: &SqlLeaseStore,
    execution: &StepExecution<'_>,
    statements: &[Statement],
) -> Result<StepOutcome, StepFailure> {
    let started = Instant::now();
    let file = execution.step.migration.file.path.display().to_string();
    let mut tx = conn
        .begin_with(changelog.dialect.begin())
        .await
        .map_err(|e| {
            failure(
                Error::database(format!("starting a transaction: {}", describe(&e))),
                false,
            )
        })?;
    let mut operations = Vec::with_capacity(statements.len());
    let mut outcome: Result<()> = Ok(());
    for statement in statements {
        match run_statement(&mut tx, statement, &file).await {
            Ok(report) => operations.push(report),
            Err(error) => {
                outcome = Err(error);
                break;
            }
        }
    }
    if outcome.is_ok()
        && let Some(owner) = execution.lease_owner
    {
        outcome = match lease.renew_on(&mut tx, owner, execution.lease_ttl).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(
                ErrorKind::LeaseLost,
                "the migration lock was taken over by another runner; rolled back instead of committing",
            )),
            Err(e) => Err(Error::database(format!(
                "checking the migration lock: {}",
                describe(&e)
            ))),
        };
    }
    if outcome.is_ok() {
        let (record, history) = execution.completed(started.elapsed());
        outcome = async {
            changelog.upsert(&mut tx, &record).await?;
            changelog.append(&mut tx, &history).await
        }
        .await;
    }
    match outcome {
        Ok(()) => {
            tx.commit().await.map_err(|e| {
                failure(
                    Error::database(format!("committing: {}", describe(&e))),
                    false,
                )
            })?;
            Ok(StepOutcome {
                elapsed: started.elapsed(),
                operations,
            })
        }
        Err(error) => {
            // The connection is unusable for the failure record until the rollback is done.
            let _ = tx.rollback().await;
            Err(failure(error, false))
        }
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
        .map_err(|e| failure(e, false))?;
    let mut operations = Vec::with_capacity(statements.len());
    for statement in statements {
        match run_statement(conn, statement, &file).await {
            Ok(report) => operations.push(report),
            Err(error) => return Err(failure(error, !operations.is_empty())),
        }
    }
    let (record, history) = execution.completed(started.elapsed());
    let recorded = async {
        let mut tx = conn
            .begin_with(changelog.dialect.begin())
            .await
            .map_err(crate::changelog::db_error("recording the migration"))?;
        changelog.upsert(&mut tx, &record).await?;
        changelog.append(&mut tx, &history).await?;
        tx.commit()
            .await
            .map_err(crate::changelog::db_error("recording the migration"))
    }
    .await;
    recorded.map_err(|e| failure(e, true))?;
    Ok(StepOutcome {
        elapsed: started.elapsed(),
        operations,
    })
}
