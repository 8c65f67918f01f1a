//! What `status` reads from PostgreSQL, in two round trips: the server version with whether the
//! changelog tables exist, then the records and the lock together.
//!
//! Prepared statements cost PostgreSQL two round trips each the first time (a short-lived
//! `status` process only has first times), so both go out as simple queries; the lock and the
//! records share one.

use futures_util::StreamExt;
use mongrate_core::target::{ServerInfo, Snapshot};
use mongrate_core::{Error, Result, TargetKind};
use sqlx::{AnyConnection, AssertSqlSafe, Either, Row};

use crate::changelog::{Changelog, LEASE_ID, db_error, get_bool, literal, record_from_row, record_select};
use crate::lease_store::{lease_from_row, lease_query};

/// Reads the changelog records, the lock and the server version.
pub async fn read_postgres(conn: &mut AnyConnection, changelog: &Changelog) -> Result<Snapshot> {
    let names = &changelog.names;
    let probe = format!(
        "SELECT current_setting('server_version') AS version, ({}) AS ready, ({}) AS text_column",
        changelog.exists_expression(),
        changelog.text_column_expression()
    );
    let row =
        sqlx::raw_sql(AssertSqlSafe(probe)).fetch_one(&mut *conn).await.map_err(db_error("reading the server"))?;
    let version: String = row.try_get("version").map_err(db_error("reading the server version"))?;
    let server = ServerInfo { kind: TargetKind::Postgres, version, transactions: true, document_server: None };
    if !get_bool(&row, "ready")? {
        return Ok(Snapshot { records: Vec::new(), lock: None, server });
    }
    let text = get_bool(&row, "text_column")?;
    let both = format!(
        "SELECT {} FROM {} ORDER BY version;\n{} WHERE id = {}",
        record_select(text),
        names.migrations,
        lease_query(changelog),
        literal(LEASE_ID)
    );
    let mut results = sqlx::raw_sql(AssertSqlSafe(both)).fetch_many(&mut *conn);
    let (mut records, mut lock, mut finished) = (Vec::new(), None, 0);
    while let Some(item) = results.next().await {
        match item.map_err(db_error("reading the changelog"))? {
            Either::Left(_) => finished += 1,
            Either::Right(row) if finished == 0 => records.push(record_from_row(&row)?),
            Either::Right(row) => lock = Some(lease_from_row(&row)?),
        }
    }
    if finished != 2 {
        return Err(Error::database("reading the changelog: the server answered only part of the query"));
    }
    Ok(Snapshot { records, lock, server })
}
