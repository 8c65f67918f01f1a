//! The one connection a run uses for everything but the lease heartbeat.
//!
//! Migrations, changelog reads and writes all go through it: SQLite re-reads its whole schema on a
//! connection after another connection changed it, so alternating pool connections across 1000
//! schema-changing migrations costs time that grows with the square of their number.

use sqlx::Any;
use sqlx::pool::PoolConnection;
use tokio::sync::{Mutex, MutexGuard};

/// A pooled connection held for the target's lifetime.
pub struct Primary {
    connection: Mutex<PoolConnection<Any>>,
}

impl Primary {
    pub fn new(connection: PoolConnection<Any>) -> Primary {
        Primary { connection: Mutex::new(connection) }
    }

    /// Exclusive use of the connection until the guard is dropped.
    pub async fn lock(&self) -> MutexGuard<'_, PoolConnection<Any>> {
        self.connection.lock().await
    }
}
