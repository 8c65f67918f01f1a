//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use mongrate_core::phase::Phase;

/// Versioned schema-and-data migrations for MongoDB, PostgreSQL and SQLite.
#[derive(Debug, Parser)]
#[command(name = "mongrate", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file [default: mongrate.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL: mongodb://host/db, postgres://user:pass@host/db or sqlite:file.db (env: MONGRATE_URL, MONGO_URI, DATABASE_URL)
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// MongoDB database, when the URL has none in its path
    #[arg(long, global = true, value_name = "NAME")]
    pub database: Option<String>,
    /// Directory of migration files [default: migrations]
    #[arg(long, global = true, value_name = "DIR")]
    pub migrations_dir: Option<PathBuf>,
    /// Print results as JSON on standard output
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Format of progress and log lines on standard error
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Seconds to wait for the migration lock [default: 120]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
    /// Seconds a lock lives without a heartbeat [default: 60]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub lock_ttl: Option<u64>,
    /// Seconds to wait for the database to answer when connecting [default: 10]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub connect_timeout: Option<u64>,
    /// Cap every batch loop of JavaScript migrations (eachBatch, MigrationHelper) at N documents a second
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_per_second: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write mongrate.toml and a migrations directory with an example migration
    Init(InitArgs),
    /// Write a new migration file named <timestamp>-<name>
    Create(CreateArgs),
    /// Show applied, pending and failed migrations, drift and the lock
    Status(StatusArgs),
    /// List every migration with its state
    List,
    /// Apply pending migrations
    Up(UpArgs),
    /// Revert applied migrations (the newest one by default)
    Down(DownArgs),
    /// Go up or down so that exactly the migrations up to VERSION are applied
    Migrate(MigrateArgs),
    /// Show the audit trail of every attempt, newest first
    History(HistoryArgs),
    /// Check the files and compare them with the changelog
    Validate,
    /// Check pending migrations for dangerous operations before they run (exit 4 on an error)
    Lint(LintArgs),
    /// Prove pending migrations reversible on a scratch copy: up, down, compare with before, up again
    Test(TestArgs),
    /// Record the current checksums of applied files that were changed on purpose
    Repair,
    /// Record a migration as applied or pending without running it
    Mark(MarkArgs),
    /// Adopt another tool's changelog so nothing it applied is applied again
    Import(ImportArgs),
    /// Serve the REST API, the dashboard, /healthz, /readyz and /metrics (auto-run with MIGRATE_ON_START=true)
    Serve(ServeArgs),
    /// Inspect or release the migration lock
    Lock {
        #[command(subcommand)]
        command: LockCommand,
    },
    /// List, take, restore, drop and prune backups of collections (tables)
    Backup {
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Document versions of MongoDB collections
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Count each collection's documents by version, and those without one (MongoDB)
    Census(CensusArgs),
}

#[derive(Debug, Args)]
pub struct CensusArgs {
    /// The collections to count [default: every collection but mongrate's own]
    #[arg(value_name = "COLLECTION")]
    pub collections: Vec<String>,
    /// The version field [default: [schema] field in mongrate.toml, else schema_version]
    #[arg(long, value_name = "FIELD")]
    pub field: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// List the recorded backups, oldest first
    List,
    /// Back up a collection (a table on PostgreSQL) now
    Create {
        /// The collection (table) to copy
        collection: String,
    },
    /// Replace a collection with a backup: its documents, indexes and options as they were
    Restore {
        /// The backup's name, as `backup list` shows it
        name: String,
        /// Restore into this collection instead of the one it was taken of
        #[arg(long, value_name = "COLLECTION")]
        to: Option<String>,
    },
    /// Drop a backup and its record
    Drop {
        /// The backup's name, as `backup list` shows it
        name: String,
    },
    /// Drop all but the newest N backups of each collection
    Prune {
        /// How many to keep of each collection [default: retain in the [backup] section of mongrate.toml]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        keep: Option<u32>,
    },
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Check every migration, applied ones too (from their text; only pending ones are checked
    /// against the database)
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: [serve] listen in mongrate.toml, else 127.0.0.1:8080]
    #[arg(long, env = "MONGRATE_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite an existing mongrate.toml
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// What the migration does, e.g. "add user index"
    #[arg(required_unless_present = "list_templates")]
    pub name: Option<String>,
    /// File format: sql, yaml, json, js or ts [default: yaml for a mongodb:// URL, else sql; with
    /// --template: yaml where the template has a YAML form, else js]
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// Start from a working example (add-field, transform, seed-data, …; see --list-templates)
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,
    /// List the templates, their formats and what each does
    #[arg(long, conflicts_with_all = ["name", "template", "format"])]
    pub list_templates: bool,
}

pub use mongrate::new_migration::FileFormat;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Exit 5 when migrations are pending, 1 when one failed, 4 on drift
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run inside a transaction that is rolled back and report what would change
    #[arg(long)]
    pub dry_run: bool,
    /// Commit up to N consecutive transactional migrations together (1: each on its own)
    #[arg(long, value_name = "N", default_value_t = mongrate_core::grouping::DEFAULT_GROUP_SIZE as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub group_size: u32,
    /// After a failed migration go on with the next ones; the run still fails, listing every failure
    #[arg(long)]
    pub continue_on_error: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Apply only up to and including this version
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Start this unfinished migration over: forget its batch loops' checkpoint (what it changed
    /// stays) and run it from the beginning
    #[arg(long, value_name = "VERSION")]
    pub restart: Option<String>,
    /// Deploy phase: `expand` (or `migrate`) applies pending migrations up to, not including,
    /// the first pending `contract` one; `contract` applies everything (as plain `up` does)
    #[arg(long, value_name = "PHASE", value_parser = parse_phase)]
    pub phase: Option<Phase>,
    /// Skip the lint rules that can refuse a run (unique index over duplicates, NOT NULL column
    /// without a default on a table with rows), which `up` checks before it applies anything
    #[arg(long)]
    pub no_lint: bool,
    #[command(flatten)]
    pub forward: ForwardArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How pending migrations may be applied (`up` and `migrate`).
#[derive(Debug, Args)]
pub struct ForwardArgs {
    /// Apply pending migrations older than the newest applied one
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Run again a migration that failed or was interrupted outside a transaction
    #[arg(long)]
    pub retry: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("scope").args(["steps", "to", "all", "batch"])))]
pub struct DownArgs {
    /// Revert the newest N migrations
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub steps: Option<u32>,
    /// Revert every migration above this version
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Revert every applied migration
    #[arg(long)]
    pub all: bool,
    /// Revert everything the last `up` run applied
    #[arg(long)]
    pub batch: bool,
    /// Run again the down of a migration whose down failed or was interrupted outside a transaction
    #[arg(long)]
    pub retry: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The version to end at (0: before the first)
    pub version: String,
    /// Skip the lint rules that can refuse a run, checked before applying anything
    #[arg(long)]
    pub no_lint: bool,
    #[command(flatten)]
    pub forward: ForwardArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test only these pending versions (pending ones before them are applied to the copy untested)
    #[arg(value_name = "VERSION")]
    pub versions: Vec<String>,
    /// Documents copied of each collection the migrations touch (MongoDB), and rows of each table
    /// when a PostgreSQL database in use is copied by sample
    #[arg(long, value_name = "N", default_value_t = mongrate::roundtrip::DEFAULT_SAMPLE,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub sample: u64,
    /// Apply migrations without a down and list them, instead of failing the test
    #[arg(long)]
    pub allow_irreversible: bool,
    /// PostgreSQL: copy the schema and --sample rows of each table even where the whole database
    /// could be copied (a large database)
    #[arg(long)]
    pub sampled: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How many entries
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..))]
    pub limit: i64,
    /// Entries to skip (newest first)
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    pub skip: i64,
    /// Only entries with this status: completed or failed
    #[arg(long)]
    pub status: Option<String>,
    /// Only entries of this version
    #[arg(long)]
    pub version: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("state").args(["applied", "pending"]).required(true)))]
pub struct MarkArgs {
    pub version: String,
    /// Record it as applied (baseline an existing database, or after fixing it by hand)
    #[arg(long)]
    pub applied: bool,
    /// Record it as not applied
    #[arg(long)]
    pub pending: bool,
    /// With --applied: also every pending migration below VERSION
    #[arg(long)]
    pub through: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tool whose changelog to import
    #[arg(value_enum)]
    pub from: ImportSource,
    /// Its changelog collection [default: changelogCollectionName of migrate-mongo-config.js, else changelog]
    #[arg(long)]
    pub collection: Option<String>,
    /// Its changelog table, for the SQL tools [default: the tool's own: schema_migrations,
    /// _sqlx_migrations, flyway_schema_history, __diesel_schema_migrations]
    #[arg(long, conflicts_with = "collection")]
    pub table: Option<String>,
    /// Show what would be imported; write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    /// migrate-mongo: its changelog entries (fileName, appliedAt, fileHash, migrationBlock)
    MigrateMongo,
    /// golang-migrate: schema_migrations (its current version and dirty flag)
    GolangMigrate,
    /// sqlx: _sqlx_migrations (versions, checksums, success)
    Sqlx,
    /// dbmate: schema_migrations (the applied versions)
    Dbmate,
    /// Flyway: flyway_schema_history (versions, scripts, checksums, failed rows, baselines)
    Flyway,
    /// diesel: __diesel_schema_migrations (the applied versions and when they ran)
    Diesel,
}

#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Show who holds the lock
    Status,
    /// Remove the lock whoever holds it (needs --confirm)
    Release {
        /// Yes, remove it: the holder must be gone, or two runs will migrate at once
        #[arg(long)]
        confirm: bool,
    },
}

fn parse_phase(text: &str) -> Result<Phase, String> {
    text.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn down_scopes_exclude_each_other() {
        assert!(Cli::try_parse_from(["mongrate", "down", "--steps", "2", "--all"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "down", "--steps", "0"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "mark", "1"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "history", "--version", "3", "--json"]).is_ok());
        assert!(Cli::try_parse_from(["mongrate", "import", "migrate-mongo", "--dry-run"]).is_ok());
        assert!(Cli::try_parse_from(["mongrate", "import", "flyway", "--table", "history"]).is_ok());
        assert!(Cli::try_parse_from(["mongrate", "import", "liquibase"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "import", "sqlx", "--table", "a", "--collection", "b"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "backup", "restore", "b", "--to", "users_copy", "--json"]).is_ok());
        assert!(Cli::try_parse_from(["mongrate", "backup", "prune", "--keep", "0"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "backup", "create"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "lint", "--all", "--json"]).is_ok());
        assert!(Cli::try_parse_from(["mongrate", "up", "--no-lint", "--to", "3"]).is_ok());
        assert!(Cli::try_parse_from(["mongrate", "lint", "--no-lint"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "test", "3", "20250101", "--sample", "10"]).is_ok());
        assert!(Cli::try_parse_from(["mongrate", "test", "--sample", "0"]).is_err());
        assert!(
            Cli::try_parse_from(["mongrate", "schema", "census", "users", "orders", "--field", "v", "--json"]).is_ok()
        );
        assert!(Cli::try_parse_from(["mongrate", "schema", "census"]).is_ok());
        assert!(Cli::try_parse_from(["mongrate", "schema"]).is_err());
    }

    #[test]
    fn history_pages_are_not_negative() {
        assert!(Cli::try_parse_from(["mongrate", "history", "--skip", "-1"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "history", "--limit", "0"]).is_err());
        assert!(Cli::try_parse_from(["mongrate", "history", "--limit", "1", "--skip", "9223372036854775807"]).is_ok());
    }
}
