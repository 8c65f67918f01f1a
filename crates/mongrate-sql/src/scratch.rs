//! The scratch copy `mongrate test` migrates instead of the real database.
//!
//! - SQLite: `VACUUM INTO` a file in a temporary folder: a consistent copy even while another
//!   process writes (WAL included), made through a read-only connection.
//! - PostgreSQL: `CREATE DATABASE <db>_mongrate_test_<random> TEMPLATE <db>`, an exact copy made
//!   by the server. PostgreSQL refuses it while anyone else is connected to the database
//!   (SQLSTATE 55006); the scratch database is then built from the live one instead: its schema
//!   read from the catalog and a sample of each table's rows (see [`crate::sample_copy`]).
//!
//! The copy is dropped by [`Scratch::discard`]: the file with its folder, or the database
//! (`DROP DATABASE … WITH (FORCE)`, which also ends a connection a stopped migration left).

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use mongrate_core::config::ChangelogNames;
use mongrate_core::scratch::{Captured, Scratch, ScratchAddress, scratch_name};
use mongrate_core::{Error, Migration, Result};
use sqlx::{AnyPool, AssertSqlSafe};

use crate::changelog::{LEASE_ID, db_error, literal};
use crate::connection::{connect, dialect_of, normalize_sqlite_url, redact};
use crate::database_state::{OwnTables, capture};
use crate::dialect::Dialect;

/// PostgreSQL cuts identifiers at 63 bytes.
const LONGEST_NAME: usize = 63;

/// The name of a SQLite copy in its temporary folder.
const SCRATCH_FILE: &str = "scratch.db";

/// SQLSTATE: the template database is being accessed by other users.
const OBJECT_IN_USE: &str = "55006";

/// SQLSTATE: the user may not do this (no CREATEDB).
const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// Where the copy lives.
enum Place {
    /// A SQLite file in a temporary folder, removed with it.
    File(tempfile::TempDir),
    /// A PostgreSQL database, dropped through the maintenance database.
    Database { name: String, maintenance_url: String },
}

/// A scratch copy of a SQL database.
pub struct SqlScratch {
    dialect: Dialect,
    url: String,
    pool: AnyPool,
    own: OwnTables,
    place: Place,
    /// How it was made, for output.
    how: String,
    connect_timeout: Duration,
}

/// The SQLSTATE of a database error.
fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// `postgres://user@host/app?sslmode=require` with `app` replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let encoded: String = database
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{}/{encoded}{query}", &base[..path_start])
}

/// The file a normalized SQLite URL (`sqlite:///abs/app.db?mode=rwc`) names; `None` in memory.
fn sqlite_file(normalized: &str) -> Option<PathBuf> {
    let rest = normalized.strip_prefix("sqlite://")?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

impl SqlScratch {
    /// Copies the database `url` names. `sample` is the number of rows copied of each table when
    /// a PostgreSQL database in use cannot serve as a template, or when `sampled` asks for a
    /// sample anyway (a large database).
    pub async fn create(
        url: &str,
        base_dir: &Path,
        names: &ChangelogNames,
        connect_timeout: Duration,
        sample: u64,
        sampled: bool,
    ) -> Result<SqlScratch> {
        let dialect = dialect_of(url)
            .ok_or_else(|| Error::config(format!("{} is not a postgres:// or sqlite: URL", redact(url))))?;
        let scratch = match dialect {
            Dialect::Sqlite => Self::copy_file(url, base_dir, connect_timeout, OwnTables::new(names)).await?,
            Dialect::Postgres => Self::copy_database(url, connect_timeout, names, sample, sampled).await?,
        };
        // A lease copied with the database is the real database's runner's, not ours.
        let forget_lease = format!("DELETE FROM {} WHERE id = {}", names.lock, literal(LEASE_ID));
        let mut conn = scratch.pool.acquire().await.map_err(db_error("connecting to the scratch copy"))?;
        let _ = sqlx::query(AssertSqlSafe(forget_lease)).execute(&mut *conn).await;
        drop(conn);
        Ok(scratch)
    }

    async fn copy_file(url: &str, base_dir: &Path, timeout: Duration, own: OwnTables) -> Result<SqlScratch> {
        let folder = tempfile::Builder::new()
            .prefix("mongrate-test-")
            .tempdir()
            .map_err(|e| Error::database(format!("creating a temporary folder for the scratch copy: {e}")))?;
        let copy = folder.path().join(SCRATCH_FILE);
        let source = sqlite_file(&normalize_sqlite_url(url, base_dir));
        let how = match source.filter(|file| file.exists()) {
            Some(file) => {
                let read_only = format!("sqlite://{}?mode=ro", file.display());
                let (pool, mut conn) = connect(&read_only, Dialect::Sqlite, timeout).await?;
                let vacuum = format!("VACUUM INTO {}", literal(&copy.display().to_string()));
                let copied = sqlx::query(AssertSqlSafe(vacuum)).execute(&mut *conn).await;
                drop(conn);
                pool.close().await;
                copied.map_err(db_error(&format!("copying {}", file.display())))?;
                format!("a copy of {}", file.display())
            }
            // Nothing to copy: the migrations start from an empty database, as they would there.
            None => "an empty database (the database has no file yet)".to_owned(),
        };
        let url = format!("sqlite://{}?mode=rwc", copy.display());
        let (pool, conn) = connect(&url, Dialect::Sqlite, timeout).await?;
        drop(conn);
        Ok(SqlScratch {
            dialect: Dialect::Sqlite,
            url,
            pool,
            own,
            place: Place::File(folder),
            how,
            connect_timeout: timeout,
        })
    }

    async fn copy_database(
        url: &str,
        timeout: Duration,
        names: &ChangelogNames,
        sample: u64,
        sampled: bool,
    ) -> Result<SqlScratch> {
        let own = OwnTables::new(names);
        let shown = redact(url);
        let source = {
            let (pool, mut conn) = connect(url, Dialect::Postgres, timeout).await?;
            let name: String = sqlx::query_scalar("SELECT current_database()::text")
                .fetch_one(&mut *conn)
                .await
                .map_err(db_error(&format!("reading the database name of {shown}")))?;
            drop(conn);
            // Our own session must be gone before the database can be a template.
            pool.close().await;
            name
        };
        let name = scratch_name(&source, LONGEST_NAME);
        let (maintenance_url, maintenance) = Self::maintenance(url, timeout).await?;
        let mut conn = maintenance.acquire().await.map_err(db_error("connecting to the maintenance database"))?;
        let sample_copy = |why: &str| {
            format!("a sample copy of {source}: its schema and at most {sample} rows of each table ({why})")
        };
        let create = if sampled {
            format!("CREATE DATABASE {}", quoted(&name))
        } else {
            format!("CREATE DATABASE {} TEMPLATE {}", quoted(&name), quoted(&source))
        };
        let (how, sampled) = match sqlx::raw_sql(AssertSqlSafe(create)).execute(&mut *conn).await {
            Ok(_) if sampled => (sample_copy("--sampled"), true),
            Ok(_) => (format!("a copy of {source} made with CREATE DATABASE … TEMPLATE"), false),
            Err(error) if sqlstate(&error).as_deref() == Some(OBJECT_IN_USE) => {
                let empty = format!("CREATE DATABASE {}", quoted(&name));
                sqlx::raw_sql(AssertSqlSafe(empty))
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error("creating the scratch database"))?;
                let why = "others are connected to it, so it cannot be copied whole with CREATE DATABASE … TEMPLATE";
                (sample_copy(why), true)
            }
            Err(error) if sqlstate(&error).as_deref() == Some(INSUFFICIENT_PRIVILEGE) => {
                return Err(Error::config(format!(
                    "mongrate test copies {source} to a scratch database, and the user of {shown} may not create \
                     databases: grant it CREATEDB (ALTER ROLE … CREATEDB), or test against a database of a user who may"
                )));
            }
            Err(error) => return Err(crate::errors::database("creating the scratch database", error)),
        };
        drop(conn);
        maintenance.close().await;
        let scratch_url = with_database(url, &name);
        let place = Place::Database { name: name.clone(), maintenance_url };
        let pool = match connect(&scratch_url, Dialect::Postgres, timeout).await {
            Ok((pool, conn)) => {
                drop(conn);
                pool
            }
            Err(error) => {
                let _ = drop_database(&place, timeout).await;
                return Err(error);
            }
        };
        let scratch = SqlScratch {
            dialect: Dialect::Postgres,
            url: scratch_url,
            pool,
            own,
            place,
            how,
            connect_timeout: timeout,
        };
        if sampled {
            let copied = async {
                let (source_pool, conn) = connect(url, Dialect::Postgres, timeout).await?;
                drop(conn);
                let copied = crate::sample_copy::copy(&source_pool, &scratch.pool, sample, names).await;
                source_pool.close().await;
                copied
            };
            if let Err(error) = copied.await {
                let _ = Box::new(scratch).discard().await;
                return Err(error);
            }
        }
        Ok(scratch)
    }

    /// A connection pool to the server's `postgres` database (else `template1`), where databases
    /// are created and dropped.
    async fn maintenance(url: &str, timeout: Duration) -> Result<(String, AnyPool)> {
        let mut last = None;
        for database in ["postgres", "template1"] {
            let maintenance_url = with_database(url, database);
            match connect(&maintenance_url, Dialect::Postgres, timeout).await {
                Ok((pool, conn)) => {
                    drop(conn);
                    return Ok((maintenance_url, pool));
                }
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| Error::database("cannot connect to the maintenance database")).map_message(
            |message| {
                format!("connecting to the postgres (or template1) database to create the scratch copy: {message}")
            },
        ))
    }
}

/// `"name"`.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Drops the scratch database, ending any session still connected to it.
async fn drop_database(place: &Place, timeout: Duration) -> Result<()> {
    let Place::Database { name, maintenance_url } = place else { return Ok(()) };
    let (pool, mut conn) = connect(maintenance_url, Dialect::Postgres, timeout).await?;
    let forced = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quoted(name));
    let dropped = match sqlx::raw_sql(AssertSqlSafe(forced)).execute(&mut *conn).await {
        Ok(_) => Ok(()),
        // Before PostgreSQL 13 there is no FORCE: end the sessions, then drop.
        Err(error) if sqlstate(&error).as_deref() == Some("42601") => {
            let end = format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {} AND pid <> pg_backend_pid()",
                literal(name)
            );
            let _ = sqlx::raw_sql(AssertSqlSafe(end)).execute(&mut *conn).await;
            let plain = format!("DROP DATABASE IF EXISTS {}", quoted(name));
            sqlx::raw_sql(AssertSqlSafe(plain)).execute(&mut *conn).await.map(drop)
        }
        Err(error) => Err(error),
    };
    drop(conn);
    pool.close().await;
    dropped.map_err(db_error(&format!("dropping the scratch database {name}")))
}

#[async_trait]
impl Scratch for SqlScratch {
    fn describe(&self) -> String {
        match &self.place {
            Place::File(folder) => format!("file {} ({})", folder.path().join(SCRATCH_FILE).display(), self.how),
            Place::Database { name, .. } => format!("database {name} ({})", self.how),
        }
    }

    fn address(&self) -> ScratchAddress {
        ScratchAddress { url: self.url.clone(), database: None }
    }

    async fn seed(&self, _migrations: &[Migration]) -> Result<Option<String>> {
        // The copy holds every table already.
        Ok(None)
    }

    async fn capture(&self) -> Result<Box<dyn Captured>> {
        Ok(Box::new(capture(&self.pool, self.dialect, &self.own).await?))
    }

    async fn discard(self: Box<Self>) -> Result<()> {
        self.pool.close().await;
        match &self.place {
            // The folder goes with its file when dropped.
            Place::File(_) => Ok(()),
            place @ Place::Database { .. } => drop_database(place, self.connect_timeout).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(with_database("postgres://me:pw@db:5432/app", "x"), "postgres://me:pw@db:5432/x");
        assert_eq!(with_database("postgres://db/app?sslmode=require", "x"), "postgres://db/x?sslmode=require");
        assert_eq!(with_database("postgres://db", "x"), "postgres://db/x");
        assert_eq!(with_database("postgresql://db:5/", "a b"), "postgresql://db:5/a%20b");
        assert_eq!(with_database("postgres:///app?host=/run/pg", "x"), "postgres:///x?host=/run/pg");
    }

    #[test]
    fn sqlite_files_of_normalized_urls() {
        assert_eq!(sqlite_file("sqlite:///srv/app.db?mode=rwc"), Some(PathBuf::from("/srv/app.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
