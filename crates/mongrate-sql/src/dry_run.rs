//! Dry-run: every step runs inside one transaction that is rolled back, and the rows each
//! statement touched are reported. Afterwards the database holds what it held before: no-transaction
//! migrations are not run, and a guard savepoint checked after every statement proves the
//! transaction was never ended (see [`crate::transaction_guard`]).

use mongrate_core::execution::OperationReport;
use mongrate_core::plan::Step;
use mongrate_core::target::DryRunStep;
use mongrate_core::{Error, Result};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};

use crate::as_written::Substitution;
use crate::changelog::db_error;
use crate::dialect::Dialect;
use crate::execute::{run_statement, statements_of};
use crate::sql_file::SqlMigration;
use crate::transaction_guard;

/// Runs `steps` in a transaction that is always rolled back.
pub async fn dry_run(
    conn: &mut AnyConnection,
    dialect: Dialect,
    steps: &[Step],
    substitution: Substitution<'_>,
) -> Result<Vec<DryRunStep>> {
    // Sequences are not transactional in PostgreSQL: put back what a rolled-back insert advanced.
    let sequences = if dialect == Dialect::Postgres { sequence_values(conn).await? } else { Vec::new() };
    let mut tx = conn.begin_with(dialect.begin()).await.map_err(db_error("starting the dry-run transaction"))?;
    transaction_guard::open(&mut tx).await?;
    let mut reports = Vec::with_capacity(steps.len());
    let mut stopped = false;
    for step in steps {
        let migration = &step.migration;
        let file = migration.file.source(step.direction).display().to_string();
        let mut report = DryRunStep {
            version: migration.version().to_string(),
            name: migration.meta.name.clone(),
            direction: step.direction,
            operations: Vec::new(),
            error: None,
        };
        let parsed = SqlMigration::parse_with(&migration.file, Some(substitution))?;
        let statements = statements_of(&parsed, step.direction, &file)?;
        let note = if stopped {
            Some("not run: an earlier migration of this dry-run failed".to_owned())
        } else if !parsed.transactional(step.direction) {
            Some("not run: a no-transaction migration cannot be previewed inside a transaction".to_owned())
        } else {
            None
        };
        for statement in statements {
            if note.is_some() {
                report.operations.push(OperationReport {
                    line: statement.line,
                    summary: statement.summary(),
                    affected: None,
                    note: note.clone(),
                    samples: None,
                });
                continue;
            }
            match run_statement(&mut tx, statement, &file).await {
                Ok(operation) => {
                    // Loudly, and before anything else runs: the dry-run may have written.
                    transaction_guard::check_and_reopen(&mut tx, &file, statement.line).await.map_err(|ended| {
                        ended.map_message(|m| {
                            format!("dry-run stopped: {m}. The dry-run did NOT leave the database as it was")
                        })
                    })?;
                    report.operations.push(operation)
                }
                Err(error) => {
                    report.error = Some(error.message);
                    stopped = true;
                    break;
                }
            }
        }
        reports.push(report);
    }
    tx.rollback().await.map_err(db_error("rolling back the dry-run"))?;
    restore_sequences(conn, &sequences).await?;
    Ok(reports)
}

/// (qualified name, last value, start value) of every sequence.
type SequenceValue = (String, Option<i64>, i64);

async fn sequence_values(conn: &mut AnyConnection) -> Result<Vec<SequenceValue>> {
    let rows = sqlx::query(
        "SELECT format('%I.%I', schemaname, sequencename) AS name, last_value, start_value FROM pg_sequences",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error("reading sequences before the dry-run"))?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("name").map_err(db_error("reading sequences"))?,
                row.try_get("last_value").map_err(db_error("reading sequences"))?,
                row.try_get("start_value").map_err(db_error("reading sequences"))?,
            ))
        })
        .collect()
}

async fn restore_sequences(conn: &mut AnyConnection, before: &[SequenceValue]) -> Result<()> {
    if before.is_empty() {
        return Ok(());
    }
    let after = sequence_values(conn).await?;
    for (name, last, start) in before {
        let now = after.iter().find(|(n, _, _)| n == name).and_then(|(_, last, _)| *last);
        if now == *last {
            continue;
        }
        let sql = match last {
            Some(value) => format!("SELECT setval('{}', {value}, true)", name.replace('\'', "''")),
            None => format!("SELECT setval('{}', {start}, false)", name.replace('\'', "''")),
        };
        sqlx::query(AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .map_err(|e| Error::database(format!("restoring sequence {name} after the dry-run: {e}")))?;
    }
    Ok(())
}
