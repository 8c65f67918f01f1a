//! The library entry point: a migrator over one database and one migrations directory.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use mongrate_core::config::{Overrides, Settings};
use mongrate_core::plan::PlanRequest;
use mongrate_core::reporter::{Reporter, SilentReporter};
use mongrate_core::runner::{RunReport, RunSettings, Runner};
use mongrate_core::status::StatusReport;
use mongrate_core::target::ServerInfo;
use mongrate_core::{Layout, Migration, Result, Target};

use crate::connect::{connect_and_load, every_file_loaded, load_migrations};
use crate::directory_fingerprint::DirectoryFingerprint;

/// Builds a [`Migrator`]; unset values come from `mongrate.toml` and the environment.
#[derive(Debug, Default, Clone)]
pub struct MigratorBuilder {
    config_file: Option<PathBuf>,
    overrides: Overrides,
}

impl MigratorBuilder {
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.overrides.url = Some(url.into());
        self
    }
    pub fn migrations_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.overrides.migrations_dir = Some(dir.into());
        self
    }
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.overrides.lock_timeout = Some(timeout);
        self
    }
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.overrides.lock_ttl = Some(ttl);
        self
    }

    /// Resolves the settings, connects, and reads the migrations.
    pub async fn connect(self) -> Result<Migrator> {
        let settings = crate::settings::load_settings(self.config_file.as_deref(), self.overrides)?;
        Migrator::connect(settings).await
    }
}

/// One database and its migrations. A long-lived migrator (a service) reads the directory again
/// when its files change ([`Migrator::refresh`]); runs already under way keep the set they began with.
pub struct Migrator {
    target: Box<dyn Target>,
    migrations: RwLock<Loaded>,
    settings: Settings,
    /// A file that cannot be loaded is a problem of the whole directory (the service), not only
    /// of the runs that need it.
    every_file_loaded: bool,
}

/// The migrations read, and the state of the directory they were read from.
struct Loaded {
    migrations: Arc<[Migration]>,
    fingerprint: Option<DirectoryFingerprint>,
    /// Why the directory as it is now could not be read (a broken file): every refresh says so
    /// until the files change.
    problem: Option<mongrate_core::Error>,
}

impl Migrator {
    pub fn builder() -> MigratorBuilder {
        MigratorBuilder::default()
    }

    /// Connects with resolved settings. A file that cannot be loaded is kept with its error
    /// ([`Migration::load_error`]): only a run that needs it fails.
    pub async fn connect(settings: Settings) -> Result<Migrator> {
        Migrator::open(settings, false).await
    }

    /// Connects even when a migration file is broken (a service must start to say so): the
    /// migrations are then empty and every [`Migrator::refresh`] returns the problem until the
    /// files are mended (here a file that cannot be loaded is such a problem, whether or not a run
    /// needs it). An unreachable database is still an error.
    pub async fn connect_despite_broken_files(settings: Settings) -> Result<Migrator> {
        Migrator::open(settings, true).await
    }

    async fn open(settings: Settings, despite_broken_files: bool) -> Result<Migrator> {
        let fingerprint = DirectoryFingerprint::read(&settings.migrations_dir);
        let (target, migrations) = connect_and_load(&settings).await?;
        let migrations = if despite_broken_files { migrations.and_then(every_file_loaded) } else { migrations };
        let loaded = match migrations {
            Ok(migrations) => Loaded { migrations: migrations.into(), fingerprint, problem: None },
            Err(error) if despite_broken_files && error.kind == mongrate_core::ErrorKind::Validation => {
                Loaded { migrations: Arc::new([]), fingerprint, problem: Some(error) }
            }
            Err(error) => return Err(error),
        };
        Ok(Migrator { target, migrations: RwLock::new(loaded), settings, every_file_loaded: despite_broken_files })
    }

    pub fn target(&self) -> &dyn Target {
        self.target.as_ref()
    }

    /// The migrations as last read.
    pub fn migrations(&self) -> Arc<[Migration]> {
        self.loaded().migrations.clone()
    }

    fn loaded(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        // A panic while holding the lock cannot leave `Loaded` half-written (it is replaced whole).
        self.migrations.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the migrations directory again if a file was added, removed or changed since it was
    /// last read. A broken file is an error and the previous set stays in use.
    pub fn refresh(&self) -> Result<()> {
        let now = DirectoryFingerprint::read(&self.settings.migrations_dir);
        {
            let loaded = self.loaded();
            if now.is_some() && now == loaded.fingerprint {
                return loaded.problem.clone().map_or(Ok(()), Err);
            }
        }
        let mut read = load_migrations(&self.settings.migrations_dir, self.settings.layout, self.target.as_ref());
        if self.every_file_loaded {
            read = read.and_then(every_file_loaded);
        }
        let mut loaded = self.migrations.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        match read {
            Ok(migrations) => {
                *loaded = Loaded { migrations: migrations.into(), fingerprint: now, problem: None };
                Ok(())
            }
            Err(error) => {
                // The last good set stays for reads; runs refuse until the files are mended.
                loaded.fingerprint = now;
                loaded.problem = Some(error.clone());
                Err(error)
            }
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The layout of the migrations directory: the configured one, or the one its files show.
    pub fn layout(&self) -> Layout {
        self.settings.layout.or_else(|| self.migrations().first().map(|m| m.file.layout)).unwrap_or_default()
    }

    /// Run settings from the configuration.
    pub fn run_settings(&self, dry_run: bool) -> RunSettings {
        RunSettings {
            lock_ttl: self.settings.lock_ttl,
            lock_timeout: self.settings.lock_timeout,
            dry_run,
            ..RunSettings::default()
        }
    }

    /// Applies every pending migration, after the lint check (`mongrate lint`'s error rules).
    pub async fn up(&self) -> Result<RunReport> {
        let request = PlanRequest::Up { to: None, allow_out_of_order: false, retry: false, restart: None, phase: None };
        crate::lint_gate::check(self, &request).await?;
        self.run(request, &self.run_settings(false), &SilentReporter, None).await
    }

    /// Carries out any request, reporting progress.
    pub async fn run(
        &self,
        request: PlanRequest,
        settings: &RunSettings,
        reporter: &dyn Reporter,
        interrupt: Option<tokio::sync::watch::Receiver<bool>>,
    ) -> Result<RunReport> {
        let migrations = self.migrations();
        let runner = Runner { target: self.target(), migrations: &migrations, settings, reporter, interrupt };
        runner.run(request).await
    }

    /// Where every migration stands.
    pub async fn status(&self) -> Result<StatusReport> {
        Ok(self.status_and_server().await?.0)
    }

    /// The status report and what the server is, read together.
    pub async fn status_and_server(&self) -> Result<(StatusReport, ServerInfo)> {
        let snapshot = self.target.snapshot().await?;
        Ok((StatusReport::build(&self.migrations(), &snapshot.records, snapshot.lock), snapshot.server))
    }

    /// The document `status --json` prints and the service's status endpoint answers: the seed's
    /// shape (`applied`, `pending`, `failed`, `locked`, `summary`) plus the server and database.
    pub fn status_document(&self, report: &StatusReport, server: &ServerInfo) -> serde_json::Value {
        let mut json = report.to_json();
        json["server"] = serde_json::to_value(server).unwrap_or_default();
        json["database"] = serde_json::json!(self.target.display_url());
        json["layout"] = serde_json::json!(self.layout());
        json
    }
}
