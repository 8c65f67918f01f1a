//! The lease lock as one document of `mongrate_lock`.
//!
//! Taking it is one `findOneAndUpdate` with upsert whose filter matches only an expired lease: a
//! free lease is inserted, an expired one is taken over, and a held one makes the upsert collide
//! on `_id` (duplicate key), which means "held". Expiry is judged in the query, so no TTL index is
//! needed (FerretDB has none). Times are this machine's clock corrected by the offset to the
//! server's clock measured at connect, so runners on machines with skewed clocks agree.

use std::time::Duration;

use async_trait::async_trait;
use bson::{Bson, DateTime, Document, doc};
use mongodb::ClientSession;
use mongrate_core::Result;
use mongrate_core::lease::{LeaseClaim, LeaseInfo, LeaseStore};
use mongrate_core::timestamp::{now_millis, rfc3339_millis};

use crate::changelog::MongoChangelog;
use crate::errors::{is_duplicate_key, server};

/// The `_id` of the single lease document.
pub const LEASE_ID: &str = "mongrate";

/// Lease operations over the lock collection.
#[derive(Clone)]
pub struct MongoLeaseStore {
    pub changelog: MongoChangelog,
    pub clock_offset_ms: i64,
}

impl MongoLeaseStore {
    /// The server's idea of now, in milliseconds.
    pub fn now(&self) -> i64 {
        now_millis().saturating_add(self.clock_offset_ms)
    }

    /// The update that renews the lease for `ttl` from now.
    pub fn renewal(&self, ttl: Duration) -> Document {
        let now = self.now();
        doc! { "$set": {
            "heartbeatAt": DateTime::from_millis(now),
            "expiresAt": DateTime::from_millis(expiry(now, ttl)),
            "updatedAt": DateTime::from_millis(now),
        } }
    }
}

/// `ttl` after `now`; the ttl is bounded by the settings, the server's clock is not.
fn expiry(now: i64, ttl: Duration) -> i64 {
    now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

fn millis(document: &Document, key: &str) -> i64 {
    match document.get(key) {
        Some(Bson::DateTime(at)) => at.timestamp_millis(),
        _ => 0,
    }
}

impl MongoLeaseStore {
    /// Renews the lease inside the caller's transaction: if another runner took it over, the
    /// transaction must not commit (fencing). Returns whether the lease is still `owner`'s.
    pub async fn renew_in(&self, owner: &str, ttl: Duration, session: &mut ClientSession) -> Result<bool> {
        let done = self
            .changelog
            .lock()
            .update_one(doc! { "_id": LEASE_ID, "owner": owner }, self.renewal(ttl))
            .session(session)
            .await
            .map_err(|e| server("renewing the migration lock in the transaction", &e))?;
        Ok(done.matched_count == 1)
    }
}

impl MongoLeaseStore {
    /// The lease a lock document describes, expired or not by the server's clock.
    pub fn lease_from_document(&self, d: &Document) -> LeaseInfo {
        LeaseInfo {
            owner: d.get_str("owner").unwrap_or_default().to_owned(),
            host: d.get_str("host").unwrap_or_default().to_owned(),
            pid: d.get_i64("pid").or_else(|_| d.get_i32("pid").map(i64::from)).unwrap_or_default(),
            reason: d.get_str("reason").unwrap_or_default().to_owned(),
            locked_at: rfc3339_millis(millis(d, "lockedAt")),
            heartbeat_at: rfc3339_millis(millis(d, "heartbeatAt")),
            expires_at: rfc3339_millis(millis(d, "expiresAt")),
            expired: millis(d, "expiresAt") < self.now(),
        }
    }
}

#[async_trait]
impl LeaseStore for MongoLeaseStore {
    async fn try_acquire(&self, claim: &LeaseClaim) -> Result<bool> {
        let now = self.now();
        let expires = expiry(now, claim.ttl);
        let filter = doc! { "_id": LEASE_ID, "expiresAt": { "$lt": DateTime::from_millis(now) } };
        let update = doc! { "$set": {
            "locked": true,
            "owner": &claim.owner,
            "host": &claim.holder.host,
            "pid": claim.holder.pid,
            "lockedBy": format!("{}:{}", claim.holder.host, claim.holder.pid),
            "reason": &claim.reason,
            "lockedAt": DateTime::from_millis(now),
            "heartbeatAt": DateTime::from_millis(now),
            "expiresAt": DateTime::from_millis(expires),
            "updatedAt": DateTime::from_millis(now),
        }, "$setOnInsert": { "createdAt": DateTime::from_millis(now) } };
        match self.changelog.lock().find_one_and_update(filter, update).upsert(true).await {
            Ok(_) => Ok(true),
            Err(error) if is_duplicate_key(&error) => Ok(false),
            Err(error) => Err(server("taking the migration lock", &error)),
        }
    }

    async fn renew(&self, owner: &str, ttl: Duration) -> Result<bool> {
        let done = self
            .changelog
            .lock()
            .update_one(doc! { "_id": LEASE_ID, "owner": owner }, self.renewal(ttl))
            .await
            .map_err(|e| server("renewing the migration lock", &e))?;
        Ok(done.matched_count == 1)
    }

    async fn release(&self, owner: &str) -> Result<()> {
        self.changelog
            .lock()
            .delete_one(doc! { "_id": LEASE_ID, "owner": owner })
            .await
            .map_err(|e| server("releasing the migration lock", &e))?;
        Ok(())
    }

    async fn current(&self) -> Result<Option<LeaseInfo>> {
        let found = self
            .changelog
            .lock()
            .find_one(doc! { "_id": LEASE_ID })
            .await
            .map_err(|e| server("reading the migration lock", &e))?;
        Ok(found.map(|d| self.lease_from_document(&d)))
    }

    async fn force_release(&self) -> Result<Option<LeaseInfo>> {
        let held = self.current().await?;
        if held.is_some() {
            self.changelog
                .lock()
                .delete_one(doc! { "_id": LEASE_ID })
                .await
                .map_err(|e| server("releasing the migration lock", &e))?;
        }
        Ok(held)
    }
}
