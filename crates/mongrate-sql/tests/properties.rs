//! Property tests of the SQL parsers: the statement splitter, `.sql` migration files (sections and
//! directives) and database URLs (checking, SQLite normalization, redaction).
//!
//! Each is fed random and mutated input and must not panic: it gives a value, or an error that
//! names the input (the file and line, the URL without its password).

use std::path::Path;

use mongrate_core::{ErrorKind, MigrationFile, Version};
use mongrate_sql::connection::{URL_FORMS, check_url, dialect_of, normalize_sqlite_url, redact};
use mongrate_sql::dialect::Dialect;
use mongrate_sql::sql_file::SqlMigration;
use mongrate_sql::statement_split::{Statement, split_statements};
use mongrate_testkit::{mutated, noise};
use proptest::prelude::*;

/// A real migration: a description, a function with a dollar-quoted body, a trigger with a
/// `BEGIN … END` body, strings with `;`, comments of both kinds and a down section.
const MIGRATION: &str = r#"-- Orders get a total, kept up to date by a trigger.
-- Written for PostgreSQL.

-- mongrate:up
CREATE TABLE orders (id bigint PRIMARY KEY, note text DEFAULT 'a;b', total numeric);
/* Backfill: the old rows have no total; /* nested */ still a comment; */
UPDATE orders SET total = 0 WHERE total IS NULL; -- all of them
CREATE FUNCTION order_total() RETURNS trigger AS $body$
BEGIN
  NEW.total := coalesce(NEW.total, 0);
  RETURN NEW;
END;
$body$ LANGUAGE plpgsql;
CREATE TRIGGER orders_total BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION order_total();
INSERT INTO orders (id, note) VALUES (1, E'it\'s; fine'), (2, 'it''s; fine'), (3, $$a;b$$);

-- mongrate:down
DROP TRIGGER orders_total ON orders;
DROP FUNCTION order_total();
DROP TABLE orders;
"#;

/// A SQLite migration that runs outside a transaction, with a `BEGIN … END` trigger body.
const NO_TRANSACTION: &str = "-- mongrate:no-transaction\n-- mongrate:up\nCREATE TABLE a (id INTEGER);\n\
CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET id = CASE WHEN id > 1 THEN 0 ELSE id END;\nEND;\n";

#[rustfmt::skip]
const SQL_TOKENS: &[&str] = &[
    "-- mongrate:up\n", "-- mongrate:down\n", "-- mongrate:no-transaction\n", "-- mongrate:", ";", ";\n", "\n",
    "'", "E'", "\"", "$$", "$body$", "$1", "/*", "*/", "--", "BEGIN", "END", "CASE", "CREATE TRIGGER ",
    "CREATE FUNCTION ", "COMMIT;", "BEGIN;", "\r\n",
];

#[rustfmt::skip]
const URL_TOKENS: &[&str] = &[
    "sqlite:", "sqlite://", "sqlite:///", "postgres://", "postgresql://", ":memory:", "@", ":", "/", "?", "#", "[",
    "]", "::1", "host=", "&", "mode=ro", "5432", "65536", "0", "secret", "%40", ",",
];

fn file(content: String) -> MigrationFile {
    MigrationFile {
        version: Version::number(7),
        file_name: "007_orders.sql".into(),
        slug: "orders".into(),
        extension: "sql".into(),
        path: "migrations/007_orders.sql".into(),
        content,
        checksum: String::new(),
        layout: Default::default(),
        down: None,
        settings: None,
    }
}

/// Each statement is the trimmed text of the input it came from, in order and without overlap,
/// and its first line is on the line it reports (counted from `first_line`).
fn check_statements(text: &str, first_line: usize, statements: &[Statement]) -> Result<(), TestCaseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut rest = 0;
    for statement in statements {
        prop_assert!(!statement.sql.is_empty() && statement.sql == statement.sql.trim());
        let at = text[rest..].find(&statement.sql);
        prop_assert!(at.is_some(), "{:?} is not in what follows the previous statement", statement.sql);
        rest += at.unwrap_or_default() + statement.sql.len();
        let index = statement.line.checked_sub(first_line);
        let line = index.and_then(|index| lines.get(index));
        prop_assert!(line.is_some(), "line {} is outside the text {text:?}", statement.line);
        let first = statement.sql.lines().next().unwrap_or_default();
        prop_assert!(line.is_some_and(|line| line.contains(first)), "{first:?} is not on line {}", statement.line);
        prop_assert!(!statement.summary().contains('\n'));
    }
    Ok(())
}

/// Whether a line is the `-- mongrate:no-transaction` directive, as the parser reads directives.
fn is_no_transaction(line: &str) -> bool {
    let rest = line.trim().strip_prefix("--").map(str::trim_start);
    rest.and_then(|rest| rest.strip_prefix("mongrate:"))
        .is_some_and(|rest| rest.split_whitespace().next() == Some("no-transaction"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn statements_are_pieces_of_the_input_on_the_lines_they_name(
        text in prop_oneof![mutated(MIGRATION, SQL_TOKENS), mutated(NO_TRANSACTION, SQL_TOKENS), noise(SQL_TOKENS)],
        first_line in 1usize..1000,
    ) {
        let statements = split_statements(&text, first_line);
        check_statements(&text, first_line, &statements)?;
        // Put back together with `;` on a line of its own, the statements split the same way.
        let sqls: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
        let joined = sqls.join("\n;\n");
        let again: Vec<String> = split_statements(&joined, 1).into_iter().map(|s| s.sql).collect();
        prop_assert_eq!(again, sqls);
    }

    #[test]
    fn inspecting_a_file_agrees_with_parsing_it(
        content in prop_oneof![mutated(MIGRATION, SQL_TOKENS), mutated(NO_TRANSACTION, SQL_TOKENS), noise(SQL_TOKENS)],
    ) {
        // `inspect` skips the statement split where the lines decide; it must say what `parse` says.
        let file = file(content);
        let parsed = SqlMigration::parse(&file).map(|migration| migration.meta(&file));
        prop_assert_eq!(SqlMigration::inspect(&file), parsed);
    }

    #[test]
    fn a_migration_file_parses_or_is_refused_by_file_and_line(
        content in prop_oneof![mutated(MIGRATION, SQL_TOKENS), mutated(NO_TRANSACTION, SQL_TOKENS), noise(SQL_TOKENS)],
    ) {
        let line_count = content.lines().count();
        match SqlMigration::parse(&file(content.clone())) {
            Ok(parsed) => {
                prop_assert!(!parsed.up.is_empty());
                prop_assert!(parsed.down.as_ref().is_none_or(|down| !down.is_empty()));
                // Sections are read line by line: a CRLF file gives statements with LF, and a
                // `-- mongrate:no-transaction` line inside a section stays as an empty line.
                let lines: String = content
                    .lines()
                    .map(|line| if is_no_transaction(line) { "\n".to_owned() } else { format!("{line}\n") })
                    .collect();
                for statements in [Some(&parsed.up), parsed.down.as_ref()].into_iter().flatten() {
                    check_statements(&lines, 1, statements)?;
                }
            }
            Err(error) => {
                prop_assert_eq!(error.kind, ErrorKind::Validation);
                prop_assert!(error.message.starts_with("migrations/007_orders.sql"), "{}", error.message);
                // A line, when there is one, is a line of the file.
                let line = error.message["migrations/007_orders.sql".len()..]
                    .strip_prefix(':')
                    .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|digits| digits.parse::<usize>().ok());
                prop_assert!(line.is_none_or(|line| (1..=line_count).contains(&line)), "{}", error.message);
            }
        }
    }

    #[test]
    fn a_url_is_accepted_or_refused_with_the_forms_and_without_its_password(
        url in prop_oneof![
            mutated("sqlite:data/app.db?mode=rwc", URL_TOKENS),
            mutated("postgres://app:secret@db.example.com:5432/app?sslmode=require", URL_TOKENS),
            mutated("postgresql://app:secret@[::1]:5432,replica:5433/app", URL_TOKENS),
            noise(URL_TOKENS),
        ],
    ) {
        let shown = redact(&url);
        let base = Path::new("/srv/app");
        match check_url(&url) {
            Ok(dialect) => {
                prop_assert_eq!(Some(dialect), dialect_of(&url));
                // What the driver gets is still a URL that passes.
                let normalized = normalize_sqlite_url(&url, base);
                if dialect == Dialect::Sqlite {
                    prop_assert!(check_url(&normalized).is_ok(), "{normalized}");
                }
            }
            Err(error) => {
                prop_assert_eq!(error.kind, ErrorKind::Config);
                prop_assert!(error.message.contains(&shown), "{} names {shown}", error.message);
                prop_assert!(URL_FORMS.iter().all(|form| error.message.contains(form)), "{}", error.message);
                let _ = normalize_sqlite_url(&url, base);
            }
        }
    }

    #[test]
    fn redaction_hides_any_password(
        scheme in prop_oneof!["postgres|mongodb|mongodb\\+srv", "[a-z]{1,8}"],
        user in "[a-zA-Z0-9._%-]{0,8}",
        password in "[!-~]{1,16}",
        hosts in "[a-z0-9.:,\\[\\]-]{0,20}",
        tail in "(/[a-z0-9_]{0,8})?(\\?[a-z=&]{0,12})?",
    ) {
        let url = format!("{scheme}://{user}:{password}@{hosts}{tail}");
        let shown = redact(&url);
        prop_assert!(shown.starts_with(&format!("{scheme}://{user}:***@")), "{shown}");
        prop_assert!(shown.ends_with(&format!("@{hosts}{tail}")), "{shown}");
    }
}

#[test]
fn the_examples_parse_as_written() {
    let parsed = SqlMigration::parse(&file(MIGRATION.to_owned())).expect("the example parses");
    assert_eq!(parsed.up.len(), 5, "{:?}", parsed.up);
    assert_eq!(parsed.down.map(|down| down.len()), Some(3));
    let parsed = SqlMigration::parse(&file(NO_TRANSACTION.to_owned())).expect("the example parses");
    assert!(!parsed.up_transactional);
    assert_eq!(parsed.up.len(), 2, "{:?}", parsed.up);
}
