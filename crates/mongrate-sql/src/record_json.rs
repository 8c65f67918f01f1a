//! Reading the whole changelog as one JSON value (SQLite).
//!
//! On SQLite `status` over a thousand migrations spent most of its time receiving a thousand rows
//! of nineteen columns one by one from sqlx's worker thread; the database aggregates them into one
//! JSON document instead, which arrives as a single value and is parsed in one go.

use mongrate_core::host::AppliedBy;
use mongrate_core::record::MigrationRecord;
use mongrate_core::{Error, Result, Version};
use serde::Deserialize;

/// The SQLite query that returns every record of `table`, ordered by version, as one JSON text:
/// an array per record, its values in the order of `columns` (no key names to build and parse).
pub fn records_query(table: &str, columns: &str) -> String {
    format!("SELECT json_group_array(json_array({columns})) AS records FROM (SELECT * FROM {table} ORDER BY version)")
}

/// One record as the database spelled it, its fields in the order of the query's columns.
#[derive(Deserialize)]
struct RecordJson {
    version: i64,
    name: String,
    description: Option<String>,
    status: String,
    applied_at: Option<String>,
    rolled_back_at: Option<String>,
    execution_time: Option<i64>,
    error: Option<String>,
    /// SQLite booleans are integers.
    partial: i64,
    reversible: i64,
    checksum: String,
    batch: i64,
    applied_by_host: Option<String>,
    applied_by_user: Option<String>,
    applied_by_pid: Option<i64>,
    checkpoint: Option<String>,
    metadata: Option<String>,
    created_at: String,
    updated_at: String,
    /// The key as text, where it is not a whole number (see [`crate::version_text`]).
    version_text: Option<String>,
}

/// Parses the aggregated records.
pub fn parse_records(json: &str) -> Result<Vec<MigrationRecord>> {
    let rows: Vec<RecordJson> =
        serde_json::from_str(json).map_err(|e| Error::database(format!("reading the changelog: {e}")))?;
    rows.into_iter()
        .map(|row| {
            let version = Version::from_storage(row.version, row.version_text.as_deref())
                .map_err(|why| Error::database(format!("changelog column version: {why}")))?;
            Ok(MigrationRecord {
                version,
                name: row.name,
                description: row.description,
                status: row.status.parse().map_err(|why| Error::database(format!("changelog column status: {why}")))?,
                applied_at: row.applied_at,
                rolled_back_at: row.rolled_back_at,
                execution_time: row.execution_time,
                error: row.error,
                partial: row.partial != 0,
                reversible: row.reversible != 0,
                checksum: row.checksum,
                batch: row.batch,
                applied_by: AppliedBy {
                    host: row.applied_by_host.unwrap_or_default(),
                    user: row.applied_by_user.unwrap_or_default(),
                    pid: row.applied_by_pid.unwrap_or_default(),
                },
                checkpoint: row.checkpoint,
                metadata: row.metadata,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect()
}
