//! Holding a lease: waiting for it, renewing it in the background, noticing its loss.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

// tokio's clock, not std's: the same in production, and it follows paused time in tests.
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::lease::{LeaseClaim, LeaseInfo, LeaseStore};

/// How waiting for the lease ended.
pub enum Acquisition {
    Acquired(LeaseGuard),
    /// While waiting, the work was done by someone else.
    NoLongerNeeded,
}

/// Takes the lease, polling every `poll` while someone else holds it, until `timeout`.
///
/// Before each new attempt `still_needed` is asked whether there is still work (another replica may
/// have done it); when there is none, waiting ends without the lease. `on_wait` is told who holds
/// the lease, once per holder.
// `still_needed` is a closure returning a future, not an async closure: the future of an async
// closure that borrows its caller is not `Send` (a compiler limitation), and a service runs this on
// a multi-threaded runtime.
pub async fn acquire<Needed: Future<Output = Result<bool>>>(
    store: Arc<dyn LeaseStore>,
    claim: &LeaseClaim,
    timeout: Duration,
    poll: Duration,
    mut still_needed: impl FnMut() -> Needed,
    mut on_wait: impl FnMut(&LeaseInfo),
) -> Result<Acquisition> {
    let started = Instant::now();
    let mut last_holder: Option<String> = None;
    loop {
        if store.try_acquire(claim).await? {
            return Ok(Acquisition::Acquired(LeaseGuard::start(store, claim)));
        }
        let holder = store.current().await?;
        if let Some(info) = &holder
            && last_holder.as_deref() != Some(info.owner.as_str())
        {
            on_wait(info);
            last_holder = Some(info.owner.clone());
        }
        if started.elapsed() >= timeout {
            let who = holder
                .map(|h| {
                    format!(
                        "held by {} (pid {}) since {}, expires {}: {}",
                        h.host, h.pid, h.locked_at, h.expires_at, h.reason
                    )
                })
                .unwrap_or_else(|| "held".into());
            return Err(Error::new(
                ErrorKind::LockTimeout,
                format!(
                    "the migration lock was not acquired within {} s; it is {who}. \
                     Wait for that run, raise --lock-timeout, or if its process is gone run `mongrate lock release --confirm`.",
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(poll.min(timeout.saturating_sub(started.elapsed())).max(Duration::from_millis(10))).await;
        if !still_needed().await? {
            return Ok(Acquisition::NoLongerNeeded);
        }
    }
}

/// Takes the lease if it is free (or expired) right now; `None` when someone else holds it.
pub async fn try_acquire(store: Arc<dyn LeaseStore>, claim: &LeaseClaim) -> Result<Option<LeaseGuard>> {
    Ok(store.try_acquire(claim).await?.then(|| LeaseGuard::start(store, claim)))
}

/// Whether the lease a step runs under was lost, for work that runs long inside one step: batch
/// loops look before each batch. Unwatched (the default) it never reports a loss.
#[derive(Debug, Clone, Default)]
pub struct LeaseWatch(Option<Arc<AtomicBool>>);

impl LeaseWatch {
    pub fn is_lost(&self) -> bool {
        self.0.as_ref().is_some_and(|lost| lost.load(Ordering::SeqCst))
    }
}

/// A held lease, renewed every ttl/3 by a background task until released.
pub struct LeaseGuard {
    store: Arc<dyn LeaseStore>,
    owner: String,
    ttl: Duration,
    started: Instant,
    lost: Arc<AtomicBool>,
    /// Milliseconds after `started` of the last successful renewal.
    renewed_at: Arc<AtomicU64>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl LeaseGuard {
    fn start(store: Arc<dyn LeaseStore>, claim: &LeaseClaim) -> Self {
        let started = Instant::now();
        let lost = Arc::new(AtomicBool::new(false));
        let renewed_at = Arc::new(AtomicU64::new(0));
        let heartbeat = tokio::spawn(heartbeat(
            store.clone(),
            claim.owner.clone(),
            claim.ttl,
            started,
            lost.clone(),
            renewed_at.clone(),
        ));
        LeaseGuard { store, owner: claim.owner.clone(), ttl: claim.ttl, started, lost, renewed_at, heartbeat }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A watch that reports when the heartbeat finds the lease taken over.
    pub fn watch(&self) -> LeaseWatch {
        LeaseWatch(Some(self.lost.clone()))
    }

    /// Fails when the lease was taken over: the runner must not start another step then. When
    /// the heartbeat has not managed to renew it for a while (a database busy with a long
    /// migration), renews it here first.
    pub async fn ensure_held(&self) -> Result<()> {
        let lost = || {
            Error::new(
                ErrorKind::LeaseLost,
                "the migration lock was lost (taken over after expiry, or released by force); stopping before the next migration. \
                 Run `mongrate status` to see what was applied, then run again.",
            )
        };
        if self.lost.load(Ordering::SeqCst) {
            return Err(lost());
        }
        let now = self.started.elapsed().as_millis() as u64;
        let since_renewal = now.saturating_sub(self.renewed_at.load(Ordering::SeqCst));
        if since_renewal > self.ttl.as_millis() as u64 / 2 {
            match self.store.renew(&self.owner, self.ttl).await {
                Ok(true) => self.renewed_at.store(now, Ordering::SeqCst),
                Ok(false) => {
                    self.lost.store(true, Ordering::SeqCst);
                    return Err(lost());
                }
                Err(error) if since_renewal > self.ttl.as_millis() as u64 => {
                    return Err(Error::new(
                        ErrorKind::LeaseLost,
                        format!("the migration lock could not be renewed: {error}"),
                    ));
                }
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// Stops the heartbeat and gives the lease up.
    pub async fn release(self) -> Result<()> {
        self.heartbeat.abort();
        self.store.release(&self.owner).await
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        // Without release() the lease simply expires after its ttl.
        self.heartbeat.abort();
    }
}

async fn heartbeat(
    store: Arc<dyn LeaseStore>,
    owner: String,
    ttl: Duration,
    started: Instant,
    lost: Arc<AtomicBool>,
    renewed_at: Arc<AtomicU64>,
) {
    let every = (ttl / 3).max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(every).await;
        let attempt = started.elapsed().as_millis() as u64;
        match store.renew(&owner, ttl).await {
            Ok(true) => renewed_at.store(attempt, Ordering::SeqCst),
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // A busy or briefly unreachable database: try again; check() notices a whole ttl without renewal.
            Err(_) => continue,
        }
    }
}

/// Runs `work` while holding the lease (for changelog edits such as `mark` and `repair`).
pub async fn with_lease<T>(
    store: Arc<dyn LeaseStore>,
    claim: &LeaseClaim,
    timeout: Duration,
    on_wait: impl FnMut(&LeaseInfo),
    work: impl AsyncFnOnce() -> Result<T>,
) -> Result<T> {
    let poll = Duration::from_millis(250);
    let Acquisition::Acquired(guard) = acquire(store, claim, timeout, poll, async || Ok(true), on_wait).await? else {
        return Err(Error::new(ErrorKind::LockTimeout, "the migration lock was not acquired"));
    };
    let outcome = work().await;
    let released = guard.release().await;
    let value = outcome?;
    released?;
    Ok(value)
}

/// A fresh lease owner id.
pub fn new_owner_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests;
