//! Statements that begin, end or abort a transaction (`BEGIN`, `COMMIT`, `ROLLBACK`, …).
//!
//! mongrate runs a transactional migration inside a transaction of its own, together with its
//! changelog record, and a dry-run inside one that it rolls back. A `COMMIT` in the file would
//! commit half a migration, write during a dry-run and cut the changelog update loose from the
//! migration, so such files are refused before anything runs. The split statements are looked at
//! by their leading keywords only: the same words inside function bodies, `DO` blocks, trigger
//! bodies or strings belong to a longer statement and are not transaction control.

use crate::statement_split::Statement;

/// A statement that controls the transaction, and how it reads (`COMMIT`, `START TRANSACTION`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionControl {
    pub keyword: String,
    pub line: usize,
}

/// The first statement in `statements` that begins, ends or aborts a transaction.
pub fn find_transaction_control(statements: &[Statement]) -> Option<TransactionControl> {
    statements.iter().find_map(|statement| {
        transaction_control_keyword(&statement.sql).map(|keyword| TransactionControl { keyword, line: statement.line })
    })
}

/// `Some("COMMIT")` when `sql` (one statement) begins, ends or aborts a transaction.
///
/// `SAVEPOINT`, `RELEASE` and `ROLLBACK TO` stay inside the transaction and are allowed.
pub fn transaction_control_keyword(sql: &str) -> Option<String> {
    let words = leading_words(sql, 4);
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let shown = |n: usize| words[..n.min(words.len())].join(" ");
    match word(0) {
        "BEGIN" | "COMMIT" | "END" | "ABORT" => Some(shown(1)),
        "START" if word(1) == "TRANSACTION" => Some(shown(2)),
        "PREPARE" if word(1) == "TRANSACTION" => Some(shown(2)),
        "ROLLBACK" => {
            // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name undoes part of the transaction only.
            let after = if matches!(word(1), "WORK" | "TRANSACTION") { word(2) } else { word(1) };
            (after != "TO").then(|| shown(1))
        }
        _ => None,
    }
}

/// `Some("CREATE INDEX CONCURRENTLY")` when `sql` (one statement) is one PostgreSQL refuses to
/// run inside a transaction block. Flyway runs such a migration without a transaction, and
/// golang-migrate sends a file as it is, so mongrate does the same for their files.
pub fn refused_in_transaction(sql: &str) -> Option<String> {
    let words = leading_words(sql, 6);
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let concurrently = words.iter().any(|w| w == "CONCURRENTLY");
    match (word(0), word(1)) {
        ("CREATE", "INDEX" | "UNIQUE") | ("DROP", "INDEX") | ("REINDEX", _) if concurrently => {
            let at = words.iter().position(|w| w == "CONCURRENTLY").unwrap_or(0);
            Some(words[..=at].join(" "))
        }
        ("VACUUM", _) => Some("VACUUM".to_owned()),
        ("CREATE" | "DROP", "DATABASE" | "TABLESPACE") => Some(format!("{} {}", word(0), word(1))),
        ("ALTER", "SYSTEM") => Some("ALTER SYSTEM".to_owned()),
        _ => None,
    }
}

/// The first `limit` words of `sql`, upper-cased, skipping comments and white space.
fn leading_words(sql: &str, limit: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = sql;
    while words.len() < limit {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, tail)| tail);
            continue;
        }
        if let Some(after) = rest.strip_prefix("/*") {
            rest = skip_block_comment(after);
            continue;
        }
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        words.push(rest[..end].to_ascii_uppercase());
        rest = &rest[end..];
    }
    words
}

/// What follows a (possibly nested) block comment whose `/*` was already consumed.
fn skip_block_comment(mut rest: &str) -> &str {
    let mut depth = 1usize;
    while depth > 0 {
        let close = rest.find("*/");
        let open = rest.find("/*");
        match (open, close) {
            (Some(o), Some(c)) if o < c => {
                depth += 1;
                rest = &rest[o + 2..];
            }
            (_, Some(c)) => {
                depth -= 1;
                rest = &rest[c + 2..];
            }
            (_, None) => return "",
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement_split::split_statements;

    fn keyword(sql: &str) -> Option<String> {
        transaction_control_keyword(sql)
    }

    #[test]
    fn transaction_control_statements_are_found() {
        for (sql, shown) in [
            ("BEGIN", "BEGIN"),
            ("begin transaction", "BEGIN"),
            ("BEGIN IMMEDIATE", "BEGIN"),
            ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", "START TRANSACTION"),
            ("COMMIT", "COMMIT"),
            ("commit work", "COMMIT"),
            ("COMMIT PREPARED 'x'", "COMMIT"),
            ("END", "END"),
            ("END TRANSACTION", "END"),
            ("ROLLBACK", "ROLLBACK"),
            ("ROLLBACK PREPARED 'x'", "ROLLBACK"),
            ("ABORT", "ABORT"),
            ("PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION"),
            ("/* leading */ -- comment\nCOMMIT", "COMMIT"),
        ] {
            assert_eq!(keyword(sql).as_deref(), Some(shown), "{sql}");
        }
    }

    #[test]
    fn statements_postgres_refuses_in_a_transaction_are_found() {
        for (sql, shown) in [
            ("CREATE INDEX CONCURRENTLY users_email ON users (email)", "CREATE INDEX CONCURRENTLY"),
            ("create unique index concurrently i on t (x)", "CREATE UNIQUE INDEX CONCURRENTLY"),
            ("DROP INDEX CONCURRENTLY IF EXISTS i", "DROP INDEX CONCURRENTLY"),
            ("REINDEX INDEX CONCURRENTLY i", "REINDEX INDEX CONCURRENTLY"),
            ("-- tidy\nVACUUM ANALYZE users", "VACUUM"),
            ("CREATE DATABASE other", "CREATE DATABASE"),
        ] {
            assert_eq!(refused_in_transaction(sql).as_deref(), Some(shown), "{sql}");
        }
        for sql in ["CREATE INDEX i ON t (x)", "REFRESH MATERIALIZED VIEW CONCURRENTLY v", "SELECT 'VACUUM'", ""] {
            assert_eq!(refused_in_transaction(sql), None, "{sql}");
        }
    }

    #[test]
    fn statements_inside_the_transaction_are_allowed() {
        for sql in [
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "ROLLBACK TO SAVEPOINT a",
            "ROLLBACK TRANSACTION TO a",
            "rollback work to a",
            "PREPARE q AS SELECT 1",
            "START_TIME",
            "CREATE TABLE begin_end (x int)",
            "INSERT INTO t VALUES ('COMMIT')",
            "SELECT 1 /* COMMIT */",
            "",
            "/* unclosed",
        ] {
            assert_eq!(keyword(sql), None, "{sql}");
        }
    }

    #[test]
    fn bodies_that_mention_the_words_are_not_control() {
        let script = "CREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  COMMIT;\nEND;\n$$ LANGUAGE plpgsql;\n\
                      DO $$ BEGIN PERFORM 1; END $$;\n\
                      CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  DELETE FROM b;\nEND;\n\
                      INSERT INTO notes VALUES ('BEGIN; COMMIT;');";
        let statements = split_statements(script, 1);
        assert_eq!(statements.len(), 4, "{statements:?}");
        assert_eq!(find_transaction_control(&statements), None);
    }

    #[test]
    fn the_first_control_statement_is_named_with_its_line() {
        let statements = split_statements("BEGIN;\nCREATE TABLE t1 (id int);\nCOMMIT;\nCREATE TABLE t2 (id int);", 5);
        assert_eq!(
            find_transaction_control(&statements),
            Some(TransactionControl { keyword: "BEGIN".into(), line: 5 })
        );
        let later = split_statements("CREATE TABLE t1 (id int);\n\ncommit;", 1);
        assert_eq!(find_transaction_control(&later), Some(TransactionControl { keyword: "COMMIT".into(), line: 3 }));
    }
}
