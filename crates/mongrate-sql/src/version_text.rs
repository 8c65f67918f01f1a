//! Keys that are not whole numbers in the SQL changelog: dotted versions (`1.2`, Flyway's) and
//! repeatable migrations (`R__views`).
//!
//! The `version` column stays a `BIGINT` and a whole-number version is stored in it exactly as it
//! always was. Any other key is stored as its text in a `version_text` column, beside a fixed
//! negative number derived from it in `version` (see `mongrate_core::version`). Tables created
//! since have the column; older ones get it (`ALTER TABLE … ADD COLUMN`, outside any transaction)
//! the first time a run records such a key, so a database that only ever sees whole numbers is
//! never changed. Reads look for the column and read `NULL` where it is absent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mongrate_core::Result;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::changelog::{Changelog, db_error, get_bool, literal};
use crate::dialect::Dialect;

/// The column's name.
pub const COLUMN: &str = "version_text";

/// Whether the column is known to be in both tables (it never goes away once there).
#[derive(Debug, Clone, Default)]
pub struct TextColumn(Arc<AtomicBool>);

impl Changelog {
    /// Whether the changelog and history tables have `version_text`.
    pub async fn has_text_column(&self, conn: &mut AnyConnection) -> Result<bool> {
        if self.text_column.0.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let sql = format!("SELECT ({}) AS present", self.text_column_expression());
        let row = sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_one(conn)
            .await
            .map_err(db_error("looking for the version_text column"))?;
        let present = get_bool(&row, "present")?;
        self.text_column.0.store(present, Ordering::Relaxed);
        Ok(present)
    }

    /// A boolean SQL expression: whether both tables have the column.
    pub fn text_column_expression(&self) -> String {
        let tables = [&self.names.migrations, &self.names.history];
        match self.dialect {
            Dialect::Postgres => tables
                .iter()
                .map(|table| {
                    format!(
                        "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = '{COLUMN}' AND NOT attisdropped)",
                        literal(table)
                    )
                })
                .collect::<Vec<_>>()
                .join(" AND "),
            Dialect::Sqlite => {
                let counts: Vec<String> = tables
                    .iter()
                    .map(|table| {
                        let source = match table.split_once('.') {
                            Some((schema, bare)) => format!("pragma_table_info({}, {})", literal(bare), literal(schema)),
                            None => format!("pragma_table_info({})", literal(table)),
                        };
                        format!("(SELECT count(*) FROM {source} WHERE name = '{COLUMN}')")
                    })
                    .collect();
                format!("{} = 2", counts.join(" + "))
            }
        }
    }

    /// Adds the column to tables made before it existed. Called outside any transaction (a
    /// rolled-back transaction would take the column with it while this process thinks it there).
    pub async fn add_text_column(&self, conn: &mut AnyConnection) -> Result<()> {
        if self.has_text_column(conn).await? {
            return Ok(());
        }
        for table in [&self.names.migrations, &self.names.history] {
            let sql = match self.dialect {
                Dialect::Postgres => format!("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {COLUMN} TEXT"),
                Dialect::Sqlite => format!("ALTER TABLE {table} ADD COLUMN {COLUMN} TEXT"),
            };
            if let Err(error) = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await {
                // Another runner added it a moment ago (SQLite has no IF NOT EXISTS here).
                if !error.to_string().contains("duplicate column") {
                    return Err(db_error("adding the version_text column to the changelog")(error));
                }
            }
        }
        self.text_column.0.store(true, Ordering::Relaxed);
        Ok(())
    }
}
