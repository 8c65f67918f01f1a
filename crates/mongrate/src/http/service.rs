//! What the HTTP layer shares between requests: the migrator, the token, whether the service is
//! ready, counts of the runs it carried out, and the signal that stops running migrations.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mongrate_core::reporter::{Reporter, SilentReporter};
use mongrate_core::runner::RunReport;
use mongrate_core::secret::Secret;
use mongrate_core::{Error, Result};
use tokio::sync::watch;

use crate::Migrator;
use crate::auto_run::{AutoRunOutcome, AutoRunSettings};

/// Where the start-up run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoRunState {
    /// No auto-run was asked for.
    NotRequested,
    /// It is running: not ready yet.
    Running,
    Finished,
    /// It failed (the service went on): not ready until a run succeeds.
    Failed(String),
}

/// How a run through the API ended, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunResult {
    Succeeded,
    Failed,
    DryRun,
}

/// Counts of runs by result, and the last run's duration.
#[derive(Debug, Default)]
pub struct RunCounters {
    pub succeeded: AtomicU64,
    pub failed: AtomicU64,
    pub dry_runs: AtomicU64,
    /// Milliseconds; `u64::MAX` before the first run.
    last_duration_ms: AtomicU64,
}

impl RunCounters {
    fn new() -> Self {
        RunCounters { last_duration_ms: AtomicU64::new(u64::MAX), ..RunCounters::default() }
    }

    /// The last real (not dry) run's duration.
    pub fn last_duration(&self) -> Option<Duration> {
        match self.last_duration_ms.load(Ordering::Relaxed) {
            u64::MAX => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }
}

/// The state behind [`super::router`].
pub struct Service {
    migrator: Arc<Migrator>,
    token: Option<Secret>,
    auto_run: Mutex<AutoRunState>,
    runs: RunCounters,
    reporter: Arc<dyn Reporter>,
    stop: watch::Sender<bool>,
}

impl Service {
    /// A service over `migrator`, guarded by the token of its settings (`MONGRATE_API_TOKEN` or
    /// `[serve] token`).
    pub fn new(migrator: Arc<Migrator>) -> Service {
        let token = migrator.settings().serve.token.clone();
        Service {
            migrator,
            token,
            auto_run: Mutex::new(AutoRunState::NotRequested),
            runs: RunCounters::new(),
            reporter: Arc::new(SilentReporter),
            stop: watch::channel(false).0,
        }
    }

    /// Replaces the token (`None`: read-only API).
    pub fn with_token(mut self, token: Option<Secret>) -> Service {
        self.token = token;
        self
    }

    /// Where runs report their steps (the `serve` command logs them).
    pub fn with_reporter(mut self, reporter: Arc<dyn Reporter>) -> Service {
        self.reporter = reporter;
        self
    }

    pub fn migrator(&self) -> &Migrator {
        &self.migrator
    }

    pub(crate) fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    pub(crate) fn reporter(&self) -> &dyn Reporter {
        self.reporter.as_ref()
    }

    pub fn runs(&self) -> &RunCounters {
        &self.runs
    }

    pub fn auto_run_state(&self) -> AutoRunState {
        self.auto_run.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn set_auto_run_state(&self, state: AutoRunState) {
        *self.auto_run.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = state;
    }

    /// Marks the service not ready until [`Service::auto_run`] ends; call it before serving.
    pub fn expect_auto_run(&self) {
        self.set_auto_run_state(AutoRunState::Running);
    }

    /// Runs the start-up migrations, keeping readiness up to date. Fails only as
    /// [`Migrator::auto_run_with`] does (a failure with `fail_hard`).
    pub async fn auto_run(&self, settings: AutoRunSettings) -> Result<AutoRunOutcome> {
        if !settings.enabled {
            self.set_auto_run_state(AutoRunState::NotRequested);
            return Ok(AutoRunOutcome::Disabled);
        }
        self.set_auto_run_state(AutoRunState::Running);
        let started = tokio::time::Instant::now();
        let outcome = self.migrator.auto_run_with(settings, self.reporter(), Some(self.interrupt())).await;
        let result = match &outcome {
            Ok(AutoRunOutcome::Applied(_)) | Ok(AutoRunOutcome::Disabled) => RunResult::Succeeded,
            _ => RunResult::Failed,
        };
        self.record_run(result, started.elapsed());
        match &outcome {
            Ok(AutoRunOutcome::Failed(error)) | Err(error) => {
                self.set_auto_run_state(AutoRunState::Failed(error.message.clone()))
            }
            Ok(_) => self.set_auto_run_state(AutoRunState::Finished),
        }
        outcome
    }

    /// Stops the migrations running through the API as Ctrl-C stops the command line's: the
    /// running one is recorded and the lease released. For a shutdown.
    pub fn stop_runs(&self) {
        self.stop.send_replace(true);
    }

    pub(crate) fn interrupt(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Counts a finished run; a successful one clears a failed auto-run's hold on readiness.
    pub(crate) fn record_run(&self, result: RunResult, took: Duration) {
        let counter = match result {
            RunResult::Succeeded => &self.runs.succeeded,
            RunResult::Failed => &self.runs.failed,
            RunResult::DryRun => &self.runs.dry_runs,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if result != RunResult::DryRun {
            let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX - 1).min(u64::MAX - 1);
            self.runs.last_duration_ms.store(ms, Ordering::Relaxed);
        }
        if result == RunResult::Succeeded && matches!(self.auto_run_state(), AutoRunState::Failed(_)) {
            self.set_auto_run_state(AutoRunState::Finished);
        }
    }

    /// The result of a run for the counters.
    pub(crate) fn result_of(outcome: &std::result::Result<RunReport, Error>) -> RunResult {
        match outcome {
            Ok(report) if report.dry_run => RunResult::DryRun,
            Ok(_) => RunResult::Succeeded,
            Err(_) => RunResult::Failed,
        }
    }
}
