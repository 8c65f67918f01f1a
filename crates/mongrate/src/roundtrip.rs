//! Migration tests (`mongrate test`): proof that each pending migration can be reverted, before
//! it reaches production.
//!
//! On a scratch copy of the database (see `Scratch` in mongrate-core, made by the database's
//! crate) the same [`Migrator`] the command line uses applies each pending migration, reverts it,
//! compares the copy's state with its state before the migration, and applies it again, so that
//! the next migration starts where it would in production. The first difference found is the
//! migration's result. The copy is dropped at the end, after an error, and on Ctrl-C; the real
//! database is only read.

use std::time::Instant;

use mongrate_core::config::Settings;
use mongrate_core::interrupt::{Interrupt, is_interrupted, wait_for_interrupt};
use mongrate_core::plan::{Direction, DownScope, PlanRequest, plan};
use mongrate_core::reporter::SilentReporter;
use mongrate_core::scratch::{Difference, Scratch};
use mongrate_core::{Error, ErrorKind, Migration, Result, Version};
use mongrate_mongo::MongoTarget;
use mongrate_mongo::scratch::MongoScratch;
use mongrate_sql::SqlTarget;
use mongrate_sql::scratch::SqlScratch;
use serde::Serialize;

use crate::Migrator;

/// The documents (rows, on PostgreSQL when it copies a live database) copied of each collection.
pub const DEFAULT_SAMPLE: u64 = 1000;

/// What to test.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Only these pending versions (the ones before them are applied to the copy untested);
    /// empty: every pending migration.
    pub versions: Vec<Version>,
    /// Documents copied of each collection (MongoDB), rows of each table (a live PostgreSQL).
    pub sample: u64,
    /// An irreversible migration is applied and reported, not counted as a failure.
    pub allow_irreversible: bool,
    /// PostgreSQL: copy the schema and a sample of rows even where the whole database could be
    /// copied (a large database).
    pub sampled: bool,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions { versions: Vec::new(), sample: DEFAULT_SAMPLE, allow_irreversible: false, sampled: false }
    }
}

/// How one migration fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Up, down and up again ran, and the down gave back the state before the up.
    Ok,
    /// The down ran but left a difference.
    Lossy,
    /// It has no down: applied, not tested.
    Irreversible,
    /// Up, down or the second up failed on the copy.
    Failed,
    /// Applied to the copy untested, to reach a migration named on the command line.
    Applied,
    /// Not run: an earlier migration failed.
    NotTested,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Lossy => "lossy down",
            Verdict::Irreversible => "irreversible",
            Verdict::Failed => "failed",
            Verdict::Applied => "applied",
            Verdict::NotTested => "not tested",
        }
    }
}

/// Which part of the round trip failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Up,
    Down,
    UpAgain,
}

/// One migration's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationTest {
    pub version: String,
    pub name: String,
    pub file: String,
    pub result: Verdict,
    /// For `lossy`: the first difference between the state before the up and after the down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<Difference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Milliseconds for the whole round trip on the copy.
    pub elapsed: i64,
}

impl MigrationTest {
    fn new(migration: &Migration, result: Verdict, started: Instant) -> MigrationTest {
        MigrationTest {
            version: migration.version().to_string(),
            name: migration.meta.name.clone(),
            file: migration.file.file_name.clone(),
            result,
            difference: None,
            stage: None,
            error: None,
            elapsed: started.elapsed().as_millis() as i64,
        }
    }

    fn failed(migration: &Migration, stage: Stage, error: &Error, started: Instant) -> MigrationTest {
        MigrationTest {
            stage: Some(stage),
            error: Some(error.message.clone()),
            ..MigrationTest::new(migration, Verdict::Failed, started)
        }
    }

    /// Whether this result keeps the run from passing.
    pub fn fails(&self, allow_irreversible: bool) -> bool {
        match self.result {
            Verdict::Ok | Verdict::Applied => false,
            Verdict::Irreversible => !allow_irreversible,
            Verdict::Lossy | Verdict::Failed | Verdict::NotTested => true,
        }
    }
}

/// What `mongrate test` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestReport {
    /// The scratch copy; none when nothing was pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scratch: Option<String>,
    /// What was copied into it for the migrations (MongoDB's samples).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seeded: Option<String>,
    pub migrations: Vec<MigrationTest>,
    /// Every migration round-trips (irreversible ones allowed with `--allow-irreversible`).
    pub passed: bool,
}

/// What a test run says as it goes.
#[derive(Debug, Clone, Copy)]
pub enum TestEvent<'a> {
    /// The scratch copy exists: what it is.
    Scratch(&'a str),
    /// What was copied into it for the migrations.
    Seeded(&'a str),
    /// One migration's result.
    Tested(&'a MigrationTest),
    /// The scratch copy was dropped.
    Dropped(&'a str),
}

/// Tests the pending migrations of the database `settings` name on a scratch copy of it.
/// `events` hears of each step as it happens.
pub async fn test_migrations(
    settings: &Settings,
    options: &TestOptions,
    interrupt: Option<Interrupt>,
    events: &(dyn Fn(TestEvent<'_>) + Sync),
) -> Result<TestReport> {
    let walk = pending_to_test(settings, options).await?;
    if walk.is_empty() {
        return Ok(TestReport { scratch: None, seeded: None, migrations: Vec::new(), passed: true });
    }
    // Not cut short by Ctrl-C: a copy half made could not be dropped. It is dropped right after.
    let scratch = make_scratch(settings, options).await?;
    if is_interrupted(&interrupt) {
        let _ = scratch.discard().await;
        return Err(interrupted());
    }
    let name = scratch.describe();
    events(TestEvent::Scratch(&name));
    let mut report = TestReport { scratch: Some(name.clone()), seeded: None, migrations: Vec::new(), passed: false };
    let outcome = tokio::select! {
        outcome = run_on(scratch.as_ref(), settings, options, &walk, interrupt.clone(), &mut report, events) => outcome,
        _ = wait_for_interrupt(interrupt) => Err(interrupted()),
    };
    let discarded = scratch.discard().await;
    if discarded.is_ok() {
        events(TestEvent::Dropped(&name));
    }
    outcome?;
    discarded.map_err(|error| error.map_message(|m| format!("the scratch copy {name} could not be dropped: {m}")))?;
    report.passed = !report.migrations.iter().any(|m| m.fails(options.allow_irreversible));
    Ok(report)
}

fn interrupted() -> Error {
    Error::new(ErrorKind::Interrupted, "interrupted (Ctrl-C or a stop signal); the scratch copy was dropped")
}

/// The pending migrations an `up` would apply, up to the last one asked for; the real database is
/// only read.
async fn pending_to_test(settings: &Settings, options: &TestOptions) -> Result<Vec<Migration>> {
    let migrator = Migrator::connect(settings.clone()).await?;
    let records = migrator.target().records().await?;
    let migrations = migrator.migrations();
    let request = PlanRequest::Up { to: None, allow_out_of_order: false, retry: false, restart: None, phase: None };
    let pending: Vec<Migration> =
        plan(&migrations, &records, &request)?.steps.into_iter().map(|s| s.migration).collect();
    if options.versions.is_empty() {
        return Ok(pending);
    }
    for version in &options.versions {
        if !pending.iter().any(|m| m.version() == *version) {
            let listed: Vec<String> = pending.iter().map(|m| m.version().to_string()).collect();
            let listed = if listed.is_empty() { "none".to_owned() } else { listed.join(", ") };
            return Err(Error::config(format!(
                "version {version} is not a pending migration of {} (pending: {listed}); mongrate test tests \
                 migrations before they are applied",
                migrator.target().display_url()
            )));
        }
    }
    let last = pending.iter().rposition(|m| options.versions.contains(&m.version())).unwrap_or(0);
    Ok(pending.into_iter().take(last + 1).collect())
}

async fn make_scratch(settings: &Settings, options: &TestOptions) -> Result<Box<dyn Scratch>> {
    let (url, sample) = (settings.url()?, options.sample);
    if SqlTarget::handles(url) {
        let (names, timeout) = (&settings.names, settings.connect_timeout);
        let made = SqlScratch::create(url, &settings.base_dir, names, timeout, sample, options.sampled);
        return Ok(Box::new(made.await?));
    }
    if MongoTarget::handles(url) {
        let database = settings.database.as_deref();
        let made = MongoScratch::create(url, database, &settings.names, settings.connect_timeout, sample);
        return Ok(Box::new(made.await?));
    }
    // The connection to the real database already refused any other URL.
    Err(Error::config("mongrate test runs on MongoDB, PostgreSQL and SQLite databases"))
}

/// Walks the migrations on the copy.
async fn run_on(
    scratch: &dyn Scratch,
    settings: &Settings,
    options: &TestOptions,
    walk: &[Migration],
    interrupt: Option<Interrupt>,
    report: &mut TestReport,
    events: &(dyn Fn(TestEvent<'_>) + Sync),
) -> Result<()> {
    report.seeded = scratch.seed(walk).await?;
    if let Some(seeded) = &report.seeded {
        events(TestEvent::Seeded(seeded));
    }
    let address = scratch.address();
    let on_copy = settings.for_database(&address.url, address.database.as_deref(), "the scratch copy");
    let migrator = Migrator::connect(on_copy).await?;
    let tester = Tester { migrator: &migrator, interrupt };
    let mut failed = false;
    for migration in walk {
        let result = if failed {
            MigrationTest::new(migration, Verdict::NotTested, Instant::now())
        } else {
            let chosen = options.versions.is_empty() || options.versions.contains(&migration.version());
            tester.round_trip(scratch, migration, chosen).await?
        };
        failed |= result.result == Verdict::Failed;
        events(TestEvent::Tested(&result));
        report.migrations.push(result);
    }
    Ok(())
}

struct Tester<'a> {
    migrator: &'a Migrator,
    interrupt: Option<Interrupt>,
}

impl Tester<'_> {
    /// Up, capture-compare around down, up again; only up for one that is not tested.
    async fn round_trip(&self, scratch: &dyn Scratch, migration: &Migration, chosen: bool) -> Result<MigrationTest> {
        let started = Instant::now();
        let version = migration.version();
        let up =
            PlanRequest::Up { to: Some(version), allow_out_of_order: false, retry: false, restart: None, phase: None };
        // A repeatable is never reverted (it is applied again when it changes): applied, not tested.
        let repeatable = migration.version().is_repeatable();
        if !chosen || repeatable || !migration.meta.reversible {
            if let Err(error) = self.step(up.clone(), migration, Direction::Up).await {
                return failure(error, migration, Stage::Up, started);
            }
            let verdict = if chosen && !repeatable { Verdict::Irreversible } else { Verdict::Applied };
            return Ok(MigrationTest::new(migration, verdict, started));
        }
        let before = scratch.capture().await?;
        if let Err(error) = self.step(up.clone(), migration, Direction::Up).await {
            return failure(error, migration, Stage::Up, started);
        }
        let down = PlanRequest::Down { scope: DownScope::Steps(1), retry: false };
        if let Err(error) = self.step(down, migration, Direction::Down).await {
            return failure(error, migration, Stage::Down, started);
        }
        let difference = before.first_difference().await?;
        drop(before);
        if let Err(error) = self.step(up, migration, Direction::Up).await {
            return failure(error, migration, Stage::UpAgain, started)
                .map(|failed| MigrationTest { difference, ..failed });
        }
        let verdict = if difference.is_some() { Verdict::Lossy } else { Verdict::Ok };
        Ok(MigrationTest { difference, ..MigrationTest::new(migration, verdict, started) })
    }

    /// Runs one request on the copy; it must run exactly `migration` in `direction`.
    async fn step(&self, request: PlanRequest, migration: &Migration, direction: Direction) -> Result<()> {
        let mut settings = self.migrator.run_settings(false);
        settings.group_size = 1;
        settings.reason = "mongrate test (scratch copy)".to_owned();
        let report = self.migrator.run(request, &settings, &SilentReporter, self.interrupt.clone()).await?;
        let ran: Vec<(String, Direction)> = report.steps.iter().map(|s| (s.version.clone(), s.direction)).collect();
        if ran != [(migration.version().to_string(), direction)] {
            let ran: Vec<String> = ran.iter().map(|(v, d)| format!("{d} {v}")).collect();
            return Err(Error::migration(format!(
                "expected {direction} {} on the scratch copy, but the run did: {}",
                migration.version(),
                if ran.is_empty() { "nothing".to_owned() } else { ran.join(", ") }
            )));
        }
        Ok(())
    }
}

/// A failure of the migration is its result; Ctrl-C or a lost connection ends the whole test.
fn failure(error: Error, migration: &Migration, stage: Stage, started: Instant) -> Result<MigrationTest> {
    match error.kind {
        ErrorKind::Interrupted | ErrorKind::Unavailable | ErrorKind::LockTimeout | ErrorKind::LeaseLost => Err(error),
        _ => Ok(MigrationTest::failed(migration, stage, &error, started)),
    }
}
