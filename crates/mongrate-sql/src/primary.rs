//! The one connection a run uses for everything but the lease heartbeat, and where reads go when
//! it is busy.
//!
//! Migrations, changelog reads and writes all go through it: SQLite re-reads its whole schema on a
//! connection after another connection changed it, so alternating pool connections across 1000
//! schema-changing migrations costs time that grows with the square of their number. A read that
//! finds it busy (a migration is running, a service is asked for its status) takes a pooled
//! connection instead of waiting for the migration to end.

use std::ops::{Deref, DerefMut};

use mongrate_core::Result;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
use tokio::sync::{Mutex, MutexGuard};

/// A pooled connection held for the target's lifetime.
pub struct Primary {
    connection: Mutex<PoolConnection<Any>>,
    pool: AnyPool,
    /// False for an in-memory SQLite database: another connection would see another database.
    pool_sees_the_same_database: bool,
}

/// A connection to read on: the primary when free, else one from the pool.
pub enum Reader<'a> {
    Primary(MutexGuard<'a, PoolConnection<Any>>),
    Pooled(PoolConnection<Any>),
}

impl Primary {
    pub fn new(connection: PoolConnection<Any>, pool: AnyPool, pool_sees_the_same_database: bool) -> Primary {
        Primary { connection: Mutex::new(connection), pool, pool_sees_the_same_database }
    }

    /// Exclusive use of the connection until the guard is dropped.
    pub async fn lock(&self) -> MutexGuard<'_, PoolConnection<Any>> {
        self.connection.lock().await
    }

    /// A connection for a read (or a single self-contained write) that must not wait for a
    /// running migration.
    pub async fn reader(&self) -> Result<Reader<'_>> {
        if let Ok(primary) = self.connection.try_lock() {
            return Ok(Reader::Primary(primary));
        }
        if !self.pool_sees_the_same_database {
            return Ok(Reader::Primary(self.connection.lock().await));
        }
        let pooled = self.pool.acquire().await.map_err(|e| crate::errors::database("connecting to read", e))?;
        Ok(Reader::Pooled(pooled))
    }
}

impl Deref for Reader<'_> {
    type Target = PoolConnection<Any>;

    fn deref(&self) -> &Self::Target {
        match self {
            Reader::Primary(guard) => guard,
            Reader::Pooled(connection) => connection,
        }
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Reader::Primary(guard) => guard,
            Reader::Pooled(connection) => connection,
        }
    }
}
