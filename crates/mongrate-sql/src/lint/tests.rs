//! The SQL rules on their own: the PostgreSQL rules from the text alone (the migrations are
//! marked applied, so no rule asks the database; the connection is an in-memory SQLite that is
//! never read), the SQLite rules against a real in-memory database. The CLI tests run every rule
//! against real PostgreSQL and SQLite servers.

use mongrate_core::lint::{LintOptions, LintReport, Rule, Severity};
use mongrate_core::{Migration, MigrationFile, Version};
use sqlx::{AnyConnection, Connection};

use super::lint;
use crate::dialect::Dialect;
use crate::sql_file::SqlMigration;

async fn connect() -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect("sqlite::memory:").await.expect("an in-memory SQLite database")
}

fn migration(version: i64, text: &str) -> Migration {
    let file = MigrationFile {
        version: Version::number(version),
        file_name: format!("{version:03}_m.sql"),
        slug: "m".into(),
        extension: "sql".into(),
        path: format!("migrations/{version:03}_m.sql").into(),
        content: text.into(),
        checksum: String::new(),
        layout: Default::default(),
        down: None,
        settings: None,
    };
    let meta = SqlMigration::inspect(&file).expect("a valid file");
    Migration { file, meta, load_error: None }
}

/// The findings of PostgreSQL files judged from their text: `(line, rule)`.
async fn postgres_text(texts: &[&str]) -> Vec<(usize, Rule)> {
    let migrations: Vec<Migration> = texts.iter().enumerate().map(|(i, text)| migration(i as i64 + 1, text)).collect();
    let options =
        LintOptions { applied: migrations.iter().map(Migration::version).collect(), ..LintOptions::default() };
    let report = lint(&mut connect().await, Dialect::Postgres, &migrations, &options).await.expect("lints");
    report.findings.iter().map(|f| (f.line, f.rule)).collect()
}

#[tokio::test]
async fn postgres_rules_fire_on_their_statements() {
    let text = "-- mongrate:up\n\
                CREATE INDEX users_email ON users (email);\n\
                ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n\
                ALTER TABLE users ALTER COLUMN age TYPE bigint;\n\
                ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id);\n\
                ALTER TABLE users ADD COLUMN nickname text NOT NULL;\n\
                ALTER TABLE users DROP COLUMN legacy;\n\
                ALTER TABLE users RENAME COLUMN phone TO phone_number;\n\
                DROP TABLE audit;\n\
                -- mongrate:down\nSELECT 1;\n";
    let found = postgres_text(&[text]).await;
    assert_eq!(
        found,
        [
            (2, Rule::IndexWithoutConcurrently),
            (2, Rule::NoLockTimeout),
            (3, Rule::VolatileDefault),
            (4, Rule::AlterColumnType),
            (5, Rule::ConstraintWithoutNotValid),
            (6, Rule::NotNullWithoutDefault),
            (7, Rule::DestructiveOutsideContract),
            (8, Rule::RenameInExpand),
            (9, Rule::DestructiveOutsideContract),
        ]
    );
}

#[tokio::test]
async fn the_safe_forms_pass() {
    let text = "-- mongrate:no-transaction\n-- mongrate:up\n\
                SET lock_timeout = '5s';\n\
                CREATE INDEX CONCURRENTLY users_email ON users (email);\n\
                ALTER TABLE users ADD COLUMN created timestamptz NOT NULL DEFAULT now();\n\
                ALTER TABLE users ADD COLUMN id2 bigserial;\n\
                ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n\
                ALTER TABLE orders VALIDATE CONSTRAINT orders_user;\n\
                -- mongrate:down\nSELECT 1;\n";
    assert_eq!(postgres_text(&[text]).await, [(6, Rule::VolatileDefault)], "bigserial fills every row");
}

#[tokio::test]
async fn tables_created_by_the_same_or_an_earlier_pending_migration_are_new() {
    let first = "-- mongrate:up\nCREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n\
                 ALTER TABLE t ADD COLUMN x int NOT NULL;\nALTER TABLE t RENAME COLUMN x TO y;\nDROP TABLE t;\n\
                 -- mongrate:down\nSELECT 1;\n";
    assert_eq!(postgres_text(&[first]).await, []);
    // Pending migrations share what they create: the database is asked only about older tables.
    let created = "-- mongrate:up\nCREATE TABLE fresh (id int);\n-- mongrate:down\nDROP TABLE fresh;\n";
    let indexed = "-- mongrate:up\nCREATE INDEX fresh_id ON fresh (id);\n-- mongrate:down\nDROP INDEX fresh_id;\n";
    let mut conn = connect().await;
    let migrations = [migration(1, created), migration(2, indexed)];
    let report = lint(&mut conn, Dialect::Postgres, &migrations, &LintOptions::default()).await.expect("lints");
    assert_eq!(report.findings, []);
}

#[tokio::test]
async fn phases_decide_the_phase_rules() {
    let drop = "-- mongrate:up\nALTER TABLE users DROP COLUMN email;\n-- mongrate:down\nSELECT 1;\n";
    assert!(postgres_text(&[drop]).await.contains(&(2, Rule::DestructiveOutsideContract)));
    let contract = format!("-- mongrate:phase contract\n{drop}");
    assert!(!postgres_text(&[&contract]).await.contains(&(3, Rule::DestructiveOutsideContract)));
    let rename = "-- mongrate:phase migrate\n-- mongrate:up\nALTER TABLE a RENAME TO b;\n-- mongrate:down\nSELECT 1;\n";
    assert!(!postgres_text(&[rename]).await.iter().any(|(_, rule)| *rule == Rule::RenameInExpand));
}

#[tokio::test]
async fn no_down_is_a_whole_file_finding_and_ignores_silence_exactly_their_statement() {
    let text = "-- mongrate:lint-ignore no-down\n-- mongrate:up\n\
                -- mongrate:lint-ignore destructive-outside-contract\nDROP TABLE a;\nDROP TABLE b;\n";
    let migrations = [migration(1, text)];
    let options = LintOptions { applied: [Version::number(1)].into(), ..LintOptions::default() };
    let report = lint(&mut connect().await, Dialect::Sqlite, &migrations, &options).await.expect("lints");
    let found: Vec<(usize, Rule)> = report.findings.iter().map(|f| (f.line, f.rule)).collect();
    assert_eq!(found, [(5, Rule::DestructiveOutsideContract)]);
    assert_eq!(report.silenced, 2);
    let bare = lint(&mut connect().await, Dialect::Sqlite, &[migration(1, "-- mongrate:up\nSELECT 1;\n")], &options)
        .await
        .expect("lints");
    assert_eq!(bare.findings.iter().map(|f| (f.line, f.rule)).collect::<Vec<_>>(), [(1, Rule::NoDown)]);
}

#[tokio::test]
async fn sqlite_checks_rows_and_duplicates_and_skips_the_postgres_rules() {
    let mut conn = connect().await;
    sqlx::raw_sql(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, team TEXT); \
         INSERT INTO people (email, team) VALUES ('a@x', 't'), ('a@x', 't'), ('b@x', NULL), ('b@x', NULL), ('c@x', 't'); \
         CREATE TABLE empty (id INTEGER);",
    )
    .execute(&mut conn)
    .await
    .expect("seeds");
    let text = "-- mongrate:up\n\
                CREATE UNIQUE INDEX people_email ON people (email);\n\
                CREATE UNIQUE INDEX people_email_team ON people (email, team);\n\
                CREATE UNIQUE INDEX people_id ON people (id);\n\
                ALTER TABLE people ADD COLUMN nick TEXT NOT NULL;\n\
                ALTER TABLE empty ADD COLUMN nick TEXT NOT NULL;\n\
                CREATE INDEX people_team ON people (team);\n\
                -- mongrate:down\nSELECT 1;\n";
    let report = lint(&mut conn, Dialect::Sqlite, &[migration(1, text)], &LintOptions::default()).await.expect("lints");
    let found: Vec<(usize, Rule, Severity)> = report.findings.iter().map(|f| (f.line, f.rule, f.severity)).collect();
    assert_eq!(
        found,
        [
            (2, Rule::UniqueIndexDuplicates, Severity::Error),
            (3, Rule::UniqueIndexDuplicates, Severity::Error),
            (5, Rule::NotNullWithoutDefault, Severity::Error),
            (6, Rule::NotNullWithoutDefault, Severity::Warning),
        ]
    );
    let duplicates = &report.findings[0].message;
    assert!(
        duplicates.contains("email = 'a@x' (2 rows)") && duplicates.contains("email = 'b@x' (2 rows)"),
        "{duplicates}"
    );
    // NULLs are distinct in a unique index: only ('a@x', 't') repeats over both columns.
    let pairs = &report.findings[1].message;
    assert!(pairs.contains("email = 'a@x', team = 't' (2 rows)") && !pairs.contains("b@x"), "{pairs}");

    // `up`'s check: errors only, and the warnings' rules are not even looked at.
    let options = LintOptions { errors_only: true, ..LintOptions::default() };
    let errors = lint(&mut conn, Dialect::Sqlite, &[migration(1, text)], &options).await.expect("lints");
    assert_eq!(errors.findings.iter().map(|f| f.line).collect::<Vec<_>>(), [2, 3, 5]);
    assert!(errors.has_errors());
}

#[tokio::test]
async fn statements_the_parser_cannot_read_are_listed_as_unchecked() {
    let text = "-- mongrate:up\nDO $$ BEGIN PERFORM 1; END $$;\nDROP TABLE a;\n-- mongrate:down\nSELECT 1;\n";
    let migrations = [migration(1, text)];
    let options = LintOptions { applied: [Version::number(1)].into(), ..LintOptions::default() };
    let report: LintReport = lint(&mut connect().await, Dialect::Postgres, &migrations, &options).await.expect("lints");
    assert_eq!(report.unchecked.len(), 1);
    assert_eq!(report.unchecked[0].line, 2);
    let found: Vec<(usize, Rule)> = report.findings.iter().map(|f| (f.line, f.rule)).collect();
    assert_eq!(found, [(3, Rule::DestructiveOutsideContract), (3, Rule::NoLockTimeout)]);
}
