//! A target in memory: the changelog in a mutex, and each version's migration a scripted
//! behaviour that runs on tokio's clock.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::MemoryLeaseStore;
use crate::error::{Error, ErrorKind, Result};
use crate::execution::{FailureEffect, StepExecution, StepFailure, StepOutcome};
use crate::lease::LeaseStore;
use crate::migration::{MigrationFile, MigrationMeta};
use crate::plan::{Direction, Step};
use crate::record::{HistoryAction, HistoryEntry, HistoryOutcome, HistoryQuery, MigrationRecord, MigrationStatus};
use crate::target::{DryRunStep, ServerInfo, Target, TargetKind};
use crate::version::Version;

/// What running a version's migration (either way) does.
#[derive(Debug, Clone)]
pub enum Behaviour {
    Succeed,
    /// Runs for this long.
    Take(Duration),
    /// Fails with this message, leaving this effect.
    Fail(FailureEffect, &'static str),
    /// Runs until the test notifies.
    WaitFor(Arc<Notify>),
}

#[derive(Default)]
struct Changelog {
    records: BTreeMap<Version, MigrationRecord>,
    history: Vec<HistoryEntry>,
    started: Vec<(Direction, i64)>,
}

pub struct MemoryTarget {
    pub lease: Arc<MemoryLeaseStore>,
    changelog: Mutex<Changelog>,
    script: Mutex<HashMap<Version, Behaviour>>,
    /// Whether `write_record` fails, as a database gone away does.
    writes_fail: AtomicBool,
}

impl MemoryTarget {
    pub fn new() -> Self {
        MemoryTarget {
            lease: Arc::new(MemoryLeaseStore::new()),
            changelog: Mutex::default(),
            script: Mutex::default(),
            writes_fail: AtomicBool::new(false),
        }
    }

    /// Sets what version `version` does when it runs; it succeeds at once unless told.
    pub fn script(&self, version: i64, behaviour: Behaviour) {
        self.script.lock().unwrap().insert(Version::number(version), behaviour);
    }

    /// Makes `write_record` fail from now on.
    pub fn fail_record_writes(&self) {
        self.writes_fail.store(true, Ordering::SeqCst);
    }

    /// The record of `version`, if any.
    pub fn record(&self, version: i64) -> Option<MigrationRecord> {
        self.changelog.lock().unwrap().records.get(&Version::number(version)).cloned()
    }

    /// Every record as (version, status, partial), by version.
    pub fn statuses(&self) -> Vec<(i64, MigrationStatus, bool)> {
        let changelog = self.changelog.lock().unwrap();
        changelog.records.values().map(|r| (r.version.as_integer().unwrap(), r.status, r.partial)).collect()
    }

    /// Every history entry as (version, action, outcome, error), oldest first.
    pub fn attempts(&self) -> Vec<(i64, HistoryAction, HistoryOutcome, Option<String>)> {
        let changelog = self.changelog.lock().unwrap();
        changelog
            .history
            .iter()
            .map(|h| (h.version.as_integer().unwrap(), h.action, h.status, h.error.clone()))
            .collect()
    }

    /// The steps handed to `execute`, in order.
    pub fn started(&self) -> Vec<(Direction, i64)> {
        self.changelog.lock().unwrap().started.clone()
    }

    fn write(&self, record: Option<&MigrationRecord>, history: Option<&HistoryEntry>) {
        let mut changelog = self.changelog.lock().unwrap();
        if let Some(record) = record {
            changelog.records.insert(record.version.clone(), record.clone());
        }
        if let Some(history) = history {
            let id = changelog.history.len() as i64 + 1;
            changelog.history.push(HistoryEntry { id, ..history.clone() });
        }
    }

    /// Before a transactional step commits, renews the lease if it is still this runner's, as
    /// the databases do inside the transaction (fencing).
    async fn fence(&self, execution: &StepExecution<'_>) -> Result<(), StepFailure> {
        let Some(owner) = execution.lease_owner else { return Ok(()) };
        let rolled_back = |error| StepFailure::new(error, FailureEffect::RolledBack);
        if !self.lease.renew(owner, execution.lease_ttl).await.map_err(rolled_back)? {
            return Err(rolled_back(Error::new(ErrorKind::LeaseLost, "the migration lock was taken over")));
        }
        Ok(())
    }
}

#[async_trait]
impl Target for MemoryTarget {
    /// A transactional SQL database is what it stands for.
    fn kind(&self) -> TargetKind {
        TargetKind::Sqlite
    }

    fn display_url(&self) -> String {
        "memory:".into()
    }

    fn inspect(&self, file: &MigrationFile) -> Result<MigrationMeta> {
        Ok(MigrationMeta {
            name: file.slug.clone(),
            description: None,
            reversible: true,
            transactional: true,
            backup: Vec::new(),
            phase: Default::default(),
            repeatable: false,
        })
    }

    async fn server_info(&self) -> Result<ServerInfo> {
        Ok(ServerInfo { kind: self.kind(), version: "memory".into(), transactions: true, document_server: None })
    }

    async fn changelog_exists(&self) -> Result<bool> {
        Ok(true)
    }

    async fn ensure_changelog(&self) -> Result<()> {
        Ok(())
    }

    async fn records(&self) -> Result<Vec<MigrationRecord>> {
        Ok(self.changelog.lock().unwrap().records.values().cloned().collect())
    }

    async fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>> {
        let changelog = self.changelog.lock().unwrap();
        let wanted = |h: &&HistoryEntry| {
            query.status.is_none_or(|s| h.status == s) && query.version.as_ref().is_none_or(|v| h.version == *v)
        };
        let page = changelog.history.iter().rev().filter(wanted).skip(query.skip as usize);
        Ok(page.take(query.limit as usize).cloned().collect())
    }

    async fn write_record(&self, record: Option<&MigrationRecord>, history: &HistoryEntry) -> Result<()> {
        if self.writes_fail.load(Ordering::SeqCst) {
            return Err(Error::database("writing the changelog: connection reset"));
        }
        self.write(record, Some(history));
        Ok(())
    }

    async fn execute(&self, execution: &StepExecution<'_>) -> Result<StepOutcome, StepFailure> {
        let started = Instant::now();
        let step = execution.step;
        let transactional = step.migration.meta.transactional;
        self.changelog.lock().unwrap().started.push((step.direction, step.migration.version().as_integer().unwrap()));
        if !transactional {
            // Outside a transaction the start is recorded first, as the databases do.
            self.write(Some(&execution.running_record()), None);
        }
        let behaviour = self.script.lock().unwrap().get(&step.migration.version()).cloned();
        match behaviour.unwrap_or(Behaviour::Succeed) {
            Behaviour::Succeed => {}
            Behaviour::Take(duration) => tokio::time::sleep(duration).await,
            Behaviour::Fail(effect, message) => return Err(StepFailure::new(Error::migration(message), effect)),
            Behaviour::WaitFor(signal) => signal.notified().await,
        }
        if transactional {
            self.fence(execution).await?;
        }
        let (record, history) = execution.completed(started.elapsed());
        self.write(Some(&record), Some(&history));
        Ok(StepOutcome { elapsed: started.elapsed(), operations: Vec::new() })
    }

    async fn dry_run(&self, steps: &[Step]) -> Result<Vec<DryRunStep>> {
        let preview = |step: &Step| DryRunStep {
            version: step.migration.version().to_string(),
            name: step.migration.meta.name.clone(),
            direction: step.direction,
            operations: Vec::new(),
            error: None,
        };
        Ok(steps.iter().map(preview).collect())
    }

    fn lease_store(&self) -> Arc<dyn LeaseStore> {
        self.lease.clone()
    }
}
