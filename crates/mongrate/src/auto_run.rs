//! Applying pending migrations when a service starts (seed 001's `MIGRATE_ON_START`), and whether
//! a failure stops the service (`MIGRATE_ON_START_FAIL_HARD`).

use mongrate_core::plan::PlanRequest;
use mongrate_core::reporter::Reporter;
use mongrate_core::runner::RunReport;
use mongrate_core::{Error, Result};
use tokio::sync::watch;

use crate::Migrator;

/// Whether to apply pending migrations at start-up, and what a failure does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AutoRunSettings {
    /// `MIGRATE_ON_START`: apply pending migrations before the service reports ready.
    pub enabled: bool,
    /// `MIGRATE_ON_START_FAIL_HARD`: a failed auto-run stops the service.
    pub fail_hard: bool,
}

impl AutoRunSettings {
    /// Reads `MIGRATE_ON_START` and `MIGRATE_ON_START_FAIL_HARD` (`true`/`false`, `1`/`0`,
    /// `yes`/`no`; unset is false). Any other value is an error naming the variable.
    pub fn from_env() -> Result<AutoRunSettings> {
        Self::from_lookup(&|key| std::env::var(key).ok())
    }

    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<AutoRunSettings> {
        let flag = |key: &str| -> Result<bool> {
            match env(key).as_deref().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
                None | Some("") | Some("false") | Some("0") | Some("no") => Ok(false),
                Some("true") | Some("1") | Some("yes") => Ok(true),
                Some(other) => {
                    Err(Error::config(format!("{key} is '{other}'; set it to true or false (or leave it unset)")))
                }
            }
        };
        Ok(AutoRunSettings { enabled: flag("MIGRATE_ON_START")?, fail_hard: flag("MIGRATE_ON_START_FAIL_HARD")? })
    }
}

/// What an auto-run did.
#[derive(Debug)]
pub enum AutoRunOutcome {
    /// `MIGRATE_ON_START` is not set.
    Disabled,
    Applied(RunReport),
    /// It failed and `MIGRATE_ON_START_FAIL_HARD` is not set: the service goes on.
    Failed(Error),
}

impl Migrator {
    /// Seed 001's `setupAutoRun`: applies pending migrations when `MIGRATE_ON_START` says so.
    /// Fails only when the run failed and `MIGRATE_ON_START_FAIL_HARD` is set. Several replicas
    /// starting together take turns on the lease: each migration is applied once.
    pub async fn auto_run(&self) -> Result<AutoRunOutcome> {
        let settings = AutoRunSettings::from_env()?;
        self.auto_run_with(settings, &mongrate_core::reporter::SilentReporter, None).await
    }

    /// [`Migrator::auto_run`] with explicit settings, a reporter and an interrupt.
    pub async fn auto_run_with(
        &self,
        settings: AutoRunSettings,
        reporter: &dyn Reporter,
        interrupt: Option<watch::Receiver<bool>>,
    ) -> Result<AutoRunOutcome> {
        if !settings.enabled {
            return Ok(AutoRunOutcome::Disabled);
        }
        let request = PlanRequest::Up { to: None, allow_out_of_order: false, retry: false, restart: None, phase: None };
        let mut run_settings = self.run_settings(false);
        run_settings.reason = "mongrate up at start-up (MIGRATE_ON_START)".to_owned();
        let checked_then_run = async {
            crate::lint_gate::check(self, &request).await?;
            self.run(request, &run_settings, reporter, interrupt).await
        };
        match checked_then_run.await {
            Ok(report) => Ok(AutoRunOutcome::Applied(report)),
            Err(error) if settings.fail_hard => Err(error),
            Err(error) => Ok(AutoRunOutcome::Failed(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_true_false_and_refuse_anything_else() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_string())
        };
        let none = AutoRunSettings::from_lookup(&env(&[])).unwrap();
        assert_eq!(none, AutoRunSettings { enabled: false, fail_hard: false });
        let both =
            AutoRunSettings::from_lookup(&env(&[("MIGRATE_ON_START", "TRUE"), ("MIGRATE_ON_START_FAIL_HARD", "1")]));
        assert_eq!(both.unwrap(), AutoRunSettings { enabled: true, fail_hard: true });
        let bad = AutoRunSettings::from_lookup(&env(&[("MIGRATE_ON_START", "sometimes")])).unwrap_err();
        assert!(bad.message.starts_with("MIGRATE_ON_START is 'sometimes'"), "{}", bad.message);
    }
}
