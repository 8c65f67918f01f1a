//! SQL files of other tools that hold nothing but SQL, run as written: golang-migrate's and
//! sqlx's `.up.sql`/`.down.sql` (and sqlx's up-only `.sql`), Flyway's `V…__`/`U…__` files and
//! diesel's `up.sql`/`down.sql`.
//!
//! Each tool's rules about transactions are kept:
//! - every file runs in a transaction with its changelog update, unless
//! - it begins or ends a transaction itself (`BEGIN;` … `COMMIT;`): then it runs as written,
//!   statement by statement, outside mongrate's transaction;
//! - sqlx: a first line `-- no-transaction`;
//! - diesel: `run_in_transaction = false` in the folder's `metadata.toml`;
//! - Flyway: `executeInTransaction=false` in `<script>.sql.conf`;
//! - golang-migrate (which sends a file as it is) and Flyway (which looks): a statement PostgreSQL
//!   refuses in a transaction, such as `CREATE INDEX CONCURRENTLY`.
//!
//! A down file that is empty or holds only comments is a down that does nothing and succeeds, as
//! in the tools. Without a down file a migration is irreversible, except in golang-migrate, which
//! treats a missing down file as an empty one.

use mongrate_core::{Error, Layout, MigrationFile, Result, SideFile};

use crate::sql_file::SqlMigration;
use crate::statement_split::{Statement, split_statements};
use crate::transaction_control::{find_transaction_control, refused_in_transaction};

/// Parses the up file and the down file of a migration in one of these layouts.
pub fn parse(file: &MigrationFile) -> Result<SqlMigration> {
    let layout_says_no = no_transaction_by_settings(file)?;
    let (up, up_transactional) = read(file.layout, &file.content, layout_says_no);
    let (down, down_transactional) = match &file.down {
        Some(SideFile { content, .. }) => {
            let (statements, transactional) = read(file.layout, content, layout_says_no);
            (Some(statements), transactional)
        }
        None if file.layout == Layout::GolangMigrate => (Some(Vec::new()), true),
        None => (None, true),
    };
    Ok(SqlMigration {
        up,
        down,
        up_transactional,
        down_transactional,
        description: None,
        backup: Vec::new(),
        phase: Default::default(),
        // Flyway's `R__` files.
        repeatable: file.version.is_repeatable(),
    })
}

/// One file's statements, and whether they run in mongrate's transaction.
fn read(layout: Layout, text: &str, settings_say_no: bool) -> (Vec<Statement>, bool) {
    let statements = split_statements(text, 1);
    let sqlx_says_no = layout == Layout::Sqlx && text.lines().next().is_some_and(|l| l.trim() == "-- no-transaction");
    let refused_inside = matches!(layout, Layout::GolangMigrate | Layout::Flyway)
        && statements.iter().any(|s| refused_in_transaction(&s.sql).is_some());
    let transactional =
        !(settings_say_no || sqlx_says_no || refused_inside || find_transaction_control(&statements).is_some());
    (statements, transactional)
}

/// Whether the migration's settings file turns its transaction off: diesel's `metadata.toml`
/// (`run_in_transaction = false`) or Flyway's `<script>.sql.conf` (`executeInTransaction=false`).
fn no_transaction_by_settings(file: &MigrationFile) -> Result<bool> {
    let Some(settings) = &file.settings else { return Ok(false) };
    let key = match file.layout {
        Layout::Diesel => "run_in_transaction",
        Layout::Flyway => "executeInTransaction",
        _ => return Ok(false),
    };
    for (index, line) in settings.content.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') || line.starts_with('[') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else { continue };
        if name.trim() != key {
            continue;
        }
        return match value.trim().trim_matches('"') {
            "false" => Ok(true),
            "true" => Ok(false),
            other => Err(Error::validation(format!(
                "{}:{}: {key} = {other}: write true or false",
                settings.path.display(),
                index + 1
            ))),
        };
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongrate_core::Version;
    use mongrate_core::plan::Direction;

    fn file(layout: Layout, up: &str, down: Option<&str>) -> MigrationFile {
        MigrationFile {
            version: Version::number(1),
            file_name: "1_users.up.sql".into(),
            slug: "users".into(),
            extension: "sql".into(),
            path: "migrations/1_users.up.sql".into(),
            content: up.into(),
            checksum: String::new(),
            layout,
            down: down.map(|content| SideFile { path: "migrations/1_users.down.sql".into(), content: content.into() }),
            settings: None,
        }
    }

    #[test]
    fn a_pair_runs_in_a_transaction_and_an_empty_down_does_nothing() {
        let parsed = parse(&file(
            Layout::GolangMigrate,
            "CREATE TABLE u (id int);\nINSERT INTO u VALUES (1);",
            Some("-- nothing to undo\n"),
        ))
        .unwrap();
        assert_eq!(parsed.up.len(), 2);
        assert!(parsed.up_transactional && parsed.down_transactional);
        assert_eq!(parsed.statements(Direction::Down), Some(&[][..]));
        assert!(parsed.meta(&file(Layout::GolangMigrate, "", None)).reversible);
    }

    #[test]
    fn a_missing_down_file_is_a_no_op_for_golang_migrate_only() {
        assert_eq!(parse(&file(Layout::GolangMigrate, "SELECT 1;", None)).unwrap().down, Some(Vec::new()));
        for layout in [Layout::Sqlx, Layout::Flyway, Layout::Diesel] {
            assert_eq!(parse(&file(layout, "SELECT 1;", None)).unwrap().down, None, "{layout}");
        }
    }

    #[test]
    fn a_file_with_its_own_transaction_runs_as_written() {
        let parsed =
            parse(&file(Layout::GolangMigrate, "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n", Some("DROP TABLE a;")))
                .unwrap();
        assert!(!parsed.up_transactional, "its own BEGIN/COMMIT");
        assert!(parsed.down_transactional);
        assert_eq!(parsed.up.len(), 3);
        assert!(!parsed.meta(&file(Layout::GolangMigrate, "", None)).transactional);
    }

    #[test]
    fn each_tool_turns_the_transaction_off_its_own_way() {
        let sqlx =
            parse(&file(Layout::Sqlx, "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);", None)).unwrap();
        assert!(!sqlx.up_transactional);
        // Only as the first line, and only for sqlx.
        assert!(parse(&file(Layout::Sqlx, "SELECT 1;\n-- no-transaction\n", None)).unwrap().up_transactional);
        assert!(parse(&file(Layout::Diesel, "-- no-transaction\nSELECT 1;", None)).unwrap().up_transactional);
        // golang-migrate and Flyway run what PostgreSQL refuses in a transaction without one; sqlx
        // and diesel, like the tools, do not guess.
        let concurrently = "CREATE INDEX CONCURRENTLY i ON t (x);";
        assert!(!parse(&file(Layout::GolangMigrate, concurrently, None)).unwrap().up_transactional);
        assert!(!parse(&file(Layout::Flyway, concurrently, None)).unwrap().up_transactional);
        assert!(parse(&file(Layout::Diesel, concurrently, None)).unwrap().up_transactional);
        let mut diesel = file(Layout::Diesel, concurrently, Some("DROP INDEX i;"));
        diesel.settings =
            Some(SideFile { path: "m/metadata.toml".into(), content: "run_in_transaction = false\n".into() });
        let parsed = parse(&diesel).unwrap();
        assert!(!parsed.up_transactional && !parsed.down_transactional);
        let mut flyway = file(Layout::Flyway, "SELECT 1;", None);
        flyway.settings =
            Some(SideFile { path: "V1__x.sql.conf".into(), content: "executeInTransaction=false\n".into() });
        assert!(!parse(&flyway).unwrap().up_transactional);
        flyway.settings =
            Some(SideFile { path: "V1__x.sql.conf".into(), content: "executeInTransaction=maybe\n".into() });
        let error = parse(&flyway).unwrap_err();
        assert!(
            error.message.contains("V1__x.sql.conf:1") && error.message.contains("true or false"),
            "{}",
            error.message
        );
    }

    #[test]
    fn an_empty_up_file_does_nothing() {
        let parsed = parse(&file(Layout::Sqlx, "-- nothing yet\n", None)).unwrap();
        assert!(parsed.up.is_empty());
    }
}
