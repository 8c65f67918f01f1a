//! The second line of defence behind [`crate::transaction_control`]: a savepoint that proves the
//! transaction mongrate opened is still the one the statements ran in.
//!
//! A savepoint is opened before each migration's statements and released before the next
//! migration's (in the same batch as its statements) or, after the last one of a transaction, on
//! its own. If any statement ended the transaction (a `COMMIT` the parser did not recognise), the
//! release fails on both databases: PostgreSQL has no transaction block any more, SQLite no such
//! savepoint. Until it is released, a failed or interrupted migration can be rolled back to it
//! alone. It costs one round trip per transaction, and one per statement in a dry-run, which
//! checks after every statement.

use mongrate_core::{Error, ErrorKind, Result};
use sqlx::{AnyConnection, AssertSqlSafe};

/// Opens the guard; sent right after the transaction begins.
pub const OPEN: &str = "SAVEPOINT mongrate_transaction_guard";
/// Releases the guard: fails when the transaction it was opened in has ended.
pub const CLOSE: &str = "RELEASE SAVEPOINT mongrate_transaction_guard";
/// Undoes what ran since the guard was opened, keeping the transaction.
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT mongrate_transaction_guard";

/// The error of a migration whose own statements ended mongrate's transaction.
pub fn transaction_ended(file: &str, after_line: Option<usize>) -> Error {
    let place = after_line.map_or_else(|| file.to_owned(), |line| format!("{file}:{line}"));
    Error::new(
        ErrorKind::Migration,
        format!(
            "{place}: a statement of this migration ended the transaction mongrate ran it in, so what ran before that \
             statement may be committed without its changelog record. Check the database, remove the statement that \
             commits (or mark the file `-- mongrate:no-transaction`), then `mongrate mark` the version as it now stands"
        ),
    )
}

/// Opens the guard savepoint.
pub async fn open(conn: &mut AnyConnection) -> Result<()> {
    sqlx::raw_sql(OPEN).execute(conn).await.map(drop).map_err(|e| crate::errors::database("opening a savepoint", e))
}

/// After a statement failed: whether the transaction it failed in is still mongrate's (the
/// guard savepoint still exists). Rolls back to the guard, which both databases allow in a
/// failed transaction; it fails when an earlier statement had ended the transaction.
pub async fn still_open_after_error(conn: &mut AnyConnection) -> bool {
    sqlx::raw_sql(ROLLBACK_TO).execute(conn).await.is_ok()
}

/// Checks that the guard's transaction is still open, and opens the guard again for the next
/// statement. Fails with [`transaction_ended`] otherwise.
pub async fn check_and_reopen(conn: &mut AnyConnection, file: &str, after_line: usize) -> Result<()> {
    let sql = format!("{CLOSE};\n{OPEN}");
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(conn)
        .await
        .map(drop)
        .map_err(|_| transaction_ended(file, Some(after_line)))
}
