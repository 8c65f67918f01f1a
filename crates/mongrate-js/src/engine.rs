//! The JavaScript engine as the MongoDB target's script engine.

use std::sync::Arc;

use async_trait::async_trait;
use mongrate_core::execution::StepFailure;
use mongrate_core::phase::Phase;
use mongrate_core::{Error, MigrationFile, MigrationMeta, Result};
use mongrate_mongo::script::{ScriptEngine, ScriptOutcome, ScriptRun};

use crate::console::{ConsoleSink, StderrConsole};
use crate::inspector::Inspector;
use crate::io_thread::IoThread;
use crate::native_backup::ScriptBackups;
use crate::step_thread::{StepJob, run_step};

/// Runs `.js`, `.mjs` and `.cjs` migrations (migrate-mongo's format and the seed styles).
///
/// Its migrations outside a transaction share one I/O thread with one client, started at the
/// first and ended when the engine is dropped: one per run, since the command makes one engine
/// per target. (An engine shared by targets with other client options makes a new one when the
/// options change.)
pub struct JsEngine {
    console: Arc<dyn ConsoleSink>,
    inspector: Inspector,
    io: IoThread,
    max_per_second: Option<u32>,
}

impl JsEngine {
    /// An engine whose migrations' console output goes to `console`.
    pub fn new(console: Arc<dyn ConsoleSink>) -> Self {
        JsEngine { inspector: Inspector::new(console.clone()), console, io: IoThread::default(), max_per_second: None }
    }

    /// Caps every batch loop (`eachBatch` and the helpers built on it) of the run at `limit`
    /// documents a second, whatever the files say: production safety without editing them.
    pub fn with_max_per_second(mut self, limit: Option<u32>) -> Self {
        self.max_per_second = limit;
        self
    }
}

impl Default for JsEngine {
    fn default() -> Self {
        JsEngine::new(Arc::new(StderrConsole))
    }
}

#[async_trait]
impl ScriptEngine for JsEngine {
    fn handles(&self, extension: &str) -> bool {
        matches!(extension, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts")
    }

    fn inspect(&self, file: &MigrationFile) -> Result<MigrationMeta> {
        let declaration = self
            .inspector
            .declaration(file.path.clone(), file.content.clone())
            .map_err(|why| Error::validation(prefixed(file, &why)))?;
        if !declaration.has_up {
            return Err(Error::validation(format!(
                "{}: exports no up function; export `async up(db, client)` (CommonJS: module.exports = {{ async up(db, client) {{ … }} }})",
                file.path.display()
            )));
        }
        let phase = match declaration.phase.as_deref() {
            None => Phase::default(),
            Some(text) => {
                text.parse().map_err(|why| Error::validation(format!("{}: `phase`: {why}", file.path.display())))?
            }
        };
        Ok(MigrationMeta {
            name: declaration.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| file.slug.clone()),
            description: declaration.description,
            reversible: declaration.has_down,
            // `transaction: true` asks for one (where the server has them); by default, as with
            // migrate-mongo, a migration runs outside one and what it wrote stays if it fails.
            transactional: declaration.transaction == Some(true),
            backup: declaration.backup,
            phase,
            repeatable: declaration.repeatable,
        })
    }

    fn lint_ignore(&self, file: &MigrationFile) -> Result<Vec<String>> {
        let declaration = self
            .inspector
            .declaration(file.path.clone(), file.content.clone())
            .map_err(|why| Error::validation(prefixed(file, &why)))?;
        Ok(declaration.lint_ignore)
    }

    async fn run(&self, run: ScriptRun<'_>) -> std::result::Result<ScriptOutcome, StepFailure> {
        let job = StepJob {
            path: run.file.path.clone(),
            source: run.file.content.clone(),
            direction: run.direction,
            database: run.database.clone(),
            client_options: run.client_options.clone(),
            capabilities: run.capabilities.clone(),
            dry_run: run.dry_run,
            console: self.console.clone(),
            transaction: run.transaction,
            max_per_second: self.max_per_second,
            checkpoints: run.checkpoints,
            backups: ScriptBackups::new(run.backups.clone(), run.file.version.clone(), run.file.slug.clone()),
        };
        run_step(job, &self.io).await
    }
}

/// A message about the file; a syntax error already starts with the file's path.
fn prefixed(file: &MigrationFile, why: &str) -> String {
    let path = file.path.display().to_string();
    if why.starts_with(&path) { why.to_owned() } else { format!("{path}: {why}") }
}
