//! The lease lock as one row of the lock table.

use std::time::Duration;

use async_trait::async_trait;
use mongrate_core::lease::{LeaseClaim, LeaseInfo, LeaseStore};
use mongrate_core::timestamp::rfc3339_millis;
use mongrate_core::{Error, Result};
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use crate::changelog::{db_error, get_bool};
use crate::dialect::Dialect;
use crate::errors::{describe, is_busy};

/// The id of the single lease row.
const LEASE_ID: &str = "mongrate";

/// Lease operations over a pool.
#[derive(Debug, Clone)]
pub struct SqlLeaseStore {
    pub pool: AnyPool,
    pub dialect: Dialect,
    pub table: String,
}

impl SqlLeaseStore {
    async fn connection(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.pool
            .acquire()
            .await
            .map_err(db_error("connecting for the lock"))
    }

    /// Extends the lease if `owner` holds it; used by the heartbeat and, inside a migration's
    /// transaction, as a fence right before the commit.
    pub async fn renew_on(
        &self,
        conn: &mut AnyConnection,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, sqlx::Error> {
        let now = self.dialect.now_millis();
        let sql = self.dialect.sql(&format!(
            "UPDATE {} SET heartbeat_at = {now}, expires_at = {now} + $1 WHERE id = $2 AND owner = $3",
            self.table
        ));
        let done = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(ttl.as_millis() as i64)
            .bind(LEASE_ID)
            .bind(owner)
            .execute(conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl LeaseStore for SqlLeaseStore {
    async fn try_acquire(&self, claim: &LeaseClaim) -> Result<bool> {
        let now = self.dialect.now_millis();
        let table = &self.table;
        // One statement: insert, or take over only a lease whose expiry is past by the database's clock.
        let sql = self.dialect.sql(&format!(
            "INSERT INTO {table} (id, owner, host, pid, reason, locked_at, heartbeat_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, {now}, {now}, {now} + $6) \
             ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, \
             reason = excluded.reason, locked_at = excluded.locked_at, heartbeat_at = excluded.heartbeat_at, \
             expires_at = excluded.expires_at WHERE {table}.expires_at < {now}"
        ));
        let mut conn = self.connection().await?;
        let result = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(LEASE_ID)
            .bind(&claim.owner)
            .bind(&claim.holder.host)
            .bind(claim.holder.pid)
            .bind(&claim.reason)
            .bind(claim.ttl.as_millis() as i64)
            .execute(&mut *conn)
            .await;
        match result {
            Ok(done) => Ok(done.rows_affected() == 1),
            // SQLite: another process is writing (it holds the lease, or is about to).
            Err(e) if is_busy(&e) => Ok(false),
            Err(e) => Err(Error::database(format!(
                "taking the migration lock: {}",
                describe(&e)
            ))),
        }
    }

    async fn renew(&self, owner: &str, ttl: Duration) -> Result<bool> {
        let mut conn = self.connection().await?;
        self.renew_on(&mut conn, owner, ttl)
            .await
            .map_err(db_error("renewing the migration lock"))
    }

    async fn release(&self, owner: &str) -> Result<()> {
        let sql = self.dialect.sql(&format!(
            "DELETE FROM {} WHERE id = $1 AND owner = $2",
            self.table
        ));
        let mut conn = self.connection().await?;
        // SQLite may be busy for a moment; a lease left behind would block others for a whole ttl.
        for attempt in 0..20 {
            match sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(LEASE_ID)
                .bind(owner)
                .execute(&mut *conn)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if is_busy(&e) && attempt < 19 => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(e) => {
                    return Err(Error::database(format!(
                        "releasing the migration lock: {}",
                        describe(&e)
                    )));
                }
            }
        }
        Ok(())
    }

    async fn current(&self) -> Result<Option<LeaseInfo>> {
        let sql = self.dialect.sql(&format!(
            "SELECT owner, host, pid, reason, locked_at, heartbeat_at, expires_at, \
             CASE WHEN expires_at < {} THEN 1 ELSE 0 END AS expired FROM {} WHERE id = $1",
            self.dialect.now_millis(),
            self.table
        ));
        let mut conn = self.connection().await?;
        let row = match sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(LEASE_ID)
            .fetch_optional(&mut *conn)
            .await
        {
            Ok(row) => row,
            // No lock table yet: nobody holds the lease.
            Err(sqlx::Error::Database(_))
                if !crate::changelog::table_exists(&mut conn, &self.table).await =>
            {
                None
            }
            Err(e) => {
                return Err(Error::database(format!(
                    "reading the migration lock: {}",
                    describe(&e)
                )));
            }
        };
        let Some(row) = row else { return Ok(None) };
        let millis = |column: &str| -> Result<String> {
            row.try_get::<i64, _>(column)
                .map(rfc3339_millis)
                .map_err(db_error("reading the migration lock"))
        };
        Ok(Some(LeaseInfo {
            owner: row
                .try_get("owner")
                .map_err(db_error("reading the migration lock"))?,
            host: row
                .try_get::<Option<String>, _>("host")
                .map_err(db_error("reading the migration lock"))?
                .unwrap_or_default(),
            pid: row
                .try_get::<Option<i64>, _>("pid")
                .map_err(db_error("reading the migration lock"))?
                .unwrap_or_default(),
            reason: row
                .try_get::<Option<String>, _>("reason")
                .map_err(db_error("reading the migration lock"))?
                .unwrap_or_default(),
            locked_at: millis("locked_at")?,
            heartbeat_at: millis("heartbeat_at")?,
            expires_at: millis("expires_at")?,
            expired: get_bool(&row, "expired")?,
        }))
    }

    async fn force_release(&self) -> Result<Option<LeaseInfo>> {
        let held = self.current().await?;
        if held.is_some() {
            let sql = self
                .dialect
                .sql(&format!("DELETE FROM {} WHERE id = $1", self.table));
            let mut conn = self.connection().await?;
            sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(LEASE_ID)
                .execute(&mut *conn)
                .await
                .map_err(db_error("releasing the migration lock"))?;
        }
        Ok(held)
    }
}
