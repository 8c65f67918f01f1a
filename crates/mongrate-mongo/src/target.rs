//! The MongoDB target.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};
use mongrate_core::backup::{BackupInfo, BackupPolicy, RestoreReport};
use mongrate_core::config::ChangelogNames;
use mongrate_core::execution::{FailureEffect, OperationReport, StepExecution, StepFailure, StepOutcome};
use mongrate_core::interrupt::Interrupt;
use mongrate_core::lease::LeaseStore;
use mongrate_core::lint::{LintOptions, LintReport};
use mongrate_core::plan::{Direction, Step};
use mongrate_core::record::{HistoryEntry, HistoryQuery, MigrationRecord, MigrationStatus};
use mongrate_core::target::{DryRunStep, ServerInfo, Snapshot, execute_each};
use mongrate_core::{Error, Migration, MigrationFile, MigrationMeta, Result, Target, TargetKind};

use crate::backup::MongoBackups;
use crate::capabilities::{Capabilities, detect};
use crate::changelog::MongoChangelog;
use crate::checkpoint::{Checkpoints, stored_count};
use crate::connection::{connect, is_mongodb_url, redact};
use crate::declarative::DeclarativeMigration;
use crate::executor::Executor;
use crate::lease_store::MongoLeaseStore;
use crate::operation::Operation;
use crate::script::{ScriptEngine, ScriptRun};

mod backups;
mod transaction;

use transaction::Work;

/// How to reach MongoDB.
#[derive(Clone)]
pub struct MongoOptions {
    pub url: String,
    /// Overrides the database of the URL path.
    pub database: Option<String>,
    pub names: ChangelogNames,
    /// Server selection timeout: an unreachable server is reported within it.
    pub connect_timeout: Duration,
    /// Runs migrations written as programs (`.js`); without one, such files are refused.
    pub scripts: Option<Arc<dyn ScriptEngine>>,
    /// `[backup]`: automatic backups and how many to keep.
    pub backup: BackupPolicy,
}

/// A MongoDB database (or a server speaking its protocol: FerretDB, DocumentDB, Cosmos DB).
pub struct MongoTarget {
    _client: Client,
    client_options: ClientOptions,
    db: Database,
    changelog: MongoChangelog,
    lease: Arc<MongoLeaseStore>,
    capabilities: Capabilities,
    shown_url: String,
    scripts: Option<Arc<dyn ScriptEngine>>,
    backups: MongoBackups,
    /// The version field of `documents:` entries that name none (`[schema] field`).
    schema_field: String,
}

impl MongoTarget {
    pub fn handles(url: &str) -> bool {
        is_mongodb_url(url)
    }

    /// Connects and learns what the server can do.
    pub async fn connect(options: MongoOptions) -> Result<MongoTarget> {
        let (client, database, client_options) =
            connect(&options.url, options.database.as_deref(), options.connect_timeout).await?;
        let shown_url = redact(&options.url);
        let capabilities = detect(&client.database("admin")).await.map_err(|e| {
            Error::database(format!(
                "cannot connect to {shown_url}: {}",
                e.message.trim_start_matches("asking the server who it is: ")
            ))
        })?;
        let db = client.database(&database);
        let backups = MongoBackups {
            db: db.clone(),
            records_name: options.names.backups.clone(),
            server_side: capabilities.server_side_copy,
            policy: options.backup,
        };
        let changelog = MongoChangelog { db: db.clone(), names: options.names };
        let lease =
            Arc::new(MongoLeaseStore { changelog: changelog.clone(), clock_offset_ms: capabilities.clock_offset_ms });
        Ok(MongoTarget {
            _client: client,
            client_options,
            db,
            changelog,
            lease,
            capabilities,
            shown_url,
            scripts: options.scripts,
            backups,
            schema_field: crate::document_versions::DEFAULT_FIELD.to_owned(),
        })
    }

    /// The version field of declarative `documents:` entries that name none (`[schema] field`
    /// of mongrate.toml; default `schema_version`).
    pub fn with_schema_field(mut self, field: impl Into<String>) -> Self {
        self.schema_field = field.into();
        self
    }

    /// A declarative file, parsed with this target's version field.
    fn parse(&self, file: &MigrationFile) -> Result<DeclarativeMigration> {
        DeclarativeMigration::parse_with_field(file, &self.schema_field)
    }

    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// The database migrated.
    pub fn database(&self) -> &Database {
        &self.db
    }

    fn executor(&self) -> Executor<'_> {
        Executor { db: &self.db, capabilities: &self.capabilities, session: None }
    }

    /// The script engine for this file, when it is a program.
    fn script_engine(&self, file: &MigrationFile) -> Option<&dyn ScriptEngine> {
        self.scripts.as_deref().filter(|engine| engine.handles(&file.extension))
    }

    fn script_run<'a>(&'a self, file: &'a MigrationFile, direction: Direction, dry_run: bool) -> ScriptRun<'a> {
        ScriptRun {
            file,
            direction,
            database: &self.db,
            client_options: &self.client_options,
            capabilities: &self.capabilities,
            dry_run,
            transaction: None,
            checkpoints: None,
            backups: &self.backups,
        }
    }

    /// Runs the declarative operations one by one; returns what each did.
    async fn run_operations(
        &self,
        execution: &StepExecution<'_>,
        operations: &[Operation],
        executor: &Executor<'_>,
        checkpoints: Option<&Checkpoints>,
    ) -> Result<Vec<OperationReport>, StepFailure> {
        let file = &execution.step.migration.file;
        let direction = execution.step.direction;
        let mut reports = Vec::with_capacity(operations.len());
        for (index, operation) in operations.iter().enumerate() {
            let stored = checkpoints.and_then(|c| c.state(index));
            if stored.is_some_and(|state| state.get_bool("done").unwrap_or(false)) {
                // Done before the run it resumes stopped.
                reports.push(OperationReport {
                    line: 0,
                    summary: summary(direction, index, operation),
                    affected: stored.and_then(|s| s.get("modified")).and_then(stored_count),
                    note: Some("done before the stopped run it resumes".to_owned()),
                    samples: None,
                });
                continue;
            }
            let ran = match (operation.batching(), operation) {
                (Some(_), _) | (None, Operation::CopyField(_) | Operation::Archive(_)) => {
                    executor.run_in_batches(operation, checkpoints.map(|c| (c, index))).await
                }
                _ => match executor.run(operation).await {
                    Ok(affected) => match checkpoints {
                        Some(c) => {
                            let modified = affected.map_or(0, |n| n as i64);
                            c.save(index, bson::doc! { "modified": modified, "done": true }, None)
                                .await
                                .map(|()| affected)
                        }
                        None => Ok(affected),
                    },
                    Err(error) => Err(error),
                },
            };
            match ran {
                Ok(affected) => reports.push(OperationReport {
                    line: 0,
                    summary: summary(direction, index, operation),
                    affected,
                    note: None,
                    samples: None,
                }),
                Err(error) => {
                    return Err(StepFailure {
                        error: Error::migration(format!(
                            "{}: {}: {}",
                            file.path.display(),
                            summary(direction, index, operation),
                            error.message
                        )),
                        // A failed collection or index definition changed nothing; a data
                        // operation may have changed some documents before it failed. Inside a
                        // transaction the caller says it was rolled back instead.
                        effect: FailureEffect::without_transaction(index > 0 || !operation.is_ddl()),
                    });
                }
            }
        }
        Ok(reports)
    }

    async fn preview_operations(&self, step: &Step, report: &mut DryRunStep) -> Result<()> {
        let file = &step.migration.file;
        let parsed = self.parse(file)?;
        let operations = operations_of(&parsed, step.direction, file)?;
        let executor = self.executor();
        for (index, operation) in operations.iter().enumerate() {
            match executor.preview(operation).await {
                Ok((affected, note)) => report.operations.push(OperationReport {
                    line: 0,
                    summary: summary(step.direction, index, operation),
                    affected,
                    note,
                    samples: None,
                }),
                Err(error) => {
                    report.error = Some(error.message);
                    break;
                }
            }
        }
        Ok(())
    }
}

impl MongoTarget {
    /// One migration in a transaction with its changelog record.
    async fn in_transaction(&self, execution: &StepExecution<'_>, work: Work<'_>) -> Result<StepOutcome, StepFailure> {
        let mut outcomes = self.run_in_transaction(std::slice::from_ref(execution), vec![work], None).await;
        outcomes.pop().unwrap_or_else(|| Err(not_started(Error::migration("the migration did not run"))))
    }

    /// What a step runs, and whether in a transaction: a program declared `transaction` (and so
    /// transactional on this server), or declarative data operations asking for one where the
    /// server has transactions (collection and index definitions never run in one). A file that no
    /// longer parses is refused here, before anything is written.
    fn work_of<'a>(&'a self, execution: &StepExecution<'a>) -> Result<(Work<'a>, bool)> {
        let migration = &execution.step.migration;
        let file = &migration.file;
        if let Some(engine) = self.script_engine(file) {
            return Ok((Work::Script(file, engine), migration.meta.transactional));
        }
        let parsed = self.parse(file)?;
        let operations = operations_of(&parsed, execution.step.direction, file)?;
        let in_transaction =
            self.capabilities.transactions && parsed.transaction && operations.iter().all(|op| !op.is_ddl());
        Ok((Work::Operations(operations), in_transaction))
    }
}

/// A failure before anything was written.
fn not_started(error: Error) -> StepFailure {
    StepFailure::new(error, FailureEffect::NothingApplied)
}

/// A failure inside the migration's transaction, which is then not committed.
fn rolled_back(error: Error) -> StepFailure {
    StepFailure::new(error, FailureEffect::RolledBack)
}

/// The operations a step's direction runs (a versioned migration's data operations as one step).
fn operations_of(parsed: &DeclarativeMigration, direction: Direction, file: &MigrationFile) -> Result<Vec<Operation>> {
    parsed.operations(direction).map(<[Operation]>::to_vec).ok_or_else(|| {
        Error::refused(format!("{} has no down and no exact inverse: it cannot be reverted", file.path.display()))
    })
}

fn summary(direction: Direction, index: usize, operation: &Operation) -> String {
    format!("{}[{index}] {}", direction.as_str(), Executor::describe(operation))
}

#[async_trait]
impl Target for MongoTarget {
    fn kind(&self) -> TargetKind {
        TargetKind::Mongodb
    }

    fn display_url(&self) -> String {
        self.shown_url.clone()
    }

    fn inspect(&self, file: &MigrationFile) -> Result<MigrationMeta> {
        if let Some(engine) = self.script_engine(file) {
            let mut meta = engine.inspect(file)?;
            meta.transactional &= self.capabilities.transactions;
            return Ok(meta);
        }
        match file.extension.as_str() {
            "yaml" | "yml" | "json" => {
                let mut meta = self.parse(file)?.meta(file);
                meta.transactional &= self.capabilities.transactions;
                Ok(meta)
            }
            "sql" => Err(Error::validation(format!(
                "{}: .sql migrations are for PostgreSQL and SQLite; a MongoDB database runs .yaml, .yml and .json files",
                file.path.display()
            ))),
            other => Err(Error::validation(format!(
                "{}: .{other} migrations need a JavaScript engine, and this target was set up without one \
                 (the mongrate command has one; a library user passes mongrate_js::JsEngine in MongoOptions::scripts)",
                file.path.display()
            ))),
        }
    }

    async fn server_info(&self) -> Result<ServerInfo> {
        Ok(self.capabilities.server_info())
    }

    async fn snapshot(&self) -> Result<Snapshot> {
        let (records, lease) = self.changelog.records_and_lease().await?;
        Ok(Snapshot {
            records,
            lock: lease.map(|document| self.lease.lease_from_document(&document)),
            server: self.capabilities.server_info(),
        })
    }

    async fn changelog_exists(&self) -> Result<bool> {
        self.changelog.exists().await
    }

    async fn ensure_changelog(&self) -> Result<()> {
        self.changelog.ensure().await
    }

    async fn records(&self) -> Result<Vec<MigrationRecord>> {
        self.changelog.records().await
    }

    async fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>> {
        self.changelog.history(query).await
    }

    async fn write_record(&self, record: Option<&MigrationRecord>, history: &HistoryEntry) -> Result<()> {
        if let Some(record) = record {
            self.changelog.upsert(record, None).await?;
            // Marked applied or pending, or reverted: nothing is left to resume.
            if !matches!(record.status, MigrationStatus::Running | MigrationStatus::Failed) {
                self.changelog.forget_checkpoint(&record.version).await?;
            }
        }
        self.changelog.append(history, None).await?;
        // The outcome is recorded: a `running` marker of this version is history now.
        self.changelog.clear_running(&history.version).await
    }

    /// Runs the migration with `running` recorded first and `completed` after.
    async fn execute(&self, execution: &StepExecution<'_>) -> Result<StepOutcome, StepFailure> {
        let started = Instant::now();
        let (work, in_transaction) = self.work_of(execution).map_err(not_started)?;
        // A resumed run keeps the backups its first attempt took (a new one would copy the
        // half-changed collection, and retention could drop the good one).
        let resumed = execution.step.previous.as_ref().is_some_and(|r| r.is_resumable());
        if execution.step.restart {
            self.restore_for_restart(execution).await.map_err(not_started)?;
        }
        let taken =
            if resumed { Vec::new() } else { self.take_backups(execution, &work).await.map_err(not_started)? };
        if in_transaction {
            return self.in_transaction(execution, work).await;
        }
        let running = execution.running_record();
        self.changelog.mark_running(&running).await.map_err(not_started)?;
        let checkpoints = self.changelog.begin_checkpoints(execution).await.map_err(not_started)?;
        let ran = match &work {
            Work::Script(file, engine) => {
                let mut run = self.script_run(file, execution.step.direction, false);
                run.checkpoints = checkpoints;
                engine.run(run).await.map(|outcome| outcome.operations)
            }
            Work::Operations(operations) => {
                // Only a migration with batched operations keeps a checkpoint: each operation
                // is recorded done as it ends, so a resumed run starts at the stopped one.
                let batched = operations.iter().any(|op| op.batching().is_some());
                let checkpoints = checkpoints.filter(|_| batched).map(|seed| Checkpoints::bind(seed, &self.db));
                self.run_operations(execution, operations, &self.executor(), checkpoints.as_ref()).await
            }
        };
        let reports = match ran {
            Ok(reports) => reports,
            // Progress its loops checkpointed is resumed by the next `up`, not undone.
            Err(failure) if self.changelog.has_checkpoint(&execution.step.migration.file.version).await => {
                return Err(failure);
            }
            Err(failure) => return Err(self.restore_after_failure(execution, failure, &taken, &work).await),
        };
        let (record, history) = execution.completed(started.elapsed());
        let recorded = async {
            match execution.step.previous {
                None => self.changelog.insert_new(&record).await?,
                Some(_) => self.changelog.upsert(&record, None).await?,
            }
            self.changelog.append(&history, None).await
        }
        .await;
        recorded.map_err(|error| StepFailure::new(error, FailureEffect::Partial))?;
        // Best effort: a marker older than the record is ignored anyway, and so is a checkpoint
        // beside a finished record.
        let _ = self.changelog.clear_running(&execution.step.migration.file.version).await;
        let _ = self.changelog.forget_checkpoint(&execution.step.migration.file.version).await;
        Ok(StepOutcome { elapsed: started.elapsed(), operations: reports })
    }

    /// Consecutive migrations that each run in a transaction share one (see
    /// [`transaction`]); the others run one at a time.
    async fn execute_group(
        &self,
        executions: &[StepExecution<'_>],
        interrupt: Option<Interrupt>,
    ) -> Vec<Result<StepOutcome, StepFailure>> {
        let mut works = Vec::with_capacity(executions.len());
        for execution in executions {
            match self.work_of(execution) {
                // A step with backups takes them before its own transaction.
                Ok((work, true)) if self.backup_collections(execution.step, &work).is_ok_and(|c| c.is_empty()) => {
                    works.push(work)
                }
                _ => break,
            }
        }
        let grouped = works.len();
        if grouped < 2 {
            return execute_each(self, executions, interrupt).await;
        }
        let mut outcomes = self.run_in_transaction(&executions[..grouped], works, interrupt.clone()).await;
        if grouped < executions.len() && outcomes.len() == grouped && outcomes.iter().all(Result::is_ok) {
            outcomes.extend(self.execute_group(&executions[grouped..], interrupt).await);
        }
        outcomes
    }

    /// Counts what each write would match; writes nothing.
    async fn dry_run(&self, steps: &[Step]) -> Result<Vec<DryRunStep>> {
        let mut reports = Vec::with_capacity(steps.len());
        for step in steps {
            let file = &step.migration.file;
            let mut report = DryRunStep {
                version: step.migration.version().to_string(),
                name: step.migration.meta.name.clone(),
                direction: step.direction,
                operations: Vec::new(),
                error: None,
            };
            self.preview_backups(step, &mut report).await?;
            if report.error.is_some() {
                reports.push(report);
                continue;
            }
            match self.script_engine(file) {
                Some(engine) => match engine.run(self.script_run(file, step.direction, true)).await {
                    Ok(outcome) => report.operations = outcome.operations,
                    Err(failure) => report.error = Some(failure.error.message),
                },
                None => self.preview_operations(step, &mut report).await?,
            }
            reports.push(report);
        }
        Ok(reports)
    }

    async fn lint(&self, migrations: &[Migration], options: &LintOptions) -> Result<LintReport> {
        crate::lint::lint(&self.db, self.scripts.as_deref(), migrations, options).await
    }

    fn lease_store(&self) -> Arc<dyn LeaseStore> {
        self.lease.clone()
    }

    async fn backups(&self) -> Result<Vec<BackupInfo>> {
        self.backups.list().await
    }

    async fn create_backup(&self, collection: &str) -> Result<BackupInfo> {
        let taken = self.backups.take(collection, None).await?;
        self.backups.apply_retention(collection).await?;
        Ok(taken)
    }

    async fn restore_backup(&self, name: &str, to: Option<&str>) -> Result<RestoreReport> {
        self.restore_by_hand(name, to).await
    }

    async fn drop_backup(&self, name: &str) -> Result<BackupInfo> {
        self.backups.drop_backup(name).await
    }
}
