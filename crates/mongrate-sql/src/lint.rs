//! `mongrate lint` for `.sql` migrations: each statement of the up section is read by sqlparser
//! (PostgreSQL or SQLite dialect) and the rules of [`mongrate_core::lint`] are applied to its
//! syntax tree. Where a rule depends on the data (does the table exist, has it rows, are there
//! duplicates, is a function volatile, is `lock_timeout` set for the connection) one small read
//! answers it; nothing is written and no lock is taken.
//!
//! A statement the parser cannot read (a `DO` block, syntax it does not know) is listed as
//! unchecked rather than guessed at.

use std::collections::HashMap;
use std::ops::ControlFlow;

use mongrate_core::lint::{Finding, LintOptions, LintReport, Rule, Unchecked};
use mongrate_core::phase::Phase;
use mongrate_core::{Migration, Result};
use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, DataType, Delete,
    Expr, FromTable, GeneratedAs, IndexColumn, ObjectName, PrimaryKeyConstraint, Set, Statement as Ast,
    TableConstraint, TableFactor, UniqueConstraint, Value, visit_expressions,
};
use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::as_written::Substitution;
use crate::changelog::{db_error, get_bool, literal};
use crate::dialect::Dialect;
use crate::sql_file::SqlMigration;

/// Lints `.sql` migrations, in version order, on `conn`; Flyway placeholders stay as written
/// ([`lint_with`] replaces them).
pub async fn lint(
    conn: &mut AnyConnection,
    dialect: Dialect,
    migrations: &[Migration],
    options: &LintOptions,
) -> Result<LintReport> {
    lint_with(conn, dialect, migrations, options, None).await
}

/// [`lint`], a Flyway file read with its placeholders replaced from `substitution`, as `up` runs
/// it: the statements linted are the ones that run, at their lines.
pub async fn lint_with(
    conn: &mut AnyConnection,
    dialect: Dialect,
    migrations: &[Migration],
    options: &LintOptions,
    substitution: Option<Substitution<'_>>,
) -> Result<LintReport> {
    let mut facts = Facts { conn, dialect, tables: HashMap::new(), volatile: HashMap::new(), lock_timeout: None };
    let mut report = LintReport { migrations: migrations.len(), ..LintReport::default() };
    for migration in migrations {
        let parsed = SqlMigration::parse_with(&migration.file, substitution)?;
        let mut file = FileLint {
            migration,
            dialect,
            options,
            ask: options.asks_server(migration.version()),
            transactional: parsed.up_transactional,
            findings: Vec::new(),
            lock_timeout_set: false,
            lock_reported: false,
            local: HashMap::new(),
        };
        if parsed.down.is_none() && options.checks(Rule::NoDown) {
            file.warn(
                1,
                Rule::NoDown,
                "no `-- mongrate:down` section with statements: this migration cannot be rolled back",
            );
        }
        for statement in &parsed.up {
            match parse(dialect, &statement.sql) {
                Ok(trees) => {
                    for tree in &trees {
                        file.statement(tree, statement.line, &mut facts).await?;
                    }
                }
                Err(error) => report.unchecked.push(Unchecked {
                    file: migration.file.path.display().to_string(),
                    line: statement.line,
                    reason: format!("the SQL parser does not read it ({error})"),
                }),
            }
        }
        report.add(file.findings, &parsed.lint_ignores, options);
    }
    Ok(report)
}

fn parse(dialect: Dialect, sql: &str) -> std::result::Result<Vec<Ast>, sqlparser::parser::ParserError> {
    match dialect {
        Dialect::Postgres => Parser::parse_sql(&PostgreSqlDialect {}, sql),
        Dialect::Sqlite => Parser::parse_sql(&SQLiteDialect {}, sql),
    }
}

/// A table as a statement names it.
#[derive(Debug, Clone)]
struct Table {
    /// The name as the database folds it, for comparing (`users`, `app.users`).
    key: String,
    /// The name quoted for a query.
    quoted: String,
    /// The name as written, for messages.
    shown: String,
}

impl Table {
    fn new(name: &ObjectName, dialect: Dialect) -> Table {
        let parts: Vec<(String, bool)> = name
            .0
            .iter()
            .filter_map(|part| part.as_ident())
            .map(|ident| (ident.value.clone(), ident.quote_style.is_some()))
            .collect();
        let folded: Vec<String> = parts
            .iter()
            .map(|(value, quoted)| match dialect {
                // PostgreSQL folds unquoted names to lower case; SQLite compares names without case.
                Dialect::Postgres if *quoted => value.clone(),
                _ => value.to_lowercase(),
            })
            .collect();
        let default_schema = match dialect {
            Dialect::Postgres => "public",
            Dialect::Sqlite => "main",
        };
        let unqualified = match folded.as_slice() {
            [schema, rest @ ..] if schema == default_schema && !rest.is_empty() => rest,
            all => all,
        };
        let quoted = match dialect {
            Dialect::Postgres => folded.iter().map(|part| quote(part)).collect::<Vec<_>>().join("."),
            // `main.t` and `t` are one table; other schemas (attached files) are named as written.
            Dialect::Sqlite => unqualified.iter().map(|part| quote(part)).collect::<Vec<_>>().join("."),
        };
        Table { key: unqualified.join("."), quoted, shown: name.to_string() }
    }
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// What the database says about a table now, or what the migrations before said of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableState {
    /// Created by this migration or an earlier pending one.
    New,
    Missing,
    Empty,
    HasRows,
    /// Not asked (an applied migration): it may hold anything.
    Unknown,
}

impl TableState {
    /// A table whose rows running code may be using: locks and rewrites matter.
    fn existing(self) -> bool {
        matches!(self, TableState::Empty | TableState::HasRows | TableState::Unknown)
    }
}

/// The reads that answer rules, each asked once per table or function.
struct Facts<'c> {
    conn: &'c mut AnyConnection,
    dialect: Dialect,
    tables: HashMap<String, TableState>,
    volatile: HashMap<String, Option<bool>>,
    lock_timeout: Option<bool>,
}

impl Facts<'_> {
    async fn table(&mut self, table: &Table, ask: bool) -> Result<TableState> {
        if let Some(state) = self.tables.get(&table.key) {
            return Ok(*state);
        }
        if !ask {
            return Ok(TableState::Unknown);
        }
        let exists = match self.dialect {
            Dialect::Postgres => format!("SELECT to_regclass({}) IS NOT NULL AS found", literal(&table.quoted)),
            Dialect::Sqlite => format!(
                "SELECT count(*) > 0 AS found FROM sqlite_master WHERE type = 'table' AND name = {} COLLATE NOCASE",
                literal(table.key.rsplit('.').next().unwrap_or_default())
            ),
        };
        let doing = "looking up a table the migration changes";
        let row = sqlx::query(AssertSqlSafe(exists)).fetch_one(&mut *self.conn).await.map_err(db_error(doing))?;
        let state = if !get_bool(&row, "found")? {
            TableState::Missing
        } else {
            let rows = format!("SELECT EXISTS (SELECT 1 FROM {}) AS found", table.quoted);
            let row = sqlx::query(AssertSqlSafe(rows)).fetch_one(&mut *self.conn).await.map_err(db_error(doing))?;
            if get_bool(&row, "found")? { TableState::HasRows } else { TableState::Empty }
        };
        self.tables.insert(table.key.clone(), state);
        Ok(state)
    }

    fn set_table(&mut self, table: &Table, state: TableState) {
        self.tables.insert(table.key.clone(), state);
    }

    /// Whether a PostgreSQL function is volatile: `None` when there is no such function yet.
    async fn volatile(&mut self, function: &str, ask: bool) -> Result<Option<bool>> {
        if !ask {
            return Ok(KNOWN_VOLATILE.contains(&function).then_some(true));
        }
        if let Some(known) = self.volatile.get(function) {
            return Ok(*known);
        }
        let sql = format!(
            "SELECT count(*) > 0 AS found, coalesce(bool_or(provolatile = 'v'), false) AS volatile \
             FROM pg_proc WHERE proname = {}",
            literal(function)
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .fetch_one(&mut *self.conn)
            .await
            .map_err(db_error("looking up a function of a default"))?;
        let answer = if get_bool(&row, "found")? { Some(get_bool(&row, "volatile")?) } else { None };
        self.volatile.insert(function.to_owned(), answer);
        Ok(answer)
    }

    /// Whether the connection that runs migrations has a `lock_timeout` (from the role, the
    /// database or the URL's options).
    async fn connection_lock_timeout(&mut self, ask: bool) -> Result<bool> {
        if !ask {
            return Ok(false);
        }
        if let Some(set) = self.lock_timeout {
            return Ok(set);
        }
        let row = sqlx::query("SELECT current_setting('lock_timeout') AS value")
            .fetch_one(&mut *self.conn)
            .await
            .map_err(db_error("reading lock_timeout"))?;
        let value: String = row.try_get("value").map_err(db_error("reading lock_timeout"))?;
        let set = value.trim() != "0";
        self.lock_timeout = Some(set);
        Ok(set)
    }

    /// Up to three keys that more than one row of `table` holds, as `email = 'a@x' (2 rows)`.
    async fn duplicates(&mut self, table: &Table, columns: &[String], filter: Option<&Expr>) -> Result<Vec<String>> {
        let values: Vec<String> =
            columns.iter().enumerate().map(|(i, column)| format!("CAST({column} AS TEXT) AS v{i}")).collect();
        // NULLs are distinct in a unique index: rows with one are never duplicates.
        let mut conditions: Vec<String> = columns.iter().map(|c| format!("({c}) IS NOT NULL")).collect();
        if let Some(filter) = filter {
            conditions.push(format!("({filter})"));
        }
        let sql = format!(
            "SELECT {}, count(*) AS copies FROM {} WHERE {} GROUP BY {} HAVING count(*) > 1 \
             ORDER BY count(*) DESC LIMIT 3",
            values.join(", "),
            table.quoted,
            conditions.join(" AND "),
            columns.join(", ")
        );
        let doing = "looking for duplicates of a unique index";
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *self.conn).await.map_err(db_error(doing))?;
        rows.iter()
            .map(|row| {
                let mut key = Vec::with_capacity(columns.len());
                for (i, column) in columns.iter().enumerate() {
                    let value: String = row.try_get(format!("v{i}").as_str()).map_err(db_error(doing))?;
                    key.push(format!("{column} = {}", literal(&value)));
                }
                let copies: i64 = row.try_get("copies").map_err(db_error(doing))?;
                Ok(format!("{} ({copies} rows)", key.join(", ")))
            })
            .collect()
    }
}

/// A unique index or constraint, as the duplicates check reads it.
struct Unique<'a> {
    what: &'static str,
    columns: &'a [IndexColumn],
    /// A partial index's WHERE.
    filter: Option<&'a Expr>,
}

/// Functions known to be volatile, for a migration whose database is not asked.
const KNOWN_VOLATILE: &[&str] =
    &["random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4", "clock_timestamp", "timeofday", "nextval"];

/// The lint of one file.
struct FileLint<'a> {
    migration: &'a Migration,
    dialect: Dialect,
    options: &'a LintOptions,
    /// Whether the database may be asked (the migration is pending).
    ask: bool,
    transactional: bool,
    findings: Vec<Finding>,
    lock_timeout_set: bool,
    lock_reported: bool,
    /// What this file did to tables so far (created, dropped, renamed).
    local: HashMap<String, TableState>,
}

impl FileLint<'_> {
    fn phase(&self) -> Phase {
        self.migration.meta.phase
    }

    fn postgres(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    fn finding(&self, line: usize, rule: Rule, message: impl Into<String>) -> Finding {
        Finding::warning(&self.migration.file.path, self.migration.version(), line, rule, message)
    }

    fn warn(&mut self, line: usize, rule: Rule, message: impl Into<String>) {
        let finding = self.finding(line, rule, message);
        self.findings.push(finding);
    }

    /// The table as this file left it, else as earlier pending migrations left it, else as the
    /// database has it (`ask`: may the database be asked).
    async fn state(&self, table: &Table, facts: &mut Facts<'_>, ask: bool) -> Result<TableState> {
        match self.local.get(&table.key) {
            Some(state) => Ok(*state),
            None => facts.table(table, ask && self.ask).await,
        }
    }

    /// What this statement did to a table, for the statements after it. An applied migration's
    /// changes are not remembered past its file: the database shows them already.
    fn set(&mut self, table: &Table, state: TableState, facts: &mut Facts<'_>) {
        self.local.insert(table.key.clone(), state);
        if self.ask {
            facts.set_table(table, state);
        }
    }

    fn checks(&self, rule: Rule) -> bool {
        self.options.checks(rule)
    }

    async fn statement(&mut self, tree: &Ast, line: usize, facts: &mut Facts<'_>) -> Result<()> {
        match tree {
            Ast::CreateTable(create) => self.set(&Table::new(&create.name, self.dialect), TableState::New, facts),
            Ast::CreateIndex(index) => self.create_index(index, line, facts).await?,
            Ast::AlterTable(alter) => self.alter_table(alter, line, facts).await?,
            Ast::Drop { object_type: sqlparser::ast::ObjectType::Table, names, .. } => {
                for name in names {
                    let table = Table::new(name, self.dialect);
                    if (self.checks(Rule::DestructiveOutsideContract) || self.checks(Rule::NoLockTimeout))
                        && self.state(&table, facts, true).await?.existing()
                    {
                        self.destructive(line, &format!("DROP TABLE {}", table.shown));
                        self.locks(line, &table, facts).await?;
                    }
                    self.set(&table, TableState::Missing, facts);
                }
            }
            Ast::Truncate(truncate) => {
                for target in &truncate.table_names {
                    let table = Table::new(&target.name, self.dialect);
                    if self.checks(Rule::DestructiveOutsideContract) || self.checks(Rule::NoLockTimeout) {
                        if !self.state(&table, facts, true).await?.existing() {
                            continue;
                        }
                        self.destructive(line, &format!("TRUNCATE {}", table.shown));
                        self.locks(line, &table, facts).await?;
                    }
                }
            }
            Ast::Delete(delete) => self.delete(delete, line, facts).await?,
            Ast::Set(Set::SingleAssignment { variable, values, .. })
                if variable.to_string().eq_ignore_ascii_case("lock_timeout") =>
            {
                // `0`, `'0'`, `'0s'` and DEFAULT mean no timeout.
                let value = values.first().map(ToString::to_string).unwrap_or_default();
                let digits: String = value.trim_matches('\'').chars().take_while(char::is_ascii_digit).collect();
                self.lock_timeout_set = !digits.trim_start_matches('0').is_empty();
            }
            _ => {}
        }
        Ok(())
    }

    fn destructive(&mut self, line: usize, what: &str) {
        let phase = self.phase();
        if phase != Phase::Contract && self.checks(Rule::DestructiveOutsideContract) {
            self.warn(
                line,
                Rule::DestructiveOutsideContract,
                format!(
                    "{what} in a migration whose phase is {phase}: the code deployed now may still read what it removes"
                ),
            );
        }
    }

    /// A statement that takes a strong lock on `table`: without a lock_timeout, every query on
    /// the table queues behind it while it waits. Reported once per file.
    async fn locks(&mut self, line: usize, table: &Table, facts: &mut Facts<'_>) -> Result<()> {
        if !self.postgres() || !self.checks(Rule::NoLockTimeout) || self.lock_timeout_set || self.lock_reported {
            return Ok(());
        }
        if facts.connection_lock_timeout(self.ask).await? {
            return Ok(());
        }
        self.lock_reported = true;
        let fix = if self.transactional {
            "put `SET LOCAL lock_timeout = '5s';` before it (it lasts until the migration's transaction ends), or set lock_timeout for the role"
        } else {
            "put `SET lock_timeout = '5s';` before it, or set lock_timeout for the role"
        };
        let message = format!(
            "this statement locks {} and no lock_timeout is set (in the file or for the connection): while it waits \
             for the lock, every query on {} queues behind it",
            table.shown, table.shown
        );
        let finding = self.finding(line, Rule::NoLockTimeout, message).with_fix(fix);
        self.findings.push(finding);
        Ok(())
    }

    async fn delete(&mut self, delete: &Delete, line: usize, facts: &mut Facts<'_>) -> Result<()> {
        if delete.selection.is_some()
            || !self.checks(Rule::DestructiveOutsideContract)
            || self.phase() == Phase::Contract
        {
            return Ok(());
        }
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
        for relation in from {
            if let TableFactor::Table { name, .. } = &relation.relation {
                let table = Table::new(name, self.dialect);
                if self.state(&table, facts, true).await?.existing() {
                    self.destructive(line, &format!("DELETE FROM {} without WHERE", table.shown));
                }
            }
        }
        Ok(())
    }

    async fn create_index(&mut self, index: &CreateIndex, line: usize, facts: &mut Facts<'_>) -> Result<()> {
        let table = Table::new(&index.table_name, self.dialect);
        let wants_state = (self.postgres() && !index.concurrently && self.checks(Rule::IndexWithoutConcurrently))
            || (index.unique && self.checks(Rule::UniqueIndexDuplicates));
        if !wants_state {
            return Ok(());
        }
        let state = self.state(&table, facts, true).await?;
        if self.postgres() && !index.concurrently && state.existing() {
            if self.checks(Rule::IndexWithoutConcurrently) {
                let name = index.name.as_ref().map(|n| format!(" {n}")).unwrap_or_default();
                self.warn(
                    line,
                    Rule::IndexWithoutConcurrently,
                    format!(
                        "CREATE INDEX{name} on {} (an existing table) without CONCURRENTLY: writes to {} wait until the index is built",
                        table.shown, table.shown
                    ),
                );
            }
            self.locks(line, &table, facts).await?;
        }
        if index.unique {
            let unique =
                Unique { what: "CREATE UNIQUE INDEX", columns: &index.columns, filter: index.predicate.as_ref() };
            self.unique_duplicates(&table, state, unique, line, facts).await?;
        }
        Ok(())
    }

    /// A unique index or constraint over a table whose rows repeat its key now: building it fails.
    async fn unique_duplicates(
        &mut self,
        table: &Table,
        state: TableState,
        unique: Unique<'_>,
        line: usize,
        facts: &mut Facts<'_>,
    ) -> Result<()> {
        if state != TableState::HasRows || !self.ask || !self.checks(Rule::UniqueIndexDuplicates) {
            return Ok(());
        }
        let columns: Vec<String> = unique.columns.iter().map(|column| column.column.expr.to_string()).collect();
        if columns.is_empty() {
            return Ok(());
        }
        let found = facts.duplicates(table, &columns, unique.filter).await?;
        if !found.is_empty() {
            let message = format!(
                "{} on {} ({}): the table holds duplicates now, so building it fails; e.g. {}",
                unique.what,
                table.shown,
                columns.join(", "),
                found.join("; ")
            );
            let fix = format!(
                "remove the duplicates first (a DELETE that keeps one row of each {} value), in this or an earlier migration",
                columns.join(", ")
            );
            let finding = self.finding(line, Rule::UniqueIndexDuplicates, message).with_fix(fix).into_error();
            self.findings.push(finding);
        }
        Ok(())
    }

    async fn alter_table(&mut self, alter: &AlterTable, line: usize, facts: &mut Facts<'_>) -> Result<()> {
        let table = Table::new(&alter.name, self.dialect);
        let state = self.state(&table, facts, self.needs_table_state(alter)).await?;
        for operation in &alter.operations {
            match operation {
                AlterTableOperation::AddColumn { column_def, .. } => {
                    self.add_column(column_def, &table, state, line, facts).await?
                }
                AlterTableOperation::DropColumn { column_names, .. } if state != TableState::New => {
                    let names = column_names.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                    self.destructive(line, &format!("DROP COLUMN {names} of {}", table.shown));
                }
                AlterTableOperation::AlterColumn {
                    column_name,
                    op: AlterColumnOperation::SetDataType { data_type, .. },
                } if self.postgres() && state.existing() && self.checks(Rule::AlterColumnType) => {
                    self.warn(
                        line,
                        Rule::AlterColumnType,
                        format!(
                            "ALTER COLUMN {column_name} TYPE {data_type} on {}: rewrites the table under an exclusive lock \
                             (unless the types are binary-compatible) and breaks code that reads the old type",
                            table.shown
                        ),
                    );
                }
                AlterTableOperation::AddConstraint {
                    constraint:
                        TableConstraint::Unique(UniqueConstraint { columns, .. })
                        | TableConstraint::PrimaryKey(PrimaryKeyConstraint { columns, .. }),
                    ..
                } => {
                    let unique = Unique { what: "ADD CONSTRAINT … UNIQUE", columns, filter: None };
                    self.unique_duplicates(&table, state, unique, line, facts).await?;
                }
                AlterTableOperation::AddConstraint { constraint, not_valid: false }
                    if self.postgres() && state.existing() && self.checks(Rule::ConstraintWithoutNotValid) =>
                {
                    let (kind, name) = match constraint {
                        TableConstraint::Check(check) => ("CHECK", check.name.as_ref()),
                        TableConstraint::ForeignKey(key) => ("FOREIGN KEY", key.name.as_ref()),
                        _ => continue,
                    };
                    let shown = name.map(ToString::to_string).unwrap_or_else(|| "<name>".to_owned());
                    let message = format!(
                        "ADD CONSTRAINT {shown} {kind} without NOT VALID on {}: every row is checked while writes to the table wait",
                        table.shown
                    );
                    let fix = format!(
                        "ADD CONSTRAINT {shown} … NOT VALID, then `ALTER TABLE {} VALIDATE CONSTRAINT {shown};` in a later \
                         statement (it takes a weaker lock)",
                        table.shown
                    );
                    let finding = self.finding(line, Rule::ConstraintWithoutNotValid, message).with_fix(fix);
                    self.findings.push(finding);
                }
                AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                    let what = format!("RENAME COLUMN {old_column_name} TO {new_column_name} of {}", table.shown);
                    self.rename(line, state, &what, &old_column_name.to_string());
                }
                AlterTableOperation::RenameTable { table_name } => {
                    let shown = table_name.to_string();
                    self.rename(line, state, &format!("ALTER TABLE {} RENAME {shown}", table.shown), &table.shown);
                }
                _ => {}
            }
        }
        if state.existing() {
            self.locks(line, &table, facts).await?;
        }
        if let Some(AlterTableOperation::RenameTable { table_name }) = alter.operations.last() {
            let name = match table_name {
                sqlparser::ast::RenameTableNameKind::As(name) | sqlparser::ast::RenameTableNameKind::To(name) => name,
            };
            self.set(&Table::new(name, self.dialect), state, facts);
            self.set(&table, TableState::Missing, facts);
        }
        Ok(())
    }

    /// Whether any check of this ALTER TABLE depends on the table's state (in `up`'s check, only
    /// a NOT NULL column does).
    fn needs_table_state(&self, alter: &AlterTable) -> bool {
        !self.options.errors_only
            || alter.operations.iter().any(|op| match op {
                AlterTableOperation::AddColumn { column_def, .. } => self.not_null_without_default(column_def),
                AlterTableOperation::AddConstraint { constraint, .. } => {
                    matches!(constraint, TableConstraint::Unique(_) | TableConstraint::PrimaryKey(_))
                }
                _ => false,
            })
    }

    fn rename(&mut self, line: usize, state: TableState, what: &str, old: &str) {
        if self.phase() == Phase::Expand && state != TableState::New && self.checks(Rule::RenameInExpand) {
            self.warn(
                line,
                Rule::RenameInExpand,
                format!("{what} in an expand migration: the code running now still uses the name {old}"),
            );
        }
    }

    /// `NOT NULL` (or, on PostgreSQL, `PRIMARY KEY`) with no default and nothing that fills it.
    fn not_null_without_default(&self, column: &ColumnDef) -> bool {
        let options = || column.options.iter().map(|option| &option.option);
        let not_null = options().any(|option| {
            matches!(option, ColumnOption::NotNull) || self.postgres() && matches!(option, ColumnOption::PrimaryKey(_))
        });
        let filled = options().any(|option| match option {
            ColumnOption::Default(Expr::Value(value)) => !matches!(value.value, Value::Null),
            ColumnOption::Default(_) | ColumnOption::Generated { .. } | ColumnOption::Identity(_) => true,
            _ => false,
        });
        not_null && !filled && !(self.postgres() && is_serial(&column.data_type))
    }

    async fn add_column(
        &mut self,
        column: &ColumnDef,
        table: &Table,
        state: TableState,
        line: usize,
        facts: &mut Facts<'_>,
    ) -> Result<()> {
        if self.checks(Rule::NotNullWithoutDefault) && self.not_null_without_default(column) && state.existing() {
            let name = &column.name;
            let shown = &table.shown;
            let finding = if state == TableState::HasRows {
                let message = format!(
                    "ADD COLUMN {name} NOT NULL without a default on {shown}, which has rows: the statement fails"
                );
                self.finding(line, Rule::NotNullWithoutDefault, message).into_error()
            } else {
                let here = if state == TableState::Empty { " (here it is empty)" } else { "" };
                let message = format!(
                    "ADD COLUMN {name} NOT NULL without a default on {shown}: it fails on a database where {shown} has rows{here}"
                );
                self.finding(line, Rule::NotNullWithoutDefault, message)
            };
            self.findings.push(finding);
        }
        if self.postgres()
            && state.existing()
            && self.checks(Rule::VolatileDefault)
            && let Some(what) = self.volatile_default(column, facts).await?
        {
            self.warn(
                line,
                Rule::VolatileDefault,
                format!(
                    "ADD COLUMN {} with {what} on {}: every row of the table is rewritten under an exclusive lock",
                    column.name, table.shown
                ),
            );
        }
        Ok(())
    }

    /// What makes a new column's value differ per row: a volatile function in its default, a
    /// serial type or an identity.
    async fn volatile_default(&self, column: &ColumnDef, facts: &mut Facts<'_>) -> Result<Option<String>> {
        if is_serial(&column.data_type) {
            return Ok(Some(format!("the type {} (a sequence default)", column.data_type)));
        }
        for option in &column.options {
            match &option.option {
                ColumnOption::Generated {
                    generated_as: GeneratedAs::Always | GeneratedAs::ByDefault,
                    generation_expr: None,
                    ..
                }
                | ColumnOption::Identity(_) => return Ok(Some("an identity".to_owned())),
                ColumnOption::Default(expr) => {
                    let mut functions = Vec::new();
                    let _ = visit_expressions(expr, |inner| {
                        if let Expr::Function(function) = inner
                            && let Some(last) = function.name.0.last().and_then(|part| part.as_ident())
                        {
                            functions.push(last.value.to_lowercase());
                        }
                        ControlFlow::<()>::Continue(())
                    });
                    for function in functions {
                        if facts.volatile(&function, self.ask).await? == Some(true) {
                            return Ok(Some(format!("the volatile default {expr}")));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(None)
    }
}

fn is_serial(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Custom(name, _)
        if ["serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"]
            .contains(&name.to_string().to_lowercase().as_str()))
}

#[cfg(test)]
mod tests;
