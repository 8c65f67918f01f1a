//! The state of a PostgreSQL or SQLite database as `mongrate test` compares it before a
//! migration and after its revert: the schema (schemas, tables, views, sequences, columns,
//! constraints, indexes, triggers, types and functions on PostgreSQL; tables, columns, keys,
//! indexes, views and triggers on SQLite) and every table's rows. mongrate's own tables are left
//! out. Columns are compared by name, not position: a column dropped and added back comes back
//! last, and that is not a loss.
//!
//! The rows are written to a temporary file in primary-key order as they are read (every
//! column's order for a table without one), and compared with the database the same way, one
//! row at a time: memory stays flat however large the tables are.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongrate_core::config::ChangelogNames;
use mongrate_core::scratch::{Captured, Difference};
use mongrate_core::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use crate::changelog::{db_error, literal};
use crate::dialect::Dialect;
use crate::state_difference::{TableShape, Value, added_row, missing_row, row_difference, schema_difference};

/// Tables `mongrate test` does not compare: the changelog, history, lock and backup records,
/// and mongrate's backups.
#[derive(Debug, Clone)]
pub struct OwnTables {
    names: Vec<String>,
}

impl OwnTables {
    pub fn new(names: &ChangelogNames) -> OwnTables {
        let unqualified = |name: &String| name.rsplit_once('.').map_or(name.as_str(), |(_, t)| t).to_owned();
        OwnTables {
            names: [&names.migrations, &names.history, &names.lock, &names.backups]
                .into_iter()
                .map(unqualified)
                .collect(),
        }
    }

    /// Whether `table` (unqualified) is mongrate's.
    pub fn contains(&self, table: &str) -> bool {
        table.starts_with("mongrate_") || self.names.iter().any(|own| own == table)
    }
}

/// `"name"`.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table whose rows are compared.
#[derive(Debug, Clone)]
struct Table {
    shape: TableShape,
    /// The table as SQL names it, quoted.
    sql_name: String,
}

/// A database's state, its rows in temporary files (removed when it is dropped).
pub struct SqlState {
    pool: AnyPool,
    dialect: Dialect,
    own: OwnTables,
    schema: BTreeMap<String, String>,
    tables: Vec<(Table, PathBuf)>,
    _files: tempfile::TempDir,
}

/// Reads the state of the database `pool` connects to.
pub async fn capture(pool: &AnyPool, dialect: Dialect, own: &OwnTables) -> Result<SqlState> {
    let files = tempfile::Builder::new()
        .prefix("mongrate-test-")
        .tempdir()
        .map_err(|e| Error::database(format!("creating a temporary folder for the captured rows: {e}")))?;
    let mut conn = pool.acquire().await.map_err(db_error("connecting to the scratch copy"))?;
    let schema = read_schema(&mut conn, dialect, own).await?;
    let mut tables = Vec::new();
    for (n, table) in read_tables(&mut conn, dialect, own).await?.into_iter().enumerate() {
        let path = files.path().join(format!("{n}.jsonl"));
        write_rows(&mut conn, dialect, &table, &path).await?;
        tables.push((table, path));
    }
    Ok(SqlState { pool: pool.clone(), dialect, own: own.clone(), schema, tables, _files: files })
}

#[async_trait]
impl Captured for SqlState {
    async fn first_difference(&self) -> Result<Option<Difference>> {
        let mut conn = self.pool.acquire().await.map_err(db_error("connecting to the scratch copy"))?;
        let schema = read_schema(&mut conn, self.dialect, &self.own).await?;
        if let Some(difference) = schema_difference(&self.schema, &schema) {
            return Ok(Some(difference));
        }
        for (table, path) in &self.tables {
            if let Some(difference) = rows_difference(&mut conn, self.dialect, table, path).await? {
                return Ok(Some(difference));
            }
        }
        Ok(None)
    }
}

/// The schema objects by key (`column public.users.email`) and definition.
async fn read_schema(conn: &mut AnyConnection, dialect: Dialect, own: &OwnTables) -> Result<BTreeMap<String, String>> {
    let sql = match dialect {
        Dialect::Postgres => POSTGRES_SCHEMA,
        Dialect::Sqlite => SQLITE_SCHEMA,
    };
    let rows = sqlx::raw_sql(AssertSqlSafe(sql)).fetch_all(conn).await.map_err(db_error("reading the schema"))?;
    let mut schema = BTreeMap::new();
    for row in rows {
        let text = |key: &str| row.try_get::<Option<String>, _>(key).map(Option::unwrap_or_default);
        let (key, definition, owner) = (text("key"), text("def"), text("owner"));
        let (key, definition, owner) = (
            key.map_err(db_error("reading the schema"))?,
            definition.map_err(db_error("reading the schema"))?,
            owner.map_err(db_error("reading the schema"))?,
        );
        if own.contains(&owner) {
            continue;
        }
        let definition = match dialect {
            // SQLite keeps the statement as written: spacing is not a difference.
            Dialect::Sqlite => definition.split_whitespace().collect::<Vec<_>>().join(" "),
            Dialect::Postgres => definition,
        };
        schema.insert(key, definition);
    }
    Ok(schema)
}

/// Schema objects outside the system schemas and extensions: (key, definition, the table they
/// belong to).
const POSTGRES_SCHEMA: &str = r#"
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
), rel AS (
  SELECT c.*, ns.nspname, coalesce((
    SELECT o.relname FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
      AND d.deptype IN ('a', 'i') LIMIT 1), c.relname) AS owner
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
)
SELECT 'schema ' || nspname AS key, 'a schema' AS def, '' AS owner FROM ns
UNION ALL
SELECT 'extension ' || extname, 'version ' || extversion, '' FROM pg_extension
UNION ALL
SELECT CASE relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '
         WHEN 'S' THEN 'sequence ' ELSE 'foreign table ' END || nspname || '.' || relname,
       CASE relkind WHEN 'r' THEN 'a table' WHEN 'p' THEN 'a partitioned table' WHEN 'S' THEN 'a sequence'
         WHEN 'f' THEN 'a foreign table' ELSE pg_get_viewdef(oid) END,
       owner::text
FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT 'column ' || rel.nspname || '.' || rel.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
       || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
               WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END,
       rel.owner::text
FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND rel.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'constraint ' || rel.nspname || '.' || rel.relname || '.' || co.conname,
       pg_get_constraintdef(co.oid) || CASE WHEN co.convalidated THEN '' ELSE ' NOT VALID' END,
       rel.owner::text
FROM pg_constraint co JOIN rel ON rel.oid = co.conrelid
UNION ALL
SELECT 'index ' || rel.nspname || '.' || rel.relname, pg_get_indexdef(rel.oid), t.relname::text
FROM rel JOIN pg_index x ON x.indexrelid = rel.oid JOIN pg_class t ON t.oid = x.indrelid
UNION ALL
SELECT 'trigger ' || rel.nspname || '.' || rel.relname || '.' || tg.tgname, pg_get_triggerdef(tg.oid), rel.owner::text
FROM pg_trigger tg JOIN rel ON rel.oid = tg.tgrelid WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'type ' || ns.nspname || '.' || t.typname,
       CASE t.typtype
         WHEN 'e' THEN 'enum (' || coalesce((SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                             FROM pg_enum e WHERE e.enumtypid = t.oid), '') || ')'
         WHEN 'd' THEN 'domain over ' || format_type(t.typbasetype, t.typtypmod)
                       || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || t.typdefault, '')
                       || coalesce((SELECT ' ' || string_agg(pg_get_constraintdef(co.oid), ' ' ORDER BY co.conname)
                                    FROM pg_constraint co WHERE co.contypid = t.oid), '')
         WHEN 'c' THEN 'composite (' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                                                  FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')'
         ELSE 'a range' END,
       ''
FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text, pg_get_functiondef(p.oid), ''
FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
"#;

/// Tables with their columns (name, declared type, not null, default, primary key rank),
/// foreign keys, indexes (those SQLite makes for UNIQUE and PRIMARY KEY by the columns they
/// cover: their names follow the order of creation), views and triggers.
const SQLITE_SCHEMA: &str = r#"
SELECT 'table ' || m.name AS key,
       'a table' || CASE WHEN l.wr THEN ' WITHOUT ROWID' ELSE '' END || CASE WHEN l.strict THEN ' STRICT' ELSE '' END AS def,
       m.name AS owner
FROM sqlite_master m JOIN pragma_table_list l ON l.name = m.name AND l.schema = 'main'
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'
UNION ALL
SELECT 'column ' || m.name || '.' || c.name,
       trim(c.type || CASE WHEN c."notnull" THEN ' NOT NULL' ELSE '' END
            || coalesce(' DEFAULT ' || c.dflt_value, '') || CASE WHEN c.pk > 0 THEN ' PRIMARY KEY ' || c.pk ELSE '' END
            || CASE c.hidden WHEN 2 THEN ' GENERATED VIRTUAL' WHEN 3 THEN ' GENERATED STORED' ELSE '' END),
       m.name
FROM sqlite_master m JOIN pragma_table_xinfo(m.name) c
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'
UNION ALL
SELECT 'foreign key ' || m.name || ' (' || group_concat(f."from", ', ') || ')',
       'REFERENCES ' || f."table" || ' (' || group_concat(coalesce(f."to", ''), ', ') || ') ON UPDATE ' || f.on_update
       || ' ON DELETE ' || f.on_delete,
       m.name
FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table'
GROUP BY m.name, f.id
UNION ALL
SELECT CASE WHEN m.sql IS NULL
            THEN (CASE i.origin WHEN 'pk' THEN 'primary key ' ELSE 'unique constraint ' END) || m.tbl_name || ' ('
                 || (SELECT group_concat(coalesce(x.name, '?'), ', ') FROM pragma_index_info(m.name) x) || ')'
            ELSE 'index ' || m.name END,
       coalesce(m.sql, 'UNIQUE'),
       m.tbl_name
FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) i ON i.name = m.name
WHERE m.type = 'index'
UNION ALL
SELECT m.type || ' ' || m.name, m.sql, m.tbl_name
FROM sqlite_master m WHERE m.type IN ('view', 'trigger')
"#;

/// The tables whose rows are compared, by name, with their shapes.
async fn read_tables(conn: &mut AnyConnection, dialect: Dialect, own: &OwnTables) -> Result<Vec<Table>> {
    let doing = "reading the tables";
    let list = match dialect {
        Dialect::Postgres => {
            "SELECT n.nspname::text AS schema, c.relname::text AS name FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname !~ '^pg_' \
             AND n.nspname <> 'information_schema' \
             AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e') \
             ORDER BY 1, 2"
        }
        Dialect::Sqlite => {
            "SELECT '' AS schema, name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             ORDER BY name"
        }
    };
    let rows = sqlx::query(list).fetch_all(&mut *conn).await.map_err(db_error(doing))?;
    let mut tables = Vec::new();
    for row in rows {
        let schema: String = row.try_get("schema").map_err(db_error(doing))?;
        let name: String = row.try_get("name").map_err(db_error(doing))?;
        if own.contains(&name) {
            continue;
        }
        let (shown, sql_name) = match dialect {
            Dialect::Postgres => (format!("{schema}.{name}"), format!("{}.{}", quoted(&schema), quoted(&name))),
            Dialect::Sqlite => (name.clone(), quoted(&name)),
        };
        let columns_sql = match dialect {
            Dialect::Postgres => format!(
                "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS kind, \
                 coalesce((SELECT 1 + array_position(x.indkey::int2[], a.attnum) - array_lower(x.indkey::int2[], 1) \
                           FROM pg_index x WHERE x.indrelid = a.attrelid AND x.indisprimary), 0)::bigint AS rank \
                 FROM pg_attribute a WHERE a.attrelid = {}::regclass AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY a.attname",
                literal(&sql_name)
            ),
            Dialect::Sqlite => format!(
                "SELECT name, type AS kind, CAST(pk AS INTEGER) AS rank FROM pragma_table_xinfo({}) ORDER BY name",
                literal(&name)
            ),
        };
        let columns = sqlx::query(AssertSqlSafe(columns_sql)).fetch_all(&mut *conn).await.map_err(db_error(doing))?;
        let mut shape = TableShape { name: shown, columns: Vec::new(), key: Vec::new() };
        let mut ranked = Vec::new();
        for (position, column) in columns.iter().enumerate() {
            let column_name: String = column.try_get("name").map_err(db_error(doing))?;
            let kind: String =
                column.try_get::<Option<String>, _>("kind").map_err(db_error(doing))?.unwrap_or_default();
            let rank: i64 = column.try_get("rank").map_err(db_error(doing))?;
            if rank > 0 {
                ranked.push((rank, position));
            }
            shape.columns.push((column_name, kind));
        }
        ranked.sort();
        shape.key = ranked.into_iter().map(|(_, position)| position).collect();
        if !shape.columns.is_empty() {
            tables.push(Table { shape, sql_name });
        }
    }
    Ok(tables)
}

/// A column's value as compared: its text on PostgreSQL; on SQLite its type and its exact text
/// (`real:` with 17 significant digits, `blob:` in hex).
fn value_expression(dialect: Dialect, column: &str) -> String {
    let c = quoted(column);
    match dialect {
        Dialect::Postgres => format!("({c})::text"),
        Dialect::Sqlite => format!(
            "CASE WHEN {c} IS NULL THEN NULL ELSE typeof({c}) || ':' || CASE typeof({c}) \
             WHEN 'real' THEN printf('%!.17g', {c}) WHEN 'blob' THEN hex({c}) ELSE CAST({c} AS TEXT) END END"
        ),
    }
}

/// Every row of the table in key order.
fn rows_query(dialect: Dialect, table: &Table) -> String {
    let columns = &table.shape.columns;
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("{} AS v{i}", value_expression(dialect, name)))
        .collect();
    let order: Vec<String> = if table.shape.key.is_empty() {
        // No key: the rows in the order of every column's text (comparable for any type).
        columns
            .iter()
            .map(|(name, _)| match dialect {
                Dialect::Postgres => format!("{} COLLATE \"C\"", value_expression(dialect, name)),
                Dialect::Sqlite => quoted(name),
            })
            .collect()
    } else {
        table.shape.key.iter().map(|&i| quoted(&columns[i].0)).collect()
    };
    format!("SELECT {} FROM {} ORDER BY {}", values.join(", "), table.sql_name, order.join(", "))
}

fn row_values(row: &AnyRow, width: usize) -> Result<Vec<Value>> {
    (0..width).map(|i| row.try_get::<Option<String>, _>(i).map_err(db_error("reading a row"))).collect()
}

async fn write_rows(conn: &mut AnyConnection, dialect: Dialect, table: &Table, path: &Path) -> Result<()> {
    let name = &table.shape.name;
    let file_error = |e: std::io::Error| Error::database(format!("writing the rows of {name} aside: {e}"));
    let mut out = BufWriter::new(File::create(path).map_err(file_error)?);
    let sql = rows_query(dialect, table);
    let width = table.shape.columns.len();
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await.map_err(db_error(&format!("reading {name}")))? {
        let values = row_values(&row, width)?;
        serde_json::to_writer(&mut out, &values).map_err(|e| file_error(e.into()))?;
        out.write_all(b"\n").map_err(file_error)?;
    }
    out.flush().map_err(file_error)
}

/// What the side-by-side reading found.
enum Found {
    Same,
    Difference(Difference),
    /// A row captured that the table no longer has at its place.
    Missing(Vec<Value>),
    /// Two rows with different keys at the same place: one of them has no counterpart.
    Either(Vec<Value>, Vec<Value>),
}

/// The rows captured and the rows now, side by side in key order.
async fn rows_difference(
    conn: &mut AnyConnection,
    dialect: Dialect,
    table: &Table,
    path: &Path,
) -> Result<Option<Difference>> {
    let shape = &table.shape;
    let name = &shape.name;
    let file_error = |e: String| Error::database(format!("reading the captured rows of {name}: {e}"));
    let mut captured = BufReader::new(File::open(path).map_err(|e| file_error(e.to_string()))?).lines();
    let width = shape.columns.len();
    let found = {
        let sql = rows_query(dialect, table);
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
        loop {
            let before: Option<Vec<Value>> = match captured.next() {
                None => None,
                Some(line) => {
                    let line = line.map_err(|e| file_error(e.to_string()))?;
                    Some(serde_json::from_str(&line).map_err(|e| file_error(e.to_string()))?)
                }
            };
            let after = rows.try_next().await.map_err(db_error(&format!("reading {name}")))?;
            let after = after.map(|row| row_values(&row, width)).transpose()?;
            match (before, after) {
                (None, None) => break Found::Same,
                (Some(before), None) => break Found::Missing(before),
                (None, Some(after)) => break Found::Difference(added_row(shape, dialect, &after)),
                (Some(before), Some(after)) if shape.same_key(&before, &after) => {
                    if let Some(difference) = row_difference(shape, dialect, &before, &after) {
                        break Found::Difference(difference);
                    }
                }
                (Some(before), Some(after)) => break Found::Either(before, after),
            }
        }
    };
    Ok(match found {
        Found::Same => None,
        Found::Difference(difference) => Some(difference),
        Found::Missing(before) => Some(missing_row(shape, dialect, &before)),
        // In key order the earlier of the two has no counterpart: the captured row if the
        // table no longer has its key, else the row now.
        Found::Either(before, after) => Some(if has_key(conn, dialect, table, &before).await? {
            added_row(shape, dialect, &after)
        } else {
            missing_row(shape, dialect, &before)
        }),
    })
}

/// Whether the table has a row with the key of `row`.
async fn has_key(conn: &mut AnyConnection, dialect: Dialect, table: &Table, row: &[Value]) -> Result<bool> {
    let positions = table.shape.key_positions();
    let conditions: Vec<String> = positions
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let expression = value_expression(dialect, &table.shape.columns[i].0);
            match dialect {
                Dialect::Postgres => format!("{expression} IS NOT DISTINCT FROM ${}", n + 1),
                Dialect::Sqlite => format!("({expression}) IS ?{}", n + 1),
            }
        })
        .collect();
    let sql = format!("SELECT count(*) AS n FROM {} WHERE {}", table.sql_name, conditions.join(" AND "));
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for &i in &positions {
        query = query.bind(row.get(i).cloned().flatten());
    }
    let found = query.fetch_one(conn).await.map_err(db_error(&format!("reading {}", table.shape.name)))?;
    Ok(found.try_get::<i64, _>("n").map_err(db_error("counting rows"))? > 0)
}
