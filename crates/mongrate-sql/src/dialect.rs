//! The few places where PostgreSQL and SQLite differ.

use mongrate_core::TargetKind;
use mongrate_core::config::ChangelogNames;

/// Which SQL database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    pub fn kind(self) -> &'static str {
        self.target_kind().as_str()
    }

    pub fn target_kind(self) -> TargetKind {
        match self {
            Dialect::Postgres => TargetKind::Postgres,
            Dialect::Sqlite => TargetKind::Sqlite,
        }
    }

    /// Our statements are written with `$1` placeholders; SQLite takes `?1`.
    pub fn sql(self, text: &str) -> String {
        match self {
            Dialect::Postgres => text.to_owned(),
            Dialect::Sqlite => text.replace('$', "?"),
        }
    }

    /// How a migration's transaction starts. SQLite takes the write lock up front (IMMEDIATE):
    /// a deferred transaction that reads first and writes later can deadlock against another
    /// process's write and fail with "database is locked" instead of waiting.
    pub fn begin(self) -> &'static str {
        match self {
            Dialect::Postgres => "BEGIN",
            Dialect::Sqlite => "BEGIN IMMEDIATE",
        }
    }

    /// The database clock in Unix milliseconds: lease expiry is judged by the database, not by
    /// whichever runner's clock.
    pub fn now_millis(self) -> &'static str {
        match self {
            Dialect::Postgres => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
        }
    }

    /// Statements that create the changelog, history and lock tables.
    pub fn create_changelog(self, names: &ChangelogNames) -> Vec<String> {
        let (boolean, history_id) = match self {
            Dialect::Postgres => ("BOOLEAN", "BIGSERIAL PRIMARY KEY"),
            // sqlx's Any driver reads SQLite integers, not its BOOLEAN affinity.
            Dialect::Sqlite => ("INTEGER", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        };
        let ChangelogNames { migrations, history, lock, .. } = names;
        let history_index = format!("{}_version_idx", unqualified(history));
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {migrations} (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL,
    applied_at TEXT,
    rolled_back_at TEXT,
    execution_time BIGINT,
    error TEXT,
    partial {boolean} NOT NULL,
    reversible {boolean} NOT NULL,
    checksum TEXT NOT NULL,
    batch BIGINT NOT NULL,
    applied_by_host TEXT,
    applied_by_user TEXT,
    applied_by_pid BIGINT,
    checkpoint TEXT,
    metadata TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version_text TEXT
)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {history} (
    id {history_id},
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    execution_time BIGINT,
    error TEXT,
    checksum TEXT,
    batch BIGINT,
    applied_by_host TEXT,
    applied_by_user TEXT,
    applied_by_pid BIGINT,
    version_text TEXT
)"
            ),
            format!("CREATE INDEX IF NOT EXISTS {history_index} ON {history} (version)"),
            format!(
                "CREATE TABLE IF NOT EXISTS {lock} (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    host TEXT,
    pid BIGINT,
    reason TEXT,
    locked_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
)"
            ),
        ]
    }
}

/// `schema.table` → `table` (index names cannot be qualified).
fn unqualified(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(_, table)| table)
}
