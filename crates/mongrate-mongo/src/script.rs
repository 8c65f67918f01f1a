//! Migrations written as programs (JavaScript): run by an engine the caller plugs into the target,
//! so this crate does not depend on one.

use async_trait::async_trait;
use mongodb::options::ClientOptions;
use mongodb::{ClientSession, Database};
use mongrate_core::execution::{OperationReport, StepFailure};
use mongrate_core::plan::Direction;
use mongrate_core::{MigrationFile, MigrationMeta, Result};

use crate::backup::MongoBackups;
use crate::capabilities::Capabilities;
use crate::checkpoint::CheckpointSeed;

/// One run of a script's `up` or `down`.
pub struct ScriptRun<'a> {
    pub file: &'a MigrationFile,
    pub direction: Direction,
    pub database: &'a Database,
    /// The options `database`'s client was made with: a script engine may make a client of its
    /// own from them, to do its I/O on its own thread.
    pub client_options: &'a ClientOptions,
    pub capabilities: &'a Capabilities,
    /// Reads run; writes are counted, reported and not sent.
    pub dry_run: bool,
    /// A session in a started transaction: every operation the script does not give a session of
    /// its own runs in it. It comes back in the outcome, for the caller to commit.
    pub transaction: Option<ClientSession>,
    /// Where its batch loops keep their progress (a run outside a transaction, not a dry-run).
    pub checkpoints: Option<CheckpointSeed>,
    /// The target's backups, for a script that backs up and restores collections itself (seed
    /// 003's `backupCollection`); an engine with a client of its own rebinds them to it.
    pub backups: &'a MongoBackups,
}

/// What a script run did.
pub struct ScriptOutcome {
    /// One report per write of a dry-run, by line; empty otherwise.
    pub operations: Vec<OperationReport>,
    /// The run's transaction, still open.
    pub transaction: Option<ClientSession>,
}

/// Runs migration programs against a MongoDB database.
#[async_trait]
pub trait ScriptEngine: Send + Sync {
    /// Whether files with this extension (lower case, no dot) are this engine's.
    fn handles(&self, extension: &str) -> bool;

    /// Compiles the file and reads what it declares, without a database.
    fn inspect(&self, file: &MigrationFile) -> Result<MigrationMeta>;

    /// The lint rule ids the file silences (a `lintIgnore` export), as written.
    fn lint_ignore(&self, _file: &MigrationFile) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Runs the step's function. On failure, `partial` says whether it may have written anything.
    /// A dry-run returns one report per write it would have made (by line).
    async fn run(&self, run: ScriptRun<'_>) -> std::result::Result<ScriptOutcome, StepFailure>;
}
