//! The lease guard on paused time: waiting, renewing, late heartbeats, takeover and release.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, sleep};

use super::*;
use crate::testing::{MemoryLeaseStore, other_claim};

const TTL: Duration = Duration::from_secs(30);
const SECOND: Duration = Duration::from_secs(1);

async fn hold(store: &Arc<MemoryLeaseStore>) -> LeaseGuard {
    let claim = other_claim("ours", TTL);
    match acquire(store.clone(), &claim, TTL, SECOND, || async { Ok(true) }, |_| {}).await {
        Ok(Acquisition::Acquired(guard)) => guard,
        _ => panic!("a free lease is taken at once"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_keeps_the_lease_through_many_ttls() {
    let store = Arc::new(MemoryLeaseStore::new());
    let guard = hold(&store).await;
    sleep(TTL * 10).await;
    assert!(!store.try_acquire(&other_claim("theirs", TTL)).await.unwrap());
    let lease = store.current().await.unwrap().unwrap();
    assert!(!lease.expired);
    // Renewed every ttl/3: the last renewal was at 290 s, so it expires at 320 s.
    assert_eq!(lease.expires_at, "2026-11-22T09:35:20.000Z");
    assert_eq!(guard.ensure_held().await, Ok(()));
    guard.release().await.unwrap();
    assert_eq!(store.owner(), None);
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_late_by_less_than_a_ttl_is_tolerated_and_caught_up() {
    let store = Arc::new(MemoryLeaseStore::new());
    let guard = hold(&store).await;
    store.fail_renewals(true);
    sleep(Duration::from_secs(20)).await;
    // Not renewed for 20 s of a 30 s ttl, and renewing fails: still ours.
    assert_eq!(guard.ensure_held().await, Ok(()));
    sleep(Duration::from_secs(5)).await;
    store.fail_renewals(false);
    assert_eq!(guard.ensure_held().await, Ok(()));
    // ensure_held renewed it itself at 25 s.
    assert_eq!(store.current().await.unwrap().unwrap().expires_at, "2026-11-22T09:30:55.000Z");
    guard.release().await.unwrap();
    assert_eq!(store.owner(), None);
}

#[tokio::test(start_paused = true)]
async fn a_lease_not_renewed_for_more_than_a_ttl_is_lost() {
    let store = Arc::new(MemoryLeaseStore::new());
    let guard = hold(&store).await;
    store.fail_renewals(true);
    sleep(TTL + SECOND).await;
    let error = guard.ensure_held().await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::LeaseLost);
    assert_eq!(error.message, "the migration lock could not be renewed: renewing the migration lock: connection reset");
    guard.release().await.unwrap();
    assert_eq!(store.owner(), None);
}

#[tokio::test(start_paused = true)]
async fn a_lease_taken_over_after_expiry_is_lost_and_its_release_leaves_the_new_holder_alone() {
    let store = Arc::new(MemoryLeaseStore::new());
    let guard = hold(&store).await;
    store.fail_renewals(true);
    sleep(TTL + SECOND).await;
    assert!(store.try_acquire(&other_claim("theirs", TTL)).await.unwrap());
    store.fail_renewals(false);
    // The heartbeat's next renewal finds the lease someone else's.
    sleep(TTL / 3).await;
    assert!(guard.lost.load(Ordering::SeqCst));
    let error = guard.ensure_held().await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::LeaseLost);
    assert!(error.message.starts_with("the migration lock was lost (taken over after expiry"), "{}", error.message);
    guard.release().await.unwrap();
    assert_eq!(store.owner().as_deref(), Some("theirs"));
}

#[tokio::test(start_paused = true)]
async fn waiting_times_out_naming_the_holder_once() {
    let store = Arc::new(MemoryLeaseStore::new());
    assert!(store.try_acquire(&other_claim("theirs", Duration::from_secs(600))).await.unwrap());
    let started = Instant::now();
    let mut seen = Vec::new();
    let claim = other_claim("ours", TTL);
    let waited = acquire(
        store.clone(),
        &claim,
        Duration::from_secs(5),
        SECOND,
        || async { Ok(true) },
        |holder| seen.push(holder.owner.clone()),
    );
    let Err(error) = waited.await else { panic!("the lease is held for 10 minutes") };
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(seen, ["theirs"]);
    assert_eq!(error.kind, ErrorKind::LockTimeout);
    assert!(
        error.message.starts_with(
            "the migration lock was not acquired within 5 s; it is held by other-host (pid 4242) \
             since 2026-11-22T09:30:00.000Z, expires 2026-11-22T09:40:00.000Z: other deploy."
        ),
        "{}",
        error.message
    );
    assert_eq!(store.owner().as_deref(), Some("theirs"));
}

#[tokio::test(start_paused = true)]
async fn an_expired_lease_is_taken_over_at_the_next_poll() {
    let store = Arc::new(MemoryLeaseStore::new());
    assert!(store.try_acquire(&other_claim("crashed", Duration::from_secs(3))).await.unwrap());
    let started = Instant::now();
    let claim = other_claim("ours", TTL);
    let acquired = acquire(store.clone(), &claim, Duration::from_secs(10), SECOND, || async { Ok(true) }, |_| {});
    let Ok(Acquisition::Acquired(guard)) = acquired.await else { panic!("the lease expires after 3 s") };
    // Expired only once its expiry is past: taken at the poll after 3 s.
    assert_eq!(started.elapsed(), Duration::from_secs(4));
    assert_eq!(store.owner().as_deref(), Some("ours"));
    guard.release().await.unwrap();
    assert_eq!(store.owner(), None);
}

#[tokio::test(start_paused = true)]
async fn waiting_ends_without_the_lease_when_the_work_was_done_meanwhile() {
    let store = Arc::new(MemoryLeaseStore::new());
    assert!(store.try_acquire(&other_claim("theirs", Duration::from_secs(600))).await.unwrap());
    let mut asked = 0;
    let still_needed = || {
        asked += 1;
        let needed = asked < 3;
        async move { Ok(needed) }
    };
    let claim = other_claim("ours", TTL);
    let waited = acquire(store.clone(), &claim, Duration::from_secs(10), SECOND, still_needed, |_| {}).await;
    assert!(matches!(waited, Ok(Acquisition::NoLongerNeeded)));
    assert_eq!(asked, 3);
    assert_eq!(store.owner().as_deref(), Some("theirs"));
}

#[tokio::test(start_paused = true)]
async fn with_lease_releases_after_work_that_fails() {
    let store = Arc::new(MemoryLeaseStore::new());
    let claim = other_claim("ours", TTL);
    let outcome = with_lease(
        store.clone(),
        &claim,
        TTL,
        |_| {},
        async || -> Result<()> {
            assert_eq!(store.owner().as_deref(), Some("ours"));
            Err(Error::database("the repair failed"))
        },
    )
    .await;
    assert_eq!(outcome, Err(Error::database("the repair failed")));
    assert_eq!(store.owner(), None);
}
