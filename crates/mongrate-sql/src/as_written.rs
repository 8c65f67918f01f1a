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
//! - Flyway: `executeInTransaction=false` in `<script>.sql.conf`, each script's own (the undo
//!   file's `U…__x.sql.conf` for the down, not the versioned file's);
//! - golang-migrate (which sends a file as it is) and Flyway (which looks): a statement PostgreSQL
//!   refuses in a transaction, such as `CREATE INDEX CONCURRENTLY`.
//!
//! A down file that is empty or holds only comments is a down that does nothing and succeeds, as
//! in the tools. Without a down file a migration is irreversible, except in golang-migrate, which
//! treats a missing down file as an empty one. Flyway's files get their `${placeholders}`
//! replaced first (see `mongrate_core::placeholders`).

use std::path::Path;

use mongrate_core::placeholders::{Connection, Placeholders};
use mongrate_core::{Error, Layout, MigrationFile, Result, SideFile};

use crate::sql_file::SqlMigration;
use crate::statement_split::{Statement, split_statements};
use crate::transaction_control::{find_transaction_control, refused_in_transaction};

/// What Flyway's placeholders are replaced with: the configured values and the connection's.
#[derive(Debug, Clone, Copy)]
pub struct Substitution<'a> {
    pub placeholders: &'a Placeholders,
    pub connection: &'a Connection,
}

impl Substitution<'_> {
    /// The text of a Flyway file with its placeholders replaced; one without a value is an error
    /// naming the file, the line and where to give it.
    fn apply(&self, path: &Path, text: &str) -> Result<String> {
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let now = mongrate_core::timestamp::now_rfc3339();
        let now = now.get(..19).unwrap_or(&now).replace('T', " ");
        self.placeholders.apply(text, &file_name, self.connection, &now).map_err(|missing| {
            Error::validation(format!(
                "{}:{}: no value for the Flyway placeholder ${{{}}}: give one under [placeholders] in mongrate.toml \
                 ({} = \"…\") or as flyway.placeholders.{} in flyway.conf",
                path.display(),
                missing.line,
                missing.name,
                missing.name,
                missing.name
            ))
        })
    }
}

/// Parses the up file and the down file of a migration in one of these layouts; a Flyway file's
/// placeholders are replaced from `substitution` (left as written without one).
pub fn parse(file: &MigrationFile, substitution: Option<Substitution<'_>>) -> Result<SqlMigration> {
    let up_settings_say_no = no_transaction_by_settings(file.layout, file.settings.as_ref())?;
    let down_settings_say_no = match (&file.down, file.layout) {
        // Flyway reads each script's own `.sql.conf`: an undo file without one runs in a
        // transaction whatever the versioned file's says.
        (Some(undo), Layout::Flyway) => no_transaction_by_settings(file.layout, undo_settings(undo)?.as_ref())?,
        // diesel's metadata.toml is the folder's, for up.sql and down.sql alike.
        _ => up_settings_say_no,
    };
    let text = |path: &Path, content: &str| match substitution {
        Some(substitution) if file.layout == Layout::Flyway => substitution.apply(path, content),
        _ => Ok(content.to_owned()),
    };
    let (up, up_transactional) = read(file.layout, &text(&file.path, &file.content)?, up_settings_say_no);
    let (down, down_transactional) = match &file.down {
        Some(SideFile { path, content }) => {
            let (statements, transactional) = read(file.layout, &text(path, content)?, down_settings_say_no);
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
        lint_ignores: Default::default(),
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

/// A Flyway undo file's own `<script>.sql.conf`, when it has one. Discovery hands over one settings
/// file per migration (the versioned file's), so the undo's is read here, beside the undo file.
fn undo_settings(undo: &SideFile) -> Result<Option<SideFile>> {
    let mut name = undo.path.file_name().unwrap_or_default().to_os_string();
    name.push(".conf");
    let path = undo.path.with_file_name(name);
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).map_err(|e| Error::validation(format!("{}: cannot read: {e}", path.display())))?;
    let content =
        String::from_utf8(bytes).map_err(|_| Error::validation(format!("{}: not UTF-8 text", path.display())))?;
    Ok(Some(SideFile { path, content }))
}

/// Whether a settings file turns the transaction off: diesel's `metadata.toml`
/// (`run_in_transaction = false`) or Flyway's `<script>.sql.conf` (`executeInTransaction=false`).
fn no_transaction_by_settings(layout: Layout, settings: Option<&SideFile>) -> Result<bool> {
    let Some(settings) = settings else { return Ok(false) };
    let key = match layout {
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

    /// Parses without placeholders (those have their own test).
    fn parse(file: &MigrationFile) -> Result<SqlMigration> {
        super::parse(file, None)
    }

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
    fn flyway_placeholders_are_replaced_in_the_up_and_the_undo_file() {
        let placeholders = Placeholders {
            values: [("prefix".to_owned(), "app_".to_owned())].into_iter().collect(),
            ..Placeholders::default()
        };
        let connection = Connection { user: "app".into(), database: "shop".into(), schema: "public".into() };
        let substitution = Substitution { placeholders: &placeholders, connection: &connection };
        let flyway = file(
            Layout::Flyway,
            "CREATE TABLE ${prefix}users (id int);\nCOMMENT ON TABLE ${prefix}users IS '${flyway:filename} in ${flyway:defaultSchema}';",
            Some("DROP TABLE ${prefix}users;"),
        );
        let parsed = super::parse(&flyway, Some(substitution)).unwrap();
        assert_eq!(parsed.up[0].sql, "CREATE TABLE app_users (id int)");
        assert_eq!(parsed.up[1].sql, "COMMENT ON TABLE app_users IS '1_users.up.sql in public'");
        assert_eq!(parsed.down.unwrap()[0].sql, "DROP TABLE app_users");
        let missing = file(Layout::Flyway, "SELECT 1;\nSELECT ${nope};", None);
        let error = super::parse(&missing, Some(substitution)).unwrap_err();
        assert!(
            error.message.contains("migrations/1_users.up.sql:2") && error.message.contains("${nope}"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("[placeholders]") && error.message.contains("flyway.placeholders.nope"),
            "{}",
            error.message
        );
        // Other tools' files are run as written.
        let sqlx = file(Layout::Sqlx, "SELECT '${prefix}';", None);
        assert_eq!(super::parse(&sqlx, Some(substitution)).unwrap().up[0].sql, "SELECT '${prefix}'");
    }

    #[test]
    fn an_empty_up_file_does_nothing() {
        let parsed = parse(&file(Layout::Sqlx, "-- nothing yet\n", None)).unwrap();
        assert!(parsed.up.is_empty());
    }

    #[test]
    fn a_flyway_undo_file_runs_by_its_own_conf_not_the_versioned_files() {
        let dir = tempfile::tempdir().unwrap();
        let undo_path = dir.path().join("U1__x.sql");
        std::fs::write(&undo_path, "DROP TABLE a;").unwrap();
        let mut flyway = file(Layout::Flyway, "CREATE TABLE a (id int);", Some("DROP TABLE a;"));
        flyway.down.as_mut().unwrap().path = undo_path.clone();
        flyway.settings =
            Some(SideFile { path: dir.path().join("V1__x.sql.conf"), content: "executeInTransaction=false\n".into() });
        // The versioned file's conf is its own: the undo, without one, runs in a transaction.
        let parsed = parse(&flyway).unwrap();
        assert!(!parsed.up_transactional && parsed.down_transactional);
        // The undo's conf turns the undo's transaction off, and only the undo's.
        flyway.settings = None;
        std::fs::write(dir.path().join("U1__x.sql.conf"), "# mine\nexecuteInTransaction=false\n").unwrap();
        let parsed = parse(&flyway).unwrap();
        assert!(parsed.up_transactional && !parsed.down_transactional);
        std::fs::write(dir.path().join("U1__x.sql.conf"), "executeInTransaction=no\n").unwrap();
        let error = parse(&flyway).unwrap_err();
        assert!(
            error.message.contains("U1__x.sql.conf:1") && error.message.contains("true or false"),
            "{}",
            error.message
        );
    }
}
