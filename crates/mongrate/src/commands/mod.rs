//! One file per command.

pub mod backup;
pub mod create;
pub mod history;
pub mod import;
pub mod init;
pub mod lint;
pub mod lock;
pub mod mark;
pub mod repair;
pub mod run;
pub mod schema;
pub mod serve;
pub mod status;
pub mod test;
pub mod validate;

use mongrate::Migrator;
use mongrate::connect::connect_target;
use mongrate_core::config::Settings;
use mongrate_core::host::AppliedBy;
use mongrate_core::lease::LeaseClaim;
use mongrate_core::lease_guard::with_lease;
use mongrate_core::{Result, Target};

use crate::output::Output;
use crate::progress::ProgressReporter;

/// What every command gets.
pub struct Context {
    pub settings: Settings,
    pub output: Output,
}

impl Context {
    /// The database and its migrations.
    pub async fn migrator(&self) -> Result<Migrator> {
        Migrator::connect(self.settings.clone()).await
    }

    /// Only the database (for commands that must work even when a file is broken).
    pub async fn target(&self) -> Result<Box<dyn Target>> {
        connect_target(&self.settings).await
    }

    pub fn reporter(&self) -> ProgressReporter {
        ProgressReporter { output: self.output }
    }

    /// Runs a changelog edit (`mark`, `repair`) under the lease, so it cannot interleave with a run.
    pub async fn exclusively<T>(
        &self,
        target: &dyn Target,
        reason: &str,
        work: impl AsyncFnOnce() -> Result<T>,
    ) -> Result<T> {
        target.ensure_changelog().await?;
        let claim = LeaseClaim {
            owner: mongrate_core::lease_guard::new_owner_id(),
            holder: AppliedBy::current(),
            reason: reason.to_owned(),
            ttl: self.settings.lock_ttl,
        };
        let reporter = self.reporter();
        let on_wait = |holder: &_| mongrate_core::reporter::Reporter::waiting_for_lock(&reporter, holder);
        with_lease(target.lease_store(), &claim, self.settings.lock_timeout, on_wait, work).await
    }
}
