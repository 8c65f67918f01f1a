//! The SQL target: PostgreSQL or SQLite behind one implementation.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use mongrate_core::backup::{BackupInfo, BackupPolicy, RestoreReport, merged};
use mongrate_core::config::ChangelogNames;
use mongrate_core::execution::{FailureEffect, StepExecution, StepFailure, StepOutcome};
use mongrate_core::interrupt::Interrupt;
use mongrate_core::lease::LeaseStore;
use mongrate_core::lint::{LintOptions, LintReport};
use mongrate_core::placeholders::{Connection as ConnectionFacts, Placeholders};
use mongrate_core::plan::Step;
use mongrate_core::record::{HistoryEntry, HistoryQuery, MigrationRecord};
use mongrate_core::target::{DryRunStep, ServerInfo, Snapshot, execute_each, snapshot_by_parts};
use mongrate_core::{Error, Migration, MigrationFile, MigrationMeta, Result, Target, TargetKind};
use sqlx::{Connection, Row};

use crate::as_written::Substitution;
use crate::backup::{SqlBackups, restore_after_failure, restore_by_hand};
use crate::changelog::{Changelog, db_error};
use crate::connection::{connect, dialect_of, normalize_sqlite_url, redact};
use crate::dialect::Dialect;
use crate::execute::{group_in_transaction, in_transaction, outside_transaction, statements_of};
use crate::lease_store::SqlLeaseStore;
use crate::primary::Primary;
use crate::sql_file::SqlMigration;
use crate::statement_split::Statement;

/// How to reach a SQL database.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    pub url: String,
    /// Relative SQLite paths are resolved against this directory.
    pub base_dir: PathBuf,
    pub names: ChangelogNames,
    pub connect_timeout: Duration,
    /// `[backup]`: how many backups to keep (PostgreSQL).
    pub backup: mongrate_core::backup::BackupPolicy,
    /// Flyway's placeholders, for the files of a Flyway project.
    pub placeholders: Placeholders,
}

/// A PostgreSQL or SQLite database.
pub struct SqlTarget {
    primary: Arc<Primary>,
    dialect: Dialect,
    changelog: Changelog,
    /// Set once the changelog tables are known to exist: they do not disappear during a run.
    changelog_ready: AtomicBool,
    lease: Arc<SqlLeaseStore>,
    shown_url: String,
    /// PostgreSQL's process id of the primary connection, to cancel its statement on Ctrl-C.
    backend_pid: Option<i32>,
    backup_policy: BackupPolicy,
    placeholders: Placeholders,
    /// The user, database and schema Flyway's built-in placeholders name.
    facts: ConnectionFacts,
}

impl SqlTarget {
    /// Whether this target handles the URL.
    pub fn handles(url: &str) -> bool {
        dialect_of(url).is_some()
    }

    /// Connects, failing within the connect timeout when the database cannot be reached.
    pub async fn connect(options: SqlOptions) -> Result<SqlTarget> {
        let dialect = dialect_of(&options.url)
            .ok_or_else(|| Error::config(format!("{} is not a postgres:// or sqlite: URL", redact(&options.url))))?;
        let url = match dialect {
            Dialect::Sqlite => normalize_sqlite_url(&options.url, &options.base_dir),
            Dialect::Postgres => options.url.clone(),
        };
        let (pool, mut connection) = connect(&url, dialect, options.connect_timeout).await?;
        let (backend_pid, facts) = match dialect {
            Dialect::Postgres => {
                let doing = "reading the connection's process id, user and database";
                let row = sqlx::query(
                    "SELECT pg_backend_pid() AS pid, current_user::text AS usr, current_database()::text AS db, \
                     coalesce(current_schema()::text, '') AS schema",
                )
                .fetch_one(&mut *connection)
                .await
                .map_err(db_error(doing))?;
                let facts = ConnectionFacts {
                    user: row.try_get("usr").map_err(db_error(doing))?,
                    database: row.try_get("db").map_err(db_error(doing))?,
                    schema: row.try_get("schema").map_err(db_error(doing))?,
                };
                (Some(row.try_get::<i32, _>("pid").map_err(db_error(doing))?), facts)
            }
            // SQLite has no users; its database and schema are `main`, as Flyway says.
            Dialect::Sqlite => {
                (None, ConnectionFacts { user: String::new(), database: "main".into(), schema: "main".into() })
            }
        };
        let in_memory = dialect == Dialect::Sqlite && url.contains(":memory:");
        let primary = Arc::new(Primary::new(connection, pool.clone(), !in_memory));
        let changelog = Changelog { dialect, names: options.names, text_column: Default::default() };
        let lease = Arc::new(SqlLeaseStore { primary: primary.clone(), pool, changelog: changelog.clone() });
        Ok(SqlTarget {
            primary,
            dialect,
            changelog,
            changelog_ready: AtomicBool::new(false),
            lease,
            shown_url: redact(&options.url),
            backend_pid,
            backup_policy: options.backup,
            placeholders: options.placeholders,
            facts,
        })
    }

    /// What a Flyway file's placeholders are replaced with.
    fn substitution(&self) -> Substitution<'_> {
        Substitution { placeholders: &self.placeholders, connection: &self.facts }
    }

    /// Parses a file, with its placeholders replaced.
    fn parse(&self, file: &MigrationFile) -> Result<SqlMigration> {
        SqlMigration::parse_with(file, Some(self.substitution()))
    }

    /// The backups of this database: PostgreSQL only.
    fn backup_store(&self) -> Result<SqlBackups<'_>> {
        match self.dialect {
            Dialect::Postgres => Ok(SqlBackups { records: &self.changelog.names.backups, policy: &self.backup_policy }),
            Dialect::Sqlite => Err(mongrate_core::target::no_backups(self.kind())),
        }
    }

    /// Takes the step's backups (its `-- mongrate:backup` tables), each followed by the
    /// retention of its table.
    async fn take_backups(
        &self,
        conn: &mut sqlx::AnyConnection,
        execution: &StepExecution<'_>,
    ) -> Result<Vec<BackupInfo>> {
        let migration = &execution.step.migration;
        let tables = merged(&migration.meta.backup, Vec::new(), false)?;
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let store = self.backup_store()?;
        let mut taken = Vec::new();
        for table in tables {
            taken.push(store.take(conn, &table, Some((&migration.file.version, migration.name()))).await?);
            store.apply_retention(conn, &table).await?;
        }
        Ok(taken)
    }

    /// Another tool's changelog in this database (`mongrate import`), read only.
    pub async fn foreign_changelog(
        &self,
        tool: crate::foreign_changelog::ForeignTool,
        table: &str,
    ) -> Result<mongrate_core::import::ForeignChangelog> {
        let mut conn = self.primary.reader().await?;
        crate::foreign_changelog::read(&mut conn, self.dialect, tool, table).await
    }

    /// Whether the changelog tables exist, asking the database until they do.
    async fn changelog_exists_on(&self, conn: &mut sqlx::AnyConnection) -> Result<bool> {
        if self.changelog_ready.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let exists = self.changelog.exists(conn).await?;
        self.changelog_ready.store(exists, Ordering::Relaxed);
        Ok(exists)
    }
}

#[async_trait]
impl Target for SqlTarget {
    fn kind(&self) -> TargetKind {
        self.dialect.target_kind()
    }

    fn display_url(&self) -> String {
        self.shown_url.clone()
    }

    fn inspect(&self, file: &MigrationFile) -> Result<MigrationMeta> {
        if file.extension != "sql" {
            return Err(Error::validation(format!(
                "{}: .{} migrations are for MongoDB; a {} database runs .sql files",
                file.path.display(),
                file.extension,
                self.dialect.kind()
            )));
        }
        let meta = SqlMigration::inspect_with(file, Some(self.substitution()))?;
        if self.dialect == Dialect::Sqlite && !meta.backup.is_empty() {
            return Err(Error::validation(format!(
                "{}: `-- mongrate:backup` is for PostgreSQL (and `backup:` for MongoDB); SQLite has no backups: copy the file",
                file.path.display()
            )));
        }
        Ok(meta)
    }

    async fn server_info(&self) -> Result<ServerInfo> {
        let sql = match self.dialect {
            Dialect::Postgres => "SELECT current_setting('server_version') AS version",
            Dialect::Sqlite => "SELECT sqlite_version() AS version",
        };
        let mut conn = self.primary.reader().await?;
        let row = sqlx::query(sql).fetch_one(&mut **conn).await.map_err(db_error("reading the server version"))?;
        let version: String = row.try_get("version").map_err(db_error("reading the server version"))?;
        Ok(ServerInfo { kind: self.dialect.target_kind(), version, transactions: true, document_server: None })
    }

    async fn snapshot(&self) -> Result<Snapshot> {
        match self.dialect {
            // In-process: nothing to save.
            Dialect::Sqlite => snapshot_by_parts(self).await,
            Dialect::Postgres => {
                let mut conn = self.primary.reader().await?;
                crate::snapshot::read_postgres(&mut conn, &self.changelog).await
            }
        }
    }

    async fn changelog_exists(&self) -> Result<bool> {
        let mut conn = self.primary.reader().await?;
        self.changelog_exists_on(&mut conn).await
    }

    async fn ensure_changelog(&self) -> Result<()> {
        let mut conn = self.primary.lock().await;
        if !self.changelog_exists_on(&mut conn).await? {
            if let Err(error) = self.changelog.create(&mut conn).await {
                // Runners started together: another one created the tables and now holds the
                // write lock with its first migrations (SQLite's "database is locked").
                if !self.changelog.exists(&mut conn).await? {
                    return Err(error);
                }
            }
            self.changelog_ready.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    async fn records(&self) -> Result<Vec<MigrationRecord>> {
        let mut conn = self.primary.reader().await?;
        if !self.changelog_exists_on(&mut conn).await? {
            return Ok(Vec::new());
        }
        self.changelog.records(&mut conn).await
    }

    async fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>> {
        let mut conn = self.primary.reader().await?;
        if !self.changelog_exists_on(&mut conn).await? {
            return Ok(Vec::new());
        }
        self.changelog.history(&mut conn, query).await
    }

    async fn write_record(&self, record: Option<&MigrationRecord>, history: &HistoryEntry) -> Result<()> {
        let mut conn = self.primary.lock().await;
        if history.version.stored_text().is_some() {
            self.changelog.add_text_column(&mut conn).await?;
        }
        let mut tx = conn.begin_with(self.dialect.begin()).await.map_err(db_error("recording"))?;
        if let Some(record) = record {
            self.changelog.upsert(&mut tx, record).await?;
        }
        self.changelog.append(&mut tx, history).await?;
        tx.commit().await.map_err(db_error("recording"))
    }

    async fn execute(&self, execution: &StepExecution<'_>) -> Result<StepOutcome, StepFailure> {
        let as_failure = |error| StepFailure::new(error, FailureEffect::NothingApplied);
        let file = &execution.step.migration.file;
        let parsed = self.parse(file).map_err(as_failure)?;
        let direction = execution.step.direction;
        let statements =
            statements_of(&parsed, direction, &file.source(direction).display().to_string()).map_err(as_failure)?;
        let mut conn = self.primary.lock().await;
        if execution.step.migration.file.version.stored_text().is_some() {
            self.changelog.add_text_column(&mut conn).await.map_err(as_failure)?;
        }
        let taken = self.take_backups(&mut conn, execution).await.map_err(as_failure)?;
        let outcome = if parsed.transactional(direction) {
            in_transaction(&mut conn, &self.changelog, execution, statements).await
        } else {
            outside_transaction(&mut conn, &self.changelog, execution, statements).await
        };
        match (outcome, self.backup_store()) {
            (Err(failure), Ok(store)) => {
                Err(restore_after_failure(&store, &mut conn, &self.changelog, execution, failure, &taken).await)
            }
            (outcome, _) => outcome,
        }
    }

    async fn execute_group(
        &self,
        executions: &[StepExecution<'_>],
        interrupt: Option<Interrupt>,
    ) -> Vec<Result<StepOutcome, StepFailure>> {
        // The leading steps that can share the transaction: the runner groups transactional
        // steps only, but a file may have changed since, or lack a down section.
        let mut parsed = Vec::with_capacity(executions.len());
        for execution in executions {
            match self.parse(&execution.step.migration.file) {
                // A step with backups takes them before its own transaction.
                Ok(migration)
                    if migration.transactional(execution.step.direction)
                        && migration.backup.is_empty()
                        && migration.statements(execution.step.direction).is_some() =>
                {
                    parsed.push(migration)
                }
                _ => break,
            }
        }
        let (mut outcomes, ran) = if parsed.is_empty() {
            // It runs on its own and reports its own error.
            (execute_each(self, &executions[..1], interrupt.clone()).await, 1)
        } else {
            let statements: Vec<&[Statement]> =
                parsed.iter().zip(executions).filter_map(|(m, e)| m.statements(e.step.direction)).collect();
            let mut conn = self.primary.lock().await;
            let ran = statements.len();
            let group = &executions[..ran];
            if group.iter().any(|e| e.step.migration.file.version.stored_text().is_some())
                && let Err(error) = self.changelog.add_text_column(&mut conn).await
            {
                return vec![Err(StepFailure::new(error, FailureEffect::NothingApplied))];
            }
            (group_in_transaction(&mut conn, &self.changelog, group, &statements, interrupt.clone()).await, ran)
        };
        if ran < executions.len() && outcomes.len() == ran && outcomes.iter().all(Result::is_ok) {
            outcomes.extend(self.execute_group(&executions[ran..], interrupt).await);
        }
        outcomes
    }

    async fn dry_run(&self, steps: &[Step]) -> Result<Vec<DryRunStep>> {
        let mut conn = self.primary.lock().await;
        let mut reports = crate::dry_run::dry_run(&mut conn, self.dialect, steps, self.substitution()).await?;
        if let Ok(store) = self.backup_store() {
            for (step, report) in steps.iter().zip(reports.iter_mut()) {
                let mut lines = Vec::new();
                for table in &step.migration.meta.backup {
                    let planned = store.plan(&mut conn, table).await?;
                    lines.push(mongrate_core::execution::OperationReport {
                        line: 0,
                        summary: planned.summary("row"),
                        affected: planned.exists.then_some(planned.documents),
                        note: None,
                        samples: None,
                    });
                }
                lines.append(&mut report.operations);
                report.operations = lines;
            }
        }
        Ok(reports)
    }

    fn lease_store(&self) -> Arc<dyn LeaseStore> {
        self.lease.clone()
    }

    async fn lint(&self, migrations: &[Migration], options: &LintOptions) -> Result<LintReport> {
        let mut conn = self.primary.reader().await?;
        crate::lint::lint_with(&mut conn, self.dialect, migrations, options, Some(self.substitution())).await
    }

    async fn backups(&self) -> Result<Vec<BackupInfo>> {
        let store = self.backup_store()?;
        let mut conn = self.primary.lock().await;
        store.list(&mut conn).await
    }

    async fn create_backup(&self, table: &str) -> Result<BackupInfo> {
        let store = self.backup_store()?;
        let mut conn = self.primary.lock().await;
        let taken = store.take(&mut conn, table, None).await?;
        store.apply_retention(&mut conn, table).await?;
        Ok(taken)
    }

    async fn restore_backup(&self, name: &str, to: Option<&str>) -> Result<RestoreReport> {
        let store = self.backup_store()?;
        let mut conn = self.primary.lock().await;
        restore_by_hand(&store, &mut conn, &self.changelog, name, to).await
    }

    async fn drop_backup(&self, name: &str) -> Result<BackupInfo> {
        let store = self.backup_store()?;
        let mut conn = self.primary.lock().await;
        store.drop_backup(&mut conn, name).await
    }

    async fn cancel_running(&self) {
        // SQLite runs in this process: its statement ends with the step's future.
        let Some(pid) = self.backend_pid else { return };
        // Best effort: if it fails, recording the interrupt waits for the statement to end.
        if let Ok(mut conn) = self.lease.pool.acquire().await {
            let _ = sqlx::query("SELECT pg_cancel_backend($1)").bind(pid).execute(&mut *conn).await;
        }
        // The cancelled statement's error ("canceling statement due to user request") arrives
        // with the connection's next query: take it here, not in the recording of the interrupt.
        let mut conn = self.primary.lock().await;
        for _ in 0..2 {
            if sqlx::query("SELECT 1").execute(&mut **conn).await.is_ok() {
                break;
            }
        }
    }
}
