//! A scratch copy of a PostgreSQL database that others are connected to, so that
//! `CREATE DATABASE … TEMPLATE` is refused: the schema is read from the catalog and built again
//! in the empty scratch database, with a sample of each table's rows (the first N by primary key).
//!
//! Copied: schemas, extensions, enum, domain and composite types, sequences (with their state),
//! tables (columns, defaults, identity and generated columns), functions and procedures, the
//! sample of rows, PRIMARY KEY / UNIQUE / CHECK / EXCLUDE constraints, foreign keys (sampled
//! rows whose parent was not sampled are left out, so every key holds), indexes, views,
//! materialized views and triggers. mongrate's changelog and lock rows are copied whole, so the
//! same migrations are pending. Not copied: grants, ownership, comments, row-level security
//! policies. Partitioned or inherited tables, foreign tables, rules and range types are refused
//! with what to do instead: the copy would not behave like the database.
//!
//! The source is read in one repeatable-read, read-only transaction: one consistent picture.

use futures_util::TryStreamExt;
use mongrate_core::config::ChangelogNames;
use mongrate_core::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use crate::changelog::{LEASE_ID, db_error, literal};

/// Parameters PostgreSQL takes in one statement, with room to spare.
const MOST_PARAMETERS: usize = 30_000;

/// Rows per insert at most.
const BATCH_ROWS: usize = 200;

/// `"name"`.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Runs a query and reads every row as text columns.
async fn texts(conn: &mut AnyConnection, sql: &str, width: usize) -> Result<Vec<Vec<String>>> {
    let rows = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .fetch_all(conn)
        .await
        .map_err(db_error("reading the schema of the database to copy"))?;
    rows.iter().map(|row| text_row(row, width)).collect()
}

fn text_row(row: &AnyRow, width: usize) -> Result<Vec<String>> {
    (0..width)
        .map(|i| {
            row.try_get::<Option<String>, _>(i)
                .map(Option::unwrap_or_default)
                .map_err(db_error("reading the schema of the database to copy"))
        })
        .collect()
}

/// Runs DDL in the scratch database.
async fn build(conn: &mut AnyConnection, sql: &str) -> Result<()> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .map(drop)
        .map_err(|e| crate::errors::database(&format!("building the scratch copy ({})", first_line(sql)), e))
}

fn first_line(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or("").trim();
    mongrate_core::scratch::shorten(line)
}

/// User schemas: not PostgreSQL's own.
const USER_SCHEMA: &str = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";

/// Not part of an extension (its objects come with `CREATE EXTENSION`).
fn not_extension(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')"
    )
}

/// A table to copy.
struct Table {
    schema: String,
    name: String,
    /// Quoted and qualified.
    sql_name: String,
    columns: Vec<Column>,
    /// Quoted primary key columns, for the order of the sample.
    key: Vec<String>,
}

struct Column {
    name: String,
    /// What `CREATE TABLE` takes: type, collation, identity, NOT NULL.
    declaration: String,
    /// The bare type, to cast values to.
    kind: String,
    /// Generated columns take no value (they are added after the functions they may call).
    generated: bool,
}

/// Copies the schema of `source` and at most `sample` rows of each table into `scratch`.
pub async fn copy(source: &AnyPool, scratch: &AnyPool, sample: u64, names: &ChangelogNames) -> Result<()> {
    let mut from = source.acquire().await.map_err(db_error("connecting to the database to copy"))?;
    let mut to = scratch.acquire().await.map_err(db_error("connecting to the scratch copy"))?;
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *from)
        .await
        .map_err(db_error("reading the database to copy"))?;
    let copied = copy_within(&mut from, &mut to, sample, names).await;
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *from).await;
    copied
}

async fn copy_within(
    from: &mut AnyConnection,
    to: &mut AnyConnection,
    sample: u64,
    names: &ChangelogNames,
) -> Result<()> {
    refuse_what_is_not_copied(from).await?;
    build(to, "SET check_function_bodies = false").await?;
    let schemas =
        texts(from, &format!("SELECT n.nspname::text FROM pg_namespace n WHERE {USER_SCHEMA} ORDER BY 1"), 1).await?;
    for row in &schemas {
        build(to, &format!("CREATE SCHEMA IF NOT EXISTS {}", quoted(&row[0]))).await?;
    }
    let extensions = texts(
        from,
        "SELECT e.extname::text, n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
         WHERE e.extname <> 'plpgsql' ORDER BY e.oid",
        2,
    )
    .await?;
    for row in &extensions {
        build(to, &format!("CREATE EXTENSION IF NOT EXISTS {} SCHEMA {}", quoted(&row[0]), quoted(&row[1]))).await?;
    }
    copy_types(from, to).await?;
    copy_sequences(from, to).await?;
    let tables = read_tables(from).await?;
    for table in &tables {
        let columns: Vec<String> = table
            .columns
            .iter()
            .filter(|column| !column.generated)
            .map(|column| format!("{} {}", quoted(&column.name), column.declaration))
            .collect();
        build(to, &format!("CREATE TABLE {} ({})", table.sql_name, columns.join(", "))).await?;
    }
    // Functions after the tables (a function may return a table's row type), before the
    // defaults and generated columns (which may call functions).
    let functions = texts(
        from,
        &format!(
            "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE p.prokind IN ('f', 'p') AND {USER_SCHEMA} AND {} ORDER BY p.oid",
            not_extension("pg_proc", "p.oid")
        ),
        1,
    )
    .await?;
    for row in &functions {
        build(to, &row[0]).await?;
    }
    copy_columns(from, to).await?;
    for table in &tables {
        let whole = table.name == unqualified(&names.migrations) || table.name == unqualified(&names.lock);
        let skip = table.name == unqualified(&names.history) || table.name == unqualified(&names.backups);
        let limit = if whole {
            None
        } else if skip {
            Some(0)
        } else {
            Some(sample)
        };
        copy_rows(from, to, table, limit).await?;
    }
    let forget_lease = format!("DELETE FROM {} WHERE id = {}", names.lock, literal(LEASE_ID));
    let _ = sqlx::raw_sql(AssertSqlSafe(forget_lease)).execute(&mut *to).await;
    copy_constraints(from, to, &tables).await?;
    copy_objects(from, to).await
}

fn unqualified(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(_, table)| table)
}

/// What the copy would not reproduce, refused with what to do instead.
async fn refuse_what_is_not_copied(from: &mut AnyConnection) -> Result<()> {
    let sql = format!(
        "SELECT 'partitioned table ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE c.relkind = 'p' AND {USER_SCHEMA}
         UNION ALL SELECT 'inherited table ' || n.nspname || '.' || c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMA}
         UNION ALL SELECT 'foreign table ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE c.relkind = 'f' AND {USER_SCHEMA}
         UNION ALL SELECT 'rule ' || r.rulename || ' on ' || n.nspname || '.' || c.relname FROM pg_rewrite r \
           JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE r.rulename <> '_RETURN' AND {USER_SCHEMA}
         UNION ALL SELECT 'range type ' || n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
           WHERE t.typtype = 'r' AND {USER_SCHEMA} AND {}",
        not_extension("pg_type", "t.oid")
    );
    let found = texts(from, &sql, 1).await?;
    if found.is_empty() {
        return Ok(());
    }
    let listed: Vec<&str> = found.iter().map(|row| row[0].as_str()).take(5).collect();
    Err(Error::refused(format!(
        "others are connected to the database, so mongrate test cannot copy it whole (CREATE DATABASE … TEMPLATE \
         needs it to itself), and a copy of its schema would lack what it has: {}. Run mongrate test when nobody else \
         is connected (a CI database), or against a copy made with pg_dump",
        listed.join(", ")
    )))
}

async fn copy_types(from: &mut AnyConnection, to: &mut AnyConnection) -> Result<()> {
    let sql = format!(
        "SELECT CASE t.typtype
           WHEN 'e' THEN 'CREATE TYPE ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' AS ENUM (' ||
             coalesce((SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '') || ')'
           WHEN 'd' THEN 'CREATE DOMAIN ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' AS ' || format_type(t.typbasetype, t.typtypmod)
             || coalesce(' DEFAULT ' || t.typdefault, '') || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
             || coalesce((SELECT ' ' || string_agg('CONSTRAINT ' || quote_ident(co.conname) || ' ' || pg_get_constraintdef(co.oid), ' ' ORDER BY co.conname)
                          FROM pg_constraint co WHERE co.contypid = t.oid), '')
           ELSE 'CREATE TYPE ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' AS (' ||
             coalesce((SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                       FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')'
           END
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE {USER_SCHEMA} AND {}
           AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
         ORDER BY CASE t.typtype WHEN 'e' THEN 0 WHEN 'd' THEN 1 ELSE 2 END, t.oid",
        not_extension("pg_type", "t.oid")
    );
    for row in texts(from, &sql, 1).await? {
        build(to, &row[0]).await?;
    }
    Ok(())
}

/// Sequences that are not an identity column's (those come with their table), with their state.
async fn copy_sequences(from: &mut AnyConnection, to: &mut AnyConnection) -> Result<()> {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), format_type(q.seqtypid, NULL), q.seqincrement::text,
                q.seqmin::text, q.seqmax::text, q.seqstart::text, CASE WHEN q.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END
         FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {USER_SCHEMA} AND {}
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')
         ORDER BY c.oid",
        not_extension("pg_class", "c.oid")
    );
    for row in texts(from, &sql, 7).await? {
        let name = &row[0];
        build(
            to,
            &format!(
                "CREATE SEQUENCE {name} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} {}",
                row[1], row[2], row[3], row[4], row[5], row[6]
            ),
        )
        .await?;
        let state = texts(from, &format!("SELECT last_value::text, is_called::text FROM {name}"), 2).await?;
        if let Some(state) = state.first() {
            build(to, &format!("SELECT setval({}, {}, {})", literal(name), state[0], state[1])).await?;
        }
    }
    Ok(())
}

async fn read_tables(from: &mut AnyConnection) -> Result<Vec<Table>> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND {USER_SCHEMA} AND {} ORDER BY c.oid",
        not_extension("pg_class", "c.oid")
    );
    let mut tables = Vec::new();
    for row in texts(from, &sql, 3).await? {
        let (schema, name, oid) = (&row[0], &row[1], &row[2]);
        // Backups are no part of what migrations see; the changelog tables are (copied whole).
        if name.starts_with(mongrate_core::backup::BACKUP_PREFIX) {
            continue;
        }
        let columns = texts(
            from,
            &format!(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
                   || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                           THEN ' COLLATE ' || quote_ident(co.collname) ELSE '' END
                   || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
                   || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                        format_type(a.atttypid, a.atttypmod), a.attgenerated::text
                 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_collation co ON co.oid = a.attcollation
                 WHERE a.attrelid = {oid} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
            ),
            4,
        )
        .await?;
        let key = texts(
            from,
            &format!(
                "SELECT a.attname::text FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)
                 WHERE x.indrelid = {oid} AND x.indisprimary
                 ORDER BY array_position(x.indkey::int2[], a.attnum)"
            ),
            1,
        )
        .await?;
        tables.push(Table {
            schema: schema.clone(),
            name: name.clone(),
            sql_name: format!("{}.{}", quoted(schema), quoted(name)),
            columns: columns
                .into_iter()
                .map(|c| Column {
                    name: c[0].clone(),
                    declaration: c[1].clone(),
                    kind: c[2].clone(),
                    generated: !c[3].is_empty(),
                })
                .collect(),
            key: key.iter().map(|k| quoted(&k[0])).collect(),
        });
    }
    Ok(tables)
}

/// Defaults, generated columns, and sequences' owners.
async fn copy_columns(from: &mut AnyConnection, to: &mut AnyConnection) -> Result<()> {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(a.attname), pg_get_expr(d.adbin, d.adrelid),
                CASE WHEN a.attgenerated = '' THEN 'default' ELSE 'generated' END, format_type(a.atttypid, a.atttypmod)
         FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
         JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND {USER_SCHEMA} AND c.relname NOT LIKE 'mongrate\\_backup\\_%' AND {}
         ORDER BY c.oid, a.attnum",
        not_extension("pg_class", "c.oid")
    );
    for row in texts(from, &sql, 5).await? {
        let (table, column, expression) = (&row[0], &row[1], &row[2]);
        let statement = if row[3] == "generated" {
            format!("ALTER TABLE {table} ADD COLUMN {column} {} GENERATED ALWAYS AS ({expression}) STORED", row[4])
        } else {
            format!("ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {expression}")
        };
        build(to, &statement).await?;
    }
    let owned = format!(
        "SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname),
                quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname)
         FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
         JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' AND {USER_SCHEMA}
           AND c.relname NOT LIKE 'mongrate\\_backup\\_%'"
    );
    for row in texts(from, &owned, 2).await? {
        build(to, &format!("ALTER SEQUENCE {} OWNED BY {}", row[0], row[1])).await?;
    }
    // Identity columns made their sequences anew: they continue where the database's do.
    let identities = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname::text,
                pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname)
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE a.attidentity <> '' AND NOT a.attisdropped AND c.relkind = 'r' AND {USER_SCHEMA}
           AND c.relname NOT LIKE 'mongrate\\_backup\\_%'"
    );
    for row in texts(from, &identities, 3).await? {
        let state = texts(from, &format!("SELECT last_value::text, is_called::text FROM {}", row[2]), 2).await?;
        if let Some(state) = state.first() {
            let sequence = format!("pg_get_serial_sequence({}, {})", literal(&row[0]), literal(&row[1]));
            build(to, &format!("SELECT setval({sequence}, {}, {})", state[0], state[1])).await?;
        }
    }
    Ok(())
}

/// The first `limit` rows of the table by primary key (every row with `None`), through text:
/// each value as the database writes it, cast back to its type.
async fn copy_rows(from: &mut AnyConnection, to: &mut AnyConnection, table: &Table, limit: Option<u64>) -> Result<()> {
    if limit == Some(0) {
        return Ok(());
    }
    let values: Vec<(&str, &str)> = table
        .columns
        .iter()
        .filter(|column| !column.generated)
        .map(|column| (column.name.as_str(), column.kind.as_str()))
        .collect();
    if values.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = values.iter().map(|(name, _)| quoted(name)).collect();
    // Aliased: `ORDER BY id` must sort by the column, not by its text.
    let selected: Vec<String> = names.iter().enumerate().map(|(i, name)| format!("{name}::text AS v{i}")).collect();
    let order = if table.key.is_empty() { String::new() } else { format!(" ORDER BY {}", table.key.join(", ")) };
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let read = format!("SELECT {} FROM {}{order}{limit}", selected.join(", "), table.sql_name);
    let doing = format!("copying rows of {}.{}", table.schema, table.name);
    let per_batch = (MOST_PARAMETERS / values.len()).clamp(1, BATCH_ROWS);
    let mut rows = sqlx::raw_sql(AssertSqlSafe(read)).fetch(&mut *from);
    let mut batch: Vec<Vec<Option<String>>> = Vec::with_capacity(per_batch);
    loop {
        let next = rows.try_next().await.map_err(db_error(&doing))?;
        if (next.is_none() || batch.len() == per_batch) && !batch.is_empty() {
            insert(to, table, &names, &values, std::mem::take(&mut batch), &doing).await?;
        }
        let Some(row) = next else { break };
        let row = (0..values.len()).map(|i| row.try_get::<Option<String>, _>(i)).collect::<Result<Vec<_>, _>>();
        batch.push(row.map_err(db_error(&doing))?);
    }
    Ok(())
}

async fn insert(
    to: &mut AnyConnection,
    table: &Table,
    names: &[String],
    values: &[(&str, &str)],
    rows: Vec<Vec<Option<String>>>,
    doing: &str,
) -> Result<()> {
    let mut placeholders = Vec::with_capacity(rows.len());
    let mut n = 0;
    for _ in &rows {
        let row: Vec<String> = values
            .iter()
            .map(|(_, kind)| {
                n += 1;
                format!("${n}::{kind}")
            })
            .collect();
        placeholders.push(format!("({})", row.join(", ")));
    }
    let sql = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES {}",
        table.sql_name,
        names.join(", "),
        placeholders.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for row in rows {
        for value in row {
            query = query.bind(value);
        }
    }
    query.execute(to).await.map(drop).map_err(db_error(doing))
}

/// Constraints; before the foreign keys, the sampled rows whose parent row was not sampled are
/// removed, until every foreign key holds.
async fn copy_constraints(from: &mut AnyConnection, to: &mut AnyConnection, tables: &[Table]) -> Result<()> {
    let copied: Vec<String> = tables.iter().map(|t| literal(&format!("{}.{}", t.schema, t.name))).collect();
    if copied.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(co.conname), pg_get_constraintdef(co.oid),
                co.contype::text,
                coalesce((SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.n) FROM unnest(co.conkey) WITH ORDINALITY k(attnum, n)
                          JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum), ''),
                coalesce((SELECT quote_ident(fn.nspname) || '.' || quote_ident(f.relname) FROM pg_class f
                          JOIN pg_namespace fn ON fn.oid = f.relnamespace WHERE f.oid = co.confrelid), ''),
                coalesce((SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.n) FROM unnest(co.confkey) WITH ORDINALITY k(attnum, n)
                          JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum), '')
         FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE co.contype IN ('p', 'u', 'c', 'x', 'f') AND (n.nspname || '.' || c.relname) IN ({})
         ORDER BY CASE co.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'f' THEN 3 ELSE 2 END, co.oid",
        copied.join(", ")
    );
    let constraints = texts(from, &sql, 7).await?;
    let (foreign, others): (Vec<_>, Vec<_>) = constraints.iter().partition(|row| row[3] == "f");
    for row in &others {
        build(to, &format!("ALTER TABLE {} ADD CONSTRAINT {} {}", row[0], row[1], row[2])).await?;
    }
    // Each pass removes children whose parent is missing; removing them can orphan their own
    // children, so it goes on until a pass removes nothing.
    loop {
        let mut removed = 0;
        for row in &foreign {
            let (child, keys, parent, references) = (&row[0], &row[4], &row[5], &row[6]);
            let keys: Vec<&str> = keys.split(',').collect();
            let references: Vec<&str> = references.split(',').collect();
            let present: Vec<String> = keys.iter().map(|k| format!("c.{k} IS NOT NULL")).collect();
            let matching: Vec<String> = keys.iter().zip(&references).map(|(k, r)| format!("p.{r} = c.{k}")).collect();
            let orphans = format!(
                "DELETE FROM {child} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {})",
                present.join(" AND "),
                matching.join(" AND ")
            );
            let done = sqlx::raw_sql(AssertSqlSafe(orphans))
                .execute(&mut *to)
                .await
                .map_err(db_error("removing sampled rows whose parent was not sampled"))?;
            removed += done.rows_affected();
        }
        if removed == 0 {
            break;
        }
    }
    for row in &foreign {
        build(to, &format!("ALTER TABLE {} ADD CONSTRAINT {} {}", row[0], row[1], row[2])).await?;
    }
    Ok(())
}

/// Indexes that back no constraint, views and materialized views (in the order they were
/// made, so that a view finds the views it reads), indexes of materialized views, and triggers.
async fn copy_objects(from: &mut AnyConnection, to: &mut AnyConnection) -> Result<()> {
    let sql = format!(
        "SELECT statement FROM (
           SELECT CASE c.relkind WHEN 'r' THEN 0 ELSE 2 END AS step, i.indexrelid::bigint AS id,
                  pg_get_indexdef(i.indexrelid) AS statement
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {USER_SCHEMA} AND c.relkind IN ('r', 'm') AND c.relname NOT LIKE 'mongrate\\_backup\\_%'
               AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid)
               AND {not_extension}
           UNION ALL
           SELECT 1, c.oid::bigint, CASE c.relkind WHEN 'v' THEN 'CREATE VIEW ' ELSE 'CREATE MATERIALIZED VIEW ' END
                  || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' AS ' || pg_get_viewdef(c.oid)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('v', 'm') AND {USER_SCHEMA} AND {not_extension}
           UNION ALL
           SELECT 3, t.oid::bigint, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT t.tgisinternal AND {USER_SCHEMA} AND c.relname NOT LIKE 'mongrate\\_backup\\_%'
         ) objects ORDER BY step, id",
        not_extension = not_extension("pg_class", "c.oid")
    );
    for row in texts(from, &sql, 1).await? {
        build(to, &row[0]).await?;
    }
    Ok(())
}
