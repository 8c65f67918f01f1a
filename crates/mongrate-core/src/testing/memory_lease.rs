//! A lease store in memory: one lease whose expiry is judged by tokio's clock, as a database
//! judges it by its own.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::lease::{LeaseClaim, LeaseInfo, LeaseStore};
use crate::timestamp::rfc3339_millis;

/// The wall-clock time shown for the store's start, so lease timestamps are exact in tests:
/// 2026-11-22T09:30:00.000Z.
const SHOWN_START_MILLIS: i64 = 1_795_339_800_000;

struct Lease {
    claim: LeaseClaim,
    locked_at: Instant,
    heartbeat_at: Instant,
    expires_at: Instant,
}

pub struct MemoryLeaseStore {
    started: Instant,
    lease: Mutex<Option<Lease>>,
    renewals_fail: AtomicBool,
}

impl MemoryLeaseStore {
    pub fn new() -> Self {
        MemoryLeaseStore { started: Instant::now(), lease: Mutex::new(None), renewals_fail: AtomicBool::new(false) }
    }

    /// Makes renewals fail, as a busy or unreachable database does, until called with `false`.
    pub fn fail_renewals(&self, fail: bool) {
        self.renewals_fail.store(fail, Ordering::SeqCst);
    }

    /// Who holds the lease, expired or not.
    pub fn owner(&self) -> Option<String> {
        self.lease.lock().unwrap().as_ref().map(|lease| lease.claim.owner.clone())
    }

    /// An instant of the store's clock as the lease shows it.
    pub fn shown(&self, at: Instant) -> String {
        rfc3339_millis(SHOWN_START_MILLIS + (at - self.started).as_millis() as i64)
    }

    fn info(&self, lease: &Lease) -> LeaseInfo {
        LeaseInfo {
            owner: lease.claim.owner.clone(),
            host: lease.claim.holder.host.clone(),
            pid: lease.claim.holder.pid,
            reason: lease.claim.reason.clone(),
            locked_at: self.shown(lease.locked_at),
            heartbeat_at: self.shown(lease.heartbeat_at),
            expires_at: self.shown(lease.expires_at),
            expired: lease.expires_at < Instant::now(),
        }
    }
}

#[async_trait]
impl LeaseStore for MemoryLeaseStore {
    async fn try_acquire(&self, claim: &LeaseClaim) -> Result<bool> {
        let now = Instant::now();
        let mut lease = self.lease.lock().unwrap();
        if lease.as_ref().is_some_and(|held| held.expires_at >= now) {
            return Ok(false);
        }
        *lease = Some(Lease { claim: claim.clone(), locked_at: now, heartbeat_at: now, expires_at: now + claim.ttl });
        Ok(true)
    }

    async fn renew(&self, owner: &str, ttl: Duration) -> Result<bool> {
        if self.renewals_fail.load(Ordering::SeqCst) {
            return Err(Error::database("renewing the migration lock: connection reset"));
        }
        let now = Instant::now();
        // Like the databases: the owner may renew a lease that expired as long as nobody took it.
        match self.lease.lock().unwrap().as_mut().filter(|held| held.claim.owner == owner) {
            Some(held) => {
                held.heartbeat_at = now;
                held.expires_at = now + ttl;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn release(&self, owner: &str) -> Result<()> {
        let mut lease = self.lease.lock().unwrap();
        if lease.as_ref().is_some_and(|held| held.claim.owner == owner) {
            *lease = None;
        }
        Ok(())
    }

    async fn current(&self) -> Result<Option<LeaseInfo>> {
        Ok(self.lease.lock().unwrap().as_ref().map(|lease| self.info(lease)))
    }

    async fn force_release(&self) -> Result<Option<LeaseInfo>> {
        Ok(self.lease.lock().unwrap().take().map(|lease| self.info(&lease)))
    }
}
