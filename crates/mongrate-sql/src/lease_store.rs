//! The lease lock as one row of the lock table.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mongrate_core::Result;
use mongrate_core::lease::{LeaseClaim, LeaseInfo, LeaseStore};
use mongrate_core::timestamp::rfc3339_millis;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, Row};

use crate::changelog::{Changelog, LEASE_ID, db_error, get_bool, table_exists};
use crate::errors::is_busy;
use crate::primary::Primary;

/// Lease operations. Everything but the heartbeat runs on the target's primary connection; the
/// heartbeat renews on a connection of its own, since the primary may be busy with a migration.
#[derive(Clone)]
pub struct SqlLeaseStore {
    pub primary: Arc<Primary>,
    pub pool: AnyPool,
    pub changelog: Changelog,
}

impl SqlLeaseStore {
    fn table(&self) -> &str {
        &self.changelog.names.lock
    }
}

#[async_trait]
impl LeaseStore for SqlLeaseStore {
    async fn try_acquire(&self, claim: &LeaseClaim) -> Result<bool> {
        let dialect = self.changelog.dialect;
        let now = dialect.now_millis();
        let table = self.table();
        // One statement: insert, or take over only a lease whose expiry is past by the database's clock.
        let sql = dialect.sql(&format!(
            "INSERT INTO {table} (id, owner, host, pid, reason, locked_at, heartbeat_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, {now}, {now}, {now} + $6) \
             ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, \
             reason = excluded.reason, locked_at = excluded.locked_at, heartbeat_at = excluded.heartbeat_at, \
             expires_at = excluded.expires_at WHERE {table}.expires_at < {now}"
        ));
        let mut conn = self.primary.lock().await;
        let result = sqlx::query(AssertSqlSafe(sql))
            .bind(LEASE_ID)
            .bind(&claim.owner)
            .bind(&claim.holder.host)
            .bind(claim.holder.pid)
            .bind(&claim.reason)
            .bind(claim.ttl.as_millis() as i64)
            .execute(&mut **conn)
            .await;
        match result {
            Ok(done) => Ok(done.rows_affected() == 1),
            // SQLite: another process is writing (it holds the lease, or is about to).
            Err(e) if is_busy(&e) => Ok(false),
            Err(e) => Err(crate::errors::database("taking the migration lock", e)),
        }
    }

    async fn renew(&self, owner: &str, ttl: Duration) -> Result<bool> {
        let mut conn = self.pool.acquire().await.map_err(db_error("connecting to renew the migration lock"))?;
        self.changelog.renew_lease(&mut conn, owner, ttl).await.map_err(db_error("renewing the migration lock"))
    }

    async fn release(&self, owner: &str) -> Result<()> {
        let sql = self.changelog.dialect.sql(&format!("DELETE FROM {} WHERE id = $1 AND owner = $2", self.table()));
        let mut conn = self.primary.lock().await;
        // SQLite may be busy for a moment; a lease left behind would block others for a whole ttl.
        for attempt in 0..20 {
            match sqlx::query(AssertSqlSafe(sql.as_str())).bind(LEASE_ID).bind(owner).execute(&mut **conn).await {
                Ok(_) => return Ok(()),
                Err(e) if is_busy(&e) && attempt < 19 => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => return Err(crate::errors::database("releasing the migration lock", e)),
            }
        }
        Ok(())
    }

    async fn current(&self) -> Result<Option<LeaseInfo>> {
        let sql = self.changelog.dialect.sql(&format!("{} WHERE id = $1", lease_query(&self.changelog)));
        let mut conn = self.primary.lock().await;
        let row = match sqlx::query(AssertSqlSafe(sql)).bind(LEASE_ID).fetch_optional(&mut **conn).await {
            Ok(row) => row,
            // No lock table yet: nobody holds the lease.
            Err(sqlx::Error::Database(_)) if !table_exists(&mut conn, self.table()).await => None,
            Err(e) => return Err(crate::errors::database("reading the migration lock", e)),
        };
        row.as_ref().map(lease_from_row).transpose()
    }

    async fn force_release(&self) -> Result<Option<LeaseInfo>> {
        let held = self.current().await?;
        if held.is_some() {
            let sql = self.changelog.dialect.sql(&format!("DELETE FROM {} WHERE id = $1", self.table()));
            let mut conn = self.primary.lock().await;
            sqlx::query(AssertSqlSafe(sql))
                .bind(LEASE_ID)
                .execute(&mut **conn)
                .await
                .map_err(db_error("releasing the migration lock"))?;
        }
        Ok(held)
    }
}

/// The lease row's columns, with whether it expired judged by the database's clock; a caller
/// adds the `WHERE`.
pub fn lease_query(changelog: &Changelog) -> String {
    format!(
        "SELECT owner, host, pid, reason, locked_at, heartbeat_at, expires_at, \
         CASE WHEN expires_at < {} THEN 1 ELSE 0 END AS expired FROM {}",
        changelog.dialect.now_millis(),
        changelog.names.lock
    )
}

/// A lease from a row of [`lease_query`].
pub fn lease_from_row(row: &AnyRow) -> Result<LeaseInfo> {
    let read = db_error("reading the migration lock");
    let millis = |column: &str| row.try_get::<i64, _>(column).map(rfc3339_millis).map_err(&read);
    let text = |column: &str| row.try_get::<Option<String>, _>(column).map(Option::unwrap_or_default).map_err(&read);
    Ok(LeaseInfo {
        owner: text("owner")?,
        host: text("host")?,
        pid: row.try_get::<Option<i64>, _>("pid").map_err(&read)?.unwrap_or_default(),
        reason: text("reason")?,
        locked_at: millis("locked_at")?,
        heartbeat_at: millis("heartbeat_at")?,
        expires_at: millis("expires_at")?,
        expired: get_bool(row, "expired")?,
    })
}
