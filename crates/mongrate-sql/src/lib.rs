//! mongrate-sql: the PostgreSQL and SQLite target of mongrate, the `.sql` migration format, and
//! the SQL files of golang-migrate, sqlx, dbmate, Flyway and diesel.

pub mod as_written;
pub mod backup;
pub mod changelog;
pub mod connection;
pub mod database_state;
pub mod dbmate_file;
pub mod dialect;
pub mod dry_run;
pub mod errors;
pub mod execute;
pub mod foreign_changelog;
pub mod lease_store;
pub mod lint;
pub mod primary;
pub mod record_json;
pub mod sample_copy;
pub mod scratch;
pub mod snapshot;
pub mod sql_file;
pub mod state_difference;
pub mod statement_split;
pub mod target;
pub mod transaction_control;
pub mod transaction_guard;
pub mod version_text;

pub use target::{SqlOptions, SqlTarget};
