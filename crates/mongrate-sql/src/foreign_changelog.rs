//! Other SQL migration tools' own tables, read for `mongrate import`: golang-migrate's
//! `schema_migrations(version, dirty)`, sqlx's `_sqlx_migrations`, dbmate's
//! `schema_migrations(version)`, Flyway's `flyway_schema_history` and diesel's
//! `__diesel_schema_migrations`. Only read: mongrate never alters or drops them, so migrations
//! that use them go on working.

use std::collections::BTreeMap;
use std::fmt;

use mongrate_core::import::{ForeignChangelog, ForeignChecksum, ForeignEntry, RecordedName, UpTo};
use mongrate_core::name_shape::diesel_version;
use mongrate_core::timestamp::rfc3339_millis;
use mongrate_core::{Error, Result, Version};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::changelog::{db_error, get_bool, table_exists};
use crate::dialect::Dialect;

/// A SQL migration tool whose changelog mongrate imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignTool {
    GolangMigrate,
    Sqlx,
    Dbmate,
    Flyway,
    Diesel,
}

impl ForeignTool {
    /// The table the tool keeps unless told otherwise.
    pub fn default_table(self) -> &'static str {
        match self {
            ForeignTool::GolangMigrate | ForeignTool::Dbmate => "schema_migrations",
            ForeignTool::Sqlx => "_sqlx_migrations",
            ForeignTool::Flyway => "flyway_schema_history",
            ForeignTool::Diesel => "__diesel_schema_migrations",
        }
    }

    /// How the tool is told to use another table, for the message when the table is missing.
    fn other_table_option(self) -> &'static str {
        match self {
            ForeignTool::GolangMigrate => "its URL's x-migrations-table",
            ForeignTool::Dbmate => "its --migrations-table",
            ForeignTool::Sqlx => "its migrate.table-name in sqlx.toml",
            ForeignTool::Flyway => "its flyway.table",
            ForeignTool::Diesel => "a patched diesel",
        }
    }
}

impl fmt::Display for ForeignTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForeignTool::GolangMigrate => "golang-migrate",
            ForeignTool::Sqlx => "sqlx",
            ForeignTool::Dbmate => "dbmate",
            ForeignTool::Flyway => "Flyway",
            ForeignTool::Diesel => "diesel",
        })
    }
}

/// Reads `tool`'s changelog from `table`.
pub async fn read(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tool: ForeignTool,
    table: &str,
) -> Result<ForeignChangelog> {
    if !mongrate_core::naming::is_plain_identifier(table) {
        return Err(Error::config(format!(
            "`{table}` is not a table name mongrate reads: letters, digits and underscores, optionally schema.table"
        )));
    }
    if !table_exists(conn, table).await {
        return Err(Error::config(format!(
            "the database has no table `{table}`: {tool} has not run here, or it keeps its changelog in another \
             table ({}): pass that table with --table",
            tool.other_table_option()
        )));
    }
    let reader = Reader { dialect, tool, table };
    match tool {
        ForeignTool::GolangMigrate => reader.golang_migrate(conn).await,
        ForeignTool::Sqlx => reader.sqlx(conn).await,
        ForeignTool::Dbmate => reader.dbmate(conn).await,
        ForeignTool::Flyway => reader.flyway(conn).await,
        ForeignTool::Diesel => reader.diesel(conn).await,
    }
}

struct Reader<'a> {
    dialect: Dialect,
    tool: ForeignTool,
    table: &'a str,
}

impl Reader<'_> {
    /// The table's rows, after checking it has the tool's columns.
    async fn rows(&self, conn: &mut AnyConnection, columns: &[&str], select: &str, order: &str) -> Result<Vec<AnyRow>> {
        let table = self.table;
        for column in columns {
            let probe = format!("SELECT {column} FROM {table} WHERE 1 = 0");
            if sqlx::query(AssertSqlSafe(probe)).fetch_optional(&mut *conn).await.is_err() {
                return Err(Error::validation(format!(
                    "`{table}` has no column `{column}`: it is not {}'s changelog{}",
                    self.tool,
                    self.whose_it_may_be()
                )));
            }
        }
        let sql = format!("SELECT {select} FROM {table} ORDER BY {order}");
        let doing = format!("reading {}'s `{table}`", self.tool);
        sqlx::query(AssertSqlSafe(sql)).fetch_all(conn).await.map_err(db_error(&doing))
    }

    /// golang-migrate and dbmate both call their table `schema_migrations`.
    fn whose_it_may_be(&self) -> &'static str {
        match self.tool {
            ForeignTool::GolangMigrate => {
                " (dbmate's table has the same name and only a version: `mongrate import dbmate`)"
            }
            _ => "",
        }
    }

    /// An expression giving `column`, a timestamp, in Unix milliseconds (a naive timestamp is
    /// taken as UTC).
    fn millis(&self, column: &str) -> String {
        match self.dialect {
            Dialect::Postgres => format!("CAST(ROUND(EXTRACT(EPOCH FROM {column}) * 1000) AS BIGINT)"),
            Dialect::Sqlite => format!("CAST(ROUND((julianday({column}) - 2440587.5) * 86400000.0) AS INTEGER)"),
        }
    }

    /// golang-migrate keeps one row, its current version: everything at or below it is applied;
    /// `dirty` says that version's migration failed or was interrupted.
    async fn golang_migrate(&self, conn: &mut AnyConnection) -> Result<ForeignChangelog> {
        let select = "CAST(version AS BIGINT) AS version, CAST(CASE WHEN dirty THEN 1 ELSE 0 END AS BIGINT) AS dirty";
        let rows = self.rows(conn, &["version", "dirty"], select, "version").await?;
        let (row, rest) = match rows.split_first() {
            None => return Ok(ForeignChangelog::default()),
            Some(split) => split,
        };
        if !rest.is_empty() {
            return Err(Error::validation(format!(
                "`{}` holds {} rows; golang-migrate keeps one (its current version): it is not golang-migrate's \
                 changelog, or it was edited by hand",
                self.table,
                rows.len()
            )));
        }
        let version: i64 = get(row, "version")?;
        let failed = get_bool(row, "dirty")?
            .then(|| "golang-migrate left it dirty (its migration failed or was interrupted)".to_owned());
        Ok(ForeignChangelog {
            up_to: Some(UpTo { version: version.to_string(), failed }),
            ..ForeignChangelog::default()
        })
    }

    /// sqlx: one row per migration, its SHA-384 checksum, and `success` false for one that
    /// failed part way (older sqlx wrote the row before running it).
    async fn sqlx(&self, conn: &mut AnyConnection) -> Result<ForeignChangelog> {
        let hex = match self.dialect {
            Dialect::Postgres => "encode(checksum, 'hex')",
            Dialect::Sqlite => "hex(checksum)",
        };
        let select = format!(
            "CAST(version AS BIGINT) AS version, description, \
             CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT) AS success, {hex} AS checksum, {} AS applied",
            self.millis("installed_on")
        );
        let columns = ["version", "description", "success", "checksum", "installed_on"];
        let rows = self.rows(conn, &columns, &select, "1").await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let version: i64 = get(row, "version")?;
            let success = get_bool(row, "success")?;
            entries.push(ForeignEntry {
                version: Some(version.to_string()),
                recorded: get::<Option<String>>(row, "description")?.map(RecordedName::Description),
                applied_at: applied_at(row)?,
                block: None,
                checksum: get::<Option<String>>(row, "checksum")?.map(ForeignChecksum::Sha384Hex),
                failed: (!success).then(|| "sqlx recorded it as not successful (it failed part way)".to_owned()),
            });
        }
        Ok(ForeignChangelog::of_entries(entries))
    }

    /// dbmate: one row per applied migration, the version only.
    async fn dbmate(&self, conn: &mut AnyConnection) -> Result<ForeignChangelog> {
        if self.has_column(conn, "dirty").await {
            return Err(Error::validation(format!(
                "`{}` has a `dirty` column: it is golang-migrate's changelog, not dbmate's (`mongrate import golang-migrate`)",
                self.table
            )));
        }
        let rows = self.rows(conn, &["version"], "CAST(version AS TEXT) AS version", "1").await?;
        let mut versions: Vec<String> = rows.iter().map(|row| get(row, "version")).collect::<Result<_>>()?;
        versions.sort_by(|a, b| numeric_order(a, b));
        Ok(ForeignChangelog::of_entries(versions.into_iter().map(ForeignEntry::applied).collect()))
    }

    /// diesel: one row per applied migration, its version (the folder's date and time, digits
    /// only) and when it ran.
    async fn diesel(&self, conn: &mut AnyConnection) -> Result<ForeignChangelog> {
        let select = format!("CAST(version AS TEXT) AS version, {} AS applied", self.millis("run_on"));
        let rows = self.rows(conn, &["version", "run_on"], &select, "1").await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            // Read as mongrate reads the folder names (diesel 2.3's counter as a second part).
            let recorded: String = get(row, "version")?;
            let version = diesel_version(&recorded).map_or(recorded, |version| version.to_string());
            entries.push(ForeignEntry { applied_at: applied_at(row)?, ..ForeignEntry::applied(version) });
        }
        entries.sort_by(|a, b| numeric_order(a.version.as_deref().unwrap_or(""), b.version.as_deref().unwrap_or("")));
        Ok(ForeignChangelog::of_entries(entries))
    }

    /// Flyway: one row per run, in `installed_rank` order. Versioned rows are migrations (the
    /// last row of a version wins), with Flyway's CRC-32 and `success`; a baseline row stands for
    /// every version up to its own; a schema-creation row is Flyway's own; a delete or undo row
    /// takes its version back; rows without a version are repeatable migrations, keyed `R__<name>` as
    /// mongrate keys them (the last run of each counts).
    async fn flyway(&self, conn: &mut AnyConnection) -> Result<ForeignChangelog> {
        let select = format!(
            "CAST(installed_rank AS BIGINT) AS installed_rank, CAST(version AS TEXT) AS version, description, \
             type, script, CAST(checksum AS BIGINT) AS checksum, \
             CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT) AS success, {} AS applied",
            self.millis("installed_on")
        );
        let columns =
            ["installed_rank", "version", "description", "type", "script", "checksum", "success", "installed_on"];
        let rows = self.rows(conn, &columns, &select, "1").await?;
        let mut changelog = ForeignChangelog::default();
        // Each version's entry, keyed by the rank of its first row, so they stay in Flyway's order.
        let mut by_first_rank: BTreeMap<i64, ForeignEntry> = BTreeMap::new();
        let mut first_rank: BTreeMap<String, i64> = BTreeMap::new();
        for row in &rows {
            let rank: i64 = get(row, "installed_rank")?;
            let kind: String = get(row, "type")?;
            let script: String = get(row, "script")?;
            let success = get_bool(row, "success")?;
            let file = script.rsplit('/').next().unwrap_or(&script).to_owned();
            let version = match get::<Option<String>>(row, "version")? {
                Some(version) => version,
                // A repeatable SQL migration: keyed by its file name, as mongrate keys Flyway's
                // `R__` files, so the last run of each comes in with its checksum.
                None if kind == "SQL" && repeatable_key(&file).is_some() => repeatable_key(&file).unwrap_or_default(),
                None => {
                    if kind != "DELETE" {
                        changelog.not_taken.push(format!(
                            "{script}: a {kind} repeatable migration, which mongrate does not run; not imported"
                        ));
                    }
                    continue;
                }
            };
            match kind.as_str() {
                "SCHEMA" => continue,
                "BASELINE" => {
                    changelog.up_to = Some(UpTo { version, failed: None });
                    continue;
                }
                "DELETE" => {
                    if let Some(rank) = first_rank.remove(&version) {
                        by_first_rank.remove(&rank);
                    }
                    continue;
                }
                undo if undo.starts_with("UNDO") => {
                    if success && let Some(rank) = first_rank.remove(&version) {
                        by_first_rank.remove(&rank);
                    }
                    continue;
                }
                _ => {}
            }
            let entry = ForeignEntry {
                version: Some(version.clone()),
                recorded: Some(RecordedName::File(file)),
                applied_at: applied_at(row)?,
                block: None,
                checksum: get::<Option<i64>>(row, "checksum")?
                    .and_then(|crc| i32::try_from(crc).ok())
                    .map(ForeignChecksum::FlywayCrc32),
                failed: (!success).then(|| "Flyway recorded it as failed".to_owned()),
            };
            let rank = *first_rank.entry(version).or_insert(rank);
            by_first_rank.insert(rank, entry);
        }
        changelog.entries = by_first_rank.into_values().collect();
        Ok(changelog)
    }

    async fn has_column(&self, conn: &mut AnyConnection, column: &str) -> bool {
        let probe = format!("SELECT {column} FROM {} WHERE 1 = 0", self.table);
        sqlx::query(AssertSqlSafe(probe)).fetch_optional(conn).await.is_ok()
    }
}

/// The key mongrate gives a Flyway repeatable script (`R__views.sql` → `R__views`).
fn repeatable_key(file: &str) -> Option<String> {
    let stem = file.strip_suffix(".sql")?;
    (stem.len() > 3 && stem.starts_with("R__")).then(|| stem.to_owned())
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(row: &'r AnyRow, column: &str) -> Result<T> {
    row.try_get(column).map_err(db_error(&format!("reading column {column} of the other tool's changelog")))
}

fn applied_at(row: &AnyRow) -> Result<Option<String>> {
    Ok(get::<Option<i64>>(row, "applied")?.map(rfc3339_millis))
}

/// Versions kept as text, in the order of mongrate's [`Version`]: part by part as numbers (`9`
/// before `10`, Flyway's `1.2` before `1.10` before `2`). Text that is no version sorts after
/// every version, as text.
fn numeric_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (Version::parse(a), Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_versions_order_as_numbers() {
        let mut versions = vec!["10", "9", "20240101120000", "0002"];
        versions.sort_by(|a, b| numeric_order(a, b));
        assert_eq!(versions, ["0002", "9", "10", "20240101120000"]);
    }

    #[test]
    fn flyway_dotted_versions_order_part_by_part() {
        let mut versions = vec!["2024.01.15.1", "2", "1.10", "1.2", "1", "1.1", "not a version", "R__views"];
        versions.sort_by(|a, b| numeric_order(a, b));
        // A repeatable's key sorts after every version, text that is none after that.
        assert_eq!(versions, ["1", "1.1", "1.2", "1.10", "2", "2024.01.15.1", "R__views", "not a version"]);
        // `1.0` is `1`: neither comes first.
        assert_eq!(numeric_order("1.0", "1"), std::cmp::Ordering::Equal);
    }
}
