//! Backups of PostgreSQL tables: `CREATE TABLE … (LIKE … INCLUDING ALL)` and `INSERT … SELECT`,
//! restored the same way, recorded in `mongrate_backups`.
//!
//! `LIKE` copies columns, defaults, identity, generated columns, CHECK and NOT NULL constraints,
//! comments and indexes, but names the copied indexes after the new table and shares the
//! source's serial sequences. So a backup also records how to rebuild the source's indexes,
//! PRIMARY KEY/UNIQUE/EXCLUDE constraints and foreign keys under their own names, and its serial
//! defaults with their sequences' state; the backup table itself keeps no default that depends on
//! the source (a migration can then drop the source). A restore into the backed-up table puts all
//! of that back; a restore `--to` another table copies the rows, columns and constraints with
//! names PostgreSQL gives. Triggers, policies and grants are not copied.

use mongrate_core::backup::{
    BackupInfo, BackupMethod, BackupPolicy, PlannedBackup, RestoreAfterFailure, RestoreReport, backup_name,
    beyond_retention, hand_restore_entry, unknown_backup,
};
use mongrate_core::execution::{StepExecution, StepFailure};
use mongrate_core::timestamp::{now_millis, now_rfc3339, rfc3339_millis};
use mongrate_core::{Error, Result, Version};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};

use crate::changelog::{db_error, literal};

/// PostgreSQL cuts identifiers at 63 bytes.
const LONGEST_NAME: usize = 63;

/// What a restore into the backed-up table needs beyond `LIKE`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Rebuild {
    /// `ALTER TABLE {table} ADD CONSTRAINT …` and `CREATE INDEX …`, `{table}` standing for the table.
    indexes: Vec<String>,
    /// `ALTER TABLE {table} ADD CONSTRAINT … FOREIGN KEY …`.
    foreign_keys: Vec<String>,
    /// Serial columns: their default and sequence.
    serials: Vec<Serial>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Serial {
    column: String,
    default: String,
    sequence: String,
    /// `CREATE SEQUENCE IF NOT EXISTS {sequence} …` with the sequence's options.
    create: String,
    last_value: i64,
    is_called: bool,
}

/// The backups of one PostgreSQL database.
pub struct SqlBackups<'a> {
    pub records: &'a str,
    pub policy: &'a BackupPolicy,
}

/// A table name as mongrate accepts it: `table` or `schema.table`, plain identifiers.
pub fn check_table(name: &str) -> Result<()> {
    if mongrate_core::naming::is_plain_identifier(name) {
        Ok(())
    } else {
        Err(Error::config(format!(
            "'{name}' is not a table name mongrate backs up: letters, digits and underscores (optionally schema.table)"
        )))
    }
}

/// `"name"`.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn exists(conn: &mut AnyConnection, table: &str) -> Result<bool> {
    let sql = format!("SELECT to_regclass({}) IS NOT NULL AS found", literal(table));
    let row = sqlx::query(AssertSqlSafe(sql)).fetch_one(conn).await.map_err(db_error("looking up a table"))?;
    row.try_get::<bool, _>("found").map_err(db_error("looking up a table"))
}

/// The columns that take values (not generated), quoted, in order.
async fn value_columns(conn: &mut AnyConnection, table: &str) -> Result<String> {
    let sql = format!(
        "SELECT attname::text AS name FROM pg_attribute WHERE attrelid = {}::regclass AND attnum > 0 \
         AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        literal(table)
    );
    let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(conn).await.map_err(db_error("reading the columns"))?;
    let names: Vec<String> =
        rows.iter().filter_map(|r| r.try_get::<String, _>("name").ok()).map(|n| quoted(&n)).collect();
    Ok(names.join(", "))
}

async fn run(conn: &mut AnyConnection, sql: String, doing: &str) -> Result<u64> {
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(conn).await.map(|done| done.rows_affected()).map_err(db_error(doing))
}

impl SqlBackups<'_> {
    /// Creates the records table if missing.
    async fn ensure(&self, conn: &mut AnyConnection) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (name TEXT PRIMARY KEY, source TEXT NOT NULL, version TEXT, migration TEXT, \
             created_at TEXT NOT NULL, row_count BIGINT NOT NULL, size_bytes BIGINT, method TEXT NOT NULL, \
             rebuild TEXT, restored_at TEXT)",
            self.records
        );
        run(conn, sql, "creating the backups table").await.map(drop)
    }

    /// Every recorded backup, oldest first.
    pub async fn list(&self, conn: &mut AnyConnection) -> Result<Vec<BackupInfo>> {
        if !exists(conn, self.records).await? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT name, source, version, migration, created_at, row_count, size_bytes, method, restored_at FROM {} \
             ORDER BY created_at, name",
            self.records
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(conn).await.map_err(db_error("reading the backups"))?;
        rows.iter().map(info_of).collect()
    }

    async fn find(&self, conn: &mut AnyConnection, name: &str) -> Result<(BackupInfo, Rebuild)> {
        if !exists(conn, self.records).await? {
            return Err(unknown_backup(name));
        }
        let sql = format!(
            "SELECT name, source, version, migration, created_at, row_count, size_bytes, method, restored_at, rebuild \
             FROM {} WHERE name = $1",
            self.records
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(conn)
            .await
            .map_err(db_error("reading the backups"))?
            .ok_or_else(|| unknown_backup(name))?;
        let rebuild = row
            .try_get::<Option<String>, _>("rebuild")
            .ok()
            .flatten()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        Ok((info_of(&row)?, rebuild))
    }

    /// What a dry-run says of backing up `table`.
    pub async fn plan(&self, conn: &mut AnyConnection, table: &str) -> Result<PlannedBackup> {
        check_table(table)?;
        if !exists(conn, table).await? {
            return Ok(PlannedBackup { collection: table.to_owned(), exists: false, documents: 0, size_bytes: None });
        }
        let sql = format!("SELECT count(*) AS n, pg_table_size({}::regclass) AS size FROM {table}", literal(table));
        let row = sqlx::query(AssertSqlSafe(sql)).fetch_one(conn).await.map_err(db_error("measuring a table"))?;
        let number = |key: &str| row.try_get::<i64, _>(key).ok().and_then(|n| u64::try_from(n).ok());
        Ok(PlannedBackup {
            collection: table.to_owned(),
            exists: true,
            documents: number("n").unwrap_or(0),
            size_bytes: number("size"),
        })
    }

    /// Backs up `table` in one transaction. For a migration (`step`) a table that does not exist
    /// is recorded as absent (a restore drops it); by hand that is an error.
    pub async fn take(
        &self,
        conn: &mut AnyConnection,
        table: &str,
        step: Option<(&Version, &str)>,
    ) -> Result<BackupInfo> {
        check_table(table)?;
        self.ensure(conn).await?;
        let mut tx = conn.begin().await.map_err(db_error("starting a backup"))?;
        let millis = now_millis();
        let (schema, bare) = match table.split_once('.') {
            Some((schema, bare)) => (format!("{schema}."), bare),
            None => (String::new(), table),
        };
        let mut name = format!("{schema}{}", backup_name(bare, millis, LONGEST_NAME));
        let mut next = millis;
        while exists(&mut tx, &name).await? {
            next += 1;
            name = format!("{schema}{}", backup_name(bare, next, LONGEST_NAME));
        }
        let (method, rows, size, rebuild) = if exists(&mut tx, table).await? {
            let rebuild = read_rebuild(&mut tx, table).await?;
            let doing = format!("backing up {table}");
            run(&mut tx, format!("CREATE TABLE {name} (LIKE {table} INCLUDING ALL)"), &doing).await?;
            // The copy must not hold on to the source's sequences: a migration may drop the source.
            for serial in &rebuild.serials {
                let drop_default = format!("ALTER TABLE {name} ALTER COLUMN {} DROP DEFAULT", quoted(&serial.column));
                run(&mut tx, drop_default, &doing).await?;
            }
            let columns = value_columns(&mut tx, table).await?;
            let copy = format!("INSERT INTO {name} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {table}");
            let rows = run(&mut tx, copy, &doing).await?;
            let size_sql = format!("SELECT pg_table_size({}::regclass) AS size", literal(&name));
            let size_row = sqlx::query(AssertSqlSafe(size_sql)).fetch_one(&mut *tx).await.map_err(db_error(&doing))?;
            let size = size_row.try_get::<i64, _>("size").ok().and_then(|n| u64::try_from(n).ok());
            (BackupMethod::SqlCopy, rows, size, Some(rebuild))
        } else if step.is_some() {
            (BackupMethod::Absent, 0, None, None)
        } else {
            return Err(Error::config(format!("there is no table {table} to back up")));
        };
        let rebuild = rebuild.map(|r| serde_json::to_string(&r).unwrap_or_default());
        let insert = format!(
            "INSERT INTO {} (name, source, version, migration, created_at, row_count, size_bytes, method, rebuild) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            self.records
        );
        sqlx::query(AssertSqlSafe(insert))
            .bind(&name)
            .bind(table)
            .bind(step.map(|(version, _)| version.to_string()))
            .bind(step.map(|(_, migration)| migration.to_owned()))
            .bind(rfc3339_millis(millis))
            .bind(rows as i64)
            .bind(size.map(|s| s as i64))
            .bind(method.as_str())
            .bind(rebuild)
            .execute(&mut *tx)
            .await
            .map_err(db_error("recording the backup"))?;
        tx.commit().await.map_err(db_error("recording the backup"))?;
        Ok(BackupInfo {
            name,
            collection: table.to_owned(),
            version: step.map(|(version, _)| version.to_string()),
            migration: step.map(|(_, migration)| migration.to_owned()),
            created_at: rfc3339_millis(millis),
            documents: rows,
            size_bytes: size,
            method,
            restored_at: None,
        })
    }

    /// Replaces `to` (default: the backed-up table) with the backup, in one transaction.
    pub async fn restore(&self, conn: &mut AnyConnection, name: &str, to: Option<&str>) -> Result<RestoreReport> {
        let (info, rebuild) = self.find(conn, name).await?;
        let target = to.unwrap_or(&info.collection).to_owned();
        check_table(&target)?;
        let exact = target == info.collection;
        let doing = format!("restoring {target} from {name}");
        let mut tx = conn.begin().await.map_err(db_error(&doing))?;
        let mut rows = 0;
        if exists(&mut tx, &target).await? {
            // Sequences owned by the table would go with it; the restored table owns them again.
            let owned = format!(
                "SELECT s.oid::regclass::text AS sequence FROM pg_depend d JOIN pg_class s ON s.oid = d.objid \
                 AND s.relkind = 'S' WHERE d.refobjid = {}::regclass AND d.deptype = 'a'",
                literal(&target)
            );
            let sequences = sqlx::query(AssertSqlSafe(owned)).fetch_all(&mut *tx).await.map_err(db_error(&doing))?;
            for row in sequences {
                let sequence: String = row.try_get("sequence").map_err(db_error(&doing))?;
                run(&mut tx, format!("ALTER SEQUENCE {sequence} OWNED BY NONE"), &doing).await?;
            }
            run(&mut tx, format!("DROP TABLE {target}"), &doing).await?;
        }
        if info.method != BackupMethod::Absent {
            if !exists(&mut tx, name).await? {
                return Err(Error::database(format!(
                    "the table of backup {name} is gone; its record remains (`mongrate backup drop {name}` removes it)"
                )));
            }
            let like = if exact { "INCLUDING ALL EXCLUDING INDEXES" } else { "INCLUDING ALL" };
            run(&mut tx, format!("CREATE TABLE {target} (LIKE {name} {like})"), &doing).await?;
            let columns = value_columns(&mut tx, name).await?;
            let copy = format!("INSERT INTO {target} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {name}");
            rows = run(&mut tx, copy, &doing).await?;
            if exact {
                for serial in &rebuild.serials {
                    run(&mut tx, serial.create.clone(), &doing).await?;
                    let state = format!(
                        "SELECT setval({}, {}, {})",
                        literal(&serial.sequence),
                        serial.last_value,
                        serial.is_called
                    );
                    run(&mut tx, state, &doing).await?;
                    let column = quoted(&serial.column);
                    run(
                        &mut tx,
                        format!("ALTER TABLE {target} ALTER COLUMN {column} SET DEFAULT {}", serial.default),
                        &doing,
                    )
                    .await?;
                    run(&mut tx, format!("ALTER SEQUENCE {} OWNED BY {target}.{column}", serial.sequence), &doing)
                        .await?;
                }
                for statement in rebuild.indexes.iter().chain(&rebuild.foreign_keys) {
                    run(&mut tx, statement.replace("{table}", &target), &doing).await?;
                }
            }
            // Identity sequences are the new table's: they continue after the restored rows.
            let identities = format!(
                "SELECT attname::text AS name FROM pg_attribute WHERE attrelid = {}::regclass AND attidentity <> '' \
                 AND NOT attisdropped",
                literal(&target)
            );
            let identities =
                sqlx::query(AssertSqlSafe(identities)).fetch_all(&mut *tx).await.map_err(db_error(&doing))?;
            for row in identities {
                let raw: String = row.try_get("name").map_err(db_error(&doing))?;
                let column = quoted(&raw);
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({column}), 1), max({column}) IS NOT NULL) FROM {target}",
                    literal(&target),
                    literal(&raw)
                );
                run(&mut tx, sql, &doing).await?;
            }
        }
        let mark = format!("UPDATE {} SET restored_at = $1 WHERE name = $2", self.records);
        sqlx::query(AssertSqlSafe(mark))
            .bind(now_rfc3339())
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db_error("recording the restore"))?;
        tx.commit().await.map_err(db_error(&doing))?;
        Ok(RestoreReport { backup: name.to_owned(), collection: target, documents: rows })
    }

    /// Drops the backup's table and its record.
    pub async fn drop_backup(&self, conn: &mut AnyConnection, name: &str) -> Result<BackupInfo> {
        let (info, _) = self.find(conn, name).await?;
        let mut tx = conn.begin().await.map_err(db_error("dropping a backup"))?;
        if info.method != BackupMethod::Absent {
            run(&mut tx, format!("DROP TABLE IF EXISTS {name}"), "dropping a backup").await?;
        }
        let delete = format!("DELETE FROM {} WHERE name = $1", self.records);
        sqlx::query(AssertSqlSafe(delete))
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db_error("removing the backup record"))?;
        tx.commit().await.map_err(db_error("dropping a backup"))?;
        Ok(info)
    }

    /// Drops the backups of `table` beyond the policy's `retain`.
    pub async fn apply_retention(&self, conn: &mut AnyConnection, table: &str) -> Result<Vec<BackupInfo>> {
        let Some(keep) = self.policy.retain else { return Ok(Vec::new()) };
        let mine: Vec<BackupInfo> = self.list(conn).await?.into_iter().filter(|b| b.collection == table).collect();
        let pruned = beyond_retention(&mine, keep);
        for backup in &pruned {
            self.drop_backup(conn, &backup.name).await?;
        }
        Ok(pruned)
    }
}

/// How to rebuild what `LIKE` renames or leaves out (see the module doc).
async fn read_rebuild(conn: &mut AnyConnection, table: &str) -> Result<Rebuild> {
    let doing = format!("reading the definition of {table}");
    let regclass = format!("{}::regclass", literal(table));
    let constraints = format!(
        "SELECT conname::text AS name, pg_get_constraintdef(oid) AS def, contype::text AS kind FROM pg_constraint \
         WHERE conrelid = {regclass} AND contype IN ('p', 'u', 'x', 'f') ORDER BY conname"
    );
    let mut rebuild = Rebuild::default();
    for row in sqlx::query(AssertSqlSafe(constraints)).fetch_all(&mut *conn).await.map_err(db_error(&doing))? {
        let name: String = row.try_get("name").map_err(db_error(&doing))?;
        let def: String = row.try_get("def").map_err(db_error(&doing))?;
        let kind: String = row.try_get("kind").map_err(db_error(&doing))?;
        let statement = format!("ALTER TABLE {{table}} ADD CONSTRAINT {} {def}", quoted(&name));
        if kind == "f" { rebuild.foreign_keys.push(statement) } else { rebuild.indexes.push(statement) }
    }
    // Indexes that back no constraint, by their definition with the table's name in its place.
    let indexes = format!(
        "SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i WHERE i.indrelid = {regclass} \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) \
         ORDER BY i.indexrelid"
    );
    for row in sqlx::query(AssertSqlSafe(indexes)).fetch_all(&mut *conn).await.map_err(db_error(&doing))? {
        let def: String = row.try_get("def").map_err(db_error(&doing))?;
        rebuild.indexes.push(with_table_placeholder(&def));
    }
    let serials = format!(
        "SELECT a.attname::text AS col, pg_get_expr(d.adbin, d.adrelid) AS def, s.oid::regclass::text AS seq, \
         format_type(q.seqtypid, NULL) AS kind, q.seqstart AS start, q.seqincrement AS step, q.seqmin AS low, \
         q.seqmax AS high, q.seqcycle AS cycle \
         FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum \
         JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid AND dep.refclassid = 'pg_class'::regclass \
         JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S' JOIN pg_sequence q ON q.seqrelid = s.oid \
         WHERE d.adrelid = {regclass} ORDER BY a.attnum"
    );
    for row in sqlx::query(AssertSqlSafe(serials)).fetch_all(&mut *conn).await.map_err(db_error(&doing))? {
        let get_text = |key: &str| row.try_get::<String, _>(key).map_err(db_error(&doing));
        let get_number = |key: &str| row.try_get::<i64, _>(key).map_err(db_error(&doing));
        let sequence = get_text("seq")?;
        let cycle = if row.try_get::<bool, _>("cycle").unwrap_or(false) { "CYCLE" } else { "NO CYCLE" };
        let create = format!(
            "CREATE SEQUENCE IF NOT EXISTS {sequence} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} {cycle}",
            get_text("kind")?,
            get_number("step")?,
            get_number("low")?,
            get_number("high")?,
            get_number("start")?
        );
        let state = format!("SELECT last_value, is_called FROM {sequence}");
        let state = sqlx::query(AssertSqlSafe(state)).fetch_one(&mut *conn).await.map_err(db_error(&doing))?;
        rebuild.serials.push(Serial {
            column: get_text("col")?,
            default: get_text("def")?,
            sequence,
            create,
            last_value: state.try_get("last_value").map_err(db_error(&doing))?,
            is_called: state.try_get("is_called").map_err(db_error(&doing))?,
        });
    }
    Ok(rebuild)
}

/// `CREATE INDEX by_age ON public.users USING btree (age)` → `… ON {table} USING …`.
fn with_table_placeholder(definition: &str) -> String {
    match (definition.find(" ON "), definition.find(" USING ")) {
        (Some(on), Some(using)) if on < using => {
            let table_start = on + " ON ".len();
            let only = if definition[table_start..].starts_with("ONLY ") { "ONLY " } else { "" };
            format!("{} ON {only}{{table}}{}", &definition[..on], &definition[using..])
        }
        _ => definition.to_owned(),
    }
}

fn info_of(row: &sqlx::any::AnyRow) -> Result<BackupInfo> {
    let text = |key: &str| row.try_get::<Option<String>, _>(key).ok().flatten();
    let number = |key: &str| row.try_get::<Option<i64>, _>(key).ok().flatten().and_then(|n| u64::try_from(n).ok());
    Ok(BackupInfo {
        name: text("name").unwrap_or_default(),
        collection: text("source").unwrap_or_default(),
        version: text("version"),
        migration: text("migration"),
        created_at: text("created_at").unwrap_or_default(),
        documents: number("row_count").unwrap_or(0),
        size_bytes: number("size_bytes"),
        method: BackupMethod::parse(&text("method").unwrap_or_default()),
        restored_at: text("restored_at"),
    })
}

/// A step that failed without a transaction after changing something: its backups are
/// restored, the restore recorded in the history, and the failure says so. SQL statements may
/// change any table, so what else it changed may remain.
pub async fn restore_after_failure(
    backups: &SqlBackups<'_>,
    conn: &mut AnyConnection,
    changelog: &crate::changelog::Changelog,
    execution: &StepExecution<'_>,
    failure: StepFailure,
    taken: &[BackupInfo],
) -> StepFailure {
    if taken.is_empty() || !failure.effect.is_partial() {
        return failure;
    }
    let mut restores = RestoreAfterFailure::start();
    for backup in taken {
        if !restores.note(backups.restore(conn, &backup.name, None).await) {
            break;
        }
    }
    let recorded = changelog.append(conn, &restores.history_entry(execution)).await;
    // A SQL migration's statements may have changed more than its backed-up tables.
    restores.failure(failure, taken, false, recorded)
}

/// `mongrate backup restore`: restores and records it in the history.
pub async fn restore_by_hand(
    backups: &SqlBackups<'_>,
    conn: &mut AnyConnection,
    changelog: &crate::changelog::Changelog,
    name: &str,
    to: Option<&str>,
) -> Result<RestoreReport> {
    let list = backups.list(conn).await?;
    let started = std::time::Instant::now();
    let restored = backups.restore(conn, name, to).await;
    let entry = hand_restore_entry(&list, name, &restored, started.elapsed());
    let recorded = match entry.version.stored_text() {
        Some(_) => changelog.add_text_column(conn).await,
        None => Ok(()),
    };
    let recorded = match recorded {
        Ok(()) => changelog.append(conn, &entry).await,
        Err(error) => Err(error),
    };
    let report = restored?;
    recorded?;
    Ok(report)
}
