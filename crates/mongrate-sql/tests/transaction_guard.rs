//! The transaction guard against real databases: a statement that ends mongrate's transaction is
//! noticed on SQLite and on PostgreSQL, whether it is followed by more statements, by nothing, or
//! by one that fails. The parser refuses the statements mongrate recognises (`COMMIT`, …); these
//! tests send them anyway, as an unrecognised one would arrive.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use mongrate_sql::execute::{BatchFailure, release_guard, run_guarded_batch};
use mongrate_sql::statement_split::split_statements;
use mongrate_sql::transaction_guard;
use mongrate_testkit::test_servers::server_url;
use sqlx::{AnyConnection, Connection};

/// A PostgreSQL server: `MONGRATE_TEST_POSTGRES_URL`, or a throw-away cluster for this process.
fn postgres_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| server_url("MONGRATE_TEST_POSTGRES_URL", "pg-test-server.sh", "PostgreSQL"))
}

async fn connect(postgres: bool) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let url = if postgres { postgres_url().to_owned() } else { "sqlite::memory:".to_owned() };
    AnyConnection::connect(&url).await.expect("connects")
}

/// A table name no other test uses.
fn table() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("guard_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

async fn exists(conn: &mut AnyConnection, postgres: bool, table: &str) -> bool {
    let sql = if postgres {
        format!("SELECT count(*) FROM pg_tables WHERE tablename = '{table}'")
    } else {
        format!("SELECT count(*) FROM sqlite_master WHERE name = '{table}'")
    };
    let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(conn).await.expect("counts");
    count == 1
}

/// Runs `script` (with `{a}` and `{b}` for two fresh table names) as a migration's batch inside a
/// transaction and releases its guard, rolls back what is left of it, and says how it ended and
/// which tables remain.
async fn run(postgres: bool, script: &str) -> (Result<usize, BatchFailure>, bool, bool) {
    let (a, b) = (table(), table());
    let script = script.replace("{a}", &a).replace("{b}", &b);
    let statements = split_statements(&script, 1);
    let mut conn = connect(postgres).await;
    let begin = if postgres { "BEGIN" } else { "BEGIN IMMEDIATE" };
    let outcome = {
        let mut tx = conn.begin_with(begin).await.expect("begins");
        let outcome = match run_guarded_batch(&mut tx, &statements, "m.sql", false).await {
            Ok(reports) => release_guard(&mut tx, "m.sql").await.map(|()| reports.len()),
            Err(failure) => Err(failure),
        };
        let _ = tx.rollback().await;
        outcome
    };
    (outcome, exists(&mut conn, postgres, &a).await, exists(&mut conn, postgres, &b).await)
}

fn ended(outcome: &Result<usize, BatchFailure>) -> bool {
    matches!(outcome, Err(BatchFailure::TransactionEnded(error)) if error.message.contains("ended the transaction"))
}

async fn a_commit_in_the_middle_is_noticed(postgres: bool) {
    let (outcome, a, _) = run(postgres, "CREATE TABLE {a} (id int);\nCOMMIT;\nCREATE TABLE {b} (id int);").await;
    assert!(ended(&outcome), "{outcome:?}");
    assert!(a, "the statement before the COMMIT was committed: exactly what the guard reports");
}

async fn a_commit_then_a_failure_is_not_called_a_rollback(postgres: bool) {
    let (outcome, a, b) = run(postgres, "CREATE TABLE {a} (id int);\nCOMMIT;\nINSERT INTO nowhere VALUES (1);").await;
    assert!(ended(&outcome), "{outcome:?}");
    let Err(BatchFailure::TransactionEnded(error)) = &outcome else { unreachable!() };
    assert!(error.message.contains("m.sql:3") && error.message.contains("nowhere"), "{}", error.message);
    assert!(a && !b);
}

async fn an_ordinary_failure_is_rolled_back(postgres: bool) {
    let (outcome, a, _) = run(postgres, "CREATE TABLE {a} (id int);\nINSERT INTO nowhere VALUES (1);").await;
    match &outcome {
        Err(BatchFailure::Statement(error)) => assert!(error.message.contains("m.sql:2"), "{}", error.message),
        other => panic!("expected a statement failure, got {other:?}"),
    }
    assert!(!a, "rolled back");
}

async fn a_clean_batch_reports_each_statement(postgres: bool) {
    let (outcome, a, b) = run(postgres, "CREATE TABLE {a} (id int);\nCREATE TABLE {b} (id int);").await;
    assert_eq!(outcome.expect("runs"), 2);
    assert!(!a && !b, "rolled back by the test");
}

async fn the_dry_run_check_notices_a_commit(postgres: bool) {
    let a = table();
    let mut conn = connect(postgres).await;
    let mut tx = conn.begin_with(if postgres { "BEGIN" } else { "BEGIN IMMEDIATE" }).await.expect("begins");
    transaction_guard::open(&mut tx).await.expect("opens");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE TABLE {a} (id int)"))).execute(&mut *tx).await.expect("runs");
    transaction_guard::check_and_reopen(&mut tx, "m.sql", 2).await.expect("still open");
    sqlx::raw_sql("COMMIT").execute(&mut *tx).await.expect("commits");
    let error = transaction_guard::check_and_reopen(&mut tx, "m.sql", 3).await.expect_err("ended");
    assert!(error.message.starts_with("m.sql:3: "), "{}", error.message);
    drop(tx);
    assert!(exists(&mut conn, postgres, &a).await);
}

/// A COMMIT in one step is noticed when the next step's batch releases its guard: nothing of the
/// next step runs.
async fn a_commit_in_the_previous_step_stops_the_next(postgres: bool) {
    let (a, b) = (table(), table());
    let mut conn = connect(postgres).await;
    let mut tx = conn.begin_with(if postgres { "BEGIN" } else { "BEGIN IMMEDIATE" }).await.expect("begins");
    let first = split_statements(&format!("CREATE TABLE {a} (id int);\nCOMMIT;"), 1);
    run_guarded_batch(&mut tx, &first, "1.sql", false).await.expect("the first step runs");
    let second = split_statements(&format!("CREATE TABLE {b} (id int);"), 1);
    let outcome = run_guarded_batch(&mut tx, &second, "2.sql", true).await;
    assert!(matches!(outcome, Err(BatchFailure::PreviousEndedTransaction)), "{outcome:?}");
    drop(tx);
    assert!(exists(&mut conn, postgres, &a).await && !exists(&mut conn, postgres, &b).await);
}

macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(false).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(true).await })*
        }
    };
}

on_both!(
    a_commit_in_the_middle_is_noticed,
    a_commit_then_a_failure_is_not_called_a_rollback,
    an_ordinary_failure_is_rolled_back,
    a_clean_batch_reports_each_statement,
    a_commit_in_the_previous_step_stops_the_next,
    the_dry_run_check_notices_a_commit
);
