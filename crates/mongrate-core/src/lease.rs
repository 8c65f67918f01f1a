//! The lease lock: what a database must provide so that only one runner migrates at a time.
//!
//! A lease is one row/document. Taking it is one atomic statement that matches only a free or
//! expired lease, with expiry judged by the database in that statement, so clocks of the runners
//! do not matter and no TTL index is needed. The holder renews it (heartbeat); a runner that dies
//! simply stops renewing and the lease expires.

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::error::Result;
use crate::host::AppliedBy;

/// What a runner writes into the lease when it takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseClaim {
    /// A fresh UUID per runner.
    pub owner: String,
    pub holder: AppliedBy,
    pub reason: String,
    pub ttl: Duration,
}

/// The lease as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaseInfo {
    pub owner: String,
    pub host: String,
    pub pid: i64,
    pub reason: String,
    pub locked_at: String,
    pub heartbeat_at: String,
    pub expires_at: String,
    /// Whether the database's clock is past `expires_at`: anyone may take it.
    pub expired: bool,
}

/// The lease operations a target provides.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease if it is free or expired, atomically. `Ok(false)`: someone else holds it.
    async fn try_acquire(&self, claim: &LeaseClaim) -> Result<bool>;
    /// Extends the lease held by `owner`. `Ok(false)`: it is no longer ours.
    async fn renew(&self, owner: &str, ttl: Duration) -> Result<bool>;
    /// Gives the lease up, only if `owner` holds it.
    async fn release(&self, owner: &str) -> Result<()>;
    /// The current lease, if any.
    async fn current(&self) -> Result<Option<LeaseInfo>>;
    /// Removes the lease whoever holds it; returns what was removed.
    async fn force_release(&self) -> Result<Option<LeaseInfo>>;
}
