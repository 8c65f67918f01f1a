//! The changelog tables: one record per version, the append-only history.

use std::time::Duration;

use mongrate_core::config::ChangelogNames;
use mongrate_core::host::AppliedBy;
use mongrate_core::record::{HistoryEntry, HistoryQuery, MigrationRecord};
use mongrate_core::{Error, Result, Version};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::dialect::Dialect;
use crate::record_json::{parse_records, records_query};
use crate::version_text::{COLUMN as TEXT_COLUMN, TextColumn};

/// The id of the single lease row.
pub const LEASE_ID: &str = "mongrate";
use crate::errors::describe;

/// Reads and writes the changelog of one database.
#[derive(Debug, Clone)]
pub struct Changelog {
    pub dialect: Dialect,
    pub names: ChangelogNames,
    /// Whether the tables are known to have `version_text` (see [`crate::version_text`]).
    pub text_column: TextColumn,
}

/// Wraps a sqlx error with what was being done; the sqlx error stays its source.
pub fn db_error(doing: &str) -> impl Fn(sqlx::Error) -> Error + '_ {
    move |e| crate::errors::database(doing, e)
}

pub(crate) const RECORD_COLUMNS: &str = "version, name, description, status, applied_at, rolled_back_at, execution_time, error, partial, \
     reversible, checksum, batch, applied_by_host, applied_by_user, applied_by_pid, checkpoint, metadata, created_at, updated_at";

const HISTORY_COLUMNS: &str = "version, name, action, status, at, execution_time, error, checksum, batch, applied_by_host, applied_by_user, applied_by_pid";

impl Changelog {
    /// Whether all three tables exist.
    pub async fn exists(&self, conn: &mut AnyConnection) -> Result<bool> {
        let sql = format!("SELECT ({}) AS ready", self.exists_expression());
        let row =
            sqlx::raw_sql(AssertSqlSafe(sql)).fetch_one(conn).await.map_err(db_error("looking for the changelog"))?;
        get_bool(&row, "ready")
    }

    /// A boolean SQL expression: whether all three tables exist (one query for the three; a
    /// schema-qualified name is looked up as PostgreSQL would).
    pub fn exists_expression(&self) -> String {
        let tables = [&self.names.migrations, &self.names.history, &self.names.lock];
        match self.dialect {
            Dialect::Postgres => tables
                .iter()
                .map(|table| format!("to_regclass({}) IS NOT NULL", literal(table)))
                .collect::<Vec<_>>()
                .join(" AND "),
            Dialect::Sqlite => {
                let names = tables.iter().map(|table| literal(table)).collect::<Vec<_>>().join(", ");
                format!(
                    "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({names})) = {}",
                    tables.len()
                )
            }
        }
    }

    /// Creates the tables. On PostgreSQL an advisory lock serialises runners that start
    /// together, since concurrent `CREATE TABLE IF NOT EXISTS` can collide in the catalog.
    pub async fn create(&self, conn: &mut AnyConnection) -> Result<()> {
        let doing = "creating the changelog tables";
        let mut tx = sqlx::Connection::begin_with(conn, self.dialect.begin()).await.map_err(db_error(doing))?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7223015421)").execute(&mut *tx).await.map_err(db_error(doing))?;
        }
        for statement in self.dialect.create_changelog(&self.names) {
            sqlx::query(AssertSqlSafe(statement)).execute(&mut *tx).await.map_err(db_error(doing))?;
        }
        tx.commit().await.map_err(db_error(doing))
    }

    /// Every record, by version.
    pub async fn records(&self, conn: &mut AnyConnection) -> Result<Vec<MigrationRecord>> {
        let text = self.has_text_column(conn).await?;
        let doing = db_error("reading the changelog");
        match self.dialect {
            // SQLite hands rows one by one across a thread: one aggregated value is far cheaper.
            Dialect::Sqlite => {
                let columns = format!("{RECORD_COLUMNS}, {}", if text { TEXT_COLUMN } else { "NULL" });
                let sql = records_query(&self.names.migrations, &columns);
                let row = sqlx::query(AssertSqlSafe(sql)).fetch_one(conn).await.map_err(doing)?;
                let json: String = get(&row, "records")?;
                parse_records(&json)
            }
            // PostgreSQL builds JSON slower (14 ms for 1000 records) than it sends rows (1 ms).
            Dialect::Postgres => {
                let sql = format!("SELECT {} FROM {} ORDER BY version", record_select(text), self.names.migrations);
                let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(conn).await.map_err(doing)?;
                rows.iter().map(record_from_row).collect()
            }
        }
    }

    /// A page of history, newest first.
    pub async fn history(&self, conn: &mut AnyConnection, query: &HistoryQuery) -> Result<Vec<HistoryEntry>> {
        let text = if self.has_text_column(conn).await? { TEXT_COLUMN } else { "NULL AS version_text" };
        let mut sql = format!("SELECT id, {HISTORY_COLUMNS}, {text} FROM {} WHERE 1 = 1", self.names.history);
        let mut next = 1;
        if query.status.is_some() {
            sql.push_str(&format!(" AND status = ${next}"));
            next += 1;
        }
        if query.version.is_some() {
            sql.push_str(&format!(" AND version = ${next}"));
            next += 1;
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${} OFFSET ${}", next, next + 1));
        let sql = self.dialect.sql(&sql);
        let mut statement = sqlx::query(AssertSqlSafe(sql.as_str()));
        if let Some(status) = query.status {
            statement = statement.bind(status.as_str());
        }
        if let Some(version) = &query.version {
            statement = statement.bind(version.storage_id());
        }
        let rows = statement
            .bind(query.limit)
            .bind(query.skip)
            .fetch_all(conn)
            .await
            .map_err(db_error("reading the history"))?;
        rows.iter().map(history_from_row).collect()
    }

    /// Records finished steps inside their transaction: the records, the history entries, and,
    /// when `fence` names the lease owner, a renewal of the lease that must match it. `Ok(false)`:
    /// the lease is no longer the owner's and the caller must roll back. On PostgreSQL this is one
    /// statement for a whole group of steps (up to [`ROWS_PER_STATEMENT`]), on SQLite three.
    pub async fn record_completion(
        &self,
        conn: &mut AnyConnection,
        records: &[MigrationRecord],
        history: &[HistoryEntry],
        fence: Option<(&str, Duration)>,
    ) -> Result<bool> {
        let mut fence = fence;
        for (records, history) in records.chunks(ROWS_PER_STATEMENT).zip(history.chunks(ROWS_PER_STATEMENT)) {
            if !self.record_chunk(conn, records, history, fence.take()).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn record_chunk(
        &self,
        conn: &mut AnyConnection,
        records: &[MigrationRecord],
        history: &[HistoryEntry],
        fence: Option<(&str, Duration)>,
    ) -> Result<bool> {
        if self.dialect == Dialect::Sqlite {
            if let Some((owner, ttl)) = fence
                && !self.renew_lease(conn, owner, ttl).await.map_err(db_error("checking the migration lock"))?
            {
                return Ok(false);
            }
            self.upsert_all(conn, records).await?;
            self.append_all(conn, history).await?;
            return Ok(true);
        }
        let columns = self
            .columns_for(conn, records.iter().map(|r| &r.version).chain(history.iter().map(|h| &h.version)))
            .await?;
        let now = self.dialect.now_millis();
        let after = records.len() * columns.record_width() + history.len() * columns.history_width();
        let fence_sql = match fence {
            Some(_) => format!(
                "UPDATE {} SET heartbeat_at = {now}, expires_at = {now} + ${} WHERE id = '{LEASE_ID}' AND owner = ${} RETURNING 1",
                self.names.lock,
                after + 1,
                after + 2
            ),
            None => "SELECT 1".to_owned(),
        };
        let sql = format!(
            "WITH fence AS ({fence_sql}), \
             record AS (INSERT INTO {m} ({record_columns}) SELECT * FROM (VALUES {record_rows}) AS v WHERE EXISTS (SELECT 1 FROM fence) \
             ON CONFLICT (version) DO UPDATE SET {updates} RETURNING 1) \
             INSERT INTO {h} ({history_columns}) SELECT * FROM (VALUES {history_rows}) AS v WHERE EXISTS (SELECT 1 FROM record)",
            m = self.names.migrations,
            h = self.names.history,
            record_columns = columns.records(),
            history_columns = columns.history(),
            updates = columns.record_updates(),
            record_rows = value_rows(1, columns.record_width(), records.len()),
            history_rows =
                value_rows(records.len() * columns.record_width() + 1, columns.history_width(), history.len()),
        );
        let query = records.iter().fold(sqlx::query(AssertSqlSafe(sql)), |q, r| columns.bind_record(q, r));
        let query = history.iter().fold(query, |q, h| columns.bind_history(q, h));
        let query = match fence {
            Some((owner, ttl)) => query.bind(ttl.as_millis() as i64).bind(owner.to_owned()),
            None => query,
        };
        let done = query.execute(conn).await.map_err(db_error("recording the migration"))?;
        Ok(done.rows_affected() == history.len() as u64)
    }

    /// Extends the lease if `owner` holds it.
    pub async fn renew_lease(&self, conn: &mut AnyConnection, owner: &str, ttl: Duration) -> Result<bool, sqlx::Error> {
        let now = self.dialect.now_millis();
        let sql = self.dialect.sql(&format!(
            "UPDATE {} SET heartbeat_at = {now}, expires_at = {now} + $1 WHERE id = $2 AND owner = $3",
            self.names.lock
        ));
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(ttl.as_millis() as i64)
            .bind(LEASE_ID)
            .bind(owner)
            .execute(conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Inserts or replaces the record of one version.
    pub async fn upsert(&self, conn: &mut AnyConnection, record: &MigrationRecord) -> Result<()> {
        self.upsert_all(conn, std::slice::from_ref(record)).await
    }

    /// Inserts or replaces records, in one statement.
    async fn upsert_all(&self, conn: &mut AnyConnection, records: &[MigrationRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let columns = self.columns_for(conn, records.iter().map(|r| &r.version)).await?;
        let sql = self.dialect.sql(&format!(
            "INSERT INTO {} ({}) VALUES {} ON CONFLICT (version) DO UPDATE SET {}",
            self.names.migrations,
            columns.records(),
            value_rows(1, columns.record_width(), records.len()),
            columns.record_updates()
        ));
        records
            .iter()
            .fold(sqlx::query(AssertSqlSafe(sql)), |q, r| columns.bind_record(q, r))
            .execute(conn)
            .await
            .map_err(db_error("recording the migration"))?;
        Ok(())
    }

    /// Appends one history entry.
    pub async fn append(&self, conn: &mut AnyConnection, entry: &HistoryEntry) -> Result<()> {
        self.append_all(conn, std::slice::from_ref(entry)).await
    }

    /// Appends history entries, in one statement.
    async fn append_all(&self, conn: &mut AnyConnection, entries: &[HistoryEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let columns = self.columns_for(conn, entries.iter().map(|e| &e.version)).await?;
        let sql = self.dialect.sql(&format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.names.history,
            columns.history(),
            value_rows(1, columns.history_width(), entries.len())
        ));
        entries
            .iter()
            .fold(sqlx::query(AssertSqlSafe(sql)), |q, e| columns.bind_history(q, e))
            .execute(conn)
            .await
            .map_err(db_error("recording the history"))?;
        Ok(())
    }
}

/// `'text'` as an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Parameters per record and per history entry (the columns of each).
const RECORD_WIDTH: usize = 19;
const HISTORY_WIDTH: usize = 12;

/// Rows per statement when a group is recorded: PostgreSQL takes at most 65,535 parameters in one
/// statement and SQLite 32,766; 500 records and their history entries stay well below both.
pub const ROWS_PER_STATEMENT: usize = 500;

type AnyQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// `($first, …), (…)`: `rows` rows of `width` numbered parameters.
fn value_rows(first: usize, width: usize, rows: usize) -> String {
    (0..rows)
        .map(|row| {
            let start = first + row * width;
            let numbers: Vec<String> = (start..start + width).map(|i| format!("${i}")).collect();
            format!("({})", numbers.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Changelog {
    /// The columns rows with these keys are written with: `version_text` too when one of them
    /// needs it (the caller added the column beforehand; see [`crate::version_text`]).
    async fn columns_for<'v>(
        &self,
        conn: &mut AnyConnection,
        mut versions: impl Iterator<Item = &'v Version>,
    ) -> Result<Columns> {
        if !versions.any(|v| v.stored_text().is_some()) {
            return Ok(Columns { text: false });
        }
        if !self.has_text_column(conn).await? {
            return Err(Error::database(format!(
                "the changelog tables {} and {} have no {TEXT_COLUMN} column for a version that is not a whole number",
                self.names.migrations, self.names.history
            )));
        }
        Ok(Columns { text: true })
    }
}

/// The columns a write names: with or without `version_text`.
struct Columns {
    text: bool,
}

impl Columns {
    fn records(&self) -> String {
        if self.text { format!("{RECORD_COLUMNS}, {TEXT_COLUMN}") } else { RECORD_COLUMNS.to_owned() }
    }

    fn history(&self) -> String {
        if self.text { format!("{HISTORY_COLUMNS}, {TEXT_COLUMN}") } else { HISTORY_COLUMNS.to_owned() }
    }

    fn record_width(&self) -> usize {
        RECORD_WIDTH + usize::from(self.text)
    }

    fn history_width(&self) -> usize {
        HISTORY_WIDTH + usize::from(self.text)
    }

    /// `col = excluded.col` for every column an upsert replaces.
    fn record_updates(&self) -> String {
        self.records()
            .split(", ")
            .filter(|c| !matches!(*c, "version" | "created_at"))
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Binds a record's columns in [`Columns::records`] order.
    fn bind_record(&self, query: AnyQuery, record: &MigrationRecord) -> AnyQuery {
        let query = bind_record(query, record);
        if self.text { query.bind(record.version.stored_text()) } else { query }
    }

    /// Binds a history entry's columns in [`Columns::history`] order.
    fn bind_history(&self, query: AnyQuery, entry: &HistoryEntry) -> AnyQuery {
        let query = bind_history(query, entry);
        if self.text { query.bind(entry.version.stored_text()) } else { query }
    }
}

/// The columns a read selects: `version_text`, or `NULL` in its place where the tables lack it.
pub(crate) fn record_select(text: bool) -> String {
    format!("{RECORD_COLUMNS}, {}", if text { TEXT_COLUMN } else { "NULL AS version_text" })
}

/// Binds a record's `RECORD_WIDTH` columns in `RECORD_COLUMNS` order.
fn bind_record(query: AnyQuery, record: &MigrationRecord) -> AnyQuery {
    query
        .bind(record.version.storage_id())
        .bind(record.name.clone())
        .bind(record.description.clone())
        .bind(record.status.as_str())
        .bind(record.applied_at.clone())
        .bind(record.rolled_back_at.clone())
        .bind(record.execution_time)
        .bind(record.error.clone())
        .bind(record.partial)
        .bind(record.reversible)
        .bind(record.checksum.clone())
        .bind(record.batch)
        .bind(record.applied_by.host.clone())
        .bind(record.applied_by.user.clone())
        .bind(record.applied_by.pid)
        .bind(record.checkpoint.clone())
        .bind(record.metadata.clone())
        .bind(record.created_at.clone())
        .bind(record.updated_at.clone())
}

/// Binds a history entry's `HISTORY_WIDTH` columns in `HISTORY_COLUMNS` order.
fn bind_history(query: AnyQuery, entry: &HistoryEntry) -> AnyQuery {
    query
        .bind(entry.version.storage_id())
        .bind(entry.name.clone())
        .bind(entry.action.as_str())
        .bind(entry.status.as_str())
        .bind(entry.at.clone())
        .bind(entry.execution_time)
        .bind(entry.error.clone())
        .bind(entry.checksum.clone())
        .bind(entry.batch)
        .bind(entry.applied_by.host.clone())
        .bind(entry.applied_by.user.clone())
        .bind(entry.applied_by.pid)
}

/// Whether `table` can be read (the portable test for existence).
pub async fn table_exists(conn: &mut AnyConnection, table: &str) -> bool {
    let probe = format!("SELECT 1 FROM {table} WHERE 1 = 0");
    sqlx::query(AssertSqlSafe(probe.as_str())).fetch_optional(conn).await.is_ok()
}

/// Booleans come back as booleans from PostgreSQL and as integers from SQLite.
pub fn get_bool(row: &AnyRow, column: &str) -> Result<bool> {
    if let Ok(value) = row.try_get::<bool, _>(column) {
        return Ok(value);
    }
    row.try_get::<i64, _>(column).map(|v| v != 0).map_err(db_error("reading a boolean column"))
}

fn parse_field<T: std::str::FromStr<Err = String>>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column).map_err(db_error("reading the changelog"))?;
    text.parse().map_err(|why| Error::database(format!("changelog column {column}: {why}")))
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(row: &'r AnyRow, column: &str) -> Result<T> {
    row.try_get(column).map_err(|e| Error::database(format!("reading changelog column {column}: {}", describe(&e))))
}

fn applied_by(row: &AnyRow) -> Result<AppliedBy> {
    Ok(AppliedBy {
        host: get::<Option<String>>(row, "applied_by_host")?.unwrap_or_default(),
        user: get::<Option<String>>(row, "applied_by_user")?.unwrap_or_default(),
        pid: get::<Option<i64>>(row, "applied_by_pid")?.unwrap_or_default(),
    })
}

/// A key as stored: the `version` number and the `version_text` beside it.
fn version_of(row: &AnyRow) -> Result<Version> {
    let id: i64 = get(row, "version")?;
    let text: Option<String> = get(row, TEXT_COLUMN)?;
    Version::from_storage(id, text.as_deref())
        .map_err(|why| Error::database(format!("changelog column version: {why}")))
}

pub(crate) fn record_from_row(row: &AnyRow) -> Result<MigrationRecord> {
    Ok(MigrationRecord {
        version: version_of(row)?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        status: parse_field(row, "status")?,
        applied_at: get(row, "applied_at")?,
        rolled_back_at: get(row, "rolled_back_at")?,
        execution_time: get(row, "execution_time")?,
        error: get(row, "error")?,
        partial: get_bool(row, "partial")?,
        reversible: get_bool(row, "reversible")?,
        checksum: get(row, "checksum")?,
        batch: get(row, "batch")?,
        applied_by: applied_by(row)?,
        checkpoint: get(row, "checkpoint")?,
        metadata: get(row, "metadata")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

fn history_from_row(row: &AnyRow) -> Result<HistoryEntry> {
    Ok(HistoryEntry {
        id: get(row, "id")?,
        version: version_of(row)?,
        name: get(row, "name")?,
        action: parse_field(row, "action")?,
        status: parse_field(row, "status")?,
        at: get(row, "at")?,
        execution_time: get(row, "execution_time")?,
        error: get(row, "error")?,
        checksum: get(row, "checksum")?,
        batch: get(row, "batch")?,
        applied_by: applied_by(row)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_error_keeps_sqlx_error_as_its_source() {
        let error = db_error("reading the changelog")(sqlx::Error::RowNotFound);
        assert!(error.message.starts_with("reading the changelog: "), "{}", error.message);
        let source = std::error::Error::source(&error).expect("the sqlx error is kept");
        assert!(source.downcast_ref::<sqlx::Error>().is_some());
    }
}
